package cone

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// TestMinEigSym: the bisection's λ_min against gonum's full symmetric
// eigendecomposition on random, graded, rank-deficient, diagonal and
// 1×1/2×2 matrices.
func TestMinEigSym(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for trial := range 60 {
		n := 1 + rng.IntN(40)
		m := mat.NewSymDense(n, nil)
		switch trial % 4 {
		case 0: // random
			for i := range n {
				for j := i; j < n; j++ {
					m.SetSym(i, j, rng.NormFloat64())
				}
			}
		case 1: // graded: entries scaled by 10^(−i−j)/4
			for i := range n {
				for j := i; j < n; j++ {
					m.SetSym(i, j, rng.NormFloat64()*math.Pow(10, -float64(i+j)/4))
				}
			}
		case 2: // rank one minus a multiple of the identity: repeated λ
			v := randVec(rng, n, 1)
			for i := range n {
				for j := i; j < n; j++ {
					x := v[i] * v[j]
					if i == j {
						x -= 0.5
					}
					m.SetSym(i, j, x)
				}
			}
		default: // diagonal
			for i := range n {
				m.SetSym(i, i, rng.NormFloat64())
			}
		}
		var e mat.EigenSym
		require.True(t, e.Factorize(m, true))
		want := e.Values(nil)[0]
		got, err := minEigSym(m)
		require.NoError(t, err)
		scale := mat.Norm(m, 2)
		require.InDelta(t, want, got, 1e-13*math.Max(scale, 1e-300)*float64(n), "trial %d n=%d", trial, n)
	}
	bad := mat.NewSymDense(2, []float64{1, math.NaN(), math.NaN(), 1})
	_, err := minEigSym(bad)
	require.Error(t, err)
}
