package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// expSumRef is ExpSum with math.Exp, summed in float64 by compensated
// (Kahan–Babuška) summation. tol bounds the error of ExpSum: the rounding
// of each exponent (which the two kernels do differently: the assembly one
// with a fused multiply-add) moves its term by |x|·ε relative, each
// exponential is good to 4ε, and a sum of k terms in four or two
// accumulators is good to (k/2)·ε·Σ.
func expSumRef(c, h []float64, alpha, shift, cut float64) (s, tol float64, ok bool) {
	const eps = 0x1p-52
	var comp float64
	kept := 0
	for j, cj := range c {
		x := h[j] - shift - cj*alpha
		if !(x >= cut) {
			continue
		}
		if x > ExpSumMax {
			return math.Inf(1), 0, false
		}
		v := math.Exp(x)
		kept++
		tol += v * eps * (4 + math.Abs(h[j]) + math.Abs(shift) + 2*math.Abs(cj*alpha))
		t := s + v
		if math.Abs(s) >= math.Abs(v) {
			comp += (s - t) + v
		} else {
			comp += (v - t) + s
		}
		s = t
	}
	s += comp
	return s, tol + float64(kept)/2*eps*s, true
}

func TestExpSum(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 1))
		for _, n := range append(sizes, 1000, 1001, 1002, 1003) {
			for rep := range 4 {
				c, h := make([]float64, n), make([]float64, n)
				// Exponents spread over [−80, 30] (rep 0–1) or near one
				// value (a log-sum-exp with a good shift, rep 2–3).
				for j := range c {
					c[j] = 4 * rng.Float64()
					h[j] = 20*rng.NormFloat64() - 10
					if rep >= 2 {
						h[j] = 0.1 * rng.NormFloat64()
					}
				}
				alpha, shift, cut := 20*rng.Float64(), rng.NormFloat64(), -50.0
				want, tol, wok := expSumRef(c, h, alpha, shift, cut)
				got, ok := ExpSum(c, h, alpha, shift, cut)
				require.True(t, wok)
				require.True(t, ok)
				require.InDelta(t, want, got, tol, "n=%d rep=%d", n, rep)
			}
		}
	})
}

func TestExpSumEdges(t *testing.T) {
	both(t, func(t *testing.T) {
		for _, n := range []int{1, 3, 4, 7, 8, 13, 64} {
			// Every exponent below the cut, or NaN: the sum is zero.
			c, h := make([]float64, n), make([]float64, n)
			for j := range c {
				h[j] = -60
				if j%3 == 1 {
					h[j] = math.NaN()
				}
				if j%3 == 2 {
					h[j] = math.Inf(-1)
				}
			}
			s, ok := ExpSum(c, h, 1, 0, -50)
			require.True(t, ok)
			require.Zero(t, s)
			// One term exactly at the cut and one at ExpSumMax are kept.
			h[n-1] = -50
			h[0] = ExpSumMax
			if n == 1 {
				h[0] = -50
			}
			want, tol, _ := expSumRef(c, h, 1, 0, -50)
			s, ok = ExpSum(c, h, 1, 0, -50)
			require.True(t, ok)
			require.InDelta(t, want, s, tol)
			// Any exponent above ExpSumMax (or +Inf) is an overflow,
			// wherever it is.
			for k := range n {
				for _, v := range []float64{ExpSumMax + 1e-9, math.Inf(1)} {
					h2 := append([]float64(nil), h...)
					h2[k] = v
					_, ok = ExpSum(c, h2, 1, 0, -50)
					require.False(t, ok, "n=%d k=%d v=%g", n, k, v)
				}
			}
			// Huge cost entries (exponent −Inf) and 1e300 are dropped.
			for j := range c {
				c[j] = 1e300
			}
			s, ok = ExpSum(c, h, 1, 0, -50)
			require.True(t, ok)
			require.Zero(t, s)
		}
	})
}

