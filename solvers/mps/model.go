package mps

import (
	"errors"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/sparse"
)

// Sentinel errors; every error of this package matches one with errors.Is.
var (
	// ErrFormat reports a malformed file: the message names the line and
	// the offending token (see FormatError).
	ErrFormat = errors.New("mps: format error")
	// ErrDims reports a Model whose slices and matrices disagree in size.
	ErrDims = errors.New("mps: dimension mismatch")
	// ErrInvalid reports a Model that cannot be written (NaN values, a name
	// with blanks, a duplicate name, an empty row range) or a bad setting.
	ErrInvalid = errors.New("mps: invalid model or setting")
)

// FormatError is the error returned for a malformed file. It matches
// ErrFormat with errors.Is; use errors.As to read the line number.
type FormatError struct {
	Line  int    // 1-based line number; 0 when the error is not tied to a line
	Token string // the offending token, may be empty
	Msg   string
}

func (e *FormatError) Error() string {
	s := "mps: "
	if e.Line > 0 {
		s += fmt.Sprintf("line %d: ", e.Line)
	}
	s += e.Msg
	if e.Token != "" {
		s += fmt.Sprintf(" (token %q)", e.Token)
	}
	return s
}

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Unwrap() error { return ErrFormat }

// Sense is the objective sense of a model.
type Sense int

const (
	// Minimize is the default sense.
	Minimize Sense = iota
	// Maximize is set by OBJSENSE MAX.
	Maximize
)

func (s Sense) String() string {
	switch s {
	case Minimize:
		return "minimize"
	case Maximize:
		return "maximize"
	}
	return fmt.Sprintf("Sense(%d)", int(s))
}

// Model is a linear or quadratic program as an MPS/QPS file states it:
//
//	minimize (or maximize, see Sense)  ½xᵀQx + cᵀx + ObjConstant
//	subject to  RowLower ≤ A x ≤ RowUpper,  ColLower ≤ x ≤ ColUpper.
//
// m is the number of rows (constraints) and n the number of columns
// (variables). Absent sides are ±Inf; an equality row has RowLower =
// RowUpper. The reader never negates a maximization: Sense records it and c,
// Q and ObjConstant are as in the file (use Minimized for the minimization
// form).
type Model struct {
	Name    string // from the NAME line, may be empty
	ObjName string // name of the objective row, may be empty
	Sense   Sense
	// ObjConstant is the constant term of the objective (minus the RHS
	// given on the objective row).
	ObjConstant float64
	C           []float64 // length n
	// Q is the symmetric quadratic term, stored by its upper triangle: each
	// stored off-diagonal entry Q_ij (i < j) stands for both Q_ij and Q_ji,
	// and the objective is ½xᵀQx. Nil when the model is linear.
	Q        *sparse.SymCSC
	A        *sparse.CSC // m×n
	RowLower []float64   // length m
	RowUpper []float64   // length m
	ColLower []float64   // length n
	ColUpper []float64   // length n
	RowNames []string    // length m
	ColNames []string    // length n
	// Integer marks columns declared integer (MARKER INTORG/INTEND or BV,
	// LI, UI bounds). The continuous solvers ignore it. Length n.
	Integer []bool
}

// NumRows returns m, the number of constraint rows.
func (m *Model) NumRows() int { return len(m.RowLower) }

// NumCols returns n, the number of variables.
func (m *Model) NumCols() int { return len(m.C) }

// Minimized returns the model in minimization form: a copy with Sense =
// Minimize and, when m maximizes, c, Q and ObjConstant negated. The
// constraint data is shared with m, not copied.
func (m *Model) Minimized() *Model {
	out := *m
	if m.Sense != Maximize {
		return &out
	}
	out.Sense = Minimize
	out.ObjConstant = -m.ObjConstant
	out.C = make([]float64, len(m.C))
	for j, v := range m.C {
		out.C[j] = -v
	}
	if m.Q != nil {
		q := m.Q.Clone()
		_, _, vals := q.Upper().Raw()
		for k := range vals {
			vals[k] = -vals[k]
		}
		out.Q = q
	}
	return &out
}

// Check verifies that the sizes of m agree and that its data is finite where
// it must be (c, Q, A, ObjConstant; bounds may be ±Inf but not NaN). It
// returns an error matching ErrDims or ErrInvalid.
func (m *Model) Check() error {
	n := len(m.C)
	if m.A == nil {
		return fmt.Errorf("%w: nil A", ErrInvalid)
	}
	ar, ac := m.A.Dims()
	rows := len(m.RowLower)
	if ac != n || ar != rows || len(m.RowUpper) != rows || len(m.RowNames) != rows {
		return fmt.Errorf("%w: A is %d×%d, len(C) = %d, rows: lower %d, upper %d, names %d",
			ErrDims, ar, ac, n, len(m.RowLower), len(m.RowUpper), len(m.RowNames))
	}
	if len(m.ColLower) != n || len(m.ColUpper) != n || len(m.ColNames) != n || len(m.Integer) != n {
		return fmt.Errorf("%w: n = %d, columns: lower %d, upper %d, names %d, integer %d",
			ErrDims, n, len(m.ColLower), len(m.ColUpper), len(m.ColNames), len(m.Integer))
	}
	if m.Q != nil && m.Q.SymmetricDim() != n {
		return fmt.Errorf("%w: Q is %d×%d, n = %d", ErrDims, m.Q.SymmetricDim(), m.Q.SymmetricDim(), n)
	}
	if m.Sense != Minimize && m.Sense != Maximize {
		return fmt.Errorf("%w: unknown sense %d", ErrInvalid, int(m.Sense))
	}
	if !finite(m.ObjConstant) {
		return fmt.Errorf("%w: objective constant %v", ErrInvalid, m.ObjConstant)
	}
	for j, v := range m.C {
		if !finite(v) {
			return fmt.Errorf("%w: c[%d] = %v", ErrInvalid, j, v)
		}
	}
	for _, s := range [][]float64{m.RowLower, m.RowUpper, m.ColLower, m.ColUpper} {
		for i, v := range s {
			if v != v {
				return fmt.Errorf("%w: NaN bound at index %d", ErrInvalid, i)
			}
		}
	}
	// Matrices built through the sparse constructors are finite already.
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
