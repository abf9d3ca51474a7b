package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// advData is a small well-posed regression problem (6 rows, 2 features)
// and its ±1 and 0/1/2 label versions.
func advData() (x *mat.Dense, y, signs, classes []float64) {
	x = mat.NewDense(6, 2, []float64{1, 0.5, -0.3, 1, 0.7, -1.2, -1, 0.2, 0.4, 0.9, -0.8, -0.6})
	y = []float64{1.2, 0.4, -0.9, -1.1, 1.3, -0.7}
	signs = []float64{1, 1, -1, -1, 1, -1}
	classes = []float64{0, 1, 2, 0, 1, 2}
	return
}

// panicModel is a Model whose methods panic where told to.
type panicModel struct {
	Model
	fit, cond bool
}

func (m panicModel) Fit(ctx context.Context, w, theta []float64, tol float64) (int, error) {
	if m.fit {
		panic("user Fit panics")
	}
	return m.Model.Fit(ctx, w, theta, tol)
}

func (m panicModel) Condition() implicit.Condition {
	if m.cond {
		panic("user Condition panics")
	}
	return m.Model.Condition()
}

// panicCriterion is a Criterion whose Value panics.
type panicCriterion struct{ n int }

func (c panicCriterion) Dims() int                    { return c.n }
func (c panicCriterion) Value(_, _ []float64) float64 { panic("user criterion panics") }

// funcObjective is an Objective given by a closure.
type funcObjective struct {
	p    int
	eval func(theta, grad []float64) (float64, error)
}

func (o funcObjective) Dims() int { return o.p }
func (o funcObjective) Evaluate(_ context.Context, theta, grad []float64, _ float64) (Evaluation, error) {
	v, err := o.eval(theta, grad)
	return Evaluation{Value: v}, err
}

// quadObjective is L(θ) = Σ(θⱼ − 1)² + 1.
var quadObjective = funcObjective{p: 1, eval: func(theta, grad []float64) (float64, error) {
	var v float64
	for j, t := range theta {
		v += (t - 1) * (t - 1)
		if grad != nil {
			grad[j] = 2 * (t - 1)
		}
	}
	return v + 1, nil
}}

var panicObjective = funcObjective{p: 1, eval: func(_, _ []float64) (float64, error) { panic("user objective panics") }}

var nanObjective = funcObjective{p: 1, eval: func(_, grad []float64) (float64, error) {
	if grad != nil {
		grad[0] = 1
	}
	return math.NaN(), nil
}}

func mustRidge(t *testing.T) (*SmoothModel, *MSE) {
	t.Helper()
	x, y, _, _ := advData()
	m, err := NewRidge(x, y, smooth.Shared)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewMSE(x, y)
	if err != nil {
		t.Fatal(err)
	}
	return m, c
}

func finiteCheck(name string, vs ...[]float64) func() error {
	return func() error { return testutil.Finite(name, vs...) }
}

