package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// kernelMode is one setting of the kernel switches: the pure-Go kernels
// ("go"), the AVX/FMA and AVX2 ones ("avx2") or, for the level-3 kernels
// that have them, the AVX-512 ones ("avx512").
type kernelMode struct {
	name        string
	asm, avx512 bool
}

// kernelModes lists the modes this machine can run, pure Go first.
func kernelModes() []kernelMode {
	modes := []kernelMode{{name: "go"}}
	if useAsm {
		modes = append(modes, kernelMode{name: "avx2", asm: true})
	}
	if useAVX512 {
		modes = append(modes, kernelMode{name: "avx512", asm: true, avx512: true})
	}
	return modes
}

// setMode sets the kernel switches for m (never enabling kernels the
// machine lacks) and returns the function that restores them.
func setMode(m kernelMode) (restore func()) {
	saved, saved2, saved512 := useAsm, useAVX2, useAVX512
	useAsm, useAVX2, useAVX512 = m.asm && saved, m.asm && saved2, m.avx512 && saved512
	return func() { useAsm, useAVX2, useAVX512 = saved, saved2, saved512 }
}

// both runs f in every kernel mode of kernelModes: pure Go, and the
// assembly kernels (AVX2, and AVX-512 where the machine has it).
func both(t *testing.T, f func(t *testing.T)) {
	if !useAsm {
		t.Log("no AVX/FMA on this machine: testing the pure-Go kernels only")
	} else if !useAVX512 {
		t.Log("no AVX-512 on this machine: testing the Go and AVX2 kernels")
	}
	for _, m := range kernelModes() {
		restore := setMode(m)
		t.Run(m.name, f)
		restore()
	}
}

var sizes = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 16, 17, 23, 31, 33, 64, 101, 203}

func randSlice(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func TestDotAxpy(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, n := range sizes {
			x, y := randSlice(rng, n), randSlice(rng, n+3)
			want := 0.0
			for i := range n {
				want += x[i] * y[i]
			}
			require.InDelta(t, want, Dot(x, y), 1e-12*float64(n+1), "n=%d", n)
			y0 := append([]float64(nil), y...)
			Axpy(-0.7, x, y)
			for i := range n {
				require.InDelta(t, y0[i]-0.7*x[i], y[i], 1e-14, "n=%d i=%d", n, i)
			}
			require.Equal(t, y0[n:], y[n:], "Axpy wrote past len(x)")
		}
	})
}

func TestMulVec(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, rows := range sizes {
			for _, cols := range []int{1, 3, 8, 13, 50} {
				lda := cols + 2
				a := randSlice(rng, rows*lda)
				x := randSlice(rng, cols)
				y := make([]float64, rows)
				MulVec(y, 1, a, lda, x, 0)
				for i := range rows {
					want := 0.0
					for j := range cols {
						want += a[i*lda+j] * x[j]
					}
					require.InDelta(t, want, y[i], 1e-12*float64(cols), "rows=%d cols=%d", rows, cols)
				}
				// Transposed product: z += Aᵀ w.
				w := randSlice(rng, rows)
				z := randSlice(rng, cols)
				z0 := append([]float64(nil), z...)
				MulTransVec(z, 1, a, lda, w, 1)
				for j := range cols {
					want := z0[j]
					for i := range rows {
						want += a[i*lda+j] * w[i]
					}
					require.InDelta(t, want, z[j], 1e-12*float64(rows+1), "rows=%d cols=%d", rows, cols)
				}
			}
		}
	})
}

func TestGram(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, rows := range sizes {
			for _, cols := range []int{1, 5, 8, 37} {
				ldz := cols + 1
				z := randSlice(rng, rows*ldz)
				c := make([]float64, rows*rows)
				Gram(c, rows, z, rows, cols, ldz)
				for i := range rows {
					for j := range rows {
						want := 0.0
						for l := range cols {
							want += z[i*ldz+l] * z[j*ldz+l]
						}
						require.InDelta(t, want, c[i*rows+j], 1e-12*float64(cols), "rows=%d cols=%d (%d,%d)", rows, cols, i, j)
					}
				}
			}
		}
	})
}

