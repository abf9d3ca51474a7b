package qp

import (
	"context"
	"math"
)

// polishRounds and polishRoundsLast cap the rounds of a deep polish (see
// run) during and at the end of the iteration, polishCheapFlops is the
// cost of a factorization (its flops) up to which the first may run.
const (
	polishRounds     = 3
	polishRoundsLast = 10
	polishCheapFlops = 1e8
	// The single-pivot exchange (polishExchange) of the last polish: at
	// most polishPivotRounds polishes with the Krylov solver, when a
	// factorization costs at most polishPivotFlops.
	polishPivotRounds = 250
	polishPivotFlops  = 1e7
)

// The linear solvers of the polish (see polishSet): refinement alone, or
// each one in turn.
var (
	polishRefinedOnly = []int{0}
	polishAllSolvers  = []int{0, 1, 2}
	polishPivotSolver = []int{1}
)

// polishResult is the best point of a polish, in the user's units.
type polishResult struct {
	x, y, z        []float64
	merit          float64
	res            Residuals
	actRow, actVar []int8 // internal rows and variables (see activeSet)
}

// polish guesses the active set of the iterate (activeSet), solves the
// equality-constrained problem it defines (polishSet, with each of the
// linear solvers in turn until one passes), and corrects the guess by the
// primal-dual active-set rule for at most rounds polishes each: a side
// whose polished multiplier has the wrong sign leaves the set, an
// inactive side that the polished point violates enters it (Hintermüller,
// Ito and Kunisch, "The primal-dual active set strategy as a semismooth
// Newton method", SIAM J. Optim. 13 (2002) 865–888). Interior points
// with large multipliers (far from their limits on ill-conditioned
// active sets, as on LISWET and YAO) misjudge sides whose multiplier is
// still small beside the slack; the rule repairs such guesses in a few
// rounds, each one refactorization and a few solves. It returns the
// point of the smallest merit on the user's data, ok false when no round
// produced a finite point.
func (pi *spIPM) polish(rounds int, solvers []int) (best polishResult, ok bool) {
	return pi.polishExchange(context.Background(), rounds, solvers, false)
}

// polishExchange is polish, with Júdice and Pires's single-pivot
// fallback when pivot is set: when the number of contradicted sides has
// not fallen for three rounds, only the first of them (rows, then
// variables) changes, until the number falls below its least value
// again (then the full exchange resumes). With a positive definite Q and
// rows of full rank the exchange is a principal pivoting method on a
// P-matrix complementarity problem, for which this rule terminates in
// exact arithmetic (Murty's least-index rule, Murty 1974, "Note on a
// Bard-type scheme for solving the complementarity problem", Opsearch
// 11, 123–130), though after many pivots: it runs only on problems whose
// factorization is cheap (LISWET8 takes 193 polishes of n = 10,002).
// Each polish starts from the previous one's point. It stops on
// cancellation of ctx.
func (pi *spIPM) polishExchange(ctx context.Context, rounds int, solvers []int, pivot bool) (best polishResult, ok bool) {
	defer func() { pi.polishStart = nil }()
	guessRow, guessVar := pi.activeSet()
	best.merit = math.Inf(1)
	for _, solver := range solvers {
		actRow := append([]int8(nil), guessRow...)
		actVar := append([]int8(nil), guessVar...)
		fewest, budget := math.MaxInt, 3
		for round := 0; round < rounds && ctx.Err() == nil; round++ {
			x, y, w, zb, fine := pi.polishSet(actRow, actVar, solver)
			if !fine {
				break
			}
			if pivot {
				pi.polishStart = &[4][]float64{x, y, w, zb}
			}
			ux, uy, uz := pi.toUser(x, y, w, zb)
			m, res := pi.acc.merit(ux, uy, uz)
			if lg := pi.logger; lg != nil {
				lg.Debug("qp sparse polish round", "solver", solver, "round", round, "primal", res.Primal, "dual", res.Dual, "gap", res.Gap, "merit", m)
			}
			if m < best.merit {
				best = polishResult{x: ux, y: uy, z: uz, merit: m, res: res,
					actRow: append([]int8(nil), actRow...), actVar: append([]int8(nil), actVar...)}
				ok = true
			}
			if m <= 1 {
				return best, ok
			}
			// The full exchange may cycle (it does on LISWET8–12, whose
			// active-set matrices are far from M-matrices): stop when the
			// number of contradicted sides has not fallen for three
			// rounds (the safeguard of Júdice and Pires's block principal
			// pivoting, "A block principal pivoting algorithm for
			// large-scale strictly monotone linear complementarity
			// problems", Comput. Oper. Res. 21 (1994) 587–596), or with
			// pivot set, fall back to its single pivots.
			var nextRow, nextVar []int8
			if pivot {
				nextRow = append([]int8(nil), actRow...)
				nextVar = append([]int8(nil), actVar...)
			} else {
				nextRow, nextVar = actRow, actVar
			}
			bad := pi.correctActive(nextRow, nextVar, x, y, w, zb)
			if bad == 0 {
				break
			}
			single := false
			if bad < fewest {
				fewest, budget = bad, 3
			} else if budget--; budget <= 0 {
				if !pivot {
					break
				}
				single = true
			}
			if lg := pi.logger; lg != nil {
				lg.Debug("qp sparse polish correction", "contradicted", bad, "single", single)
			}
			if single {
				singlePivot(actRow, actVar, nextRow, nextVar)
			} else if pivot {
				copy(actRow, nextRow)
				copy(actVar, nextVar)
			}
		}
	}
	return best, ok
}

