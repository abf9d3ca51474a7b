package prox

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Projector is a closed convex set C given by its Euclidean projection P
// and the products of its Jacobian: Project sets dst = P(y), JVP sets
// dst = ∂P(y) v and VJP dst = ∂P(y)ᵀ u at x = P(y). Every project.Set of
// package solvers/project (simplex, l1 ball, l∞ ball, hyperplane,
// halfspace, affine set, polyhedron, …) satisfies it.
type Projector interface {
	Project(dst, y []float64) error
	JVP(dst, x, y, v []float64) error
	VJP(dst, x, y, u []float64) error
}

// Indicator returns the indicator function ι_C of the set of p as a prox
// Regularizer with no parameters (p = 0): prox_{ηι_C} = P for every η, and
// its Jacobian is the projection's. Use it to run FISTA on constrained
// problems min f(x) s.t. x ∈ C and to differentiate their solutions
// through [Condition].
//
// The methods check their arguments like those of the other operators
// and return the projection's error (wrapped; errors.Is still matches the
// set's own sentinel), ErrInvalid for a nil p and ErrNaN for a projection
// that is not finite. The products of the returned ∂prox/∂v cannot return
// errors: if the set's JVP or VJP fails (an input of the wrong length)
// they fill their output with NaN, which the implicit engine reports.
// Value accepts points within a relative 1e-9 of C.
func Indicator(p Projector) Regularizer { return indicator{p} }

type indicator struct{ p Projector }

func (ind indicator) NumParams(int) int { return 0 }

func (ind indicator) Check(_ int, theta []float64) error {
	if isNil(ind.p) {
		return fmt.Errorf("%w: Indicator of a nil Projector", ErrInvalid)
	}
	return checkLen("Indicator", theta, 0)
}

func (ind indicator) Value(x, theta []float64) (float64, error) {
	if err := checkValue(ind, "Indicator", x, theta); err != nil {
		return 0, err
	}
	px := make([]float64, len(x))
	if err := ind.project(px, x); err != nil {
		return 0, err
	}
	var d, s float64
	for i := range x {
		d = math.Max(d, math.Abs(px[i]-x[i]))
		s = math.Max(s, math.Abs(x[i]))
	}
	if d > 1e-9*math.Max(1, s) {
		return math.Inf(1), nil
	}
	return 0, nil
}

func (ind indicator) project(dst, v []float64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = callbackPanic("Indicator projection", r)
		}
	}()
	if err := ind.p.Project(dst, v); err != nil {
		return fmt.Errorf("prox: Indicator projection: %w", err)
	}
	if !finite(dst) {
		return fmt.Errorf("%w: Indicator projection of a finite point", ErrNaN)
	}
	return nil
}

func (ind indicator) Prox(dst, v, theta []float64, eta float64) error {
	if err := checkProx(ind, "Indicator", dst, v, theta, eta, false); err != nil {
		return err
	}
	return ind.project(dst, v)
}

func (ind indicator) Jacobian(v, theta []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(ind, "Indicator", nil, v, theta, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	y := append([]float64(nil), v...)
	x := make([]float64, n)
	if err := ind.project(x, y); err != nil {
		return nil, nil, err
	}
	nanFill := func(dst []float64, err error) {
		if err != nil {
			for i := range dst {
				dst[i] = math.NaN()
			}
		}
	}
	// A panic in the set's JVP or VJP also gives NaN (the products have
	// no error result).
	guarded := func(dst []float64, f func() error) {
		defer func() {
			if v := recover(); v != nil {
				nanFill(dst, callbackPanic("Indicator Jacobian", v))
			}
		}()
		nanFill(dst, f())
	}
	dv := linsolve.NewFunc(n, n, func(dst, z []float64) {
		guarded(dst, func() error { return ind.p.JVP(dst, x, y, z) })
	}, func(dst, u []float64) {
		guarded(dst, func() error { return ind.p.VJP(dst, x, y, u) })
	})
	return dv, linsolve.Zero{Rows: n, Cols: 0}, nil
}
