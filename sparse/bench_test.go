package sparse

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchMatrix is an n×n matrix with about perCol random entries per column.
func benchMatrix(n, perCol int) *CSC {
	rng := rand.New(rand.NewPCG(5, 6))
	ri := make([]int, 0, n*perCol)
	ci := make([]int, 0, n*perCol)
	v := make([]float64, 0, n*perCol)
	for j := 0; j < n; j++ {
		for k := 0; k < perCol; k++ {
			ri, ci, v = append(ri, rng.IntN(n)), append(ci, j), append(v, rng.NormFloat64())
		}
	}
	a, err := FromTriplets(n, n, ri, ci, v, nil)
	if err != nil {
		panic(err)
	}
	return a
}

func BenchmarkMulVec(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		a := benchMatrix(n, 5)
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = 1
		}
		b.Run(fmt.Sprintf("n=%d,nnz=%d", n, a.NNZ()), func(b *testing.B) {
			for b.Loop() {
				_ = a.MulVec(y, x)
			}
		})
	}
}

func BenchmarkMulTransVec(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		a := benchMatrix(n, 5)
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = 1
		}
		b.Run(fmt.Sprintf("n=%d,nnz=%d", n, a.NNZ()), func(b *testing.B) {
			for b.Loop() {
				_ = a.MulTransVec(y, x)
			}
		})
	}
}

func BenchmarkFromTriplets(b *testing.B) {
	n, perCol := 100000, 5
	rng := rand.New(rand.NewPCG(7, 8))
	var ri, ci []int
	var v []float64
	for j := 0; j < n; j++ {
		for k := 0; k < perCol; k++ {
			ri, ci, v = append(ri, rng.IntN(n)), append(ci, j), append(v, 1)
		}
	}
	for b.Loop() {
		_, _ = FromTriplets(n, n, ri, ci, v, nil)
	}
}
