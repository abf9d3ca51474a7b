package bilevel

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// regression returns a seeded instance: X (rows×d) ~ N(0,1), y = Xβ + noise
// with a sparse β, and a held-out set from the same model.
func regression(seed uint64, rows, d int) (x *mat.Dense, y []float64, xv *mat.Dense, yv []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	beta := make([]float64, d)
	for j := range min(d, 5) {
		beta[j] = 3 * rng.NormFloat64()
	}
	gen := func(n int) (*mat.Dense, []float64) {
		x := mat.NewDense(n, d, nil)
		y := make([]float64, n)
		for i := range n {
			var s float64
			for j := range d {
				v := rng.NormFloat64()
				x.Set(i, j, v)
				s += v * beta[j]
			}
			y[i] = s + 2*rng.NormFloat64()
		}
		return x, y
	}
	x, y = gen(rows)
	xv, yv = gen(rows / 2)
	return
}

// classification returns labels in {−1, +1} from a noisy linear model.
func classification(seed uint64, rows, d int) (x *mat.Dense, y []float64, xv *mat.Dense, yv []float64) {
	x, s, xv, sv := regression(seed, rows, d)
	sign := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, t := range v {
			out[i] = 1
			if t < 0 {
				out[i] = -1
			}
		}
		return out
	}
	return x, sign(s), xv, sign(sv)
}

// objective evaluates L(θ) with a tight inner tolerance from a cold start.
func coldValue(t *testing.T, m Model, c Criterion, theta []float64) float64 {
	n, _ := m.Dims()
	w := make([]float64, n)
	_, err := m.Fit(context.Background(), w, theta, 1e-14)
	require.NoError(t, err)
	return c.Value(w, nil)
}

// central4 is the fourth-order central difference
// (f(−2h) − 8f(−h) + 8f(h) − f(2h))/12h: truncation O(h⁴), so a step of
// 1e-3 keeps both truncation and inner-solver noise near 1e-10.
var central4 = fd.Formula{
	Stencil:    []fd.Point{{Loc: -2, Coeff: 1.0 / 12}, {Loc: -1, Coeff: -8.0 / 12}, {Loc: 1, Coeff: 8.0 / 12}, {Loc: 2, Coeff: -1.0 / 12}},
	Derivative: 1,
	Step:       1e-3,
}

