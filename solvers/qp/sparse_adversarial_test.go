package qp_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/optlayers/optlayers/internal/maros"
	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"

	"gonum.org/v1/gonum/mat"
)

// smallSparse is minimize ½‖x‖² − x₁ − x₂ s.t. x₁ + x₂ = 1, x ≤ 0.8:
// x = (½, ½) (the dense adversarial table's problem).
func smallSparse() *qp.SparseProblem {
	q, _ := sparse.SymFromDense(mat.NewSymDense(2, []float64{1, 0, 0, 1}))
	a, _ := sparse.FromDense(mat.NewDense(1, 2, []float64{1, 1}))
	inf := math.Inf(1)
	return &qp.SparseProblem{Q: q, P: []float64{-1, -1}, A: a, L: []float64{1}, U: []float64{1},
		LB: []float64{-inf, -inf}, UB: []float64{0.8, 0.8}}
}

func sparseCase(name string, pb *qp.SparseProblem, s *qp.SparseSettings, want error, any ...error) testutil.Case {
	return testutil.Case{Name: name, Want: want, Any: any, Call: func(ctx context.Context) (func() error, error) {
		sol, err := qp.SolveSparse(ctx, pb, s)
		return func() error {
			if sol == nil || sol.Status != qp.Optimal {
				return fmt.Errorf("nil error with solution %+v", sol)
			}
			if err := testutil.Finite("solution", sol.X, sol.Y, sol.Z); err != nil {
				return err
			}
			r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
			if !(r.Primal <= 1e-6 && r.Dual <= 1e-6) {
				return fmt.Errorf("exact residuals %+v", r)
			}
			return nil
		}, err
	}}
}

func TestSparseAdversarial(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	with := func(f func(pb *qp.SparseProblem)) *qp.SparseProblem { pb := smallSparse(); f(pb); return pb }
	q1, _ := sparse.SymFromDense(mat.NewSymDense(1, []float64{1}))
	qneg, _ := sparse.SymFromDense(mat.NewSymDense(2, []float64{1, 0, 0, -1}))
	a3, _ := sparse.FromDense(mat.NewDense(1, 3, []float64{1, 1, 1}))
	cases := []testutil.Case{
		sparseCase("nil problem", nil, nil, qp.ErrInvalid),
		sparseCase("empty", &qp.SparseProblem{}, nil, qp.ErrDims),
		sparseCase("Q wrong size", with(func(pb *qp.SparseProblem) { pb.Q = q1 }), nil, qp.ErrDims),
		sparseCase("A wrong width", with(func(pb *qp.SparseProblem) { pb.A = a3 }), nil, qp.ErrDims),
		sparseCase("L too short", with(func(pb *qp.SparseProblem) { pb.L = nil; pb.U = []float64{} }), nil, qp.ErrDims),
		sparseCase("LB too long", with(func(pb *qp.SparseProblem) { pb.LB = []float64{0, 0, 0} }), nil, qp.ErrDims),
		sparseCase("NaN in P", with(func(pb *qp.SparseProblem) { pb.P[0] = nan }), nil, qp.ErrNaN),
		sparseCase("Inf in P", with(func(pb *qp.SparseProblem) { pb.P[1] = inf }), nil, qp.ErrNaN),
		sparseCase("NaN in U", with(func(pb *qp.SparseProblem) { pb.U[0] = nan }), nil, qp.ErrNaN),
		sparseCase("NaN in UB", with(func(pb *qp.SparseProblem) { pb.UB[0] = nan }), nil, qp.ErrNaN),
		sparseCase("L > U", with(func(pb *qp.SparseProblem) { pb.L[0] = 2 }), nil, qp.ErrInfeasible),
		sparseCase("U = −Inf", with(func(pb *qp.SparseProblem) { pb.L[0], pb.U[0] = -inf, -inf }), nil, qp.ErrInfeasible),
		sparseCase("indefinite Q", with(func(pb *qp.SparseProblem) { pb.Q = qneg }), nil, qp.ErrInvalid),
		sparseCase("huge P", with(func(pb *qp.SparseProblem) { pb.P = []float64{1e300, -1e300} }), nil, nil,
			qp.ErrNotConverged, qp.ErrInfeasible, qp.ErrUnbounded),
		sparseCase("tiny P", with(func(pb *qp.SparseProblem) { pb.P = []float64{1e-300, 1e-300} }), nil, nil),
		sparseCase("bounds 1e30 count as absent", with(func(pb *qp.SparseProblem) { pb.LB = []float64{-1e30, -1e30} }), nil, nil),
		sparseCase("nil bounds", with(func(pb *qp.SparseProblem) { pb.LB, pb.UB = nil, nil }), nil, nil),
		sparseCase("Tol -1", smallSparse(), &qp.SparseSettings{Tol: -1}, qp.ErrInvalid),
		sparseCase("Tol NaN", smallSparse(), &qp.SparseSettings{Tol: nan}, qp.ErrInvalid),
		sparseCase("Tol Inf", smallSparse(), &qp.SparseSettings{Tol: inf}, qp.ErrInvalid),
		sparseCase("MaxIter -1", smallSparse(), &qp.SparseSettings{MaxIter: -1}, qp.ErrInvalid),
		sparseCase("Workers -1", smallSparse(), &qp.SparseSettings{Workers: -1}, qp.ErrInvalid),
		sparseCase("warm start wrong length", smallSparse(), &qp.SparseSettings{WarmStart: &qp.SparseStart{X: []float64{1}}}, qp.ErrDims),
		sparseCase("warm start NaN", smallSparse(), &qp.SparseSettings{WarmStart: &qp.SparseStart{X: []float64{nan, 0}}}, qp.ErrNaN),
		sparseCase("iteration limit", smallSparse(), &qp.SparseSettings{MaxIter: 1, Tol: 1e-14}, nil, qp.ErrNotConverged),
		{Name: "canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := qp.SolveSparse(testutil.Canceled(), smallSparse(), nil)
			return nil, err
		}},
		{Name: "VJP of a failed solve", Want: qp.ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			a, _ := sparse.FromDense(mat.NewDense(2, 1, []float64{1, 1}))
			sol, _ := qp.SolveSparse(ctx, &qp.SparseProblem{P: []float64{1}, A: a, L: []float64{-inf, 2}, U: []float64{1, inf}}, nil)
			if sol == nil || sol.Status != qp.Infeasible {
				return nil, fmt.Errorf("want an Infeasible solution, got %+v", sol)
			}
			return nil, sol.VJP(make([]float64, sol.Layout().Len()), make([]float64, sol.Layout().LenZ()))
		}},
		{Name: "VJP wrong lengths", Want: qp.ErrDims, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.SolveSparse(ctx, smallSparse(), nil)
			if err != nil {
				return nil, err
			}
			return nil, sol.VJP(make([]float64, 1), make([]float64, 2))
		}},
		{Name: "JVP NaN direction", Want: qp.ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.SolveSparse(ctx, smallSparse(), nil)
			if err != nil {
				return nil, err
			}
			d := make([]float64, sol.Layout().Len())
			d[0] = nan
			return nil, sol.JVP(make([]float64, sol.Layout().LenZ()), d)
		}},
		{Name: "VJP on nil solution", Want: qp.ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			var sol *qp.SparseSolution
			return nil, sol.VJP(nil, nil)
		}},
		{Name: "Layout.Problem wrong length", Want: qp.ErrDims, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.SolveSparse(ctx, smallSparse(), nil)
			if err != nil {
				return nil, err
			}
			_, err = sol.Layout().Problem([]float64{1})
			return nil, err
		}},
	}
	testutil.RunAdversarial(t, cases)
}
