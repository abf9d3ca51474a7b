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
// (correctGap) when that lowers the merit, and marks it solved when the
// acceptance test then passes.
func (a *sparseAcceptance) improveGap(r *spResult) {
	if r.ok || r.canceled || r.x == nil {
		return
	}
	if ny, nz, m, res, ok := a.correctGap(r.x, r.y, r.z); ok && m < r.merit {
		r.y, r.z, r.merit, r.res = ny, nz, m, res
		r.ok = m <= 1
	}
}

// ulp returns the spacing of the floats at v.
func ulp(v float64) float64 {
	v = math.Abs(v)
	return math.Nextafter(v, math.Inf(1)) - v
}
