package sinkhorn

import "math"

// expTable[k] = 2^(k/expTableSize) for k = 0 … expTableSize−1.
const (
	expTableBits = 8
	expTableSize = 1 << expTableBits
)

var expTable = func() (t [expTableSize]float64) {
	for k := range t {
		t[k] = math.Exp2(float64(k) / expTableSize)
	}
	return t
}()

const (
	expShifter = 0x1.8p52 // adding it rounds a float64 of magnitude < 2⁵¹ to an integer
	expScale   = expTableSize / math.Ln2
	// ln2/256 split in a high part with 32 trailing zero bits (fdlibm's
	// split of ln2, divided by 256) and a low part, so that k·ln2Hi is
	// exact for every k that occurs.
	ln2Hi = 6.93147180369123816490e-01 / expTableSize
	ln2Lo = 1.90821492927058770002e-10 / expTableSize
)

// fastExp returns eˣ with a relative error below 1e-15 (a few ulp) for x in
// [−708, 709.78]; it returns 0 below −708 (values under 1e-307, negligible in
// the sums where it is used), +Inf above 709.78 and NaN for NaN.
//
// It is the table method: x = (256·k + i)·ln2/256 + r, |r| ≤ ln2/512, and
// eˣ = 2ᵏ · 2^(i/256) · eʳ with a degree-5 Taylor polynomial for eʳ
// (truncation error r⁶/720 < 1e-20). It is about three times faster than
// math.Exp and is what the log-domain passes spend their time in.
func fastExp(x float64) float64 {
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
	r := (x - kf*ln2Hi) - kf*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120)))))
	s := expTable[k&(expTableSize-1)]
	e := k >> expTableBits
	// Scale by 2ᵉ through the exponent bits; e ∈ [−1022, 1023] here
	// except at the extremes, which go through math.Ldexp.
	if e > -1000 && e < 1000 {
		return math.Float64frombits(uint64(int64(math.Float64bits(s*p)) + e<<52))
	}
	return math.Ldexp(s*p, int(e))
}
