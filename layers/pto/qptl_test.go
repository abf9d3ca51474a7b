package pto

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"

	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/layers/nn"
	"github.com/optlayers/optlayers/solvers/qp"
)

// The QP layer inside a pipeline: the gradient of the mean QPTL loss of a
// batch with respect to the parameters of an MLP (features → costs → QP
// → regret) against central finite differences, on the shortest path
// (minimization) and the knapsack relaxation (maximization).
func TestQPTLPipelineFD(t *testing.T) {
	g, d := spData(t, 6, 31)
	k, kd := knapData(t, 6, 32)
	set := &qp.Settings{Tol: 1e-10, MaxIter: 50}
	for _, tc := range []struct {
		o  Polyhedral
		d  *Dataset
		mu float64
	}{{g, d, 1}, {g, d, 0.3}, {k, kd, 2}} {
		_, dim := tc.d.C.Dims()
		m, err := nn.NewMLP([]int{5, 6, dim}, nn.Tanh, rand.New(rand.NewPCG(3, 3)))
		require.NoError(t, err)
		loss := QPTL{Oracle: tc.o, Mu: tc.mu, Settings: set}
		batch := []int{0, 1, 2, 3, 4, 5}
		grad := make([]float64, len(m.Params()))
		_, err = BatchGradient(context.Background(), grad, m, loss, tc.d, batch, 1, 1, nil)
		require.NoError(t, err, "%T mu=%g", tc.o, tc.mu)
		// directional derivatives along random directions (central differences)
		theta := m.Params()
		base := append([]float64(nil), theta...)
		rng := rand.New(rand.NewPCG(5, 5))
		worst := 0.0
		for dir := 0; dir < 4; dir++ {
			v := make([]float64, len(theta))
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			f := func(h float64) float64 {
				for i := range theta {
					theta[i] = base[i] + h*v[i]
				}
				defer copy(theta, base)
				val, err := BatchGradient(context.Background(), make([]float64, len(v)), m, loss, tc.d, batch, 1, 1, &Settings{Workers: 1})
				require.NoError(t, err)
				return val
			}
			want := fd.Derivative(f, 0, &fd.Settings{Formula: fd.Central, Step: 1e-5})
			got := dot(grad, v)
			worst = max(worst, math.Abs(want-got)/(1e-6+math.Abs(want)))
		}
		t.Logf("%T mu=%g: worst relative error %.2e", tc.o, tc.mu, worst)
		assert.Less(t, worst, 1e-4)
	}
}

// QPTL trains: on the shortest path its test regret ends well below an
// untrained model's.
func TestQPTLTrains(t *testing.T) {
	if testing.Short() {
		t.Skip("QP solves per pair")
	}
	g, d := spData(t, 200, 33)
	train, test := d.Split(100)
	m, _ := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
	r0, _ := ModelRegret(context.Background(), g, m, test, nil)
	_, err := Train(context.Background(), m, QPTL{Oracle: g}, train, &TrainSettings{Epochs: 3, BatchSize: 10})
	require.NoError(t, err)
	r1, err := ModelRegret(context.Background(), g, m, test, nil)
	require.NoError(t, err)
	assert.Less(t, r1, 0.5*r0)
}

// LayerLoss through the LP layer: with the quadratic smoothing it equals
// QPTL, with the log barrier (IntOpt) it matches finite differences, on a
// minimization and a maximization.
func TestLayerLoss(t *testing.T) {
	g, d := spData(t, 4, 61)
	k, kd := knapData(t, 4, 62)
	rng := rand.New(rand.NewPCG(6, 1))
	for _, tc := range []struct {
		o  Polyhedral
		d  *Dataset
		sh float64
	}{{g, d, 1}, {k, kd, 3}} {
		quad, err := layers.NewLP(LPTemplate(tc.o), layers.Quadratic, 1)
		require.NoError(t, err)
		bar, err := layers.NewLP(LPTemplate(tc.o), layers.Barrier, 0.1)
		require.NoError(t, err)
		_, dim := tc.d.C.Dims()
		for i := 0; i < tc.d.Len(); i++ {
			chat := randVec(rng, dim, tc.sh)
			g1 := make([]float64, dim)
			v1, err := LayerLoss{Oracle: tc.o, Layer: quad}.Eval(context.Background(), g1, chat, tc.d, i, nil)
			require.NoError(t, err)
			g2 := make([]float64, dim)
			v2, err := QPTL{Oracle: tc.o, Mu: 1}.Eval(context.Background(), g2, chat, tc.d, i, nil)
			require.NoError(t, err)
			assert.InDelta(t, v2, v1, 1e-6)
			assert.InDeltaSlice(t, g2, g1, 1e-5)
			lossFD(t, LayerLoss{Oracle: tc.o, Layer: bar}, tc.d, i, chat, 1e-4)
		}
	}
}
