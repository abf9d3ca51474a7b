package prox

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// GroupLasso is g(x; λ) = λ Σ_G w_G ‖x_G‖₂ over disjoint groups of
// coordinates (p = 1). Its prox is block soft thresholding,
//
//	prox(v)_G = (1 − ηλw_G/‖v_G‖)₊ v_G,
//
// with, on an active group (‖v_G‖ > t = ηλw_G),
// ∂prox_G/∂v_G = (1 − t/‖v_G‖) I + t v_G v_Gᵀ/‖v_G‖³ and
// ∂prox_G/∂λ = −ηw_G v_G/‖v_G‖; both are zero on inactive groups.
// Coordinates in no group are not penalized (prox is the identity there).
// Weights has one entry per group; nil means w_G = √|G|.
type GroupLasso struct {
	Groups  [][]int
	Weights []float64
}

// NumParams returns 1.
func (GroupLasso) NumParams(int) int { return 1 }

// Check validates λ, the groups (disjoint, in range) and the weights.
func (g GroupLasso) Check(n int, lambda []float64) error {
	if err := checkLen("GroupLasso", lambda, 1); err != nil {
		return err
	}
	if err := checkNonNeg("GroupLasso", lambda); err != nil {
		return err
	}
	if err := checkWeights("GroupLasso", g.Weights, len(g.Groups)); err != nil {
		return err
	}
	// A bit set of the indices seen, on the stack for n ≤ 1024.
	var buf [16]uint64
	words := (n + 63) / 64
	var seen []uint64
	if words <= len(buf) {
		seen = buf[:words]
	} else {
		seen = make([]uint64, words)
	}
	for k, grp := range g.Groups {
		for _, j := range grp {
			if j < 0 || j >= n {
				return fmt.Errorf("%w: group %d has index %d outside [0, %d)", ErrDims, k, j, n)
			}
			w, b := j/64, uint64(1)<<(j%64)
			if seen[w]&b != 0 {
				return fmt.Errorf("%w: index %d is in two groups", ErrInvalid, j)
			}
			seen[w] |= b
		}
	}
	return nil
}

func (g GroupLasso) weight(k int) float64 {
	if g.Weights == nil {
		return math.Sqrt(float64(len(g.Groups[k])))
	}
	return g.Weights[k]
}

// scaledNorm returns scale and ssq with ‖v_idx‖ = scale·√ssq, 1 ≤ ssq ≤
// len(idx) (scale = 0 for a zero vector): the norm is never formed, so
// huge or tiny entries neither overflow nor underflow. idx nil means all
// of v.
func scaledNorm(v []float64, idx []int) (scale, ssq float64) {
	ssq = 1
	if idx == nil {
		for _, x := range v {
			scale, ssq = addScaled(scale, ssq, x)
		}
		return scale, ssq
	}
	for _, j := range idx {
		scale, ssq = addScaled(scale, ssq, v[j])
	}
	return scale, ssq
}

// addScaled adds x² to the sum of squares scale²·ssq.
func addScaled(scale, ssq, x float64) (float64, float64) {
	a := math.Abs(x)
	if a == 0 {
		return scale, ssq
	}
	if scale < a {
		r := scale / a
		return a, 1 + ssq*r*r
	}
	r := a / scale
	return scale, ssq + r*r
}

// ratio returns t/‖v‖ from the scaled norm, +Inf for a zero norm and a
// positive t, 0 for t = 0.
func ratio(t, scale, ssq float64) float64 {
	if t == 0 {
		return 0
	}
	if scale == 0 {
		return math.Inf(1)
	}
	return (t / scale) / math.Sqrt(ssq)
}

// Value returns λ Σ w_G‖x_G‖ (+Inf if it overflows).
func (g GroupLasso) Value(x, lambda []float64) (float64, error) {
	if err := checkValue(g, "GroupLasso", x, lambda); err != nil {
		return 0, err
	}
	var s float64
	for k, grp := range g.Groups {
		scale, ssq := scaledNorm(x, grp)
		s += mul(mul(g.weight(k), lambda[0]), scale*math.Sqrt(ssq))
	}
	return s, nil
}

