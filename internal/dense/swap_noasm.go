//go:build !amd64 || purego

package dense

func swapMixAVX(p, q, d *float64, n int, alpha float64)             { panic("unreachable") }
func swapUnmixAVX(gp, gq, d *float64, n int, alpha float64) float64 { panic("unreachable") }
