// Package isotonic solves isotonic regression by pool-adjacent-violators
// (PAV) and projects onto the permutahedron, with closed-form derivatives
// read off the PAV blocks.
//
// # Isotonic regression
//
// [Regression] solves the weighted l2 problem
//
//	v* = argmin_{v₁ ≥ v₂ ≥ … ≥ vₙ} Σᵢ ωᵢ (vᵢ − yᵢ)²     (or v₁ ≤ … ≤ vₙ)
//
// in O(n). The solution is constant on consecutive blocks B, with value
// the weighted mean of y over B, so its Jacobian is block diagonal:
//
//	∂vᵢ/∂yⱼ = ωⱼ / Σ_{k∈B} ωₖ   for i, j in the same block B, 0 otherwise.
//
// [RegressionKL] solves the KL variant of Blondel et al. (2020),
//
//	v* = argmin_{v₁ ≥ … ≥ vₙ} Σᵢ e^{sᵢ−vᵢ} + Σᵢ e^{wᵢ} vᵢ,
//
// whose block value is γ_B = log Σ_B e^{sᵢ} − log Σ_B e^{wᵢ}, so that
// ∂γ_B/∂sᵢ = softmax_B(s)ᵢ and ∂γ_B/∂wᵢ = −softmax_B(w)ᵢ.
//
// # Permutahedron
//
// The permutahedron P(w) is the convex hull of the n! permutations of
// w ∈ Rⁿ. [Project] computes the l2 projection
//
//	P_Q(z, w) = argmin_{μ ∈ P(w)} ½‖μ − z‖²
//
// and the KL (log-domain) projection
//
//	P_E(z, w) = log argmin_{μ ∈ P(e^w)} KL(μ, e^z),
//
// both in O(n log n) by the reduction of Blondel et al. (2020, Prop. 3):
// with σ the permutation sorting z in decreasing order and w sorted in
// decreasing order,
//
//	P(z, w) = z − v(z_σ, w)_{σ⁻¹},
//
// where v is the l2 isotonic regression of z_σ − w, or the KL isotonic
// regression of (z_σ, w). The projection is piecewise linear (l2) or
// piecewise smooth (KL) and its Jacobian-vector products cost O(n) from
// the blocks: for l2, ∂P/∂z = I − Σ_B (1/|B|) 1_B 1_Bᵀ (in sorted order),
// ∂P/∂w = Σ_B (1/|B|) 1_B 1_Bᵀ; for KL the block averages become
// softmax-weighted averages. Derivatives are those of the piece on which
// the input lies; at ties (a measure-zero set) they are one element of
// the Clarke Jacobian.
//
// # Implicit differentiation
//
// The same derivatives are available through the generic engine of
// package implicit: a projection x = Π(z) is the fixed point of
// T(x, z) = Π((1−η)x + ηz) for any η ∈ (0, 1], which [PermutahedronMap]
// and [RegressionMap] provide as implicit.Map values. The tests check
// that implicit.VJP on implicit.FixedPoint of these maps gives the same
// gradients as the closed-form block formulas.
//
// Every result is an implicit.Differentiable, the module's one contract:
// [Solution] with θ = y, [SolutionKL] with θ = (s, w) and [Projection]
// with θ = (z, w) (two halves of length n). Their Condition is the fixed
// point of the maps above (the KL regression's is its block stationarity
// on the PAV blocks), their VJP and JVP the O(n) block formulas; the
// two-part forms Backward and Tangent take and return the halves of θ
// separately.
//
// References:
//   - M. Blondel, O. Teboul, Q. Berthet, J. Djolonga, "Fast Differentiable
//     Sorting and Ranking", ICML 2020.
//   - R. E. Barlow, D. J. Bartholomew, J. M. Bremner, H. D. Brunk,
//     Statistical Inference under Order Restrictions, Wiley 1972 (PAV).
//   - S. Lim, S. J. Wright, "Efficient Bregman projections onto the
//     permutahedron and related polytopes", AISTATS 2016.
package isotonic
