package maros

import (
	"context"
	"math"
	"testing"

	"github.com/optlayers/optlayers/solvers/qp"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// TestHS21 loads Hock–Schittkowski 21 (known solution x = (2, 0), value
// −99.96), checks the conversion and the judge: the solver's answer
// passes, and points off the solution fail by the amounts computed by
// hand.
func TestHS21(t *testing.T) {
	c, err := LoadFile("testdata/HS21.qps.gz")
	require.NoError(t, err)
	require.Equal(t, "HS21", c.Name)
	require.Equal(t, 2, c.Vars)
	require.Equal(t, 1, c.Rows)   // 10x₁ − x₂ ≥ 10, one side
	require.Equal(t, 4, c.Bounds) // both sides of both variables
	require.True(t, c.Dense())
	require.Equal(t, -100.0, c.Constant)
	pb := c.QP()
	require.Len(t, pb.H, 5) // −10x₁ + x₂ ≤ −10 and four bounds
	require.Empty(t, pb.B)

	sol, err := qp.Solve(context.Background(), pb, &qp.Settings{Tol: 1e-10, Absolute: true})
	require.NoError(t, err)
	require.InDeltaSlice(t, []float64{2, 0}, sol.X, 1e-8)
	require.InDelta(t, -99.96, sol.Objective+c.Constant, 1e-8)
	r := Check(pb, sol.X, sol.Nu, sol.Lambda)
	require.True(t, r.Passes(1e-10), "%+v", r)

	// x = (1.9, 0) violates x₁ ≥ 2 by 0.1 (10x₁ − x₂ = 19 ≥ 10 holds);
	// x = (2, 15) violates 10x₁ − x₂ ≥ 10 by 5.
	r = Check(pb, []float64{1.9, 0}, sol.Nu, sol.Lambda)
	require.InDelta(t, 0.1, r.Primal, 1e-12)
	r = Check(pb, []float64{2, 15}, sol.Nu, sol.Lambda)
	require.InDelta(t, 5, r.Primal, 1e-12)
	// With zero multipliers the dual residual is ‖Qx + p‖∞ = 0.02·2 and the
	// gap |xᵀQx + pᵀx| = 0.02·4 = 0.08.
	r = Check(pb, []float64{2, 0}, nil, make([]float64, 5))
	require.InDelta(t, 0.04, r.Dual, 1e-15)
	require.InDelta(t, 0.08, r.Gap, 1e-15)
	// A negative multiplier is dual infeasible.
	lam := append([]float64(nil), sol.Lambda...)
	lam[1] = -0.5
	require.GreaterOrEqual(t, Check(pb, sol.X, sol.Nu, lam).Dual, 0.5)
	// NaN anywhere is a failure, not a pass.
	r = Check(pb, []float64{math.NaN(), 0}, sol.Nu, sol.Lambda)
	require.False(t, r.Passes(1))
}

// TestCheckExact: a gap that a plain double sum gets wrong is computed
// exactly: pᵀx + hᵀλ = (10¹⁶ + 1) − 10¹⁶ = 1, which double arithmetic
// rounds to 0.
func TestCheckExact(t *testing.T) {
	pb := &qp.Problem{P: []float64{1e16, 1}, G: mat.NewDense(1, 2, []float64{-1, 0}), H: []float64{-1e16}}
	r := Check(pb, []float64{1, 1}, nil, []float64{1})
	require.Equal(t, 1.0, r.Gap)
	p, x, h := pb.P, []float64{1, 1}, pb.H[0]
	plain := p[0]*x[0] + p[1]*x[1] + h*1 // run-time float64 arithmetic
	require.Equal(t, 0.0, plain, "the example must defeat plain arithmetic")
}
