package project

import (
	"cmp"
	"fmt"
	"math"
	"slices"
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
// where τ, the multiplier of the equality, is found exactly by sorting the
// 2n breakpoints of the piecewise-linear, non-increasing map
// τ ↦ ⟨w, clip(y − τw, l, u)⟩ (O(n log n)). With the free set
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
		return fmt.Errorf("%w: box section needs finite Lower and Upper", ErrParam)
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
	for i := range n {
		l, u, w := bound(b.Lower, i, 0), bound(b.Upper, i, 0), b.weight(i)
		if !(w > 0) {
			return fmt.Errorf("%w: weight %v ≤ 0 at %d", ErrParam, w, i)
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

type breakpoint struct {
	t    float64
	i    int
	free bool // true: coordinate i leaves its lower bound as τ decreases past t
}

// Project sets dst = P(y). dst may alias y. It allocates O(n) scratch.
func (b BoxSection) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	n := len(y)
	if err := b.check(n); err != nil {
		return err
	}
	tau := b.threshold(y)
	for i, v := range y {
		dst[i] = min(max(v-tau*b.weight(i), bound(b.Lower, i, 0)), bound(b.Upper, i, 0))
	}
	return nil
}

// threshold returns τ with ⟨w, clip(y − τw, l, u)⟩ = c.
func (b BoxSection) threshold(y []float64) float64 {
	n := len(y)
	bps := make([]breakpoint, 0, 2*n)
	g := 0.0 // ⟨w, clip(y − τw, l, u)⟩ at the current τ, starting at +∞
	for i, v := range y {
		l, u, w := bound(b.Lower, i, 0), bound(b.Upper, i, 0), b.weight(i)
		g += w * l
		bps = append(bps, breakpoint{(v - l) / w, i, true}, breakpoint{(v - u) / w, i, false})
	}
	slices.SortFunc(bps, func(a, c breakpoint) int { return cmp.Compare(c.t, a.t) }) // descending
	c := b.Value
	tau := bps[0].t
	slope := 0.0 // Σ_{free} wᵢ², the rate at which g grows as τ decreases
	for _, bp := range bps {
		next := g + slope*(tau-bp.t)
		if next >= c {
			if slope > 0 {
				tau -= (c - g) / slope
			}
			break
		}
		g, tau = next, bp.t
		w := b.weight(bp.i)
		if bp.free {
			slope += w * w
		} else {
			slope -= w * w
		}
	}
	// Refine τ on the free set it determines, removing the rounding of
	// the running sums: Σ_F wᵢ(yᵢ − τwᵢ) + Σ_{F^c} wᵢ xᵢ = c.
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
	return nil
}

// VJP equals JVP.
func (b BoxSection) VJP(dst, x, y, u []float64) error { return b.JVP(dst, x, y, u) }
