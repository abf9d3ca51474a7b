package sparse

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/optlayers/optlayers/internal/dense"
)

// Kernel choice of the numeric factorization: kernelAuto decides from the
// symbolic analysis (useSupernodal); the tests force one or the other to
// compare them.
const (
	kernelAuto = iota
	kernelUpLooking
	kernelSupernodal
)

// ldlKernel is the kernel NewLDL uses; a variable so that the tests can
// force one.
var ldlKernel = kernelAuto

// Thresholds of the automatic choice: the supernodal kernel pays when the
// factorization has enough work per entry of L for dense blocks to form
// (flops/nnz(L) is about twice the mean column count) and enough work in
// total to amortize the block bookkeeping. Measured on the testdata KKT
// matrices and CONT-300, CVXQP1_L (BENCHMARKS.md).
var (
	snMinFlops   = 2e6
	snMinPerNNZL = 40.0
)

// useSupernodal reports whether NewLDL should use the supernodal kernel.
func useSupernodal(n, nnzL int, flops float64) bool {
	switch ldlKernel {
	case kernelUpLooking:
		return false
	case kernelSupernodal:
		return true
	}
	return flops >= snMinFlops && flops >= snMinPerNNZL*float64(max(nnzL, 1))
}

// keepSupernodal reports whether the supernodes, storing stored entries
// for the nnz entries of L (diagonal included), are kept in the automatic
// choice: blocks with more than snMaxStored times the entries of L (many
// narrow supernodes padded by amalgamation, such as AUG3DCQP's 2.65) make
// the solve slower than the up-looking kernel's for no faster
// factorization. The testdata problems where the supernodal kernel was
// faster store 1.2–1.9 times.
func keepSupernodal(stored, nnz int) bool {
	return ldlKernel == kernelSupernodal || float64(stored) <= snMaxStored*float64(nnz)
}

var snMaxStored = 2.2

// Relaxed amalgamation (the rule of CHOLMOD's supernodal analysis, Chen,
// Davis, Hager and Rajamanickam, ACM TOMS 35(3), 2008): a child supernode
// is merged into its parent when the merged block is at most snRelax[0]
// columns wide, or when the fraction of explicit zeros it stores stays
// below snZeros[k] for a width of at most snRelax[k] (k = 1, 2), or below
// snZeros[3] at any width. Blocks wider than snMaxWidth are then cut into
// chunks (each chunk is a supernode whose rows include the later columns
// of the block), which bounds the dense diagonal factorizations and the
// scratch of the updates. 128 was the fastest of 32, 64, 128 and 256 on
// CVXQP1_L (CPU time, 2026-12-02), where 94 % of the update work then
// comes from supernodes 65–128 columns wide.
var (
	snRelax    = [3]int{4, 16, 48}
	snZeros    = [4]float64{0, 0.8, 0.1, 0.05}
	snMaxWidth = 128
)

// supernodes is the supernodal form of L: supernode s owns the columns
// first[s] … first[s+1]−1, all with the row pattern ri[rp[s]:rp[s+1]] (its
// own columns first, then the rows below, increasing), and stores them as
// one dense row-major block x[xp[s]:xp[s+1]] of nrows×width entries: row i
// of the block is row ri[rp[s]+i] of L restricted to those columns. The
// lower triangle of the leading width×width block is the unit diagonal
// block L₁₁ (the diagonal itself holds the pivot's column of C until it is
// factored); the strict upper triangle is scratch.
type supernodes struct {
	ns    int
	first []int
	sn    []int // column → supernode
	rp    []int
	ri    []int
	xp    []int
	x     []float64
	amap  []int // entry p of K → position in x
	diag  []int // column → position of its diagonal in x

	// The updates that target t receives: for u in up[t] … up[t+1]−1,
	// supernode usrc[u] has its rows ulo[u] … uhi[u]−1 (positions in its
	// row list) in the columns of t; its rows from ulo[u] on are updated.
	up, usrc, ulo, uhi []int

	ones      []float64 // width ones for the unit triangular solves
	maxBelow  int
	tmp       []float64 // maxBelow, the solve's gather of the rows below
	ws        snWork
	parent    []int     // supernodal elimination tree
	work      []float64 // flops of each supernode
	par       *snSplit
	uwork     []float64 // update and solve flops of each supernode
	helper    *snHelper // the second goroutine of factorRows, or nil
	snDynamic int
}

