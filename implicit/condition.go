package implicit

import (
	"errors"
	"fmt"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Operator is a matrix-free linear map; see [linsolve.Operator].
type Operator = linsolve.Operator

// Factorized is an Operator that can solve with itself; see
// [linsolve.Factorized].
type Factorized = linsolve.Factorized

// Errors returned by the engine. Errors from the linear solvers (for example
// linsolve.ErrNotConverged, linsolve.ErrSingular) are wrapped and also
// match with errors.Is.
var (
	// ErrDims reports vectors or operators whose shapes do not match the
	// condition.
	ErrDims = errors.New("implicit: dimension mismatch")
	// ErrNaN reports NaN or Inf in an input or in a derivative.
	ErrNaN = errors.New("implicit: NaN or Inf encountered")
	// ErrSolve reports a failed linear solve with ∂ₓF (singular or
	// ill-conditioned condition, or an iterative solver that did not
	// converge).
	ErrSolve = errors.New("implicit: linear solve failed")
)

// Condition is an optimality condition F(x, θ) = 0 with x ∈ Rⁿ and θ ∈ Rᵖ.
//
// Residual sets dst (length n) to F(x, θ). Linearize returns ∂F/∂x (n×n)
// and ∂F/∂θ (n×p) at (x, θ) as operators; if ∂F/∂x implements
// [Factorized] the engine uses its Solve and SolveT. Operators returned by
// Linearize may keep references to x and θ and to scratch memory, so they
// are used by one goroutine at a time and only while x and θ are unchanged.
type Condition interface {
	Dims() (n, p int)
	Residual(dst, x, theta []float64)
	Linearize(x, theta []float64) (dx, dtheta Operator, err error)
}

// ConditionFunc is a Condition given by closures. It is the quickest way to
// write a condition with hand derivatives; use [Numerical] for one without.
type ConditionFunc struct {
	N, P          int
	ResidualFunc  func(dst, x, theta []float64)
	LinearizeFunc func(x, theta []float64) (dx, dtheta Operator, err error)
}

// Dims returns (N, P).
func (c *ConditionFunc) Dims() (int, int) { return c.N, c.P }

// Residual calls ResidualFunc.
func (c *ConditionFunc) Residual(dst, x, theta []float64) { c.ResidualFunc(dst, x, theta) }

// Linearize calls LinearizeFunc; without one it returns an error matching
// ErrInvalid (use Numerical for a condition without hand derivatives).
func (c *ConditionFunc) Linearize(x, theta []float64) (Operator, Operator, error) {
	if c == nil || c.LinearizeFunc == nil {
		return nil, nil, fmt.Errorf("%w: ConditionFunc without LinearizeFunc (use Numerical for central differences)", ErrInvalid)
	}
	return c.LinearizeFunc(x, theta)
}
