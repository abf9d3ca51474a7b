package project

import (
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// BenchmarkSimplex projects y ~ N(0, 1)ⁿ onto the unit simplex (the
// BENCHMARKS protocol is n = 10⁶), with the O(n log n) sort-based method
// as a reference point, plus the JVP.
func BenchmarkSimplex(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		y := randVec(rng, n, 1)
		x := make([]float64, n)
		name := "n=" + itoa(n)
		b.Run("Condat/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			testutil.LoopCPU(b, func() {
				if err := (Simplex{Radius: 1}).Project(x, y); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("Sort/"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			testutil.LoopCPU(b, func() {
				_ = sortSimplex(y, 1)
			})
		})
		b.Run("JVP/"+name, func(b *testing.B) {
			_ = (Simplex{Radius: 1}).Project(x, y)
			v := randVec(rng, n, 1)
			dst := make([]float64, n)
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			testutil.LoopCPU(b, func() {
				if err := (Simplex{Radius: 1}).JVP(dst, x, y, v); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkL1Ball projects y ~ N(0, 1)ⁿ onto the l1 ball of radius √n
// (about 0.8 of ‖y‖₁/√n ≈ √n·√(2/π)·… so the constraint is active).
func BenchmarkL1Ball(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		rng := rand.New(rand.NewPCG(2, uint64(n)))
		y := randVec(rng, n, 1)
		x := make([]float64, n)
		r := 0.1 * float64(n)
		b.Run("n="+itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			testutil.LoopCPU(b, func() {
				if err := (L1Ball{Radius: r}).Project(x, y); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkCappedSimplex projects onto {0 ≤ x ≤ 10/n, Σx = 1}.
func BenchmarkCappedSimplex(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		rng := rand.New(rand.NewPCG(3, uint64(n)))
		y := randVec(rng, n, 1)
		x := make([]float64, n)
		set := CappedSimplex(10/float64(n), 1)
		b.Run("n="+itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			testutil.LoopCPU(b, func() {
				if err := set.Project(x, y); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func itoa(n int) string {
	switch n {
	case 1000:
		return "1e3"
	case 1000000:
		return "1e6"
	}
	return "?"
}

// BenchmarkPolyhedron projects onto a random polytope {Gx ≤ h, Ax = b}
// with n = 50, m = 100, p = 5 through the QP solver, then takes a JVP.
func BenchmarkPolyhedron(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	n, m, p := 50, 100, 5
	g := mat.NewDense(m, n, randVec(rng, m*n, 1))
	z0 := randVec(rng, n, 1)
	h := make([]float64, m)
	for i := range m {
		h[i] = floats.Dot(g.RawRowView(i), z0) + 0.1 + rng.Float64()
	}
	a := mat.NewDense(p, n, randVec(rng, p*n, 1))
	bb := make([]float64, p)
	for i := range p {
		bb[i] = floats.Dot(a.RawRowView(i), z0)
	}
	poly, err := NewPolyhedron(g, h, a, bb, nil)
	if err != nil {
		b.Fatal(err)
	}
	y := randVec(rng, n, 3)
	v := randVec(rng, n, 1)
	x := make([]float64, n)
	dst := make([]float64, n)
	b.ReportAllocs()
	testutil.LoopCPU(b, func() {
		if err := poly.Project(x, y); err != nil {
			b.Fatal(err)
		}
		if err := poly.JVP(dst, x, y, v); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkTransport projects a 100×100 matrix Y ~ N(0, 1) onto the
// transportation polytope with random marginals, then takes a JVP.
func BenchmarkTransport(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	m := 100
	ra, cb := randPositive(rng, m, 0.5, 1.5), randPositive(rng, m, 0.5, 1.5)
	floats.Scale(floats.Sum(ra)/floats.Sum(cb), cb)
	tr := Transport{Rows: ra, Cols: cb}
	y := randVec(rng, m*m, 1)
	v := randVec(rng, m*m, 1)
	x, dst := make([]float64, m*m), make([]float64, m*m)
	b.ReportAllocs()
	testutil.LoopCPU(b, func() {
		if err := tr.Project(x, y); err != nil {
			b.Fatal(err)
		}
		if err := tr.JVP(dst, x, y, v); err != nil {
			b.Fatal(err)
		}
	})
}