// Prox applies block soft thresholding; dst may alias v.
func (g GroupLasso) Prox(dst, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "GroupLasso", dst, v, lambda, eta, false); err != nil {
		return err
	}
	copy(dst, v)
	for k, grp := range g.Groups {
		scale, ssq := scaledNorm(v, grp)
		rho := ratio(mul(eta, mul(lambda[0], g.weight(k))), scale, ssq)
		c := 0.0
		if rho < 1 {
			c = 1 - rho
		}
		for _, j := range grp {
			dst[j] = c * v[j]
		}
	}
	return nil
}

// Jacobian returns the block-diagonal ∂prox/∂v and the column ∂prox/∂λ.
func (g GroupLasso) Jacobian(v, lambda []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "GroupLasso", nil, v, lambda, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	op := &groupJac{n: n, groups: g.Groups, u: make([]float64, n), rho: make([]float64, len(g.Groups))}
	col := make([]float64, n)
	inGroup := make([]bool, n)
	for k, grp := range g.Groups {
		scale, ssq := scaledNorm(v, grp)
		rho := ratio(mul(eta, mul(lambda[0], g.weight(k))), scale, ssq)
		op.rho[k] = rho
		ew := mul(eta, g.weight(k))
		for _, j := range grp {
			inGroup[j] = true
			if rho < 1 && scale > 0 {
				// u = v_G/‖v_G‖, formed from the scaled norm. (With
				// t = 0 and v_G = 0 the group is active with ρ = 0: the
				// Jacobian is the identity there and u is not needed.)
				op.u[j] = (v[j] / scale) / math.Sqrt(ssq)
				col[j] = -mul(ew, math.Abs(op.u[j])) * sign(op.u[j])
			}
		}
	}
	for j, in := range inGroup {
		if !in {
			op.free = append(op.free, j)
		}
	}
	if err := checkJacobian("GroupLasso", col); err != nil {
		return nil, nil, err
	}
	return op, columnOp{col}, nil
}

// groupJac is the block-diagonal Jacobian of block soft thresholding:
// on an active group (ρ_G = t/‖v_G‖ < 1) (1 − ρ_G) I + ρ_G u_G u_Gᵀ with
// u_G = v_G/‖v_G‖, zero on inactive groups, the identity off all groups.
type groupJac struct {
	n      int
	groups [][]int
	free   []int
	u      []float64
	rho    []float64
}

func (o *groupJac) Dims() (int, int) { return o.n, o.n }

func (o *groupJac) Apply(dst, z []float64) {
	for _, j := range o.free {
		dst[j] = z[j]
	}
	for k, grp := range o.groups {
		c := o.rho[k]
		if !(c < 1) {
			for _, j := range grp {
				dst[j] = 0
			}
			continue
		}
		var uz float64
		for _, j := range grp {
			uz += o.u[j] * z[j]
		}
		for _, j := range grp {
			dst[j] = (1-c)*z[j] + c*uz*o.u[j]
		}
	}
}

func (o *groupJac) ApplyT(dst, u []float64) { o.Apply(dst, u) }

// Box is the indicator of the box l ≤ x ≤ u, with θ = (l₁…lₙ, u₁…uₙ)
// (p = 2n), or θ = (l, u) shared by all coordinates when Scalar is set
// (p = 2). Its prox is the projection clip(v, l, u), with ∂/∂vⱼ = 1 where
// lⱼ < vⱼ < uⱼ, ∂/∂lⱼ = 1 where vⱼ ≤ lⱼ, ∂/∂uⱼ = 1 where vⱼ ≥ uⱼ, and
// zero elsewhere. The bounds must be finite.
type Box struct {
	Scalar bool
}

// NumParams returns 2 or 2n.
func (b Box) NumParams(n int) int {
	if b.Scalar {
		return 2
	}
	return 2 * n
}

func (b Box) bounds(theta []float64, j, n int) (float64, float64) {
	if b.Scalar {
		return theta[0], theta[1]
	}
	return theta[j], theta[n+j]
}

