package sparse

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Ordering selects the fill-reducing permutation of NewLDL.
type Ordering int

const (
	// OrderAMD is approximate minimum degree (the default).
	OrderAMD Ordering = iota
	// OrderNatural keeps the given order.
	OrderNatural
)

// LDLSettings configures NewLDL. The zero value (or nil) gives the
// defaults; a negative value of a float field means 0 (off).
type LDLSettings struct {
	Ordering Ordering
	Order    *OrderSettings // settings of AMD; nil means its defaults

	// StaticReg ε is added to every diagonal entry with the sign of its
	// row: K + ε·diag(signs) is factored. 0 means 1e-8.
	StaticReg float64
	// DynamicTol and DynamicReg: a pivot d_k with signs[k]·d_k ≤
	// DynamicTol (wrong sign or too small) is replaced by
	// signs[k]·DynamicReg, and counted in LDLStats.DynamicRegs. 0 means
	// 1e-13 and 2e-7.
	DynamicTol, DynamicReg float64

	// Iterative refinement of Solve against the unregularized K: it stops
	// when ‖b − Kx‖∞ ≤ Tol·(1 + ‖b‖∞), after MaxIter corrections, or when
	// a correction reduces the residual by less than a factor 2 (the best
	// x is kept). Tol 0 means 1e-13; MaxIter 0 means 10, negative means no
	// refinement.
	Tol     float64
	MaxIter int

	// Workers is the number of goroutines of the numeric factorization: 0
	// means runtime.GOMAXPROCS(0) (the module's convention), negative is
	// ErrInvalid; 1 is sequential; 2 or more factors independent subtrees of the
	// elimination tree in parallel when the tree splits into balanced
	// parts and the matrix is big enough to pay for it, and (supernodal
	// kernel) shares the rows of big supernodes between two goroutines.
	Workers int
}

// LDLStats reports the last factorization and solve.
type LDLStats struct {
	N       int     // order of K
	NNZK    int     // stored entries of the upper triangle of K
	NNZL    int     // entries of L below the diagonal
	Flops   float64 // Σ_j c_j(c_j+3) over the column counts c_j: the work of one factorization
	Dynamic int     // pivots replaced by dynamic regularization in the last factorization

	Refinements int     // refinement steps of the last Solve
	Residual    float64 // ‖b − Kx‖∞ after the last Solve

	// Wall times of the ordering and the symbolic analysis (NewLDL), and
	// of the last numeric factorization.
	OrderTime, SymbolicTime, NumericTime time.Duration
	Parallel                             bool // the last factorization used two goroutines
}

// LDL is a sparse LDLᵀ factorization P(K + εS)Pᵀ = L D Lᵀ of a
// quasi-definite symmetric matrix K (S = diag(signs)), with the symbolic
// analysis (ordering, elimination tree, column counts) done once by NewLDL
// and the numeric factorization repeated by Refactor. An LDL is not safe
// for concurrent use.
type LDL struct {
	n     int
	set   LDLSettings
	perm  []int // perm[k] = row of K at position k
	iperm []int
	sign  []float64 // permuted signs
	k     *SymCSC   // the unregularized matrix (not owned)

	kcp, kri []int // K's pattern, to check Refactor's argument
	cmap     []int // entry p of K goes to entry cmap[p] of C = P K Pᵀ
	ccp, cri []int // upper triangle of C
	cx       []float64

	parent []int
	lp     []int // column pointers of L (strictly lower part)
	lnz    []int // filled length of each column during factorization
	li     []int
	lx     []float64
	d      []float64

	// sequential work arrays and the parallel split
	ws    ldlWork
	split *ldlSplit

	// the supernodal factorization, when chosen (li, lx, lnz are then nil)
	sn *supernodes

	// solve work
	b, x, r, t []float64

	stats LDLStats
	ok    bool
}

type ldlWork struct {
	y    []float64
	pat  []int
	flag []int
}

func newWork(n int) ldlWork {
	return ldlWork{y: make([]float64, n), pat: make([]int, n), flag: make([]int, n)}
}

