package gomlx

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// data is a Gaussian n×d design with a response: linear plus noise, or
// its signs when labels is set.
func data(rng *rand.Rand, n, d int, labels bool) (*mat.Dense, []float64) {
	x := mat.NewDense(n, d, randn(rng, n*d, 1))
	w := randn(rng, d, 1)
	y := make([]float64, n)
	for i := range n {
		s := mat.Dot(x.RowView(i), mat.NewVecDense(d, w)) + 0.5*rng.NormFloat64()
		y[i] = s
		if labels {
			y[i] = 1
			if s < 0 {
				y[i] = -1
			}
		}
	}
	return x, y
}

// constant is m as a constant node of g.
func constant(g *graph.Graph, m *mat.Dense) *graph.Node {
	r, c := m.Dims()
	return graph.ConstTensor(g, tensors.FromFlatDataAndDimensions(mat.DenseCopyOf(m).RawMatrix().Data, r, c))
}

// ridgeGoMLX is the ridge condition (1/n)Xᵀ(Xw − y) + λ(θ)∘w in GoMLX,
// λ = θ (one value) or exp(θ) (per feature).
func ridgeGoMLX(t testing.TB, b backends.Backend, x *mat.Dense, y []float64, logScale bool, s *Settings) *Condition {
	n, d := x.Dims()
	p := 1
	if logScale {
		p = d
	}
	c, err := NewCondition(b, d, p, func(w, theta *graph.Node) *graph.Node {
		g := w.Graph()
		xx := constant(g, x)
		r := graph.Sub(graph.Einsum("nd,d->n", xx, w), vector(g, y))
		grad := graph.MulScalar(graph.Einsum("nd,n->d", xx, r), 1/float64(n))
		lambda := theta
		if logScale {
			lambda = graph.Exp(theta)
		}
		return graph.Add(grad, graph.Mul(lambda, w))
	}, s)
	require.NoError(t, err)
	return c
}

// logisticGoMLX is the stationarity condition of the l2-regularized
// logistic loss (1/n)Σ softplus(−yᵢxᵢᵀw) + ½θ‖w‖², from its objective.
func logisticGoMLX(t testing.TB, b backends.Backend, x *mat.Dense, y []float64, s *Settings) *Condition {
	n, d := x.Dims()
	c, err := NewObjective(b, d, 1, func(w, theta *graph.Node) *graph.Node {
		g := w.Graph()
		m := graph.Mul(vector(g, y), graph.Einsum("nd,d->n", constant(g, x), w))
		loss := graph.MulScalar(graph.ReduceAllSum(graph.Softplus(graph.Neg(m))), 1/float64(n))
		pen := graph.MulScalar(graph.ReduceAllSum(graph.Mul(theta, graph.Mul(w, w))), 0.5)
		return graph.Add(loss, pen)
	}, s)
	require.NoError(t, err)
	return c
}

// tanhMap is T(x, θ) = ½tanh(Wx) + θ by hand (a contraction for
// ‖W‖₂ ≤ 1) and its fixed-point condition T(x, θ) − x in GoMLX.
func tanhMap(t testing.TB, b backends.Backend, w *mat.Dense, s *Settings) (hand implicit.Condition, auto *Condition) {
	n, _ := w.Dims()
	apply := func(dst, x, theta []float64) {
		var z mat.VecDense
		z.MulVec(w, mat.NewVecDense(n, x))
		for i := range dst {
			dst[i] = 0.5*math.Tanh(z.AtVec(i)) + theta[i]
		}
	}
	hand = implicit.FixedPoint(&implicit.MapFunc{N: n, P: n, MapF: apply,
		LinearizeFunc: func(x, theta []float64) (implicit.Operator, implicit.Operator, error) {
			var z mat.VecDense
			z.MulVec(w, mat.NewVecDense(n, x))
			j := mat.NewDense(n, n, nil)
			for i := range n {
				th := math.Tanh(z.AtVec(i))
				for k := range n {
					j.Set(i, k, 0.5*(1-th*th)*w.At(i, k))
				}
			}
			return linsolve.NewMatrix(j), linsolve.Identity(n), nil
		}})
	auto, err := NewCondition(b, n, n, func(x, theta *graph.Node) *graph.Node {
		tx := graph.MulScalar(graph.Tanh(graph.Einsum("ij,j->i", constant(x.Graph(), w), x)), 0.5)
		return graph.Sub(graph.Add(tx, theta), x)
	}, s)
	require.NoError(t, err)
	return hand, auto
}

