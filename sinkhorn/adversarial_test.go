package sinkhorn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
)

// Adversarial input for every exported entry point: a documented sentinel
// or a result that passes an independent check (marginals, finiteness),
// never a panic.

var nan, inf = math.NaN(), math.Inf(1)

func advCost() *mat.Dense {
	return mat.NewDense(3, 4, []float64{0, 1, 4, 9, 1, 0, 1, 4, 4, 1, 0, 1})
}

// checkMarginals verifies a balanced result: finite potentials and cost,
// plan marginals a and b to tol.
func checkMarginals(r *Result, a, b []float64, tol float64) error {
	if r == nil {
		return errors.New("nil result")
	}
	if err := testutil.Finite("potentials", r.F, r.G, []float64{r.Cost}); err != nil {
		return err
	}
	n, m := r.Dims()
	rows, cols := make([]float64, n), make([]float64, m)
	r.Marginals(rows, cols)
	if err := testutil.Finite("marginals", rows, cols); err != nil {
		return err
	}
	for i, v := range rows {
		if math.Abs(v-a[i]) > tol {
			return fmt.Errorf("row %d: %v, want %v", i, v, a[i])
		}
	}
	for j, v := range cols {
		if math.Abs(v-b[j]) > tol {
			return fmt.Errorf("column %d: %v, want %v", j, v, b[j])
		}
	}
	return nil
}

func uniform(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	return w
}

type panicCost struct{}

func (panicCost) Cost(x, y []float64) float64 { panic("user cost panics") }
func (panicCost) Grad(gx, gy, x, y []float64) { panic("user grad panics") }

type nanCost struct{}

func (nanCost) Cost(x, y []float64) float64 { return math.NaN() }
func (nanCost) Grad(gx, gy, x, y []float64) {}

func solveCase(name string, pb *Problem, s *Settings, want error, any ...error) testutil.Case {
	return testutil.Case{Name: name, Want: want, Any: any, Call: func(ctx context.Context) (func() error, error) {
		r, err := Solve(ctx, pb, s)
		return func() error {
			n, m := 0, 0
			if r != nil {
				n, m = r.Dims()
			}
			a, b := pb.A, pb.B
			if a == nil {
				a = uniform(n)
			}
			if b == nil {
				b = uniform(m)
			}
			return checkMarginals(r, a, b, 1e-6)
		}, err
	}}
}

