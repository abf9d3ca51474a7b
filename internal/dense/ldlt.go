package dense

// SubABt sets C −= A Bᵀ for the rows×k matrix a (leading dimension lda),
// the cols×k matrix b (leading dimension ldb) and the rows×cols matrix c
// (leading dimension ldc): every entry is a dot of a row of A with a row
// of B, taken as blocks of 3×4 dots (the trailing update of LU). It is the
// supernode-to-supernode update of a sparse LDLᵀ, with B a row block of L
// scaled by D.
func SubABt(c []float64, ldc int, a []float64, lda int, b []float64, ldb int, rows, cols, k int) {
	if rows == 0 || cols == 0 || k == 0 {
		return
	}
	subABt(c, ldc, a, lda, b, ldb, rows, cols, k)
}

// SolveRowsUnitLowerTOnes is SolveRowsUnitLowerT with the caller's
// scratch: ones (length ≥ n) must hold 1 in its first n entries. It
// overwrites the rows×n matrix x (leading dimension ldx) with X L⁻ᵀ for
// the unit lower triangular l (leading dimension ldl, diagonal not read),
// and allocates nothing.
func SolveRowsUnitLowerTOnes(x []float64, rows, ldx int, l []float64, n, ldl int, ones []float64) {
	if rows == 0 || n == 0 {
		return
	}
	ones = ones[:n]
	solveRowsAll(x, rows, ldx, l, ldl, n, ones)
}
