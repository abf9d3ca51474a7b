package sinkhorn

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

func randWeights(rng *rand.Rand, n int, mass float64) []float64 {
	w := make([]float64, n)
	var s float64
	for i := range w {
		w[i] = 0.2 + rng.Float64()
		s += w[i]
	}
	for i := range w {
		w[i] *= mass / s
	}
	return w
}

func randCost(rng *rand.Rand, n, m int) *mat.Dense {
	c := mat.NewDense(n, m, nil)
	for i := range n {
		for j := range m {
			c.Set(i, j, rng.Float64())
		}
	}
	return c
}

func randPoints(rng *rand.Rand, n, d int, shift float64) *mat.Dense {
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for k := range d {
			x.Set(i, k, shift+rng.NormFloat64())
		}
	}
	return x
}

// primal returns ⟨C,P⟩ + ε KL(P|a⊗b) + τ_a KL(P1|a) + τ_b KL(Pᵀ1|b).
func primal(pb *Problem, r *Result) float64 {
	p := r.p
	pl := r.Plan()
	n, m := p.n, p.m
	var v float64
	rows, cols := make([]float64, n), make([]float64, m)
	for i := range n {
		for j := range m {
			pij := pl.At(i, j)
			rows[i] += pij
			cols[j] += pij
			v += pij * p.geom.at(i, j)
			ref := p.a[i] * p.b[j]
			v += p.eps * kl(pij, ref)
		}
	}
	if !math.IsInf(p.tauA, 1) {
		for i := range n {
			v += p.tauA * kl(rows[i], p.a[i])
		}
	}
	if !math.IsInf(p.tauB, 1) {
		for j := range m {
			v += p.tauB * kl(cols[j], p.b[j])
		}
	}
	return v
}

func kl(x, y float64) float64 {
	if x == 0 {
		return y
	}
	return x*math.Log(x/y) - x + y
}

func allSettings() map[string]*Settings {
	return map[string]*Settings{
		"log":              {Mode: LogDomain, Tol: 1e-12},
		"kernel":           {Mode: Kernel, Tol: 1e-12},
		"log-scaling":      {Mode: LogDomain, Tol: 1e-12, EpsilonScaling: 0.5},
		"kernel-momentum":  {Mode: Kernel, Tol: 1e-12, Momentum: 1.5},
		"log-adaptive":     {Mode: LogDomain, Tol: 1e-12, AdaptiveMomentum: true, AdaptiveStart: 5},
		"kernel-anderson":  {Mode: Kernel, Tol: 1e-12, Anderson: 5},
		"log-L1-check3":    {Mode: LogDomain, Tol: 1e-12, Norm: L1, CheckEvery: 3},
		"kernel-Linf-2w":   {Mode: Kernel, Tol: 1e-12, Norm: LInf, Workers: 2},
		"kernel-scaling-a": {Mode: Kernel, Tol: 1e-12, EpsilonScaling: 0.3, Anderson: 4},
		"kernel-newton":    {Mode: Kernel, Tol: 1e-12, Newton: true, NewtonStart: 1e-2},
		"kernel-scaling-n": {Mode: Kernel, Tol: 1e-12, EpsilonScaling: 0.5, Newton: true},
		"log-newton":       {Mode: LogDomain, Tol: 1e-12, Newton: true, NewtonStart: 1e-2, Workers: 2},
	}
}

func TestBalancedMarginalsAndDuality(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := range 4 {
		n, m := 3+rng.IntN(6), 3+rng.IntN(6)
		pb := &Problem{Cost: randCost(rng, n, m), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1), Epsilon: 0.05 + 0.2*rng.Float64()}
		var ref *Result
		for name, s := range allSettings() {
			r, err := Solve(context.Background(), pb, s)
			require.NoError(t, err, "trial %d %s", trial, name)
			require.True(t, r.Converged)
			rows, cols := make([]float64, n), make([]float64, m)
			r.Marginals(rows, cols)
			for i := range n {
				assert.InDelta(t, pb.A[i], rows[i], 1e-10, "%s row %d", name, i)
			}
			for j := range m {
				assert.InDelta(t, pb.B[j], cols[j], 1e-10, "%s col %d", name, j)
			}
			// Strong duality: dual value = primal value of the plan.
			assert.InDelta(t, primal(pb, r), r.Cost, 1e-9, name)
			if ref == nil {
				ref = r
				continue
			}
			for i := range n {
				assert.InDelta(t, ref.F[i], r.F[i], 1e-8, "%s f", name)
			}
			for j := range m {
				assert.InDelta(t, ref.G[j], r.G[j], 1e-8, "%s g", name)
			}
		}
	}
}