// NewLDL analyses the pattern of k, then factors it. signs[i] is +1 for a
// primal row (the H block) and −1 for a dual row (the −D block). k is kept
// (not copied) for the refinement of Solve: do not change it while the
// factorization is in use. A factorization that meets a non-finite pivot
// returns an error wrapping ErrNaN, with the analysis kept so that a
// Refactor can follow.
func NewLDL(k *SymCSC, signs []int8, s *LDLSettings) (*LDL, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrInvalid)
	}
	n := k.SymmetricDim()
	if len(signs) != n {
		return nil, fmt.Errorf("%w: len(signs) = %d, want n = %d", ErrDims, len(signs), n)
	}
	for i, g := range signs {
		if g != 1 && g != -1 {
			return nil, fmt.Errorf("%w: signs[%d] = %d, want ±1", ErrInvalid, i, g)
		}
	}
	var set LDLSettings
	if s != nil {
		set = *s
	}
	switch {
	case set.Workers < 0:
		return nil, fmt.Errorf("%w: LDLSettings.Workers = %d (want ≥ 0; 0 means GOMAXPROCS)", ErrInvalid, set.Workers)
	case set.Workers == 0:
		set.Workers = runtime.GOMAXPROCS(0)
	}
	for _, v := range []float64{set.StaticReg, set.DynamicTol, set.DynamicReg, set.Tol} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: LDLSettings has a non-finite value %v", ErrInvalid, v)
		}
	}
	def := func(v, d float64) float64 {
		switch {
		case v == 0:
			return d
		case v < 0:
			return 0
		}
		return v
	}
	set.StaticReg = def(set.StaticReg, 1e-8)
	set.DynamicTol = def(set.DynamicTol, 1e-13)
	set.DynamicReg = def(set.DynamicReg, 2e-7)
	set.Tol = def(set.Tol, 1e-13)
	if set.MaxIter == 0 {
		set.MaxIter = 10
	}
	if set.Ordering != OrderAMD && set.Ordering != OrderNatural {
		return nil, fmt.Errorf("%w: unknown ordering %d", ErrInvalid, set.Ordering)
	}
	f := &LDL{n: n, set: set}
	t0 := time.Now()
	if set.Ordering == OrderAMD {
		var err error
		f.perm, f.iperm, err = AMD(k, set.Order)
		if err != nil {
			return nil, err
		}
	} else {
		f.perm, f.iperm = make([]int, n), make([]int, n)
		for i := range f.perm {
			f.perm[i], f.iperm[i] = i, i
		}
	}
	t1 := time.Now()
	f.symbolic(k, signs)
	f.stats.OrderTime = t1.Sub(t0)
	f.stats.SymbolicTime = time.Since(t1)
	if err := f.Refactor(k); err != nil {
		return f, err
	}
	return f, nil
}

// symbolic builds the permuted pattern, the elimination tree and the column
// counts of L, and allocates everything the numeric phase uses. The
// fill-reducing order is followed by a postorder of its elimination tree
// (the same fill, with every subtree on consecutive columns), which is what
// lets columns with nested patterns form supernodes.
func (f *LDL) symbolic(k *SymCSC, signs []int8) {
	n := f.n
	kcp, kri := k.up.ptr(), k.up.rowIdx
	f.kcp, f.kri = slices.Clone(kcp), slices.Clone(kri)
	nnz := len(kri)
	f.cri = make([]int, nnz)
	f.cmap = make([]int, nnz)
	f.cx = make([]float64, nnz)
	f.parent = make([]int, n)
	colcnt := make([]int, n)
	f.pattern(colcnt, true)
	if post := postorder(f.parent); post != nil {
		perm := make([]int, n)
		for k, j := range post {
			perm[k] = f.perm[j]
		}
		f.perm = perm
		for k, i := range perm {
			f.iperm[i] = k
		}
		// Relabel the tree and the counts rather than recompute them.
		ipost := make([]int, n)
		for k, j := range post {
			ipost[j] = k
		}
		parent := make([]int, n)
		cc := make([]int, n)
		for k, j := range post {
			parent[k] = -1
			if p := f.parent[j]; p >= 0 {
				parent[k] = ipost[p]
			}
			cc[k] = colcnt[j]
		}
		f.parent = parent
		copy(colcnt, cc)
		f.pattern(nil, false)
	}
	f.sign = make([]float64, n)
	for i, g := range signs {
		f.sign[f.iperm[i]] = float64(g)
	}
	f.lp = make([]int, n+1)
	var flops float64
	for j := 0; j < n; j++ {
		f.lp[j+1] = f.lp[j] + colcnt[j]
		flops += float64(colcnt[j]) * float64(colcnt[j]+3)
	}
	nl := f.lp[n]
	f.d = make([]float64, n)
	f.ws = newWork(n)
	f.b, f.x, f.r, f.t = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	f.stats.N, f.stats.NNZK, f.stats.NNZL, f.stats.Flops = n, nnz, nl, flops
	if useSupernodal(n, nl, flops) {
		sn := newSupernodes(f, colcnt)
		if keepSupernodal(len(sn.x), nl+n) {
			f.sn = sn
			if f.set.Workers >= 2 {
				f.sn.planParallel(flops)
			}
			return
		}
	}
	f.li = make([]int, nl)
	f.lx = make([]float64, nl)
	f.lnz = make([]int, n)
	if f.set.Workers >= 2 {
		f.split = planSplit(f.parent, colcnt, flops)
	}
}

