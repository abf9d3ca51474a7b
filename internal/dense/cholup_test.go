package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// upperRef is the plain jki Cholesky of the full symmetric row-major a
// (n×n): the reference U (upper, row-major n×n) that CholeskyUpper must
// reproduce.
func upperRef(a []float64, n int) ([]float64, bool) {
	u := make([]float64, n*n)
	for j := range n {
		for i := j; i < n; i++ {
			s := a[j*n+i]
			for l := range j {
				s -= u[l*n+j] * u[l*n+i]
			}
			if i == j {
				if !(s > 0) || math.IsInf(s, 1) {
					return nil, false
				}
				u[j*n+j] = math.Sqrt(s)
			} else {
				u[j*n+i] = s / u[j*n+j]
			}
		}
	}
	return u, true
}

// padded copies the full symmetric n×n matrix a into an array of leading
// dimension lda, NaN in the strict lower triangle (never to be read) and
// zeros in the padding.
func padded(a []float64, n, lda int) []float64 {
	out := make([]float64, n*lda)
	for i := range n {
		for j := range lda {
			switch {
			case j >= n:
				out[i*lda+j] = 0
			case j < i:
				out[i*lda+j] = math.NaN()
			default:
				out[i*lda+j] = a[i*n+j]
			}
		}
	}
	return out
}

func TestCholeskyUpper(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		ns := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 23, 31, 32, 33, 50, 64, 100, 101, 150}
		for _, n := range ns {
			for _, extra := range []int{0, 5} {
				lda := n + UpperPad + extra
				s := spd(rng, n, 1e3)
				a := make([]float64, n*n)
				for i := range n {
					for j := range n {
						a[i*n+j] = s.At(i, j)
					}
				}
				want, ok := upperRef(a, n)
				require.True(t, ok)
				f := padded(a, n, lda)
				require.True(t, CholeskyUpper(f, n, lda), "n=%d", n)
				scale := 0.0
				for _, v := range want {
					scale = math.Max(scale, math.Abs(v))
				}
				for i := range n {
					for j := range lda {
						v := f[i*lda+j]
						switch {
						case j < i:
							require.True(t, math.IsNaN(v), "n=%d: lower (%d,%d) written", n, i, j)
						case j >= n:
							require.Zero(t, v, "n=%d: padding (%d,%d)", n, i, j)
						default:
							require.InDelta(t, want[i*n+j], v, 1e-13*scale, "n=%d (%d,%d)", n, i, j)
						}
					}
				}
				// The solves: U⁻ᵀ then U⁻¹ is A⁻¹.
				x := randSlice(rng, n)
				b := make([]float64, n)
				for i := range n {
					for j := range n {
						b[i] += a[i*n+j] * x[j]
					}
				}
				y := append([]float64(nil), b...)
				inv := make([]float64, n)
				ReciprocalDiagonal(inv, f, lda)
				SolveUpperT(f, n, lda, inv, y)
				// y = L⁻¹b: check L y = b with L = Uᵀ.
				for i := range n {
					s := 0.0
					for l := 0; l <= i; l++ {
						s += want[l*n+i] * y[l]
					}
					require.InDelta(t, b[i], s, 1e-10*(1+math.Abs(b[i]))*float64(n), "n=%d: L y = b, row %d", n, i)
				}
				SolveUpper(f, n, lda, inv, y)
				for i := range n {
					require.InDelta(t, x[i], y[i], 1e-8*(1+math.Abs(x[i])), "n=%d: A⁻¹(Ax) = x, entry %d", n, i)
				}
			}
		}
	})
}

func TestCholeskyUpperRejects(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, n := range []int{1, 3, 9, 17, 40} {
			lda := n + UpperPad
			s := spd(rng, n, 10)
			a := make([]float64, n*n)
			for i := range n {
				for j := range n {
					a[i*n+j] = s.At(i, j)
				}
			}
			for _, bad := range []struct {
				name string
				i, j int
				v    float64
			}{
				{"negative pivot", n - 1, n - 1, -1e3},
				{"NaN", 0, n - 1, math.NaN()},
				{"+Inf diagonal", n / 2, n / 2, math.Inf(1)},
			} {
				b := append([]float64(nil), a...)
				b[bad.i*n+bad.j], b[bad.j*n+bad.i] = bad.v, bad.v
				f := padded(b, n, lda)
				require.False(t, CholeskyUpper(f, n, lda), "n=%d %s", n, bad.name)
				for i := range n {
					for j := n; j < lda; j++ {
						require.Zero(t, f[i*lda+j], "n=%d %s: padding (%d,%d) after failure", n, bad.name, i, j)
					}
				}
			}
		}
	})
}

