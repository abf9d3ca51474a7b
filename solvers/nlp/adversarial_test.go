package nlp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/testutil"
)

// advProblem is min (x₀−θ₀)² + (x₁−θ₁)² s.t. x₀ + x₁ ≤ 1, whose solution
// at θ = (1, 1) is x = (½, ½) with λ = 1. With panicking set its
// Objective panics.
func advProblem(panicking bool) *Problem {
	return &Problem{Dim: 2, Params: 2, NumIneq: 1,
		Objective: func(x, theta []float64) float64 {
			if panicking {
				panic("user objective panics")
			}
			return (x[0]-theta[0])*(x[0]-theta[0]) + (x[1]-theta[1])*(x[1]-theta[1])
		},
		Ineq: func(dst, x, _ []float64) { dst[0] = x[0] + x[1] - 1 },
	}
}

// closedForm is the solver of advProblem.
func closedForm(_ context.Context, _ *Problem, theta, _ []float64) ([]float64, error) {
	x := []float64{theta[0], theta[1]}
	if s := x[0] + x[1]; s > 1 {
		x[0] -= (s - 1) / 2
		x[1] -= (s - 1) / 2
	}
	return x, nil
}

// TestAdversarialSolution: Solve, NewSolution and the derivatives of a
// Solution with nil, malformed and non-finite input, bad settings,
// panicking user code, nil solvers and results, and canceled contexts.
func TestAdversarialSolution(t *testing.T) {
	theta := []float64{1, 1}
	xs := []float64{0.5, 0.5}
	newSol := func(p *Problem, x, theta []float64, s *Settings) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			sol, err := NewSolution(p, x, theta, s)
			if err != nil {
				return nil, err
			}
			g, err := sol.VJPX([]float64{1, 0})
			return func() error { return testutil.Finite("VJP", g, sol.Lambda) }, err
		}
	}
	good, err := NewSolution(advProblem(false), xs, theta, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A solution whose problem starts panicking after construction.
	flaky := advProblem(false)
	flakySol, err := NewSolution(flaky, xs, theta, nil)
	if err != nil {
		t.Fatal(err)
	}
	flaky.Objective = advProblem(true).Objective
	var nilSol *Solution
	nan := []float64{math.NaN(), 0}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "NewSolution/ok", Call: newSol(advProblem(false), xs, theta, nil)},
		{Name: "NewSolution/nil problem", Want: ErrInvalid, Call: newSol(nil, xs, theta, nil)},
		{Name: "NewSolution/Dim=0", Want: ErrInvalid, Call: newSol(&Problem{Objective: advProblem(false).Objective}, nil, nil, nil)},
		{Name: "NewSolution/no objective", Want: ErrInvalid, Call: newSol(&Problem{Dim: 2, Params: 2}, xs, theta, nil)},
		{Name: "NewSolution/NumIneq without Ineq", Want: ErrInvalid, Call: newSol(&Problem{Dim: 2, Params: 2, NumIneq: 1, Objective: advProblem(false).Objective}, xs, theta, nil)},
		{Name: "NewSolution/crossed bounds", Want: ErrInvalid, Call: newSol(&Problem{Dim: 2, Params: 2, Objective: advProblem(false).Objective, Lower: []float64{1, 1}, Upper: []float64{0, 0}}, xs, theta, nil)},
		{Name: "NewSolution/short bounds", Want: ErrDims, Call: newSol(&Problem{Dim: 2, Params: 2, Objective: advProblem(false).Objective, Lower: []float64{1}}, xs, theta, nil)},
		{Name: "NewSolution/short x", Want: ErrDims, Call: newSol(advProblem(false), xs[:1], theta, nil)},
		{Name: "NewSolution/long θ", Want: ErrDims, Call: newSol(advProblem(false), xs, []float64{1, 1, 1}, nil)},
		{Name: "NewSolution/NaN x", Want: ErrNaN, Call: newSol(advProblem(false), nan, theta, nil)},
		{Name: "NewSolution/Inf θ", Want: ErrNaN, Call: newSol(advProblem(false), xs, []float64{math.Inf(1), 0}, nil)},
		{Name: "NewSolution/x=1e300", Any: []error{ErrNaN, ErrNotKKT}, Call: newSol(advProblem(false), []float64{1e300, -1e300}, theta, nil)},
		{Name: "NewSolution/not a solution", Want: ErrNotKKT, Call: newSol(advProblem(false), []float64{0, 0}, theta, nil)},
		{Name: "NewSolution/infeasible", Want: ErrNotKKT, Call: newSol(advProblem(false), []float64{2, 2}, theta, nil)},
		{Name: "NewSolution/ActiveTol=-1", Want: ErrInvalid, Call: newSol(advProblem(false), xs, theta, &Settings{ActiveTol: -1})},
		{Name: "NewSolution/FeasibilityTol=NaN", Want: ErrInvalid, Call: newSol(advProblem(false), xs, theta, &Settings{FeasibilityTol: math.NaN()})},
		{Name: "NewSolution/MultiplierTol=+Inf", Want: ErrInvalid, Call: newSol(advProblem(false), xs, theta, &Settings{MultiplierTol: math.Inf(1)})},
		{Name: "NewSolution/Tol=NaN", Want: ErrInvalid, Call: newSol(advProblem(false), xs, theta, &Settings{Tol: math.NaN()})},
		{Name: "NewSolution/panicking objective", Want: ErrCallback, Call: newSol(advProblem(true), xs, theta, nil)},
		{Name: "NewSolution/panicking Hessian", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			p := advProblem(false)
			p.Hessian = func(*mat.Dense, []float64, []float64, []float64, []float64) { panic("user Hessian panics") }
			return newSol(p, xs, theta, nil)(ctx)
		}},
		{Name: "Solve/ok", Call: func(ctx context.Context) (func() error, error) {
			sol, err := Solve(ctx, advProblem(false), closedForm, theta, nil, nil)
			if err != nil {
				return nil, err
			}
			return func() error { return testutil.Finite("x", sol.X) }, nil
		}},
		{Name: "Solve/nil solver", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := Solve(ctx, advProblem(false), nil, theta, nil, nil)
			return nil, err
		}},
		{Name: "Solve/NaN θ", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			_, err := Solve(ctx, advProblem(false), closedForm, nan, nil, nil)
			return nil, err
		}},
		{Name: "Solve/panicking solver", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			_, err := Solve(ctx, advProblem(false), func(context.Context, *Problem, []float64, []float64) ([]float64, error) {
				panic("user solver panics")
			}, theta, nil, nil)
			return nil, err
		}},
		{Name: "Solve/solver returns short x", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, err := Solve(ctx, advProblem(false), func(context.Context, *Problem, []float64, []float64) ([]float64, error) {
				return []float64{0}, nil
			}, theta, nil, nil)
			return nil, err
		}},
		{Name: "Solve/solver returns NaN", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			_, err := Solve(ctx, advProblem(false), func(context.Context, *Problem, []float64, []float64) ([]float64, error) {
				return []float64{math.NaN(), 0}, nil
			}, theta, nil, nil)
			return nil, err
		}},
		{Name: "Solve/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := Solve(testutil.Canceled(), advProblem(false), closedForm, theta, nil, nil)
			return nil, err
		}},
		{Name: "VJP/NaN cotangent", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := good.VJPX(nan)
			return nil, err
		}},
		{Name: "VJP/short cotangent", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := good.VJPX([]float64{1})
			return nil, err
		}},
		{Name: "JVP/NaN direction", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := good.JVPX(nan)
			return nil, err
		}},
		{Name: "MultiplierJVP/Inf direction", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, _, _, _, err := good.MultiplierJVP([]float64{0, math.Inf(1)})
			return nil, err
		}},
		{Name: "Jacobian/ok", Call: func(context.Context) (func() error, error) {
			j, err := good.Jacobian()
			if err != nil {
				return nil, err
			}
			return func() error { return testutil.Finite("Jacobian", j.RawMatrix().Data) }, nil
		}},
		{Name: "nil Solution", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, e1 := nilSol.VJPX(xs)
			_, e2 := nilSol.JVPX(theta)
			_, e3 := nilSol.Jacobian()
			_, _, _, _, e4 := nilSol.MultiplierJVP(theta)
			_, e5 := nilSol.CheckDerivatives()
			_, e6 := nilSol.Linearization()
			for i, e := range []error{e1, e2, e3, e4, e5, e6} {
				if !errors.Is(e, ErrInvalid) {
					return nil, fmt.Errorf("method %d: %v", i+1, e)
				}
			}
			return nil, e1
		}},
		{Name: "panicking problem/VJP", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := flakySol.VJPX([]float64{1, 0})
			return nil, err
		}},
		{Name: "panicking problem/Jacobian", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := flakySol.Jacobian()
			return nil, err
		}},
		{Name: "panicking problem/CheckDerivatives", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := flakySol.CheckDerivatives()
			return nil, err
		}},
		{Name: "Condition/Linearize short z", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, _, err := condOf(good).Linearize(good.Z()[:1], theta)
			return nil, err
		}},
		{Name: "Condition/Linearize nil θ", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, _, err := condOf(good).Linearize(good.Z(), nil)
			return nil, err
		}},
		{Name: "Condition/Linearize NaN z", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, _, err := condOf(good).Linearize([]float64{math.NaN(), 0, 0}, theta)
			return nil, err
		}},
		{Name: "Condition/Linearize panicking problem", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, _, err := condOf(flakySol).Linearize(flakySol.Z(), theta)
			return nil, err
		}},
		{Name: "Condition/Residual bad lengths and panics are NaN", Call: func(context.Context) (func() error, error) {
			c := condOf(good)
			n, _ := c.Dims()
			d1, d2, d3, d4 := make([]float64, n-1), make([]float64, n), make([]float64, n), make([]float64, n)
			c.Residual(d1, good.Z(), theta)
			c.Residual(d2, good.Z()[:1], theta)
			c.Residual(d3, good.Z(), nil)
			condOf(flakySol).Residual(d4, flakySol.Z(), theta)
			return func() error {
				for _, d := range [][]float64{d1, d2, d3, d4} {
					for _, v := range d {
						if !math.IsNaN(v) {
							return fmt.Errorf("residual %v, want NaN", d)
						}
					}
				}
				if nilSol.Z() != nil || condOf(nilSol) != nil {
					return errors.New("Z or Condition of a nil Solution")
				}
				return nil
			}, nil
		}},
		{Name: "Problem.Gradient on bad input is NaN", Call: func(context.Context) (func() error, error) {
			var nilP *Problem
			d1 := make([]float64, 2)
			nilP.Gradient(d1, xs, theta)
			d2 := make([]float64, 2)
			advProblem(false).Gradient(d2, xs[:1], theta)
			d3 := make([]float64, 2)
			advProblem(true).Gradient(d3, xs, theta)
			j := mat.NewDense(1, 2, nil)
			nilP.IneqJacobian(j, xs, theta)
			advProblem(false).EqJacobian(nil, xs, theta)
			return func() error {
				for _, v := range [][]float64{d1, d2, d3, j.RawRowView(0)} {
					if !math.IsNaN(v[0]) {
						return fmt.Errorf("got %v, want NaN", v)
					}
				}
				return nil
			}, nil
		}},
	})
}

// TestAdversarialNilReceivers: every method of the exported pointer types
// on a nil receiver: no panic, errors match ErrInvalid.
func TestAdversarialNilReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.NilReceivers(ErrInvalid, (*Problem)(nil), (*Solution)(nil), (*Settings)(nil)))
}

// TestAdversarialZeroReceivers: every method of the exported pointer types
// on a pointer to their zero value: no panic, errors match ErrInvalid.
func TestAdversarialZeroReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.ZeroReceivers(ErrInvalid,
		(*Problem)(nil), (*Solution)(nil), (*Settings)(nil)))
}
