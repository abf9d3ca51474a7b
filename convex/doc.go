// Package convex is a parametrized convex modelling layer: problems
// written with variables, parameters, affine expressions and atoms, checked
// against the rules of disciplined convex programming, canonicalized once
// to the cone program of package solvers/cone, and differentiated with
// respect to their parameters.
package convex