// pattern builds the upper triangle of C = P K Pᵀ for the current
// permutation (f.ccp, f.cri, f.cmap) and, when tree is set, its
// elimination tree (f.parent) and the column counts of L below the
// diagonal.
func (f *LDL) pattern(colcnt []int, tree bool) {
	n := f.n
	kcp, kri := f.kcp, f.kri
	nnz := len(kri)
	// Entry (i, j) of K goes to (min, max) of (iperm[i], iperm[j]); rows
	// are sorted by a two-pass counting sort.
	cnt := make([]int, n+1)
	for j := 0; j < n; j++ {
		for p := kcp[j]; p < kcp[j+1]; p++ {
			cnt[max(f.iperm[kri[p]], f.iperm[j])+1]++
		}
	}
	for j := 0; j < n; j++ {
		cnt[j+1] += cnt[j]
	}
	f.ccp = slices.Clone(cnt)
	// Bucket by row first (a transpose), then by column, so rows come out
	// sorted within each column.
	rcnt := make([]int, n+1)
	for j := 0; j < n; j++ {
		for p := kcp[j]; p < kcp[j+1]; p++ {
			rcnt[min(f.iperm[kri[p]], f.iperm[j])+1]++
		}
	}
	for i := 0; i < n; i++ {
		rcnt[i+1] += rcnt[i]
	}
	byRow := make([]int, nnz) // K entry positions ordered by C row
	colOf := make([]int, nnz) // column of entry p of K
	for j := 0; j < n; j++ {
		for p := kcp[j]; p < kcp[j+1]; p++ {
			r := min(f.iperm[kri[p]], f.iperm[j])
			byRow[rcnt[r]] = p
			rcnt[r]++
			colOf[p] = j
		}
	}
	for _, p := range byRow {
		a, b := f.iperm[kri[p]], f.iperm[colOf[p]]
		r, c := min(a, b), max(a, b)
		q := cnt[c]
		cnt[c]++
		f.cri[q] = r
		f.cmap[p] = q
	}

	if !tree {
		return
	}
	// Elimination tree (Liu) and column counts by row subtrees: row k of L
	// is the set of nodes reached from the entries of column k of C by
	// climbing the tree up to k.
	flag := cnt[:n] // reused
	clear(colcnt)
	for c := 0; c < n; c++ {
		f.parent[c] = -1
		flag[c] = c
		for p := f.ccp[c]; p < f.ccp[c+1]; p++ {
			for i := f.cri[p]; flag[i] != c; i = f.parent[i] {
				if f.parent[i] < 0 {
					f.parent[i] = c
				}
				colcnt[i]++
				flag[i] = c
			}
		}
	}
}

// postorder returns a postorder of the forest parent (children in
// increasing order, roots in increasing order): post[k] is the node at
// position k. It returns nil when the identity is one.
func postorder(parent []int) []int {
	n := len(parent)
	ident := true
	for j, p := range parent {
		if p >= 0 && p != j+1 {
			ident = false
			break
		}
	}
	if ident {
		// Every node's parent is the next one: a chain or a forest of
		// chains, already postordered.
		return nil
	}
	head := make([]int, n)
	next := make([]int, n)
	for i := range head {
		head[i] = -1
	}
	// Push children in decreasing order so that the lists are increasing.
	for j := n - 1; j >= 0; j-- {
		if p := parent[j]; p >= 0 {
			next[j] = head[p]
			head[p] = j
		}
	}
	post := make([]int, 0, n)
	stack := make([]int, 0, 64)
	for r := 0; r < n; r++ {
		if parent[r] >= 0 {
			continue
		}
		stack = append(stack, r)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			if c := head[v]; c >= 0 {
				head[v] = next[c] // consume the child
				stack = append(stack, c)
				continue
			}
			stack = stack[:len(stack)-1]
			post = append(post, v)
		}
	}
	for k, j := range post {
		if k != j {
			return post
		}
	}
	return nil
}

