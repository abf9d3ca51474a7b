package qp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
)

// SolveSparse solves the convex QP pb (see SparseProblem) by a proximal
// interior point on sparse data (PIQP's method; Schwan, Jiang, Kuhn and
// Jones, "PIQP: A proximal interior-point quadratic programming solver",
// 2023): Ruiz equilibration with power-of-two factors, a quasi-definite
// KKT system factored by sparse.LDL (AMD ordering and symbolic analysis
// once, a numeric factorization per iteration, iterative refinement),
// Mehrotra's predictor-corrector, and an active-set polish with
// double-double residuals near the solution. A point that fails only by
// the rounding of large multipliers or of x gets a last correction of a
// few of them (correctGap, correctPrimal), and on problems whose
// factorization is cheap the polish's exchange is retried with single
// pivots (polishExchange). s may be nil.
//
// Status Optimal and a nil error mean that the residuals recomputed from
// the returned (x, y, z) and pb in double-double arithmetic passed the
// test of SparseSettings.Tol. Infeasible (ErrInfeasible) and Unbounded
// (ErrUnbounded) are reported only with a certificate that passed its own
// check (see the package documentation); any other failure returns the
// best iterate with an error naming each failed test (ErrNotConverged),
// or wrapping ctx.Err() on cancellation. Invalid data or settings return
// a nil solution.
func SolveSparse(ctx context.Context, pb *SparseProblem, s *SparseSettings) (*SparseSolution, error) {
	set, err := s.orDefault()
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, fmt.Errorf("%w: nil context", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("qp: %w before the solve", err)
	}
	d, err := newSparseData(pb)
	if err != nil {
		if errors.Is(err, ErrInfeasible) {
			return &SparseSolution{Status: Infeasible, pb: d}, err
		}
		return nil, err
	}
	if ws := set.WarmStart; ws != nil {
		if len(ws.X) != d.n || (ws.Y != nil && len(ws.Y) != d.m) || (ws.Z != nil && len(ws.Z) != d.n) {
			return nil, fmt.Errorf("%w: WarmStart has len(X) = %d, len(Y) = %d, len(Z) = %d (want n = %d, m = %d, n)", ErrDims, len(ws.X), len(ws.Y), len(ws.Z), d.n, d.m)
		}
		if !finite(ws.X) || !finite(ws.Y) || !finite(ws.Z) {
			return nil, fmt.Errorf("%w: in WarmStart", ErrNaN)
		}
	}
	return solveSparseData(ctx, d, &set, true)
}