// snWork is the scratch of one goroutine.
type snWork struct {
	rmap []int     // row → position in the current target's row list
	b, c []float64 // the scaled rows D L_jᵀ and the update block
}

func newSNWork(n, maxB, maxC int) snWork {
	return snWork{rmap: make([]int, n), b: make([]float64, maxB), c: make([]float64, maxC)}
}

// newSupernodes finds the fundamental supernodes of the (postordered)
// elimination tree, amalgamates and chunks them, and builds the block
// patterns, the assembly map of K and the update lists.
func newSupernodes(f *LDL, colcnt []int) *supernodes {
	n := f.n
	parent := f.parent
	nchild := make([]int, n)
	for _, p := range parent {
		if p >= 0 {
			nchild[p]++
		}
	}
	// Fundamental supernodes: j joins j−1 when j is its parent, its only
	// child, and the patterns nest (count one less).
	var fstart []int
	for j := 0; j < n; j++ {
		if j == 0 || parent[j-1] != j || colcnt[j-1] != colcnt[j]+1 || nchild[j] != 1 {
			fstart = append(fstart, j)
		}
	}
	nf := len(fstart)
	fstart = append(fstart, n)
	fsn := make([]int, n)
	for s := 0; s < nf; s++ {
		for j := fstart[s]; j < fstart[s+1]; j++ {
			fsn[j] = s
		}
	}
	// Relaxed amalgamation, from the top of the tree down: fundamental
	// supernode s joins the group that starts right after it when its
	// parent is in that group. A group is a range of columns [gf, gl) with
	// nrows rows (its columns and those below) and nz true entries.
	group := make([]int, nf) // fundamental → group head (its last member)
	gFirst := make([]int, nf)
	gRows := make([]int, nf)
	gNZ := make([]float64, nf)
	for s := nf - 1; s >= 0; s-- {
		f0, l0 := fstart[s], fstart[s+1]
		w := l0 - f0
		rows := w + colcnt[l0-1]
		var nz float64
		for j := f0; j < l0; j++ {
			nz += float64(colcnt[j] + 1)
		}
		group[s] = s
		gFirst[s], gRows[s], gNZ[s] = f0, rows, nz
		// the parent must lie in the group that starts at l0
		p := parent[l0-1]
		if p < 0 || s+1 >= nf {
			continue
		}
		g := group[s+1]
		if gFirst[g] != l0 || p >= fstart[g+1] {
			continue
		}
		gw := fstart[g+1] - gFirst[g]
		mw := w + gw
		mrows := w + gRows[g]
		stored := float64(mw)*float64(mrows) - float64(mw)*float64(mw-1)/2
		z := 1 - (nz+gNZ[g])/stored
		ok := mw <= snRelax[0] || mw <= snRelax[1] && z < snZeros[1] ||
			mw <= snRelax[2] && z < snZeros[2] || z < snZeros[3]
		if !ok {
			continue
		}
		group[s] = g
		gFirst[g], gRows[g], gNZ[g] = f0, mrows, gNZ[g]+nz
	}
	// The groups in column order, and the rows below each: the pattern of
	// its last column, found by climbing the row subtrees.
	var heads []int
	for s := 0; s < nf; s++ {
		if group[s] == s {
			heads = append(heads, s)
		}
	}
	ng := len(heads)
	gl := make([]int, ng) // end column of group
	gf := make([]int, ng)
	isLast := make([]int, n) // group+1 at the group's last column, else 0
	bp := make([]int, ng+1)
	for g, h := range heads {
		gf[g], gl[g] = gFirst[h], fstart[h+1]
		isLast[gl[g]-1] = g + 1
		bp[g+1] = bp[g] + colcnt[gl[g]-1]
	}
	below := make([]int, bp[ng])
	fill := slices.Clone(bp[:ng])
	flag := make([]int, n)
	for k := 0; k < n; k++ {
		flag[k] = k
		for p := f.ccp[k]; p < f.ccp[k+1]; p++ {
			for i := f.cri[p]; flag[i] != k; i = parent[i] {
				flag[i] = k
				if g := isLast[i]; g > 0 {
					below[fill[g-1]] = k
					fill[g-1]++
				}
			}
		}
	}
	// Chunks of at most snMaxWidth columns, of nearly equal widths.
	sn := &supernodes{}
	var gOf []int
	for g := 0; g < ng; g++ {
		w := gl[g] - gf[g]
		nc := (w + snMaxWidth - 1) / snMaxWidth
		cw := (w + nc - 1) / nc
		if cw%4 != 0 && cw+4-cw%4 <= snMaxWidth {
			cw += 4 - cw%4 // whole 4-wide steps of the dot kernels
		}
		for c := gf[g]; c < gl[g]; c += cw {
			sn.first = append(sn.first, c)
			gOf = append(gOf, g)
		}
	}
	ns := len(sn.first)
	sn.ns = ns
	sn.first = append(sn.first, n)
	sn.sn = make([]int, n)
	sn.rp = make([]int, ns+1)
	sn.xp = make([]int, ns+1)
	maxW := 0
	for s := 0; s < ns; s++ {
		g := gOf[s]
		w := sn.first[s+1] - sn.first[s]
		maxW = max(maxW, w)
		nr := gl[g] - sn.first[s] + bp[g+1] - bp[g]
		sn.rp[s+1] = sn.rp[s] + nr
		sn.xp[s+1] = sn.xp[s] + nr*w
		sn.maxBelow = max(sn.maxBelow, nr-w)
		for j := sn.first[s]; j < sn.first[s+1]; j++ {
			sn.sn[j] = s
		}
	}
	sn.ri = make([]int, sn.rp[ns])
	for s := 0; s < ns; s++ {
		g := gOf[s]
		r := sn.ri[sn.rp[s]:sn.rp[s]]
		for j := sn.first[s]; j < gl[g]; j++ {
			r = append(r, j)
		}
		r = append(r, below[bp[g]:bp[g+1]]...)
	}
	sn.x = make([]float64, sn.xp[ns])
	// Assembly map: entry (i, j) of K is (r, c) = (min, max) in C, that is
	// entry (c, r) of the lower triangle, in column r's supernode.
	sn.amap = make([]int, len(f.kri))
	for j := 0; j < n; j++ {
		for p := f.kcp[j]; p < f.kcp[j+1]; p++ {
			a, b := f.iperm[f.kri[p]], f.iperm[j]
			r, c := min(a, b), max(a, b)
			s := sn.sn[r]
			rows := sn.ri[sn.rp[s]:sn.rp[s+1]]
			pos, found := slices.BinarySearch(rows, c)
			if !found {
				panic("sparse: supernodal pattern misses an entry of K") // a bug, not bad data
			}
			w := sn.first[s+1] - sn.first[s]
			sn.amap[p] = sn.xp[s] + pos*w + r - sn.first[s]
		}
	}
	sn.diag = make([]int, n)
	for s := 0; s < ns; s++ {
		w := sn.first[s+1] - sn.first[s]
		for i := 0; i < w; i++ {
			sn.diag[sn.first[s]+i] = sn.xp[s] + i*w + i
		}
	}
	// Update lists, and the supernodal tree with the work of each node.
	cnt := make([]int, ns+1)
	sn.parent = make([]int, ns)
	sn.work = make([]float64, ns)
	sn.uwork = make([]float64, ns)
	maxB, maxC := 0, 0
	runs := func(s int, visit func(t, lo, hi int)) {
		w := sn.first[s+1] - sn.first[s]
		rows := sn.ri[sn.rp[s]:sn.rp[s+1]]
		for i := w; i < len(rows); {
			t := sn.sn[rows[i]]
			j := i + 1
			for j < len(rows) && rows[j] < sn.first[t+1] {
				j++
			}
			visit(t, i, j)
			i = j
		}
	}
	for s := 0; s < ns; s++ {
		w := sn.first[s+1] - sn.first[s]
		nr := sn.rp[s+1] - sn.rp[s]
		sn.parent[s] = -1
		if nr > w {
			sn.parent[s] = sn.sn[sn.ri[sn.rp[s]+w]]
		}
		for j := sn.first[s]; j < sn.first[s+1]; j++ {
			sn.work[s] += float64(colcnt[j]) * float64(colcnt[j]+3)
		}
		sn.uwork[s] += 2 * float64(nr-w) * float64(w*w)
		runs(s, func(t, lo, hi int) {
			cnt[t+1]++
			sn.uwork[t] += 2 * float64(nr-lo) * float64((hi-lo)*w)
			maxB = max(maxB, (hi-lo)*w)
			maxC = max(maxC, (nr-lo)*(hi-lo))
		})
	}
	for t := 0; t < ns; t++ {
		cnt[t+1] += cnt[t]
	}
	sn.up = slices.Clone(cnt)
	nu := cnt[ns]
	sn.usrc, sn.ulo, sn.uhi = make([]int, nu), make([]int, nu), make([]int, nu)
	for s := 0; s < ns; s++ {
		runs(s, func(t, lo, hi int) {
			u := cnt[t]
			cnt[t]++
			sn.usrc[u], sn.ulo[u], sn.uhi[u] = s, lo, hi
		})
	}
	sn.ones = make([]float64, maxW)
	for i := range sn.ones {
		sn.ones[i] = 1
	}
	sn.ws = newSNWork(n, maxB, maxC)
	sn.tmp = make([]float64, sn.maxBelow)
	return sn
}

