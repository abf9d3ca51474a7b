package cone

import (
	"fmt"
	"slices"

	"github.com/optlayers/optlayers/sparse"
)

// Layout is the flat parameter vector θ of a cone program with a fixed
// sparsity pattern and a fixed cone K:
//
//	θ = (Q's stored upper-triangle values, p, A's stored values, b)
//
// with Q and A in their CSC storage order (a nil Q or A has no entries in
// θ), the same convention as qp.SparseLayout. The point z of the
// derivatives is z = (x, y, s), of length LenZ() = N + 2M. A stored
// off-diagonal entry of Q stands for Qᵢⱼ and Qⱼᵢ together: moving it moves
// both, and its gradient is the sum of the two.
type Layout struct {
	N, M     int
	QPattern [2][]int // column pointers and row indices of Q's upper triangle (nil: Q = 0)
	APattern [2][]int // column pointers and row indices of A (nil: A = 0)
	K        *Product // the cone (shared, not copied)
}

// NewLayout returns the layout of pb's data (its patterns are shared, not
// copied). It returns ErrInvalid for a nil problem or cone, ErrDims for
// shapes that do not match (len(B) ≠ K.Dim(), Q not n×n, A not m×n).
func NewLayout(pb *Problem) (*Layout, error) {
	if err := layoutShapes(pb); err != nil {
		return nil, err
	}
	n, m := pb.Dims()
	l := &Layout{N: n, M: m, K: pb.K}
	if pb.Q != nil {
		cp, ri, _ := pb.Q.Upper().Raw()
		l.QPattern = [2][]int{cp, ri}
	}
	if pb.A != nil {
		cp, ri, _ := pb.A.Raw()
		l.APattern = [2][]int{cp, ri}
	}
	return l, nil
}

// layoutShapes checks pb's fields and shapes (not its values).
func layoutShapes(pb *Problem) error {
	if pb == nil {
		return fmt.Errorf("%w: nil Problem", ErrInvalid)
	}
	if err := pb.K.valid(); err != nil {
		return fmt.Errorf("%w: the cone K of the Problem", err)
	}
	n, m := pb.Dims()
	if m != pb.K.Dim() {
		return fmt.Errorf("%w: len(B) = %d, the cone has dimension %d", ErrDims, m, pb.K.Dim())
	}
	if pb.Q != nil {
		if d := pb.Q.SymmetricDim(); d != n {
			return fmt.Errorf("%w: Q is %d×%d with len(P) = %d", ErrDims, d, d, n)
		}
	}
	if pb.A != nil {
		if r, c := pb.A.Dims(); r != m || c != n {
			return fmt.Errorf("%w: A is %d×%d, want %d×%d (len(B)×len(P))", ErrDims, r, c, m, n)
		}
	}
	return nil
}

func (l *Layout) nq() int {
	if l == nil || l.QPattern[0] == nil {
		return 0
	}
	return len(l.QPattern[1])
}

func (l *Layout) na() int {
	if l == nil || l.APattern[0] == nil {
		return 0
	}
	return len(l.APattern[1])
}

// Len returns the length of θ.
func (l *Layout) Len() int {
	if l == nil {
		return 0
	}
	return l.nq() + l.N + l.na() + l.M
}

// LenZ returns the length of z = (x, y, s): N + 2M.
func (l *Layout) LenZ() int {
	if l == nil {
		return 0
	}
	return l.N + 2*l.M
}

// offsets returns where p, A's values and b start in θ.
func (l *Layout) offsets() (p, a, b int) {
	p = l.nq()
	a = p + l.N
	b = a + l.na()
	return
}

// Parts returns the four blocks of a vector v laid out as θ (θ itself, a
// gradient from VJP or a direction for JVP) as subslices of v (not
// copies): Q's stored values, p, A's stored values and b. It returns
// ErrDims when len(v) ≠ Len().
func (l *Layout) Parts(v []float64) (q, p, a, b []float64, err error) {
	if err := l.valid(); err != nil {
		return nil, nil, nil, nil, err
	}
	if len(v) != l.Len() {
		return nil, nil, nil, nil, fmt.Errorf("%w: len(θ) = %d, want %d", ErrDims, len(v), l.Len())
	}
	op, oa, ob := l.offsets()
	return v[:op:op], v[op:oa:oa], v[oa:ob:ob], v[ob:], nil
}