// TestAdversarialConstructors: every model and criterion constructor on
// nil, empty, mismatched, non-finite and huge data and unknown penalties.
func TestAdversarialConstructors(t *testing.T) {
	x, y, signs, classes := advData()
	nanX := mat.DenseCopyOf(x)
	nanX.Set(2, 1, math.NaN())
	infY := append([]float64(nil), y...)
	infY[3] = math.Inf(-1)
	type ctor struct {
		name  string
		build func(x mat.Matrix, y []float64) (any, error)
		y     []float64
	}
	ctors := []ctor{
		{"NewRidge", func(x mat.Matrix, y []float64) (any, error) { return NewRidge(x, y, smooth.Shared) }, y},
		{"NewLasso", func(x mat.Matrix, y []float64) (any, error) { return NewLasso(x, y, smooth.Shared) }, y},
		{"NewElasticNet", func(x mat.Matrix, y []float64) (any, error) { return NewElasticNet(x, y) }, y},
		{"NewSparseLogistic", func(x mat.Matrix, y []float64) (any, error) { return NewSparseLogistic(x, y, smooth.Shared) }, signs},
		{"NewLogistic", func(x mat.Matrix, y []float64) (any, error) { return NewLogistic(x, y, smooth.Shared) }, signs},
		{"NewLogisticIntercept", func(x mat.Matrix, y []float64) (any, error) { return NewLogisticIntercept(x, y, smooth.Shared) }, signs},
		{"NewMultinomial", func(x mat.Matrix, y []float64) (any, error) { return NewMultinomial(x, y, smooth.Shared) }, classes},
		{"NewMSE", func(x mat.Matrix, y []float64) (any, error) { return NewMSE(x, y) }, y},
		{"NewLogLoss", func(x mat.Matrix, y []float64) (any, error) { return NewLogLoss(x, y) }, signs},
		{"NewLogLossIntercept", func(x mat.Matrix, y []float64) (any, error) { return NewLogLossIntercept(x, y) }, signs},
		{"NewMultiLogLoss", func(x mat.Matrix, y []float64) (any, error) { return NewMultiLogLoss(x, y, 3) }, classes},
	}
	var cases []testutil.Case
	for _, c := range ctors {
		call := func(x mat.Matrix, y []float64) func(context.Context) (func() error, error) {
			return func(context.Context) (func() error, error) {
				v, err := c.build(x, y)
				return func() error {
					if v == nil {
						return errors.New("nil value with nil error")
					}
					return nil
				}, err
			}
		}
		cases = append(cases,
			testutil.Case{Name: c.name + "/nil x", Call: call(nil, c.y), Want: ErrDims},
			testutil.Case{Name: c.name + "/typed nil x", Call: call((*mat.Dense)(nil), c.y), Any: []error{ErrDims}},
			testutil.Case{Name: c.name + "/empty x", Call: call(&mat.Dense{}, nil), Want: ErrDims},
			testutil.Case{Name: c.name + "/short y", Call: call(x, c.y[:5]), Want: ErrDims},
			testutil.Case{Name: c.name + "/nil y", Call: call(x, nil), Want: ErrDims},
			testutil.Case{Name: c.name + "/NaN x", Call: call(nanX, c.y), Want: ErrNaN},
		)
		if c.name == "NewRidge" || c.name == "NewLasso" || c.name == "NewElasticNet" || c.name == "NewMSE" {
			cases = append(cases, testutil.Case{Name: c.name + "/-Inf y", Call: call(x, infY), Want: ErrNaN})
		} else {
			cases = append(cases, testutil.Case{Name: c.name + "/bad labels", Call: call(x, y), Want: ErrLabels})
		}
	}
	for _, p := range []smooth.Strengths{smooth.Strengths(-1), smooth.Strengths(9)} {
		cases = append(cases,
			testutil.Case{Name: fmt.Sprintf("NewRidge/%v", p), Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
				_, err := NewRidge(x, y, p)
				return nil, err
			}},
			testutil.Case{Name: fmt.Sprintf("NewLasso/%v", p), Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
				_, err := NewLasso(x, y, p)
				return nil, err
			}},
			testutil.Case{Name: fmt.Sprintf("NewLogistic/%v", p), Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
				_, err := NewLogistic(x, signs, p)
				return nil, err
			}},
			testutil.Case{Name: fmt.Sprintf("NewMultinomial/%v", p), Want: ErrInvalid, Call: func(context.Context) (func() error, error) {
				_, err := NewMultinomial(x, classes, p)
				return nil, err
			}},
		)
	}
	cases = append(cases,
		testutil.Case{Name: "NewMultiLogLoss/0 classes", Want: ErrLabels, Call: func(context.Context) (func() error, error) {
			_, err := NewMultiLogLoss(x, classes, 0)
			return nil, err
		}},
		testutil.Case{Name: "NewMultiLogLoss/-3 classes", Want: ErrLabels, Call: func(context.Context) (func() error, error) {
			_, err := NewMultiLogLoss(x, classes, -3)
			return nil, err
		}},
		testutil.Case{Name: "NewMultiLogLoss/label above classes", Want: ErrLabels, Call: func(context.Context) (func() error, error) {
			_, err := NewMultiLogLoss(x, classes, 2)
			return nil, err
		}},
	)
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialFit: Model.Fit of every model with bad weights, θ out of
// range (the −800 of issue 19 underflows), bad tolerances, canceled
// contexts and huge data.
func TestAdversarialFit(t *testing.T) {
	x, y, signs, classes := advData()
	huge := mat.DenseCopyOf(x)
	huge.Scale(1e300, huge)
	tiny := mat.DenseCopyOf(x)
	tiny.Scale(1e-300, tiny)
	models := []struct {
		name  string
		build func(x mat.Matrix) (Model, error)
	}{
		{"Ridge", func(x mat.Matrix) (Model, error) { return NewRidge(x, y, smooth.Shared) }},
		{"Lasso", func(x mat.Matrix) (Model, error) { return NewLasso(x, y, smooth.PerFeature) }},
		{"ElasticNet", func(x mat.Matrix) (Model, error) { return NewElasticNet(x, y) }},
		{"SparseLogistic", func(x mat.Matrix) (Model, error) { return NewSparseLogistic(x, signs, smooth.Shared) }},
		{"Logistic", func(x mat.Matrix) (Model, error) { return NewLogistic(x, signs, smooth.Shared) }},
		{"Multinomial", func(x mat.Matrix) (Model, error) { return NewMultinomial(x, classes, smooth.PerClass) }},
	}
	var cases []testutil.Case
	for _, mm := range models {
		m, err := mm.build(x)
		if err != nil {
			t.Fatal(mm.name, err)
		}
		n, p := m.Dims()
		theta := func(v float64) []float64 {
			th := make([]float64, p)
			for j := range th {
				th[j] = v
			}
			return th
		}
		fit := func(ctx context.Context, m Model, w, th []float64, tol float64) (func() error, error) {
			_, err := m.Fit(ctx, w, th, tol)
			return finiteCheck("w", w), err
		}
		row := func(name string, want error, any []error, call func(ctx context.Context) (func() error, error)) {
			cases = append(cases, testutil.Case{Name: mm.name + "/" + name, Want: want, Any: any, Call: call})
		}
		row("ok", nil, nil, func(ctx context.Context) (func() error, error) {
			return fit(ctx, m, make([]float64, n), theta(-1), 0)
		})
		row("nil w", ErrDims, nil, func(ctx context.Context) (func() error, error) { return fit(ctx, m, nil, theta(-1), 0) })
		row("long w", ErrDims, nil, func(ctx context.Context) (func() error, error) {
			return fit(ctx, m, make([]float64, n+1), theta(-1), 0)
		})
		row("NaN w", ErrNaN, nil, func(ctx context.Context) (func() error, error) {
			w := make([]float64, n)
			w[0] = math.NaN()
			return fit(ctx, m, w, theta(-1), 0)
		})
		row("nil θ", ErrDims, nil, func(ctx context.Context) (func() error, error) { return fit(ctx, m, make([]float64, n), nil, 0) })
		row("NaN θ", ErrNaN, nil, func(ctx context.Context) (func() error, error) {
			return fit(ctx, m, make([]float64, n), theta(math.NaN()), 0)
		})
		row("+Inf θ", ErrNaN, nil, func(ctx context.Context) (func() error, error) {
			return fit(ctx, m, make([]float64, n), theta(math.Inf(1)), 0)
		})
		row("θ=800 overflows", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
			return fit(ctx, m, make([]float64, n), theta(800), 0)
		})
		row("θ=-800 underflows", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
			return fit(ctx, m, make([]float64, n), theta(-800), 0)
		})
		row("tol=-1", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
			return fit(ctx, m, make([]float64, n), theta(-1), -1)
		})
		row("tol=NaN", ErrInvalid, nil, func(ctx context.Context) (func() error, error) {
			return fit(ctx, m, make([]float64, n), theta(-1), math.NaN())
		})
		row("canceled", nil, []error{context.Canceled, ErrNotConverged}, func(context.Context) (func() error, error) {
			return fit(testutil.Canceled(), m, make([]float64, n), theta(-1), 0)
		})
		for _, big := range []struct {
			name string
			x    *mat.Dense
		}{{"1e300 data", huge}, {"1e-300 data", tiny}} {
			row(big.name, nil, []error{ErrNaN, ErrNotConverged}, func(ctx context.Context) (func() error, error) {
				m, err := mm.build(big.x)
				if err != nil {
					return nil, err
				}
				return fit(ctx, m, make([]float64, n), theta(-1), 0)
			})
		}
	}
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialHypergradient: Hypergradient with nil and mismatched
// arguments, every bad setting, panicking user code and canceled contexts.
func TestAdversarialHypergradient(t *testing.T) {
	x, y, _, _ := advData()
	solved := func(t *testing.T) (Model, Criterion, []float64) {
		m, c := mustRidge(t)
		w := make([]float64, 2)
		if _, err := m.Fit(context.Background(), w, []float64{-1}, 0); err != nil {
			t.Fatal(err)
		}
		return m, c, w
	}
	m, c, w := solved(t)
	lasso, err := NewLasso(x, y, smooth.Shared)
	if err != nil {
		t.Fatal(err)
	}
	hg := func(ctx context.Context, m Model, c Criterion, theta, w, grad []float64, s *HypergradSettings) (func() error, error) {
		v, _, err := Hypergradient(ctx, m, c, theta, w, grad, s)
		return finiteCheck("hypergradient", []float64{v}, grad), err
	}
	row := func(name string, want error, s *HypergradSettings) testutil.Case {
		return testutil.Case{Name: name, Want: want, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, m, c, []float64{-1}, append([]float64(nil), w...), make([]float64, 1), s)
		}}
	}
	cases := []testutil.Case{
		row("ok", nil, nil),
		row("zero settings", nil, &HypergradSettings{}),
		row("unknown method", ErrInvalid, &HypergradSettings{Method: Method(42)}),
		row("negative method", ErrInvalid, &HypergradSettings{Method: Method(-1)}),
		row("Steps=-1", ErrInvalid, &HypergradSettings{Method: Neumann, Steps: -1}),
		row("Tol=-1", ErrInvalid, &HypergradSettings{Tol: -1}),
		row("Tol=NaN", ErrInvalid, &HypergradSettings{Tol: math.NaN()}),
		row("Epsilon=-1", ErrInvalid, &HypergradSettings{Method: OneStep, Epsilon: -1}),
		row("Epsilon=+Inf", ErrInvalid, &HypergradSettings{Method: OneStep, Epsilon: math.Inf(1)}),
		row("Sigma=NaN", ErrInvalid, &HypergradSettings{Method: Hypernetwork, Sigma: math.NaN()}),
		row("ImplicitForward on ridge", ErrMethod, &HypergradSettings{Method: ImplicitForward}),
		{Name: "nil model", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, nil, c, []float64{-1}, []float64{0, 0}, make([]float64, 1), nil)
		}},
		{Name: "nil criterion", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, m, nil, []float64{-1}, []float64{0, 0}, make([]float64, 1), nil)
		}},
		{Name: "criterion dims", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, m, panicCriterion{3}, []float64{-1}, []float64{0, 0}, make([]float64, 1), nil)
		}},
		{Name: "nil grad", Want: ErrDims, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, m, c, []float64{-1}, []float64{0, 0}, nil, nil)
		}},
		{Name: "θ=-800", Want: ErrInvalid, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, m, c, []float64{-800}, []float64{0, 0}, make([]float64, 1), nil)
		}},
		{Name: "NaN w", Want: ErrNaN, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, m, c, []float64{-1}, []float64{math.NaN(), 0}, make([]float64, 1), nil)
		}},
		{Name: "panicking criterion", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, m, panicCriterion{2}, []float64{-1}, []float64{0, 0}, make([]float64, 1), nil)
		}},
		{Name: "panicking condition", Want: ErrCallback, Call: func(ctx context.Context) (func() error, error) {
			return hg(ctx, panicModel{Model: m, cond: true}, c, []float64{-1}, []float64{0, 0}, make([]float64, 1), nil)
		}},
		{Name: "canceled unrolled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			return hg(testutil.Canceled(), lasso, c, []float64{-1}, []float64{0, 0}, make([]float64, 1), &HypergradSettings{Method: UnrolledReverse})
		}},
		{Name: "canceled hypernetwork", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			return hg(testutil.Canceled(), lasso, c, []float64{-1}, []float64{0, 0}, make([]float64, 1), &HypergradSettings{Method: Hypernetwork})
		}},
	}
	for meth := Implicit; meth <= Hypernetwork; meth++ {
		cases = append(cases, testutil.Case{Name: "lasso " + meth.String(), Any: []error{ErrMethod}, Call: func(ctx context.Context) (func() error, error) {
			w := make([]float64, 2)
			if _, err := lasso.Fit(ctx, w, []float64{-2}, 0); err != nil {
				return nil, err
			}
			return hg(ctx, lasso, c, []float64{-2}, w, make([]float64, 1), &HypergradSettings{Method: meth})
		}})
	}
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialObjectives: NewHeldOut, HeldOut.Evaluate,
// NewCrossValidation, CrossValidation.Evaluate and KFold.
func TestAdversarialObjectives(t *testing.T) {
	x, y, _, _ := advData()
	m, c := mustRidge(t)
	ridgeFold := func(xt mat.Matrix, yt []float64, xv mat.Matrix, yv []float64) (Model, Criterion, error) {
		m, err := NewRidge(xt, yt, smooth.Shared)
		if err != nil {
			return nil, nil, err
		}
		c, err := NewMSE(xv, yv)
		return m, c, err
	}
	evalRow := func(name string, want error, obj func() (Objective, error), theta, grad []float64, tol float64) testutil.Case {
		return testutil.Case{Name: name, Want: want, Call: func(ctx context.Context) (func() error, error) {
			o, err := obj()
			if err != nil {
				return nil, err
			}
			ev, err := o.Evaluate(ctx, theta, grad, tol)
			return finiteCheck("evaluation", []float64{ev.Value}, grad), err
		}}
	}
	heldOut := func(m Model, c Criterion) func() (Objective, error) {
		return func() (Objective, error) { return NewHeldOut(m, c, nil) }
	}
	cv := func(workers int) func() (Objective, error) {
		return func() (Objective, error) { return KFold(x, y, 3, ridgeFold, &CVSettings{Workers: workers}) }
	}
	cases := []testutil.Case{
		evalRow("HeldOut/ok", nil, heldOut(m, c), []float64{-1}, make([]float64, 1), 0),
		evalRow("HeldOut/nil model", ErrInvalid, heldOut(nil, c), []float64{-1}, nil, 0),
		evalRow("HeldOut/nil criterion", ErrInvalid, heldOut(m, nil), []float64{-1}, nil, 0),
		evalRow("HeldOut/criterion dims", ErrDims, heldOut(m, panicCriterion{5}), []float64{-1}, nil, 0),
		evalRow("HeldOut/bad settings", ErrInvalid, func() (Objective, error) {
			return NewHeldOut(m, c, &HypergradSettings{Steps: -5})
		}, []float64{-1}, nil, 0),
		evalRow("HeldOut/nil θ", ErrDims, heldOut(m, c), nil, nil, 0),
		evalRow("HeldOut/short grad", ErrDims, heldOut(m, c), []float64{-1}, []float64{}, 0),
		evalRow("HeldOut/NaN θ", ErrNaN, heldOut(m, c), []float64{math.NaN()}, nil, 0),
		evalRow("HeldOut/θ=-800", ErrInvalid, heldOut(m, c), []float64{-800}, nil, 0),
		evalRow("HeldOut/tol=-1", ErrInvalid, heldOut(m, c), []float64{-1}, nil, -1),
		evalRow("HeldOut/tol=NaN", ErrInvalid, heldOut(m, c), []float64{-1}, make([]float64, 1), math.NaN()),
		evalRow("HeldOut/panicking Fit", ErrCallback, heldOut(panicModel{Model: m, fit: true}, c), []float64{-1}, nil, 0),
		evalRow("HeldOut/panicking criterion", ErrCallback, heldOut(m, panicCriterion{2}), []float64{-1}, nil, 0),
		evalRow("HeldOut/panicking criterion with grad", ErrCallback, heldOut(m, panicCriterion{2}), []float64{-1}, make([]float64, 1), 0),
		evalRow("HeldOut/nil receiver", ErrInvalid, func() (Objective, error) { return (*HeldOut)(nil), nil }, []float64{-1}, nil, 0),
		evalRow("CV/ok", nil, cv(0), []float64{-1}, make([]float64, 1), 0),
		evalRow("CV/one worker", nil, cv(1), []float64{-1}, make([]float64, 1), 0),
		evalRow("CV/workers=-1", ErrInvalid, cv(-1), []float64{-1}, nil, 0),
		evalRow("CV/k=1", ErrInvalid, func() (Objective, error) { return KFold(x, y, 1, ridgeFold, nil) }, []float64{-1}, nil, 0),
		evalRow("CV/k=7 of 6 rows", ErrInvalid, func() (Objective, error) { return KFold(x, y, 7, ridgeFold, nil) }, []float64{-1}, nil, 0),
		evalRow("CV/short y", ErrDims, func() (Objective, error) { return KFold(x, y[:4], 2, ridgeFold, nil) }, []float64{-1}, nil, 0),
		evalRow("CV/nil x", ErrInvalid, func() (Objective, error) { return KFold(nil, y, 2, ridgeFold, nil) }, []float64{-1}, nil, 0),
		evalRow("CV/nil builder", ErrInvalid, func() (Objective, error) { return KFold(x, y, 2, nil, nil) }, []float64{-1}, nil, 0),
		evalRow("CV/bad settings", ErrInvalid, func() (Objective, error) {
			return KFold(x, y, 2, ridgeFold, &CVSettings{Hypergrad: &HypergradSettings{Method: Method(77)}})
		}, []float64{-1}, nil, 0),
		evalRow("CV/builder error", ErrDims, func() (Objective, error) {
			return KFold(x, y, 2, func(mat.Matrix, []float64, mat.Matrix, []float64) (Model, Criterion, error) {
				return nil, nil, fmt.Errorf("%w: user says no", ErrDims)
			}, nil)
		}, []float64{-1}, nil, 0),
		evalRow("CV/builder returns nil", ErrInvalid, func() (Objective, error) {
			return KFold(x, y, 2, func(mat.Matrix, []float64, mat.Matrix, []float64) (Model, Criterion, error) {
				return nil, nil, nil
			}, nil)
		}, []float64{-1}, nil, 0),
		evalRow("CV/panicking builder", ErrCallback, func() (Objective, error) {
			return KFold(x, y, 2, func(mat.Matrix, []float64, mat.Matrix, []float64) (Model, Criterion, error) {
				panic("user builder panics")
			}, nil)
		}, []float64{-1}, nil, 0),
		evalRow("CV/panicking fold", ErrCallback, func() (Objective, error) {
			h, err := NewHeldOut(panicModel{Model: m, fit: true}, c, nil)
			if err != nil {
				return nil, err
			}
			return NewCrossValidation([]*HeldOut{h, h}, &CVSettings{Workers: 2})
		}, []float64{-1}, make([]float64, 1), 0),
		evalRow("CV/no folds", ErrInvalid, func() (Objective, error) { return NewCrossValidation(nil, nil) }, []float64{-1}, nil, 0),
		evalRow("CV/Workers=-1", ErrInvalid, func() (Objective, error) {
			h, err := NewHeldOut(m, c, nil)
			if err != nil {
				return nil, err
			}
			return NewCrossValidation([]*HeldOut{h}, &CVSettings{Workers: -1})
		}, []float64{-1}, nil, 0),
		evalRow("CV/bad Hypergrad", ErrInvalid, func() (Objective, error) {
			h, err := NewHeldOut(m, c, nil)
			if err != nil {
				return nil, err
			}
			return NewCrossValidation([]*HeldOut{h}, &CVSettings{Hypergrad: &HypergradSettings{Method: Method(-3)}})
		}, []float64{-1}, nil, 0),
		evalRow("CV/nil fold", ErrDims, func() (Objective, error) { return NewCrossValidation([]*HeldOut{nil}, nil) }, []float64{-1}, nil, 0),
		evalRow("CV/nil receiver", ErrInvalid, func() (Objective, error) { return (*CrossValidation)(nil), nil }, []float64{-1}, nil, 0),
		evalRow("CV/tol=NaN", ErrInvalid, cv(0), []float64{-1}, nil, math.NaN()),
		evalRow("CV/θ=-800", ErrInvalid, cv(0), []float64{-800}, nil, 0),
		evalRow("CV/short grad", ErrDims, cv(0), []float64{-1}, []float64{}, 0),
	}
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialOptimize: Optimize with every bad setting, bad bounds,
// bad starts, panicking and NaN objectives and canceled contexts.
func TestAdversarialOptimize(t *testing.T) {
	opt := func(obj Objective, theta0 []float64, s *Settings) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			res, err := Optimize(ctx, obj, theta0, s)
			return func() error {
				if res == nil {
					return errors.New("nil result with nil error")
				}
				if math.Abs(res.Theta[0]-1) > 1e-3 {
					return fmt.Errorf("θ = %v, want 1", res.Theta)
				}
				return testutil.Finite("Optimize", res.Theta, []float64{res.Value}, res.Lambdas())
			}, err
		}
	}
	var cases []testutil.Case
	for a := LBFGS; a <= Adam; a++ {
		name := a.String()
		cases = append(cases,
			testutil.Case{Name: name + "/ok", Call: opt(quadObjective, []float64{0}, &Settings{Algorithm: a, MaxIter: 500, LearningRate: 0.5 * float64(a/Adam) * 2})},
			testutil.Case{Name: name + "/panicking objective", Want: ErrCallback, Call: opt(panicObjective, []float64{0}, &Settings{Algorithm: a})},
			testutil.Case{Name: name + "/NaN objective", Want: ErrNaN, Call: opt(nanObjective, []float64{0}, &Settings{Algorithm: a})},
			testutil.Case{Name: name + "/canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
				_, err := Optimize(testutil.Canceled(), quadObjective, []float64{0}, &Settings{Algorithm: a})
				return nil, err
			}},
		)
	}
	slowObjective := funcObjective{p: 1, eval: func(theta, grad []float64) (float64, error) {
		// Longer than the deadline: the first evaluation ends after it, and
		// the context is checked before the second.
		time.Sleep(25 * time.Millisecond)
		return quadObjective.eval(theta, grad)
	}}
	for a := LBFGS; a <= Adam; a++ {
		cases = append(cases, testutil.Case{Name: a.String() + "/expiring context", Want: context.DeadlineExceeded, Timeout: 5 * time.Second,
			Call: func(context.Context) (func() error, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				defer cancel()
				_, err := Optimize(ctx, slowObjective, []float64{-20}, &Settings{Algorithm: a, MaxIter: 1 << 20, Tol: 1e-300, StepTol: 1e-300, ValueTol: 1e-300, LearningRate: 1e-3})
				return nil, err
			}})
	}
	bad := map[string]Settings{
		"unknown algorithm":  {Algorithm: Algorithm(3)},
		"negative algorithm": {Algorithm: Algorithm(-1)},
		"MaxIter=-1":         {MaxIter: -1},
		"Tol=-1":             {Tol: -1},
		"Tol=NaN":            {Tol: math.NaN()},
		"StepTol=-1":         {StepTol: -1},
		"ValueTol=NaN":       {ValueTol: math.NaN()},
		"InnerTol=-1":        {InnerTol: -1},
		"InnerTolStart=Inf":  {Algorithm: HOAG, InnerTolStart: math.Inf(1)},
		"TolDecrease=1.5":    {Algorithm: HOAG, TolDecrease: 1.5},
		"TolDecrease=-0.3":   {Algorithm: HOAG, TolDecrease: -0.3},
		"LearningRate=-0.1":  {Algorithm: Adam, LearningRate: -0.1},
		"LearningRate=NaN":   {Algorithm: Adam, LearningRate: math.NaN()},
		"crossed bounds":     {Lower: []float64{1}, Upper: []float64{0}},
		"NaN bound":          {Lower: []float64{math.NaN()}, Upper: []float64{0}},
		"short bounds":       {Lower: []float64{}, Upper: []float64{1}},
	}
	for name, s := range bad {
		want := ErrInvalid
		switch name {
		case "crossed bounds", "NaN bound":
			want = ErrBounds
		case "short bounds":
			want = ErrDims
		}
		cases = append(cases, testutil.Case{Name: name, Want: want, Call: opt(quadObjective, []float64{0}, &s)})
	}
	cases = append(cases,
		testutil.Case{Name: "nil objective", Want: ErrInvalid, Call: opt(nil, []float64{0}, nil)},
		testutil.Case{Name: "0 hyperparameters", Want: ErrDims, Call: opt(funcObjective{p: 0}, nil, nil)},
		testutil.Case{Name: "-1 hyperparameters", Want: ErrDims, Call: opt(funcObjective{p: -1}, nil, nil)},
		testutil.Case{Name: "nil θ₀", Want: ErrDims, Call: opt(quadObjective, nil, nil)},
		testutil.Case{Name: "NaN θ₀", Want: ErrNaN, Call: opt(quadObjective, []float64{math.NaN()}, nil)},
		testutil.Case{Name: "θ₀=1e300 projected", Call: opt(quadObjective, []float64{1e300}, &Settings{MaxIter: 200})},
	)
	testutil.RunAdversarial(t, cases)
}