func TestAdversarialSolve(t *testing.T) {
	c := advCost()
	x := mat.NewDense(3, 2, []float64{0, 0, 1, 0, 0, 1})
	y := mat.NewDense(4, 2, []float64{0, 0, 1, 1, 2, 0, 0, 2})
	ok := &Problem{Cost: c, Epsilon: 0.5}
	cases := []testutil.Case{
		solveCase("nil problem", nil, nil, ErrDims),
		solveCase("empty problem", &Problem{}, nil, ErrDims),
		solveCase("empty cost", &Problem{Cost: &mat.Dense{}, Epsilon: 1}, nil, ErrDims),
		solveCase("cost and points", &Problem{Cost: c, X: x, Y: y, Epsilon: 1}, nil, ErrDims),
		solveCase("X without Y", &Problem{X: x, Epsilon: 1}, nil, ErrDims),
		solveCase("points of different dimension", &Problem{X: x, Y: mat.NewDense(4, 3, nil), Epsilon: 1}, nil, ErrDims),
		solveCase("NaN cost", &Problem{Cost: mat.NewDense(2, 2, []float64{0, nan, 1, 0}), Epsilon: 1}, nil, ErrNaN),
		solveCase("Inf cost", &Problem{Cost: mat.NewDense(2, 2, []float64{0, inf, 1, 0}), Epsilon: 1}, nil, ErrNaN),
		solveCase("NaN point", &Problem{X: mat.NewDense(1, 1, []float64{nan}), Y: y.Slice(0, 4, 0, 1).(*mat.Dense), Epsilon: 1}, nil, ErrNaN),
		solveCase("short A", &Problem{Cost: c, A: []float64{1, 0}, Epsilon: 1}, nil, ErrDims),
		solveCase("NaN weight", &Problem{Cost: c, A: []float64{nan, 0.5, 0.5}, Epsilon: 1}, nil, ErrNaN),
		solveCase("negative weight", &Problem{Cost: c, A: []float64{-1, 1, 1}, Epsilon: 1}, nil, ErrNegativeWeight),
		solveCase("zero mass", &Problem{Cost: c, A: []float64{0, 0, 0}, Epsilon: 1}, nil, ErrZeroMass),
		solveCase("mass mismatch", &Problem{Cost: c, A: []float64{1, 1, 1}, Epsilon: 1}, nil, ErrMassMismatch),
		solveCase("ε = 0", &Problem{Cost: c}, nil, ErrEpsilon),
		solveCase("ε < 0", &Problem{Cost: c, Epsilon: -1}, nil, ErrEpsilon),
		solveCase("ε NaN", &Problem{Cost: c, Epsilon: nan}, nil, ErrEpsilon),
		solveCase("ε Inf", &Problem{Cost: c, Epsilon: inf}, nil, ErrEpsilon),
		solveCase("relative ε on zero cost", &Problem{Cost: mat.NewDense(2, 2, nil), Epsilon: 1, RelativeEpsilon: true}, nil, ErrEpsilon),
		solveCase("τ < 0", &Problem{Cost: c, Epsilon: 1, TauA: -1}, nil, ErrInvalid),
		solveCase("τ NaN", &Problem{Cost: c, Epsilon: 1, TauB: nan}, nil, ErrInvalid),
		solveCase("ε = 1e-300", &Problem{Cost: c, Epsilon: 1e-300}, nil, nil, ErrNotConverged, ErrNumerical),
		solveCase("ε = 1e300", &Problem{Cost: c, Epsilon: 1e300}, nil, nil),
		solveCase("cost 1e300", &Problem{Cost: mat.NewDense(2, 2, []float64{0, 1e300, 1e300, 0}), Epsilon: 1}, nil, nil, ErrNotConverged, ErrNumerical),
		solveCase("cost ±1e300 relative ε", &Problem{Cost: mat.NewDense(2, 2, []float64{-1e300, 1e300, 1e300, -1e300}), Epsilon: 1, RelativeEpsilon: true}, nil, nil, ErrEpsilon, ErrNotConverged, ErrNumerical),
		solveCase("weights 1e-300", &Problem{Cost: c, A: []float64{1e-300, 1e-300, 1e-300}, B: []float64{1.5e-300, 0.5e-300, 0.5e-300, 0.5e-300}, Epsilon: 1}, nil, nil, ErrNotConverged, ErrNumerical),
		solveCase("points 1e300", &Problem{X: mat.NewDense(1, 1, []float64{1e300}), Y: mat.NewDense(1, 1, []float64{-1e300}), Epsilon: 1}, nil, nil, ErrNaN, ErrNumerical, ErrEpsilon),
		solveCase("panicking PointCost", &Problem{X: x, Y: y, PointCost: panicCost{}, Epsilon: 1}, nil, ErrInvalid),
		solveCase("NaN PointCost", &Problem{X: x, Y: y, PointCost: nanCost{}, Epsilon: 1}, nil, ErrNaN),
		solveCase("NaN PointCost unstored", &Problem{X: x, Y: y, PointCost: nanCost{}, Epsilon: 1}, &Settings{StoreLimit: 1}, nil, ErrNaN, ErrNumerical),
		solveCase("ok", ok, nil, nil),
		solveCase("ok points log domain", &Problem{X: x, Y: y, Epsilon: 0.5}, &Settings{StoreLimit: 1}, nil),
		solveCase("MaxIter 1", ok, &Settings{MaxIter: 1}, nil, ErrNotConverged),
		{Name: "canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := Solve(testutil.Canceled(), ok, nil)
			return nil, err
		}},
		{Name: "short WarmStart.F", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, err := Solve(ctx, ok, &Settings{WarmStart: &Start{F: []float64{1}}})
			return nil, err
		}},
		{Name: "NaN WarmStart.G", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			_, err := Solve(ctx, ok, &Settings{WarmStart: &Start{G: []float64{0, nan, 0, 0}}})
			return nil, err
		}},
	}
	// Settings: negative, NaN, infinite or unknown values are errors;
	// zero means the default.
	bad := map[string]Settings{
		"Tol -1": {Tol: -1}, "Tol NaN": {Tol: nan}, "Tol Inf": {Tol: inf},
		"MaxIter -1": {MaxIter: -1}, "CheckEvery -2": {CheckEvery: -2}, "AdaptiveStart -1": {AdaptiveStart: -1},
		"StoreLimit -1": {StoreLimit: -1}, "StageTol NaN": {StageTol: nan}, "StageTol -1": {StageTol: -1},
		"NewtonStart -1": {NewtonStart: -1}, "NewtonCGTol NaN": {NewtonCGTol: nan},
		"AbsorbThreshold -1": {AbsorbThreshold: -1}, "AbsorbThreshold Inf": {AbsorbThreshold: inf},
		"Momentum 5": {Momentum: 5}, "Momentum NaN": {Momentum: nan}, "Momentum -1": {Momentum: -1},
		"EpsilonScaling 1": {EpsilonScaling: 1}, "EpsilonScaling NaN": {EpsilonScaling: nan},
		"EpsilonStart -1": {EpsilonStart: -1}, "Anderson -1": {Anderson: -1},
		"Anderson with momentum": {Anderson: 3, Momentum: 1.5},
		"Mode 7":                 {Mode: 7}, "Mode -1": {Mode: -1}, "Norm 9": {Norm: 9}, "Norm -1": {Norm: -1},
		"Kernel without stored cost": {Mode: Kernel, StoreLimit: 1},
	}
	for name, s := range bad {
		pb := ok
		if name == "Kernel without stored cost" {
			pb = &Problem{X: x, Y: y, Epsilon: 1}
		}
		cases = append(cases, solveCase("Settings "+name, pb, &s, ErrInvalid))
	}
	for name, s := range map[string]Settings{
		"zero": {}, "Tol 1e-300": {Tol: 1e-300, MaxIter: 50},
		"Newton": {Newton: true, EpsilonScaling: 0.5}, "Anderson": {Anderson: 5}, "adaptive": {AdaptiveMomentum: true},
		"L1": {Norm: L1}, "LInf": {Norm: LInf}, "LogDomain": {Mode: LogDomain},
	} {
		cases = append(cases, solveCase("Settings ok "+name, ok, &s, nil, ErrNotConverged))
	}
	// A huge tolerance is honoured: the result says how far it is.
	cases = append(cases, testutil.Case{Name: "Settings Tol 1e300", Call: func(ctx context.Context) (func() error, error) {
		r, err := Solve(ctx, ok, &Settings{Tol: 1e300})
		return func() error {
			if !r.Converged || !(r.Error <= 1e300) {
				return fmt.Errorf("Converged %v, Error %v", r.Converged, r.Error)
			}
			return testutil.Finite("potentials", r.F, r.G)
		}, err
	}})
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialBatchAndDivergence(t *testing.T) {
	c := advCost()
	ok := &Problem{Cost: c, Epsilon: 0.5}
	x := mat.NewDense(3, 2, []float64{0, 0, 1, 0, 0, 1})
	y := mat.NewDense(4, 2, []float64{0, 0, 1, 1, 2, 0, 0, 2})
	batch := func(name string, pbs []*Problem, s *Settings, ctx context.Context, wants []error) testutil.Case {
		return testutil.Case{Name: "SolveBatch/" + name, Call: func(context.Context) (func() error, error) {
			res, err := SolveBatch(ctx, pbs, s)
			return func() error {
				if len(res) != len(pbs) {
					return fmt.Errorf("%d results for %d problems", len(res), len(pbs))
				}
				var be *implicit.BatchError
				if err != nil && !errors.As(err, &be) {
					return fmt.Errorf("error %v is not an *implicit.BatchError", err)
				}
				errs := make([]error, len(pbs))
				for k := range errs {
					errs[k] = be.Err(k)
				}
				for k, w := range wants {
					if w != nil {
						if !errors.Is(errs[k], w) {
							return fmt.Errorf("problem %d: error %v, want %v", k, errs[k], w)
						}
						continue
					}
					if errs[k] != nil {
						return fmt.Errorf("problem %d: %v", k, errs[k])
					}
					if err := checkMarginals(res[k], uniform(3), uniform(4), 1e-6); err != nil {
						return fmt.Errorf("problem %d: %w", k, err)
					}
				}
				return nil
			}, nil
		}}
	}
	cases := []testutil.Case{
		batch("nil slice", nil, nil, context.Background(), nil),
		batch("nil entry", []*Problem{ok, nil, ok}, nil, context.Background(), []error{nil, ErrDims, nil}),
		batch("bad settings", []*Problem{ok, ok}, &Settings{Tol: -1}, context.Background(), []error{ErrInvalid, ErrInvalid}),
		batch("canceled", []*Problem{ok, ok}, nil, testutil.Canceled(), []error{context.Canceled, context.Canceled}),
		batch("mixed", []*Problem{ok, {Cost: c}, {Cost: c, Epsilon: 0.5, A: []float64{nan, 1, 1}}}, nil, context.Background(), []error{nil, ErrEpsilon, ErrNaN}),
		{Name: "Divergence/nil", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := Divergence(ctx, nil, nil)
			return nil, err
		}},
		{Name: "Divergence/cost without CostXX", Want: ErrNoPoints, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := Divergence(ctx, ok, nil)
			return nil, err
		}},
		{Name: "Divergence/bad CostXX", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := Divergence(ctx, &Problem{Cost: c, CostXX: mat.NewDense(2, 2, nil), CostYY: mat.NewDense(4, 4, nil), Epsilon: 0.5}, nil)
			return nil, err
		}},
		{Name: "Divergence/bad settings", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := Divergence(ctx, &Problem{X: x, Y: y, Epsilon: 0.5}, &Settings{MaxIter: -1})
			return nil, err
		}},
		{Name: "Divergence/panicking PointCost", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, _, err := Divergence(ctx, &Problem{X: x, Y: y, PointCost: panicCost{}, Epsilon: 0.5}, nil)
			return nil, err
		}},
		{Name: "Divergence/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, _, err := Divergence(testutil.Canceled(), &Problem{X: x, Y: y, Epsilon: 0.5}, nil)
			return nil, err
		}},
		{Name: "Divergence/ok", Call: func(ctx context.Context) (func() error, error) {
			d, dr, err := Divergence(ctx, &Problem{X: x, Y: y, Epsilon: 0.5}, nil)
			return func() error {
				if err := testutil.Finite("divergence", []float64{d}); err != nil {
					return err
				}
				g := dr.Grad()
				return testutil.Finite("grad", g.X.RawMatrix().Data, g.Y.RawMatrix().Data, g.A, g.B)
			}, err
		}},
		{Name: "SolveUnrolled/nil", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			_, err := SolveUnrolled(ctx, nil, 5)
			return nil, err
		}},
		{Name: "SolveUnrolled/0 iterations", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := SolveUnrolled(ctx, ok, 0)
			return nil, err
		}},
		{Name: "SolveUnrolled/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := SolveUnrolled(testutil.Canceled(), ok, 5)
			return nil, err
		}},
		{Name: "SolveUnrolled/panicking PointCost", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			_, err := SolveUnrolled(ctx, &Problem{X: x, Y: y, PointCost: panicCost{}, Epsilon: 0.5}, 5)
			return nil, err
		}},
		{Name: "Unrolled.Backward/NaN", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			u, err := SolveUnrolled(ctx, ok, 5)
			if err != nil {
				return nil, err
			}
			_, err = u.Backward([]float64{nan, 0, 0}, make([]float64, 4))
			return nil, err
		}},
		{Name: "Unrolled.Backward/short", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			u, err := SolveUnrolled(ctx, ok, 5)
			if err != nil {
				return nil, err
			}
			_, err = u.Backward(nil, nil)
			return nil, err
		}},
		{Name: "Unrolled.Backward/nil receiver", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			var u *Unrolled
			_, err := u.Backward([]float64{1}, []float64{1})
			return nil, err
		}},
		{Name: "Unrolled.Backward/ok", Call: func(ctx context.Context) (func() error, error) {
			u, err := SolveUnrolled(ctx, ok, 5)
			if err != nil {
				return nil, err
			}
			g, err := u.Backward([]float64{1, 0, 0}, make([]float64, 4))
			if err != nil {
				return nil, err
			}
			cg := u.CostGrad()
			return func() error {
				return testutil.Finite("unrolled", g.C.RawMatrix().Data, g.A, g.B, cg.C.RawMatrix().Data, cg.A, cg.B)
			}, nil
		}},
	}
	testutil.RunAdversarial(t, cases)
}

