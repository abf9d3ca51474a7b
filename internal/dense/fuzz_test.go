package dense

import (
	"math"
	"testing"
)

// FuzzExpSum checks ExpSum (assembly where available, and the pure-Go
// kernel) against math.Exp on arbitrary exponents: the same overflow
// verdict, and the sum within the error bound of expSumRef.
func FuzzExpSum(f *testing.F) {
	f.Add(1.0, 0.0, 0.5, -3.0, 2.0, 700.0, 9)
	f.Add(20.0, -1.0, 0.0, 1e300, math.NaN(), -1e-300, 4)
	f.Fuzz(func(t *testing.T, alpha, shift, c0, h0, h1, h2 float64, n int) {
		n = n&63 + 1
		c, h := make([]float64, n), make([]float64, n)
		for j := range c {
			c[j] = c0 * float64(j%5)
			h[j] = []float64{h0, h1, h2}[j%3] + float64(j)/7
		}
		want, tol, wok := expSumRef(c, h, alpha, shift, -50)
		saved := useAVX2
		defer func() { useAVX2 = saved }()
		for _, asm := range []bool{false, saved} {
			useAVX2 = asm
			got, ok := ExpSum(c, h, alpha, shift, -50)
			// An exponent within rounding of 709 may be judged either
			// way by the two ways of rounding it.
			if ok != wok {
				if !near709(c, h, alpha, shift) {
					t.Fatalf("asm=%v: overflow %v, want %v", asm, !ok, !wok)
				}
				continue
			}
			if ok && (math.IsNaN(want) || math.IsInf(want, 1)) {
				// Terms near e⁷⁰⁹ whose sum overflows: +Inf, as a plain
				// float64 sum.
				if !math.IsInf(got, 1) && !(got > 1e307) {
					t.Fatalf("asm=%v: %g, want +Inf", asm, got)
				}
				continue
			}
			if ok && !(math.Abs(got-want) <= tol) && !near709(c, h, alpha, shift) && !nearCut(c, h, alpha, shift) {
				t.Fatalf("asm=%v: %g, want %g ± %g", asm, got, want, tol)
			}
		}
	})
}

// near709 and nearCut report whether some exponent is within rounding of
// ExpSumMax or of the cut −50, where the kernels may decide differently.
func near709(c, h []float64, alpha, shift float64) bool {
	return nearValue(c, h, alpha, shift, ExpSumMax)
}

func nearCut(c, h []float64, alpha, shift float64) bool {
	return nearValue(c, h, alpha, shift, -50)
}

func nearValue(c, h []float64, alpha, shift, v float64) bool {
	for j := range c {
		x := h[j] - shift - c[j]*alpha
		if math.Abs(x-v) <= 1e-12*(math.Abs(h[j])+math.Abs(shift)+math.Abs(c[j]*alpha)+1) {
			return true
		}
	}
	return false
}

// FuzzExpAffine checks ExpAffine (assembly where available, and Go)
// against Exp on arbitrary exponents, in-range or not: the same
// special values, and each entry within the rounding of its exponent.
func FuzzExpAffine(f *testing.F) {
	f.Add(1.0, 0.0, 0.5, -3.0, 2.0, 700.0, 9)
	f.Add(20.0, -1.0, 0.0, 1e300, math.NaN(), -705.0, 13)
	f.Fuzz(func(t *testing.T, alpha, beta, c0, h0, h1, h2 float64, n int) {
		n = n&63 + 1
		c, h, dst := make([]float64, n), make([]float64, n), make([]float64, n)
		for j := range c {
			c[j] = c0 * float64(j%5)
			h[j] = []float64{h0, h1, h2}[j%3] + float64(j)/7
		}
		saved := useAVX2
		defer func() { useAVX2 = saved }()
		for _, asm := range []bool{false, saved} {
			useAVX2 = asm
			ExpAffine(dst, c, h, alpha, beta)
			for j, got := range dst {
				x := beta + h[j] - c[j]*alpha
				want := Exp(x)
				switch {
				case math.IsNaN(x) || math.IsNaN(want):
					if !math.IsNaN(got) && !math.IsInf(x, 0) {
						t.Fatalf("asm=%v j=%d: Exp(%g) = %g, want NaN", asm, j, x, got)
					}
				case got == want:
				default:
					// The fused exponent may differ from x by the rounding
					// of alpha·c (and so cross a range boundary).
					tol := 0x1p-52 * (4 + math.Abs(beta) + math.Abs(h[j]) + 2*math.Abs(c[j]*alpha))
					lo, hi := Exp(x-tol*math.Max(1, math.Abs(x))), Exp(x+tol*math.Max(1, math.Abs(x)))
					if !(got >= lo*(1-4e-16) && got <= hi*(1+4e-16)) {
						t.Fatalf("asm=%v j=%d: Exp(%g) = %g, want %g", asm, j, x, got, want)
					}
				}
			}
		}
	})
}
