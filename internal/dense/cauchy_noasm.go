//go:build !amd64 || purego

package dense

func cauchyAVX(alpha, dalpha, d *float64, n int, beta float64, k *[21][4]float64) {
	panic("unreachable")
}
