package linsolve

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Errors returned by this package. Use errors.Is to test for them.
var (
	// ErrDims reports operands whose shapes do not match.
	ErrDims = errors.New("linsolve: dimension mismatch")
	// ErrSingular reports a matrix that is singular to working precision.
	ErrSingular = errors.New("linsolve: matrix is singular")
	// ErrNotPositiveDefinite reports a Cholesky factorization that failed.
	ErrNotPositiveDefinite = errors.New("linsolve: matrix is not positive definite")
	// ErrNotConverged reports an iterative solve that hit its iteration cap.
	ErrNotConverged = errors.New("linsolve: not converged")
	// ErrBreakdown reports a Krylov method whose recurrence broke down.
	ErrBreakdown = errors.New("linsolve: breakdown")
	// ErrNaN reports a NaN or Inf in the input or produced by the operator.
	ErrNaN = errors.New("linsolve: NaN or Inf encountered")
)

// Operator is a matrix-free linear map M: Rᶜ → Rʳ.
//
// Apply sets dst = M v with len(v) = c and len(dst) = r; ApplyT sets
// dst = Mᵀ u with len(u) = r and len(dst) = c. dst must not alias the input.
type Operator interface {
	Dims() (rows, cols int)
	Apply(dst, v []float64)
	ApplyT(dst, u []float64)
}

// Factorized is an Operator that can solve linear systems with itself,
// typically because it holds a factorization.
//
// Solve sets dst = M⁻¹ b and SolveT sets dst = M⁻ᵀ b. For a non-square M
// (QR) they return least-squares solutions. dst may not alias b.
type Factorized interface {
	Operator
	Solve(dst, b []float64) error
	SolveT(dst, b []float64) error
}

// Matrix adapts a gonum mat.Matrix to an Operator.
type Matrix struct {
	M mat.Matrix
}

// NewMatrix returns the operator v ↦ M v. m must not be nil (the solvers
// report a Matrix without its matrix as ErrInvalid; its methods panic).
func NewMatrix(m mat.Matrix) Matrix { return Matrix{M: m} }

// Dims returns the dimensions of the matrix.
func (a Matrix) Dims() (int, int) { return a.M.Dims() }

// Apply sets dst = M v.
func (a Matrix) Apply(dst, v []float64) {
	r, c := a.M.Dims()
	if r == 0 || c == 0 {
		clear(dst)
		return
	}
	mat.NewVecDense(r, dst).MulVec(a.M, mat.NewVecDense(c, v))
}

// ApplyT sets dst = Mᵀ u.
func (a Matrix) ApplyT(dst, u []float64) {
	r, c := a.M.Dims()
	if r == 0 || c == 0 {
		clear(dst)
		return
	}
	mat.NewVecDense(c, dst).MulVec(a.M.T(), mat.NewVecDense(r, u))
}

// Func is an Operator given by closures. ApplyTFunc may be nil for an
// operator used only in forward mode; calling ApplyT then panics with a
// message naming the operator.
type Func struct {
	Rows, Cols int
	ApplyFunc  func(dst, v []float64)
	ApplyTFunc func(dst, u []float64)
	// Name appears in the panic message of a missing ApplyTFunc.
	Name string
}

// NewFunc returns the operator with the given shape and products.
func NewFunc(rows, cols int, apply, applyT func(dst, v []float64)) *Func {
	return &Func{Rows: rows, Cols: cols, ApplyFunc: apply, ApplyTFunc: applyT}
}

// Dims returns the shape of the operator.
func (f *Func) Dims() (int, int) { return f.Rows, f.Cols }

// Apply sets dst = M v.
func (f *Func) Apply(dst, v []float64) { f.ApplyFunc(dst, v) }

// ApplyT sets dst = Mᵀ u.
func (f *Func) ApplyT(dst, u []float64) {
	if f.ApplyTFunc == nil {
		panic(fmt.Sprintf("linsolve: operator %q has no transpose product", f.Name))
	}
	f.ApplyTFunc(dst, u)
}

