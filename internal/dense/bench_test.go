package dense

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// The shapes of the P-QP protocol's n=200, m=100 instances: Cholesky of Q
// (200) and of the per-iteration Schur complement (100), G U⁻¹ (100×200)
// and its Gram matrix. Each is timed here and with gonum (SSE2 BLAS).
func BenchmarkKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{100, 200} {
		s := spd(rng, n, 100)
		a0 := make([]float64, n*n)
		for i := range n {
			for j := range n {
				a0[i*n+j] = s.At(i, j)
			}
		}
		a := make([]float64, n*n)
		b.Run(fmt.Sprintf("Cholesky/n=%d/dense", n), func(b *testing.B) {
			for b.Loop() {
				copy(a, a0)
				if !Cholesky(a, n, n) {
					b.Fatal("not PD")
				}
			}
		})
		b.Run(fmt.Sprintf("Cholesky/n=%d/gonum", n), func(b *testing.B) {
			for b.Loop() {
				copy(a, a0)
				if _, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: n, Data: a, Stride: n}); !ok {
					b.Fatal("not PD")
				}
			}
		})
	}
	const rows, n = 100, 200
	s := spd(rng, n, 100)
	l := make([]float64, n*n)
	for i := range n {
		for j := range n {
			l[i*n+j] = s.At(i, j)
		}
	}
	u := append([]float64(nil), l...)
	Cholesky(l, n, n)
	lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: n, Data: u, Stride: n})
	g := randSlice(rng, rows*n)
	z := make([]float64, rows*n)
	b.Run("SolveRowsLowerT/100x200/dense", func(b *testing.B) {
		for b.Loop() {
			copy(z, g)
			SolveRowsLowerT(z, rows, n, l, n, n)
		}
	})
	b.Run("SolveRowsLowerT/100x200/gonum", func(b *testing.B) {
		for b.Loop() {
			copy(z, g)
			blas64.Trsm(blas.Right, blas.NoTrans, 1, blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: n, Data: u, Stride: n}, blas64.General{Rows: rows, Cols: n, Data: z, Stride: n})
		}
	})
	c := make([]float64, rows*rows)
	b.Run("Gram/100x200/dense", func(b *testing.B) {
		for b.Loop() {
			Gram(c, rows, g, rows, n, n)
		}
	})
	b.Run("Gram/100x200/gonum", func(b *testing.B) {
		for b.Loop() {
			blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: rows, Cols: n, Data: g, Stride: n}, 0, blas64.Symmetric{Uplo: blas.Upper, N: rows, Data: c, Stride: rows})
		}
	})
	x := randSlice(rng, n)
	y := make([]float64, rows)
	b.Run("MulVec/100x200/dense", func(b *testing.B) {
		for b.Loop() {
			MulVec(y, 1, g, n, x, 0)
		}
	})
	b.Run("MulVec/100x200/gonum", func(b *testing.B) {
		for b.Loop() {
			blas64.Gemv(blas.NoTrans, 1, blas64.General{Rows: rows, Cols: n, Data: g, Stride: n}, blas64.Vector{N: n, Data: x, Inc: 1}, 0, blas64.Vector{N: rows, Data: y, Inc: 1})
		}
	})
	b.Run("MulTransVec/100x200/dense", func(b *testing.B) {
		for b.Loop() {
			MulTransVec(x, 1, g, n, y, 1)
		}
	})
	b.Run("MulTransVec/100x200/gonum", func(b *testing.B) {
		for b.Loop() {
			blas64.Gemv(blas.Trans, 1, blas64.General{Rows: rows, Cols: n, Data: g, Stride: n}, blas64.Vector{N: rows, Data: y, Inc: 1}, 1, blas64.Vector{N: n, Data: x, Inc: 1})
		}
	})
	b.Run("SolveLower+T/n=100/dense", func(b *testing.B) {
		for b.Loop() {
			SolveLower(l, 100, n, x)
			SolveLowerT(l, 100, n, x)
		}
	})
	b.Run("SolveLower+T/n=100/gonum", func(b *testing.B) {
		ut := blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: 100, Data: u, Stride: n}
		for b.Loop() {
			blas64.Trsv(blas.Trans, ut, blas64.Vector{N: 100, Data: x, Inc: 1})
			blas64.Trsv(blas.NoTrans, ut, blas64.Vector{N: 100, Data: x, Inc: 1})
		}
	})
}

