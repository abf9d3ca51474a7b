package lp

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *fuzzReader) float() float64 {
	switch k := r.byte(); {
	case k < 200:
		return float64(int(k)-100) / 25
	case k == 250:
		return math.NaN()
	case k == 251:
		return math.Inf(1)
	case k == 252:
		return math.Inf(-1)
	case k > 252:
		return 1e200 * float64(k-252)
	default:
		return 0
	}
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func FuzzSolve(f *testing.F) {
	f.Add([]byte{3, 1, 3, 1, 90, 110, 120, 125, 100, 75, 100, 80, 90, 110, 120, 100, 150, 130, 120, 75, 75, 75, 125, 125, 125})
	f.Add([]byte{2, 0, 2, 1, 75, 75, 125, 125, 75, 75, 125, 50, 100, 100, 150, 150}) // infeasible
	f.Add([]byte{2, 0, 0, 0, 75, 75})                                                // unbounded
	f.Add([]byte{2, 2, 0, 1, 100, 100, 125, 125, 125, 125, 125, 150, 100, 100, 200, 200})
	f.Add([]byte{2, 0, 1, 2, 250, 100, 125, 125, 251, 100, 100, 252, 100})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &fuzzReader{b}
		n := 1 + int(r.byte()%5)
		neq := int(r.byte() % 3)
		m := int(r.byte() % 5)
		bounds := r.byte()
		pb := &Problem{C: make([]float64, n)}
		for i := range n {
			pb.C[i] = r.float()
		}
		if neq > 0 {
			a := mat.NewDense(neq, n, nil)
			pb.B = make([]float64, neq)
			for i := range neq {
				for j := range n {
					a.Set(i, j, r.float())
				}
				pb.B[i] = r.float()
			}
			pb.A = a
		}
		if m > 0 {
			g := mat.NewDense(m, n, nil)
			pb.H = make([]float64, m)
			for i := range m {
				for j := range n {
					g.Set(i, j, r.float())
				}
				pb.H[i] = r.float()
			}
			pb.G = g
		}
		if bounds&1 != 0 {
			pb.Lower = make([]float64, n)
			for i := range n {
				pb.Lower[i] = r.float()
			}
		}
		if bounds&2 != 0 {
			pb.Upper = make([]float64, n)
			for i := range n {
				pb.Upper[i] = r.float()
			}
		}
		set := &Settings{MaxIter: 60}
		if bounds&4 != 0 {
			set.Regularization = 0.1
		}
		sol, err := Solve(context.Background(), pb, set)
		if err != nil {
			return
		}
		if !finite(sol.X) || !finite(sol.Nu) || !finite(sol.Lambda) || !finite(sol.LowerDual) ||
			!finite(sol.UpperDual) || math.IsNaN(sol.Objective) {
			t.Fatalf("nil error with a non-finite solution %+v", sol)
		}
		if g, err := sol.Backward(make([]float64, n)); err == nil && !finite(g.C) {
			t.Fatal("nil error with a non-finite gradient")
		}
	})
}
