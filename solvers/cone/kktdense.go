package cone

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/optlayers/optlayers/internal/dense"
)

// The dense normal-equations path of the KKT system (kkt.go). The cone
// rows' ũ are eliminated as in CVXOPT's conelp (Vandenberghe 2010, §9):
// ũ = ĀΔx − r_u on the cone rows, and
//
//	(Q̃ + Ā_cᵀĀ_c) Δx + A₀ᵀ u₀ = r_x + Ā_cᵀ r_u,c,   A₀ Δx = r_u,0,
//
// with A₀ the Zero (equality) rows. H = Q̃ + Ā_cᵀĀ_c is formed as a dense
// n×n matrix and factored by Cholesky (internal/dense.CholeskyUpper) with
// a static regularization δ on the diagonal; the equality rows, if any,
// by the Schur complement S = A₀(H+δI)⁻¹A₀ᵀ + δI, also dense and factored
// by Cholesky — that is the quasi-definite matrix [H+δI A₀ᵀ; A₀ −δI]
// factored in the order x first. Every solve is then refined by flexible
// GMRES (refine) against the unregularized scaled KKT operator, applied
// without forming it: the regularization and the rounding of H (whose
// condition is that of W² at the end of the iteration) are removed there.
//
// The block terms of H:
//
//   - orthant rows: w_i² ã_iã_iᵀ, sparse outer products of the rows of Ã;
//   - a second-order block: with W = η(2w̄w̄ᵀ − J), W² = η²(8w̄₀²vvᵀ − J),
//     v = w̄ − e₀/(2w̄₀), so Ā_bᵀĀ_b = η²(Ã_bᵀ(−J)Ã_b + 8w̄₀² ppᵀ) with
//     p = Ã_bᵀv: the block's sparse row products (sign −1 on its first row)
//     and one dense rank-one term; all the rank-one terms of the
//     second-order blocks are added at once, as a rank-k product. No dense
//     d×d scaling block and no d×|U| product. The rank-one coefficient
//     8w̄₀²(w̄₀ − 1/(2w̄₀))² dominates the −ã₀ã₀ᵀ term (it is 2 at w̄ = e₀ and
//     grows like w̄₀⁴), so the split cancels nothing;
//   - a PSD block: Ā_b = W Ã_b column by column, W(X) = BXBᵀ with B = R⁻¹
//     of the Nesterov–Todd scaling: for the column X_c = smat(Ã_b e_c),
//     sparse, S = X_cBᵀ by rows (nnz(X_c)·N), then the upper triangle of
//     Y = B S = B(Sᵀ)ᵀ by the blocked dot kernel (N³/2), then
//     H += Ā_bᵀĀ_b by the same kernel as a Gram product (|U|²d/2). Ā_b is
//     kept (as Ā_bᵀ, |U|×d) for the operator of the refinement.
//   - any other dense W (not used by Solve's symmetric cones, kept for the
//     identity of the starting point): Ā_b = W Ã_b densely.
//
// The path is used (useDenseKKT) when the problem has no non-symmetric
// blocks, n + #Zero rows ≤ denseMaxOrder, and the union patterns of the
// cone rows (cliques, counted with repetition) would cover at least a
// quarter of the upper triangle of the reduced matrix: then the reduced
// matrix is dense or fills in, and the dense Cholesky at n³/6 flops
// beats the sparse LDLᵀ of the (n+m)-order KKT matrix. A failed dense
// factorization (H not numerically positive definite even with the
// diagonal shifts of factor, or S not: a pivot lost to rounding when H
// spans too many orders of magnitude) switches the solve to the sparse
// path for good (toSparse), which keeps the ill-conditioning in the
// quasi-definite KKT form and regularizes tiny pivots dynamically.

// denseMaxOrder bounds the order of the dense normal equations (memory
// 8·n² bytes for H and as much for its factor).
const denseMaxOrder = 2500

// KKT paths (Settings.kkt; the zero value chooses).
const (
	kktAuto = iota
	kktForceSparse
	kktForceDense
)

