package dense

import "math"

// useAsm reports whether the AVX/FMA kernels are used; set once at start.
var useAsm bool

// useAVX512 reports whether the AVX-512 variants of the level-3 kernels
// (the 3×4 dot blocks of dots3x4 and dots6x4, the row solves of
// solveRows3AVX512 and solveRows6AVX512, cholUpperAVX512) are used; set
// once at start, and only together with useAsm. They give the same bits
// as the AVX2 kernels.
var useAVX512 bool

// UsesAsm reports whether the assembly kernels are in use on this machine.
func UsesAsm() bool { return useAsm }

// Dot returns Σᵢ x[i]·y[i] over i < len(x); y must be at least as long.
func Dot(x, y []float64) float64 {
	n := len(x)
	y = y[:n]
	if n == 0 {
		return 0
	}
	var s float64
	k := 0
	if useAsm && n >= 4 {
		k = n &^ 3
		s = dotAVX(&x[0], &y[0], k)
	}
	for i := k; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

// Axpy sets y[i] += alpha·x[i] for i < len(x); y must be at least as long.
func Axpy(alpha float64, x, y []float64) {
	n := len(x)
	y = y[:n]
	k := 0
	if useAsm && n >= 8 {
		k = n &^ 7
		axpyAVX(alpha, &x[0], &y[0], k)
	}
	for i := k; i < n; i++ {
		y[i] += alpha * x[i]
	}
}

// dots3x4 sets c[4i+j] = Σ_{l<k} a[i·lda+l]·b[j·ldb+l] for i < 3, j < 4.
func dots3x4(a []float64, lda int, b []float64, ldb int, k int, c *[12]float64) {
	if k == 0 {
		*c = [12]float64{}
		return
	}
	_ = a[2*lda+k-1]
	_ = b[3*ldb+k-1]
	k4 := 0
	if useAsm && k >= 4 {
		k4 = k &^ 3
		if useAVX512 {
			dots3x4AVX512(&a[0], lda, &b[0], ldb, k4, c)
		} else {
			dots3x4AVX(&a[0], lda, &b[0], ldb, k4, c)
		}
		if k4 == k {
			return
		}
	} else {
		*c = [12]float64{}
	}
	for i := range 3 {
		ai := a[i*lda+k4 : i*lda+k]
		for j := range 4 {
			bj := b[j*ldb+k4 : j*ldb+k]
			s := c[4*i+j]
			for l, v := range ai {
				s += v * bj[l]
			}
			c[4*i+j] = s
		}
	}
}

// dots6x4 is dots3x4 for the rows 0..2 of a (into c[0:12]) and for its
// rows 3..5 (into c[12:24]), every entry with the operations of dots3x4.
// Only for useAVX512.
func dots6x4(a []float64, lda int, b []float64, ldb int, k int, c *[24]float64) {
	if k < 4 {
		var c0, c1 [12]float64
		dots3x4(a, lda, b, ldb, k, &c0)
		dots3x4(a[3*lda:], lda, b, ldb, k, &c1)
		copy(c[:12], c0[:])
		copy(c[12:], c1[:])
		return
	}
	_ = a[5*lda+k-1]
	_ = b[3*ldb+k-1]
	k4 := k &^ 3
	dots6x4AVX512(&a[0], lda, &b[0], ldb, k4, c)
	if k4 == k {
		return
	}
	for i := range 6 {
		ai := a[i*lda+k4 : i*lda+k]
		for j := range 4 {
			bj := b[j*ldb+k4 : j*ldb+k]
			s := c[4*i+j]
			for l, v := range ai {
				s += v * bj[l]
			}
			c[4*i+j] = s
		}
	}
}

// dots4x1 sets c[i] = Σ_{l<k} a[i·lda+l]·x[l] for i < 4.
func dots4x1(a []float64, lda int, x []float64, k int, c *[4]float64) {
	if k == 0 {
		*c = [4]float64{}
		return
	}
	_ = a[3*lda+k-1]
	x = x[:k]
	k8 := 0
	if useAsm {
		k8 = k &^ 7
		if k8 > 0 {
			dots4x1AVX(&a[0], lda, &x[0], k8, c)
		} else {
			*c = [4]float64{}
		}
	} else {
		*c = [4]float64{}
	}
	for i := range 4 {
		ai := a[i*lda+k8 : i*lda+k]
		s := c[i]
		for l, v := range ai {
			s += v * x[k8+l]
		}
		c[i] = s
	}
}

// axpy4 sets y[l] += Σ_{i<4} c[i]·a[i·lda+l] for l < len(y).
func axpy4(c *[4]float64, a []float64, lda int, y []float64) {
	n := len(y)
	if n == 0 {
		return
	}
	_ = a[3*lda+n-1]
	k := 0
	if useAsm {
		k = n &^ 7
		if k > 0 {
			axpy4AVX(c, &a[0], lda, &y[0], k)
		}
	}
	a0, a1, a2, a3 := a[k:n], a[lda+k:lda+n], a[2*lda+k:2*lda+n], a[3*lda+k:3*lda+n]
	for l := range y[k:] {
		y[k+l] += c[0]*a0[l] + c[1]*a1[l] + c[2]*a2[l] + c[3]*a3[l]
	}
}

// MulVec sets y = alpha·A x + beta·y for the len(y)×len(x) matrix a with
// leading dimension lda (the BLAS gemv). When beta is zero y is not read,
// so it may hold NaN. y and x must not overlap.
func MulVec(y []float64, alpha float64, a []float64, lda int, x []float64, beta float64) {
	rows, cols := len(y), len(x)
	var c [4]float64
	i := 0
	for ; i+4 <= rows; i += 4 {
		dots4x1(a[i*lda:], lda, x, cols, &c)
		if beta == 0 {
			y[i], y[i+1], y[i+2], y[i+3] = alpha*c[0], alpha*c[1], alpha*c[2], alpha*c[3]
		} else {
			y[i] = alpha*c[0] + beta*y[i]
			y[i+1] = alpha*c[1] + beta*y[i+1]
			y[i+2] = alpha*c[2] + beta*y[i+2]
			y[i+3] = alpha*c[3] + beta*y[i+3]
		}
	}
	for ; i < rows; i++ {
		v := alpha * Dot(x, a[i*lda:i*lda+cols])
		if beta != 0 {
			v += beta * y[i]
		}
		y[i] = v
	}
}

// MulTransVec sets y = alpha·Aᵀx + beta·y for the len(x)×len(y) matrix a
// with leading dimension lda. When beta is zero y is not read. y and x
// must not overlap.
func MulTransVec(y []float64, alpha float64, a []float64, lda int, x []float64, beta float64) {
	rows, cols := len(x), len(y)
	switch beta {
	case 0:
		clear(y)
	case 1:
	default:
		for j := range y {
			y[j] *= beta
		}
	}
	if alpha == 0 {
		return
	}
	var c [4]float64
	i := 0
	for ; i+4 <= rows; i += 4 {
		c = [4]float64{alpha * x[i], alpha * x[i+1], alpha * x[i+2], alpha * x[i+3]}
		axpy4(&c, a[i*lda:], lda, y)
	}
	for ; i < rows; i++ {
		Axpy(alpha*x[i], a[i*lda:i*lda+cols], y)
	}
}

// Gram sets the rows×rows matrix c (leading dimension ldc) to Z Zᵀ, both
// triangles, for the rows×cols matrix z with leading dimension ldz.
func Gram(c []float64, ldc int, z []float64, rows, cols, ldz int) {
	i := 0
	for ; i+3 <= rows; i += 3 {
		j := 0
		if useAVX512 && i+6 <= rows {
			// Rows i..i+5 (two triples) against each block of four the
			// first triple needs, then each triple finishes alone: every
			// entry is still one dots3x4 entry.
			var blk6 [24]float64
			for ; j+4 <= i+3; j += 4 {
				dots6x4(z[i*ldz:], ldz, z[j*ldz:], ldz, cols, &blk6)
				gramStore(c, ldc, &blk6, i, j)
				for ii := range 3 {
					ci := c[(i+3+ii)*ldc+j : (i+3+ii)*ldc+j+4]
					bi := blk6[12+4*ii : 12+4*ii+4]
					ci[0], ci[1], ci[2], ci[3] = bi[0], bi[1], bi[2], bi[3]
				}
			}
			gramTriple(c, ldc, z, cols, ldz, i, j)
			i += 3
		}
		gramTriple(c, ldc, z, cols, ldz, i, j)
	}
	for ; i < rows; i++ {
		var c4 [4]float64
		j := 0
		for ; j+4 <= i+1; j += 4 {
			dots4x1(z[j*ldz:], ldz, z[i*ldz:i*ldz+cols], cols, &c4)
			copy(c[i*ldc+j:i*ldc+j+4], c4[:])
		}
		for ; j <= i; j++ {
			c[i*ldc+j] = Dot(z[i*ldz:i*ldz+cols], z[j*ldz:])
		}
	}
	for i := range rows {
		for j := i + 1; j < rows; j++ {
			c[i*ldc+j] = c[j*ldc+i]
		}
	}
}

// gramStore stores the lower-triangle entries of the 3×4 block blk
// (rows i.., columns j..) of Gram.
func gramStore(c []float64, ldc int, blk *[24]float64, i, j int) {
	for ii := range 3 {
		for jj := range 4 {
			if j+jj <= i+ii {
				c[(i+ii)*ldc+j+jj] = blk[4*ii+jj]
			}
		}
	}
}

// gramTriple computes the rows i..i+2 of Gram's lower triangle from
// column j (a multiple of four) on: 3×4 blocks, then the entries of the
// diagonal block one dot at a time.
func gramTriple(c []float64, ldc int, z []float64, cols, ldz, i, j int) {
	var blk [24]float64
	b12 := (*[12]float64)(blk[:12])
	for ; j+4 <= i+3; j += 4 {
		dots3x4(z[i*ldz:], ldz, z[j*ldz:], ldz, cols, b12)
		gramStore(c, ldc, &blk, i, j)
	}
	for ii := i; ii < i+3; ii++ {
		for jj := j; jj <= ii; jj++ {
			c[ii*ldc+jj] = Dot(z[ii*ldz:ii*ldz+cols], z[jj*ldz:])
		}
	}
}

// solveRows overwrites the first ncol columns of the r rows (r ≤ 3) of x
// (leading dimension ldx) with the solution of X Lᵀ = X, for the n×n lower
// triangular l (leading dimension ldl, ncol ≤ n) whose reciprocal
// diagonal is inv, by the recurrence Xᵢⱼ = (Xᵢⱼ − Xᵢ,:ⱼ·Lⱼ,:ⱼ)/Lⱼⱼ taken
// four columns at a time: one block of dots with the finished prefix, then
// the 4×4 triangle in order (the three rows interleaved, so that their
// dependency chains overlap).
func solveRows(x []float64, r, ldx int, l []float64, ldl, ncol int, inv []float64) {
	solveRowsFrom(x, r, ldx, l, ldl, 0, ncol, inv)
}

// solveRowsFrom is solveRows for rows whose first from columns (a
// multiple of four, nonzero only with useAVX512 and r = 3) are already
// solved, block by block as solveRows would have.
func solveRowsFrom(x []float64, r, ldx int, l []float64, ldl, from, ncol int, inv []float64) {
	var blk [12]float64
	var c4 [4]float64
	j := 0
	if useAsm && r == 3 && ncol >= 4 {
		// The whole block loop in one call: no per-block call overhead.
		j = ncol &^ 3
		_ = x[2*ldx+j-1]
		_ = l[(j-1)*ldl+j-1]
		_ = inv[j-1]
		if useAVX512 {
			if from < j {
				solveRows3AVX512(&x[0], ldx, &l[0], ldl, from, j, &inv[0])
			}
		} else {
			solveRows3AVX(&x[0], ldx, &l[0], ldl, j, &inv[0])
		}
	}
	for ; j+4 <= ncol; j += 4 {
		t1 := l[(j+1)*ldl+j : (j+1)*ldl+j+1]
		t2 := l[(j+2)*ldl+j : (j+2)*ldl+j+2]
		t3 := l[(j+3)*ldl+j : (j+3)*ldl+j+3]
		d := inv[j : j+4]
		if r == 3 {
			dots3x4(x, ldx, l[j*ldl:], ldl, j, &blk)
			x0 := x[j : j+4]
			x1 := x[ldx+j : ldx+j+4]
			x2 := x[2*ldx+j : 2*ldx+j+4]
			a0 := (x0[0] - blk[0]) * d[0]
			b0 := (x1[0] - blk[4]) * d[0]
			c0 := (x2[0] - blk[8]) * d[0]
			a1 := (x0[1] - blk[1] - a0*t1[0]) * d[1]
			b1 := (x1[1] - blk[5] - b0*t1[0]) * d[1]
			c1 := (x2[1] - blk[9] - c0*t1[0]) * d[1]
			a2 := (x0[2] - blk[2] - a0*t2[0] - a1*t2[1]) * d[2]
			b2 := (x1[2] - blk[6] - b0*t2[0] - b1*t2[1]) * d[2]
			c2 := (x2[2] - blk[10] - c0*t2[0] - c1*t2[1]) * d[2]
			a3 := (x0[3] - blk[3] - a0*t3[0] - a1*t3[1] - a2*t3[2]) * d[3]
			b3 := (x1[3] - blk[7] - b0*t3[0] - b1*t3[1] - b2*t3[2]) * d[3]
			c3 := (x2[3] - blk[11] - c0*t3[0] - c1*t3[1] - c2*t3[2]) * d[3]
			x0[0], x0[1], x0[2], x0[3] = a0, a1, a2, a3
			x1[0], x1[1], x1[2], x1[3] = b0, b1, b2, b3
			x2[0], x2[1], x2[2], x2[3] = c0, c1, c2, c3
			continue
		}
		for ii := range r {
			xi := x[ii*ldx+j : ii*ldx+j+4]
			dots4x1(l[j*ldl:], ldl, x[ii*ldx:], j, &c4)
			y0 := (xi[0] - c4[0]) * d[0]
			y1 := (xi[1] - c4[1] - y0*t1[0]) * d[1]
			y2 := (xi[2] - c4[2] - y0*t2[0] - y1*t2[1]) * d[2]
			y3 := (xi[3] - c4[3] - y0*t3[0] - y1*t3[1] - y2*t3[2]) * d[3]
			xi[0], xi[1], xi[2], xi[3] = y0, y1, y2, y3
		}
	}
	solveRowsTail(x, r, ldx, l, ldl, j, ncol, inv)
}

// solveRowsTail finishes solveRows from column j (past the last block of
// four) to ncol, one column at a time.
func solveRowsTail(x []float64, r, ldx int, l []float64, ldl, j, ncol int, inv []float64) {
	for ; j < ncol; j++ {
		lrow := l[j*ldl : j*ldl+j]
		for ii := range r {
			xi := x[ii*ldx:]
			xi[j] = (xi[j] - Dot(xi[:j], lrow)) * inv[j]
		}
	}
}

// solveRowsAll is solveRows for all the rows of the rows×n matrix x, in
// triples and then the rest. With AVX-512 the triples go two at a time
// through solveRows6AVX512, which solves each row of a triple with the
// operations of solveRows3AVX: the grouping in triples, and so every
// bit, is that of the AVX2 path.
func solveRowsAll(x []float64, rows, ldx int, l []float64, ldl, n int, inv []float64) {
	i := 0
	if useAVX512 && n >= 4 {
		j := n &^ 3
		_ = l[(j-1)*ldl+j-1]
		_ = inv[j-1]
		for ; i+6 <= rows; i += 6 {
			xi := x[i*ldx:]
			_ = xi[5*ldx+n-1]
			solveRows6AVX512(&xi[0], ldx, &l[0], ldl, j, &inv[0])
			solveRowsTail(xi, 3, ldx, l, ldl, j, n, inv)
			solveRowsTail(xi[3*ldx:], 3, ldx, l, ldl, j, n, inv)
		}
	}
	for ; i+3 <= rows; i += 3 {
		solveRows(x[i*ldx:], 3, ldx, l, ldl, n, inv)
	}
	if i < rows {
		solveRows(x[i*ldx:], rows-i, ldx, l, ldl, n, inv)
	}
}

// smallN is the largest order whose per-call scratch (one vector) the
// factorizations keep on the stack instead of the heap.
const smallN = 128

// reciprocalDiag sets inv[i] = 1/l[i·ldl+i] for i < len(inv).
func reciprocalDiag(inv, l []float64, ldl int) {
	for i := range inv {
		inv[i] = 1 / l[i*ldl+i]
	}
}

// SolveRowsLowerT overwrites the rows×n matrix x (leading dimension ldx)
// with X L⁻ᵀ, the solution of X Lᵀ = X, for the n×n lower triangular l
// with leading dimension ldl: the right triangular solve that turns G into
// G U⁻¹ when Q = UᵀU = L Lᵀ.
func SolveRowsLowerT(x []float64, rows, ldx int, l []float64, n, ldl int) {
	if rows == 0 || n == 0 {
		return
	}
	var buf [smallN]float64
	var inv []float64
	if n <= smallN {
		inv = buf[:n]
	} else {
		inv = make([]float64, n)
	}
	reciprocalDiag(inv, l, ldl)
	solveRowsAll(x, rows, ldx, l, ldl, n, inv)
}

// Cholesky overwrites the lower triangle of the n×n symmetric matrix a
// (leading dimension lda; the strict upper triangle is neither read nor
// written) with the factor L of A = L Lᵀ. It returns false, leaving a
// partly overwritten, when a pivot is not positive and finite (A is not
// numerically positive definite or holds NaN).
func Cholesky(a []float64, n, lda int) bool {
	if n == 0 {
		return true
	}
	_ = a[(n-1)*lda+n-1]
	if n <= choleskySmallN {
		return choleskySmall(a, n, lda)
	}
	return choleskyBlocks(a, n, lda)
}

// choleskyBlocks is Cholesky on the 3×4 dot-product blocks.
func choleskyBlocks(a []float64, n, lda int) bool {
	if useAVX512 {
		return choleskyBlocks6(a, n, lda)
	}
	// 1/Lᵢᵢ of the finished rows, on the stack for the small matrices
	// of the interior-point iterations.
	var buf [smallN]float64
	var inv []float64
	if n <= smallN {
		inv = buf[:n]
	} else {
		inv = make([]float64, n)
	}
	for i := 0; i < n; i += 3 {
		r := min(3, n-i)
		// Off-diagonal block: rows i..i+r−1, columns 0..i−1.
		solveRows(a[i*lda:], r, lda, a, lda, i, inv)
		if !choleskyDiag(a, lda, i, r, inv) {
			return false
		}
	}
	return true
}

// choleskyDiag factorizes the diagonal block of choleskyBlocks, rows and
// columns i..i+r−1, whose rows are solved up to column i, and sets inv
// there. It returns false at a pivot that is not positive and finite.
func choleskyDiag(a []float64, lda, i, r int, inv []float64) bool {
	for ii := i; ii < i+r; ii++ {
		row := a[ii*lda:]
		for jj := i; jj <= ii; jj++ {
			s := row[jj] - Dot(row[:jj], a[jj*lda:])
			if jj == ii {
				if !(s > 0) || math.IsInf(s, 1) {
					return false
				}
				row[ii] = math.Sqrt(s)
				inv[ii] = 1 / row[ii]
			} else {
				row[jj] = s * inv[jj]
			}
		}
	}
	return true
}

// choleskyBlocks6 is choleskyBlocks with AVX-512, the same bits, success
// or failure: every other triple of rows i..i+2 takes the next triple
// along through the blocks of columns [0, i&^3) (solveRows6AVX512, the
// same operations per row as solveRows3AVX), and pre is how many columns
// of the current triple such a pass has solved. A pivot of the first
// triple that fails restores the second triple's entries (saved before
// the pass), which choleskyBlocks would not have touched yet.
func choleskyBlocks6(a []float64, n, lda int) bool {
	var buf [4 * smallN]float64
	var inv, save []float64
	if n <= smallN {
		inv, save = buf[:n], buf[smallN:]
	} else {
		all := make([]float64, 4*n)
		inv, save = all[:n], all[n:]
	}
	pre := 0
	for i := 0; i < n; i += 3 {
		r := min(3, n-i)
		next := 0
		if jb := i &^ 3; pre == 0 && i+6 <= n && jb >= 4 {
			_ = a[(i+5)*lda+jb-1]
			for ii := range 3 {
				copy(save[ii*jb:(ii+1)*jb], a[(i+3+ii)*lda:(i+3+ii)*lda+jb])
			}
			solveRows6AVX512(&a[i*lda], lda, &a[0], lda, jb, &inv[0])
			pre, next = jb, jb
		}
		// Off-diagonal block: rows i..i+r−1, columns 0..i−1.
		solveRowsFrom(a[i*lda:], r, lda, a, lda, pre, i, inv)
		pre = next
		if !choleskyDiag(a, lda, i, r, inv) {
			if jb := next; jb > 0 {
				for ii := range 3 {
					copy(a[(i+3+ii)*lda:(i+3+ii)*lda+jb], save[ii*jb:(ii+1)*jb])
				}
			}
			return false
		}
	}
	return true
}

// SolveLower overwrites b (length n) with L⁻¹b for the n×n lower
// triangular l with leading dimension ldl (forward substitution, four rows
// at a time).
func SolveLower(l []float64, n, ldl int, b []float64) {
	b = b[:n]
	var c [4]float64
	i := 0
	for ; i+4 <= n; i += 4 {
		dots4x1(l[i*ldl:], ldl, b, i, &c)
		t0 := l[i*ldl+i : i*ldl+i+1]
		t1 := l[(i+1)*ldl+i : (i+1)*ldl+i+2]
		t2 := l[(i+2)*ldl+i : (i+2)*ldl+i+3]
		t3 := l[(i+3)*ldl+i : (i+3)*ldl+i+4]
		bi := b[i : i+4]
		y0 := (bi[0] - c[0]) / t0[0]
		y1 := (bi[1] - c[1] - y0*t1[0]) / t1[1]
		y2 := (bi[2] - c[2] - y0*t2[0] - y1*t2[1]) / t2[2]
		y3 := (bi[3] - c[3] - y0*t3[0] - y1*t3[1] - y2*t3[2]) / t3[3]
		bi[0], bi[1], bi[2], bi[3] = y0, y1, y2, y3
	}
	for ; i < n; i++ {
		row := l[i*ldl : i*ldl+i+1]
		b[i] = (b[i] - Dot(row[:i], b)) / row[i]
	}
}

// SolveLowerT overwrites b (length n) with L⁻ᵀb for the n×n lower
// triangular l with leading dimension ldl (back substitution by columns of
// Lᵀ, that is, rows of L, four at a time).
func SolveLowerT(l []float64, n, ldl int, b []float64) {
	b = b[:n]
	i := n
	for ; i%4 != 0; i-- {
		row := l[(i-1)*ldl : (i-1)*ldl+i]
		b[i-1] /= row[i-1]
		Axpy(-b[i-1], row[:i-1], b)
	}
	var c [4]float64
	for ; i > 0; i -= 4 {
		i0 := i - 4
		t0 := l[i0*ldl+i0 : i0*ldl+i0+1]
		t1 := l[(i0+1)*ldl+i0 : (i0+1)*ldl+i0+2]
		t2 := l[(i0+2)*ldl+i0 : (i0+2)*ldl+i0+3]
		t3 := l[(i0+3)*ldl+i0 : (i0+3)*ldl+i0+4]
		bi := b[i0:i]
		x3 := bi[3] / t3[3]
		x2 := (bi[2] - x3*t3[2]) / t2[2]
		x1 := (bi[1] - x3*t3[1] - x2*t2[1]) / t1[1]
		x0 := (bi[0] - x3*t3[0] - x2*t2[0] - x1*t1[0]) / t0[0]
		bi[0], bi[1], bi[2], bi[3] = x0, x1, x2, x3
		c = [4]float64{-x0, -x1, -x2, -x3}
		axpy4(&c, l[i0*ldl:], ldl, b[:i0])
	}
}

// choleskySmallN is the order up to which Cholesky uses choleskySmall: at
// these sizes the block kernels' call overhead exceeds their arithmetic.
const choleskySmallN = 10

// choleskySmall is Cholesky for n ≤ choleskySmallN: the Cholesky–Crout
// recurrence row by row with plain loops, each dot product in two
// accumulators.
func choleskySmall(a []float64, n, lda int) bool {
	var inv [choleskySmallN]float64
	for i := range n {
		ri := a[i*lda : i*lda+i+1]
		for j := range i {
			rj := a[j*lda : j*lda+j]
			var s0, s1 float64
			k := 0
			for ; k+2 <= j; k += 2 {
				s0 += ri[k] * rj[k]
				s1 += ri[k+1] * rj[k+1]
			}
			if k < j {
				s0 += ri[k] * rj[k]
			}
			ri[j] = (ri[j] - (s0 + s1)) * inv[j]
		}
		var s0, s1 float64
		k := 0
		for ; k+2 <= i; k += 2 {
			s0 += ri[k] * ri[k]
			s1 += ri[k+1] * ri[k+1]
		}
		if k < i {
			s0 += ri[k] * ri[k]
		}
		s := ri[i] - (s0 + s1)
		if !(s > 0) || math.IsInf(s, 1) {
			return false
		}
		ri[i] = math.Sqrt(s)
		inv[i] = 1 / ri[i]
	}
	return true
}
