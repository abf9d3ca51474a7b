package qp

import (
	"math"
	"sort"
)

// correctGap is the last step of SolveSparse for a point whose primal
// and dual residuals pass with room to spare but whose duality gap does
// not: on problems with objectives of 10¹¹–10¹² (HUESTIS, QSHELL) an
// absolute gap of the tolerance lies below the rounding of x and of the
// large multipliers, and no Newton step reaches it. The gap depends on
// the multipliers only through the support terms Σ bound·v (see
// support), so moving a multiplier v by Δ changes it by exactly bound·Δ,
// and the dual residual by |Δ| times the largest entry of its row (1 for
// a bound's multiplier). correctGap moves the multiplier of the smallest
// price (dual-residual change per unit of gap) to cancel the gap; when
// the spacing of the floats near it is too coarse to do so (HUESTIS: two
// equality rows with multipliers of 10⁹, one unit in the last place
// moving the gap by 10⁻⁴), it also moves the second cheapest by k units
// in its last place, k ≤ gapSearch in magnitude, choosing the k whose
// rounded correction leaves the smallest gap (evaluated in
// double-double). It repeats while the merit falls (at most three
// times) and returns copies of y and z with the merit and residuals of
// the result, ok false when nothing improved.
func (a *sparseAcceptance) correctGap(x, y, z []float64) (ny, nz []float64, merit float64, res Residuals, ok bool) {
	d := a.d
	r, sp, sd, sg, gap := a.evaluateSigned(x, y, z)
	merit = math.Max(r.Primal/(a.tol*sp), math.Max(r.Dual/(a.tol*sd), r.Gap/(a.tol*sg)))
	if !(merit > 1) || r.Primal > a.tol*sp || r.Dual > 0.5*a.tol*sd || math.IsInf(merit, 0) {
		return nil, nil, merit, r, false
	}
	rowMax := make([]float64, d.m)
	if d.at != nil {
		for i := range d.m {
			_, v := d.at.Col(i)
			for _, e := range v {
				rowMax[i] = math.Max(rowMax[i], math.Abs(e))
			}
		}
	}
	ny = append([]float64(nil), y...)
	nz = append([]float64(nil), z...)
	res = r
	// A lever is a multiplier whose small moves keep the side of its
	// support term: an equality row or fixed variable, or a nonzero
	// multiplier of a finite side.
	type lever struct {
		slot         *float64
		bound, price float64 // price: dual change per unit of gap
	}
	var levers []lever
	add := func(slot *float64, lo, up, norm float64) {
		v := *slot
		var bound float64
		switch {
		case lo == up:
			bound = up
		case v > 0:
			bound = up
		case v < 0:
			bound = lo
		default:
			return
		}
		if isInf(bound) || bound == 0 || norm == 0 {
			return
		}
		levers = append(levers, lever{slot, bound, norm / math.Abs(bound)})
	}
	for i := range d.m {
		add(&ny[i], d.l[i], d.u[i], rowMax[i])
	}
	for j := range d.n {
		add(&nz[j], d.lb[j], d.ub[j], 1)
	}
	if len(levers) == 0 {
		return nil, nil, merit, r, false
	}
	sort.SliceStable(levers, func(i, k int) bool { return levers[i].price < levers[k].price })
	// keepsSide reports whether nv may replace v (its support term keeps
	// its bound).
	keepsSide := func(v, nv float64, lv lever) bool {
		return nv == v || (v > 0 && nv > 0) || (v < 0 && nv < 0) || lv.bound == 0 ||
			(v != 0 && math.Abs(nv-v) < 0.5*math.Abs(v))
	}
	for range 3 {
		A := levers[0]
		vA := *A.slot
		bestRem, bestA, bestB := math.Inf(1), vA, 0.0
		var vB float64
		var B lever
		tryB := func(nvB float64) {
			var e dd
			e.add(gap)
			if B.slot != nil {
				e.addProd(B.bound, nvB-vB)
			}
			nvA := vA - e.value()/A.bound
			if !keepsSide(vA, nvA, A) {
				return
			}
			e.addProd(A.bound, nvA-vA)
			if rem := math.Abs(e.value()); rem < bestRem {
				bestRem, bestA, bestB = rem, nvA, nvB
			}
		}
		tryB(0)
		if bestRem > 0.1*a.tol*sg && len(levers) > 1 {
			B = levers[1]
			vB = *B.slot
			u := ulp(vB)
			for k := 1; k <= gapSearch && bestRem > 0.1*a.tol*sg; k++ {
				for _, s := range [2]float64{1, -1} {
					if nvB := vB + s*float64(k)*u; keepsSide(vB, nvB, B) {
						tryB(nvB)
					}
				}
			}
		}
		price := math.Abs(bestA-vA) * A.price * math.Abs(A.bound)
		if B.slot != nil {
			price += math.Abs(bestB-vB) * B.price * math.Abs(B.bound)
		}
		if !(price <= 0.25*a.tol*sd) || bestA == vA && (B.slot == nil || bestB == vB) {
			break
		}
		*A.slot = bestA
		if B.slot != nil {
			*B.slot = bestB
		}
		r2, sp2, sd2, sg2, gap2 := a.evaluateSigned(x, ny, nz)
		m2 := math.Max(r2.Primal/(a.tol*sp2), math.Max(r2.Dual/(a.tol*sd2), r2.Gap/(a.tol*sg2)))
		if !(m2 < merit) {
			*A.slot = vA
			if B.slot != nil {
				*B.slot = vB
			}
			break
		}
		merit, res, gap, sd, sg, ok = m2, r2, gap2, sd2, sg2, true
		if merit <= 1 {
			break
		}
	}
	return ny, nz, merit, res, ok
}

