package convex

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Solve, SolveParams and SolveBatch (concurrent goroutines; run with
// -race) reuse one cone.Prepared per worker count and give the result of
// cone.Solve on the canonical program bit for bit, on an exponential-cone
// and a second-order-cone model.
func TestPreparedBatchMatchesConeSolve(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		mk   func() (*Problem, func(*rand.Rand) []float64)
	}{
		{"exp", func() (*Problem, func(*rand.Rand) []float64) { return benchModelExp(12, 3) }},
		{"socp", func() (*Problem, func(*rand.Rand) []float64) { return benchModel(12, 5) }},
	} {
		pb, draw := c.mk()
		rng := rand.New(rand.NewPCG(16, 7))
		ths := make([][]float64, 6)
		for i := range ths {
			ths[i] = draw(rng)
		}
		want := func(th []float64, workers int) *cone.Solution {
			cp, err := pb.ConeProblem(th)
			require.NoError(t, err)
			sol, err := cone.Solve(ctx, cp, &cone.Settings{Workers: workers})
			require.NoError(t, err, c.name)
			return sol
		}
		same := func(w, g *cone.Solution, name string) {
			t.Helper()
			require.NotNil(t, g, name)
			assert.Equal(t, w.X, g.X, name)
			assert.Equal(t, w.Y, g.Y, name)
			assert.Equal(t, w.S, g.S, name)
			assert.Equal(t, w.Iterations, g.Iterations, name)
		}
		sols, err := pb.SolveBatch(ctx, ths, &Settings{Workers: 3})
		require.NoError(t, err, c.name)
		for i, th := range ths {
			same(want(th, 1), sols[i].cs, c.name+"/batch")
		}
		for _, th := range ths[:2] {
			sol, err := pb.SolveParams(ctx, th, nil)
			require.NoError(t, err, c.name)
			same(want(th, 0), sol.cs, c.name+"/params")
		}
		pb.prep.mu.Lock()
		_, ok1 := pb.prep.m[1]
		_, okN := pb.prep.m[runtime.GOMAXPROCS(0)]
		pb.prep.mu.Unlock()
		assert.True(t, ok1 && okN, "%s: one Prepared per worker count", c.name)
	}
}