// Refactor computes the numeric factorization of k, which must have the
// pattern (the same stored entries, explicit zeros included) of the matrix
// given to NewLDL; it allocates nothing (the parallel path only starts two
// goroutines). k replaces the matrix used by the refinement of Solve.
func (f *LDL) Refactor(k *SymCSC) error {
	if f == nil {
		return fmt.Errorf("%w: nil factorization", ErrInvalid)
	}
	if k == nil {
		return fmt.Errorf("%w: nil matrix", ErrInvalid)
	}
	if k.SymmetricDim() != f.n {
		return fmt.Errorf("%w: K is %d×%d, the analysis is for n = %d", ErrDims, k.SymmetricDim(), k.SymmetricDim(), f.n)
	}
	if !slices.Equal(k.up.ptr(), f.kcp) || !slices.Equal(k.up.rowIdx, f.kri) {
		return fmt.Errorf("%w: the pattern of K differs from the analysed one", ErrInvalid)
	}
	f.ok = false
	f.k = k
	t0 := time.Now()
	for p, v := range k.up.values {
		f.cx[f.cmap[p]] = v
	}
	var err error
	if f.sn != nil {
		err = f.sn.numeric(f)
	} else if f.split != nil {
		err = f.numericParallel()
		f.stats.Parallel = true
	} else {
		var nd int
		nd, err = f.numericRange(&f.ws, nil)
		f.stats.Dynamic = nd
		f.stats.Parallel = false
	}
	f.stats.NumericTime = time.Since(t0)
	if err != nil {
		return err
	}
	f.ok = true
	return nil
}

// rowK computes row c of L and the pivot d_c by the up-looking step: solve
// L_{0:c,0:c} D y = C_{0:c,c} over the reach of column c in the elimination
// tree (the row subtree), which touches only columns of descendants of c.
// It returns whether the pivot was regularized dynamically.
func (f *LDL) rowK(w *ldlWork, c int) (bool, error) {
	n := f.n
	y, pat, flag := w.y, w.pat, w.flag
	y[c] = 0
	top := n
	flag[c] = c
	f.lnz[c] = 0
	for p := f.ccp[c]; p < f.ccp[c+1]; p++ {
		i := f.cri[p]
		y[i] += f.cx[p]
		ln := 0
		for ; flag[i] != c; i = f.parent[i] {
			pat[ln] = i
			ln++
			flag[i] = c
		}
		for ln > 0 {
			top--
			ln--
			pat[top] = pat[ln]
		}
	}
	dc := y[c] + f.sign[c]*f.set.StaticReg
	y[c] = 0
	for ; top < n; top++ {
		i := pat[top]
		yi := y[i]
		y[i] = 0
		lo := f.lp[i]
		hi := lo + f.lnz[i]
		li, lx := f.li[lo:hi], f.lx[lo:hi]
		lx = lx[:len(li)]
		for q, r := range li {
			y[r] -= lx[q] * yi
		}
		lci := yi / f.d[i]
		dc -= lci * yi
		f.li[hi] = c
		f.lx[hi] = lci
		f.lnz[i]++
	}
	if math.IsNaN(dc) || math.IsInf(dc, 0) {
		return false, fmt.Errorf("%w: pivot %d is %v (overflow in the factorization)", ErrNaN, c, dc)
	}
	if f.sign[c]*dc <= f.set.DynamicTol {
		f.d[c] = f.sign[c] * f.set.DynamicReg
		return true, nil
	}
	f.d[c] = dc
	return false, nil
}

// numericRange factors the rows listed in rows (all rows when nil), in
// increasing order.
func (f *LDL) numericRange(w *ldlWork, rows []int) (int, error) {
	nd := 0
	if rows == nil {
		for c := 0; c < f.n; c++ {
			dyn, err := f.rowK(w, c)
			if err != nil {
				return nd, err
			}
			if dyn {
				nd++
			}
		}
		return nd, nil
	}
	for _, c := range rows {
		dyn, err := f.rowK(w, c)
		if err != nil {
			return nd, err
		}
		if dyn {
			nd++
		}
	}
	return nd, nil
}

