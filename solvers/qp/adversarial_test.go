package qp_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/solvers/qp"

	"gonum.org/v1/gonum/mat"
)

// small is minimize ½‖x‖² − x₁ − x₂ s.t. x₁ + x₂ = 1, x ≤ 0.8: x = (½, ½).
func small() *qp.Problem {
	return &qp.Problem{
		Q: mat.NewSymDense(2, []float64{1, 0, 0, 1}), P: []float64{-1, -1},
		A: mat.NewDense(1, 2, []float64{1, 1}), B: []float64{1},
		G: mat.NewDense(2, 2, []float64{1, 0, 0, 1}), H: []float64{0.8, 0.8},
	}
}

// checkSolution is the independent check of a returned solution: finite,
// Optimal, and KKT residuals recomputed here below tol.
func checkSolution(pb *qp.Problem, sol *qp.Solution, tol float64) func() error {
	return func() error {
		if sol == nil || sol.Status != qp.Optimal {
			return fmt.Errorf("nil error with solution %+v", sol)
		}
		if err := testutil.Finite("solution", sol.X, sol.Nu, sol.Lambda); err != nil {
			return err
		}
		n := len(pb.P)
		rd := make([]float64, n)
		if pb.Q != nil {
			for i := range n {
				for j := range n {
					rd[i] += pb.Q.At(i, j) * sol.X[j]
				}
			}
		}
		worst := 0.0
		for i := range n {
			rd[i] += pb.P[i]
			for k := range pb.B {
				rd[i] += pb.A.At(k, i) * sol.Nu[k]
			}
			for k := range pb.H {
				rd[i] += pb.G.At(k, i) * sol.Lambda[k]
			}
			worst = math.Max(worst, math.Abs(rd[i]))
		}
		for k, b := range pb.B {
			ax := 0.0
			for j := range n {
				ax += pb.A.At(k, j) * sol.X[j]
			}
			worst = math.Max(worst, math.Abs(ax-b))
		}
		for k, h := range pb.H {
			gx := 0.0
			for j := range n {
				gx += pb.G.At(k, j) * sol.X[j]
			}
			worst = math.Max(worst, gx-h)
			if sol.Lambda[k] < 0 {
				return fmt.Errorf("λ[%d] = %v < 0", k, sol.Lambda[k])
			}
		}
		if !(worst <= tol) {
			return fmt.Errorf("KKT residual %.3g > %.3g", worst, tol)
		}
		return nil
	}
}

func solveCase(name string, pb *qp.Problem, s *qp.Settings, want error, any ...error) testutil.Case {
	return testutil.Case{Name: name, Want: want, Any: any, Call: func(ctx context.Context) (func() error, error) {
		sol, err := qp.Solve(ctx, pb, s)
		return checkSolution(pb, sol, 1e-6), err
	}}
}