func TestUnbalancedDuality(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	for trial := range 4 {
		n, m := 3+rng.IntN(5), 3+rng.IntN(5)
		pb := &Problem{Cost: randCost(rng, n, m), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1.7),
			Epsilon: 0.1, TauA: 0.5 + rng.Float64(), TauB: 0.5 + rng.Float64()}
		if trial == 3 {
			pb.TauA = 0 // semi-unbalanced: hard on rows
			pb.B = randWeights(rng, m, 0.6)
		}
		for name, s := range allSettings() {
			r, err := Solve(context.Background(), pb, s)
			require.NoError(t, err, "%d %s", trial, name)
			assert.InDelta(t, primal(pb, r), r.Cost, 1e-9, name)
			if trial == 3 {
				rows := make([]float64, n)
				r.Marginals(rows, nil)
				for i := range n {
					assert.InDelta(t, pb.A[i], rows[i], 1e-10)
				}
			}
		}
	}
}

func TestPointCloudsMatchCostMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	x, y := randPoints(rng, 9, 3, 0), randPoints(rng, 7, 3, 1)
	c := mat.NewDense(9, 7, nil)
	for i := range 9 {
		for j := range 7 {
			c.Set(i, j, SqEuclidean{}.Cost(x.RawRowView(i), y.RawRowView(j)))
		}
	}
	s := &Settings{Tol: 1e-12}
	rc, err := Solve(context.Background(), &Problem{Cost: c, Epsilon: 0.5, RelativeEpsilon: true}, s)
	require.NoError(t, err)
	for _, limit := range []int{0, 1} { // stored cost, then online blocks
		s := &Settings{Tol: 1e-12, StoreLimit: limit}
		rp, err := Solve(context.Background(), &Problem{X: x, Y: y, Epsilon: 0.5, RelativeEpsilon: true}, s)
		require.NoError(t, err)
		assert.InDelta(t, rc.Epsilon, rp.Epsilon, 1e-12)
		assert.InDelta(t, rc.Cost, rp.Cost, 1e-9)
		assert.InDelta(t, rc.TransportCost(), rp.TransportCost(), 1e-9)
		for i := range 9 {
			assert.InDelta(t, rc.F[i], rp.F[i], 1e-8)
		}
	}
	// A user cost (here the squared distance written by hand) gives the same.
	ru, err := Solve(context.Background(), &Problem{X: x, Y: y, Epsilon: 0.5, RelativeEpsilon: true, PointCost: userSq{}}, &Settings{Tol: 1e-12, StoreLimit: 1})
	require.NoError(t, err)
	assert.InDelta(t, rc.Cost, ru.Cost, 1e-9)
}

type userSq struct{}

func (userSq) Cost(x, y []float64) float64 { return SqEuclidean{}.Cost(x, y) }
func (userSq) Grad(gx, gy, x, y []float64) { SqEuclidean{}.Grad(gx, gy, x, y) }

// exactOT solves the OT linear program with gonum's simplex.
func exactOT(t *testing.T, c *mat.Dense, a, b []float64) float64 {
	n, m := c.Dims()
	cost := make([]float64, n*m)
	for i := range n {
		for j := range m {
			cost[i*m+j] = c.At(i, j)
		}
	}
	// Row sums and all but the last column sum (the last is implied).
	rows := n + m - 1
	A := mat.NewDense(rows, n*m, nil)
	rhs := make([]float64, rows)
	for i := range n {
		for j := range m {
			A.Set(i, i*m+j, 1)
		}
		rhs[i] = a[i]
	}
	for j := 0; j < m-1; j++ {
		for i := range n {
			A.Set(n+j, i*m+j, 1)
		}
		rhs[n+j] = b[j]
	}
	opt, _, err := lp.Simplex(cost, A, rhs, 1e-12, nil)
	require.NoError(t, err)
	return opt
}