// contraction is a random n×n matrix of spectral norm 0.9.
func contraction(rng *rand.Rand, n int) *mat.Dense {
	w := mat.NewDense(n, n, randn(rng, n*n, 1))
	var svd mat.SVD
	svd.Factorize(w, mat.SVDNone)
	w.Scale(0.9/svd.Values(nil)[0], w)
	return w
}

func fixedPointSolve(hand implicit.Condition, theta []float64) []float64 {
	n, _ := hand.Dims()
	x, r := make([]float64, n), make([]float64, n)
	for range 400 {
		hand.Residual(r, x, theta)
		for i := range x {
			x[i] += r[i]
		}
	}
	return x
}

// compare checks every product of auto against hand at (x, θ) on random
// vectors, and the engine's VJP and JVP on both, to tol relative.
func compare(t *testing.T, name string, hand, auto implicit.Condition, x, theta []float64, rng *rand.Rand, tol float64) {
	t.Helper()
	n, p := hand.Dims()
	an, ap := auto.Dims()
	require.Equal(t, []int{n, p}, []int{an, ap}, name)
	near := func(want, got []float64, what string) {
		t.Helper()
		scale := 1.0
		for _, v := range want {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := range want {
			require.InDelta(t, want[i], got[i], tol*scale, "%s: %s[%d]", name, what, i)
		}
	}
	rh, ra := make([]float64, n), make([]float64, n)
	hand.Residual(rh, x, theta)
	auto.Residual(ra, x, theta)
	near(rh, ra, "residual")
	hx, ht, err := hand.Linearize(x, theta)
	require.NoError(t, err)
	ax, at, err := auto.Linearize(x, theta)
	require.NoError(t, err)
	for range 3 {
		v, u, w := randn(rng, n, 1), randn(rng, n, 1), randn(rng, p, 1)
		a, b := make([]float64, n), make([]float64, n)
		hx.Apply(a, v)
		ax.Apply(b, v)
		near(a, b, "∂ₓF v")
		hx.ApplyT(a, u)
		ax.ApplyT(b, u)
		near(a, b, "∂ₓFᵀu")
		ht.Apply(a, w)
		at.Apply(b, w)
		near(a, b, "∂θF w")
		c, d := make([]float64, p), make([]float64, p)
		ht.ApplyT(c, u)
		at.ApplyT(d, u)
		near(c, d, "∂θFᵀu")
		g1, err := implicit.VJP(context.Background(), hand, x, theta, u, nil)
		require.NoError(t, err)
		g2, err := implicit.VJP(context.Background(), auto, x, theta, u, nil)
		require.NoError(t, err)
		near(g1, g2, "engine VJP")
		j1, err := implicit.JVP(context.Background(), hand, x, theta, w, nil)
		require.NoError(t, err)
		j2, err := implicit.JVP(context.Background(), auto, x, theta, w, nil)
		require.NoError(t, err)
		near(j1, j2, "engine JVP")
	}
}

func TestConditionsAgainstHandWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	b := testBackend(t)
	for trial := range 4 {
		// trials 0 and 2 explicit Jacobians, 1 and 3 matrix-free
		s := &Settings{MatrixFree: trial%2 == 1}
		x, y := data(rng, 30+trial, 5+trial, false)
		_, d := x.Dims()
		pb, err := smooth.Ridge(x, y, smooth.L2{})
		require.NoError(t, err)
		compare(t, "ridge", smooth.Condition(pb), ridgeGoMLX(t, b, x, y, false, s), randn(rng, d, 1), []float64{0.1 + rng.Float64()}, rng, 1e-10)

		pb, err = smooth.Ridge(x, y, smooth.L2{Strengths: smooth.PerFeature, LogScale: true})
		require.NoError(t, err)
		compare(t, "ridge per-feature log-scale", smooth.Condition(pb), ridgeGoMLX(t, b, x, y, true, s), randn(rng, d, 1), randn(rng, d, 1), rng, 1e-10)

		x, y = data(rng, 40+trial, 4+trial, true)
		_, d = x.Dims()
		pb, err = smooth.Logistic(x, y, smooth.L2{})
		require.NoError(t, err)
		compare(t, "logistic", smooth.Condition(pb), logisticGoMLX(t, b, x, y, s), randn(rng, d, 1), []float64{0.05 + rng.Float64()}, rng, 1e-10)

		n := 6 + trial
		hand, auto := tanhMap(t, b, contraction(rng, n), s)
		theta := randn(rng, n, 1)
		compare(t, "fixed point", hand, auto, fixedPointSolve(hand, theta), theta, rng, 1e-10)
	}
}

