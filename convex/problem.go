package convex

import (
	"fmt"
	"strings"

	"github.com/optlayers/optlayers/solvers/cone"
)

type conKind int

const (
	conLe conKind = iota
	conEq
	conSOC
	conPSD
)

// Constraint is a constraint of a model: e ≤ o, e ≥ o, e == o (Le, Ge,
// Eq), ‖x‖₂ ≤ t (SOC) or e ≽ o (Succeq). Its dual value is read from a
// Solution (Solution.Dual).
//
// Every constraint is canonicalized as "expr ∈ K" with the Lagrangian
// term −⟨y, expr⟩, y ∈ K*: expr = o − e for e ≤ o and e == o (so the dual
// of an inequality is ≥ 0 and the multipliers are those of CVXPY),
// (t, x) for SOC, the symmetric part of e − o for Succeq.
type Constraint struct {
	kind conKind
	args []*Expr
	ge   bool // written as Ge: display only
	err  error
}

// Err returns the constraint's error (shapes, DCP), or nil.
func (c *Constraint) Err() error {
	if c == nil {
		return fmt.Errorf("%w: nil constraint", ErrInvalid)
	}
	return c.err
}

func (c *Constraint) String() string {
	if c == nil {
		return "<nil>"
	}
	if len(c.args) < 2 {
		return "<invalid constraint>"
	}
	a, b := c.args[0], c.args[1]
	switch c.kind {
	case conLe:
		if c.ge {
			return fmt.Sprintf("%v >= %v", b, a)
		}
		return fmt.Sprintf("%v <= %v", a, b)
	case conEq:
		return fmt.Sprintf("%v == %v", a, b)
	case conSOC:
		return fmt.Sprintf("SOC(%v, %v)", a, b)
	}
	return fmt.Sprintf("%v ≽ %v", a, b)
}

func newConstraint(kind conKind, what string, x, y Expression, ge bool) *Constraint {
	c := &Constraint{kind: kind, ge: ge}
	as, err := operands(what, x, y)
	if err != nil {
		c.err = err
		return c
	}
	c.args = as
	a, b := as[0], as[1]
	fail := func(s error, format string, args ...any) *Constraint {
		c.err = fmt.Errorf("%w: %v: %s", s, c, fmt.Sprintf(format, args...))
		return c
	}
	switch kind {
	case conLe, conEq:
		if _, _, err := broadcast(what, a, b); err != nil {
			return fail(ErrDims, "shapes %s and %s", shapeStr(a), shapeStr(b))
		}
	case conSOC:
		if a.Size() != 1 {
			return fail(ErrDims, "t = %v is %s, not a scalar", a, shapeStr(a))
		}
	case conPSD:
		if a.rows != a.cols {
			return fail(ErrDims, "%v is %s, not square", a, shapeStr(a))
		}
		if _, _, err := broadcast(what, a, b); err != nil {
			return fail(ErrDims, "shapes %s and %s", shapeStr(a), shapeStr(b))
		}
	}
	op := "<="
	if ge {
		op = ">="
	}
	switch kind {
	case conLe:
		// e ≤ o needs e convex and o concave; written as Ge(o, e), the
		// left side is o.
		lname, rname := "left", "right"
		if ge {
			lname, rname = "right", "left"
		}
		if !a.curv.isConvex() {
			return fail(ErrNotDCP, "the %s side %v is %v; the %s side of %s must be convex", lname, a, a.curv, lname, op)
		}
		if !b.curv.isConcave() {
			return fail(ErrNotDCP, "the %s side %v is %v; the %s side of %s must be concave", rname, b, b.curv, rname, op)
		}
	case conEq:
		for i, e := range as {
			if e.curv > Affine {
				return fail(ErrNotDCP, "the %s side %v is %v; both sides of == must be affine", [2]string{"left", "right"}[i], e, e.curv)
			}
		}
	case conSOC:
		for _, e := range as {
			if e.curv > Affine {
				return fail(ErrNotDCP, "%v is %v; SOC needs affine arguments", e, e.curv)
			}
		}
	case conPSD:
		for _, e := range as {
			if e.curv > Affine {
				return fail(ErrNotDCP, "%v is %v; ≽ needs affine sides", e, e.curv)
			}
		}
	}
	return c
}

// Le returns the constraint e ≤ o (elementwise, scalars broadcast).
func (e *Expr) Le(o Expression) *Constraint { return newConstraint(conLe, "Le", e, o, false) }

// Ge returns the constraint e ≥ o.
func (e *Expr) Ge(o Expression) *Constraint { return newConstraint(conLe, "Ge", o, e, true) }

// Eq returns the constraint e == o.
func (e *Expr) Eq(o Expression) *Constraint { return newConstraint(conEq, "Eq", e, o, false) }

