package qp

import (
	"fmt"
	"log/slog"
	"math"

	"github.com/optlayers/optlayers/sparse"
)

// SparseProblem is the convex QP
//
//	minimize ½xᵀQx + pᵀx  s.t.  L ≤ Ax ≤ U,  LB ≤ x ≤ UB,
//
// in the double-sided form of OSQP, PIQP and the QPS files of the
// Maros–Mészáros test set (solvers/mps reads them): a row with L = U is
// an equality, an infinite side is absent (−Inf in L or LB, +Inf in U or
// UB). Q is stored by its upper triangle (nil for a linear program); A is
// m×n (nil when m = 0). Nil L, U, LB or UB mean all −Inf or all +Inf.
type SparseProblem struct {
	Q      *sparse.SymCSC
	P      []float64 // length n
	A      *sparse.CSC
	L, U   []float64 // length m
	LB, UB []float64 // length n
}

// Dims returns the number of variables n and of constraint rows m.
func (pb *SparseProblem) Dims() (n, m int) {
	n = len(pb.P)
	if pb.A != nil {
		m, _ = pb.A.Dims()
	}
	return n, m
}

// SparseStart is a starting point of SolveSparse: X (length n) and,
// optionally, the multipliers Y (length m) and Z (length n) in the
// convention of SparseSolution. Points on or outside the boundary are
// pushed into the interior.
type SparseStart struct {
	X, Y, Z []float64
}

// SparseSettings controls SolveSparse. The zero value (or nil) gives the
// defaults of each field; negative or NaN values are ErrInvalid.
type SparseSettings struct {
	// Tol is the accuracy the returned point must reach for Status
	// Optimal, tested on residuals recomputed from (x, y, z) and the
	// user's data in double-double arithmetic:
	//
	//	primal = max(‖(Ax − U)₊, (L − Ax)₊, (x − UB)₊, (LB − x)₊‖∞) ≤ Tol·sₚ
	//	dual   = ‖Qx + p + Aᵀy + z‖∞ (and wrong-signed multipliers) ≤ Tol·s_d
	//	gap    = |xᵀQx + pᵀx + σ(y, z)| ≤ Tol·s_g
	//
	// where σ(y, z) = Σ U_i y_i⁺ − L_i y_i⁻ + Σ UB_j z_j⁺ − LB_j z_j⁻ is the
	// support term of the dual objective. With Absolute set the scales are
	// 1 (the public QP benchmark's rule); otherwise each is the largest of
	// 1 and the ∞-norms of its residual's terms. Default 1e-9.
	Tol      float64
	Absolute bool
	// MaxIter caps the interior-point iterations. Default 300.
	MaxIter int
	// WarmStart, if non-nil, is the starting point.
	WarmStart *SparseStart
	// Workers is the number of goroutines of the sparse factorization
	// (see sparse.LDLSettings.Workers); 0 means GOMAXPROCS.
	Workers int
	// Logger, if non-nil, receives one Debug record per iteration and an
	// Info record per stage (scaling, analysis, the result).
	Logger *slog.Logger
}

func (s *SparseSettings) orDefault() (SparseSettings, error) {
	var out SparseSettings
	if s != nil {
		out = *s
	}
	switch {
	case out.Tol < 0 || math.IsNaN(out.Tol) || math.IsInf(out.Tol, 0):
		return out, fmt.Errorf("%w: Tol = %v (want a finite Tol ≥ 0; 0 means 1e-9)", ErrInvalid, out.Tol)
	case out.MaxIter < 0:
		return out, fmt.Errorf("%w: MaxIter = %d (want ≥ 0; 0 means 300)", ErrInvalid, out.MaxIter)
	case out.Workers < 0:
		return out, fmt.Errorf("%w: Workers = %d (want ≥ 0; 0 means GOMAXPROCS)", ErrInvalid, out.Workers)
	}
	if out.Tol == 0 {
		out.Tol = 1e-9
	}
	if out.MaxIter == 0 {
		out.MaxIter = 300
	}
	return out, nil
}

// SparseSolution is the result of SolveSparse. Y (length m) and Z (length
// n) are signed multipliers: the solution satisfies Qx + p + Aᵀy + z = 0
// with y_i ≥ 0 where the upper side of row i is active, y_i ≤ 0 where the
// lower side is, and likewise z for the bounds of x (the convention of
// OSQP).
type SparseSolution struct {
	X, Y, Z    []float64
	Status     Status
	Iterations int
	// Residuals of the returned point on the user's data (see
	// SparseSettings.Tol; Complementarity is unused).
	Residuals Residuals
	Objective float64 // ½xᵀQx + pᵀx
	// Polished reports that the point came from the active-set polish
	// (Newton steps on the KKT system of the guessed active set).
	Polished bool

	pb             *sparseData
	actRow, actVar []int8     // the active set (see the derivatives)
	kktS           *activeKKT // K_S, factored on first use
}

