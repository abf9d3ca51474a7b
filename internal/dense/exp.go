package dense

import "math"

// useAVX2 reports whether the AVX2 kernels (ExpSum) are used; set once at
// start, on amd64 without the purego tag.
var useAVX2 bool

// The exponential of the log-sum-exp kernels is the table method (Tang,
// "Table-driven implementation of the exponential function in IEEE
// floating-point arithmetic", ACM TOMS 15(2), 1989): with
// x = (2048·k + i)·ln2/2048 + r, |r| ≤ ln2/4096,
//
//	eˣ = 2ᵏ · 2^(i/2048) · eʳ,  eʳ ≈ 1 + r + r²/2 + r³/6,
//
// whose truncation error r⁴/24 is below 4e-17 relative; the table value and
// the rounding of the few operations add a few ulp. The reduction uses
// ln2/2048 split into a high part with trailing zero bits (fdlibm's split of
// ln2) and a low part, so that k·ln2Hi is exact.
const (
	expTableBits = 11
	expTableSize = 1 << expTableBits
	expShifter   = 0x1.8p52 // adding it rounds a float64 of magnitude < 2⁵¹ to an integer
	expScale     = expTableSize / math.Ln2
	expLn2Hi     = 6.93147180369123816490e-01 / expTableSize
	expLn2Lo     = 1.90821492927058770002e-10 / expTableSize
	// ExpSumMax is the largest exponent ExpSum accepts before it reports
	// an overflow.
	ExpSumMax = 709
)

// expTable[k] = 2^(k/expTableSize).
var expTable = func() (t [expTableSize]float64) {
	for k := range t {
		t[k] = math.Exp2(float64(k) / expTableSize)
	}
	return t
}()

// ExpSum returns Σ_j exp(h_j − shift − alpha·c_j) over j < len(c) (h must
// be at least as long), dropping every term whose exponent is below cut or
// NaN. ok is false, and s meaningless, when some exponent exceeds
// [ExpSumMax] (a sum of kept terms near e⁷⁰⁹ may still round to +Inf with
// ok true, as any float64 sum). cut must be at least −700, so that every kept term is a
// normal number. Each term has a relative error of a few ulp (the table
// method above); the order of the summation is fixed by len(c), so the
// result does not depend on where the call is made from, but the assembly
// kernel (four lanes, fused multiply-adds) and the pure-Go fallback agree
// only to rounding.
//
// It is the inner loop of a log-sum-exp −ε log Σ_j exp((g_j − C_ij)/ε) with
// a known shift, as in log-domain Sinkhorn iterations.
func ExpSum(c, h []float64, alpha, shift, cut float64) (s float64, ok bool) {
	n := len(c)
	h = h[:n]
	k := 0
	if useAVX2 && n >= 4 {
		k = n &^ 3
		var over bool
		s, over = expSumAsm(&c[0], &h[0], k, alpha, shift, cut)
		if over {
			return math.Inf(1), false
		}
	}
	t, ok := expSumGo(c[k:], h[k:], alpha, shift, cut)
	return s + t, ok
}

// expSumGo is ExpSum in Go, two accumulators.
func expSumGo(c, h []float64, alpha, shift, cut float64) (float64, bool) {
	h = h[:len(c)]
	var s0, s1 float64
	for j, cj := range c {
		x := h[j] - shift - cj*alpha
		if !(x >= cut) {
			continue
		}
		if x > ExpSumMax {
			return math.Inf(1), false
		}
		t := x*expScale + expShifter
		kf := t - expShifter
		k := int64(math.Float64bits(t)) - int64(math.Float64bits(expShifter))
		r := (x - kf*expLn2Hi) - kf*expLn2Lo
		p := 1 + r*(1+r*(0.5+r*(1.0/6)))
		v := math.Float64frombits(uint64(int64(math.Float64bits(expTable[k&(expTableSize-1)]*p)) + (k>>expTableBits)<<52))
		if j&1 == 0 {
			s0 += v
		} else {
			s1 += v
		}
	}
	return s0 + s1, true
}

// Exp returns eˣ with a relative error of a few ulp (the table method
// above) for x in [−708, 709.78]; it returns 0 below −708 (values under
// 1e-307), +Inf above and NaN for NaN. It is about three times faster than
// math.Exp.
func Exp(x float64) float64 {
	if !(x >= -708) {
		if x != x {
			return x
		}
		return 0
	}
	if x > 709.782712893384 {
		return math.Inf(1)
	}
	t := x*expScale + expShifter
	kf := t - expShifter
	k := int64(math.Float64bits(t)) - int64(math.Float64bits(expShifter))
	r := (x - kf*expLn2Hi) - kf*expLn2Lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6)))
	s := expTable[k&(expTableSize-1)] * p
	e := k >> expTableBits
	if e > -1000 && e < 1000 {
		return math.Float64frombits(uint64(int64(math.Float64bits(s)) + e<<52))
	}
	return math.Ldexp(s, int(e))
}

// ExpAffine sets dst[j] = [Exp](beta + h[j] − alpha·c[j]) for j < len(dst)
// (c and h at least as long), four at a time in AVX2 where available: a
// row of a Gibbs kernel exp((f_i + g_j − C_ij)/ε). Exponents outside
// [−700, 709] go through Exp one block of four at a time. The assembly
// kernel and the pure-Go one agree to rounding (the former rounds the
// exponent once, with a fused multiply-add).
func ExpAffine(dst, c, h []float64, alpha, beta float64) {
	n := len(dst)
	c, h = c[:n], h[:n]
	j := 0
	for useAVX2 && n-j >= 4 {
		m := (n - j) &^ 3
		d := expAffineAsm(&dst[j], &c[j], &h[j], m, alpha, beta)
		j += d
		if d == m {
			break
		}
		for end := j + 4; j < end; j++ {
			dst[j] = Exp(beta + h[j] - c[j]*alpha)
		}
	}
	for ; j < n; j++ {
		dst[j] = Exp(beta + h[j] - c[j]*alpha)
	}
}
