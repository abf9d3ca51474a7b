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
	seen := make([]bool, n)
	for k, grp := range g.Groups {
		for _, j := range grp {
			if j < 0 || j >= n {
				return fmt.Errorf("%w: group %d has index %d outside [0, %d)", ErrDims, k, j, n)
			}
			if seen[j] {
				return fmt.Errorf("%w: index %d is in two groups", ErrParam, j)
			}
			seen[j] = true
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

func groupNorm(v []float64, grp []int) float64 {
	// Scaled sum of squares: no overflow or underflow for extreme entries.
	var scale, ssq float64 = 0, 1
	for _, j := range grp {
		a := math.Abs(v[j])
		if a == 0 {
			continue
		}
		if scale < a {
			ssq = 1 + ssq*(scale/a)*(scale/a)
			scale = a
		} else {
			ssq += (a / scale) * (a / scale)
		}
	}
	return scale * math.Sqrt(ssq)
}

// Value returns λ Σ w_G‖x_G‖.
func (g GroupLasso) Value(x, lambda []float64) float64 {
	var s float64
	for k, grp := range g.Groups {
		s += g.weight(k) * groupNorm(x, grp)
	}
	return lambda[0] * s
}

// Prox applies block soft thresholding; dst may alias v.
func (g GroupLasso) Prox(dst, v, lambda []float64, eta float64) {
	copy(dst, v)
	for k, grp := range g.Groups {
		nv := groupNorm(v, grp)
		t := eta * lambda[0] * g.weight(k)
		c := 0.0
		if nv > t {
			c = 1 - t/nv
		}
		for _, j := range grp {
			dst[j] = c * v[j]
		}
	}
}

// Jacobian returns the block-diagonal ∂prox/∂v and the column ∂prox/∂λ.
func (g GroupLasso) Jacobian(v, lambda []float64, eta float64) (linsolve.Operator, linsolve.Operator) {
	n := len(v)
	op := &groupJac{n: n, groups: g.Groups, v: append([]float64(nil), v...)}
	op.norm = make([]float64, len(g.Groups))
	op.t = make([]float64, len(g.Groups))
	col := make([]float64, n)
	inGroup := make([]bool, n)
	for k, grp := range g.Groups {
		nv := groupNorm(v, grp)
		t := eta * lambda[0] * g.weight(k)
		op.norm[k], op.t[k] = nv, t
		for _, j := range grp {
			inGroup[j] = true
			if nv > t {
				col[j] = -eta * g.weight(k) * v[j] / nv
			}
		}
	}
	for j, in := range inGroup {
		if !in {
			op.free = append(op.free, j)
		}
	}
	return op, columnOp{col}
}

type groupJac struct {
	n       int
	groups  [][]int
	free    []int
	v       []float64
	norm, t []float64
}

func (o *groupJac) Dims() (int, int) { return o.n, o.n }

func (o *groupJac) Apply(dst, z []float64) {
	for _, j := range o.free {
		dst[j] = z[j]
	}
	for k, grp := range o.groups {
		nv, t := o.norm[k], o.t[k]
		if !(nv > t) {
			for _, j := range grp {
				dst[j] = 0
			}
			continue
		}
		// With u = v_G/‖v_G‖: (1 − t/‖v_G‖) z + (t/‖v_G‖)(uᵀz) u, written
		// so that tiny or huge ‖v_G‖ neither underflows nor overflows.
		var uz float64
		for _, j := range grp {
			uz += o.v[j] / nv * z[j]
		}
		c := t / nv
		for _, j := range grp {
			dst[j] = (1-c)*z[j] + c*uz*(o.v[j]/nv)
		}
	}
}

func (o *groupJac) ApplyT(dst, u []float64) { o.Apply(dst, u) }

// Box is the indicator of the box l ≤ x ≤ u, with θ = (l₁…lₙ, u₁…uₙ)
// (p = 2n), or θ = (l, u) shared by all coordinates when Scalar is set
// (p = 2). Its prox is the projection clip(v, l, u), with ∂/∂vⱼ = 1 where
// lⱼ < vⱼ < uⱼ, ∂/∂lⱼ = 1 where vⱼ ≤ lⱼ, ∂/∂uⱼ = 1 where vⱼ ≥ uⱼ, and
// zero elsewhere.
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

// Check validates the bounds (l ≤ u).
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
			return fmt.Errorf("%w: Box lower bound %v above upper bound %v at %d", ErrParam, lo, hi, j)
		}
	}
	return nil
}

