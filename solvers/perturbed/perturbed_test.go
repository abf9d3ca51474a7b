package perturbed

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// argmaxOracle returns the one-hot indicator of the largest cost: the
// argmax of ⟨cost, y⟩ over the vertices of the simplex.
func argmaxOracle(_ context.Context, dst, cost []float64) error {
	clear(dst)
	dst[floats.MaxIdx(cost)] = 1
	return nil
}

// argminOracle is the argmin over the vertices of the simplex.
func argminOracle(_ context.Context, dst, cost []float64) error {
	clear(dst)
	dst[floats.MinIdx(cost)] = 1
	return nil
}

func softmax(theta []float64, sigma float64) []float64 {
	p := make([]float64, len(theta))
	for i, t := range theta {
		p[i] = t / sigma
	}
	lse := floats.LogSumExp(p)
	for i := range p {
		p[i] = math.Exp(p[i] - lse)
	}
	return p
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

func stdNormalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func stdNormalPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

// Gumbel-max trick: with centered Gumbel noise the perturbed argmax over
// one-hot vectors is softmax(θ/σ) and F_σ = σ logsumexp(θ/σ).
func TestGumbelSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const m = 40000
	for trial := range 3 {
		d := 3 + trial
		sigma := 0.5 + 0.4*float64(trial)
		theta := randVec(rng, d, 1)
		opt := &Optimizer{Oracle: argmaxOracle, Dim: d,
			Settings: &Settings{Samples: m, Sigma: sigma, Noise: Gumbel, Seed: uint64(trial)}}
		mean, value, err := opt.Mean(context.Background(), theta)
		require.NoError(t, err)
		p := softmax(theta, sigma)
		for i := range p {
			tol := 5*math.Sqrt(p[i]*(1-p[i])/m) + 1e-12
			assert.InDelta(t, p[i], mean[i], tol, "trial %d coordinate %d", trial, i)
		}
		scaled := make([]float64, d)
		for i := range theta {
			scaled[i] = theta[i] / sigma
		}
		want := sigma * floats.LogSumExp(scaled)
		// max_i(θᵢ + σZᵢ) is Gumbel with scale σ: std σπ/√6.
		assert.InDelta(t, want, value, 5*sigma*math.Pi/math.Sqrt(6*m), "trial %d value", trial)
	}
}

// The score-function Jacobian against the softmax Jacobian
// (diag(p) − ppᵀ)/σ, with and without the control variate.
func TestGumbelJacobian(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const m = 40000
	for _, cv := range []bool{false, true} {
		d, sigma := 4, 0.7
		theta := randVec(rng, d, 1)
		opt := &Optimizer{Oracle: argmaxOracle, Dim: d,
			Settings: &Settings{Samples: m, Sigma: sigma, Noise: Gumbel, Seed: 11, ControlVariate: cv}}
		r, err := opt.Forward(context.Background(), theta)
		require.NoError(t, err)
		j, err := r.Jacobian()
		require.NoError(t, err)
		p := softmax(theta, sigma)
		// Each summand (yᵢ − bᵢ)(1 − E) has variance ≤ Var(E) = 1.
		tol := 5 / (sigma * math.Sqrt(m))
		for i := range d {
			for k := range d {
				want := -p[i] * p[k] / sigma
				if i == k {
					want += p[i] / sigma
				}
				assert.InDelta(t, want, j.At(i, k), tol, "cv=%v J[%d,%d]", cv, i, k)
			}
		}
	}
}

