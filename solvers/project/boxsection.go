package project

import (
	"fmt"
	"math"
)

// BoxSection is the intersection of a box with a hyperplane,
//
//	{x : l ≤ x ≤ u, ⟨w, x⟩ = c},   w > 0,
//
// with l = Lower, u = Upper (finite, length n or 1), w = Weights (length n
// or 1; nil means all ones) and c = Value. The capped simplex
// {0 ≤ x ≤ u, Σx = s} is BoxSection{Lower: {0}, Upper: {u}, Value: s} (see
// [CappedSimplex]); with l = 0, u = ∞ it would be the simplex. The set is
// nonempty iff ⟨w, l⟩ ≤ c ≤ ⟨w, u⟩.
//
// The projection is
//
//	P(y) = clip(y − τw, l, u),   τ such that ⟨w, P(y)⟩ = c,
//
// where τ, the multiplier of the equality, is the root of the
// piecewise-linear, non-increasing map τ ↦ ⟨w, clip(y − τw, l, u)⟩ − c,
// found by a randomized breakpoint search in O(n) expected time. With the free set
// F = {i : lᵢ < xᵢ < uᵢ}, the Jacobian is
//
//	(∂P(y) v)_F = v_F − w_F ⟨w_F, v_F⟩/‖w_F‖²,   zero off F,
//
// the projection onto the hyperplane w_Fᵀ d = 0 restricted to F.
//
// Kinks: yᵢ − τwᵢ ∈ {lᵢ, uᵢ} for some i, where the free set is the strict
// one above.
type BoxSection struct {
	Lower, Upper, Weights []float64
	Value                 float64
}

// CappedSimplex returns the box section {0 ≤ x ≤ upper, Σx = sum}.
func CappedSimplex(upper, sum float64) BoxSection {
	return BoxSection{Lower: []float64{0}, Upper: []float64{upper}, Value: sum}
}

func (b BoxSection) weight(i int) float64 {
	switch len(b.Weights) {
	case 0:
		return 1
	case 1:
		return b.Weights[0]
	}
	return b.Weights[i]
}

func (b BoxSection) check(n int) error {
	if len(b.Lower) == 0 || len(b.Upper) == 0 {
		return fmt.Errorf("%w: box section needs finite Lower and Upper", ErrInvalid)
	}
	for _, s := range [][]float64{b.Lower, b.Upper, b.Weights} {
		if len(s) > 1 && len(s) != n {
			return fmt.Errorf("%w: box section parameter of length %d for n = %d", ErrDims, len(s), n)
		}
		if !finite(s) {
			return fmt.Errorf("%w: box section bounds and weights must be finite", ErrNaN)
		}
	}
	if math.IsNaN(b.Value) || math.IsInf(b.Value, 0) {
		return fmt.Errorf("%w: box section value", ErrNaN)
	}
	lo, hi := 0.0, 0.0
	if b.scalar() {
		// One bound pair and weight for every coordinate: O(1).
		l, u, w := b.Lower[0], b.Upper[0], b.weight(0)
		if !(w > 0) {
			return fmt.Errorf("%w: weight %v ≤ 0", ErrInvalid, w)
		}
		if l > u {
			return fmt.Errorf("%w: lower bound %v > upper bound %v", ErrInfeasible, l, u)
		}
		lo, hi = float64(n)*w*l, float64(n)*w*u
		if b.Value < lo || b.Value > hi {
			return fmt.Errorf("%w: value %v outside [n·w·l, n·w·u] = [%v, %v]", ErrInfeasible, b.Value, lo, hi)
		}
		return nil
	}
	for i := range n {
		l, u, w := bound(b.Lower, i, 0), bound(b.Upper, i, 0), b.weight(i)
		if !(w > 0) {
			return fmt.Errorf("%w: weight %v ≤ 0 at %d", ErrInvalid, w, i)
		}
		if l > u {
			return fmt.Errorf("%w: lower bound > upper bound at %d", ErrInfeasible, i)
		}
		lo += w * l
		hi += w * u
	}
	if b.Value < lo || b.Value > hi {
		return fmt.Errorf("%w: value %v outside [⟨w,l⟩, ⟨w,u⟩] = [%v, %v]", ErrInfeasible, b.Value, lo, hi)
	}
	return nil
}