// Check validates the bounds (finite, l ≤ u).
func (b Box) Check(n int, theta []float64) error {
	if err := checkLen("Box", theta, b.NumParams(n)); err != nil {
		return err
	}
	m := n
	if b.Scalar {
		m = 1
	}
	for j := range m {
		lo, hi := b.bounds(theta, j, n)
		if lo > hi {
			return fmt.Errorf("%w: Box lower bound %v above upper bound %v at %d", ErrInvalid, lo, hi, j)
		}
	}
	return nil
}

// Value returns 0 inside the box and +Inf outside.
func (b Box) Value(x, theta []float64) (float64, error) {
	if err := checkValue(b, "Box", x, theta); err != nil {
		return 0, err
	}
	n := len(x)
	for j, v := range x {
		lo, hi := b.bounds(theta, j, n)
		if v < lo || v > hi {
			return math.Inf(1), nil
		}
	}
	return 0, nil
}

// Prox clips v to the box; dst may alias v.
func (b Box) Prox(dst, v, theta []float64, eta float64) error {
	if err := checkProx(b, "Box", dst, v, theta, eta, false); err != nil {
		return err
	}
	n := len(v)
	for j, vj := range v {
		lo, hi := b.bounds(theta, j, n)
		dst[j] = math.Min(math.Max(vj, lo), hi)
	}
	return nil
}

// DiagJacobian sets d to the indicator of the interior.
func (b Box) DiagJacobian(d, v, theta []float64, eta float64) error {
	if err := checkProx(b, "Box", d, v, theta, eta, false); err != nil {
		return err
	}
	b.diag(d, v, theta)
	return nil
}

func (b Box) diag(d, v, theta []float64) {
	n := len(v)
	for j, vj := range v {
		lo, hi := b.bounds(theta, j, n)
		if vj > lo && vj < hi {
			d[j] = 1
		} else {
			d[j] = 0
		}
	}
}

// Jacobian returns the interior indicator and ∂clip/∂(l, u).
func (b Box) Jacobian(v, theta []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(b, "Box", nil, v, theta, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	d := make([]float64, n)
	b.diag(d, v, theta)
	lo := make([]float64, n)
	hi := make([]float64, n)
	for j, vj := range v {
		l, u := b.bounds(theta, j, n)
		if vj <= l {
			lo[j] = 1
		} else if vj >= u {
			hi[j] = 1
		}
	}
	if b.Scalar {
		return linsolve.Diagonal(d), columnsOp{n: n, cols: [][]float64{lo, hi}}, nil
	}
	return linsolve.Diagonal(d), boxParamOp{lo: lo, hi: hi}, nil
}

// boxParamOp is [diag(lo) diag(hi)], n×2n.
type boxParamOp struct{ lo, hi []float64 }

func (o boxParamOp) Dims() (int, int) { return len(o.lo), 2 * len(o.lo) }
func (o boxParamOp) Apply(dst, z []float64) {
	n := len(o.lo)
	for j := range n {
		dst[j] = o.lo[j]*z[j] + o.hi[j]*z[n+j]
	}
}
func (o boxParamOp) ApplyT(dst, u []float64) {
	n := len(o.lo)
	for j := range n {
		dst[j] = o.lo[j] * u[j]
		dst[n+j] = o.hi[j] * u[j]
	}
}

// NonNegative is the indicator of the orthant x ≥ 0 (p = 0): prox is
// max(v, 0), with ∂/∂vⱼ = 1 where vⱼ > 0 and 0 elsewhere.
type NonNegative struct{}

// NumParams returns 0.
func (NonNegative) NumParams(int) int { return 0 }

// Check accepts an empty θ.
func (NonNegative) Check(_ int, theta []float64) error { return checkLen("NonNegative", theta, 0) }

// Value returns 0 if x ≥ 0 and +Inf otherwise.
func (g NonNegative) Value(x, theta []float64) (float64, error) {
	if err := checkValue(g, "NonNegative", x, theta); err != nil {
		return 0, err
	}
	for _, v := range x {
		if v < 0 {
			return math.Inf(1), nil
		}
	}
	return 0, nil
}

// Prox sets dst = max(v, 0); dst may alias v.
func (g NonNegative) Prox(dst, v, theta []float64, eta float64) error {
	if err := checkProx(g, "NonNegative", dst, v, theta, eta, false); err != nil {
		return err
	}
	for j, vj := range v {
		dst[j] = math.Max(vj, 0)
	}
	return nil
}

// DiagJacobian sets d to the indicator of v > 0.
func (g NonNegative) DiagJacobian(d, v, theta []float64, eta float64) error {
	if err := checkProx(g, "NonNegative", d, v, theta, eta, false); err != nil {
		return err
	}
	positive(d, v)
	return nil
}

func positive(d, v []float64) {
	for j, vj := range v {
		if vj > 0 {
			d[j] = 1
		} else {
			d[j] = 0
		}
	}
}

// Jacobian returns the indicator of v > 0 and an n×0 operator.
func (g NonNegative) Jacobian(v, theta []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "NonNegative", nil, v, theta, eta, true); err != nil {
		return nil, nil, err
	}
	d := make([]float64, len(v))
	positive(d, v)
	return linsolve.Diagonal(d), linsolve.Zero{Rows: len(v), Cols: 0}, nil
}

