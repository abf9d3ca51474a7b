package pto

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/layers/nn"
	"github.com/optlayers/optlayers/solvers/lp"
)

// The LP oracle over the shortest-path polytope agrees with the DP, and the
// same pipeline trains on it (SPO+ and QPTL through its Polyhedron).
func TestLPOracle(t *testing.T) {
	g := ShortestPath{5, 5}
	A, b := g.StandardForm()
	up := make([]float64, g.Dim())
	for i := range up {
		up[i] = 1
	}
	o, err := NewLP(&lp.Problem{C: make([]float64, g.Dim()), A: A, B: b, Lower: make([]float64, g.Dim()), Upper: up}, Minimize)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 20; trial++ {
		c := randVec(rng, 40, 1)
		w := make([]float64, 40)
		z, err := o.Solve(context.Background(), w, c)
		require.NoError(t, err)
		wd := make([]float64, 40)
		zd, _ := g.Solve(context.Background(), wd, c)
		assert.InDelta(t, zd, z, 1e-7)
	}
	_, d := spData(t, 120, 41)
	train, test := d.Split(80)
	for _, l := range []Loss{SPOPlus{o}, QPTL{Oracle: o}} {
		m, _ := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
		r0, _ := ModelRegret(context.Background(), g, m, test, nil)
		_, err := Train(context.Background(), m, l, train, &TrainSettings{Epochs: 3, BatchSize: 8})
		require.NoError(t, err)
		r1, err := ModelRegret(context.Background(), g, m, test, nil)
		require.NoError(t, err)
		assert.Less(t, r1, 0.6*r0, "%T", l)
	}
	// maximization: the knapsack relaxation as an LP
	k, _ := knapData(t, 1, 5)
	_, _, G, h := k.Polyhedron()
	ko, err := NewLP(&lp.Problem{C: make([]float64, 12), G: G, H: h}, Maximize)
	require.NoError(t, err)
	c := randVec(rng, 12, 3)
	w := make([]float64, 12)
	z, err := ko.Solve(context.Background(), w, c)
	require.NoError(t, err)
	wi := make([]float64, 12)
	zi, _ := k.Solve(context.Background(), wi, c)
	assert.GreaterOrEqual(t, z, zi-1e-7) // the relaxation bounds the integer optimum
	_, err = NewLP(&lp.Problem{}, Minimize)
	assert.ErrorIs(t, err, ErrInvalid)
}
