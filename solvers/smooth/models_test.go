package smooth

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// randomLabels returns an n×d Gaussian design and labels 0…k−1 from a
// random linear score (the arg max of xᵢᵀW_k).
func randomLabels(rng *rand.Rand, n, d, k int) (*mat.Dense, []float64) {
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	w := mat.NewDense(d, k, nil)
	for j := range d {
		for c := range k {
			w.Set(j, c, rng.NormFloat64())
		}
	}
	var s mat.Dense
	s.Mul(x, w)
	y := make([]float64, n)
	for i := range n {
		best := 0
		for c := range k {
			if s.At(i, c)+0.5*rng.NormFloat64() > s.At(i, best) {
				best = c
			}
		}
		y[i] = float64(best)
	}
	return x, y
}

// checkProducts compares Grad, HessVec, MixedVec and MixedVecT of pb at
// (x, θ) with central differences, and the mixed products with each other.
func checkProducts(t *testing.T, name string, pb *Problem, x, theta []float64, rng *rand.Rand) {
	t.Helper()
	n, p := pb.N, pb.P
	g := make([]float64, n)
	pb.Grad(g, x, theta)
	want := fd.Gradient(nil, func(x []float64) float64 { return pb.Func(x, theta) }, x, &fd.Settings{Formula: fd.Central, Step: 1e-5})
	for i := range g {
		assert.InDelta(t, want[i], g[i], 1e-7*math.Max(1, math.Abs(want[i])), "%s: ∇f[%d]", name, i)
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	hv := make([]float64, n)
	pb.HessVec(hv, x, theta, v)
	gp, gm, xs := make([]float64, n), make([]float64, n), make([]float64, n)
	const h = 1e-5
	for i := range xs {
		xs[i] = x[i] + h*v[i]
	}
	pb.Grad(gp, xs, theta)
	for i := range xs {
		xs[i] = x[i] - h*v[i]
	}
	pb.Grad(gm, xs, theta)
	for i := range hv {
		assert.InDelta(t, (gp[i]-gm[i])/(2*h), hv[i], 1e-7*math.Max(1, math.Abs(hv[i])), "%s: Hv[%d]", name, i)
	}
	dth := make([]float64, p)
	for j := range dth {
		dth[j] = rng.NormFloat64()
	}
	mv := make([]float64, n)
	pb.MixedVec(mv, x, theta, dth)
	ts := make([]float64, p)
	for j := range ts {
		ts[j] = theta[j] + h*dth[j]
	}
	pb.Grad(gp, x, ts)
	for j := range ts {
		ts[j] = theta[j] - h*dth[j]
	}
	pb.Grad(gm, x, ts)
	for i := range mv {
		assert.InDelta(t, (gp[i]-gm[i])/(2*h), mv[i], 1e-7*math.Max(1, math.Abs(mv[i])), "%s: (∂θ∇f)dθ[%d]", name, i)
	}
	u := make([]float64, n)
	for i := range u {
		u[i] = rng.NormFloat64()
	}
	mvt := make([]float64, p)
	pb.MixedVecT(mvt, x, theta, u)
	assert.InDelta(t, dot(u, mv), dot(mvt, dth), 1e-10*math.Max(1, math.Abs(dot(u, mv))), "%s: ⟨u, Mdθ⟩ = ⟨Mᵀu, dθ⟩", name)
}

func TestMultinomialProductsFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 7))
	for seed := range 3 {
		x, y := randomLabels(rng, 30+seed, 4, 3)
		for _, reg := range []L2{{LogScale: true}, {Strengths: PerFeature, LogScale: true}, {Strengths: PerClass}, {Strengths: PerClass, LogScale: true}} {
			pb, err := Multinomial(x, y, 0, reg)
			require.NoError(t, err)
			require.Equal(t, 12, pb.N)
			w := make([]float64, pb.N)
			for i := range w {
				w[i] = 0.5 * rng.NormFloat64()
			}
			theta := make([]float64, pb.P)
			for j := range theta {
				theta[j] = 0.2 + 0.5*rng.Float64()
			}
			checkProducts(t, "Multinomial "+reg.Strengths.String(), pb, w, theta, rng)
		}
	}
}

