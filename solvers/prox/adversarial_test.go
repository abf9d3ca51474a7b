package prox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// advLasso is a small well-posed lasso (6 rows, 3 features).
func advLasso(t *testing.T, pen Penalty) *Lasso {
	t.Helper()
	x := mat.NewDense(6, 3, []float64{1, 0.5, 0, -0.3, 1, 0.2, 0.7, -1.2, 1, -1, 0.2, 0.3, 0.4, 0.9, -0.5, -0.8, -0.6, 0.1})
	l, err := NewLasso(x, []float64{1.2, 0.4, -0.9, -1.1, 1.3, -0.7}, pen)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// panicProblem is f(x) = ½‖x‖² whose Func panics from its k-th call.
func panicProblem(n, k int) *smooth.Problem {
	var mu sync.Mutex
	calls := 0
	return &smooth.Problem{N: n,
		Func: func(x, _ []float64) float64 {
			mu.Lock()
			calls++
			c := calls
			mu.Unlock()
			if c >= k {
				panic("user f panics")
			}
			var s float64
			for _, v := range x {
				s += 0.5 * v * v
			}
			return s
		},
		Grad: func(dst, x, _ []float64) { copy(dst, x) },
	}
}

// shifted is f(x) = ½‖x − a‖².
func shifted(a []float64) *smooth.Problem {
	return &smooth.Problem{N: len(a),
		Func: func(x, _ []float64) float64 {
			var s float64
			for i, v := range x {
				s += 0.5 * (v - a[i]) * (v - a[i])
			}
			return s
		},
		Grad: func(dst, x, _ []float64) {
			for i, v := range x {
				dst[i] = v - a[i]
			}
		},
	}
}

// panicProjector panics in every method.
type panicProjector struct{}

func (panicProjector) Project(_, _ []float64) error   { panic("user Project panics") }
func (panicProjector) JVP(_, _, _, _ []float64) error { panic("user JVP panics") }
func (panicProjector) VJP(_, _, _, _ []float64) error { panic("user VJP panics") }

// panicOperator is a Regularizer whose Prox panics.
type panicOperator struct{ Zero }

func (panicOperator) Prox(_, _, _ []float64, _ float64) error { panic("user prox panics") }

// TestAdversarialMinimize: FISTA on nil and incomplete problems, bad
// shapes, non-finite and huge data, every bad setting, panicking user code
// and canceled contexts.
func TestAdversarialMinimize(t *testing.T) {
	a := []float64{1, -2, 3}
	good := &Composite{F: shifted(a), G: L1{}}
	theta := []float64{0.5}
	x0 := []float64{0, 0, 0}
	run := func(c *Composite, theta, x0 []float64, s *Settings) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			res, err := Minimize(ctx, c, theta, x0, s)
			return func() error {
				if res == nil {
					return errors.New("nil result with nil error")
				}
				if !res.Converged {
					return fmt.Errorf("nil error, not converged (residual %v)", res.Residual)
				}
				return testutil.Finite("Minimize", res.X, []float64{res.Objective})
			}, err
		}
	}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "ok", Call: run(good, theta, x0, nil)},
		{Name: "ISTA fixed step", Call: run(good, theta, x0, &Settings{StepSize: 1, NoAcceleration: true})},
		{Name: "nil composite", Want: ErrInvalid, Call: run(nil, theta, x0, nil)},
		{Name: "nil F", Want: ErrInvalid, Call: run(&Composite{G: L1{}}, theta, x0, nil)},
		{Name: "nil G", Want: ErrInvalid, Call: run(&Composite{F: shifted(a)}, theta, x0, nil)},
		{Name: "typed nil G", Want: ErrInvalid, Call: run(&Composite{F: shifted(a), G: (*GroupLasso)(nil)}, theta, x0, nil)},
		{Name: "F without Grad", Want: ErrInvalid, Call: run(&Composite{F: &smooth.Problem{N: 3, Func: shifted(a).Func}, G: L1{}}, theta, x0, nil)},
		{Name: "short x0", Want: ErrDims, Call: run(good, theta, x0[:2], nil)},
		{Name: "nil θ", Want: ErrDims, Call: run(good, nil, x0, nil)},
		{Name: "NaN x0", Want: ErrNaN, Call: run(good, theta, []float64{0, math.NaN(), 0}, nil)},
		{Name: "Inf θ", Want: ErrNaN, Call: run(good, []float64{math.Inf(1)}, x0, nil)},
		{Name: "negative λ", Want: ErrInvalid, Call: run(good, []float64{-1}, x0, nil)},
		{Name: "x0=1e300", Any: []error{ErrNaN, ErrNotConverged}, Call: run(good, theta, []float64{1e300, -1e300, 1e300}, nil)},
		{Name: "λ=1e300", Call: run(good, []float64{1e300}, x0, nil)},
		{Name: "Tol=-1", Want: ErrInvalid, Call: run(good, theta, x0, &Settings{Tol: -1})},
		{Name: "Tol=NaN", Want: ErrInvalid, Call: run(good, theta, x0, &Settings{Tol: math.NaN()})},
		{Name: "MaxIter=-1", Want: ErrInvalid, Call: run(good, theta, x0, &Settings{MaxIter: -1})},
		{Name: "StepSize=-1", Want: ErrInvalid, Call: run(good, theta, x0, &Settings{StepSize: -1})},
		{Name: "StepSize=NaN", Want: ErrInvalid, Call: run(good, theta, x0, &Settings{StepSize: math.NaN()})},
		{Name: "StepSize=+Inf", Want: ErrInvalid, Call: run(good, theta, x0, &Settings{StepSize: math.Inf(1)})},
		{Name: "StepSize=1e300 diverges", Any: []error{ErrNaN, ErrNotConverged, ErrStalled}, Call: run(good, theta, x0, &Settings{StepSize: 1e300})},
		{Name: "panicking f", Want: ErrCallback, Call: run(&Composite{F: panicProblem(3, 3), G: L1{}}, theta, []float64{1, 2, 3}, nil)},
		{Name: "panicking f at x0", Want: ErrCallback, Call: run(&Composite{F: panicProblem(3, 1), G: L1{}}, theta, x0, nil)},
		{Name: "panicking prox", Want: ErrCallback, Call: run(&Composite{F: shifted(a), G: panicOperator{}}, nil, x0, nil)},
		{Name: "panicking projector", Want: ErrCallback, Call: run(&Composite{F: shifted(a), G: Indicator(panicProjector{})}, nil, x0, nil)},
		{Name: "nil projector", Want: ErrInvalid, Call: run(&Composite{F: shifted(a), G: Indicator(nil)}, nil, x0, nil)},
		{Name: "canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := Minimize(testutil.Canceled(), good, theta, x0, nil)
			return nil, err
		}},
		{Name: "expiring context", Want: context.DeadlineExceeded, Timeout: 5 * time.Second, Call: func(context.Context) (func() error, error) {
			// ½ Σ qᵢ(xᵢ − aᵢ)² with condition number 1e6 and 10 ms per
			// evaluation: thousands of iterations, far beyond the deadline.
			q := []float64{1, 1e-6, 1}
			slow := &smooth.Problem{N: 3,
				Func: func(x, _ []float64) float64 {
					time.Sleep(10 * time.Millisecond)
					var v float64
					for i := range x {
						v += 0.5 * q[i] * (x[i] - a[i]) * (x[i] - a[i])
					}
					return v
				},
				Grad: func(dst, x, _ []float64) {
					for i := range x {
						dst[i] = q[i] * (x[i] - a[i])
					}
				},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			_, err := Minimize(ctx, &Composite{F: slow, G: L1{}}, []float64{1e-9}, x0, &Settings{MaxIter: 1 << 30, StallIter: -1, Tol: 1e-14, NoAcceleration: true})
			return nil, err
		}},
		{Name: "Objective/panicking f", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			_, err := (&Composite{F: panicProblem(3, 1), G: L1{}}).Objective(x0, theta)
			return nil, err
		}},
		{Name: "Objective/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, err := (*Composite)(nil).Objective(x0, theta)
			return nil, err
		}},
		{Name: "Split/nil", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			_, _, err := (*Composite)(nil).Split(theta)
			return nil, err
		}},
	})
}

