package cone

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkProject measures one projection (ns/op) at typical dimensions,
// on random Gaussian points (for the exponential and power cones about
// half of them need the root finding).
func BenchmarkProject(b *testing.B) {
	cones := []Cone{Nonnegative{100}, SecondOrder{10}, SecondOrder{100}, PSD{5}, PSD{20}, Exp{}, ExpDual{}, Power{0.3}, PowerDual{0.3}}
	for _, k := range cones {
		b.Run(coneName(k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			ys := make([][]float64, 64)
			for i := range ys {
				ys[i] = randVec(rng, k.Dim(), 1)
			}
			x := make([]float64, k.Dim())
			b.ResetTimer()
			for i := range b.N {
				if err := k.Project(x, ys[i%len(ys)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProjectJVP measures one projection derivative product.
func BenchmarkProjectJVP(b *testing.B) {
	for _, k := range []Cone{SecondOrder{100}, PSD{20}, Exp{}, Power{0.3}} {
		b.Run(coneName(k), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, 2))
			y := randVec(rng, k.Dim(), 1)
			v := randVec(rng, k.Dim(), 1)
			x, d := make([]float64, k.Dim()), make([]float64, k.Dim())
			if err := k.Project(x, y); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if err := k.JVP(d, x, y, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScaling measures one primal-dual scaling of an interior pair.
func BenchmarkScaling(b *testing.B) {
	for _, k := range []Cone{SecondOrder{100}, PSD{20}, Exp{}, Power{0.3}} {
		b.Run(fmt.Sprint(coneName(k)), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 3))
			s, z := interiorPoint(rng, k), interiorPoint(rng, k.Dual())
			b.ResetTimer()
			for range b.N {
				if _, err := k.Scaling(s, z); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
