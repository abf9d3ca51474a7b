//go:build nlopt && cgo

package nlopt

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/nlp"
)

// tutorial is NLopt's tutorial problem: minimize √x₂ subject to
// x₂ ≥ (aᵢx₁ + bᵢ)³ for (a, b) = (2, 0) and (−1, 1), x₂ ≥ 0. Its optimum is
// x = (1/3, 8/27), f = √(8/27).
func tutorial(vector bool) *Problem {
	p := &Problem{
		Dim: 2,
		Objective: func(x, grad []float64) float64 {
			if grad != nil {
				grad[0] = 0
				grad[1] = 0.5 / math.Sqrt(x[1])
			}
			return math.Sqrt(x[1])
		},
		Lower: []float64{math.Inf(-1), 0},
	}
	ab := [][2]float64{{2, 0}, {-1, 1}}
	if vector {
		p.Inequalities = []Constraint{{
			Dim: 2,
			Func: func(result, x, jac []float64) {
				for i, c := range ab {
					a, b := c[0], c[1]
					result[i] = (a*x[0]+b)*(a*x[0]+b)*(a*x[0]+b) - x[1]
					if jac != nil {
						jac[2*i] = 3 * a * (a*x[0] + b) * (a*x[0] + b)
						jac[2*i+1] = -1
					}
				}
			},
			Tol: []float64{1e-12, 1e-12},
		}}
		return p
	}
	for _, c := range ab {
		a, b := c[0], c[1]
		p.Inequalities = append(p.Inequalities, ScalarConstraint(func(x, grad []float64) float64 {
			if grad != nil {
				grad[0] = 3 * a * (a*x[0] + b) * (a*x[0] + b)
				grad[1] = -1
			}
			return (a*x[0]+b)*(a*x[0]+b)*(a*x[0]+b) - x[1]
		}, 1e-12))
	}
	return p
}

var tutorialX = []float64{1.0 / 3, 8.0 / 27}

func TestTutorial(t *testing.T) {
	cases := []struct {
		s   Settings
		tol float64
	}{
		{Settings{Algorithm: LD_MMA, XTolRel: 1e-10}, 1e-7},
		{Settings{Algorithm: LD_SLSQP, XTolRel: 1e-10}, 1e-7},
		{Settings{Algorithm: LD_SLSQP, XTolAbsVector: []float64{1e-12, 1e-12}}, 1e-7},
		{Settings{}, 1e-7}, // Default is SLSQP
		{Settings{Algorithm: LD_CCSAQ, XTolRel: 1e-10}, 1e-7},
		{Settings{Algorithm: LN_COBYLA, XTolRel: 1e-10}, 1e-6},
		// AUGLAG_EQ penalizes equalities only; the local optimizer takes
		// the inequalities. (Plain AUGLAG with L-BFGS fails on this problem:
		// its penalty subproblems drive x₂ to 0, where ∇√x₂ is infinite.)
		{Settings{Algorithm: AUGLAG_EQ, XTolRel: 1e-10, Local: &Settings{Algorithm: LD_MMA, XTolRel: 1e-10}}, 1e-6},
		{Settings{Algorithm: AUGLAG_EQ, XTolRel: 1e-10, Local: &Settings{Algorithm: LD_SLSQP, XTolRel: 1e-10}}, 1e-7},
		{Settings{Algorithm: AUGLAG_EQ, XTolRel: 1e-10}, 1e-6}, // default local: MMA
		{Settings{Algorithm: LN_AUGLAG, XTolRel: 1e-10, Local: &Settings{Algorithm: LN_COBYLA, XTolRel: 1e-10}}, 1e-4},
	}
	for _, vector := range []bool{false, true} {
		for _, c := range cases {
			name := c.s.Algorithm.String()
			if c.s.Local != nil {
				name += "+" + c.s.Local.Algorithm.String()
			}
			if vector {
				name += "/vector"
			}
			t.Run(name, func(t *testing.T) {
				x0 := []float64{1.234, 5.678}
				res, err := Minimize(context.Background(), tutorial(vector), x0, &c.s)
				require.NoError(t, err)
				assert.InDeltaSlice(t, tutorialX, res.X, c.tol)
				assert.InDelta(t, math.Sqrt(8.0/27), res.F, c.tol)
				assert.True(t, res.Status.Converged() || res.Status == Success, "status %v", res.Status)
				assert.Positive(t, res.Evaluations)
				assert.Equal(t, []float64{1.234, 5.678}, x0, "x0 modified")
			})
		}
	}
}

