package cone

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/optlayers/optlayers/sparse"
)

// The KKT system of the interior point. With H = W⁻¹W⁻ᵀ the block
// diagonal scaling matrix (H z = s; 0 on Zero blocks), a Newton step
// solves
//
//	⎡Q̃   Ãᵀ⎤ ⎡Δx⎤   ⎡r_x⎤
//	⎣Ã   −H⎦ ⎣Δz⎦ = ⎣r_z⎦.
//
// It is factored in the scaled form of CVXOPT (Vandenberghe 2010, §9):
// with Ā = WÃ (W applied block by block; the identity on Zero blocks) and
// ũ = W⁻ᵀΔz (Δz = Wᵀũ),
//
//	⎡Q̃   Āᵀ⎤ ⎡Δx⎤   ⎡r_x ⎤
//	⎣Ā   −I⎦ ⎣ũ ⎦ = ⎣Wr_z⎦      (0 instead of −I on Zero rows),
//
// which is quasi-definite and keeps the ill-conditioning of the end of
// the iteration (H spanning many orders of magnitude) in the rows of Ā,
// at the square root of H's range: the residual floor of the system is
// then ε·‖Ā‖‖x‖ rather than ε·‖H‖‖x‖. On the orthant W is diagonal and Ā
// has Ã's pattern; on a second-order, PSD, exponential or power block W
// is dense and the block's rows of Ā share the union of the pattern of
// the block's rows of Ã (a large second-order cone with scattered rows
// therefore gives dense rows; the expansion of SOCExpansion is not used
// yet). The pattern is fixed: AMD and the symbolic analysis are done
// once by sparse.NewLDL (signs +1 on x, −1 on ũ), the numeric
// factorization repeated every iteration with static regularization
// 1e-8 and dynamic regularization of tiny pivots, and every solve is
// refined against the unregularized matrix by sparse.LDL and then by
// flexible GMRES (refine).
//
// Two paths solve this system. The sparse one above; and, when the
// reduced matrix Q̃ + ĀᵀĀ is dense enough to make a sparse factorization
// pointless (useDenseKKT: the Schur complements of SOCPs and SDPs with
// dense blocks), the dense normal equations of kktdense.go — the ũ rows
// eliminated as in CVXOPT, Q̃ + Ā_cᵀĀ_c formed densely (low-rank terms
// for second-order blocks, blocked products for PSD blocks) and factored
// by Cholesky, equality rows by their Schur complement, refined by the
// same flexible GMRES against the unregularized scaled KKT operator. A
// failed dense factorization hands the current scaling over to the
// sparse path (toSparse) for the rest of the solve.

// block kinds.
const (
	bkZero = iota
	bkNonneg
	bkSOC
	bkPSD
	bkNonsym
)

// block is one cone block of K on rows lo…hi−1.
type block struct {
	kind   int
	c      Cone
	lo, hi int
	nu     int
}

func (b block) dense() bool { return b.kind == bkSOC || b.kind == bkPSD || b.kind == bkNonsym }

type kktSystem struct {
	n, m  int
	mat   *sparse.SymCSC
	kv    []float64
	perm  []int   // original index (x₀…x_{n−1}, ũ₀…ũ_{m−1}) → position in mat
	posA  [][]int // per constraint row i: positions in kv of the entries of row i of Ā
	atv   [][]float64
	uni   [][]int     // per dense block: the union pattern U of its rows of Ã
	ab    [][]float64 // per dense block: Ã's block rows, dense d×|U| row-major
	ldl   *sparse.LDL
	nfact int
	// fallback: the AMD-ordered factorization of factor is in use.
	fallback bool
	signs    []int8
	workers  int

	rhs, sol, prhs, psol []float64
	gm                   fgmres

	// dn, if non-nil, is the dense normal-equations path (kktdense.go),
	// in use until a factorization fails; eq and blocks build the sparse
	// path then.
	dn     *denseKKT
	eq     *equilibration
	blocks []block
}

// newKKT chooses the path (path: kktAuto, kktForceSparse or
// kktForceDense; see useDenseKKT) and sets it up with W = I.
func newKKT(eq *equilibration, blocks []block, workers, path int) (*kktSystem, error) {
	return newKKTPrepared(eq, blocks, workers, path, nil)
}

