package smooth

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
)

// advQuadratic is f(x) = ½‖x − a‖², a = (1, −2, 3); panicAt > 0 makes
// Func (or Grad, when panicGrad) panic from its panicAt-th call on.
func advQuadratic(panicAt int, panicGrad bool) *Problem {
	a := []float64{1, -2, 3}
	var mu sync.Mutex
	calls := 0
	tick := func(grad bool) {
		mu.Lock()
		defer mu.Unlock()
		if grad != panicGrad {
			return
		}
		calls++
		if panicAt > 0 && calls >= panicAt {
			panic(fmt.Sprintf("user function panics at call %d", calls))
		}
	}
	return &Problem{
		N: 3,
		Func: func(x, _ []float64) float64 {
			tick(false)
			var v float64
			for i := range x {
				v += 0.5 * (x[i] - a[i]) * (x[i] - a[i])
			}
			return v
		},
		Grad: func(dst, x, _ []float64) {
			tick(true)
			for i := range x {
				dst[i] = x[i] - a[i]
			}
		},
	}
}

// minimizeCheck checks a result's finiteness and its gradient against
// the tolerance it claims.
func minimizeCheck(res *Result, tol float64) func() error {
	return func() error {
		if res == nil {
			return errors.New("nil result with nil error")
		}
		if err := testutil.Finite("Minimize", res.X, res.Grad, []float64{res.F}); err != nil {
			return err
		}
		if !res.Converged || res.GradNorm > tol {
			return fmt.Errorf("nil error but ‖∇f‖∞ = %v > %v", res.GradNorm, tol)
		}
		return nil
	}
}

