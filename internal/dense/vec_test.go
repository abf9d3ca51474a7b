package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// maxAbsRef is the plain loop MaxAbs must agree with.
func maxAbsRef(x []float64) float64 {
	m := 0.0
	for _, e := range x {
		if math.IsNaN(e) {
			return math.NaN()
		}
		m = math.Max(m, math.Abs(e))
	}
	return m
}

func TestMaxAbs(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for n := range 40 {
			for off := range 3 {
				buf := randSlice(rng, n+off)
				x := buf[off:] // odd alignments
				require.Equal(t, maxAbsRef(x), MaxAbs(x), "n=%d", n)
				if n == 0 {
					continue
				}
				// The largest entry anywhere, negative, and ±Inf.
				for _, pos := range []int{0, n / 2, n - 1} {
					y := append([]float64(nil), x...)
					y[pos] = -1e300
					require.Equal(t, 1e300, MaxAbs(y), "n=%d pos=%d", n, pos)
					y[pos] = math.Inf(-1)
					require.Equal(t, math.Inf(1), MaxAbs(y), "n=%d pos=%d", n, pos)
					y[pos] = math.NaN()
					require.True(t, math.IsNaN(MaxAbs(y)), "n=%d pos=%d: NaN not reported", n, pos)
				}
			}
		}
	})
}

// FuzzMaxAbs checks MaxAbs (assembly where available, and the pure-Go
// loop) against the reference on arbitrary values, NaN and ±Inf among
// them.
func FuzzMaxAbs(f *testing.F) {
	f.Add(1.0, -2.0, 0.5, 17)
	f.Add(math.NaN(), math.Inf(1), -0.0, 9)
	f.Add(1e308, -1e-308, 5e-324, 33)
	f.Fuzz(func(t *testing.T, a, b, c float64, n int) {
		n = n&63 + 1
		x := make([]float64, n)
		for i := range x {
			x[i] = []float64{a, b, c}[i%3] * float64(1+i%5)
		}
		want := maxAbsRef(x)
		saved := useAsm
		defer func() { useAsm = saved }()
		for _, asm := range []bool{false, saved} {
			useAsm = asm
			got := MaxAbs(x)
			if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && got != want) {
				t.Fatalf("asm=%v: MaxAbs = %v, want %v", asm, got, want)
			}
		}
	})
}

func TestAxpby(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for n := range 40 {
			for off := range 3 {
				x, y := randSlice(rng, n+off+2)[off:], randSlice(rng, n+5)
				a, b := rng.NormFloat64(), rng.NormFloat64()
				dst := make([]float64, n+2)
				dst[n], dst[n+1] = 7, 8
				Axpby(dst[:n], a, x, b, y)
				for i := range n {
					// Exactly the plain loop's numbers (no fusion).
					require.Equal(t, a*x[i]+b*y[i], dst[i], "n=%d i=%d", n, i)
				}
				require.Equal(t, []float64{7, 8}, dst[n:], "wrote past len(dst)")
				// In place: dst = x.
				want := make([]float64, n)
				for i := range n {
					want[i] = a*x[i] + b*y[i]
				}
				Axpby(x[:n], a, x, b, y)
				require.Equal(t, want, x[:n], "in place, n=%d", n)
			}
		}
	})
}

// FuzzAxpby checks Axpby against the plain loop, bit for bit, on
// arbitrary values (NaN, ±Inf and huge ones among them).
func FuzzAxpby(f *testing.F) {
	f.Add(1.5, -2.0, 3.0, 4.0, 13)
	f.Add(math.Inf(1), 0.0, math.NaN(), 1e308, 6)
	f.Fuzz(func(t *testing.T, a, b, x0, y0 float64, n int) {
		n = n&31 + 1
		x, y := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i] = x0 * float64(i%7-3)
			y[i] = y0 + float64(i)
		}
		saved := useAsm
		defer func() { useAsm = saved }()
		for _, asm := range []bool{false, saved} {
			useAsm = asm
			dst := make([]float64, n)
			Axpby(dst, a, x, b, y)
			for i := range n {
				want := a*x[i] + b*y[i]
				if math.Float64bits(want) != math.Float64bits(dst[i]) && !(math.IsNaN(want) && math.IsNaN(dst[i])) {
					t.Fatalf("asm=%v i=%d: %v, want %v", asm, i, dst[i], want)
				}
			}
		}
	})
}
