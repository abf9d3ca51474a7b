//go:build !purego

package dense

// swapMixAVX is SwapMix on the first n entries, n a positive multiple of 4.
//
//go:noescape
func swapMixAVX(p, q, d *float64, n int, alpha float64)

// swapUnmixAVX is SwapUnmix on the first n entries, n a positive multiple
// of 4.
//
//go:noescape
func swapUnmixAVX(gp, gq, d *float64, n int, alpha float64) float64
