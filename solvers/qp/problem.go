package qp

import (
	"errors"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/internal/dense"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Errors returned by this package. Use errors.Is to test for them.
var (
	// ErrInfeasible reports a problem whose constraints have no solution.
	ErrInfeasible = errors.New("qp: infeasible")
	// ErrUnbounded reports a feasible problem whose objective is unbounded
	// below.
	ErrUnbounded = errors.New("qp: unbounded")
	// ErrNotConverged reports that the interior point stopped (iteration
	// limit, stalled progress) before reaching the tolerance; the best
	// iterate is returned with it.
	ErrNotConverged = errors.New("qp: not converged")
	// ErrDims reports inconsistent shapes.
	ErrDims = errors.New("qp: dimension mismatch")
	// ErrNaN reports NaN or Inf in the problem data or in a cotangent.
	ErrNaN = errors.New("qp: NaN or Inf in input")
	// ErrNotConvex reports a Q that is not positive semidefinite.
	ErrNotConvex = errors.New("qp: Q is not positive semidefinite")
	// ErrSingular reports a KKT system that cannot be solved, for example
	// a backward pass at a degenerate solution.
	ErrSingular = errors.New("qp: singular KKT system")
	// ErrInvalid reports a setting outside its documented domain.
	ErrInvalid = errors.New("qp: invalid argument")
)

// Problem is the convex quadratic program
//
//	minimize ½xᵀQx + pᵀx  subject to  Ax = b,  Gx ≤ h,
//
// with x ∈ Rⁿ, n = len(P), p = len(B) equality and m = len(H) inequality
// constraints. Q must be positive semidefinite; a nil Q is the zero matrix
// (a linear program). A may be nil when B is empty and G when H is empty.
// Only the upper triangle of Q is read. The solver copies the data: the
// caller may change a Problem after Solve returns.
type Problem struct {
	Q mat.Symmetric // n×n, positive semidefinite, or nil for zero
	P []float64     // length n
	A mat.Matrix    // len(B)×n, or nil
	B []float64
	G mat.Matrix // len(H)×n, or nil
	H []float64
}

// Dims returns the number of variables n, of equality constraints p and of
// inequality constraints m.
func (pb *Problem) Dims() (n, p, m int) { return len(pb.P), len(pb.B), len(pb.H) }

// data is a validated copy of a Problem in row-major slices.
type data struct {
	n, neq, m int
	q         []float64 // n×n full symmetric, nil when Q is zero or identity
	qIdentity bool      // Q = I (the transformed problem of the dual mode)
	// qdiag, when set, is the diagonal of Q, whose Cholesky factor L
	// overwrote the lower triangle of q (the strict upper triangle still
	// holds Q): see prepareUnscaled. Use mulQ and fullQ, not q, then.
	qdiag   []float64
	stacked []float64 // when set, a and g are its two parts ([A; G])
	p       []float64
	a       []float64 // neq×n
	b       []float64
	g       []float64 // m×n
	h       []float64
	// norms caches the data's norms that every evaluation of the
	// acceptance test and every iteration reads (see consts); nil until
	// first used. The data must not change once it is set.
	norms *dataNorms
	// normsVal is the storage norms points to (one allocation less).
	normsVal dataNorms
	// ar, when set, holds the arrays of this instance (see arena): the
	// solve's Solution releases them. Shared data (a batch's common
	// matrices) has none.
	ar *arena
}

// dataNorms are norms of a problem's data: ∞-norms of p, b, h (the
// interior point's scales, every iteration); 2-norms of p, b, h and
// Frobenius norms of Q, A and G (the rounding bounds of the acceptance
// test, only on the user's data), computed when first asked for.
type dataNorms struct {
	infP, infB, infH float64
	np, nb, nh       float64
	fq, fa, fg       float64
	frob             bool // np … fg are set
}

// consts returns d's ∞-norms (and whatever else was computed), computing
// them on first use.
func (d *data) consts() *dataNorms {
	if d.norms == nil {
		d.normsVal = dataNorms{infP: normInf(d.p), infB: normInf(d.b), infH: normInf(d.h)}
		d.norms = &d.normsVal
	}
	return d.norms
}

// frobConsts returns d's norms with the 2- and Frobenius norms, computing
// them on first use (after prepare, which may factorize Q in place:
// frobQ reads either form).
func (d *data) frobConsts() *dataNorms {
	dn := d.consts()
	if !dn.frob {
		dn.np, dn.nb, dn.nh = math.Sqrt(dot(d.p, d.p)), math.Sqrt(dot(d.b, d.b)), math.Sqrt(dot(d.h, d.h))
		dn.fq, dn.fa, dn.fg = frobQ(d), math.Sqrt(dense.Dot(d.a, d.a)), math.Sqrt(dense.Dot(d.g, d.g))
		dn.frob = true
	}
	return dn
}

func newData(pb *Problem) (*data, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrDims)
	}
	if !finite(pb.P) || !finite(pb.B) || !finite(pb.H) {
		return nil, fmt.Errorf("%w: in P, B or H", ErrNaN)
	}
	d0, err := newMatrices(pb, new(arena))
	if err != nil {
		return nil, err
	}
	// d0 is this problem's own: its vectors go into it (no second data),
	// already checked above.
	d0.copyVectors(pb)
	return d0, nil
}

