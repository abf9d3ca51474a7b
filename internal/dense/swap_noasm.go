//go:build !amd64 || purego

package dense

func swapMixAVX(p, q, d *float64, n int, alpha float64)             { panic("unreachable") }
func swapUnmixAVX(gp, gq, d *float64, n int, alpha float64) float64 { panic("unreachable") }

func negLog1mAVX(p, dst *float64, n int, scale, lo float64, k *[12][4]float64, out *[8]float64) bool {
	panic("unreachable")
}

func swapMixListAVX(m, d, alpha *float64, list *SwapRec, cnt int) { panic("unreachable") }
func swapUnmixListAVX(gb, d, alpha, galpha *float64, list *SwapRec, cnt, total int) {
	panic("unreachable")
}