const (
	dbDiag = iota
	dbSOC
	dbPSD
	dbGen
)

type dblock struct {
	kind int
	bk   block
	w    []float64 // diag: W's diagonal
	eta  float64   // SOC
	wbar []float64 // SOC: w̄
	// PSD, generic: the columns U touching the block and Ā_bᵀ (|U|×d).
	uni   []int
	abarT []float64
	// PSD: the block's entries of Ã by column of U: svec positions and
	// values, CSC-like.
	colp []int
	colr []int
	colv []float64
	pi   []int // svec position → row, column
	pj   []int
	// generic: Ã_b dense, d×|U| row-major.
	ab []float64
	// for replaying the scaling onto the sparse path
	wm []float64
	sc Scaling
}

type denseKKT struct {
	n, m   int
	eq     *equilibration
	blocks []dblock
	zero   []int // the Zero rows
	atv    [][]float64
	cols   [][]int
	nsoc   int
	sorted bool // the column indices of every row are increasing

	ld     int       // n + dense.UpperPad
	h, fac []float64 // H (upper triangle) and its factor
	inv    []float64
	reg    float64
	// Zero rows: Y = U⁻ᵀA₀ᵀ stored by rows (p×n), S's factor (p×lds).
	y, sf   []float64
	sinv    []float64
	lds     int
	v, nv   []float64 // SOC rank-one vectors, n×nsoc (and negated)
	scr     []float64
	psdScr  [][]float64 // per worker: PSD scratch
	nabar   []float64   // −Ā_bᵀ
	workers int
	gram    []float64

	rhs, sol []float64
	gm       fgmres
	t1, t2   []float64
	nfact    int
	byLo     []int // block index by first row
	// cached: the output of the last prec while t1 holds its Ā x (a
	// product the refinement's next mul of the same vector reuses; reset
	// by every mul).
	cached []float64
}

// useDenseKKT is the rule of the dense path (see above).
func useDenseKKT(eq *equilibration, blocks []block) bool {
	n := len(eq.p)
	nz := 0
	for _, bk := range blocks {
		switch bk.kind {
		case bkNonsym:
			return false
		case bkZero:
			nz += bk.hi - bk.lo
		}
	}
	nr := n + nz
	if nr > denseMaxOrder || nr == 0 {
		return false
	}
	acp, ari, _ := eq.at.Raw()
	est := 0.0
	mark := make([]int, n)
	for i := range mark {
		mark[i] = -1
	}
	for b, bk := range blocks {
		switch bk.kind {
		case bkZero:
			for i := bk.lo; i < bk.hi; i++ {
				est += float64(acp[i+1] - acp[i])
			}
		case bkNonneg:
			for i := bk.lo; i < bk.hi; i++ {
				k := float64(acp[i+1] - acp[i])
				est += k * (k + 1) / 2
			}
		default:
			u := 0
			for i := bk.lo; i < bk.hi; i++ {
				for _, r := range ari[acp[i]:acp[i+1]] {
					if mark[r] != b {
						mark[r] = b
						u++
					}
				}
			}
			est += float64(u) * float64(u+1) / 2
		}
	}
	return est >= float64(nr)*float64(nr+1)/8
}

