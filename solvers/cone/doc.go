// Package cone provides the closed convex cones of conic optimization in
// one place, each with what a conic interior-point method and a
// differentiable cone program need.
//
// # The cones
//
//	Zero{N}          {0} ⊂ Rᴺ (equalities); dual Free{N} = Rᴺ
//	Nonnegative{N}   {s ≥ 0}, self-dual, ν = N
//	SecondOrder{N}   {(t, x) ∈ R × R^{N−1} : ‖x‖ ≤ t}, self-dual, ν = 1
//	PSD{N}           N×N positive semidefinite matrices as svec (lower
//	                 triangle by columns, off-diagonal entries times √2),
//	                 dimension N(N+1)/2, self-dual, ν = N
//	Exp{}, ExpDual{} cl{(x, y, z) : y > 0, y e^{x/y} ≤ z} and its dual, ν = 3
//	Power{α}, PowerDual{α}
//	                 {x, y ≥ 0, x^α y^{1−α} ≥ |z|}, α ∈ (0, 1), and its
//	                 dual, ν = 3
//	Product          K₁ × … × K_m (NewProduct)
//
// Every cone (interface [Cone]) has its dimension, barrier degree ν and
// dual cone; membership with a tolerance and the distance; the Euclidean
// projection Π_K(y) = argmin_{x ∈ K} ½‖x − y‖² with its derivative
// (JVP: DΠ v, VJP: DΠᵀ u); the logarithmic barrier f with gradient,
// Hessian action and third derivative ∇³f(s)[u, v]; the maximum step to
// the boundary; and a primal-dual scaling. Nonnegative, SecondOrder, PSD and their products are
// [Symmetric]: they add the Jordan product and its inverse.
//
// Vectors have length Dim(); the methods return ErrDims for other
// lengths, ErrNaN for NaN/±Inf, ErrInvalid for a bad parameter (N < 1,
// α ∉ (0, 1)) or a point outside the interior where one is required, and
// never panic on input. The results are finite or an error.
//
// # Projections and their derivatives
//
// The formulas and their sources are on each type: the orthant, the
// second-order cone and the PSD cone in closed form (Parikh & Boyd,
// "Proximal algorithms", 2014, §6.3; Boyd & Vandenberghe, "Convex
// Optimization", 2004, §8.1), the exponential cone by Friberg's
// univariate root ("Projection onto the exponential cone: a univariate
// root-finding problem", Optim. Methods Softw., 2023; preprint 2021), the
// power cone by Hien's ("Differential properties of Euclidean projection
// onto power cone", Math. Methods Oper. Res. 82, 2015), and the dual
// cones by Moreau's decomposition y = Π_K(y) − Π_{K*}(−y). The
// derivatives are those used to differentiate a cone program through its
// residual map (Ali, Wong & Kolter, "A semismooth Newton method for fast,
// generic convex programming", ICML 2017; Agrawal, Barratt, Boyd, Busseti
// & Moursi, "Differentiating through a cone program", J. Appl. Numer.
// Optim. 1(2), 2019): closed forms for the symmetric cones, the implicit
// function theorem on the root conditions for the exponential and power
// cones. Π_K is differentiable almost everywhere; each type documents the
// element of the generalized Jacobian it returns where it is not
// (boundaries between the cases).
//
// Every cone satisfies package project's Set interface (Project, JVP,
// VJP), so project.Solve turns a projection onto a cone into a result of
// the module's contract, implicit.Differentiable, with z = Π_K(y) and
// θ = y; that is how the projections are registered in
// implicit/conformance (module_cone_test.go there).
//
// # Barriers and scalings
//
// The barriers are the standard ν-logarithmically homogeneous
// self-concordant ones: −Σ log sᵢ, −½ log(t² − ‖x‖²), −log det S (Nesterov
// & Todd, "Self-scaled barriers and interior-point methods for convex
// programming", Math. Oper. Res. 22, 1997), and for the exponential and
// power cones those of Chares (2009) used by ECOS, Clarabel and MOSEK; the
// dual cones' barriers are those of their primal composed with the linear
// map that carries one cone to the other.
//
// A [Scaling] of an interior pair (s, z) ∈ int K × int K* is a linear map
// W with W s = W⁻ᵀ z = λ. For the symmetric cones it is the Nesterov–Todd
// scaling in the form of Vandenberghe's CVXOPT notes ("The CVXOPT linear
// and quadratic cone program solvers", 2010, §4): W = diag(√(z/s)) on the
// orthant, W = η(2w̄w̄ᵀ − J) on the second-order cone, X ↦ R⁻¹XR⁻ᵀ on the
// PSD cone with λ diagonal; λ ∈ int K, and the Mehrotra corrector's
// λ ∘ x and λ⁻¹ ∘ v are Jordan and JordanDiv.
//
// The exponential and power cones are not symmetric; they use the
// primal-dual scaling of Tunçel ("Generalization of primal-dual
// interior-point methods to convex optimization problems in conic form",
// Found. Comput. Math. 1, 2001) in the form of Dahl & Andersen ("A
// primal-dual interior-point algorithm for nonsymmetric exponential-cone
// optimization", Math. Program. 194, 2022) and Clarabel (Goulart & Chen,
// 2024): a symmetric positive definite H with
//
//	H z = s,  H z̃ = s̃,   z̃ = −∇f(s), s̃ = −∇f*(z),
//
// built from μ = ⟨s, z⟩/ν, δs = s − μs̃, δz = z − μz̃ (which satisfy
// ⟨z, δs⟩ = ⟨δz, s⟩ = 0) as
//
//	H = ssᵀ/⟨s, z⟩ + δsδsᵀ/⟨δs, δz⟩ + t aaᵀ,  a ⊥ z, z̃ (a = z × z̃/‖z × z̃‖),
//
// with t = μ⟨a, ∇²f*(z) a⟩ > 0 (the dual Hessian's curvature on the
// remaining direction); near the central path, where δs, δz vanish, the
// rank-two update H = μ∇²f*(z) + ssᵀ/⟨s, z⟩ − μ∇²f*(z)zzᵀ∇²f*(z)/⟨z, ∇²f*(z)z⟩
// (H z = s) is used instead. The conjugate gradient s̃ = −∇f*(z) is the
// minimizer of ⟨z, x⟩ + f(x), found by damped Newton. With H = LLᵀ the
// scaling is W = L⁻¹, so WᵀW = H⁻¹ maps s to z as for the symmetric
// cones, and λ = L⁻¹s = Lᵀz. H is factored after a Jacobi scaling; its
// condition grows like 1/ε² for pairs at distance ε from the boundaries
// (far from the central path), where λ loses accuracy accordingly and a
// numerically singular H is refused with ErrNotConverged (an
// interior-point method then falls back to the dual scaling μ∇²f*(z), as
// Clarabel does).
//
// # Step to the boundary
//
// MaxStep(s, ds, limit) is the largest α ≤ limit with s + αds ∈ K for s
// in the interior: a ratio test on the orthant, the first root of a
// quadratic on the second-order cone, −1/λ_min(L⁻¹ΔS L⁻ᵀ) on the PSD
// cone, and bisection on the closed-form membership test for the
// exponential and power cones (whose feasible steps form an interval).
//
// # Design of the conic interior-point solver (not built yet)
//
// These notes plan the solver of issue 15 on top of this package and
// package sparse; nothing below exists in code yet.
//
// Problem and embedding. minimize ½xᵀPx + qᵀx subject to Ax + s = b,
// s ∈ K, K a Product (Zero blocks for equalities, then Nonnegative,
// SecondOrder, PSD, Exp, Power and duals), in the homogeneous embedding
// of Clarabel (Goulart & Chen, "Clarabel: an interior-point solver for
// conic programs with quadratic objectives", 2024): unknowns
// (x, z, s, τ, κ) with
//
//	Px + Aᵀz + qτ = 0,   Ax + s − bτ = 0,
//	κ + qᵀx + bᵀz + xᵀPx/τ = 0,   (s, z) ∈ K × K*,  τ, κ ≥ 0,
//
// so τ → 0 with κ > 0 certifies infeasibility (bᵀz < 0 with Aᵀz = 0,
// z ∈ K*) or unboundedness (qᵀx < 0 with Px = 0, Ax + s = 0, s ∈ K); the
// solver returns them as ErrInfeasible / ErrUnbounded with the
// certificate in the solution, never an iterate dressed as an answer.
//
// Linear algebra. Each iteration solves twice with the quasi-definite
//
//	[P + εI   Aᵀ        ]
//	[A        −WᵀW − εI ]
//
// (one solve for the constant right-hand side (−q, b) that eliminates
// τ, one per step direction), factored once per iteration by
// sparse.NewLDL with signs +1/−1 (symbolic analysis and AMD once, then
// Refactor), with iterative refinement against the unregularized matrix.
// WᵀW comes from Cone.Scaling block by block: diagonal on the orthant,
// dense 3×3 on the exponential and power cones, ScalingMatrix blocks on
// PSD; on a large second-order cone the dense block would be replaced by
// its diagonal-plus-rank-two expansion in two extra sparse
// rows and columns, as ECOS does (Domahidi, Chu & Boyd, "ECOS: an SOCP
// solver for embedded systems", ECC 2013): [SOCExpansion].
//
// Steps. Start from Identity (s = z = e, shifted into the cone). For the
// symmetric blocks, Mehrotra's predictor-corrector in scaled variables
// (λ = Lambda()): affine step with complementarity right-hand side
// −λ∘λ (Jordan), centering σ = (1 − α_aff)³, combined step with
// −λ∘λ − (W⁻ᵀΔs_aff)∘(WΔz_aff) + σμe, divided by λ with JordanDiv. For
// the exponential and power blocks, the corrector of Dahl & Andersen
// and Clarabel: the third-order term −½∇³f*(z)[Δz, (∇²f*(z))⁻¹Δs], from
// BarrierThird of the conjugate's point (∇³f*(z)[u, v] =
// H⁻¹∇³f(x)[H⁻¹u, H⁻¹v], x = −∇f*(z), H = ∇²f(x)), and a centrality
// check of the step through Barrier. Step length α =
// 0.99·min over blocks of MaxStep(s, Δs) and MaxStep(z, Δz) (z against
// the dual cone), with backtracking on the non-symmetric neighbourhood.
//
// Around the iterations. Ruiz equilibration of [P Aᵀ; A 0] with one scale
// per cone block for the blocks whose membership is not invariant under
// diagonal scaling (SecondOrder, PSD, Exp, Power); cost scaling;
// Settings.Tol on the relative primal and dual residuals and gap,
// Settings.MaxIter, WarmStart (x, s, z pushed into the interior),
// ctx checked every iteration, Logger; status and residuals on every
// solution.
//
// Derivatives (built: layout.go, condition.go, diff.go, refine.go). A
// Solution implements implicit.ContextDifferentiable on θ = (Q's stored
// values, p, A's stored values, b) ([Layout]) with z = (x, y, s), by two
// routes that the tests show equal: the residual map of the homogeneous
// embedding at τ = 1 with Π_{K*} and its JVP/VJP ([Layout.Condition],
// differentiated by the module's engine), and the direct route of
// [Solution.VJP] — the same linearization in the eigenbasis of DΠ_{K*},
// a symmetric quasi-definite KKT matrix factored by sparse.LDL (the
// interior-point iteration's last factorization is not reused: its
// scaling WᵀW is the μ → 0 limit of this matrix, ill-conditioned there).
// Sparse data give sparse gradients; degenerate points use the elements
// documented on each cone (tested against one-sided differences).
// [Solution.Refine] polishes a solution by Newton on the residual map.
// Backward and Tangent are the typed forms.
package cone
