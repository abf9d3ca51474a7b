package dense

import "math"

// UpperPad is the padding CholeskyUpper needs after each row: its
// leading dimension must be at least n + UpperPad, and columns
// [n, n+UpperPad) of every row must hold zeros (they stay zero).
const UpperPad = 16

// CholeskyUpper overwrites the upper triangle of the n×n symmetric
// matrix a (row-major, leading dimension lda ≥ n + UpperPad; the strict
// lower triangle is neither read nor written) with the factor U of
// A = UᵀU, that is Uᵀ = L, the lower Cholesky factor of Cholesky, stored
// by columns. It returns false, leaving a partly overwritten, when a
// pivot is not positive and finite.
//
// The order of the computation is the column-oriented (jki) Cholesky
// (Golub and Van Loan, Matrix Computations, §4.2.5) seen through the
// transpose: row j of U is Aⱼ,ⱼ: minus Σ_{l<j} Uₗⱼ·Uₗ,ⱼ:, scaled by
// 1/√pivot. Each row update is a sum of rows of U with broadcast
// coefficients, sixteen contiguous entries at a time, so that the
// assembly kernel needs neither horizontal sums nor the latency-bound
// small triangles of the dot-product (Crout) order of Cholesky; that is
// what makes it faster at the orders of the interior point's Schur
// complements (k = 20–150). Use SolveUpperT and SolveUpper to solve with
// the factor.
func CholeskyUpper(a []float64, n, lda int) bool {
	if n == 0 {
		return true
	}
	if lda < n+UpperPad {
		panic("dense: CholeskyUpper needs lda ≥ n + UpperPad")
	}
	_ = a[(n-1)*lda+n+UpperPad-1]
	if useAsm {
		var done int
		if useAVX512 {
			done = cholUpperAVX512(&a[0], lda, n)
		} else {
			done = cholUpperAVX(&a[0], lda, n)
		}
		if done == n {
			return true
		}
		// A failed factorization may have left non-finite products in
		// the padding: restore its zeros for the caller's next attempt.
		for i := range n {
			clear(a[i*lda+n : i*lda+n+UpperPad])
		}
		return false
	}
	return choleskyUpperGo(a, n, lda)
}

// choleskyUpperGo is CholeskyUpper in plain Go (the same order of
// operations, one chain per entry).
func choleskyUpperGo(a []float64, n, lda int) bool {
	for j := range n {
		rj := a[j*lda+j : j*lda+n]
		for l := range j {
			c := a[l*lda+j]
			rl := a[l*lda+j : l*lda+n]
			for i, v := range rl {
				rj[i] -= c * v
			}
		}
		s := rj[0]
		if !(s > 0) || math.IsInf(s, 1) {
			return false
		}
		d := math.Sqrt(s)
		inv := 1 / d
		for i := range rj {
			rj[i] *= inv
		}
		rj[0] = d
	}
	return true
}

// SolveUpperT overwrites b (length n) with U⁻ᵀb for the n×n upper
// triangular u with leading dimension ldu whose reciprocal diagonal is
// inv (inv[i] = 1/Uᵢᵢ, see ReciprocalDiagonal): forward substitution
// with L = Uᵀ, that is L⁻¹b for the factor of CholeskyUpper, four rows
// of U at a time (a 4×4 triangle, then one axpy4 of the rows' tails).
// Multiplying by the reciprocals keeps divisions, whose latency is three
// times a multiplication's, off the substitution's dependency chain.
func SolveUpperT(u []float64, n, ldu int, inv, b []float64) {
	b = b[:n]
	inv = inv[:n]
	var c [4]float64
	i := 0
	for ; i+4 <= n; i += 4 {
		u0 := u[i*ldu+i : i*ldu+i+4]
		u1 := u[(i+1)*ldu+i+1 : (i+1)*ldu+i+4]
		u2 := u[(i+2)*ldu+i+2 : (i+2)*ldu+i+4]
		d := inv[i : i+4]
		bi := b[i : i+4]
		y0 := bi[0] * d[0]
		y1 := (bi[1] - y0*u0[1]) * d[1]
		y2 := (bi[2] - y0*u0[2] - y1*u1[1]) * d[2]
		y3 := (bi[3] - y0*u0[3] - y1*u1[2] - y2*u2[1]) * d[3]
		bi[0], bi[1], bi[2], bi[3] = y0, y1, y2, y3
		if i+4 < n {
			c = [4]float64{-y0, -y1, -y2, -y3}
			axpy4(&c, u[i*ldu+i+4:], ldu, b[i+4:])
		}
	}
	for ; i < n; i++ {
		b[i] *= inv[i]
		Axpy(-b[i], u[i*ldu+i+1:i*ldu+n], b[i+1:])
	}
}

// SolveUpper overwrites b (length n) with U⁻¹b for the n×n upper
// triangular u with leading dimension ldu and reciprocal diagonal inv:
// back substitution, that is L⁻ᵀb for L = Uᵀ (four rows at a time: one
// dots4x1 with the solved tail, then a 4×4 triangle).
func SolveUpper(u []float64, n, ldu int, inv, b []float64) {
	b = b[:n]
	inv = inv[:n]
	i := n
	for ; i%4 != 0; i-- {
		r := i - 1
		b[r] = (b[r] - Dot(u[r*ldu+r+1:r*ldu+n], b[r+1:])) * inv[r]
	}
	var c [4]float64
	for ; i > 0; i -= 4 {
		i0 := i - 4
		dots4x1(u[i0*ldu+i:], ldu, b[i:], n-i, &c)
		u0 := u[i0*ldu+i0 : i0*ldu+i0+4]
		u1 := u[(i0+1)*ldu+i0+1 : (i0+1)*ldu+i0+4]
		u2 := u[(i0+2)*ldu+i0+2 : (i0+2)*ldu+i0+4]
		d := inv[i0:i]
		bi := b[i0:i]
		x3 := (bi[3] - c[3]) * d[3]
		x2 := (bi[2] - c[2] - x3*u2[1]) * d[2]
		x1 := (bi[1] - c[1] - x2*u1[1] - x3*u1[2]) * d[1]
		x0 := (bi[0] - c[0] - x1*u0[1] - x2*u0[2] - x3*u0[3]) * d[0]
		bi[0], bi[1], bi[2], bi[3] = x0, x1, x2, x3
	}
}

// ReciprocalDiagonal sets inv[i] = 1/u[i·ldu+i] for i < len(inv).
func ReciprocalDiagonal(inv, u []float64, ldu int) { reciprocalDiag(inv, u, ldu) }