func TestAdversarial(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	withP := func(p []float64) *qp.Problem { pb := small(); pb.P = p; return pb }
	withH := func(h []float64) *qp.Problem { pb := small(); pb.H = h; return pb }
	withQ := func(q []float64) *qp.Problem { pb := small(); pb.Q = mat.NewSymDense(2, q); return pb }
	cases := []testutil.Case{
		solveCase("nil problem", nil, nil, qp.ErrDims),
		solveCase("empty", &qp.Problem{}, nil, qp.ErrDims),
		solveCase("A without B", &qp.Problem{Q: mat.NewSymDense(2, []float64{1, 0, 0, 1}), P: []float64{0, 0},
			A: mat.NewDense(1, 2, []float64{1, 1})}, nil, qp.ErrDims),
		solveCase("G without H", &qp.Problem{Q: mat.NewSymDense(1, []float64{1}), P: []float64{-5},
			G: mat.NewDense(1, 1, []float64{1})}, nil, qp.ErrDims),
		solveCase("B without A", &qp.Problem{P: []float64{1}, B: []float64{1}}, nil, qp.ErrDims),
		solveCase("Q wrong size", func() *qp.Problem { pb := small(); pb.Q = mat.NewSymDense(1, []float64{1}); return pb }(), nil, qp.ErrDims),
		solveCase("P too long", withP([]float64{1, 2, 3}), nil, qp.ErrDims),
		solveCase("NaN in P", withP([]float64{nan, 1}), nil, qp.ErrNaN),
		solveCase("Inf in H", withH([]float64{inf, 1}), nil, qp.ErrNaN),
		solveCase("NaN in Q", withQ([]float64{nan, 0, 0, 1}), nil, qp.ErrNaN),
		solveCase("indefinite Q", withQ([]float64{1, 0, 0, -1}), nil, qp.ErrNotConvex),
		solveCase("huge P", withP([]float64{1e300, -1e300}), nil, nil, qp.ErrNotConverged, qp.ErrInfeasible, qp.ErrUnbounded),
		solveCase("tiny data", withP([]float64{1e-300, 1e-300}), nil, nil),
		solveCase("Tol -1", small(), &qp.Settings{Tol: -1}, qp.ErrInvalid),
		solveCase("Tol NaN", small(), &qp.Settings{Tol: nan}, qp.ErrInvalid),
		solveCase("Tol Inf", small(), &qp.Settings{Tol: inf}, qp.ErrInvalid),
		solveCase("MaxIter -1", small(), &qp.Settings{MaxIter: -1}, qp.ErrInvalid),
		solveCase("Barrier -1", small(), &qp.Settings{Barrier: -1}, qp.ErrInvalid),
		solveCase("Barrier NaN", small(), &qp.Settings{Barrier: nan}, qp.ErrInvalid),
		solveCase("Workers -1", small(), &qp.Settings{Workers: -1}, qp.ErrInvalid),
		solveCase("warm start wrong length", small(), &qp.Settings{WarmStart: &qp.Start{X: []float64{1}}}, qp.ErrDims),
		solveCase("warm start NaN", small(), &qp.Settings{WarmStart: &qp.Start{X: []float64{nan, 0}}}, qp.ErrNaN),
		solveCase("absolute tolerance", small(), &qp.Settings{Tol: 1e-12, Absolute: true}, nil),
		solveCase("infeasible", &qp.Problem{P: []float64{1}, G: mat.NewDense(2, 1, []float64{1, -1}), H: []float64{-1, -1}},
			nil, qp.ErrInfeasible),
		solveCase("unbounded", &qp.Problem{P: []float64{-1}, G: mat.NewDense(1, 1, []float64{-1}), H: []float64{0}},
			nil, qp.ErrUnbounded),
		solveCase("iteration limit", small(), &qp.Settings{MaxIter: 1, Tol: 1e-14}, nil, qp.ErrNotConverged),
		{Name: "canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := qp.Solve(testutil.Canceled(), small(), nil)
			return nil, err
		}},
		{Name: "SolveBatch nil entry", Want: qp.ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, err := qp.SolveBatch(ctx, []*qp.Problem{small(), nil}, nil)
			return nil, err
		}},
		{Name: "SolveBatch bad settings", Want: qp.ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := qp.SolveBatch(ctx, []*qp.Problem{small()}, &qp.Settings{Tol: -1})
			return nil, err
		}},
		{Name: "SolveBatch empty", Call: func(ctx context.Context) (func() error, error) {
			sols, err := qp.SolveBatch(ctx, nil, nil)
			return func() error {
				if len(sols) != 0 {
					return errors.New("solutions for an empty batch")
				}
				return nil
			}, err
		}},
		{Name: "Prepare nil", Want: qp.ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := qp.Prepare(nil)
			return nil, err
		}},
		{Name: "Prepared nil receiver", Want: qp.ErrDims, Call: func(ctx context.Context) (func() error, error) {
			var pr *qp.Prepared
			_, err := pr.Solve(ctx, []float64{1}, nil, nil, nil)
			return nil, err
		}},
		{Name: "Prepared wrong vector", Want: qp.ErrDims, Call: func(ctx context.Context) (func() error, error) {
			pr, err := qp.Prepare(small())
			if err != nil {
				return nil, err
			}
			_, err = pr.Solve(ctx, []float64{1}, []float64{1}, []float64{1, 1}, nil)
			return nil, err
		}},
		{Name: "Prepared bad settings", Want: qp.ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			pr, err := qp.Prepare(small())
			if err != nil {
				return nil, err
			}
			_, err = pr.Solve(ctx, []float64{-1, -1}, []float64{1}, []float64{1, 1}, &qp.Settings{MaxIter: -3})
			return nil, err
		}},
		{Name: "Backward nil receiver", Want: qp.ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *qp.Solution
			_, err := s.Backward([]float64{1}, nil, nil)
			return nil, err
		}},
		{Name: "Backward zero Solution", Want: qp.ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := (&qp.Solution{}).Backward(nil, nil, nil)
			return nil, err
		}},
		{Name: "Backward after Release", Want: qp.ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.Solve(ctx, small(), nil)
			if err != nil {
				return nil, err
			}
			sol.Release()
			sol.Release() // a second Release does nothing
			_, err = sol.Backward([]float64{1, 1}, nil, nil)
			return nil, err
		}},
		{Name: "Tangent after Release", Want: qp.ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.Solve(ctx, small(), nil)
			if err != nil {
				return nil, err
			}
			g, err := sol.Backward([]float64{1, 1}, nil, nil)
			if err != nil {
				return nil, err
			}
			g.Release()
			if g.Q != nil || g.P != nil {
				return nil, errors.New("released Gradient not emptied")
			}
			sol.Release()
			_, err = sol.Tangent(small())
			return nil, err
		}},
		{Name: "Release nil and zero values", Want: nil, Call: func(context.Context) (func() error, error) {
			var s *qp.Solution
			s.Release()
			(&qp.Solution{}).Release()
			var g *qp.Gradient
			g.Release()
			(&qp.Gradient{}).Release()
			return func() error { return nil }, nil
		}},
		{Name: "Tangent nil receiver", Want: qp.ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *qp.Solution
			_, err := s.Tangent(nil)
			return nil, err
		}},
		{Name: "Backward wrong length", Want: qp.ErrDims, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.Solve(ctx, small(), nil)
			if err != nil {
				return nil, err
			}
			_, err = sol.Backward([]float64{1}, nil, nil)
			return nil, err
		}},
		{Name: "Backward NaN cotangent", Want: qp.ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.Solve(ctx, small(), nil)
			if err != nil {
				return nil, err
			}
			_, err = sol.Backward([]float64{nan, 1}, nil, nil)
			return nil, err
		}},
		{Name: "Backward of infeasible", Want: qp.ErrSingular, Call: func(ctx context.Context) (func() error, error) {
			sol, _ := qp.Solve(ctx, &qp.Problem{P: []float64{1}, G: mat.NewDense(2, 1, []float64{1, -1}), H: []float64{-1, -1}}, nil)
			_, err := sol.Backward([]float64{1}, nil, nil)
			return nil, err
		}},
		{Name: "Tangent NaN direction", Want: qp.ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.Solve(ctx, small(), nil)
			if err != nil {
				return nil, err
			}
			_, err = sol.Tangent(&qp.Problem{P: []float64{nan, 0}})
			return nil, err
		}},
		{Name: "BackwardBatch mismatched", Want: qp.ErrDims, Call: func(ctx context.Context) (func() error, error) {
			sol, err := qp.Solve(ctx, small(), nil)
			if err != nil {
				return nil, err
			}
			_, err = qp.BackwardBatch([]*qp.Solution{sol}, [][]float64{{1, 1}, {1, 1}}, nil, nil, nil)
			return nil, err
		}},
		{Name: "same solution from 8 goroutines", Call: func(ctx context.Context) (func() error, error) {
			// Solutions are not safe for concurrent use; Solve is.
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for g := range 8 {
				wg.Go(func() {
					pb := small()
					sol, err := qp.Solve(ctx, pb, nil)
					if err == nil {
						err = checkSolution(pb, sol, 1e-8)()
					}
					errs[g] = err
				})
			}
			wg.Wait()
			return func() error { return errors.Join(errs...) }, nil
		}},
	}
	testutil.RunAdversarial(t, cases)
}

