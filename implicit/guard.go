package implicit

import (
	"errors"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Errors for bad arguments and failing user code.
var (
	// ErrInvalid reports an invalid argument or setting: a nil condition,
	// map or solver, a ConditionFunc or MapFunc missing a closure, a
	// Linearize returning a nil operator, an unknown Method, a negative or
	// NaN tolerance, a negative iteration count.
	ErrInvalid = errors.New("implicit: invalid argument")
	// ErrCallback reports a panic in user code called by the engine (a
	// condition's or map's closures, a Numerical residual, an operator's
	// products, a Problem's Solver). The error also wraps a value
	// describing the panic (its message names the recovered value; when
	// that value is an error, errors.Is and errors.As see it).
	ErrCallback = errors.New("implicit: panic in a user callback")
)

// checkCondition reports a nil condition or one built without the
// closures the engine calls. residual tells whether Residual is needed.
func checkCondition(c Condition, residual bool) error {
	switch c := c.(type) {
	case nil:
		return fmt.Errorf("%w: nil Condition", ErrInvalid)
	case *ConditionFunc:
		if c == nil {
			return fmt.Errorf("%w: nil *ConditionFunc", ErrInvalid)
		}
		if c.LinearizeFunc == nil {
			return fmt.Errorf("%w: ConditionFunc without LinearizeFunc (use Numerical for finite differences)", ErrInvalid)
		}
		if residual && c.ResidualFunc == nil {
			return fmt.Errorf("%w: ConditionFunc without ResidualFunc", ErrInvalid)
		}
	case *numerical:
		if c.f == nil {
			return fmt.Errorf("%w: Numerical with a nil residual", ErrInvalid)
		}
	case fixedPoint:
		switch t := c.t.(type) {
		case nil:
			return fmt.Errorf("%w: FixedPoint of a nil Map", ErrInvalid)
		case *MapFunc:
			if t == nil {
				return fmt.Errorf("%w: FixedPoint of a nil *MapFunc", ErrInvalid)
			}
			if t.LinearizeFunc == nil {
				return fmt.Errorf("%w: MapFunc without LinearizeFunc", ErrInvalid)
			}
			if residual && t.MapF == nil {
				return fmt.Errorf("%w: MapFunc without MapF", ErrInvalid)
			}
		}
	}
	return nil
}

// validate reports invalid settings.
func (s *Settings) validate() error {
	if s == nil {
		return nil
	}
	switch {
	case s.Method < Auto || s.Method > Neumann:
		// Also ErrSolve, which an unknown method reported before.
		return fmt.Errorf("%w: %w: unknown Method %v", ErrInvalid, ErrSolve, s.Method)
	case s.Tol < 0 || math.IsNaN(s.Tol) || math.IsInf(s.Tol, 0):
		return fmt.Errorf("%w: Tol = %v (want finite and ≥ 0; 0 means the default)", ErrInvalid, s.Tol)
	case math.IsNaN(s.Ridge) || math.IsInf(s.Ridge, 0):
		return fmt.Errorf("%w: Ridge = %v", ErrInvalid, s.Ridge)
	case s.MaxIter < 0:
		return fmt.Errorf("%w: MaxIter = %d", ErrInvalid, s.MaxIter)
	case s.Restart < 0:
		return fmt.Errorf("%w: Restart = %d", ErrInvalid, s.Restart)
	case s.NeumannTerms < 0:
		return fmt.Errorf("%w: NeumannTerms = %d", ErrInvalid, s.NeumannTerms)
	case math.IsNaN(s.NeumannStep) || math.IsInf(s.NeumannStep, 0):
		return fmt.Errorf("%w: NeumannStep = %v", ErrInvalid, s.NeumannStep)
	case s.DenseCrossover < 0:
		return fmt.Errorf("%w: DenseCrossover = %d", ErrInvalid, s.DenseCrossover)
	}
	return nil
}

// solveErr wraps an error of the linear solve with method m in ErrSolve,
// and also in ErrCallback when it reports a panic of user code.
func solveErr(m Method, err error) error {
	if errors.Is(err, linsolve.ErrCallback) {
		return fmt.Errorf("%w: %w: %s: %w", ErrCallback, ErrSolve, m, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrSolve, m, err)
}