func newDenseKKT(eq *equilibration, blocks []block, workers int) *denseKKT {
	n, m := len(eq.p), len(eq.b)
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	k := &denseKKT{n: n, m: m, eq: eq, ld: n + dense.UpperPad, workers: workers}
	acp, ari, av := eq.at.Raw()
	k.atv, k.cols = make([][]float64, m), make([][]int, m)
	k.sorted = true
	for i := range m {
		k.atv[i] = av[acp[i]:acp[i+1]]
		k.cols[i] = ari[acp[i]:acp[i+1]]
		for q := acp[i] + 1; q < acp[i+1]; q++ {
			k.sorted = k.sorted && ari[q-1] < ari[q]
		}
	}
	pos := make([]int, n)
	k.byLo = make([]int, m+1)
	for b, bk := range blocks {
		k.byLo[bk.lo] = b
		d := bk.hi - bk.lo
		db := dblock{bk: bk}
		switch bk.kind {
		case bkZero:
			for i := bk.lo; i < bk.hi; i++ {
				k.zero = append(k.zero, i)
			}
			db.kind = -1
		case bkNonneg:
			db.kind = dbDiag
			db.w = make([]float64, d)
			for i := range db.w {
				db.w[i] = 1
			}
		case bkSOC:
			db.kind = dbSOC
			db.eta = 1
			db.wbar = make([]float64, d)
			db.wbar[0] = 1
			k.nsoc++
		default: // PSD (non-symmetric blocks do not take this path)
			db.kind = dbPSD
			for i := range pos {
				pos[i] = -1
			}
			for i := bk.lo; i < bk.hi; i++ {
				for _, c := range k.cols[i] {
					if pos[c] < 0 {
						pos[c] = 0
					}
				}
			}
			for c := range n {
				if pos[c] >= 0 {
					pos[c] = len(db.uni)
					db.uni = append(db.uni, c)
				}
			}
			u := len(db.uni)
			cnt := make([]int, u+1)
			for i := bk.lo; i < bk.hi; i++ {
				for _, c := range k.cols[i] {
					cnt[pos[c]+1]++
				}
			}
			for c := range u {
				cnt[c+1] += cnt[c]
			}
			db.colp = append([]int(nil), cnt...)
			db.colr = make([]int, cnt[u])
			db.colv = make([]float64, cnt[u])
			for i := bk.lo; i < bk.hi; i++ {
				for t, c := range k.cols[i] {
					q := cnt[pos[c]]
					db.colr[q], db.colv[q] = i-bk.lo, k.atv[i][t]
					cnt[pos[c]]++
				}
			}
			db.abarT = make([]float64, u*d)
			k.setPSDIdentity(&db)
		}
		k.blocks = append(k.blocks, db)
	}
	k.h = make([]float64, n*k.ld)
	k.fac = make([]float64, n*k.ld)
	k.inv = make([]float64, n)
	if p := len(k.zero); p > 0 {
		k.y = make([]float64, p*n)
		k.lds = p + dense.UpperPad
		k.sf = make([]float64, p*k.lds)
		k.sinv = make([]float64, p)
	}
	k.v = make([]float64, n*max(k.nsoc, 1))
	k.nv = make([]float64, n*max(k.nsoc, 1))
	N := n + m
	k.rhs, k.sol = make([]float64, N), make([]float64, N)
	k.t1, k.t2 = make([]float64, m), make([]float64, m)
	k.scr = make([]float64, max(n, m))
	return k
}

// setPSDIdentity sets Ā_bᵀ = Ã_bᵀ (W = I).
func (k *denseKKT) setPSDIdentity(db *dblock) {
	d := db.bk.hi - db.bk.lo
	clear(db.abarT)
	for c := range db.uni {
		for q := db.colp[c]; q < db.colp[c+1]; q++ {
			db.abarT[c*d+db.colr[q]] = db.colv[q]
		}
	}
}

func (k *denseKKT) blockOf(bk block) *dblock { return &k.blocks[k.byLo[bk.lo]] }

func (k *denseKKT) setDiagW(bk block, w []float64) {
	db := k.blockOf(bk)
	copy(db.w, w)
}

func (k *denseKKT) setSOCW(bk block, sc *socScaling, wm []float64) {
	db := k.blockOf(bk)
	db.kind = dbSOC
	db.eta = sc.eta
	copy(db.wbar, sc.w)
	db.wm, db.sc = wm, sc
}

func isIdentity(wm []float64, d int) bool {
	for r := range d {
		for c := range d {
			v := 0.0
			if r == c {
				v = 1
			}
			if wm[r*d+c] != v {
				return false
			}
		}
	}
	return true
}

