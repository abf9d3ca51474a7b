package linsolve

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// maxCond is the condition number beyond which a dense factorization is
// reported as singular: 1/eps, at which point no digit of a solve is
// trustworthy.
const maxCond = 1 / (2.220446049250313e-16)

func checkFinite(m mat.Matrix) error {
	r, c := m.Dims()
	for i := range r {
		for j := range c {
			v := m.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: entry (%d,%d) = %v", ErrNaN, i, j, v)
			}
		}
	}
	return nil
}

// LU is a kept LU factorization with partial pivoting of a square matrix.
// It implements Factorized. It is safe for concurrent use by several
// goroutines only for Solve, SolveT, Apply and ApplyT calls with distinct
// dst slices.
type LU struct {
	a  *mat.Dense
	lu mat.LU
}

// NewLU factorizes the square matrix m. It returns ErrDims for a non-square
// m, ErrNaN for non-finite entries and ErrSingular when the estimated
// condition number exceeds 1/eps.
func NewLU(m mat.Matrix) (*LU, error) {
	r, c := m.Dims()
	if r != c {
		return nil, fmt.Errorf("%w: LU of a %d×%d matrix", ErrDims, r, c)
	}
	if err := checkFinite(m); err != nil {
		return nil, err
	}
	f := &LU{a: mat.DenseCopyOf(m)}
	if r == 0 {
		return f, nil
	}
	f.lu.Factorize(f.a)
	if cond := f.lu.Cond(); cond > maxCond || math.IsNaN(cond) {
		return nil, fmt.Errorf("%w: condition number %.3g", ErrSingular, cond)
	}
	return f, nil
}

// Dims returns the shape of the factorized matrix.
func (f *LU) Dims() (int, int) { return f.a.Dims() }

// Apply sets dst = M v.
func (f *LU) Apply(dst, v []float64) { Matrix{f.a}.Apply(dst, v) }

// ApplyT sets dst = Mᵀ u.
func (f *LU) ApplyT(dst, u []float64) { Matrix{f.a}.ApplyT(dst, u) }

// Solve sets dst = M⁻¹ b.
func (f *LU) Solve(dst, b []float64) error { return f.solve(dst, b, false) }

// SolveT sets dst = M⁻ᵀ b.
func (f *LU) SolveT(dst, b []float64) error { return f.solve(dst, b, true) }

func (f *LU) solve(dst, b []float64, trans bool) error {
	n, _ := f.a.Dims()
	if len(dst) != n || len(b) != n {
		return fmt.Errorf("%w: solve with %d×%d LU, len(b)=%d, len(dst)=%d", ErrDims, n, n, len(b), len(dst))
	}
	if n == 0 {
		return nil
	}
	copy(dst, b)
	x := mat.NewVecDense(n, dst)
	if err := f.lu.SolveVecTo(x, trans, x); err != nil {
		return fmt.Errorf("%w: %v", ErrSingular, err)
	}
	return checkSolution(dst)
}

// checkSolution reports a solution that overflowed or is NaN.
func checkSolution(x []float64) error {
	if !finite(x) {
		return fmt.Errorf("%w: solution overflowed", ErrNaN)
	}
	return nil
}

// Cholesky is a kept Cholesky factorization M = LLᵀ of a symmetric positive
// definite matrix. It implements Factorized.
type Cholesky struct {
	a    *mat.SymDense
	chol mat.Cholesky
}

// NewCholesky factorizes the symmetric matrix m. It returns
// ErrNotPositiveDefinite when m is not numerically positive definite.
func NewCholesky(m mat.Symmetric) (*Cholesky, error) {
	if err := checkFinite(m); err != nil {
		return nil, err
	}
	n := m.SymmetricDim()
	f := &Cholesky{a: mat.NewSymDense(n, nil)}
	f.a.CopySym(m)
	if n == 0 {
		return f, nil
	}
	if !f.chol.Factorize(f.a) {
		return nil, ErrNotPositiveDefinite
	}
	if cond := f.chol.Cond(); cond > maxCond {
		return nil, fmt.Errorf("%w: condition number %.3g", ErrSingular, cond)
	}
	return f, nil
}

// Dims returns the shape of the factorized matrix.
func (f *Cholesky) Dims() (int, int) { n := f.a.SymmetricDim(); return n, n }

// Apply sets dst = M v.
func (f *Cholesky) Apply(dst, v []float64) { Matrix{f.a}.Apply(dst, v) }

// ApplyT sets dst = M u (M is symmetric).
func (f *Cholesky) ApplyT(dst, u []float64) { f.Apply(dst, u) }

