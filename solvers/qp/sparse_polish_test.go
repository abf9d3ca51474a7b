package qp_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/optlayers/optlayers/internal/maros"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"

	"github.com/stretchr/testify/require"
)

// convexRegression is the least-squares fit of a convex sequence to c:
// minimize ½‖x‖² − cᵀx subject to x_i − 2x_{i+1} + x_{i+2} ≥ 0 (LISWET's
// structure, Maros and Mészáros 1999). The fitted x is piecewise linear:
// its active set is a second-difference operator over long runs, whose
// condition number grows like the fourth power of a run's length, and
// its multipliers (double sums of the residuals c − x) are large.
func convexRegression(t *testing.T, rng *rand.Rand, n int, noise float64) *qp.SparseProblem {
	t.Helper()
	m := n - 2
	var ri, ci []int
	var v []float64
	for i := range m {
		ri = append(ri, i, i, i)
		ci = append(ci, i, i+1, i+2)
		v = append(v, 1, -2, 1)
	}
	a, err := sparse.FromTriplets(m, n, ri, ci, v, nil)
	require.NoError(t, err)
	diag := make([]float64, n)
	idx := make([]int, n+1)
	for j := range n {
		diag[j], idx[j] = 1, j
	}
	idx[n] = n
	q, err := sparse.NewSymCSC(n, idx, idx[:n], diag)
	require.NoError(t, err)
	p := make([]float64, n)
	for j := range p {
		s := float64(j) / float64(n-1)
		p[j] = -(math.Sin(6*s) + noise*rng.NormFloat64())
	}
	l := make([]float64, m)
	u := make([]float64, m)
	for i := range u {
		u[i] = math.Inf(1)
	}
	lb, ub := make([]float64, n), make([]float64, n)
	for j := range lb {
		lb[j], ub[j] = math.Inf(-1), math.Inf(1)
	}
	return &qp.SparseProblem{Q: q, P: p, A: a, L: l, U: u, LB: lb, UB: ub}
}

// TestSparsePolishConvexRegression solves convex regressions whose
// polish must repair the guessed active set and solve its ill-conditioned
// system accurately: the instances with n ≥ 1000 failed before the Krylov
// polish (as LISWET1, 2, 7 and YAO did) with residuals ~1e-7 and gaps
// 1e-4–1e-2. It checks the exact residuals (internal/maros) and, on the
// small instance, the optimal value against the dense solver.
func TestSparsePolishConvexRegression(t *testing.T) {
	for _, c := range []struct {
		n     int
		noise float64
		tol   float64
	}{{200, 0.1, 1e-9}, {1000, 0.01, 1e-9}, {1000, 0.3, 1e-9}, {1000, 0.1, 1e-6}, {2000, 0.3, 1e-6}} {
		rng := rand.New(rand.NewPCG(uint64(c.n), 7))
		pb := convexRegression(t, rng, c.n, c.noise)
		sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: c.tol, Absolute: true})
		require.NoError(t, err, "n = %d, noise %g", c.n, c.noise)
		require.Equal(t, qp.Optimal, sol.Status)
		r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
		require.True(t, r.Passes(c.tol), "n = %d, noise %g: exact residuals %+v", c.n, c.noise, r)
		if c.n <= 300 {
			dsol, err := qp.Solve(context.Background(), denseForm(pb), &qp.Settings{Tol: 1e-9})
			require.NoError(t, err)
			require.InDelta(t, dsol.Objective, sol.Objective, 1e-6*(1+math.Abs(dsol.Objective)), "n = %d", c.n)
		}
	}
}

// TestSparsePolishLISWET1 solves LISWET1 (testdata/sparse) to the public
// benchmark's high accuracy, judged by the exact residuals.
func TestSparsePolishLISWET1(t *testing.T) {
	if testing.Short() {
		t.Skip("n = 10,002")
	}
	c, err := maros.LoadFile(filepath.Join("testdata", "sparse", "LISWET1.qps.gz"))
	require.NoError(t, err)
	pb := c.Sparse()
	for _, tol := range []float64{1e-9, 1e-6} {
		sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: tol, Absolute: true})
		require.NoError(t, err, "tol %g", tol)
		require.Equal(t, qp.Optimal, sol.Status)
		require.True(t, sol.Polished)
		r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
		require.True(t, r.Passes(tol), "tol %g: exact residuals %+v", tol, r)
	}
}

// TestSparsePolishSTADAT1 solves STADAT1 (testdata/sparse) to the public
// benchmark's mid accuracy: the polish needs its second Krylov
// regularization and an active-set correction.
func TestSparsePolishSTADAT1(t *testing.T) {
	c, err := maros.LoadFile(filepath.Join("testdata", "sparse", "STADAT1.qps.gz"))
	require.NoError(t, err)
	pb := c.Sparse()
	sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: 1e-6, Absolute: true})
	require.NoError(t, err)
	require.Equal(t, qp.Optimal, sol.Status)
	require.True(t, sol.Polished)
	r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
	require.True(t, r.Passes(1e-6), "exact residuals %+v", r)
}

// TestSparsePolishPivoting solves convex regressions whose polish
// exchange cycles (the LISWET8–12 mechanism) and which the exchange with
// the single-pivot fallback (polishExchange, the last stage of
// SolveSparse) solves, judged by the exact residuals.
func TestSparsePolishPivoting(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("two solves of n = 2500, ~10 s (150 s under -race); run by go test ./...")
	}
	for _, c := range []struct {
		noise float64
		seed  uint64
	}{{0.03, 2}, {0.1, 3}} {
		rng := rand.New(rand.NewPCG(2500+c.seed, 7))
		pb := convexRegression(t, rng, 2500, c.noise)
		sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: 1e-6, Absolute: true})
		require.NoError(t, err, "noise %g, seed %d", c.noise, c.seed)
		require.Equal(t, qp.Optimal, sol.Status)
		require.True(t, sol.Polished)
		r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
		require.True(t, r.Passes(1e-6), "noise %g, seed %d: exact residuals %+v", c.noise, c.seed, r)
	}
}
