// Package lp solves linear programs with their dual solutions, and
// smoothed variants whose solutions can be differentiated.
//
// # Problem
//
//	minimize cᵀx   subject to   Ax = b,   Gx ≤ h,   l ≤ x ≤ u.
//
// [Solve] reuses the primal-dual interior point of package qp with Q = 0
// (the bounds become rows of G), so it returns the multipliers ν, λ and
// the bound multipliers with the primal solution, detects infeasible and
// unbounded programs ([ErrInfeasible], [ErrUnbounded]) and accepts
// redundant or duplicated constraints. gonum's simplex
// (gonum.org/v1/gonum/optimize/convex/lp), which returns no duals, is the
// reference of the tests. [SolveBatch] solves many programs on all cores.
// Near convergence the interior point polishes its iterate on the guessed
// active set, so a unique optimal vertex is returned to rounding accuracy
// (at ties, a point of the optimal face).
//
// # Derivatives
//
// The solution x*(c) of an LP is piecewise constant in the cost c (it
// jumps from vertex to vertex), so its derivative with respect to c is
// zero wherever it exists and undefined where the optimal face is not a
// vertex. Two smoothings give informative derivatives:
//
//   - Quadratic regularization (Wilder, Dilkina & Tambe 2019):
//     minimize cᵀx + γ/2‖x‖², a strongly convex QP whose solution is
//     Lipschitz in c; Settings.Quadratic = γ.
//   - Log-barrier smoothing (Mandi & Guns 2020): stop the interior point
//     on the central path at barrier weight μ, that is, solve
//     minimize cᵀx − μ Σᵢ log(hᵢ − gᵢᵀx) (bounds included) s.t. Ax = b,
//     whose solution is smooth in all the data; Settings.Barrier = μ.
//
// [Solution.Backward] differentiates either exactly with the KKT
// factorization of the final iterate (see package qp). A Solution is an
// implicit.Differentiable, the module's one contract: its Condition is
// the LP's KKT system with z = (x, ν, λ, μ_u, μ_l) and the flat
// parameters θ of [Layout] (c, A, b, G, h and the finite bounds, with
// typed accessors), and VJP and JVP apply the same factorization to any
// cotangent of z and any direction of θ. A third
// smoothing, the perturbed optimizer E[argmin (c + εZ)ᵀx] of Berthet et
// al. (2020), is in package solvers/perturbed; it needs only an [Oracle],
// the function shape func(dst, cost []float64) error returned by
// [NewOracle] for a fixed polytope.
//
// References:
//   - B. Wilder, B. Dilkina, M. Tambe, "Melding the Data-Decisions
//     Pipeline: Decision-Focused Learning for Combinatorial
//     Optimization", AAAI 2019.
//   - J. Mandi, T. Guns, "Interior Point Solving for LP-based
//     prediction+optimisation", NeurIPS 2020.
//   - Q. Berthet et al., "Learning with Differentiable Perturbed
//     Optimizers", NeurIPS 2020.
package lp
