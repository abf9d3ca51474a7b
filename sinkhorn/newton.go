package sinkhorn

import (
	"context"
	"math"

	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/dense"
)

func (st *state) newtonStart() float64 {
	if st.s.NewtonStart > 0 {
		return st.s.NewtonStart
	}
	return 1e-3 * math.Sqrt(st.p.massA*st.p.massB)
}

// planOps returns products with the current plan: in Kernel mode
// P = diag(α) K̃ diag(β), α = a∘e^{(f−f̂)/ε}, β = b∘e^{(g−ĝ)/ε}; in the log
// domain the entries a_i b_j e^{(f_i+g_j−C_ij)/ε} are recomputed in every
// product.
func (st *state) planOps() (mul, mulT func(dst, x []float64)) {
	if !st.kernel {
		return st.logPlanOps()
	}
	n, m := st.p.n, st.p.m
	invEps := 1 / st.eps
	alpha, beta := make([]float64, n), make([]float64, m)
	for i := range n {
		alpha[i] = st.p.a[i] * math.Exp((st.f[i]-st.fh[i])*invEps)
	}
	for j := range m {
		beta[j] = st.p.b[j] * math.Exp((st.g[j]-st.gh[j])*invEps)
	}
	xb := make([]float64, m)
	ya := make([]float64, n)
	mul = func(dst, x []float64) { // dst (n) = P x
		for j := range m {
			xb[j] = beta[j] * x[j]
		}
		st.pool.run((n+3)/4, func(_, blo, bhi int) { // whole 4-row blocks, as kernelRowPass
			lo, hi := 4*blo, min(4*bhi, n)
			dense.MulVec(dst[lo:hi], 1, st.kern[lo*m:hi*m], m, xb, 0)
		})
		for i := range n {
			dst[i] *= alpha[i]
		}
	}
	nch := (n + kernelChunk - 1) / kernelChunk
	if len(st.partials) < nch*m {
		st.partials = make([]float64, nch*m)
	}
	mulT = func(dst, y []float64) { // dst (m) = Pᵀ y
		for i := range n {
			ya[i] = alpha[i] * y[i]
		}
		st.pool.run(nch, func(_, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				i0, i1 := ch*kernelChunk, min((ch+1)*kernelChunk, n)
				dense.MulTransVec(st.partials[ch*m:(ch+1)*m], 1, st.kern[i0*m:i1*m], m, ya[i0:i1], 0)
			}
		})
		copy(dst, st.partials[:m])
		for ch := 1; ch < nch; ch++ {
			p := st.partials[ch*m : (ch+1)*m]
			for j := range dst {
				dst[j] += p[j]
			}
		}
		for j := range m {
			dst[j] *= beta[j]
		}
	}
	return mul, mulT
}

// kernelSchurOp returns, in the kernel mode, dst = Pᵀ diag(1/(ε·dA)) P x
// (the plan P of planOps), the product inside the Newton step's Schur
// complement, in one sweep over the kernel (dense.DotAxpyRows) instead of
// one for P x and one for Pᵀ y. The arithmetic is that of mul, the
// division and mulT one after the other: the same bits. It returns nil in
// the log domain.
func (st *state) kernelSchurOp(dA []float64) func(dst, x []float64) {
	if !st.kernel {
		return nil
	}
	n, m := st.p.n, st.p.m
	eps, invEps := st.eps, 1/st.eps
	alpha, beta := make([]float64, n), make([]float64, m)
	for i := range n {
		alpha[i] = st.p.a[i] * math.Exp((st.f[i]-st.fh[i])*invEps)
	}
	for j := range m {
		beta[j] = st.p.b[j] * math.Exp((st.g[j]-st.gh[j])*invEps)
	}
	xb := make([]float64, m)
	nch := (n + kernelChunk - 1) / kernelChunk
	if len(st.partials) < nch*m {
		st.partials = make([]float64, nch*m)
	}
	return func(dst, x []float64) {
		for j := range m {
			xb[j] = beta[j] * x[j]
		}
		st.pool.run(nch, func(_, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				i0, i1 := ch*kernelChunk, min((ch+1)*kernelChunk, n)
				part := st.partials[ch*m : (ch+1)*m]
				clear(part)
				dense.DotAxpyRows(st.kern[i0*m:i1*m], m, i1-i0, xb, part, func(k int, s float64) float64 {
					i := i0 + k
					t := s * alpha[i]
					t /= dA[i] * eps
					return alpha[i] * t
				})
			}
		})
		copy(dst, st.partials[:m])
		for ch := 1; ch < nch; ch++ {
			p := st.partials[ch*m : (ch+1)*m]
			for j := range dst {
				dst[j] += p[j]
			}
		}
		for j := range m {
			dst[j] *= beta[j]
		}
	}
}