func TestConvergesToExactOT(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	for trial := range 3 {
		n, m := 4+rng.IntN(3), 3+rng.IntN(4)
		c := randCost(rng, n, m)
		a, b := randWeights(rng, n, 1), randWeights(rng, m, 1)
		exact := exactOT(t, c, a, b)
		prevGap := math.Inf(1)
		for _, eps := range []float64{1e-1, 1e-2, 1e-3, 1e-4} {
			for _, mode := range []Mode{LogDomain, Kernel} {
				r, err := Solve(context.Background(), &Problem{Cost: c, A: a, B: b, Epsilon: eps},
					&Settings{Mode: mode, Tol: 1e-11, EpsilonScaling: 0.5, MaxIter: 200000})
				require.NoError(t, err, "trial %d ε %v %v", trial, eps, mode)
				tc := r.TransportCost()
				require.False(t, math.IsNaN(tc))
				gap := tc - exact
				// ⟨C,P⟩ ≥ OT and → OT as ε → 0 (bias O(ε log nm)).
				assert.GreaterOrEqual(t, gap, -1e-9)
				assert.LessOrEqual(t, gap, 2*eps*math.Log(float64(n*m))+1e-9, "ε %v", eps)
				if mode == LogDomain {
					assert.LessOrEqual(t, gap, prevGap+1e-9)
					prevGap = gap
				}
			}
		}
		assert.Less(t, prevGap, 1e-6)
	}
}

// Uniform n×n: OT is the best assignment /n, brute force over permutations.
func TestAssignmentBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	n := 6
	c := randCost(rng, n, n)
	best := math.Inf(1)
	perm := []int{0, 1, 2, 3, 4, 5}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			var s float64
			for i, j := range perm {
				s += c.At(i, j)
			}
			best = min(best, s/float64(n))
			return
		}
		for i := k; i < n; i++ {
			perm[k], perm[i] = perm[i], perm[k]
			rec(k + 1)
			perm[k], perm[i] = perm[i], perm[k]
		}
	}
	rec(0)
	r, err := Solve(context.Background(), &Problem{Cost: c, Epsilon: 1e-4}, &Settings{Mode: LogDomain, EpsilonScaling: 0.5, MaxIter: 100000})
	require.NoError(t, err)
	assert.InDelta(t, best, r.TransportCost(), 1e-5)
	for _, v := range append(r.F, r.G...) {
		require.False(t, math.IsNaN(v))
	}
}

func TestBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	c := randCost(rng, 3, 4)
	nanC := mat.DenseCopyOf(c)
	nanC.Set(1, 2, math.NaN())
	infC := mat.DenseCopyOf(c)
	infC.Set(0, 0, math.Inf(1))
	cases := []struct {
		name string
		pb   Problem
		s    *Settings
		want error
	}{
		{"negative a", Problem{Cost: c, A: []float64{0.5, 0.6, -0.1}, Epsilon: 1}, nil, ErrNegativeWeight},
		{"NaN b", Problem{Cost: c, B: []float64{0.5, math.NaN(), 0.2, 0.3}, Epsilon: 1}, nil, ErrNaN},
		{"mass mismatch", Problem{Cost: c, A: []float64{0.5, 0.5, 0.5}, Epsilon: 1}, nil, ErrMassMismatch},
		{"NaN cost", Problem{Cost: nanC, Epsilon: 1}, nil, ErrNaN},
		{"Inf cost", Problem{Cost: infC, Epsilon: 1}, nil, ErrNaN},
		{"zero eps", Problem{Cost: c, Epsilon: 0}, nil, ErrEpsilon},
		{"negative eps", Problem{Cost: c, Epsilon: -1}, nil, ErrEpsilon},
		{"NaN eps", Problem{Cost: c, Epsilon: math.NaN()}, nil, ErrEpsilon},
		{"zero mass", Problem{Cost: c, A: []float64{0, 0, 0}, Epsilon: 1}, nil, ErrZeroMass},
		{"short a", Problem{Cost: c, A: []float64{1}, Epsilon: 1}, nil, ErrDims},
		{"no input", Problem{Epsilon: 1}, nil, ErrDims},
		{"negative tau", Problem{Cost: c, Epsilon: 1, TauA: -1}, nil, ErrInvalid},
		{"bad momentum", Problem{Cost: c, Epsilon: 1}, &Settings{Momentum: 2.5}, ErrInvalid},
		{"anderson+momentum", Problem{Cost: c, Epsilon: 1}, &Settings{Momentum: 1.5, Anderson: 3}, ErrInvalid},
		{"NaN point", Problem{X: mat.NewDense(2, 1, []float64{0, math.NaN()}), Y: mat.NewDense(2, 1, []float64{0, 1}), Epsilon: 1}, nil, ErrNaN},
		{"dims points", Problem{X: mat.NewDense(2, 1, nil), Y: mat.NewDense(2, 2, nil), Epsilon: 1}, nil, ErrDims},
		{"bad init", Problem{Cost: c, Epsilon: 1}, &Settings{WarmStart: &Start{F: []float64{1}}}, ErrDims},
	}
	for _, tc := range cases {
		r, err := Solve(context.Background(), &tc.pb, tc.s)
		assert.ErrorIs(t, err, tc.want, tc.name)
		assert.Nil(t, r, tc.name)
	}
	// Not converged: best iterate returned with the error.
	r, err := Solve(context.Background(), &Problem{Cost: c, Epsilon: 0.001}, &Settings{MaxIter: 3})
	require.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, r)
	assert.False(t, r.Converged)
	assert.Len(t, r.Errors, 3)
}

