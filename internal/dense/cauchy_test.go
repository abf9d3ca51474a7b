package dense

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCauchySigmoidMatchesAtan compares CauchySigmoid, assembly and pure
// Go, with 1/2 + math.Atan(βd)/π and β/(π(1 + (βd)²)) on gaps of every
// scale (0, ±5e-324, both sides of the reduction points 0.66 and
// tan(3π/8), up to ±1e300 where βd overflows to ±Inf) and steepnesses
// from 1e-300 to 1e300: the same bits.
func TestCauchySigmoidMatchesAtan(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(87, 88))
		special := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 0.66, math.Nextafter(0.66, 1), 2.41421356237309504880,
			math.Nextafter(2.41421356237309504880, 3), -0.66, -2.41421356237309504880, 1, -1, 1e300, -1e300}
		betas := []float64{1, 10, 1e-300, 1e300, 0.5}
		for trial := range 2000 {
			n := trial % 37
			d := make([]float64, n)
			for i := range d {
				switch rng.IntN(4) {
				case 0:
					d[i] = special[rng.IntN(len(special))]
				case 1:
					d[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
				default:
					d[i] = 3 * rng.NormFloat64()
				}
			}
			beta := betas[trial%len(betas)]
			if trial%len(betas) == 0 {
				beta = 0.1 + 20*rng.Float64()
			}
			if !(beta == 1 || beta == 10 || beta == 0.5) {
				for i := range d { // keep βd finite or exactly scaled special
					if beta*d[i] != 0 && (math.IsInf(beta*d[i], 0) || math.Abs(beta*d[i]) < 1e-300) {
						d[i] = 1 / beta
					}
				}
			}
			a, da := make([]float64, n), make([]float64, n)
			CauchySigmoid(a, da, d, beta)
			da2 := make([]float64, n) // dalpha aliasing d
			copy(da2, d)
			a2 := make([]float64, n)
			CauchySigmoid(a2, da2, da2, beta)
			require.Equal(t, a, a2, "trial %d: aliased α", trial)
			require.Equal(t, da, da2, "trial %d: aliased dα", trial)
			for i, x := range d {
				v := beta * x
				wa := 0.5 + math.Atan(v)/math.Pi
				wd := beta / (math.Pi * (1 + v*v))
				require.Equal(t, wa, a[i], "trial %d: α(%v)", trial, v)
				require.Equal(t, wd, da[i], "trial %d: dα(%v)", trial, v)
			}
		}
	})
}

// BenchmarkCauchySigmoid times CauchySigmoid per entry (ns/op for 64
// entries) against math.Atan.
func BenchmarkCauchySigmoid(b *testing.B) {
	rng := rand.New(rand.NewPCG(89, 90))
	const n = 64
	d := make([]float64, n)
	for i := range d {
		d[i] = rng.NormFloat64()
	}
	a, da := make([]float64, n), make([]float64, n)
	for _, asm := range []bool{false, true} {
		if asm && !useAsm {
			continue
		}
		b.Run("asm="+strconv.FormatBool(asm), func(b *testing.B) {
			saved := useAsm
			useAsm = asm
			defer func() { useAsm = saved }()
			for b.Loop() {
				CauchySigmoid(a, da, d, 10)
			}
		})
	}
}

// FuzzCauchySigmoid requires CauchySigmoid to return the bits of
// 1/2 + math.Atan(βd)/π and β/(π(1 + (βd)²)) for fuzzed gaps and β.
func FuzzCauchySigmoid(f *testing.F) {
	f.Add(0.3, -2.5, 1e300, 10.0)
	f.Add(0.66, 2.41421356237309504880, -5e-324, 1e-300)
	f.Fuzz(func(t *testing.T, d0, d1, d2, beta float64) {
		d := []float64{d0, d1, d2, d0 - d1, d1 * d2}
		for _, x := range append(d, beta) {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return
			}
		}
		if !(beta > 0) {
			return
		}
		a, da := make([]float64, len(d)), make([]float64, len(d))
		CauchySigmoid(a, da, d, beta)
		for i, x := range d {
			v := beta * x
			require.Equal(t, 0.5+math.Atan(v)/math.Pi, a[i])
			require.Equal(t, beta/(math.Pi*(1+v*v)), da[i])
		}
	})
}
