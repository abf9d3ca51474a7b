package dense

// SwapMix applies a relaxed conditional swap with mixing weight α to two
// rows p and q of equal length (a sorting network's swap acting on two
// rows of a relaxed permutation matrix, Petersen et al. 2021):
//
//	dᵢ = pᵢ − qᵢ,   pᵢ ← qᵢ + α dᵢ,   qᵢ ← pᵢ − α dᵢ,
//
// keeping the differences in d for the backward pass. The assembly
// kernel does the same multiplications and additions as the pure-Go loop
// (no fused multiply-add), so both give the same bits. d must have len(p)
// entries, q at least.
func SwapMix(p, q, d []float64, alpha float64) {
	n := len(p)
	q, d = q[:n], d[:n]
	i := 0
	if useAsm && n >= 4 {
		i = n &^ 3
		swapMixAVX(&p[0], &q[0], &d[0], i, alpha)
	}
	swapMixGo(p[i:], q[i:], d[i:], alpha)
}

// SwapUnmix applies the transpose of SwapMix to the cotangent rows gp and
// gq and returns the derivative with respect to α:
//
//	hᵢ = gpᵢ − gqᵢ,   gpᵢ ← gqᵢ + α hᵢ,   gqᵢ ← gpᵢ − α hᵢ,   return Σᵢ hᵢ dᵢ,
//
// where d holds the differences SwapMix stored. The rows come out as in
// pure Go, bit for bit; the sum is accumulated in four (assembly, fused
// multiply-adds) or two (pure Go) partial sums.
func SwapUnmix(gp, gq, d []float64, alpha float64) float64 {
	n := len(gp)
	gq, d = gq[:n], d[:n]
	i := 0
	var acc float64
	if useAsm && n >= 4 {
		i = n &^ 3
		acc = swapUnmixAVX(&gp[0], &gq[0], &d[0], i, alpha)
	}
	return acc + swapUnmixGo(gp[i:], gq[i:], d[i:], alpha)
}
