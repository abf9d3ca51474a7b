package convex

import (
	"context"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
)

// Adversarial input for every exported entry point: a documented sentinel
// or a result that passes a check, never a panic. (The bad models of
// dcp_test.go are the table of NewProblem.)

func TestAdversarialNilReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.NilReceivers(ErrInvalid,
		(*Expr)(nil), (*Problem)(nil), (*Solution)(nil), (*Constraint)(nil), (*Gradient)(nil), (*Tangent)(nil)))
}

func TestAdversarialZeroReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.ZeroReceivers(ErrInvalid,
		(*Problem)(nil), (*Solution)(nil), (*Gradient)(nil), (*Tangent)(nil)))
}

func advModel(t testing.TB) (*Problem, *Variable, *Parameter, *Constraint) {
	x := NewVariable("x", 2)
	c := NewParameter("c", 2)
	con := Norm2(x).Le(Const(1))
	pb, err := NewProblem(Minimize(c.Dot(x)), con)
	if err != nil {
		t.Fatal(err)
	}
	return pb, x, c, con
}

func TestAdversarial(t *testing.T) {
	pb, x, c, con := advModel(t)
	nan, inf := math.NaN(), math.Inf(1)
	solveCheck := func(sol *Solution) func() error {
		return func() error {
			xv, err := sol.VarValue(x)
			if err != nil {
				return err
			}
			return testutil.Finite("x", xv, sol.Z())
		}
	}
	solveRow := func(name string, th []float64, s *Settings, want error) testutil.Case {
		return testutil.Case{Name: name, Want: want, Any: []error{ErrNotConverged}, Call: func(ctx context.Context) (func() error, error) {
			sol, err := pb.SolveParams(ctx, th, s)
			if err != nil {
				return nil, err
			}
			return solveCheck(sol), nil
		}}
	}
	cases := []testutil.Case{
		solveRow("theta nil", nil, nil, ErrDims),
		solveRow("theta short", []float64{1}, nil, ErrDims),
		solveRow("theta NaN", []float64{nan, 1}, nil, ErrNaN),
		solveRow("theta Inf", []float64{1, -inf}, nil, ErrNaN),
		solveRow("theta 1e300", []float64{1e300, 1e300}, nil, nil),
		solveRow("theta 1e-300", []float64{1e-300, -1e-300}, nil, nil),
		solveRow("Tol negative", []float64{1, 1}, &Settings{Tol: -1}, ErrInvalid),
		solveRow("Tol NaN", []float64{1, 1}, &Settings{Tol: nan}, ErrInvalid),
		solveRow("MaxIter negative", []float64{1, 1}, &Settings{MaxIter: -1}, ErrInvalid),
		solveRow("Workers negative", []float64{1, 1}, &Settings{Workers: -1}, ErrInvalid),
		solveRow("Refine negative", []float64{1, 1}, &Settings{Refine: -1}, ErrInvalid),
		solveRow("Refine 3", []float64{1, -2}, &Settings{Refine: 3}, nil),
		solveRow("fine", []float64{1, -2}, nil, nil),
		{Name: "MaxIter 1: best iterate beside the error", Want: ErrNotConverged, Call: func(ctx context.Context) (func() error, error) {
			sol, err := pb.SolveParams(ctx, []float64{1, -2}, &Settings{MaxIter: 1})
			if err != nil && sol == nil {
				return nil, errors.New("no best iterate returned")
			}
			return nil, err
		}},
		{Name: "canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := pb.SolveParams(testutil.Canceled(), []float64{1, 1}, nil)
			return nil, err
		}},
		{Name: "nil context", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			//lint:ignore SA1012 a nil context is the adversarial input
			_, err := pb.SolveParams(nil, []float64{1, 1}, nil) //nolint:staticcheck
			return nil, err
		}},
		{Name: "warm start of another problem", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			other, _, _, _ := advModel(t)
			sol, err := other.SolveParams(ctx, []float64{1, 1}, nil)
			if err != nil {
				return nil, err
			}
			_, err = pb.SolveParams(ctx, []float64{1, 1}, &Settings{WarmStart: sol})
			return nil, err
		}},
		{Name: "Solve without values", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := pb.Solve(ctx, nil)
			return nil, err
		}},
		{Name: "SolveBatch with a bad item", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			sols, err := pb.SolveBatch(ctx, [][]float64{{1, 1}, {nan, 1}}, nil)
			var be *implicit.BatchError
			if !errors.As(err, &be) || len(be.Indices) != 1 || be.Indices[0] != 1 || sols[0] == nil {
				return nil, errors.New("want a BatchError on item 1 beside the solution of item 0")
			}
			return nil, err
		}},
		{Name: "SolveBatch workers", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := pb.SolveBatch(ctx, [][]float64{{1, 1}}, &Settings{Workers: -2})
			return nil, err
		}},
		{Name: "ConeProblem NaN", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := pb.ConeProblem([]float64{nan, 0})
			return nil, err
		}},
		{Name: "SetMatrix nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, NewMatrixParameter("M", 2, 2).SetMatrix(nil)
		}},
		{Name: "SetMatrix typed nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var d *mat.Dense
			return nil, NewMatrixParameter("M", 2, 2).SetMatrix(d)
		}},
		{Name: "SetMatrix shape", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, NewMatrixParameter("M", 2, 2).SetMatrix(mat.NewDense(2, 3, nil))
		}},
		{Name: "ConstMat typed nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var d *mat.Dense
			return nil, ConstMat(d).Err()
		}},
		{Name: "ConstVec empty", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, ConstVec(nil).Err()
		}},
		{Name: "Ones bad shape", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, Ones(0, 2).Err()
		}},
		{Name: "HStack of nothing", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, HStack().Err()
		}},
		{Name: "Maximum of nothing", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, Maximum().Err()
		}},
		{Name: "Pick outside", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, x.Pick([]int{0, 5}).Err()
		}},
	}
	// Rows on a solution (they need the cone solver).
	withSol := func(name string, want error, f func(sol *Solution) error) testutil.Case {
		return testutil.Case{Name: name, Want: want, Call: func(ctx context.Context) (func() error, error) {
			sol, err := pb.SolveParams(ctx, []float64{1, -2}, nil)
			if err != nil {
				return nil, err
			}
			return nil, f(sol)
		}}
	}
	other := NewVariable("other", 2)
	cases = append(cases,
		withSol("Value of a foreign variable", ErrInvalid, func(sol *Solution) error { _, err := sol.Value(other); return err }),
		withSol("Value of nil", ErrInvalid, func(sol *Solution) error { _, err := sol.Value(nil); return err }),
		withSol("Dual of a foreign constraint", ErrInvalid, func(sol *Solution) error { _, err := sol.Dual(x.Le(Const(0))); return err }),
		withSol("Backward short cotangent", ErrDims, func(sol *Solution) error {
			_, err := sol.Backward(map[*Variable][]float64{x: {1}}, nil)
			return err
		}),
		withSol("Backward NaN cotangent", ErrNaN, func(sol *Solution) error {
			_, err := sol.Backward(map[*Variable][]float64{x: {nan, 1}}, nil)
			return err
		}),
		withSol("Backward foreign variable", ErrInvalid, func(sol *Solution) error {
			_, err := sol.Backward(map[*Variable][]float64{other: {1, 1}}, nil)
			return err
		}),
		withSol("Backward dual cotangent length", ErrDims, func(sol *Solution) error {
			_, err := sol.Backward(nil, map[*Constraint][]float64{con: {1, 2, 3}})
			return err
		}),
		withSol("VJP lengths", ErrDims, func(sol *Solution) error { return sol.VJP(make([]float64, 1), make([]float64, 3)) }),
		withSol("VJP NaN", ErrNaN, func(sol *Solution) error {
			g := make([]float64, pb.LenZ())
			g[0] = nan
			return sol.VJP(make([]float64, 2), g)
		}),
		withSol("JVP lengths", ErrDims, func(sol *Solution) error { return sol.JVP(make([]float64, 1), make([]float64, 2)) }),
		withSol("JVP Inf", ErrNaN, func(sol *Solution) error {
			return sol.JVP(make([]float64, pb.LenZ()), []float64{inf, 0})
		}),
		withSol("Tangent foreign parameter", ErrInvalid, func(sol *Solution) error {
			_, err := sol.Tangent(map[*Parameter][]float64{NewParameter("q", 2): {1, 1}})
			return err
		}),
		withSol("Tangent length", ErrDims, func(sol *Solution) error {
			_, err := sol.Tangent(map[*Parameter][]float64{c: {1}})
			return err
		}),
		withSol("VJPContext canceled", context.Canceled, func(sol *Solution) error {
			return sol.VJPContext(testutil.Canceled(), make([]float64, 2), make([]float64, pb.LenZ()))
		}),
	)
	testutil.RunAdversarial(t, cases)
}
