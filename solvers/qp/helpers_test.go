package qp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randomQP draws the P-QP benchmark instance: Q = LLᵀ/n + 0.1 I, p, G
// Gaussian, h = G z0 + s with s ~ U(0.1, 1.1), and neq equality
// constraints A z0 = b.
func randomQP(rng *rand.Rand, n, neq, m int) *Problem {
	l := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			l.Set(i, j, rng.NormFloat64())
		}
	}
	q := mat.NewSymDense(n, nil)
	q.SymOuterK(1/float64(n), l)
	for i := range n {
		q.SetSym(i, i, q.At(i, i)+0.1)
	}
	pb := &Problem{Q: q, P: randVec(rng, n)}
	z0 := randVec(rng, n)
	if m > 0 {
		g := mat.NewDense(m, n, randVec(rng, m*n))
		h := make([]float64, m)
		for i := range m {
			h[i] = mat.Dot(g.RowView(i), mat.NewVecDense(n, z0)) + 0.1 + rng.Float64()
		}
		pb.G, pb.H = g, h
	}
	if neq > 0 {
		a := mat.NewDense(neq, n, randVec(rng, neq*n))
		b := make([]float64, neq)
		for i := range neq {
			b[i] = mat.Dot(a.RowView(i), mat.NewVecDense(n, z0))
		}
		pb.A, pb.B = a, b
	}
	return pb
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// lowRankWithBox replaces Q by a random PSD matrix of the given rank (nil
// for rank 0: an LP) and appends the box −bound ≤ x ≤ bound to G, h so
// that the problem stays bounded.
func lowRankWithBox(rng *rand.Rand, pb *Problem, rank int, bound float64) {
	n, _, m := pb.Dims()
	pb.Q = nil
	if rank > 0 {
		f := mat.NewDense(n, rank, randVec(rng, n*rank))
		q := mat.NewSymDense(n, nil)
		q.SymOuterK(1/float64(rank), f)
		pb.Q = q
	}
	g := mat.NewDense(m+2*n, n, nil)
	if m > 0 {
		g.Slice(0, m, 0, n).(*mat.Dense).Copy(pb.G)
	}
	h := append(append([]float64(nil), pb.H...), make([]float64, 2*n)...)
	for j := range n {
		g.Set(m+j, j, 1)
		g.Set(m+n+j, j, -1)
		h[m+j], h[m+n+j] = bound, bound
	}
	pb.G, pb.H = g, h
}

// checkWarmStart solves pb, perturbs p slightly, and checks that a warm
// start from the old solution (in the user's units) reaches the new one in
// no more iterations than a cold start.
func checkWarmStart(t *testing.T, rng *rand.Rand, pb *Problem) {
	t.Helper()
	cold, err := Solve(context.Background(), pb, nil)
	require.NoError(t, err)
	for i := range pb.P {
		pb.P[i] += 1e-3 * rng.NormFloat64()
	}
	ws := &Settings{WarmStart: &Start{X: cold.X, Nu: cold.Nu, Lambda: cold.Lambda, Slack: cold.Slack}}
	warm, err := Solve(context.Background(), pb, ws)
	require.NoError(t, err)
	ref, err := Solve(context.Background(), pb, nil)
	require.NoError(t, err)
	require.Less(t, maxAbsDiff(warm.X, ref.X), 1e-7)
	require.Less(t, maxAbsDiff(warm.Lambda, ref.Lambda), 1e-6*math.Max(1, normInf(ref.Lambda)))
	require.LessOrEqual(t, warm.Iterations, ref.Iterations)
}
