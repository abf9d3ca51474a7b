package lp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/testutil"
)

// feasible checks x against pb within tol and returns an error naming the
// first violated constraint.
func feasible(pb *Problem, x []float64, tol float64) error {
	if err := testutil.Finite("x", x); err != nil {
		return err
	}
	if len(x) != len(pb.C) {
		return fmt.Errorf("len(x) = %d, n = %d", len(x), len(pb.C))
	}
	if !isNilMatrix(pb.A) {
		r, _ := pb.A.Dims()
		for i := range r {
			v := 0.0
			for j := range x {
				v += pb.A.At(i, j) * x[j]
			}
			if math.Abs(v-pb.B[i]) > tol*math.Max(1, math.Abs(pb.B[i])) {
				return fmt.Errorf("Ax = b row %d: %v ≠ %v", i, v, pb.B[i])
			}
		}
	}
	if !isNilMatrix(pb.G) {
		r, _ := pb.G.Dims()
		for i := range r {
			v := 0.0
			for j := range x {
				v += pb.G.At(i, j) * x[j]
			}
			if v > pb.H[i]+tol*math.Max(1, math.Abs(pb.H[i])) {
				return fmt.Errorf("Gx ≤ h row %d: %v > %v", i, v, pb.H[i])
			}
		}
	}
	for i, xi := range x {
		if pb.Lower != nil && xi < pb.Lower[i]-tol {
			return fmt.Errorf("x[%d] = %v < %v", i, xi, pb.Lower[i])
		}
		if pb.Upper != nil && xi > pb.Upper[i]+tol {
			return fmt.Errorf("x[%d] = %v > %v", i, xi, pb.Upper[i])
		}
	}
	return nil
}

// box2 is min −x₁ − 2x₂ s.t. x₁ + x₂ ≤ 1, 0 ≤ x ≤ 1: optimum (0, 1), −2.
func box2() *Problem {
	return &Problem{C: []float64{-1, -2}, G: mat.NewDense(1, 2, []float64{1, 1}), H: []float64{1},
		Lower: []float64{0, 0}, Upper: []float64{1, 1}}
}

func solveCase(name string, pb *Problem, s *Settings, want error, any ...error) testutil.Case {
	return testutil.Case{Name: "Solve/" + name, Want: want, Any: any, Call: func(ctx context.Context) (func() error, error) {
		sol, err := Solve(ctx, pb, s)
		if err != nil {
			return nil, err
		}
		return func() error {
			if err := feasible(pb, sol.X, 1e-6); err != nil {
				return err
			}
			return testutil.Finite("duals", sol.Nu, sol.Lambda, sol.LowerDual, sol.UpperDual, []float64{sol.Objective})
		}, nil
	}}
}

