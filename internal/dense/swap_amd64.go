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

// negLog1mAVX is the four-lane loop of NegLog1mSum on the first n entries
// (a positive multiple of 4): out[0:4] are the lanes' series sums,
// out[4:8] their products of factors. It returns false as soon as a lane
// meets 1 − p ≤ lo or a product below k[11].
//
//go:noescape
func negLog1mAVX(p, dst *float64, n int, scale, lo float64, k *[12][4]float64, out *[8]float64) bool

// swapMixListAVX is SwapMixList on cnt ≥ 1 checked records.
//
//go:noescape
func swapMixListAVX(m, d, alpha *float64, list *SwapRec, cnt int)

// swapUnmixListAVX is SwapUnmixList on cnt ≥ 1 checked records whose
// widths sum to total.
//
//go:noescape
func swapUnmixListAVX(gb, d, alpha, galpha *float64, list *SwapRec, cnt, total int)