func solveSparseData(ctx context.Context, d *sparseData, set *SparseSettings, diagnose bool) (*SparseSolution, error) {
	acc := newSparseAcceptance(d, set)
	pi, err := newSpIPM(d, set, acc)
	if err != nil {
		return nil, err
	}
	if lg := set.Logger; lg != nil {
		st := pi.ldl.Stats()
		lg.Info("qp sparse: analysed", "n", d.n, "m", d.m, "eq", pi.neq, "ineq", pi.nin, "sides", len(pi.sides),
			"kkt", st.N, "nnzK", st.NNZK, "nnzL", st.NNZL, "flops", st.Flops, "order", st.OrderTime, "symbolic", st.SymbolicTime)
	}
	r := pi.run(ctx)
	acc.improveGap(&r)
	first := pi.saveIterate()
	if !r.ok && !r.canceled && ctx.Err() == nil {
		pi.robust = true
		if lg := set.Logger; lg != nil {
			lg.Info("qp sparse: second attempt", "best merit", r.merit)
		}
		r2 := pi.run(ctx)
		acc.improveGap(&r2)
		r2.iters += r.iters
		if r2.ok || r2.canceled || r2.merit < r.merit || r.x == nil {
			r = r2
		} else {
			r.iters = r2.iters
		}
	}
	// The last stage, on problems whose factorization is cheap: the
	// exchange of the polish with the single-pivot fallback
	// (polishExchange), from the first attempt's last iterate (whose
	// guess solves LISWET8), then from the second's (LISWET10).
	if !r.ok && !r.canceled && ctx.Err() == nil && pi.ldl.Stats().Flops <= polishPivotFlops && len(pi.sides) > 0 {
		second := pi.saveIterate()
		pi.restoreIterate(first)
		pr, ok := pi.polishExchange(ctx, polishPivotRounds, polishPivotSolver, true)
		if !(ok && pr.merit <= 1) && ctx.Err() == nil {
			pi.restoreIterate(second)
			if pr2, ok2 := pi.polishExchange(ctx, polishPivotRounds, polishPivotSolver, true); ok2 && (!ok || pr2.merit < pr.merit) {
				pr, ok = pr2, true
			}
		}
		if ok && pr.merit < r.merit {
			r3 := spResult{x: pr.x, y: pr.y, z: pr.z, res: pr.res, merit: pr.merit, ok: pr.merit <= 1, polished: true, iters: r.iters,
				lastY: r.lastY, lastZ: r.lastZ, lastDX: r.lastDX}
			r3.actRow, r3.actVar = pi.userActive(pr.actRow, pr.actVar)
			if lg := set.Logger; lg != nil {
				lg.Info("qp sparse: pivoting polish", "merit", pr.merit)
			}
			acc.improveGap(&r3)
			r = r3
		}
	}
	sol := &SparseSolution{X: r.x, Y: r.y, Z: r.z, Iterations: r.iters, Residuals: r.res, Polished: r.polished, pb: d, actRow: r.actRow, actVar: r.actVar}
	if sol.X != nil {
		sol.Objective = d.objective(sol.X)
	}
	switch {
	case r.ok:
		sol.Status = Optimal
		return sol, nil
	case r.canceled:
		sol.Status = Canceled
		return sol, fmt.Errorf("qp: %w after %d iterations", ctx.Err(), r.iters)
	}
	sol.Status = NotConverged
	if diagnose && ctx.Err() == nil {
		if ok, why := d.infeasible(ctx, r, set); ok {
			sol.Status = Infeasible
			return sol, fmt.Errorf("%w: %s", ErrInfeasible, why)
		}
		if ok, why := d.unbounded(ctx, r, set); ok {
			sol.Status = Unbounded
			return sol, fmt.Errorf("%w: %s", ErrUnbounded, why)
		}
	}
	if r.err != nil {
		return sol, fmt.Errorf("%w: %v (best point: %s)", ErrNotConverged, r.err, acc.describe(r.res))
	}
	if sol.X == nil {
		return sol, fmt.Errorf("%w: no iterate", ErrNotConverged)
	}
	return sol, fmt.Errorf("%w after %d iterations: %s", ErrNotConverged, r.iters, acc.describe(r.res))
}

// objective returns ½xᵀQx + pᵀx.
func (d *sparseData) objective(x []float64) float64 {
	v := dot(d.p, x)
	if d.q != nil {
		qx := make([]float64, d.n)
		_ = d.q.MulVec(qx, x)
		v += 0.5 * dot(qx, x)
	}
	return v
}

// sparseAcceptance is the acceptance test of SolveSparse (see
// SparseSettings.Tol), evaluated on the user's data.
type sparseAcceptance struct {
	d        *sparseData
	tol      float64
	absolute bool
	boundMag float64 // largest finite bound, for the primal scale
	varBnds  bool    // some variable has a finite bound
}

func newSparseAcceptance(d *sparseData, set *SparseSettings) *sparseAcceptance {
	a := &sparseAcceptance{d: d, tol: set.Tol, absolute: set.Absolute}
	for _, vs := range [][]float64{d.l, d.u} {
		for _, v := range vs {
			if !isInf(v) {
				a.boundMag = math.Max(a.boundMag, math.Abs(v))
			}
		}
	}
	for _, vs := range [][]float64{d.lb, d.ub} {
		for _, v := range vs {
			if !isInf(v) {
				a.boundMag = math.Max(a.boundMag, math.Abs(v))
				a.varBnds = true
			}
		}
	}
	return a
}

// support returns the bound that multiplies a signed multiplier v of a
// constraint lo ≤ t ≤ up in the dual objective (v > 0: the upper side;
// the term is bound·v, to be accumulated exactly) and the amount by which
// v has the sign of an absent side (dual infeasibility; the bound is then
// 0).
func support(v, lo, up float64) (bound, wrong float64) {
	switch {
	case lo == up:
		return up, 0
	case v > 0:
		if isInf(up) {
			return 0, v
		}
		return up, 0
	case v < 0:
		if isInf(lo) {
			return 0, -v
		}
		return lo, 0
	}
	return 0, 0
}

// evaluate returns the residuals of (x, y, z) and their scales.
func (a *sparseAcceptance) evaluate(x, y, z []float64) (r Residuals, sp, sd, sg float64) {
	r, sp, sd, sg, _ = a.evaluateSigned(x, y, z)
	return r, sp, sd, sg
}