// TestMultinomialTwoClasses: with K = 2 and no penalty the multinomial
// loss of W = (w₀, w₁) is the logistic loss of w₁ − w₀ (labels 1 → +1).
func TestMultinomialTwoClasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	x, y := randomLabels(rng, 25, 3, 2)
	multi, err := Multinomial(x, y, 2, L2{})
	require.NoError(t, err)
	signs := make([]float64, len(y))
	for i, v := range y {
		signs[i] = 2*v - 1
	}
	logit, err := Logistic(x, signs, L2{})
	require.NoError(t, err)
	for range 3 {
		w := make([]float64, 6)
		diff := make([]float64, 3)
		for j := range 3 {
			w[2*j], w[2*j+1] = rng.NormFloat64(), rng.NormFloat64()
			diff[j] = w[2*j+1] - w[2*j]
		}
		assert.InDelta(t, logit.Func(diff, []float64{0}), multi.Func(w, []float64{0}), 1e-12)
	}
}

func TestInterceptProductsFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	for seed := range 3 {
		x, y := randomLabels(rng, 40+seed, 3, 2)
		for i := range y {
			y[i] = 2*y[i] - 1
		}
		for _, reg := range []L2{{LogScale: true, Intercept: true}, {Strengths: PerFeature, Intercept: true}} {
			for name, ctor := range map[string]func(mat.Matrix, []float64, L2) (*Problem, error){"Logistic": Logistic, "Ridge": Ridge} {
				pb, err := ctor(x, y, reg)
				require.NoError(t, err)
				require.Equal(t, 4, pb.N, name)
				w := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), 0.3}
				theta := make([]float64, pb.P)
				for j := range theta {
					theta[j] = 0.5 + rng.Float64()
				}
				checkProducts(t, name+" intercept", pb, w, theta, rng)
				// The intercept is not penalized: the Hessian's last
				// diagonal entry is the loss's alone.
				h := mat.NewSymDense(4, nil)
				pb.Hessian(h, w, theta)
				h0 := mat.NewSymDense(4, nil)
				pb.Hessian(h0, w, make([]float64, pb.P))
				if reg.LogScale {
					lo := append([]float64(nil), theta...)
					for j := range lo {
						lo[j] = -700
					}
					pb.Hessian(h0, w, lo)
				}
				assert.InDelta(t, h0.At(3, 3), h.At(3, 3), 1e-14, name)
			}
		}
	}
}

// TestInterceptKnownAnswer: under a huge penalty the weights vanish and
// the logistic intercept is the log-odds of the positive class, the ridge
// intercept the mean of y.
func TestInterceptKnownAnswer(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 11))
	x, y := randomLabels(rng, 60, 4, 2)
	pos := 0.0
	for i := range y {
		y[i] = 2*y[i] - 1
		if y[i] > 0 {
			pos++
		}
	}
	frac := pos / float64(len(y))
	pb, err := Logistic(x, y, L2{LogScale: true, Intercept: true})
	require.NoError(t, err)
	nw, err := NewNewton(pb, false)
	require.NoError(t, err)
	res, err := nw.Minimize(context.Background(), []float64{30}, make([]float64, 5), &Settings{Tol: 1e-12})
	require.NoError(t, err)
	assert.InDelta(t, math.Log(frac/(1-frac)), res.X[4], 1e-9)
	for _, v := range res.X[:4] {
		assert.Less(t, math.Abs(v), 1e-9)
	}
	yr := make([]float64, len(y))
	var mean float64
	for i := range yr {
		yr[i] = 3 + rng.NormFloat64()
		mean += yr[i] / float64(len(yr))
	}
	rp, err := Ridge(x, yr, L2{LogScale: true, Intercept: true})
	require.NoError(t, err)
	nr, err := NewNewton(rp, true)
	require.NoError(t, err)
	rr, err := nr.Minimize(context.Background(), []float64{30}, make([]float64, 5), nil)
	require.NoError(t, err)
	assert.InDelta(t, mean, rr.X[4], 1e-9)
}

