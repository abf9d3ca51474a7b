// Package sparse provides compressed sparse column (CSC) matrices for the
// sparse solvers of optlayers.
//
// # Storage
//
// A rows×cols CSC matrix A with nnz stored entries keeps three arrays:
//
//	colPtr  (cols+1 ints)  column j occupies positions colPtr[j] … colPtr[j+1]−1
//	rowIdx  (nnz ints)     row index of each stored entry, strictly increasing in a column
//	values  (nnz floats)   the entries, all finite
//
// so A_ij = values[p] when rowIdx[p] = i for some p in column j, and 0
// otherwise. Explicit zeros may be stored (structural entries); NNZ counts
// them. SymCSC stores a symmetric S by its upper triangle (i ≤ j) in the
// same layout; each off-diagonal entry stands for S_ij and S_ji.
//
// # Cost
//
//	Transpose                      O(nnz + rows + cols), a counting sort
//	FromTriplets                   the same, plus sorting columns given out of row order
//	MulVec, MulTransVec, Scale*    O(nnz + cols)
//	At                             O(log nnz(column j))
//	FromDense, Dense               O(rows·cols)
//
// MulVec scatters column by column into dst; MulTransVec computes one dot
// product per column (a gather), which is the faster of the two.
//
// # Aliasing and ownership
//
// In MulVec, MulTransVec and their Scaled variants, dst must not overlap x.
// NewCSC and NewSymCSC take ownership of the slices passed in; FromTriplets
// copies. Col, Raw and SymCSC.Upper return views of the storage: they are
// read-only. ScaleRows, ScaleCols and SymCSC.ScaleSym are the only methods
// that change a matrix, and they change it in place.
//
// # Errors
//
// Constructors and methods validate user data and return errors matching
// ErrDims, ErrNaN or ErrInvalid (errors.Is); they never panic on it.
// Dimensions are limited to MaxDim (2³¹−1). A stored matrix is always
// finite. The products are kernels for inner loops: they check lengths but
// not the values of x, so a NaN or ±Inf in x, or an overflow of finite
// values, reaches dst by the IEEE rules (callers that take user vectors
// check them once, outside the loop). At, like gonum's matrices, panics on an
// index outside the matrix, because that is a programming error of the
// caller, not bad data.
//
// CSC implements mat.Matrix and SymCSC implements mat.Symmetric, so both can
// be passed where the module takes gonum matrices (dense code then reads them
// through At, which is slow for big matrices: convert with Dense first).
package sparse
