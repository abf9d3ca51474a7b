package convex

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sparse"
)

// Errors of package convex. Every error of a model names the offending
// sub-expression and matches one of these with errors.Is.
var (
	ErrDims    = errors.New("convex: dimension mismatch")
	ErrNaN     = errors.New("convex: NaN or Inf value")
	ErrInvalid = errors.New("convex: invalid argument")
	// ErrNotDCP: the model breaks a rule of disciplined convex programming
	// (a convex expression where a concave one is needed, a product of two
	// variables, a non-monotone atom of a non-affine argument, …).
	ErrNotDCP = errors.New("convex: not DCP")
	// ErrNotDPP: the model is DCP but its cone data would not be affine in
	// the parameters (a product of two parameter-dependent factors, a
	// parameter where only a constant can be canonicalized).
	ErrNotDPP = errors.New("convex: not DPP")
	// ErrNotConverged, ErrInfeasible, ErrUnbounded: the outcomes of the
	// cone solver (its errors are wrapped as well).
	ErrNotConverged = errors.New("convex: not converged")
	ErrInfeasible   = errors.New("convex: problem is infeasible")
	ErrUnbounded    = errors.New("convex: problem is unbounded")
	// ErrSingular: the derivative's linear system is singular (a
	// degenerate or non-unique solution).
	ErrSingular = errors.New("convex: singular system")
)

// Curvature is the curvature of an expression under the DCP rules.
type Curvature int

const (
	// Constant: no variable, built from constants and parameters by affine
	// operations only (the only expressions that may multiply a variable).
	Constant Curvature = iota
	Affine
	Convex
	Concave
	// Unknown: the expression breaks a DCP rule (Expr.Err says which).
	Unknown
)

var curvNames = [...]string{"constant", "affine", "convex", "concave", "unknown"}

func (c Curvature) String() string {
	if c >= 0 && int(c) < len(curvNames) {
		return curvNames[c]
	}
	return fmt.Sprintf("Curvature(%d)", int(c))
}

func (c Curvature) isConvex() bool  { return c <= Affine || c == Convex }
func (c Curvature) isConcave() bool { return c <= Affine || c == Concave }

// Sign is the sign of an expression's entries as the DCP rules know it.
type Sign int

const (
	AnySign Sign = iota
	Nonnegative
	Nonpositive
	ZeroSign
)

var signNames = [...]string{"unknown sign", "nonnegative", "nonpositive", "zero"}

func (s Sign) String() string {
	if s >= 0 && int(s) < len(signNames) {
		return signNames[s]
	}
	return fmt.Sprintf("Sign(%d)", int(s))
}

func (s Sign) nonneg() bool { return s == Nonnegative || s == ZeroSign }
func (s Sign) nonpos() bool { return s == Nonpositive || s == ZeroSign }

func negSign(s Sign) Sign {
	switch s {
	case Nonnegative:
		return Nonpositive
	case Nonpositive:
		return Nonnegative
	}
	return s
}

func addSign(a, b Sign) Sign {
	switch {
	case a == ZeroSign:
		return b
	case b == ZeroSign:
		return a
	case a == b:
		return a
	}
	return AnySign
}

func mulSign(a, b Sign) Sign {
	switch {
	case a == ZeroSign || b == ZeroSign:
		return ZeroSign
	case a == AnySign || b == AnySign:
		return AnySign
	case a == b:
		return Nonnegative
	}
	return Nonpositive
}

// Expression is what the functions and methods of the package accept: an
// *Expr, a *Variable or a *Parameter.
type Expression interface{ node() *Expr }

type op int

const (
	opVar op = iota
	opParam
	opConst
	opAdd
	opNeg
	opMul    // elementwise, a scalar side broadcast
	opMatMul // matrix product
	opGather // entries selected from the concatenated arguments (−1: zero)
	opSum    // sum of the entries listed in idx (nil: all)
	opAtom
)

// Expr is an expression of the model: a rows×cols matrix (a vector is
// n×1, a scalar 1×1) of entries stored column-major. Expressions are
// immutable; their methods build new ones. An expression that cannot be
// built (mismatched shapes, a nil argument) or that breaks a DCP rule
// carries the error, reported by Err and by NewProblem.
type Expr struct {
	op         op
	args       []*Expr
	rows, cols int
	val        []float64 // opConst
	idx        []int     // opGather, opSum
	v          *Variable
	par        *Parameter
	atom       *atomKind
	p          float64   // the atom's number (p of Pnorm and Power, M of Huber)
	pmat       []float64 // QuadForm's constant matrix (col-major), if constant
	label      string    // opGather / opSum display
	err        error

	curv   Curvature
	sign   Sign
	hasVar bool // depends on a variable
	// hasParam: its canonical affine form has parameter coefficients.
	hasParam bool
}