// TestNoFalseUnbounded: a huge linear term on a strongly convex problem
// is not a certificate of unboundedness (the ray test once scaled ‖Qd‖
// with ‖p‖).
func TestNoFalseUnbounded(t *testing.T) {
	pb := &qp.Problem{Q: mat.NewSymDense(2, []float64{1, 0, 0, 1}), P: []float64{1e300, -1e300},
		G: mat.NewDense(1, 2, []float64{1, 1}), H: []float64{1}}
	_, err := qp.Solve(context.Background(), pb, nil)
	if errors.Is(err, qp.ErrUnbounded) {
		t.Fatalf("strongly convex problem reported unbounded: %v", err)
	}
}

// TestCostScaleInvariance: the LP min s·(x₁ + 2x₂) s.t. x₁ + x₂ = 1,
// x ≥ 0 has the solution (1, 0) whatever the scale s of the cost (the
// proximal path's cost scaling was once clamped at 1e-6, and s = 1e20
// did not converge).
func TestCostScaleInvariance(t *testing.T) {
	for _, s := range []float64{1, 1e10, 1e20, 1e100, 1e300} {
		pb := &qp.Problem{P: []float64{s, 2 * s}, A: mat.NewDense(1, 2, []float64{1, 1}), B: []float64{1},
			G: mat.NewDense(2, 2, []float64{-1, 0, 0, -1}), H: []float64{0, 0}}
		sol, err := qp.Solve(context.Background(), pb, nil)
		if err != nil {
			t.Fatalf("s = %g: %v", s, err)
		}
		if math.Abs(sol.X[0]-1) > 1e-8 || math.Abs(sol.X[1]) > 1e-8 {
			t.Fatalf("s = %g: x = %v, want (1, 0)", s, sol.X)
		}
	}
}