// TestExpSumAccuracy checks single terms over the whole kept range: the
// relative error of each exponential is a few ulp.
func TestExpSumAccuracy(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 2))
		c := make([]float64, 4)
		h := make([]float64, 4)
		worst := 0.0
		for range 20000 {
			x := -700 + 1409*rng.Float64()
			for j := range h {
				h[j] = -1e300
			}
			h[rng.IntN(4)] = x
			s, ok := ExpSum(c, h, 1, 0, -700)
			require.True(t, ok)
			want := math.Exp(x)
			worst = math.Max(worst, math.Abs(s-want)/want)
		}
		require.Less(t, worst, 1e-15)
		t.Logf("worst relative error %.2g", worst)
	})
}

// BenchmarkExpSum times one log-sum-exp row of 1000 terms (the P-SINK
// log-domain inner loop), assembly and pure Go.
func BenchmarkExpSum(b *testing.B) {
	rng := rand.New(rand.NewPCG(21, 3))
	const n = 1000
	c, h := make([]float64, n), make([]float64, n)
	for j := range c {
		c[j] = 2 * rng.Float64()
		h[j] = rng.NormFloat64()
	}
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, asm := range []bool{false, true} {
		if asm && !saved {
			continue
		}
		name := "go"
		if asm {
			name = "asm"
		}
		b.Run(name, func(b *testing.B) {
			useAVX2 = asm
			var s float64
			for b.Loop() {
				s, _ = ExpSum(c, h, 20, 0, -50)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/exp")
			_ = s
		})
	}
}

func TestExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 4))
	worst := 0.0
	for range 100000 {
		x := -708 + 1417*rng.Float64() // math.Exp on amd64 overflows early, near 709.7
		got, want := Exp(x), math.Exp(x)
		worst = math.Max(worst, math.Abs(got-want)/want)
	}
	require.Less(t, worst, 1e-15)
	for _, c := range [][2]float64{
		{0, 1}, {-708.5, 0}, {-1e300, 0}, {math.Inf(-1), 0}, {709.79, math.Inf(1)}, {math.Inf(1), math.Inf(1)},
	} {
		require.Equal(t, c[1], Exp(c[0]), "x=%g", c[0])
	}
	require.True(t, math.IsNaN(Exp(math.NaN())))
	// Near the bottom of the range (subnormal results through Ldexp).
	for _, x := range []float64{-707.9, -705, -700.1, -690, 709} {
		require.InDelta(t, 1, Exp(x)/math.Exp(x), 1e-15, "x=%g", x)
	}
}

func TestExpAffine(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 5))
		for _, n := range append(sizes, 1000, 1003) {
			c, h, dst := make([]float64, n), make([]float64, n), make([]float64, n)
			for rep := range 3 {
				alpha, beta := 30*rng.Float64(), rng.NormFloat64()
				for j := range c {
					c[j] = 4 * rng.Float64()
					h[j] = 5 * rng.NormFloat64()
					if rep == 2 && rng.IntN(7) == 0 {
						// Out-of-range exponents and NaN, scattered.
						h[j] = []float64{-705, -750, 709.5, 800, math.NaN(), math.Inf(1), math.Inf(-1)}[rng.IntN(7)]
					}
				}
				ExpAffine(dst, c, h, alpha, beta)
				for j := range dst {
					x := beta + h[j] - c[j]*alpha
					want := math.Exp(x)
					switch {
					case math.IsNaN(x):
						require.True(t, math.IsNaN(dst[j]), "n=%d j=%d", n, j)
					case x < -708 || x > 709.78:
						require.Equal(t, Exp(x), dst[j], "n=%d j=%d x=%g", n, j, x)
					default:
						// The exponent's rounding (fused or not) moves the
						// result by |alpha·c|·ε relative.
						tol := 0x1p-52 * (4 + math.Abs(beta) + math.Abs(h[j]) + 2*math.Abs(c[j]*alpha))
						require.InDelta(t, 1, dst[j]/want, tol, "n=%d j=%d x=%g", n, j, x)
					}
				}
			}
		}
	})
}