// numeric computes the supernodal factorization of f.k into sn.x and f.d.
func (sn *supernodes) numeric(f *LDL) error {
	clear(sn.x)
	x := sn.x
	for p, v := range f.k.up.values {
		x[sn.amap[p]] += v
	}
	for j, q := range sn.diag {
		x[q] += f.sign[j] * f.set.StaticReg
	}
	if sn.par != nil {
		f.stats.Parallel = true
		return sn.numericParallel(f)
	}
	f.stats.Parallel = sn.helper != nil
	if sn.helper != nil {
		go sn.helperLoop(f, sn.helper)
		defer func() { sn.helper.req <- snTask{phase: 0} }()
	}
	nd := 0
	for t := 0; t < sn.ns; t++ {
		d, err := sn.factorTop(f, t)
		nd += d
		if err != nil {
			f.stats.Dynamic = nd
			return err
		}
	}
	f.stats.Dynamic = nd
	return nil
}

// factorTop factors t on the calling goroutine, with the helper for a big
// supernode.
func (sn *supernodes) factorTop(f *LDL, t int) (int, error) {
	if sn.helper != nil && sn.uwork[t] >= snRowParallelFlops {
		return sn.factorRows(f, t, &sn.ws, sn.helper)
	}
	return sn.factor(f, t, &sn.ws)
}

