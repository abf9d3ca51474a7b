package linsolve

import (
	"fmt"
	"math"
	"slices"
	"sync"

	gonumlapack "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/dense"
	"github.com/optlayers/optlayers/internal/parallel"

	"github.com/optlayers/optlayers/internal/guard"
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

// LU is a kept LU factorization with partial pivoting of a square matrix,
// P M = L U, computed and applied with the AVX/FMA kernels of
// internal/dense. It implements Factorized and MatrixSolver. It is safe
// for concurrent use by several goroutines only for Solve, SolveT, Apply
// and ApplyT calls with distinct dst slices.
type LU struct {
	a   *mat.Dense
	n   int
	lu  []float64 // row-major n×n: L strictly below the diagonal, U on and above
	piv []int     // row interchanges, LAPACK order

	revOnce sync.Once
	revU    []float64 // J U J (lower), built by the first SolveMat
}

// NewLU factorizes the square matrix m. It returns ErrDims for a non-square
// m, ErrNaN for non-finite entries and ErrSingular when a pivot is exactly
// zero or the estimated condition number exceeds 1/eps (the ∞-norm
// estimate of LAPACK's dgecon, as gonum's mat.LU.Cond).
func NewLU(m mat.Matrix) (lu *LU, err error) {
	if guard.IsNil(m) {
		return nil, fmt.Errorf("%w: LU of a nil matrix", ErrInvalid)
	}
	defer guard.Recover(&err, ErrCallback)
	r, c := m.Dims()
	if r != c {
		return nil, fmt.Errorf("%w: LU of a %d×%d matrix", ErrDims, r, c)
	}
	n := r
	f := &LU{n: n}
	if n == 0 {
		f.a = &mat.Dense{}
		return f, nil
	}
	f.a = mat.DenseCopyOf(m)
	raw := f.a.RawMatrix()
	f.lu = make([]float64, n*n)
	for i := range n {
		copy(f.lu[i*n:(i+1)*n], raw.Data[i*raw.Stride:i*raw.Stride+n])
	}
	anorm, err := normFinite(f.lu, n)
	if err != nil {
		return nil, err
	}
	f.piv = make([]int, n)
	if !dense.LU(f.lu, n, n, f.piv) {
		return nil, fmt.Errorf("%w: condition number %.3g (zero pivot)", ErrSingular, math.Inf(1))
	}
	cond := estimateCond(n, anorm, func(x []float64, trans bool) {
		if trans {
			dense.LUSolveTrans(f.lu, n, n, f.piv, x)
		} else {
			dense.LUSolve(f.lu, n, n, f.piv, x)
		}
	})
	if cond > maxCond || math.IsNaN(cond) {
		return nil, fmt.Errorf("%w: condition number %.3g", ErrSingular, cond)
	}
	return f, nil
}

// checkFiniteRows reports the first non-finite entry of the row-major
// r×c matrix a.
func checkFiniteRows(a []float64, r, c int) error {
	if finite(a[:r*c]) {
		return nil
	}
	for i, v := range a[:r*c] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: entry (%d,%d) = %v", ErrNaN, i/c, i%c, v)
		}
	}
	return nil
}

// normFinite returns the ∞-norm of the row-major n×n a, or ErrNaN naming
// a non-finite entry: a NaN or an infinite norm is the only sign of one,
// so the matrix is read once when it is finite. (A norm that overflows
// with finite entries is returned as +Inf.)
func normFinite(a []float64, n int) (float64, error) {
	norm := maxRowSum(a, n)
	if norm <= math.MaxFloat64 {
		return norm, nil
	}
	if err := checkFiniteRows(a, n, n); err != nil {
		return 0, err
	}
	return math.Inf(1), nil
}

// maxRowSum returns the ∞-norm maxᵢ Σⱼ |aᵢⱼ| of the row-major n×n a.
func maxRowSum(a []float64, n int) float64 {
	var m float64
	for i := range n {
		var s float64
		for _, v := range a[i*n : (i+1)*n] {
			s += math.Abs(v)
		}
		if math.IsNaN(s) {
			return s
		}
		m = math.Max(m, s)
	}
	return m
}