// setDenseW takes a dense W (row-major d×d): the identity of the
// starting point on the second-order and PSD blocks, or any W through the
// generic dense product.
func (k *denseKKT) setDenseW(bk block, wm []float64) {
	db := k.blockOf(bk)
	d := bk.hi - bk.lo
	db.wm, db.sc = wm, nil
	ident := isIdentity(wm, d)
	switch {
	case db.kind == dbSOC && ident:
		db.eta = 1
		clear(db.wbar)
		db.wbar[0] = 1
		return
	case db.kind == dbPSD && ident:
		k.setPSDIdentity(db)
		return
	}
	// Generic: Ā_bᵀ = (W Ã_b)ᵀ densely.
	if db.ab == nil {
		if db.uni == nil {
			seen := map[int]bool{}
			for i := bk.lo; i < bk.hi; i++ {
				for _, c := range k.cols[i] {
					seen[c] = true
				}
			}
			for c := range k.n {
				if seen[c] {
					db.uni = append(db.uni, c)
				}
			}
		}
		u := len(db.uni)
		at := make(map[int]int, u)
		for t, c := range db.uni {
			at[c] = t
		}
		db.ab = make([]float64, d*u)
		for i := bk.lo; i < bk.hi; i++ {
			for t, c := range k.cols[i] {
				db.ab[(i-bk.lo)*u+at[c]] = k.atv[i][t]
			}
		}
		db.abarT = make([]float64, u*d)
	}
	u := len(db.uni)
	clear(db.abarT)
	for r := range d {
		for s := range d {
			wrs := wm[r*d+s]
			if wrs == 0 {
				continue
			}
			row := db.ab[s*u : (s+1)*u]
			for c, a := range row {
				db.abarT[c*d+r] += wrs * a
			}
		}
	}
	db.kind = dbGen
}

// setPSDW computes Ā_bᵀ for W(X) = BXBᵀ, B = R⁻¹.
func (k *denseKKT) setPSDW(bk block, sc *psdScaling) {
	db := k.blockOf(bk)
	db.kind = dbPSD
	db.wm, db.sc = nil, sc
	nn := sc.n
	if db.pi == nil {
		db.pi, db.pj = svecIndex(nn)
	}
	u := len(db.uni)
	nw := k.workersFor(float64(u) * float64(nn) * float64(nn) * float64(nn) / 2)
	if len(k.psdScr) < nw {
		k.psdScr = make([][]float64, nw)
	}
	for w := range nw {
		if len(k.psdScr[w]) < 3*nn*nn {
			k.psdScr[w] = make([]float64, 3*nn*nn)
		}
	}
	parallelChunks(nw, u, max(1, u/(8*nw)), func(w, c0, c1 int) {
		k.psdColumns(db, sc, c0, c1, k.psdScr[w])
	})
}

// workersFor returns the number of goroutines for a task of the given
// flop count (one below 2·10⁶: the start-up of goroutines is a few µs).
func (k *denseKKT) workersFor(flops float64) int {
	if k.workers <= 1 || flops < 2e6 {
		return 1
	}
	return k.workers
}

// parallelChunks runs f(w, lo, hi) over [0, n) in chunks of the given
// size, which nw goroutines (w: the goroutine's index, for its scratch)
// take in order from a shared counter. A goroutine that the scheduler
// starts late, or whose core another process holds, takes fewer chunks:
// the caller waits at most for the chunk it is running, not for a fixed
// half of the work (on a shared machine the second core pays only when it
// is free).
func parallelChunks(nw, n, chunk int, f func(w, lo, hi int)) {
	chunk = max(chunk, 1)
	if nw <= 1 || n <= chunk {
		f(0, 0, n)
		return
	}
	var next atomic.Int64
	run := func(w int) {
		for {
			lo := int(next.Add(1)-1) * chunk
			if lo >= n {
				return
			}
			f(w, lo, min(lo+chunk, n))
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < nw; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(w)
		}()
	}
	run(0)
	wg.Wait()
}

