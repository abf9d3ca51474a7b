package bilevel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/prox"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// protocol builds the objective of H1 (ridge), H2 (lasso) or H3
// (logistic) of BENCHMARKS.md.
func protocol(t testing.TB, id string, s *HypergradSettings) *HeldOut {
	t.Helper()
	var sets []*datasets.Dataset
	var err error
	switch id {
	case "H1", "H2":
		tr, va := datasets.MustLoad("diabetes").Split()
		_, sets, err = datasets.Standardize(true, tr, va)
	default:
		tr, va := datasets.MustLoad("breast_cancer").Split()
		_, sets, err = datasets.Standardize(false, tr, va)
		require.NoError(t, err)
		for _, d := range sets {
			d.Y, err = datasets.Signs(d.Y)
			require.NoError(t, err)
		}
	}
	require.NoError(t, err)
	var m Model
	var c Criterion
	switch id {
	case "H1":
		m, err = NewRidge(sets[0].X, sets[0].Y, smooth.Shared)
	case "H2":
		m, err = NewLasso(sets[0].X, sets[0].Y, smooth.Shared)
	default:
		m, err = NewLogistic(sets[0].X, sets[0].Y, smooth.Shared)
	}
	require.NoError(t, err)
	if id == "H3" {
		c, err = NewLogLoss(sets[1].X, sets[1].Y)
	} else {
		c, err = NewMSE(sets[1].X, sets[1].Y)
	}
	require.NoError(t, err)
	h, err := NewHeldOut(m, c, s)
	require.NoError(t, err)
	return h
}

func protocolGrid(h *HeldOut, id string) []float64 {
	switch id {
	case "H2":
		lm := math.Log(h.Model().(*L1Regression).LambdaMax())
		return Linspace(lm, lm-math.Log(1e4), 100)
	case "H3":
		return Linspace(0, -16, 100)
	}
	return Linspace(4, -12, 100)
}

func protocolStart(h *HeldOut, id string) []float64 {
	if id == "H2" {
		return []float64{math.Log(h.Model().(*L1Regression).LambdaMax() / 10)}
	}
	return []float64{0}
}

// TestProtocolGrids reproduces the grid optima of BENCHMARKS.md: the same
// best grid point and value (H3 to 2e-6, the reference solver stopping at
// tolerance 1e-4).
func TestProtocolGrids(t *testing.T) {
	ctx := context.Background()
	h := protocol(t, "H1", nil)
	gr, err := GridSearch(ctx, h, Grid1D(protocolGrid(h, "H1")), 0)
	require.NoError(t, err)
	assert.InDelta(t, 2877.0518, gr.BestValue(), 5e-5)
	assert.InDelta(t, -4.727, gr.BestTheta()[0], 5e-4)

	h = protocol(t, "H2", nil)
	gr, err = GridSearch(ctx, h, Grid1D(protocolGrid(h, "H2")), 1e-10)
	require.NoError(t, err)
	assert.InDelta(t, 2876.4143, gr.BestValue(), 5e-5)
	assert.InDelta(t, -1.881, gr.BestTheta()[0], 5e-4)

	if !testing.Short() {
		h = protocol(t, "H3", nil)
		gr, err = GridSearch(ctx, h, Grid1D(protocolGrid(h, "H3")), 0)
		require.NoError(t, err)
		assert.InDelta(t, 0.077044, gr.BestValue(), 2e-6)
		assert.InDelta(t, -5.495, gr.BestTheta()[0], 5e-4)
	}
}

