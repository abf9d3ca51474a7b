package prox

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
)

var _ implicit.Differentiable = (*Result)(nil)

// eta is the step of the result's fixed-point condition: the run's final
// step (any η > 0 gives a condition the minimizer satisfies).
func (r *Result) eta() float64 {
	if r.StepSize > 0 && !math.IsInf(r.StepSize, 0) {
		return r.StepSize
	}
	return 1
}

// Condition returns the proximal-gradient fixed-point condition
// [Condition](c, η) of the minimized problem, η the run's final StepSize,
// with fresh copies of the point X and the parameters θ of the run
// ([implicit.Differentiable]). θ = (λ, θ_f) as [Composite] lays it out:
// [Composite.Split] gives the two views. When the regularizer is
// separable ([Diagonal]), the condition's ∂ₓF is solved on the support
// of the solution only (see [Condition]). A Result not returned by
// [Minimize] gives a nil condition.
func (r *Result) Condition() (c implicit.Condition, x, theta []float64) {
	if r == nil || r.c == nil {
		return nil, nil, nil
	}
	return Condition(r.c, r.eta()), append([]float64(nil), r.X...), append([]float64(nil), r.theta...)
}

func (r *Result) linearization() (*implicit.Linearization, error) {
	if r.lin == nil {
		c, x, theta := r.Condition()
		l, err := implicit.Linearize(c, x, theta, nil)
		if err != nil {
			return nil, err
		}
		r.lin = l
	}
	return r.lin, nil
}

// VJP sets dst (length len(θ)) to the gradient with respect to θ of
// ⟨g, x*(θ)⟩, x* the minimizer X (reverse mode,
// [implicit.Differentiable]), by the implicit engine on the fixed-point
// condition, linearized once and kept. It returns ErrDims for wrong
// lengths and ErrNaN for NaN or Inf in g. The derivatives are those of an
// exact fixed point: X is one up to the run's Tol. A Result is not safe
// for concurrent use.
// The Result keeps a reference to the problem of the run, which must not
// be modified while its derivatives are in use.
func (r *Result) VJP(dst, g []float64) error {
	if r == nil || r.c == nil {
		return fmt.Errorf("%w: Result not returned by Minimize", ErrInvalid)
	}
	if len(dst) != len(r.theta) || len(g) != len(r.X) {
		return fmt.Errorf("%w: VJP with n=%d p=%d, len(g)=%d, len(dst)=%d", ErrDims, len(r.X), len(r.theta), len(g), len(dst))
	}
	if !finite(g) {
		return fmt.Errorf("%w: in g", ErrNaN)
	}
	l, err := r.linearization()
	if err != nil {
		return err
	}
	return l.VJP(dst, g)
}

// JVP sets dst (length n) to the derivative of the minimizer x*(θ) in the
// direction dθ (forward mode, [implicit.Differentiable]). It returns
// ErrDims for wrong lengths and ErrNaN for NaN or Inf in dθ.
func (r *Result) JVP(dst, dtheta []float64) error {
	if r == nil || r.c == nil {
		return fmt.Errorf("%w: Result not returned by Minimize", ErrInvalid)
	}
	if len(dst) != len(r.X) || len(dtheta) != len(r.theta) {
		return fmt.Errorf("%w: JVP with n=%d p=%d, len(dθ)=%d, len(dst)=%d", ErrDims, len(r.X), len(r.theta), len(dtheta), len(dst))
	}
	if !finite(dtheta) {
		return fmt.Errorf("%w: in dθ", ErrNaN)
	}
	l, err := r.linearization()
	if err != nil {
		return err
	}
	return l.JVP(dst, dtheta)
}
