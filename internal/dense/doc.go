// Package dense holds the few dense linear-algebra kernels that the
// solvers spend most of their time in, for row-major float64 data:
// dot products, axpy, matrix–vector products, the Gram matrix Z Zᵀ, the
// Cholesky factorization A = L Lᵀ, the LU factorization with partial
// pivoting P A = L U (blocked, right-looking; its trailing updates are
// row dots against a transposed copy of U₁₂) and the triangular solves.
//
// Everything is written around one primitive, the block of dot products
// between contiguous rows (cᵢⱼ = aᵢ·bⱼ): a Gram matrix is all such dots; a
// row-major lower Cholesky factor is computed left-looking, where
// Lᵢⱼ = (Aᵢⱼ − Lᵢ,:ⱼ·Lⱼ,:ⱼ)/Lⱼⱼ is again a dot of two row prefixes (the
// Cholesky–Crout order, Golub and Van Loan, Matrix Computations, §4.2);
// and the solve X Lᵀ = G of many right-hand sides is the same recurrence
// with the rows of X in place of those of L. Blocks of 3×4 dots share
// their loads, which is what makes these faster than one dot at a time.
//
// Beside them: the table exponential of log-domain Sinkhorn iterations
// ([ExpSum], a log-sum-exp's inner sum; [ExpAffine], a row of a Gibbs
// kernel; [Exp], one value), in AVX2 assembly four lanes at a time with
// the table values gathered, and [DotAxpyRows], which computes A x and
// then Aᵀc row block by row block with c depending on A x, so that one
// Sinkhorn iteration on a stored kernel reads it once.
//
// On amd64 processors with AVX and FMA3 (checked at run time with CPUID
// and XGETBV; AVX2 for the exponentials) the kernels are assembly with
// 256-bit fused multiply-adds; elsewhere, or with the build tag purego,
// they are plain Go with the same results up to rounding. Where AVX-512
// (F, DQ, VL, with the ZMM state enabled) is there too, the level-3
// kernels (the 3×4 dot blocks of Gram, the row solves and Cholesky,
// CholeskyUpper's row updates) run in 512-bit registers with exactly the
// AVX2 kernels' operations per output entry, so that their results are
// the same bit for bit: a ZMM register holds two four-lane accumulators,
// and where that leaves too few independent FMA chains two triples of
// rows go through at once. gonum's own BLAS kernels use SSE2 only and
// are 2–4× slower on these shapes (see BENCHMARKS.md).
//
// The package is internal: its functions check shapes only where a wrong
// shape would read out of bounds, and leave error reporting to callers.
package dense
