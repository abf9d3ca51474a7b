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

// merit returns the largest ratio residual/tolerance: the point passes
// when it is at most 1. NaN residuals give +Inf.
func (a *acceptance) merit(d *data, x, nu, lam []float64, r Residuals) float64 {
	sp, sd, sg := a.scales(d, x, nu, lam)
	g, gs := a.third(r)
	m := math.Max(r.Primal/sp, math.Max(r.Dual/sd, g/(sg*gs))) / a.tol
	if !(m == m) {
		return math.Inf(1)
	}
	return m
}

// ok reports whether the solution passes the test.
func (a *acceptance) ok(s *Solution) bool {
	return a.merit(s.d, s.X, s.Nu, s.Lambda, s.Residuals) <= 1
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
