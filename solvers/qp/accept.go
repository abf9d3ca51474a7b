package qp

import (
	"fmt"
	"math"
	"strings"

	"github.com/optlayers/optlayers/internal/dense"
)

// acceptance is the test a point must pass for Status Optimal: the primal
// and dual residuals and the duality gap recomputed from (x, ν, λ) and the
// user's data, each below its tolerance (see Settings.Tol).
type acceptance struct {
	tol      float64
	absolute bool
	barrier  float64
}

func newAcceptance(set *Settings) *acceptance {
	return &acceptance{tol: set.Tol, absolute: set.Absolute, barrier: set.Barrier}
}

// evaluation is the outcome of one pass over the data at (x, ν, λ): the
// residuals in plain double precision, the magnitudes of the terms of
// each residual (for the relative scales) and bounds of the rounding
// errors of the three residuals.
type evaluation struct {
	r     Residuals
	obj   float64    // ½xᵀQx + pᵀx, as objective computes it
	terms [3]float64 // largest term of the primal, dual and gap residuals
	round [3]float64 // rounding-error bounds of Primal, Dual and Gap
}

// evaluate computes the evaluation of (x, ν, λ) on d with one product by
// each matrix. mub is the barrier weight of the complementarity residual.
func evaluate(d *data, x, nu, lam []float64, mub float64) evaluation {
	return evaluateWith(d, x, nu, lam, mub, nil)
}

// evalScratch is the length of evaluateWith's scratch for d.
func evalScratch(d *data) int { return 2*d.n + max(d.neq, d.m) }

// evaluateWith is evaluate with scratch of length evalScratch(d) (nil:
// allocated); its contents on entry do not matter.
func evaluateWith(d *data, x, nu, lam []float64, mub float64, scratch []float64) evaluation {
	var ev evaluation
	r := &ev.r
	n := d.n
	sl := slab(scratch)
	if len(sl) != evalScratch(d) {
		sl = newSlab(evalScratch(d)) // w, rd, v below: one allocation
	}
	w := sl.take(n)
	dn := d.frobConsts()
	d.mulQ(w, x)
	xqx, px, bn, hl := dot(w, x), dot(d.p, x), dot(d.b, nu), dot(d.h, lam)
	ev.obj = 0.5*xqx + px
	tDual := max(normInf(w), dn.infP)
	rd := sl.take(n)
	for i, v := range d.p {
		rd[i] = w[i] + v
	}
	if d.neq > 0 {
		d.mulAT(1, nu, 0, w)
		tDual = math.Max(tDual, normInf(w))
		for i, v := range w {
			rd[i] += v
		}
	}
	if d.m > 0 {
		d.mulGT(1, lam, 0, w)
		tDual = math.Max(tDual, normInf(w))
		for i, v := range w {
			rd[i] += v
		}
	}
	r.Dual = normInf(rd)
	tPrimal := max(dn.infB, dn.infH)
	v := sl.take(max(d.neq, d.m))
	ax := v[:d.neq]
	d.mulA(1, x, 0, ax)
	tPrimal = math.Max(tPrimal, normInf(ax))
	for i, b := range d.b {
		r.Primal = max(r.Primal, math.Abs(ax[i]-b))
	}
	gx := v[:d.m]
	d.mulG(1, x, 0, gx)
	tPrimal = math.Max(tPrimal, normInf(gx))
	for i, g := range gx {
		slack := d.h[i] - g
		// Builtin max: a NaN propagates (the non-finite check below
		// then reports every residual as +Inf, as with math.Max).
		r.Primal = max(r.Primal, -slack)
		r.Complementarity = max(r.Complementarity, math.Abs(lam[i]*slack-mub))
	}
	r.Gap = math.Abs(xqx + px + bn + hl)
	if !finite([]float64{r.Primal, r.Dual, r.Complementarity, r.Gap}) {
		*r = Residuals{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)}
	}
	ev.terms = [3]float64{tPrimal, tDual,
		math.Max(math.Max(math.Abs(xqx), math.Abs(px)), math.Max(math.Abs(bn), math.Abs(hl)))}
	// Rounding errors (Higham, Accuracy and Stability of Numerical
	// Algorithms, §3.1: a dot product of length N is exact to γ_N Σ|aᵢbᵢ|,
	// γ_N ≈ N·u), with Σ|aᵢbᵢ| bounded by Cauchy–Schwarz through the
	// Frobenius norms of the matrices.
	const u = 0x1p-53
	gamma := float64(n+d.neq+d.m+4) * u
	fq, fa, fg := dn.fq, dn.fa, dn.fg
	nx, nn, nl := math.Sqrt(dot(x, x)), math.Sqrt(dot(nu, nu)), math.Sqrt(dot(lam, lam))
	np, nb, nh := dn.np, dn.nb, dn.nh
	ev.round = [3]float64{
		gamma * ((fa+fg)*nx + max(dn.infB, dn.infH)),
		gamma * (fq*nx + dn.infP + fa*nn + fg*nl),
		gamma * (fq*nx*nx + np*nx + nb*nn + nh*nl),
	}
	return ev
}