// Solve sets dst = K⁻¹ b: a solve with the factors followed by iterative
// refinement against the unregularized K (see LDLSettings.Tol, MaxIter).
// dst may be b. It allocates nothing.
func (f *LDL) Solve(dst, b []float64) error {
	if f == nil {
		return fmt.Errorf("%w: nil factorization", ErrInvalid)
	}
	if len(dst) != f.n || len(b) != f.n {
		return fmt.Errorf("%w: n = %d, len(dst) = %d, len(b) = %d", ErrDims, f.n, len(dst), len(b))
	}
	if !f.ok {
		return fmt.Errorf("%w: no valid factorization (the last one failed)", ErrInvalid)
	}
	var bnorm float64
	for _, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: b has %v", ErrNaN, v)
		}
		bnorm = max(bnorm, math.Abs(v))
	}
	copy(f.b, b)
	x, r, t := f.x, f.r, f.t
	copy(r, f.b)
	f.solveFactors(x, r)
	res := f.residual(r, x)
	iters := 0
	tol := f.set.Tol * (1 + bnorm)
	for iters < f.set.MaxIter && res > tol {
		f.solveFactors(t, r) // correction
		for i := range t {
			t[i] += x[i]
		}
		rn := f.residual(r, t)
		iters++
		if !(rn < res) {
			break // no progress: keep x (r is recomputed below)
		}
		copy(x, t)
		improved := rn < res/2
		res = rn
		if !improved {
			break
		}
	}
	if math.IsNaN(res) || math.IsInf(res, 0) {
		return fmt.Errorf("%w: the solution overflowed", ErrNaN)
	}
	copy(dst, x)
	f.stats.Refinements, f.stats.Residual = iters, res
	return nil
}

// residual sets r = b − K x and returns ‖r‖∞.
func (f *LDL) residual(r, x []float64) float64 {
	_ = f.k.MulVec(r, x) // lengths checked
	var m float64
	for i, v := range f.b {
		r[i] = v - r[i]
		if a := math.Abs(r[i]); a > m || math.IsNaN(a) {
			m = a
			if math.IsNaN(a) {
				return a
			}
		}
	}
	return m
}

// solveFactors sets x = Pᵀ L⁻ᵀ D⁻¹ L⁻¹ P b.
func (f *LDL) solveFactors(x, b []float64) {
	w := f.ws.y // zero outside factorization
	for k, i := range f.perm {
		w[k] = b[i]
	}
	if f.sn != nil {
		f.sn.solve(f, w)
		for k, i := range f.perm {
			x[i] = w[k]
			w[k] = 0
		}
		return
	}
	for j := 0; j < f.n; j++ {
		wj := w[j]
		if wj == 0 {
			continue
		}
		lo, hi := f.lp[j], f.lp[j+1]
		li, lx := f.li[lo:hi], f.lx[lo:hi]
		for q, r := range li {
			w[r] -= lx[q] * wj
		}
	}
	for j := range f.n {
		w[j] /= f.d[j]
	}
	for j := f.n - 1; j >= 0; j-- {
		lo, hi := f.lp[j], f.lp[j+1]
		li, lx := f.li[lo:hi], f.lx[lo:hi]
		s := w[j]
		for q, r := range li {
			s -= lx[q] * w[r]
		}
		w[j] = s
	}
	for k, i := range f.perm {
		x[i] = w[k]
		w[k] = 0
	}
}

// Stats returns the statistics of the analysis, the last factorization and
// the last Solve.
func (f *LDL) Stats() LDLStats { return f.stats }

// Perm returns the fill-reducing permutation (perm[k] = row of K at
// position k); read-only.
func (f *LDL) Perm() []int { return f.perm }

// D returns the pivots in the permuted order; read-only.
func (f *LDL) D() []float64 { return f.d }

// Inertia returns the numbers of positive and negative pivots of the last
// factorization (of the regularized matrix).
func (f *LDL) Inertia() (pos, neg int) {
	for _, v := range f.d {
		if v > 0 {
			pos++
		} else if v < 0 {
			neg++
		}
	}
	return pos, neg
}

// ldlSplit is a partition of the rows into two independent forests of the
// elimination tree (factored concurrently) and the rest (their ancestors,
// factored afterwards).
type ldlSplit struct {
	part [2][]int
	top  []int
	ws   [2]ldlWork
}

