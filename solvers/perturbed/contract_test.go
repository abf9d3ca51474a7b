package perturbed

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/implicit"
)

// The condition of a Result holds at Mean, gives the engine the
// score-function VJP, and its reweighted estimate f(θ') (read off the
// residual) moves like JVP predicts; bad input matches both ErrInvalid
// and the contract's ErrDims or ErrNaN.
func TestContractCondition(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for _, noise := range []Noise{Normal, Gumbel} {
		o := &Optimizer{Oracle: argmaxOracle, Dim: 4, Settings: &Settings{Samples: 64, Noise: noise, Seed: 7, ControlVariate: true}}
		theta := randVec(rng, 4, 1)
		r, err := o.Forward(context.Background(), theta)
		require.NoError(t, err)
		c, z, th := r.Condition()
		require.Equal(t, theta, th)
		res := make([]float64, 4)
		c.Residual(res, z, th)
		for _, v := range res {
			require.InDelta(t, 0, v, 1e-14)
		}
		g := randVec(rng, 4, 1)
		fast := make([]float64, 4)
		require.NoError(t, r.VJP(fast, g))
		eng, err := implicit.VJP(context.Background(), c, z, th, g, nil)
		require.NoError(t, err)
		require.InDeltaSlice(t, fast, eng, 1e-12)

		d, h := randVec(rng, 4, 1), 1e-5
		at := func(s float64) []float64 {
			tp := append([]float64(nil), th...)
			for i := range tp {
				tp[i] += s * d[i]
			}
			f := make([]float64, 4)
			c.Residual(f, make([]float64, 4), tp)
			return f // −f(θ + s·d)
		}
		fp, fm := at(h), at(-h)
		jv := make([]float64, 4)
		require.NoError(t, r.JVP(jv, d))
		for i := range jv {
			require.InDelta(t, jv[i], -(fp[i]-fm[i])/(2*h), 1e-6)
		}

		err = r.VJP(make([]float64, 3), g)
		require.ErrorIs(t, err, ErrDims)
		require.ErrorIs(t, err, ErrInvalid)
		err = r.JVP(make([]float64, 4), []float64{0, math.NaN(), 0, 0})
		require.ErrorIs(t, err, ErrNaN)
		require.ErrorIs(t, err, ErrInvalid)
	}
	var zero Result
	c, _, _ := zero.Condition()
	require.Nil(t, c)
}
