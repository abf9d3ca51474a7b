package project

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSolveResult(t *testing.T) {
	ctx := context.Background()
	y := []float64{0.9, -0.3, 0.5}
	r, err := Solve(ctx, Simplex{Radius: 1}, y)
	require.NoError(t, err)
	want := make([]float64, 3)
	require.NoError(t, Simplex{Radius: 1}.Project(want, y))
	require.Equal(t, want, r.X())
	require.Equal(t, 4, r.Len())
	_, z, theta := r.Condition()
	require.Equal(t, want, z)
	require.Equal(t, []float64{0.9, -0.3, 0.5, 1}, theta)

	_, err = Solve(ctx, nil, y)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = Solve(ctx, Simplex{Radius: -1}, y)
	require.ErrorIs(t, err, ErrInvalid)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Solve(cctx, Simplex{Radius: 1}, y)
	require.ErrorIs(t, err, context.Canceled)
	_, err = SolveBatch(ctx, Simplex{Radius: 1}, [][]float64{y}, &Settings{Workers: -1})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = SolveBatch(ctx, Simplex{Radius: 1}, [][]float64{y, {}}, &Settings{Workers: 1})
	require.ErrorIs(t, err, ErrDims)

	var zero Result
	require.ErrorIs(t, zero.VJP(nil, nil), ErrInvalid)
	require.ErrorIs(t, r.VJP(make([]float64, 3), make([]float64, 3)), ErrDims)
	require.ErrorIs(t, r.JVP(make([]float64, 3), []float64{0, 0, 0, nan}), ErrNaN)
}
