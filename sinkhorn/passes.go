package sinkhorn

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/optlayers/optlayers/internal/dense"
	"github.com/optlayers/optlayers/internal/parallel"
)

// Tables of the exponential used inside log-sum-exp: lseTable[k] =
// 2^(k/lseTableSize); with |r| ≤ ln2/(2·lseTableSize) a cubic polynomial
// gives eʳ to 4e-17.
const (
	lseTableBits = 11
	lseTableSize = 1 << lseTableBits
	lseScale     = lseTableSize / math.Ln2
	lseLn2Hi     = 6.93147180369123816490e-01 / lseTableSize
	lseLn2Lo     = 1.90821492927058770002e-10 / lseTableSize
)

var lseTable = func() (t [lseTableSize]float64) {
	for k := range t {
		t[k] = math.Exp2(float64(k) / lseTableSize)
	}
	return t
}()

// lseCut is the exponent below which a term of a log-sum-exp is dropped:
// e⁻⁵⁰ ≈ 2e-22, so with the sum at least 1e-3 (checked by lse) the
// dropped terms change it by less than n·2e-19 relative.
const lseCut = -50

// expSum returns Σ_j exp(h_j − c_j·invEps − shift), each term computed as
// 0 when its exponent is below lseCut and the sum as +Inf when an exponent
// exceeds 709 (dense.ExpSum: AVX2 with a pure-Go fallback).
func expSum(c, h []float64, invEps, shift float64) float64 {
	s, _ := dense.ExpSum(c, h, invEps, shift, lseCut)
	return s
}

// expDot returns Σ_j exp(base + h_j − c_j·invEps)·x_j, terms with an
// exponent below lseCut dropped (they are below 2e-22 where this is used,
// for plan entries of at most about 1). The exponential is inlined as in
// expSum.
func expDot(c, h, x []float64, invEps, base float64) float64 {
	h = h[:len(c)]
	x = x[:len(c)]
	var s float64
	for j, cj := range c {
		e := base + h[j] - cj*invEps
		if !(e >= lseCut) {
			continue
		}
		e = min(e, 709)
		t := e*lseScale + expShifter
		kf := t - expShifter
		k := int64(math.Float64bits(t)) - int64(math.Float64bits(expShifter))
		r := (e - kf*lseLn2Hi) - kf*lseLn2Lo
		p := 1 + r*(1+r*(0.5+r*(1.0/6)))
		s += x[j] * math.Float64frombits(uint64(int64(math.Float64bits(lseTable[k&(lseTableSize-1)]*p))+(k>>lseTableBits)<<52))
	}
	return s
}

// expAxpy adds y·exp(base + h_j − c_j·invEps) to dst_j, with expDot's
// cut.
func expAxpy(dst, c, h []float64, invEps, base, y float64) {
	h = h[:len(c)]
	dst = dst[:len(c)]
	for j, cj := range c {
		e := base + h[j] - cj*invEps
		if !(e >= lseCut) {
			continue
		}
		e = min(e, 709)
		t := e*lseScale + expShifter
		kf := t - expShifter
		k := int64(math.Float64bits(t)) - int64(math.Float64bits(expShifter))
		r := (e - kf*lseLn2Hi) - kf*lseLn2Lo
		p := 1 + r*(1+r*(0.5+r*(1.0/6)))
		dst[j] += y * math.Float64frombits(uint64(int64(math.Float64bits(lseTable[k&(lseTableSize-1)]*p))+(k>>lseTableBits)<<52))
	}
}

// lse returns −ε·log Σ_j exp(h_j − c_j/ε). guess is a previous value of
// the result: shifting the exponents by −guess/ε makes one pass enough
// when the result changed little; otherwise (overflow or underflow) the
// max-shifted two-pass form is used.
func lse(c, h []float64, invEps, eps, guess float64) float64 {
	shift := -guess * invEps
	if finite(shift) {
		s := expSum(c, h, invEps, shift)
		if s > 1e-3 && s < 1e250 {
			return -eps * (shift + math.Log(s))
		}
	}
	h = h[:len(c)]
	mx := math.Inf(-1)
	for j, cj := range c {
		if z := h[j] - cj*invEps; z > mx {
			mx = z
		}
	}
	if math.IsInf(mx, -1) || math.IsNaN(mx) {
		return math.NaN()
	}
	return -eps * (mx + math.Log(expSum(c, h, invEps, mx)))
}

// pool runs fn over [0, n) split in contiguous ranges of about n/(4·w)
// indices, w = workers, handed out to the workers as they become free
// (parallel.Ranges; workers ≤ 1 runs fn(0, 0, n) on the caller). A static
// split in halves would wait for the slower core when another process
// holds one; with quarters of halves the other worker takes up the slack.
// Each output index is computed by exactly one call, so results do not
// depend on the number of workers nor on the schedule; w < workers
// indexes per-worker scratch.
//
// With a team (startTeam) the ranges go to the team's helpers, kept for the
// whole solve, instead of goroutines started for each pass; the ranges, and
// so the results, are the same.
type pool struct {
	workers int
	team    *team
}

