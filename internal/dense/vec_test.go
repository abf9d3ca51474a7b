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