func TestAdversarialSolve(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	with := func(f func(pb *Problem)) *Problem { pb := box2(); f(pb); return pb }
	row := mat.NewDense(1, 2, []float64{1, 1})
	cases := []testutil.Case{
		{Name: "Solve/valid", Call: func(ctx context.Context) (func() error, error) {
			sol, err := Solve(ctx, box2(), nil)
			if err != nil {
				return nil, err
			}
			return func() error {
				if math.Abs(sol.Objective+2) > 1e-6 {
					return fmt.Errorf("objective %v, want −2", sol.Objective)
				}
				return feasible(box2(), sol.X, 1e-6)
			}, nil
		}},
		solveCase("nil problem", nil, nil, ErrDims),
		solveCase("empty C", &Problem{}, nil, ErrDims),
		// issue 19: G without H was silently dropped (x = (1, 1)).
		solveCase("G without H", &Problem{C: []float64{-1, -2}, G: row, Lower: []float64{0, 0}, Upper: []float64{1, 1}}, nil, ErrDims),
		solveCase("A without B", &Problem{C: []float64{-1, -2}, A: row, Lower: []float64{0, 0}, Upper: []float64{1, 1}}, nil, ErrDims),
		solveCase("B without A", &Problem{C: []float64{-1, -2}, B: []float64{1}, Lower: []float64{0, 0}, Upper: []float64{1, 1}}, nil, ErrDims),
		solveCase("H without G", with(func(pb *Problem) { pb.G = nil }), nil, ErrDims),
		solveCase("typed nil A with B", with(func(pb *Problem) { pb.A, pb.B = (*mat.Dense)(nil), []float64{1} }), nil, ErrDims),
		solveCase("typed nil A", with(func(pb *Problem) { pb.A = (*mat.Dense)(nil) }), nil, nil),
		solveCase("A rows ≠ len B", with(func(pb *Problem) { pb.A, pb.B = row, []float64{1, 2} }), nil, ErrDims),
		solveCase("A cols ≠ n", with(func(pb *Problem) { pb.A, pb.B = mat.NewDense(1, 3, nil), []float64{0} }), nil, ErrDims),
		solveCase("G cols ≠ n", with(func(pb *Problem) { pb.G = mat.NewDense(1, 3, nil) }), nil, ErrDims),
		solveCase("G rows ≠ len H", with(func(pb *Problem) { pb.H = []float64{1, 1} }), nil, ErrDims),
		solveCase("len Lower", with(func(pb *Problem) { pb.Lower = []float64{0} }), nil, ErrDims),
		solveCase("NaN cost", with(func(pb *Problem) { pb.C[0] = nan }), nil, ErrNaN),
		solveCase("Inf cost", with(func(pb *Problem) { pb.C[1] = -inf }), nil, ErrNaN),
		solveCase("NaN in G", with(func(pb *Problem) { pb.G = mat.NewDense(1, 2, []float64{nan, 1}) }), nil, ErrNaN),
		solveCase("NaN in H", with(func(pb *Problem) { pb.H[0] = nan }), nil, ErrNaN),
		solveCase("NaN bound", with(func(pb *Problem) { pb.Upper[0] = nan }), nil, ErrNaN),
		solveCase("+Inf lower bound", with(func(pb *Problem) { pb.Lower[0] = inf }), nil, ErrNaN),
		solveCase("crossed bounds", with(func(pb *Problem) { pb.Lower[0] = 2 }), nil, ErrInfeasible),
		solveCase("infeasible", with(func(pb *Problem) { pb.H[0] = -1 }), nil, ErrInfeasible),
		solveCase("unbounded", &Problem{C: []float64{-1, 0}, Lower: []float64{0, 0}}, nil, ErrUnbounded),
		solveCase("1e300 cost", with(func(pb *Problem) { pb.C = []float64{-1e300, 1e300} }), nil, nil, ErrNaN, ErrNotConverged),
		solveCase("1e-300 cost", with(func(pb *Problem) { pb.C = []float64{-1e-300, 1e-300} }), nil, nil, ErrNotConverged),
		// x₂ = 5e199 at the optimum and c₂ = 1e200: cᵀx ≈ 5e399 is not a float64.
		solveCase("cᵀx overflows", &Problem{C: []float64{0, 1e200}, A: mat.NewDense(1, 2, []float64{0, 1}), B: []float64{5e199},
			Lower: []float64{0, 0}, Upper: []float64{1, inf}}, nil, ErrNaN),
		solveCase("1e300 bounds", with(func(pb *Problem) { pb.Upper = []float64{1e300, 1e300} }), nil, nil, ErrNaN, ErrNotConverged),
		solveCase("Tol -1", box2(), &Settings{Tol: -1}, ErrInvalid),
		solveCase("Tol NaN", box2(), &Settings{Tol: nan}, ErrInvalid),
		solveCase("Tol 1", box2(), &Settings{Tol: 1}, ErrInvalid),
		solveCase("Tol 0.5", box2(), &Settings{Tol: 0.5}, nil),
		solveCase("MaxIter -1", box2(), &Settings{MaxIter: -1}, ErrInvalid),
		solveCase("MaxIter 1", box2(), &Settings{MaxIter: 1}, nil, ErrNotConverged),
		solveCase("Quadratic -1", box2(), &Settings{Quadratic: -1}, ErrInvalid),
		solveCase("Quadratic NaN", box2(), &Settings{Quadratic: nan}, ErrInvalid),
		solveCase("Quadratic Inf", box2(), &Settings{Quadratic: inf}, ErrNaN),
		solveCase("Barrier -1", box2(), &Settings{Barrier: -1}, ErrInvalid),
		solveCase("Barrier NaN", box2(), &Settings{Barrier: nan}, ErrNaN),
		solveCase("WarmStart length", box2(), &Settings{WarmStart: []float64{1}}, ErrDims),
		solveCase("WarmStart NaN", box2(), &Settings{WarmStart: []float64{nan, 0}}, nil, ErrNaN),
		{Name: "Solve/cost scales", Call: func(ctx context.Context) (func() error, error) {
			// min cᵀx over {x ≥ 0, x₁ + x₂ = 1}, c = s·(1, 2): bounded at every
			// scale s; the interior point reported it unbounded from s = 1e20.
			var errs []error
			for _, sc := range []float64{1, 1e13, 1e20, 1e100, 1e300} {
				pb := &Problem{C: []float64{sc, 2 * sc}, A: mat.NewDense(1, 2, []float64{1, 1}), B: []float64{1}, Lower: []float64{0, 0}}
				sol, err := Solve(ctx, pb, nil)
				if err != nil {
					return nil, fmt.Errorf("scale %g: %w", sc, err)
				}
				// x = (1, 0); stationarity c + Aᵀν − μ_l = 0 relative to s.
				if math.Abs(sol.X[0]-1) > 1e-6 || math.Abs(sol.X[1]) > 1e-6 {
					errs = append(errs, fmt.Errorf("scale %g: x = %v", sc, sol.X))
				}
				for i := range 2 {
					r := (pb.C[i] + sol.Nu[0] - sol.LowerDual[i]) / sc
					if math.Abs(r) > 1e-6 {
						errs = append(errs, fmt.Errorf("scale %g: stationarity residual %g in %d", sc, r, i))
					}
				}
				if math.Abs(sol.Objective/sc-1) > 1e-6 {
					errs = append(errs, fmt.Errorf("scale %g: objective %g", sc, sol.Objective))
				}
			}
			return func() error { return errors.Join(errs...) }, nil
		}},
		{Name: "Backward/cost scale", Call: func(ctx context.Context) (func() error, error) {
			// With γ scaled along, x*(s·c, s·γ) = x*(c, γ): ∂x*/∂c scales by 1/s.
			pb1 := box2()
			ref, err := Solve(ctx, pb1, &Settings{Quadratic: 0.5})
			if err != nil {
				return nil, err
			}
			g1, err := ref.Backward([]float64{1, -1})
			if err != nil {
				return nil, err
			}
			const sc = 1e20
			pb2 := box2()
			pb2.C = []float64{-sc, -2 * sc}
			sol, err := Solve(ctx, pb2, &Settings{Quadratic: 0.5 * sc})
			if err != nil {
				return nil, err
			}
			g2, err := sol.Backward([]float64{1, -1})
			if err != nil {
				return nil, err
			}
			return func() error {
				for i := range g1.C {
					if math.Abs(g2.C[i]*sc-g1.C[i]) > 1e-6*math.Max(1, math.Abs(g1.C[i])) {
						return fmt.Errorf("∂/∂c[%d] = %g at scale %g, want %g", i, g2.C[i], sc, g1.C[i]/sc)
					}
					if math.Abs(sol.X[i]-ref.X[i]) > 1e-7 {
						return fmt.Errorf("x[%d] = %g, want %g", i, sol.X[i], ref.X[i])
					}
				}
				return nil
			}, nil
		}},
		{Name: "Solve/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := Solve(testutil.Canceled(), box2(), nil)
			return nil, err
		}},
		{Name: "Solve/expired ctx", Want: context.DeadlineExceeded, Call: func(ctx context.Context) (func() error, error) {
			ctx, cancel := context.WithTimeout(ctx, 0)
			defer cancel()
			_, err := Solve(ctx, box2(), nil)
			return nil, err
		}},
		{Name: "Solve/nil ctx", Call: func(context.Context) (func() error, error) {
			//lint:ignore SA1012 a nil context is what is tested
			sol, err := Solve(nil, box2(), nil) //nolint:staticcheck
			return func() error { return feasible(box2(), sol.X, 1e-6) }, err
		}},
		{Name: "Solve/8 goroutines", Call: func(ctx context.Context) (func() error, error) {
			pb := box2()
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					sol, err := Solve(ctx, pb, nil)
					if err == nil && math.Abs(sol.Objective+2) > 1e-6 {
						err = fmt.Errorf("objective %v", sol.Objective)
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return nil }, errors.Join(errs...)
		}},
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialBatchOracleBackward(t *testing.T) {
	row := mat.NewDense(1, 2, []float64{1, 1})
	cases := []testutil.Case{
		{Name: "SolveBatch/nil entry", Call: func(ctx context.Context) (func() error, error) {
			sols, err := SolveBatch(ctx, []*Problem{box2(), nil}, nil)
			var be interface{ Unwrap() []error }
			if !errors.As(err, &be) && err != nil {
				return nil, err
			}
			return func() error {
				if err == nil || !errors.Is(err, ErrDims) {
					return fmt.Errorf("error %v, want one matching ErrDims", err)
				}
				return feasible(box2(), sols[0].X, 1e-6)
			}, nil
		}},
		{Name: "SolveBatch/empty", Call: func(ctx context.Context) (func() error, error) {
			sols, err := SolveBatch(ctx, nil, nil)
			return func() error {
				if len(sols) != 0 {
					return errors.New("solutions for no problems")
				}
				return nil
			}, err
		}},
		{Name: "SolveBatch/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := SolveBatch(testutil.Canceled(), []*Problem{box2(), box2()}, nil)
			return nil, err
		}},
		{Name: "SolveBatch/negative workers", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := SolveBatch(ctx, []*Problem{box2()}, &Settings{Workers: -1})
			return nil, err
		}},
		{Name: "SolveBatch/bad settings", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := SolveBatch(ctx, []*Problem{box2()}, &Settings{Tol: -1})
			return nil, err
		}},
		{Name: "NewOracle/nil", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewOracle(nil, nil)
			return nil, err
		}},
		{Name: "NewOracle/no variables", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewOracle(&Problem{}, nil)
			return nil, err
		}},
		{Name: "NewOracle/G without H", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewOracle(&Problem{G: row, Lower: []float64{0, 0}, Upper: []float64{1, 1}}, nil)
			return nil, err
		}},
		{Name: "NewOracle/A without B", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewOracle(&Problem{A: row, Lower: []float64{0, 0}}, nil)
			return nil, err
		}},
		{Name: "NewOracle/bounds length", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewOracle(&Problem{G: row, H: []float64{1}, Lower: []float64{0}}, nil)
			return nil, err
		}},
		{Name: "NewOracle/typed nil A", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := NewOracle(&Problem{A: (*mat.Dense)(nil)}, nil)
			return nil, err
		}},
		{Name: "NewOracle/bad settings", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := NewOracle(box2(), &Settings{MaxIter: -3})
			return nil, err
		}},
		{Name: "Oracle/wrong lengths", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			or, err := NewOracle(box2(), nil)
			if err != nil {
				return nil, err
			}
			return nil, or(context.Background(), make([]float64, 2), nil)
		}},
		{Name: "Oracle/NaN cost", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			or, err := NewOracle(box2(), nil)
			if err != nil {
				return nil, err
			}
			return nil, or(context.Background(), make([]float64, 2), []float64{math.NaN(), 0})
		}},
		{Name: "Oracle/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			or, err := NewOracle(box2(), nil)
			if err != nil {
				return nil, err
			}
			return nil, or(testutil.Canceled(), make([]float64, 2), []float64{-1, -2})
		}},
		{Name: "Oracle/8 goroutines", Call: func(context.Context) (func() error, error) {
			or, err := NewOracle(box2(), nil)
			if err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					x := make([]float64, 2)
					err := or(context.Background(), x, []float64{-1, -2 - float64(k)})
					if err == nil {
						err = feasible(box2(), x, 1e-6)
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return nil }, errors.Join(errs...)
		}},
		{Name: "Backward/nil receiver", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			var s *Solution
			if s.QP() != nil {
				return nil, errors.New("QP of nil")
			}
			_, err := s.Backward([]float64{1, 1})
			return nil, err
		}},
		{Name: "Backward/zero value", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := (&Solution{}).Backward([]float64{1, 1})
			return nil, err
		}},
		{Name: "Backward/wrong length", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			sol, err := Solve(ctx, box2(), &Settings{Quadratic: 0.1})
			if err != nil {
				return nil, err
			}
			_, err = sol.Backward([]float64{1})
			return nil, err
		}},
		{Name: "Backward/NaN", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			sol, err := Solve(ctx, box2(), &Settings{Quadratic: 0.1})
			if err != nil {
				return nil, err
			}
			_, err = sol.Backward([]float64{math.NaN(), 1})
			return nil, err
		}},
		{Name: "Backward/valid", Call: func(ctx context.Context) (func() error, error) {
			sol, err := Solve(ctx, box2(), &Settings{Quadratic: 0.1})
			if err != nil {
				return nil, err
			}
			g, err := sol.Backward([]float64{1, -1})
			if err != nil {
				return nil, err
			}
			return func() error { return testutil.Finite("gradient", g.C, g.H, g.Lower, g.Upper) }, nil
		}},
	}
	testutil.RunAdversarial(t, cases)
}