func (e *Expr) node() *Expr { return e }

// Shape returns the number of rows and columns.
func (e *Expr) Shape() (rows, cols int) {
	if e == nil {
		return 0, 0
	}
	return e.rows, e.cols
}

// Size returns rows·cols.
func (e *Expr) Size() int { r, c := e.Shape(); return r * c }

// Curvature returns the DCP curvature (Unknown when Err is not nil).
func (e *Expr) Curvature() Curvature {
	if e == nil || e.err != nil {
		return Unknown
	}
	return e.curv
}

// Sign returns the sign the DCP rules derive.
func (e *Expr) Sign() Sign {
	if e == nil {
		return AnySign
	}
	return e.sign
}

// Err returns the first error of the expression's construction or of its
// DCP check, naming the sub-expression at fault; nil for a valid one.
func (e *Expr) Err() error {
	if e == nil {
		return fmt.Errorf("%w: nil expression", ErrInvalid)
	}
	return e.err
}

// IsDCP reports whether the expression follows the DCP rules.
func (e *Expr) IsDCP() bool { return e != nil && e.err == nil }

const maxLabel = 160

// String returns the expression in a readable infix form (truncated).
func (e *Expr) String() string {
	if e == nil {
		return "<nil>"
	}
	var b strings.Builder
	e.write(&b, 0)
	s := b.String()
	if len(s) > maxLabel {
		s = s[:maxLabel] + "…"
	}
	return s
}

func (e *Expr) write(b *strings.Builder, depth int) {
	if b.Len() > maxLabel {
		return
	}
	if depth > 40 {
		b.WriteString("…")
		return
	}
	arg := func(i int) {
		a := e.args[i]
		binary := a.op == opAdd || a.op == opMul || a.op == opMatMul
		var paren bool
		switch e.op {
		case opAdd: // products bind tighter than sums
			paren = false
		case opMul, opMatMul:
			paren = a.op == opAdd || a.op == opNeg || (binary && i == 1)
		case opNeg:
			paren = binary || a.op == opNeg
		case opGather, opSum: // postfix forms: x.T, x[i]
			paren = binary || a.op == opNeg
		}
		if paren {
			b.WriteByte('(')
			a.write(b, depth+1)
			b.WriteByte(')')
			return
		}
		a.write(b, depth+1)
	}
	switch e.op {
	case opVar:
		b.WriteString(e.v.name)
	case opParam:
		b.WriteString(e.par.name)
	case opConst:
		if e.label != "" {
			b.WriteString(e.label)
		} else if len(e.val) == 1 {
			fmt.Fprintf(b, "%g", e.val[0])
		} else {
			fmt.Fprintf(b, "Const(%d×%d)", e.rows, e.cols)
		}
	case opAdd:
		arg(0)
		if e.label == "-" {
			b.WriteString(" - ")
			// e.args[1] is the Neg node; print its argument.
			a := e.args[1].args[0]
			if a.op == opAdd || a.op == opNeg {
				b.WriteByte('(')
				a.write(b, depth+1)
				b.WriteByte(')')
			} else {
				a.write(b, depth+1)
			}
			return
		}
		b.WriteString(" + ")
		arg(1)
	case opNeg:
		b.WriteByte('-')
		arg(0)
	case opMul:
		arg(0)
		b.WriteString(" * ")
		arg(1)
	case opMatMul:
		arg(0)
		b.WriteString(" @ ")
		arg(1)
	case opGather, opSum:
		if strings.HasPrefix(e.label, ".") || strings.HasPrefix(e.label, "[") {
			arg(0)
			b.WriteString(e.label)
			return
		}
		b.WriteString(e.label)
		b.WriteByte('(')
		for i := range e.args {
			if i > 0 {
				b.WriteString(", ")
			}
			e.args[i].write(b, depth+1)
		}
		b.WriteByte(')')
	case opAtom:
		if e.label != "" {
			b.WriteString(e.label)
			b.WriteByte('(')
			e.args[0].write(b, depth+1)
			b.WriteByte(')')
			return
		}
		b.WriteString(e.atom.name)
		b.WriteByte('(')
		for i := range e.args {
			if i > 0 {
				b.WriteString(", ")
			}
			e.args[i].write(b, depth+1)
		}
		if e.atom.number != "" {
			fmt.Fprintf(b, ", %g", e.p)
		}
		b.WriteByte(')')
	}
}