// factor applies to supernode t the updates of its descendants (left-
// looking), then factors its diagonal block and solves for the rows below.
// It returns the number of dynamically regularized pivots.
func (sn *supernodes) factor(f *LDL, t int, w *snWork) (int, error) {
	rows := sn.ri[sn.rp[t]:sn.rp[t+1]]
	wd := sn.first[t+1] - sn.first[t]
	sn.update(f, t, w, 0, len(rows))
	nd, err := sn.factorDiag(f, t)
	if err != nil {
		return nd, err
	}
	sn.solveBelow(f, t, wd, len(rows))
	return nd, nil
}

// update applies to the rows i0 … i1−1 of t's block (positions in its row
// list) the updates of its descendants. An update from s is the dense
// product −L_s,lo: · D_s · L_s,lo:hiᵀ of the rows of s from lo on (those
// among t's rows i0 … i1−1) with its rows in t's columns: dots of rows of
// length width(s), dense.SubABt, scattered into t's block through the
// positions of s's rows in t's row list (or subtracted in place when those
// rows and columns are consecutive in t's block).
func (sn *supernodes) update(f *LDL, t int, w *snWork, i0, i1 int) {
	f0 := sn.first[t]
	wd := sn.first[t+1] - f0
	rows := sn.ri[sn.rp[t]:sn.rp[t+1]]
	blk := sn.x[sn.xp[t]:sn.xp[t+1]]
	for i, r := range rows {
		w.rmap[r] = i
	}
	rlo, rhi := rows[i0], n1(rows, i1, f.n)
	for u := sn.up[t]; u < sn.up[t+1]; u++ {
		s, lo, hi := sn.usrc[u], sn.ulo[u], sn.uhi[u]
		ws := sn.first[s+1] - sn.first[s]
		sx := sn.x[sn.xp[s]:sn.xp[s+1]]
		srows := sn.ri[sn.rp[s]+lo : sn.rp[s+1]]
		cw := hi - lo
		cols := srows[:cw]
		// the source rows that fall in [rlo, rhi)
		a, _ := slices.BinarySearch(srows, rlo)
		b, _ := slices.BinarySearch(srows, rhi)
		if a >= b {
			continue
		}
		m := b - a
		ds := f.d[sn.first[s]:sn.first[s+1]]
		bb := w.b[:cw*ws]
		for jj := range cw {
			src := sx[(lo+jj)*ws : (lo+jj+1)*ws]
			dst := bb[jj*ws : (jj+1)*ws]
			for c, v := range src {
				dst[c] = v * ds[c]
			}
		}
		if r0 := w.rmap[srows[a]]; w.rmap[srows[b-1]]-r0 == m-1 && cols[cw-1]-cols[0] == cw-1 {
			// The rows and the columns are consecutive in t's block (a
			// dense front): subtract in place, no scatter.
			dense.SubABt(blk[r0*wd+cols[0]-f0:], wd, sx[(lo+a)*ws:], ws, bb, ws, m, cw, ws)
			continue
		}
		c := w.c[:m*cw]
		clear(c)
		dense.SubABt(c, cw, sx[(lo+a)*ws:], ws, bb, ws, m, cw, ws)
		for ii, r := range srows[a:b] {
			dst := blk[w.rmap[r]*wd : w.rmap[r]*wd+wd]
			src := c[ii*cw : (ii+1)*cw]
			for jj, v := range src {
				dst[cols[jj]-f0] += v
			}
		}
	}
}