// TestAdversarialSearch: GridSearch, RandomSearch, Linspace, Grid1D,
// SparseRegression and the result accessors.
func TestAdversarialSearch(t *testing.T) {
	search := func(call func(ctx context.Context) (*SearchResult, error)) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			res, err := call(ctx)
			return func() error {
				if res == nil || res.BestTheta() == nil {
					return errors.New("no best point")
				}
				return testutil.Finite("search", res.BestTheta(), res.Values)
			}, err
		}
	}
	grid := Grid1D(Linspace(2, -2, 5))
	cases := []testutil.Case{
		{Name: "GridSearch/ok", Call: search(func(ctx context.Context) (*SearchResult, error) { return GridSearch(ctx, quadObjective, grid, 0) })},
		{Name: "GridSearch/nil objective", Want: ErrInvalid, Call: search(func(ctx context.Context) (*SearchResult, error) { return GridSearch(ctx, nil, grid, 0) })},
		{Name: "GridSearch/empty grid", Want: ErrInvalid, Call: search(func(ctx context.Context) (*SearchResult, error) { return GridSearch(ctx, quadObjective, nil, 0) })},
		{Name: "GridSearch/point of length 2", Want: ErrDims, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return GridSearch(ctx, quadObjective, [][]float64{{1, 2}}, 0)
		})},
		{Name: "GridSearch/tol=-1", Want: ErrInvalid, Call: search(func(ctx context.Context) (*SearchResult, error) { return GridSearch(ctx, quadObjective, grid, -1) })},
		{Name: "GridSearch/tol=NaN", Want: ErrInvalid, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return GridSearch(ctx, quadObjective, grid, math.NaN())
		})},
		{Name: "GridSearch/panicking objective", Want: ErrCallback, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return GridSearch(ctx, panicObjective, grid, 0)
		})},
		{Name: "GridSearch/NaN objective", Want: ErrNaN, Call: search(func(ctx context.Context) (*SearchResult, error) {
			h, err := NewHeldOut(panicModel{Model: mustRidgeModel(t)}, nanCriterion{2}, nil)
			if err != nil {
				return nil, err
			}
			return GridSearch(ctx, h, grid, 0)
		})},
		{Name: "GridSearch/canceled", Want: context.Canceled, Call: search(func(context.Context) (*SearchResult, error) {
			return GridSearch(testutil.Canceled(), quadObjective, grid, 0)
		})},
		{Name: "RandomSearch/ok", Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, quadObjective, []float64{-2}, []float64{2}, 5, 1, 0)
		})},
		{Name: "RandomSearch/nil objective", Want: ErrInvalid, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, nil, []float64{-2}, []float64{2}, 5, 1, 0)
		})},
		{Name: "RandomSearch/n=0", Want: ErrInvalid, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, quadObjective, []float64{-2}, []float64{2}, 0, 1, 0)
		})},
		{Name: "RandomSearch/n=-1", Want: ErrInvalid, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, quadObjective, []float64{-2}, []float64{2}, -1, 1, 0)
		})},
		{Name: "RandomSearch/crossed", Want: ErrBounds, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, quadObjective, []float64{2}, []float64{-2}, 5, 1, 0)
		})},
		{Name: "RandomSearch/infinite bound", Want: ErrBounds, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, quadObjective, []float64{math.Inf(-1)}, []float64{2}, 5, 1, 0)
		})},
		{Name: "RandomSearch/nil bounds", Want: ErrDims, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, quadObjective, nil, nil, 5, 1, 0)
		})},
		{Name: "RandomSearch/0 hyperparameters", Want: ErrDims, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, funcObjective{p: 0}, nil, nil, 5, 1, 0)
		})},
		{Name: "RandomSearch/panicking objective", Want: ErrCallback, Call: search(func(ctx context.Context) (*SearchResult, error) {
			return RandomSearch(ctx, panicObjective, []float64{-2}, []float64{2}, 5, 1, 0)
		})},
		{Name: "SearchResult/empty accessors", Call: func(context.Context) (func() error, error) {
			var nilRes *SearchResult
			early := &SearchResult{Best: -1}
			return func() error {
				if nilRes.BestTheta() != nil || early.BestTheta() != nil {
					return errors.New("best point of an empty search")
				}
				if !math.IsNaN(nilRes.BestValue()) || !math.IsNaN(early.BestValue()) {
					return errors.New("best value of an empty search is not NaN")
				}
				return nil
			}, nil
		}},
		{Name: "Result/nil Lambdas", Call: func(context.Context) (func() error, error) {
			var r *Result
			return func() error {
				if r.Lambdas() != nil {
					return errors.New("lambdas of a nil result")
				}
				return nil
			}, nil
		}},
		{Name: "Linspace/n=-1", Call: func(context.Context) (func() error, error) {
			v := Linspace(0, 1, -1)
			return func() error {
				if v != nil {
					return fmt.Errorf("Linspace(0, 1, -1) = %v", v)
				}
				return nil
			}, nil
		}},
		{Name: "Linspace/n=0", Call: func(context.Context) (func() error, error) {
			v := Linspace(0, 1, 0)
			return func() error {
				if len(v) != 0 {
					return fmt.Errorf("Linspace(0, 1, 0) = %v", v)
				}
				return nil
			}, nil
		}},
		{Name: "Grid1D/nil", Call: func(context.Context) (func() error, error) {
			g := Grid1D(nil)
			return func() error {
				if len(g) != 0 {
					return fmt.Errorf("Grid1D(nil) = %v", g)
				}
				return nil
			}, nil
		}},
	}
	for _, sz := range [][2]int{{0, 5}, {5, 0}, {-1, 3}, {3, -1}} {
		cases = append(cases, testutil.Case{Name: fmt.Sprintf("SparseRegression/%d×%d", sz[0], sz[1]), Call: func(context.Context) (func() error, error) {
			x, y := SparseRegression(sz[0], sz[1], 1)
			return func() error {
				if x != nil || y != nil {
					return errors.New("data for an empty shape")
				}
				_, err := NewRidge(x, y, smooth.Shared)
				if !errors.Is(err, ErrDims) {
					return fmt.Errorf("NewRidge on the empty data: %v", err)
				}
				return nil
			}, nil
		}})
	}
	testutil.RunAdversarial(t, cases)
}