// gapSearch bounds the units in the last place by which correctGap
// moves its second multiplier.
const gapSearch = 1 << 14

// improveGap replaces the point of a failed run by its gap correction
// (correctGap), then by its primal correction (correctPrimal), each when
// that lowers the merit, and marks it solved when the acceptance test
// then passes.
func (a *sparseAcceptance) improveGap(r *spResult) {
	if r.ok || r.canceled || r.x == nil {
		return
	}
	if ny, nz, m, res, ok := a.correctGap(r.x, r.y, r.z); ok && m < r.merit {
		r.y, r.z, r.merit, r.res = ny, nz, m, res
		r.ok = m <= 1
	}
	if r.ok {
		return
	}
	if nx, m, res, ok := a.correctPrimal(r.x, r.y, r.z); ok && m < r.merit {
		r.x, r.merit, r.res = nx, m, res
		r.ok = m <= 1
	}
}

// ulp returns the spacing of the floats at v.
func ulp(v float64) float64 {
	v = math.Abs(v)
	return math.Nextafter(v, math.Inf(1)) - v
}

// correctPrimal is correctGap's counterpart for the primal residual, for
// a point whose dual residual and gap pass with room to spare: on rows
// with right-hand sides of 10¹¹–10¹² and 10⁵ terms (BOYD1) the residual
// left by the polish is the rounding of x in its last place summed over
// the row, far above an absolute 10⁻⁶, though each term's product is
// exact. It chooses, for each violated row, one variable of the row
// strictly inside its bounds whose last place moves every row it enters
// by at most a thousandth of the tolerance (small |x_j|), and solves the
// square system of those columns on those rows (Gaussian elimination)
// for the change that cancels the violations. It repeats while the merit
// falls (at most three times) and returns a copy of x with the merit and
// residuals of the result, ok false when nothing improved.
func (a *sparseAcceptance) correctPrimal(x, y, z []float64) (nx []float64, merit float64, res Residuals, ok bool) {
	d := a.d
	r, sp, sd, sg, _ := a.evaluateSigned(x, y, z)
	merit = math.Max(r.Primal/(a.tol*sp), math.Max(r.Dual/(a.tol*sd), r.Gap/(a.tol*sg)))
	if !(merit > 1) || math.IsInf(merit, 0) || r.Dual > 0.5*a.tol*sd || r.Gap > 0.5*a.tol*sg || d.at == nil {
		return nil, merit, r, false
	}
	colMax := make([]float64, d.n)
	_ = d.a.ColNormsInf(colMax)
	nx = append([]float64(nil), x...)
	res = r
	for range 3 {
		// The violated rows and their signed violations.
		var rows []int
		var viol []float64
		for i := range d.m {
			rr, v := d.at.Col(i)
			var ax dd
			for p, j := range rr {
				ax.addProd(v[p], nx[j])
			}
			// The violation ax − U > 0 or ax − L < 0, in double-double
			// (ax rounded may equal a bound of 10¹² that it misses by
			// 10⁻⁶).
			var ev float64
			if eu := ax; !isInf(d.u[i]) {
				eu.add(-d.u[i])
				if v := eu.value(); v > 0 {
					ev = v
				}
			}
			if el := ax; ev == 0 && !isInf(d.l[i]) {
				el.add(-d.l[i])
				if v := el.value(); v < 0 {
					ev = v
				}
			}
			if d.l[i] == d.u[i] {
				eq := ax
				eq.add(-d.u[i])
				ev = eq.value()
			}
			if math.Abs(ev) > 0.01*a.tol*sp || (d.l[i] == d.u[i] && ev != 0) {
				rows = append(rows, i)
				viol = append(viol, ev)
			}
		}
		if len(rows) == 0 || len(rows) > primalCorrectRows {
			break
		}
		// A few variables per row: the largest coefficients of the row
		// among the variables fine enough and inside their bounds.
		chosen := make(map[int]bool)
		var cols []int
		for _, i := range rows {
			rr, v := d.at.Col(i)
			for range primalCorrectCols {
				best, bestA := -1, 0.0
				for p, j := range rr {
					xj := nx[j]
					if chosen[j] || !(xj > d.lb[j]) || !(xj < d.ub[j]) || ulp(xj)*colMax[j] > 1e-2*a.tol*sp {
						continue
					}
					if av := math.Abs(v[p]); av > bestA {
						best, bestA = j, av
					}
				}
				if best < 0 {
					break
				}
				cols = append(cols, best)
				chosen[best] = true
			}
		}
		at := make(map[int]int, len(rows))
		for k, i := range rows {
			at[i] = k
		}
		ne, nc := len(rows), len(cols)
		mt := make([][]float64, nc) // Mᵀ: per chosen column, its entries on the rows
		for c, j := range cols {
			mt[c] = make([]float64, ne)
			rr, v := d.a.Col(j)
			for p, i := range rr {
				if k, in := at[i]; in {
					mt[c][k] = v[p]
				}
			}
		}
		// The least-norm change: Mᵀ(MMᵀ)⁻¹(−violation), the rows
		// equilibrated first.
		scale := make([]float64, ne)
		for c := range mt {
			for k, e := range mt[c] {
				scale[k] = math.Max(scale[k], math.Abs(e))
			}
		}
		m := make([][]float64, ne)
		for k := range m {
			if scale[k] == 0 {
				return nx, merit, res, ok
			}
			m[k] = make([]float64, ne+1)
			m[k][ne] = -viol[k] / scale[k]
			for l := range ne {
				s := 0.0
				for c := range mt {
					s += mt[c][k] / scale[k] * mt[c][l] / scale[l]
				}
				m[k][l] = s
			}
		}
		u, solved := gaussSolve(m)
		if !solved {
			break
		}
		delta := make([]float64, nc)
		for c := range mt {
			for k, e := range mt[c] {
				delta[c] += e / scale[k] * u[k]
			}
		}
		old := make([]float64, nc)
		for c, j := range cols {
			old[c] = nx[j]
			nx[j] += delta[c]
		}
		r2, sp2, sd2, sg2, _ := a.evaluateSigned(nx, y, z)
		m2 := math.Max(r2.Primal/(a.tol*sp2), math.Max(r2.Dual/(a.tol*sd2), r2.Gap/(a.tol*sg2)))
		// A variable pushed past its bound shows in the primal residual.
		if !(m2 < merit) {
			for c, j := range cols {
				nx[j] = old[c]
			}
			break
		}
		merit, res, sp, sd, sg, ok = m2, r2, sp2, sd2, sg2, true
		if merit <= 1 {
			break
		}
	}
	return nx, merit, res, ok
}

// primalCorrectRows bounds the rows that correctPrimal takes,
// primalCorrectCols the variables it moves per row.
const (
	primalCorrectRows = 64
	primalCorrectCols = 3
)

// gaussSolve solves the square system of the augmented rows m (each n
// coefficients and the right-hand side) by Gaussian elimination with
// partial pivoting, in place; false when it is singular.
func gaussSolve(m [][]float64) ([]float64, bool) {
	n := len(m)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if m[p][c] == 0 {
			return nil, false
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x, finite(x)
}