// newKKTPrepared is newKKT whose sparse path reuses the pattern and the
// analysis of pr when non-nil.
func newKKTPrepared(eq *equilibration, blocks []block, workers, path int, pr *Prepared) (*kktSystem, error) {
	if !sparsePath(eq, blocks, path) {
		return &kktSystem{n: len(eq.p), m: len(eq.b), dn: newDenseKKT(eq, blocks, workers), eq: eq, blocks: blocks, workers: workers}, nil
	}
	return newSparseKKTPrepared(eq, blocks, workers, pr)
}

// newSparseKKT assembles the pattern of the scaled KKT matrix for the
// equilibrated data and analyses it; W starts as the identity.
func newSparseKKT(eq *equilibration, blocks []block, workers int) (*kktSystem, error) {
	pat, err := newKKTPattern(eq, blocks)
	if err != nil {
		return nil, err
	}
	return pat.assemble(eq, blocks, workers, nil)
}

// kktPattern is the pattern-only part of the sparse path: what depends on
// the dimensions, the blocks and the patterns of Q̃ and Ã only. It is
// read-only once built (a Prepared shares it between solves).
type kktPattern struct {
	n, m   int
	perm   []int   // as kktSystem.perm
	posA   [][]int // as kktSystem.posA
	uni    [][]int // as kktSystem.uni
	mcp    []int   // the upper triangle of the permuted KKT matrix
	mri    []int
	qPos   []int // entry p of Q̃'s upper triangle → position in the values
	negOne []int // positions of the −1 diagonal of the cone ũ rows
	signs  []int8
}

