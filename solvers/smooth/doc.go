// Package smooth minimizes smooth unconstrained objectives and
// differentiates their minimizers.
//
// A [Problem] is an objective f(x, θ), x ∈ Rᴺ, θ ∈ Rᴾ, with its gradient
// and, optionally, its Hessian-vector products ∇²ₓₓf v, its dense Hessian
// and its mixed products (∂θ∇ₓf) dθ and (∂θ∇ₓf)ᵀ u. [Minimize] finds
// x*(θ) = argminₓ f(x, θ) by L-BFGS (default), BFGS, truncated
// Newton-CG, nonlinear conjugate gradients or gradient descent, all with
// a strong-Wolfe line search, or by gonum/optimize's L-BFGS and BFGS,
// until ‖∇ₓf‖∞ ≤ Tol; it checks ctx at every iteration and
// line-search trial (every evaluation for gonum).
//
// At a minimizer the gradient vanishes, and [Condition] exposes that to
// the implicit engine:
//
//	F(x, θ) = ∇ₓf(x, θ) = 0,   ∂ₓF = ∇²ₓₓf,   ∂θF = ∂θ∇ₓf,
//	∂x*/∂θ = −(∇²ₓₓf)⁻¹ ∂θ∇ₓf.
//
// A VJP costs one solve with the Hessian and one product with (∂θ∇ₓf)ᵀ.
// Missing second-order products are replaced by central differences of
// the gradient (step ε^{1/3}·max(1, ‖x‖∞)), accurate to about 1e-10
// relative for objectives of unit scale (tested against exact products
// to 1e-8), enough for hypergradients.
//
// Ready problems: [LeastSquares], [LogisticLoss], [Ridge] and [Logistic]
// (binary, l2-regularized, optionally with an unpenalized intercept) with
// exact Hessians and mixed derivatives, and [Multinomial] (softmax
// regression, matrix-free Hessian), the inner problems of hyperparameter
// tuning (Pedregosa 2016; Bertrand et al. 2020). [L2] sets their penalty:
// how many strengths ([Strengths]: Shared, PerFeature, PerClass — the
// module's one name for that idea), linear or log scale, intercept.
//
// [Newton] is Newton's method on a dense Hessian for the small problems
// that are solved again and again at nearby θ: it keeps the Cholesky
// factorization of its last Hessian, takes chord steps on it while they
// converge fast (also across warm-started solves), and its Condition
// reuses it, so a derivative after a solve costs two triangular solves.
//
// Two backends. The native methods above are implemented in this package:
// their line search falls back on the slope where f stops changing in
// floating point (the approximate Wolfe conditions of Hager & Zhang), so
// they reach ‖∇ₓf‖∞ ≈ 1e-12 on unit-scale objectives, and they run in the
// caller's goroutine. [GonumLBFGS] and [GonumBFGS] call gonum's
// optimize.Minimize (optimize.LBFGS, optimize.BFGS, with gonum's bisection
// line search) on x ↦ f(x, θ) at fixed θ: an independent implementation,
// used in the tests to cross-check the native L-BFGS (same minimizers to
// 1e-7 on Rosenbrock, ridge and breast-cancer logistic regression, same
// implicit derivatives). Both stop on the ∞-norm of the gradient, honour
// MaxIter and ctx (checked after every evaluation for gonum) and fill
// [Result] the same way. Gonum's line search needs f to decrease by more
// than its rounding error, so it stalls (ErrNotConverged wrapping
// optimize.ErrLinesearcherFailure or optimize.ErrNoProgress, with the best
// iterate) once the decrease a step can make, about ‖∇ₓf‖²/(2λmin(∇²ₓₓf)),
// falls near ε|f|: around Tol ≈ 1e-9
// to 1e-10 on the logistic problems of this package; restart the native
// LBFGS from Result.X to go further. Gonum also runs every evaluation
// through a goroutine pipeline, ≈ 4 µs per evaluation (see
// BENCHMARKS.md, section solvers/prox and solvers/smooth), which matters only for cheap objectives.
//
// The module's contract: a [Result] of [Minimize] is an
// implicit.Differentiable — Condition returns the stationarity condition
// ∇ₓf(x, θ) = 0 with X and θ (the problem's own P parameters), VJP and JVP
// differentiate the minimizer through the implicit engine (there is no
// faster path than −(∇²ₓₓf)⁻¹∂θ∇ₓf). The Solution of [ImplicitProblem] is
// the same derivative behind implicit.Problem. Both are registered in the
// conformance suite (implicit/conformance/module_smooth_test.go).
//
// References:
//   - J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed., Springer
//     2006 (L-BFGS, line search, Newton-CG).
//   - W. W. Hager, H. Zhang, "A new conjugate gradient method with
//     guaranteed descent and an efficient line search", SIAM J. Optim. 16
//     (2005) (approximate Wolfe conditions).
//   - F. Pedregosa, "Hyperparameter optimization with approximate
//     gradient", ICML 2016.
//   - M. Blondel et al., "Efficient and Modular Implicit Differentiation",
//     NeurIPS 2022.
package smooth
