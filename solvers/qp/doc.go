// Package qp solves convex quadratic programs, dense (Solve, batches of
// small problems) and sparse (SolveSparse, up to 10⁵ variables and more),
// and differentiates their solutions with respect to all the problem
// data.
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
// # Status: what Optimal means
//
// Status [Optimal] (and a nil error) is granted by one acceptance test on
// the returned point, never by the iteration's own bookkeeping: the
// primal residual, the dual residual and the duality gap,
//
//	max(‖Ax − b‖∞, max(Gx − h)₊),   ‖Qx + p + Aᵀν + Gᵀλ‖∞,   |xᵀQx + pᵀx + bᵀν + hᵀλ|,
//
// recomputed from (x, ν, λ) and the user's data, must each be at most
// Settings.Tol, relative to the largest term of that residual (as PIQP and
// Clarabel do) or, with Settings.Absolute, absolutely (the rule of the
// public QP benchmark, OSQP's eps_abs with eps_rel = 0). The residuals
// are evaluated in double precision with a bound on their rounding error;
// a verdict within that bound is re-decided on residuals recomputed in
// double-double arithmetic (error-free transformations, Ogita, Rump &
// Oishi 2005), so a gap of 10⁻⁹ between objective terms of 10⁷ that cancel
// is judged on its exact value. [Solution.Residuals] holds the residuals
// the verdict rests on. A point that fails is returned with
// [ErrNotConverged] and an error naming each test, its value and its
// bound.
//
// # Two paths
//
// Solve first runs the interior point described above. When its result
// does not pass the acceptance test (singular Q with a regularization
// that grows like 1/μ, nearly dependent constraints, data spread over many
// orders of magnitude), it solves the problem again by a proximal interior
// point (PIQP's method, Schwan et al. 2023: the proximal method of
// multipliers with its centers at the iterate, so that the Newton matrix
//
//	(Q + ρI + AᵀA/δ + Gᵀ(W + δI)⁻¹G)
//
// is positive definite for any Q ⪰ 0 and any A, G, while fixed points are
// KKT points of the original problem) on the Ruiz-equilibrated problem
// (Ruiz 2001, with power-of-two factors, so that the scaled problem is the
// user's problem in other units, not a rounded copy). Near the solution
// it polishes: the constraints with λᵢ > sᵢ are taken as active and the
// KKT system of the equality-constrained problem they define is solved by
// Newton steps whose residuals are computed in double-double arithmetic,
// with the regularized factorization as a preconditioner. The P-QP
// workloads (Q ≻ 0, well scaled) never reach the second path; on the 62
// problems of the Maros–Mészáros dense subset it is what brings success at
// 10⁻⁹ from 55 % to 97 % (BENCHMARKS.md, "Maros–Mészáros").
//
// # Infeasible and unbounded problems
//
// When neither path passes, two auxiliary problems decide why, and each
// claim rests on a certificate that passed its own check on the user's
// data. The phase-one problem
// min ½‖u‖² + ½‖v‖² + ½·10⁻¹²‖x‖² s.t. Ax − u = b, Gx − v ≤ h gives
// multipliers (y, z ≥ 0); [ErrInfeasible] is returned when they are a
// Farkas certificate, t = −(bᵀy + hᵀz) > 0 with t/‖Aᵀy + Gᵀz‖₁ (a lower
// bound on ‖x‖∞ for any feasible x) above 10⁸·max(1, ‖b‖∞, ‖h‖∞). The
// linear program min pᵀd s.t. Qd = 0, Ad = 0, Gd ≤ 0, ‖d‖∞ ≤ 1 gives a
// direction; [ErrUnbounded] is returned when it is a ray with pᵀd < 0
// and Qd, Ad, (Gd)₊ zero to 10⁻⁹ of the data's scale. Otherwise the best
// iterate of the two paths is returned with [ErrNotConverged].
//
// # Convexity
//
// Q is accepted when Q + 10⁻⁵‖Q‖∞·I is positive definite: data printed
// with six or seven significant digits (as in the Maros–Mészáros set,
// where VALUES has an eigenvalue of −1.3·10⁻⁵ beside a largest of 10.8) is
// positive semidefinite only up to that level. The point returned for
// such a Q is checked like any other.
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
// and [Solution.Tangent] (forward mode) solves one system per direction.
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
// and Tangent differentiate it exactly, since λ∘s = μ linearizes to the
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
// derivatives (as in DiffOpt.jl) are [Solution.Tangent].
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
// # Training loops: reusing memory
//
// A Solution keeps copies of its problem's data and the KKT factorization
// (for Backward), and a Gradient holds dense ∂ℓ/∂Q and ∂ℓ/∂G: at n = 200
// that is about 1.4 MB per instance and step. PyTorch's allocator reuses
// such memory behind the scenes; here a loop that is done with a step's
// results calls [Solution.Release] and [Gradient.Release], and the next
// step's solves take their arrays from the released ones instead of
// asking the garbage collector for fresh pages (P-QP: 22 % less time per
// step at n = 10 and at n = 200, BENCHMARKS.md). A released value is
// emptied; using it reports ErrInvalid. The results do not depend on
// whether memory was reused.
//
// # Sparse problems
//
// [SolveSparse] takes the double-sided form of OSQP, PIQP and the QPS
// files (package mps reads them),
//
//	minimize ½xᵀQx + pᵀx   subject to   L ≤ Ax ≤ U,   LB ≤ x ≤ UB,
//
// with Q (upper triangle) and A in compressed-column form (package
// sparse); rows with L = U are equalities, infinite entries (or entries
// of magnitude 10²⁰ and more, as OSQP's 10³⁰) are absent sides, and fixed
// variables (LB = UB) become equalities. It runs the proximal interior
// point of the second dense path on the Ruiz-equilibrated data without
// forming any dense matrix: every side's slack and multiplier is
// eliminated, which leaves the quasi-definite KKT matrix
//
//	⎡Q + ρI + D_B   A_Eᵀ   A_Iᵀ ⎤
//	⎢A_E            −δI    0    ⎥
//	⎣A_I            0     −D_I  ⎦
//
// (D_B and D_I diagonal, from the bounds' and rows' slacks and multipliers
// and δ), factored each iteration by sparse.LDL after one AMD ordering and
// symbolic analysis, with iterative refinement. Near the solution it
// polishes on the guessed active set with double-double residuals, and
// Optimal is granted by the acceptance test of Solve on the double-sided
// residuals (SparseSettings.Tol). Infeasibility and unboundedness are
// claimed only with checked certificates (from the last iterate, else
// from a phase-one problem or a ray LP, solved by SolveSparse itself).
//
// The derivatives of a sparse solution follow its active set S (the rows
// and bounds with nonzero multipliers): differentiating
// Qx + p + Aᵀy + z = 0, a_iᵀx = t_i (i ∈ S), x_j = t_j (j ∈ S) gives the
// symmetric system K_S = [Q A_Sᵀ E_Sᵀ; A_S 0 0; E_S 0 0], factored once per
// solution by sparse.LDL and reused by every [SparseSolution.VJP] and
// [SparseSolution.JVP]. The parameters are those of [SparseLayout]: the
// stored values of Q and A (so gradients live on the data's sparsity
// patterns), p, and the finite bounds. The condition is exposed as an
// implicit.Condition by [SparseSolution.Condition], and the solution is
// registered in the conformance suite. On the dense subset of the
// Maros–Mészáros set the sparse and dense solvers agree (BENCHMARKS.md).
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
//   - R. Schwan, Y. Jiang, D. Kuhn, C. N. Jones, "PIQP: A Proximal
//     Interior-Point Quadratic Programming Solver", IEEE CDC 2023.
//   - M. P. Friedlander, D. Orban, "A primal–dual regularized interior-point
//     method for convex quadratic programs", Math. Prog. Comp. 4, 2012.
//   - D. Ruiz, "A scaling algorithm to equilibrate both rows and columns
//     norms in matrices", RAL-TR-2001-034, 2001.
//   - T. Ogita, S. M. Rump, S. Oishi, "Accurate sum and dot product",
//     SIAM J. Sci. Comput. 26(6), 2005.
package qp
