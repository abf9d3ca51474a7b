// Package sinkhorn solves entropy-regularized optimal transport problems
// and differentiates their solutions.
//
// # Problem
//
// Given marginals a ∈ R₊ⁿ, b ∈ R₊ᵐ and a cost matrix C (or two point clouds
// x₁…xₙ, y₁…yₘ with C_ij = c(x_i, y_j), by default ‖x_i − y_j‖²),
//
//	OT_ε(a, b) = min_{P ≥ 0} ⟨C, P⟩ + ε KL(P | a⊗b) + τ_a KL(P1 | a) + τ_b KL(Pᵀ1 | b),
//
// KL(p|q) = Σ p log(p/q) − p + q. With τ_a = τ_b = ∞ (the default) the
// marginal constraints are hard, P1 = a and Pᵀ1 = b, and the problem is
// balanced (Cuturi 2013); finite τ gives unbalanced transport (Chizat et
// al. 2018, Séjourné et al. 2019). The dual problem is
//
//	max_{f,g} ⟨a, φ_a(f)⟩ + ⟨b, φ_b(g)⟩ − ε ⟨a⊗b, e^{(f⊕g−C)/ε} − 1⟩,
//
// φ(f) = f for a hard constraint and τ(1 − e^{−f/τ}) for a KL penalty, and
// the optimal plan is P_ij = a_i b_j e^{(f_i+g_j−C_ij)/ε}.
//
// # Iterations
//
// Sinkhorn's algorithm maximizes the dual alternately in g and f:
//
//	g_j ← κ_b · (−ε log Σ_i a_i e^{(f_i − C_ij)/ε}),   κ = τ/(τ+ε) (1 if hard),
//	f_i ← κ_a · (−ε log Σ_j b_j e^{(g_j − C_ij)/ε}).
//
// [LogDomain] evaluates these log-sum-exps directly (stable at any ε; one
// exponential per entry and pass, computed by a table-driven exp four
// entries at a time with AVX2 where available, with terms below e⁻⁵⁰ of
// the running scale skipped). [Kernel] stores
// K̃ = e^{(f̂⊕ĝ−C)/ε} and iterates on scalings u = e^{(f−f̂)/ε},
// v = e^{(g−ĝ)/ε} with matrix–vector products, absorbing u and v into
// (f̂, ĝ) whenever |f − f̂|/ε or |g − ĝ|/ε exceeds a threshold (Schmitzer
// 2019): the speed of the kernel iteration without its underflow at small
// ε. Without Anderson acceleration, a kernel iteration reads K̃ once: each
// row's product, its potential update and its contribution to the column
// product are done while the row is in cache. Both modes stop when the error of the column marginal (for
// unbalanced problems, the column optimality residual) falls below Tol in
// the chosen norm; the check reuses the next iteration's column pass.
//
// Accelerations: ε-scaling ε_k = max(ε, ε₀ q^k) with warm starts
// (Kosowsky & Yuille 1994; Schmitzer 2019); over-relaxation
// x ← (1−ω)x + ω T(x) with a fixed ω or ω = 2/(1+√(1−ρ)) from the observed
// rate ρ (Thibault et al. 2017; Lehmann et al. 2021); Anderson acceleration
// of f ↦ row(col(f)); and Sinkhorn–Newton steps (Brauer et al. 2017), a
// Newton step on the dual whose Schur complement is solved by conjugate
// gradients, which converges where plain Sinkhorn needs tens of thousands
// of iterations (small ε). Potentials can be warm-started.
//
// Which settings: the defaults (Auto mode, plain iterations) suit ε of a
// few percent of the mean cost or more; Momentum 1.3–1.5 or Anderson 5
// usually halve the iterations there. For small ε (≤ 1% of the mean cost)
// use EpsilonScaling 0.5 with Newton: on the P-SINK problem (n = 2000,
// ε = 0.01) it needs about 520 iterations where plain Sinkhorn needs about
// 44,000 (BENCHMARKS.md, P-SINK). Anderson 30 did as well there but
// stalled on a smaller instance (n = 300) where Newton needed 576
// iterations, and a large fixed ω can diverge far from the solution (the
// solver then falls back to ω = 1). Mode
// LogDomain is the choice when the n×m kernel cannot be stored (large
// point clouds: the cost is then recomputed block by block).
//
// # Outputs
//
// A [Result] holds f, g, the regularized cost OT_ε (the dual value, equal to
// the primal one at the optimum), the error history and the Converged flag.
// The plan is never stored: [Result.PlanRow], [Result.ApplyPlan] and
// [Result.ApplyPlanT] compute it on the fly, block by block, from the
// potentials (for large point clouds even the cost is computed on the fly
// by matrix products). [Divergence] returns the debiased Sinkhorn
// divergence of Feydy et al. (2019),
//
//	S_ε(a, b) = OT_ε(a, b) − ½ OT_ε(a, a) − ½ OT_ε(b, b) + (ε/2)(⟨a,1⟩ − ⟨b,1⟩)²,
//
// whose symmetric terms are solved with the averaged update
// f ← ½(f + T(f)).
//
// # Derivatives
//
// Three ways, each tested against central finite differences:
//
//   - Envelope (Danskin): [Result.CostGrad], ∂OT_ε/∂C = P, ∂/∂a_i = φ_a(f_i) − ε(Σ_j b_j e^{(f_i+g_j−C_ij)/ε} − ⟨b,1⟩),
//     and, for points, ∂/∂x_i = Σ_j P_ij ∇ₓc(x_i, y_j). Cost: one pass.
//   - Implicit: [Result.ConditionWith] is the first-order condition
//     F = (P1 − a∘t_a(f), Pᵀ1 − b∘t_b(g)) (plus a gauge term for balanced
//     problems) as an implicit.Condition; its ∂ₓF solves by the Schur
//     complement with conjugate gradients and an optional ridge (the fast
//     path of ott-jax, Cuturi et al. 2022), so [Result.Backward] and
//     [Result.PlanVJP] differentiate potentials and plans with one
//     min(n,m)-dimensional CG solve; the generic engine gives the same
//     result (tested).
//   - Unrolled: [SolveUnrolled] records T iterations and back-propagates
//     through them (memory 8·(T+1)·(n+m) bytes plus the cost).
//
// ε is held fixed in all derivatives (a relative ε is frozen at its value).
//
// [Result], [Unrolled] and [DivergenceResult] implement
// the module's one contract, implicit.Differentiable: Condition returns
// the condition with its point z and parameters θ, and VJP(dst, g),
// JVP(dst, dθ) work on the flat θ of the condition's layout, (C row-major,
// a, b) or (X, Y, a, b); Backward, PlanVJP and Grad are the typed forms.
// Result's z is the gauge-fixed potentials (f, g); Unrolled's is its last
// iterates,
// with the closed-form condition z − Φ_T(θ) = 0; DivergenceResult's is
// the divergence (length 1), with θ = (X, Y, a, b) or (C, CostXX, CostYY,
// a, b) and the closed-form z − S_ε(θ) = 0 over the envelope gradient.
//
// The Birkhoff layer (scores to doubly stochastic matrices, the entropic
// projection onto the Birkhoff polytope, for permutation learning) is
// layers.Birkhoff, built on this solver.
//
// References:
//   - M. Cuturi, "Sinkhorn Distances: Lightspeed Computation of Optimal
//     Transport", NeurIPS 2013.
//   - G. Peyré, M. Cuturi, "Computational Optimal Transport", Foundations
//     and Trends in Machine Learning 11(5-6), 2019.
//   - J. Feydy, T. Séjourné, F.-X. Vialard, S. Amari, A. Trouvé, G. Peyré,
//     "Interpolating between Optimal Transport and MMD using Sinkhorn
//     Divergences", AISTATS 2019.
//   - B. Schmitzer, "Stabilized Sparse Scaling Algorithms for Entropy
//     Regularized Transport Problems", SIAM J. Sci. Comput. 41(3), 2019.
//   - A. Thibault, L. Chizat, C. Dossal, N. Papadakis, "Overrelaxed
//     Sinkhorn–Knopp Algorithm for Regularized Optimal Transport", 2017;
//     T. Lehmann, M.-K. von Renesse, A. Sambale, A. Uschmajew, "A Note on
//     Overrelaxation in the Sinkhorn Algorithm", Optim. Lett. 2022.
//   - C. Brauer, C. Clason, D. Lorenz, B. Wirth, "A Sinkhorn–Newton Method
//     for Entropic Optimal Transport", 2017.
//   - M. Cuturi, L. Meng-Papaxanthos, Y. Tian, C. Bunne, G. Davis,
//     O. Teboul, "Optimal Transport Tools (OTT)", 2022 (implicit
//     differentiation of Sinkhorn).
//   - L. Chizat, G. Peyré, B. Schmitzer, F.-X. Vialard, "Scaling
//     Algorithms for Unbalanced Optimal Transport Problems", Math. Comp.
//     87, 2018.
//   - J. Kosowsky, A. Yuille, "The Invisible Hand Algorithm: Solving the
//     Assignment Problem with Statistical Physics", Neural Networks 7, 1994
//     (ε-scaling).
//   - T. Séjourné, J. Feydy, F.-X. Vialard, A. Trouvé, G. Peyré, "Sinkhorn
//     Divergences for Unbalanced Optimal Transport", 2019.
//   - F. A. G. Peña, H. R. Medeiros, T. Dubail, M. Aminbeidokhti, E. Granger,
//     M. Pedersoli, "Re-basin via Implicit Sinkhorn Differentiation", CVPR
//     2023.
package sinkhorn
