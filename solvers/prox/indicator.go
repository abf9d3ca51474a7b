package prox

import (
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
// Operator with no parameters (p = 0): prox_{ηι_C} = P for every η, and
// its Jacobian is the projection's. Use it to run FISTA on constrained
// problems min f(x) s.t. x ∈ C and to differentiate their solutions
// through [Condition].
//
// Operator methods cannot return errors: if the projection fails (for
// example on an input of the wrong length) the output is filled with NaN,
// which the solvers and the implicit engine report as errors. Value
// accepts points within a relative 1e-9 of C.
func Indicator(p Projector) Operator { return indicator{p} }

type indicator struct{ p Projector }

func (ind indicator) NumParams(int) int { return 0 }

func (ind indicator) Check(_ int, theta []float64) error { return checkLen("Indicator", theta, 0) }

func (ind indicator) Value(x, _ []float64) float64 {
	px := make([]float64, len(x))
	if ind.p.Project(px, x) != nil {
		return math.Inf(1)
	}
	var d, s float64
	for i := range x {
		d = math.Max(d, math.Abs(px[i]-x[i]))
		s = math.Max(s, math.Abs(x[i]))
	}
	if d > 1e-9*math.Max(1, s) {
		return math.Inf(1)
	}
	return 0
}

func (ind indicator) Prox(dst, v, _ []float64, _ float64) {
	if err := ind.p.Project(dst, v); err != nil {
		for i := range dst {
			dst[i] = math.NaN()
		}
	}
}

func (ind indicator) Jacobian(v, _ []float64, _ float64) (linsolve.Operator, linsolve.Operator) {
	n := len(v)
	y := append([]float64(nil), v...)
	x := make([]float64, n)
	ind.Prox(x, y, nil, 1)
	nanFill := func(dst []float64, err error) {
		if err != nil {
			for i := range dst {
				dst[i] = math.NaN()
			}
		}
	}
	dv := linsolve.NewFunc(n, n, func(dst, z []float64) {
		nanFill(dst, ind.p.JVP(dst, x, y, z))
	}, func(dst, u []float64) {
		nanFill(dst, ind.p.VJP(dst, x, y, u))
	})
	return dv, linsolve.Zero{Rows: n, Cols: 0}
}