// TestProtocolOptimize: L-BFGS on the implicit hypergradient reaches the
// grid optimum within 1e-4 relative with at most 20 inner solves.
func TestProtocolOptimize(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		id  string
		ref float64
	}{{"H1", 2877.0518}, {"H2", 2876.4143}, {"H3", 0.077044}} {
		h := protocol(t, c.id, nil)
		res, err := Optimize(ctx, h, protocolStart(h, c.id), &Settings{MaxIter: 20})
		require.NoError(t, err, c.id)
		assert.LessOrEqual(t, res.Evals, 20, c.id)
		assert.Less(t, res.Value, c.ref*(1+1e-4), c.id)
		// The reported value is the criterion at the returned θ.
		h.Reset()
		ev, err := h.Evaluate(ctx, res.Theta, nil, 1e-12)
		require.NoError(t, err)
		assert.InDelta(t, res.Value, ev.Value, 1e-6*ev.Value, c.id)
		assert.Len(t, res.Path, res.Evals)
	}
	// HOAG's inner tolerances decrease along the run.
	hh := protocol(t, "H3", nil)
	rh, err := Optimize(ctx, hh, []float64{0}, &Settings{Algorithm: HOAG, MaxIter: 30})
	require.NoError(t, err)
	assert.Equal(t, 1e-4, rh.Path[0].InnerTol)
	for k := 1; k < len(rh.Path); k++ {
		assert.LessOrEqual(t, rh.Path[k].InnerTol, rh.Path[k-1].InnerTol)
	}
	assert.Less(t, rh.Path[len(rh.Path)-1].InnerTol, 1e-8)
	// HOAG reaches H1 and H3 (H2's validation curve has a local minimum at
	// θ ≈ −1.31 where HOAG stops, above the grid's optimum).
	for _, id := range []string{"H1", "H3"} {
		h := protocol(t, id, nil)
		res, err := Optimize(ctx, h, protocolStart(h, id), &Settings{Algorithm: HOAG, MaxIter: 30})
		require.NoError(t, err)
		ref := map[string]float64{"H1": 2877.0518, "H3": 0.077044}[id]
		assert.Less(t, res.Value, ref*(1+1e-4), id)
	}
}

// TestSolversAgainstIndependentMethods compares the inner solvers with
// package solvers/prox (coordinate descent with duality-gap certificates)
// and solvers/smooth (L-BFGS), and ridge with a dense solve.
func TestSolversAgainstIndependentMethods(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 3; seed++ {
		x, y, _, _ := regression(seed, 50, 12)
		// Lasso, weighted lasso and elastic net (solved by prox.Lasso's
		// coordinate descent) vs FISTA on the same composite problem, and
		// the proximal-gradient fixed-point residual of bilevel's own
		// condition.
		for _, pen := range []prox.Penalty{prox.Penalty{}, prox.Penalty{Strengths: smooth.PerFeature}, prox.Penalty{ElasticNet: true}} {
			var m *L1Regression
			var err error
			switch pen {
			case prox.Penalty{}:
				m, err = NewLasso(x, y, smooth.Shared)
			case prox.Penalty{Strengths: smooth.PerFeature}:
				m, err = NewLasso(x, y, smooth.PerFeature)
			default:
				m, err = NewElasticNet(x, y)
			}
			require.NoError(t, err)
			n, p := m.Dims()
			theta := make([]float64, p)
			for j := range theta {
				theta[j] = math.Log(m.LambdaMax()/5) + 0.3*float64(j%3)
			}
			w := make([]float64, n)
			_, err = m.Fit(ctx, w, theta, 1e-13)
			require.NoError(t, err)
			ref, err := prox.NewLasso(x, y, pen)
			require.NoError(t, err)
			lam := make([]float64, p)
			for j := range lam {
				lam[j] = math.Exp(theta[j])
			}
			r, err := prox.Minimize(ctx, ref.Composite(), lam, make([]float64, n), &prox.Settings{Tol: 1e-13 * m.LambdaMax(), MaxIter: 200000})
			require.NoError(t, err)
			for j := range w {
				assert.InDelta(t, r.X[j], w[j], 1e-9, "%v seed %d", pen, seed)
			}
			res := make([]float64, n)
			m.Condition().Residual(res, w, theta)
			assert.Less(t, maxAbs(res), 1e-11*m.LambdaMax(), "%v seed %d", pen, seed)
		}
		// Logistic (shared and per feature) vs smooth.Logistic + L-BFGS.
		xc, yc, _, _ := classification(seed, 80, 6)
		for _, pen := range []smooth.Strengths{smooth.Shared, smooth.PerFeature} {
			m, err := NewLogistic(xc, yc, pen)
			require.NoError(t, err)
			n, p := m.Dims()
			theta := make([]float64, p)
			for j := range theta {
				theta[j] = -2 + 0.2*float64(j)
			}
			w := make([]float64, n)
			_, err = m.Fit(ctx, w, theta, 1e-13)
			require.NoError(t, err)
			reg := smooth.L2{Strengths: pen, LogScale: true}
			pb, err := smooth.Logistic(xc, yc, reg)
			require.NoError(t, err)
			res, err := smooth.Minimize(ctx, pb, theta, make([]float64, n), &smooth.Settings{Tol: 1e-12})
			require.NoError(t, err)
			for j := range w {
				assert.InDelta(t, res.X[j], w[j], 1e-8)
			}
		}
		// Ridge vs a dense solve of the normal equations.
		m, err := NewRidge(x, y, smooth.Shared)
		require.NoError(t, err)
		w := make([]float64, 12)
		_, err = m.Fit(ctx, w, []float64{0.5}, 0)
		require.NoError(t, err)
		var a mat.Dense
		a.Mul(x.T(), x)
		for j := range 12 {
			a.Set(j, j, a.At(j, j)+50*math.Exp(0.5))
		}
		var want, b mat.VecDense
		b.MulVec(x.T(), mat.NewVecDense(50, y))
		require.NoError(t, want.SolveVec(&a, &b))
		for j := range w {
			assert.InDelta(t, want.AtVec(j), w[j], 1e-10)
		}
	}
}

