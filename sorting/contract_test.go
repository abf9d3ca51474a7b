package sorting

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/implicit"
)

// TestContractErrors checks the sentinels of the contract's VJP and JVP on
// every result type of the package (the derivatives themselves are checked
// by package implicit/conformance).
func TestContractErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	x := randVec(rng, 4)
	ctx := context.Background()
	var results []implicit.Differentiable
	soft, err := SoftRank(make([]float64, 4), x, 1, nil)
	require.NoError(t, err)
	results = append(results, soft)
	net, err := NewNetwork(Bitonic, 4)
	require.NoError(t, err)
	for _, wantP := range []bool{false, true} {
		r, err := net.Sort(x, wantP, nil)
		require.NoError(t, err)
		results = append(results, r)
	}
	ns, err := NeuralSort(x, 1, nil)
	require.NoError(t, err)
	ot, err := OTSort(ctx, x, 0.1, nil)
	require.NoError(t, err)
	top, err := OTTopK(ctx, x, 2, 0.1, nil)
	require.NoError(t, err)
	results = append(results, ns, ot, top)
	for _, r := range results {
		c, z, th := r.Condition()
		require.NotNil(t, c)
		nz, np := c.Dims()
		require.Equal(t, len(z), nz)
		require.Equal(t, len(th), np)
		require.Equal(t, x, th)
		require.ErrorIs(t, r.VJP(make([]float64, np+1), make([]float64, nz)), ErrDims)
		require.ErrorIs(t, r.JVP(make([]float64, nz), make([]float64, np-1)), ErrDims)
		g := make([]float64, nz)
		g[0] = math.NaN()
		require.ErrorIs(t, r.VJP(make([]float64, np), g), ErrNaN)
		d := make([]float64, np)
		d[0] = math.Inf(-1)
		require.ErrorIs(t, r.JVP(make([]float64, nz), d), ErrNaN)
	}
	for _, r := range []implicit.Differentiable{(*Soft)(nil), (*NetworkResult)(nil), (*NeuralSortResult)(nil), (*OTResult)(nil), (*OTTopKResult)(nil)} {
		c, _, _ := r.Condition()
		require.Nil(t, c)
		require.ErrorIs(t, r.VJP(nil, nil), ErrDims)
		require.ErrorIs(t, r.JVP(nil, nil), ErrDims)
	}
}