// Succeq returns the constraint e ≽ o: the symmetric part of e − o is
// positive semidefinite (a PSD cone on its lower triangle).
func (e *Expr) Succeq(o Expression) *Constraint { return newConstraint(conPSD, "Succeq", e, o, false) }

// Preceq returns e ≼ o, that is o ≽ e.
func (e *Expr) Preceq(o Expression) *Constraint {
	return newConstraint(conPSD, "Preceq", o, e, false)
}

// SOC returns the second-order cone constraint ‖x‖₂ ≤ t for an affine
// scalar t and an affine x (all entries).
func SOC(t, x Expression) *Constraint { return newConstraint(conSOC, "SOC", t, x, false) }

// Objective is Minimize(e) or Maximize(e).
type Objective struct {
	e   *Expr
	max bool
	err error
}

// Minimize returns the objective of minimizing a convex scalar e.
func Minimize(e Expression) Objective { return objective(e, false) }

// Maximize returns the objective of maximizing a concave scalar e.
func Maximize(e Expression) Objective { return objective(e, true) }

func objective(x Expression, max bool) Objective {
	what := "Minimize"
	if max {
		what = "Maximize"
	}
	as, err := operands(what, x)
	if err != nil {
		return Objective{err: err}
	}
	e := as[0]
	o := Objective{e: e, max: max}
	switch {
	case e.Size() != 1:
		o.err = fmt.Errorf("%w: %s(%v): the objective is %s, not a scalar", ErrDims, what, e, shapeStr(e))
	case !max && !e.curv.isConvex():
		o.err = fmt.Errorf("%w: Minimize(%v): the objective is %v; Minimize needs it convex", ErrNotDCP, e, e.curv)
	case max && !e.curv.isConcave():
		o.err = fmt.Errorf("%w: Maximize(%v): the objective is %v; Maximize needs it concave", ErrNotDCP, e, e.curv)
	}
	return o
}

// Problem is a parametrized convex problem, canonicalized once (at
// NewProblem) to the cone program of package solvers/cone,
//
//	minimize ½xᵀQx + pᵀx  subject to  Ax + s = b,  s ∈ K,
//
// whose data (Q, p, A, b) is an affine map of the parameters θ with a
// fixed sparsity pattern. A Problem is safe for concurrent use by
// SolveParams (Solve reads the parameters' values set by SetValue).
type Problem struct {
	obj   Objective
	cons  []*Constraint
	vars  []*Variable
	pars  []*Parameter
	poff  []int // offset of each parameter in θ
	np    int   // len(θ)
	vlin  [][]term
	canon canonical
	prep  *preparedCache // the cone solver's pattern work, shared by the solves
}

// NewProblem checks the DCP and DPP rules on the model and canonicalizes
// it. Errors (matching ErrNotDCP, ErrNotDPP, ErrDims, ErrInvalid, ErrNaN)
// name the offending sub-expression; NewProblem never panics on a model.
func NewProblem(obj Objective, cons ...*Constraint) (pb *Problem, err error) {
	defer func() {
		if r := recover(); r != nil {
			pb, err = nil, fmt.Errorf("%w: internal error canonicalizing the model: %v", ErrInvalid, r)
		}
	}()
	if obj.err != nil {
		return nil, obj.err
	}
	if obj.e == nil {
		return nil, fmt.Errorf("%w: no objective (use Minimize or Maximize)", ErrInvalid)
	}
	for i, c := range cons {
		if c == nil {
			return nil, fmt.Errorf("%w: constraint %d is nil", ErrInvalid, i)
		}
		if c.err != nil {
			return nil, fmt.Errorf("constraint %d: %w", i, c.err)
		}
	}
	pb = &Problem{obj: obj, cons: cons, prep: &preparedCache{}}
	pb.collect()
	if len(pb.vars) == 0 {
		return nil, fmt.Errorf("%w: the problem has no variable (its value is %v: evaluate it instead of solving)", ErrInvalid, obj.e)
	}
	if err := pb.build(); err != nil {
		return nil, err
	}
	return pb, nil
}

// valid reports a nil Problem or one not built by NewProblem.
func (pb *Problem) valid() error {
	if pb == nil || pb.obj.e == nil || pb.canon.k == nil {
		return fmt.Errorf("%w: Problem not built by NewProblem", ErrInvalid)
	}
	return nil
}

