package dense

import "math"

// luBlock is the panel width of the blocked LU factorization, and
// luBlockSmall the one for n < 200, where the panels' share of the work
// matters more than the length of the trailing update's dots (measured on
// an AMD EPYC with AVX2: 24 is best at n = 100, 48–64 at n ≥ 500).
const (
	luBlock      = 48
	luBlockSmall = 24
)

// LU overwrites the n×n matrix a (leading dimension lda) with its LU
// factorization with partial pivoting, P A = L U: the strict lower
// triangle holds the unit lower triangular L and the upper triangle U.
// piv (length ≥ n) receives the row interchanges: at step i, row i was
// swapped with row piv[i] ≥ i (the LAPACK convention, 0-based), so the
// factors are those of lapack64.Getrf. It returns false, leaving a and
// piv partly overwritten, at the first pivot that is exactly zero or not
// finite (a singular A, or NaN or Inf in A).
//
// The factorization is right-looking and blocked (Golub and Van Loan,
// Matrix Computations, §3.4.7): each panel of 24 or 48 columns is factored
// left-looking (Crout) with matrix–vector row dots, the block row of U to
// its right is solved row by row, and the trailing matrix takes the update
// A₂₂ −= L₂₁U₁₂ as blocks of 3×4 row dots against a transposed copy of
// U₁₂.
func LU(a []float64, n, lda int, piv []int) bool {
	if n == 0 {
		return true
	}
	_ = a[(n-1)*lda+n-1]
	piv = piv[:n]
	var ut []float64 // U₁₂ᵀ of the current block row
	nb := luBlock
	if n < 200 {
		nb = luBlockSmall
	}
	col := make([]float64, n)
	uT := make([]float64, nb*nb)
	for k := 0; k < n; k += nb {
		kb := min(nb, n-k)
		end := k + kb
		// Panel: columns k..end−1, rows k..n−1.
		if !luPanel(a, n, lda, piv, k, kb, col, uT) {
			return false
		}
		if end == n {
			break
		}
		m := n - end
		// U₁₂ = L₁₁⁻¹A₁₂, row by row.
		for i := k + 1; i < end; i++ {
			MulTransVec(a[i*lda+end:i*lda+n], -1, a[k*lda+end:], lda, a[i*lda+k:i*lda+i], 1)
		}
		// A₂₂ −= L₂₁ U₁₂ with U₁₂ᵀ stored row-major.
		if cap(ut) < m*kb {
			ut = make([]float64, m*kb)
		}
		ut = ut[:m*kb]
		for l := range kb {
			row := a[(k+l)*lda+end : (k+l)*lda+n]
			for c, v := range row {
				ut[c*kb+l] = v
			}
		}
		subABt(a[end*lda+end:], lda, a[end*lda+k:], lda, ut, kb, m, m, kb)
	}
	return true
}

// luPanel factors the panel of rows k..n−1 and columns k..k+kb−1 of a
// (swapping whole rows) left-looking, in the Crout order: column j is
// first brought up to date with the finished columns of the panel, as
// one matrix–vector product of the rows' L parts with the column of U
// (kept transposed in uT, kb×kb, so that it is contiguous), into the
// contiguous scratch col where the pivot is searched; then the row of U
// to the right of the pivot in the panel is brought up to date the same
// way. It returns false at a zero or non-finite pivot.
func luPanel(a []float64, n, lda int, piv []int, k, kb int, col, uT []float64) bool {
	end := k + kb
	for j := k; j < end; j++ {
		jk := j - k
		m := n - j
		c := col[:m]
		for i := range c {
			c[i] = a[(j+i)*lda+j]
		}
		if jk > 0 {
			MulVec(c, -1, a[j*lda+k:], lda, uT[jk*kb:jk*kb+jk], 1)
		}
		p, best := 0, math.Abs(c[0])
		for i := 1; i < m; i++ {
			// !(v ≤ best) also selects a NaN, which then fails below.
			if v := math.Abs(c[i]); !(v <= best) {
				p, best = i, v
			}
		}
		piv[j] = j + p
		if p != 0 {
			rj, rp := a[j*lda:j*lda+n], a[(j+p)*lda:(j+p)*lda+n]
			for c := range rj {
				rj[c], rp[c] = rp[c], rj[c]
			}
			c[0], c[p] = c[p], c[0]
		}
		d := c[0]
		if d == 0 || math.IsNaN(d) || math.IsInf(d, 0) {
			return false
		}
		a[j*lda+j] = d
		inv := 1 / d
		for i := 1; i < m; i++ {
			a[(j+i)*lda+j] = c[i] * inv
		}
		// Row j of U right of the pivot, within the panel.
		if j+1 < end {
			urow := a[j*lda+j+1 : j*lda+end]
			if jk > 0 {
				MulVec(urow, -1, uT[(jk+1)*kb:], kb, a[j*lda+k:j*lda+j], 1)
			}
			for c, v := range urow {
				uT[(jk+1+c)*kb+jk] = v
			}
		}
	}
	return true
}

