package convex

import (
	"fmt"
)

// This file holds the affine operations: sums, products with constant or
// parameter coefficients, indexing, slicing, stacking, reshapes, sums,
// traces, transposes and diagonals.

func notDCP(e *Expr, format string, a ...any) *Expr {
	e.err = fmt.Errorf("%w: %s: %s", ErrNotDCP, e.String(), fmt.Sprintf(format, a...))
	e.curv = Unknown
	return e
}

func notDPP(e *Expr, format string, a ...any) *Expr {
	e.err = fmt.Errorf("%w: %s: %s", ErrNotDPP, e.String(), fmt.Sprintf(format, a...))
	e.curv = Unknown
	return e
}

// sumCurv is the curvature of a sum (or a stack) of the arguments, and
// false when it has none (convex plus concave).
func sumCurv(es ...*Expr) (Curvature, bool) {
	c := Constant
	for _, e := range es {
		switch {
		case e.curv == Constant:
		case e.curv == Affine:
			if c == Constant {
				c = Affine
			}
		case e.curv == Convex:
			if c == Concave {
				return Unknown, false
			}
			c = Convex
		case e.curv == Concave:
			if c == Convex {
				return Unknown, false
			}
			c = Concave
		default:
			return Unknown, false
		}
	}
	return c, true
}

func flags(e *Expr, args ...*Expr) {
	for _, a := range args {
		e.hasVar = e.hasVar || a.hasVar
		e.hasParam = e.hasParam || a.hasParam
	}
}

func shapeStr(e *Expr) string { return fmt.Sprintf("%d×%d", e.rows, e.cols) }

func broadcast(what string, a, b *Expr) (rows, cols int, err error) {
	switch {
	case a.rows == b.rows && a.cols == b.cols:
		return a.rows, a.cols, nil
	case a.rows*a.cols == 1:
		return b.rows, b.cols, nil
	case b.rows*b.cols == 1:
		return a.rows, a.cols, nil
	}
	return 0, 0, fmt.Errorf("%w: %s: shapes %s and %s", ErrDims, what, shapeStr(a), shapeStr(b))
}

// Add returns e + o (a scalar side is broadcast).
func (e *Expr) Add(o Expression) *Expr { return add(e, o, false) }

// Sub returns e − o (a scalar side is broadcast).
func (e *Expr) Sub(o Expression) *Expr { return add(e, o, true) }

func add(x, y Expression, sub bool) *Expr {
	what := "Add"
	if sub {
		what = "Sub"
	}
	as, err := operands(what, x, y)
	if err != nil {
		return bad(0, 0, err)
	}
	a, b := as[0], as[1]
	r, c, err := broadcast(what, a, b)
	if err != nil {
		return bad(r, c, fmt.Errorf("%w (%v and %v)", err, a, b))
	}
	label := ""
	if sub {
		b = b.Neg()
		label = "-"
	}
	e := &Expr{op: opAdd, args: []*Expr{a, b}, rows: r, cols: c, label: label}
	flags(e, a, b)
	e.sign = addSign(a.sign, b.sign)
	cv, ok := sumCurv(a, b)
	if !ok {
		return notDCP(e, "the sum of a %v and a %v expression has no curvature", a.curv, b.curv)
	}
	e.curv = cv
	return e
}

// Neg returns −e.
func (e *Expr) Neg() *Expr {
	as, err := operands("Neg", e)
	if err != nil {
		return bad(0, 0, err)
	}
	a := as[0]
	n := &Expr{op: opNeg, args: []*Expr{a}, rows: a.rows, cols: a.cols, sign: negSign(a.sign)}
	flags(n, a)
	switch a.curv {
	case Convex:
		n.curv = Concave
	case Concave:
		n.curv = Convex
	default:
		n.curv = a.curv
	}
	return n
}

// Scale returns c·e for a number c.
func (e *Expr) Scale(c float64) *Expr { return Const(c).Mul(e) }

// productCurv applies the product rule to e = a·b (elementwise or matrix):
// one factor must be Constant (no variable, affine in the parameters), and
// they may not both depend on parameters.
func productCurv(e, a, b *Expr) *Expr {
	flags(e, a, b)
	var coef, other *Expr
	switch {
	case a.curv == Constant:
		coef, other = a, b
	case b.curv == Constant:
		coef, other = b, a
	case !a.hasVar || !b.hasVar:
		f := a
		if b.hasVar {
			f = b
		}
		return notDPP(e, "%v has no variable but is not affine in the parameters; a coefficient must be built from constants and parameters by affine operations", f)
	default:
		return notDCP(e, "a product needs one factor free of variables; %v is %v and %v is %v", a, a.curv, b, b.curv)
	}
	if coef.hasParam && other.hasParam {
		return notDPP(e, "both factors depend on parameters (%v and %v); the cone data would not be affine in them", a, b)
	}
	switch other.curv {
	case Constant, Affine:
		e.curv = other.curv
	case Convex, Concave:
		switch {
		case coef.sign.nonneg():
			e.curv = other.curv
		case coef.sign.nonpos():
			e.curv = Convex + Concave - other.curv
		default:
			return notDCP(e, "%v is %v and its coefficient %v has no known sign", other, other.curv, coef)
		}
	default:
		return notDCP(e, "%v has no curvature", other)
	}
	return e
}