// TestAdversarialConditions: Condition, FixedPoint and ImplicitProblem on
// nil problems, bad steps, bad points and panicking user code.
func TestAdversarialConditions(t *testing.T) {
	a := []float64{1, -2, 3}
	good := &Composite{F: shifted(a), G: L1{}}
	theta := []float64{0.5}
	xs := []float64{0.5, -1.5, 2.5} // the solution
	lin := func(c implicit.Condition, x, theta []float64) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			n, _ := c.Dims()
			if len(x) == n {
				res := make([]float64, n)
				c.Residual(res, x, theta)
			}
			_, _, err := c.Linearize(x, theta)
			return func() error { return nil }, err
		}
	}
	vjp := func(c implicit.Condition) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			g, err := implicit.VJP(context.Background(), c, xs, theta, []float64{1, 1, 1}, nil)
			return func() error { return testutil.Finite("VJP", g) }, err
		}
	}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "Condition/VJP", Call: vjp(Condition(good, 1))},
		{Name: "FixedPoint/VJP", Call: vjp(implicit.FixedPoint(FixedPoint(good, 1)))},
		{Name: "Condition/nil composite", Want: ErrInvalid, Call: lin(Condition(nil, 1), xs, theta)},
		{Name: "Condition/eta=0", Want: ErrInvalid, Call: lin(Condition(good, 0), xs, theta)},
		{Name: "Condition/eta=-1", Want: ErrInvalid, Call: lin(Condition(good, -1), xs, theta)},
		{Name: "Condition/eta=NaN", Want: ErrInvalid, Call: lin(Condition(good, math.NaN()), xs, theta)},
		{Name: "Condition/short x", Want: ErrDims, Call: lin(Condition(good, 1), xs[:2], theta)},
		{Name: "Condition/NaN θ", Want: ErrNaN, Call: lin(Condition(good, 1), xs, []float64{math.NaN()})},
		{Name: "Condition/panicking f", Want: ErrCallback, Call: lin(Condition(&Composite{F: &smooth.Problem{N: 3, Func: shifted(a).Func,
			Grad: func(_, _, _ []float64) { panic("user grad panics") }}, G: L1{}}, 1), xs, theta)},
		{Name: "Condition/panicking projector", Want: ErrCallback, Call: lin(Condition(&Composite{F: shifted(a), G: Indicator(panicProjector{})}, 1), xs, nil)},
		{Name: "FixedPoint/Map of a panicking prox is NaN", Call: func(context.Context) (func() error, error) {
			m := FixedPoint(&Composite{F: shifted(a), G: panicOperator{}}, 1)
			dst := make([]float64, 3)
			m.Map(dst, xs, nil)
			return func() error {
				if !math.IsNaN(dst[0]) {
					return fmt.Errorf("Map = %v", dst)
				}
				return nil
			}, nil
		}},
		{Name: "ImplicitProblem/nil composite", Any: []error{ErrInvalid, implicit.ErrDims}, Call: func(ctx context.Context) (func() error, error) {
			_, err := ImplicitProblem(nil, 1, nil, nil).Solve(ctx, theta, nil)
			return nil, err
		}},
		{Name: "ImplicitProblem/ok", Call: func(ctx context.Context) (func() error, error) {
			sol, err := ImplicitProblem(good, 1, nil, nil).Solve(ctx, theta, nil)
			if err != nil {
				return nil, err
			}
			g := make([]float64, len(sol.Theta))
			err = sol.VJP(g, []float64{1, 1, 1})
			return func() error { return testutil.Finite("VJP", sol.X, g) }, err
		}},
	})
}