func (st *state) logPlanOps() (mul, mulT func(dst, x []float64)) {
	p := st.p
	n, m := p.n, p.m
	invEps := 1 / st.eps
	fa, gb := make([]float64, n), make([]float64, m)
	for i := range n {
		fa[i] = p.loga[i] + st.f[i]*invEps
	}
	for j := range m {
		gb[j] = p.logb[j] + st.g[j]*invEps
	}
	nch := (n + kernelChunk - 1) / kernelChunk
	if len(st.partials) < nch*m {
		st.partials = make([]float64, nch*m)
	}
	// each calls fn(i, c) with the cost row c_i· for the rows of chunk ch,
	// in order.
	each := func(w, ch int, fn func(i int, c []float64)) {
		buf := st.scratch[w][:blockRows*m]
		for i0 := ch * kernelChunk; i0 < min((ch+1)*kernelChunk, n); i0 += blockRows {
			i1 := min(i0+blockRows, n)
			block := p.geom.rows(i0, i1, buf)
			for i := i0; i < i1; i++ {
				fn(i, block[(i-i0)*m:(i-i0+1)*m])
			}
		}
	}
	mul = func(dst, x []float64) {
		st.pool.run(nch, func(w, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				each(w, ch, func(i int, c []float64) {
					dst[i] = expDot(c, gb, x, invEps, fa[i])
				})
			}
		})
	}
	mulT = func(dst, y []float64) {
		st.pool.run(nch, func(w, lo, hi int) {
			for ch := lo; ch < hi; ch++ {
				part := st.partials[ch*m : (ch+1)*m]
				clear(part)
				each(w, ch, func(i int, c []float64) {
					if y[i] != 0 {
						expAxpy(part, c, gb, invEps, fa[i], y[i])
					}
				})
			}
		})
		copy(dst, st.partials[:m])
		for ch := 1; ch < nch; ch++ {
			part := st.partials[ch*m : (ch+1)*m]
			for j := range dst {
				dst[j] += part[j]
			}
		}
	}
	return mul, mulT
}

// newtonStep takes one Newton step on the dual objective,
//
//	H (δf, δg) = ∇D,  H = [ diag(P1)/ε + D_a   P/ε ; Pᵀ/ε   diag(Pᵀ1)/ε + D_b ],
//
// eliminating δf and solving the Schur complement for δg by conjugate
// gradients, then updates (f, g) and recomputes the column pass. It returns
// the number of CG iterations (each costs about one Sinkhorn iteration).
// A step that does not lower the error is undone.
func (st *state) newtonStep() int {
	p := st.p
	n, m := p.n, p.m
	eps := st.eps
	if st.kernel && (st.drift(st.f, st.fh) || st.drift(st.g, st.gh) || st.kernEps != eps) {
		st.absorb(st.f, st.g)
	}
	mul, mulT := st.planOps()
	ones := make([]float64, max(n, m))
	for k := range ones {
		ones[k] = 1
	}
	rs, cs := make([]float64, n), make([]float64, m)
	mul(rs, ones[:m])
	mulT(cs, ones[:n])
	dA, dB := make([]float64, n), make([]float64, m)
	gf, gg := make([]float64, n), make([]float64, m)
	for i := range n {
		t, dt := target(st.f[i], p.tauA)
		dA[i] = rs[i]/eps - p.a[i]*dt
		gf[i] = p.a[i]*t - rs[i]
		if !(dA[i] > 0) {
			return 0
		}
	}
	for j := range m {
		t, dt := target(st.g[j], p.tauB)
		dB[j] = cs[j]/eps - p.b[j]*dt
		gg[j] = p.b[j]*t - cs[j]
	}
	tmpN := make([]float64, n)
	schur := st.kernelSchurOp(dA)
	if !fuseKernelPasses {
		schur = nil
	}
	op := linsolve.NewFunc(m, m, func(dst, x []float64) {
		if schur != nil {
			schur(dst, x)
		} else {
			mul(tmpN, x)
			for i := range n {
				tmpN[i] /= dA[i] * eps
			}
			mulT(dst, tmpN)
		}
		for j := range m {
			dst[j] = dB[j]*x[j] - dst[j]/eps
		}
	}, nil)
	op.ApplyTFunc = op.ApplyFunc
	rhs := make([]float64, m)
	for i := range n {
		tmpN[i] = gf[i] / dA[i]
	}
	mulT(rhs, tmpN)
	for j := range m {
		rhs[j] = gg[j] - rhs[j]/eps
	}
	tol := st.s.NewtonCGTol
	if tol <= 0 {
		tol = 1e-3
	}
	dg := make([]float64, m)
	pre := make(linsolve.Jacobi, m)
	copy(pre, dB)
	res, _ := linsolve.CG(context.Background(), dg, op, rhs, &linsolve.Settings{Tol: tol, MaxIter: min(max(m, 200), 500), Precond: pre})
	if !finiteSlice(dg) {
		return res.Iterations
	}
	df := make([]float64, n)
	mul(df, dg)
	for i := range n {
		df[i] = (gf[i] - df[i]/eps) / dA[i]
	}
	oldF, oldG := append([]float64(nil), st.f...), append([]float64(nil), st.g...)
	before := st.lastErr()
	for i := range n {
		st.f[i] += df[i]
	}
	for j := range m {
		st.g[j] += dg[j]
	}
	st.colPass(st.hg, st.f)
	if e := st.residual(st.g, st.hg); !(e < before) {
		copy(st.f, oldF)
		copy(st.g, oldG)
		st.colPass(st.hg, st.f)
		st.newtonFailures++
	}
	return res.Iterations
}
