// Package convex is a parametrized convex modelling layer: problems are
// written with variables, parameters, constants, affine expressions and
// atoms, checked against the rules of disciplined convex programming,
// canonicalized once to the cone program of package solvers/cone, and
// differentiated with respect to their parameters. It is CVXPY's
// modelling step with cvxpylayers' derivatives (Diamond & Boyd, "CVXPY: a
// Python-embedded modeling language for convex optimization", JMLR 17,
// 2016; Agrawal, Amos, Barratt, Boyd, Diamond & Kolter, "Differentiable
// convex optimization layers", NeurIPS 2019), in Go's idiom: typed values
// and methods instead of operator overloading.
//
//	x := convex.NewVariable("x", n, convex.Nonneg())
//	A := convex.NewMatrixParameter("A", m, n)
//	b := convex.NewParameter("b", m)
//	pb, err := convex.NewProblem(
//		convex.Minimize(convex.SumSquares(A.MatMul(x).Sub(b))),
//		x.Sum().Eq(convex.Const(1)))
//	A.SetMatrix(a); b.SetValue(bv)
//	sol, err := pb.Solve(ctx, nil)
//	xv, _ := sol.VarValue(x)
//	grad, _ := sol.Backward(map[*convex.Variable][]float64{x: dLdx}, nil)
//	grad.Of(A), grad.Of(b)
//
// # Expressions
//
// Every expression is a rows×cols matrix (vectors n×1, scalars 1×1) whose
// entries are stored column-major. Variables (NewVariable,
// NewMatrixVariable; attributes Nonneg, Nonpos, Symmetric, PSD),
// parameters (NewParameter, NewMatrixParameter; attributes checked on
// their values) and constants (Const, ConstVec, ConstMat of any
// mat.Matrix or *sparse.CSC, Ones, Eye) combine by Add, Sub, Neg, Scale,
// Mul (elementwise), MatMul, Dot, At, Index, Slice, Submatrix, Pick, T,
// Reshape, Vec, Diag, Sum, SumRows, SumCols, Trace, HStack, VStack; a
// scalar side of Add, Sub and Mul is broadcast.
//
// Atoms, with curvature, sign and monotonicity:
//
//	Abs, Pos, NegPart          convex, elementwise
//	Norm1, Norm2, NormInf,     convex, nonnegative (Pnorm by power cones)
//	  Pnorm(x, p ≥ 1)
//	SumSquares, QuadForm(x, P) convex (QuadForm: P constant PSD; NSD gives
//	                           concave; a PSD parameter only in the objective)
//	QuadOverLin(x, y)          convex, decreasing in the scalar y > 0
//	Square, Power(x, p),       x² (SOC), xᵖ (power cones): convex for p > 1
//	  Sqrt, InvPos               and p < 0, concave for 0 < p < 1
//	Max, Min, Maximum, Minimum reductions and elementwise, of any curvature
//	                           the rules allow
//	Huber(x, M)                x² for |x| ≤ M, 2M|x| − M² beyond (convex)
//	Exp, Log, Entropy,         exponential cones
//	  LogSumExp
//	GeoMean                    concave (a chain of power cones)
//	LambdaMax, LambdaMin,      of the symmetric part of a square argument
//	  LogDet                     (PSD cones)
//
// Constraints: e.Le(o), e.Ge(o), e.Eq(o), SOC(t, x) (‖x‖₂ ≤ t),
// e.Succeq(o) and e.Preceq(o) (the symmetric part of e − o is PSD).
//
// # Rules
//
// DCP (Grant, Boyd & Ye, "Disciplined convex programming", 2006): a sum
// keeps curvature (convex + concave has none); a product needs one factor
// Constant (free of variables and built from constants and parameters by
// affine operations) and, for a convex or concave other factor, of known
// sign; an atom f convex in argument i needs that argument affine, or
// convex where f is increasing in it, or concave where decreasing (the
// mirror rules for concave f; |x|, x², norms, Huber are increasing where
// the argument is known ≥ 0 and decreasing where ≤ 0). Minimize needs a
// convex scalar, Maximize a concave one; e ≤ o needs e convex and o
// concave; == and the cone constraints need affine sides.
//
// DPP (Agrawal, Amos, Barratt, Boyd, Diamond & Kolter 2019, §4.1): the
// cone data must be affine in the parameters, so no product has two
// parameter-dependent factors, a coefficient may not be an atom of
// parameters, and QuadForm's matrix may be a parameter only in the
// objective (where it enters Q linearly).
//
// Every violation is found when the expression or constraint is built and
// reported by NewProblem (and Expr.Err) with the sub-expression at fault,
// as in
//
//	convex: not DCP: Norm2(x) >= 1: the left side Norm2(x) is convex; the left side of >= must be concave
//
// matching ErrNotDCP or ErrNotDPP; shapes are ErrDims, nil arguments and
// bad numbers (p < 1 in Pnorm, M ≤ 0 in Huber) ErrInvalid, NaN or ±Inf
// constants ErrNaN. No model makes the package panic.
//
// # Canonicalization
//
// NewProblem turns the model into
//
//	minimize ½xᵀQx + pᵀx  subject to  Ax + s = b,  s ∈ K
//
// once (Smith form, as CVXPY; Grant & Boyd, "Graph implementations for
// nonsmooth convex programs", 2008): each affine expression becomes an
// affine form Σ c_{jk} x_j θ_k in the canonical variable x and the
// parameter entries θ (θ₋₁ = x₋₁ = 1); each atom f(a) becomes a fresh
// variable t with cone rows that state t ≥ f(a) (convex) or t ≤ f(a)
// (concave), tight at an optimum by the DCP rules: |a| and max by linear
// rows, ‖a‖₂ ≤ t by a second-order cone, ‖a‖² ≤ t by (t+1, t−1, 2a) ∈ SOC,
// |a|ᵖ ≤ t by (t, 1, a) ∈ K_pow(1/p), eᵃ ≤ t by (a, 1, t) ∈ K_exp,
// −a log a ≥ t by (t, a, 1) ∈ K_exp, λ_max(A) ≤ t by tI − A ≽ 0, log det
// by [[A, Z], [Zᵀ, diag Z]] ≽ 0 with Z lower triangular (Ben-Tal &
// Nemirovski, "Lectures on modern convex optimization", 2001, §4.2).
// SumSquares and QuadForm terms of the objective enter Q directly (through
// a copy u = a with equality rows when a is not a plain selection of
// columns). Each constraint is "expr ∈ K" (e ≤ o: o − e ∈ R₊; e == o:
// o − e ∈ {0}); Nonneg, Nonpos and PSD attributes add rows, Symmetric
// variables have n(n+1)/2 columns. The blocks of K are ordered Zero,
// Nonnegative, SecondOrder, PSD, Exp, Power.
//
// The result is an affine map d = Mθ + d₀ from the parameters to the data
// d = (values of Q's upper triangle, p, values of A, b) with a fixed
// sparsity pattern (cone.Layout's θ), M stored by rows. Each solve only
// evaluates it (O(nnz M)) and calls the cone solver with the
// cone.Prepared built at the first solve (one per worker count), which
// keeps the KKT pattern and symbolic factorization — the result of
// cone.Solve bit for bit; the derivatives apply M and Mᵀ. Problem.String
// reports the sizes.
//
// # Solutions and derivatives
//
// Problem.Solve solves at the parameters' values (SetValue), SolveParams
// at a flat θ (the parameters in the order of Parameters, each
// column-major; ParamOffset), SolveBatch on goroutines. Settings.Refine
// polishes the interior-point solution by Newton steps on the cone
// program's residual map (Busseti, Moursi & Boyd 2019; what diffcp does
// before differentiating), which makes duals and derivatives accurate to
// near machine precision at regular solutions. Solution.VarValue
// and Value give values (Value evaluates any expression), Dual the
// constraints' multipliers with CVXPY's signs: the Lagrangian term of
// "expr ∈ K" is −⟨y, expr⟩, y ∈ K*, so the dual of e ≤ o is ≥ 0 and the
// stationarity of e == o reads ∇f + (∂(e − o))ᵀν = 0.
//
// A Solution implements implicit.Differentiable with θ the parameters and
// z = (x*, y*, s*) of the canonical program (length Problem.LenZ): x*
// starts with the problem's variables in the order of Variables (a
// Symmetric variable by its lower triangle), y* holds the duals at
// DualOffset. Its condition is the cone program's residual map composed
// with the map, F(z, θ) = F_cone(z, Mθ + d₀), and
//
//	VJP: (∂z*/∂θ)ᵀg = Mᵀ (∂z*/∂d)ᵀ g,    JVP: (∂z*/∂θ)dθ = (∂z*/∂d) M dθ,
//
// with the cone solver's derivatives. Backward (cotangents on variables
// and duals by name) and Tangent (directions by parameter) are the typed
// forms; Problem.Cotangent builds g. The layer of package layers
// (layers.Convex) is built on them.
package convex
