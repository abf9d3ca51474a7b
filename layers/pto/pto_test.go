package pto

import (
	"context"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers/nn"
)

// allPaths enumerates the east/south paths of the grid as arc indicator vectors.
func allPaths(g ShortestPath) [][]float64 {
	var out [][]float64
	var rec func(i, j int, w []float64)
	rec = func(i, j int, w []float64) {
		if i == g.Rows-1 && j == g.Cols-1 {
			out = append(out, append([]float64(nil), w...))
			return
		}
		if j+1 < g.Cols {
			w[g.East(i, j)] = 1
			rec(i, j+1, w)
			w[g.East(i, j)] = 0
		}
		if i+1 < g.Rows {
			w[g.South(i, j)] = 1
			rec(i+1, j, w)
			w[g.South(i, j)] = 0
		}
	}
	rec(0, 0, make([]float64, g.Dim()))
	return out
}

func bruteMin(sols [][]float64, c []float64) ([]float64, float64) {
	best, arg := math.Inf(1), -1
	for k, w := range sols {
		if v := dot(c, w); v < best {
			best, arg = v, k
		}
	}
	return sols[arg], best
}

func randVec(rng *rand.Rand, n int, shift float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64() + shift
	}
	return v
}

func TestShortestPathOracle(t *testing.T) {
	for _, g := range []ShortestPath{{5, 5}, {3, 4}, {1, 6}, {4, 1}, {2, 2}} {
		paths := allPaths(g)
		arcs := g.Arcs()
		require.Len(t, arcs, g.Dim())
		for i := 0; i < g.Rows; i++ {
			for j := 0; j+1 < g.Cols; j++ {
				assert.Equal(t, [2]int{i*g.Cols + j, i*g.Cols + j + 1}, arcs[g.East(i, j)])
			}
		}
		A, b := g.StandardForm()
		rng := rand.New(rand.NewPCG(uint64(g.Rows), uint64(g.Cols)))
		for trial := 0; trial < 50; trial++ {
			c := randVec(rng, g.Dim(), 0.3) // costs of both signs
			w := make([]float64, g.Dim())
			z, err := g.Solve(context.Background(), w, c)
			require.NoError(t, err)
			_, zb := bruteMin(paths, c)
			assert.InDelta(t, zb, z, 1e-12)
			assert.InDelta(t, z, dot(c, w), 1e-12)
			var aw mat.VecDense
			aw.MulVec(A, mat.NewVecDense(len(w), w))
			assert.InDeltaSlice(t, b, aw.RawVector().Data, 0)
		}
	}
	// the 5×5 grid has C(8,4) paths
	assert.Len(t, allPaths(ShortestPath{5, 5}), 70)
	_, err := ShortestPath{5, 5}.Solve(context.Background(), make([]float64, 40), make([]float64, 39))
	assert.ErrorIs(t, err, ErrDims)
	c := make([]float64, 40)
	c[3] = math.NaN()
	_, err = ShortestPath{5, 5}.Solve(context.Background(), make([]float64, 40), c)
	assert.ErrorIs(t, err, ErrNaN)
}

func TestKnapsackOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 40; trial++ {
		n := 1 + rng.IntN(12)
		wts := make([]int, n)
		for i := range wts {
			wts[i] = rng.IntN(10)
		}
		capa := rng.IntN(30)
		k, err := NewKnapsack(wts, capa)
		require.NoError(t, err)
		c := randVec(rng, n, 0.5)
		w := make([]float64, n)
		z, err := k.Solve(context.Background(), w, c)
		require.NoError(t, err)
		best := 0.0
		for mask := 0; mask < 1<<n; mask++ {
			tw, tv := 0, 0.0
			for i := 0; i < n; i++ {
				if mask>>i&1 == 1 {
					tw += wts[i]
					tv += c[i]
				}
			}
			if tw <= capa && tv > best {
				best = tv
			}
		}
		assert.InDelta(t, best, z, 1e-12)
		assert.InDelta(t, z, dot(c, w), 1e-12)
		used := 0
		for i, v := range w {
			used += int(v) * wts[i]
		}
		assert.LessOrEqual(t, used, capa)
	}
	_, err := NewKnapsack([]int{1, -2}, 3)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestGenerators(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, c, err := GenShortestPath(rng, 300, 5, 40, 4, 0.5)
	require.NoError(t, err)
	r, col := c.Dims()
	assert.Equal(t, []int{300, 40}, []int{r, col})
	assert.Greater(t, mat.Min(c), 0.0)
	// with no noise, the cost is a deterministic function of x: equal for equal rows
	_, xc := x.Dims()
	assert.Equal(t, 5, xc)
	w, _, kc, err := GenKnapsack(rng, 50, 5, 32, 2, 0.5)
	require.NoError(t, err)
	for _, v := range w {
		assert.True(t, v >= 300 && v < 800)
	}
	for _, v := range kc.RawMatrix().Data {
		assert.Equal(t, math.Ceil(v), v)
		assert.GreaterOrEqual(t, v, 1.0)
	}
	cov, _, ret, err := GenPortfolio(rng, 50, 5, 20, 4, 1)
	require.NoError(t, err)
	var ch mat.Cholesky
	assert.True(t, ch.Factorize(cov))
	rr, rc := ret.Dims()
	assert.Equal(t, []int{50, 20}, []int{rr, rc})
	_, _, err = GenShortestPath(rng, 10, 5, 40, 0, 0.5)
	assert.ErrorIs(t, err, ErrInvalid)
	_, _, err = GenShortestPath(rng, 10, 5, 40, 1, 1.5)
	assert.ErrorIs(t, err, ErrInvalid)
}

func spData(t *testing.T, n int, seed uint64) (ShortestPath, *Dataset) {
	g := ShortestPath{5, 5}
	x, c, err := GenShortestPath(rand.New(rand.NewPCG(seed, 9)), n, 5, 40, 4, 0.5)
	require.NoError(t, err)
	d, err := NewDataset(context.Background(), g, x, c, nil)
	require.NoError(t, err)
	return g, d
}

func knapData(t *testing.T, n int, seed uint64) (*Knapsack, *Dataset) {
	wts, x, c, err := GenKnapsack(rand.New(rand.NewPCG(seed, 10)), n, 5, 12, 2, 0.5)
	require.NoError(t, err)
	k, err := NewKnapsack(wts, 1500)
	require.NoError(t, err)
	d, err := NewDataset(context.Background(), k, x, c, nil)
	require.NoError(t, err)
	return k, d
}