// L2Ball is the indicator of the ball ‖x‖₂ ≤ r, θ = (r) (p = 1). Its prox
// is v·min(1, r/‖v‖); outside the ball (‖v‖ ≥ r)
// ∂/∂v = (r/‖v‖)(I − v vᵀ/‖v‖²) and ∂/∂r = v/‖v‖, inside ∂/∂v = I and
// ∂/∂r = 0.
type L2Ball struct{}

// NumParams returns 1.
func (L2Ball) NumParams(int) int { return 1 }

// Check validates r ≥ 0.
func (L2Ball) Check(_ int, theta []float64) error {
	if err := checkLen("L2Ball", theta, 1); err != nil {
		return err
	}
	return checkNonNeg("L2Ball", theta)
}

// Value returns 0 inside the ball (up to a relative 1e-12 for rounding)
// and +Inf outside.
func (g L2Ball) Value(x, theta []float64) (float64, error) {
	if err := checkValue(g, "L2Ball", x, theta); err != nil {
		return 0, err
	}
	scale, ssq := scaledNorm(x, nil)
	if scale == 0 || ratio(theta[0]*(1+1e-12), scale, ssq) >= 1 {
		return 0, nil
	}
	return math.Inf(1), nil
}

// Prox projects v onto the ball; dst may alias v.
func (g L2Ball) Prox(dst, v, theta []float64, eta float64) error {
	if err := checkProx(g, "L2Ball", dst, v, theta, eta, false); err != nil {
		return err
	}
	scale, ssq := scaledNorm(v, nil)
	if scale == 0 {
		copy(dst, v)
		return nil
	}
	rho := ratio(theta[0], scale, ssq) // r/‖v‖
	if rho >= 1 {
		copy(dst, v)
		return nil
	}
	// r·vⱼ/‖v‖ = r·(vⱼ/scale)/√ssq: no overflow for huge v.
	s := math.Sqrt(ssq)
	for j, vj := range v {
		dst[j] = theta[0] * ((vj / scale) / s)
	}
	return nil
}

// Jacobian returns ∂proj/∂v and ∂proj/∂r.
func (g L2Ball) Jacobian(v, theta []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "L2Ball", nil, v, theta, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	scale, ssq := scaledNorm(v, nil)
	rho := ratio(theta[0], scale, ssq)
	if scale == 0 || rho > 1 {
		return linsolve.Identity(n), columnOp{make([]float64, n)}, nil
	}
	// With the unit vector u = v/‖v‖ (formed from the scaled norm, so
	// that tiny or huge ‖v‖ neither underflows nor overflows):
	// ∂/∂v = (r/‖v‖)(I − uuᵀ).
	u := make([]float64, n)
	s := math.Sqrt(ssq)
	for j := range u {
		u[j] = (v[j] / scale) / s
	}
	c := rho
	apply := func(dst, z []float64) {
		a := dot(u, z)
		for j := range dst {
			dst[j] = c * (z[j] - a*u[j])
		}
	}
	return linsolve.NewFunc(n, n, apply, apply), columnOp{u}, nil
}