// spd returns a random n×n symmetric positive definite matrix with
// condition number around cond.
func spd(rng *rand.Rand, n int, cond float64) *mat.SymDense {
	var q mat.QR
	q.Factorize(mat.NewDense(n, n, randSlice(rng, n*n)))
	var u mat.Dense
	q.QTo(&u)
	d := mat.NewDiagDense(n, nil)
	for i := range n {
		d.SetDiag(i, math.Pow(cond, -float64(i)/float64(max(n-1, 1))))
	}
	var a mat.Dense
	a.Product(&u, d, u.T())
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, 0.5*(a.At(i, j)+a.At(j, i)))
		}
	}
	return s
}

func TestCholeskyAndSolves(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, n := range sizes[1:] {
			for _, cond := range []float64{10, 1e8} {
				s := spd(rng, n, cond)
				lda := n + 3
				a := make([]float64, n*lda)
				for i := range n {
					for j := range n {
						a[i*lda+j] = s.At(i, j)
					}
					a[i*lda+n] = 42 // padding must stay
				}
				upper := append([]float64(nil), a...)
				require.True(t, Cholesky(a, n, lda), "n=%d cond=%g", n, cond)
				// L Lᵀ = A, and the strict upper triangle is untouched.
				var ref mat.Cholesky
				require.True(t, ref.Factorize(s))
				var lref mat.TriDense
				ref.LTo(&lref)
				for i := range n {
					for j := range n {
						if j > i {
							require.Equal(t, upper[i*lda+j], a[i*lda+j])
							continue
						}
						require.InDelta(t, lref.At(i, j), a[i*lda+j], 1e-12*math.Sqrt(cond), "n=%d (%d,%d)", n, i, j)
					}
					require.Equal(t, 42.0, a[i*lda+n])
				}
				// Solves against gonum's.
				b := randSlice(rng, n)
				x := append([]float64(nil), b...)
				SolveLower(a, n, lda, x)
				SolveLowerT(a, n, lda, x)
				var want mat.VecDense
				require.NoError(t, ref.SolveVecTo(&want, mat.NewVecDense(n, b)))
				for i := range n {
					require.InDelta(t, want.AtVec(i), x[i], 1e-8*cond*math.Max(1, math.Abs(want.AtVec(i))), "n=%d", n)
				}
				// Right solve X Lᵀ = G for several row counts.
				for _, rows := range []int{1, 2, 3, 4, 7} {
					g := randSlice(rng, rows*lda)
					xr := append([]float64(nil), g...)
					SolveRowsLowerT(xr, rows, lda, a, n, lda)
					for i := range rows {
						for j := range n {
							got := 0.0 // (X Lᵀ)ᵢⱼ = Σ_l Xᵢₗ Lⱼₗ
							for l := 0; l <= j; l++ {
								got += xr[i*lda+l] * a[j*lda+l]
							}
							require.InDelta(t, g[i*lda+j], got, 1e-9*math.Max(1, math.Abs(g[i*lda+j])), "rows=%d n=%d", rows, n)
						}
						require.Equal(t, g[i*lda+n:i*lda+n+3], xr[i*lda+n:i*lda+n+3], "padding")
					}
				}
			}
		}
	})
}

func TestCholeskyRejects(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, n := range []int{1, 5, 40} {
			s := spd(rng, n, 10)
			a := make([]float64, n*n)
			for i := range n {
				for j := range n {
					a[i*n+j] = s.At(i, j)
				}
			}
			// Indefinite: flip the last diagonal entry far below zero.
			bad := append([]float64(nil), a...)
			bad[n*n-1] = -1
			require.False(t, Cholesky(bad, n, n), "indefinite n=%d", n)
			nan := append([]float64(nil), a...)
			nan[(n-1)*n] = math.NaN()
			require.False(t, Cholesky(nan, n, n), "NaN n=%d", n)
			inf := append([]float64(nil), a...)
			inf[0] = math.Inf(1)
			require.False(t, Cholesky(inf, n, n), "Inf n=%d", n)
		}
	})
}