// TestAdversarialLasso: NewLasso, Solve (and its batch and path forms),
// Linearize, DualityGap and Objective with bad data, bad θ, every bad
// setting, canceled contexts, and one Lasso from 8 goroutines (documented
// safe).
func TestAdversarialLasso(t *testing.T) {
	l := advLasso(t, Penalty{})
	wl := advLasso(t, Penalty{Strengths: smooth.PerFeature})
	en := advLasso(t, Penalty{ElasticNet: true})
	x := mat.NewDense(6, 3, nil)
	y := []float64{1, 2, 3, 4, 5, 6}
	newLasso := func(x mat.Matrix, y []float64, pen Penalty) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			_, err := NewLasso(x, y, pen)
			return func() error { return nil }, err
		}
	}
	huge := mat.NewDense(6, 3, nil)
	huge.Apply(func(i, j int, _ float64) float64 { return 1e300 * float64(i-j) }, huge)
	nanX := mat.NewDense(6, 3, nil)
	nanX.Set(2, 2, math.NaN())
	solve := func(l *Lasso, theta, init []float64, s *CDSettings) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			res, err := l.Solve(ctx, theta, init, s)
			return func() error {
				if res == nil {
					return errors.New("nil result with nil error")
				}
				gap, kkt, err := l.DualityGap(res.W, theta)
				if err != nil {
					return err
				}
				if kkt > 1e-6*math.Max(l.LambdaMax(), 1) {
					return fmt.Errorf("KKT violation %v (gap %v)", kkt, gap)
				}
				return testutil.Finite("Solve", res.W)
			}, err
		}
	}
	th := []float64{0.05}
	cases := []testutil.Case{
		{Name: "NewLasso/nil x", Want: ErrDims, Call: newLasso(nil, y, Penalty{})},
		{Name: "NewLasso/typed nil x", Want: ErrDims, Call: newLasso((*mat.Dense)(nil), y, Penalty{})},
		{Name: "NewLasso/typed nil sym x", Want: ErrDims, Call: newLasso((*mat.SymDense)(nil), y, Penalty{})},
		{Name: "NewLasso/empty x", Want: ErrDims, Call: newLasso(&mat.Dense{}, nil, Penalty{})},
		{Name: "NewLasso/short y", Want: ErrDims, Call: newLasso(x, y[:5], Penalty{})},
		{Name: "NewLasso/NaN x", Want: ErrNaN, Call: newLasso(nanX, y, Penalty{})},
		{Name: "NewLasso/Inf y", Want: ErrNaN, Call: newLasso(x, []float64{1, 2, math.Inf(1), 4, 5, 6}, Penalty{})},
		{Name: "NewLasso/1e300 x", Want: ErrNaN, Call: newLasso(huge, y, Penalty{})},
		{Name: "NewLasso/unknown penalty", Want: ErrInvalid, Call: newLasso(x, y, Penalty{Strengths: smooth.PerClass})},
		{Name: "NewLasso/per-feature elastic net", Want: ErrInvalid, Call: newLasso(x, y, Penalty{Strengths: smooth.PerFeature, ElasticNet: true})},
		{Name: "Solve/ok", Call: solve(l, th, nil, nil)},
		{Name: "Solve/weighted", Call: solve(wl, []float64{0.05, 0.1, 0}, nil, nil)},
		{Name: "Solve/elastic net", Call: solve(en, []float64{0.05, 0.1}, nil, nil)},
		{Name: "Solve/λ=1e300", Call: solve(l, []float64{1e300}, nil, nil)},
		{Name: "Solve/λ=1e-300 (gap cannot certify)", Any: []error{ErrNotConverged}, Call: solve(l, []float64{1e-300}, nil, &CDSettings{Tol: 1e-8})},
		{Name: "Solve/nil θ", Want: ErrDims, Call: solve(l, nil, nil, nil)},
		{Name: "Solve/NaN θ", Want: ErrNaN, Call: solve(l, []float64{math.NaN()}, nil, nil)},
		{Name: "Solve/negative θ", Want: ErrInvalid, Call: solve(l, []float64{-1}, nil, nil)},
		{Name: "Solve/short init", Want: ErrDims, Call: solve(l, th, []float64{0}, nil)},
		{Name: "Solve/NaN init", Want: ErrNaN, Call: solve(l, th, []float64{0, math.NaN(), 0}, nil)},
		{Name: "Solve/Tol=-1", Want: ErrInvalid, Call: solve(l, th, nil, &CDSettings{Tol: -1})},
		{Name: "Solve/Tol=NaN", Want: ErrInvalid, Call: solve(l, th, nil, &CDSettings{Tol: math.NaN()})},
		{Name: "Solve/GapTol=NaN", Want: ErrInvalid, Call: solve(l, th, nil, &CDSettings{GapTol: math.NaN()})},
		{Name: "Solve/GapTol=-1 disables", Call: solve(l, th, nil, &CDSettings{GapTol: -1})},
		{Name: "Solve/MaxIter=-1", Want: ErrInvalid, Call: solve(l, th, nil, &CDSettings{MaxIter: -1})},
		{Name: "Solve/AndersonK=-1", Want: ErrInvalid, Call: solve(l, th, nil, &CDSettings{AndersonK: -1})},
		{Name: "Solve/unknown Updates", Want: ErrInvalid, Call: solve(l, th, nil, &CDSettings{Updates: Updates(9)})},
		{Name: "Solve/nil Lasso", Want: ErrInvalid, Call: solve(nil, th, nil, nil)},
		{Name: "Solve/canceled", Any: []error{context.Canceled, ErrNotConverged}, Call: func(context.Context) (func() error, error) {
			_, err := l.Solve(testutil.Canceled(), []float64{1e-4}, nil, &CDSettings{NoScreening: true})
			if err == nil {
				return func() error { return nil }, nil
			}
			return nil, err
		}},
		{Name: "SolveBatch/Workers=-1", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := l.SolveBatch(ctx, [][]float64{th}, nil, &CDSettings{Workers: -1})
			return nil, err
		}},
		{Name: "Solve/log scale e^θ overflows", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			ll, err := NewLasso(x, y, Penalty{LogScale: true})
			if err != nil {
				return nil, err
			}
			_, err = ll.Solve(ctx, []float64{800}, nil, nil)
			return nil, err
		}},
		{Name: "Solve/log scale NaN θ", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			ll, err := NewLasso(x, y, Penalty{LogScale: true})
			if err != nil {
				return nil, err
			}
			_, err = ll.Solve(ctx, []float64{math.NaN()}, nil, nil)
			return nil, err
		}},
		{Name: "ConditionStep/η=0", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := l.ConditionStep(0).Linearize(make([]float64, 3), th)
			return nil, err
		}},
		{Name: "NewLogistic/ok", Call: func(ctx context.Context) (func() error, error) {
			lg, err := NewLogistic(x, []float64{1, -1, 1, -1, 1, -1}, Penalty{LogScale: true})
			if err != nil {
				return nil, err
			}
			res, err := lg.Solve(ctx, []float64{-3}, nil, nil)
			if err != nil {
				return nil, err
			}
			return func() error { return testutil.Finite("x", res.X) }, nil
		}},
		{Name: "NewLogistic/labels 0 and 1", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := NewLogistic(x, []float64{0, 1, 0, 1, 0, 1}, Penalty{})
			return nil, err
		}},
		{Name: "NewLogistic/nil x", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, err := NewLogistic(nil, y, Penalty{})
			return nil, err
		}},
		{Name: "NewLogistic/1e300 x", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			_, err := NewLogistic(huge, []float64{1, -1, 1, -1, 1, -1}, Penalty{})
			return nil, err
		}},
		{Name: "Logistic.Solve/canceled", Any: []error{context.Canceled, ErrNotConverged}, Call: func(context.Context) (func() error, error) {
			lg, err := NewLogistic(x, []float64{1, -1, 1, -1, 1, -1}, Penalty{})
			if err != nil {
				return nil, err
			}
			_, err = lg.Solve(testutil.Canceled(), []float64{1e-4}, nil, nil)
			return nil, err
		}},
		{Name: "SolveBatch/bad θ", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := l.SolveBatch(ctx, [][]float64{th, {-1}}, nil, &CDSettings{Workers: 2})
			return nil, err
		}},
		{Name: "SolveBatch/inits of wrong count", Any: []error{ErrDims}, Call: func(ctx context.Context) (func() error, error) {
			res, err := l.SolveBatch(ctx, [][]float64{th, th}, [][]float64{nil}, &CDSettings{Workers: 2})
			return func() error {
				if len(res) != 2 || res[0] == nil || res[1] == nil {
					return errors.New("missing results")
				}
				return nil
			}, err
		}},
		{Name: "Path/negative λ", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := l.Path(ctx, []float64{0.1, -0.1}, nil)
			return nil, err
		}},
		{Name: "PathTheta/NaN", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			_, err := l.PathTheta(ctx, [][]float64{{math.NaN()}}, nil)
			return nil, err
		}},
		{Name: "Linearize/short w", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, err := l.Linearize([]float64{0}, th)
			return nil, err
		}},
		{Name: "Linearize/NaN w", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := l.Linearize([]float64{0, math.NaN(), 0}, th)
			return nil, err
		}},
		{Name: "Linearize/VJP of wrong length", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			res, err := l.Solve(ctx, th, nil, nil)
			if err != nil {
				return nil, err
			}
			sl, err := l.Linearize(res.W, th)
			if err != nil {
				return nil, err
			}
			return nil, sl.VJP(make([]float64, 1), []float64{1})
		}},
		{Name: "Linearize/JVP NaN direction", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			res, err := l.Solve(ctx, th, nil, nil)
			if err != nil {
				return nil, err
			}
			sl, err := l.Linearize(res.W, th)
			if err != nil {
				return nil, err
			}
			return nil, sl.JVP(make([]float64, 3), []float64{math.NaN()})
		}},
		{Name: "DualityGap/short w", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, _, err := l.DualityGap([]float64{0}, th)
			return nil, err
		}},
		{Name: "Objective/NaN w", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			_, err := l.Objective([]float64{0, math.NaN(), 0}, th)
			return nil, err
		}},
		{Name: "nil receivers", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			var nl *Lasso
			var sl *SupportLinearization
			var r *LassoResult
			_, e1 := nl.Linearize(nil, nil)
			_, _, e2 := nl.DualityGap(nil, nil)
			_, e3 := nl.Objective(nil, nil)
			_, e4 := nl.Path(ctx, nil, nil)
			_, e5 := nl.PathTheta(ctx, nil, nil)
			_, e6 := nl.SolveBatch(ctx, nil, nil, nil)
			e7 := nl.CheckTheta(nil)
			e8 := sl.VJP(nil, nil)
			e9 := sl.JVP(nil, nil)
			_, _, e10 := sl.VJPData(nil)
			_, e11 := sl.Jacobian()
			for i, e := range []error{e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11} {
				if !errors.Is(e, ErrInvalid) {
					return nil, fmt.Errorf("method %d: %v", i+1, e)
				}
			}
			if r.Support() != nil || sl.Support() != nil {
				return nil, errors.New("support of a nil result")
			}
			return nil, e1
		}},
		{Name: "Solve/8 goroutines", Call: func(ctx context.Context) (func() error, error) {
			ref, err := l.Solve(ctx, th, nil, nil)
			if err != nil {
				return nil, err
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					res, err := l.Solve(ctx, th, nil, nil)
					if err == nil {
						for j := range res.W {
							if res.W[j] != ref.W[j] {
								err = fmt.Errorf("goroutine %d: w = %v, want %v", g, res.W, ref.W)
								break
							}
						}
					}
					if err == nil {
						_, err = l.Linearize(res.W, th)
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

// TestAdversarialLambdaGrid: LambdaGrid's arguments.
func TestAdversarialLambdaGrid(t *testing.T) {
	grid := func(lmax, ratio float64, k int) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			g, err := LambdaGrid(lmax, ratio, k)
			return func() error {
				if len(g) != max(k, 0) {
					return fmt.Errorf("%d values for k = %d", len(g), k)
				}
				return testutil.Finite("LambdaGrid", g)
			}, err
		}
	}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "ok", Call: grid(1, 1e-3, 10)},
		{Name: "k=0", Call: grid(1, 1e-3, 0)},
		{Name: "k=-1", Call: grid(1, 1e-3, -1)},
		{Name: "λmax=NaN", Want: ErrInvalid, Call: grid(math.NaN(), 1e-3, 3)},
		{Name: "λmax=-1", Want: ErrInvalid, Call: grid(-1, 1e-3, 3)},
		{Name: "λmax=+Inf", Want: ErrInvalid, Call: grid(math.Inf(1), 1e-3, 3)},
		{Name: "ratio=0", Want: ErrInvalid, Call: grid(1, 0, 3)},
		{Name: "ratio=NaN", Want: ErrInvalid, Call: grid(1, math.NaN(), 3)},
		{Name: "overflow", Want: ErrInvalid, Call: grid(1e300, 1e300, 3)},
	})
}

