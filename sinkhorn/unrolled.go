package sinkhorn

import (
	"context"
	"fmt"
	"math"
)

// Unrolled is the result of a fixed number of plain log-domain Sinkhorn
// iterations recorded for reverse-mode differentiation through them
// (unrolling, as in automatic differentiation of the loop).
//
// Memory: the iterates, 8·(T+1)·(n+m) bytes for T iterations, plus the
// n×m cost and its transpose (and an n×m cost cotangent during the
// reverse pass). Time: the
// reverse pass costs about as much as the forward one (two passes over the
// cost per iteration).
type Unrolled struct {
	// F and G are the last iterates (not gauge-fixed).
	F, G []float64
	// Cost is the dual objective at (F, G), as Result.Cost.
	Cost float64
	// Iterations is T.
	Iterations int

	p    *prepared
	cost []float64
	ct   []float64   // cost transposed
	fs   [][]float64 // f_0 … f_T
	gs   [][]float64 // g_1 … g_T
}

// SolveUnrolled runs T plain log-domain iterations g ← col(f), f ← row(g)
// from f = 0 (no acceleration, no ε-scaling) and records them.
func SolveUnrolled(ctx context.Context, pb *Problem, iterations int) (u *Unrolled, err error) {
	defer recoverPanic(&err, func() { u = nil })
	if iterations < 1 {
		return nil, fmt.Errorf("%w: %d iterations", ErrInvalid, iterations)
	}
	p, err := prepare(pb, 1<<23)
	if err != nil {
		return nil, err
	}
	n, m := p.n, p.m
	u = &Unrolled{p: p, cost: costValues(p), Iterations: iterations}
	f := make([]float64, n)
	u.fs = append(u.fs, append([]float64(nil), f...))
	ct := transposeOf(u.cost, n, m)
	u.ct = ct
	hA, hB := make([]float64, n), make([]float64, m)
	invEps := 1 / p.eps
	for range iterations {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g := make([]float64, m)
		for i := range n {
			hA[i] = p.loga[i] + f[i]*invEps
		}
		for j := range m {
			g[j] = p.kappaB * lse(ct[j*n:(j+1)*n], hA, invEps, p.eps, 0)
		}
		for j := range m {
			hB[j] = p.logb[j] + g[j]*invEps
		}
		f = make([]float64, n)
		for i := range n {
			f[i] = p.kappaA * lse(u.cost[i*m:(i+1)*m], hB, invEps, p.eps, 0)
		}
		if !finiteSlice(f) || !finiteSlice(g) {
			return nil, fmt.Errorf("%w: NaN in unrolled iterations", ErrNumerical)
		}
		u.gs = append(u.gs, g)
		u.fs = append(u.fs, f)
	}
	u.F, u.G = f, u.gs[len(u.gs)-1]
	var mass float64
	for i := range n {
		for j := range m {
			mass += p.a[i] * p.b[j] * math.Exp((u.F[i]+u.G[j]-u.cost[i*m+j])*invEps)
		}
	}
	u.Cost = dualValue(p, u.F, u.G, mass)
	if !finite(u.Cost) {
		return nil, fmt.Errorf("%w: non-finite cost after %d iterations", ErrNumerical, iterations)
	}
	return u, nil
}

