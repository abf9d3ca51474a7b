//go:build !amd64 || purego

package dense

func dotAVX(x, y *float64, n int) float64 { panic("unreachable") }
func dots3x4AVX(a *float64, lda int, b *float64, ldb int, k int, c *[12]float64) {
	panic("unreachable")
}
func dots4x1AVX(a *float64, lda int, x *float64, k int, c *[4]float64) { panic("unreachable") }
func axpy4AVX(c *[4]float64, a *float64, lda int, y *float64, n int)   { panic("unreachable") }
func axpyAVX(alpha float64, x, y *float64, n int)                      { panic("unreachable") }

func solveRows3AVX(x *float64, ldx int, l *float64, ldl int, ncol int, inv *float64) {
	panic("unreachable")
}

func maxAbsAVX(x *float64, n int) (m float64, nan bool) { panic("unreachable") }

func axpbyAVX(dst *float64, a float64, x *float64, b float64, y *float64, n int) {
	panic("unreachable")
}

func dots3x4AVX512(a *float64, lda int, b *float64, ldb int, k int, c *[12]float64) {
	panic("unreachable")
}

func solveRows3AVX512(x *float64, ldx int, l *float64, ldl int, from, ncol int, inv *float64) {
	panic("unreachable")
}

func cholUpperAVX512(a *float64, lda, n int) int { panic("unreachable") }

func solveRows6AVX512(x *float64, ldx int, l *float64, ldl int, ncol int, inv *float64) {
	panic("unreachable")
}

func dots6x4AVX512(a *float64, lda int, b *float64, ldb int, k int, c *[24]float64) {
	panic("unreachable")
}