// evaluateSigned is evaluate, also returning the duality gap with its
// sign.
func (a *sparseAcceptance) evaluateSigned(x, y, z []float64) (r Residuals, sp, sd, sg, gapSigned float64) {
	d := a.d
	n := d.n
	inf := Residuals{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)}
	if len(x) != n || len(y) != d.m || len(z) != n || !finite(x) || !finite(y) || !finite(z) {
		return inf, 1, 1, 1, 0
	}
	rd := make([]dd, n)
	var gap, xqx, px, sup dd
	tQx, tATy := 0.0, 0.0
	if d.q != nil {
		qx := make([]dd, n)
		cp, ri, v := d.q.Upper().Raw()
		for j := range n {
			for p := cp[j]; p < cp[j+1]; p++ {
				i := ri[p]
				qx[i].addProd(v[p], x[j])
				if i != j {
					qx[j].addProd(v[p], x[i])
				}
			}
		}
		for j := range n {
			rd[j] = qx[j]
			xqx.addProd(x[j], qx[j].hi)
			xqx.addProd(x[j], qx[j].lo)
			tQx = math.Max(tQx, math.Abs(qx[j].value()))
		}
	}
	dualWrong := 0.0
	for j := range n {
		rd[j].add(d.p[j])
		px.addProd(d.p[j], x[j])
		rd[j].add(z[j])
		bnd, wr := support(z[j], d.lb[j], d.ub[j])
		sup.addProd(bnd, z[j])
		dualWrong = math.Max(dualWrong, wr)
		if !isInf(d.lb[j]) {
			r.Primal = math.Max(r.Primal, d.lb[j]-x[j])
		}
		if !isInf(d.ub[j]) {
			r.Primal = math.Max(r.Primal, x[j]-d.ub[j])
		}
	}
	tAx := 0.0
	if d.at != nil {
		cp, ri, v := d.at.Raw()
		for i := range d.m {
			var ax dd
			for p := cp[i]; p < cp[i+1]; p++ {
				rd[ri[p]].addProd(v[p], y[i])
				ax.addProd(v[p], x[ri[p]])
			}
			axv := ax.value()
			tAx = math.Max(tAx, math.Abs(axv))
			if !isInf(d.u[i]) {
				var e dd = ax
				e.add(-d.u[i])
				r.Primal = math.Max(r.Primal, e.value())
			}
			if !isInf(d.l[i]) {
				var e dd = ax
				e.add(-d.l[i])
				r.Primal = math.Max(r.Primal, -e.value())
			}
			bnd, wr := support(y[i], d.l[i], d.u[i])
			sup.addProd(bnd, y[i])
			dualWrong = math.Max(dualWrong, wr)
		}
		aty := make([]float64, n)
		_ = d.a.MulTransVec(aty, y)
		tATy = normInf(aty)
	}
	for j := range n {
		r.Dual = math.Max(r.Dual, math.Abs(rd[j].value()))
	}
	r.Dual = math.Max(r.Dual, dualWrong)
	gap.add(xqx.hi)
	gap.add(xqx.lo)
	gap.add(px.hi)
	gap.add(px.lo)
	gap.add(sup.hi)
	gap.add(sup.lo)
	r.Gap = math.Abs(gap.value())
	if !finite([]float64{r.Primal, r.Dual, r.Gap}) {
		return inf, 1, 1, 1, 0
	}
	sp, sd, sg = 1, 1, 1
	if !a.absolute {
		sp = math.Max(1, math.Max(tAx, a.boundMag))
		if a.varBnds {
			sp = math.Max(sp, normInf(x))
		}
		sd = math.Max(1, math.Max(math.Max(tQx, normInf(d.p)), math.Max(tATy, normInf(z))))
		sg = math.Max(1, math.Max(math.Abs(xqx.value()), math.Max(math.Abs(px.value()), math.Abs(sup.value()))))
	}
	return r, sp, sd, sg, gap.value()
}

// merit returns the largest ratio residual/(Tol·scale) (≤ 1: the test
// passed) and the residuals.
func (a *sparseAcceptance) merit(x, y, z []float64) (float64, Residuals) {
	r, sp, sd, sg := a.evaluate(x, y, z)
	m := math.Max(r.Primal/(a.tol*sp), math.Max(r.Dual/(a.tol*sd), r.Gap/(a.tol*sg)))
	if math.IsNaN(m) {
		m = math.Inf(1)
	}
	return m, r
}

// describe names each test of r with its value and bound.
func (a *sparseAcceptance) describe(r Residuals) string {
	rel := "relative"
	if a.absolute {
		rel = "absolute"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "primal %.3g, dual %.3g, gap %.3g (Tol %.3g, %s)", r.Primal, r.Dual, r.Gap, a.tol, rel)
	return b.String()
}