// psdColumns computes the rows c0…c1−1 of Ā_bᵀ (columns of U): for X =
// smat(Ã_b e_c), S = X Bᵀ by rows, then the lower triangle of Y = B S by
// the blocked dot kernel (−Y, from SubABt), svec into the row.
func (k *denseKKT) psdColumns(db *dblock, sc *psdScaling, c0, c1 int, scr []float64) {
	nn := sc.n
	d := db.bk.hi - db.bk.lo
	bm, bt := sc.ri, sc.rit
	pi, pj := db.pi, db.pj
	sm, st, ym := scr[:nn*nn], scr[nn*nn:2*nn*nn], scr[2*nn*nn:3*nn*nn]
	const s2 = math.Sqrt2
	for c := c0; c < c1; c++ {
		clear(sm)
		for q := db.colp[c]; q < db.colp[c+1]; q++ {
			p := db.colr[q]
			i, j := pi[p], pj[p]
			x := db.colv[q]
			if i != j {
				x /= s2
				dense.Axpy(x, bt[i*nn:(i+1)*nn], sm[j*nn:(j+1)*nn])
			}
			dense.Axpy(x, bt[j*nn:(j+1)*nn], sm[i*nn:(i+1)*nn])
		}
		transposeInto(st, sm, nn)
		// The upper triangle of −Y (row blocks from the diagonal on), read
		// by rows j as the svec's column j (Y is symmetric).
		clear(ym)
		const rb = 12
		for i0 := 0; i0 < nn; i0 += rb {
			i1 := min(i0+rb, nn)
			dense.SubABt(ym[i0*nn+i0:], nn, bm[i0*nn:], nn, st[i0*nn:], nn, i1-i0, nn-i0, nn)
		}
		row := db.abarT[c*d : (c+1)*d]
		p := 0
		for j := range nn {
			yj := ym[j*nn+j : j*nn+nn]
			row[p] = -yj[0]
			out := row[p+1 : p+len(yj)]
			for t, v := range yj[1:] {
				out[t] = -s2 * v
			}
			p += len(yj)
		}
	}
}

// svecIndex returns the row and column of each svec position.
func svecIndex(n int) (pi, pj []int) {
	pi, pj = make([]int, n*(n+1)/2), make([]int, n*(n+1)/2)
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			pi[p], pj[p] = i, j
			p++
		}
	}
	return pi, pj
}

// addRowProducts adds coef·ã_iã_iᵀ to the upper triangle of H.
func (k *denseKKT) addRowProducts(i int, coef float64) {
	cols, vals := k.cols[i], k.atv[i]
	vals = vals[:len(cols)]
	h, ld := k.h, k.ld
	if k.sorted {
		for a, ca := range cols {
			va := coef * vals[a]
			row := h[ca*ld : ca*ld+k.n]
			cb, vb := cols[a:], vals[a:]
			vb = vb[:len(cb)]
			for t, c := range cb {
				row[c] += va * vb[t]
			}
		}
		return
	}
	for a, ca := range cols {
		va := coef * vals[a]
		for b := a; b < len(cols); b++ {
			cb := cols[b]
			if ca <= cb {
				h[ca*ld+cb] += va * vals[b]
			} else {
				h[cb*ld+ca] += va * vals[b]
			}
		}
	}
}

// rowDot returns ã_i·x.
func (k *denseKKT) rowDot(i int, x []float64) float64 {
	cols, vals := k.cols[i], k.atv[i]
	vals = vals[:len(cols)]
	s := 0.0
	for q, c := range cols {
		s += vals[q] * x[c]
	}
	return s
}

// rowAxpy adds t·ã_i to dst.
func (k *denseKKT) rowAxpy(i int, t float64, dst []float64) {
	cols, vals := k.cols[i], k.atv[i]
	vals = vals[:len(cols)]
	for q, c := range cols {
		dst[c] += t * vals[q]
	}
}