// bad returns an expression that carries err.
func bad(rows, cols int, err error) *Expr {
	return &Expr{op: opConst, rows: rows, cols: cols, val: make([]float64, 0), err: err, curv: Unknown}
}

// operands converts the arguments, reporting the first nil or erroneous
// one.
func operands(what string, xs ...Expression) ([]*Expr, error) {
	out := make([]*Expr, len(xs))
	for i, x := range xs {
		if x == nil {
			return nil, fmt.Errorf("%w: %s: argument %d is nil", ErrInvalid, what, i+1)
		}
		e := x.node()
		if e == nil {
			return nil, fmt.Errorf("%w: %s: argument %d is a nil %T", ErrInvalid, what, i+1, x)
		}
		if e.err != nil {
			return nil, e.err
		}
		out[i] = e
	}
	return out, nil
}

// Attr is an attribute of a variable or a parameter.
type Attr int

const (
	attrNone Attr = iota
	attrNonneg
	attrNonpos
	attrSymmetric
	attrPSD
)

// Nonneg: every entry is ≥ 0 (a constraint of a variable, a checked
// property of a parameter's values; either way the sign rules use it).
func Nonneg() Attr { return attrNonneg }

// Nonpos: every entry is ≤ 0.
func Nonpos() Attr { return attrNonpos }

// Symmetric: a square matrix equal to its transpose (a variable has
// n(n+1)/2 free entries).
func Symmetric() Attr { return attrSymmetric }

// PSD: a symmetric positive semidefinite matrix (X ≽ 0).
func PSD() Attr { return attrPSD }

func (a Attr) String() string {
	switch a {
	case attrNonneg:
		return "Nonneg"
	case attrNonpos:
		return "Nonpos"
	case attrSymmetric:
		return "Symmetric"
	case attrPSD:
		return "PSD"
	}
	return fmt.Sprintf("Attr(%d)", int(a))
}

type attrs struct{ nonneg, nonpos, sym, psd bool }

func parseAttrs(what string, rows, cols int, as []Attr) (attrs, error) {
	var a attrs
	for _, x := range as {
		switch x {
		case attrNonneg:
			a.nonneg = true
		case attrNonpos:
			a.nonpos = true
		case attrSymmetric:
			a.sym = true
		case attrPSD:
			a.psd, a.sym = true, true
		default:
			return a, fmt.Errorf("%w: %s: unknown attribute %d", ErrInvalid, what, int(x))
		}
	}
	if a.nonneg && a.nonpos {
		return a, fmt.Errorf("%w: %s: both Nonneg and Nonpos", ErrInvalid, what)
	}
	if a.sym && rows != cols {
		return a, fmt.Errorf("%w: %s: Symmetric/PSD needs a square shape, have %d×%d", ErrDims, what, rows, cols)
	}
	return a, nil
}

func (a attrs) sign() Sign {
	switch {
	case a.nonneg:
		return Nonnegative
	case a.nonpos:
		return Nonpositive
	}
	return AnySign
}

// MaxSize bounds the number of entries of one variable, parameter or
// constant.
const MaxSize = 1 << 24

func checkShape(what string, rows, cols int) error {
	if rows < 1 || cols < 1 || rows > MaxSize || cols > MaxSize || rows*cols > MaxSize {
		return fmt.Errorf("%w: %s: shape %d×%d (each side in [1, %d], at most %d entries)", ErrDims, what, rows, cols, MaxSize, MaxSize)
	}
	return nil
}

func validName(name string) string {
	if name == "" {
		return "_"
	}
	return name
}

// Variable is an optimization variable: a vector or a matrix with
// attributes. It is an Expression (its methods are those of *Expr).
type Variable struct {
	*Expr
	name  string
	attrs attrs
}

// NewVariable returns the vector variable name ∈ Rⁿ with the given
// attributes (Nonneg, Nonpos).
func NewVariable(name string, n int, as ...Attr) *Variable {
	return NewMatrixVariable(name, n, 1, as...)
}

