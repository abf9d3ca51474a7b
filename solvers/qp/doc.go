// Package qp solves dense convex quadratic programs and differentiates
// their solutions with respect to all the problem data.
//
// # Problem
//
//	minimize ½xᵀQx + pᵀx   subject to   Ax = b,   Gx ≤ h,
//
// with x ∈ Rⁿ, Q ⪰ 0 (positive semidefinite: Q = 0 gives a linear
// program), p equality and m inequality constraints. Problems with only
// equalities, only inequalities or no constraints, and redundant or
// duplicated constraints are accepted.
//
// # Solver
//
// [Solve] runs a primal-dual interior point method with Mehrotra's
// predictor-corrector on the KKT conditions with slacks s = h − Gx:
//
//	Qx + p + Aᵀν + Gᵀλ = 0,   Ax = b,   Gx + s = h,   s ∘ λ = 0,   s, λ ≥ 0.
//
// Each iteration solves twice the Newton system
//
//	⎡Q  Aᵀ  Gᵀ⎤ ⎡Δx⎤   ⎡r₁⎤
//	⎢A  0   0 ⎥ ⎢Δν⎥ = ⎢r₂⎥,   W = diag(s/λ),
//	⎣G  0  −W ⎦ ⎣Δλ⎦   ⎣r₃⎦
//
// with one factorization. Two reductions are used, whichever is cheaper:
//
//   - when Q ≻ 0, the change of variables a = Lᵀx with Q = LLᵀ (one Cholesky
//     factorization) turns the problem into min ½‖a‖² + (L⁻¹p)ᵀa subject to
//     (CL⁻ᵀ)a ⋚ (b, h), C = [A; G], with the same multipliers; each
//     iteration then factorizes only the (p+m)×(p+m) matrix
//     Z Zᵀ + diag(0, W), Z = CL⁻ᵀ (Z Zᵀ is formed once), and does no n×n
//     work at all;
//   - otherwise λ is eliminated and H = Q + Gᵀ W⁻¹ G (n×n), then A H⁻¹ Aᵀ,
//     are factorized each iteration.
//
// The dense work (Cholesky factorizations, the triangular solve CL⁻ᵀ, Gram
// matrices, matrix–vector products) runs on the row-major kernels of
// internal/dense: AVX/FMA assembly on amd64 with a pure-Go fallback, 3–4×
// faster than gonum's BLAS on these shapes.
//
// Constraint rows of very different magnitudes (mixed units: a row in
// grams beside one in tonnes) are equilibrated first when their ∞-norms
// spread over more than a factor 64: each row of A and G, with its entry
// of b or h, is multiplied by a power of two that brings its ∞-norm into
// [1/√2, √2). Powers of two scale exactly, so x* is unchanged, and the
// multipliers and slacks are mapped back (ν = e∘ν̃, λ = e∘λ̃, s = s̃/e);
// the derivatives are those of the problem as given. Without it a row
// scaled by 10⁶ dominates every residual and the iteration stalls.
//
// Tiny static regularization keeps the factorizations defined for
// singular Q, rank-deficient or duplicated constraints, and iterative
// refinement against the unregularized system restores the accuracy.
//
// Near the solution the iterate is polished, as in OSQP: constraints with
// λᵢ > sᵢ are taken as active, one Newton step solves the KKT system of
// the equality-constrained problem they define, and the result is kept
// if it is primal and dual feasible with smaller residuals. This removes
// the O(μ) bias of the interior point (the KKT residuals of a polished
// solution are at rounding level, typically 1e-14) and makes derivatives
// exact when the guessed active set is right; it also saves the last
// iterations.
//
// Convergence is declared when the primal and dual residuals are below
// Settings.Tol relative to the data scale and every λᵢsᵢ is below Tol; the
// returned [Residuals] are recomputed from (x, ν, λ) and the data. When the
// iteration stalls, diverges or hits its limit, two auxiliary problems
// decide why: the always-solvable phase-one problem
// min ½‖u‖² + ½‖v‖² s.t. Ax − u = b, Gx − v ≤ h proves infeasibility
// ([ErrInfeasible]) when its optimal violation is positive, and the linear
// program min pᵀd s.t. Qd = 0, Ad = 0, Gd ≤ 0, ‖d‖∞ ≤ 1 finds a
// recession direction proving unboundedness ([ErrUnbounded]). Otherwise
// the best iterate is returned with [ErrNotConverged].
//
// # Derivatives
//
// At a unique solution with strict complementarity (every active
// constraint has λᵢ > 0, every inactive one sᵢ > 0) and linearly
// independent active constraints, z* = (x*, ν*, λ*) is a differentiable
// function of θ = (Q, p, A, b, G, h) and, differentiating the KKT
// conditions as in OptNet (Amos & Kolter 2017, eq. (6)–(8)),
//
//	⎡Q   Aᵀ  Gᵀ ⎤ ⎡dx⎤     ⎡dQ x + dp + dAᵀν + dGᵀλ⎤
//	⎢A   0   0  ⎥ ⎢dν⎥ = − ⎢dA x − db              ⎥
//	⎣ΛG  0   −S ⎦ ⎣dλ⎦     ⎣Λ(dG x − dh)           ⎦
//
// Dividing the last block row by λ gives the symmetric matrix K of the
// Newton system above with W = s/λ at the solution, so both modes reuse
// the solver's factorization: [Solution.Backward] (reverse mode) solves
// K w = (gx, gν, gλ) once and returns
//
//	∇Q = −½(wx xᵀ + x wxᵀ),  ∇p = −wx,  ∇A = −(ν wxᵀ + wν xᵀ),  ∇b = wν,
//	∇G = −(λ wxᵀ + wλ xᵀ),   ∇h = wλ,
//
// and [Solution.Forward] (forward mode) solves one system per direction.
// At weakly active constraints (λᵢ = sᵢ = 0) the solution map is not
// differentiable; the result is then one element of its generalized
// Jacobian, and it changes abruptly across such points. In the primal
// reduction (Q singular, or many more constraints than variables) the
// derivatives use a dense LU of the KKT matrix in which only the inactive
// constraints are eliminated, since eliminating λ everywhere would divide
// by the vanishing W of the active ones.
//
// The same KKT conditions are available as an implicit.Condition,
// [KKTCondition], over z = (x, ν, λ) and the flat parameter vector θ of
// [Layout]; implicit.VJP on it agrees with Backward (a test checks it, and
// both against central finite differences).
//
// # Smoothing linear programs
//
// With Settings.Barrier = μ > 0 the interior point stops on the central
// path, λᵢsᵢ = μ, at the solution of the log-barrier problem
// min ½xᵀQx + pᵀx − μ Σ log(hᵢ − gᵢᵀx) s.t. Ax = b. For a linear program,
// whose solution is piecewise constant in the cost, this gives a smooth
// surrogate with informative derivatives (Mandi & Guns 2020); Backward
// and Forward differentiate it exactly, since λ∘s = μ linearizes to the
// same matrix K.
//
// # Coming from qpth or cvxpylayers
//
// qpth's QPFunction()(Q, p, G, h, A, b) on a batch is [SolveBatch] on a
// slice of [Problem] followed, in the backward pass, by [BackwardBatch]
// with the cotangents of x*; [Gradient] holds ∂ℓ/∂Q, ∂ℓ/∂p, ∂ℓ/∂A, ∂ℓ/∂b,
// ∂ℓ/∂G and ∂ℓ/∂h. Unlike qpth, Q may be singular (including zero),
// infeasible and unbounded problems are reported as errors instead of
// returning garbage, every solution carries its KKT residuals, and
// cotangents on the multipliers ν*, λ* are accepted. Forward-mode
// derivatives (as in DiffOpt.jl) are [Solution.Forward].
//
// # Batches and shared matrices
//
// [SolveBatch] and [BackwardBatch] spread independent instances over
// goroutines; every instance is computed by one goroutine with its own
// memory, so results do not depend on the number of workers. Instances
// whose Q, A and G are the same matrices (an OptNet layer with fixed
// constraints) share the work that depends only on them: SolveBatch finds
// them by pointer, and [Prepare] does it explicitly, returning a
// [Prepared] whose Solve takes only p, b and h (it is what the QP layer of
// package layers built with NewQP uses).
//
// References:
//   - B. Amos, J. Z. Kolter, "OptNet: Differentiable Optimization as a
//     Layer in Neural Networks", ICML 2017.
//   - S. Mehrotra, "On the Implementation of a Primal-Dual Interior Point
//     Method", SIAM J. Optim. 2(4), 1992.
//   - J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed., ch. 16
//     (interior-point methods for QP).
//   - L. Vandenberghe, "The CVXOPT linear and quadratic cone program
//     solvers", 2010 (initial point, KKT reductions).
//   - J. Mandi, T. Guns, "Interior Point Solving for LP-based
//     prediction+optimisation", NeurIPS 2020.
//   - B. Stellato, G. Banjac, P. Goulart, A. Bemporad, S. Boyd, "OSQP: an
//     operator splitting solver for quadratic programs", Math. Prog.
//     Comp. 12, 2020 (solution polishing).
package qp