func TestMaximizeBoundsEquality(t *testing.T) {
	// maximize x₀ + 2x₁ on the unit circle, x₀ ≤ 0.3: the optimum of the
	// unrestricted problem (1, 2)/√5 violates the bound, so x₀ = 0.3,
	// x₁ = √0.91.
	p := &Problem{
		Dim: 2,
		Objective: func(x, grad []float64) float64 {
			if grad != nil {
				grad[0], grad[1] = 1, 2
			}
			return x[0] + 2*x[1]
		},
		Maximize: true,
		Lower:    []float64{-2, -2},
		Upper:    []float64{0.3, 2},
		Equalities: []Constraint{ScalarConstraint(func(x, grad []float64) float64 {
			if grad != nil {
				grad[0], grad[1] = 2*x[0], 2*x[1]
			}
			return x[0]*x[0] + x[1]*x[1] - 1
		}, 1e-12)},
	}
	for _, s := range []Settings{
		{Algorithm: LD_SLSQP, XTolRel: 1e-12},
		{Algorithm: LN_COBYLA, XTolRel: 1e-12},
		{Algorithm: AUGLAG_EQ, XTolRel: 1e-12, Local: &Settings{Algorithm: LD_MMA, XTolRel: 1e-12}},
		{Algorithm: AUGLAG, XTolRel: 1e-12, Local: &Settings{Algorithm: LD_LBFGS, FTolRel: 1e-14}},
		{Algorithm: AUGLAG, XTolRel: 1e-10}, // default local: L-BFGS
	} {
		alg := s.Algorithm
		res, err := Minimize(context.Background(), p, []float64{0, 0.5}, &s)
		if alg == AUGLAG && errors.Is(err, ErrFailure) {
			// NLopt's L-BFGS reports a failed line search once it cannot
			// improve; AUGLAG passes that on, with the optimum in hand.
			require.NotNil(t, res)
		} else {
			require.NoError(t, err, "%v local %v: %v", alg, s.Local, res)
		}
		assert.InDeltaSlice(t, []float64{0.3, math.Sqrt(0.91)}, res.X, 1e-5, alg)
		assert.InDelta(t, 0.3+2*math.Sqrt(0.91), res.F, 1e-5, alg)
	}
}

func TestUnconstrainedAndGlobal(t *testing.T) {
	// Rosenbrock.
	rosen := &Problem{
		Dim: 2,
		Objective: func(x, grad []float64) float64 {
			a, b := 1-x[0], x[1]-x[0]*x[0]
			if grad != nil {
				grad[0] = -2*a - 400*x[0]*b
				grad[1] = 200 * b
			}
			return a*a + 100*b*b
		},
		Lower: []float64{-2, -2},
		Upper: []float64{2, 2},
	}
	for _, alg := range []Algorithm{LD_LBFGS, LD_TNEWTON_PRECOND_RESTART, LD_VAR2, LN_BOBYQA, LN_NELDERMEAD, LN_SBPLX, LN_NEWUOA_BOUND, LN_PRAXIS} {
		res, err := Minimize(context.Background(), rosen, []float64{-1.2, 1}, &Settings{Algorithm: alg, XTolRel: 1e-12, FTolAbs: 1e-20})
		if errors.Is(err, ErrRoundoffLimited) {
			require.NotNil(t, res, alg)
		} else {
			require.NoError(t, err, alg)
		}
		assert.InDeltaSlice(t, []float64{1, 1}, res.X, 1e-3, alg)
	}
	for _, alg := range []Algorithm{GN_DIRECT_L, GN_CRS2_LM, GN_ISRES, GN_ESCH, GN_DIRECT} {
		res, err := Minimize(context.Background(), rosen, []float64{0, 0}, &Settings{Algorithm: alg, MaxEval: 20000, Seed: 7})
		require.NoError(t, err, alg)
		assert.Less(t, res.F, 0.2, alg)
	}
	// MLSL with a local optimizer.
	res, err := Minimize(context.Background(), rosen, []float64{0, 0}, &Settings{Algorithm: G_MLSL_LDS, MaxEval: 3000, Local: &Settings{Algorithm: LD_LBFGS, XTolRel: 1e-8}})
	require.NoError(t, err)
	assert.Less(t, res.F, 1e-6)
}