// CostGrad returns the exact gradient of u.Cost, the dual objective after
// T iterations, with respect to the inputs, by reverse-mode
// differentiation through the iterations.
func (u *Unrolled) CostGrad() *Grad {
	p := u.p
	n, m := p.n, p.m
	invEps := 1 / p.eps
	// Direct partials of D(f, g; C, a, b).
	gf, gg := make([]float64, n), make([]float64, m)
	dc := make([]float64, n*m)
	da, db := make([]float64, n), make([]float64, m)
	bq, aq := make([]float64, n), make([]float64, m)
	for i := range n {
		for j := range m {
			q := math.Exp((u.F[i] + u.G[j] - u.cost[i*m+j]) * invEps)
			dc[i*m+j] = p.a[i] * p.b[j] * q
			bq[i] += p.b[j] * q
			aq[j] += p.a[i] * q
		}
	}
	for i := range n {
		_, dt := phiGrad(u.F[i], p.tauA)
		gf[i] = p.a[i]*dt - p.a[i]*bq[i]
		da[i] = phi(u.F[i], p.tauA) - p.eps*(bq[i]-p.massB)
	}
	for j := range m {
		_, dt := phiGrad(u.G[j], p.tauB)
		gg[j] = p.b[j]*dt - p.b[j]*aq[j]
		db[j] = phi(u.G[j], p.tauB) - p.eps*(aq[j]-p.massA)
	}
	return u.reverse(gf, gg, dc, da, db)
}

func phiGrad(f, tau float64) (v, d float64) {
	if math.IsInf(tau, 1) {
		return f, 1
	}
	e := math.Exp(-f / tau)
	return tau * (1 - e), e
}

// reverse propagates the cotangents (gf on f_T, gg on g_T) back through the
// iterations, accumulating into dc, da, db.
func (u *Unrolled) reverse(gf, gg, dc, da, db []float64) *Grad {
	p := u.p
	n, m := p.n, p.m
	invEps := 1 / p.eps
	w := make([]float64, max(n, m))
	// ∂/∂b_j and ∂/∂a_i accumulate Σ κ·cotangent·softmax and are divided
	// by the weights once at the end.
	accA, accB := make([]float64, n), make([]float64, m)
	for t := u.Iterations; t >= 1; t-- {
		g := u.gs[t-1]
		fPrev := u.fs[t-1]
		// f_t,i = −κ_a ε log Σ_j b_j e^{(g_j − C_ij)/ε}: with softmax weights
		// s_ij, ∂f_i/∂g_j = −κ s_ij, ∂f_i/∂C_ij = κ s_ij,
		// ∂f_i/∂b_j = −κ ε s_ij / b_j.
		for i := range n {
			if gf[i] == 0 {
				continue
			}
			softmax(w[:m], u.cost[i*m:(i+1)*m], g, p.logb, invEps)
			k := p.kappaA * gf[i]
			dci := dc[i*m : (i+1)*m]
			for j, s := range w[:m] {
				ks := k * s
				gg[j] -= ks
				dci[j] += ks
				accB[j] += ks
			}
		}
		clear(gf)
		// g_t,j = −κ_b ε log Σ_i a_i e^{(f_{t−1,i} − C_ij)/ε}.
		for j := range m {
			if gg[j] == 0 {
				continue
			}
			softmax(w[:n], u.ct[j*n:(j+1)*n], fPrev, p.loga, invEps)
			k := p.kappaB * gg[j]
			for i, s := range w[:n] {
				ks := k * s
				gf[i] -= ks
				dc[i*m+j] += ks
				accA[i] += ks
			}
		}
		clear(gg)
	}
	for i, v := range accA {
		if p.a[i] > 0 {
			da[i] -= p.eps * v / p.a[i]
		}
	}
	for j, v := range accB {
		if p.b[j] > 0 {
			db[j] -= p.eps * v / p.b[j]
		}
	}
	out := &Grad{A: da, B: db}
	weightedCost(p, dc, out)
	return out
}

// softmax sets w_j ∝ exp(logw_j + (pot_j − c_j)/ε), normalized.
func softmax(w, c, pot, logw []float64, invEps float64) {
	mx := math.Inf(-1)
	for j := range w {
		w[j] = logw[j] + (pot[j]-c[j])*invEps
		mx = max(mx, w[j])
	}
	var s float64
	for j := range w {
		w[j] = fastExp(w[j] - mx)
		s += w[j]
	}
	inv := 1 / s
	for j := range w {
		w[j] *= inv
	}
}