// assemble forms H = Q̃ + Ā_cᵀĀ_c (upper triangle).
func (k *denseKKT) assemble() {
	n, ld, h := k.n, k.ld, k.h
	clear(h)
	if q := k.eq.q; q != nil {
		qcp, qri, qv := q.Upper().Raw()
		for j := range n {
			for p := qcp[j]; p < qcp[j+1]; p++ {
				h[qri[p]*ld+j] += qv[p]
			}
		}
	}
	ns := k.nsoc
	clear(k.v)
	s := 0
	for b := range k.blocks {
		db := &k.blocks[b]
		bk := db.bk
		switch db.kind {
		case dbDiag:
			for i := bk.lo; i < bk.hi; i++ {
				w := db.w[i-bk.lo]
				k.addRowProducts(i, w*w)
			}
		case dbSOC:
			e2 := db.eta * db.eta
			k.addRowProducts(bk.lo, -e2)
			for i := bk.lo + 1; i < bk.hi; i++ {
				k.addRowProducts(i, e2)
			}
			w0 := db.wbar[0]
			sc := math.Sqrt(8) * db.eta * w0
			for i := bk.lo; i < bk.hi; i++ {
				vi := db.wbar[i-bk.lo]
				if i == bk.lo {
					vi -= 1 / (2 * w0)
				}
				vi *= sc
				for t, c := range k.cols[i] {
					k.v[c*ns+s] += vi * k.atv[i][t]
				}
			}
			s++
		case dbPSD, dbGen:
			u := len(db.uni)
			d := bk.hi - bk.lo
			k.addGram(db, u, d)
		}
	}
	if ns > 0 {
		for i, x := range k.v[:n*ns] {
			k.nv[i] = -x
		}
		const rb = 32
		for i0 := 0; i0 < n; i0 += rb {
			i1 := min(i0+rb, n)
			dense.SubABt(h[i0*ld+i0:], ld, k.nv[i0*ns:], ns, k.v[i0*ns:], ns, i1-i0, n-i0, ns)
		}
	}
}

// addGram adds Ā_bᵀĀ_b (rows of Ā_bᵀ: |U| = u, length d) to the upper
// triangle of H: the lower triangle of G = Ā_bᵀĀ_b by row blocks of the
// dot kernel (−G from SubABt with −Ā_bᵀ), the row blocks shared among
// the workers by equal areas, then scattered to H at U.
func (k *denseKKT) addGram(db *dblock, u, d int) {
	if len(k.gram) < u*u {
		k.gram = make([]float64, u*u)
	}
	g := k.gram[:u*u]
	if len(k.nabar) < u*d {
		k.nabar = make([]float64, u*d)
	}
	na := k.nabar[:u*d]
	for i, v := range db.abarT[:u*d] {
		na[i] = -v
	}
	const rb = 12
	nb := (u + rb - 1) / rb
	nw := k.workersFor(float64(u) * float64(u) * float64(d) / 2)
	// Row block b has b+1 blocks of columns: taken largest first, one at a
	// time.
	parallelChunks(nw, nb, 1, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			b := nb - 1 - c
			i0 := b * rb
			i1 := min(i0+rb, u)
			clear(g[i0*u : i1*u])
			dense.SubABt(g[i0*u:], u, na[i0*d:], d, db.abarT, d, i1-i0, i1, d)
		}
	})
	h, ld := k.h, k.ld
	for a, ca := range db.uni {
		ga := g[a*u:]
		for bb := 0; bb <= a; bb++ {
			h[db.uni[bb]*ld+ca] += ga[bb] // U is sorted: U_bb ≤ U_a
		}
	}
}