// estimateCond returns the estimate ‖M‖∞·‖M⁻¹‖∞ of the condition number
// of M, where ‖M⁻¹‖∞ = ‖M⁻ᵀ‖₁ comes from Hager and Higham's estimator
// (LAPACK dlacn2, N. J. Higham, ACM TOMS 14(4), 1988) driven by solve,
// which overwrites x with M⁻¹x, or M⁻ᵀx when trans is true. This is the
// estimate of LAPACK's dgecon/dpocon with the ∞-norm, as gonum's mat.LU
// and mat.Cholesky report it, computed with the fast solves (an overflowed
// solve reports an infinite condition number).
func estimateCond(n int, anorm float64, solve func(x []float64, trans bool)) float64 {
	switch {
	case math.IsNaN(anorm):
		return anorm
	case anorm == 0 || math.IsInf(anorm, 1):
		return math.Inf(1)
	}
	work := make([]float64, 2*n)
	x, v := work[:n], work[n:]
	isgn := make([]int, n)
	var isave [3]int
	var est float64
	kase := 0
	for {
		est, kase = lapackImpl.Dlacn2(n, v, x, isgn, est, kase, &isave)
		if kase == 0 {
			if est == 0 {
				return math.Inf(1)
			}
			return anorm * est
		}
		// dlacn2 estimates ‖B‖₁ for B = M⁻ᵀ: kase 1 asks for B x = M⁻ᵀx
		// and kase 2 for Bᵀx = M⁻¹x.
		solve(x, kase == 1)
		if !finite(x) {
			return math.Inf(1)
		}
	}
}

var lapackImpl gonumlapack.Implementation

// Dims returns the shape of the factorized matrix.
func (f *LU) Dims() (int, int) { return f.n, f.n }

// Apply sets dst = M v.
func (f *LU) Apply(dst, v []float64) { Matrix{f.a}.Apply(dst, v) }

// ApplyT sets dst = Mᵀ u.
func (f *LU) ApplyT(dst, u []float64) { Matrix{f.a}.ApplyT(dst, u) }

// Solve sets dst = M⁻¹ b. dst and b may be the same slice.
func (f *LU) Solve(dst, b []float64) error { return f.solve(dst, b, false) }

// SolveT sets dst = M⁻ᵀ b. dst and b may be the same slice.
func (f *LU) SolveT(dst, b []float64) error { return f.solve(dst, b, true) }

