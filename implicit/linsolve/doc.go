// Package linsolve provides the linear algebra that implicit differentiation
// rests on: matrix-free linear operators, dense factorizations that can be
// kept and reused, and Krylov solvers.
//
// # Operators
//
// An [Operator] is a linear map M: Rᶜ → Rʳ known only through its products
// M v and Mᵀ u. Adapters build operators from gonum matrices ([NewMatrix]),
// from closures ([NewFunc]) and from other operators ([Sum], [Scaled],
// [Transpose], [AddRidge]). An operator that also implements [Factorized]
// holds a factorization and can solve M x = b and Mᵀ x = b directly; the
// implicit engine uses such operators without an iterative solve, which is
// how a factorization computed in a forward solve is reused in the backward
// pass.
//
// # Dense factorizations
//
// [NewLU] (partial pivoting, any square nonsingular M), [NewCholesky]
// (symmetric positive definite M) and [NewQR] (full column rank M, least
// squares min ‖M x − b‖₂) are [Factorized] operators. LU and Cholesky run
// on the row-major AVX/FMA kernels of internal/dense (2–4× faster than
// gonum's BLAS from n ≈ 200, and their single-vector solves 30–45×), QR on
// gonum's. Each estimates its condition number (LAPACK's dgecon/dpocon
// estimator, as gonum does) and returns [ErrSingular] for numerically
// singular input.
//
// # Krylov solvers
//
//   - [CG]: conjugate gradients for symmetric positive definite M
//     (Hestenes and Stiefel 1952).
//   - [NormalCG]: CG on the normal equations MᵀM x = Mᵀb (CGNR); any M of
//     full column rank, at the price of squaring the condition number.
//   - [GMRES]: restarted GMRES(k) with Householder-free modified Gram–Schmidt
//     Arnoldi and Givens rotations (Saad and Schultz 1986); any nonsingular M.
//   - [BiCGSTAB]: van der Vorst's stabilized bi-conjugate gradients (1992);
//     any nonsingular M, short recurrences, no restart memory.
//   - [Neumann]: the truncated series M⁻¹ ≈ α Σₖ (I − αM)ᵏ, convergent when
//     the spectral radius of I − αM is below one (the approximation used for
//     hypergradients by Lorraine et al. 2020).
//
// Each solver takes an optional [Preconditioner] (a map P ≈ M⁻¹; CG and
// BiCGSTAB and GMRES use it on the left/right as documented), reports the
// iterations and final relative residual ‖b − M x‖/‖b‖ in a [Result], and
// returns an error satisfying errors.Is(err, [ErrNotConverged]) or
// errors.Is(err, [ErrBreakdown]) when it fails, together with its best
// iterate in dst.
//
// Reference: Y. Saad, Iterative Methods for Sparse Linear Systems, 2nd ed.,
// SIAM 2003.
//
// A nil operator or matrix and invalid settings are [ErrInvalid]; a panic
// in a user operator or preconditioner during a solve is [ErrCallback].
package linsolve