// TestConditionConformance registers solutions differentiated through
// GoMLX conditions in the conformance suite: the solver is the module's
// (smooth.Minimize, a fixed-point iteration), the derivatives the
// engine's on the GoMLX condition (implicit.NewSolution).
func TestConditionConformance(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 4))
	b := testBackend(t)
	var cases []conformance.Case
	minimizer := func(name string, pb *smooth.Problem, auto *Condition, theta []float64) conformance.Case {
		return conformance.Case{Name: "gomlx/" + name, Theta: theta,
			Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
				res, err := smooth.Minimize(ctx, pb, th, make([]float64, pb.N), &smooth.Settings{Tol: 1e-12})
				if err != nil {
					return nil, err
				}
				return implicit.NewSolution(auto, res.X, th, nil)
			}}
	}
	x, y := data(rng, 30, 5, false)
	pb, err := smooth.Ridge(x, y, smooth.L2{})
	require.NoError(t, err)
	cases = append(cases, minimizer("ridge", pb, ridgeGoMLX(t, b, x, y, false, nil), []float64{0.3}))
	pbLog, err := smooth.Ridge(x, y, smooth.L2{Strengths: smooth.PerFeature, LogScale: true})
	require.NoError(t, err)
	cases = append(cases, minimizer("ridge per-feature log-scale", pbLog, ridgeGoMLX(t, b, x, y, true, &Settings{MatrixFree: true}), randn(rng, 5, 1)))
	xl, yl := data(rng, 40, 4, true)
	pbLogit, err := smooth.Logistic(xl, yl, smooth.L2{})
	require.NoError(t, err)
	cases = append(cases, minimizer("logistic", pbLogit, logisticGoMLX(t, b, xl, yl, nil), []float64{0.1}))
	hand, auto := tanhMap(t, b, contraction(rng, 6), &Settings{MatrixFree: true})
	cases = append(cases, conformance.Case{Name: "gomlx/fixed point", Theta: randn(rng, 6, 1),
		Solve: func(_ context.Context, th []float64) (implicit.Differentiable, error) {
			return implicit.NewSolution(auto, fixedPointSolve(hand, th), th, nil)
		}})
	conformance.Run(t, cases)
}

func TestNewConditionErrors(t *testing.T) {
	b := testBackend(t)
	id := func(x, _ *graph.Node) *graph.Node { return x }
	_, err := NewCondition(nil, 2, 1, id, nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewCondition(b, 2, 1, nil, nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewCondition(b, 0, 1, id, nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewCondition(b, 2, 0, id, nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewCondition(b, 2, 3, func(_, theta *graph.Node) *graph.Node { return theta }, nil)
	require.ErrorIs(t, err, ErrDims)
	_, err = NewCondition(b, 2, 1, func(_, _ *graph.Node) *graph.Node { return nil }, nil)
	require.ErrorIs(t, err, ErrDims)
	_, err = NewCondition(b, 2, 1, func(_, _ *graph.Node) *graph.Node { panic("boom") }, nil)
	require.ErrorIs(t, err, ErrCallback)
	_, err = NewCondition(b, 2, 1, id, &Settings{DenseMax: -1})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewObjective(b, 2, 1, nil, nil)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = NewObjective(b, 2, 1, id, nil)
	require.ErrorIs(t, err, ErrDims)

	c, err := NewCondition(b, 2, 1, func(x, theta *graph.Node) *graph.Node { return graph.Mul(x, theta) }, nil)
	require.NoError(t, err)
	_, _, err = c.Linearize([]float64{1}, []float64{1})
	require.ErrorIs(t, err, ErrDims)
	_, _, err = c.Linearize([]float64{1, math.NaN()}, []float64{1})
	require.ErrorIs(t, err, ErrNaN)
	r := make([]float64, 2)
	c.Residual(r, []float64{1}, []float64{1})
	require.True(t, math.IsNaN(r[0]) && math.IsNaN(r[1]))
	// The engine reports the short x as its own dimension error.
	_, err = implicit.VJP(context.Background(), c, []float64{1}, []float64{1}, []float64{1, 1}, nil)
	require.ErrorIs(t, err, implicit.ErrDims)
}