func mustRidgeModel(t *testing.T) Model { m, _ := mustRidge(t); return m }

// nanCriterion returns NaN.
type nanCriterion struct{ n int }

func (c nanCriterion) Dims() int                    { return c.n }
func (c nanCriterion) Value(_, _ []float64) float64 { return math.NaN() }

// TestAdversarialProblemModel: NewProblemModel and Fit with a nil or
// incomplete problem, a panicking solver and bad arguments.
func TestAdversarialProblemModel(t *testing.T) {
	scale := func(c float64) implicit.Operator {
		f := func(dst, v []float64) { dst[0] = c * v[0] }
		return linsolve.NewFunc(1, 1, f, f)
	}
	cond := &implicit.ConditionFunc{N: 1, P: 1, ResidualFunc: func(dst, x, theta []float64) { dst[0] = x[0] - theta[0] },
		LinearizeFunc: func(_, _ []float64) (implicit.Operator, implicit.Operator, error) { return scale(1), scale(-1), nil }}
	good := &implicit.Problem{Condition: cond, Solver: func(_ context.Context, theta, _ []float64) ([]float64, error) {
		return []float64{theta[0]}, nil
	}}
	bad := &implicit.Problem{Condition: cond, Solver: func(context.Context, []float64, []float64) ([]float64, error) {
		panic("user solver panics")
	}}
	fit := func(pb *implicit.Problem, w, theta []float64, tol float64) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			m, err := NewProblemModel(pb)
			if err != nil {
				return nil, err
			}
			_, err = m.Fit(ctx, w, theta, tol)
			return finiteCheck("w", w), err
		}
	}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "ok", Call: fit(good, []float64{0}, []float64{3}, 0)},
		{Name: "nil problem", Want: ErrInvalid, Call: fit(nil, []float64{0}, []float64{3}, 0)},
		{Name: "no solver", Want: ErrInvalid, Call: fit(&implicit.Problem{Condition: cond}, []float64{0}, []float64{3}, 0)},
		{Name: "no condition", Want: ErrInvalid, Call: fit(&implicit.Problem{Solver: good.Solver}, []float64{0}, []float64{3}, 0)},
		{Name: "nil w", Want: ErrDims, Call: fit(good, nil, []float64{3}, 0)},
		{Name: "long θ", Want: ErrDims, Call: fit(good, []float64{0}, []float64{3, 4}, 0)},
		{Name: "NaN θ", Want: ErrNaN, Call: fit(good, []float64{0}, []float64{math.NaN()}, 0)},
		{Name: "tol=-1", Want: ErrInvalid, Call: fit(good, []float64{0}, []float64{3}, -1)},
		{Name: "panicking solver", Want: ErrCallback, Call: fit(bad, []float64{0}, []float64{3}, 0)},
		// θ of a ProblemModel is the problem's own parameter, not a
		// log-strength: |θ| > 700 is valid there.
		{Name: "θ=800 is not a log-strength", Call: fit(good, []float64{0}, []float64{800}, 0)},
		{Name: "HeldOut and CV with θ=800", Call: func(ctx context.Context) (func() error, error) {
			target, err := NewMSE(mat.NewDense(1, 1, []float64{1}), []float64{800})
			if err != nil {
				return nil, err
			}
			mk := func() *HeldOut {
				m, err := NewProblemModel(good)
				if err != nil {
					t.Fatal(err)
				}
				h, err := NewHeldOut(m, target, nil)
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			h := mk()
			g := make([]float64, 1)
			ev, err := h.Evaluate(ctx, []float64{800}, g, 0)
			if err != nil {
				return nil, err
			}
			cv, err := NewCrossValidation([]*HeldOut{mk(), mk()}, &CVSettings{Workers: 1})
			if err != nil {
				return nil, err
			}
			g2 := make([]float64, 1)
			ev2, err := cv.Evaluate(ctx, []float64{800}, g2, 0)
			return func() error {
				if ev.Value != 0 || ev2.Value != 0 {
					return fmt.Errorf("criterion %v, %v at the target, want 0", ev.Value, ev2.Value)
				}
				return testutil.Finite("hypergradient", g, g2)
			}, err
		}},
	})
}

