package implicit

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/guard"
)

// SolverFunc solves a parametric problem: it returns x*(θ) satisfying the
// problem's condition. init, when non-nil, is a warm start (a previous
// solution); the function must not modify θ or init.
type SolverFunc func(ctx context.Context, theta, init []float64) ([]float64, error)

// Problem ties a solver to the optimality condition its solutions satisfy,
// so that a solver written once yields its solution and the solution's
// derivatives. It is the analogue of JAXopt's custom_root decorator, with
// forward mode and factorization reuse.
type Problem struct {
	// Solver computes x*(θ).
	Solver SolverFunc
	// Condition is satisfied by the solver's output.
	Condition Condition
	// Settings are used for every derivative of this problem's solutions.
	Settings *Settings
	// Tol, when positive, makes Solve check ‖F(x*, θ)‖∞ ≤ Tol and return
	// ErrResidual otherwise, catching a solver and condition that disagree.
	Tol float64
}

// ErrResidual reports a solver output that does not satisfy its condition.
var ErrResidual = fmt.Errorf("implicit: solution does not satisfy its condition")

// Solve runs the solver at θ and returns the solution, whose methods give
// its derivatives. The linearization is computed once, on the first
// derivative query, and reused by the later ones. It returns ErrInvalid
// for a nil pb, Solver or Condition, and ErrCallback when the Solver (or
// the Condition) panics.
func (pb *Problem) Solve(ctx context.Context, theta, init []float64) (sol *Solution, err error) {
	if pb == nil || pb.Solver == nil {
		return nil, fmt.Errorf("%w: Problem without a Solver", ErrInvalid)
	}
	if err := checkCondition(pb.Condition, pb.Tol > 0); err != nil {
		return nil, err
	}
	if err := pb.Settings.validate(); err != nil {
		return nil, err
	}
	if math.IsNaN(pb.Tol) || pb.Tol < 0 {
		return nil, fmt.Errorf("%w: Tol = %v (want ≥ 0; 0 skips the residual check)", ErrInvalid, pb.Tol)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	defer guard.Recover(&err, ErrCallback)
	n, p := pb.Condition.Dims()
	if len(theta) != p {
		return nil, fmt.Errorf("%w: θ has length %d, want %d", ErrDims, len(theta), p)
	}
	if init != nil && len(init) != n {
		return nil, fmt.Errorf("%w: init has length %d, want %d", ErrDims, len(init), n)
	}
	x, err := pb.Solver(ctx, theta, init)
	if err != nil {
		return nil, err
	}
	if len(x) != n {
		return nil, fmt.Errorf("%w: solver returned %d values, want %d", ErrDims, len(x), n)
	}
	if !finite(x) {
		return nil, fmt.Errorf("%w: solver returned NaN or Inf", ErrNaN)
	}
	sol = &Solution{X: x, Theta: append([]float64(nil), theta...), pb: pb}
	if pb.Tol > 0 {
		r := make([]float64, n)
		pb.Condition.Residual(r, x, sol.Theta)
		if res := maxAbs(r); !(res <= pb.Tol) {
			return sol, fmt.Errorf("%w: ‖F‖∞ = %.3g > %.3g", ErrResidual, res, pb.Tol)
		}
	}
	return sol, nil
}

// Solution is a solver's output x*(θ) together with what is needed to
// differentiate it. It is not safe for concurrent use.
type Solution struct {
	X     []float64
	Theta []float64
	pb    *Problem
	lin   *Linearization
}

// Linearization returns the (cached) linearization at (x*, θ).
func (s *Solution) Linearization() (*Linearization, error) {
	if s == nil || s.pb == nil {
		return nil, fmt.Errorf("%w: Solution not returned by Problem.Solve or NewSolution", ErrInvalid)
	}
	if s.lin == nil {
		l, err := Linearize(s.pb.Condition, s.X, s.Theta, s.pb.Settings)
		if err != nil {
			return nil, err
		}
		s.lin = l
	}
	return s.lin, nil
}

var _ ContextDifferentiable = (*Solution)(nil)

// Condition returns the problem's condition with fresh copies of the
// point x* and the parameters θ at which it holds ([Differentiable]); θ
// is laid out as the problem's Solver and Condition take it.
func (s *Solution) Condition() (c Condition, z, theta []float64) {
	if s == nil {
		return nil, nil, nil
	}
	if s.pb != nil {
		c = s.pb.Condition
	}
	return c, append([]float64(nil), s.X...), append([]float64(nil), s.Theta...)
}

// VJP sets dst (length len(θ)) to the gradient with respect to θ of
// ⟨g, x*(θ)⟩ ([Differentiable]). It returns an error matching ErrDims for
// wrong lengths and ErrNaN for NaN or Inf in g. It is VJPContext with a
// context that is never done.
func (s *Solution) VJP(dst, g []float64) error {
	return s.VJPContext(context.Background(), dst, g)
}

// VJPContext is VJP that stops within one iteration of the engine's
// linear solve when ctx is done, with an error matching ctx.Err()
// ([ContextDifferentiable]).
func (s *Solution) VJPContext(ctx context.Context, dst, g []float64) error {
	if s == nil || s.pb == nil {
		return fmt.Errorf("%w: Solution not returned by Problem.Solve or NewSolution", ErrInvalid)
	}
	if len(dst) != len(s.Theta) || len(g) != len(s.X) {
		return fmt.Errorf("%w: VJP with len(g)=%d, len(dst)=%d, want %d and %d", ErrDims, len(g), len(dst), len(s.X), len(s.Theta))
	}
	if !finite(g) {
		return fmt.Errorf("%w: in g", ErrNaN)
	}
	l, err := s.Linearization()
	if err != nil {
		return err
	}
	return l.VJPContext(ctx, dst, g)
}

// JVP sets dst (length len(x*)) to the derivative of x*(θ) in the
// direction dθ ([Differentiable]). It returns an error matching ErrDims
// for wrong lengths and ErrNaN for NaN or Inf in dθ. It is JVPContext
// with a context that is never done.
func (s *Solution) JVP(dst, dtheta []float64) error {
	return s.JVPContext(context.Background(), dst, dtheta)
}

// JVPContext is JVP that stops as VJPContext does.
func (s *Solution) JVPContext(ctx context.Context, dst, dtheta []float64) error {
	if s == nil || s.pb == nil {
		return fmt.Errorf("%w: Solution not returned by Problem.Solve or NewSolution", ErrInvalid)
	}
	if len(dst) != len(s.X) || len(dtheta) != len(s.Theta) {
		return fmt.Errorf("%w: JVP with len(dθ)=%d, len(dst)=%d, want %d and %d", ErrDims, len(dtheta), len(dst), len(s.Theta), len(s.X))
	}
	if !finite(dtheta) {
		return fmt.Errorf("%w: in dθ", ErrNaN)
	}
	l, err := s.Linearization()
	if err != nil {
		return err
	}
	return l.JVPContext(ctx, dst, dtheta)
}

// NewSolution returns the Solution x* of the condition c at θ for a
// solver that computed x* itself: its derivatives are the engine's on c
// (with settings s, nil for the defaults), linearized on the first query
// and kept. x and θ are copied. It is how a package gives a result the
// contract's VJP and JVP when it has no faster path than the engine.
func NewSolution(c Condition, x, theta []float64, s *Settings) (*Solution, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil condition", ErrInvalid)
	}
	n, p := c.Dims()
	if len(x) != n || len(theta) != p {
		return nil, fmt.Errorf("%w: x has %d and θ %d entries, the condition is %d×%d", ErrDims, len(x), len(theta), n, p)
	}
	if !finite(x) || !finite(theta) {
		return nil, fmt.Errorf("%w: in x or θ", ErrNaN)
	}
	return &Solution{X: append([]float64(nil), x...), Theta: append([]float64(nil), theta...),
		pb: &Problem{Condition: c, Settings: s}}, nil
}

// Jacobian returns ∂x*/∂θ as a dense matrix. It is JacobianContext with
// a context that is never done.
func (s *Solution) Jacobian() (*mat.Dense, error) {
	return s.JacobianContext(context.Background())
}

// JacobianContext is Jacobian that stops as VJPContext does.
func (s *Solution) JacobianContext(ctx context.Context) (*mat.Dense, error) {
	l, err := s.Linearization()
	if err != nil {
		return nil, err
	}
	return l.JacobianContext(ctx)
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		if v != v {
			return v
		}
		if v < 0 {
			v = -v
		}
		m = max(m, v)
	}
	return m
}