// Project sets dst = P(y). dst may alias y. It allocates 4n bytes of
// scratch.
func (b BoxSection) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	n := len(y)
	if err := b.check(n); err != nil {
		return err
	}
	if b.scalar() && len(b.Weights) == 0 {
		// The capped simplex: thresholdScalar ends with the exact formula
		// on its free set, no refinement pass is needed.
		l, u := b.Lower[0], b.Upper[0]
		tau := thresholdScalar(y, l, u, b.Value)
		for i, v := range y {
			dst[i] = min(max(v-tau, l), u)
		}
		return checkOutput(dst)
	}
	tau := b.refine(y, b.threshold(y))
	for i, v := range y {
		dst[i] = min(max(v-tau*b.weight(i), bound(b.Lower, i, 0)), bound(b.Upper, i, 0))
	}
	return checkOutput(dst)
}

// scalar reports whether every parameter is a single broadcast value.
func (b BoxSection) scalar() bool {
	return len(b.Lower) == 1 && len(b.Upper) == 1 && len(b.Weights) <= 1
}

// threshold returns τ with g(τ) = ⟨w, clip(y − τw, l, u)⟩ − c = 0. g is
// piecewise linear and non-increasing, with breakpoints aᵢ = (yᵢ − uᵢ)/wᵢ
// and bᵢ = (yᵢ − lᵢ)/wᵢ. The search keeps a bracket (lo, hi) of the root
// and the set U of coordinates with a breakpoint inside it; the others
// are fixed at a bound or free over the whole bracket and enter g through
// three running sums. Each step evaluates g at a breakpoint of U chosen
// pseudo-randomly, halves the bracket on its side, and drops from U the
// coordinates it settles: O(n) expected time, as in the breakpoint
// searches of Kiwiel (2008). When U is empty, g is affine on the bracket
// and its root is explicit.
func (b BoxSection) threshold(y []float64) float64 {
	if len(b.Lower) == 1 && len(b.Upper) == 1 && len(b.Weights) == 0 {
		return thresholdScalar(y, b.Lower[0], b.Upper[0], b.Value)
	}
	n := len(y)
	c := b.Value
	u := make([]int32, n)
	for i := range u {
		u[i] = int32(i)
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	fixed, freeY, freeW := 0.0, 0.0, 0.0 // Σ w·bound, Σ_free w y, Σ_free w²
	state := uint64(n)*0x9e3779b97f4a7c15 + 1
	for len(u) > 0 {
		// Pivot: a breakpoint of a pseudo-random element of U inside the
		// bracket (each element of U has at least one there).
		state = state*6364136223846793005 + 1442695040888963407
		j := int(u[(state>>33)%uint64(len(u))])
		l, up, w := bound(b.Lower, j, 0), bound(b.Upper, j, 0), b.weight(j)
		p := (y[j] - up) / w
		if !(p > lo && p < hi) || (state>>32)&1 == 1 {
			if q := (y[j] - l) / w; q > lo && q < hi {
				p = q
			}
		}
		g := fixed + freeY - p*freeW - c
		for _, i := range u {
			l, up, w := bound(b.Lower, int(i), 0), bound(b.Upper, int(i), 0), b.weight(int(i))
			g += w * min(max(y[i]-p*w, l), up)
		}
		switch {
		case g == 0:
			return p
		case g > 0:
			lo = p
		default:
			hi = p
		}
		k := 0
		for _, i := range u {
			l, up, w := bound(b.Lower, int(i), 0), bound(b.Upper, int(i), 0), b.weight(int(i))
			a, bb := (y[i]-up)/w, (y[i]-l)/w
			switch {
			case bb <= lo: // at the lower bound on the whole bracket
				fixed += w * l
			case a >= hi: // at the upper bound
				fixed += w * up
			case a <= lo && bb >= hi: // free
				freeY += w * y[i]
				freeW += w * w
			default:
				u[k] = i
				k++
			}
		}
		u = u[:k]
	}
	if freeW > 0 {
		return (fixed + freeY - c) / freeW
	}
	// g is constant (zero) on the bracket.
	if !math.IsInf(lo, 0) {
		return lo
	}
	return hi
}

// refine is kept separate from threshold for clarity: it recomputes τ from
// the free set τ determines.
func (b BoxSection) refine(y []float64, tau float64) float64 {
	c := b.Value
	// Refine τ on the free set it determines, removing the rounding of
	// the iteration: Σ_F wᵢ(yᵢ − τwᵢ) + Σ_{F^c} wᵢ xᵢ = c.
	num, den := -c, 0.0
	for i, v := range y {
		l, u, w := bound(b.Lower, i, 0), bound(b.Upper, i, 0), b.weight(i)
		switch z := v - tau*w; {
		case z <= l:
			num += w * l
		case z >= u:
			num += w * u
		default:
			num += w * v
			den += w * w
		}
	}
	if den > 0 {
		if t := num / den; !math.IsNaN(t) && !math.IsInf(t, 0) {
			tau = t
		}
	}
	return tau
}

// JVP sets dst = ∂P(y) v. dst may alias v.
func (b BoxSection) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if err := b.check(len(v)); err != nil {
		return err
	}
	wv, ww := 0.0, 0.0
	free := func(i int) bool { return x[i] > bound(b.Lower, i, 0) && x[i] < bound(b.Upper, i, 0) }
	for i := range v {
		if free(i) {
			w := b.weight(i)
			wv += w * v[i]
			ww += w * w
		}
	}
	a := 0.0
	if ww > 0 {
		a = wv / ww
	}
	for i := range v {
		if free(i) {
			dst[i] = v[i] - a*b.weight(i)
		} else {
			dst[i] = 0
		}
	}
	return checkOutput(dst)
}

