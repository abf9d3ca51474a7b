package qp

import (
	"context"
	"math"
)

// diagInfeasible solves the always feasible and bounded phase-one problem
//
//	minimize ½‖u‖² + ½‖v‖² + ½·10⁻⁸‖x‖²  s.t.  Ax − u = b,  Gx − v ≤ h
//
// and reports whether its optimal violation max(‖u‖∞, ‖v₊‖∞) is clearly
// positive, which proves that Ax = b, Gx ≤ h has no solution.
func diagInfeasible(ctx context.Context, d *data, set *Settings) bool {
	n, neq, m := d.n, d.neq, d.m
	if neq+m == 0 {
		return false
	}
	N := n + neq + m
	e := &data{n: N, neq: neq, m: m}
	// A tiny proximal weight on x makes the problem strongly convex (and
	// well handled by the interior point); it moves the violation of the
	// solution by O(1e-8·‖x‖), far below the threshold below.
	e.q = make([]float64, N*N)
	for i := range N {
		e.q[i*N+i] = 1
		if i < n {
			e.q[i*N+i] = 1e-8
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
	if sol == nil || !(sol.Residuals.Max() <= 1e-7) {
		return false
	}
	viol := 0.0
	for i := range neq {
		viol = math.Max(viol, math.Abs(sol.X[n+i]))
	}
	for i := range m {
		viol = math.Max(viol, sol.X[n+neq+i])
	}
	scale := math.Max(1, math.Max(normInf(d.b), normInf(d.h)))
	return viol > 1e-6*scale
}

// diagUnbounded solves the linear program
//
//	minimize pᵀd  s.t.  Qd = 0,  Ad = 0,  Gd ≤ 0,  −1 ≤ d ≤ 1,
//
// and reports whether its value is clearly negative: then d is a
// recession direction along which a feasible problem's objective
// decreases without bound.
func diagUnbounded(ctx context.Context, d *data, set *Settings) bool {
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
	if sol == nil || !(sol.Residuals.Max() <= 1e-7) {
		return false
	}
	return sol.Objective < -1e-6*math.Max(1, normInf(d.p))
}