// TestAdversarialMinimize: Minimize with nil and incomplete problems,
// mismatched shapes, non-finite and huge inputs, every bad setting,
// panicking user functions (both backends) and canceled contexts.
func TestAdversarialMinimize(t *testing.T) {
	x0 := []float64{0, 0, 0}
	run := func(pb *Problem, theta, x0 []float64, s *Settings) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			res, err := Minimize(ctx, pb, theta, x0, s)
			tol := 1e-8
			if s != nil && s.Tol > 0 {
				tol = s.Tol
			}
			return minimizeCheck(res, tol), err
		}
	}
	var cases []testutil.Case
	for m := LBFGS; m <= GonumBFGS; m++ {
		name := m.String()
		cases = append(cases,
			testutil.Case{Name: name + "/ok", Call: run(advQuadratic(0, false), nil, x0, &Settings{Method: m})},
			testutil.Case{Name: name + "/panicking Func", Want: ErrCallback, Call: run(advQuadratic(2, false), nil, x0, &Settings{Method: m})},
			testutil.Case{Name: name + "/panicking Grad", Want: ErrCallback, Call: run(advQuadratic(3, true), nil, x0, &Settings{Method: m})},
			testutil.Case{Name: name + "/panicking at x0", Want: ErrCallback, Call: run(advQuadratic(1, false), nil, x0, &Settings{Method: m})},
			testutil.Case{Name: name + "/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
				_, err := Minimize(testutil.Canceled(), advQuadratic(0, false), nil, x0, &Settings{Method: m})
				return nil, err
			}},
			testutil.Case{Name: name + "/x0=1e300", Any: []error{ErrNaN, ErrNotConverged}, Call: run(advQuadratic(0, false), nil, []float64{1e300, -1e300, 1e300}, &Settings{Method: m})},
			testutil.Case{Name: name + "/x0=1e-300", Call: run(advQuadratic(0, false), nil, []float64{1e-300, -1e-300, 0}, &Settings{Method: m})},
		)
	}
	// f(x) = Σ exp(xᵢ) has no minimizer (the gradient never vanishes) and
	// every evaluation sleeps 10 ms: only the deadline stops the run.
	slow := &Problem{N: 3,
		Func: func(x, _ []float64) float64 {
			time.Sleep(10 * time.Millisecond)
			var v float64
			for _, e := range x {
				v += math.Exp(e)
			}
			return v
		},
		Grad: func(dst, x, _ []float64) {
			for i, e := range x {
				dst[i] = math.Exp(e)
			}
		},
	}
	for _, m := range []Method{LBFGS, GonumLBFGS} {
		cases = append(cases, testutil.Case{Name: m.String() + "/expiring context", Want: context.DeadlineExceeded, Timeout: 5 * time.Second,
			Call: func(context.Context) (func() error, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
				defer cancel()
				res, err := Minimize(ctx, slow, nil, x0, &Settings{Method: m, MaxIter: 1 << 30, Tol: 1e-300})
				if err == nil {
					return minimizeCheck(res, 1e-8), nil
				}
				if !errors.Is(err, ErrNotConverged) {
					return nil, fmt.Errorf("want ErrNotConverged too: %w", err)
				}
				return nil, err
			}})
	}
	nanF := advQuadratic(0, false)
	nanF.Func = func(_, _ []float64) float64 { return math.NaN() }
	cases = append(cases,
		testutil.Case{Name: "nil problem", Want: ErrInvalid, Call: run(nil, nil, x0, nil)},
		testutil.Case{Name: "no Func", Want: ErrInvalid, Call: run(&Problem{N: 3, Grad: advQuadratic(0, false).Grad}, nil, x0, nil)},
		testutil.Case{Name: "no Grad", Want: ErrInvalid, Call: run(&Problem{N: 3, Func: advQuadratic(0, false).Func}, nil, x0, nil)},
		testutil.Case{Name: "N=-1", Want: ErrInvalid, Call: run(&Problem{N: -1, Func: nanF.Func, Grad: nanF.Grad}, nil, nil, nil)},
		testutil.Case{Name: "N=0", Call: run(&Problem{N: 0, Func: func(_, _ []float64) float64 { return 1 }, Grad: func(_, _, _ []float64) {}}, nil, nil, nil)},
		testutil.Case{Name: "short x0", Want: ErrDims, Call: run(advQuadratic(0, false), nil, x0[:2], nil)},
		testutil.Case{Name: "nil x0", Want: ErrDims, Call: run(advQuadratic(0, false), nil, nil, nil)},
		testutil.Case{Name: "extra θ", Want: ErrDims, Call: run(advQuadratic(0, false), []float64{1}, x0, nil)},
		testutil.Case{Name: "NaN x0", Want: ErrNaN, Call: run(advQuadratic(0, false), nil, []float64{0, math.NaN(), 0}, nil)},
		testutil.Case{Name: "Inf x0", Want: ErrNaN, Call: run(advQuadratic(0, false), nil, []float64{0, math.Inf(1), 0}, nil)},
		testutil.Case{Name: "NaN objective", Want: ErrNaN, Call: run(nanF, nil, x0, nil)},
		testutil.Case{Name: "unknown method", Want: ErrInvalid, Call: run(advQuadratic(0, false), nil, x0, &Settings{Method: Method(99)})},
		testutil.Case{Name: "negative method", Want: ErrInvalid, Call: run(advQuadratic(0, false), nil, x0, &Settings{Method: Method(-1)})},
		testutil.Case{Name: "Tol=-1", Want: ErrInvalid, Call: run(advQuadratic(0, false), nil, x0, &Settings{Tol: -1})},
		testutil.Case{Name: "Tol=NaN", Want: ErrInvalid, Call: run(advQuadratic(0, false), nil, x0, &Settings{Tol: math.NaN()})},
		testutil.Case{Name: "Tol=+Inf", Want: ErrInvalid, Call: run(advQuadratic(0, false), nil, x0, &Settings{Tol: math.Inf(1)})},
		testutil.Case{Name: "MaxIter=-1", Want: ErrInvalid, Call: run(advQuadratic(0, false), nil, x0, &Settings{MaxIter: -1})},
		testutil.Case{Name: "Memory=-1", Want: ErrInvalid, Call: run(advQuadratic(0, false), nil, x0, &Settings{Memory: -1})},
		testutil.Case{Name: "zero settings", Call: run(advQuadratic(0, false), nil, x0, &Settings{})},
		testutil.Case{Name: "CheckTheta error", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			x := mat.NewDense(3, 2, []float64{1, 0, 0, 1, 1, 1})
			pb, err := Ridge(x, []float64{1, 2, 3}, L2{})
			if err != nil {
				return nil, err
			}
			res, err := Minimize(ctx, pb, []float64{-1}, []float64{0, 0}, nil)
			return minimizeCheck(res, 1e-8), err
		}},
	)
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialModels: Ridge, LeastSquares and Logistic with nil, empty,
// mismatched, non-finite and huge data, and bad labels.
func TestAdversarialModels(t *testing.T) {
	x := mat.NewDense(4, 2, []float64{1, 0.5, -0.3, 1, 0.7, -1.2, -1, 0.2})
	y := []float64{1, -1, 1, -1}
	nanX := mat.DenseCopyOf(x)
	nanX.Set(1, 1, math.NaN())
	huge := mat.DenseCopyOf(x)
	huge.Scale(1e300, huge)
	ctors := map[string]func(mat.Matrix, []float64) (*Problem, error){
		"Ridge":        func(x mat.Matrix, y []float64) (*Problem, error) { return Ridge(x, y, L2{LogScale: true}) },
		"LeastSquares": LeastSquares,
		"LogisticLoss": LogisticLoss,
		"Logistic":     func(x mat.Matrix, y []float64) (*Problem, error) { return Logistic(x, y, L2{Strengths: PerFeature}) },
	}
	var cases []testutil.Case
	for name, ctor := range ctors {
		build := func(x mat.Matrix, y []float64) func(context.Context) (func() error, error) {
			return func(ctx context.Context) (func() error, error) {
				pb, err := ctor(x, y)
				if err != nil {
					return nil, err
				}
				theta := make([]float64, pb.P)
				for i := range theta {
					theta[i] = 0.1
				}
				res, err := Minimize(ctx, pb, theta, make([]float64, pb.N), nil)
				return minimizeCheck(res, 1e-8), err
			}
		}
		cases = append(cases,
			testutil.Case{Name: name + "/ok", Call: build(x, y)},
			testutil.Case{Name: name + "/nil x", Want: ErrDims, Call: build(nil, y)},
			testutil.Case{Name: name + "/typed nil x", Want: ErrDims, Call: build((*mat.Dense)(nil), y)},
			testutil.Case{Name: name + "/typed nil sym x", Want: ErrDims, Call: build((*mat.SymDense)(nil), y)},
			testutil.Case{Name: name + "/empty x", Want: ErrDims, Call: build(&mat.Dense{}, nil)},
			testutil.Case{Name: name + "/short y", Want: ErrDims, Call: build(x, y[:3])},
			testutil.Case{Name: name + "/NaN x", Want: ErrNaN, Call: build(nanX, y)},
			testutil.Case{Name: name + "/Inf y", Want: nil, Any: []error{ErrNaN, ErrInvalid}, Call: build(x, []float64{1, math.Inf(1), 1, -1})},
			testutil.Case{Name: name + "/1e300 data", Any: []error{ErrNaN, ErrNotConverged}, Call: build(huge, y)},
		)
	}
	cases = append(cases, testutil.Case{Name: "Logistic/labels 0 and 1", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
		_, err := Logistic(x, []float64{0, 1, 0, 1}, L2{})
		return nil, err
	}})
	multi := func(x mat.Matrix, labels []float64, k int, reg L2) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			pb, err := Multinomial(x, labels, k, reg)
			if err != nil {
				return nil, err
			}
			res, err := Minimize(ctx, pb, make([]float64, pb.P), make([]float64, pb.N), &Settings{Method: NewtonCG})
			return minimizeCheck(res, 1e-8), err
		}
	}
	lab := []float64{0, 1, 2, 1}
	newton := func(pb func() (*Problem, error), quad bool, theta, x0 []float64, s *Settings) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			p, err := pb()
			if err != nil {
				return nil, err
			}
			nw, err := NewNewton(p, quad)
			if err != nil {
				return nil, err
			}
			res, err := nw.Minimize(ctx, theta, x0, s)
			return minimizeCheck(res, 1e-8), err
		}
	}
	logit := func() (*Problem, error) { return Logistic(x, y, L2{LogScale: true, Intercept: true}) }
	ridge := func() (*Problem, error) { return Ridge(x, y, L2{}) }
	cases = append(cases,
		testutil.Case{Name: "Multinomial/ok", Call: multi(x, lab, 0, L2{Strengths: PerClass, LogScale: true})},
		testutil.Case{Name: "Multinomial/nil x", Want: ErrDims, Call: multi(nil, lab, 0, L2{})},
		testutil.Case{Name: "Multinomial/typed nil x", Want: ErrDims, Call: multi((*mat.Dense)(nil), lab, 0, L2{})},
		testutil.Case{Name: "Multinomial/empty x", Want: ErrDims, Call: multi(&mat.Dense{}, nil, 0, L2{})},
		testutil.Case{Name: "Multinomial/short labels", Want: ErrDims, Call: multi(x, lab[:3], 0, L2{})},
		testutil.Case{Name: "Multinomial/NaN x", Want: ErrNaN, Call: multi(nanX, lab, 0, L2{})},
		testutil.Case{Name: "Multinomial/1e300 data", Any: []error{ErrNaN, ErrNotConverged}, Call: multi(huge, lab, 0, L2{})},
		testutil.Case{Name: "Multinomial/fractional label", Want: ErrInvalid, Call: multi(x, []float64{0, 1.5, 2, 1}, 0, L2{})},
		testutil.Case{Name: "Multinomial/negative label", Want: ErrInvalid, Call: multi(x, []float64{0, -1, 2, 1}, 0, L2{})},
		testutil.Case{Name: "Multinomial/NaN label", Want: ErrInvalid, Call: multi(x, []float64{0, math.NaN(), 2, 1}, 0, L2{})},
		testutil.Case{Name: "Multinomial/label ≥ classes", Want: ErrInvalid, Call: multi(x, lab, 2, L2{})},
		testutil.Case{Name: "Multinomial/negative classes", Want: ErrInvalid, Call: multi(x, lab, -1, L2{})},
		testutil.Case{Name: "Multinomial/intercept", Want: ErrInvalid, Call: multi(x, lab, 0, L2{Intercept: true})},
		testutil.Case{Name: "Multinomial/unknown strengths", Want: ErrInvalid, Call: multi(x, lab, 0, L2{Strengths: 7})},
		testutil.Case{Name: "Ridge/PerClass", Want: ErrInvalid, Call: newton(func() (*Problem, error) { return Ridge(x, y, L2{Strengths: PerClass}) }, true, []float64{1}, make([]float64, 2), nil)},
		testutil.Case{Name: "Newton/ok", Call: newton(logit, false, []float64{-1}, make([]float64, 3), nil)},
		testutil.Case{Name: "Newton/quadratic ok", Call: newton(ridge, true, []float64{0.5}, make([]float64, 2), nil)},
		testutil.Case{Name: "Newton/nil problem", Want: ErrInvalid, Call: newton(func() (*Problem, error) { return nil, nil }, false, nil, nil, nil)},
		testutil.Case{Name: "Newton/no Hessian", Want: ErrInvalid, Call: newton(func() (*Problem, error) { return advQuadratic(0, false), nil }, false, nil, make([]float64, 3), nil)},
		testutil.Case{Name: "Newton/short x0", Want: ErrDims, Call: newton(logit, false, []float64{-1}, make([]float64, 2), nil)},
		testutil.Case{Name: "Newton/NaN x0", Want: ErrNaN, Call: newton(logit, false, []float64{-1}, []float64{0, math.NaN(), 0}, nil)},
		testutil.Case{Name: "Newton/Inf θ", Want: ErrNaN, Call: newton(logit, false, []float64{math.Inf(1)}, make([]float64, 3), nil)},
		testutil.Case{Name: "Newton/negative λ", Want: ErrInvalid, Call: newton(ridge, true, []float64{-1}, make([]float64, 2), nil)},
		testutil.Case{Name: "Newton/Tol=NaN", Want: ErrInvalid, Call: newton(logit, false, []float64{-1}, make([]float64, 3), &Settings{Tol: math.NaN()})},
		testutil.Case{Name: "Newton/MaxIter=-1", Want: ErrInvalid, Call: newton(logit, false, []float64{-1}, make([]float64, 3), &Settings{MaxIter: -1})},
	)
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialCondition: Condition, ImplicitProblem and the operators
// of a nil or incomplete problem, mismatched points and panicking user
// functions.
func TestAdversarialCondition(t *testing.T) {
	good := advQuadratic(0, false)
	panicky := advQuadratic(1, true)
	panicky.Hessian = func(*mat.SymDense, []float64, []float64) { panic("user Hessian panics") }
	vjp := func(pb *Problem, x, theta []float64) func(context.Context) (func() error, error) {
		return func(context.Context) (func() error, error) {
			c := Condition(pb)
			n, p := c.Dims()
			if n != len(x) {
				return nil, fmt.Errorf("%w: test point", ErrDims)
			}
			res := make([]float64, n)
			c.Residual(res, x, theta)
			dx, _, err := c.Linearize(x, theta)
			if err != nil {
				return nil, err
			}
			_ = p
			return func() error {
				if dx == nil {
					return errors.New("nil operator")
				}
				return testutil.Finite("residual", res)
			}, nil
		}
	}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "Condition/ok", Call: vjp(good, []float64{1, 2, 3}, nil)},
		{Name: "Condition/nil problem", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			c := Condition(nil)
			n, p := c.Dims()
			res := make([]float64, 2)
			c.Residual(res, []float64{1, 2}, nil)
			_, _, err := c.Linearize(nil, nil)
			if n != 0 || p != 0 || !math.IsNaN(res[0]) {
				return nil, fmt.Errorf("Dims (%d, %d), Residual %v", n, p, res)
			}
			return nil, err
		}},
		{Name: "Condition/short x", Want: ErrDims, Call: vjp(good, []float64{1, 2}, nil)},
		{Name: "Condition/NaN x", Want: ErrNaN, Call: vjp(good, []float64{1, math.NaN(), 3}, nil)},
		{Name: "Condition/panicking Grad", Want: ErrCallback, Call: func(context.Context) (func() error, error) {
			c := Condition(panicky)
			res := make([]float64, 3)
			c.Residual(res, []float64{1, 2, 3}, nil)
			if !math.IsNaN(res[0]) {
				return nil, fmt.Errorf("residual %v after a panic", res)
			}
			_, _, err := c.Linearize([]float64{1, 2, 3}, nil)
			return nil, err
		}},
		{Name: "Condition/engine VJP", Call: func(context.Context) (func() error, error) {
			g, err := implicit.VJP(context.Background(), Condition(good), []float64{1, -2, 3}, nil, []float64{1, 1, 1}, nil)
			return func() error { return testutil.Finite("vjp", g) }, err
		}},
		{Name: "ImplicitProblem/nil problem", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := ImplicitProblem(nil, nil, nil).Solve(ctx, nil, nil)
			return nil, err
		}},
		{Name: "ImplicitProblem/panicking Func", Any: []error{ErrCallback}, Call: func(ctx context.Context) (func() error, error) {
			_, err := ImplicitProblem(advQuadratic(2, false), nil, nil).Solve(ctx, nil, nil)
			return nil, err
		}},
		{Name: "ImplicitProblem/canceled", Any: []error{context.Canceled}, Call: func(context.Context) (func() error, error) {
			_, err := ImplicitProblem(good, nil, nil).Solve(testutil.Canceled(), nil, nil)
			return nil, err
		}},
		{Name: "operators of a nil problem", Call: func(context.Context) (func() error, error) {
			var pb *Problem
			h := pb.HessianOperator(nil, nil)
			m := pb.MixedOperator(nil, nil)
			return func() error {
				r, c := h.Dims()
				r2, c2 := m.Dims()
				if r != 0 || c != 0 || r2 != 0 || c2 != 0 {
					return errors.New("non-empty operator of a nil problem")
				}
				return nil
			}, nil
		}},
	})
}