// collect lists the variables and parameters in order of first appearance
// (objective, then constraints, depth first).
func (pb *Problem) collect() {
	seenV := map[*Variable]bool{}
	seenP := map[*Parameter]bool{}
	seen := map[*Expr]bool{}
	var walk func(e *Expr)
	walk = func(e *Expr) {
		if seen[e] {
			return
		}
		seen[e] = true
		switch e.op {
		case opVar:
			if !seenV[e.v] {
				seenV[e.v] = true
				pb.vars = append(pb.vars, e.v)
			}
		case opParam:
			if !seenP[e.par] {
				seenP[e.par] = true
				pb.pars = append(pb.pars, e.par)
			}
		}
		for _, a := range e.args {
			walk(a)
		}
	}
	walk(pb.obj.e)
	for _, c := range pb.cons {
		for _, a := range c.args {
			walk(a)
		}
	}
	pb.poff = make([]int, len(pb.pars))
	for i, p := range pb.pars {
		pb.poff[i] = pb.np
		pb.np += p.rows * p.cols
	}
}

// Variables returns the variables of the problem in the order of z.
func (pb *Problem) Variables() []*Variable {
	if pb == nil {
		return nil
	}
	return append([]*Variable(nil), pb.vars...)
}

// Parameters returns the parameters in the order of θ.
func (pb *Problem) Parameters() []*Parameter {
	if pb == nil {
		return nil
	}
	return append([]*Parameter(nil), pb.pars...)
}

// Constraints returns the constraints.
func (pb *Problem) Constraints() []*Constraint {
	if pb == nil {
		return nil
	}
	return append([]*Constraint(nil), pb.cons...)
}

// NumParams returns len(θ), the total number of parameter entries.
func (pb *Problem) NumParams() int {
	if pb == nil {
		return 0
	}
	return pb.np
}

// ParamOffset returns the offset of p's entries in θ (column-major), or −1
// if p is not a parameter of the problem.
func (pb *Problem) ParamOffset(p *Parameter) int {
	if pb == nil {
		return -1
	}
	for i, q := range pb.pars {
		if q == p {
			return pb.poff[i]
		}
	}
	return -1
}

// Theta returns the parameters' current values as θ; ErrInvalid names a
// parameter without a value.
func (pb *Problem) Theta() ([]float64, error) {
	if err := pb.valid(); err != nil {
		return nil, err
	}
	th := make([]float64, pb.np)
	for i, p := range pb.pars {
		v := p.Value()
		if v == nil {
			return nil, fmt.Errorf("%w: parameter %s has no value (SetValue)", ErrInvalid, p.name)
		}
		copy(th[pb.poff[i]:], v)
	}
	return th, nil
}

// checkTheta validates θ (length, finiteness, attributes).
func (pb *Problem) checkTheta(theta []float64) error {
	if len(theta) != pb.np {
		return fmt.Errorf("%w: θ has %d entries, the problem's parameters %d", ErrDims, len(theta), pb.np)
	}
	for i, p := range pb.pars {
		if err := p.check(theta[pb.poff[i] : pb.poff[i]+p.rows*p.cols]); err != nil {
			return err
		}
	}
	return nil
}

// String describes the problem and the size of its cone program.
func (pb *Problem) String() string {
	if pb.valid() != nil {
		return "<invalid problem>"
	}
	var b strings.Builder
	w := "minimize"
	if pb.obj.max {
		w = "maximize"
	}
	fmt.Fprintf(&b, "%s %v\n", w, pb.obj.e)
	for _, c := range pb.cons {
		fmt.Fprintf(&b, "  s.t. %v\n", c)
	}
	n, m := pb.canon.n, pb.canon.m
	fmt.Fprintf(&b, "cone program: %d variables, %d rows, nnz(Q) %d, nnz(A) %d, %d parameter entries, %d map entries",
		n, m, len(pb.canon.qIdx), len(pb.canon.aIdx), pb.np, len(pb.canon.mapVal))
	return b.String()
}

// ConeProblem returns the canonical cone program at θ (fresh matrices the
// caller owns): its data is the affine map of the parameters evaluated
// in O(nnz).
func (pb *Problem) ConeProblem(theta []float64) (*cone.Problem, error) {
	if err := pb.valid(); err != nil {
		return nil, err
	}
	if err := pb.checkTheta(theta); err != nil {
		return nil, err
	}
	return pb.canon.problem(theta)
}

// Layout of the cone program's data vector d, in the order of the
// derivatives of the cone solver: d = (values of Q's stored upper
// triangle, p, values of A's stored entries, b), each in the storage
// order of the matrices ConeProblem returns. The map is d = M θ + d₀.
func (pb *Problem) dataLen() int { return pb.canon.nd }

// MapApply sets dst (length of the cone data) to M·dθ, the derivative of
// the cone data in the direction dθ.
func (pb *Problem) mapApply(dst, dtheta []float64) { pb.canon.apply(dst, dtheta) }

// mapApplyT adds Mᵀu to dst (length len(θ)).
func (pb *Problem) mapApplyT(dst, u []float64) { pb.canon.applyT(dst, u) }
