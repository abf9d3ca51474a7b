package dense

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bitSizes are the orders of the AVX-512 bit-identity tests: every
// remainder modulo 16, the powers of two and their neighbours, and the
// P-QP shapes, up to 300.
var bitSizes = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
	20, 21, 23, 25, 27, 29, 31, 32, 33, 35, 37, 47, 48, 49, 50, 63, 64, 65, 97, 100, 101,
	127, 128, 129, 150, 199, 200, 201, 255, 256, 257, 300}

// sameBits runs f in the avx2 and in the avx512 mode and fails unless the
// two results (and the two ok values) are the same bit for bit.
func sameBits(t *testing.T, what string, f func() ([]float64, bool)) {
	t.Helper()
	restore := setMode(kernelMode{name: "avx2", asm: true})
	want, wok := f()
	restore()
	restore = setMode(kernelMode{name: "avx512", asm: true, avx512: true})
	got, gok := f()
	restore()
	if gok != wok {
		t.Fatalf("%s: avx512 ok=%v, avx2 ok=%v", what, gok, wok)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: entry %d is %v (%#x) with AVX-512, %v (%#x) with AVX2",
				what, i, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

func needAVX512(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this machine")
	}
}

// spdSlice returns a random n×n symmetric positive definite matrix with
// leading dimension lda (B Bᵀ/n + I, NaN past column n so that a kernel
// reading there shows), and a copy of its diagonal.
func spdSlice(rng *rand.Rand, n, lda int) []float64 {
	b := randSlice(rng, n*n)
	a := make([]float64, n*lda)
	for i := range a {
		a[i] = math.NaN()
	}
	for i := range n {
		for j := 0; j <= i; j++ {
			var s float64
			for k := range n {
				s += b[i*n+k] * b[j*n+k]
			}
			s /= float64(n)
			if i == j {
				s++
			}
			a[i*lda+j], a[j*lda+i] = s, s
		}
	}
	return a
}

// TestAVX512Dots3x4BitIdentical compares dots3x4 (through subABt's and
// Gram's callers' entry point) in the two assembly modes.
func TestAVX512Dots3x4BitIdentical(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(512, 1))
	for _, k := range bitSizes {
		for _, pad := range []int{0, 1, 5, 17} {
			lda, ldb := k+pad, k+pad+rng.IntN(3)
			a, b := randSlice(rng, 3*lda), randSlice(rng, 4*ldb)
			sameBits(t, "dots3x4", func() ([]float64, bool) {
				var c [12]float64
				dots3x4(a, lda, b, ldb, k, &c)
				return c[:], true
			})
		}
	}
}

// TestAVX512SolveRowsBitIdentical compares SolveRowsLowerT,
// SolveRowsUnitLowerT and SolveRowsUnitLowerTOnes (rows not multiples of
// three or six, strides past the width) in the two assembly modes.
func TestAVX512SolveRowsBitIdentical(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(512, 2))
	for _, n := range bitSizes {
		ldl := n + rng.IntN(9)
		l := randSlice(rng, n*ldl+1)
		for i := range n {
			for j := range i {
				l[i*ldl+j] /= float64(n) // moderate growth
			}
			l[i*ldl+i] = 1 + rng.Float64()
		}
		for _, rows := range []int{1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 17, 100} {
			ldx := n + rng.IntN(11)
			x0 := randSlice(rng, rows*ldx+1)
			sameBits(t, "SolveRowsLowerT", func() ([]float64, bool) {
				x := append([]float64(nil), x0...)
				SolveRowsLowerT(x, rows, ldx, l, n, ldl)
				return x, true
			})
			sameBits(t, "SolveRowsUnitLowerT", func() ([]float64, bool) {
				x := append([]float64(nil), x0...)
				SolveRowsUnitLowerT(x, rows, ldx, l, n, ldl)
				return x, true
			})
			sameBits(t, "SolveRowsUnitLowerTOnes", func() ([]float64, bool) {
				x := append([]float64(nil), x0...)
				ones := make([]float64, n+1)
				for i := range ones {
					ones[i] = 1
				}
				SolveRowsUnitLowerTOnes(x, rows, ldx, l, n, ldl, ones)
				return x, true
			})
		}
	}
}