func TestEveryAlgorithmRunsOrReportsInvalid(t *testing.T) {
	// Every enum value either solves a bound-constrained quadratic or
	// returns ErrInvalidArgs (not built into the library); none crashes.
	p := &Problem{
		Dim: 2,
		Objective: func(x, grad []float64) float64 {
			if grad != nil {
				grad[0], grad[1] = 2*(x[0]-0.3), 2*(x[1]+0.2)
			}
			return (x[0]-0.3)*(x[0]-0.3) + (x[1]+0.2)*(x[1]+0.2)
		},
		Lower: []float64{-1, -1},
		Upper: []float64{1, 1},
	}
	built := 0
	for _, alg := range Algorithms() {
		res, err := Minimize(context.Background(), p, []float64{0.9, 0.9}, &Settings{Algorithm: alg, MaxEval: 5000, XTolRel: 1e-8})
		if errors.Is(err, ErrInvalidArgs) {
			t.Logf("%v: %v", alg, err)
			continue
		}
		built++
		if err != nil {
			require.ErrorIs(t, err, ErrRoundoffLimited, alg)
		}
		require.NotNil(t, res, alg)
		assert.Less(t, res.F, 1e-2, alg)
	}
	// 44 algorithms, less the four Debian does not build and the two
	// original-DIRECT variants disabled for crashing on badly scaled bounds.
	assert.GreaterOrEqual(t, built, 38)
}

func TestPanicRecovered(t *testing.T) {
	for _, where := range []string{"objective", "constraint"} {
		p := tutorial(true)
		calls := 0
		if where == "objective" {
			f := p.Objective
			p.Objective = func(x, grad []float64) float64 {
				calls++
				if calls == 3 {
					panic("boom")
				}
				return f(x, grad)
			}
		} else {
			f := p.Inequalities[0].Func
			p.Inequalities[0].Func = func(r, x, jac []float64) {
				calls++
				if calls == 3 {
					var m map[string]int
					m["x"] = 1 // a runtime error panic
				}
				f(r, x, jac)
			}
		}
		_, err := Minimize(context.Background(), p, []float64{1.234, 5.678}, &Settings{Algorithm: LD_MMA})
		require.Error(t, err, where)
		assert.ErrorIs(t, err, ErrCallback, where)
		assert.ErrorIs(t, err, ErrForcedStop, where)
		assert.Equal(t, 3, calls, "%s: user code called after the panic", where)
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	evals := 0
	p := &Problem{
		Dim: 3,
		Objective: func(x, grad []float64) float64 {
			evals++
			if evals == 50 {
				cancel()
			}
			if grad != nil {
				for i := range grad {
					grad[i] = 2 * x[i]
				}
			}
			return x[0]*x[0] + x[1]*x[1] + x[2]*x[2]
		},
	}
	res, err := Minimize(ctx, p, []float64{1, 2, 3}, &Settings{Algorithm: LN_NELDERMEAD, XTolRel: 1e-300, MaxEval: -1})
	require.ErrorIs(t, err, ErrForcedStop)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 50, evals)
	require.NotNil(t, res)
	assert.Len(t, res.X, 3)

	// Already cancelled, and a deadline.
	_, err = Minimize(ctx, p, []float64{1, 2, 3}, nil)
	require.ErrorIs(t, err, context.Canceled)
	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer dcancel()
	slow := *p
	slow.Objective = func(x, grad []float64) float64 { time.Sleep(time.Millisecond); return x[0] * x[0] }
	_, err = Minimize(dctx, &slow, []float64{1, 2, 3}, &Settings{Algorithm: LN_SBPLX, XTolRel: 1e-300, MaxEval: -1})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// Cancellation reaches the subsidiary optimizer of AUGLAG.
	actx, acancel := context.WithCancel(context.Background())
	n := 0
	tp := tutorial(true)
	f := tp.Objective
	tp.Objective = func(x, grad []float64) float64 {
		n++
		if n == 5 {
			acancel()
		}
		return f(x, grad)
	}
	_, err = Minimize(actx, tp, []float64{1.234, 5.678}, &Settings{Algorithm: AUGLAG})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 5, n)
}

