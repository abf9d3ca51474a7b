package pto

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers/nn"
)

func TestMOMBasisAndGradient(t *testing.T) {
	g, d := spData(t, 20, 21)
	l, err := NewMOM(context.Background(), g, d, 0)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < d.Len(); i++ {
		// the basis is optimal at the true cost: reduced costs ≥ 0 and it
		// contains the path
		r := make([]float64, 40-24)
		l.ReducedCosts(r, d.C.RawRowView(i), i)
		for _, v := range r {
			assert.GreaterOrEqual(t, v, -1e-12)
		}
		inB := map[int]bool{}
		for _, j := range l.basis[i] {
			inB[j] = true
		}
		for k := 0; k < 40; k++ {
			if d.W.At(i, k) == 1 {
				assert.True(t, inB[k])
			}
		}
		// reduced costs agree with potentials on the tree: r_uv = c_uv + π_u − π_v
		chat := randVec(rng, 40, 1)
		l.ReducedCosts(r, chat, i)
		pi := make([]float64, 25)
		arcs := g.Arcs()
		for _, j := range l.basis[i] { // tree arcs are listed in topological order of heads
			pi[arcs[j][1]] = pi[arcs[j][0]] + chat[j]
		}
		for k, j := range l.non[i] {
			assert.InDelta(t, chat[j]+pi[arcs[j][0]]-pi[arcs[j][1]], r[k], 1e-12)
		}
		lossFD(t, l, d, i, chat, 1e-6)
		// zero loss at a large multiple of the true cost
		c := d.C.RawRowView(i)
		big := make([]float64, 40)
		for k := range big {
			big[k] = 1e6 * c[k]
		}
		v, err := l.Eval(context.Background(), make([]float64, 40), big, d, i, nil)
		require.NoError(t, err)
		// continuous costs have no ties: every margin is met at a large multiple
		assert.Equal(t, 0.0, v)
	}
	_, d2 := spData(t, 5, 22)
	_, err = l.Eval(context.Background(), make([]float64, 40), make([]float64, 40), d2, 0, nil)
	assert.ErrorIs(t, err, ErrInvalid)
}

// Inverse LP: from one observed optimal path, MOM with a constant feature
// finds costs under which that path is the unique optimum.
func TestMOMInverseLP(t *testing.T) {
	g := ShortestPath{5, 5}
	rng := rand.New(rand.NewPCG(3, 3))
	for trial := 0; trial < 5; trial++ {
		c := randVec(rng, 40, 2)
		for k := range c {
			c[k] = math.Abs(c[k])
		}
		d, err := NewDataset(context.Background(), g, mat.NewDense(1, 1, []float64{1}), mat.NewDense(1, 40, c), &Settings{Workers: 1})
		require.NoError(t, err)
		l, err := NewMOM(context.Background(), g, d, 1)
		require.NoError(t, err)
		m, err := nn.NewLinear(1, 40, rand.New(rand.NewPCG(uint64(trial), 5)))
		require.NoError(t, err)
		res, err := Train(context.Background(), m, l, d, &TrainSettings{Epochs: 300, Optimizer: &nn.Adam{LearningRate: 0.05}})
		require.NoError(t, err)
		assert.Equal(t, 0.0, res.Losses[len(res.Losses)-1])
		chat := make([]float64, 40)
		m.Predict(chat, []float64{1})
		w := make([]float64, 40)
		_, err = g.Solve(context.Background(), w, chat)
		require.NoError(t, err)
		assert.Equal(t, d.W.RawRowView(0), w)
	}
}

// MOM learns the PyEPO shortest-path task: test regret well below an
// untrained model's.
func TestMOMTrains(t *testing.T) {
	g, d := spData(t, 600, 23)
	train, test := d.Split(400)
	l, err := NewMOM(context.Background(), g, train, 1)
	require.NoError(t, err)
	m, _ := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
	r0, _ := ModelRegret(context.Background(), g, m, test, nil)
	_, err = Train(context.Background(), m, l, train, &TrainSettings{Epochs: 10, Optimizer: &nn.Adam{LearningRate: 0.01, WeightDecay: 1e-3}})
	require.NoError(t, err)
	r1, err := ModelRegret(context.Background(), g, m, test, nil)
	require.NoError(t, err)
	assert.Less(t, r1, 0.15)
	assert.Less(t, r1, 0.5*r0)
}

