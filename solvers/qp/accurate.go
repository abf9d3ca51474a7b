package qp

import "math"

// The residuals that decide a status are evaluated in double-double
// arithmetic (error-free transformations: Knuth's TwoSum and the FMA
// product error, as in Ogita, Rump & Oishi, "Accurate sum and dot
// product", SIAM J. Sci. Comput. 26, 2005): a duality gap of 10⁻⁹ between
// objective terms of 10⁷ is then computed to about 10⁻¹⁶·10⁷·10⁻⁷, far below
// the tolerance, instead of to the 10⁻⁹ rounding level of a plain sum.

// dd is an unevaluated sum hi + lo.
type dd struct{ hi, lo float64 }

// add adds v exactly (up to the final rounding of lo).
func (a *dd) add(v float64) {
	s := a.hi + v
	z := s - a.hi
	a.lo += (a.hi - (s - z)) + (v - z)
	a.hi = s
}

// addProd adds x·y with its rounding error.
func (a *dd) addProd(x, y float64) {
	p := x * y
	a.add(p)
	a.lo += math.FMA(x, y, -p)
}

func (a dd) value() float64 { return a.hi + a.lo }

// accurateResiduals evaluates the primal and dual residuals and the gap of
// (x, ν, λ) on d in double-double arithmetic (see kktResiduals).
func accurateResiduals(d *data, x, nu, lam []float64, mub float64) Residuals {
	n := d.n
	var r Residuals
	rd := make([]dd, n)
	// Qx, row by row (Q symmetric: row i is column i).
	var gap dd
	if d.qIdentity || d.q != nil {
		q := d.fullQ()
		for i := range n {
			var acc dd
			if d.qIdentity {
				acc.add(x[i])
			} else {
				row := q[i*n : (i+1)*n]
				for j, v := range row {
					acc.addProd(v, x[j])
				}
			}
			gap.addProd(x[i], acc.hi)
			gap.addProd(x[i], acc.lo)
			rd[i] = acc
		}
	}
	for i, v := range d.p {
		rd[i].add(v)
		gap.addProd(v, x[i])
	}
	// Aᵀν and Ax − b.
	for k := range d.neq {
		row := d.a[k*n : (k+1)*n]
		var ax dd
		for j, v := range row {
			rd[j].addProd(v, nu[k])
			ax.addProd(v, x[j])
		}
		ax.add(-d.b[k])
		r.Primal = math.Max(r.Primal, math.Abs(ax.value()))
		gap.addProd(d.b[k], nu[k])
	}
	for k := range d.m {
		row := d.g[k*n : (k+1)*n]
		var gx dd
		for j, v := range row {
			rd[j].addProd(v, lam[k])
			gx.addProd(v, x[j])
		}
		gx.add(-d.h[k])
		slack := -gx.value()
		r.Primal = math.Max(r.Primal, -slack)
		r.Complementarity = math.Max(r.Complementarity, math.Abs(lam[k]*slack-mub))
		gap.addProd(d.h[k], lam[k])
	}
	for _, v := range rd {
		r.Dual = math.Max(r.Dual, math.Abs(v.value()))
	}
	r.Gap = math.Abs(gap.value())
	if !finite([]float64{r.Primal, r.Dual, r.Complementarity, r.Gap}) {
		r = Residuals{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)}
	}
	return r
}