func (f *LU) solve(dst, b []float64, trans bool) error {
	n := f.n
	if len(dst) != n || len(b) != n {
		return fmt.Errorf("%w: solve with %d×%d LU, len(b)=%d, len(dst)=%d", ErrDims, n, n, len(b), len(dst))
	}
	if n == 0 {
		return nil
	}
	copy(dst, b)
	if trans {
		dense.LUSolveTrans(f.lu, n, n, f.piv, dst)
	} else {
		dense.LUSolve(f.lu, n, n, f.piv, dst)
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
// definite matrix, computed and applied with the AVX/FMA kernels of
// internal/dense. It implements Factorized and MatrixSolver.
type Cholesky struct {
	a *mat.SymDense
	n int
	l []float64 // row-major n×n, L in the lower triangle

	revOnce sync.Once
	revLT   []float64 // J Lᵀ J (lower), built by the first SolveMat
}

// NewCholesky factorizes the symmetric matrix m. It returns ErrNaN for
// non-finite entries, ErrNotPositiveDefinite when m is not numerically
// positive definite and ErrSingular when the estimated condition number
// exceeds 1/eps (LAPACK dpocon's estimate, as gonum's mat.Cholesky.Cond).
func NewCholesky(m mat.Symmetric) (ch *Cholesky, err error) {
	if guard.IsNil(m) {
		return nil, fmt.Errorf("%w: Cholesky of a nil matrix", ErrInvalid)
	}
	defer guard.Recover(&err, ErrCallback)
	n := m.SymmetricDim()
	f := &Cholesky{a: &mat.SymDense{}, n: n}
	if n == 0 {
		return f, nil
	}
	f.a = mat.NewSymDense(n, nil)
	f.a.CopySym(m)
	raw := f.a.RawSymmetric() // upper triangle
	f.l = make([]float64, n*n)
	for i := range n {
		for j := i; j < n; j++ {
			v := raw.Data[i*raw.Stride+j]
			f.l[i*n+j], f.l[j*n+i] = v, v
		}
	}
	anorm, err := normFinite(f.l, n)
	if err != nil {
		return nil, err
	}
	if !dense.Cholesky(f.l, n, n) {
		return nil, ErrNotPositiveDefinite
	}
	cond := estimateCond(n, anorm, func(x []float64, _ bool) {
		dense.SolveLower(f.l, n, n, x)
		dense.SolveLowerT(f.l, n, n, x)
	})
	if cond > maxCond || math.IsNaN(cond) {
		return nil, fmt.Errorf("%w: condition number %.3g", ErrSingular, cond)
	}
	return f, nil
}

// Dims returns the shape of the factorized matrix.
func (f *Cholesky) Dims() (int, int) { return f.n, f.n }

// Apply sets dst = M v.
func (f *Cholesky) Apply(dst, v []float64) { Matrix{f.a}.Apply(dst, v) }

// ApplyT sets dst = M u (M is symmetric).
func (f *Cholesky) ApplyT(dst, u []float64) { f.Apply(dst, u) }

// Solve sets dst = M⁻¹ b. dst and b may be the same slice.
func (f *Cholesky) Solve(dst, b []float64) error {
	n := f.n
	if len(dst) != n || len(b) != n {
		return fmt.Errorf("%w: solve with %d×%d Cholesky, len(b)=%d, len(dst)=%d", ErrDims, n, n, len(b), len(dst))
	}
	if n == 0 {
		return nil
	}
	copy(dst, b)
	dense.SolveLower(f.l, n, n, dst)
	dense.SolveLowerT(f.l, n, n, dst)
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
func NewQR(m mat.Matrix) (qr *QR, err error) {
	if guard.IsNil(m) {
		return nil, fmt.Errorf("%w: QR of a nil matrix", ErrInvalid)
	}
	defer guard.Recover(&err, ErrCallback)
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

// SolveMat sets dst = M⁻¹ B (or M⁻ᵀ B). An empty dst is resized to n×k;
// otherwise its shape must match B's. dst and b may be the same matrix.
// The right-hand sides are solved as rows of Bᵀ, in blocks of three with
// row dots, on all cores when there are many; the result does not depend
// on the number of cores.
func (f *LU) SolveMat(dst *mat.Dense, b mat.Matrix, trans bool) error {
	n := f.n
	if trans {
		return solveMat(n, "LU", dst, b, func(x []float64, k int) {
			dense.LUSolveRows(x, k, n, f.lu, n, n, f.piv, true)
		})
	}
	return solveMat(n, "LU", dst, b, func(x []float64, k int) {
		// Rows xᵢ ← P xᵢ, then L⁻¹xᵢ, then U⁻¹xᵢ, which in the reversed
		// order of the unknowns is a lower triangular solve with J U J.
		f.revOnce.Do(func() { f.revU = reversedTriangle(f.lu, n, false) })
		for i := range k {
			xi := x[i*n : (i+1)*n]
			for r, p := range f.piv {
				if p != r {
					xi[r], xi[p] = xi[p], xi[r]
				}
			}
		}
		dense.SolveRowsUnitLowerT(x, k, n, f.lu, n, n)
		reverseRows(x, k, n)
		dense.SolveRowsLowerT(x, k, n, f.revU, n, n)
		reverseRows(x, k, n)
	})
}

// SolveMat sets dst = M⁻¹ B (M is symmetric, so trans is ignored). An
// empty dst is resized to n×k; otherwise its shape must match B's. dst and
// b may be the same matrix. The right-hand sides are solved as rows of Bᵀ,
// in blocks of three with row dots, on all cores when there are many; the
// result does not depend on the number of cores.
func (f *Cholesky) SolveMat(dst *mat.Dense, b mat.Matrix, _ bool) error {
	n := f.n
	return solveMat(n, "Cholesky", dst, b, func(x []float64, k int) {
		// Rows xᵢ ← L⁻¹xᵢ, then L⁻ᵀxᵢ, which in the reversed order of the
		// unknowns is a lower triangular solve with J Lᵀ J.
		f.revOnce.Do(func() { f.revLT = reversedTriangle(f.l, n, true) })
		dense.SolveRowsLowerT(x, k, n, f.l, n, n)
		reverseRows(x, k, n)
		dense.SolveRowsLowerT(x, k, n, f.revLT, n, n)
		reverseRows(x, k, n)
	})
}

// reversedTriangle returns the row-major lower triangle of J T J, where J
// reverses the order of rows and columns and T is the upper triangle of
// the row-major n×n t, or the transpose of its lower triangle when lower
// is true.
func reversedTriangle(t []float64, n int, lower bool) []float64 {
	r := make([]float64, n*n)
	for a := range n {
		for b := 0; b <= a; b++ {
			i, j := n-1-a, n-1-b // (J T J)ₐᵦ = Tᵢⱼ, i ≤ j
			if lower {
				r[a*n+b] = t[j*n+i]
			} else {
				r[a*n+b] = t[i*n+j]
			}
		}
	}
	return r
}

// reverseRows reverses each of the k rows of length n of x.
func reverseRows(x []float64, k, n int) {
	for i := range k {
		slices.Reverse(x[i*n : (i+1)*n])
	}
}

// parallelWork is the number k·n² of multiply-adds of a blocked solve
// from which it is split over the cores.
const parallelWork = 1 << 20

// solveMat copies the n×k matrix B, transposed, into a k×n row-major
// buffer (one right-hand side per row), calls solveRows on it and writes
// the result to dst.
func solveMat(n int, name string, dst *mat.Dense, b mat.Matrix, solveRows func(x []float64, k int)) error {
	br, k := b.Dims()
	if br != n {
		return fmt.Errorf("%w: solve with %d×%d %s, B is %d×%d", ErrDims, n, n, name, br, k)
	}
	if dst.IsEmpty() {
		if n == 0 || k == 0 {
			return nil
		}
		dst.ReuseAs(n, k)
	} else if r, c := dst.Dims(); r != n || c != k {
		return fmt.Errorf("%w: solve with %d×%d %s into a %d×%d dst, B is %d×%d", ErrDims, n, n, name, r, c, br, k)
	}
	if n == 0 || k == 0 {
		return nil
	}
	x := make([]float64, k*n)
	if bd, ok := b.(*mat.Dense); ok {
		raw := bd.RawMatrix()
		for i := range n {
			for j, v := range raw.Data[i*raw.Stride : i*raw.Stride+k] {
				x[j*n+i] = v
			}
		}
	} else {
		for i := range n {
			for j := range k {
				x[j*n+i] = b.At(i, j)
			}
		}
	}
	// Rows are solved in groups of three (the kernels' block), so the
	// split over cores does not change the rounding of any row.
	groups := (k + 2) / 3
	workers := 1
	if k*n*n >= parallelWork {
		workers = 0
	}
	parallel.Chunks(groups, workers, func(_, lo, hi int) {
		rows := min(3*hi, k) - 3*lo
		solveRows(x[3*lo*n:], rows)
	})
	raw := dst.RawMatrix()
	for i := range n {
		row := raw.Data[i*raw.Stride : i*raw.Stride+k]
		for j := range row {
			row[j] = x[j*n+i]
		}
	}
	return nil
}
