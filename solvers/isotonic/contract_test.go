package isotonic

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/implicit"
)

// The flat VJP and JVP of the contract are the two-part ones on the
// halves of θ = (z, w) or (s, w), and each condition holds at its result
// and gives the engine the same gradient.
func TestContractHalves(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	n := 6
	z, w, g := randVec(rng, n, 1), randVec(rng, n, 1), randVec(rng, n, 1)
	p, err := Project(make([]float64, n), z, w, KL)
	require.NoError(t, err)
	kl, err := RegressionKL(make([]float64, n), z, w)
	require.NoError(t, err)
	for _, r := range []interface {
		implicit.Differentiable
		Backward(a, b, g []float64) error
	}{p, kl} {
		flat := make([]float64, 2*n)
		require.NoError(t, r.VJP(flat, g))
		a, b := make([]float64, n), make([]float64, n)
		require.NoError(t, r.Backward(a, b, g))
		require.Equal(t, append(a, b...), flat)
		c, zs, th := r.Condition()
		res := make([]float64, n)
		c.Residual(res, zs, th)
		for _, v := range res {
			require.InDelta(t, 0, v, 1e-12)
		}
		eng, err := implicit.VJP(context.Background(), c, zs, th, g, nil)
		require.NoError(t, err)
		require.InDeltaSlice(t, flat, eng, 1e-8)
		require.ErrorIs(t, r.VJP(make([]float64, n), g), ErrDims)
		require.ErrorIs(t, r.JVP(make([]float64, n), make([]float64, n)), ErrDims)
		require.ErrorIs(t, r.JVP(make([]float64, n), append(make([]float64, 2*n-1), math.NaN())), ErrNaN)
	}
	var zero Solution
	c, _, _ := zero.Condition()
	require.Nil(t, c)
}
