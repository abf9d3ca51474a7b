package bilevel

import (
	"context"
	"errors"
	"fmt"

	"github.com/optlayers/optlayers/implicit"
)

// ProblemModel adapts an implicit.Problem — a solver and the condition its
// solutions satisfy — to a Model, so that any differentiable solver of
// this module (smooth.ImplicitProblem, a QP, a projection) or a user's
// own can be tuned by [Optimize]. θ is the problem's parameter vector as
// the problem defines it (it need not be a log-strength), the solver's own
// settings fix its accuracy (Fit's tol is ignored) and Fit's w is passed
// as the warm start.
type ProblemModel struct {
	pb *implicit.Problem
}

// NewProblemModel returns the Model of pb.
func NewProblemModel(pb *implicit.Problem) (*ProblemModel, error) {
	if pb == nil || pb.Solver == nil || pb.Condition == nil {
		return nil, fmt.Errorf("%w: problem without solver or condition", ErrInvalid)
	}
	return &ProblemModel{pb: pb}, nil
}

// Dims returns the condition's dimensions.
func (m *ProblemModel) Dims() (n, p int) {
	if m == nil || m.pb == nil {
		return 0, 0
	}
	return m.pb.Condition.Dims()
}

// Fit solves the problem at θ, warm-started from w, and writes the
// solution into w. It reports one iteration per solve. A panic in the
// problem's solver is returned as an error wrapping ErrCallback.
func (m *ProblemModel) Fit(ctx context.Context, w, theta []float64, tol float64) (iters int, err error) {
	if m == nil || m.pb == nil {
		return 0, errNilModel
	}
	defer recoverCallback(&err, "ProblemModel.Fit")
	if err := checkTol("tol", tol); err != nil {
		return 0, err
	}
	n, p := m.Dims()
	if err := checkW(w, n); err != nil {
		return 0, err
	}
	if len(theta) != p {
		return 0, fmt.Errorf("%w: θ has length %d, want %d", ErrDims, len(theta), p)
	}
	if !finite(theta) {
		return 0, fmt.Errorf("%w: in θ", ErrNaN)
	}
	sol, err := m.pb.Solve(ctx, theta, append([]float64(nil), w...))
	if sol != nil && len(sol.X) == n {
		copy(w, sol.X)
	}
	if errors.Is(err, implicit.ErrCallback) {
		// The engine recovered a panic of the user's solver: it is this
		// package's ErrCallback too.
		return 1, fmt.Errorf("%w: %w", ErrCallback, err)
	}
	if err != nil {
		return 1, err
	}
	return 1, nil
}

// Condition returns the problem's condition.
func (m *ProblemModel) Condition() implicit.Condition {
	if m == nil || m.pb == nil {
		return guard(nilCondition{})
	}
	return m.pb.Condition
}
