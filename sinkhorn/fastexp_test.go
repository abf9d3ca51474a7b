package sinkhorn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFastExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	for range 200000 {
		x := -720 + 1429*rng.Float64()
		if rng.IntN(4) == 0 {
			x = 2 * rng.NormFloat64()
		}
		want := math.Exp(x)
		got := fastExp(x)
		if x < -708 {
			require.LessOrEqual(t, got, 1e-307)
			continue
		}
		if math.IsInf(want, 1) {
			require.True(t, math.IsInf(got, 1), "x=%v", x)
			continue
		}
		rel := math.Abs(got-want) / want
		worst = max(worst, rel)
	}
	require.Less(t, worst, 1e-15)
	require.Equal(t, 1.0, fastExp(0))
	require.Equal(t, 0.0, fastExp(math.Inf(-1)))
	require.True(t, math.IsInf(fastExp(math.Inf(1)), 1))
	require.True(t, math.IsNaN(fastExp(math.NaN())))
}

var sinkExp float64

func BenchmarkFastExp(b *testing.B) {
	x := -3.0
	for b.Loop() {
		sinkExp += fastExp(x)
		x -= 1e-9
	}
}

func BenchmarkMathExp(b *testing.B) {
	x := -3.0
	for b.Loop() {
		sinkExp += math.Exp(x)
		x -= 1e-9
	}
}