// TestNewtonAgainstLBFGS: Newton (chord steps, kept factorization) and
// the quadratic one-step solve reach the minimizers L-BFGS finds, along a
// warm-started path of θ, and Newton's condition gives the same VJP as
// Condition.
func TestNewtonAgainstLBFGS(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	ctx := context.Background()
	for seed := range 3 {
		x, y := randomLabels(rng, 50+10*seed, 5, 2)
		for i := range y {
			y[i] = 2*y[i] - 1
		}
		for _, quad := range []bool{false, true} {
			var pb *Problem
			var err error
			if quad {
				pb, err = Ridge(x, y, L2{Strengths: PerFeature, LogScale: true})
			} else {
				pb, err = Logistic(x, y, L2{Strengths: PerFeature, LogScale: true})
			}
			require.NoError(t, err)
			nw, err := NewNewton(pb, quad)
			require.NoError(t, err)
			w := make([]float64, pb.N)
			for step := range 4 {
				theta := make([]float64, pb.P)
				for j := range theta {
					theta[j] = -1 - 0.3*float64(step) + 0.1*float64(j)
				}
				res, err := nw.Minimize(ctx, theta, w, &Settings{Tol: 1e-12})
				require.NoError(t, err)
				if quad {
					assert.Equal(t, 1, res.Iterations)
				}
				ref, err := Minimize(ctx, pb, theta, make([]float64, pb.N), &Settings{Tol: 1e-11})
				require.NoError(t, err)
				for i := range w {
					assert.InDelta(t, ref.X[i], res.X[i], 1e-9, "quadratic %v step %d", quad, step)
				}
				copy(w, res.X)
				g := make([]float64, pb.N)
				for i := range g {
					g[i] = rng.NormFloat64()
				}
				a := vjpOf(t, nw.Condition(), res.X, theta, g)
				b := vjpOf(t, Condition(pb), res.X, theta, g)
				for j := range a {
					assert.InDelta(t, b[j], a[j], 1e-10*math.Max(1, math.Abs(b[j])))
				}
			}
		}
	}
}

func TestNewtonErrors(t *testing.T) {
	_, err := NewNewton(nil, false)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewNewton(&Problem{N: 2, Func: func(_, _ []float64) float64 { return 0 }, Grad: func(_, _, _ []float64) {}}, false)
	assert.ErrorIs(t, err, ErrInvalid, "no Hessian")
	var nilNewton *Newton
	_, err = nilNewton.Minimize(context.Background(), nil, nil, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	x := mat.NewDense(4, 2, []float64{1, 0.5, -0.3, 1, 0.7, -1.2, -1, 0.2})
	pb, err := Logistic(x, []float64{1, -1, 1, -1}, L2{LogScale: true})
	require.NoError(t, err)
	nw, err := NewNewton(pb, false)
	require.NoError(t, err)
	_, err = nw.Minimize(context.Background(), []float64{0, 0}, []float64{0, 0}, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = nw.Minimize(context.Background(), []float64{math.NaN()}, []float64{0, 0}, nil)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = nw.Minimize(context.Background(), []float64{0}, []float64{0, 0}, &Settings{Tol: -1})
	assert.ErrorIs(t, err, ErrInvalid)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := nw.Minimize(ctx, []float64{-3}, []float64{0, 0}, nil)
	assert.ErrorIs(t, err, ErrNotConverged)
	assert.True(t, errors.Is(err, context.Canceled))
	require.NotNil(t, res)
	_, err = nw.Minimize(context.Background(), []float64{-30}, []float64{0, 0}, &Settings{MaxIter: 1, Tol: 1e-300})
	assert.ErrorIs(t, err, ErrNotConverged)
	// A Newton solve of a non-convex problem: the Hessian is not positive
	// definite and Minimize says so instead of stepping uphill.
	neg := &Problem{N: 1,
		Func:    func(x, _ []float64) float64 { return -x[0] * x[0] },
		Grad:    func(dst, x, _ []float64) { dst[0] = -2 * x[0] },
		Hessian: func(dst *mat.SymDense, _, _ []float64) { dst.SetSym(0, 0, -2) },
	}
	nn, err := NewNewton(neg, false)
	require.NoError(t, err)
	_, err = nn.Minimize(context.Background(), nil, []float64{1}, nil)
	assert.Error(t, err)
}

func vjpOf(t *testing.T, c implicit.Condition, x, theta, g []float64) []float64 {
	t.Helper()
	out, err := implicit.VJP(context.Background(), c, x, theta, g, nil)
	require.NoError(t, err)
	return out
}