// TestAdversarialModelMethods: the conditions, iteration maps,
// ThetaGradient and SupportSystem of every model and the criteria's Value,
// called directly with wrong lengths, NaN and out-of-range θ: errors where
// the method has one, NaN (or nil slices) where it has none, never a panic.
func TestAdversarialModelMethods(t *testing.T) {
	x, y, signs, classes := advData()
	var models []Model
	for _, build := range []func() (Model, error){
		func() (Model, error) { return NewRidge(x, y, smooth.PerFeature) },
		func() (Model, error) { return NewLasso(x, y, smooth.Shared) },
		func() (Model, error) { return NewElasticNet(x, y) },
		func() (Model, error) { return NewSparseLogistic(x, signs, smooth.PerFeature) },
		func() (Model, error) { return NewLogistic(x, signs, smooth.Shared) },
		func() (Model, error) { return NewMultinomial(x, classes, smooth.Shared) },
	} {
		m, err := build()
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, m)
	}
	isNaN := func(name string, v []float64) error {
		for _, e := range v {
			if !math.IsNaN(e) {
				return fmt.Errorf("%s = %v, want NaN", name, v)
			}
		}
		return nil
	}
	var cases []testutil.Case
	for k, m := range models {
		n, p := m.Dims()
		name := fmt.Sprintf("%d %T/%d×%d", k, m, n, p)
		th := make([]float64, p)
		bad := map[string][2][]float64{
			"short w": {make([]float64, n-1), th},
			"nil θ":   {make([]float64, n), nil},
			"NaN w":   {append([]float64{math.NaN()}, make([]float64, n-1)...), th},
			"θ=-800":  {make([]float64, n), append([]float64{-800}, make([]float64, p-1)...)},
			"+Inf θ":  {make([]float64, n), append([]float64{math.Inf(1)}, make([]float64, p-1)...)},
			"long w":  {make([]float64, n+1), th},
			"long θ":  {make([]float64, n), make([]float64, p+1)},
			"NaN θ":   {make([]float64, n), append([]float64{math.NaN()}, make([]float64, p-1)...)},
			"θ=800":   {make([]float64, n), append([]float64{800}, make([]float64, p-1)...)},
		}
		for bname, pt := range bad {
			w, theta := pt[0], pt[1]
			cases = append(cases,
				testutil.Case{Name: name + "/Condition.Linearize/" + bname, Any: []error{ErrDims, ErrNaN, ErrInvalid}, Call: func(context.Context) (func() error, error) {
					_, _, err := m.Condition().Linearize(w, theta)
					if err == nil {
						return nil, errors.New("nil error")
					}
					return nil, err
				}},
				testutil.Case{Name: name + "/Condition.Residual/" + bname, Call: func(context.Context) (func() error, error) {
					dst := make([]float64, n)
					m.Condition().Residual(dst, w, theta)
					return func() error { return isNaN("residual", dst) }, nil
				}},
			)
			if r, ok := m.(Regularized); ok {
				cases = append(cases, testutil.Case{Name: name + "/ThetaGradient/" + bname, Call: func(context.Context) (func() error, error) {
					dst := make([]float64, p)
					r.ThetaGradient(dst, w, theta)
					return func() error { return isNaN("ThetaGradient", dst) }, nil
				}})
			}
			if s, ok := m.(SupportModel); ok {
				cases = append(cases, testutil.Case{Name: name + "/SupportSystem/" + bname, Call: func(context.Context) (func() error, error) {
					supp, hss, bs := s.SupportSystem(w, theta)
					return func() error {
						if supp != nil || hss != nil || bs != nil {
							return fmt.Errorf("support %v of an invalid point", supp)
						}
						return nil
					}, nil
				}})
			}
			if it, ok := m.(Iterative); ok {
				cases = append(cases, testutil.Case{Name: name + "/Iteration/" + bname, Any: []error{ErrDims, ErrNaN, ErrInvalid}, Call: func(context.Context) (func() error, error) {
					tm, _ := it.Iteration(theta)
					dst := make([]float64, n)
					tm.Map(dst, w, theta)
					if err := isNaN("map", dst); err != nil {
						return nil, err
					}
					_, _, err := tm.Linearize(w, theta)
					if err == nil {
						return nil, errors.New("nil error")
					}
					return nil, err
				}})
			}
		}
		cases = append(cases, testutil.Case{Name: name + "/Residual short dst", Call: func(context.Context) (func() error, error) {
			dst := make([]float64, n-1)
			m.Condition().Residual(dst, make([]float64, n), th)
			return func() error { return isNaN("residual", dst) }, nil
		}})
	}
	for _, c := range []Criterion{mustCriterion(NewMSE(x, y)), mustCriterion(NewLogLoss(x, signs)), mustCriterion(NewMultiLogLoss(x, classes, 3))} {
		name := fmt.Sprintf("%T", c)
		n := c.Dims()
		cases = append(cases,
			testutil.Case{Name: name + "/short w", Call: func(context.Context) (func() error, error) {
				g := make([]float64, n)
				v := c.Value(make([]float64, n-1), g)
				return func() error { return isNaN("value and gradient", append([]float64{v}, g...)) }, nil
			}},
			testutil.Case{Name: name + "/short grad", Call: func(context.Context) (func() error, error) {
				g := make([]float64, 1)
				v := c.Value(make([]float64, n), g)
				return func() error { return isNaN("value and gradient", append([]float64{v}, g...)) }, nil
			}},
		)
	}
	testutil.RunAdversarial(t, cases)
}

func mustCriterion[C Criterion](c C, err error) Criterion {
	if err != nil {
		panic(err)
	}
	return c
}

// TestAdversarialNilReceivers: every method of every exported pointer type
// on a nil receiver: no panic, errors match ErrInvalid.
func TestAdversarialNilReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.NilReceivers(ErrInvalid,
		(*CrossValidation)(nil), (*HeldOut)(nil), (*L1Regression)(nil), (*LogLoss)(nil), (*SmoothModel)(nil),
		(*MSE)(nil), (*MultiLogLoss)(nil), (*ProblemModel)(nil), (*Result)(nil), (*SearchResult)(nil)))
}

// TestAdversarialZeroReceivers: every method of the exported pointer types
// on a pointer to their zero value: no panic, errors match ErrInvalid.
func TestAdversarialZeroReceivers(t *testing.T) {
	testutil.RunAdversarial(t, testutil.ZeroReceivers(ErrInvalid,
		(*CrossValidation)(nil), (*HeldOut)(nil), (*L1Regression)(nil), (*LogLoss)(nil), (*SmoothModel)(nil),
		(*MSE)(nil), (*MultiLogLoss)(nil), (*ProblemModel)(nil), (*Result)(nil), (*SearchResult)(nil)))
}