// TestAdversarialOperators: every prox operator's methods with mismatched
// lengths, NaN/Inf input, bad steps and bad strengths.
func TestAdversarialOperators(t *testing.T) {
	n := 3
	ops := map[string]struct {
		g   Regularizer
		lam []float64
	}{
		"L1":              {L1{}, []float64{0.5}},
		"L1 weighted":     {L1{Weights: []float64{1, 2, 0}}, []float64{0.5}},
		"ElasticNet":      {ElasticNet{}, []float64{0.5, 0.1}},
		"NonNegL1":        {NonNegL1{}, []float64{0.5}},
		"SquaredL2":       {SquaredL2{}, []float64{0.5}},
		"NonNegSquaredL2": {NonNegSquaredL2{}, []float64{0.5}},
		"Zero":            {Zero{}, nil},
		"GroupLasso":      {GroupLasso{Groups: [][]int{{0, 1}, {2}}}, []float64{0.5}},
		"Box":             {Box{Scalar: true}, []float64{-1, 1}},
		"NonNegative":     {NonNegative{}, nil},
		"L2Ball":          {L2Ball{}, []float64{1}},
		"LogScale(L1)":    {LogScale(L1{Weights: []float64{1, 2, 0}}), []float64{-0.5}},
		"LogScale(EN)":    {LogScale(ElasticNet{}), []float64{-1, 0.3}},
		"LogScale(Group)": {LogScale(GroupLasso{Groups: [][]int{{0, 1}, {2}}}), []float64{0.2}},
	}
	var cases []testutil.Case
	for name, o := range ops {
		v := []float64{0.3, -2, 1.5}
		prox := func(dst, v, lam []float64, eta float64) func(context.Context) (func() error, error) {
			return func(context.Context) (func() error, error) {
				err := o.g.Prox(dst, v, lam, eta)
				return func() error { return testutil.Finite("prox", dst) }, err
			}
		}
		jac := func(v, lam []float64, eta float64) func(context.Context) (func() error, error) {
			return func(context.Context) (func() error, error) {
				dv, dl, err := o.g.Jacobian(v, lam, eta)
				if err != nil {
					return nil, err
				}
				out := make([]float64, n)
				dv.Apply(out, []float64{1, 1, 1})
				_, p := dl.Dims()
				outT := make([]float64, p)
				dl.ApplyT(outT, []float64{1, 1, 1})
				return func() error { return testutil.Finite("jacobian", out, outT) }, nil
			}
		}
		long := append(append([]float64(nil), o.lam...), 1)
		cases = append(cases,
			testutil.Case{Name: name + "/Prox ok", Call: prox(make([]float64, n), v, o.lam, 1)},
			testutil.Case{Name: name + "/Jacobian ok", Call: jac(v, o.lam, 1)},
			testutil.Case{Name: name + "/Prox short dst", Want: ErrDims, Call: prox(make([]float64, n-1), v, o.lam, 1)},
			testutil.Case{Name: name + "/Prox NaN v", Want: ErrNaN, Call: prox(make([]float64, n), []float64{0, math.NaN(), 0}, o.lam, 1)},
			testutil.Case{Name: name + "/Prox -Inf v", Want: ErrNaN, Call: prox(make([]float64, n), []float64{0, math.Inf(-1), 0}, o.lam, 1)},
			testutil.Case{Name: name + "/Prox 1e300 v", Any: []error{ErrNaN}, Call: prox(make([]float64, n), []float64{1e300, -1e300, 1e-300}, o.lam, 1)},
			testutil.Case{Name: name + "/Prox long λ", Want: ErrDims, Call: prox(make([]float64, n), v, long, 1)},
			testutil.Case{Name: name + "/Prox η=0", Want: ErrInvalid, Call: prox(make([]float64, n), v, o.lam, 0)},
			testutil.Case{Name: name + "/Prox η=-1", Want: ErrInvalid, Call: prox(make([]float64, n), v, o.lam, -1)},
			testutil.Case{Name: name + "/Prox η=NaN", Want: ErrInvalid, Call: prox(make([]float64, n), v, o.lam, math.NaN())},
			testutil.Case{Name: name + "/Jacobian η=+Inf", Want: ErrInvalid, Call: jac(v, o.lam, math.Inf(1))},
			testutil.Case{Name: name + "/Jacobian NaN v", Want: ErrNaN, Call: jac([]float64{math.NaN(), 0, 0}, o.lam, 1)},
			testutil.Case{Name: name + "/Value NaN x", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
				_, err := o.g.Value([]float64{math.NaN(), 0, 0}, o.lam)
				return nil, err
			}},
		)
		if len(o.lam) > 0 {
			nanLam := append([]float64(nil), o.lam...)
			nanLam[0] = math.NaN()
			cases = append(cases, testutil.Case{Name: name + "/Prox NaN λ", Want: ErrNaN, Call: prox(make([]float64, n), v, nanLam, 1)})
		}
	}
	cases = append(cases,
		testutil.Case{Name: "Indicator/panicking projector", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			return nil, Indicator(panicProjector{}).Prox(make([]float64, n), []float64{1, 2, 3}, nil, 1)
		}},
		testutil.Case{Name: "LogScale/e^θ overflows", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, LogScale(L1{}).Prox(make([]float64, n), []float64{1, 2, 3}, []float64{710}, 1)
		}},
		testutil.Case{Name: "LogScale/nil regularizer", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, LogScale(nil).Prox(make([]float64, n), []float64{1, 2, 3}, nil, 1)
		}},
		testutil.Case{Name: "Box/crossed", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, Box{Scalar: true}.Prox(make([]float64, n), []float64{1, 2, 3}, []float64{1, -1}, 1)
		}},
		testutil.Case{Name: "L1/negative λ", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			return nil, L1{}.Prox(make([]float64, n), []float64{1, 2, 3}, []float64{-1}, 1)
		}},
		testutil.Case{Name: "GroupLasso/out of range group", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			return nil, GroupLasso{Groups: [][]int{{0, 5}}}.Prox(make([]float64, n), []float64{1, 2, 3}, []float64{1}, 1)
		}},
		testutil.Case{Name: "GroupLasso/negative index", Any: []error{ErrDims, ErrInvalid}, Call: func(context.Context) (func() error, error) {
			return nil, GroupLasso{Groups: [][]int{{-1}}}.Prox(make([]float64, n), []float64{1, 2, 3}, []float64{1}, 1)
		}},
		testutil.Case{Name: "GroupLasso/overlapping groups", Any: []error{ErrDims, ErrInvalid}, Call: func(context.Context) (func() error, error) {
			return nil, GroupLasso{Groups: [][]int{{0, 1}, {1, 2}}}.Prox(make([]float64, n), []float64{1, 2, 3}, []float64{1}, 1)
		}},
	)
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialNilReceivers: every method of the exported pointer types
// on a nil receiver: no panic, errors match ErrInvalid.
func TestAdversarialNilReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.NilReceivers(ErrInvalid,
		(*Composite)(nil), (*Lasso)(nil), (*LassoResult)(nil), (*Logistic)(nil), (*Result)(nil), (*SupportLinearization)(nil)))
}

// TestAdversarialZeroReceivers: every method of the exported pointer types
// on a pointer to their zero value: no panic, errors match ErrInvalid.
func TestAdversarialZeroReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.ZeroReceivers(ErrInvalid,
		(*Composite)(nil), (*Lasso)(nil), (*LassoResult)(nil), (*Logistic)(nil), (*Result)(nil), (*SupportLinearization)(nil)))
}
