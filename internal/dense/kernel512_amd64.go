//go:build !purego

package dense

// The AVX-512 variants of the level-3 kernels. Each computes every output
// entry with exactly the operations of its AVX2 counterpart, in the same
// order, so that the results are bit-identical: a ZMM register holds two
// of the AVX2 kernel's four-lane accumulators in its 256-bit halves
// (dots3x4AVX512, solveRows3AVX512), or sixteen entries of a row update
// instead of eight (cholUpperAVX512).

//go:noescape
func dots3x4AVX512(a *float64, lda int, b *float64, ldb int, k int, c *[12]float64)

//go:noescape
func solveRows3AVX512(x *float64, ldx int, l *float64, ldl int, from, ncol int, inv *float64)

//go:noescape
func cholUpperAVX512(a *float64, lda, n int) int

//go:noescape
func solveRows6AVX512(x *float64, ldx int, l *float64, ldl int, ncol int, inv *float64)

//go:noescape
func dots6x4AVX512(a *float64, lda int, b *float64, ldb int, k int, c *[24]float64)