// Normal noise, two coordinates: ŷ₁ = Φ(Δ/s), ∂ŷ₁/∂θ₁ = φ(Δ/s)/s with
// Δ = θ₁ − θ₂, s = σ√2.
func TestNormalTwoPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const m = 40000
	for trial := range 3 {
		theta := randVec(rng, 2, 1)
		sigma := 0.6 + 0.5*float64(trial)
		opt := &Optimizer{Oracle: argmaxOracle, Dim: 2,
			Settings: &Settings{Samples: m, Sigma: sigma, Seed: uint64(100 + trial), ControlVariate: trial%2 == 0}}
		r, err := opt.Forward(context.Background(), theta)
		require.NoError(t, err)
		s := sigma * math.Sqrt2
		delta := theta[0] - theta[1]
		p := stdNormalCDF(delta / s)
		assert.InDelta(t, p, r.Mean[0], 5*math.Sqrt(p*(1-p)/m))
		assert.InDelta(t, 1-p, r.Mean[1], 5*math.Sqrt(p*(1-p)/m))
		a := stdNormalPDF(delta/s) / s
		j, err := r.Jacobian()
		require.NoError(t, err)
		tol := 5 / (sigma * math.Sqrt(m))
		want := mat.NewDense(2, 2, []float64{a, -a, -a, a})
		for i := range 2 {
			for k := range 2 {
				assert.InDelta(t, want.At(i, k), j.At(i, k), tol, "trial %d J[%d,%d]", trial, i, k)
			}
		}
	}
}

// JVP and VJP are exactly the products with the estimated Jacobian.
func TestProductsMatchJacobian(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, noise := range []Noise{Normal, Gumbel} {
		for _, cv := range []bool{false, true} {
			d := 6
			theta := randVec(rng, d, 1)
			opt := &Optimizer{Oracle: argmaxOracle, Dim: d,
				Settings: &Settings{Samples: 300, Noise: noise, ControlVariate: cv, Seed: 9}}
			r, err := opt.Forward(context.Background(), theta)
			require.NoError(t, err)
			j, err := r.Jacobian()
			require.NoError(t, err)
			v := randVec(rng, d, 1)
			got := make([]float64, d)
			require.NoError(t, r.JVP(got, v))
			want := mat.NewVecDense(d, nil)
			want.MulVec(j, mat.NewVecDense(d, v))
			assert.InDeltaSlice(t, want.RawVector().Data, got, 1e-12)
			require.NoError(t, r.VJP(got, v))
			want.MulVec(j.T(), mat.NewVecDense(d, v))
			assert.InDeltaSlice(t, want.RawVector().Data, got, 1e-12)
			// Aliasing dst and the input vector.
			alias := append([]float64(nil), v...)
			require.NoError(t, r.VJP(alias, alias))
			assert.Equal(t, got, alias)

			mean, gth, err := opt.VJP(context.Background(), theta, v)
			require.NoError(t, err)
			assert.Equal(t, r.Mean, mean)
			assert.Equal(t, got, gth)
		}
	}
}

// Fenchel–Young loss for argmax with Gumbel noise: closed form
// σ logsumexp(θ/σ) − ⟨θ, y⟩, its gradient by central differences.
func TestFenchelYoungGumbelArgmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const m = 40000
	d, sigma := 5, 0.8
	closed := func(theta, y []float64) float64 {
		s := make([]float64, len(theta))
		for i := range theta {
			s[i] = theta[i] / sigma
		}
		return sigma*floats.LogSumExp(s) - floats.Dot(theta, y)
	}
	for trial := range 3 {
		theta := randVec(rng, d, 1)
		y := make([]float64, d)
		y[rng.IntN(d)] = 1
		opt := &Optimizer{Oracle: argmaxOracle, Dim: d,
			Settings: &Settings{Samples: m, Sigma: sigma, Noise: Gumbel, Seed: uint64(trial)}}
		loss, grad, err := opt.FenchelYoung(context.Background(), theta, y)
		require.NoError(t, err)
		assert.InDelta(t, closed(theta, y), loss, 5*sigma*math.Pi/math.Sqrt(6*m))
		assert.GreaterOrEqual(t, closed(theta, y), 0.0)
		want := fd.Gradient(nil, func(x []float64) float64 { return closed(x, y) }, theta,
			&fd.Settings{Formula: fd.Central})
		p := softmax(theta, sigma)
		for i := range want {
			assert.InDelta(t, p[i]-y[i], want[i], 1e-7) // the closed form is right
			assert.InDelta(t, want[i], grad[i], 5*math.Sqrt(p[i]*(1-p[i])/m)+1e-12, "trial %d grad[%d]", trial, i)
		}
	}
}