// TestCrossValidationDeterministic: the CV objective is the mean of its
// folds and does not depend on the number of goroutines.
func TestCrossValidationDeterministic(t *testing.T) {
	ctx := context.Background()
	x, y, _, _ := regression(4, 100, 30)
	d := &datasets.Dataset{X: x, Y: y}
	trains, vals, err := d.Folds(5)
	require.NoError(t, err)
	build := func(workers int) *CrossValidation {
		var folds []*HeldOut
		for f := range trains {
			m, err := NewLasso(trains[f].X, trains[f].Y, smooth.Shared)
			require.NoError(t, err)
			c, err := NewMSE(vals[f].X, vals[f].Y)
			require.NoError(t, err)
			h, err := NewHeldOut(m, c, nil)
			require.NoError(t, err)
			folds = append(folds, h)
		}
		cv, err := NewCrossValidation(folds, &CVSettings{Workers: workers})
		require.NoError(t, err)
		return cv
	}
	theta := []float64{0.5}
	// KFold builds the same folds.
	kf, err := KFold(x, y, 5, func(xt mat.Matrix, yt []float64, xv mat.Matrix, yv []float64) (Model, Criterion, error) {
		m, err := NewLasso(xt, yt, smooth.Shared)
		if err != nil {
			return nil, nil, err
		}
		c, err := NewMSE(xv, yv)
		return m, c, err
	}, &CVSettings{Workers: 2})
	require.NoError(t, err)
	gk := []float64{0}
	ek, err := kf.Evaluate(ctx, theta, gk, 1e-12)
	require.NoError(t, err)
	g1, g2 := []float64{0}, []float64{0}
	e1, err := build(1).Evaluate(ctx, theta, g1, 1e-12)
	require.NoError(t, err)
	cv2 := build(4)
	e2, err := cv2.Evaluate(ctx, theta, g2, 1e-12)
	require.NoError(t, err)
	assert.Equal(t, e1.Value, e2.Value)
	assert.Equal(t, g1, g2)
	assert.Equal(t, e1.Value, ek.Value)
	assert.Equal(t, g1, gk)
	// The CV hypergradient matches central differences of the CV value.
	want := fd.Derivative(func(th float64) float64 {
		ev, err := build(2).Evaluate(ctx, []float64{th}, nil, 1e-13)
		require.NoError(t, err)
		return ev.Value
	}, theta[0], &fd.Settings{Formula: fd.Central, Step: 1e-4})
	assert.InDelta(t, want, g2[0], 1e-6*math.Abs(want))
	var mean float64
	for _, f := range cv2.Folds() {
		mean += f.Criterion().Value(f.Weights(), nil) / 5
	}
	assert.InDelta(t, mean, e2.Value, 1e-12)
}

