package qp

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// randomQP draws the P-QP benchmark instance: Q = LLᵀ/n + 0.1 I, p, G
// Gaussian, h = G z0 + s with s ~ U(0.1, 1.1), and neq equality
// constraints A z0 = b.
func randomQP(rng *rand.Rand, n, neq, m int) *Problem {
	l := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			l.Set(i, j, rng.NormFloat64())
		}
	}
	q := mat.NewSymDense(n, nil)
	q.SymOuterK(1/float64(n), l)
	for i := range n {
		q.SetSym(i, i, q.At(i, i)+0.1)
	}
	pb := &Problem{Q: q, P: randVec(rng, n)}
	z0 := randVec(rng, n)
	if m > 0 {
		g := mat.NewDense(m, n, randVec(rng, m*n))
		h := make([]float64, m)
		for i := range m {
			h[i] = mat.Dot(g.RowView(i), mat.NewVecDense(n, z0)) + 0.1 + rng.Float64()
		}
		pb.G, pb.H = g, h
	}
	if neq > 0 {
		a := mat.NewDense(neq, n, randVec(rng, neq*n))
		b := make([]float64, neq)
		for i := range neq {
			b[i] = mat.Dot(a.RowView(i), mat.NewVecDense(n, z0))
		}
		pb.A, pb.B = a, b
	}
	return pb
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}
