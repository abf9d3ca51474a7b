//go:build !purego

package dense

// cauchyAVX is CauchySigmoid on the first n entries, n a positive multiple
// of 4.
//
//go:noescape
func cauchyAVX(alpha, dalpha, d *float64, n int, beta float64, k *[21][4]float64)
