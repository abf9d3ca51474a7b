package qp

import (
	"context"
	"fmt"
	"math"
)

// Infeasibility and unboundedness are claimed only with a certificate
// that passes its own check on the user's data:
//
//   - primal infeasibility, a Farkas certificate (y, z), z ≥ 0, with
//     t = −(bᵀy + hᵀz) > 0: every x with Ax = b, Gx ≤ h satisfies
//     (Aᵀy + Gᵀz)ᵀx = bᵀy + zᵀGx ≤ −t, hence ‖x‖∞ ≥ t/‖Aᵀy + Gᵀz‖₁. The
//     claim is made when that bound exceeds certRadius·max(1, ‖b‖∞, ‖h‖∞),
//     that is when no point of any reasonable size is feasible;
//   - unboundedness (dual infeasibility), a ray d with ‖d‖∞ = 1, pᵀd < 0,
//     Qd = 0, Ad = 0 and Gd ≤ 0 up to 1e-9 of the largest entry of Q, A
//     and G respectively.
const certRadius = 1e8

// diagInfeasible solves the always feasible and bounded phase-one problem
//
//	minimize ½‖u‖² + ½‖v‖² + ½·10⁻¹²‖x‖²  s.t.  Ax − u = b,  Gx − v ≤ h,
//
// whose multipliers (ν, λ) are a Farkas certificate when the constraints
// are infeasible (stationarity in x gives Aᵀν + Gᵀλ = −10⁻¹²x, and in u, v
// gives bᵀν + hᵀλ = −‖u‖² − ‖v‖² − 10⁻¹²‖x‖² < 0), and checks it.
func diagInfeasible(ctx context.Context, d *data, set *Settings) (bool, string) {
	n, neq, m := d.n, d.neq, d.m
	if neq+m == 0 {
		return false, ""
	}
	N := n + neq + m
	e := &data{n: N, neq: neq, m: m}
	e.q = make([]float64, N*N)
	for i := range N {
		e.q[i*N+i] = 1
		if i < n {
			e.q[i*N+i] = 1e-12
		}
	}
	e.p = make([]float64, N)
	e.a = make([]float64, neq*N)
	for i := range neq {
		copy(e.a[i*N:i*N+n], d.a[i*n:(i+1)*n])
		e.a[i*N+n+i] = -1
	}
	e.b = append([]float64(nil), d.b...)
	e.g = make([]float64, m*N)
	for i := range m {
		copy(e.g[i*N:i*N+n], d.g[i*n:(i+1)*n])
		e.g[i*N+n+neq+i] = -1
	}
	e.h = append([]float64(nil), d.h...)
	s := Settings{Tol: 1e-9, MaxIter: 200, Logger: debugLogger}
	sol, _ := solveData(ctx, e, &s, false)
	if sol == nil || !finite(sol.Nu) || !finite(sol.Lambda) {
		return false, ""
	}
	return farkas(d, sol.Nu, sol.Lambda)
}

// farkas checks the certificate (y, z) of primal infeasibility (negative
// entries of z are dropped: any z ≥ 0 gives a valid inequality).
func farkas(d *data, y, z []float64) (bool, string) {
	zp := make([]float64, len(z))
	for i, v := range z {
		zp[i] = math.Max(v, 0)
	}
	t := -(dot(d.b, y) + dot(d.h, zp))
	if !(t > 0) || math.IsInf(t, 0) {
		return false, ""
	}
	r := make([]float64, d.n)
	d.mulAT(1, y, 0, r)
	d.mulGT(1, zp, 1, r)
	r1 := 0.0
	for _, v := range r {
		r1 += math.Abs(v)
	}
	bound := t / r1
	if !(bound >= certRadius*math.Max(1, math.Max(normInf(d.b), normInf(d.h)))) {
		return false, ""
	}
	return true, fmt.Sprintf("Farkas certificate: no x with ‖x‖∞ < %.3g satisfies the constraints (bᵀy + hᵀz = %.3g, ‖Aᵀy + Gᵀz‖₁ = %.3g)", bound, -t, r1)
}

// diagUnbounded solves the linear program
//
//	minimize pᵀd  s.t.  Qd = 0,  Ad = 0,  Gd ≤ 0,  −1 ≤ d ≤ 1,
//
// and checks its solution as a ray of unboundedness (see certRadius).
func diagUnbounded(ctx context.Context, d *data, set *Settings) (bool, string) {
	n := d.n
	nq := 0
	if d.q != nil {
		nq = n
	}
	neq := nq + d.neq
	m := d.m + 2*n
	e := &data{n: n, neq: neq, m: m}
	e.p = append([]float64(nil), d.p...)
	e.a = make([]float64, neq*n)
	if nq > 0 {
		copy(e.a, d.fullQ())
	}
	copy(e.a[nq*n:], d.a)
	e.b = make([]float64, neq)
	e.g = make([]float64, m*n)
	copy(e.g, d.g)
	e.h = make([]float64, m)
	for i := range n {
		e.g[(d.m+i)*n+i] = 1
		e.g[(d.m+n+i)*n+i] = -1
		e.h[d.m+i] = 1
		e.h[d.m+n+i] = 1
	}
	s := Settings{Tol: 1e-9, MaxIter: 200}
	sol, _ := solveData(ctx, e, &s, false)
	if sol == nil || !finite(sol.X) {
		return false, ""
	}
	return unboundedRay(d, sol.X)
}

// unboundedRay checks the ray dir of unboundedness: normalized to
// ‖d‖∞ = 1, pᵀd < −10⁻⁶‖p‖∞ while Qd, Ad and (Gd)₊ are zero to 10⁻⁹ of the
// largest entry of Q, A and G (each test relative to its own matrix, so
// that a huge p cannot make a non-zero Qd look zero).
func unboundedRay(d *data, dir []float64) (bool, string) {
	nd := normInf(dir)
	if !(nd > 0) {
		return false, ""
	}
	r := make([]float64, d.n)
	for i, v := range dir {
		r[i] = v / nd
	}
	pd := dot(d.p, r)
	if !(pd < -1e-6*normInf(d.p)) {
		return false, ""
	}
	q := make([]float64, d.n)
	d.mulQ(q, r)
	if !(normInf(q) <= 1e-9*maxAbsQ(d)) {
		return false, ""
	}
	v := make([]float64, max(d.neq, d.m))
	d.mulA(1, r, 0, v[:d.neq])
	if !(normInf(v[:d.neq]) <= 1e-9*normInf(d.a)) {
		return false, ""
	}
	d.mulG(1, r, 0, v[:d.m])
	epsG := 1e-9 * normInf(d.g)
	for _, g := range v[:d.m] {
		if !(g <= epsG) {
			return false, ""
		}
	}
	return true, fmt.Sprintf("a ray d with pᵀd = %.3g, ‖Qd‖∞ = %.3g, Ad = 0, Gd ≤ 0 decreases the objective without bound", pd, normInf(q))
}

// maxAbsQ returns max|Qᵢⱼ| (zero for Q = 0).
func maxAbsQ(d *data) float64 {
	switch {
	case d.qIdentity:
		return 1
	case d.q == nil:
		return 0
	case d.qdiag == nil:
		return normInf(d.q)
	}
	// Factorized in place: Q is its diagonal and strict upper triangle.
	m := normInf(d.qdiag)
	for i := range d.n {
		m = math.Max(m, normInf(d.q[i*d.n+i+1:(i+1)*d.n]))
	}
	return m
}