func TestInvalidArgs(t *testing.T) {
	ok := tutorial(true)
	x0 := []float64{1.234, 5.678}
	bad := []struct {
		name string
		p    *Problem
		x0   []float64
		s    *Settings
		want error
	}{
		{"nil problem", nil, x0, nil, ErrInvalidArgs},
		{"dim 0", &Problem{Objective: ok.Objective}, nil, nil, ErrInvalidArgs},
		{"nil objective", &Problem{Dim: 2}, x0, nil, ErrInvalidArgs},
		{"x0 length", ok, []float64{1}, nil, ErrInvalidArgs},
		{"x0 NaN", ok, []float64{math.NaN(), 1}, nil, ErrNaN},
		{"x0 outside bounds", ok, []float64{1, -1}, nil, ErrInvalidArgs},
		{"lower > upper", &Problem{Dim: 2, Objective: ok.Objective, Lower: []float64{1, 1}, Upper: []float64{0, 2}}, x0, nil, ErrInvalidArgs},
		{"bounds length", &Problem{Dim: 2, Objective: ok.Objective, Lower: []float64{1}}, x0, nil, ErrInvalidArgs},
		{"NaN bound", &Problem{Dim: 2, Objective: ok.Objective, Upper: []float64{math.NaN(), 1}}, x0, nil, ErrInvalidArgs},
		{"constraint tol", &Problem{Dim: 2, Objective: ok.Objective, Inequalities: []Constraint{{Dim: 2, Func: ok.Inequalities[0].Func, Tol: []float64{1}}}}, x0, nil, ErrInvalidArgs},
		{"negative tol", &Problem{Dim: 2, Objective: ok.Objective, Equalities: []Constraint{{Dim: 1, Func: func(r, x, j []float64) {}, Tol: []float64{-1}}}}, x0, nil, ErrInvalidArgs},
		{"nil constraint", &Problem{Dim: 2, Objective: ok.Objective, Equalities: []Constraint{{Dim: 1}}}, x0, nil, ErrInvalidArgs},
		{"algorithm", ok, x0, &Settings{Algorithm: 999}, ErrInvalidArgs},
		{"negative xtol", ok, x0, &Settings{XTolRel: -1}, ErrInvalidArgs},
		{"NaN ftol", ok, x0, &Settings{FTolAbs: math.NaN()}, ErrInvalidArgs},
		{"initial step", ok, x0, &Settings{InitialStep: []float64{1}}, ErrInvalidArgs},
		{"xtol vector length", ok, x0, &Settings{XTolAbsVector: []float64{1}}, ErrInvalidArgs},
		{"xtol vector NaN", ok, x0, &Settings{XTolAbsVector: []float64{1, math.NaN()}}, ErrInvalidArgs},
		{"unknown param", ok, x0, &Settings{Params: map[string]float64{"no such": 1}}, nil},
		{"MMA with equality", &Problem{Dim: 2, Objective: ok.Objective, Equalities: []Constraint{{Dim: 1, Func: func(r, x, j []float64) {}}}}, x0, &Settings{Algorithm: LD_MMA}, ErrInvalidArgs},
		{"global without bounds", ok, x0, &Settings{Algorithm: GN_DIRECT}, ErrInvalidArgs},
		{"LBFGS with constraints", ok, x0, &Settings{Algorithm: LD_LBFGS}, ErrInvalidArgs},
	}
	for _, c := range bad {
		res, err := Minimize(context.Background(), c.p, c.x0, c.s)
		if c.want == nil {
			// NLopt accepts unknown parameters silently.
			assert.NoError(t, err, c.name)
			continue
		}
		require.ErrorIs(t, err, c.want, c.name)
		if res != nil {
			assert.True(t, finite(res.X), c.name)
		}
	}
}

