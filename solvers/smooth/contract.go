package smooth

import (
	"fmt"

	"github.com/optlayers/optlayers/implicit"
)

var _ implicit.Differentiable = (*Result)(nil)

// Condition returns the stationarity condition ∇ₓf(x, θ) = 0 of the
// minimized problem ([Condition]) with fresh copies of the point X and
// the parameters θ of the run ([implicit.Differentiable]); θ is the
// problem's own parameter vector (length P, laid out as the model that
// built the problem documents, for example [L2] for [Ridge]). A Result
// not returned by [Minimize] gives a nil condition.
//
// VJP and JVP are the implicit engine's on this condition, with the
// engine's default Settings (there is no faster path: the derivatives of
// a minimizer are −(∇²ₓₓf)⁻¹ ∂θ∇ₓf); for other engine settings
// (implicit.CG for a large matrix-free Hessian) use [ImplicitProblem] or
// implicit.Linearize on the returned condition.
func (r *Result) Condition() (c implicit.Condition, x, theta []float64) {
	if r == nil || r.pb == nil {
		return nil, nil, nil
	}
	return Condition(r.pb), append([]float64(nil), r.X...), append([]float64(nil), r.theta...)
}

// linearization returns the engine's linearization of the condition at
// (X, θ), computed on the first derivative query and kept: ∂ₓF = ∇²ₓₓf
// (a Cholesky factorization when the problem has a dense Hessian) and
// ∂θF = ∂θ∇ₓf. There is no faster path than the engine's: the
// derivatives of a minimizer are −(∇²ₓₓf)⁻¹ ∂θ∇ₓf.
func (r *Result) linearization() (*implicit.Linearization, error) {
	if r == nil || r.pb == nil {
		return nil, fmt.Errorf("%w: Result not returned by Minimize", ErrInvalid)
	}
	if r.lin == nil {
		l, err := implicit.Linearize(Condition(r.pb), r.X, r.theta, nil)
		if err != nil {
			return nil, err
		}
		r.lin = l
	}
	return r.lin, nil
}

// VJP sets dst (length P) to the gradient with respect to θ of
// ⟨g, x*(θ)⟩, x* the minimizer X (reverse mode, [implicit.Differentiable]).
// It returns ErrDims for wrong lengths and ErrNaN for NaN or Inf in g.
// The derivatives are those of an exact stationary point: X is one up to
// the run's GradTol. A Result is not safe for concurrent use.
// The Result keeps a reference to the problem of the run, which must not
// be modified while its derivatives are in use.
func (r *Result) VJP(dst, g []float64) error {
	if r == nil || r.pb == nil {
		return fmt.Errorf("%w: Result not returned by Minimize", ErrInvalid)
	}
	if len(dst) != len(r.theta) || len(g) != len(r.X) {
		return fmt.Errorf("%w: VJP with N=%d P=%d, len(g)=%d, len(dst)=%d", ErrDims, len(r.X), len(r.theta), len(g), len(dst))
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

// JVP sets dst (length N) to the derivative of the minimizer x*(θ) in the
// direction dθ (forward mode, [implicit.Differentiable]). It returns
// ErrDims for wrong lengths and ErrNaN for NaN or Inf in dθ.
func (r *Result) JVP(dst, dtheta []float64) error {
	if r == nil || r.pb == nil {
		return fmt.Errorf("%w: Result not returned by Minimize", ErrInvalid)
	}
	if len(dst) != len(r.X) || len(dtheta) != len(r.theta) {
		return fmt.Errorf("%w: JVP with N=%d P=%d, len(dθ)=%d, len(dst)=%d", ErrDims, len(r.X), len(r.theta), len(dtheta), len(dst))
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