// LU with partial pivoting and its solves against gonum's Getrf/Getrs at
// the sizes of the implicit engine's dense path.
func BenchmarkLU(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{100, 200, 500, 1000} {
		a0 := randSlice(rng, n*n)
		a := make([]float64, n*n)
		piv := make([]int, n)
		b.Run(fmt.Sprintf("n=%d/dense", n), func(b *testing.B) {
			for b.Loop() {
				copy(a, a0)
				if !LU(a, n, n, piv) {
					b.Fatal("singular")
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/gonum", n), func(b *testing.B) {
			for b.Loop() {
				copy(a, a0)
				if !lapack64.Getrf(blas64.General{Rows: n, Cols: n, Data: a, Stride: n}, piv) {
					b.Fatal("singular")
				}
			}
		})
		x0 := randSlice(rng, n)
		x := make([]float64, n)
		b.Run(fmt.Sprintf("Solve+T/n=%d/dense", n), func(b *testing.B) {
			for b.Loop() {
				copy(x, x0)
				LUSolve(a, n, n, piv, x)
				LUSolveTrans(a, n, n, piv, x)
			}
		})
		b.Run(fmt.Sprintf("Solve+T/n=%d/gonum", n), func(b *testing.B) {
			ge := blas64.General{Rows: n, Cols: n, Data: a, Stride: n}
			xv := blas64.General{Rows: n, Cols: 1, Data: x, Stride: 1}
			for b.Loop() {
				copy(x, x0)
				lapack64.Getrs(blas.NoTrans, ge, xv, piv)
				lapack64.Getrs(blas.Trans, ge, xv, piv)
			}
		})
	}
}

// BenchmarkSinkhornSweep times the two products of one Sinkhorn iteration
// on a 1000×1000 kernel (8 MB, more than a core's L2 cache): A x then Aᵀ c
// as two passes, and fused in one pass (DotAxpyRows).
func BenchmarkSinkhornSweep(b *testing.B) {
	const n = 1000
	rng := rand.New(rand.NewPCG(41, 1))
	a := randSlice(rng, n*n)
	x := randSlice(rng, n)
	y, z := make([]float64, n), make([]float64, n)
	b.Run("two-passes", func(b *testing.B) {
		for b.Loop() {
			MulVec(y, 1, a, n, x, 0)
			MulTransVec(z, 1, a, n, y, 0)
		}
		b.ReportMetric(float64(2*n*n*8)/float64(b.Elapsed().Nanoseconds())*float64(b.N), "GB/s")
	})
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			clear(z)
			DotAxpyRows(a, n, n, x, z, func(i int, s float64) float64 { return s })
		}
		b.ReportMetric(float64(2*n*n*8)/float64(b.Elapsed().Nanoseconds())*float64(b.N), "GB/s-equiv")
	})
	b.Run("MulVec", func(b *testing.B) {
		for b.Loop() {
			MulVec(y, 1, a, n, x, 0)
		}
		b.ReportMetric(float64(n*n*8)/float64(b.Elapsed().Nanoseconds())*float64(b.N), "GB/s")
	})
	b.Run("MulTransVec", func(b *testing.B) {
		for b.Loop() {
			MulTransVec(z, 1, a, n, y, 0)
		}
		b.ReportMetric(float64(n*n*8)/float64(b.Elapsed().Nanoseconds())*float64(b.N), "GB/s")
	})
}

// BenchmarkCholeskySmall times the factorizations of the P-QP interior
// point at n = 10 (k = m = 10 per iteration), the small-matrix path against
// the block kernels.
func BenchmarkCholeskySmall(b *testing.B) {
	for _, n := range []int{6, 10} {
		rng := rand.New(rand.NewPCG(7, uint64(n)))
		l := randSlice(rng, n*n)
		a := make([]float64, n*n)
		for i := range n {
			for j := range n {
				var s float64
				for k := range n {
					s += l[i*n+k] * l[j*n+k]
				}
				a[i*n+j] = s
			}
			a[i*n+i] += float64(n)
		}
		f := make([]float64, n*n)
		b.Run(fmt.Sprintf("n=%d/small", n), func(b *testing.B) {
			for b.Loop() {
				copy(f, a)
				choleskySmall(f, n, n)
			}
		})
		b.Run(fmt.Sprintf("n=%d/blocks", n), func(b *testing.B) {
			for b.Loop() {
				copy(f, a)
				choleskyBlocks(f, n, n)
			}
		})
	}
}