// singlePivot applies to act only the first change (rows, then
// variables) that next makes to it.
func singlePivot(actRow, actVar, nextRow, nextVar []int8) {
	for r, a := range nextRow {
		if a != actRow[r] {
			actRow[r] = a
			return
		}
	}
	for j, a := range nextVar {
		if a != actVar[j] {
			actVar[j] = a
			return
		}
	}
}

// correctActive applies the primal-dual active-set rule to the polished
// point (x, y, w, zb) (scaled) in place: an active side whose multiplier
// has the wrong sign leaves the set, an inactive one that x violates
// enters it, and so does the bound of a variable that x meets while
// stationarity needs its multiplier (with the sign of that side), each
// beyond a tenth of the tolerance in the user's units. It returns the
// number of sides changed.
func (pi *spIPM) correctActive(actRow, actVar []int8, x, y, w, zb []float64) int {
	n, neq := pi.n, pi.neq
	tol := 0.1 * pi.acc.tol
	cx := make([]float64, pi.k)
	_ = pi.c.MulVec(cx, x)
	// The stationarity residual without the bound multipliers: a free
	// variable on its bound whose residual only that bound's multiplier
	// (of the right sign) can cancel belongs in the set.
	rx := make([]float64, n)
	pi.mulQ(rx, x)
	for j := range rx {
		rx[j] += pi.p[j]
	}
	mult := make([]float64, pi.k)
	copy(mult, y)
	copy(mult[neq:], w)
	_ = pi.ct.MulVecScaled(rx, 1, mult, 1)
	count := 0
	set := func(a *int8, to int8) { *a = to; count++ }
	for r := range pi.nin {
		e := pi.erow[neq+r]
		lo, up := pi.rowBnd[r][0], pi.rowBnd[r][1]
		mult := w[r] * e / pi.cost // the user's multiplier
		t := cx[neq+r]
		switch a := actRow[r]; {
		case a > 0 && mult < -tol, a < 0 && mult > tol:
			set(&actRow[r], 0)
		case a == 0 && (t-up)/e > tol:
			set(&actRow[r], 1)
		case a == 0 && (lo-t)/e > tol:
			set(&actRow[r], -1)
		}
	}
	for j := range n {
		dj := pi.dcol[j]
		lo, up := pi.varBnd[j][0], pi.varBnd[j][1]
		mult := zb[j] / (pi.cost * dj)
		need := -rx[j] / (pi.cost * dj) // the user's z_j that stationarity asks for
		switch a := actVar[j]; {
		case a > 0 && mult < -tol, a < 0 && mult > tol:
			set(&actVar[j], 0)
		case a == 0 && (x[j]-up)*dj > tol:
			set(&actVar[j], 1)
		case a == 0 && (lo-x[j])*dj > tol:
			set(&actVar[j], -1)
		case a == 0 && need > tol && math.Abs(x[j]-up)*dj <= tol:
			set(&actVar[j], 1)
		case a == 0 && need < -tol && math.Abs(x[j]-lo)*dj <= tol:
			set(&actVar[j], -1)
		}
	}
	return count
}