// newKKTPattern builds the pattern of the scaled KKT matrix.
//
// Ordering. The ũ rows of the cone blocks come first (their pivots are
// −1 − ε: eliminating them forms Q̃ + ĀᵀĀ on x, positive definite, the
// normal equations of CVXOPT's solver), then the x rows and the Zero
// (equality) rows in the AMD order of the pattern of that reduced
// matrix. The factorization is then stable whatever the range of W,
// where an ordering that pivots first on the regularized x rows of a
// linear objective (pivots ε) grows the factor like ‖Ā‖²/ε and overflows
// near the end of the iteration. A dense row of Ā makes Q̃ + ĀᵀĀ dense.
func newKKTPattern(eq *equilibration, blocks []block) (*kktPattern, error) {
	n, m := len(eq.p), len(eq.b)
	N := n + m
	k := &kktPattern{n: n, m: m, posA: make([][]int, m), uni: make([][]int, len(blocks))}
	acp, ari, _ := eq.at.Raw()
	rowCols := make([][]int, m) // the pattern of each row of Ā
	for i := range m {
		rowCols[i] = ari[acp[i]:acp[i+1]]
	}
	for b, bk := range blocks {
		if !bk.dense() {
			continue
		}
		set := map[int]bool{}
		for i := bk.lo; i < bk.hi; i++ {
			for _, r := range rowCols[i] {
				set[r] = true
			}
		}
		u := make([]int, 0, len(set))
		for r := range set {
			u = append(u, r)
		}
		slices.Sort(u)
		k.uni[b] = u
		for i := bk.lo; i < bk.hi; i++ {
			rowCols[i] = u
		}
	}
	isZero := make([]bool, m)
	nz := 0
	for _, bk := range blocks {
		if bk.kind == bkZero {
			for i := bk.lo; i < bk.hi; i++ {
				isZero[i] = true
				nz++
			}
		}
	}
	// Reduced pattern on (x, Zero rows): Q̃ + ĀᵀĀ (one clique per cone row
	// or per dense block) and the equality rows.
	zeroIdx := make([]int, m) // Zero row i → index n + r in the reduced matrix
	var ri, ci []int
	for j := range n {
		ri, ci = append(ri, j), append(ci, j)
	}
	if eq.q != nil {
		qcp, qri, _ := eq.q.Upper().Raw()
		for j := range n {
			for p := qcp[j]; p < qcp[j+1]; p++ {
				ri, ci = append(ri, qri[p]), append(ci, j)
			}
		}
	}
	clique := func(cols []int) {
		for a, x := range cols {
			for _, y := range cols[a:] {
				ri, ci = append(ri, x), append(ci, y)
			}
		}
	}
	r := 0
	for b, bk := range blocks {
		switch {
		case bk.kind == bkZero:
			for i := bk.lo; i < bk.hi; i++ {
				zeroIdx[i] = n + r
				ri, ci = append(ri, n+r), append(ci, n+r)
				for _, x := range rowCols[i] {
					ri, ci = append(ri, x), append(ci, n+r)
				}
				r++
			}
		case bk.dense():
			clique(k.uni[b])
		default:
			for i := bk.lo; i < bk.hi; i++ {
				clique(rowCols[i])
			}
		}
	}
	ones := make([]float64, len(ri))
	red, err := sparse.SymFromTriplets(n+nz, ri, ci, ones, nil)
	if err != nil {
		return nil, fmt.Errorf("cone: internal error building the reduced pattern: %v", err)
	}
	rperm, _, err := sparse.AMD(red, nil)
	if err != nil {
		return nil, fmt.Errorf("cone: internal error ordering the KKT matrix: %v", err)
	}
	// Positions: cone ũ rows first (in order), then the reduced order.
	k.perm = make([]int, N)
	pos := 0
	for i := range m {
		if !isZero[i] {
			k.perm[n+i] = pos
			pos++
		}
	}
	zeroOf := make([]int, nz) // reduced index − n → constraint row
	for i := range m {
		if isZero[i] {
			zeroOf[zeroIdx[i]-n] = i
		}
	}
	for _, old := range rperm {
		if old < n {
			k.perm[old] = pos
		} else {
			k.perm[n+zeroOf[old-n]] = pos
		}
		pos++
	}
	// The matrix in permuted indices, by triplets whose values are their
	// own ids (to find each entry's position in the stored values).
	type ent struct{ a, b int }
	var ents []ent
	add := func(a, b int) {
		pa, pb := k.perm[a], k.perm[b]
		if pa > pb {
			pa, pb = pb, pa
		}
		ents = append(ents, ent{pa, pb})
	}
	var qEnt []int // entry p of Q̃ → its triplet
	if eq.q != nil {
		qEnt = make([]int, eq.q.NNZ())
	}
	for j := range n {
		diag := -1
		if eq.q != nil {
			qcp, qri, _ := eq.q.Upper().Raw()
			for p := qcp[j]; p < qcp[j+1]; p++ {
				if qri[p] == j {
					diag = p
				} else {
					qEnt[p] = len(ents)
					add(qri[p], j)
				}
			}
		}
		if diag >= 0 {
			qEnt[diag] = len(ents)
		}
		add(j, j)
	}
	firstA := make([]int, m)
	var negOne []int // triplets of the −1 diagonal
	for i := range m {
		firstA[i] = len(ents)
		for _, x := range rowCols[i] {
			add(x, n+i)
		}
		if !isZero[i] {
			negOne = append(negOne, len(ents))
		}
		add(n+i, n+i)
	}
	// Structural zeros between the ũ rows of each dense block: they make
	// the block's columns one supernode (the same pattern U below), so
	// its elimination updates Q̃ + ĀᵀĀ by one dense rank-d product
	// instead of d rank-one updates.
	for _, bk := range blocks {
		if !bk.dense() {
			continue
		}
		for i := bk.lo; i < bk.hi; i++ {
			for r := bk.lo; r < i; r++ {
				add(n+r, n+i)
			}
		}
	}
	eri, eci := make([]int, len(ents)), make([]int, len(ents))
	ids := make([]float64, len(ents))
	for e, x := range ents {
		eri[e], eci[e], ids[e] = x.a, x.b, float64(e+1)
	}
	mt, err := sparse.SymFromTriplets(N, eri, eci, ids, nil)
	if err != nil {
		return nil, fmt.Errorf("cone: internal error assembling the KKT matrix: %v", err)
	}
	mcp, mri, kv := mt.Upper().Raw()
	where := make([]int, len(ents))
	for p, id := range kv {
		where[int(id)-1] = p
	}
	for i := range m {
		k.posA[i] = where[firstA[i] : firstA[i]+len(rowCols[i])]
	}
	k.qPos = make([]int, len(qEnt))
	for p, e := range qEnt {
		k.qPos[p] = where[e]
	}
	k.negOne = make([]int, len(negOne))
	for t, e := range negOne {
		k.negOne[t] = where[e]
	}
	k.mcp, k.mri = mcp, mri
	k.signs = make([]int8, N)
	for i := range N {
		k.signs[k.perm[i]] = 1
		if i >= n {
			k.signs[k.perm[i]] = -1
		}
	}
	return k, nil
}

