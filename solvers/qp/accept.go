package qp

import (
	"fmt"
	"math"
	"strings"
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

// scales returns the divisors of the primal, dual and gap residuals: 1 in
// the absolute mode, the largest term of each residual otherwise. The
// residuals themselves are evaluated in double-double arithmetic (see
// accurateResiduals), so that their rounding error is far below any
// tolerance and no recomputation can find a passed test above it.
func (a *acceptance) scales(d *data, x, nu, lam []float64) (sp, sd, sg float64) {
	if a.absolute {
		return 1, 1, 1
	}
	sp = math.Max(normInf(d.b), normInf(d.h))
	v := make([]float64, max(d.neq, d.m))
	d.mulA(1, x, 0, v[:d.neq])
	sp = math.Max(sp, normInf(v[:d.neq]))
	d.mulG(1, x, 0, v[:d.m])
	sp = math.Max(sp, normInf(v[:d.m]))
	w := make([]float64, d.n)
	d.mulQ(w, x)
	sd = math.Max(normInf(w), normInf(d.p))
	sg = math.Max(math.Max(math.Abs(dot(w, x)), math.Abs(dot(d.p, x))),
		math.Max(math.Abs(dot(d.b, nu)), math.Abs(dot(d.h, lam))))
	d.mulAT(1, nu, 0, w)
	sd = math.Max(sd, normInf(w))
	d.mulGT(1, lam, 0, w)
	sd = math.Max(sd, normInf(w))
	return math.Max(1, sp), math.Max(1, sd), math.Max(1, sg)
}

// third returns the third measured quantity: the gap, or with a barrier
// the distance of the products λᵢsᵢ to μ, and its tolerance factor.
func (a *acceptance) third(r Residuals) (v, scale float64) {
	if a.barrier > 0 {
		return r.Complementarity, math.Max(a.barrier, 1e-3)
	}
	return r.Gap, 1
}

// merit returns the largest ratio residual/tolerance of (x, ν, λ), whose
// plain double-precision residuals are r: the point passes when it is at
// most 1. NaN residuals give +Inf. When r is within its rounding error
// bound of a tolerance, the residuals are recomputed in double-double
// arithmetic (accurateResiduals) and r is updated, so that the verdict is
// that of the exact residuals of the returned numbers: a gap of 10⁻⁹
// between objective terms of 10⁷ is decided correctly, and no
// recomputation in another order can find a passed test above the
// tolerance.
func (a *acceptance) merit(d *data, x, nu, lam []float64, r *Residuals) float64 {
	sp, sd, sg := a.scales(d, x, nu, lam)
	e := roundingBounds(d, x, nu, lam)
	g, gs := a.third(*r)
	ratio := func(rp, rd, rg float64) float64 {
		m := math.Max(rp/sp, math.Max(rd/sd, rg/(sg*gs))) / a.tol
		if !(m == m) {
			return math.Inf(1)
		}
		return m
	}
	hi := ratio(r.Primal+e[0], r.Dual+e[1], g+e[2])
	lo := ratio(r.Primal-e[0], r.Dual-e[1], g-e[2])
	if hi <= 1 || lo > 1 || math.IsInf(hi, 1) {
		return ratio(r.Primal, r.Dual, g)
	}
	*r = accurateResiduals(d, x, nu, lam, a.barrier)
	g, _ = a.third(*r)
	return ratio(r.Primal, r.Dual, g)
}

// roundingBounds bounds the rounding errors of kktResiduals' primal, dual
// and gap (Higham, Accuracy and Stability of Numerical Algorithms, §3.1:
// a dot product of length N is exact to γ_N Σ|aᵢbᵢ|, γ_N ≈ N·u), with
// Σ|aᵢbᵢ| bounded by Cauchy–Schwarz through the Frobenius norms of the
// matrices.
func roundingBounds(d *data, x, nu, lam []float64) [3]float64 {
	const u = 0x1p-53
	gamma := float64(d.n+d.neq+d.m+4) * u
	fq, fa, fg := frobQ(d), math.Sqrt(dot(d.a, d.a)), math.Sqrt(dot(d.g, d.g))
	nx, nn, nl := math.Sqrt(dot(x, x)), math.Sqrt(dot(nu, nu)), math.Sqrt(dot(lam, lam))
	np, nb, nh := math.Sqrt(dot(d.p, d.p)), math.Sqrt(dot(d.b, d.b)), math.Sqrt(dot(d.h, d.h))
	return [3]float64{
		gamma * ((fa+fg)*nx + math.Max(normInf(d.b), normInf(d.h))),
		gamma * (fq*nx + normInf(d.p) + fa*nn + fg*nl),
		gamma * (fq*nx*nx + np*nx + nb*nn + nh*nl),
	}
}

// frobQ returns the Frobenius norm of Q.
func frobQ(d *data) float64 {
	switch {
	case d.qIdentity:
		return math.Sqrt(float64(d.n))
	case d.q == nil:
		return 0
	case d.qdiag == nil:
		return math.Sqrt(dot(d.q, d.q))
	}
	// Factorized in place: Q is its strict upper triangle and qdiag.
	n, s := d.n, dot(d.qdiag, d.qdiag)
	for i := range n {
		row := d.q[i*n+i+1 : (i+1)*n]
		s += 2 * dot(row, row)
	}
	return math.Sqrt(s)
}

// ok reports whether the solution passes the test (its Residuals are
// replaced by the double-double ones when those were needed).
func (a *acceptance) ok(s *Solution) bool {
	return a.merit(s.d, s.X, s.Nu, s.Lambda, &s.Residuals) <= 1
}

// describe names each test with its value and bound, marking the failed
// ones, for the error of a solve that did not pass.
func (a *acceptance) describe(s *Solution) string {
	sp, sd, sg := a.scales(s.d, s.X, s.Nu, s.Lambda)
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
