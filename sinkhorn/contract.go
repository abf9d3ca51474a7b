package sinkhorn

import (
	"fmt"

	"github.com/optlayers/optlayers/implicit"
)

var _ implicit.Differentiable = (*Result)(nil)

// Condition returns the optimality condition of r's problem (see the type
// Condition) with its point z = (f, g) ∈ R^{n+m}, the gauge-fixed
// potentials of Potentials, and θ in the condition's layout: (C row-major,
// a, b) for a cost-matrix problem, (X row-major, Y row-major, a, b) for a
// point-cloud problem, ε fixed; fresh copies. It is the module's contract
// (implicit.Differentiable); ConditionWith gives the typed condition with
// chosen DiffSettings.
func (r *Result) Condition() (implicit.Condition, []float64, []float64) {
	if r == nil || r.p == nil {
		return nil, nil, nil
	}
	c := r.ConditionWith(nil)
	return c, r.Potentials(), c.Theta()
}

// flat checks the arguments of VJP (jvp false: dst of length len(θ), v of
// length n + m) and of JVP (the reverse).
func (r *Result) flat(dst, v []float64, jvp bool) (c *Condition, err error) {
	if r == nil || r.p == nil {
		return nil, fmt.Errorf("%w: nil or empty Result", ErrDims)
	}
	c = r.ConditionWith(nil)
	nz, np := c.Dims()
	nd, nv := np, nz // VJP
	if jvp {
		nd, nv = nz, np
	}
	if len(dst) != nd || len(v) != nv {
		return nil, fmt.Errorf("%w: %d entries from %d, want %d from %d", ErrDims, len(dst), len(v), nd, nv)
	}
	for _, e := range v {
		if !finite(e) {
			if jvp {
				return nil, fmt.Errorf("%w: in the direction", ErrNaN)
			}
			return nil, fmt.Errorf("%w: in the cotangent", ErrNaN)
		}
	}
	return c, nil
}

// VJP sets dst (length len(θ), the layout of Condition) to the gradient
// with respect to θ of ⟨g, (f, g)⟩, for a cotangent g = (gf, gg) of
// length n + m: implicit differentiation with the Schur-complement solve,
// as Backward, which returns the same gradient as a typed Grad.
func (r *Result) VJP(dst, g []float64) (err error) {
	defer recoverPanic(&err, nil)
	c, err := r.flat(dst, g, false)
	if err != nil {
		return err
	}
	dth, err := implicit.VJP(c, r.Potentials(), c.Theta(), g, nil)
	if err != nil {
		return err
	}
	copy(dst, dth)
	return nil
}

// JVP sets dst (length n + m) to the derivative of the potentials (f, g)
// in the direction dθ (the layout of Condition): −(∂ₓF)⁻¹ ∂θF dθ with the
// Schur-complement solve of ∂ₓF. For a balanced problem only
// mass-preserving directions (Σda = Σdb) stay in the problem's domain.
func (r *Result) JVP(dst, dtheta []float64) (err error) {
	defer recoverPanic(&err, nil)
	c, err := r.flat(dst, dtheta, true)
	if err != nil {
		return err
	}
	dz, err := implicit.JVP(c, r.Potentials(), c.Theta(), dtheta, nil)
	if err != nil {
		return err
	}
	copy(dst, dz)
	return nil
}