// assemble builds the sparse KKT system of the pattern for the values of
// eq with W = I, and factors it: by a fresh sparse.NewLDL when tmpl is
// nil, else by a clone of tmpl's symbolic analysis (an LDL of this
// pattern), which gives the same factors.
func (pat *kktPattern) assemble(eq *equilibration, blocks []block, workers int, tmpl *sparse.LDL) (*kktSystem, error) {
	n, m := pat.n, pat.m
	N := n + m
	k := &kktSystem{n: n, m: m, perm: pat.perm, posA: pat.posA, uni: pat.uni, ab: make([][]float64, len(blocks))}
	acp, ari, av := eq.at.Raw()
	k.atv = make([][]float64, m)
	for i := range m {
		k.atv[i] = av[acp[i]:acp[i+1]]
	}
	for b, bk := range blocks {
		if !bk.dense() {
			continue
		}
		u := pat.uni[b]
		d := bk.hi - bk.lo
		ab := make([]float64, d*len(u))
		for i := bk.lo; i < bk.hi; i++ {
			c := 0
			for p := acp[i]; p < acp[i+1]; p++ {
				for u[c] != ari[p] {
					c++
				}
				ab[(i-bk.lo)*len(u)+c] = av[p]
			}
		}
		k.ab[b] = ab
	}
	kv := make([]float64, len(pat.mri))
	if eq.q != nil {
		_, _, qv := eq.q.Upper().Raw()
		for p, v := range qv {
			kv[pat.qPos[p]] = v
		}
	}
	for _, p := range pat.negOne {
		kv[p] = -1
	}
	// W = I: Ā = Ã.
	for i := range m {
		if len(k.posA[i]) == len(k.atv[i]) {
			for t, p := range k.posA[i] {
				kv[p] = k.atv[i][t]
			}
		}
	}
	for b, bk := range blocks {
		if bk.dense() {
			u := len(k.uni[b])
			for i := bk.lo; i < bk.hi; i++ {
				for t, p := range k.posA[i] {
					kv[p] = k.ab[b][(i-bk.lo)*u+t]
				}
			}
		}
	}
	mt, err := sparse.NewSymCSC(N, slices.Clone(pat.mcp), slices.Clone(pat.mri), kv)
	if err != nil {
		return nil, fmt.Errorf("cone: internal error assembling the KKT matrix: %v", err)
	}
	k.mat = mt
	k.kv = kv
	var ldl *sparse.LDL
	if tmpl == nil {
		ldl, err = sparse.NewLDL(mt, pat.signs, &sparse.LDLSettings{Ordering: sparse.OrderNatural, Workers: workers, StaticReg: 1e-8})
	} else {
		ldl = tmpl.Clone()
		err = ldl.Refactor(mt)
	}
	if err != nil && (ldl == nil || !errors.Is(err, sparse.ErrNaN)) {
		return nil, fmt.Errorf("%w: the KKT analysis failed: %v", ErrSingular, err)
	}
	k.ldl = ldl
	k.signs, k.workers = pat.signs, workers
	k.rhs, k.sol = make([]float64, N), make([]float64, N)
	k.prhs, k.psol = make([]float64, N), make([]float64, N)
	return k, nil
}

// setDiagW writes the rows of an orthant block scaled by w (Ā = diag(w)Ã).
func (k *kktSystem) setDiagW(bk block, w []float64) {
	if k.dn != nil {
		k.dn.setDiagW(bk, w)
		return
	}
	for i := bk.lo; i < bk.hi; i++ {
		wi := w[i-bk.lo]
		for t, a := range k.atv[i] {
			k.kv[k.posA[i][t]] = wi * a
		}
	}
}

// setSOCW writes the rows of second-order block b for its scaling sc
// (wm: the same W, dense row-major d×d, which the sparse path uses).
func (k *kktSystem) setSOCW(b int, bk block, sc *socScaling, wm []float64) {
	if k.dn != nil {
		k.dn.setSOCW(bk, sc, wm)
		return
	}
	k.setDenseW(b, bk, wm)
}

// setPSDIdentity writes the rows of PSD block b for W = I (Ā_b = Ã_b).
func (k *kktSystem) setPSDIdentity(b int, bk block) {
	if k.dn != nil {
		db := k.dn.blockOf(bk)
		db.sc, db.wm = nil, nil
		k.dn.setPSDIdentity(db)
		return
	}
	u := len(k.uni[b])
	for i := bk.lo; i < bk.hi; i++ {
		for t, p := range k.posA[i] {
			k.kv[p] = k.ab[b][(i-bk.lo)*u+t]
		}
	}
}