// newMatrices validates and copies the matrices Q, A and G of pb (the
// part of a problem that a batch may share) into arrays of ar (nil for
// shared matrices); the vectors are left nil.
func newMatrices(pb *Problem, ar *arena) (*data, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrDims)
	}
	n, neq, m := pb.Dims()
	if n == 0 {
		return nil, fmt.Errorf("%w: no variables (len(P) = 0)", ErrDims)
	}
	d := &data{n: n, neq: neq, m: m, ar: ar}
	if pb.Q != nil {
		if qn := pb.Q.SymmetricDim(); qn != n {
			return nil, fmt.Errorf("%w: Q is %d×%d, len(P) = %d", ErrDims, qn, qn, n)
		}
		d.q = newSym(pb.Q, n, ar)
		fin, zero := upperFiniteZero(d.q, n)
		if !fin {
			return nil, fmt.Errorf("%w: in Q", ErrNaN)
		}
		if zero {
			d.q = nil
		}
	}
	var err error
	if d.a, err = copyMatrix(pb.A, neq, n, "A", ar); err != nil {
		return nil, err
	}
	if d.g, err = copyMatrix(pb.G, m, n, "G", ar); err != nil {
		return nil, err
	}
	return d, nil
}

// withVectors returns the data of pb that shares d0's matrices (read
// only) and has its own copies of P, B and H.
func (d0 *data) withVectors(pb *Problem) (*data, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrDims)
	}
	n, neq, m := pb.Dims()
	if n != d0.n || neq != d0.neq || m != d0.m {
		return nil, fmt.Errorf("%w: problem is %d/%d/%d, shared matrices are for %d/%d/%d", ErrDims, n, neq, m, d0.n, d0.neq, d0.m)
	}
	d := &data{n: n, neq: neq, m: m, q: d0.q, qdiag: d0.qdiag, a: d0.a, g: d0.g, ar: new(arena)}
	if err := d.setVectors(pb); err != nil {
		return nil, err
	}
	return d, nil
}

// setVectors sets d's p, b and h to copies of pb's (one allocation); the
// dimensions must have been checked.
func (d *data) setVectors(pb *Problem) error {
	d.copyVectors(pb)
	if !finite(d.p) || !finite(d.b) || !finite(d.h) {
		return fmt.Errorf("%w: in P, B or H", ErrNaN)
	}
	return nil
}

// copyVectors is setVectors without the check for NaN and Inf (for
// vectors already checked).
func (d *data) copyVectors(pb *Problem) {
	n, neq, m := d.n, d.neq, d.m
	sl := d.ar.slab(n + neq + m) // p, b, h in one allocation
	d.p, d.b, d.h = sl.take(n), sl.take(neq), sl.take(m)
	copy(d.p, pb.P)
	copy(d.b, pb.B)
	copy(d.h, pb.H)
}