// Mul returns the elementwise product e ∘ o (a scalar side is broadcast;
// one side must be Constant: constants and parameters combined by affine
// operations).
func (e *Expr) Mul(o Expression) *Expr {
	as, err := operands("Mul", e, o)
	if err != nil {
		return bad(0, 0, err)
	}
	a, b := as[0], as[1]
	r, c, err := broadcast("Mul", a, b)
	if err != nil {
		return bad(r, c, fmt.Errorf("%w (%v and %v)", err, a, b))
	}
	n := &Expr{op: opMul, args: []*Expr{a, b}, rows: r, cols: c, sign: mulSign(a.sign, b.sign)}
	return productCurv(n, a, b)
}

// maxProduct bounds the scalar products of one MatMul (rows·inner·cols):
// the canonicalization stores the affine form of each entry.
const maxProduct = 1 << 27

// MatMul returns the matrix product e·o (a 1×1 side is a scalar product).
// One side must be Constant: constants and parameters combined by affine
// operations; with a parameter, the other side must not depend on
// parameters (DPP).
func (e *Expr) MatMul(o Expression) *Expr {
	as, err := operands("MatMul", e, o)
	if err != nil {
		return bad(0, 0, err)
	}
	a, b := as[0], as[1]
	if a.rows*a.cols == 1 || b.rows*b.cols == 1 {
		return a.Mul(b)
	}
	if a.cols != b.rows {
		return bad(a.rows, b.cols, fmt.Errorf("%w: MatMul: %v is %s and %v is %s", ErrDims, a, shapeStr(a), b, shapeStr(b)))
	}
	if float64(a.rows)*float64(a.cols)*float64(b.cols) > maxProduct {
		return bad(a.rows, b.cols, fmt.Errorf("%w: MatMul of %v (%s) and %v (%s): more than %g scalar products to canonicalize", ErrInvalid, a, shapeStr(a), b, shapeStr(b), float64(maxProduct)))
	}
	n := &Expr{op: opMatMul, args: []*Expr{a, b}, rows: a.rows, cols: b.cols, sign: mulSign(a.sign, b.sign)}
	return productCurv(n, a, b)
}

// Dot returns the scalar eᵀo of two vectors of the same length.
func (e *Expr) Dot(o Expression) *Expr {
	as, err := operands("Dot", e, o)
	if err != nil {
		return bad(0, 0, err)
	}
	a, b := as[0], as[1]
	if a.Size() != b.Size() || (a.cols != 1 && a.rows != 1) {
		return bad(1, 1, fmt.Errorf("%w: Dot: %v is %s and %v is %s", ErrDims, a, shapeStr(a), b, shapeStr(b)))
	}
	return a.Vec().T().MatMul(b.Vec())
}

func gather(label string, rows, cols int, idx []int, args ...*Expr) *Expr {
	e := &Expr{op: opGather, args: args, rows: rows, cols: cols, idx: idx, label: label}
	flags(e, args...)
	cv, ok := sumCurv(args...)
	s := ZeroSign
	if len(args) == 1 {
		s = args[0].sign
	} else {
		for _, a := range args {
			s = addSign(s, a.sign)
			if a.sign == AnySign || s == AnySign {
				s = AnySign
			}
		}
		if s != ZeroSign {
			// A stack is nonneg only if every part is.
			all := true
			for _, a := range args {
				all = all && a.sign == s || a.sign == ZeroSign
			}
			if !all {
				s = AnySign
			}
		}
	}
	e.sign = s
	if !ok {
		return notDCP(e, "a stack of convex and concave parts has no curvature")
	}
	e.curv = cv
	return e
}

// At returns the entry (i, j) as a scalar expression.
func (e *Expr) At(i, j int) *Expr {
	as, err := operands("At", e)
	if err != nil {
		return bad(1, 1, err)
	}
	a := as[0]
	if i < 0 || i >= a.rows || j < 0 || j >= a.cols {
		return bad(1, 1, fmt.Errorf("%w: %v[%d, %d] outside %s", ErrDims, a, i, j, shapeStr(a)))
	}
	return gather(fmt.Sprintf("[%d, %d]", i, j), 1, 1, []int{i + j*a.rows}, a)
}