// FuzzCholeskyUpper factorizes arbitrary small symmetric matrices with
// both kernels: no panic, the same verdict as the reference (up to pivots
// within rounding of zero), and the reference factor when it succeeds.
func FuzzCholeskyUpper(f *testing.F) {
	f.Add(4.0, 1.0, 0.5, 3.0, 7)
	f.Add(1.0, 2.0, -1.0, 1e-300, 18)
	f.Add(math.NaN(), 1.0, math.Inf(1), 2.0, 3)
	f.Fuzz(func(t *testing.T, d, o1, o2, shift float64, n int) {
		n = n&31 + 1
		a := make([]float64, n*n)
		for i := range n {
			for j := range i + 1 {
				v := o1 * math.Sin(float64(3*i+j))
				if (i+j)%3 == 0 {
					v = o2 / float64(1+i+j)
				}
				if i == j {
					v = d + shift*float64(i)
				}
				a[i*n+j], a[j*n+i] = v, v
			}
		}
		want, wok := upperRef(a, n)
		lda := n + UpperPad + 1
		var ref []float64
		var okRef bool
		for _, m := range kernelModes() {
			restore := setMode(m)
			fa := padded(a, n, lda)
			ok := CholeskyUpper(fa, n, lda)
			restore()
			asm := m.name
			if m.avx512 {
				// The same bits as the AVX2 kernel, on failure too.
				if ok != okRef {
					t.Fatalf("n=%d: avx512 ok=%v, avx2 ok=%v", n, ok, okRef)
				}
				for i := range fa {
					if math.Float64bits(fa[i]) != math.Float64bits(ref[i]) {
						t.Fatalf("n=%d entry %d: avx512 %v, avx2 %v", n, i, fa[i], ref[i])
					}
				}
			} else if m.asm {
				ref, okRef = fa, ok
			}
			if ok != wok {
				// Rounding may decide a pivot of the order of the rounding
				// errors either way; only a confident verdict must agree.
				continue
			}
			if !ok {
				continue
			}
			for i := range n {
				for j := i; j < n; j++ {
					w, g := want[i*n+j], fa[i*lda+j]
					if !(math.Abs(w-g) <= 1e-8*(1+math.Abs(w))) && !math.IsInf(w, 0) && !math.IsNaN(w) {
						t.Fatalf("asm=%v n=%d (%d,%d): %v, want %v", asm, n, i, j, g, w)
					}
				}
			}
		}
	})
}

// FuzzSolveUpper solves with arbitrary upper triangular matrices (both
// kernels): no panic, nothing written past b, and where the reference
// substitution is finite, the same numbers to rounding.
func FuzzSolveUpper(f *testing.F) {
	f.Add(2.0, 0.5, -1.0, 3.0, 9)
	f.Add(1e-300, 1e300, math.NaN(), 1.0, 4)
	f.Fuzz(func(t *testing.T, d, o, b0, b1 float64, n int) {
		n = n&31 + 1
		ldu := n + 3
		u := make([]float64, n*ldu)
		for i := range n {
			u[i*ldu+i] = d + float64(i%3)
			for j := i + 1; j < n; j++ {
				u[i*ldu+j] = o * math.Cos(float64(i+2*j))
			}
		}
		b := make([]float64, n+2)
		for i := range n {
			b[i] = b0 + b1*float64(i)
		}
		b[n], b[n+1] = 7, 8
		// Reference: L⁻¹b by forward substitution with L = Uᵀ, then U⁻¹.
		want := append([]float64(nil), b[:n]...)
		for i := range n {
			s := want[i]
			for l := range i {
				s -= u[l*ldu+i] * want[l]
			}
			want[i] = s / u[i*ldu+i]
		}
		for i := n - 1; i >= 0; i-- {
			s := want[i]
			for l := i + 1; l < n; l++ {
				s -= u[i*ldu+l] * want[l]
			}
			want[i] = s / u[i*ldu+i]
		}
		saved := useAsm
		defer func() { useAsm = saved }()
		for _, asm := range []bool{false, saved} {
			useAsm = asm
			x := append([]float64(nil), b...)
			inv := make([]float64, n)
			ReciprocalDiagonal(inv, u, ldu)
			SolveUpperT(u, n, ldu, inv, x[:n])
			SolveUpper(u, n, ldu, inv, x[:n])
			if x[n] != 7 || x[n+1] != 8 {
				t.Fatalf("asm=%v: wrote past b", asm)
			}
			// Numbers are compared only for diagonally dominant U (error
			// growth of order one); elsewhere the checks above suffice.
			minDiag := math.Inf(1)
			for i := range n {
				minDiag = math.Min(minDiag, math.Abs(u[i*ldu+i]))
			}
			if !(math.Abs(o)*float64(n) <= 0.5*minDiag) {
				continue
			}
			for i := range n {
				w := want[i]
				if math.IsNaN(w) || math.IsInf(w, 0) || math.Abs(w) > 1e200 {
					return
				}
			}
			scale := 0.0
			for _, w := range want {
				scale = math.Max(scale, math.Abs(w))
			}
			for i := range n {
				// Reciprocals and reassociation move results by a few
				// ulps times the growth of the substitution.
				if !(math.Abs(x[i]-want[i]) <= 1e-9*(1+scale)) {
					t.Fatalf("asm=%v n=%d i=%d: %v, want %v", asm, n, i, x[i], want[i])
				}
			}
		}
	})
}