// factor assembles and factors H (+ δI) and the Schur complement of the
// Zero rows. An error means the dense path cannot factor the matrix.
func (k *denseKKT) factor() error {
	k.nfact++
	k.assemble()
	n, ld := k.n, k.ld
	maxd := 0.0
	for j := range n {
		maxd = math.Max(maxd, math.Abs(k.h[j*ld+j]))
	}
	if !(maxd < math.Inf(1)) {
		return fmt.Errorf("%w: non-finite normal equations", ErrNaN)
	}
	// Static regularization δ = 1e-8; if a pivot is lost to rounding (H
	// spanning too many orders of magnitude, the ill-conditioning of the
	// normal equations at the end of an LP's iteration), a regularization
	// relative to each diagonal entry, τH_jj with τ = 1e-13, 1e-11, 1e-9:
	// scale-invariant, it perturbs the well-scaled columns as little as
	// the badly scaled ones, and the refinement against the unregularized
	// operator removes it. After that the caller switches to the sparse
	// path.
	const reg = 1e-8
	tau := 0.0
	for try := 0; ; try++ {
		copy(k.fac, k.h)
		for j := range n {
			k.fac[j*ld+j] += reg + tau*k.h[j*ld+j]
		}
		if dense.CholeskyUpper(k.fac, n, ld) {
			break
		}
		if try == 3 {
			return fmt.Errorf("%w: the normal equations are not numerically positive definite", ErrSingular)
		}
		tau = math.Pow(10, float64(2*try-13))
	}
	k.reg = reg + tau*maxd // the largest diagonal shift, for the record
	dense.ReciprocalDiagonal(k.inv, k.fac, ld)
	p := len(k.zero)
	if p == 0 {
		return nil
	}
	for r, i := range k.zero {
		yr := k.y[r*n : (r+1)*n]
		clear(yr)
		for t, c := range k.cols[i] {
			yr[c] = k.atv[i][t]
		}
		dense.SolveUpperT(k.fac, n, ld, k.inv, yr)
	}
	if len(k.gram) < p*p {
		k.gram = make([]float64, p*p)
	}
	g := k.gram[:p*p]
	dense.Gram(g, p, k.y, p, n, n)
	clear(k.sf)
	for a := range p {
		for b := a; b < p; b++ {
			k.sf[a*k.lds+b] = g[a*p+b]
		}
		k.sf[a*k.lds+a] += reg
	}
	if !dense.CholeskyUpper(k.sf, p, k.lds) {
		return fmt.Errorf("%w: the equality rows' Schur complement is not positive definite", ErrSingular)
	}
	dense.ReciprocalDiagonal(k.sinv, k.sf, k.lds)
	return nil
}

// applyAbar sets dst (m) = Ā x on the cone rows and Ã x on the Zero rows.
func (k *denseKKT) applyAbar(dst, x []float64) {
	for b := range k.blocks {
		db := &k.blocks[b]
		bk := db.bk
		switch db.kind {
		case dbPSD, dbGen:
			u := len(db.uni)
			xs := k.scr[:u]
			for t, c := range db.uni {
				xs[t] = x[c]
			}
			dense.MulTransVec(dst[bk.lo:bk.hi], 1, db.abarT, bk.hi-bk.lo, xs, 0)
			continue
		}
		t := dst[bk.lo:bk.hi]
		for i := bk.lo; i < bk.hi; i++ {
			t[i-bk.lo] = k.rowDot(i, x)
		}
		switch db.kind {
		case dbDiag:
			for i := range t {
				t[i] *= db.w[i]
			}
		case dbSOC:
			socApply(t, t, db.wbar, db.eta)
		}
	}
}

// socApply sets dst = η(2w̄(w̄ᵀv) − Jv) (dst may be v).
func socApply(dst, v, wbar []float64, eta float64) {
	c := 2 * dot(wbar, v)
	dst[0] = eta * (c*wbar[0] - v[0])
	for i := 1; i < len(v); i++ {
		dst[i] = eta * (c*wbar[i] + v[i])
	}
}

// addAbarT adds Āᵀy (Ãᵀy on the Zero rows) to dst (n).
func (k *denseKKT) addAbarT(dst, y []float64) {
	t := k.t2
	for b := range k.blocks {
		db := &k.blocks[b]
		bk := db.bk
		switch db.kind {
		case dbPSD, dbGen:
			u := len(db.uni)
			xs := k.scr[:u]
			dense.MulVec(xs, 1, db.abarT, bk.hi-bk.lo, y[bk.lo:bk.hi], 0)
			for q, c := range db.uni {
				dst[c] += xs[q]
			}
			continue
		case dbDiag:
			for i := bk.lo; i < bk.hi; i++ {
				t[i] = db.w[i-bk.lo] * y[i]
			}
		case dbSOC:
			socApply(t[bk.lo:bk.hi], y[bk.lo:bk.hi], db.wbar, db.eta)
		default:
			copy(t[bk.lo:bk.hi], y[bk.lo:bk.hi])
		}
		for i := bk.lo; i < bk.hi; i++ {
			if ti := t[i]; ti != 0 {
				k.rowAxpy(i, ti, dst)
			}
		}
	}
}

