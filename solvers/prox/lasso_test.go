package prox

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// diabetes returns the standardized diabetes training set (split rule of
// BENCHMARKS.md) and its validation set.
func diabetes(t testing.TB) (train, val *datasets.Dataset) {
	d, err := datasets.Load("diabetes")
	require.NoError(t, err)
	tr, va := d.Split()
	_, sets, err := datasets.Standardize(true, tr, va)
	require.NoError(t, err)
	return sets[0], sets[1]
}

func maxAbsDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func maxAbs(a []float64) float64 {
	var m float64
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

func TestLassoCDvsFISTADiabetes(t *testing.T) {
	train, _ := diabetes(t)
	l, err := NewLasso(train.X, train.Y, Penalty{})
	require.NoError(t, err)
	lmax := l.LambdaMax()
	ctx := context.Background()
	for _, ratio := range []float64{0.5, 0.1, 0.03, 0.01, 0.001} {
		theta := []float64{ratio * lmax}
		cd, err := l.Solve(ctx, theta, nil, &CDSettings{Tol: 1e-14})
		require.NoError(t, err)
		fista, err := Minimize(ctx, l.Composite(), theta, make([]float64, 10), &Settings{Tol: 1e-11, MaxIter: 200000})
		require.NoError(t, err, "λ/λmax = %v", ratio)
		// Absolute agreement (coefficients are of order 10 here).
		assert.Less(t, maxAbsDiff(cd.W, fista.X), 1e-8, "λ/λmax = %v: CD %v FISTA %v", ratio, cd.W, fista.X)
		assert.Equal(t, cd.Support(), support(fista.X), "λ/λmax = %v", ratio)
		// KKT / subgradient optimality checked independently with gonum.
		assertKKT(t, train.X, train.Y, cd.W, theta[0], 1e-9*lmax)
		assert.LessOrEqual(t, cd.Gap, 1e-12*0.5*mat.Dot(mat.NewVecDense(len(train.Y), train.Y), mat.NewVecDense(len(train.Y), train.Y))/float64(len(train.Y)))
	}
}

// assertKKT checks Xⱼᵀ(y − Xw)/n ∈ λ∂|wⱼ| with gonum products.
func assertKKT(t *testing.T, x *mat.Dense, y, w []float64, lam, tol float64) {
	n, d := x.Dims()
	var r mat.VecDense
	r.MulVec(x, mat.NewVecDense(d, w))
	r.SubVec(mat.NewVecDense(n, y), &r)
	var g mat.VecDense
	g.MulVec(x.T(), &r)
	g.ScaleVec(1/float64(n), &g)
	for j := range d {
		gj := g.AtVec(j)
		if w[j] != 0 {
			assert.InDelta(t, lam*math.Copysign(1, w[j]), gj, tol, "active feature %d", j)
		} else {
			assert.LessOrEqual(t, math.Abs(gj), lam+tol, "inactive feature %d", j)
		}
	}
}

func randomLasso(rng *rand.Rand, n, d, k int) (*mat.Dense, []float64) {
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	w := make([]float64, d)
	for j := range k {
		w[j] = rng.NormFloat64() * 3
	}
	y := make([]float64, n)
	for i := range n {
		y[i] = mat.Dot(x.RowView(i), mat.NewVecDense(d, w)) + rng.NormFloat64()
	}
	return x, y
}

// TestLassoDerivatives compares, for each penalty, the support fast path,
// the engine on the specialized condition, the engine on the generic
// Composite condition and central finite differences of re-solved
// problems.
func TestLassoDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ctx := context.Background()
	for trial := range 3 {
		for _, pen := range []Penalty{Penalty{}, Penalty{Strengths: smooth.PerFeature}, Penalty{ElasticNet: true}} {
			n, d := 60, 15
			x, y := randomLasso(rng, n, d, 5)
			l, err := NewLasso(x, y, pen)
			require.NoError(t, err)
			p := l.NumParams()
			theta := make([]float64, p)
			for j := range theta {
				theta[j] = l.LambdaMax() * (0.05 + 0.2*rng.Float64())
			}
			solve := func(th []float64) []float64 {
				res, err := l.Solve(ctx, th, nil, &CDSettings{Tol: 1e-13, GapTol: -1})
				require.NoError(t, err)
				return res.W
			}
			w := solve(theta)
			require.NotEmpty(t, support(w))
			// Finite differences of the solution map (the support is
			// locally constant for a generic θ).
			fdJ := mat.NewDense(d, p, nil)
			for k := range p {
				h := 1e-6 * theta[k]
				tp := append([]float64(nil), theta...)
				tm := append([]float64(nil), theta...)
				tp[k] += h
				tm[k] -= h
				wp, wm := solve(tp), solve(tm)
				require.Equal(t, support(w), support(wp), "support changed: pick another θ")
				require.Equal(t, support(w), support(wm), "support changed: pick another θ")
				for j := range d {
					fdJ.Set(j, k, (wp[j]-wm[j])/(2*h))
				}
			}
			sl, err := l.Linearize(w, theta)
			require.NoError(t, err)
			fast, err := sl.Jacobian()
			require.NoError(t, err)
			eng, err := implicit.Jacobian(context.Background(), l.Condition(), w, theta, nil)
			require.NoError(t, err)
			comp := l.Composite()
			gen, err := implicit.Jacobian(context.Background(), Condition(comp, 1/l.Lipschitz()), w, theta, nil)
			require.NoError(t, err)
			scale := math.Max(1, mat.Norm(fdJ, math.Inf(1)))
			assert.True(t, mat.EqualApprox(fast, fdJ, 1e-6*scale), "%v trial %d fast vs FD\n%v\n%v", pen, trial, mat.Formatted(fast), mat.Formatted(fdJ))
			assert.True(t, mat.EqualApprox(eng, fast, 1e-9*scale), "%v trial %d engine vs fast", pen, trial)
			assert.True(t, mat.EqualApprox(gen, fast, 1e-9*scale), "%v trial %d generic vs fast", pen, trial)
			// VJP through both paths.
			g := make([]float64, d)
			for j := range g {
				g[j] = rng.NormFloat64()
			}
			v1 := make([]float64, p)
			require.NoError(t, sl.VJP(v1, g))
			v2, err := implicit.VJP(context.Background(), l.Condition(), w, theta, g, nil)
			require.NoError(t, err)
			var want mat.VecDense
			want.MulVec(fdJ.T(), mat.NewVecDense(d, g))
			for k := range p {
				assert.InDelta(t, want.AtVec(k), v1[k], 1e-6*math.Max(1, math.Abs(want.AtVec(k))), "%v VJP fast θ%d", pen, k)
				assert.InDelta(t, v1[k], v2[k], 1e-9*math.Max(1, math.Abs(v1[k])), "%v VJP engine θ%d", pen, k)
			}
			// The condition's own linearization against central differences
			// (valid away from kinks).
			r, err := implicit.Check(l.Condition(), w, theta, &implicit.CheckSettings{Step: 1e-7})
			require.NoError(t, err)
			assert.Less(t, r.Worst(), 1e-6, "%v Check", pen)
		}
	}
}