// subABt sets C −= A Bᵀ for the rows×cols matrix c (leading dimension
// ldc), the rows×k matrix a and the cols×k matrix b.
func subABt(c []float64, ldc int, a []float64, lda int, b []float64, ldb int, rows, cols, k int) {
	var blk [12]float64
	var c4 [4]float64
	i := 0
	for ; i+3 <= rows; i += 3 {
		j := 0
		for ; j+4 <= cols; j += 4 {
			dots3x4(a[i*lda:], lda, b[j*ldb:], ldb, k, &blk)
			for ii := range 3 {
				ci := c[(i+ii)*ldc+j : (i+ii)*ldc+j+4]
				ci[0] -= blk[4*ii]
				ci[1] -= blk[4*ii+1]
				ci[2] -= blk[4*ii+2]
				ci[3] -= blk[4*ii+3]
			}
		}
		for ; j < cols; j++ {
			bj := b[j*ldb : j*ldb+k]
			for ii := i; ii < i+3; ii++ {
				c[ii*ldc+j] -= Dot(bj, a[ii*lda:])
			}
		}
	}
	for ; i < rows; i++ {
		ai := a[i*lda : i*lda+k]
		ci := c[i*ldc : i*ldc+cols]
		j := 0
		for ; j+4 <= cols; j += 4 {
			dots4x1(b[j*ldb:], ldb, ai, k, &c4)
			ci[j] -= c4[0]
			ci[j+1] -= c4[1]
			ci[j+2] -= c4[2]
			ci[j+3] -= c4[3]
		}
		for ; j < cols; j++ {
			ci[j] -= Dot(ai, b[j*ldb:])
		}
	}
}

// LUSolve overwrites b (length n) with A⁻¹b for the factors lu, piv of LU
// (leading dimension ldlu): b ← P b, then forward substitution with L and
// back substitution with U, four rows at a time with row dots.
func LUSolve(lu []float64, n, ldlu int, piv []int, b []float64) {
	b = b[:n]
	for i, p := range piv[:n] {
		if p != i {
			b[i], b[p] = b[p], b[i]
		}
	}
	var c [4]float64
	// L y = b, L unit lower.
	i := 0
	for ; i+4 <= n; i += 4 {
		dots4x1(lu[i*ldlu:], ldlu, b, i, &c)
		t1 := lu[(i+1)*ldlu+i : (i+1)*ldlu+i+1]
		t2 := lu[(i+2)*ldlu+i : (i+2)*ldlu+i+2]
		t3 := lu[(i+3)*ldlu+i : (i+3)*ldlu+i+3]
		bi := b[i : i+4]
		y0 := bi[0] - c[0]
		y1 := bi[1] - c[1] - y0*t1[0]
		y2 := bi[2] - c[2] - y0*t2[0] - y1*t2[1]
		y3 := bi[3] - c[3] - y0*t3[0] - y1*t3[1] - y2*t3[2]
		bi[0], bi[1], bi[2], bi[3] = y0, y1, y2, y3
	}
	for ; i < n; i++ {
		b[i] -= Dot(lu[i*ldlu:i*ldlu+i], b)
	}
	// U x = y, from the bottom: the n%4 last rows one by one, then blocks.
	i = n
	for ; i%4 != 0; i-- {
		row := lu[(i-1)*ldlu : (i-1)*ldlu+n]
		b[i-1] = (b[i-1] - Dot(row[i:], b[i:])) / row[i-1]
	}
	for ; i > 0; i -= 4 {
		i0 := i - 4
		dots4x1(lu[i0*ldlu+i:], ldlu, b[i:], n-i, &c)
		r0 := lu[i0*ldlu+i0 : i0*ldlu+i]
		r1 := lu[(i0+1)*ldlu+i0 : (i0+1)*ldlu+i]
		r2 := lu[(i0+2)*ldlu+i0 : (i0+2)*ldlu+i]
		r3 := lu[(i0+3)*ldlu+i0 : (i0+3)*ldlu+i]
		bi := b[i0:i]
		x3 := (bi[3] - c[3]) / r3[3]
		x2 := (bi[2] - c[2] - r2[3]*x3) / r2[2]
		x1 := (bi[1] - c[1] - r1[2]*x2 - r1[3]*x3) / r1[1]
		x0 := (bi[0] - c[0] - r0[1]*x1 - r0[2]*x2 - r0[3]*x3) / r0[0]
		bi[0], bi[1], bi[2], bi[3] = x0, x1, x2, x3
	}
}