// sparseData is a validated view of a SparseProblem with its bounds
// filled in (the matrices are shared with the caller's problem, not
// copied).
type sparseData struct {
	n, m   int
	q      *sparse.SymCSC
	p      []float64
	a      *sparse.CSC
	at     *sparse.CSC // Aᵀ (n×m): column i is row i of A
	l, u   []float64
	lb, ub []float64
}

func newSparseData(pb *SparseProblem) (*sparseData, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrInvalid)
	}
	n := len(pb.P)
	if n == 0 {
		return nil, fmt.Errorf("%w: no variables (len(P) = 0)", ErrDims)
	}
	if !finite(pb.P) {
		return nil, fmt.Errorf("%w: in P", ErrNaN)
	}
	d := &sparseData{n: n, q: pb.Q, p: pb.P, a: pb.A}
	if pb.Q != nil {
		if k := pb.Q.SymmetricDim(); k != n {
			return nil, fmt.Errorf("%w: Q is %d×%d, len(P) = %d", ErrDims, k, k, n)
		}
		_, _, v := pb.Q.Upper().Raw()
		if !finite(v) {
			return nil, fmt.Errorf("%w: in Q", ErrNaN)
		}
		if err := checkDiagonalPSD(pb.Q); err != nil {
			return nil, err
		}
	}
	if pb.A != nil {
		r, c := pb.A.Dims()
		if c != n {
			return nil, fmt.Errorf("%w: A is %d×%d, len(P) = %d", ErrDims, r, c, n)
		}
		d.m = r
		_, _, v := pb.A.Raw()
		if !finite(v) {
			return nil, fmt.Errorf("%w: in A", ErrNaN)
		}
		d.at = pb.A.Transpose()
	}
	var err error
	if d.l, err = sideVector(pb.L, d.m, math.Inf(-1), "L"); err != nil {
		return nil, err
	}
	if d.u, err = sideVector(pb.U, d.m, math.Inf(1), "U"); err != nil {
		return nil, err
	}
	if d.lb, err = sideVector(pb.LB, n, math.Inf(-1), "LB"); err != nil {
		return nil, err
	}
	if d.ub, err = sideVector(pb.UB, n, math.Inf(1), "UB"); err != nil {
		return nil, err
	}
	for i := range d.m {
		if d.l[i] > d.u[i] || math.IsInf(d.l[i], 1) || math.IsInf(d.u[i], -1) {
			return nil, fmt.Errorf("%w: row %d has L = %v > U = %v (or an infinite side of the wrong sign)", ErrInfeasible, i, d.l[i], d.u[i])
		}
	}
	for j := range n {
		if d.lb[j] > d.ub[j] || math.IsInf(d.lb[j], 1) || math.IsInf(d.ub[j], -1) {
			return nil, fmt.Errorf("%w: variable %d has LB = %v > UB = %v (or an infinite bound of the wrong sign)", ErrInfeasible, j, d.lb[j], d.ub[j])
		}
	}
	return d, nil
}

// sideVector returns v, or a vector of fill when v is nil, after checking
// its length and that it holds no NaN.
func sideVector(v []float64, n int, fill float64, name string) ([]float64, error) {
	if v == nil {
		out := make([]float64, n)
		for i := range out {
			out[i] = fill
		}
		return out, nil
	}
	if len(v) != n {
		return nil, fmt.Errorf("%w: len(%s) = %d, want %d", ErrDims, name, len(v), n)
	}
	for i, e := range v {
		if math.IsNaN(e) {
			return nil, fmt.Errorf("%w: %s[%d] is NaN", ErrNaN, name, i)
		}
	}
	return v, nil
}

// checkDiagonalPSD rejects a Q that is plainly not positive semidefinite:
// a negative diagonal entry, or a 2×2 principal minor Q_ii Q_jj − Q_ij²
// below −1e-5·‖Q‖∞² (the full test is the factorization's: a Q that is
// indefinite beyond the proximal term shows up as a solve that does not
// converge).
func checkDiagonalPSD(q *sparse.SymCSC) error {
	n := q.SymmetricDim()
	cp, ri, v := q.Upper().Raw()
	diag := make([]float64, n)
	big := 0.0
	for j := range n {
		for k := cp[j]; k < cp[j+1]; k++ {
			big = math.Max(big, math.Abs(v[k]))
			if ri[k] == j {
				diag[j] = v[k]
			}
		}
	}
	allow := 1e-5 * big
	for j := range n {
		if diag[j] < -allow {
			return fmt.Errorf("%w: Q is not positive semidefinite (Q[%d][%d] = %v)", ErrInvalid, j, j, diag[j])
		}
		for k := cp[j]; k < cp[j+1]; k++ {
			i := ri[k]
			if i != j && diag[i]*diag[j]-v[k]*v[k] < -allow*big {
				return fmt.Errorf("%w: Q is not positive semidefinite (the minor of rows %d, %d is negative)", ErrInvalid, i, j)
			}
		}
	}
	return nil
}
