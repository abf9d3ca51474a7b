package nlopt

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAlgorithmEnum(t *testing.T) {
	algs := Algorithms()
	require.Len(t, algs, 44) // NLopt 2.7.1's NLOPT_NUM_ALGORITHMS
	for i, a := range algs {
		assert.Equal(t, i, a.code(), a.String())
		b, err := ParseAlgorithm("NLOPT_" + a.String())
		require.NoError(t, err)
		assert.Equal(t, a, b)
	}
	assert.Equal(t, LD_SLSQP, Default.resolve())
	assert.Equal(t, 40, LD_SLSQP.code()) // NLOPT_LD_SLSQP
	assert.Equal(t, 24, LD_MMA.code())   // NLOPT_LD_MMA
	assert.Equal(t, 25, LN_COBYLA.code())
	assert.Equal(t, 43, GN_AGS.code())
	assert.True(t, LD_SLSQP.Gradient() && LD_SLSQP.Inequality() && LD_SLSQP.Equality())
	assert.True(t, LD_MMA.Inequality() && !LD_MMA.Equality())
	assert.True(t, GN_ISRES.Global() && GN_ISRES.Random() && GN_ISRES.Equality())
	assert.True(t, AUGLAG.NeedsLocal() && !LD_AUGLAG.NeedsLocal())
	assert.False(t, LN_COBYLA.Gradient())
	assert.Equal(t, "Algorithm(99)", Algorithm(99).String())
	assert.False(t, Algorithm(-1).Valid())
	_, err := ParseAlgorithm("LD_NOPE")
	require.ErrorIs(t, err, ErrInvalidArgs)
}

func TestStatusAndResultCodes(t *testing.T) {
	for code, want := range map[int]error{-1: ErrFailure, -2: ErrInvalidArgs, -3: ErrOutOfMemory, -4: ErrRoundoffLimited, -5: ErrForcedStop, -9: ErrFailure} {
		_, err := resultError(code)
		assert.ErrorIs(t, err, want, code)
	}
	for code := 1; code <= 6; code++ {
		s, err := resultError(code)
		require.NoError(t, err)
		assert.Equal(t, Status(code), s)
	}
	assert.True(t, XTolReached.Converged())
	assert.False(t, MaxEvalReached.Converged())
	assert.Equal(t, "FTolReached", FTolReached.String())
}

func TestStubOrValidation(t *testing.T) {
	// In both builds, malformed input is rejected before NLopt is called.
	_, err := Minimize(context.Background(), &Problem{Dim: 2}, []float64{0, 0}, nil)
	require.ErrorIs(t, err, ErrInvalidArgs)
	p := &Problem{Dim: 1, Objective: func(x, g []float64) float64 {
		if g != nil {
			g[0] = 2 * x[0]
		}
		return x[0] * x[0]
	}}
	res, err := Minimize(context.Background(), p, []float64{1}, nil)
	if !Available {
		require.True(t, errors.Is(err, ErrUnavailable))
		return
	}
	require.NoError(t, err)
	assert.InDelta(t, 0, res.X[0], 1e-8)
}
