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
// # The conic interior-point solver
//
// Solve (solve.go, ipm.go, kkt.go, kktdense.go, equilibrate.go,
// certificate.go) solves the Problem
//
//	minimize ½xᵀQx + pᵀx  subject to  Ax + s = b,  s ∈ K,
//
// K a Product of Zero (equalities), Nonnegative, SecondOrder, PSD, Exp,
// ExpDual, Power and PowerDual blocks (Free is refused), in the
// homogeneous embedding of Clarabel (Goulart & Chen, "Clarabel: an
// interior-point solver for conic programs with quadratic objectives",
// 2024): unknowns (x, z, s, τ, κ) with
//
//	Qx + Aᵀz + pτ = 0,   Ax + s − bτ = 0,
//	κ + pᵀx + bᵀz + xᵀQx/τ = 0,   (s, z) ∈ K × K*,  τ, κ ≥ 0,
//
// so τ → 0 with κ > 0 ends in a certificate of infeasibility (bᵀy < 0,
// Aᵀy = 0, y ∈ K*) or unboundedness (pᵀx < 0, Qx = 0, −Ax ∈ K), each
// accepted only after its check on the caller's data (certificate.go)
// and returned in Solution.Certificate with ErrInfeasible / ErrUnbounded.
// Status Optimal means the residuals and the gap recomputed from the
// unscaled (x, s, y) passed Settings.Tol (the gap against the smaller of
// the primal and dual objectives); otherwise the best iterate comes back with
// ErrNotConverged (or Canceled with the context's error).
//
// Steps. Mehrotra's predictor-corrector with the Nesterov–Todd scaling
// on the symmetric blocks (λ = Lambda(), Jordan, JordanDiv). The
// exponential and power blocks work with the dual cone's barrier f* in
// closed form and, on the primal side, its Legendre conjugate f (not the
// Chares barrier of the Scaling above: the conjugate makes the central
// path s = −μ∇f*(z) the same as z = −μ∇f(s)); its gradient −z(s) is
// the Wright-omega closed form on the exponential cones and a damped
// Newton solve on the power cones (nonsym.go). They start at s = z = e,
// e = −∇f*(e) (Clarabel's exponential-cone point ≈ (−1.0514, 0.5564,
// 1.2590) and (√(1+α), √(2−α), 0) on the power cones: a central pair).
// Each iteration uses the primal-dual scaling of Tunçel and
// Myklebust–Tunçel in Clarabel's rank-three form (H z = s, H z̃ = s̃ with
// z̃ = −∇f(s)) while μ ≥ 1e-4·μ₀ and the dual scaling H = μ∇²f*(z) with
// backtracking on a barrier neighbourhood below; when the first gives a
// step under 0.1 the other is tried and the longer step kept (Clarabel
// switches likewise). Both use the third-order corrector of Dahl &
// Andersen (BarrierThird of the dual cone), with a safeguard that drops
// it when it shortens the step. Step α = 0.99 (0.95 with exponential or
// power blocks) of the largest step to the boundaries (MaxStep on s, and on z against the dual cone), shortened
// until the closed-form barriers accept the point, the iterate rescaled
// to max(τ, κ) = 1 after each step (by a power of two with non-symmetric
// blocks, so that the rescaling is exact).
//
// Linear algebra. The Newton system is solved in the scaled form of
// CVXOPT: with Ā = WA block by block and ũ = W⁻ᵀΔz,
//
//	[Q   Āᵀ] [Δx]   [r_x ]
//	[Ā   −I] [ũ ] = [W r_z]     (0 instead of −I on the Zero rows),
//
// quasi-definite, factored by sparse.NewLDL with signs +1/−1 in a fixed
// order: the ũ rows of the cone blocks first (pivots −1: their
// elimination forms the normal matrix Q + ĀᵀĀ), the x and Zero rows
// after in the AMD order of that reduced pattern; the symbolic analysis
// is done once, the numeric factorization every iteration (static
// regularization 1e-8, dynamic regularization of tiny pivots), with an
// AMD-ordered, more regularized fallback if a factorization overflows.
// On the orthant W is diagonal (Ā keeps A's pattern); on second-order,
// exponential and power blocks W is dense, on PSD blocks the congruence
// X ↦ R⁻¹XR⁻ᵀ, and the block's rows share the union of their patterns;
// the rows of a dense block form one supernode. Each solve is refined
// against the unregularized matrix (sparse.LDL's refinement, then
// flexible GMRES preconditioned by the factorization: near the end H
// spans many orders of magnitude and the plain refinement stalls).
// SOCExpansion (the ECOS expansion of a large second-order block) is not
// used yet: a large second-order cone with scattered rows gives dense
// rows of Ā.
//
// Repeated solves (prepared.go). Prepare does the pattern-only work of
// the sparse path once for problems of one structure (same K, dimensions
// and patterns of Q and A): the KKT pattern, its ordering and the
// symbolic analysis of the LDL (shared by sparse.LDL.Clone);
// Prepared.Solve checks the structure and assembles and factors the
// values only, with Solve's result bit for bit (Clarabel's "data
// updating"). Package convex uses it for the solves of one model.
//
// Around the iterations. Ruiz equilibration of [Q Aᵀ; A 0] with one
// scale per second-order, PSD, exponential or power block, and a cost
// scale; Q is checked positive semidefinite (an LDLᵀ of Q + εI); the
// start is CVXOPT's (two least-squares solves, shifted into the cones)
// for symmetric cones and the central point for the others;
// Settings.WarmStart is pushed into the interior; ctx is checked every
// iteration, and the Logger gets an Info record per stage and a Debug
// record per iteration.
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
