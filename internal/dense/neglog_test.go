package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNegLog1mSumMatchesLog1p compares NegLog1mSum, assembly and pure Go,
// with the per-entry sum −Σ log1p(−pⱼ) on random rows of every length up
// to 70 mixing tiny entries (down to 5e-324 and exact zeros), the series
// boundary 1/64, moderate ones and entries next to 1: the sum within
// 1e-13 relative, g bit for bit, and ok = false exactly when an entry has
// 1 − p ≤ lo.
func TestNegLog1mSumMatchesLog1p(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(91, 92))
		lo := math.Exp(-100)
		special := []float64{0, 5e-324, 1e-300, 1e-17, 1.0 / 64, math.Nextafter(1.0/64, 0), math.Nextafter(1.0/64, 1), 0.5, 1 - 1e-15, 1 - 1e-30}
		var floored int
		for trial := range 4000 {
			n := trial % 71
			p := make([]float64, n)
			for j := range p {
				switch rng.IntN(5) {
				case 0:
					p[j] = special[rng.IntN(len(special))]
				case 1:
					p[j] = math.Pow(10, -30*rng.Float64())
				case 2:
					p[j] = 1 - math.Pow(10, -10*rng.Float64())
				default:
					p[j] = rng.Float64()
				}
			}
			if trial%3 == 0 { // near-exact rows: tiny entries only
				for j := range p {
					p[j] = 1e-12 * rng.Float64()
				}
			}
			if trial%11 == 0 && n > 0 {
				p[rng.IntN(n)] = 1 - 0.5*lo // 1 − p ≤ lo
			}
			hasFloor := false
			for _, v := range p {
				hasFloor = hasFloor || !(1-v > lo) // also p = 1 − 1e-30 = 1
			}
			scale := 1 / float64(1+n*n)
			g := make([]float64, n)
			s, ok := NegLog1mSum(g, p, scale, lo)
			if hasFloor {
				require.False(t, ok, "trial %d: floored entry not reported", trial)
				floored++
				continue
			}
			require.True(t, ok, "trial %d", trial)
			var want, abs float64
			for j, v := range p {
				want -= math.Log1p(-v)
				abs += math.Abs(math.Log1p(-v))
				require.Equal(t, 1/(1-v)*scale, g[j], "trial %d: g[%d]", trial, j)
			}
			require.InDelta(t, want, s, 1e-13*abs+1e-300, "trial %d: n=%d", trial, n)
		}
		require.Positive(t, floored)
	})
}

// BenchmarkNegLog1mSum times NegLog1mSum on rows of 32 relaxed
// permutation entries (ns/op per row) against the per-entry log1p.
func BenchmarkNegLog1mSum(b *testing.B) {
	rng := rand.New(rand.NewPCG(93, 94))
	rows := make([][]float64, 64)
	for i := range rows {
		rows[i] = make([]float64, 32)
		for j := range rows[i] {
			// Cauchy-like spread of a relaxed permutation row.
			rows[i][j] = math.Min(1, 0.05/(1+40*rng.Float64()*rng.Float64()))
		}
	}
	g := make([]float64, 32)
	for _, mode := range []string{"go", "asm", "log1p"} {
		if mode == "asm" && !useAsm {
			continue
		}
		b.Run(mode, func(b *testing.B) {
			saved := useAsm
			useAsm = mode == "asm"
			defer func() { useAsm = saved }()
			var s float64
			i := 0
			for b.Loop() {
				r := rows[i%len(rows)]
				if mode == "log1p" {
					for j, v := range r {
						s -= math.Log1p(-v)
						g[j] = 1 / (1 - v)
					}
				} else {
					v, _ := NegLog1mSum(g, r, 1, 1e-40)
					s += v
				}
				i++
			}
			if math.IsNaN(s) {
				b.Fatal(s)
			}
		})
	}
}

// FuzzNegLog1mSum compares NegLog1mSum with the per-entry log1p sum on
// rows drawn from the fuzzer's bytes (entries k/255 and their powers).
func FuzzNegLog1mSum(f *testing.F) {
	f.Add([]byte{0, 1, 4, 128, 254, 255}, uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, pow uint8) {
		if len(b) > 300 {
			return
		}
		p := make([]float64, len(b))
		for i, c := range b {
			p[i] = math.Pow(float64(c)/255, float64(pow%8+1))
		}
		g := make([]float64, len(p))
		s, ok := NegLog1mSum(g, p, 0.5, math.Exp(-100))
		floored := false
		var want, abs float64
		for _, v := range p {
			floored = floored || !(1-v > math.Exp(-100))
			want -= math.Log1p(-v)
			abs += math.Abs(math.Log1p(-v))
		}
		require.Equal(t, !floored, ok)
		if ok {
			require.InDelta(t, want, s, 1e-13*abs+1e-300)
			for i, v := range p {
				require.Equal(t, 1/(1-v)*0.5, g[i])
			}
		}
	})
}
