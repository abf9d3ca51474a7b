// Package sorting provides differentiable sorting and ranking operators:
// soft sort, rank and top-k by projection onto the permutahedron,
// differentiable sorting networks, NeuralSort, and ranking losses, each
// with a closed-form backward pass and batched over goroutines.
//
// # Soft sort and rank by permutahedron projection
//
// Following Blondel et al. (2020), with ρ = (n, n−1, …, 1) and P(z, w) the
// projection of z onto the permutahedron of w (package
// solvers/isotonic),
//
//	soft sort  s_ε(x) = ∓P(ρ/ε, ±x)             (ascending: upper signs)
//	soft rank  r_ε(x) = P(±x/ε, ρ)              (l2)
//	           r_ε(x) = exp P_E(±x/ε, log ρ)    (KL)
//	soft top-k t_ε(x) = P(x/ε, (1,…,1,0,…,0))   (capped simplex)
//
// The forward pass sorts once and runs pool-adjacent-violators, O(n log n);
// VJP and JVP are block averages over the PAV blocks, O(n). As ε → 0 the
// exact sort and ranks are recovered (exactly, for l2, once ε is below the
// smallest gap between values); as ε → ∞ everything tends to the mean.
//
// # Differentiable sorting networks
//
// A sorting network is a fixed sequence of layers of disjoint conditional
// swaps (i, j). Petersen et al. (2021, 2022) relax each swap of a = xᵢ,
// b = xⱼ with α = f(β(b − a)), f a sigmoid and β the steepness:
//
//	min ← α a + (1−α) b,   max ← (1−α) a + α b,
//
// and carry the relaxed permutation matrix P along, so that P x is the
// relaxed sorted vector; each layer mixes two rows of P per swap, O(n²)
// per layer and never a dense product. The sigmoids f (of v = β(b − a)):
//
//	logistic      1/(1+e^{−v})
//	logistic ART  1/(1+e^{−v/(|b−a|+10⁻¹⁰)^λ})       (activation replacement)
//	Cauchy        1/2 + arctan(v)/π
//	reciprocal    1/2 + v/(2(2+|v|))
//	optimal       v+1/2 on |v| ≤ 1/4, 1 − 1/(16v) above, −1/(16v) below
//	Gaussian      Φ(v)
//
// Cauchy, reciprocal and optimal are the monotonic families of Petersen
// et al. (2022): with them every relaxed sorted output is monotone in
// every input (∂(Px)ᵢ/∂xⱼ ≥ 0). Networks: odd-even transposition (n layers,
// any n) and bitonic (log₂N(log₂N+1)/2 layers on N = 2^⌈log₂n⌉; the
// padding wires hold +∞ and are resolved when the network is built, so
// they cost nothing at run time). The backward pass
// ([NetworkResult.Backward]) is written swap by swap in closed form: with
// α′ = dα/d(b − a) and cotangents ḡ on the outputs,
//
//	ᾱ = (ḡ_min − ḡ_max)(a − b) + Σ_c (Ḡ_min,c − Ḡ_max,c)(P_a,c − P_b,c),
//	ā = α ḡ_min + (1−α) ḡ_max − α′ᾱ,   b̄ = (1−α) ḡ_min + α ḡ_max + α′ᾱ,
//
// and the rows of Ḡ mix like those of P, transposed. Rows of P are only
// touched on the input columns they can be non-zero on (a range fixed by
// the network), and the result keeps, per swap, the difference of the two
// rows it mixed. [NetworkResult.Forward] is the forward mode of the same
// recursion. A straight-through variant returns the exact sort and
// permutation in the forward pass and the relaxed network's derivatives.
//
// [Network.SortBCE] fuses the training step of diffsort (relaxed sort,
// binary cross-entropy of P against the true permutation, gradient), and
// [Network.SortLoss] the same for any loss summed over the entries of P:
// the columns of P are independent under the network, so blocks of 32
// columns run forward through every layer, take their part of the loss
// and run back while they are in cache, accumulating ᾱ per swap, in
// O(32·n) memory.
//
// # NeuralSort
//
// Grover et al. (2019): for scores s and temperature τ > 0,
//
//	P̂[i, :] = softmax(((n + 1 − 2i) s − A_s 1) / τ),   A_s[j, k] = |sⱼ − sₖ|,
//
// a unimodal row-stochastic relaxation of the permutation sorting s in
// decreasing order. The stochastic variant samples a Plackett–Luce
// permutation by adding Gumbel noise to s (log-scores) with a seeded
// generator and relaxes it the same way.
//
// # Optimal-transport sort, rank and top-k
//
// Cuturi, Teboul and Vert (2019): the inputs, squashed into (0, 1) by a
// sigmoid of their standardized values, are transported by entropic OT
// (package sinkhorn) onto m sorted anchors with weights b; with P the plan
// and b̄ = cumsum(b), [OTSort] returns sorted_j = (1/bⱼ) Σᵢ P_ij xᵢ (soft
// quantiles when m < n) and rankᵢ = n² Σⱼ P_ij b̄ⱼ, and [OTTopK] the mass
// sent to the upper of two anchors weighted ((n−k)/n, k/n). Gradients go
// through the plan by implicit differentiation of the Sinkhorn fixed point.
//
// # The contract
//
// [Soft], [NetworkResult], [NeuralSortResult], [OTResult] and
// [OTTopKResult] implement the module's one contract,
// implicit.Differentiable, with θ = x (the scores for NeuralSort): VJP(dst,
// g) and JVP(dst, dθ) on flat vectors, and Condition. A soft sort, rank or
// top-k exposes a genuine optimality condition, the fixed point of the
// permutahedron projection it solves (isotonic.PermutahedronMap), written
// in the variables of its output; the OT operators one in their outputs
// and the plan (the plan's entropic optimality, D(log P + C/ε) = 0 with D
// the double centering, plus its marginals, and the linear read-out).
// Networks and NeuralSort are closed-form compositions and say so: their
// condition is z − h(x) = 0, with ∂zF = I and ∂xF = −∂h from their own
// derivatives. z is the values, then vec(P) row-major when P was
// requested, for a network; vec(P̂) for NeuralSort; (Sorted, Ranks,
// vec(Plan)) for OTSort; (Mask, vec(P)) for OTTopK. Backward and Forward
// are the typed forms.
//
// # Losses
//
// Spearman correlation loss 1 − corr(r_ε(x), rank(y)); NeuralNDCG
// (Pobrotyn and Białobrzeski 2021), the NDCG of the relevance vector
// permuted by a NeuralSort relaxation (optionally made doubly stochastic
// by Sinkhorn scaling); binary cross-entropy between a relaxed permutation
// matrix and the true one (the training loss of diffsort).
//
// References:
//   - M. Blondel, O. Teboul, Q. Berthet, J. Djolonga, "Fast Differentiable
//     Sorting and Ranking", ICML 2020.
//   - F. Petersen, C. Borgelt, H. Kuehne, O. Deussen, "Differentiable
//     Sorting Networks for Scalable Sorting and Ranking Supervision",
//     ICML 2021.
//   - F. Petersen, C. Borgelt, H. Kuehne, O. Deussen, "Monotonic
//     Differentiable Sorting Networks", ICLR 2022.
//   - A. Grover, E. Wang, A. Zweig, S. Ermon, "Stochastic Optimization of
//     Sorting Networks via Continuous Relaxations", ICLR 2019.
//   - M. Cuturi, O. Teboul, J.-P. Vert, "Differentiable Ranking and
//     Sorting using Optimal Transport", NeurIPS 2019.
//   - P. Pobrotyn, R. Białobrzeski, "NeuralNDCG: Direct Optimisation of a
//     Ranking Metric via Differentiable Relaxation of Sorting", 2021.
//   - K. E. Batcher, "Sorting networks and their applications", AFIPS 1968.
package sorting