// minParallelFlops is the factorization work (Σ_j c_j(c_j+3) for the
// column counts c_j) below which two goroutines were not measured faster:
// on a shared two-core machine CONT-050 (7·10⁶) ran slower with two, and
// CONT-300 (≈10¹⁰) twice as fast. A variable so that the test can lower it.
var minParallelFlops = 5e7

// planSplit looks for two sets of disjoint subtrees of about equal work:
// it keeps splitting the heaviest subtree into its children (its root joins
// the sequential top) until the heaviest is at most half the total, then
// assigns subtrees greedily. It returns nil when no balanced split exists.
func planSplit(parent, colcnt []int, total float64) *ldlSplit {
	self := make([]float64, len(parent))
	for j, c := range colcnt {
		self[j] = float64(c) * float64(c+3)
	}
	part, top, ok := planSplitWork(parent, self, total)
	if !ok {
		return nil
	}
	n := len(parent)
	return &ldlSplit{part: part, top: top, ws: [2]ldlWork{newWork(n), newWork(n)}}
}

// planSplitWork is planSplit on any forest (parent[j] > j or −1) whose
// nodes cost self[j]: it returns the nodes of the two parts and of the
// sequential top, each in increasing order, and false when no balanced
// split exists.
func planSplitWork(parent []int, self []float64, total float64) (part [2][]int, top []int, ok bool) {
	n := len(parent)
	if total < minParallelFlops || n < 2 {
		return part, nil, false
	}
	work := make([]float64, n) // subtree work
	head := make([]int, n)     // children lists
	nxt := make([]int, n)
	for i := range head {
		head[i] = -1
	}
	var roots []int
	for j := 0; j < n; j++ {
		work[j] += self[j]
		if p := parent[j]; p >= 0 {
			work[p] += work[j]
			nxt[j] = head[p]
			head[p] = j
		} else {
			roots = append(roots, j)
		}
	}
	cand := slices.Clone(roots)
	var topWork float64
	for range min(n, 1<<14) {
		// heaviest candidate
		h := -1
		for k, c := range cand {
			if h < 0 || work[c] > work[cand[h]] {
				h = k
			}
		}
		if h < 0 || work[cand[h]] <= total/2 || topWork > total/2 {
			break
		}
		r := cand[h]
		topWork += self[r]
		cand = slices.Delete(cand, h, h+1)
		for c := head[r]; c >= 0; c = nxt[c] {
			cand = append(cand, c)
		}
	}
	slices.SortFunc(cand, func(a, b int) int {
		switch {
		case work[a] > work[b]:
			return -1
		case work[a] < work[b]:
			return 1
		}
		return 0
	})
	var load [2]float64
	var sets [2][]int
	for _, c := range cand {
		k := 0
		if load[1] < load[0] {
			k = 1
		}
		load[k] += work[c]
		sets[k] = append(sets[k], c)
	}
	if min(load[0], load[1]) < 0.25*total {
		return part, nil, false // too unbalanced, or too much in the sequential top
	}
	inPart := make([]int8, n)
	for k := range 2 {
		for _, r := range sets[k] {
			// mark the subtree of r
			stack := []int{r}
			for len(stack) > 0 {
				v := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				inPart[v] = int8(k + 1)
				for c := head[v]; c >= 0; c = nxt[c] {
					stack = append(stack, c)
				}
			}
		}
	}
	for j := 0; j < n; j++ {
		switch inPart[j] {
		case 1:
			part[0] = append(part[0], j)
		case 2:
			part[1] = append(part[1], j)
		default:
			top = append(top, j)
		}
	}
	return part, top, true
}

// numericParallel factors the two independent forests concurrently, then
// the remaining rows. Rows of one forest read and write only columns of
// their own descendants, so the two goroutines share no entry of L or D.
// The flag arrays are per goroutine; y is all zero between rows.
func (f *LDL) numericParallel() error {
	s := f.split
	var wg sync.WaitGroup
	var nd [2]int
	var errs [2]error
	for k := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nd[k], errs[k] = f.numericRange(&s.ws[k], s.part[k])
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	// A top row climbs into the forests, whose rows marked the flags of
	// the other work arrays: stale marks of the previous factorization in
	// f.ws could equal the row number, so clear them.
	for i := range f.ws.flag {
		f.ws.flag[i] = -1
	}
	n3, err := f.numericRange(&f.ws, s.top)
	f.stats.Dynamic = nd[0] + nd[1] + n3
	return err
}