// Solve sets dst = M⁻¹ b.
func (f *Cholesky) Solve(dst, b []float64) error {
	n := f.a.SymmetricDim()
	if len(dst) != n || len(b) != n {
		return fmt.Errorf("%w: solve with %d×%d Cholesky, len(b)=%d, len(dst)=%d", ErrDims, n, n, len(b), len(dst))
	}
	if n == 0 {
		return nil
	}
	copy(dst, b)
	x := mat.NewVecDense(n, dst)
	if err := f.chol.SolveVecTo(x, x); err != nil {
		return fmt.Errorf("%w: %v", ErrSingular, err)
	}
	return checkSolution(dst)
}

// SolveT is Solve (M is symmetric).
func (f *Cholesky) SolveT(dst, b []float64) error { return f.Solve(dst, b) }

// QR is a kept QR factorization of an r×c matrix with r ≥ c and full
// column rank. Solve returns the least-squares solution of M x ≈ b and
// SolveT the minimum-norm solution of Mᵀ x = b. It implements Factorized.
type QR struct {
	a  *mat.Dense
	qr mat.QR
}

// NewQR factorizes m. It returns ErrDims when m has more columns than rows
// and ErrSingular when m is numerically rank deficient.
func NewQR(m mat.Matrix) (*QR, error) {
	r, c := m.Dims()
	if r < c {
		return nil, fmt.Errorf("%w: QR needs rows ≥ cols, have %d×%d", ErrDims, r, c)
	}
	if err := checkFinite(m); err != nil {
		return nil, err
	}
	f := &QR{a: mat.DenseCopyOf(m)}
	if c == 0 {
		return f, nil
	}
	f.qr.Factorize(f.a)
	if cond := f.qr.Cond(); cond > maxCond || math.IsNaN(cond) {
		return nil, fmt.Errorf("%w: condition number %.3g", ErrSingular, cond)
	}
	return f, nil
}

// Dims returns the shape of the factorized matrix.
func (f *QR) Dims() (int, int) { return f.a.Dims() }

// Apply sets dst = M v.
func (f *QR) Apply(dst, v []float64) { Matrix{f.a}.Apply(dst, v) }

// ApplyT sets dst = Mᵀ u.
func (f *QR) ApplyT(dst, u []float64) { Matrix{f.a}.ApplyT(dst, u) }

// Solve sets dst (length c) to the least-squares solution of M x ≈ b
// (length r).
func (f *QR) Solve(dst, b []float64) error {
	r, c := f.a.Dims()
	if len(dst) != c || len(b) != r {
		return fmt.Errorf("%w: least squares with %d×%d QR, len(b)=%d, len(dst)=%d", ErrDims, r, c, len(b), len(dst))
	}
	if c == 0 {
		return nil
	}
	x := mat.NewVecDense(c, dst)
	if err := f.qr.SolveVecTo(x, false, mat.NewVecDense(r, b)); err != nil {
		return fmt.Errorf("%w: %v", ErrSingular, err)
	}
	return checkSolution(dst)
}

// SolveT sets dst (length r) to the minimum-norm solution of Mᵀ x = b
// (length c).
func (f *QR) SolveT(dst, b []float64) error {
	r, c := f.a.Dims()
	if len(dst) != r || len(b) != c {
		return fmt.Errorf("%w: transposed solve with %d×%d QR, len(b)=%d, len(dst)=%d", ErrDims, r, c, len(b), len(dst))
	}
	if c == 0 {
		clear(dst)
		return nil
	}
	x := mat.NewVecDense(r, dst)
	if err := f.qr.SolveVecTo(x, true, mat.NewVecDense(c, b)); err != nil {
		return fmt.Errorf("%w: %v", ErrSingular, err)
	}
	return checkSolution(dst)
}

// MatrixSolver is implemented by factorizations that solve with many
// right-hand sides at once (blocked, much faster than column by column).
type MatrixSolver interface {
	// SolveMat sets dst = M⁻¹ B, or M⁻ᵀ B when trans is true.
	SolveMat(dst *mat.Dense, b mat.Matrix, trans bool) error
}

// SolveMat sets dst = M⁻¹ B (or M⁻ᵀ B).
func (f *LU) SolveMat(dst *mat.Dense, b mat.Matrix, trans bool) error {
	if err := f.lu.SolveTo(dst, trans, b); err != nil {
		return fmt.Errorf("%w: %v", ErrSingular, err)
	}
	return nil
}

// SolveMat sets dst = M⁻¹ B (M is symmetric, so trans is ignored).
func (f *Cholesky) SolveMat(dst *mat.Dense, b mat.Matrix, _ bool) error {
	if err := f.chol.SolveTo(dst, b); err != nil {
		return fmt.Errorf("%w: %v", ErrSingular, err)
	}
	return nil
}