// setDenseW writes the rows of dense block b as W·Ã_b (W row-major d×d).
func (k *kktSystem) setDenseW(b int, bk block, wm []float64) {
	if k.dn != nil {
		k.dn.setDenseW(bk, wm)
		return
	}
	d := bk.hi - bk.lo
	u := len(k.uni[b])
	ab := k.ab[b]
	out := make([]float64, u)
	for r := range d {
		clear(out)
		for c := range d {
			wrc := wm[r*d+c]
			if wrc == 0 {
				continue
			}
			row := ab[c*u : (c+1)*u]
			for t := range out {
				out[t] += wrc * row[t]
			}
		}
		for t, p := range k.posA[bk.lo+r] {
			k.kv[p] = out[t]
		}
	}
}

// setPSDW writes the rows of PSD block b as WÃ_b, W(X) = R⁻¹XR⁻ᵀ
// applied to each column of Ã_b (an svec) in turn: T = R⁻¹X, then the
// lower triangle of TR⁻ᵀ, about 1.5N³ operations per column instead of
// the d² = N⁴/4 of a dense W.
func (k *kktSystem) setPSDW(b int, bk block, sc *psdScaling) {
	if k.dn != nil {
		k.dn.setPSDW(bk, sc)
		return
	}
	n := sc.n
	u := len(k.uni[b])
	ab := k.ab[b]
	raw := sc.rinv.RawMatrix()
	ri := make([]float64, n*n) // R⁻¹ row-major
	for i := range n {
		copy(ri[i*n:(i+1)*n], raw.Data[i*raw.Stride:i*raw.Stride+n])
	}
	x := make([]float64, n*n)
	tm := make([]float64, n*n)
	const s2 = math.Sqrt2
	for c := range u {
		// X = smat of column c.
		p := 0
		for j := range n {
			for i := j; i < n; i++ {
				v := ab[(p)*u+c]
				if i != j {
					v /= s2
				}
				x[i*n+j], x[j*n+i] = v, v
				p++
			}
		}
		// T = R⁻¹X.
		for i := range n {
			row := tm[i*n : (i+1)*n]
			clear(row)
			for kk := range n {
				a := ri[i*n+kk]
				if a == 0 {
					continue
				}
				xr := x[kk*n : (kk+1)*n]
				for j := range row {
					row[j] += a * xr[j]
				}
			}
		}
		// Y = TR⁻ᵀ, lower triangle, written as svec into the rows.
		p = 0
		for j := range n {
			rj := ri[j*n : (j+1)*n]
			for i := j; i < n; i++ {
				ti := tm[i*n : (i+1)*n]
				v := 0.0
				for kk := range n {
					v += ti[kk] * rj[kk]
				}
				if i != j {
					v *= s2
				}
				k.kv[k.posA[bk.lo+p][c]] = v
				p++
			}
		}
	}
}

// factor refactors the KKT system with the current W.
func (k *kktSystem) factor() error {
	k.nfact++
	if k.dn != nil {
		err := k.dn.factor()
		if err == nil {
			return nil
		}
		// The sparse path takes over for the rest of the solve.
		return k.toSparse()
	}
	return k.factorSparse()
}

// factorSparse refactors the sparse matrix. If the factorization meets a
// non-finite pivot (a singular x block — free variables outside every
// cone row with no quadratic term — makes the normal-equations order
// pivot on ε and then overflow), it switches for the rest of the solve
// to an LDL with AMD on the whole matrix and a larger static
// regularization 1e-7, whose error the refinement against the
// unregularized matrix removes.
func (k *kktSystem) factorSparse() error {
	err := k.ldl.Refactor(k.mat)
	if err == nil {
		return nil
	}
	if k.fallback {
		return fmt.Errorf("%w: KKT factorization: %v", ErrSingular, err)
	}
	k.fallback = true
	ldl, err2 := sparse.NewLDL(k.mat, k.signs, &sparse.LDLSettings{Workers: k.workers, StaticReg: 1e-7})
	if err2 != nil {
		return fmt.Errorf("%w: KKT factorization: %v (fallback: %v)", ErrSingular, err, err2)
	}
	k.ldl = ldl
	return nil
}