// Newton steps on a problem where plain Sinkhorn is slow: same solution,
// far fewer iterations.
func TestNewtonSmallEpsilon(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	x, y := randPoints(rng, 60, 3, 0), randPoints(rng, 50, 3, 1)
	pb := &Problem{X: x, Y: y, Epsilon: 0.002, RelativeEpsilon: true}
	plain, err := Solve(context.Background(), pb, &Settings{Mode: Kernel, EpsilonScaling: 0.5, MaxIter: 200000})
	require.NoError(t, err)
	newton, err := Solve(context.Background(), pb, &Settings{Mode: Kernel, EpsilonScaling: 0.5, Newton: true})
	require.NoError(t, err)
	logNewton, err := Solve(context.Background(), pb, &Settings{Mode: LogDomain, EpsilonScaling: 0.5, Newton: true, StoreLimit: 1})
	require.NoError(t, err)
	assert.Less(t, logNewton.Iterations, plain.Iterations/3)
	assert.InDelta(t, plain.Cost, logNewton.Cost, 1e-9*math.Abs(plain.Cost))
	assert.Less(t, newton.Iterations, plain.Iterations/3)
	assert.InDelta(t, plain.Cost, newton.Cost, 1e-9*math.Abs(plain.Cost))
	for i := range plain.F {
		assert.InDelta(t, plain.F[i], newton.F[i], 1e-4*plain.Epsilon)
	}
	t.Logf("iterations: plain %d, newton %d", plain.Iterations, newton.Iterations)
}

// Over-relaxation far from the solution can diverge; the safeguard falls
// back to plain iterations.
func TestMomentumSafeguard(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	x, y := randPoints(rng, 80, 5, 0), randPoints(rng, 80, 5, 1)
	pb := &Problem{X: x, Y: y, Epsilon: 0.01, RelativeEpsilon: true}
	r, err := Solve(context.Background(), pb, &Settings{Momentum: 1.95, Tol: 1e-6, MaxIter: 50000})
	require.NoError(t, err)
	for _, e := range r.Errors {
		require.False(t, math.IsNaN(e))
	}
	plain, err := Solve(context.Background(), pb, &Settings{Tol: 1e-6, MaxIter: 50000})
	require.NoError(t, err)
	assert.InDelta(t, plain.Cost, r.Cost, 1e-6*math.Abs(plain.Cost))
	t.Logf("iterations: plain %d, ω=1.95 %d (max error %.3g)", plain.Iterations, r.Iterations, maxOf(r.Errors))
}

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

func TestSmallEpsilonNoUnderflow(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	c := randCost(rng, 20, 15)
	c.Scale(100, c) // C/ε up to 1e6: e^{-C/ε} underflows everywhere
	for _, mode := range []Mode{LogDomain, Kernel} {
		r, err := Solve(context.Background(), &Problem{Cost: c, Epsilon: 1e-4, RelativeEpsilon: true}, &Settings{Mode: mode, Tol: 1e-8, EpsilonScaling: 0.5, MaxIter: 100000})
		require.NoError(t, err, mode)
		for _, v := range append(append([]float64(nil), r.F...), r.G...) {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0))
		}
		require.False(t, math.IsNaN(r.Cost))
		rows := make([]float64, 20)
		r.Marginals(rows, nil)
		for _, v := range rows {
			assert.InDelta(t, 1.0/20, v, 1e-7)
		}
	}
}

func TestContextCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	c := randCost(rng, 50, 50)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Solve(ctx, &Problem{Cost: c, Epsilon: 1e-3}, nil)
	require.ErrorIs(t, err, context.Canceled)
}

func TestWarmStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	c := randCost(rng, 30, 40)
	pb := &Problem{Cost: c, Epsilon: 0.02}
	cold, err := Solve(context.Background(), pb, &Settings{Mode: LogDomain})
	require.NoError(t, err)
	c2 := mat.DenseCopyOf(c)
	c2.Set(0, 0, c.At(0, 0)+0.01)
	cold2, err := Solve(context.Background(), &Problem{Cost: c2, Epsilon: 0.02}, &Settings{Mode: LogDomain})
	require.NoError(t, err)
	warm, err := Solve(context.Background(), &Problem{Cost: c2, Epsilon: 0.02}, &Settings{Mode: LogDomain, WarmStart: &Start{F: cold.F, G: cold.G}})
	require.NoError(t, err)
	assert.Less(t, warm.Iterations, cold2.Iterations/2)
	assert.InDelta(t, cold2.Cost, warm.Cost, 1e-10)
	onlyG, err := Solve(context.Background(), &Problem{Cost: c2, Epsilon: 0.02}, &Settings{Mode: Kernel, WarmStart: &Start{G: cold.G}})
	require.NoError(t, err)
	assert.Less(t, onlyG.Iterations, cold2.Iterations/2)
}

func TestBatchDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 1))
	var pbs []*Problem
	for range 7 {
		pbs = append(pbs, &Problem{Cost: randCost(rng, 20+rng.IntN(10), 25), Epsilon: 0.05})
	}
	res, err := SolveBatch(context.Background(), pbs, nil)
	require.NoError(t, err)
	for k, pb := range pbs {
		one, err := Solve(context.Background(), pb, &Settings{Workers: 1})
		require.NoError(t, err)
		assert.Equal(t, one.F, res[k].F)
		assert.Equal(t, one.Cost, res[k].Cost)
	}
	// One big problem: the same bits with 1 and 2 workers.
	big := &Problem{Cost: randCost(rng, 120, 100), Epsilon: 0.05}
	for _, mode := range []Mode{LogDomain, Kernel} {
		r1, err := Solve(context.Background(), big, &Settings{Mode: mode, Workers: 1})
		require.NoError(t, err)
		r2, err := Solve(context.Background(), big, &Settings{Mode: mode, Workers: 2})
		require.NoError(t, err)
		assert.Equal(t, r1.F, r2.F, mode)
		assert.Equal(t, r1.G, r2.G, mode)
	}
	// Plan reductions too (several row chunks).
	pts := &Problem{X: randPoints(rng, 600, 3, 0), Y: randPoints(rng, 90, 3, 1), Epsilon: 0.1, RelativeEpsilon: true}
	r1, err := Solve(context.Background(), pts, &Settings{Workers: 1})
	require.NoError(t, err)
	r2, err := Solve(context.Background(), pts, &Settings{Workers: 2})
	require.NoError(t, err)
	g1, g2 := r1.CostGrad(), r2.CostGrad()
	assert.Equal(t, g1.Y.RawMatrix().Data, g2.Y.RawMatrix().Data)
	assert.Equal(t, g1.B, g2.B)
}

func TestDivergence(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	x := randPoints(rng, 12, 2, 0)
	d, _, err := Divergence(context.Background(), &Problem{X: x, Y: x, Epsilon: 0.5}, &Settings{Tol: 1e-12, Anderson: 5})
	require.NoError(t, err)
	assert.InDelta(t, 0, d, 1e-10)
	prev := 0.0
	for _, shift := range []float64{0.5, 1, 2} {
		y := mat.DenseCopyOf(x)
		for i := range 12 {
			y.Set(i, 0, y.At(i, 0)+shift)
		}
		d, _, err := Divergence(context.Background(), &Problem{X: x, Y: y, Epsilon: 0.5}, &Settings{Tol: 1e-12, Anderson: 5})
		require.NoError(t, err)
		// A translation by v: S_ε = ‖v‖² exactly for the squared cost.
		assert.InDelta(t, shift*shift, d, 1e-8)
		assert.Greater(t, d, prev)
		prev = d
	}
	_, _, err = Divergence(context.Background(), &Problem{Cost: randCost(rng, 3, 3), Epsilon: 0.1}, nil)
	assert.ErrorIs(t, err, ErrNoPoints)
}