// NewMatrixVariable returns the rows×cols matrix variable (attributes
// Nonneg, Nonpos, Symmetric, PSD). Bad shapes or attributes give a
// variable whose Err reports them.
func NewMatrixVariable(name string, rows, cols int, as ...Attr) *Variable {
	name = validName(name)
	v := &Variable{name: name}
	what := "variable " + name
	e := &Expr{op: opVar, rows: rows, cols: cols, v: v, curv: Affine, hasVar: true}
	v.Expr = e
	if err := checkShape(what, rows, cols); err != nil {
		e.err = err
		return v
	}
	a, err := parseAttrs(what, rows, cols, as)
	if err != nil {
		e.err = err
		return v
	}
	v.attrs = a
	e.sign = a.sign()
	return v
}

// Name returns the variable's name.
func (v *Variable) Name() string {
	if v == nil {
		return "<nil>"
	}
	return v.name
}

func (v *Variable) node() *Expr {
	if v == nil {
		return nil
	}
	return v.Expr
}

// Parameter is a value fixed during a solve and set before it (SetValue),
// with respect to which the solution is differentiated. It is an
// Expression.
//
// A Parameter's value is read by Problem.Solve; Problem.SolveParams takes
// the values as a flat vector instead and is the form safe for concurrent
// solves.
type Parameter struct {
	*Expr
	name  string
	attrs attrs
	mu    sync.RWMutex
	value []float64
}

// NewParameter returns the vector parameter name ∈ Rⁿ (attributes
// Nonneg, Nonpos: checked on its values and used by the sign rules).
func NewParameter(name string, n int, as ...Attr) *Parameter {
	return NewMatrixParameter(name, n, 1, as...)
}

// NewMatrixParameter returns the rows×cols matrix parameter (attributes
// Nonneg, Nonpos, Symmetric, PSD, checked on its values).
func NewMatrixParameter(name string, rows, cols int, as ...Attr) *Parameter {
	name = validName(name)
	p := &Parameter{name: name}
	what := "parameter " + name
	e := &Expr{op: opParam, rows: rows, cols: cols, par: p, curv: Constant, hasParam: true}
	p.Expr = e
	if err := checkShape(what, rows, cols); err != nil {
		e.err = err
		return p
	}
	a, err := parseAttrs(what, rows, cols, as)
	if err != nil {
		e.err = err
		return p
	}
	p.attrs = a
	e.sign = a.sign()
	return p
}

// Name returns the parameter's name.
func (p *Parameter) Name() string {
	if p == nil {
		return "<nil>"
	}
	return p.name
}

func (p *Parameter) node() *Expr {
	if p == nil {
		return nil
	}
	return p.Expr
}