// PointParts returns the blocks x, y, s of z = (x, y, s) as subslices.
func (l *Layout) PointParts(z []float64) (x, y, s []float64, err error) {
	if err := l.valid(); err != nil {
		return nil, nil, nil, err
	}
	if len(z) != l.LenZ() {
		return nil, nil, nil, fmt.Errorf("%w: len(z) = %d, want %d", ErrDims, len(z), l.LenZ())
	}
	n, m := l.N, l.M
	return z[:n:n], z[n : n+m : n+m], z[n+m:], nil
}

// valid checks the layout's own consistency (it may be built by hand).
func (l *Layout) valid() error {
	if l == nil {
		return fmt.Errorf("%w: nil Layout", ErrInvalid)
	}
	if l.N < 0 || l.M < 1 {
		return fmt.Errorf("%w: Layout with N = %d, M = %d", ErrInvalid, l.N, l.M)
	}
	if err := l.K.valid(); err != nil {
		return fmt.Errorf("%w: the Layout's cone", err)
	}
	if l.K.Dim() != l.M {
		return fmt.Errorf("%w: Layout with M = %d and a cone of dimension %d", ErrDims, l.M, l.K.Dim())
	}
	if err := checkPattern("Q", l.QPattern, l.N, l.N, true); err != nil {
		return err
	}
	return checkPattern("A", l.APattern, l.M, l.N, false)
}

// checkPattern validates a CSC pattern (nil pointers: the zero matrix).
func checkPattern(name string, pat [2][]int, rows, cols int, upper bool) error {
	cp, ri := pat[0], pat[1]
	if cp == nil {
		return nil
	}
	if len(cp) != cols+1 || cp[0] != 0 || cp[cols] != len(ri) {
		return fmt.Errorf("%w: %s pattern: %d column pointers for %d columns, %d row indices", ErrInvalid, name, len(cp), cols, len(ri))
	}
	for j := range cols {
		if cp[j+1] < cp[j] {
			return fmt.Errorf("%w: %s pattern: column pointers decrease at column %d", ErrInvalid, name, j)
		}
		prev := -1
		for k := cp[j]; k < cp[j+1]; k++ {
			i := ri[k]
			if i <= prev || i >= rows || (upper && i > j) {
				return fmt.Errorf("%w: %s pattern: row index %d in column %d (increasing, in range, upper triangle for Q)", ErrInvalid, name, i, j)
			}
			prev = i
		}
	}
	return nil
}

// samePattern reports whether a matrix's raw pattern is pat.
func samePattern(pat [2][]int, cp, ri []int) bool {
	return slices.Equal(pat[0], cp) && slices.Equal(pat[1], ri)
}

// Pack writes pb's data into θ (length Len()). pb must have the layout's
// shapes, patterns and cone dimension (ErrDims otherwise); the values are
// copied as they are (no NaN check: Problem and the derivatives check).
func (l *Layout) Pack(theta []float64, pb *Problem) error {
	if err := l.valid(); err != nil {
		return err
	}
	if err := layoutShapes(pb); err != nil {
		return err
	}
	if n, m := pb.Dims(); n != l.N || m != l.M {
		return fmt.Errorf("%w: a problem with n = %d, m = %d for a layout with N = %d, M = %d", ErrDims, n, m, l.N, l.M)
	}
	if len(theta) != l.Len() {
		return fmt.Errorf("%w: len(θ) = %d, want %d", ErrDims, len(theta), l.Len())
	}
	q, p, a, b, _ := l.Parts(theta)
	switch {
	case pb.Q == nil && l.QPattern[0] != nil, pb.Q != nil && l.QPattern[0] == nil:
		return fmt.Errorf("%w: Q is nil in one of the problem and the layout only", ErrDims)
	case pb.Q != nil:
		cp, ri, v := pb.Q.Upper().Raw()
		if !samePattern(l.QPattern, cp, ri) {
			return fmt.Errorf("%w: Q's sparsity pattern differs from the layout's", ErrDims)
		}
		copy(q, v)
	}
	switch {
	case pb.A == nil && l.APattern[0] != nil, pb.A != nil && l.APattern[0] == nil:
		return fmt.Errorf("%w: A is nil in one of the problem and the layout only", ErrDims)
	case pb.A != nil:
		cp, ri, v := pb.A.Raw()
		if !samePattern(l.APattern, cp, ri) {
			return fmt.Errorf("%w: A's sparsity pattern differs from the layout's", ErrDims)
		}
		copy(a, v)
	}
	copy(p, pb.P)
	copy(b, pb.B)
	return nil
}