// Identity is the n×n identity operator.
type Identity int

// Dims returns (n, n).
func (id Identity) Dims() (int, int) { return int(id), int(id) }

// Apply copies v into dst.
func (id Identity) Apply(dst, v []float64) { copy(dst, v) }

// ApplyT copies u into dst.
func (id Identity) ApplyT(dst, u []float64) { copy(dst, u) }

// Solve copies b into dst.
func (id Identity) Solve(dst, b []float64) error { copy(dst, b); return nil }

// SolveT copies b into dst.
func (id Identity) SolveT(dst, b []float64) error { copy(dst, b); return nil }

// Zero is the rows×cols zero operator.
type Zero struct{ Rows, Cols int }

// Dims returns the shape.
func (z Zero) Dims() (int, int) { return z.Rows, z.Cols }

// Apply sets dst to zero.
func (z Zero) Apply(dst, _ []float64) { clear(dst) }

// ApplyT sets dst to zero.
func (z Zero) ApplyT(dst, _ []float64) { clear(dst) }

// Diagonal is the square operator diag(d).
type Diagonal []float64

// Dims returns (len(d), len(d)).
func (d Diagonal) Dims() (int, int) { return len(d), len(d) }

// Apply sets dst = diag(d) v.
func (d Diagonal) Apply(dst, v []float64) {
	for i, di := range d {
		dst[i] = di * v[i]
	}
}

// ApplyT sets dst = diag(d) u.
func (d Diagonal) ApplyT(dst, u []float64) { d.Apply(dst, u) }

// Solve sets dst = diag(d)⁻¹ b, or returns ErrSingular if some d[i] is zero.
func (d Diagonal) Solve(dst, b []float64) error {
	if len(dst) != len(d) || len(b) != len(d) {
		return fmt.Errorf("%w: solve with a %d×%d diagonal, len(b)=%d, len(dst)=%d", ErrDims, len(d), len(d), len(b), len(dst))
	}
	if !finite(b) {
		return fmt.Errorf("%w: right-hand side of a diagonal solve", ErrNaN)
	}
	for i, di := range d {
		if di == 0 {
			return ErrSingular
		}
		dst[i] = b[i] / di
	}
	if !finite(dst) {
		return fmt.Errorf("%w: diagonal solve (NaN or Inf diagonal, or overflow)", ErrNaN)
	}
	return nil
}

// SolveT is Solve.
func (d Diagonal) SolveT(dst, b []float64) error { return d.Solve(dst, b) }

type transposed struct{ a Operator }

// Transpose returns the operator Mᵀ. The transpose of a Factorized operator
// is Factorized.
func Transpose(a Operator) Operator {
	if t, ok := a.(transposed); ok {
		return t.a
	}
	if t, ok := a.(transposedFactorized); ok {
		return t.a
	}
	if f, ok := a.(Factorized); ok {
		return transposedFactorized{f}
	}
	return transposed{a}
}

func (t transposed) Dims() (int, int)        { r, c := t.a.Dims(); return c, r }
func (t transposed) Apply(dst, v []float64)  { t.a.ApplyT(dst, v) }
func (t transposed) ApplyT(dst, u []float64) { t.a.Apply(dst, u) }

type transposedFactorized struct{ a Factorized }

func (t transposedFactorized) Dims() (int, int)              { r, c := t.a.Dims(); return c, r }
func (t transposedFactorized) Apply(dst, v []float64)        { t.a.ApplyT(dst, v) }
func (t transposedFactorized) ApplyT(dst, u []float64)       { t.a.Apply(dst, u) }
func (t transposedFactorized) Solve(dst, b []float64) error  { return t.a.SolveT(dst, b) }
func (t transposedFactorized) SolveT(dst, b []float64) error { return t.a.Solve(dst, b) }

type scaled struct {
	alpha float64
	a     Operator
}

// Scaled returns the operator αM.
func Scaled(alpha float64, a Operator) Operator { return scaled{alpha, a} }

