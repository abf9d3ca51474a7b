//go:build !amd64 || purego

package dense

func expSumAsm(c, h *float64, n int, alpha, shift, cut float64) (float64, bool) {
	panic("unreachable")
}

func expAffineAsm(dst, c, h *float64, n int, alpha, beta float64) int {
	panic("unreachable")
}