// A zero weight removes its point: same cost as the reduced problem.
func TestZeroWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	c := randCost(rng, 5, 4)
	a := []float64{0.3, 0, 0.2, 0.5, 0}
	b := []float64{0.25, 0.25, 0, 0.5}
	red := mat.NewDense(3, 3, nil)
	for ri, i := range []int{0, 2, 3} {
		for rj, j := range []int{0, 1, 3} {
			red.Set(ri, rj, c.At(i, j))
		}
	}
	want, err := Solve(context.Background(), &Problem{Cost: red, A: []float64{0.3, 0.2, 0.5}, B: []float64{0.25, 0.25, 0.5}, Epsilon: 0.1}, &Settings{Tol: 1e-12})
	require.NoError(t, err)
	for _, mode := range []Mode{LogDomain, Kernel} {
		r, err := Solve(context.Background(), &Problem{Cost: c, A: a, B: b, Epsilon: 0.1}, &Settings{Mode: mode, Tol: 1e-12})
		require.NoError(t, err, mode)
		assert.InDelta(t, want.Cost, r.Cost, 1e-10, mode)
		rows := make([]float64, 5)
		r.Marginals(rows, nil)
		for i := range a {
			assert.InDelta(t, a[i], rows[i], 1e-10)
		}
		g := r.CostGrad()
		for _, v := range append(append([]float64(nil), g.A...), g.B...) {
			assert.False(t, math.IsNaN(v))
		}
	}
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rng := rand.New(rand.NewPCG(14, 1))
	_, err := Solve(context.Background(), &Problem{Cost: randCost(rng, 5, 6), Epsilon: 0.05}, &Settings{EpsilonScaling: 0.5, Logger: lg})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "sinkhorn stage")
	assert.GreaterOrEqual(t, strings.Count(buf.String(), "sinkhorn stage"), 2)
}

func TestErrorsAreWrapped(t *testing.T) {
	_, err := Solve(context.Background(), &Problem{Cost: mat.NewDense(2, 2, []float64{0, 1, 1, 0}), Epsilon: -1}, nil)
	require.True(t, errors.Is(err, ErrEpsilon))
	require.Contains(t, err.Error(), "sinkhorn:")
}

// TestFirstNonFinite checks the blocked finiteness scan against the plain
// loop: every position of NaN, ±Inf in slices of lengths 0–19, with −0
// and huge finite values elsewhere.
func TestFirstNonFinite(t *testing.T) {
	for n := range 20 {
		x := make([]float64, n)
		for i := range x {
			x[i] = []float64{-0.0, 1e308, -1e308, 3}[i%4]
		}
		require.Equal(t, -1, firstNonFinite(x), "n=%d", n)
		for k := range n {
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				y := append([]float64(nil), x...)
				y[k] = bad
				if k+3 < n {
					y[k+3] = math.NaN()
				}
				require.Equal(t, k, firstNonFinite(y), "n=%d k=%d %v", n, k, bad)
			}
		}
	}
}

// TestLazyMeanCost checks that the mean cost an ε schedule starts from is
// the same whether prepare computed it (RelativeEpsilon) or solve did.
func TestLazyMeanCost(t *testing.T) {
	c := psinkCost(40, 3, 7)
	p, err := prepare(&Problem{Cost: c, Epsilon: 0.05}, 0)
	require.NoError(t, err)
	require.True(t, p.meanLazy)
	q, err := prepare(&Problem{Cost: c, Epsilon: 0.05, RelativeEpsilon: true}, 0)
	require.NoError(t, err)
	require.False(t, q.meanLazy)
	require.Equal(t, q.meanCost, p.mean())
	var s float64
	for i := range 40 {
		for j := range 40 {
			s += c.At(i, j)
		}
	}
	require.Equal(t, s/1600, p.mean())
}

// TestKernelPoolReuse checks that a kernel buffer handed back by one
// solve and reused (with stale entries) by the next changes no bit of the
// next result, for problems of a larger, a smaller and the same size.
func TestKernelPoolReuse(t *testing.T) {
	ctx := context.Background()
	set := &Settings{Mode: Kernel, Workers: 2}
	small := &Problem{Cost: psinkCost(20, 3, 11), Epsilon: 0.1}
	fresh, err := Solve(ctx, small, set)
	require.NoError(t, err)
	for _, n := range []int{30, 20, 10} {
		_, err := Solve(ctx, &Problem{Cost: psinkCost(n, 3, uint64(n)), Epsilon: 0.1}, set)
		require.NoError(t, err)
		again, err := Solve(ctx, small, set)
		require.NoError(t, err)
		require.Equal(t, fresh.F, again.F, "after n=%d", n)
		require.Equal(t, fresh.G, again.G, "after n=%d", n)
		require.Equal(t, fresh.Iterations, again.Iterations)
	}
}
