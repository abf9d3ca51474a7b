package nlopt

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/nlp"
)

// FromNLP returns the NLopt problem of the parametric program p at θ:
// objective f(·, θ) with gradient Grad (or finite differences), the rows
// of g as one inequality constraint and of h as one equality constraint
// with their Jacobians, and p's bounds. tol is the feasibility tolerance
// given to NLopt for every constraint row; 0 means DefaultConstraintTol
// (see Constraint.Tol for why it must not be zero).
func FromNLP(p *nlp.Problem, theta []float64, tol float64) (*Problem, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Objective == nil {
		return nil, fmt.Errorf("%w: NLopt needs the objective value: nlp.Problem.Objective is nil", ErrInvalidArgs)
	}
	if len(theta) != p.Params {
		return nil, fmt.Errorf("%w: θ has length %d, want %d", ErrInvalidArgs, len(theta), p.Params)
	}
	th := append([]float64(nil), theta...)
	n := p.Dim
	out := &Problem{
		Dim: n,
		Objective: func(x, grad []float64) float64 {
			if grad != nil {
				p.Gradient(grad, x, th)
			}
			return p.Objective(x, th)
		},
		Lower: p.Lower,
		Upper: p.Upper,
	}
	if !(tol >= 0) {
		return nil, fmt.Errorf("%w: constraint tolerance %v", ErrInvalidArgs, tol)
	}
	if tol == 0 {
		tol = DefaultConstraintTol
	}
	tols := func(m int) []float64 {
		t := make([]float64, m)
		for i := range t {
			t[i] = tol
		}
		return t
	}
	if p.NumIneq > 0 {
		m := p.NumIneq
		out.Inequalities = []Constraint{{
			Dim: m,
			Func: func(result, x, jac []float64) {
				p.Ineq(result, x, th)
				if jac != nil {
					p.IneqJacobian(mat.NewDense(m, n, jac), x, th)
				}
			},
			Tol: tols(m),
		}}
	}
	if p.NumEq > 0 {
		m := p.NumEq
		out.Equalities = []Constraint{{
			Dim: m,
			Func: func(result, x, jac []float64) {
				p.Eq(result, x, th)
				if jac != nil {
					p.EqJacobian(mat.NewDense(m, n, jac), x, th)
				}
			},
			Tol: tols(m),
		}}
	}
	return out, nil
}

// NLPSolver returns an nlp.Solver running Minimize with settings s (the
// solver for nlp.Solve). It starts from x0 (nil means 0) clamped into the
// bounds.
//
// The point returned is whichever of NLopt's best feasible point
// (Result.X) and its final iterate (Result.Last) has the smaller KKT
// residual, among those feasible within 1e-6: NLopt's choice lags behind
// when the iterates reach active constraints from outside by more than the
// constraint tolerance, which costs derivative accuracy. A run that ends
// with ErrRoundoffLimited still returns its point: the KKT check of
// nlp.NewSolution decides whether it is a solution.
func NLPSolver(s *Settings) nlp.Solver {
	return func(ctx context.Context, p *nlp.Problem, theta, x0 []float64) ([]float64, error) {
		res, err := solveNLP(ctx, p, theta, x0, s)
		if res == nil {
			return nil, err
		}
		return res.X, err
	}
}

func solveNLP(ctx context.Context, p *nlp.Problem, theta, x0 []float64, s *Settings) (*Result, error) {
	q, err := FromNLP(p, theta, 0)
	if err != nil {
		return nil, err
	}
	// Start from x0 (or 0) clamped into the bounds: warm starts from an
	// earlier solution may sit outside them by rounding.
	start := make([]float64, p.Dim)
	if x0 != nil {
		if len(x0) != p.Dim {
			return nil, fmt.Errorf("%w: x0 has length %d, want %d", ErrInvalidArgs, len(x0), p.Dim)
		}
		copy(start, x0)
	}
	for i := range start {
		if p.Lower != nil {
			start[i] = math.Max(start[i], p.Lower[i])
		}
		if p.Upper != nil {
			start[i] = math.Min(start[i], p.Upper[i])
		}
	}
	x0 = start
	res, err := Minimize(ctx, q, x0, s)
	if errors.Is(err, ErrRoundoffLimited) && res != nil {
		err = nil
	}
	if err != nil || res.Last == nil {
		return res, err
	}
	// Pick the better of NLopt's point and the final iterate.
	check := &nlp.Settings{Tol: -1}
	best, err := nlp.NewSolution(p, res.X, theta, check)
	if last, lerr := nlp.NewSolution(p, res.Last, theta, check); lerr == nil &&
		(err != nil || last.Stationarity < best.Stationarity) {
		res.X = append([]float64(nil), res.Last...)
		res.F = p.Objective(res.X, theta)
	}
	return res, nil
}

// SolveNLP solves the parametric program p at θ with NLopt (settings s,
// start x0 or nil) and returns its differentiable solution (multipliers,
// KKT condition, derivatives with respect to θ; settings ns) together with
// NLopt's result. See NLPSolver for the choice of the point and the
// treatment of ErrRoundoffLimited.
func SolveNLP(ctx context.Context, p *nlp.Problem, theta, x0 []float64, s *Settings, ns *nlp.Settings) (*nlp.Solution, *Result, error) {
	res, err := solveNLP(ctx, p, theta, x0, s)
	if err != nil {
		return nil, res, err
	}
	sol, err := nlp.NewSolution(p, res.X, theta, ns)
	return sol, res, err
}
