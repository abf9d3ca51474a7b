package prox

import (
	"errors"
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

// derivatives returns the engine's Solution of the condition at (X, θ),
// built on the first derivative query and kept (its linearization too).
func (r *Result) derivatives() (*implicit.Solution, error) {
	if r == nil || r.c == nil {
		return nil, fmt.Errorf("%w: Result not returned by Minimize", ErrInvalid)
	}
	if r.sol == nil {
		c, x, theta := r.Condition()
		s, err := implicit.NewSolution(c, x, theta, nil)
		if err != nil {
			return nil, engineErr(err)
		}
		r.sol = s
	}
	return r.sol, nil
}

// VJP sets dst (length len(θ)) to the gradient with respect to θ of
// ⟨g, x*(θ)⟩, x* the minimizer X (reverse mode, [implicit.Differentiable]),
// by the implicit engine on the result's condition. It returns ErrDims for
// wrong lengths and ErrNaN for NaN or Inf in g. A Result is not safe for
// concurrent use; it keeps a reference to the problem of the run, which
// must not be modified while its derivatives are in use.
func (r *Result) VJP(dst, g []float64) error {
	s, err := r.derivatives()
	if err != nil {
		return err
	}
	return engineErr(s.VJP(dst, g))
}

// JVP sets dst (length len(X)) to the derivative of the minimizer x*(θ)
// in the direction dθ (forward mode, [implicit.Differentiable]). It
// returns ErrDims for wrong lengths and ErrNaN for NaN or Inf in dθ.
func (r *Result) JVP(dst, dtheta []float64) error {
	s, err := r.derivatives()
	if err != nil {
		return err
	}
	return engineErr(s.JVP(dst, dtheta))
}

// engineErr makes the engine's shape and NaN errors this package's too.
func engineErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, implicit.ErrDims):
		return fmt.Errorf("%w: %w", ErrDims, err)
	case errors.Is(err, implicit.ErrNaN):
		return fmt.Errorf("%w: %w", ErrNaN, err)
	}
	return err
}
