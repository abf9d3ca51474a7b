package dense

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// swapRef is the relaxed swap as sorting wrote it before these kernels
// (separate multiply and add), the reference of TestSwapMatchesReference.
func swapRef(p, q, d []float64, alpha float64) {
	for i, x := range p {
		y := q[i]
		diff := x - y
		d[i] = diff
		p[i] = y + alpha*diff
		q[i] = x - alpha*diff
	}
}

func unswapRef(gp, gq, d []float64, alpha float64) (acc, abs float64) {
	for i, x := range gp {
		y := gq[i]
		h := x - y
		acc += h * d[i]
		abs += math.Abs(h * d[i])
		gp[i] = y + alpha*h
		gq[i] = x - alpha*h
	}
	return acc, abs
}

// swapVec draws entries of every scale: relaxed permutation entries in
// [0, 1], values up to ±1e300, tiny ones, zeros and exact ties.
func swapVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch rng.IntN(5) {
		case 0:
			v[i] = rng.Float64()
		case 1:
			v[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(600)-300))
		case 2:
			v[i] = []float64{0, 1, -1, 1e300, -1e300, 5e-324}[rng.IntN(6)]
		default:
			v[i] = rng.NormFloat64()
		}
	}
	return v
}

// TestSwapMatchesReference checks SwapMix and SwapUnmix, assembly and
// pure Go, against the separate multiply-and-add formulas on random rows
// of every length from 0 to 40 (all tails), entries from 5e-324 to ±1e300
// and weights α in {0, 1, 1e-300, 1 − 1e-16, random}: the rows bit for
// bit, the α-derivative within 1e-13 of the sum of its absolute terms.
func TestSwapMatchesReference(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(81, 82))
		alphas := []float64{0, 1, 1e-300, 1 - 1e-16}
		for trial := range 2000 {
			n := trial % 41
			alpha := rng.Float64()
			if trial%5 == 0 {
				alpha = alphas[rng.IntN(len(alphas))]
			}
			p, q := swapVec(rng, n), swapVec(rng, n)
			pr, qr := append([]float64(nil), p...), append([]float64(nil), q...)
			d, dr := make([]float64, n), make([]float64, n)
			SwapMix(p, q, d, alpha)
			swapRef(pr, qr, dr, alpha)
			require.True(t, slices.Equal(dr, d), "trial %d: differences", trial)
			require.True(t, slices.Equal(pr, p), "trial %d: p", trial)
			require.True(t, slices.Equal(qr, q), "trial %d: q", trial)
			gp, gq := swapVec(rng, n), swapVec(rng, n)
			gpr, gqr := append([]float64(nil), gp...), append([]float64(nil), gq...)
			got := SwapUnmix(gp, gq, d, alpha)
			want, abs := unswapRef(gpr, gqr, d, alpha)
			if math.IsInf(abs, 0) {
				continue // h·d overflows: the sum order decides which Inf
			}
			require.InDelta(t, want, got, 1e-13*abs, "trial %d: dα", trial)
			require.True(t, slices.Equal(gpr, gp), "trial %d: gp", trial)
			require.True(t, slices.Equal(gqr, gq), "trial %d: gq", trial)
		}
	})
}

// BenchmarkSwap times SwapMix + SwapUnmix on rows of the widths the
// sorting networks use (ns/op per pair of calls; divide by the width for
// the cost per entry).
func BenchmarkSwap(b *testing.B) {
	rng := rand.New(rand.NewPCG(83, 84))
	for _, w := range []int{8, 17, 32, 256} {
		p, q := swapVec(rng, w), swapVec(rng, w)
		for i := range p {
			p[i], q[i] = rng.Float64(), rng.Float64()
		}
		d := make([]float64, w)
		for _, asm := range []bool{false, true} {
			if asm && !useAsm {
				continue
			}
			name := "go"
			if asm {
				name = "asm"
			}
			b.Run(name+"/w="+strconv.Itoa(w), func(b *testing.B) {
				saved := useAsm
				useAsm = asm
				defer func() { useAsm = saved }()
				var s float64
				for b.Loop() {
					SwapMix(p, q, d, 0.3)
					s += SwapUnmix(p, q, d, 0.7)
				}
				if math.IsNaN(s) {
					b.Fatal(s)
				}
			})
		}
	}
}