func TestNaNObjective(t *testing.T) {
	// COBYLA never returns on a NaN objective; every callback returning
	// NaN stops the run with ErrNaN.
	nanAt := func(x []float64) bool { return x[0] < 0.5 }
	p := &Problem{Dim: 2, Objective: func(x, grad []float64) float64 {
		if nanAt(x) {
			return math.NaN()
		}
		if grad != nil {
			grad[0], grad[1] = 2*x[0], 2*x[1]
		}
		return x[0]*x[0] + x[1]*x[1]
	}}
	for _, alg := range []Algorithm{LD_LBFGS, LN_NELDERMEAD, LN_COBYLA, LD_MMA, LD_SLSQP, LN_BOBYQA} {
		res, err := Minimize(context.Background(), p, []float64{1, 2}, &Settings{Algorithm: alg, MaxEval: 1000})
		require.ErrorIs(t, err, ErrNaN, alg)
		if res != nil {
			require.False(t, math.IsNaN(res.F), alg)
		}
	}
	// A NaN gradient and a NaN constraint.
	q := &Problem{Dim: 1, Objective: func(x, grad []float64) float64 {
		if grad != nil {
			grad[0] = math.NaN()
		}
		return x[0]
	}}
	_, err := Minimize(context.Background(), q, []float64{1}, &Settings{Algorithm: LD_LBFGS})
	require.ErrorIs(t, err, ErrNaN)
	tp := tutorial(true)
	tp.Inequalities[0].Func = func(r, x, jac []float64) { r[0], r[1] = math.NaN(), 0 }
	_, err = Minimize(context.Background(), tp, []float64{1, 2}, &Settings{Algorithm: LN_COBYLA})
	require.ErrorIs(t, err, ErrNaN)
}

