package qp

import "math"

// polish guesses the active set of the iterate (a side is active when its
// multiplier exceeds its slack; of two active sides of one row the one
// with the larger ratio z/s is kept), drops the inactive rows and bounds
// and takes Newton steps on the KKT equations of the equality-constrained
// problem that remains,
//
//	Q̃x + p̃ + C̃_Eᵀy + C̃_Sᵀw_S + z_S = 0,  C̃_E x = b̃,  C̃_S x = h_S,  x_S = bounds,
//
// with residuals in double-double arithmetic. The linear systems are
// solved with the regularized matrix (ρ on x, −δ on every active row, an
// active bound as the penalty 1/δ on its variable's diagonal) as the
// preconditioner of a few refinement steps against the unregularized
// system: OSQP's polishing (Stellato et al. 2020, §4.4) with the
// interior point's own sparse factorization. The caller judges the
// result by the acceptance test.
func (pi *spIPM) polish() (x, y, w, zb []float64, actRow, actVar []int8, ok bool) {
	n, neq, nin := pi.n, pi.neq, pi.nin
	actRow, actVar = pi.activeSet()
	rho, delta := pi.rho, math.Max(pi.delta, 1e-9)

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
		return nil, nil, nil, nil, nil, nil, false
	}

	target := func(r int) float64 { // the bound of an active inequality row
		if actRow[r] > 0 {
			return pi.rowBnd[r][1]
		}
		return pi.rowBnd[r][0]
	}
	x = append([]float64(nil), pi.x...)
	y = append([]float64(nil), pi.y...)
	w = make([]float64, nin)
	zb = make([]float64, n)
	for r := range nin {
		if actRow[r] != 0 {
			w[r] = pi.w[r]
		}
	}
	for j := range n {
		if actVar[j] != 0 {
			zb[j] = pi.zb[j]
		}
	}
	N := n + pi.k + n // (x, y, w, z_B)
	r := make([]float64, N)
	v := make([]float64, N)
	corr := make([]float64, N)
	res := make([]float64, N)
	prevR := math.Inf(1)
	for range 8 {
		pi.polishResidual(r, x, y, w, zb, actRow, actVar, target)
		rn := normInf(r)
		if lg := pi.logger; lg != nil {
			lg.Debug("qp sparse polish step", "residual", rn)
		}
		if !(rn < 0.5*prevR) || rn == 0 {
			break
		}
		prevR = rn
		for i := range r {
			r[i] = -r[i]
		}
		if !pi.polishSolve(v, r, actVar, delta) {
			return nil, nil, nil, nil, nil, nil, false
		}
		// Refinement against the unregularized matrix: until the linear
		// residual stops halving (ill-conditioned active sets need more
		// than a few steps), at most polishRefine.
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
		if !finite(v) {
			return nil, nil, nil, nil, nil, nil, false
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
	return x, y, w, zb, actRow, actVar, finite(x) && finite(y) && finite(w) && finite(zb)
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

// polishRefine caps the refinement steps of each polishing Newton step.
const polishRefine = 20

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
