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