// polishSet drops the inactive rows and bounds of the active set actRow,
// actVar (see activeSet) and takes Newton steps on the KKT equations of
// the equality-constrained problem that remains,
//
//	Q̃x + p̃ + C̃_Eᵀy + C̃_Sᵀw_S + z_S = 0,  C̃_E x = b̃,  C̃_S x = h_S,  x_S = bounds,
//
// with residuals in double-double arithmetic. The linear systems are
// solved with the regularized matrix (ρ on x, −δ on every active row, an
// active bound as the penalty 1/δ on its variable's diagonal) as the
// preconditioner: of a few refinement steps against the unregularized
// system (solver 0: OSQP's polishing, Stellato et al. 2020, §4.4, with
// the interior point's own sparse factorization; δ the interior point's,
// at least 1e-9), or of GMRES on it (solver k ≥ 1: δ =
// polishKrylovDelta[k−1], see gmresRight), which resolves active sets
// whose condition number is far beyond 1/δ.
func (pi *spIPM) polishSet(actRow, actVar []int8, solver int) (x, y, w, zb []float64, ok bool) {
	n, neq, nin := pi.n, pi.neq, pi.nin
	rho, delta := pi.rho, math.Max(pi.delta, 1e-9)
	krylov := solver > 0
	if krylov {
		delta = polishKrylovDelta[solver-1]
	}

	// The preconditioner: the KKT matrix with the polishing diagonal and
	// the rows of inactive constraints zeroed (the pattern is kept).
	pv := pi.kktPol.Upper()
	pcp, _, pvals := pv.Raw()
	copy(pvals, pi.kv)
	for j := range n {
		v := pi.qd[j] + rho
		if actVar[j] != 0 {
			v += 1 / delta
		}
		pvals[pi.diagPos[j]] = v
	}
	for r := range neq {
		pvals[pi.diagPos[n+r]] = -delta
	}
	for r := range nin {
		col := n + neq + r
		if actRow[r] == 0 {
			for p := pcp[col]; p < pi.diagPos[col]; p++ {
				pvals[p] = 0
			}
			pvals[pi.diagPos[col]] = -1
		} else {
			pvals[pi.diagPos[col]] = -delta
		}
	}
	if err := pi.ldl.Refactor(pi.kktPol); err != nil {
		return nil, nil, nil, nil, false
	}

	target := func(r int) float64 { // the bound of an active inequality row
		if actRow[r] > 0 {
			return pi.rowBnd[r][1]
		}
		return pi.rowBnd[r][0]
	}
	// The Newton steps start from the iterate, or from the previous
	// polished point of an exchange (polishStart).
	sx, sy, sw, szb := pi.x, pi.y, pi.w, pi.zb
	if st := pi.polishStart; st != nil {
		sx, sy, sw, szb = st[0], st[1], st[2], st[3]
	}
	x = append([]float64(nil), sx...)
	y = append([]float64(nil), sy...)
	w = make([]float64, nin)
	zb = make([]float64, n)
	for r := range nin {
		if actRow[r] != 0 {
			w[r] = sw[r]
		}
	}
	for j := range n {
		if actVar[j] != 0 {
			zb[j] = szb[j]
		}
	}
	N := n + pi.k + n // (x, y, w, z_B)
	r := make([]float64, N)
	v := make([]float64, N)
	res := make([]float64, N)
	corr := make([]float64, N)
	prevR := math.Inf(1)
	for range 8 {
		pi.polishResidual(r, x, y, w, zb, actRow, actVar, target)
		rn := normInf(r)
		if lg := pi.logger; lg != nil {
			n, k := pi.n, pi.k
			lg.Debug("qp sparse polish step", "residual", rn, "stationarity", normInf(r[:n]), "rows", normInf(r[n:n+k]), "bounds", normInf(r[n+k:]))
		}
		if !(rn < 0.5*prevR) || rn == 0 {
			break
		}
		prevR = rn
		for i := range r {
			r[i] = -r[i]
		}
		if krylov {
			// The step solves the unregularized active-set system by
			// GMRES preconditioned with the factorization of a smaller
			// δ (see gmresRight): ill-conditioned active sets (k-th
			// differences over long runs, condition ~ run length^(2k))
			// need it.
			clear(v)
			lin := gmresRight(func(dst, u []float64) { pi.polishApply(dst, u, actRow, actVar) },
				func(dst, u []float64) bool { return pi.polishSolve(dst, u, actVar, delta) },
				v, r, polishKrylov, polishRefine, 1e-15*norm2(r))
			if lg := pi.logger; lg != nil {
				lg.Debug("qp sparse polish gmres", "rhs", norm2(r), "residual", lin, "step", normInf(v))
			}
		} else if !pi.polishRefined(v, r, res, corr, rn, actRow, actVar, delta) {
			return nil, nil, nil, nil, false
		}
		if !finite(v) {
			return nil, nil, nil, nil, false
		}
		for j := range n {
			x[j] += v[j]
			zb[j] += v[n+pi.k+j]
		}
		for i := range neq {
			y[i] += v[n+i]
		}
		for i := range nin {
			w[i] += v[n+neq+i]
		}
	}
	return x, y, w, zb, finite(x) && finite(y) && finite(w) && finite(zb)
}