// solve sets (dx, du) to the solution for the right-hand side (rx, ru).
func (k *kktSystem) solve(dx, du, rx, ru []float64) error {
	if k.dn != nil {
		return k.dn.solve(dx, du, rx, ru)
	}
	for j, v := range rx {
		k.rhs[k.perm[j]] = v
	}
	for i, v := range ru {
		k.rhs[k.perm[k.n+i]] = v
	}
	if err := k.ldl.Solve(k.sol, k.rhs); err != nil {
		return fmt.Errorf("%w: KKT solve: %v", ErrSingular, err)
	}
	k.refine()
	for j := range dx {
		dx[j] = k.sol[k.perm[j]]
	}
	for i := range du {
		du[i] = k.sol[k.perm[k.n+i]]
	}
	if !finite(dx) || !finite(du) {
		return fmt.Errorf("%w: KKT solve gave non-finite values", ErrNaN)
	}
	return nil
}

// refine improves k.sol for K·sol = rhs (see fgmres.refine).
func (k *kktSystem) refine() {
	k.gm.refine(k.sol, k.rhs, func(dst, src []float64) { _ = k.mat.MulVec(dst, src) }, k.ldl.Solve)
}

// fgmres is the scratch of refine.
type fgmres struct {
	res, corr []float64
	kv0, kz   [][]float64
}

// refine improves sol for K·sol = rhs by flexible GMRES (Saad, "A
// flexible inner-outer preconditioned GMRES algorithm", SIAM J. Sci.
// Comput. 14, 1993) on the unregularized K (mul), preconditioned by the
// regularized factorization (prec): where K has eigenvalues below the
// static regularization the plain refinement of sparse.LDL stalls (its
// contraction factor ε/λ exceeds one on those few directions), and the
// Krylov iteration removes them in a few steps. A correction that does
// not lower the residual is discarded.
func (fg *fgmres) refine(sol, rhs []float64, mul func(dst, src []float64), prec func(dst, src []float64) error) {
	const restart = 8
	N := len(sol)
	if len(fg.res) != N {
		fg.res = make([]float64, N)
		fg.corr = make([]float64, N)
		fg.kv0 = make([][]float64, restart+1)
		fg.kz = make([][]float64, restart)
		for i := range fg.kv0 {
			fg.kv0[i] = make([]float64, N)
		}
		for i := range fg.kz {
			fg.kz[i] = make([]float64, N)
		}
	}
	nb := normInf(rhs)
	tol := 1e-14 * (1 + nb)
	resid := func() float64 {
		mul(fg.res, sol)
		for i := range fg.res {
			fg.res[i] = rhs[i] - fg.res[i]
		}
		return normInf(fg.res)
	}
	r0 := resid()
	for range 2 { // restarts
		if !(r0 > tol) {
			return
		}
		beta := nrm2(fg.res)
		v := fg.kv0
		for i := range fg.res {
			v[0][i] = fg.res[i] / beta
		}
		var h [restart + 1][restart]float64
		var cs, sn [restart]float64
		var g [restart + 1]float64
		g[0] = beta
		j := 0
		for ; j < restart; j++ {
			if err := prec(fg.kz[j], v[j]); err != nil {
				break
			}
			mul(v[j+1], fg.kz[j])
			for i := 0; i <= j; i++ {
				h[i][j] = dot(v[j+1], v[i])
				for l := range v[j+1] {
					v[j+1][l] -= h[i][j] * v[i][l]
				}
			}
			h[j+1][j] = nrm2(v[j+1])
			for i := 0; i < j; i++ {
				a, b := h[i][j], h[i+1][j]
				h[i][j] = cs[i]*a + sn[i]*b
				h[i+1][j] = -sn[i]*a + cs[i]*b
			}
			r := math.Hypot(h[j][j], h[j+1][j])
			if !(r > 0) {
				break
			}
			if h[j+1][j] != 0 {
				for l := range v[j+1] {
					v[j+1][l] /= h[j+1][j]
				}
			}
			cs[j], sn[j] = h[j][j]/r, h[j+1][j]/r
			h[j][j] = r
			h[j+1][j] = 0
			g[j+1] = -sn[j] * g[j]
			g[j] *= cs[j]
			if math.Abs(g[j+1]) <= 1e-2*tol {
				j++
				break
			}
		}
		if j == 0 {
			return
		}
		var y [restart]float64
		for i := j - 1; i >= 0; i-- {
			s := g[i]
			for l := i + 1; l < j; l++ {
				s -= h[i][l] * y[l]
			}
			y[i] = s / h[i][i]
		}
		copy(fg.corr, sol)
		for i := range j {
			for l := range sol {
				sol[l] += y[i] * fg.kz[i][l]
			}
		}
		r1 := resid()
		if !(r1 < r0) {
			copy(sol, fg.corr)
			return
		}
		r0 = r1
	}
}