// mul sets dst = K src for the unregularized scaled KKT operator, vectors
// (x, ũ) in natural order.
func (k *denseKKT) mul(dst, src []float64) {
	n := k.n
	x, u := src[:n], src[n:]
	dx, du := dst[:n], dst[n:]
	if k.eq.q != nil {
		_ = k.eq.q.MulVec(dx, x)
	} else {
		clear(dx)
	}
	k.addAbarT(dx, u)
	if k.cached != nil && &src[0] == &k.cached[0] {
		// src is the output of the last prec, unchanged: its Ā x is t1.
		copy(du, k.t1)
	} else {
		k.applyAbar(du, x)
	}
	k.cached = nil
	for _, db := range k.blocks {
		if db.kind < 0 {
			continue
		}
		for i := db.bk.lo; i < db.bk.hi; i++ {
			du[i] -= u[i]
		}
	}
}

// prec sets dst to the solution of the regularized system for src.
func (k *denseKKT) prec(dst, src []float64) error {
	n := k.n
	rx, ru := src[:n], src[n:]
	dx, du := dst[:n], dst[n:]
	copy(dx, rx)
	// r₁ = r_x + Ā_cᵀ r_u,c (the Zero rows enter through u₀).
	t := k.t1
	copy(t, ru)
	for _, i := range k.zero {
		t[i] = 0
	}
	k.addAbarT(dx, t)
	dense.SolveUpperT(k.fac, n, k.ld, k.inv, dx)
	if p := len(k.zero); p > 0 {
		u0 := k.scr[:p]
		for r, i := range k.zero {
			u0[r] = dense.Dot(k.y[r*n:(r+1)*n], dx) - ru[i]
		}
		dense.SolveUpperT(k.sf, p, k.lds, k.sinv, u0)
		dense.SolveUpper(k.sf, p, k.lds, k.sinv, u0)
		for r, i := range k.zero {
			dense.Axpy(-u0[r], k.y[r*n:(r+1)*n], dx)
			du[i] = u0[r]
		}
	}
	dense.SolveUpper(k.fac, n, k.ld, k.inv, dx)
	// ũ_c = Ā_cΔx − r_u,c.
	k.applyAbar(t, dx)
	zi := 0
	for i := range du {
		if zi < len(k.zero) && k.zero[zi] == i {
			zi++
			continue
		}
		du[i] = t[i] - ru[i]
	}
	k.cached = dst // t1 holds Ā dx for the next mul of dst
	return nil
}

// solve sets (dx, du) to the refined solution for (rx, ru).
func (k *denseKKT) solve(dx, du, rx, ru []float64) error {
	n := k.n
	copy(k.rhs[:n], rx)
	copy(k.rhs[n:], ru)
	k.cached = nil
	if err := k.prec(k.sol, k.rhs); err != nil {
		return err
	}
	k.gm.refine(k.sol, k.rhs, k.mul, k.prec)
	copy(dx, k.sol[:n])
	copy(du, k.sol[n:])
	if !finite(dx) || !finite(du) {
		return fmt.Errorf("%w: KKT solve gave non-finite values", ErrNaN)
	}
	return nil
}

// toSparse switches k to the sparse path with the dense path's current
// scaling.
func (k *kktSystem) toSparse() error {
	dn := k.dn
	sp, err := newSparseKKT(k.eq, k.blocks, k.workers)
	if err != nil {
		return err
	}
	nfact := k.nfact
	*k = *sp
	k.nfact = nfact
	for b, db := range dn.blocks {
		switch {
		case db.kind == dbDiag:
			k.setDiagW(db.bk, db.w)
		case db.kind == dbPSD && db.sc != nil:
			k.setPSDW(b, db.bk, db.sc.(*psdScaling))
		case db.wm != nil:
			k.setDenseW(b, db.bk, db.wm)
		}
	}
	return k.factorSparse()
}