// TestLassoCDVariants checks that every coordinate-descent variant
// (residual or Gram updates, with or without working set and Anderson
// extrapolation) reaches the same solution as FISTA, for each penalty,
// including unpenalized features (λⱼ = 0) and d > n.
func TestLassoCDVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	ctx := context.Background()
	for _, shape := range [][2]int{{50, 12}, {20, 40}} {
		n, d := shape[0], shape[1]
		x, y := randomLasso(rng, n, d, 4)
		for _, pen := range []Penalty{Penalty{}, Penalty{Strengths: smooth.PerFeature}, Penalty{ElasticNet: true}} {
			l, err := NewLasso(x, y, pen)
			require.NoError(t, err)
			theta := make([]float64, l.NumParams())
			for j := range theta {
				theta[j] = l.LambdaMax() * (0.02 + 0.1*rng.Float64())
			}
			if pen.Strengths == smooth.PerFeature && n > d {
				theta[0], theta[3] = 0, 0 // unpenalized features
			}
			ref, err := Minimize(ctx, l.Composite(), theta, make([]float64, d), &Settings{Tol: 1e-12, MaxIter: 1000000})
			require.NoError(t, err)
			for _, set := range []CDSettings{
				{Updates: ResidualUpdates},
				{Updates: GramUpdates},
				{Updates: ResidualUpdates, NoAnderson: true},
				{NoWorkingSet: true, NoAnderson: true},
				{NoWorkingSet: true},
				{NoScreening: true},
			} {
				set.Tol = 1e-13
				res, err := l.Solve(ctx, theta, nil, &set)
				require.NoError(t, err, "%v %+v", pen, set)
				assert.True(t, res.Converged)
				assert.Less(t, maxAbsDiff(res.W, ref.X)/math.Max(1, maxAbs(ref.X)), 1e-8, "%v n=%d d=%d %+v", pen, n, d, set)
				obj, err := l.Objective(res.W, theta)
				require.NoError(t, err)
				assert.InDelta(t, obj, res.Objective, 1e-10*math.Max(1, res.Objective))
				if set.NoScreening {
					assert.Zero(t, res.Screened)
				}
				gap, kkt, err := l.DualityGap(res.W, theta)
				require.NoError(t, err)
				p0, err := l.Objective(make([]float64, d), theta)
				require.NoError(t, err)
				assert.LessOrEqual(t, kkt, 1e-12*l.LambdaMax()+1e-12)
				if !math.IsInf(gap, 1) {
					assert.InDelta(t, res.Gap, gap, 1e-9*math.Max(1, p0))
				}
			}
		}
	}
}