// Index returns entry i of a vector (or of the column-major entries of a
// matrix) as a scalar.
func (e *Expr) Index(i int) *Expr {
	as, err := operands("Index", e)
	if err != nil {
		return bad(1, 1, err)
	}
	a := as[0]
	if i < 0 || i >= a.Size() {
		return bad(1, 1, fmt.Errorf("%w: %v[%d] outside %d entries", ErrDims, a, i, a.Size()))
	}
	return gather(fmt.Sprintf("[%d]", i), 1, 1, []int{i}, a)
}

// Slice returns entries lo ≤ i < hi of a vector (column vector result).
func (e *Expr) Slice(lo, hi int) *Expr {
	as, err := operands("Slice", e)
	if err != nil {
		return bad(0, 1, err)
	}
	a := as[0]
	if lo < 0 || hi > a.Size() || lo >= hi {
		return bad(0, 1, fmt.Errorf("%w: %v[%d:%d] of %d entries", ErrDims, a, lo, hi, a.Size()))
	}
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return gather(fmt.Sprintf("[%d:%d]", lo, hi), hi-lo, 1, idx, a)
}

// Submatrix returns rows r0 ≤ i < r1 and columns c0 ≤ j < c1.
func (e *Expr) Submatrix(r0, r1, c0, c1 int) *Expr {
	as, err := operands("Submatrix", e)
	if err != nil {
		return bad(0, 0, err)
	}
	a := as[0]
	if r0 < 0 || r1 > a.rows || r0 >= r1 || c0 < 0 || c1 > a.cols || c0 >= c1 {
		return bad(0, 0, fmt.Errorf("%w: %v[%d:%d, %d:%d] of %s", ErrDims, a, r0, r1, c0, c1, shapeStr(a)))
	}
	idx := make([]int, 0, (r1-r0)*(c1-c0))
	for j := c0; j < c1; j++ {
		for i := r0; i < r1; i++ {
			idx = append(idx, i+j*a.rows)
		}
	}
	return gather(fmt.Sprintf("[%d:%d, %d:%d]", r0, r1, c0, c1), r1-r0, c1-c0, idx, a)
}

// Pick returns the entries listed in idx (column-major indices) as a
// column vector.
func (e *Expr) Pick(idx []int) *Expr {
	as, err := operands("Pick", e)
	if err != nil {
		return bad(0, 1, err)
	}
	a := as[0]
	if len(idx) == 0 {
		return bad(0, 1, fmt.Errorf("%w: %v.Pick of no index", ErrDims, a))
	}
	for _, i := range idx {
		if i < 0 || i >= a.Size() {
			return bad(0, 1, fmt.Errorf("%w: %v.Pick: index %d outside %d entries", ErrDims, a, i, a.Size()))
		}
	}
	return gather(".Pick(…)", len(idx), 1, append([]int(nil), idx...), a)
}

// T returns the transpose.
func (e *Expr) T() *Expr {
	as, err := operands("T", e)
	if err != nil {
		return bad(0, 0, err)
	}
	a := as[0]
	if a.cols == 1 && a.rows == 1 {
		return a
	}
	idx := make([]int, 0, a.Size())
	for i := range a.rows { // column i of the result is row i of a
		for j := range a.cols {
			idx = append(idx, i+j*a.rows)
		}
	}
	return gather(".T", a.cols, a.rows, idx, a)
}

// Reshape returns the entries in a rows×cols shape (column-major order
// kept, as NumPy's order "F").
func (e *Expr) Reshape(rows, cols int) *Expr {
	as, err := operands("Reshape", e)
	if err != nil {
		return bad(rows, cols, err)
	}
	a := as[0]
	if rows < 1 || cols < 1 || rows*cols != a.Size() {
		return bad(rows, cols, fmt.Errorf("%w: Reshape of %v (%s) to %d×%d", ErrDims, a, shapeStr(a), rows, cols))
	}
	idx := make([]int, a.Size())
	for i := range idx {
		idx[i] = i
	}
	return gather(fmt.Sprintf(".Reshape(%d, %d)", rows, cols), rows, cols, idx, a)
}

// Vec returns the entries as a column vector (column-major).
func (e *Expr) Vec() *Expr {
	r, c := e.Shape()
	if e != nil && c == 1 && e.err == nil {
		return e
	}
	return e.Reshape(r*c, 1)
}

// Diag returns the diagonal of a square matrix as a vector, or the
// diagonal matrix of a vector.
func (e *Expr) Diag() *Expr {
	as, err := operands("Diag", e)
	if err != nil {
		return bad(0, 0, err)
	}
	a := as[0]
	switch {
	case a.cols == 1 || a.rows == 1:
		n := a.Size()
		idx := make([]int, n*n)
		for i := range idx {
			idx[i] = -1
		}
		for i := range n {
			idx[i+i*n] = i
		}
		return gather("Diag", n, n, idx, a)
	case a.rows == a.cols:
		idx := make([]int, a.rows)
		for i := range idx {
			idx[i] = i + i*a.rows
		}
		return gather("Diag", a.rows, 1, idx, a)
	}
	return bad(0, 0, fmt.Errorf("%w: Diag of %v (%s): neither a vector nor square", ErrDims, a, shapeStr(a)))
}