func TestAdversarialDerivatives(t *testing.T) {
	r, err := Solve(context.Background(), &Problem{Cost: advCost(), Epsilon: 0.5}, tight)
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(3, 2, []float64{0, 0, 1, 0, 0, 1})
	y := mat.NewDense(4, 2, []float64{0, 0, 1, 1, 2, 0, 0, 2})
	rp, err := Solve(context.Background(), &Problem{X: x, Y: y, Epsilon: 0.5}, tight)
	if err != nil {
		t.Fatal(err)
	}
	gradOK := func(g *Grad) func() error {
		return func() error {
			if g == nil {
				return errors.New("nil gradient")
			}
			var vs [][]float64
			for _, m := range []*mat.Dense{g.C, g.X, g.Y} {
				if m != nil {
					vs = append(vs, m.RawMatrix().Data)
				}
			}
			return testutil.Finite("grad", append(vs, g.A, g.B)...)
		}
	}
	vjp := func(name string, r *Result, gf, gg []float64, s *DiffSettings, want error, any ...error) testutil.Case {
		return testutil.Case{Name: "VJP/" + name, Want: want, Any: any, Call: func(context.Context) (func() error, error) {
			g, err := r.Backward(gf, gg, s)
			return gradOK(g), err
		}}
	}
	planVJP := func(name string, r *Result, gp mat.Matrix, s *DiffSettings, want error, any ...error) testutil.Case {
		return testutil.Case{Name: "PlanVJP/" + name, Want: want, Any: any, Call: func(context.Context) (func() error, error) {
			g, err := r.PlanVJP(gp, s)
			return gradOK(g), err
		}}
	}
	ones3, ones4 := []float64{1, 1, 1}, []float64{1, 1, 1, 1}
	var nilRes *Result
	cases := []testutil.Case{
		vjp("nil receiver", nilRes, ones3, ones4, nil, ErrDims),
		vjp("zero Result", &Result{}, ones3, ones4, nil, ErrDims),
		vjp("nil cotangents", r, nil, nil, nil, ErrDims),
		vjp("short", r, ones3, ones3, nil, ErrDims),
		vjp("NaN", r, []float64{nan, 1, 1}, ones4, nil, ErrNaN),
		vjp("Inf", r, ones3, []float64{1, inf, 1, 1}, nil, ErrNaN),
		vjp("1e300", r, []float64{1e300, -1e300, 1e300}, ones4, nil, nil, ErrNumerical, implicit.ErrNaN),
		vjp("ok", r, ones3, ones4, nil, nil),
		vjp("ok points", rp, ones3, ones4, nil, nil),
		vjp("dense engine", rp, ones3, ones4, &DiffSettings{Implicit: &implicit.Settings{Method: implicit.DenseLU}}, nil),
		vjp("Ridge -1", r, ones3, ones4, &DiffSettings{Ridge: -1}, ErrInvalid),
		vjp("Ridge NaN", r, ones3, ones4, &DiffSettings{Ridge: nan}, ErrInvalid),
		vjp("Tol -1", r, ones3, ones4, &DiffSettings{Tol: -1}, ErrInvalid),
		vjp("Tol NaN", r, ones3, ones4, &DiffSettings{Tol: nan}, ErrInvalid),
		vjp("MaxIter -1", r, ones3, ones4, &DiffSettings{MaxIter: -1}, ErrInvalid),
		vjp("MaxIter 1", r, ones3, ones4, &DiffSettings{MaxIter: 1}, nil),
		vjp("unknown engine method", r, ones3, ones4, &DiffSettings{Implicit: &implicit.Settings{Method: 99}}, nil, implicit.ErrSolve, implicit.ErrDims),
		planVJP("nil", r, nil, nil, ErrDims),
		planVJP("nil receiver", nilRes, mat.NewDense(3, 4, nil), nil, ErrDims),
		planVJP("wrong shape", r, mat.NewDense(4, 3, nil), nil, ErrDims),
		planVJP("NaN", r, mat.NewDense(3, 4, []float64{nan, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), nil, ErrNaN),
		planVJP("bad settings", r, mat.NewDense(3, 4, nil), &DiffSettings{Tol: nan}, ErrInvalid),
		planVJP("ok", r, mat.NewDense(3, 4, []float64{1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3}), nil, nil),
		planVJP("ok points", rp, mat.NewDense(3, 4, []float64{1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3}), nil, nil),
		{Name: "Condition/Linearize wrong lengths", Want: ErrDims, Call: func(context.Context) (func() error, error) {
			_, _, err := r.ConditionWith(nil).Linearize([]float64{1}, []float64{1})
			return nil, err
		}},
		{Name: "Condition/Linearize NaN", Want: ErrNaN, Call: func(context.Context) (func() error, error) {
			c := r.ConditionWith(nil)
			th := c.Theta()
			th[0] = nan
			_, _, err := c.Linearize(r.Potentials(), th)
			return nil, err
		}},
		{Name: "Condition/Linearize bad settings", Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
			c := r.ConditionWith(&DiffSettings{Ridge: -2})
			_, _, err := c.Linearize(r.Potentials(), c.Theta())
			return nil, err
		}},
		{Name: "Condition/Residual wrong lengths", Call: func(context.Context) (func() error, error) {
			dst := make([]float64, 7)
			r.ConditionWith(nil).Residual(dst, []float64{1}, []float64{1})
			return func() error {
				if !math.IsNaN(dst[0]) {
					return fmt.Errorf("residual %v, want NaN", dst)
				}
				return nil
			}, nil
		}},
		{Name: "Condition/engine VJP", Call: func(context.Context) (func() error, error) {
			c := r.ConditionWith(nil)
			g, err := implicit.VJP(context.Background(), c, r.Potentials(), c.Theta(), []float64{1, 0, 0, 0, 0, 0, 1}, nil)
			return func() error { return testutil.Finite("VJP", g) }, err
		}},
		{Name: "Condition/engine VJP wrong cotangent", Any: []error{implicit.ErrDims}, Call: func(context.Context) (func() error, error) {
			c := r.ConditionWith(nil)
			g, err := implicit.VJP(context.Background(), c, r.Potentials(), c.Theta(), []float64{1}, nil)
			return func() error { return testutil.Finite("VJP", g) }, err
		}},
		{Name: "Result/8 goroutines", Call: func(context.Context) (func() error, error) {
			want, err := rp.Backward(ones3, ones4, nil)
			if err != nil {
				return nil, err
			}
			var wg sync.WaitGroup
			errs := make([]error, 8)
			for w := range 8 {
				wg.Go(func() {
					g, err := rp.Backward(ones3, ones4, nil)
					if err != nil {
						errs[w] = err
						return
					}
					if !mat.Equal(g.X, want.X) {
						errs[w] = fmt.Errorf("goroutine %d: different gradient", w)
					}
					_ = rp.Plan()
				})
			}
			wg.Wait()
			return func() error { return errors.Join(errs...) }, nil
		}},
	}
	testutil.RunAdversarial(t, cases)
}
