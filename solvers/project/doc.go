// Package project computes Euclidean projections onto convex sets and
// their derivatives.
//
// For a nonempty closed convex set C ⊂ Rⁿ the projection
//
//	P_C(y) = argmin_{x ∈ C} ½‖x − y‖²
//
// is the building block of projected gradient methods, of constrained
// layers (softmax's sparse cousin sparsemax is the projection onto the
// simplex) and of many proximal operators. Each set implements [Set]:
// Project, and the Jacobian products JVP (∂P(y) v) and VJP (∂P(y)ᵀ u) in
// closed form. For convex C, P_C is 1-Lipschitz, hence differentiable
// almost everywhere (Rademacher), and where it is differentiable ∂P(y) is
// symmetric positive semidefinite with eigenvalues in [0, 1]:
// P_C = ∇(½‖·‖² − e_C), with e_C the Moreau envelope ½dist(·, C)². So JVP
// and VJP coincide.
//
// The sets and their Jacobians (x = P(y)):
//
//	NonNegative  x ≥ 0                     diag(1[xᵢ > 0])
//	Box          l ≤ x ≤ u                 diag(1[lᵢ < xᵢ < uᵢ])
//	LInfBall     ‖x‖_∞ ≤ r                 diag(1[|xᵢ| < r])
//	L2Ball       ‖x‖₂ ≤ r                  (r/‖y‖)(I − yyᵀ/‖y‖²) outside, I inside
//	Hyperplane   ⟨a, x⟩ = b                I − aaᵀ/‖a‖²
//	Halfspace    ⟨a, x⟩ ≤ b                I − aaᵀ/‖a‖² if ⟨a, y⟩ > b, I otherwise
//	Simplex      x ≥ 0, Σx = r             support-restricted centering (below)
//	L1Ball       ‖x‖₁ ≤ r                  signed centering on the support
//	BoxSection   l ≤ x ≤ u, ⟨w, x⟩ = c      I_F − w_F w_Fᵀ/‖w_F‖² on the free set F
//	Affine       Ax = b                    I − A⁺A = I − V_k V_kᵀ
//	Polyhedron   Gx ≤ h, Ax = b            I − Ã⁺Ã on the active constraints Ã
//	Transport    P ≥ 0, P1 = a, Pᵀ1 = b     zero row/column sums on the support
//
// and three non-convex sets whose nearest point is unique for almost every
// y: L2Sphere (‖x‖₂ = r), L1Sphere (‖x‖₁ = r) and SparseSimplex (the
// simplex points with at most K non-zeros: keep the K largest entries and
// project them, which is optimal by Kyrillidis et al. 2013).
//
// [Polyhedron] has no closed form: it solves the projection QP with
// package qp, then polishes the interior-point solution by an exact
// projection onto its active constraints, so its result and Jacobian are
// exact at non-degenerate points.
//
// [Transport] (the transportation polytope of m×k matrices, the
// Euclidean counterpart of entropic optimal transport) solves its concave
// dual by semismooth Newton with conjugate gradients on the signless
// Laplacian of the support graph, to machine-precision marginals; its
// Jacobian solves one system with the same Laplacian.
//
// Set parameters. Every set with parameters also implements [Parametric]:
// ParamJVP and ParamVJP differentiate P with respect to the radius, the
// bounds, the normal and offset, the weights and value of a box section,
// the right-hand sides b (and h), the transport marginals (along
// mass-preserving directions), with Params / WithParams giving a flat
// layout documented on each type. For the simplex, ∂x/∂r = 1_S/|S|; for the
// l2 ball, ∂x/∂r = y/‖y‖ outside; for the box, ∂xᵢ/∂lᵢ = 1 where xᵢ = lᵢ; for
// the affine set, ∂x/∂b = A⁺.
//
// Usage: a set is a value (Simplex{Radius: 1}, Box{Lower: l, Upper: u},
// NewAffine(A, b), NewPolyhedron(G, h, A, b, nil)); call Project(dst, y),
// then JVP(dst, x, y, v) or VJP(dst, x, y, u) at x = P(y). [ProjectRows],
// [JVPRows] and [VJPRows] apply a set to every row of a matrix on several
// goroutines.
//
// The simplex. Its projection is x = max(y − τ, 0), with the threshold τ
// fixed by Σ max(yᵢ − τ, 0) = r; τ is found in O(n) expected time by
// Condat's algorithm (a sort-based method, O(n log n), is the classic
// alternative of Held, Wolfe and Crowder 1974 and Duchi et al. 2008). On the
// support S = {i : xᵢ > 0} we have xᵢ = yᵢ − τ with Σ_S xᵢ = r, so a
// perturbation dy moves τ by the mean of dy over S and
//
//	dx_S = dy_S − (1/|S|) 1 1ᵀ dy_S,   dx_{S^c} = 0:
//
// ∂P(y) = diag(1_S) − 1_S 1_Sᵀ/|S|, the centering map restricted to the
// support (the Jacobian of sparsemax, Martins and Astudillo 2016). It costs
// O(n) and needs only x. The l1 ball reduces to the simplex through
// x = sign(y) ∘ P_Δ(|y|) outside the ball; the box section (of which the
// capped simplex {0 ≤ x ≤ u, Σx = s} is the case l = 0, w = 1) has
// x = clip(y − τw, l, u), and the same argument on its free set gives its
// Jacobian.
//
// Kinks. P is piecewise affine for the polyhedral sets and piecewise smooth
// for the balls; it is not differentiable where a coordinate sits exactly
// at the edge of the support (yᵢ = τ for the simplex, yᵢ − τwᵢ ∈ {lᵢ, uᵢ}
// for the box section, yᵢ ∈ {lᵢ, uᵢ} for the box) or where y lies on the
// boundary of a ball or halfspace. There the package returns the
// derivative of one adjacent piece, stated on each type: an element of the
// Clarke Jacobian. Tests check derivatives against central differences at
// random points away from the kinks, and, at points placed exactly on a
// kink, that ∂P(y)·v equals a one-sided difference quotient.
//
// The engine. [Condition] writes each projection as the fixed point of a
// projected-gradient step, F(x, y) = P(x − η(x − y)) − x, so that package
// implicit can differentiate it, alone or inside a larger optimality
// condition; [ParamCondition] appends the set's parameters to θ. Tests
// show that the engine, the closed forms and central differences agree.
//
// The contract. [Solve] returns a [Result], the projection x = P(y) as the
// module's one differentiable result (implicit.Differentiable): z = x,
// θ = y for a plain set and θ = (y, φ) for a [Parametric] one, its
// condition the fixed point above with η = 1/2, and VJP/JVP on the
// flat θ from the closed forms; [SolveBatch] solves many y on one set.
// Package implicit/conformance checks every set this way.
//
// References:
//   - L. Condat, "Fast projection onto the simplex and the l1 ball",
//     Mathematical Programming 158 (2016) 575–585.
//   - J. Duchi, S. Shalev-Shwartz, Y. Singer, T. Chandra, "Efficient
//     projections onto the l1-ball for learning in high dimensions",
//     ICML 2008.
//   - A. F. T. Martins, R. F. Astudillo, "From softmax to sparsemax",
//     ICML 2016 (the Jacobian of the simplex projection).
//   - M. Blondel, A. Fujino, N. Ueda, "Large-scale multiclass support
//     vector machine training via Euclidean projection onto the simplex",
//     ICPR 2014, and K. C. Kiwiel, "Breakpoint searching algorithms for the
//     continuous quadratic knapsack problem", Math. Program. 112 (2008)
//     (the box section).
//   - M. Blondel, V. Seguy, A. Rolet, "Smooth and sparse optimal
//     transport", AISTATS 2018 (the dual of the transport projection).
//   - A. Kyrillidis, S. Becker, V. Cevher, C. Koch, "Sparse projections
//     onto the simplex", ICML 2013.
//   - B. Amos, J. Z. Kolter, "OptNet: differentiable optimization as a
//     layer in neural networks", ICML 2017 (the polyhedron's KKT
//     derivatives).
//   - M. Blondel, Q. Berthet, M. Cuturi, R. Frostig, S. Hoyer,
//     F. Llinares-López, F. Pedregosa, J.-P. Vert, "Efficient and modular
//     implicit differentiation", NeurIPS 2022 (projections as fixed points).
package project
