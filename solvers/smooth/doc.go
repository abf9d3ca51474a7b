// Package smooth minimizes smooth unconstrained objectives and
// differentiates their minimizers.
//
// A [Problem] is an objective f(x, θ), x ∈ Rᴺ, θ ∈ Rᴾ, with its gradient
// and, optionally, its Hessian-vector products ∇²ₓₓf v, its dense Hessian
// and its mixed products (∂θ∇ₓf) dθ and (∂θ∇ₓf)ᵀ u. [Minimize] finds
// x*(θ) = argminₓ f(x, θ) by L-BFGS (default), BFGS, truncated
// Newton-CG, nonlinear conjugate gradients or gradient descent, all with
// a strong-Wolfe line search, until ‖∇ₓf‖∞ ≤ GradTol; it checks ctx at
// every iteration and line-search trial.
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
// Ready problems: [LeastSquares], [Ridge] and [Logistic] (binary,
// l2-regularized, one strength or one per feature, linear or log scale)
// with exact Hessians and mixed derivatives, the inner problems of
// hyperparameter tuning (Pedregosa 2016; Bertrand et al. 2020).
//
// Note: the methods are implemented here rather than called from
// gonum/optimize, whose package graph (cmaes → stat/distmv) needs a module
// that this repository's go.sum does not list.
//
// References:
//   - J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed., Springer
//     2006 (L-BFGS, line search, Newton-CG).
//   - F. Pedregosa, "Hyperparameter optimization with approximate
//     gradient", ICML 2016.
//   - M. Blondel et al., "Efficient and Modular Implicit Differentiation",
//     NeurIPS 2022.
package smooth
