package sinkhorn

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// TestContractErrors checks the sentinels of the contract's VJP and JVP on
// every result type of the package, and that the typed and flat forms
// agree (the derivatives themselves are checked by package
// implicit/conformance).
func TestContractErrors(t *testing.T) {
	ctx := context.Background()
	pb := &Problem{Cost: mat.NewDense(2, 3, []float64{1, 2, 0.5, 0.3, 1.5, 2}), Epsilon: 0.5}
	res, err := Solve(ctx, pb, &Settings{Tol: 1e-12})
	require.NoError(t, err)
	un, err := SolveUnrolled(ctx, pb, 4)
	require.NoError(t, err)
	_, dr, err := Divergence(ctx, &Problem{X: mat.NewDense(2, 1, []float64{0, 1}), Y: mat.NewDense(3, 1, []float64{0.5, -1, 2}), Epsilon: 0.5}, &Settings{Tol: 1e-12})
	require.NoError(t, err)
	for _, r := range []implicit.Differentiable{res, un, dr} {
		c, z, th := r.Condition()
		require.NotNil(t, c)
		nz, np := c.Dims()
		require.Equal(t, len(z), nz)
		require.Equal(t, len(th), np)
		require.ErrorIs(t, r.VJP(make([]float64, np+1), make([]float64, nz)), ErrDims)
		require.ErrorIs(t, r.JVP(make([]float64, nz), make([]float64, np-1)), ErrDims)
		g := make([]float64, nz)
		g[0] = math.NaN()
		require.ErrorIs(t, r.VJP(make([]float64, np), g), ErrNaN)
		d := make([]float64, np)
		d[0] = math.Inf(-1)
		require.ErrorIs(t, r.JVP(make([]float64, nz), d), ErrNaN)
	}
	for _, r := range []implicit.Differentiable{(*Result)(nil), (*Unrolled)(nil), (*DivergenceResult)(nil)} {
		c, _, _ := r.Condition()
		require.Nil(t, c)
		require.ErrorIs(t, r.VJP(nil, nil), ErrDims)
		require.ErrorIs(t, r.JVP(nil, nil), ErrDims)
	}

	// The flat VJP is Backward packed in the condition's layout.
	gf, gg := []float64{0.3, -1}, []float64{1, 0.2, -0.4}
	typed, err := res.Backward(gf, gg, nil)
	require.NoError(t, err)
	flat := make([]float64, 6+5)
	require.NoError(t, res.VJP(flat, append(append([]float64(nil), gf...), gg...)))
	want := make([]float64, 11)
	packGrad(res.p, typed, want)
	require.InDeltaSlice(t, want, flat, 1e-12)
}
