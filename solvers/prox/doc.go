// Package prox solves and differentiates non-smooth convex problems
//
//	minimize_x  f(x; θ_f) + g(x; λ)
//
// with f smooth and g a regularizer with a cheap proximity operator.
//
// # Proximity operators
//
// prox_{ηg}(v; λ) = argminₓ ½‖x − v‖² + η g(x; λ). Each [Regularizer] gives
// prox, g, and the Jacobians of prox with respect to its input v and to
// its parameters λ (needed for hypergradients with respect to λ):
//
//	L1               Σ λⱼwⱼ|xⱼ|            soft thresholding S(v, ηλw)
//	ElasticNet       λ₁Σwⱼ|xⱼ| + λ₂‖x‖²/2  S(v, ηλ₁w)/(1 + ηλ₂)
//	GroupLasso       λ Σ_G w_G ‖x_G‖₂      block soft thresholding (1 − ηλw_G/‖v_G‖)₊ v_G
//	NonNegL1         λΣwⱼxⱼ + ι(x ≥ 0)     max(v − ηλw, 0)
//	SquaredL2        λ‖x‖²/2               v/(1 + ηλ)
//	NonNegSquaredL2  λ‖x‖²/2 + ι(x ≥ 0)    max(v, 0)/(1 + ηλ)
//	Box              ι(l ≤ x ≤ u)          clip(v, l, u), θ = (l, u)
//	NonNegative      ι(x ≥ 0)              max(v, 0)
//	L2Ball           ι(‖x‖₂ ≤ r)           v·min(1, r/‖v‖), θ = (r)
//	Indicator        ι_C for any [Projector] (the sets of solvers/project:
//	                 simplex, l1 ball, polyhedron, …): its projection
//
// [LogScale] puts any of them on the log scale λ = e^θ (the
// parametrization of hyperparameter search), with ∂prox/∂θ by the chain
// rule; [Penalty] selects the lasso-type penalties of [Lasso] and
// [Logistic]: how many strengths (smooth.Shared or smooth.PerFeature),
// elastic net or not, linear or log scale.
//
// The maps are piecewise smooth: at a kink (|vⱼ| = ηλⱼ for soft
// thresholding, ‖v_G‖ = ηλw_G, v on a face of the box or sphere) the
// Jacobian returned is the one of the side where the output sits on the
// boundary, which is what the fixed-point condition of a solution with
// that support uses. Finite differences agree only away from kinks.
//
// # Solvers
//
// [Minimize] is FISTA (Beck & Teboulle 2009): accelerated proximal
// gradient with backtracking on the step η and adaptive restart of the
// momentum (O'Donoghue & Candès 2015), stopping on the gradient mapping
// ‖(y − prox_{ηg}(y − η∇f(y)))/η‖∞. [Lasso.Solve] is cyclic coordinate
// descent for lasso-type least squares
//
//	(1/2n)‖y − Xw‖² + Σⱼ λⱼ|wⱼ| + (λ₂/2)‖w‖²
//
// (lasso, weighted lasso with one λ per feature, elastic net), with
// column norms precomputed, residual (or Gram) updates, a working set
// with Anderson extrapolation, Gap Safe screening, and a stop on both the
// KKT violation and the duality gap (Friedman, Hastie & Tibshirani 2010).
// [Logistic.Solve] is a proximal Newton method for sparse logistic
// regression (Yuan, Ho & Lin 2012): coordinate descent on the l1
// subproblem of the quadratic model of the loss, then a line search.
// They accept warm starts, a context, and a logger, and return the best
// iterate with [ErrNotConverged] on failure. Both stop early with
// [ErrStalled] (which also matches ErrNotConverged) when progress stops
// above the tolerance: FISTA when, for Settings.StallIter iterations
// (default 200), the best objective has not decreased by more than
// rounding and ‖G‖∞ has not halved, or when backtracking finds no step
// with sufficient decrease (a gradient inconsistent with f, a
// non-smooth f); coordinate descent when neither the KKT violation nor
// the duality gap has halved over 20 convergence checks.
//
// # Errors and validation
//
// Bad input gives a returned error, never a panic or a NaN: the
// package's sentinels [ErrDims], [ErrNaN], [ErrInvalid], [ErrNotConverged]
// and [ErrStalled] are wrapped with details (test with errors.Is); a panic
// in user code (the smooth part F, a user Regularizer or Projector) comes
// back as [ErrCallback]. Settings outside their documented ranges
// (negative or NaN tolerances, negative counts, unknown enum values) are
// ErrInvalid; zero means the default. The
// operators are plain values whose configuration (weights, groups, the
// Scalar and PerCoordinate flags) is set in a struct literal, as gonum's
// optimize methods are, and whose parameters λ are passed at each call,
// because λ is what gets differentiated and changes between calls. A
// validating constructor could check the configuration once, but λ, v
// and η would still arrive unchecked with every call, and it would cost
// the useful zero values (L1{} is the lasso penalty). So every method
// that can fail returns an error, like the [Projector]
// methods of package solvers/project: Prox, Value, Jacobian and
// DiagJacobian check the lengths of all their arguments against each
// other and against the configuration, reject NaN and Inf in v, x and λ,
// negative strengths, weights and radii, crossed bounds, overlapping or
// out-of-range groups and steps η that are not finite and positive, and
// report a derivative that overflows. Check performs the same parameter
// checks up front (the solvers call it once, so that a bad λ fails
// before any work). The checks cost O(n + p) per call, without
// allocation, next to the O(n) of the prox itself; the norms of
// GroupLasso and L2Ball are formed in scaled form, so entries near 1e±308
// neither overflow nor underflow. The residuals of [Condition],
// [FixedPoint] and [Lasso.Condition] implement interfaces of package
// implicit that have no error result: on invalid input they fill their
// output with NaN, which the engine reports as an error, and their
// Linearize returns the error itself.
//
// # Differentiation
//
// A minimizer is a fixed point of the proximal-gradient map, for any
// η > 0:
//
//	F(x, θ) = prox_{ηg}(x − η∇f(x; θ_f); λ) − x = 0.
//
// [Condition] gives it to the implicit engine with θ = (λ, θ_f):
// ∂ₓF = D(I − η∇²f) − I and ∂θF = (∂prox/∂λ, −ηD ∂θ_f∇f), with D the
// Jacobian of the prox (Blondel et al. 2022). For the lasso D is a 0/1
// mask of the support S, so the linear system decouples (Bertrand et al.
// 2020): off S, ∂x_N = 0; on S,
//
//	(X_SᵀX_S/n + λ₂I) ∂w_S = −(sign(w_S) ∘ ∂λ_S + w_S ∂λ₂).
//
// [Lasso.Linearize] solves only that |S|×|S| system — a hypergradient
// costs O(n|S|² + |S|³), not O(nd² + d³) — and [Condition] and
// [Lasso.Condition] give ∂ₓF as one support system (the package's only
// one: K = ∇²f_SS + diag((1 − Dⱼ)/(ηDⱼ)), formed from Hessian-vector
// products, or for the lasso from the columns of X, and factorized once),
// so the engine path is fast too; [Lasso.ConditionStep] is the lasso's
// condition with a chosen step η. Tests check the fast path, the engine on
// both conditions and central finite differences against each other.
//
// The module's contract: [SupportLinearization] (the fast path above, with
// [Lasso.Condition] as its condition) and the [Result] of [Minimize] and
// of [Logistic.Solve] (with [Condition](c, StepSize)) are
// implicit.Differentiable; θ is laid
// out as [Penalty] (Lasso) or [Composite] (λ of g first, then θ_f) says.
// They are registered in the conformance suite
// (implicit/conformance/module_prox_test.go).
//
// References:
//   - A. Beck, M. Teboulle, "A Fast Iterative Shrinkage-Thresholding
//     Algorithm for Linear Inverse Problems", SIAM J. Imaging Sci. 2009.
//   - B. O'Donoghue, E. Candès, "Adaptive Restart for Accelerated Gradient
//     Schemes", Found. Comput. Math. 2015.
//   - J. Friedman, T. Hastie, R. Tibshirani, "Regularization Paths for
//     Generalized Linear Models via Coordinate Descent", J. Stat. Softw.
//     2010.
//   - Q. Bertrand, M. Massias, "Anderson Acceleration of Coordinate
//     Descent", AISTATS 2021 (extrapolation of the working-set iterates).
//   - G.-X. Yuan, C.-H. Ho, C.-J. Lin, "An Improved GLMNET for
//     L1-regularized Logistic Regression", JMLR 2012.
//   - E. Ndiaye, O. Fercoq, A. Gramfort, J. Salmon, "Gap Safe Screening
//     Rules for Sparsity Enforcing Penalties", JMLR 2017.
//   - Q. Bertrand, Q. Klopfenstein, M. Blondel, S. Vaiter, A. Gramfort,
//     J. Salmon, "Implicit Differentiation of Lasso-type Models for
//     Hyperparameter Optimization", ICML 2020.
//   - M. Blondel, Q. Berthet, M. Cuturi, R. Frostig, S. Hoyer,
//     F. Llinares-López, F. Pedregosa, J.-P. Vert, "Efficient and Modular
//     Implicit Differentiation", NeurIPS 2022.
package prox
