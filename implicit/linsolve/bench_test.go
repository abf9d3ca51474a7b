package linsolve

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// BenchmarkDense times the factorizations (with their condition estimate)
// and the blocked solve with n right-hand sides, against gonum's mat.LU
// and mat.Cholesky, which the package used before.
func BenchmarkDense(b *testing.B) {
	for _, n := range []int{100, 200, 500, 1000} {
		rng := rand.New(rand.NewPCG(uint64(n), 9))
		a := nonsym(rng, n, 1)
		s := spd(rng, n, 0.1)
		rhs := randDense(rng, n, n)
		b.Run(fmt.Sprintf("LU/n=%d/linsolve", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := NewLU(a); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("LU/n=%d/gonum", n), func(b *testing.B) {
			for b.Loop() {
				var f mat.LU
				f.Factorize(a)
				_ = f.Cond()
			}
		})
		b.Run(fmt.Sprintf("Cholesky/n=%d/linsolve", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := NewCholesky(s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Cholesky/n=%d/gonum", n), func(b *testing.B) {
			for b.Loop() {
				var f mat.Cholesky
				if !f.Factorize(s) {
					b.Fatal("not PD")
				}
			}
		})
		lu, _ := NewLU(a)
		ch, _ := NewCholesky(s)
		var glu mat.LU
		glu.Factorize(a)
		var gch mat.Cholesky
		gch.Factorize(s)
		dst := mat.NewDense(n, n, nil)
		b.Run(fmt.Sprintf("LUSolveMat/n=%d/linsolve", n), func(b *testing.B) {
			for b.Loop() {
				_ = lu.SolveMat(dst, rhs, false)
			}
		})
		b.Run(fmt.Sprintf("LUSolveMat/n=%d/gonum", n), func(b *testing.B) {
			for b.Loop() {
				_ = glu.SolveTo(dst, false, rhs)
			}
		})
		b.Run(fmt.Sprintf("CholeskySolveMat/n=%d/linsolve", n), func(b *testing.B) {
			for b.Loop() {
				_ = ch.SolveMat(dst, rhs, false)
			}
		})
		b.Run(fmt.Sprintf("CholeskySolveMat/n=%d/gonum", n), func(b *testing.B) {
			for b.Loop() {
				_ = gch.SolveTo(dst, rhs)
			}
		})
	}
}
