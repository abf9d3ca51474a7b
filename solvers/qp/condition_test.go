package qp

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

func TestKKTConditionCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, barrier := range []float64{0, 0.1} {
		pb := randomQP(rng, 5, 2, 7)
		l := LayoutOf(pb)
		theta, err := l.Pack(nil, pb)
		require.NoError(t, err)
		// A non-symmetric Q block in θ: the condition uses its symmetric part.
		l.Q(theta).Set(0, 1, l.Q(theta).At(0, 1)+0.3)
		c := &KKTCondition{Layout: l, Barrier: barrier}
		z := randVec(rng, l.LenZ())
		res, err := implicit.Check(c, z, theta, nil)
		require.NoError(t, err)
		require.Less(t, res.Worst(), 1e-7, "%+v", res)
	}
}

func TestLayoutRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	pb := randomQP(rng, 4, 2, 3)
	l := LayoutOf(pb)
	require.Equal(t, 16+4+8+2+12+3, l.Len())
	theta, err := l.Pack(nil, pb)
	require.NoError(t, err)
	back := l.Unpack(theta)
	require.True(t, mat.EqualApprox(back.Q, pb.Q, 0))
	require.Equal(t, pb.P, back.P)
	require.True(t, mat.Equal(back.A, pb.A))
	require.Equal(t, pb.B, back.B)
	require.True(t, mat.Equal(back.G, pb.G))
	require.Equal(t, pb.H, back.H)
	// Accessors are views.
	l.H(theta)[0] = 42
	require.Equal(t, 42.0, theta[len(theta)-3])
	_, err = Layout{N: 5}.Pack(nil, pb)
	require.ErrorIs(t, err, ErrDims)

	sol, err := Solve(context.Background(), pb, nil)
	require.NoError(t, err)
	g, err := sol.Backward(randVec(rng, 4), nil, nil)
	require.NoError(t, err)
	flat := l.PackGradient(nil, g)
	require.Equal(t, g.H, l.H(flat))
	require.True(t, mat.Equal(g.G, l.G(flat)))
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rng := rand.New(rand.NewPCG(45, 46))
	_, err := Solve(context.Background(), randomQP(rng, 5, 0, 5), &Settings{Logger: lg})
	require.NoError(t, err)
	require.Contains(t, buf.String(), "iter=0")
}