// Theta returns θ of pb (see Pack).
func (l *Layout) Theta(pb *Problem) ([]float64, error) {
	if err := l.valid(); err != nil {
		return nil, err
	}
	theta := make([]float64, l.Len())
	if err := l.Pack(theta, pb); err != nil {
		return nil, err
	}
	return theta, nil
}

// Problem returns the Problem of θ: its matrices copy θ's values, the
// patterns are copied from the layout and K is the layout's cone. It
// returns ErrDims for len(θ) ≠ Len() and ErrNaN for NaN or ±Inf in θ.
func (l *Layout) Problem(theta []float64) (*Problem, error) {
	if err := l.valid(); err != nil {
		return nil, err
	}
	if len(theta) != l.Len() {
		return nil, fmt.Errorf("%w: len(θ) = %d, want %d", ErrDims, len(theta), l.Len())
	}
	if !finite(theta) {
		return nil, fmt.Errorf("%w: in θ", ErrNaN)
	}
	q, p, a, b, _ := l.Parts(theta)
	pb := &Problem{P: slices.Clone(p), B: slices.Clone(b), K: l.K}
	if l.QPattern[0] != nil {
		sq, err := sparse.NewSymCSC(l.N, slices.Clone(l.QPattern[0]), slices.Clone(l.QPattern[1]), slices.Clone(q))
		if err != nil {
			return nil, fmt.Errorf("%w: Q: %v", ErrInvalid, err)
		}
		pb.Q = sq
	}
	if l.APattern[0] != nil {
		sa, err := sparse.NewCSC(l.M, l.N, slices.Clone(l.APattern[0]), slices.Clone(l.APattern[1]), slices.Clone(a))
		if err != nil {
			return nil, fmt.Errorf("%w: A: %v", ErrInvalid, err)
		}
		pb.A = sa
	}
	return pb, nil
}

// Gradient holds a gradient (or any vector laid out as θ) in typed form:
// Q and A on the sparsity patterns of the problem's Q and A (nil when the
// problem's is nil), P and B dense. An off-diagonal stored entry of Q
// holds the sum of the gradients with respect to Qᵢⱼ and Qⱼᵢ (see Layout).
type Gradient struct {
	Q *sparse.SymCSC
	P []float64
	A *sparse.CSC
	B []float64
}

// Gradient returns v (laid out as θ) in typed form (copies).
func (l *Layout) Gradient(v []float64) (*Gradient, error) {
	if err := l.valid(); err != nil {
		return nil, err
	}
	q, p, a, b, err := l.Parts(v)
	if err != nil {
		return nil, err
	}
	g := &Gradient{P: slices.Clone(p), B: slices.Clone(b)}
	if l.QPattern[0] != nil {
		if g.Q, err = sparse.NewSymCSC(l.N, slices.Clone(l.QPattern[0]), slices.Clone(l.QPattern[1]), slices.Clone(q)); err != nil {
			return nil, fmt.Errorf("%w: Q: %v", ErrNaN, err)
		}
	}
	if l.APattern[0] != nil {
		if g.A, err = sparse.NewCSC(l.M, l.N, slices.Clone(l.APattern[0]), slices.Clone(l.APattern[1]), slices.Clone(a)); err != nil {
			return nil, fmt.Errorf("%w: A: %v", ErrNaN, err)
		}
	}
	return g, nil
}

// Layout returns the layout of the solved problem (the zero Layout for a
// Solution without one: a nil Solution or one not returned by Solve).
func (s *Solution) Layout() *Layout {
	if s == nil || s.pb == nil {
		return &Layout{}
	}
	l, err := NewLayout(s.pb)
	if err != nil {
		return &Layout{}
	}
	return l
}

// Theta returns θ of the solved problem (nil without one).
func (s *Solution) Theta() []float64 {
	if s == nil || s.pb == nil {
		return nil
	}
	l := s.Layout()
	theta, err := l.Theta(s.pb)
	if err != nil {
		return nil
	}
	return theta
}

// Point returns z = (x, y, s) (a copy).
func (s *Solution) Point() []float64 {
	if s == nil {
		return nil
	}
	out := make([]float64, 0, len(s.X)+len(s.Y)+len(s.S))
	return append(append(append(out, s.X...), s.Y...), s.S...)
}
