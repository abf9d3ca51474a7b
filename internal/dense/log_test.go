package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLogSubnormal(t *testing.T) {
	// Values of the C library's log (glibc), for the points the cone
	// package's fuzzing met.
	assert.InDelta(t, -712.8390697887544, Log(2.61773395118493e-310), 1e-12)
	assert.InDelta(t, -744.4400719213812, Log(5e-324), 1e-12)
	rng := rand.New(rand.NewPCG(1, 1))
	for range 1000 {
		// Subnormal and normal positives against log(f) + e log 2 with
		// x = f·2ᵉ from math.Frexp (which normalizes subnormals).
		x := math.Float64frombits(rng.Uint64N(0x0010000000000000)) // subnormal or 0
		if rng.IntN(2) == 0 {
			x = math.Ldexp(rng.Float64()+0.5, rng.IntN(2000)-1000)
		}
		if x == 0 {
			continue
		}
		f, e := math.Frexp(x)
		want := math.Log(f) + float64(e)*math.Ln2
		assert.InDelta(t, want, Log(x), 1e-12*math.Abs(want), "x = %g", x)
	}
	for _, x := range []float64{0, -0.0, -1, math.Inf(1), math.NaN(), 1, math.SmallestNonzeroFloat64 * 0} {
		same := math.Log(x)
		got := Log(x)
		assert.True(t, got == same || (math.IsNaN(got) && math.IsNaN(same)), "Log(%v) = %v, math.Log %v", x, got, same)
	}
}
