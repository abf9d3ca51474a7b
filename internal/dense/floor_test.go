package dense

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkFloor measures this machine's rates for the kernels the P-QP and
// P-SINK protocols are bounded by (BENCHMARKS.md, "floor"): fused
// multiply-adds in cache (a 3×4 block of dot products over rows of 512,
// the best case of the block kernels), the Cholesky factorization at the
// interior point's sizes, a sweep over a Sinkhorn kernel (matrix–vector
// product of 1000² and 2000², memory- or cache-bound) and the table
// exponential of the log domain.
//
//	go test ./internal/dense -run '^$' -bench Floor -count 5
func BenchmarkFloor(b *testing.B) {
	rng := rand.New(rand.NewPCG(61, 1))
	gflops := func(b *testing.B, flops float64) {
		b.ReportMetric(flops*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GFlop/s")
	}
	b.Run("fma-in-L1", func(b *testing.B) {
		const k = 512
		a, c := randSlice(rng, 3*k), randSlice(rng, 4*k)
		var out [12]float64
		for b.Loop() {
			dots3x4(a, k, c, k, k, &out)
		}
		gflops(b, 2*12*k)
	})
	for _, n := range []int{10, 50, 100, 200} {
		s := spd(rng, n, 100)
		a0 := make([]float64, n*n)
		for i := range n {
			for j := range n {
				a0[i*n+j] = s.At(i, j)
			}
		}
		a := make([]float64, n*n)
		b.Run(fmt.Sprintf("cholesky/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				copy(a, a0)
				Cholesky(a, n, n)
			}
			gflops(b, float64(n*n*n)/3)
		})
	}
	for _, n := range []int{1000, 2000} {
		a := randSlice(rng, n*n)
		x, y := randSlice(rng, n), make([]float64, n)
		b.Run(fmt.Sprintf("sweep/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				MulVec(y, 1, a, n, x, 0)
			}
			b.ReportMetric(float64(8*n*n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GB/s")
		})
	}
	// The cone solver's dense normal equations (solvers/cone, kktdense.go):
	// the Cholesky of H (n = 120, 300, 500: the SDP and SOCP instances of
	// the cvxopt side-by-side), the Gram Ā_bᵀĀ_b of a PSD(60) block with
	// 120 columns, and the per-column product B·(XBᵀ) of order 60 (lower
	// triangle, row blocks of 12, as kktdense.go calls SubABt).
	for _, n := range []int{120, 300, 500} {
		s := spd(rng, n, 100)
		a0 := make([]float64, n*n)
		for i := range n {
			for j := range n {
				a0[i*n+j] = s.At(i, j)
			}
		}
		lda := n + UpperPad
		u0 := padded(a0, n, lda)
		u := make([]float64, len(u0))
		b.Run(fmt.Sprintf("cholupper/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				copy(u, u0)
				CholeskyUpper(u, n, lda)
			}
			gflops(b, float64(n*n*n)/3)
		})
	}
	b.Run("gram/120x1830", func(b *testing.B) {
		const rows, cols = 120, 1830
		z, c := randSlice(rng, rows*cols), make([]float64, rows*rows)
		for b.Loop() {
			Gram(c, rows, z, rows, cols, cols)
		}
		gflops(b, float64(rows*rows*cols))
	})
	b.Run("subabt-lower/n=60", func(b *testing.B) {
		const n, rb = 60, 12
		a, t, c := randSlice(rng, n*n), randSlice(rng, n*n), make([]float64, n*n)
		for b.Loop() {
			for i0 := 0; i0 < n; i0 += rb {
				i1 := min(i0+rb, n)
				SubABt(c[i0*n:], n, a[i0*n:], n, t, n, i1-i0, i1, n)
			}
		}
		gflops(b, float64(n*n*n)+float64(n*n*rb)) // 2·(n³/2 + the diagonal blocks' n²·rb/2)
	})
	b.Run("exp/n=1000", func(b *testing.B) {
		const n = 1000
		c, h := make([]float64, n), make([]float64, n)
		for j := range c {
			c[j] = 2 * rng.Float64()
			h[j] = rng.NormFloat64()
		}
		for b.Loop() {
			ExpSum(c, h, 20, 0, -50)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/exp")
	})
}
