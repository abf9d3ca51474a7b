package qp

import (
	"context"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/sparse"
)

// The certificates of SolveSparse, each checked on the user's data
// before a status is claimed (the rules of diagnose.go in the
// double-sided form):
//
//   - primal infeasibility: multipliers (y, z) whose signs use only
//     finite sides, with t = −σ(y, z) > 0 (σ the support term of
//     SparseSettings.Tol). Every feasible x satisfies (Aᵀy + z)ᵀx ≤ σ(y, z),
//     hence ‖x‖∞ ≥ t/‖Aᵀy + z‖₁; the claim is made when that bound exceeds
//     certRadius·max(1, largest finite bound);
//   - unboundedness: a ray d, ‖d‖∞ = 1, with pᵀd < −10⁻⁶‖p‖∞, Qd = 0 to
//     10⁻⁹·max|Q|, and Ad and d in the recession cones of the rows and
//     bounds to 10⁻⁹·max|A| and 10⁻⁹.
//
// The candidates are the last iterate's multipliers and step; when they
// fail, a phase-one problem (rows relaxed by free variables v, minimizing
// ½‖v‖²: its multipliers are a Farkas certificate when the constraints
// are infeasible) or the linear program minimize pᵀd over the rays is
// solved and its answer checked.

// infeasible looks for a checked Farkas certificate.
func (d *sparseData) infeasible(ctx context.Context, r spResult, set *SparseSettings) (bool, string) {
	if d.m == 0 {
		return false, "" // bounds alone were checked consistent
	}
	acc := newSparseAcceptance(d, &SparseSettings{Tol: 1, Absolute: false})
	if r.x != nil {
		res, sp, _, _ := acc.evaluate(r.x, r.y, r.z)
		if res.Primal <= 1e-6*sp {
			return false, "" // nearly feasible: not a question of infeasibility
		}
	}
	if r.lastY != nil {
		if ok, why := d.farkas(r.lastY, r.lastZ, acc.boundMag); ok {
			return true, why
		}
	}
	// Phase one: minimize ½‖v‖² + ½·10⁻¹²‖x‖²  s.t.  L ≤ Ax − v ≤ U, LB ≤ x ≤ UB.
	n, m := d.n, d.m
	cp, ri, v := d.a.Raw()
	cp2 := append([]int(nil), cp...)
	ri2 := append([]int(nil), ri...)
	v2 := append([]float64(nil), v...)
	for i := range m {
		ri2 = append(ri2, i)
		v2 = append(v2, -1)
		cp2 = append(cp2, len(ri2))
	}
	a2, err := sparse.NewCSC(m, n+m, cp2, ri2, v2)
	if err != nil {
		return false, ""
	}
	qcp := make([]int, n+m+1)
	qri := make([]int, n+m)
	qv := make([]float64, n+m)
	for j := range n + m {
		qri[j] = j
		qv[j] = 1
		if j < n {
			qv[j] = 1e-12
		}
		qcp[j+1] = j + 1
	}
	q2, err := sparse.NewSymCSC(n+m, qcp, qri, qv)
	if err != nil {
		return false, ""
	}
	lb2 := append(append([]float64(nil), d.lb...), fill(m, math.Inf(-1))...)
	ub2 := append(append([]float64(nil), d.ub...), fill(m, math.Inf(1))...)
	e := &sparseData{n: n + m, m: m, q: q2, p: make([]float64, n+m), a: a2, at: a2.Transpose(), l: d.l, u: d.u, lb: lb2, ub: ub2}
	s := SparseSettings{Tol: 1e-9, MaxIter: 200, Workers: set.Workers}
	sol, _ := solveSparseData(ctx, e, &s, false)
	if sol == nil || sol.Y == nil {
		return false, ""
	}
	return d.farkas(sol.Y, sol.Z[:n], acc.boundMag)
}