// FuzzCholesky compares the assembly and pure-Go kernels on arbitrary
// symmetric matrices: they must agree on success and, when both succeed,
// on the factor up to rounding.
func FuzzCholesky(f *testing.F) {
	f.Add(uint8(5), uint64(1), 1.0)
	f.Add(uint8(17), uint64(2), -1.0)
	f.Add(uint8(40), uint64(3), 1e-12)
	f.Fuzz(func(t *testing.T, n8 uint8, seed uint64, shift float64) {
		n := int(n8 % 64)
		if math.IsNaN(shift) || math.IsInf(shift, 0) {
			shift = 0
		}
		rng := rand.New(rand.NewPCG(seed, 11))
		a := make([]float64, n*n)
		for i := range n {
			for j := 0; j <= i; j++ {
				v := rng.NormFloat64()
				a[i*n+j], a[j*n+i] = v, v
			}
			a[i*n+i] += float64(n) * shift
		}
		modes := kernelModes()
		var g, ref []float64
		var okG, okRef bool
		for k, m := range modes {
			restore := setMode(m)
			s := append([]float64(nil), a...)
			okS := Cholesky(s, n, n)
			restore()
			if k == 0 {
				g, okG = s, okS
				continue
			}
			if m.avx512 {
				// The AVX-512 kernels give the AVX2 kernels' bits, even
				// on failure.
				if okS != okRef {
					t.Fatalf("n=%d: avx512 ok=%v, avx2 ok=%v", n, okS, okRef)
				}
				for i := range s {
					if math.Float64bits(s[i]) != math.Float64bits(ref[i]) {
						t.Fatalf("n=%d entry %d: avx512 %v, avx2 %v", n, i, s[i], ref[i])
					}
				}
				continue
			}
			ref, okRef = s, okS
			if okG != okS {
				// Only a pivot within rounding of zero may differ.
				continue
			}
			if okS {
				for i := range n {
					for j := 0; j <= i; j++ {
						if d := math.Abs(g[i*n+j] - s[i*n+j]); !(d <= 1e-6*(1+math.Abs(g[i*n+j]))) {
							t.Fatalf("n=%d (%d,%d): go %g, %s %g", n, i, j, g[i*n+j], m.name, s[i*n+j])
						}
					}
				}
			}
		}
	})
}

// TestDotAxpyRows checks DotAxpyRows against MulVec then MulTransVec
// (bit for bit) and against a plain double loop.
func TestDotAxpyRows(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 1))
		for _, rows := range []int{0, 1, 3, 4, 5, 8, 13, 64} {
			for _, cols := range []int{1, 3, 4, 7, 8, 9, 17, 100} {
				lda := cols + rows%3
				a := randSlice(rng, rows*lda)
				x := randSlice(rng, cols)
				z0 := randSlice(rng, cols)
				w := randSlice(rng, rows)
				f := func(i int, s float64) float64 { return w[i] * s * s }
				z := append([]float64(nil), z0...)
				var order []int
				DotAxpyRows(a, lda, rows, x, z, func(i int, s float64) float64 {
					order = append(order, i)
					return f(i, s)
				})
				y := make([]float64, rows)
				MulVec(y, 1, a, lda, x, 0)
				c := make([]float64, rows)
				for i := range c {
					c[i] = f(i, y[i])
				}
				want := append([]float64(nil), z0...)
				MulTransVec(want, 1, a, lda, c, 1)
				require.Equal(t, want, z, "rows=%d cols=%d", rows, cols)
				for i := range order {
					require.Equal(t, i, order[i])
				}
				require.Len(t, order, rows)
				for j := range cols {
					ref := z0[j]
					for i := range rows {
						var s float64
						for l := range cols {
							s += a[i*lda+l] * x[l]
						}
						ref += f(i, s) * a[i*lda+j]
					}
					require.InDelta(t, ref, z[j], 1e-12*(1+float64(rows*cols)))
				}
			}
		}
	})
}
