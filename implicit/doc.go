// Package implicit differentiates the solution of an optimality condition
// by the implicit function theorem.
//
// Many solvers return a point x* that satisfies a condition
//
//	F(x*, θ) = 0,   F: Rⁿ × Rᵖ → Rⁿ,
//
// for instance a gradient that vanishes, a fixed point x = T(x, θ) of a
// proximal or projection map, or the KKT conditions of a constrained
// problem. When A = ∂ₓF(x*, θ) is nonsingular, x*(θ) is differentiable and
//
//	∂x*/∂θ = −A⁻¹ B,   B = ∂θF(x*, θ).
//
// The engine never forms ∂x*/∂θ unless asked. Reverse mode ([VJP]) maps a
// cotangent g on x* to
//
//	gθ = −Bᵀ u,   Aᵀ u = g,
//
// one linear solve with Aᵀ whatever p is; forward mode ([JVP]) maps a
// direction dθ to
//
//	dx = −A⁻¹ (B dθ),
//
// one solve with A whatever n is. [Jacobian] forms the dense n×p matrix by
// whichever of the two needs fewer solves.
//
// A [Condition] gives F and its linearization as two matrix-free
// operators. When the ∂ₓF operator also implements
// [linsolve.Factorized] (a QP's KKT factorization, a Cholesky factor of a
// Hessian), the engine solves with it directly, so the factorization
// computed in a forward solve is reused in the backward pass. Otherwise
// [Settings].Method picks a dense factorization or a Krylov method of
// package [linsolve]; the default (Auto) chooses a dense LU up to n = 200
// for matrix-free operators and n = 1000 for explicit matrices, GMRES
// above, and falls back to a dense LU when GMRES fails (the crossover is
// measured in BENCHMARKS.md, section implicit).
//
// Conditions written without derivatives are wrapped by [Numerical], which
// differentiates F by central finite differences (error O(h²) with
// h = ε^{1/3}·max(1, |x|), about 1e-10 relative for smooth F of unit scale);
// [Check] compares any condition's Linearize with central differences and
// reports the worst relative error. [FixedPoint] builds the condition
// F = T(x, θ) − x from a map T. [Problem] ties a solver function to its
// condition, so a solver is written once and yields its solution, VJP, JVP
// and Jacobian.
//
// References:
//   - M. Blondel, Q. Berthet, M. Cuturi, R. Frostig, S. Hoyer,
//     F. Llinares-López, F. Pedregosa, J.-P. Vert, "Efficient and Modular
//     Implicit Differentiation", NeurIPS 2022.
//   - A. L. Dontchev, R. T. Rockafellar, Implicit Functions and Solution
//     Mappings, Springer 2014 (the theorem and its nonsmooth extensions).
//
// Bad input comes back as an error, never as a panic: shapes as [ErrDims],
// NaN or Inf as [ErrNaN], a nil or incomplete condition, a nil Solver or
// invalid settings as [ErrInvalid], and a panic in user code (a
// condition's closures, an operator's products, a Numerical residual, a
// Problem's Solver) as [ErrCallback], which wraps the recovered value. A
// condition with n = 0 unknowns has the empty solution and zero
// derivatives.
package implicit