// TestLassoDataGradient checks VJPData against central differences of
// re-solved problems with perturbed X and y.
func TestLassoDataGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	ctx := context.Background()
	for _, pen := range []Penalty{Penalty{}, Penalty{ElasticNet: true}} {
		n, d := 25, 7
		x, y := randomLasso(rng, n, d, 3)
		l, err := NewLasso(x, y, pen)
		require.NoError(t, err)
		theta := []float64{0.1 * l.LambdaMax()}
		if pen.ElasticNet {
			theta = append(theta, 0.2)
		}
		g := make([]float64, d)
		for j := range g {
			g[j] = rng.NormFloat64()
		}
		value := func(xx *mat.Dense, yy []float64) float64 {
			ll, err := NewLasso(xx, yy, pen)
			require.NoError(t, err)
			res, err := ll.Solve(ctx, theta, nil, &CDSettings{Tol: 1e-14, GapTol: -1})
			require.NoError(t, err)
			var s float64
			for j := range g {
				s += g[j] * res.W[j]
			}
			return s
		}
		res, err := l.Solve(ctx, theta, nil, &CDSettings{Tol: 1e-14, GapTol: -1})
		require.NoError(t, err)
		sl, err := l.Linearize(res.W, theta)
		require.NoError(t, err)
		gx, gy, err := sl.VJPData(g)
		require.NoError(t, err)
		const h = 1e-6
		for i := range n {
			yp := append([]float64(nil), y...)
			yp[i] += h
			ym := append([]float64(nil), y...)
			ym[i] -= h
			want := (value(x, yp) - value(x, ym)) / (2 * h)
			assert.InDelta(t, want, gy[i], 1e-6*math.Max(1, math.Abs(want)), "%v ∂/∂y[%d]", pen, i)
		}
		for i := 0; i < n; i += 3 {
			for j := range d {
				xp := mat.DenseCopyOf(x)
				xp.Set(i, j, x.At(i, j)+h)
				xm := mat.DenseCopyOf(x)
				xm.Set(i, j, x.At(i, j)-h)
				want := (value(xp, y) - value(xm, y)) / (2 * h)
				assert.InDelta(t, want, gx.At(i, j), 1e-6*math.Max(1, math.Abs(want)), "%v ∂/∂X[%d,%d]", pen, i, j)
			}
		}
	}
}

func TestLassoSolveBatch(t *testing.T) {
	train, _ := diabetes(t)
	l, err := NewLasso(train.X, train.Y, Penalty{Strengths: smooth.PerFeature})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(101, 102))
	thetas := make([][]float64, 17)
	for k := range thetas {
		thetas[k] = make([]float64, 10)
		for j := range thetas[k] {
			thetas[k][j] = l.LambdaMax() * rng.Float64() * 0.3
		}
	}
	one, err := l.SolveBatch(context.Background(), thetas, nil, &CDSettings{Workers: 1})
	require.NoError(t, err)
	many, err := l.SolveBatch(context.Background(), thetas, nil, &CDSettings{Workers: 4})
	require.NoError(t, err)
	for k := range thetas {
		assert.Equal(t, one[k].W, many[k].W, "problem %d", k)
	}
	thetas[5][2] = -1
	res, err := l.SolveBatch(context.Background(), thetas, nil, &CDSettings{Workers: 3})
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Nil(t, res[5])
	assert.NotNil(t, res[6])
}

