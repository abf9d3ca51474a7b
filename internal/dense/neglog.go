package dense

import "math"

// NegLog1mSum returns s = −Σⱼ log(1 − pⱼ) over the entries of p and sets
// gⱼ = (1/(1 − pⱼ))·scale, the terms of a binary cross-entropy against
// zero targets and their derivatives. It takes O(1) logarithms instead of
// one per entry: entries below 1/64 go through the series Σ_{k≤9} pᵏ/k
// (relative error below 2e-19 there, so tiny sums keep their digits), the
// others through the product of the factors 1 − pⱼ (exact or within half
// an ulp of 1, against |log(1 − pⱼ)| ≥ 0.0157), whose logarithm is taken
// once. g is computed exactly as the expression above, bit for bit.
//
// It reports ok = false, leaving g and s unspecified, when some
// 1 − pⱼ ≤ lo (a caller that floors its logarithms handles those entries
// itself). Entries must lie in [0, 1] and lo ≥ 2⁻¹⁰⁰⁰. With the assembly
// kernels four entries are processed at a time (AVX/FMA; a row whose
// products get below 2⁻⁶⁰⁰ is redone by the scalar loop, which rescales).
func NegLog1mSum(g, p []float64, scale, lo float64) (s float64, ok bool) {
	n := len(p)
	g = g[:n]
	if useAsm && n >= 4 {
		i := n &^ 3
		var out [8]float64
		if negLog1mAVX(&p[0], &g[0], i, scale, lo, &negLogConsts, &out) {
			series := (out[0] + out[1]) + (out[2] + out[3])
			// Four lane products, each in [2⁻⁶⁰⁰, 1]: one logarithm
			// unless their product underflows.
			var logs float64
			a, b := out[4]*out[5], out[6]*out[7]
			if ab := a * b; ab > 0x1p-1000 {
				logs = math.Log(ab)
			} else {
				logs = math.Log(out[4]) + math.Log(out[5]) + math.Log(out[6]) + math.Log(out[7])
			}
			ts, tl, ok := negLog1m(g[i:], p[i:], scale, lo)
			return (series + ts) - (logs + tl), ok
		}
		// A floored entry or a tiny product: the scalar loop decides.
	}
	s, l, ok := negLog1m(g, p, scale, lo)
	return s - l, ok
}

// negLog1m is the scalar loop of NegLog1mSum: it returns the series part
// and the logarithm of the product part separately, rescaling the product
// before it can underflow.
func negLog1m(g, p []float64, scale, lo float64) (series, logs float64, ok bool) {
	g = g[:len(p)]
	prod := 1.0
	const one = 0x3ff0000000000000 // bits of 1.0
	for i, v := range p {
		f := 1 - v
		if !(f > lo) {
			return 0, 0, false
		}
		g[i] = 1 / f * scale
		// Branch-free choice (the test is unpredictable): u = v and factor
		// 1 below 1/64, u = 0 and factor f above.
		var m uint64
		if v < 1.0/64 {
			m = ^uint64(0)
		}
		u := math.Float64frombits(math.Float64bits(v) & m)
		u2 := u * u
		u4 := u2 * u2
		series += u * ((1 + u*(1.0/2)) + u2*(1.0/3+u*(1.0/4)) + u4*((1.0/5+u*(1.0/6))+u2*(1.0/7+u*(1.0/8))+u4*(1.0/9)))
		prod *= math.Float64frombits(math.Float64bits(f)&^m | one&m)
		if prod < 0x1p-600 {
			logs += math.Log(prod)
			prod = 1
		}
	}
	return series, logs + math.Log(prod), true
}

// negLogConsts are the four-lane constants of negLog1mAVX: 1, the series
// coefficients 1/2 … 1/9, the series threshold 1/64, an unused slot and
// the product's underflow guard 2⁻⁶⁰⁰.
var negLogConsts = func() (k [12][4]float64) {
	set := func(i int, v float64) { k[i] = [4]float64{v, v, v, v} }
	set(0, 1)
	for j := 1; j <= 8; j++ {
		set(j, 1/float64(j+1))
	}
	set(9, 1.0/64)
	set(11, 0x1p-600)
	return k
}()