// BenchmarkCholeskyUpper compares CholeskyUpper (row-oriented jki order,
// sixteen-wide broadcast updates) with Cholesky (Crout order, 3×4 dot
// blocks) at the orders of the interior point's Schur complements.
//
//	go test ./internal/dense -run '^$' -bench CholeskyUpper
func BenchmarkCholeskyUpper(b *testing.B) {
	rng := rand.New(rand.NewPCG(31, 1))
	for _, n := range []int{20, 50, 100, 150, 200} {
		s := spd(rng, n, 100)
		a0 := make([]float64, n*n)
		for i := range n {
			for j := range n {
				a0[i*n+j] = s.At(i, j)
			}
		}
		a := make([]float64, n*n)
		b.Run(fmt.Sprintf("n=%d/lower", n), func(b *testing.B) {
			for b.Loop() {
				copy(a, a0)
				Cholesky(a, n, n)
			}
			b.ReportMetric(float64(n*n*n)/3*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFlop/s")
		})
		lda := n + UpperPad
		u0 := padded(a0, n, lda)
		u := make([]float64, len(u0))
		b.Run(fmt.Sprintf("n=%d/upper", n), func(b *testing.B) {
			for b.Loop() {
				copy(u, u0)
				CholeskyUpper(u, n, lda)
			}
			b.ReportMetric(float64(n*n*n)/3*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFlop/s")
		})
	}
}

// BenchmarkAVX512 times the kernels that have AVX-512 variants at the
// P-QP shapes in the avx2 and avx512 modes of the same binary (the two
// give the same bits), in GFlop/s: SolveRowsLowerT 100×200 (rows·n²
// flops), Cholesky n = 200 (n³/3), CholeskyUpper n = 100 and 50 (n³/3),
// Gram 100×200 (rows(rows+1)·cols) and the dots3x4 block k = 200 (24k).
//
//	go test ./internal/dense -run '^$' -bench AVX512
func BenchmarkAVX512(b *testing.B) {
	if !useAVX512 {
		b.Skip("no AVX-512 on this machine")
	}
	rng := rand.New(rand.NewPCG(5, 12))
	type kernel struct {
		name  string
		flops float64
		run   func()
	}
	var ks []kernel
	{
		const rows, n = 100, 200
		l := spdSlice(rng, n, n)
		Cholesky(l, n, n)
		g := randSlice(rng, rows*n)
		z := make([]float64, rows*n)
		ks = append(ks, kernel{"SolveRowsLowerT/100x200", rows * n * n, func() {
			copy(z, g)
			SolveRowsLowerT(z, rows, n, l, n, n)
		}})
		c := make([]float64, rows*rows)
		ks = append(ks, kernel{"Gram/100x200", rows * (rows + 1) * n, func() {
			Gram(c, rows, g, rows, n, n)
		}})
		var blk [12]float64
		ks = append(ks, kernel{"dots3x4/k=200", 24 * n, func() {
			dots3x4(g, n, g[3*n:], n, n, &blk)
		}})
		a0 := spdSlice(rng, n, n)
		a := make([]float64, n*n)
		ks = append(ks, kernel{"Cholesky/n=200", n * n * n / 3, func() {
			copy(a, a0)
			Cholesky(a, n, n)
		}})
	}
	for _, n := range []int{100, 50} {
		lda := n + UpperPad
		u0 := spdSlice(rng, n, lda)
		for i := range n {
			for j := n; j < lda; j++ {
				u0[i*lda+j] = 0
			}
		}
		u := make([]float64, len(u0))
		ks = append(ks, kernel{fmt.Sprintf("CholeskyUpper/n=%d", n), float64(n*n*n) / 3, func() {
			copy(u, u0)
			CholeskyUpper(u, n, lda)
		}})
	}
	for _, k := range ks {
		for _, m := range []kernelMode{{name: "avx2", asm: true}, {name: "avx512", asm: true, avx512: true}} {
			b.Run(k.name+"/"+m.name, func(b *testing.B) {
				defer setMode(m)()
				for b.Loop() {
					k.run()
				}
				b.ReportMetric(k.flops*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFlop/s")
			})
		}
	}
}