// TestBadInput checks that bad data and settings give clear errors.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	// CSV with a missing value and a constant column (from datasets).
	_, err := datasets.ReadCSV(strings.NewReader("a,b,y\n1,,3\n4,5,6\n"))
	assert.ErrorIs(t, err, datasets.ErrFormat)
	d, err := datasets.ReadCSV(strings.NewReader("a,b,y\n1,2,3\n1,5,6\n1,7,1\n"))
	require.NoError(t, err)
	_, _, err = datasets.Standardize(true, d)
	assert.ErrorIs(t, err, datasets.ErrConstant)
	// One class only.
	x := mat.NewDense(4, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	_, err = NewLogistic(x, []float64{1, 1, 1, 1}, smooth.Shared)
	assert.ErrorIs(t, err, ErrLabels)
	_, err = NewSparseLogistic(x, []float64{-1, -1, -1, -1}, smooth.Shared)
	assert.ErrorIs(t, err, ErrLabels)
	_, err = NewMultinomial(x, []float64{2, 2, 2, 2}, smooth.Shared)
	assert.ErrorIs(t, err, ErrLabels)
	_, err = NewLogistic(x, []float64{0, 1, 0, 1}, smooth.Shared)
	assert.ErrorIs(t, err, ErrLabels, "0/1 labels must be mapped to ±1")
	// NaN, shapes.
	_, err = NewRidge(mat.NewDense(2, 2, []float64{1, math.NaN(), 0, 1}), []float64{1, 2}, smooth.Shared)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = NewLasso(x, []float64{1, 2}, smooth.Shared)
	assert.ErrorIs(t, err, ErrDims)
	// Inverted bounds.
	h := protocol(t, "H1", nil)
	_, err = Optimize(ctx, h, []float64{0}, &Settings{Lower: []float64{2}, Upper: []float64{-2}})
	assert.ErrorIs(t, err, ErrBounds)
	_, err = RandomSearch(ctx, h, []float64{1}, []float64{0}, 10, 1, 0)
	assert.ErrorIs(t, err, ErrBounds)
	// θ of the wrong length, NaN θ.
	_, err = h.Evaluate(ctx, []float64{0, 1}, nil, 0)
	assert.ErrorIs(t, err, ErrDims)
	_, err = h.Evaluate(ctx, []float64{math.NaN()}, nil, 0)
	assert.ErrorIs(t, err, ErrNaN)
	// Criterion and model that do not match.
	c, err := NewMSE(mat.NewDense(2, 3, nil), []float64{0, 0})
	require.NoError(t, err)
	_, err = NewHeldOut(h.Model(), c, nil)
	assert.ErrorIs(t, err, ErrDims)
}

// TestCancellation: a cancelled context stops the inner solver and the
// outer loop with the context's error.
func TestCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := protocol(t, "H2", nil)
	_, err := Optimize(ctx, h, []float64{0}, nil)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
}

// TestRandomSearch: random search is seeded and stays in the box.
func TestRandomSearch(t *testing.T) {
	h := protocol(t, "H1", nil)
	r1, err := RandomSearch(context.Background(), h, []float64{-8}, []float64{0}, 20, 3, 0)
	require.NoError(t, err)
	r2, err := RandomSearch(context.Background(), h, []float64{-8}, []float64{0}, 20, 3, 0)
	require.NoError(t, err)
	assert.Equal(t, r1.Thetas, r2.Thetas)
	for _, th := range r1.Thetas {
		assert.True(t, th[0] >= -8 && th[0] <= 0)
	}
	assert.Less(t, r1.BestValue(), 2880.0)
}