// VJP equals JVP.
func (b BoxSection) VJP(dst, x, y, u []float64) error { return b.JVP(dst, x, y, u) }

// thresholdScalar is threshold for scalar bounds l ≤ u and unit weights
// (the capped simplex), the common case: the candidate values themselves
// are compacted (no index indirection, no division), and the pivot is the
// median of three random breakpoints, which splits the bracket more evenly.
func thresholdScalar(y []float64, l, u, c float64) float64 {
	vals := make([]float64, len(y))
	copy(vals, y)
	lo, hi := math.Inf(-1), math.Inf(1)
	fixed, freeY, nFree := 0.0, 0.0, 0
	state := uint64(len(y))*0x9e3779b97f4a7c15 + 3
	inside := func(v float64) float64 {
		// A breakpoint of v strictly inside (lo, hi): one exists for every
		// value still in vals.
		if p := v - u; p > lo && p < hi {
			if q := v - l; q > lo && q < hi && (math.Float64bits(v)&1) == 1 {
				return q
			}
			return p
		}
		return v - l
	}
	for len(vals) > 0 {
		var cand [3]float64
		for k := range cand {
			state = state*6364136223846793005 + 1442695040888963407
			cand[k] = inside(vals[(state>>33)%uint64(len(vals))])
		}
		p := max(min(cand[0], cand[1]), min(max(cand[0], cand[1]), cand[2]))
		g := fixed + freeY - p*float64(nFree) - c
		for _, v := range vals {
			g += min(max(v-p, l), u)
		}
		switch {
		case g == 0:
			return p
		case g > 0:
			lo = p
		default:
			hi = p
		}
		k := 0
		for _, v := range vals {
			a, bb := v-u, v-l
			switch {
			case bb <= lo:
				fixed += l
			case a >= hi:
				fixed += u
			case a <= lo && bb >= hi:
				freeY += v
				nFree++
			default:
				vals[k] = v
				k++
			}
		}
		vals = vals[:k]
	}
	if nFree > 0 {
		return (fixed + freeY - c) / float64(nFree)
	}
	if !math.IsInf(lo, 0) {
		return lo
	}
	return hi
}
