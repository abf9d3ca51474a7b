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
// # Fill-reducing ordering: AMD
//
// AMD orders a symmetric pattern by approximate minimum degree (P. R.
// Amestoy, T. A. Davis and I. S. Duff, "An approximate minimum degree
// ordering algorithm", SIAM J. Matrix Anal. Appl. 17(4), 1996, 886–905).
// Eliminating a node i of the graph of S joins its neighbours into a
// clique; the minimum degree heuristic eliminates a node of least degree at
// each step. AMD works on the quotient graph: an eliminated node p becomes
// an element whose variable list L_p replaces the clique, each variable i
// keeps a list E_i of adjacent elements and a list A_i of adjacent
// variables, and elements adjacent to p are absorbed into it, so the
// quotient graph is never larger than the graph of S (this implementation
// allocates each new element list and drops the absorbed ones). The exact degree |A_i ∪ ⋃ L_e| is
// replaced by the upper bound
//
//	d_i = min( n − k,  d_i + |L_p \ i|,  |A_i \ i| + |L_p \ i| + Σ_{e ∈ E_i \ p} |L_e \ L_p| )
//
// whose terms |L_e \ L_p| are computed for all e adjacent to L_p in time
// proportional to the lists scanned. Variables with equal E_i and A_i
// (indistinguishable; found by a hash of their lists) are merged into a
// supervariable of weight nv, and all sizes above are sums of weights. An
// element e with L_e ⊆ L_p (|L_e \ L_p| = 0) is absorbed at once
// (aggressive absorption), and a variable adjacent to p alone is eliminated
// with p (mass elimination). Rows with more than max(16, 10√n) entries are
// removed before the elimination and ordered last (dense rows: an arrowhead
// with its dense row first factors with nnz(L) = n − 1). Written from the
// paper; ties go to the most recently updated variable. AMD applies no
// postordering (it does not change the fill); NewLDL postorders the
// elimination tree of AMD's order.
//
// # Sparse LDLᵀ of quasi-definite matrices
//
// NewLDL factors a symmetric K = [H Aᵀ; A −D] with H ⪰ 0 and D ⪰ 0, given
// signs s_i = +1 for the rows of H and −1 for those of D. With H + εI ≻ 0
// and D + εI ≻ 0, K + ε·diag(s) is quasi-definite, hence strongly
// factorizable: P(K + ε·diag(s))Pᵀ = L D Lᵀ exists for every permutation P,
// with D diagonal, n₊ positive and n₋ negative pivots (R. J. Vanderbei,
// "Symmetric quasidefinite matrices", SIAM J. Optim. 5(1), 1995, 100–113),
// so P can be chosen for sparsity alone.
//
// Symbolic analysis, once: the pattern of C = P K Pᵀ (upper triangle); its
// elimination tree, parent(j) = min{ i > j : L_ij ≠ 0 }, built by Liu's
// algorithm with path marking; and the column counts of L by row subtrees:
// the pattern of row k of L is the set of nodes met by climbing the tree from
// each i with C_ik ≠ 0 up to k (T. A. Davis, Direct Methods for Sparse
// Linear Systems, SIAM 2006, ch. 4). P is the fill-reducing order followed
// by a postorder of its elimination tree (same fill; every subtree on
// consecutive columns). L is then allocated once, and Refactor (same
// pattern, new values) allocates nothing.
//
// Numeric factorization, up-looking (Davis, ch. 4 and his LDL package's
// description): row k of L solves the triangular system L₀₀ D₀ l = c over
// the row subtree of k, then d_k = c_kk + s_k ε − Σ_i l_ki² d_i. Dynamic
// regularization: a pivot with s_k·d_k ≤ DynamicTol (wrong sign or
// too small) is replaced by s_k·DynamicReg and counted.
//
// Numeric factorization, supernodal (left-looking; the structure of
// CHOLMOD's, Y. Chen, T. A. Davis, W. W. Hager and S. Rajamanickam, ACM
// TOMS 35(3), 2008, article 22): consecutive columns whose patterns nest
// (j+1 the parent and only child of j, one entry fewer) form a fundamental
// supernode, a child is merged into its parent while the explicit zeros
// this stores stay few (relaxed amalgamation: always up to 4 columns,
// < 80 % zeros up to 16, < 10 % up to 48, < 5 % beyond), and blocks are cut
// into chunks of at most 128 columns. A supernode with columns J and rows
// R ⊇ J is one dense row-major |R|×|J| block. It is assembled from C,
// receives from every descendant s with rows in J the update
// −L_{R_s,s} D_s L_{J,s}ᵀ (row dots of length |s|, 3×4 at a time on the
// AVX2/FMA kernels of internal/dense), scattered through the positions of
// R_s in R; then its diagonal block is factored densely (Crout, L₁₁ D L₁₁ᵀ,
// with the same pivot rules) and the rows below solve X L₁₁ᵀ = A₂₁, L₂₁ =
// X D⁻¹. The pivots equal the up-looking ones up to rounding (a pivot that
// is zero in exact arithmetic is rounding noise in both, and its DynamicTol
// decision may differ). It is used when the factorization has at least
// 2·10⁶ flops and 40 flops per entry of L (dense blocks form) and its
// blocks store at most 2.2 times the entries of L; on the Maros–Mészáros
// KKT matrices of BENCHMARKS.md it was measured 1.6× (CONT-050) to 15–21×
// (CVXQP3_L) faster. The solve runs per supernode with dense triangular
// and matrix–vector products.
//
// Solve applies x = Pᵀ L⁻ᵀ D⁻¹ L⁻¹ P b, then iterative refinement against
// the unregularized K: r = b − Kx, x += (LDLᵀ)⁻¹ r, until ‖r‖∞ ≤
// Tol·(1 + ‖b‖∞), MaxIter steps, or a step that does not halve ‖r‖∞. The
// regularized factors are a preconditioner of K, so the refinement
// converges when ε‖K⁻¹‖ < 1; for a singular K it still reduces the
// residual of a consistent system.
//
// Parallelism: rows of two disjoint subtrees of the elimination tree read
// and write only columns inside their own subtree, so with Workers ≥ 2 two
// goroutines factor two balanced sets of subtrees and the common ancestors
// follow sequentially (for the supernodal kernel, the same split of the
// supernodal tree). It is used when the tree splits into parts of at
// least a quarter of the work each and the work exceeds about 5·10⁷
// flops, the size from which two goroutines were measured to pay. In the
// supernodal kernel, a supernode outside the split with at least 10⁶ flops
// of updates is also shared by two goroutines over the two halves of its
// rows (the updates, then the rows below the diagonal block), which serves
// the dense top of the tree, where no split exists.
//
// CSC implements mat.Matrix and SymCSC implements mat.Symmetric, so both can
// be passed where the module takes gonum matrices (dense code then reads them
// through At, which is slow for big matrices: convert with Dense first).
package sparse
