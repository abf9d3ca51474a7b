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
	// cᵀx overflows (−Inf), and is a sum of overflowing terms of both signs
	// (NaN in a term-by-term sum): CI's fuzzing found the second.
	f.Add([]byte{2, 1, 3, 0, 125, 125, 253, 100, 125, 50, 253, 255, 50, 75, 100, 75, 50, 125, 150, 100, 50, 100, 100, 150})
	f.Add([]byte{2, 1, 3, 0, 125, 253, 254, 100, 125, 150, 253, 150, 75, 100, 254, 75, 150, 150, 75, 255, 100, 100, 50, 253})
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
			set.Quadratic = 0.1
		}
		sol, err := Solve(context.Background(), pb, set)
		if err != nil {
			return
		}
		if !finite(sol.X) || !finite(sol.Nu) || !finite(sol.Lambda) || !finite(sol.LowerDual) ||
			!finite(sol.UpperDual) || !finite([]float64{sol.Objective}) {
			t.Fatalf("nil error with a non-finite solution %+v", sol)
		}
		if g, err := sol.Backward(make([]float64, n)); err == nil && !finite(g.C) {
			t.Fatal("nil error with a non-finite gradient")
		}
	})
}

// FuzzOracle builds oracles from arbitrary polytopes whose matrices and
// right-hand sides may not fit together (missing, extra or short rows,
// typed nil matrices) and arbitrary settings, then solves one cost: never
// a panic; a nil error means a finite, feasible point.
func FuzzOracle(f *testing.F) {
	f.Add([]byte{2, 1, 1, 3, 0, 110, 90, 125, 100, 100, 75, 75}, 0.0, 0)
	f.Add([]byte{2, 1, 0, 0, 0, 125, 125, 75, 75}, -1.0, -1)
	f.Add([]byte{3, 0, 2, 4, 8}, math.NaN(), 5)
	f.Fuzz(func(t *testing.T, b []byte, tol float64, maxIter int) {
		r := &fuzzReader{b}
		n := 1 + int(r.byte()%4)
		rowsG, rowsH := int(r.byte()%3), int(r.byte()%3)
		flags := r.byte()
		pb := &Problem{}
		if rowsG > 0 {
			g := mat.NewDense(rowsG, n+int(flags>>6&1), nil)
			for i := range g.RawMatrix().Data {
				g.RawMatrix().Data[i] = r.float()
			}
			pb.G = g
		} else if flags&16 != 0 {
			pb.G = (*mat.Dense)(nil)
		}
		for range rowsH {
			pb.H = append(pb.H, r.float())
		}
		if flags&1 != 0 {
			pb.Lower = make([]float64, n)
		}
		if flags&2 != 0 {
			pb.Upper = make([]float64, n)
			for i := range pb.Upper {
				pb.Upper[i] = 1 + r.float()
			}
		}
		if flags&4 != 0 {
			pb.A, pb.B = mat.NewDense(1, n, nil), nil
			for j := range n {
				pb.A.(*mat.Dense).Set(0, j, 1)
			}
			if flags&8 != 0 {
				pb.B = []float64{0.5}
			}
		}
		set := &Settings{Tol: tol, MaxIter: maxIter % 200, Quadratic: float64(flags>>5&1) * 0.1}
		or, err := NewOracle(pb, set)
		if err != nil {
			return
		}
		cost := make([]float64, n)
		for i := range cost {
			cost[i] = r.float()
		}
		x := make([]float64, n)
		if err := or(context.Background(), x, cost); err != nil {
			return
		}
		if !finite(x) {
			t.Fatalf("nil error with a non-finite point %v", x)
		}
		strict := tol >= 0 && tol <= 1e-6 && len(b) > 0
		for _, c := range b {
			strict = strict && c < 200 // entries in [−4, 4], no NaN, Inf or 1e200
		}
		if !strict {
			return
		}
		full := *pb
		full.C = cost
		if isNilMatrix(full.A) {
			full.A = nil
		}
		if isNilMatrix(full.G) {
			full.G = nil
		}
		if err := feasible(&full, x, 1e-5); err != nil {
			t.Fatalf("nil error with an infeasible point: %v", err)
		}
	})
}
