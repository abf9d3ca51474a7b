package lp_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/solvers/lp"
	"github.com/optlayers/optlayers/sparse"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// toSparse writes a dense lp.Problem in the double-sided sparse form.
func toSparse(pb *lp.Problem) *lp.SparseProblem {
	n := len(pb.C)
	var rows [][]float64
	var lo, up []float64
	add := func(m mat.Matrix, rhs []float64, eq bool) {
		for i := range rhs {
			r := make([]float64, n)
			for j := range n {
				r[j] = m.At(i, j)
			}
			rows = append(rows, r)
			if eq {
				lo, up = append(lo, rhs[i]), append(up, rhs[i])
			} else {
				lo, up = append(lo, math.Inf(-1)), append(up, rhs[i])
			}
		}
	}
	if len(pb.B) > 0 {
		add(pb.A, pb.B, true)
	}
	if len(pb.H) > 0 {
		add(pb.G, pb.H, false)
	}
	out := &lp.SparseProblem{C: pb.C, L: lo, U: up, LB: pb.Lower, UB: pb.Upper}
	if len(rows) > 0 {
		d := mat.NewDense(len(rows), n, nil)
		for i, r := range rows {
			d.SetRow(i, r)
		}
		out.A, _ = sparse.FromDense(d)
	}
	return out
}

// TestSolveSparseAgreesWithSolve: random bounded LPs (a box on every
// variable) give the same optimal value with the dense and sparse paths,
// and the same solution with a regularization.
func TestSolveSparseAgreesWithSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	ctx := context.Background()
	for trial := range 12 {
		n, neq, m := 4+rng.IntN(12), rng.IntN(3), 2+rng.IntN(10)
		x0 := make([]float64, n)
		pb := &lp.Problem{C: make([]float64, n), Lower: make([]float64, n), Upper: make([]float64, n)}
		for j := range n {
			x0[j] = rng.Float64() - 0.5
			pb.C[j] = rng.NormFloat64()
			pb.Lower[j], pb.Upper[j] = -1, 1
		}
		g := mat.NewDense(m, n, nil)
		pb.H = make([]float64, m)
		for i := range m {
			for j := range n {
				g.Set(i, j, rng.NormFloat64())
			}
			pb.H[i] = mat.Dot(g.RowView(i), mat.NewVecDense(n, x0)) + 0.1 + rng.Float64()
		}
		pb.G = g
		if neq > 0 {
			a := mat.NewDense(neq, n, nil)
			pb.B = make([]float64, neq)
			for i := range neq {
				for j := range n {
					a.Set(i, j, rng.NormFloat64())
				}
				pb.B[i] = mat.Dot(a.RowView(i), mat.NewVecDense(n, x0))
			}
			pb.A = a
		}
		for _, gamma := range []float64{0, 0.5} {
			set := &lp.Settings{Tol: 1e-10, Quadratic: gamma}
			d, err := lp.Solve(ctx, pb, set)
			require.NoError(t, err, "trial %d", trial)
			s, err := lp.SolveSparse(ctx, toSparse(pb), set)
			require.NoError(t, err, "trial %d", trial)
			require.InDelta(t, d.Objective, s.Objective-0.5*gamma*dot(s.X, s.X), 1e-7*(1+math.Abs(d.Objective)), "trial %d γ %g", trial, gamma)
			if gamma > 0 {
				require.InDeltaSlice(t, d.X, s.X, 1e-6, "trial %d", trial)
			}
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func TestSolveSparseAdversarial(t *testing.T) {
	inf := math.Inf(1)
	a, _ := sparse.FromDense(mat.NewDense(1, 2, []float64{1, 1}))
	ok := func() *lp.SparseProblem {
		return &lp.SparseProblem{C: []float64{1, 2}, A: a, L: []float64{1}, U: []float64{inf}, LB: []float64{0, 0}}
	}
	call := func(pb *lp.SparseProblem, s *lp.Settings) func(context.Context) (func() error, error) {
		return func(ctx context.Context) (func() error, error) {
			sol, err := lp.SolveSparse(ctx, pb, s)
			return func() error {
				return testutil.Finite("solution", sol.X, sol.Y, sol.Z)
			}, err
		}
	}
	testutil.RunAdversarial(t, []testutil.Case{
		{Name: "nil problem", Want: lp.ErrInvalid, Call: call(nil, nil)},
		{Name: "empty", Want: lp.ErrDims, Call: call(&lp.SparseProblem{}, nil)},
		{Name: "NaN cost", Want: lp.ErrNaN, Call: call(&lp.SparseProblem{C: []float64{math.NaN()}}, nil)},
		{Name: "Barrier", Want: lp.ErrInvalid, Call: call(ok(), &lp.Settings{Barrier: 0.1})},
		{Name: "Quadratic −1", Want: lp.ErrInvalid, Call: call(ok(), &lp.Settings{Quadratic: -1})},
		{Name: "Tol NaN", Want: lp.ErrInvalid, Call: call(ok(), &lp.Settings{Tol: math.NaN()})},
		{Name: "unbounded", Want: lp.ErrUnbounded, Call: call(&lp.SparseProblem{C: []float64{-1, 0}, LB: []float64{0, 0}}, nil)},
		{Name: "infeasible", Want: lp.ErrInfeasible, Call: call(&lp.SparseProblem{C: []float64{1, 1}, A: a, L: []float64{3}, U: []float64{inf}, UB: []float64{1, 1}}, nil)},
		{Name: "solvable", Call: call(ok(), nil)},
		{Name: "canceled", Want: context.Canceled, Call: func(context.Context) (func() error, error) {
			_, err := lp.SolveSparse(testutil.Canceled(), ok(), nil)
			return nil, err
		}},
	})
}
