package lp_test

import (
	"context"
	"math"
	"testing"

	"github.com/optlayers/optlayers/internal/maros"
	"github.com/optlayers/optlayers/solvers/lp"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"
)

// FuzzSolveSparse builds small LPs from the bytes (values b/16 − 8, some
// sides infinite) and checks that SolveSparse never panics and that an
// Optimal answer passes the exact residual check at a loose tolerance.
func FuzzSolveSparse(f *testing.F) {
	f.Add([]byte{2, 1, 100, 140, 120, 130, 200, 60, 3, 9, 0})
	f.Add([]byte{3, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{1, 0, 50})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 3 {
			return
		}
		n, m := 1+int(b[0])%4, int(b[1])%4
		b = b[2:]
		next := func() float64 {
			if len(b) == 0 {
				return 0
			}
			v := float64(b[0])/16 - 8
			b = b[1:]
			return v
		}
		side := func(v float64, sign float64) float64 {
			if math.Abs(v) > 7 {
				return sign * math.Inf(1)
			}
			return v
		}
		pb := &lp.SparseProblem{C: make([]float64, n), LB: make([]float64, n), UB: make([]float64, n)}
		for j := range n {
			pb.C[j] = next()
			lo, up := side(next(), -1), side(next(), 1)
			if lo > up {
				lo, up = up, lo
			}
			pb.LB[j], pb.UB[j] = lo, up
		}
		if m > 0 {
			var ri, ci []int
			var v []float64
			for i := range m {
				for j := range n {
					if a := next(); a != 0 {
						ri, ci, v = append(ri, i), append(ci, j), append(v, a)
					}
				}
			}
			pb.A, _ = sparse.FromTriplets(m, n, ri, ci, v, nil)
			pb.L, pb.U = make([]float64, m), make([]float64, m)
			for i := range m {
				lo, up := side(next(), -1), side(next(), 1)
				if lo > up {
					lo, up = up, lo
				}
				pb.L[i], pb.U[i] = lo, up
			}
		}
		sol, err := lp.SolveSparse(context.Background(), pb, &lp.Settings{MaxIter: 80})
		if err != nil {
			return
		}
		if sol.Status != qp.Optimal {
			t.Fatalf("nil error with status %v", sol.Status)
		}
		q := &qp.SparseProblem{P: pb.C, A: pb.A, L: pb.L, U: pb.U, LB: pb.LB, UB: pb.UB}
		r := maros.CheckSparse(q, sol.X, sol.Y, sol.Z)
		scale := 1.0
		for _, x := range sol.X {
			scale = math.Max(scale, math.Abs(x))
		}
		if !(r.Primal <= 1e-6*scale && r.Dual <= 1e-6*scale) {
			t.Fatalf("Optimal with exact residuals %+v", r)
		}
	})
}
