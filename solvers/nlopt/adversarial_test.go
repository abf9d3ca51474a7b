//go:build nlopt && cgo

package nlopt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/solvers/nlp"
)

// advQuad is min (x₀ − 1)² + (x₁ + 2)² with its gradient.
func advQuad() *Problem {
	return &Problem{Dim: 2, Objective: func(x, grad []float64) float64 {
		if grad != nil {
			grad[0], grad[1] = 2*(x[0]-1), 2*(x[1]+2)
		}
		return (x[0]-1)*(x[0]-1) + (x[1]+2)*(x[1]+2)
	}}
}

// TestAdversarialMinimize: Minimize, FromNLP and SolveNLP with nil and
// malformed problems, non-finite and huge starts and bounds, every bad
// setting, unknown algorithms, panicking callbacks, canceled contexts and
// 8 concurrent runs.
func TestAdversarialMinimize(t *testing.T) {
	x0 := []float64{0, 0}
	run := func(p *Problem, x0 []float64, s *Settings) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			res, err := Minimize(ctx, p, x0, s)
			return func() error {
				if res == nil {
					return errors.New("nil result with nil error")
				}
				if math.Abs(res.X[0]-1) > 1e-4 || math.Abs(res.X[1]+2) > 1e-4 {
					return fmt.Errorf("x = %v, want (1, −2)", res.X)
				}
				return testutil.Finite("Minimize", res.X, []float64{res.F})
			}, err
		}
	}
	panicky := advQuad()
	panicky.Objective = func([]float64, []float64) float64 { panic("user objective panics") }
	panicCons := advQuad()
	panicCons.Inequalities = []Constraint{ScalarConstraint(func([]float64, []float64) float64 { panic("user constraint panics") }, 1e-8)}
	nanObj := advQuad()
	nanObj.Objective = func([]float64, []float64) float64 { return math.NaN() }
	bad := func(s Settings) *Settings { return &s }
	cases := []testutil.Case{
		{Name: "ok", Call: run(advQuad(), x0, nil)},
		{Name: "nil problem", Want: ErrInvalidArgs, Call: run(nil, x0, nil)},
		{Name: "Dim=0", Want: ErrInvalidArgs, Call: run(&Problem{Objective: advQuad().Objective}, nil, nil)},
		{Name: "Dim=-1", Want: ErrInvalidArgs, Call: run(&Problem{Dim: -1, Objective: advQuad().Objective}, nil, nil)},
		{Name: "nil objective", Want: ErrInvalidArgs, Call: run(&Problem{Dim: 2}, x0, nil)},
		{Name: "short x0", Want: ErrInvalidArgs, Call: run(advQuad(), x0[:1], nil)},
		{Name: "NaN x0", Want: ErrNaN, Call: run(advQuad(), []float64{math.NaN(), 0}, nil)},
		{Name: "x0=1e300", Want: ErrInvalidArgs, Call: run(advQuad(), []float64{1e300, 0}, nil)},
		{Name: "crossed bounds", Want: ErrInvalidArgs, Call: run(&Problem{Dim: 2, Objective: advQuad().Objective, Lower: []float64{1, 1}, Upper: []float64{0, 0}}, x0, nil)},
		{Name: "NaN bound", Want: ErrInvalidArgs, Call: run(&Problem{Dim: 2, Objective: advQuad().Objective, Lower: []float64{math.NaN(), 0}}, x0, nil)},
		{Name: "x0 outside bounds", Want: ErrInvalidArgs, Call: run(&Problem{Dim: 2, Objective: advQuad().Objective, Lower: []float64{1, 1}}, x0, nil)},
		{Name: "constraint without Func", Want: ErrInvalidArgs, Call: run(&Problem{Dim: 2, Objective: advQuad().Objective, Inequalities: []Constraint{{Dim: 1}}}, x0, nil)},
		{Name: "negative constraint Tol", Want: ErrInvalidArgs, Call: run(&Problem{Dim: 2, Objective: advQuad().Objective,
			Equalities: []Constraint{{Dim: 1, Func: func(r, _, _ []float64) { r[0] = 0 }, Tol: []float64{-1}}}}, x0, nil)},
		{Name: "unknown algorithm", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{Algorithm: Algorithm(9999)}))},
		{Name: "negative algorithm", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{Algorithm: Algorithm(-1)}))},
		{Name: "XTolRel=-1", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{XTolRel: -1}))},
		{Name: "FTolAbs=NaN", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{FTolAbs: math.NaN()}))},
		{Name: "MaxTime=-1", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{MaxTime: -1}))},
		{Name: "Population=-1", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{Population: -1}))},
		{Name: "InitialStep=0", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{InitialStep: []float64{0, 1}}))},
		{Name: "NaN StopVal", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{UseStopVal: true, StopVal: math.NaN()}))},
		{Name: "nested Local", Want: ErrInvalidArgs, Call: run(advQuad(), x0, bad(Settings{Local: &Settings{Local: &Settings{}}}))},
		{Name: "panicking objective", Want: ErrCallback, Call: run(panicky, x0, nil)},
		{Name: "panicking constraint", Want: ErrCallback, Call: run(panicCons, x0, nil)},
		{Name: "NaN objective", Any: []error{ErrNaN, ErrFailure, ErrRoundoffLimited}, Call: run(nanObj, x0, nil)},
		{Name: "canceled", Any: []error{context.Canceled, ErrForcedStop}, Call: func(context.Context) (func() error, error) {
			_, err := Minimize(testutil.Canceled(), advQuad(), x0, nil)
			return nil, err
		}},
		{Name: "ParseAlgorithm/unknown", Want: ErrInvalidArgs, Call: func(context.Context) (func() error, error) {
			_, err := ParseAlgorithm("LD_NOPE")
			return nil, err
		}},
		{Name: "FromNLP/nil", Want: nlp.ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := FromNLP(nil, nil, 0)
			return nil, err
		}},
		{Name: "SolveNLP/nil", Want: nlp.ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := SolveNLP(ctx, nil, nil, nil, nil, nil)
			return nil, err
		}},
		{Name: "8 goroutines", Call: func(ctx context.Context) (func() error, error) {
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for k := range 8 {
				wg.Go(func() {
					res, err := Minimize(ctx, advQuad(), []float64{float64(k), -float64(k)}, nil)
					if err == nil && (math.Abs(res.X[0]-1) > 1e-4 || math.Abs(res.X[1]+2) > 1e-4) {
						err = fmt.Errorf("run %d: x = %v", k, res.X)
					}
					errs[k] = err
				})
			}
			wg.Wait()
			return func() error { return errors.Join(errs...) }, nil
		}},
	}
	testutil.RunAdversarial(t, cases)
}
