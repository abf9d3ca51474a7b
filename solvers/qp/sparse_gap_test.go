package qp_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/maros"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"

	"github.com/stretchr/testify/require"
)

// hugeObjective is HUESTIS's structure (Maros and Mészáros 1999): a
// separable convex quadratic over x ≥ 0 with two equality rows of tiny
// coefficients (~1e-4) and right-hand sides ~1e3, so that x ~ 1e4, the
// multipliers of the rows ~1e9 and the objective ~1e11: an absolute
// duality gap of 1e-6 is 1e-17 of the objective's terms.
func hugeObjective(t *testing.T, rng *rand.Rand, n int) *qp.SparseProblem {
	t.Helper()
	var ri, ci []int
	var v []float64
	for j := range n {
		ri = append(ri, 0, 1)
		ci = append(ci, j, j)
		v = append(v, 1e-4*(0.5+rng.Float64()), 1e-4*(0.5+rng.Float64()))
	}
	a, err := sparse.FromTriplets(2, n, ri, ci, v, nil)
	require.NoError(t, err)
	diag := make([]float64, n)
	idx := make([]int, n+1)
	for j := range n {
		diag[j], idx[j] = 1+rng.Float64(), j
	}
	idx[n] = n
	q, err := sparse.NewSymCSC(n, idx, idx[:n], diag)
	require.NoError(t, err)
	p := make([]float64, n)
	for j := range p {
		p[j] = 100 * rng.NormFloat64()
	}
	b := []float64{1835.2 + rng.Float64(), 909.8 + rng.Float64()}
	lb, ub := make([]float64, n), make([]float64, n)
	for j := range ub {
		ub[j] = math.Inf(1)
	}
	return &qp.SparseProblem{Q: q, P: p, A: a, L: b, U: append([]float64(nil), b...), LB: lb, UB: ub}
}

// TestSparseGapHugeObjective solves HUESTIS-like problems to the public
// benchmark's absolute mid accuracy: the interior point and the polish
// end with passing residuals and a gap of ~1e-5 set by the rounding of
// the multipliers, which the gap correction (correctGap) cancels.
func TestSparseGapHugeObjective(t *testing.T) {
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 11))
		pb := hugeObjective(t, rng, 3000)
		sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: 1e-6, Absolute: true})
		r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
		t.Logf("seed %d: objective %.3g, exact residuals %+v, err %v", seed, sol.Objective, r, err)
		require.NoError(t, err, "seed %d", seed)
		require.Equal(t, qp.Optimal, sol.Status)
		require.True(t, r.Passes(1e-6), "seed %d: exact residuals %+v", seed, r)
	}
}

// hugeRows is BOYD1's structure (Maros and Mészáros 1999): a few dense
// equality rows with coefficients up to 1e9 over n variables x ≥ 0 of
// magnitude ~1e-2, so that the right-hand sides are ~1e11–1e12 and the
// rounding of x in its last place, summed over a row, leaves an exact
// residual of ~1e-6.
func hugeRows(t *testing.T, rng *rand.Rand, n, m int) *qp.SparseProblem {
	t.Helper()
	var ri, ci []int
	var v []float64
	x0 := make([]float64, n)
	for j := range x0 {
		x0[j] = 0.02 * rng.Float64()
	}
	b := make([]float64, m)
	for i := range m {
		for j := range n {
			if rng.Float64() < 0.7 {
				a := math.Round(1e9 * rng.Float64())
				ri, ci, v = append(ri, i), append(ci, j), append(v, a)
				b[i] += a * x0[j]
			}
		}
		b[i] = math.Round(b[i]/1e6) * 1e6
	}
	a, err := sparse.FromTriplets(m, n, ri, ci, v, nil)
	require.NoError(t, err)
	diag := make([]float64, n)
	idx := make([]int, n+1)
	for j := range n {
		diag[j], idx[j] = 1e-3*(1+rng.Float64()), j
	}
	idx[n] = n
	q, err := sparse.NewSymCSC(n, idx, idx[:n], diag)
	require.NoError(t, err)
	p := make([]float64, n)
	for j := range p {
		p[j] = rng.NormFloat64()
	}
	lb, ub := make([]float64, n), make([]float64, n)
	for j := range ub {
		ub[j] = math.Inf(1)
	}
	return &qp.SparseProblem{Q: q, P: p, A: a, L: b, U: append([]float64(nil), b...), LB: lb, UB: ub}
}

// TestSparsePrimalHugeRows solves BOYD1-like problems to the absolute
// mid accuracy: the polish ends with the rows' exact residuals at the
// rounding of x, which the primal correction (correctPrimal) cancels.
func TestSparsePrimalHugeRows(t *testing.T) {
	if raceEnabled {
		t.Skip("two solves with 8000 variables, ~4 s (60 s under -race); run by go test ./...")
	}
	for seed := range uint64(2) {
		rng := rand.New(rand.NewPCG(seed, 13))
		pb := hugeRows(t, rng, 8000, 4)
		sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: 1e-6, Absolute: true})
		r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
		t.Logf("seed %d: objective %.3g, exact residuals %+v, err %v", seed, sol.Objective, r, err)
		require.NoError(t, err, "seed %d", seed)
		require.Equal(t, qp.Optimal, sol.Status)
		require.True(t, r.Passes(1e-6), "seed %d: exact residuals %+v", seed, r)
	}
}
