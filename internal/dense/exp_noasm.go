//go:build !amd64 || purego

package dense

func expSumAsm(c, h *float64, n int, alpha, shift, cut float64) (float64, bool) {
	panic("unreachable")
}