// TestImplicitWarmStart: HeldOut warm-starts the engine's iterative solver
// from the previous adjoint, so a nearby θ needs fewer GMRES iterations
// than a cold solve, for the same hypergradient.
func TestImplicitWarmStart(t *testing.T) {
	ctx := context.Background()
	s := &HypergradSettings{Implicit: &implicit.Settings{Method: implicit.GMRES, Tol: 1e-10, Restart: 5}}
	for _, id := range []string{"H1", "H3"} {
		warm := protocol(t, id, s)
		g := []float64{0}
		_, err := warm.Evaluate(ctx, []float64{-3}, g, 1e-12)
		require.NoError(t, err)
		ew, err := warm.Evaluate(ctx, []float64{-3.01}, g, 1e-12)
		require.NoError(t, err)
		cold := protocol(t, id, s)
		gc := []float64{0}
		ec, err := cold.Evaluate(ctx, []float64{-3.01}, gc, 1e-12)
		require.NoError(t, err)
		t.Logf("%s: GMRES iterations warm %d, cold %d", id, ew.HypergradIters, ec.HypergradIters)
		assert.Less(t, ew.HypergradIters, ec.HypergradIters, id)
		assert.InDelta(t, gc[0], g[0], 1e-8*math.Abs(gc[0]), id)
	}
}

// TestLogger: the optional logger receives one record per evaluation.
func TestLogger(t *testing.T) {
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	h := protocol(t, "H1", nil)
	res, err := Optimize(context.Background(), h, []float64{0}, &Settings{MaxIter: 5, Logger: logger})
	require.NoError(t, err)
	assert.Equal(t, res.Evals, strings.Count(buf.String(), "bilevel step"))
	assert.Contains(t, buf.String(), "inner_iters=")
}

// TestProblemModel: a smooth.Problem tuned through the adapter gives the
// hypergradient of the ready-made ridge model.
func TestProblemModel(t *testing.T) {
	ctx := context.Background()
	x, y, xv, yv := regression(8, 60, 8)
	pb, err := smooth.Ridge(x, y, smooth.L2{LogScale: true})
	require.NoError(t, err)
	m, err := NewProblemModel(smooth.ImplicitProblem(pb, &smooth.Settings{Tol: 1e-13}, nil))
	require.NoError(t, err)
	c, err := NewMSE(xv, yv)
	require.NoError(t, err)
	h, err := NewHeldOut(m, c, nil)
	require.NoError(t, err)
	g := []float64{0}
	_, err = h.Evaluate(ctx, []float64{0.3}, g, 0)
	require.NoError(t, err)
	ridge, err := NewRidge(x, y, smooth.Shared)
	require.NoError(t, err)
	hr, err := NewHeldOut(ridge, c, nil)
	require.NoError(t, err)
	gr := []float64{0}
	_, err = hr.Evaluate(ctx, []float64{0.3}, gr, 0)
	require.NoError(t, err)
	assert.InDelta(t, gr[0], g[0], 1e-7*math.Abs(gr[0]))
	_, err = NewProblemModel(nil)
	assert.ErrorIs(t, err, ErrInvalid)
}

// TestProtocolHypergradients checks the implicit hypergradients of H1–H3
// against central differences on the real data, at the optimizers' start
// θ₀ and at θ₀ − 2.
func TestProtocolHypergradients(t *testing.T) {
	ctx := context.Background()
	for _, id := range []string{"H1", "H2", "H3"} {
		h := protocol(t, id, nil)
		for _, shift := range []float64{0, -2} {
			theta := protocolStart(h, id)
			theta[0] += shift
			g := []float64{0}
			_, err := h.Evaluate(ctx, theta, g, 1e-13)
			require.NoError(t, err)
			value := func(th float64) float64 {
				ev, err := protocol(t, id, nil).Evaluate(ctx, []float64{th}, nil, 1e-13)
				require.NoError(t, err)
				return ev.Value
			}
			want := fd.Derivative(value, theta[0], &fd.Settings{Formula: central4, Step: 1e-3})
			assert.InDelta(t, want, g[0], 1e-6*math.Abs(want), "%s at θ = %v", id, theta[0])
		}
	}
}