// TestAVX512GramCholeskyBitIdentical compares Gram and Cholesky, on
// positive definite matrices and on ones that fail at some pivot, in the
// two assembly modes.
func TestAVX512GramCholeskyBitIdentical(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(512, 3))
	for _, n := range bitSizes {
		lda := n + rng.IntN(7)
		a0 := spdSlice(rng, n, lda)
		sameBits(t, "Cholesky", func() ([]float64, bool) {
			a := append([]float64(nil), a0...)
			return a, Cholesky(a, n, lda)
		})
		// Failing pivots: every position for the smaller orders (each
		// place in a pair of triples), a dozen for the larger.
		ps := make([]int, 0, n)
		for p := range n {
			if n <= 64 || rng.IntN(n) < 12 {
				ps = append(ps, p)
			}
		}
		for _, p := range ps {
			for _, v := range []float64{-a0[p*lda+p], math.NaN(), math.Inf(1)} {
				bad := append([]float64(nil), a0...)
				bad[p*lda+p] = v
				sameBits(t, "Cholesky (failing)", func() ([]float64, bool) {
					a := append([]float64(nil), bad...)
					return a, Cholesky(a, n, lda)
				})
			}
		}
		for _, rows := range []int{1, 2, 3, 4, 6, 7, 9, 12, 37, 100} {
			ldz := n + rng.IntN(5)
			z := randSlice(rng, rows*ldz+1)
			ldc := rows + rng.IntN(3)
			sameBits(t, "Gram", func() ([]float64, bool) {
				c := make([]float64, rows*ldc)
				Gram(c, ldc, z, rows, n, ldz)
				return c, true
			})
		}
	}
}

// TestAVX512CholeskyUpperBitIdentical compares CholeskyUpper in the two
// assembly modes, whole arrays (strict lower triangle, padding and the
// columns past it included), on positive definite matrices and on ones
// whose pivot j fails (every j mod 4, so that each of the four-row
// group's failure exits is taken), and checks the padding invariant.
func TestAVX512CholeskyUpperBitIdentical(t *testing.T) {
	needAVX512(t)
	rng := rand.New(rand.NewPCG(512, 4))
	for _, n := range bitSizes {
		lda := n + UpperPad + rng.IntN(5)
		a0 := spdSlice(rng, n, lda)
		for i := range n {
			for j := n; j < n+UpperPad; j++ {
				a0[i*lda+j] = 0
			}
		}
		check := func(what string, src []float64) {
			sameBits(t, what, func() ([]float64, bool) {
				a := append([]float64(nil), src...)
				ok := CholeskyUpper(a, n, lda)
				for i := range n {
					for j := n; j < n+UpperPad; j++ {
						if a[i*lda+j] != 0 || math.Signbit(a[i*lda+j]) {
							t.Fatalf("%s n=%d: padding (%d,%d) = %v", what, n, i, j, a[i*lda+j])
						}
					}
				}
				return a, ok
			})
		}
		check("CholeskyUpper", a0)
		for p := range min(n, 8) {
			for _, q := range []int{p, n - 1 - p} {
				bad := append([]float64(nil), a0...)
				bad[q*lda+q] = -bad[q*lda+q]
				check("CholeskyUpper (negative pivot)", bad)
				bad[q*lda+q] = math.NaN()
				check("CholeskyUpper (NaN pivot)", bad)
			}
		}
		if n > 2 {
			// A huge off-diagonal entry: the products overflow before a
			// later pivot fails.
			bad := append([]float64(nil), a0...)
			bad[1] = 1e300
			check("CholeskyUpper (overflow)", bad)
		}
	}
}
