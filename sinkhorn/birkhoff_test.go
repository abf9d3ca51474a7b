package sinkhorn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func TestBirkhoffGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 1))
	for range 3 {
		n := 3 + rng.IntN(4)
		s := randCost(rng, n, n)
		l := &Birkhoff{Tau: 0.2, Settings: tight}
		out, err := l.Forward(context.Background(), s)
		require.NoError(t, err)
		rows, cols := make([]float64, n), make([]float64, n)
		for i := range n {
			for j := range n {
				rows[i] += out.P.At(i, j)
				cols[j] += out.P.At(i, j)
			}
		}
		for i := range n {
			assert.InDelta(t, 1, rows[i], 1e-12)
			assert.InDelta(t, 1, cols[i], 1e-12)
		}
		gp := randCost(rng, n, n)
		gs, err := out.Backward(gp)
		require.NoError(t, err)
		ds := randCost(rng, n, n)
		want := centralFD(t, func(h float64) float64 {
			sh := mat.DenseCopyOf(s)
			sh.Add(sh, scaled(ds, h))
			o, err := l.Forward(context.Background(), sh)
			require.NoError(t, err)
			return mat.Sum(elem(o.P, gp))
		})
		assert.InDelta(t, want, mat.Sum(elem(gs, ds)), 1e-6*max(1, math.Abs(want)))
	}
}

// Re-basin (Peña et al. 2023): two copies of a one-hidden-layer network
// whose hidden units are permuted; learn the permutation by gradient
// descent on the scores of a Birkhoff layer.
func TestRebasinRecoversPermutation(t *testing.T) {
	for seed := range uint64(5) {
		rng := rand.New(rand.NewPCG(31, seed))
		h, d, o := 10, 12, 4
		w1a, w2a := randPoints(rng, h, d, 0), randPoints(rng, o, h, 0)
		perm := rng.Perm(h)
		pi := mat.NewDense(h, h, nil)
		for i, j := range perm {
			pi.Set(i, j, 1)
		}
		var w1b, w2b mat.Dense
		w1b.Mul(pi, w1a)
		w2b.Mul(w2a, pi.T())
		noise := randPoints(rng, h, d, 0)
		noise.Scale(0.1, noise)
		w1b.Add(&w1b, noise)

		l := &Birkhoff{Tau: 0.5, Settings: &Settings{Tol: 1e-10, Anderson: 5}}
		scores := mat.NewDense(h, h, nil)
		loss := func(p *mat.Dense) (float64, *mat.Dense) {
			var r1, r2, g1, g2 mat.Dense
			r1.Mul(p, w1a)
			r1.Sub(&r1, &w1b)
			r2.Mul(w2a, p.T())
			r2.Sub(&r2, &w2b)
			g1.Mul(&r1, w1a.T())
			g2.Mul(r2.T(), w2a)
			g1.Add(&g1, &g2)
			g1.Scale(2, &g1)
			return mat.Norm(&r1, 2)*mat.Norm(&r1, 2) + mat.Norm(&r2, 2)*mat.Norm(&r2, 2), &g1
		}
		var first, last float64
		for step := range 30 {
			out, err := l.Forward(context.Background(), scores)
			require.NoError(t, err)
			v, gp := loss(out.P)
			if step == 0 {
				first = v
			}
			last = v
			gs, err := out.Backward(gp)
			require.NoError(t, err)
			// Normalized gradient step.
			scores.Sub(scores, scaled(gs, 0.5/(mat.Norm(gs, math.Inf(1))+1e-12)))
		}
		out, err := l.Forward(context.Background(), scores)
		require.NoError(t, err)
		got, err := RoundToPermutation(out.P)
		require.NoError(t, err)
		assert.Equal(t, perm, got, "seed %d", seed)
		assert.Less(t, last, first/10, "seed %d", seed)
	}
}
