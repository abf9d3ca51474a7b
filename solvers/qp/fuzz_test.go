package qp

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fuzzReader turns fuzz bytes into small integers and floats (including
// NaN, ±Inf and huge values when the bytes say so).
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
	case k < 210:
		return 0
	case k == 250:
		return math.NaN()
	case k == 251:
		return math.Inf(1)
	case k == 252:
		return math.Inf(-1)
	default:
		if len(r.b) < 8 {
			return 1
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
		r.b = r.b[8:]
		return v
	}
}

func (r *fuzzReader) problem() *Problem {
	n := 1 + int(r.byte()%6)
	neq := int(r.byte() % 4)
	m := int(r.byte() % 7)
	mode := r.byte()
	pb := &Problem{P: make([]float64, n)}
	switch mode % 3 {
	case 0: // Q = LLᵀ (PSD, possibly singular)
		l := mat.NewDense(n, n, nil)
		for i := range n {
			for j := range n {
				l.Set(i, j, r.float())
			}
		}
		q := mat.NewSymDense(n, nil)
		q.SymOuterK(1, l)
		pb.Q = q
	case 1: // arbitrary symmetric (maybe indefinite)
		q := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				q.SetSym(i, j, r.float())
			}
		}
		pb.Q = q
	}
	for i := range n {
		pb.P[i] = r.float()
	}
	if neq > 0 {
		a := mat.NewDense(neq, n, nil)
		for i := range neq {
			for j := range n {
				a.Set(i, j, r.float())
			}
		}
		pb.A, pb.B = a, make([]float64, neq)
		for i := range neq {
			pb.B[i] = r.float()
		}
	}
	if m > 0 {
		g := mat.NewDense(m, n, nil)
		for i := range m {
			for j := range n {
				g.Set(i, j, r.float())
			}
		}
		pb.G, pb.H = g, make([]float64, m)
		for i := range m {
			pb.H[i] = r.float()
		}
	}
	return pb
}

func FuzzSolve(f *testing.F) {
	f.Add([]byte{3, 1, 4, 0, 120, 90, 130, 101, 99, 140, 110, 105, 100, 50, 150, 125, 75, 100, 100, 100})
	f.Add([]byte{2, 0, 2, 2, 100, 80, 200, 125, 125, 75, 75, 0, 0})                       // LP, zero Q
	f.Add([]byte{2, 2, 0, 0, 125, 100, 100, 125, 100, 100, 125, 125, 125, 125, 100, 150}) // rank-deficient A
	f.Add([]byte{1, 0, 2, 2, 100, 125, 75, 50, 50})                                       // infeasible box
	f.Add([]byte{2, 0, 1, 2, 75, 75, 125, 100, 100})                                      // unbounded LP
	f.Add([]byte{2, 0, 1, 0, 250, 100, 100, 100, 251, 252})
	f.Fuzz(func(t *testing.T, b []byte) {
		pb := (&fuzzReader{b}).problem()
		set := &Settings{MaxIter: 60, Absolute: len(b) > 0 && b[len(b)-1]%2 == 1}
		sol, err := Solve(context.Background(), pb, set)
		if err != nil {
			return
		}
		if sol == nil || !finite(sol.X) || !finite(sol.Nu) || !finite(sol.Lambda) || math.IsNaN(sol.Objective) {
			t.Fatalf("nil error with a non-finite solution %+v", sol)
		}
		if sol.Status != Optimal {
			t.Fatalf("nil error with status %v", sol.Status)
		}
		// Optimal means the exact residuals pass the test.
		d, _ := newData(pb)
		full, _ := set.orDefault()
		acc := newAcceptance(&full)
		ev := evaluate(d, sol.X, sol.Nu, sol.Lambda, 0)
		ev.r = accurateResiduals(d, sol.X, sol.Nu, sol.Lambda, 0)
		ev.round = [3]float64{}
		if m := acc.judge(d, sol.X, sol.Nu, sol.Lambda, &ev); !(m <= 1) {
			t.Fatalf("Optimal with exact residuals %+v (ratio %g to the tolerance)", ev.r, m)
		}
		g, err := sol.Backward(make([]float64, len(sol.X)), nil, nil)
		if err == nil && (!finite(g.P) || !finite(g.H) || !finite(g.B)) {
			t.Fatalf("nil error with a non-finite gradient")
		}
		// A solve in the memory just released (poisoned by arenaPoison
		// in the tests) gives the same numbers.
		want := append(append([]float64(nil), sol.X...), sol.Lambda...)
		sol.Release()
		g.Release()
		again, err := Solve(context.Background(), pb, set)
		if err != nil {
			t.Fatalf("second solve in released memory failed: %v", err)
		}
		got := append(append([]float64(nil), again.X...), again.Lambda...)
		for i := range want {
			if math.Float64bits(want[i]) != math.Float64bits(got[i]) {
				t.Fatalf("solve in released memory differs at %d: %v vs %v", i, got[i], want[i])
			}
		}
		again.Release()
	})
}

// FuzzPrepared drives Prepare and Prepared.Solve with arbitrary data: no
// panic, no non-finite success, and the same verdict and solution as Solve.
func FuzzPrepared(f *testing.F) {
	f.Add([]byte{3, 1, 4, 0, 120, 90, 130, 101, 99, 140, 110, 105, 100, 50, 150, 125, 75, 100, 100, 100})
	f.Add([]byte{2, 0, 2, 2, 100, 80, 200, 125, 125, 75, 75, 0, 0})
	f.Add([]byte{1, 0, 2, 2, 100, 125, 75, 50, 50})
	f.Add([]byte{2, 0, 1, 0, 250, 100, 100, 100, 251, 252})
	f.Fuzz(func(t *testing.T, b []byte) {
		pb := (&fuzzReader{b}).problem()
		set := &Settings{MaxIter: 60}
		pr, err := Prepare(pb)
		want, errSolve := Solve(context.Background(), pb, set)
		if err != nil {
			if errSolve == nil {
				t.Fatalf("Prepare fails (%v) where Solve succeeds", err)
			}
			return
		}
		sol, err := pr.Solve(context.Background(), pb.P, pb.B, pb.H, set)
		if (err == nil) != (errSolve == nil) {
			t.Fatalf("Prepared.Solve error %v, Solve error %v", err, errSolve)
		}
		if err != nil {
			return
		}
		if !finite(sol.X) || sol.Status != Optimal {
			t.Fatalf("nil error with %v / non-finite x", sol.Status)
		}
		for i := range sol.X {
			if sol.X[i] != want.X[i] {
				t.Fatalf("x[%d] = %v, Solve gives %v", i, sol.X[i], want.X[i])
			}
		}
	})
}
