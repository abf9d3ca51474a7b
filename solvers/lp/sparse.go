package lp

import (
	"context"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"
)

// SparseProblem is the linear program
//
//	minimize cᵀx  s.t.  L ≤ Ax ≤ U,  LB ≤ x ≤ UB
//
// in the double-sided sparse form of qp.SparseProblem (A m×n in
// compressed-column form, nil when m = 0; L = U makes a row an equality;
// infinite entries, or nil vectors, are absent sides): the form of the MPS
// files that package mps reads, for LPs too large for the dense Solve.
type SparseProblem struct {
	C      []float64
	A      *sparse.CSC
	L, U   []float64
	LB, UB []float64
}

// SolveSparse solves pb with qp.SolveSparse (the sparse proximal interior
// point, its acceptance test and its certificates) and returns its
// solution, which speaks the module's contract (VJP and JVP with respect
// to qp.SparseLayout's parameters: A's stored values, c and the finite
// bounds). With Settings.Quadratic γ > 0 the objective is
// cᵀx + (γ/2)‖x‖² (Wilder, Dilkina & Tambe 2019), whose solution is a
// differentiable function of c; the plain LP's solution is piecewise
// constant in c (its derivative in c is zero almost everywhere). Tol,
// MaxIter, WarmStart (x only), Workers and Logger mean what they mean in
// qp.SparseSettings; Settings.Barrier is not offered by the sparse path
// (ErrInvalid).
func SolveSparse(ctx context.Context, pb *SparseProblem, s *Settings) (*qp.SparseSolution, error) {
	var set Settings
	if s != nil {
		set = *s
	}
	if err := set.validate(); err != nil {
		return nil, err
	}
	if set.Barrier != 0 {
		return nil, fmt.Errorf("%w: Barrier = %v: the sparse path has no barrier smoothing (use Quadratic)", ErrInvalid, set.Barrier)
	}
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrInvalid)
	}
	n := len(pb.C)
	qs := &qp.SparseSettings{Tol: set.Tol, MaxIter: set.MaxIter, Workers: set.Workers, Logger: set.Logger}
	if set.WarmStart != nil {
		qs.WarmStart = &qp.SparseStart{X: set.WarmStart}
	}
	q := &qp.SparseProblem{P: pb.C, A: pb.A, L: pb.L, U: pb.U, LB: pb.LB, UB: pb.UB}
	if g := set.Quadratic; g > 0 && n > 0 {
		ri := make([]int, n)
		cp := make([]int, n+1)
		v := make([]float64, n)
		for j := range n {
			ri[j], cp[j+1], v[j] = j, j+1, g
		}
		d, err := sparse.NewSymCSC(n, cp, ri, v)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		q.Q = d
	}
	sol, err := qp.SolveSparse(ctx, q, qs)
	if err != nil {
		return sol, fmt.Errorf("lp: %w", err)
	}
	if math.IsNaN(sol.Objective) || math.IsInf(sol.Objective, 0) {
		return sol, fmt.Errorf("%w: the objective cᵀx = %g is not a finite float64", ErrNaN, sol.Objective)
	}
	return sol, nil
}