// newSym returns a full row-major n×n copy of s. A *mat.SymDense with
// stride n is cloned whole (its strict lower triangle, which gonum does
// not reference, is then overwritten by the mirror of the upper one):
// one pass over memory instead of zeroing a new array and copying.
func newSym(s mat.Symmetric, n int, ar *arena) []float64 {
	if sd, ok := s.(*mat.SymDense); ok {
		if raw := sd.RawSymmetric(); raw.Stride == n && len(raw.Data) >= n*n {
			dst := ar.copyOf(raw.Data[:n*n])
			mirrorUpper(dst, n)
			return dst
		}
	}
	dst := ar.get(n * n) // every entry is written
	copySym(dst, s, n)
	return dst
}

func copySym(dst []float64, s mat.Symmetric, n int) {
	if sd, ok := s.(*mat.SymDense); ok {
		raw := sd.RawSymmetric()
		for i := range n {
			copy(dst[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
		}
		mirrorUpper(dst, n)
		return
	}
	for i := range n {
		for j := i; j < n; j++ {
			v := s.At(i, j)
			dst[i*n+j] = v
			dst[j*n+i] = v
		}
	}
}

// upperFiniteZero reports whether every entry of the upper triangle
// (diagonal included) of the n×n row-major q is finite, and whether they
// are all zero. For the symmetric q of newSym these are the answers for
// the whole matrix, found in one pass over half of it.
func upperFiniteZero(q []float64, n int) (fin, zero bool) {
	zero = true
	for i := range n {
		row := q[i*n+i : (i+1)*n]
		if zero {
			for _, v := range row {
				if v != 0 {
					zero = false
					break
				}
			}
		}
		if !finite(row) {
			return false, zero
		}
	}
	return true, zero
}

// mirrorUpper copies the upper triangle of the n×n row-major dst into
// its strict lower triangle.
func mirrorUpper(dst []float64, n int) {
	// Mirror the upper triangle in 32×32 tiles (cache friendly).
	const tile = 32
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := 0; j0 <= i0; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				row := dst[i*n : i*n+i]
				for j := j0; j < min(j0+tile, i); j++ {
					row[j] = dst[j*n+i]
				}
			}
		}
	}
}

func copyMatrix(a mat.Matrix, r, c int, name string, mem *arena) ([]float64, error) {
	if r == 0 {
		if a != nil {
			// A constraint matrix without its right-hand side is an error,
			// never a constraint silently dropped.
			if ar, ac := a.Dims(); ar != 0 {
				return nil, fmt.Errorf("%w: %s is %d×%d but its right-hand side is empty", ErrDims, name, ar, ac)
			}
		}
		return nil, nil
	}
	if a == nil {
		return nil, fmt.Errorf("%w: %s is nil but its right-hand side has length %d", ErrDims, name, r)
	}
	ar, ac := a.Dims()
	if ar != r || ac != c {
		return nil, fmt.Errorf("%w: %s is %d×%d, want %d×%d", ErrDims, name, ar, ac, r, c)
	}
	var out []float64
	if rm, ok := a.(mat.RawMatrixer); ok && rm.RawMatrix().Stride == c && len(rm.RawMatrix().Data) >= r*c {
		out = mem.copyOf(rm.RawMatrix().Data[:r*c]) // one pass, no zeroing
	} else if ok {
		out = mem.get(r * c) // every entry is written
		raw := rm.RawMatrix()
		for i := range r {
			copy(out[i*c:(i+1)*c], raw.Data[i*raw.Stride:i*raw.Stride+c])
		}
	} else {
		out = mem.get(r * c)
		for i := range r {
			for j := range c {
				out[i*c+j] = a.At(i, j)
			}
		}
	}
	if !finite(out) {
		return nil, fmt.Errorf("%w: in %s", ErrNaN, name)
	}
	return out, nil
}

// finite reports whether every xᵢ is finite. It sums xᵢ·0, which is NaN
// exactly when some xᵢ is NaN or ±Inf, in four independent chains and
// without a branch per element (3–4× faster than testing each one).
func finite(x []float64) bool {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += v[0] * 0
		s1 += v[1] * 0
		s2 += v[2] * 0
		s3 += v[3] * 0
	}
	for _, v := range x[i:] {
		s0 += v * 0
	}
	return s0+s1+s2+s3 == 0
}