func (p pool) run(n int, fn func(w, lo, hi int)) {
	w := max(p.workers, 1)
	if w == 1 {
		fn(0, 0, n)
		return
	}
	grain := max(1, n/(4*w))
	if p.team != nil {
		p.team.run(n, grain, fn)
		return
	}
	parallel.Ranges(n, w, grain, fn)
}

// startTeam gives p a team of p.workers goroutines when the processors can
// run them at once (GOMAXPROCS ≥ workers; otherwise polling helpers would
// take the caller's processor) and returns the function that stops it.
func (p *pool) startTeam() (stop func()) {
	if p.workers < 2 || runtime.GOMAXPROCS(0) < p.workers {
		return func() {}
	}
	p.team = newTeam(p.workers)
	return func() {
		p.team.close()
		p.team = nil
	}
}

// kernelChunk is the fixed row-chunk of the transposed kernel product, so
// that its summation order does not depend on the number of workers.
const kernelChunk = 256

// logPass sets dst_i = −ε log Σ_j exp(logw_j + (pot_j − C_ij)/ε) for all
// rows i (rows=true) or the same with the roles of rows and columns
// swapped. h is scratch of the length of pot.
func (st *state) logPass(dst, pot, logw, h []float64, rows bool) {
	invEps := 1 / st.eps
	for j, v := range pot {
		h[j] = logw[j] + v*invEps
	}
	g := st.p.geom
	if !rows && g.c != nil && g.ct == nil {
		g.ct = transposeOf(g.c, g.n, g.m)
	}
	n := len(dst)
	width := len(pot)
	st.pool.run((n+blockRows-1)/blockRows, func(w, lo, hi int) {
		sc := st.scratch[w]
		buf := sc[:blockRows*width]
		for blk := lo; blk < hi; blk++ {
			i0, i1 := blk*blockRows, min((blk+1)*blockRows, n)
			var block []float64
			if rows {
				block = g.rows(i0, i1, buf)
			} else {
				block = g.cols(i0, i1, buf)
			}
			for i := i0; i < i1; i++ {
				dst[i] = lse(block[(i-i0)*width:(i-i0+1)*width], h, invEps, st.eps, dst[i])
			}
		}
	})
}

// absorb sets the kernel K̃_ij = exp((f̂_i + ĝ_j − C_ij)/ε) with f̂ = f and
// ĝ = g.
//
// The kernel's n·m entries come from kernelPool and go back to it when
// the solve ends (releaseKernel): a Result never refers to them, and a
// training loop that solves problems of one size then allocates (and
// zeroes) no kernel after the first.
func (st *state) absorb(f, g []float64) {
	copy(st.fh, f)
	copy(st.gh, g)
	st.kernEps = st.eps
	n, m := st.p.n, st.p.m
	if st.kern == nil {
		st.kern = getKernel(n * m)
	}
	invEps := 1 / st.eps
	gs := st.tmpM2
	for j, v := range g {
		gs[j] = v * invEps
	}
	c := st.p.geom.c
	st.pool.run(n, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			fi := f[i] * invEps
			dense.ExpAffine(st.kern[i*m:(i+1)*m], c[i*m:(i+1)*m], gs, invEps, fi)
		}
	})
	st.absorptions++
}

// kernelRowPass sets dst_i = f̂_i − ε log (K̃ (b ∘ e^{(g−ĝ)/ε}))_i. It
// returns false if a row sum is zero or not finite (the caller then falls
// back to the log domain).
func (st *state) kernelRowPass(dst, g []float64) bool {
	m := st.p.m
	invEps := 1 / st.eps
	v := st.tmpM
	for j := range v {
		v[j] = st.p.b[j] * math.Exp((g[j]-st.gh[j])*invEps)
	}
	ok := true
	var mu sync.Mutex
	// Ranges of whole blocks of four rows, so that each row's dot
	// product is computed the same way (dense.MulVec's block kernel, or
	// its one-row kernel for the last n%4 rows) for any number of workers
	// and as in kernelFusedPass.
	n := st.p.n
	st.pool.run((n+3)/4, func(_, blo, bhi int) {
		lo, hi := 4*blo, min(4*bhi, n)
		out := dst[lo:hi]
		dense.MulVec(out, 1, st.kern[lo*m:hi*m], m, v, 0)
		good := true
		for k, s := range out {
			if !(s > 0) || math.IsInf(s, 1) {
				good = false
				break
			}
			out[k] = st.fh[lo+k] - st.eps*math.Log(s)
		}
		if !good {
			mu.Lock()
			ok = false
			mu.Unlock()
		}
	})
	return ok
}

