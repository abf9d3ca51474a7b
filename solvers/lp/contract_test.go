package lp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The contract's VJP with a cotangent on x only is Backward packed in the
// layout; Pack and Unpack are inverse; Theta and Z follow the layout.
func TestContractMatchesBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pb := randomLP(rng, 5, 1, 3)
	pb.Upper[2] = math.Inf(1)
	pb.Lower[4] = math.Inf(-1)
	sol, err := Solve(context.Background(), pb, &Settings{Quadratic: 0.3, Tol: 1e-11})
	require.NoError(t, err)
	l := sol.Layout()
	require.Equal(t, []int{0, 1, 3, 4}, l.Upper)
	require.Equal(t, []int{0, 1, 2, 3}, l.Lower)
	th, err := l.Pack(nil, pb)
	require.NoError(t, err)
	require.InDeltaSlice(t, th, sol.Theta(), 1e-15)
	back, err := l.Pack(nil, l.Unpack(th))
	require.NoError(t, err)
	require.Equal(t, th, back)

	gx := randVec(rng, 5)
	g := make([]float64, l.LenZ())
	copy(g, gx)
	got := make([]float64, l.Len())
	require.NoError(t, sol.VJP(got, g))
	grad, err := sol.Backward(gx)
	require.NoError(t, err)
	require.Equal(t, l.PackGradient(nil, grad), got)

	z := sol.Z()
	require.Equal(t, sol.X, z[:5])
	require.Equal(t, sol.Nu, z[5:6])
	require.Equal(t, sol.Lambda, z[6:9])
	require.Equal(t, sol.UpperDual[3], z[9+2])
	require.Equal(t, sol.LowerDual[2], z[9+4+2])

	_, err = l.Pack(nil, &Problem{C: pb.C})
	require.ErrorIs(t, err, ErrDims)
	var zero Solution
	require.ErrorIs(t, zero.VJP(got, g), ErrInvalid)
	require.ErrorIs(t, zero.JVP(g, got), ErrInvalid)
	c, _, _ := zero.Condition()
	require.Nil(t, c)
}