func general(data []float64, r, c int) blas64.General {
	return blas64.General{Rows: r, Cols: c, Stride: max(c, 1), Data: data}
}

func vec(x []float64) blas64.Vector { return blas64.Vector{N: len(x), Inc: 1, Data: x} }

// fullQ returns Q as a full row-major n×n matrix (d.q itself unless Q
// was factorized in place, a new array then).
func (d *data) fullQ() []float64 {
	if d.qdiag == nil {
		return d.q
	}
	n := d.n
	out := make([]float64, n*n)
	for i := range n {
		copy(out[i*n+i+1:(i+1)*n], d.q[i*n+i+1:(i+1)*n])
		out[i*n+i] = d.qdiag[i]
		for j := range i {
			out[i*n+j] = d.q[j*n+i]
		}
	}
	return out
}

// mulQ sets dst = Q v (dst = 0 when Q is zero).
func (d *data) mulQ(dst, v []float64) {
	if d.qIdentity {
		copy(dst, v)
		return
	}
	if d.q == nil {
		clear(dst)
		return
	}
	if d.qdiag != nil {
		// Q from its strict upper triangle and diagonal:
		// (Qv)ᵢ = qᵢᵢvᵢ + Σ_{j>i} qᵢⱼvⱼ + Σ_{j<i} qⱼᵢvⱼ.
		n := d.n
		v = v[:n]
		for i, q := range d.qdiag {
			dst[i] = q * v[i]
		}
		for i := range n {
			row := d.q[i*n+i+1 : (i+1)*n]
			dst[i] += dense.Dot(row, v[i+1:])
			dense.Axpy(v[i], row, dst[i+1:])
		}
		return
	}
	dense.MulVec(dst, 1, d.q, d.n, v, 0)
}

// mulA sets dst = alpha·A v + beta·dst.
func (d *data) mulA(alpha float64, v []float64, beta float64, dst []float64) {
	if d.neq == 0 {
		return
	}
	dense.MulVec(dst[:d.neq], alpha, d.a, d.n, v[:d.n], beta)
}

// mulAT sets dst = alpha·Aᵀ u + beta·dst.
func (d *data) mulAT(alpha float64, u []float64, beta float64, dst []float64) {
	if d.neq == 0 {
		if beta == 0 {
			clear(dst)
		} else if beta != 1 {
			for i := range dst {
				dst[i] *= beta
			}
		}
		return
	}
	dense.MulTransVec(dst[:d.n], alpha, d.a, d.n, u[:d.neq], beta)
}

// mulG sets dst = alpha·G v + beta·dst.
func (d *data) mulG(alpha float64, v []float64, beta float64, dst []float64) {
	if d.m == 0 {
		return
	}
	dense.MulVec(dst[:d.m], alpha, d.g, d.n, v[:d.n], beta)
}

// mulGT sets dst = alpha·Gᵀ u + beta·dst.
func (d *data) mulGT(alpha float64, u []float64, beta float64, dst []float64) {
	if d.m == 0 {
		if beta == 0 {
			clear(dst)
		} else if beta != 1 {
			for i := range dst {
				dst[i] *= beta
			}
		}
		return
	}
	dense.MulTransVec(dst[:d.n], alpha, d.g, d.n, u[:d.m], beta)
}

// mulGAndGT sets gx = G v and acc += Gᵀu in one sweep over G: the same
// numbers, bit for bit, as mulG(1, v, 0, gx) followed by
// mulGT(1, u, 1, acc) (see dense.DotAxpyRows). gx must not overlap v, u
// or acc.
func (d *data) mulGAndGT(v, gx, u, acc []float64) {
	if d.m == 0 {
		return
	}
	gx, u = gx[:d.m], u[:d.m]
	dense.DotAxpyRows(d.g, d.n, d.m, v[:d.n], acc[:d.n], func(i int, s float64) float64 {
		gx[i] = s
		return u[i]
	})
}

// normInf returns max |xᵢ| (NaN if some xᵢ is NaN).
func normInf(x []float64) float64 { return dense.MaxAbs(x) }

func dot(x, y []float64) float64 {
	s := 0.0
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