func (s scaled) Dims() (int, int) { return s.a.Dims() }
func (s scaled) Apply(dst, v []float64) {
	s.a.Apply(dst, v)
	scale(s.alpha, dst)
}
func (s scaled) ApplyT(dst, u []float64) {
	s.a.ApplyT(dst, u)
	scale(s.alpha, dst)
}

type sum struct {
	ops []Operator
	buf []float64
}

// Sum returns the operator M₁ + M₂ + … . All operands must have the same
// shape; Sum panics otherwise, since that is a programming error. The
// returned operator keeps a scratch buffer and is not safe for concurrent
// use.
func Sum(ops ...Operator) Operator {
	if len(ops) == 0 {
		panic("linsolve: Sum of no operators")
	}
	r, c := ops[0].Dims()
	for _, o := range ops[1:] {
		if rr, cc := o.Dims(); rr != r || cc != c {
			panic(fmt.Sprintf("linsolve: Sum of %d×%d and %d×%d operators", r, c, rr, cc))
		}
	}
	return &sum{ops: ops, buf: make([]float64, max(r, c))}
}

func (s *sum) Dims() (int, int) { return s.ops[0].Dims() }
func (s *sum) Apply(dst, v []float64) {
	s.ops[0].Apply(dst, v)
	buf := s.buf[:len(dst)]
	for _, o := range s.ops[1:] {
		o.Apply(buf, v)
		for i, b := range buf {
			dst[i] += b
		}
	}
}
func (s *sum) ApplyT(dst, u []float64) {
	s.ops[0].ApplyT(dst, u)
	buf := s.buf[:len(dst)]
	for _, o := range s.ops[1:] {
		o.ApplyT(buf, u)
		for i, b := range buf {
			dst[i] += b
		}
	}
}

type ridge struct {
	a     Operator
	alpha float64
}

// AddRidge returns the square operator M + αI (Tikhonov regularization).
func AddRidge(a Operator, alpha float64) Operator {
	if alpha == 0 {
		return a
	}
	return ridge{a, alpha}
}

func (r ridge) Dims() (int, int) { return r.a.Dims() }
func (r ridge) Apply(dst, v []float64) {
	r.a.Apply(dst, v)
	for i := range dst {
		dst[i] += r.alpha * v[i]
	}
}
func (r ridge) ApplyT(dst, u []float64) {
	r.a.ApplyT(dst, u)
	for i := range dst {
		dst[i] += r.alpha * u[i]
	}
}

// Dense returns the dense matrix of an operator, built column by column
// from r·c products. If a wraps a gonum matrix the matrix is copied. It
// has no error return: a must be a non-nil operator (a nil one panics,
// like a method call on nil); the solvers of this package check their
// operator and return ErrInvalid instead.
func Dense(a Operator) *mat.Dense {
	r, c := a.Dims()
	if r == 0 || c == 0 {
		return &mat.Dense{}
	}
	if m, ok := a.(Matrix); ok {
		return mat.DenseCopyOf(m.M)
	}
	out := mat.NewDense(r, c, nil)
	e := make([]float64, c)
	col := make([]float64, r)
	for j := range c {
		e[j] = 1
		a.Apply(col, e)
		e[j] = 0
		out.SetCol(j, col)
	}
	return out
}

// DenseT returns the dense matrix of an operator built row by row from its
// transpose products; it costs r products of Mᵀ and is the cheaper choice
// when r < c. As for Dense, a must not be nil.
func DenseT(a Operator) *mat.Dense {
	r, c := a.Dims()
	if r == 0 || c == 0 {
		return &mat.Dense{}
	}
	if m, ok := a.(Matrix); ok {
		return mat.DenseCopyOf(m.M)
	}
	out := mat.NewDense(r, c, nil)
	e := make([]float64, r)
	for i := range r {
		e[i] = 1
		a.ApplyT(out.RawRowView(i), e)
		e[i] = 0
	}
	return out
}

func scale(alpha float64, x []float64) {
	for i := range x {
		x[i] *= alpha
	}
}
