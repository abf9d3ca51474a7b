package project

import (
	"context"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Errors returned by the package; wrapped errors match with errors.Is.
var (
	// ErrDims reports vectors of mismatched or zero length.
	ErrDims = errors.New("project: dimension mismatch")
	// ErrNaN reports NaN or Inf in a vector (or NaN in a set parameter).
	ErrNaN = errors.New("project: NaN or Inf in input")
	// ErrInvalid reports an invalid set parameter or argument: a
	// non-positive radius, a zero normal vector, non-positive weights, a
	// nil matrix or set, a step η outside (0, 2), a user's Set that
	// panicked when the package called it (row batches, conditions).
	ErrInvalid = errors.New("project: invalid set parameter")
	// ErrInfeasible reports an empty set: crossed bounds of a box or box
	// section (Lower > Upper, Lower = +∞, Upper = −∞), a box section whose
	// value lies outside the range the box allows, transport marginals of
	// different masses, or Ax = b without solution.
	ErrInfeasible = errors.New("project: empty set")
	// ErrNotConverged reports an iterative projection (Transport,
	// Polyhedron) that stopped before its result was in the set to the
	// tolerance (Transport leaves the last iterate in dst).
	ErrNotConverged = errors.New("project: not converged")
)

// Set is a nonempty closed convex set C ⊂ Rⁿ (or one of the non-convex
// sets L2Sphere, L1Sphere, SparseSimplex) with its Euclidean projection
//
//	P(y) = argmin_{x ∈ C} ½‖x − y‖²
//
// and the derivative of P. P is 1-Lipschitz and differentiable almost
// everywhere; where it is differentiable its Jacobian ∂P(y) is symmetric
// (P is the gradient of the convex function ½‖y‖² − ½dist(y, C)²), so JVP
// and VJP compute the same products. At a kink (a point where P is not
// differentiable, listed on each type) both return one element of the
// Clarke generalized Jacobian, documented on the type.
//
// Project sets dst to P(y). JVP sets dst to ∂P(y) v and VJP to ∂P(y)ᵀ u,
// where x = P(y) must have been computed by Project; implementations read
// whichever of x and y is cheaper. All vectors have the same length n
// (fixed by the set for sets with vector parameters, free otherwise).
// dst may alias y in Project and v (or u) in JVP (or VJP); no other
// aliasing is allowed. A Set is safe for concurrent use as long as its
// parameters are not modified.
type Set interface {
	Project(dst, y []float64) error
	JVP(dst, x, y, v []float64) error
	VJP(dst, x, y, u []float64) error
}

// checkProject validates Project arguments.
func checkProject(dst, y []float64) error {
	if len(y) == 0 || len(dst) != len(y) {
		return fmt.Errorf("%w: len(dst) = %d, len(y) = %d", ErrDims, len(dst), len(y))
	}
	if !finite(y) {
		return fmt.Errorf("%w: y", ErrNaN)
	}
	return nil
}

// checkProduct validates JVP/VJP arguments.
func checkProduct(dst, x, y, v []float64) error {
	n := len(v)
	if n == 0 || len(dst) != n || len(x) != n || len(y) != n {
		return fmt.Errorf("%w: len(dst) = %d, len(x) = %d, len(y) = %d, len(v) = %d",
			ErrDims, len(dst), len(x), len(y), n)
	}
	if !finite(v) {
		return fmt.Errorf("%w: tangent or cotangent", ErrNaN)
	}
	if !finite(x) || !finite(y) {
		return fmt.Errorf("%w: x or y", ErrNaN)
	}
	return nil
}

// checkOutput reports an overflow in a computed result (inputs are
// finite, but an intermediate or the result itself may exceed the float64
// range, for example a hyperplane with a tiny normal and a huge offset).
func checkOutput(x []float64) error {
	if !finite(x) {
		return fmt.Errorf("%w: result overflows float64", ErrNaN)
	}
	return nil
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func checkRadius(name string, r float64) error {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return fmt.Errorf("%w: %s radius %v", ErrNaN, name, r)
	}
	if r <= 0 {
		return fmt.Errorf("%w: %s radius %v ≤ 0", ErrInvalid, name, r)
	}
	return nil
}

// sameStart reports whether a and b start at the same address.
func sameStart(a, b []float64) bool {
	return len(a) > 0 && len(b) > 0 && unsafe.SliceData(a) == unsafe.SliceData(b)
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Condition returns the optimality condition of the projection onto c as
// a fixed point of one projected-gradient step on ½‖x − y‖² with step η:
//
//	F(x, y) = P(x − η(x − y)) − x = 0,   θ = y ∈ Rⁿ,
//
// with ∂ₓF = (1 − η) ∂P(z) − I and ∂_yF = η ∂P(z) at z = x − η(x − y). Its
// solution is x = P(y) for every η ∈ (0, 2) when the set is convex (for
// the non-convex spheres and sparse simplex, use η ∈ (0, 1]); η = 1 gives
// the trivial condition P(y) − x. Pass it to package implicit (implicit.VJP, JVP,
// Jacobian, Check) to differentiate a projection through the generic
// engine, for example inside a larger condition; the closed-form JVP and
// VJP of c are faster and give the same result. A nil c, n < 1 or η
// outside (0, 2) (or NaN) is an error matching ErrInvalid.
//
// Residual and the operators cannot return errors: on invalid input they
// write NaN, which the engine reports as implicit.ErrNaN.
func Condition(c Set, n int, eta float64) (implicit.Condition, error) {
	if err := checkCondition(c == nil, n, eta); err != nil {
		return nil, err
	}
	return &condition{set: safeSet{c}, n: n, eta: eta}, nil
}

// safeSet calls a Set (possibly a user's implementation) and returns a
// panic in it as an error matching ErrInvalid, for the functions of this
// package that drive a Set on the caller's behalf (conditions, operators,
// row batches).
type safeSet struct{ s Set }

func recoverSet(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: the set panicked: %v", ErrInvalid, v)
	}
}

func (p safeSet) Project(dst, y []float64) (err error) {
	defer recoverSet(&err)
	return p.s.Project(dst, y)
}

// contextProjector is a set whose projection can be cancelled
// (Polyhedron).
type contextProjector interface {
	ProjectContext(ctx context.Context, dst, y []float64) error
}

// ProjectContext uses the set's ProjectContext when it has one.
func (p safeSet) ProjectContext(ctx context.Context, dst, y []float64) (err error) {
	defer recoverSet(&err)
	if c, ok := p.s.(contextProjector); ok {
		return c.ProjectContext(ctx, dst, y)
	}
	return p.s.Project(dst, y)
}

func (p safeSet) JVP(dst, x, y, v []float64) (err error) {
	defer recoverSet(&err)
	return p.s.JVP(dst, x, y, v)
}

func (p safeSet) VJP(dst, x, y, u []float64) (err error) {
	defer recoverSet(&err)
	return p.s.VJP(dst, x, y, u)
}

// safeParam is safeSet for a Parametric set.
type safeParam struct {
	safeSet
	p Parametric
}

func (p safeParam) Params() []float64 {
	th, _ := p.params()
	return th
}

func (p safeParam) params() (th []float64, err error) {
	defer recoverSet(&err)
	return p.p.Params(), nil
}

func (p safeParam) WithParams(theta []float64) (q Parametric, err error) {
	defer recoverSet(&err)
	q, err = p.p.WithParams(theta)
	if err != nil || q == nil {
		if err == nil {
			err = fmt.Errorf("%w: WithParams returned a nil set", ErrInvalid)
		}
		return nil, err
	}
	return safeParam{safeSet{q}, q}, nil
}

func (p safeParam) ParamJVP(dst, x, y, dtheta []float64) (err error) {
	defer recoverSet(&err)
	return p.p.ParamJVP(dst, x, y, dtheta)
}

func (p safeParam) ParamVJP(dst, x, y, u []float64) (err error) {
	defer recoverSet(&err)
	return p.p.ParamVJP(dst, x, y, u)
}

func checkCondition(nilSet bool, n int, eta float64) error {
	if nilSet {
		return fmt.Errorf("%w: nil set", ErrInvalid)
	}
	if n < 1 {
		return fmt.Errorf("%w: condition of dimension n = %d", ErrInvalid, n)
	}
	if !(eta > 0 && eta < 2) {
		return fmt.Errorf("%w: step η = %v outside (0, 2)", ErrInvalid, eta)
	}
	return nil
}

type condition struct {
	set Set
	n   int
	eta float64
}

func (c *condition) Dims() (int, int) { return c.n, c.n }

func (c *condition) point(z, x, y []float64) {
	for i := range z {
		z[i] = x[i] - c.eta*(x[i]-y[i])
	}
}

func fillNaN(x []float64) {
	for i := range x {
		x[i] = math.NaN()
	}
}

func (c *condition) Residual(dst, x, y []float64) {
	if len(dst) != c.n || len(x) != c.n || len(y) != c.n {
		fillNaN(dst)
		return
	}
	z := make([]float64, c.n)
	c.point(z, x, y)
	if err := c.set.Project(dst, z); err != nil {
		fillNaN(dst)
		return
	}
	for i := range dst {
		dst[i] -= x[i]
	}
}

func (c *condition) Linearize(x, y []float64) (implicit.Operator, implicit.Operator, error) {
	n := c.n
	if len(x) != n || len(y) != n {
		return nil, nil, fmt.Errorf("%w: len(x) = %d, len(y) = %d, n = %d", ErrDims, len(x), len(y), n)
	}
	z := make([]float64, n)
	c.point(z, x, y)
	pz := make([]float64, n)
	if err := c.set.Project(pz, z); err != nil {
		return nil, nil, err
	}
	// prod is scale·∂P(z)v (JVP) or scale·∂P(z)ᵀv (VJP), minus v when
	// shift is set.
	prod := func(f func(dst, x, y, v []float64) error, scale float64, shift bool) func(dst, v []float64) {
		return func(dst, v []float64) {
			var tmp []float64
			if shift {
				tmp = append([]float64(nil), v...)
			}
			if err := f(dst, pz, z, v); err != nil {
				fillNaN(dst)
				return
			}
			for i := range dst {
				dst[i] *= scale
				if shift {
					dst[i] -= tmp[i]
				}
			}
		}
	}
	jvp := func(scale float64, shift bool) func(dst, v []float64) { return prod(c.set.JVP, scale, shift) }
	vjp := func(scale float64, shift bool) func(dst, u []float64) { return prod(c.set.VJP, scale, shift) }
	dx := linsolve.NewFunc(n, n, jvp(1-c.eta, true), vjp(1-c.eta, true))
	dy := linsolve.NewFunc(n, n, jvp(c.eta, false), vjp(c.eta, false))
	return dx, dy, nil
}

// JacobianOperator returns ∂P(y) at x = P(y) as a matrix-free operator
// (Apply is JVP, ApplyT is VJP), for use inside larger conditions of
// package implicit. The operator keeps x and y; it writes NaN on failure
// (operators cannot return errors).
func JacobianOperator(s Set, x, y []float64) implicit.Operator {
	n := len(y)
	if s == nil {
		return linsolve.NewFunc(n, n, func(dst, _ []float64) { fillNaN(dst) }, func(dst, _ []float64) { fillNaN(dst) })
	}
	s = safeSet{s}
	wrap := func(f func(dst, x, y, v []float64) error) func(dst, v []float64) {
		return func(dst, v []float64) {
			if err := f(dst, x, y, v); err != nil {
				fillNaN(dst)
			}
		}
	}
	return linsolve.NewFunc(n, n, wrap(s.JVP), wrap(s.VJP))
}
