// Package nlp differentiates the solution of a parametric nonlinear
// program with respect to its parameters, whatever solver found it.
//
// For
//
//	x*(θ) = argmin f(x, θ) subject to g(x, θ) ≤ 0, h(x, θ) = 0, l ≤ x ≤ u,
//
// a local minimum x* satisfies, under the linear independence constraint
// qualification (LICQ), the Karush–Kuhn–Tucker conditions with unique
// multipliers λ ≥ 0, ν:
//
//	∇ₓL = ∇ₓf + Σᵢ λᵢ ∇ₓgᵢ + Σⱼ νⱼ ∇ₓhⱼ = 0,
//	λᵢ gᵢ = 0,  g ≤ 0,  h = 0.
//
// Fiacco's theorem (1976): if moreover strict complementarity holds
// (λᵢ > 0 on every active row) and the second-order sufficient condition
// holds (∇²ₓₓL positive definite on the tangent space of the active
// constraints), the active set A is locally constant and (x*, λ_A, ν) is a
// differentiable function of θ, the solution of the square system
//
//	F(z, θ) = [∇ₓL(x, λ_A, ν, θ); g_A(x, θ); h(x, θ)] = 0,  z = (x, λ_A, ν).
//
// Its Jacobian ∂_zF is the KKT matrix [[∇²ₓₓL, J_Aᵀ, J_hᵀ], [J_A, 0, 0],
// [J_h, 0, 0]], nonsingular under the three conditions, and by the
// implicit function theorem
//
//	∂z*/∂θ = −(∂_zF)⁻¹ ∂θF,  ∂θF = [∂θ∇ₓL; ∂θg_A; ∂θh].
//
// [NewSolution] takes a solution x from any solver (NLopt through
// solvers/nlopt, an interior point method, a closed form), reads the active
// set off it (row i is active when gᵢ ≥ −ActiveTol, default 1e-6),
// recovers the multipliers by least squares on the active gradients
// (min ‖∇ₓf + J_Aᵀλ_A + J_hᵀν‖, dropping active rows of negative
// multiplier), checks feasibility and stationarity, and exposes F as an
// [implicit.Condition]; the engine of package implicit then gives VJP, JVP
// and the Jacobian of x*(θ) with one LU factorization of the KKT matrix.
// Solution.Jacobian uses a faster path beside the engine (one
// multi-right-hand-side solve; tests check both agree),
// Solution.MultiplierJVP differentiates the multipliers, and
// Solution.CheckDerivatives compares hand-written derivatives with finite
// differences.
// Bounds are active inequalities with constant gradients ±eᵢ. This is what
// DiffOpt.jl computes for nonlinear programs; at a degenerate point (weakly
// active rows, λᵢ = 0 = gᵢ) x*(θ) has only directional derivatives, and the
// ones returned are those that keep the weakly active rows active.
//
// Derivatives of f, g, h may come from the user (Grad, IneqJac, EqJac,
// IneqTheta, EqTheta, Hessian, Mixed) or are computed by central
// differences: first derivatives with step ε^{1/3}·max(1,|z|) (relative
// error about 1e-10), second derivatives from a user gradient or Jacobian
// with the same step, or from function values by the four-point formula
// with step ε^{1/4}·max(1,|z|) (relative error about 1e-8, cost
// 4·n·(n+p) evaluations per function). Mixing is allowed: a hand gradient
// with a finite-difference Hessian is the usual choice.
//
// The module's contract: a [Solution] is an implicit.Differentiable on the
// KKT point z = (x, λ_A, ν) of [Solution.Z] — Condition returns the KKT
// condition with z and θ, VJP takes a cotangent on all of z and JVP returns
// dz; [Solution.VJPX] and [Solution.JVPX] are the same for x alone. It is
// registered in the conformance suite (implicit/conformance/module_nlp_test.go).
//
// References:
//   - A. V. Fiacco, "Sensitivity analysis for nonlinear programming using
//     penalty methods", Mathematical Programming 10, 287–311, 1976; and
//     Introduction to Sensitivity and Stability Analysis in Nonlinear
//     Programming, Academic Press, 1983.
//   - M. Besançon, J. Dias Garcia, B. Legat, A. Sharma, "Flexible
//     differentiable optimization via model transformations", INFORMS
//     Journal on Computing, 2023 (DiffOpt.jl).
//   - B. Amos, J. Z. Kolter, "OptNet: differentiable optimization as a
//     layer in neural networks", ICML 2017.
package nlp