// scales returns the divisors of the primal, dual and gap residuals: 1 in
// the absolute mode, the largest term of each residual (at least 1)
// otherwise.
func (a *acceptance) scales(ev *evaluation) (sp, sd, sg float64) {
	if a.absolute {
		return 1, 1, 1
	}
	return math.Max(1, ev.terms[0]), math.Max(1, ev.terms[1]), math.Max(1, ev.terms[2])
}

// third returns the third measured quantity: the gap, or with a barrier
// the distance of the products λᵢsᵢ to μ, and its tolerance factor.
func (a *acceptance) third(r Residuals) (v, scale float64) {
	if a.barrier > 0 {
		return r.Complementarity, math.Max(a.barrier, 1e-3)
	}
	return r.Gap, 1
}

// judge returns the largest ratio residual/tolerance of (x, ν, λ) with
// evaluation ev: the point passes when it is at most 1; NaN residuals give
// +Inf. When a plain residual is within its rounding-error bound of the
// verdict, the residuals are recomputed in double-double arithmetic
// (accurateResiduals) and ev.r is updated: the verdict is then that of
// the exact residuals of the returned numbers (a gap of 10⁻⁹ between
// objective terms of 10⁷ is decided correctly), and no recomputation in
// another order can find a passed test above the tolerance.
func (a *acceptance) judge(d *data, x, nu, lam []float64, ev *evaluation) float64 {
	sp, sd, sg := a.scales(ev)
	r, e := &ev.r, ev.round
	g, gs := a.third(*r)
	ratio := func(rp, rd, rg float64) float64 {
		m := math.Max(rp/sp, math.Max(rd/sd, rg/(sg*gs))) / a.tol
		if !(m == m) {
			return math.Inf(1)
		}
		return m
	}
	plain := ratio(r.Primal, r.Dual, g)
	if math.IsInf(plain, 1) {
		return plain
	}
	// A bound that overflowed is +Inf: then hi is +Inf, lo is NaN or
	// −Inf-based, and the residuals are recomputed.
	hi := ratio(r.Primal+e[0], r.Dual+e[1], g+e[2])
	lo := ratio(r.Primal-e[0], r.Dual-e[1], g-e[2])
	if hi <= 1 || (lo > 1 && !math.IsInf(lo, 1)) {
		return plain
	}
	*r = accurateResiduals(d, x, nu, lam, a.barrier)
	g, _ = a.third(*r)
	return ratio(r.Primal, r.Dual, g)
}

// merit evaluates and judges (x, ν, λ), returning the verdict's ratio and
// the residuals it rests on.
func (a *acceptance) merit(d *data, x, nu, lam []float64) (float64, Residuals) {
	ev := evaluate(d, x, nu, lam, a.barrier)
	m := a.judge(d, x, nu, lam, &ev)
	return m, ev.r
}

// frobQ returns the Frobenius norm of Q.
func frobQ(d *data) float64 {
	switch {
	case d.qIdentity:
		return math.Sqrt(float64(d.n))
	case d.q == nil:
		return 0
	case d.qdiag == nil:
		return math.Sqrt(dense.Dot(d.q, d.q))
	}
	// Factorized in place: Q is its strict upper triangle and qdiag.
	n, s := d.n, dot(d.qdiag, d.qdiag)
	for i := range n {
		row := d.q[i*n+i+1 : (i+1)*n]
		s += 2 * dense.Dot(row, row)
	}
	return math.Sqrt(s)
}

// ok reports whether the solution passes the test, and sets its
// Residuals to those the verdict rests on.
func (a *acceptance) ok(s *Solution) bool {
	m, r := a.merit(s.d, s.X, s.Nu, s.Lambda)
	s.Residuals = r
	return m <= 1
}

// describe names each test with its value and bound, marking the failed
// ones, for the error of a solve that did not pass.
func (a *acceptance) describe(s *Solution) string {
	ev := evaluate(s.d, s.X, s.Nu, s.Lambda, a.barrier)
	ev.r = s.Residuals
	sp, sd, sg := a.scales(&ev)
	g, gs := a.third(s.Residuals)
	name := "gap"
	if a.barrier > 0 {
		name = "|λs−μ|"
	}
	var b strings.Builder
	for i, t := range []struct {
		name     string
		v, bound float64
	}{{"primal", s.Residuals.Primal, a.tol * sp}, {"dual", s.Residuals.Dual, a.tol * sd}, {name, g, a.tol * sg * gs}} {
		if i > 0 {
			b.WriteString(", ")
		}
		rel := "≤"
		mark := ""
		if !(t.v <= t.bound) {
			rel, mark = ">", " (failed)"
		}
		fmt.Fprintf(&b, "%s %.3g %s %.3g%s", t.name, t.v, rel, t.bound, mark)
	}
	return b.String()
}