// TestAdversarialModelFunctions: the functions of the ready models called
// directly with vectors of the wrong lengths give NaN, never a panic.
func TestAdversarialModelFunctions(t *testing.T) {
	x := mat.NewDense(4, 2, []float64{1, 0.5, -0.3, 1, 0.7, -1.2, -1, 0.2})
	y := []float64{1, -1, 1, -1}
	var cases []testutil.Case
	for name, ctor := range map[string]func() (*Problem, error){
		"Ridge":        func() (*Problem, error) { return Ridge(x, y, L2{Strengths: PerFeature}) },
		"LeastSquares": func() (*Problem, error) { return LeastSquares(x, y) },
		"Logistic":     func() (*Problem, error) { return Logistic(x, y, L2{LogScale: true}) },
	} {
		pb, err := ctor()
		if err != nil {
			t.Fatal(err)
		}
		n, p := pb.N, pb.P
		w, th := make([]float64, n), make([]float64, p)
		nanCheck := func(vs ...[]float64) func() error {
			return func() error {
				for _, v := range vs {
					for _, e := range v {
						if !math.IsNaN(e) {
							return fmt.Errorf("got %v, want NaN", v)
						}
					}
				}
				return nil
			}
		}
		call := func(f func() func() error) func(context.Context) (func() error, error) {
			return func(context.Context) (func() error, error) { return f(), nil }
		}
		cases = append(cases,
			testutil.Case{Name: name + "/Func short w", Call: call(func() func() error { return nanCheck([]float64{pb.Func(w[:1], th)}) })},
			testutil.Case{Name: name + "/Func long θ", Call: call(func() func() error { return nanCheck([]float64{pb.Func(w, make([]float64, p+1))}) })},
			testutil.Case{Name: name + "/Grad short dst", Call: call(func() func() error {
				dst := make([]float64, n-1)
				pb.Grad(dst, w, th)
				return nanCheck(dst)
			})},
			testutil.Case{Name: name + "/Grad short w", Call: call(func() func() error {
				dst := make([]float64, n)
				pb.Grad(dst, w[:1], th)
				return nanCheck(dst)
			})},
			testutil.Case{Name: name + "/HessVec short v", Call: call(func() func() error {
				dst := make([]float64, n)
				pb.HessVec(dst, w, th, []float64{1})
				return nanCheck(dst)
			})},
			testutil.Case{Name: name + "/Hessian 3×3", Call: call(func() func() error {
				h := mat.NewSymDense(3, nil)
				pb.Hessian(h, w, th)
				return nanCheck(h.RawSymmetric().Data[:1])
			})},
			testutil.Case{Name: name + "/MixedVec long dθ", Call: call(func() func() error {
				dst := make([]float64, n)
				pb.MixedVec(dst, w, th, make([]float64, p+1))
				return nanCheck(dst)
			})},
			testutil.Case{Name: name + "/MixedVecT short u", Call: call(func() func() error {
				dst := make([]float64, p)
				pb.MixedVecT(dst, w, th, []float64{})
				return nanCheck(dst)
			})},
		)
	}
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialNilReceivers: every method of the exported pointer types
// on a nil receiver: no panic, errors match ErrInvalid.
func TestAdversarialNilReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.NilReceivers(ErrInvalid, (*Newton)(nil), (*Problem)(nil), (*Result)(nil), (*Settings)(nil)))
}

// TestAdversarialZeroReceivers: every method of the exported pointer types
// on a pointer to their zero value: no panic, errors match ErrInvalid.
func TestAdversarialZeroReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.ZeroReceivers(ErrInvalid,
		(*Newton)(nil), (*Problem)(nil), (*Result)(nil), (*Settings)(nil)))
}