// TestPerFeatureLowersValidation: one λ per feature (H1 ridge, H3
// logistic) reaches a lower validation criterion than the tuned shared λ.
func TestPerFeatureLowersValidation(t *testing.T) {
	ctx := context.Background()
	for _, id := range []string{"H1", "H3"} {
		var sets []*datasets.Dataset
		var err error
		if id == "H1" {
			tr, va, te := datasets.MustLoad("diabetes").SplitTest()
			_, sets, err = datasets.Standardize(true, tr, va, te)
		} else {
			tr, va, te := datasets.MustLoad("breast_cancer").SplitTest()
			_, sets, err = datasets.Standardize(false, tr, va, te)
			for _, d := range sets {
				d.Y, _ = datasets.Signs(d.Y)
			}
		}
		require.NoError(t, err)
		build := func(p smooth.Strengths) *HeldOut {
			var m Model
			var c Criterion
			if id == "H1" {
				m, err = NewRidge(sets[0].X, sets[0].Y, p)
				require.NoError(t, err)
				c, err = NewMSE(sets[1].X, sets[1].Y)
			} else {
				m, err = NewLogistic(sets[0].X, sets[0].Y, p)
				require.NoError(t, err)
				c, err = NewLogLoss(sets[1].X, sets[1].Y)
			}
			require.NoError(t, err)
			h, err := NewHeldOut(m, c, nil)
			require.NoError(t, err)
			return h
		}
		rs, err := Optimize(ctx, build(smooth.Shared), []float64{0}, &Settings{MaxIter: 20})
		require.NoError(t, err)
		hp := build(smooth.PerFeature)
		p := hp.Dims()
		th := make([]float64, p)
		for j := range th {
			th[j] = rs.Theta[0]
		}
		rp, err := Optimize(ctx, hp, th, &Settings{MaxIter: 100})
		require.NoError(t, err)
		assert.Less(t, rp.Value, rs.Value*(1-1e-3), id)
	}
}

// notConverged wraps a model whose solver reports ErrNotConverged (with a
// usable iterate).
type notConverged struct{ Model }

func (m notConverged) Fit(ctx context.Context, w, theta []float64, tol float64) (int, error) {
	it, err := m.Model.Fit(ctx, w, theta, tol)
	if err != nil {
		return it, err
	}
	return it, fmt.Errorf("%w: test", ErrNotConverged)
}

// TestNotConvergedInner: an inner solver that stops short still yields the
// criterion at its iterate, with the error, and the outer loop goes on.
func TestNotConvergedInner(t *testing.T) {
	ctx := context.Background()
	h := protocol(t, "H1", nil)
	hn, err := NewHeldOut(notConverged{h.Model()}, h.Criterion(), nil)
	require.NoError(t, err)
	g := []float64{0}
	ev, err := hn.Evaluate(ctx, []float64{-4}, g, 0)
	assert.ErrorIs(t, err, ErrNotConverged)
	ref, err := h.Evaluate(ctx, []float64{-4}, nil, 0)
	require.NoError(t, err)
	assert.InDelta(t, ref.Value, ev.Value, 1e-9)
	assert.NotZero(t, g[0])
	res, err := Optimize(ctx, hn, []float64{0}, &Settings{MaxIter: 20})
	require.NoError(t, err)
	assert.Less(t, res.Value, 2877.0518*(1+1e-4))
}

// TestLogisticIntercept: the intercept is not penalized — under a huge λ
// the weights vanish and b is the log-odds of the training labels.
func TestLogisticIntercept(t *testing.T) {
	x, y, _, _ := classification(3, 90, 4)
	for i := range y {
		if i%4 != 0 {
			y[i] = 1
		}
	}
	m, err := NewLogisticIntercept(x, y, smooth.Shared)
	require.NoError(t, err)
	n, p := m.Dims()
	require.Equal(t, 5, n)
	require.Equal(t, 1, p)
	w := make([]float64, n)
	_, err = m.Fit(context.Background(), w, []float64{12}, 1e-12)
	require.NoError(t, err)
	var pos float64
	for _, v := range y {
		if v > 0 {
			pos++
		}
	}
	frac := pos / float64(len(y))
	assert.InDelta(t, math.Log(frac/(1-frac)), w[4], 1e-3)
	for j := range 4 {
		assert.InDelta(t, 0, w[j], 1e-3)
	}
	_, err = NewLogLossIntercept(nil, y)
	assert.ErrorIs(t, err, ErrDims)
}