func relErr(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		num = math.Max(num, math.Abs(a[i]-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / math.Max(den, 1e-300)
}

type modelCase struct {
	name  string
	model func(seed uint64) (Model, Criterion, []float64)
}

func modelCases() []modelCase {
	reg := func(seed uint64) (*mat.Dense, []float64, Criterion) {
		x, y, xv, yv := regression(seed, 60, 8)
		c, _ := NewMSE(xv, yv)
		return x, y, c
	}
	cls := func(seed uint64) (*mat.Dense, []float64, Criterion) {
		x, y, xv, yv := classification(seed, 80, 6)
		c, _ := NewLogLoss(xv, yv)
		return x, y, c
	}
	// Per-feature θ around a base value with a seeded spread.
	spread := func(seed uint64, base float64, p int) []float64 {
		rng := rand.New(rand.NewPCG(seed, 99))
		out := make([]float64, p)
		for j := range out {
			out[j] = base + 0.5*rng.NormFloat64()
		}
		return out
	}
	return []modelCase{
		{"ridge", func(s uint64) (Model, Criterion, []float64) {
			x, y, c := reg(s)
			m, _ := NewRidge(x, y, smooth.Shared)
			return m, c, []float64{0.3}
		}},
		{"weighted ridge", func(s uint64) (Model, Criterion, []float64) {
			x, y, c := reg(s)
			m, _ := NewRidge(x, y, smooth.PerFeature)
			return m, c, spread(s, 0, 8)
		}},
		{"lasso", func(s uint64) (Model, Criterion, []float64) {
			x, y, c := reg(s)
			m, _ := NewLasso(x, y, smooth.Shared)
			return m, c, []float64{math.Log(m.LambdaMax() / 8)}
		}},
		{"weighted lasso", func(s uint64) (Model, Criterion, []float64) {
			x, y, c := reg(s)
			m, _ := NewLasso(x, y, smooth.PerFeature)
			return m, c, spread(s, math.Log(m.LambdaMax()/8), 8)
		}},
		{"elastic net", func(s uint64) (Model, Criterion, []float64) {
			x, y, c := reg(s)
			m, _ := NewElasticNet(x, y)
			return m, c, []float64{math.Log(m.LambdaMax() / 8), -1}
		}},
		{"logistic", func(s uint64) (Model, Criterion, []float64) {
			x, y, c := cls(s)
			m, _ := NewLogistic(x, y, smooth.Shared)
			return m, c, []float64{-2}
		}},
		{"weighted logistic", func(s uint64) (Model, Criterion, []float64) {
			x, y, c := cls(s)
			m, _ := NewLogistic(x, y, smooth.PerFeature)
			return m, c, spread(s, -2, 6)
		}},
		{"logistic + intercept", func(s uint64) (Model, Criterion, []float64) {
			x, y, xv, yv := classification(s, 80, 6)
			for i := range y { // imbalance the classes
				if i%3 == 0 {
					y[i] = 1
				}
			}
			m, _ := NewLogisticIntercept(x, y, smooth.Shared)
			c, _ := NewLogLossIntercept(xv, yv)
			return m, c, []float64{-2}
		}},
		{"weighted logistic + intercept", func(s uint64) (Model, Criterion, []float64) {
			x, y, xv, yv := classification(s, 80, 6)
			m, _ := NewLogisticIntercept(x, y, smooth.PerFeature)
			c, _ := NewLogLossIntercept(xv, yv)
			return m, c, spread(s, -2, 6)
		}},
		{"l1 logistic", func(s uint64) (Model, Criterion, []float64) {
			x, y, c := cls(s)
			m, _ := NewSparseLogistic(x, y, smooth.Shared)
			return m, c, []float64{math.Log(m.LambdaMax() / 6)}
		}},
		{"multinomial per-class", func(s uint64) (Model, Criterion, []float64) {
			x, y, xv, yv := multiclass(s, 90, 5, 3)
			m, _ := NewMultinomial(x, y, smooth.PerClass)
			c, _ := NewMultiLogLoss(xv, yv, 3)
			return m, c, spread(s, -2, 3)
		}},
		{"multinomial per-feature", func(s uint64) (Model, Criterion, []float64) {
			x, y, xv, yv := multiclass(s, 90, 5, 3)
			m, _ := NewMultinomial(x, y, smooth.PerFeature)
			c, _ := NewMultiLogLoss(xv, yv, 3)
			return m, c, spread(s, -2, 5)
		}},
	}
}

// multiclass returns labels 0…k−1 from noisy linear scores.
func multiclass(seed uint64, rows, d, k int) (x *mat.Dense, y []float64, xv *mat.Dense, yv []float64) {
	rng := rand.New(rand.NewPCG(seed, 17))
	b := mat.NewDense(d, k, nil)
	for j := range d {
		for c := range k {
			b.Set(j, c, rng.NormFloat64())
		}
	}
	gen := func(n int) (*mat.Dense, []float64) {
		x := mat.NewDense(n, d, nil)
		y := make([]float64, n)
		for i := range n {
			for j := range d {
				x.Set(i, j, rng.NormFloat64())
			}
			best, arg := math.Inf(-1), 0
			for c := range k {
				s := 2 * rng.NormFloat64()
				for j := range d {
					s += x.At(i, j) * b.At(j, c)
				}
				if s > best {
					best, arg = s, c
				}
			}
			y[i] = float64(arg)
		}
		return x, y
	}
	x, y = gen(rows)
	xv, yv = gen(rows / 2)
	return
}

// TestHypergradientFiniteDifferences checks the implicit hypergradient of
// every model against central differences of L(θ) on several instances.
func TestHypergradientFiniteDifferences(t *testing.T) {
	for _, mc := range modelCases() {
		for seed := uint64(1); seed <= 3; seed++ {
			m, c, theta := mc.model(seed)
			n, p := m.Dims()
			w := make([]float64, n)
			_, err := m.Fit(context.Background(), w, theta, 1e-14)
			require.NoError(t, err, mc.name)
			grad := make([]float64, p)
			_, _, err = Hypergradient(context.Background(), m, c, theta, w, grad, nil)
			require.NoError(t, err, mc.name)
			want := fd.Gradient(nil, func(th []float64) float64 { return coldValue(t, m, c, th) }, theta,
				&fd.Settings{Formula: central4, Step: 1e-3})
			assert.Less(t, relErr(grad, want), 1e-6, "%s seed %d: got %v want %v", mc.name, seed, grad, want)
			assert.Greater(t, maxAbs(want), 1e-8, "%s: degenerate instance", mc.name)
		}
	}
}

// TestConditions checks every model's Linearize against central
// differences of its Residual at the solution.
func TestConditions(t *testing.T) {
	for _, mc := range modelCases() {
		m, _, theta := mc.model(5)
		n, _ := m.Dims()
		w := make([]float64, n)
		_, err := m.Fit(context.Background(), w, theta, 1e-14)
		require.NoError(t, err)
		r, err := implicit.Check(m.Condition(), w, theta, &implicit.CheckSettings{Step: 1e-7})
		require.NoError(t, err, mc.name)
		assert.Less(t, r.Worst(), 1e-6, "%s: %+v", mc.name, r)
		res := make([]float64, n)
		m.Condition().Residual(res, w, theta)
		assert.Less(t, maxAbs(res), 1e-9, "%s residual at the solution", mc.name)
	}
}

// TestMethodsAgree compares every method with the exact hypergradient:
// exact methods must match tightly, approximations must converge with
// their budget.
func TestMethodsAgree(t *testing.T) {
	ctx := context.Background()
	for _, mc := range modelCases() {
		m, c, theta := mc.model(11)
		n, p := m.Dims()
		w := make([]float64, n)
		_, err := m.Fit(ctx, w, theta, 1e-14)
		require.NoError(t, err)
		exact := make([]float64, p)
		_, _, err = Hypergradient(ctx, m, c, theta, w, exact, nil)
		require.NoError(t, err)

		// Implicit through GMRES instead of the model's factorization.
		g := make([]float64, p)
		_, _, err = Hypergradient(ctx, m, c, theta, w, g, &HypergradSettings{Implicit: &implicit.Settings{Method: implicit.GMRES, Tol: 1e-13}})
		require.NoError(t, err, mc.name)
		assert.Less(t, relErr(g, exact), 1e-8, "%s GMRES", mc.name)

		if _, ok := m.(SupportModel); ok {
			_, _, err = Hypergradient(ctx, m, c, theta, w, g, &HypergradSettings{Method: ImplicitForward, Tol: 1e-14, Steps: 100000})
			require.NoError(t, err)
			assert.Less(t, relErr(g, exact), 1e-8, "%s implicit forward", mc.name)
		} else {
			_, _, err = Hypergradient(ctx, m, c, theta, w, g, &HypergradSettings{Method: ImplicitForward})
			assert.ErrorIs(t, err, ErrMethod)
		}

		// Unrolled forward and reverse compute the same derivative.
		w0 := make([]float64, n)
		gf := make([]float64, p)
		gr := make([]float64, p)
		vf, _, err := Hypergradient(ctx, m, c, theta, w0, gf, &HypergradSettings{Method: UnrolledForward, Steps: 50})
		require.NoError(t, err)
		clear(w0)
		vr, _, err := Hypergradient(ctx, m, c, theta, w0, gr, &HypergradSettings{Method: UnrolledReverse, Steps: 50})
		require.NoError(t, err)
		assert.InDelta(t, vf, vr, 1e-12*math.Abs(vf))
		assert.Less(t, relErr(gf, gr), 1e-9, "%s forward vs reverse", mc.name)
		// ... which is the exact derivative of the 50-step map.
		unrolled := func(th []float64) float64 {
			z := make([]float64, n)
			tm, _ := m.(Iterative).Iteration(theta) // step frozen at θ
			nz := make([]float64, n)
			for range 50 {
				tm.Map(nz, z, th)
				z, nz = nz, z
			}
			return c.Value(z, nil)
		}
		want := fd.Gradient(nil, unrolled, theta, &fd.Settings{Formula: fd.Central, Step: 1e-6})
		assert.Less(t, relErr(gr, want), 1e-5, "%s unrolled vs FD of the unrolled map", mc.name)

		// Warm-started unrolling from w* converges to the exact value.
		wstar := append([]float64(nil), w...)
		_, _, err = Hypergradient(ctx, m, c, theta, wstar, gr, &HypergradSettings{Method: UnrolledReverse, Steps: 3000})
		require.NoError(t, err)
		assert.Less(t, relErr(gr, exact), 1e-4, "%s long unrolling", mc.name)

		_, _, err = Hypergradient(ctx, m, c, theta, w, g, &HypergradSettings{Method: Neumann, Steps: 3000})
		require.NoError(t, err)
		assert.Less(t, relErr(g, exact), 1e-4, "%s Neumann", mc.name)

		// Approximations: finite, and the right sign on the scalar models.
		for _, meth := range []Method{OneStep, Hypernetwork} {
			_, _, err = Hypergradient(ctx, m, c, theta, w, g, &HypergradSettings{Method: meth})
			require.NoError(t, err, "%s %v", mc.name, meth)
			assert.True(t, finite(g))
		}
	}
}