// Fenchel–Young loss for argmin with Normal noise, two coordinates:
// F(θ) = E[min(θ₁+σZ₁, θ₂+σZ₂)] = θ₁Φ(−Δ/s) + θ₂Φ(Δ/s) − sφ(Δ/s), and
// L = ⟨θ, y⟩ − F(θ) with gradient y − ŷ.
func TestFenchelYoungNormalArgmin(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const m = 40000
	sigma := 0.9
	s := sigma * math.Sqrt2
	fmin := func(th []float64) float64 {
		delta := th[0] - th[1]
		return th[0]*stdNormalCDF(-delta/s) + th[1]*stdNormalCDF(delta/s) - s*stdNormalPDF(delta/s)
	}
	for trial := range 3 {
		theta := randVec(rng, 2, 1)
		y := []float64{0, 0}
		y[trial%2] = 1
		closed := func(th []float64) float64 { return floats.Dot(th, y) - fmin(th) }
		opt := &Optimizer{Oracle: argminOracle, Dim: 2,
			Settings: &Settings{Samples: m, Sigma: sigma, Minimize: true, Seed: uint64(trial)}}
		loss, grad, err := opt.FenchelYoung(context.Background(), theta, y)
		require.NoError(t, err)
		// Per-sample value min(·) has std ≤ |Δ|+σ√2.
		assert.InDelta(t, closed(theta), loss, 5*(math.Abs(theta[0]-theta[1])+s)/math.Sqrt(m))
		want := fd.Gradient(nil, closed, theta, &fd.Settings{Formula: fd.Central})
		p := stdNormalCDF(-(theta[0] - theta[1]) / s) // P(first coordinate is the argmin)
		assert.InDelta(t, y[0]-p, want[0], 1e-7)
		for i := range want {
			assert.InDelta(t, want[i], grad[i], 5*math.Sqrt(p*(1-p)/m), "trial %d grad[%d]", trial, i)
		}
	}
}

// Results are bit-identical whatever the number of workers.
func TestReproducible(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	d := 40
	theta := randVec(rng, d, 1)
	g := randVec(rng, d, 1)
	run := func(workers int, seed uint64) ([]float64, float64, []float64) {
		opt := &Optimizer{Oracle: shortestPathOracle, Dim: d,
			Settings: &Settings{Samples: 203, Workers: workers, Seed: seed, Minimize: true, ControlVariate: true,
				Antithetic: seed%2 == 0}}
		r, err := opt.Forward(context.Background(), theta)
		require.NoError(t, err)
		gt := make([]float64, d)
		require.NoError(t, r.VJP(gt, g))
		return r.Mean, r.Value, gt
	}
	m1, v1, g1 := run(1, 42)
	for _, w := range []int{2, 3, 8} {
		m2, v2, g2 := run(w, 42)
		assert.Equal(t, m1, m2, "workers %d", w)
		assert.Equal(t, v1, v2, "workers %d", w)
		assert.Equal(t, g1, g2, "workers %d", w)
	}
	m3, _, _ := run(2, 43)
	assert.NotEqual(t, m1, m3)
}