// Value returns 0 inside the box and +Inf outside.
func (b Box) Value(x, theta []float64) float64 {
	n := len(x)
	for j, v := range x {
		lo, hi := b.bounds(theta, j, n)
		if v < lo || v > hi {
			return math.Inf(1)
		}
	}
	return 0
}

// Prox clips v to the box; dst may alias v.
func (b Box) Prox(dst, v, theta []float64, _ float64) {
	n := len(v)
	for j, vj := range v {
		lo, hi := b.bounds(theta, j, n)
		dst[j] = math.Min(math.Max(vj, lo), hi)
	}
}

// DiagJacobian sets d to the indicator of the interior.
func (b Box) DiagJacobian(d, v, theta []float64, _ float64) {
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
func (b Box) Jacobian(v, theta []float64, eta float64) (linsolve.Operator, linsolve.Operator) {
	n := len(v)
	d := make([]float64, n)
	b.DiagJacobian(d, v, theta, eta)
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
		return linsolve.Diagonal(d), columnsOp{n: n, cols: [][]float64{lo, hi}}
	}
	return linsolve.Diagonal(d), boxParamOp{lo: lo, hi: hi}
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
func (NonNegative) Value(x, _ []float64) float64 {
	for _, v := range x {
		if v < 0 {
			return math.Inf(1)
		}
	}
	return 0
}

// Prox sets dst = max(v, 0); dst may alias v.
func (NonNegative) Prox(dst, v, _ []float64, _ float64) {
	for j, vj := range v {
		dst[j] = math.Max(vj, 0)
	}
}

// DiagJacobian sets d to the indicator of v > 0.
func (NonNegative) DiagJacobian(d, v, _ []float64, _ float64) {
	for j, vj := range v {
		if vj > 0 {
			d[j] = 1
		} else {
			d[j] = 0
		}
	}
}

// Jacobian returns the indicator of v > 0 and an n×0 operator.
func (g NonNegative) Jacobian(v, theta []float64, eta float64) (linsolve.Operator, linsolve.Operator) {
	d := make([]float64, len(v))
	g.DiagJacobian(d, v, theta, eta)
	return linsolve.Diagonal(d), linsolve.Zero{Rows: len(v), Cols: 0}
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
func (L2Ball) Value(x, theta []float64) float64 {
	if norm2(x) > theta[0]*(1+1e-12) {
		return math.Inf(1)
	}
	return 0
}

// Prox projects v onto the ball; dst may alias v.
func (L2Ball) Prox(dst, v, theta []float64, _ float64) {
	nv := norm2(v)
	c := 1.0
	if nv > theta[0] {
		c = theta[0] / nv
	}
	for j, vj := range v {
		dst[j] = c * vj
	}
}

// Jacobian returns ∂proj/∂v and ∂proj/∂r.
func (L2Ball) Jacobian(v, theta []float64, _ float64) (linsolve.Operator, linsolve.Operator) {
	n := len(v)
	nv := norm2(v)
	r := theta[0]
	if nv < r || nv == 0 {
		return linsolve.Identity(n), columnOp{make([]float64, n)}
	}
	// With the unit vector u = v/‖v‖ (formed first, so that tiny or huge
	// ‖v‖ neither underflows nor overflows): ∂/∂v = (r/‖v‖)(I − uuᵀ).
	u := make([]float64, n)
	for j := range u {
		u[j] = v[j] / nv
	}
	c := r / nv
	apply := func(dst, z []float64) {
		a := dot(u, z)
		for j := range dst {
			dst[j] = c * (z[j] - a*u[j])
		}
	}
	return linsolve.NewFunc(n, n, apply, apply), columnOp{u}
}

func norm2(x []float64) float64 {
	// Scaled to avoid overflow for huge entries.
	var scale, ssq float64 = 0, 1
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
	return scale * math.Sqrt(ssq)
}