func TestManyRunsConcurrent(t *testing.T) {
	// Many goroutines, many runs: every run gets the same answer, and
	// handles are all released (checked by cgo.Handle's own accounting
	// through a finalizer-free count below).
	runs := 200
	if testing.Short() {
		runs = 40
	}
	workers := 2 * runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make(chan error, runs)
	xs := make([][]float64, runs)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for i := w; i < runs; i += workers {
				algs := []Algorithm{LD_MMA, LD_SLSQP, LN_COBYLA, LD_CCSAQ}
				s := &Settings{Algorithm: algs[rng.IntN(len(algs))], XTolRel: 1e-10}
				res, err := Minimize(context.Background(), tutorial(i%2 == 0), []float64{1.234, 5.678}, s)
				if err != nil {
					errs <- err
					continue
				}
				xs[i] = res.X
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i := range runs {
		assert.InDeltaSlice(t, tutorialX, xs[i], 1e-6, "run %d", i)
	}
}

func TestNoLeaks(t *testing.T) {
	// Many runs, some failing, panicking or cancelled: no cgo handle stays
	// alive and C memory does not grow.
	runs := 3000
	if testing.Short() {
		runs = 500
	}
	one := func(i int) {
		p := tutorial(i%2 == 0)
		s := &Settings{Algorithm: []Algorithm{LD_MMA, LD_SLSQP, LN_COBYLA, AUGLAG_EQ}[i%4], XTolRel: 1e-8}
		ctx := context.Background()
		switch i % 5 {
		case 3:
			f := p.Objective
			p.Objective = func(x, g []float64) float64 {
				if x[0] < 1 {
					panic("leak test")
				}
				return f(x, g)
			}
		case 4:
			c, cancel := context.WithCancel(ctx)
			cancel()
			ctx = c
		}
		Minimize(ctx, p, []float64{1.234, 5.678}, s)
	}
	for i := range 200 { // warm up allocator and NLopt's lazy state
		one(i)
	}
	before := cMallocInUse()
	for i := range runs {
		one(i)
	}
	after := cMallocInUse()
	assert.Zero(t, liveHandles.Load())
	// A leak of the NLopt object (≥ 1 KB) per run would show as MBs.
	assert.Less(t, after-before, 64<<10, "C heap grew by %d bytes over %d runs", after-before, runs)
}

func TestSeedReproducible(t *testing.T) {
	p := &Problem{
		Dim: 2,
		Objective: func(x, grad []float64) float64 {
			return math.Sin(3*x[0])*math.Cos(2*x[1]) + 0.1*(x[0]*x[0]+x[1]*x[1])
		},
		Lower: []float64{-3, -3}, Upper: []float64{3, 3},
	}
	s := &Settings{Algorithm: GN_CRS2_LM, MaxEval: 500, Seed: 42}
	a, err := Minimize(context.Background(), p, []float64{0, 0}, s)
	require.NoError(t, err)
	b, err := Minimize(context.Background(), p, []float64{0, 0}, s)
	require.NoError(t, err)
	assert.Equal(t, a.X, b.X)
	s.Seed = 43
	c, err := Minimize(context.Background(), p, []float64{0, 0}, s)
	require.NoError(t, err)
	assert.NotEqual(t, a.X, c.X)
}

func TestLastIterate(t *testing.T) {
	// With zero constraint tolerances, SLSQP's iterates reach the active
	// constraints from outside by ~1e-16 and never count as feasible:
	// NLopt's X is an early iterate, Last the optimum.
	p := tutorial(true)
	p.Inequalities[0].Tol = []float64{0, 0}
	res, err := Minimize(context.Background(), p, []float64{1.234, 5.678}, &Settings{Algorithm: LD_SLSQP})
	require.NoError(t, err)
	assert.Greater(t, math.Abs(res.X[1]-tutorialX[1]), 0.1)
	assert.InDeltaSlice(t, tutorialX, res.Last, 1e-8)
	// The nlp bridge picks the better of the two.
	sol, _, err := SolveNLP(context.Background(), tutorialNLP(), []float64{2, 0, -1, 1}, []float64{1.234, 5.678}, &Settings{Algorithm: LD_SLSQP}, nil)
	require.NoError(t, err)
	assert.InDeltaSlice(t, tutorialX, sol.X, 1e-8)
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res, err := Minimize(context.Background(), tutorial(true), []float64{1.234, 5.678}, &Settings{Algorithm: LD_MMA, Logger: logger})
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, "run finished")
	assert.Contains(t, out, "algorithm=LD_MMA")
	assert.Equal(t, res.Evaluations, strings.Count(out, "nlopt: evaluation"))
}

func TestWarmStartClamped(t *testing.T) {
	// SolveNLP clamps a warm start that sits outside the bounds:
	// minimize ½‖x − θ‖² over x ≥ 0, θ = (1, −1), x* = (1, 0).
	p := &nlp.Problem{
		Dim: 2, Params: 2, Lower: []float64{0, 0},
		Objective: func(x, th []float64) float64 {
			return 0.5 * ((x[0]-th[0])*(x[0]-th[0]) + (x[1]-th[1])*(x[1]-th[1]))
		},
		Grad: func(dst, x, th []float64) { dst[0], dst[1] = x[0]-th[0], x[1]-th[1] },
	}
	sol, _, err := SolveNLP(context.Background(), p, []float64{1, -1}, []float64{1, -1e-12}, nil, nil)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1, 0}, sol.X, 1e-9)
	assert.Equal(t, []int{1}, sol.ActiveLower)
	J, err := sol.Jacobian()
	require.NoError(t, err)
	requireDenseNear(t, mat.NewDense(2, 2, []float64{1, 0, 0, 0}), J, 1e-9)
	_, _, err = SolveNLP(context.Background(), p, []float64{1, -1}, []float64{0.3}, nil, nil)
	require.ErrorIs(t, err, ErrInvalidArgs)
}

func TestVersion(t *testing.T) {
	major, minor, _ := Version()
	assert.Equal(t, 2, major)
	assert.GreaterOrEqual(t, minor, 7)
}