// n1 is rows[i], or n past the end.
func n1(rows []int, i, n int) int {
	if i < len(rows) {
		return rows[i]
	}
	return n
}

// factorDiag factors the diagonal block of t, row by row (Crout): with
// u_ij = L_ij d_j, u_ij = a_ij − Σ_{c<j} u_ic L_jc, then d_i = a_ii − Σ_c
// u_ic L_ic, with the pivot rules of rowK.
func (sn *supernodes) factorDiag(f *LDL, t int) (int, error) {
	f0 := sn.first[t]
	wd := sn.first[t+1] - f0
	blk := sn.x[sn.xp[t]:sn.xp[t+1]]
	nd := 0
	d := f.d[f0 : f0+wd]
	for i := range wd {
		row := blk[i*wd : i*wd+i+1]
		for j := range i {
			row[j] -= dense.Dot(row[:j], blk[j*wd:j*wd+j])
		}
		di := row[i]
		for j := range i {
			l := row[j] / d[j]
			di -= l * row[j]
			row[j] = l
		}
		k := f0 + i
		if math.IsNaN(di) || math.IsInf(di, 0) {
			return nd, fmt.Errorf("%w: pivot %d is %v (overflow in the factorization)", ErrNaN, k, di)
		}
		if f.sign[k]*di <= f.set.DynamicTol {
			di = f.sign[k] * f.set.DynamicReg
			nd++
		}
		d[i] = di
		row[i] = 1
	}
	return nd, nil
}

// solveBelow computes the rows i0 … i1−1 (≥ width) of t's block: X L₁₁ᵀ =
// A₂₁ gives X = L₂₁ D.
func (sn *supernodes) solveBelow(f *LDL, t int, i0, i1 int) {
	if i0 >= i1 {
		return
	}
	f0 := sn.first[t]
	wd := sn.first[t+1] - f0
	blk := sn.x[sn.xp[t]:sn.xp[t+1]]
	d := f.d[f0 : f0+wd]
	xb := blk[i0*wd : i1*wd]
	dense.SolveRowsUnitLowerTOnes(xb, i1-i0, wd, blk, wd, wd, sn.ones)
	for i := range i1 - i0 {
		row := xb[i*wd : i*wd+wd]
		for j, v := range row {
			row[j] = v / d[j]
		}
	}
}

// factorRows is factor with the rows of t shared by two goroutines: the
// helper applies the updates to, and solves, the second half of t's rows,
// while the caller does the first half and the diagonal block in between.
// The halves are disjoint rows of the block, so the goroutines write no
// common entry.
func (sn *supernodes) factorRows(f *LDL, t int, w *snWork, h *snHelper) (int, error) {
	nr := sn.rp[t+1] - sn.rp[t]
	wd := sn.first[t+1] - sn.first[t]
	mid := nr / 2
	h.req <- snTask{t: t, phase: 1, i0: mid, i1: nr}
	sn.update(f, t, w, 0, mid)
	<-h.done
	nd, err := sn.factorDiag(f, t)
	if err != nil {
		return nd, err
	}
	mid = wd + (nr-wd)/2
	h.req <- snTask{t: t, phase: 2, i0: mid, i1: nr}
	sn.solveBelow(f, t, wd, mid)
	<-h.done
	return nd, nil
}

// snHelper is the second goroutine of factorRows, started by each Refactor
// that uses it and stopped at its end.
type snHelper struct {
	req  chan snTask
	done chan struct{}
	ws   snWork
}

type snTask struct{ t, phase, i0, i1 int }

