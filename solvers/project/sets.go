package project

import (
	"fmt"
	"math"
)

// NonNegative is the non-negative orthant {x : x ≥ 0}.
//
//	P(y) = max(y, 0),   ∂P(y) = diag(1[yᵢ > 0]).
//
// Kinks: yᵢ = 0, where the derivative 0 is returned.
type NonNegative struct{}

// Project sets dst = max(y, 0). dst may alias y.
func (NonNegative) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	for i, v := range y {
		dst[i] = max(v, 0)
	}
	return nil
}

// JVP sets dst = diag(1[xᵢ > 0]) v. dst may alias v.
func (NonNegative) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	for i := range v {
		if x[i] > 0 {
			dst[i] = v[i]
		} else {
			dst[i] = 0
		}
	}
	return nil
}

// VJP equals JVP (the Jacobian is symmetric).
func (s NonNegative) VJP(dst, x, y, u []float64) error { return s.JVP(dst, x, y, u) }

// Box is {x : Lower ≤ x ≤ Upper}. Lower and Upper have length n or 1 (one
// bound for every coordinate); a nil slice means no bound (−∞ or +∞), and
// infinite entries are allowed. Lower ≤ Upper, Lower < +∞ and Upper > −∞
// are required.
//
//	P(y) = min(max(y, l), u),   ∂P(y) = diag(1[lᵢ < yᵢ < uᵢ]).
//
// Kinks: yᵢ = lᵢ or yᵢ = uᵢ, where the derivative 0 is returned.
type Box struct {
	Lower, Upper []float64
}

func bound(b []float64, i int, inf float64) float64 {
	switch len(b) {
	case 0:
		return inf
	case 1:
		return b[0]
	}
	return b[i]
}

func (b Box) check(n int) error {
	for _, s := range [][]float64{b.Lower, b.Upper} {
		if len(s) > 1 && len(s) != n {
			return fmt.Errorf("%w: box bound of length %d for n = %d", ErrDims, len(s), n)
		}
		for _, v := range s {
			if math.IsNaN(v) {
				return fmt.Errorf("%w: box bound", ErrNaN)
			}
		}
	}
	for i := range max(len(b.Lower), len(b.Upper)) {
		l, u := bound(b.Lower, i, math.Inf(-1)), bound(b.Upper, i, math.Inf(1))
		if l > u || math.IsInf(l, 1) || math.IsInf(u, -1) {
			return fmt.Errorf("%w: bounds [%v, %v] at %d", ErrInfeasible, l, u, i)
		}
	}
	return nil
}

// Project clips y to the box. dst may alias y.
func (b Box) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := b.check(len(y)); err != nil {
		return err
	}
	for i, v := range y {
		dst[i] = min(max(v, bound(b.Lower, i, math.Inf(-1))), bound(b.Upper, i, math.Inf(1)))
	}
	return nil
}

// JVP sets dst = diag(1[lᵢ < xᵢ < uᵢ]) v. dst may alias v.
func (b Box) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if err := b.check(len(v)); err != nil {
		return err
	}
	for i := range v {
		if x[i] > bound(b.Lower, i, math.Inf(-1)) && x[i] < bound(b.Upper, i, math.Inf(1)) {
			dst[i] = v[i]
		} else {
			dst[i] = 0
		}
	}
	return nil
}

// VJP equals JVP.
func (b Box) VJP(dst, x, y, u []float64) error { return b.JVP(dst, x, y, u) }

// LInfBall is {x : ‖x‖_∞ ≤ Radius}, Radius > 0: the box [−r, r]ⁿ.
//
// Kinks: |yᵢ| = r, where the derivative 0 is returned.
type LInfBall struct {
	Radius float64
}

// Project clips y to [−r, r]. dst may alias y.
func (b LInfBall) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := checkRadius("l∞ ball", b.Radius); err != nil {
		return err
	}
	r := b.Radius
	for i, v := range y {
		dst[i] = min(max(v, -r), r)
	}
	return nil
}

// JVP sets dst = diag(1[|xᵢ| < r]) v. dst may alias v.
func (b LInfBall) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if err := checkRadius("l∞ ball", b.Radius); err != nil {
		return err
	}
	for i := range v {
		if math.Abs(x[i]) < b.Radius {
			dst[i] = v[i]
		} else {
			dst[i] = 0
		}
	}
	return nil
}

// VJP equals JVP.
func (b LInfBall) VJP(dst, x, y, u []float64) error { return b.JVP(dst, x, y, u) }

// L2Ball is {x : ‖x‖₂ ≤ Radius}, Radius > 0.
//
//	P(y) = y                 if ‖y‖ ≤ r,
//	P(y) = r y/‖y‖           otherwise,
//	∂P(y) = (r/‖y‖)(I − y yᵀ/‖y‖²) outside the ball, I inside.
//
// Kinks: the sphere ‖y‖ = r, where the inside derivative I is returned.
type L2Ball struct {
	Radius float64
}

// norm2 returns ‖x‖₂ without overflow for large entries.
func norm2(x []float64) float64 {
	scale, ssq := 0.0, 1.0
	for _, v := range x {
		if v == 0 {
			continue
		}
		a := math.Abs(v)
		if scale < a {
			ssq = 1 + ssq*(scale/a)*(scale/a)
			scale = a
		} else {
			ssq += (a / scale) * (a / scale)
		}
	}
	if scale == 0 {
		return 0
	}
	return scale * math.Sqrt(ssq)
}