// activeSet guesses the active set of the iterate: a side is active when
// its multiplier exceeds its slack; of two active sides of one row or
// variable the one with the larger ratio z/s is kept. It returns, per
// inequality row and per variable, +1 (upper side), −1 (lower) or 0.
func (pi *spIPM) activeSet() (actRow, actVar []int8) {
	actRow = make([]int8, pi.nin)
	actVar = make([]int8, pi.n)
	ratioRow := make([]float64, pi.nin)
	ratioVar := make([]float64, pi.n)
	for k, sd := range pi.sides {
		if !(pi.z[k] > pi.s[k]) {
			continue
		}
		ratio := pi.z[k] / pi.s[k]
		if sd.row >= 0 {
			if ratio > ratioRow[sd.row] {
				ratioRow[sd.row], actRow[sd.row] = ratio, int8(sd.sign)
			}
		} else if j := -sd.row - 1; ratio > ratioVar[j] {
			ratioVar[j], actVar[j] = ratio, int8(sd.sign)
		}
	}
	return actRow, actVar
}

// userActive maps an active set of the internal rows to the user's rows
// and variables, with the equality rows and fixed variables active (+1:
// their target is U or UB).
func (pi *spIPM) userActive(actRow, actVar []int8) (rows, vars []int8) {
	rows = make([]int8, pi.d.m)
	vars = append([]int8(nil), actVar...)
	for r := range pi.k {
		a := int8(1)
		if r >= pi.neq {
			a = actRow[r-pi.neq]
		}
		if i := pi.rowOf[r]; i >= 0 {
			rows[i] = a
		} else {
			vars[-i-1] = a
		}
	}
	return rows, vars
}

// polishRefined sets v to the solution of the active-set system J v = r
// by the preconditioner and iterative refinement against J, until the
// linear residual stops halving (at most polishRefine steps); res and
// corr are scratch. It reports false when the preconditioner failed.
func (pi *spIPM) polishRefined(v, r, res, corr []float64, rn float64, actRow, actVar []int8, delta float64) bool {
	if !pi.polishSolve(v, r, actVar, delta) {
		return false
	}
	prevLin := math.Inf(1)
	for range polishRefine {
		pi.polishApply(res, v, actRow, actVar)
		for i := range res {
			res[i] = r[i] - res[i]
		}
		lin := normInf(res)
		if !(lin < 0.5*prevLin) || lin <= 1e-17*rn {
			break
		}
		prevLin = lin
		if !pi.polishSolve(corr, res, actVar, delta) {
			break
		}
		for i := range v {
			v[i] += corr[i]
		}
	}
	return true
}