// LUSolveTrans overwrites b (length n) with A⁻ᵀb for the factors lu, piv
// of LU (leading dimension ldlu): Aᵀ = Uᵀ Lᵀ P, so b ← U⁻ᵀb by forward
// substitution, then L⁻ᵀb by back substitution, both as axpys with rows
// of the factors four at a time, and last b ← Pᵀ b.
func LUSolveTrans(lu []float64, n, ldlu int, piv []int, b []float64) {
	b = b[:n]
	var c [4]float64
	// Uᵀ y = b: yᵢ = bᵢ/Uᵢᵢ, then b₍ᵢ₊₁:₎ −= yᵢ Uᵢ,₍ᵢ₊₁:₎.
	i := 0
	for ; i+4 <= n; i += 4 {
		r0 := lu[i*ldlu+i : i*ldlu+i+4]
		r1 := lu[(i+1)*ldlu+i : (i+1)*ldlu+i+4]
		r2 := lu[(i+2)*ldlu+i : (i+2)*ldlu+i+4]
		r3 := lu[(i+3)*ldlu+i : (i+3)*ldlu+i+4]
		bi := b[i : i+4]
		y0 := bi[0] / r0[0]
		y1 := (bi[1] - y0*r0[1]) / r1[1]
		y2 := (bi[2] - y0*r0[2] - y1*r1[2]) / r2[2]
		y3 := (bi[3] - y0*r0[3] - y1*r1[3] - y2*r2[3]) / r3[3]
		bi[0], bi[1], bi[2], bi[3] = y0, y1, y2, y3
		c = [4]float64{-y0, -y1, -y2, -y3}
		axpy4(&c, lu[i*ldlu+i+4:], ldlu, b[i+4:])
	}
	for ; i < n; i++ {
		row := lu[i*ldlu : i*ldlu+n]
		b[i] /= row[i]
		Axpy(-b[i], row[i+1:], b[i+1:])
	}
	// Lᵀ z = y, L unit lower: zᵢ = yᵢ, then y₍:ᵢ₎ −= zᵢ Lᵢ,₍:ᵢ₎.
	i = n
	for ; i%4 != 0; i-- {
		Axpy(-b[i-1], lu[(i-1)*ldlu:(i-1)*ldlu+i-1], b)
	}
	for ; i > 0; i -= 4 {
		i0 := i - 4
		t1 := lu[(i0+1)*ldlu+i0 : (i0+1)*ldlu+i0+1]
		t2 := lu[(i0+2)*ldlu+i0 : (i0+2)*ldlu+i0+2]
		t3 := lu[(i0+3)*ldlu+i0 : (i0+3)*ldlu+i0+3]
		bi := b[i0:i]
		x3 := bi[3]
		x2 := bi[2] - x3*t3[2]
		x1 := bi[1] - x3*t3[1] - x2*t2[1]
		x0 := bi[0] - x3*t3[0] - x2*t2[0] - x1*t1[0]
		bi[0], bi[1], bi[2], bi[3] = x0, x1, x2, x3
		c = [4]float64{-x0, -x1, -x2, -x3}
		axpy4(&c, lu[i0*ldlu:], ldlu, b[:i0])
	}
	for i := n - 1; i >= 0; i-- {
		if p := piv[i]; p != i {
			b[i], b[p] = b[p], b[i]
		}
	}
}

// LUSolveRows overwrites each of the rows×n rows xᵢ of x (leading
// dimension ldx) with A⁻¹xᵢ, or A⁻ᵀxᵢ when trans is true, for the factors
// lu, piv of LU (leading dimension ldlu): the solve of many right-hand
// sides stored as rows, X ← X A⁻ᵀ (or X A⁻¹).
func LUSolveRows(x []float64, rows, ldx int, lu []float64, n, ldlu int, piv []int, trans bool) {
	for i := range rows {
		xi := x[i*ldx : i*ldx+n]
		if trans {
			LUSolveTrans(lu, n, ldlu, piv, xi)
		} else {
			LUSolve(lu, n, ldlu, piv, xi)
		}
	}
}

// SolveRowsUnitLowerT is SolveRowsLowerT for a unit lower triangular l,
// whose diagonal is not read (the L of LU): it overwrites the rows×n
// matrix x (leading dimension ldx) with X L⁻ᵀ, that is, each row xᵢ with
// L⁻¹xᵢ.
func SolveRowsUnitLowerT(x []float64, rows, ldx int, l []float64, n, ldl int) {
	if rows == 0 || n == 0 {
		return
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	solveRowsAll(x, rows, ldx, l, ldl, n, ones)
}