// The mean of shortest paths is a unit flow from node 0 to node 24.
func TestShortestPathMeanIsFlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	theta := make([]float64, gridArcs)
	for i := range theta {
		theta[i] = 1 + rng.Float64()
	}
	opt := &Optimizer{Oracle: shortestPathOracle, Dim: gridArcs,
		Settings: &Settings{Samples: 500, Sigma: 0.5, Minimize: true}}
	mean, value, err := opt.Mean(context.Background(), theta)
	require.NoError(t, err)
	net := make([]float64, 25)
	for a, arc := range gridArcList {
		net[arc[0]] -= mean[a]
		net[arc[1]] += mean[a]
	}
	for v := range net {
		want := 0.0
		switch v {
		case 0:
			want = -1
		case 24:
			want = 1
		}
		assert.InDelta(t, want, net[v], 1e-12, "node %d", v)
	}
	// The perturbed minimum is below the unperturbed one (concavity).
	y := make([]float64, gridArcs)
	require.NoError(t, shortestPathOracle(context.Background(), y, theta))
	assert.Less(t, value, floats.Dot(theta, y))
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	good := []float64{1, 2, 3}
	cases := []struct {
		name  string
		opt   *Optimizer
		theta []float64
	}{
		{"nil optimizer", nil, good},
		{"nil oracle", &Optimizer{Dim: 3}, good},
		{"zero dim", &Optimizer{Oracle: argmaxOracle}, good},
		{"length", &Optimizer{Oracle: argmaxOracle, Dim: 2}, good},
		{"NaN theta", &Optimizer{Oracle: argmaxOracle, Dim: 3}, []float64{1, math.NaN(), 3}},
		{"Inf theta", &Optimizer{Oracle: argmaxOracle, Dim: 3}, []float64{1, math.Inf(1), 3}},
		{"negative samples", &Optimizer{Oracle: argmaxOracle, Dim: 3, Settings: &Settings{Samples: -1}}, good},
		{"negative sigma", &Optimizer{Oracle: argmaxOracle, Dim: 3, Settings: &Settings{Sigma: -1}}, good},
		{"NaN sigma", &Optimizer{Oracle: argmaxOracle, Dim: 3, Settings: &Settings{Sigma: math.NaN()}}, good},
		{"bad noise", &Optimizer{Oracle: argmaxOracle, Dim: 3, Settings: &Settings{Noise: 7}}, good},
		{"negative workers", &Optimizer{Oracle: argmaxOracle, Dim: 3, Settings: &Settings{Workers: -2}}, good},
		{"overflow", &Optimizer{Oracle: argmaxOracle, Dim: 3, Settings: &Settings{Sigma: 1e308}}, []float64{1e308, 1e308, 1e308}},
	}
	for _, c := range cases {
		_, err := c.opt.Forward(ctx, c.theta)
		assert.ErrorIs(t, err, ErrInvalid, c.name)
		_, _, err = c.opt.FenchelYoung(ctx, c.theta, []float64{1, 0, 0})
		assert.ErrorIs(t, err, ErrInvalid, c.name)
	}
	opt := &Optimizer{Oracle: argmaxOracle, Dim: 3}
	_, _, err := opt.FenchelYoung(ctx, good, []float64{1, 0})
	assert.ErrorIs(t, err, ErrInvalid)
	_, _, err = opt.FenchelYoung(ctx, good, []float64{math.NaN(), 0, 0})
	assert.ErrorIs(t, err, ErrInvalid)
	r, err := opt.Forward(ctx, good)
	require.NoError(t, err)
	assert.ErrorIs(t, r.VJP(make([]float64, 2), good), ErrInvalid)
	assert.ErrorIs(t, r.JVP(make([]float64, 3), []float64{0, math.NaN(), 0}), ErrInvalid)
	var empty Result
	_, err = empty.Jacobian()
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestOracleFailures(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	failing := &Optimizer{Dim: 3, Oracle: func(_ context.Context, dst, cost []float64) error { return boom }}
	_, err := failing.Forward(ctx, []float64{1, 2, 3})
	assert.ErrorIs(t, err, ErrOracle)
	assert.ErrorIs(t, err, boom)
	nan := &Optimizer{Dim: 3, Oracle: func(_ context.Context, dst, cost []float64) error { dst[1] = math.NaN(); return nil }}
	_, err = nan.Forward(ctx, []float64{1, 2, 3})
	assert.ErrorIs(t, err, ErrOracle)
	cv := &Optimizer{Dim: 3, Oracle: failing.Oracle, Settings: &Settings{ControlVariate: true}}
	_, err = cv.Forward(ctx, []float64{1, 2, 3})
	assert.ErrorIs(t, err, boom)
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opt := &Optimizer{Oracle: argmaxOracle, Dim: 3}
	_, err := opt.Forward(ctx, []float64{1, 2, 3})
	assert.ErrorIs(t, err, context.Canceled)

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var calls int
	opt = &Optimizer{Dim: 3, Settings: &Settings{Samples: 100000, Workers: 1},
		Oracle: func(_ context.Context, dst, cost []float64) error {
			calls++
			if calls == 10 {
				cancel()
			}
			return argmaxOracle(context.Background(), dst, cost)
		}}
	_, _, err = opt.FenchelYoung(ctx, []float64{1, 2, 3}, []float64{0, 0, 1})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 10, calls, "stops right after the call that cancelled")
}