// Project sets dst = P(y). dst may alias y.
func (b L2Ball) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := checkRadius("l2 ball", b.Radius); err != nil {
		return err
	}
	nrm := norm2(y)
	if nrm <= b.Radius {
		copy(dst, y)
		return nil
	}
	radial(dst, y, b.Radius, nrm)
	return checkOutput(dst)
}

// radial sets dst = r y/‖y‖ (nrm = ‖y‖, y ≠ 0). When ‖y‖ or r/‖y‖ is not
// representable (entries near the float64 limits or subnormal) it
// normalizes y/maxᵢ|yᵢ| first. dst may alias y.
func radial(dst, y []float64, r, nrm float64) {
	c := r / nrm
	if !math.IsInf(nrm, 0) && !math.IsInf(c, 0) && nrm >= 0x1p-1000 {
		for i, v := range y {
			dst[i] = c * v
		}
		return
	}
	scale := maxAbs(y)
	var ss float64
	for _, v := range y {
		u := v / scale
		ss += u * u
	}
	nu := math.Sqrt(ss)
	for i, v := range y {
		dst[i] = r * ((v / scale) / nu)
	}
}

// JVP sets dst = ∂P(y) v. dst may alias v.
func (b L2Ball) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if err := checkRadius("l2 ball", b.Radius); err != nil {
		return err
	}
	nrm := norm2(y)
	if nrm <= b.Radius {
		copy(dst, v)
		return nil
	}
	// With e = y/‖y‖: (r/‖y‖)(v − ⟨e, v⟩ e).
	ev := 0.0
	for i := range v {
		ev += (y[i] / nrm) * v[i]
	}
	s := b.Radius / nrm
	for i := range v {
		dst[i] = s * (v[i] - ev*y[i]/nrm)
	}
	return checkOutput(dst)
}

// VJP equals JVP.
func (b L2Ball) VJP(dst, x, y, u []float64) error { return b.JVP(dst, x, y, u) }

// Hyperplane is {x : ⟨a, x⟩ = b} with a = Normal ≠ 0 and b = Offset.
//
//	P(y) = y − (⟨a, y⟩ − b)/‖a‖² a,   ∂P = I − a aᵀ/‖a‖².
//
// P is affine: no kinks.
type Hyperplane struct {
	Normal []float64
	Offset float64
}

func checkNormal(a []float64, b float64, n int) (float64, error) {
	if len(a) != n {
		return 0, fmt.Errorf("%w: len(Normal) = %d, n = %d", ErrDims, len(a), n)
	}
	if !finite(a) || math.IsNaN(b) || math.IsInf(b, 0) {
		return 0, fmt.Errorf("%w: normal or offset", ErrNaN)
	}
	nrm := norm2(a)
	if nrm == 0 {
		return 0, fmt.Errorf("%w: zero normal vector", ErrInvalid)
	}
	return nrm, nil
}

// removeNormal sets dst = v − (⟨a, v⟩ − b)/‖a‖² a, scaling by ‖a‖ to avoid
// overflow. dst may alias v.
func removeNormal(dst, v, a []float64, b, nrm float64) {
	c := 0.0
	for i := range v {
		c += (a[i] / nrm) * v[i]
	}
	c -= b / nrm
	for i := range v {
		dst[i] = v[i] - c*(a[i]/nrm)
	}
}

// Project sets dst = P(y). dst may alias y.
func (h Hyperplane) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	nrm, err := checkNormal(h.Normal, h.Offset, len(y))
	if err != nil {
		return err
	}
	removeNormal(dst, y, h.Normal, h.Offset, nrm)
	return checkOutput(dst)
}

// JVP sets dst = v − ⟨a, v⟩ a/‖a‖². dst may alias v.
func (h Hyperplane) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	nrm, err := checkNormal(h.Normal, h.Offset, len(v))
	if err != nil {
		return err
	}
	removeNormal(dst, v, h.Normal, 0, nrm)
	return checkOutput(dst)
}

// VJP equals JVP.
func (h Hyperplane) VJP(dst, x, y, u []float64) error { return h.JVP(dst, x, y, u) }

// Halfspace is {x : ⟨a, x⟩ ≤ b} with a = Normal ≠ 0 and b = Offset.
//
//	P(y) = y − max(⟨a, y⟩ − b, 0)/‖a‖² a,
//	∂P(y) = I − a aᵀ/‖a‖² if ⟨a, y⟩ > b, I otherwise.
//
// Kinks: the boundary ⟨a, y⟩ = b, where I is returned.
type Halfspace struct {
	Normal []float64
	Offset float64
}

func (h Halfspace) outside(y []float64, nrm float64) bool {
	c := 0.0
	for i := range y {
		c += (h.Normal[i] / nrm) * y[i]
	}
	return c > h.Offset/nrm
}

// Project sets dst = P(y). dst may alias y.
func (h Halfspace) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	nrm, err := checkNormal(h.Normal, h.Offset, len(y))
	if err != nil {
		return err
	}
	if h.outside(y, nrm) {
		removeNormal(dst, y, h.Normal, h.Offset, nrm)
	} else {
		copy(dst, y)
	}
	return checkOutput(dst)
}

// JVP sets dst = ∂P(y) v. dst may alias v.
func (h Halfspace) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	nrm, err := checkNormal(h.Normal, h.Offset, len(v))
	if err != nil {
		return err
	}
	if h.outside(y, nrm) {
		removeNormal(dst, v, h.Normal, 0, nrm)
	} else {
		copy(dst, v)
	}
	return checkOutput(dst)
}

// VJP equals JVP.
func (h Halfspace) VJP(dst, x, y, u []float64) error { return h.JVP(dst, x, y, u) }
