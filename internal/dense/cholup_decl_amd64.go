//go:build !purego

package dense

//go:noescape
func cholUpperAVX(a *float64, lda, n int) int
