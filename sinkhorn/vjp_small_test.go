package sinkhorn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// Small balanced point-cloud problems: the Schur complement is singular
// (S1 = 0) with a right-hand side consistent only to rounding, and CG used
// to break down (pᵀSp < 0) at the default tolerance on more than half of
// these 4×5 problems. The default VJP must succeed and match the dense
// engine and central differences.
func TestVJPSmallBalancedPointClouds(t *testing.T) {
	fails := 0
	for seed := range uint64(24) {
		rng := rand.New(rand.NewPCG(seed, 1))
		d := 1 + rng.IntN(3)
		x, y := randPoints(rng, 4, d, 0), randPoints(rng, 5, d, 0.5)
		eps := []float64{1, 0.1, 0.01}[seed%3]
		pb := &Problem{X: x, Y: y, A: []float64{.25, .25, .25, .25}, B: []float64{.2, .2, .2, .2, .2}, Epsilon: eps}
		r, err := Solve(context.Background(), pb, tight)
		require.NoError(t, err)
		gf, gg := []float64{1, 1, 1, 1}, []float64{1, 1, 1, 1, 1}
		got, err := r.Backward(gf, gg, nil)
		if err != nil {
			fails++
			t.Errorf("seed %d (d = %d, ε = %v): default VJP: %v", seed, d, eps, err)
			continue
		}
		ref, err := r.Backward(gf, gg, &DiffSettings{Implicit: &implicit.Settings{Method: implicit.DenseLU}})
		require.NoError(t, err)
		assert.InDeltaSlice(t, ref.X.RawMatrix().Data, got.X.RawMatrix().Data, 1e-7*max(1, mat.Norm(ref.X, math.Inf(1))), "seed %d X", seed)
		assert.InDeltaSlice(t, ref.Y.RawMatrix().Data, got.Y.RawMatrix().Data, 1e-7*max(1, mat.Norm(ref.Y, math.Inf(1))), "seed %d Y", seed)
		if seed%4 != 0 {
			continue // central differences on a subset: six solves each
		}
		dir := randDirection(rng, pb, true)
		want := centralFD(t, func(h float64) float64 {
			q, err := Solve(context.Background(), moved(pb, dir, h), tight)
			require.NoError(t, err)
			var s float64
			for _, v := range q.F {
				s += v
			}
			for _, v := range q.G {
				s += v
			}
			return s
		})
		assert.InDelta(t, want, along(got, dir), 1e-5*max(1, math.Abs(want)), "seed %d central differences", seed)
	}
	assert.Zero(t, fails)
}

// The dense fallback of the Schur solve (used when CG fails twice) gives
// the solution of the CG path.
func TestSchurDenseFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, tau := range []float64{0, 0.7} {
		pb := &Problem{X: randPoints(rng, 6, 2, 0), Y: randPoints(rng, 4, 2, 0.3), Epsilon: 0.2, TauA: tau, TauB: tau}
		r, err := Solve(context.Background(), pb, tight)
		require.NoError(t, err)
		c := r.ConditionWith(nil)
		dx, _, err := c.Linearize(r.Potentials(), c.Theta())
		require.NoError(t, err)
		h := dx.(*Hessian)
		rhs := make([]float64, 10)
		for i := range rhs {
			rhs[i] = rng.NormFloat64()
		}
		want := make([]float64, 10)
		require.NoError(t, h.Solve(want, rhs))
		h.diff.MaxIter = 1 // both CG attempts fail: dense path
		got := make([]float64, 10)
		require.NoError(t, h.Solve(got, rhs))
		assert.InDeltaSlice(t, want, got, 1e-8, "τ = %v", tau)
		// And it solves H x = rhs.
		hx := make([]float64, 10)
		h.Apply(hx, got)
		assert.InDeltaSlice(t, rhs, hx, 1e-8, "τ = %v residual", tau)
	}
}
