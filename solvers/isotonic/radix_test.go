package isotonic

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRadixArgsortMatchesIntrosort checks that the radix argsort returns
// the permutation of the introsort (decreasing, ties by increasing index)
// on random vectors with ties, ±0, subnormals, ±1e300 and sorted runs.
func TestRadixArgsortMatchesIntrosort(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	special := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 1e300, -1e300, math.MaxFloat64, -math.MaxFloat64, 1, -1}
	for trial := range 400 {
		n := 1 + rng.IntN(3000)
		v := make([]float64, n)
		for i := range v {
			switch rng.IntN(5) {
			case 0:
				v[i] = special[rng.IntN(len(special))]
			case 1:
				v[i] = float64(rng.IntN(5)) // ties
			case 2:
				v[i] = float64(i) * 1e-3 // a sorted run
			case 3:
				if trial%3 == 0 { // near ties: equal high halves of the keys
					v[i] = 1 + float64(rng.IntN(1<<20))*0x1p-52
					break
				}
				v[i] = rng.NormFloat64()
			default:
				v[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
			}
		}
		want, got := make([]int32, n), make([]int32, n)
		k := make([]float64, n)
		copy(k, v)
		for i := range want {
			want[i] = int32(i)
		}
		introsort(k, want, 2*64)
		radixArgsortDesc(got, v)
		require.Equal(t, want, got, "trial %d, n=%d", trial, n)
	}
}

// BenchmarkArgsort sorts a different vector at every iteration (the same
// one would let the branch predictor learn the introsort's comparisons).
func BenchmarkArgsort(b *testing.B) {
	rng := rand.New(rand.NewPCG(73, 74))
	for _, n := range []int{100, 1000, 100000} {
		vs := make([][]float64, 32)
		for i := range vs {
			vs[i] = randVec(rng, n, 1)
		}
		perm, keys := make([]int32, n), make([]float64, n)
		b.Run("introsort/n="+itoa(n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				copy(keys, vs[i%len(vs)])
				for i := range perm {
					perm[i] = int32(i)
				}
				introsort(keys, perm, 2*bitsLen(n))
				i++
			}
		})
		b.Run("radix/n="+itoa(n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				radixArgsortDesc(perm, vs[i%len(vs)])
				i++
			}
		})
	}
}

func bitsLen(n int) int { return bits.Len(uint(n)) }