// SurCo-zero on a risk-averse shortest path, f(w) = aᵀw + κ(bᵀw)², checked
// against enumeration of all 70 paths.
func TestSurCoZero(t *testing.T) {
	g := ShortestPath{5, 5}
	paths := allPaths(g)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, sm := range []Smoothing{Interpolation, Perturbation, QuadraticRelaxation} {
		gaps := 0.0
		for trial := 0; trial < 6; trial++ {
			a := randVec(rng, 40, 0)
			b := randVec(rng, 40, 0)
			for k := range a {
				a[k] = 1 + 0.3*math.Abs(a[k])
			}
			f := func(grad, w []float64) float64 {
				s := dot(b, w)
				if grad != nil {
					for k := range grad {
						grad[k] = a[k] + 2*s*b[k]
					}
				}
				return dot(a, w) + s*s
			}
			best := math.Inf(1)
			for _, p := range paths {
				best = min(best, f(nil, p))
			}
			wa := make([]float64, 40)
			_, _ = g.Solve(context.Background(), wa, a)
			linear := f(nil, wa)
			res, err := SurCoZero(context.Background(), g, f, nil, &SurCoSettings{Smoothing: sm, Iterations: 150, Seed: uint64(trial), Sigma: 0.3, Samples: 20, Mu: 0.3})
			require.NoError(t, err)
			assert.InDelta(t, f(nil, res.Solution), res.Value, 1e-12)
			assert.LessOrEqual(t, res.Value, linear+1e-12)
			w := make([]float64, 40)
			_, _ = g.Solve(context.Background(), w, res.Cost)
			assert.InDelta(t, res.Value, f(nil, w), 1e-12)
			gaps += (res.Value - best) / math.Abs(best)
		}
		t.Logf("smoothing %v: gap %.4f", sm, gaps/6)
		// measured: interpolation 1.5%, perturbation 3.4%, quadratic
		// relaxation (μ = 0.3) 6.2%
		limit := 0.05
		if sm == QuadraticRelaxation {
			limit = 0.1
		}
		assert.Less(t, gaps/6, limit, "smoothing %v: mean relative gap to the enumerated optimum", sm)
	}
}

// SurCo-prior: a model trained across instances predicts surrogate costs
// whose solutions beat solving the linear part alone.
func TestSurCoPrior(t *testing.T) {
	g, d := spData(t, 300, 24)
	train, test := d.Split(200)
	kappa := 0.5
	obj := func(d *Dataset, i int) Objective {
		c := d.C.RawRowView(i)
		return func(grad, w []float64) float64 {
			s := dot(c, w)
			if grad != nil {
				for k := range grad {
					grad[k] = c[k] + 2*kappa*w[k]*c[k]*c[k]
				}
			}
			q := 0.0
			for k := range w {
				q += c[k] * c[k] * w[k] * w[k]
			}
			return s + kappa*q
		}
	}
	m, _ := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
	_, err := Train(context.Background(), m, SurCo{Oracle: g, Objectives: obj, Settings: surcoTestSettings}, train, &TrainSettings{Epochs: 30})
	require.NoError(t, err)
	// on binary w the objective equals Σ (c + κc²)_k w_k: its exact
	// optimum is the shortest path under c + κc².
	learned, untrained, best := 0.0, 0.0, 0.0
	chat, _ := Predict(m, test)
	m0, _ := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
	chat0, _ := Predict(m0, test)
	w := make([]float64, 40)
	q := make([]float64, 40)
	for i := 0; i < test.Len(); i++ {
		f := obj(test, i)
		_, _ = g.Solve(context.Background(), w, chat.RawRowView(i))
		learned += f(nil, w)
		_, _ = g.Solve(context.Background(), w, chat0.RawRowView(i))
		untrained += f(nil, w)
		for k, v := range test.C.RawRowView(i) {
			q[k] = v + kappa*v*v
		}
		_, _ = g.Solve(context.Background(), w, q)
		best += f(nil, w)
	}
	m2, _ := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
	_, err = Train(context.Background(), m2, MSE{}, train, &TrainSettings{Epochs: 60})
	require.NoError(t, err)
	chat2, _ := Predict(m2, test)
	twoStage := 0.0
	for i := 0; i < test.Len(); i++ {
		_, _ = g.Solve(context.Background(), w, chat2.RawRowView(i))
		twoStage += obj(test, i)(nil, w)
	}
	t.Logf("two-stage %.2f", twoStage)
	t.Logf("SurCo-prior: learned %.2f, untrained %.2f, optimum %.2f", learned, untrained, best)
	assert.Less(t, learned, 1.5*best)
	assert.Less(t, learned-best, 0.5*(untrained-best))
}

var surcoTestSettings = &SurCoSettings{Smoothing: Perturbation, Sigma: 0.5, Samples: 4}