func (sn *supernodes) helperLoop(f *LDL, h *snHelper) {
	for task := range h.req {
		switch task.phase {
		case 1:
			sn.update(f, task.t, &h.ws, task.i0, task.i1)
		case 2:
			sn.solveBelow(f, task.t, task.i0, task.i1)
		default:
			return
		}
		h.done <- struct{}{}
	}
}

// snRowParallelFlops is the update work of a supernode from which
// factorRows is used (when Workers ≥ 2): below it the hand-offs cost more
// than they save.
var snRowParallelFlops = 1e6

// solve overwrites w (permuted) with L⁻ᵀ D⁻¹ L⁻¹ w: per supernode, a
// unit triangular solve with L₁₁ and a matrix–vector product with L₂₁.
func (sn *supernodes) solve(f *LDL, w []float64) {
	tmp := sn.tmp
	for s := 0; s < sn.ns; s++ {
		f0 := sn.first[s]
		wd := sn.first[s+1] - f0
		rows := sn.ri[sn.rp[s]+wd : sn.rp[s+1]]
		blk := sn.x[sn.xp[s]:sn.xp[s+1]]
		xs := w[f0 : f0+wd]
		for i := 1; i < wd; i++ {
			xs[i] -= dense.Dot(blk[i*wd:i*wd+i], xs)
		}
		switch {
		case len(rows) == 0:
		case wd == 1: // a column: no block kernels for one product each
			x0 := xs[0]
			for i, r := range rows {
				w[r] -= blk[1+i] * x0
			}
		default:
			t := tmp[:len(rows)]
			dense.MulVec(t, 1, blk[wd*wd:], wd, xs, 0)
			for i, r := range rows {
				w[r] -= t[i]
			}
		}
	}
	for j, v := range f.d {
		w[j] /= v
	}
	for s := sn.ns - 1; s >= 0; s-- {
		f0 := sn.first[s]
		wd := sn.first[s+1] - f0
		rows := sn.ri[sn.rp[s]+wd : sn.rp[s+1]]
		blk := sn.x[sn.xp[s]:sn.xp[s+1]]
		xs := w[f0 : f0+wd]
		switch {
		case len(rows) == 0:
		case wd == 1:
			v := xs[0]
			for i, r := range rows {
				v -= blk[1+i] * w[r]
			}
			xs[0] = v
		default:
			t := tmp[:len(rows)]
			for i, r := range rows {
				t[i] = w[r]
			}
			dense.MulTransVec(xs, -1, blk[wd*wd:], wd, t, 1)
		}
		for i := wd - 1; i > 0; i-- {
			dense.Axpy(-xs[i], blk[i*wd:i*wd+i], xs)
		}
	}
}

// snSplit is the parallel plan over the supernodal tree: two sets of
// disjoint subtrees, factored concurrently, then their ancestors.
type snSplit struct {
	part [2][]int
	top  []int
	ws   [2]snWork
}

// planParallel plans the two-goroutine split of the supernodal tree (see
// planSplitWork); the plan is nil when the tree has no balanced split.
func (sn *supernodes) planParallel(total float64) {
	if total < minParallelFlops {
		return
	}
	n := len(sn.ws.rmap)
	for _, v := range sn.uwork {
		if v >= snRowParallelFlops {
			sn.helper = &snHelper{req: make(chan snTask), done: make(chan struct{}),
				ws: newSNWork(n, len(sn.ws.b), len(sn.ws.c))}
			break
		}
	}
	part, top, ok := planSplitWork(sn.parent, sn.work, total)
	if !ok {
		return
	}
	sn.par = &snSplit{part: part, top: top}
	for k := range 2 {
		sn.par.ws[k] = newSNWork(n, len(sn.ws.b), len(sn.ws.c))
	}
}

// numericParallel factors the two forests of the split concurrently (a
// supernode's updates come from its descendants only, so the goroutines
// share no block), then their ancestors.
func (sn *supernodes) numericParallel(f *LDL) error {
	s := sn.par
	var wg sync.WaitGroup
	var nd [2]int
	var errs [2]error
	for k := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, t := range s.part[k] {
				d, err := sn.factor(f, t, &s.ws[k])
				nd[k] += d
				if err != nil {
					errs[k] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	f.stats.Dynamic = nd[0] + nd[1]
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	if sn.helper != nil {
		go sn.helperLoop(f, sn.helper)
		defer func() { sn.helper.req <- snTask{phase: 0} }()
	}
	for _, t := range s.top {
		d, err := sn.factorTop(f, t)
		f.stats.Dynamic += d
		if err != nil {
			return err
		}
	}
	return nil
}