// check validates values for the parameter (length, finiteness,
// attributes).
func (p *Parameter) check(v []float64) error {
	if p == nil || p.Expr == nil {
		return fmt.Errorf("%w: nil parameter", ErrInvalid)
	}
	if p.err != nil {
		return p.err
	}
	if len(v) != p.rows*p.cols {
		return fmt.Errorf("%w: parameter %s: %d values for a %d×%d parameter", ErrDims, p.name, len(v), p.rows, p.cols)
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: parameter %s: entry %d is %v", ErrNaN, p.name, i, x)
		}
		if p.attrs.nonneg && x < 0 {
			return fmt.Errorf("%w: parameter %s is Nonneg but entry %d is %v", ErrInvalid, p.name, i, x)
		}
		if p.attrs.nonpos && x > 0 {
			return fmt.Errorf("%w: parameter %s is Nonpos but entry %d is %v", ErrInvalid, p.name, i, x)
		}
	}
	if p.attrs.sym {
		n := p.rows
		for j := range n {
			for i := j + 1; i < n; i++ {
				a, b := v[i+j*n], v[j+i*n]
				if math.Abs(a-b) > 1e-10*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) {
					return fmt.Errorf("%w: parameter %s is Symmetric but entries (%d,%d) = %v and (%d,%d) = %v differ", ErrInvalid, p.name, i, j, a, j, i, b)
				}
			}
		}
	}
	if p.attrs.psd {
		s := mat.NewSymDense(p.rows, nil)
		for j := range p.rows {
			for i := j; i < p.rows; i++ {
				s.SetSym(i, j, v[i+j*p.rows])
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(s, false) {
			return fmt.Errorf("%w: parameter %s: eigenvalues failed", ErrInvalid, p.name)
		}
		vals := eig.Values(nil)
		scale := math.Max(1, math.Abs(vals[len(vals)-1]))
		if vals[0] < -1e-10*scale {
			return fmt.Errorf("%w: parameter %s is PSD but has eigenvalue %v", ErrInvalid, p.name, vals[0])
		}
	}
	return nil
}

// SetValue sets the parameter's value (rows·cols entries, column-major).
// It returns ErrDims, ErrNaN or ErrInvalid (an attribute violated) and
// then leaves the value unchanged.
func (p *Parameter) SetValue(v []float64) error {
	if err := p.check(v); err != nil {
		return err
	}
	p.mu.Lock()
	p.value = append(p.value[:0:0], v...)
	p.mu.Unlock()
	return nil
}

// SetMatrix sets the value of a matrix parameter from m.
func (p *Parameter) SetMatrix(m mat.Matrix) error {
	if p == nil || p.Expr == nil {
		return fmt.Errorf("%w: nil parameter", ErrInvalid)
	}
	if m == nil || guardNil(m) {
		return fmt.Errorf("%w: parameter %s: nil matrix", ErrInvalid, p.name)
	}
	r, c := m.Dims()
	if r != p.rows || c != p.cols {
		return fmt.Errorf("%w: parameter %s is %d×%d, matrix is %d×%d", ErrDims, p.name, p.rows, p.cols, r, c)
	}
	v := make([]float64, r*c)
	for j := range c {
		for i := range r {
			v[i+j*r] = m.At(i, j)
		}
	}
	return p.SetValue(v)
}

// Value returns a copy of the parameter's value (nil if unset).
func (p *Parameter) Value() []float64 {
	if p == nil {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.value == nil {
		return nil
	}
	return append([]float64(nil), p.value...)
}

func constOf(rows, cols int, v []float64, label string) *Expr {
	e := &Expr{op: opConst, rows: rows, cols: cols, val: v, label: label, curv: Constant}
	if err := checkShape("constant", rows, cols); err != nil {
		return bad(rows, cols, err)
	}
	s := ZeroSign
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return bad(rows, cols, fmt.Errorf("%w: constant entry %d is %v", ErrNaN, i, x))
		}
		switch {
		case x > 0 && s == ZeroSign:
			s = Nonnegative
		case x < 0 && s == ZeroSign:
			s = Nonpositive
		case x > 0 && s == Nonpositive, x < 0 && s == Nonnegative:
			s = AnySign
		}
	}
	e.sign = s
	return e
}

// Const returns the scalar constant c.
func Const(c float64) *Expr { return constOf(1, 1, []float64{c}, "") }

// ConstVec returns the constant column vector v (copied).
func ConstVec(v []float64) *Expr {
	if len(v) == 0 {
		return bad(0, 1, fmt.Errorf("%w: ConstVec of an empty vector", ErrDims))
	}
	return constOf(len(v), 1, append([]float64(nil), v...), "")
}

// ConstMat returns the constant matrix m (copied; a *sparse.CSC is read
// through its stored entries).
func ConstMat(m mat.Matrix) *Expr {
	if m == nil || guardNil(m) {
		return bad(0, 0, fmt.Errorf("%w: ConstMat of a nil matrix", ErrInvalid))
	}
	r, c := m.Dims()
	if err := checkShape("constant", r, c); err != nil {
		return bad(r, c, err)
	}
	v := make([]float64, r*c)
	if s, ok := m.(*sparse.CSC); ok {
		ptr, ri, vals := s.Raw()
		for j := range c {
			for q := ptr[j]; q < ptr[j+1]; q++ {
				v[ri[q]+j*r] = vals[q]
			}
		}
	} else {
		for j := range c {
			for i := range r {
				v[i+j*r] = m.At(i, j)
			}
		}
	}
	return constOf(r, c, v, "")
}

// guardNil reports a typed nil matrix.
func guardNil(m mat.Matrix) (isNil bool) {
	defer func() {
		if recover() != nil {
			isNil = true
		}
	}()
	switch x := m.(type) {
	case *mat.Dense:
		return x == nil
	case *mat.SymDense:
		return x == nil
	case *mat.VecDense:
		return x == nil
	case *sparse.CSC:
		return x == nil
	case *sparse.SymCSC:
		return x == nil
	}
	m.Dims()
	return false
}
