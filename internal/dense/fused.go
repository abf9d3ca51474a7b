package dense

// DotAxpyRows computes, for each row aᵢ (i < rows) of the matrix a with
// leading dimension lda and len(x) columns,
//
//	sᵢ = aᵢ·x,  cᵢ = f(i, sᵢ),  z += cᵢ·aᵢ,
//
// that is z += Aᵀ c with c depending on A x row by row. It works on blocks
// of four rows (the last rows%4 one by one), calling f for the four rows of
// a block before the block's update of z, so each block is read from main
// memory (or the last-level cache) once for both products instead of once
// for A x and once for Aᵀ c. This is one Sinkhorn iteration on a stored
// kernel: u = a ⊘ (K v) then Kᵀ u, in one sweep over K.
//
// The arithmetic is that of [MulVec] (y = A x, β = 0) followed by
// [MulTransVec] (z += Aᵀ c, α = β = 1) on the same rows, so the results are
// the same bits. len(z) must equal len(x); a, x and z must not overlap.
func DotAxpyRows(a []float64, lda, rows int, x, z []float64, f func(i int, s float64) float64) {
	cols := len(x)
	z = z[:cols]
	var s, c [4]float64
	i := 0
	for ; i+4 <= rows; i += 4 {
		blk := a[i*lda:]
		dots4x1(blk, lda, x, cols, &s)
		for k := range 4 {
			c[k] = f(i+k, s[k])
		}
		axpy4(&c, blk, lda, z)
	}
	for ; i < rows; i++ {
		row := a[i*lda : i*lda+cols]
		Axpy(f(i, Dot(x, row)), row, z)
	}
}