// lossFD compares a loss's gradient with central differences where the
// loss is differentiable (piecewise-linear losses at random points).
func lossFD(t *testing.T, l Loss, d *Dataset, i int, chat []float64, tol float64) {
	grad := make([]float64, len(chat))
	_, err := l.Eval(context.Background(), grad, chat, d, i, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	want := fd.Gradient(nil, func(v []float64) float64 {
		g := make([]float64, len(v))
		val, err := l.Eval(context.Background(), g, v, d, i, rand.New(rand.NewPCG(1, 1)))
		require.NoError(t, err)
		return val
	}, chat, &fd.Settings{Formula: fd.Central, Step: 1e-7})
	for k := range want {
		assert.InDelta(t, want[k], grad[k], tol, "component %d", k)
	}
}

// SPO+: the value is its definition (brute force over all paths), the
// gradient equals 2(w* − w*(2ĉ − c)), it is a subgradient of a convex
// function, and it matches finite differences at generic points.
func TestSPOPlus(t *testing.T) {
	g, d := spData(t, 20, 1)
	paths := allPaths(g)
	rng := rand.New(rand.NewPCG(5, 5))
	l := SPOPlus{g}
	for i := 0; i < d.Len(); i++ {
		chat := randVec(rng, 40, 1)
		grad := make([]float64, 40)
		val, err := l.Eval(context.Background(), grad, chat, d, i, nil)
		require.NoError(t, err)
		c := d.C.RawRowView(i)
		q := make([]float64, 40)
		for k := range q {
			q[k] = 2*chat[k] - c[k]
		}
		wt, zt := bruteMin(paths, q)
		_, zs := bruteMin(paths, c)
		assert.InDelta(t, -zt+2*dot(chat, d.W.RawRowView(i))-zs, val, 1e-10)
		for k := range grad {
			assert.Equal(t, 2*(d.W.At(i, k)-wt[k]), grad[k])
		}
		// regret ≤ SPO+ and subgradient inequality
		wh, _ := bruteMin(paths, chat)
		assert.LessOrEqual(t, dot(c, wh)-zs, val+1e-12)
		for trial := 0; trial < 5; trial++ {
			other := randVec(rng, 40, 1)
			g2 := make([]float64, 40)
			v2, err := l.Eval(context.Background(), g2, other, d, i, nil)
			require.NoError(t, err)
			diff := make([]float64, 40)
			for k := range diff {
				diff[k] = other[k] - chat[k]
			}
			assert.GreaterOrEqual(t, v2, val+dot(grad, diff)-1e-10)
		}
		if i < 5 {
			lossFD(t, l, d, i, chat, 1e-6)
		}
	}
	// maximization: knapsack
	k, kd := knapData(t, 5, 2)
	for i := 0; i < kd.Len(); i++ {
		lossFD(t, SPOPlus{k}, kd, i, randVec(rng, 12, 3), 1e-6)
	}
}

// DBB: the gradient is the definition (w(ĉ+λc) − w(ĉ))/λ by brute force,
// and the value is the regret.
func TestDBBAndNID(t *testing.T) {
	g, d := spData(t, 20, 2)
	paths := allPaths(g)
	rng := rand.New(rand.NewPCG(6, 6))
	for _, lam := range []float64{0.5, 10, 20} {
		l := DBB{Oracle: g, Lambda: lam}
		for i := 0; i < d.Len(); i++ {
			chat := randVec(rng, 40, 1)
			grad := make([]float64, 40)
			val, err := l.Eval(context.Background(), grad, chat, d, i, nil)
			require.NoError(t, err)
			c := d.C.RawRowView(i)
			w0, _ := bruteMin(paths, chat)
			q := make([]float64, 40)
			for k := range q {
				q[k] = chat[k] + lam*c[k]
			}
			wl, _ := bruteMin(paths, q)
			for k := range grad {
				assert.InDelta(t, (wl[k]-w0[k])/lam, grad[k], 1e-15)
			}
			assert.InDelta(t, dot(c, w0)-d.Z[i], val, 1e-12)
			assert.GreaterOrEqual(t, val, -1e-12)
			gn := make([]float64, 40)
			vn, err := NID{g}.Eval(context.Background(), gn, chat, d, i, nil)
			require.NoError(t, err)
			assert.Equal(t, val, vn)
			for k := range gn {
				assert.Equal(t, -c[k], gn[k])
			}
		}
	}
	// maximization: the DBB step raises the predicted value of items of the
	// λ-shifted solution; check the definition with a brute-force knapsack.
	k, kd := knapData(t, 5, 3)
	for i := 0; i < kd.Len(); i++ {
		chat := randVec(rng, 12, 3)
		grad := make([]float64, 12)
		_, err := DBB{Oracle: k, Lambda: 5}.Eval(context.Background(), grad, chat, kd, i, nil)
		require.NoError(t, err)
		w0 := make([]float64, 12)
		wl := make([]float64, 12)
		_, _ = k.Solve(context.Background(), w0, chat)
		q := make([]float64, 12)
		for j := range q {
			q[j] = chat[j] + 5*kd.C.At(i, j)
		}
		_, _ = k.Solve(context.Background(), wl, q)
		for j := range grad {
			assert.InDelta(t, -(wl[j]-w0[j])/5, grad[j], 1e-15)
		}
	}
}

// PFYL: the mean of many independent small-sample gradients equals
// w* − E[w*(ĉ + σZ)] estimated independently with many samples.
func TestPFYLExpectation(t *testing.T) {
	g, d := spData(t, 2, 3)
	rng := rand.New(rand.NewPCG(7, 7))
	sigma := 0.5
	for i := 0; i < d.Len(); i++ {
		chat := randVec(rng, 40, 0.5)
		// independent estimate of E[w*(ĉ + σZ)] with 40000 samples
		const M = 40000
		mean := make([]float64, 40)
		fval := 0.0
		w := make([]float64, 40)
		q := make([]float64, 40)
		for m := 0; m < M; m++ {
			for k := range q {
				q[k] = chat[k] + sigma*rng.NormFloat64()
			}
			z, _ := g.Solve(context.Background(), w, q)
			fval += z / M
			for k := range w {
				mean[k] += w[k] / M
			}
		}
		l := PFYL{Oracle: g, Samples: 20, Sigma: sigma}
		avg := make([]float64, 40)
		avgVal := 0.0
		const R = 1000
		grad := make([]float64, 40)
		for r := 0; r < R; r++ {
			v, err := l.Eval(context.Background(), grad, chat, d, i, rand.New(rand.NewPCG(uint64(r), 99)))
			require.NoError(t, err)
			avgVal += v / R
			for k := range grad {
				avg[k] += grad[k] / R
			}
		}
		ws := d.W.RawRowView(i)
		for k := range avg {
			// 20000 draws behind avg, 40000 behind mean: std ≤ 0.5/√13000 ≈ 0.0045
			assert.InDelta(t, ws[k]-mean[k], avg[k], 0.02, "arc %d", k)
		}
		assert.InDelta(t, dot(chat, ws)-fval, avgVal, 0.06)
	}
}

// DPO: with many samples its gradient is a descent direction of the
// expected squared error, checked against finite differences of the
// common-random-numbers objective.
func TestDPOFiniteDifference(t *testing.T) {
	_, d := spData(t, 2, 4)
	g := ShortestPath{5, 5}
	rng := rand.New(rand.NewPCG(8, 8))
	chat := randVec(rng, 40, 0.5)
	l := DPO{Oracle: g, Samples: 4000, Sigma: 1}
	grad := make([]float64, 40)
	_, err := l.Eval(context.Background(), grad, chat, d, 0, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	dir := randVec(rng, 40, 0)
	nrm := math.Sqrt(dot(dir, dir))
	for k := range dir {
		dir[k] /= nrm
	}
	// smoothed objective along dir with common random numbers and a large
	// step (the sampled map is piecewise constant)
	h := 0.3
	val := func(s float64) float64 {
		v := make([]float64, 40)
		for k := range v {
			v[k] = chat[k] + s*dir[k]
		}
		out, err := l.Eval(context.Background(), make([]float64, 40), v, d, 0, rand.New(rand.NewPCG(1, 2)))
		require.NoError(t, err)
		return out
	}
	fdDir := (val(h) - val(-h)) / (2 * h)
	assert.InDelta(t, fdDir, dot(grad, dir), 0.1*math.Abs(fdDir)+0.002)
}

func TestContrastive(t *testing.T) {
	g, d := spData(t, 30, 5)
	rng := rand.New(rand.NewPCG(9, 9))
	nce, err := NewNCE(g, d, 1)
	require.NoError(t, err)
	cmap, err := NewCMAP(g, d, 0)
	require.NoError(t, err)
	n0 := nce.PoolSize()
	assert.LessOrEqual(t, n0, 30)
	for i := 0; i < 5; i++ {
		chat := randVec(rng, 40, 0.5)
		lossFD(t, cmap, d, i, chat, 1e-6)
		// NCE is linear in ĉ for a fixed pool
		ng := make([]float64, 40)
		v, err := nce.Eval(context.Background(), ng, chat, d, i, rand.New(rand.NewPCG(1, 1)))
		require.NoError(t, err)
		zero := make([]float64, 40)
		v0, err := nce.Eval(context.Background(), make([]float64, 40), zero, d, i, rand.New(rand.NewPCG(1, 1)))
		require.NoError(t, err)
		assert.InDelta(t, v0+dot(ng, chat), v, 1e-10)
		// CMAP ≥ NCE (max ≥ mean) and CMAP ≥ 0 (w* is in the pool)
		cv, err := cmap.Eval(context.Background(), make([]float64, 40), chat, d, i, nil)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, cv, v-1e-12)
		assert.GreaterOrEqual(t, cv, 0.0)
	}
	nce.EndBatch([]int{0, 1, 2, 3, 4})
	assert.GreaterOrEqual(t, nce.PoolSize(), n0)
	_, err = NewNCE(g, d, 2)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestMSEGradient(t *testing.T) {
	_, d := spData(t, 3, 6)
	lossFD(t, MSE{}, d, 1, randVec(rand.New(rand.NewPCG(1, 3)), 40, 0), 1e-7)
}

func TestRegret(t *testing.T) {
	g, d := spData(t, 50, 7)
	r, err := Regret(context.Background(), g, d.C, d, nil)
	require.NoError(t, err)
	assert.InDelta(t, 0.0, r, 1e-15)
	noisy := mat.DenseCopyOf(d.C)
	rng := rand.New(rand.NewPCG(1, 5))
	for _, v := range noisy.RawMatrix().Data {
		_ = v
	}
	raw := noisy.RawMatrix().Data
	for i := range raw {
		raw[i] += rng.NormFloat64()
	}
	r, err = Regret(context.Background(), g, noisy, d, nil)
	require.NoError(t, err)
	assert.Greater(t, r, 0.0)
	k, kd := knapData(t, 30, 8)
	raw = mat.DenseCopyOf(kd.C).RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	r, err = Regret(context.Background(), k, mat.NewDense(30, 12, raw), kd, nil)
	require.NoError(t, err)
	assert.Greater(t, r, 0.0)
	_, err = Regret(context.Background(), g, mat.NewDense(3, 40, nil), d, nil)
	assert.ErrorIs(t, err, ErrDims)
}

// Training is deterministic whatever the number of goroutines, including
// randomized losses and solution pools; and SPO+ beats a random model.
func TestTrainDeterministic(t *testing.T) {
	g, d := spData(t, 200, 11)
	for _, mk := range []func() Loss{
		func() Loss { return PFYL{Oracle: g, Samples: 3} },
		func() Loss { l, _ := NewNCE(g, d, 0.5); return l },
		func() Loss { return SPOPlus{g} },
	} {
		var params [][]float64
		for _, workers := range []int{1, 3} {
			m, err := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
			require.NoError(t, err)
			_, err = Train(context.Background(), m, mk(), d, &TrainSettings{Epochs: 3, Workers: workers, Seed: 4})
			require.NoError(t, err)
			params = append(params, append([]float64(nil), m.Params()...))
		}
		assert.Equal(t, params[0], params[1])
	}
	m, _ := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
	r0, err := ModelRegret(context.Background(), g, m, d, nil)
	require.NoError(t, err)
	_, err = Train(context.Background(), m, SPOPlus{g}, d, &TrainSettings{Epochs: 10})
	require.NoError(t, err)
	r1, err := ModelRegret(context.Background(), g, m, d, nil)
	require.NoError(t, err)
	assert.Less(t, r1, 0.5*r0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Train(ctx, m, SPOPlus{g}, d, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func FuzzShortestPath(f *testing.F) {
	f.Add(uint8(5), uint8(5), 1.0, -2.0, math.NaN())
	f.Add(uint8(1), uint8(1), 0.0, 0.0, 0.0)
	f.Fuzz(func(t *testing.T, r, c uint8, a, b, e float64) {
		g := ShortestPath{int(r % 8), int(c % 8)}
		d := g.Dim()
		if d < 0 {
			d = 0
		}
		cost := make([]float64, d)
		for i := range cost {
			cost[i] = []float64{a, b, e}[i%3]
		}
		w := make([]float64, d)
		z, err := g.Solve(context.Background(), w, cost)
		if err == nil && (math.IsNaN(z) || math.IsInf(z, 0)) {
			t.Fatalf("non-finite objective %v with nil error", z)
		}
	})
}

func FuzzKnapsack(f *testing.F) {
	f.Add(uint8(5), 7, 1.0, -2.0, math.Inf(1))
	f.Fuzz(func(t *testing.T, n uint8, capa int, a, b, e float64) {
		wts := make([]int, n%20)
		for i := range wts {
			wts[i] = (i*7 + capa) % 11
		}
		k, err := NewKnapsack(wts, capa%5000)
		if err != nil {
			return
		}
		cost := make([]float64, len(wts))
		for i := range cost {
			cost[i] = []float64{a, b, e}[i%3]
		}
		z, err := k.Solve(context.Background(), make([]float64, len(wts)), cost)
		if err == nil && (math.IsNaN(z) || math.IsInf(z, 0)) {
			t.Fatalf("non-finite objective %v with nil error", z)
		}
	})
}

func FuzzSPOPlus(f *testing.F) {
	f.Add(1.0, -1.0, math.NaN(), 3)
	f.Fuzz(func(t *testing.T, a, b, e float64, i int) {
		g := ShortestPath{3, 3}
		x := mat.NewDense(2, 2, []float64{a, b, 1, 2})
		c := mat.NewDense(2, g.Dim(), nil)
		for k := range c.RawMatrix().Data {
			c.RawMatrix().Data[k] = []float64{a, b, e, 1}[k%4]
		}
		d, err := NewDataset(context.Background(), g, x, c, &Settings{Workers: 1})
		if err != nil {
			return
		}
		chat := make([]float64, g.Dim())
		for k := range chat {
			chat[k] = []float64{e, a, b}[k%3]
		}
		for _, l := range []Loss{SPOPlus{g}, DBB{Oracle: g}, PFYL{Oracle: g, Samples: 2}, MSE{}} {
			grad := make([]float64, g.Dim())
			v, err := l.Eval(context.Background(), grad, chat, d, i, rand.New(rand.NewPCG(1, 1)))
			if err == nil && math.IsNaN(v) {
				t.Fatalf("%T: NaN loss with nil error", l)
			}
		}
	})
}

// The ranking losses against finite differences (pool fixed) and their
// defining properties, on a minimization and a maximization.
func TestLTRLosses(t *testing.T) {
	g, d := spData(t, 15, 51)
	k, kd := knapData(t, 15, 52)
	rng := rand.New(rand.NewPCG(3, 1))
	for _, tc := range []struct {
		o  Oracle
		d  *Dataset
		sh float64
	}{{g, d, 0.5}, {k, kd, 3}} {
		pw, err := NewPointwise(tc.o, tc.d, 0)
		require.NoError(t, err)
		pr, err := NewPairwise(tc.o, tc.d, 0, 0.1)
		require.NoError(t, err)
		lw, err := NewListwise(tc.o, tc.d, 0, 0.5)
		require.NoError(t, err)
		_, dim := tc.d.C.Dims()
		for i := 0; i < 4; i++ {
			chat := randVec(rng, dim, tc.sh)
			for _, l := range []Loss{pw, pr, lw} {
				lossFD(t, l, tc.d, i, chat, 1e-5)
			}
			// at the true cost the pointwise loss vanishes
			v, err := pw.Eval(context.Background(), make([]float64, dim), tc.d.C.RawRowView(i), tc.d, i, nil)
			require.NoError(t, err)
			assert.InDelta(t, 0, v, 1e-20)
		}
	}
}

func TestKnapsackLiteralIsAnError(t *testing.T) {
	_, err := (&Knapsack{Weights: []int{1}, Capacity: 1}).Solve(context.Background(), make([]float64, 1), []float64{1})
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestKnapsackMutated(t *testing.T) {
	k, err := NewKnapsack([]int{2, 3}, 4)
	require.NoError(t, err)
	k.Capacity = 10
	_, err = k.Solve(context.Background(), make([]float64, 2), []float64{1, 1})
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestNilOracle(t *testing.T) {
	_, d := spData(t, 2, 71)
	for _, l := range []Loss{SPOPlus{}, DBB{}, NID{}, PFYL{}, DPO{}, QPTL{}, LayerLoss{}, SurCo{}} {
		_, err := l.Eval(context.Background(), make([]float64, 40), make([]float64, 40), d, 0, rand.New(rand.NewPCG(1, 1)))
		assert.ErrorIs(t, err, ErrInvalid, "%T", l)
	}
}

// With constant predicted costs every path ties; the unambiguous regret
// takes the worst one, so it is at least the plain regret and equals the
// regret of the longest path under c.
func TestUnambiguousRegret(t *testing.T) {
	g, d := spData(t, 30, 81)
	paths := allPaths(g)
	flat := mat.NewDense(30, 40, nil)
	for i := range flat.RawMatrix().Data {
		flat.RawMatrix().Data[i] = 1
	}
	r, err := Regret(context.Background(), g, flat, d, nil)
	require.NoError(t, err)
	u, err := UnambiguousRegret(context.Background(), g, flat, d, 0, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, u, r)
	num, den := 0.0, 0.0
	for i := 0; i < d.Len(); i++ {
		c := d.C.RawRowView(i)
		worst := math.Inf(-1)
		for _, p := range paths {
			worst = max(worst, dot(c, p))
		}
		num += worst - d.Z[i]
		den += math.Abs(d.Z[i])
	}
	assert.InDelta(t, num/den, u, 1e-12)
	// on generic predictions there are no ties: both metrics agree
	noisy := mat.NewDense(30, 40, randVec(rand.New(rand.NewPCG(1, 1)), 1200, 1))
	r, _ = Regret(context.Background(), g, noisy, d, nil)
	u, _ = UnambiguousRegret(context.Background(), g, noisy, d, 0, nil)
	assert.InDelta(t, r, u, 1e-12)
}

type ctxKey struct{}

// The caller's ctx reaches every oracle call: those of NewDataset and
// Regret, and those a loss makes in BatchGradient (directly, through the
// perturbed optimizer, through a layer).
func TestContextReachesOracle(t *testing.T) {
	x, c, _ := advData(t)
	ctx := context.WithValue(context.Background(), ctxKey{}, "caller")
	var missing atomic.Int64
	spy := OracleFunc{D: 3, F: func(ctx context.Context, dst, c []float64) (float64, error) {
		if ctx.Value(ctxKey{}) != "caller" {
			missing.Add(1)
		}
		return argminVertex(3).F(ctx, dst, c)
	}}
	ds, err := NewDataset(ctx, spy, x, c, &Settings{Workers: 2})
	require.NoError(t, err)
	_, err = Regret(ctx, spy, c, ds, nil)
	require.NoError(t, err)
	m, err := nn.NewLinear(2, 3, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	grad := make([]float64, len(m.Params()))
	for _, loss := range []Loss{SPOPlus{Oracle: spy}, DBB{Oracle: spy}, PFYL{Oracle: spy, Samples: 4}, DPO{Oracle: spy, Samples: 4}} {
		_, err := BatchGradient(ctx, grad, m, loss, ds, []int{0, 1, 2}, 1, 1, nil)
		require.NoError(t, err)
	}
	assert.Zero(t, missing.Load(), "oracle calls without the caller's ctx")
	// A canceled ctx stops the losses' oracle calls.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = BatchGradient(cctx, grad, m, SPOPlus{Oracle: spy}, ds, []int{0}, 1, 1, nil)
	require.ErrorIs(t, err, context.Canceled)
}
