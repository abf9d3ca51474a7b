package linsolve

import (
	"errors"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/internal/guard"
)

// Errors for bad arguments and failing user code.
var (
	// ErrInvalid reports an invalid argument or setting: a nil operator or
	// matrix, a negative or NaN Tol, a negative MaxIter, Restart or Terms,
	// a NaN or infinite Step.
	ErrInvalid = errors.New("linsolve: invalid argument")
	// ErrCallback reports a panic in user code called by a solver (an
	// operator's products, a preconditioner, a matrix's At). The error
	// also wraps a value describing the panic (its message names the
	// recovered value; when that value is an error, errors.Is and
	// errors.As see it).
	ErrCallback = errors.New("linsolve: panic in a user callback")
)

// precheck reports a nil operator (or a Func without its closures) and
// invalid settings.
func precheck(name string, a Operator, s *Settings) error {
	if guard.IsNil(a) {
		return fmt.Errorf("%w: %s with a nil operator", ErrInvalid, name)
	}
	if f, ok := a.(*Func); ok && (f.ApplyFunc == nil || f.ApplyTFunc == nil) {
		return fmt.Errorf("%w: %s with a Func missing ApplyFunc or ApplyTFunc", ErrInvalid, name)
	}
	if m, ok := a.(Matrix); ok && guard.IsNil(m.M) {
		return fmt.Errorf("%w: %s with a nil matrix", ErrInvalid, name)
	}
	if s == nil {
		return nil
	}
	switch {
	case s.Tol < 0 || math.IsNaN(s.Tol) || math.IsInf(s.Tol, 0):
		return fmt.Errorf("%w: Tol = %v (want finite and ≥ 0; 0 means the default)", ErrInvalid, s.Tol)
	case s.MaxIter < 0:
		return fmt.Errorf("%w: MaxIter = %d", ErrInvalid, s.MaxIter)
	case s.Restart < 0:
		return fmt.Errorf("%w: Restart = %d", ErrInvalid, s.Restart)
	case s.Terms < 0:
		return fmt.Errorf("%w: Terms = %d", ErrInvalid, s.Terms)
	case math.IsNaN(s.Step) || math.IsInf(s.Step, 0):
		return fmt.Errorf("%w: Step = %v", ErrInvalid, s.Step)
	}
	return nil
}