func sumOf(label string, idx []int, a *Expr) *Expr {
	e := &Expr{op: opSum, args: []*Expr{a}, rows: 1, cols: 1, idx: idx, label: label, curv: a.curv, sign: a.sign}
	flags(e, a)
	return e
}

// Sum returns the sum of the entries (a scalar).
func (e *Expr) Sum() *Expr {
	as, err := operands("Sum", e)
	if err != nil {
		return bad(1, 1, err)
	}
	return sumOf("Sum", nil, as[0])
}

// Trace returns the sum of the diagonal of a square matrix.
func (e *Expr) Trace() *Expr {
	as, err := operands("Trace", e)
	if err != nil {
		return bad(1, 1, err)
	}
	a := as[0]
	if a.rows != a.cols {
		return bad(1, 1, fmt.Errorf("%w: Trace of %v (%s)", ErrDims, a, shapeStr(a)))
	}
	idx := make([]int, a.rows)
	for i := range idx {
		idx[i] = i + i*a.rows
	}
	return sumOf("Trace", idx, a)
}

// SumRows returns the 1×cols row of column sums; SumCols the rows×1
// column of row sums.
func (e *Expr) SumRows() *Expr {
	r, _ := e.Shape()
	return Ones(1, r).MatMul(e)
}

// SumCols returns the vector of row sums (e·1).
func (e *Expr) SumCols() *Expr {
	_, c := e.Shape()
	return e.MatMul(Ones(c, 1))
}

// Ones returns the rows×cols constant of ones.
func Ones(rows, cols int) *Expr {
	if err := checkShape("Ones", rows, cols); err != nil {
		return bad(rows, cols, err)
	}
	v := make([]float64, rows*cols)
	for i := range v {
		v[i] = 1
	}
	return constOf(rows, cols, v, fmt.Sprintf("Ones(%d, %d)", rows, cols))
}

// Eye returns the n×n identity.
func Eye(n int) *Expr {
	if err := checkShape("Eye", n, n); err != nil {
		return bad(n, n, err)
	}
	v := make([]float64, n*n)
	for i := range n {
		v[i+i*n] = 1
	}
	return constOf(n, n, v, fmt.Sprintf("Eye(%d)", n))
}

// HStack places the expressions (with equal row counts) side by side.
func HStack(es ...Expression) *Expr {
	as, err := operands("HStack", es...)
	if err != nil {
		return bad(0, 0, err)
	}
	if len(as) == 0 {
		return bad(0, 0, fmt.Errorf("%w: HStack of nothing", ErrDims))
	}
	r := as[0].rows
	var idx []int
	off, cols := 0, 0
	for _, a := range as {
		if a.rows != r {
			return bad(0, 0, fmt.Errorf("%w: HStack: %v has %d rows, %v has %d", ErrDims, as[0], r, a, a.rows))
		}
		for q := range a.Size() {
			idx = append(idx, off+q)
		}
		off += a.Size()
		cols += a.cols
	}
	return gather("HStack", r, cols, idx, as...)
}

// VStack places the expressions (with equal column counts) one above the
// other.
func VStack(es ...Expression) *Expr {
	as, err := operands("VStack", es...)
	if err != nil {
		return bad(0, 0, err)
	}
	if len(as) == 0 {
		return bad(0, 0, fmt.Errorf("%w: VStack of nothing", ErrDims))
	}
	c := as[0].cols
	offs := make([]int, len(as))
	rows, off := 0, 0
	for i, a := range as {
		if a.cols != c {
			return bad(0, 0, fmt.Errorf("%w: VStack: %v has %d columns, %v has %d", ErrDims, as[0], c, a, a.cols))
		}
		offs[i] = off
		off += a.Size()
		rows += a.rows
	}
	idx := make([]int, 0, rows*c)
	for j := range c {
		for i, a := range as {
			for r := range a.rows {
				idx = append(idx, offs[i]+r+j*a.rows)
			}
		}
	}
	return gather("VStack", rows, c, idx, as...)
}

// Sum returns the sum of several expressions of one shape (scalars
// broadcast).
func Sum(es ...Expression) *Expr {
	if len(es) == 0 {
		return bad(1, 1, fmt.Errorf("%w: Sum of nothing", ErrDims))
	}
	as, err := operands("Sum", es...)
	if err != nil {
		return bad(0, 0, err)
	}
	acc := as[0]
	for _, a := range as[1:] {
		acc = acc.Add(a)
	}
	return acc
}