func fill(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// farkas checks (y, z) as a certificate of infeasibility (entries whose
// sign points at an absent side are dropped: the rest is still valid).
func (d *sparseData) farkas(y, z []float64, boundMag float64) (bool, string) {
	if len(y) != d.m || len(z) != d.n || !finite(y) || !finite(z) {
		return false, ""
	}
	yc := append([]float64(nil), y...)
	zc := append([]float64(nil), z...)
	var sup dd
	for i, v := range yc {
		bnd, wrong := support(v, d.l[i], d.u[i])
		if wrong > 0 {
			yc[i] = 0
			continue
		}
		sup.addProd(bnd, v)
	}
	for j, v := range zc {
		bnd, wrong := support(v, d.lb[j], d.ub[j])
		if wrong > 0 {
			zc[j] = 0
			continue
		}
		sup.addProd(bnd, v)
	}
	t := -sup.value()
	if !(t > 0) || math.IsInf(t, 0) {
		return false, ""
	}
	rv := make([]dd, d.n)
	cp, ri, v := d.at.Raw()
	for i := range d.m {
		for p := cp[i]; p < cp[i+1]; p++ {
			rv[ri[p]].addProd(v[p], yc[i])
		}
	}
	r1 := 0.0
	for j := range rv {
		rv[j].add(zc[j])
		r1 += math.Abs(rv[j].value())
	}
	bound := t / r1
	if !(bound >= certRadius*math.Max(1, boundMag)) {
		return false, ""
	}
	return true, fmt.Sprintf("Farkas certificate: no x with ‖x‖∞ < %.3g satisfies the constraints (σ(y, z) = %.3g, ‖Aᵀy + z‖₁ = %.3g)", bound, -t, r1)
}

// unbounded looks for a checked ray.
func (d *sparseData) unbounded(ctx context.Context, r spResult, set *SparseSettings) (bool, string) {
	if !(normInf(d.p) > 0) {
		return false, ""
	}
	acc := newSparseAcceptance(d, &SparseSettings{Tol: 1})
	if r.x != nil {
		res, _, sd, _ := acc.evaluate(r.x, r.y, r.z)
		if res.Dual <= 1e-6*sd {
			return false, ""
		}
	}
	if r.lastDX != nil {
		if ok, why := d.ray(r.lastDX); ok {
			return true, why
		}
	}
	if r.x != nil {
		if ok, why := d.ray(r.x); ok {
			return true, why
		}
	}
	// minimize pᵀd  s.t.  Qd = 0, Ad in the rows' recession cone, d in the
	// bounds' recession cone ∩ [−1, 1].
	n, m := d.n, d.m
	var rows []*sparse.CSC
	var lo, up []float64
	nq := 0
	if d.q != nil {
		rows = append(rows, d.q.Full())
		nq = n
		lo = append(lo, make([]float64, n)...)
		up = append(up, make([]float64, n)...)
	}
	if m > 0 {
		rows = append(rows, d.a)
		for i := range m {
			l, u := math.Inf(-1), math.Inf(1)
			if !isInf(d.l[i]) {
				l = 0
			}
			if !isInf(d.u[i]) {
				u = 0
			}
			lo, up = append(lo, l), append(up, u)
		}
	}
	a2 := stackRows(n, rows)
	lb, ub := make([]float64, n), make([]float64, n)
	for j := range n {
		lb[j], ub[j] = -1, 1
		if !isInf(d.lb[j]) {
			lb[j] = 0
		}
		if !isInf(d.ub[j]) {
			ub[j] = 0
		}
	}
	e := &sparseData{n: n, m: nq + m, p: d.p, a: a2, l: lo, u: up, lb: lb, ub: ub}
	if a2 != nil {
		e.at = a2.Transpose()
	}
	s := SparseSettings{Tol: 1e-9, MaxIter: 200, Workers: set.Workers}
	sol, _ := solveSparseData(ctx, e, &s, false)
	if sol == nil || sol.X == nil {
		return false, ""
	}
	return d.ray(sol.X)
}

// stackRows stacks CSC matrices with n columns vertically (nil for none).
func stackRows(n int, parts []*sparse.CSC) *sparse.CSC {
	if len(parts) == 0 {
		return nil
	}
	rows := 0
	cp := make([]int, n+1)
	var ri []int
	var v []float64
	offs := make([]int, len(parts))
	for k, p := range parts {
		offs[k] = rows
		r, _ := p.Dims()
		rows += r
	}
	for j := range n {
		for k, p := range parts {
			r, vals := p.Col(j)
			for t, i := range r {
				ri = append(ri, i+offs[k])
				v = append(v, vals[t])
			}
		}
		cp[j+1] = len(ri)
	}
	out, err := sparse.NewCSC(rows, n, cp, ri, v)
	if err != nil {
		return nil
	}
	return out
}

// ray checks dir as a ray of unboundedness (see the rules above).
func (d *sparseData) ray(dir []float64) (bool, string) {
	nd := normInf(dir)
	if !(nd > 0) || math.IsInf(nd, 0) {
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
	qd := 0.0
	if d.q != nil {
		t := make([]float64, d.n)
		_ = d.q.MulVec(t, r)
		qd = normInf(t)
		_, _, qv := d.q.Upper().Raw()
		if !(qd <= 1e-9*normInf(qv)) {
			return false, ""
		}
	}
	for j, v := range r {
		if (!isInf(d.ub[j]) && v > 1e-9) || (!isInf(d.lb[j]) && v < -1e-9) {
			return false, ""
		}
	}
	if d.m > 0 {
		_, _, av := d.a.Raw()
		eps := 1e-9 * normInf(av)
		t := make([]float64, d.m)
		_ = d.a.MulVec(t, r)
		for i, v := range t {
			if (!isInf(d.u[i]) && v > eps) || (!isInf(d.l[i]) && v < -eps) {
				return false, ""
			}
		}
	}
	return true, fmt.Sprintf("a ray d with pᵀd = %.3g, ‖Qd‖∞ = %.3g and Ad, d in the recession cones decreases the objective without bound", pd, qd)
}