// polishRefine caps the GMRES iterations (preconditioner solves) of each
// polishing Newton step, polishKrylov the Krylov basis between restarts.
const (
	polishRefine = 20
	polishKrylov = 20
)

// polishKrylovDelta lists the dual regularizations of the Krylov
// polish's preconditioner, tried in turn: the smaller resolves the
// second-difference active sets of LISWET (1e-10 does not), the larger
// suits STADAT1 (1e-11 and 1e-10 do not).
var polishKrylovDelta = [...]float64{1e-11, 1e-9}

// polishSolve applies the preconditioner to r = (r_x, r_E, r_I, r_B).
func (pi *spIPM) polishSolve(v, r []float64, actVar []int8, delta float64) bool {
	n, k := pi.n, pi.k
	rhs := pi.rhs
	copy(rhs, r[:n+k])
	for j := range n {
		if actVar[j] != 0 {
			rhs[j] += r[n+k+j] / delta
		}
	}
	if err := pi.ldl.Solve(v[:n+k], rhs); err != nil {
		return false
	}
	for j := range n {
		v[n+k+j] = 0
		if actVar[j] != 0 {
			v[n+k+j] = (v[j] - r[n+k+j]) / delta
		}
	}
	return true
}

// polishApply sets out = J v for the unregularized active-set matrix J.
func (pi *spIPM) polishApply(out, v []float64, actRow, actVar []int8) {
	n, neq, k := pi.n, pi.neq, pi.k
	ox := out[:n]
	pi.mulQ(ox, v[:n])
	_ = pi.ct.MulVecScaled(ox, 1, v[n:n+k], 1)
	for j := range n {
		ox[j] += v[n+k+j]
	}
	_ = pi.c.MulVec(out[n:n+k], v[:n])
	for r := range pi.nin {
		if actRow[r] == 0 {
			out[n+neq+r] = 0
		}
	}
	for j := range n {
		out[n+k+j] = 0
		if actVar[j] != 0 {
			out[n+k+j] = v[j]
		}
	}
}

// polishResidual sets r to the KKT residual of the active-set system at
// (x, y, w, z_B) in double-double arithmetic (zero on inactive rows and
// bounds).
func (pi *spIPM) polishResidual(r, x, y, w, zb []float64, actRow, actVar []int8, target func(int) float64) {
	n, neq, k := pi.n, pi.neq, pi.k
	rx := make([]dd, n)
	pi.accurateQx(rx, x)
	for j := range n {
		rx[j].add(pi.p[j])
		rx[j].add(zb[j])
	}
	ccp, cri, cv := pi.ct.Raw()
	for row := range k {
		var mult float64
		if row < neq {
			mult = y[row]
		} else {
			mult = w[row-neq]
		}
		var cx dd
		for p := ccp[row]; p < ccp[row+1]; p++ {
			rx[cri[p]].addProd(cv[p], mult)
			cx.addProd(cv[p], x[cri[p]])
		}
		switch {
		case row < neq:
			cx.add(-pi.b[row])
			r[n+row] = cx.value()
		case actRow[row-neq] != 0:
			cx.add(-target(row - neq))
			r[n+row] = cx.value()
		default:
			r[n+row] = 0
		}
	}
	for j := range n {
		r[j] = rx[j].value()
		r[n+k+j] = 0
		if a := actVar[j]; a != 0 {
			b := pi.varBnd[j][0]
			if a > 0 {
				b = pi.varBnd[j][1]
			}
			var e dd
			e.add(x[j])
			e.add(-b)
			r[n+k+j] = e.value()
		}
	}
}

// accurateQx adds Q̃x to acc in double-double arithmetic.
func (pi *spIPM) accurateQx(acc []dd, x []float64) {
	if pi.q == nil {
		return
	}
	qcp, qri, qv := pi.q.Upper().Raw()
	for j := range pi.n {
		for p := qcp[j]; p < qcp[j+1]; p++ {
			i := qri[p]
			acc[i].addProd(qv[p], x[j])
			if i != j {
				acc[j].addProd(qv[p], x[i])
			}
		}
	}
}
