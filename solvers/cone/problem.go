package cone

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/optlayers/optlayers/sparse"
)

// Errors of the cone program solver, beside ErrDims, ErrNaN, ErrInvalid
// and ErrNotConverged.
var (
	// ErrInfeasible: a checked certificate shows that no x has Ax + s = b
	// with s ∈ K (Solution.Certificate holds y with Aᵀy = 0, y ∈ K*,
	// bᵀy < 0).
	ErrInfeasible = errors.New("cone: problem is infeasible")
	// ErrUnbounded: a checked ray decreases the objective without bound
	// (Solution.Certificate holds x with Qx = 0, −Ax ∈ K, pᵀx < 0).
	ErrUnbounded = errors.New("cone: problem is unbounded")
	// ErrSingular: a linear system of the derivatives is singular.
	ErrSingular = errors.New("cone: singular system")
)

// Problem is the cone program
//
//	minimize ½xᵀQx + pᵀx  subject to  Ax + s = b,  s ∈ K,
//
// the form of Clarabel and SCS (who write P for Q and q for p; the names
// here are those of package qp). x has length n, s and b length m,
// K is a product of cones of total dimension m, A is m×n and Q (n×n,
// positive semidefinite) is stored by its upper triangle, nil for a
// linear objective. Equalities are Zero blocks, inequalities
// Nonnegative blocks; the order of K's blocks is that of the rows of A.
type Problem struct {
	Q *sparse.SymCSC
	P []float64
	A *sparse.CSC
	B []float64
	K *Product
}

// Dims returns n, the number of variables, and m, the number of
// constraint rows.
func (pb *Problem) Dims() (n, m int) {
	n = len(pb.P)
	m = len(pb.B)
	return n, m
}

// Status is the outcome of Solve.
type Status int

const (
	// Optimal: the residuals recomputed from (x, y, s) on the user's data
	// passed the test of Settings.Tol.
	Optimal Status = iota
	// Infeasible: a checked certificate of primal infeasibility.
	Infeasible
	// Unbounded: a checked certificate of dual infeasibility.
	Unbounded
	// NotConverged: no point passed the test and no certificate passed its
	// check; the best iterate is returned.
	NotConverged
	// Canceled: the context was done; the best iterate is returned.
	Canceled
)

var statusNames = [...]string{"Optimal", "Infeasible", "Unbounded", "NotConverged", "Canceled"}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Residuals are the absolute residuals of a point on the user's data:
//
//	Primal = ‖Ax + s − b‖∞ (s ∈ K is enforced by the iteration),
//	Dual   = ‖Qx + p + Aᵀy‖∞,
//	Gap    = |xᵀQx + pᵀx + bᵀy|.
type Residuals struct {
	Primal, Dual, Gap float64
}

// Start is a starting point of Solve: X (length n) and, optionally, S and
// Y (length m); points on or outside the cones' boundaries are pushed into
// the interior.
type Start struct {
	X, S, Y []float64
}

// Settings controls Solve. The zero value (or nil) gives each field's
// default; negative or NaN values are ErrInvalid.
type Settings struct {
	// Tol is the accuracy for Status Optimal: the primal and dual
	// residuals at most Tol times their scales, the largest of 1 and the
	// ∞-norms of the residual's terms, and the gap at most Tol times the
	// largest of 1 and the smaller of |½xᵀQx + pᵀx| and |½xᵀQx + bᵀy| (all
	// scales 1 with Absolute set). Default 1e-8.
	Tol      float64
	Absolute bool
	// MaxIter caps the interior-point iterations. Default 200.
	MaxIter int
	// WarmStart, if non-nil, is the starting point.
	WarmStart *Start
	// Workers is the number of goroutines of the sparse factorization
	// (sparse.LDLSettings.Workers) and of the PSD products of the dense
	// normal equations; 0 means GOMAXPROCS.
	Workers int
	// Logger, if non-nil, receives a Debug record per iteration and an
	// Info record per stage.
	Logger *slog.Logger

	// kkt forces a path of the KKT solve (kktForceSparse, kktForceDense;
	// tests) instead of the automatic choice.
	kkt int
	// prep is the Prepared of Prepared.Solve, nil for Solve.
	prep *Prepared
}

// Solution is the result of Solve: the primal point X, the slack S ∈ K
// and the multipliers Y ∈ K* of Ax + s = b (the optimality conditions are
// Qx + p + Aᵀy = 0, Ax + s = b, s ∈ K, y ∈ K*, sᵀy = 0).
type Solution struct {
	X, S, Y     []float64
	Status      Status
	Iterations  int
	Residuals   Residuals
	Objective   float64   // ½xᵀQx + pᵀx
	Certificate []float64 // the checked ray of Infeasible (length m) or Unbounded (length n)

	// pb is the caller's problem (not copied), kept for the derivatives
	// (Layout, Condition, VJP, JVP); set by Solve.
	pb *Problem
	// diff is the factored KKT matrix of the derivatives, built by their
	// first call (diff.go).
	diff *diffFactor
}