// kernelColPass sets dst_j = ĝ_j − ε log (K̃ᵀ (a ∘ e^{(f−f̂)/ε}))_j.
func (st *state) kernelColPass(dst, f []float64) bool {
	n, m := st.p.n, st.p.m
	invEps := 1 / st.eps
	u := st.tmpN
	for i := range u {
		u[i] = st.p.a[i] * math.Exp((f[i]-st.fh[i])*invEps)
	}
	nch := (n + kernelChunk - 1) / kernelChunk
	if len(st.partials) < nch*m {
		st.partials = make([]float64, nch*m)
	}
	st.pool.run(nch, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			i0, i1 := ch*kernelChunk, min((ch+1)*kernelChunk, n)
			dense.MulTransVec(st.partials[ch*m:(ch+1)*m], 1, st.kern[i0*m:i1*m], m, u[i0:i1], 0)
		}
	})
	return st.colFromPartials(dst, nch)
}

// colFromPartials sums the nch chunk partials of K̃ᵀu in chunk order and
// sets dst_j = ĝ_j − ε log of the sum; it returns false if a sum is zero
// or not finite.
func (st *state) colFromPartials(dst []float64, nch int) bool {
	m := st.p.m
	copy(dst, st.partials[:m])
	for ch := 1; ch < nch; ch++ {
		p := st.partials[ch*m : (ch+1)*m]
		for j := range dst {
			dst[j] += p[j]
		}
	}
	for j, s := range dst {
		if !(s > 0) || math.IsInf(s, 1) {
			return false
		}
		dst[j] = st.gh[j] - st.eps*math.Log(s)
	}
	return true
}

// fuseKernelPasses enables kernelFusedPass (a switch for the test that
// checks it against the separate passes).
var fuseKernelPasses = true

// kernelFusedPass is one iteration of the kernel mode without Anderson
// acceleration: the row update hf = rowPass(g), the relaxed potential
// f ← (1−w)·f + w·κ_a·hf and the column update hg = colPass(f), computed
// in one sweep over the stored kernel (dense.DotAxpyRows): the kernel is
// read once per iteration instead of twice, which is what bounds this mode
// (the matrix is larger than the per-core caches). The arithmetic is that
// of rowPass, the relaxation and colPass one after the other, so the
// iterates are the same bits. It returns false, with f and g untouched,
// when a row sum is zero or not finite; the caller then runs the three
// steps separately (and the row pass falls back to the log domain). When
// the new f drifts from the absorbed f̂ beyond the threshold, the column
// update is redone by colPass after re-absorbing.
func (st *state) kernelFusedPass(w float64) bool {
	if st.kernEps != st.eps || st.drift(st.f, st.fh) || st.drift(st.g, st.gh) {
		st.absorb(st.f, st.g)
	}
	n, m := st.p.n, st.p.m
	eps, invEps := st.eps, 1/st.eps
	v := st.tmpM
	for j := range v {
		v[j] = st.p.b[j] * math.Exp((st.g[j]-st.gh[j])*invEps)
	}
	nch := (n + kernelChunk - 1) / kernelChunk
	if len(st.partials) < nch*m {
		st.partials = make([]float64, nch*m)
	}
	if len(st.fnew) < n {
		st.fnew = make([]float64, n)
	}
	f, fh, fnew, hf, a := st.f, st.fh, st.fnew, st.hf, st.p.a
	kappa := st.kappaA
	lim := st.s.AbsorbThreshold * eps
	var bad, drifted atomic.Bool
	// Every other pass visits the chunks in reverse order, so that the
	// chunks the last pass read most recently, still in cache, are read
	// first. Each chunk has its own partial sum of Kᵀu, added in chunk
	// order afterwards, so the order changes no bit of the result.
	reverse := st.reverseSweep
	st.reverseSweep = !reverse
	st.pool.run(nch, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			ch := c
			if reverse {
				ch = nch - 1 - c
			}
			i0, i1 := ch*kernelChunk, min((ch+1)*kernelChunk, n)
			part := st.partials[ch*m : (ch+1)*m]
			clear(part)
			dense.DotAxpyRows(st.kern[i0*m:i1*m], m, i1-i0, v, part, func(k int, s float64) float64 {
				i := i0 + k
				if !(s > 0) || math.IsInf(s, 1) {
					bad.Store(true)
					return 0
				}
				hf[i] = fh[i] - eps*math.Log(s)
				fi := (1-w)*f[i] + w*kappa*hf[i]
				fnew[i] = fi
				if math.Abs(fi-fh[i]) > lim {
					drifted.Store(true)
				}
				return a[i] * math.Exp((fi-fh[i])*invEps)
			})
		}
	})
	if bad.Load() {
		return false
	}
	copy(f, fnew[:n])
	if drifted.Load() || !st.colFromPartials(st.hg, nch) {
		st.colPass(st.hg, f)
	}
	return true
}

// kernelPool holds kernel buffers (*[]float64) between solves.
var kernelPool sync.Pool

// getKernel returns a slice of length size from kernelPool, or a new one.
// Its contents are arbitrary: absorb overwrites every entry.
func getKernel(size int) []float64 {
	if b, ok := kernelPool.Get().(*[]float64); ok && cap(*b) >= size {
		return (*b)[:size]
	}
	return make([]float64, size)
}

// releaseKernel returns the state's kernel to kernelPool.
func (st *state) releaseKernel() {
	if st.kern != nil {
		k := st.kern
		st.kern = nil
		kernelPool.Put(&k)
	}
}
