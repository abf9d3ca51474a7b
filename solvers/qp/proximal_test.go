package qp

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// solveProximalOnly runs the proximal path alone on pb.
func solveProximalOnly(t *testing.T, pb *Problem, set *Settings) proxResult {
	t.Helper()
	d, err := newData(pb)
	require.NoError(t, err)
	s, err := set.orDefault()
	require.NoError(t, err)
	return newProxIPM(d, newAcceptance(&s)).run(context.Background(), s.maxIterProximal())
}

// TestProximalAgreesWithFirstPath solves random problems of every shape
// (Q ≻ 0, low rank, LP, with and without equalities) by the proximal path
// alone and by Solve: the same x, ν, λ, and residuals that pass the test.
func TestProximalAgreesWithFirstPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 26))
	for k, c := range []struct{ n, neq, m, rank int }{
		{5, 0, 8, -1}, {10, 3, 12, -1}, {30, 10, 40, -1}, {12, 4, 6, 3}, {15, 5, 10, 0}, {8, 0, 0, -1}, {9, 4, 0, -1},
	} {
		pb := randomQP(rng, c.n, c.neq, c.m)
		if c.rank >= 0 {
			lowRankWithBox(rng, pb, c.rank, 2)
		}
		for _, abs := range []bool{false, true} {
			set := &Settings{Tol: 1e-9, Absolute: abs}
			ref, err := Solve(context.Background(), pb, set)
			require.NoError(t, err, "case %d", k)
			pr := solveProximalOnly(t, pb, set)
			require.True(t, pr.ok, "case %d abs %v: proximal path did not converge: %+v", k, abs, pr.res)
			require.InDelta(t, 0, maxAbsDiff(ref.X, pr.x), 1e-6, "case %d x", k)
			if c.rank != 0 { // an LP's multipliers need not be unique
				require.InDelta(t, 0, maxAbsDiff(ref.Lambda, pr.lam), 1e-5, "case %d λ", k)
				require.InDelta(t, 0, maxAbsDiff(ref.Nu, pr.nu), 1e-5, "case %d ν", k)
			}
			require.LessOrEqual(t, pr.res.Primal, 1e-9*max(1, normInf(pb.H), normInf(pb.B)))
		}
	}
}

// TestProximalDegenerate: duplicated and dependent equality rows, a zero
// Q, and a badly scaled row, which the proximal terms and the Ruiz
// scaling are for.
func TestProximalDegenerate(t *testing.T) {
	// minimize x₁ + 2x₂ s.t. x₁ + x₂ = 1 (three times, once scaled by 1e6),
	// 0 ≤ x ≤ 1: x = (1, 0).
	a := mat.NewDense(3, 2, []float64{1, 1, 1, 1, 1e6, 1e6})
	g := mat.NewDense(4, 2, []float64{1, 0, 0, 1, -1, 0, 0, -1})
	pb := &Problem{P: []float64{1, 2}, A: a, B: []float64{1, 1, 1e6}, G: g, H: []float64{1, 1, 0, 0}}
	pr := solveProximalOnly(t, pb, &Settings{Tol: 1e-9, Absolute: true})
	require.True(t, pr.ok, "%+v", pr.res)
	require.InDeltaSlice(t, []float64{1, 0}, pr.x, 1e-8)
	sol, err := Solve(context.Background(), pb, &Settings{Tol: 1e-9, Absolute: true})
	require.NoError(t, err)
	require.InDeltaSlice(t, []float64{1, 0}, sol.X, 1e-8)
}

// TestProximalGradients differentiates solutions of the proximal path
// (the first path disabled): Backward against the engine's generic VJP,
// central differences and Tangent, on random problems with and without
// equalities.
func TestProximalGradients(t *testing.T) {
	forceProximal = true
	defer func() { forceProximal = false }()
	rng := rand.New(rand.NewPCG(20, 27))
	for _, c := range []struct{ n, neq, m int }{{6, 2, 8}, {10, 3, 12}, {12, 0, 10}, {5, 4, 3}} {
		pb := randomQP(rng, c.n, c.neq, c.m)
		checkGradients(t, rng, pb, &Settings{Tol: 1e-11}, 1e-5)
	}
}
