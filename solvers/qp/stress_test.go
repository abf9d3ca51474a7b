package qp

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// TestStressMixed solves random problems of mixed kinds (PD and
// rank-deficient Q, LPs, badly scaled p; with and without equalities) and
// requires convergence and a backward pass for every one.
func TestStressMixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 4))
	for trial := range 40 {
		n := 5 + rng.IntN(50)
		m := rng.IntN(3 * n)
		neq := rng.IntN(n/2 + 1)
		pb := randomQP(rng, n, neq, m)
		kind := trial % 4
		switch kind {
		case 1: // LP with box
			pb.Q = nil
		case 2: // rank-deficient Q
			r := 1 + rng.IntN(n)
			l := mat.NewDense(n, r, randVec(rng, n*r))
			q := mat.NewSymDense(n, nil)
			q.SymOuterK(1, l)
			pb.Q = q
		case 3: // scaled data
			for i := range pb.P {
				pb.P[i] *= 100
			}
		}
		if kind == 1 || kind == 2 {
			// add a box to keep it bounded
			g := mat.NewDense(m+2*n, n, nil)
			h := make([]float64, m+2*n)
			if m > 0 {
				g.Slice(0, m, 0, n).(*mat.Dense).Copy(pb.G)
				copy(h, pb.H)
			}
			for i := range n {
				g.Set(m+i, i, 1)
				g.Set(m+n+i, i, -1)
				h[m+i], h[m+n+i] = 10, 10
			}
			pb.G, pb.H = g, h
		}
		sol, err := Solve(context.Background(), pb, nil)
		require.NoError(t, err, "trial %d kind %d n=%d p=%d m=%d", trial, kind, n, neq, m)
		require.Less(t, sol.Residuals.Max(), 1e-7)
		_, err = sol.Backward(randVec(rng, n), nil, nil)
		require.NoError(t, err, "trial %d", trial)
	}
}