// TestGapSafeScreening checks that screening eliminates features on a wide
// problem and that every eliminated feature is zero in an independent
// FISTA solution.
func TestGapSafeScreening(t *testing.T) {
	rng := rand.New(rand.NewPCG(111, 112))
	x, y := randomLasso(rng, 40, 300, 5)
	l, err := NewLasso(x, y, Penalty{})
	require.NoError(t, err)
	theta := []float64{0.2 * l.LambdaMax()}
	ctx := context.Background()
	// Warm start from a nearby λ, as along a path.
	prev, err := l.Solve(ctx, []float64{0.22 * l.LambdaMax()}, nil, nil)
	require.NoError(t, err)
	ref, err := Minimize(ctx, l.Composite(), theta, make([]float64, 300), &Settings{Tol: 1e-12, MaxIter: 1000000})
	require.NoError(t, err)
	for _, upd := range []Updates{ResidualUpdates, GramUpdates} {
		res, err := l.Solve(ctx, theta, prev.W, &CDSettings{Tol: 1e-13, Updates: upd})
		require.NoError(t, err)
		assert.Greater(t, res.Screened, 250, "updates %v", upd)
		assert.Less(t, maxAbsDiff(res.W, ref.X), 1e-8*math.Max(1, maxAbs(ref.X)))
		assert.Equal(t, support(ref.X), res.Support())
	}
}

func TestLassoLipschitz(t *testing.T) {
	rng := rand.New(rand.NewPCG(141, 142))
	for _, shape := range [][2]int{{60, 15}, {20, 50}} {
		x, y := randomLasso(rng, shape[0], shape[1], 3)
		l, err := NewLasso(x, y, Penalty{})
		require.NoError(t, err)
		var svd mat.SVD
		require.True(t, svd.Factorize(x, mat.SVDNone))
		s := svd.Values(nil)
		want := s[0] * s[0] / float64(shape[0])
		assert.InDelta(t, want, l.Lipschitz(), 1e-4*want)
	}
}

// TestLassoStall checks that unreachable tolerances end the solve quickly
// with ErrNotConverged and an accurate best iterate, instead of burning the
// whole epoch budget.
func TestLassoStall(t *testing.T) {
	train, _ := diabetes(t)
	l, err := NewLasso(train.X, train.Y, Penalty{})
	require.NoError(t, err)
	theta := []float64{0.001 * l.LambdaMax()}
	res, err := l.Solve(context.Background(), theta, nil, &CDSettings{Tol: 1e-300, GapTol: 1e-300})
	assert.ErrorIs(t, err, ErrNotConverged)
	assert.ErrorIs(t, err, ErrStalled)
	require.NotNil(t, res)
	assert.Less(t, res.Epochs, 5000.0)
	ref, err := l.Solve(context.Background(), theta, nil, &CDSettings{Tol: 1e-13})
	require.NoError(t, err)
	assert.Less(t, maxAbsDiff(res.W, ref.W), 1e-8*maxAbs(ref.W))
}

func TestNilDesign(t *testing.T) {
	var x *mat.Dense
	_, err := NewLasso(x, []float64{1}, Penalty{})
	assert.ErrorIs(t, err, ErrDims)
	_, err = NewLasso(nil, []float64{1}, Penalty{})
	assert.ErrorIs(t, err, ErrDims)
}

// TestGapSafeScreeningElasticNet checks screening with λ₂ > 0 (the
// unconstrained elastic-net dual) against FISTA.
func TestGapSafeScreeningElasticNet(t *testing.T) {
	rng := rand.New(rand.NewPCG(191, 192))
	x, y := randomLasso(rng, 40, 300, 5)
	l, err := NewLasso(x, y, Penalty{ElasticNet: true})
	require.NoError(t, err)
	ctx := context.Background()
	theta := []float64{0.2 * l.LambdaMax(), 0.5}
	prev, err := l.Solve(ctx, []float64{0.22 * l.LambdaMax(), 0.5}, nil, nil)
	require.NoError(t, err)
	ref, err := Minimize(ctx, l.Composite(), theta, make([]float64, 300), &Settings{Tol: 1e-12, MaxIter: 1000000})
	require.NoError(t, err)
	for _, upd := range []Updates{ResidualUpdates, GramUpdates} {
		res, err := l.Solve(ctx, theta, prev.W, &CDSettings{Tol: 1e-13, Updates: upd})
		require.NoError(t, err)
		assert.Greater(t, res.Screened, 100, "updates %v", upd)
		assert.Less(t, maxAbsDiff(res.W, ref.X), 1e-8*math.Max(1, maxAbs(ref.X)))
		assert.Equal(t, support(ref.X), res.Support())
	}
}