// Antithetic pairs: unbiased (two-point closed form) and of lower error
// than independent draws for the Jacobian at the same budget.
func TestAntithetic(t *testing.T) {
	theta := []float64{0.3, -0.1}
	sigma := 0.8
	s := sigma * math.Sqrt2
	delta := theta[0] - theta[1]
	a := stdNormalPDF(delta/s) / s
	p := stdNormalCDF(delta / s)
	jacErr := func(anti bool, seed uint64, m int) (float64, float64) {
		opt := &Optimizer{Oracle: argmaxOracle, Dim: 2,
			Settings: &Settings{Samples: m, Sigma: sigma, Seed: seed, Antithetic: anti}}
		r, err := opt.Forward(context.Background(), theta)
		require.NoError(t, err)
		j, err := r.Jacobian()
		require.NoError(t, err)
		return math.Abs(j.At(0, 0) - a), math.Abs(r.Mean[0] - p)
	}
	// Unbiased with many samples.
	e, em := jacErr(true, 1, 40000)
	assert.Less(t, e, 5/(sigma*math.Sqrt(40000)))
	assert.Less(t, em, 5*math.Sqrt(p*(1-p)/40000))
	// Lower root-mean-square error over 40 seeds at 200 samples.
	var plain, anti float64
	for seed := range uint64(40) {
		e1, _ := jacErr(false, seed, 200)
		e2, _ := jacErr(true, seed, 200)
		plain += e1 * e1
		anti += e2 * e2
	}
	assert.Less(t, anti, 0.75*plain, "antithetic RMSE² %.4g vs plain %.4g", anti, plain)
	// Gumbel noise is rejected.
	opt := &Optimizer{Oracle: argmaxOracle, Dim: 2, Settings: &Settings{Noise: Gumbel, Antithetic: true}}
	_, err := opt.Forward(context.Background(), theta)
	assert.ErrorIs(t, err, ErrInvalid)
}

type ctxKey struct{}

// The caller's ctx reaches every oracle call, on every worker.
func TestContextReachesOracle(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey{}, 1)
	var missing atomic.Int64
	opt := &Optimizer{Dim: 3, Settings: &Settings{Samples: 64, Workers: 3, ControlVariate: true},
		Oracle: func(ctx context.Context, dst, cost []float64) error {
			if ctx.Value(ctxKey{}) != 1 {
				missing.Add(1)
			}
			return argmaxOracle(ctx, dst, cost)
		}}
	_, err := opt.Forward(ctx, []float64{0.1, 0.5, -0.2})
	require.NoError(t, err)
	_, _, err = opt.FenchelYoung(ctx, []float64{0.1, 0.5, -0.2}, []float64{0, 1, 0})
	require.NoError(t, err)
	assert.Zero(t, missing.Load())
}
