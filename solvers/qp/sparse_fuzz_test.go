package qp

import (
	"context"
	"math"
	"testing"

	"github.com/optlayers/optlayers/sparse"

	"gonum.org/v1/gonum/mat"
)

// FuzzSolveSparse drives SolveSparse with the arbitrary problems of
// FuzzSolve in the double-sided form (equalities as rows with L = U,
// inequalities as rows with an upper side, and random bounds): no panic,
// no non-finite success, and an Optimal point passes the acceptance test
// on its residuals recomputed in double-double arithmetic.
func FuzzSolveSparse(f *testing.F) {
	f.Add([]byte{3, 1, 4, 0, 120, 90, 130, 101, 99, 140, 110, 105, 100, 50, 150, 125, 75, 100, 100, 100})
	f.Add([]byte{2, 0, 2, 2, 100, 80, 200, 125, 125, 75, 75, 0, 0})
	f.Add([]byte{2, 2, 0, 0, 125, 100, 100, 125, 100, 100, 125, 125, 125, 125, 100, 150})
	f.Add([]byte{1, 0, 2, 2, 100, 125, 75, 50, 50})
	f.Add([]byte{2, 0, 1, 2, 75, 75, 125, 100, 100})
	f.Fuzz(func(t *testing.T, b []byte) {
		dp := (&fuzzReader{b}).problem()
		pb := sparseOf(dp, b)
		set := &SparseSettings{MaxIter: 60, Absolute: len(b) > 0 && b[len(b)-1]%2 == 1}
		sol, err := SolveSparse(context.Background(), pb, set)
		if err != nil {
			return
		}
		if sol == nil || !finite(sol.X) || !finite(sol.Y) || !finite(sol.Z) || math.IsNaN(sol.Objective) {
			t.Fatalf("nil error with a non-finite solution %+v", sol)
		}
		if sol.Status != Optimal {
			t.Fatalf("nil error with status %v", sol.Status)
		}
		d, _ := newSparseData(pb)
		full, _ := set.orDefault()
		if m, r := newSparseAcceptance(d, &full).merit(sol.X, sol.Y, sol.Z); !(m <= 1) {
			t.Fatalf("Optimal with residuals %+v (ratio %g to the tolerance)", r, m)
		}
		l := sol.Layout()
		g := make([]float64, l.LenZ())
		for i := range g {
			g[i] = 1
		}
		dst := make([]float64, l.Len())
		if err := sol.VJP(dst, g); err == nil && !finite(dst) {
			t.Fatalf("nil error with a non-finite gradient")
		}
	})
}

// sparseOf converts a dense fuzz problem: equality rows (L = U = B),
// inequality rows with U = H, and bounds chosen by the bytes.
func sparseOf(dp *Problem, b []byte) *SparseProblem {
	n := len(dp.P)
	pb := &SparseProblem{P: dp.P}
	if dp.Q != nil {
		pb.Q, _ = sparse.SymFromDense(dp.Q)
	}
	var rows [][]float64
	for i := range dp.B {
		r := make([]float64, n)
		for j := range n {
			r[j] = dp.A.At(i, j)
		}
		rows = append(rows, r)
		pb.L, pb.U = append(pb.L, dp.B[i]), append(pb.U, dp.B[i])
	}
	for i := range dp.H {
		r := make([]float64, n)
		for j := range n {
			r[j] = dp.G.At(i, j)
		}
		rows = append(rows, r)
		pb.L, pb.U = append(pb.L, math.Inf(-1)), append(pb.U, dp.H[i])
	}
	if len(rows) > 0 {
		m := len(rows)
		cp := make([]int, n+1)
		var ri []int
		var v []float64
		for j := range n {
			for i := range m {
				if rows[i][j] != 0 {
					ri, v = append(ri, i), append(v, rows[i][j])
				}
			}
			cp[j+1] = len(ri)
		}
		pb.A, _ = sparse.NewCSC(m, n, cp, ri, v)
	}
	pb.LB, pb.UB = make([]float64, n), make([]float64, n)
	for j := range n {
		pb.LB[j], pb.UB[j] = math.Inf(-1), math.Inf(1)
		if len(b) > j {
			switch b[len(b)-1-j] % 4 {
			case 1:
				pb.LB[j] = -1
			case 2:
				pb.UB[j] = 2
			case 3:
				pb.LB[j], pb.UB[j] = -3, 3
			}
		}
	}
	return pb
}

// FuzzSparseLayout drives SparseLayout.Problem with arbitrary θ for the
// layout of a small solved problem (right and wrong lengths, NaN, ±Inf,
// huge values): no panic, and a returned problem is either rejected by
// SolveSparse with an error or solved with finite results.
func FuzzSparseLayout(f *testing.F) {
	f.Add([]byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}, uint8(0))
	f.Add([]byte{0, 1, 2, 3}, uint8(3))
	f.Add([]byte{255, 254, 253, 252, 251, 250, 249, 248, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, extra uint8) {
		pb := sparseOf(&Problem{
			Q: symDense2(), P: []float64{-1, -1},
			A: denseOf(1, 2, 1, 1), B: []float64{1},
			G: denseOf(2, 2, 1, 0, 0, 1), H: []float64{0.8, 0.8},
		}, []byte{3, 3})
		sol, err := SolveSparse(context.Background(), pb, nil)
		if err != nil {
			t.Fatalf("the base problem: %v", err)
		}
		l := sol.Layout()
		theta := sol.Theta()
		n := len(theta) + int(extra%3) - 1 // one short, right, one long
		th := make([]float64, max(n, 0))
		for i := range th {
			if i < len(theta) {
				th[i] = theta[i]
			}
			if i < len(b) {
				switch b[i] % 8 {
				case 0:
					th[i] = math.NaN()
				case 1:
					th[i] = math.Inf(1)
				case 2:
					th[i] = 1e300
				default:
					th[i] += float64(b[i])/64 - 2
				}
			}
		}
		p, err := l.Problem(th)
		if err != nil {
			return
		}
		s, err := SolveSparse(context.Background(), p, &SparseSettings{MaxIter: 40})
		if err == nil && (!finite(s.X) || !finite(s.Y) || !finite(s.Z)) {
			t.Fatalf("nil error with a non-finite solution")
		}
	})
}

func symDense2() *mat.SymDense { return mat.NewSymDense(2, []float64{1, 0, 0, 1}) }

func denseOf(r, c int, v ...float64) *mat.Dense { return mat.NewDense(r, c, v) }
