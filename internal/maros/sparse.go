package maros

import (
	"math"
	"math/big"

	"github.com/optlayers/optlayers/solvers/qp"
)

// Sparse returns the case in the double-sided sparse form of
// qp.SolveSparse (the model's matrices are shared, not copied).
func (c *Case) Sparse() *qp.SparseProblem {
	m := c.Model
	return &qp.SparseProblem{Q: m.Q, P: m.C, A: m.A, L: m.RowLower, U: m.RowUpper, LB: m.ColLower, UB: m.ColUpper}
}

// CheckSparse recomputes the benchmark's residuals of (x, y, z) on the
// double-sided problem pb exactly (512-bit sums rounded once), with the
// multipliers signed as qp.SparseSolution's (y_i > 0 on an active upper
// side):
//
//	Primal = the largest violation of L ≤ Ax ≤ U and LB ≤ x ≤ UB
//	Dual   = max(‖Qx + p + Aᵀy + z‖∞, the largest multiplier whose sign
//	         points at an infinite side)
//	Gap    = |xᵀQx + pᵀx + Σ (U_i y_i⁺ − L_i y_i⁻) + Σ (UB_j z_j⁺ − LB_j z_j⁻)|
//
// which are those of Check on the dense form (a row with U − L < 1e-10
// is an equality at U there; here its multiplier's term uses U or L by
// its sign, which differ by less than 1e-10·|y_i|).
func CheckSparse(pb *qp.SparseProblem, x, y, z []float64) Residuals {
	n, m := pb.Dims()
	inf := Residuals{math.Inf(1), math.Inf(1), math.Inf(1)}
	if len(x) != n || len(y) != m || len(z) != n {
		return inf
	}
	for _, v := range [][]float64{x, y, z} {
		for _, e := range v {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return inf
			}
		}
	}
	newF := func() *big.Float { return new(big.Float).SetPrec(512) }
	tmp := newF()
	addProd := func(acc *big.Float, a, b float64) {
		tmp.SetFloat64(a)
		acc.Add(acc, tmp.Mul(tmp, newF().SetFloat64(b)))
	}
	at := func(v []float64, i int, def float64) float64 {
		if v == nil {
			return def
		}
		return v[i]
	}
	var r Residuals
	rd := make([]*big.Float, n)
	for j := range rd {
		rd[j] = newF()
	}
	gap := newF()
	if pb.Q != nil {
		qx := make([]*big.Float, n)
		for j := range qx {
			qx[j] = newF()
		}
		cp, ri, v := pb.Q.Upper().Raw()
		for j := range n {
			for p := cp[j]; p < cp[j+1]; p++ {
				i := ri[p]
				addProd(qx[i], v[p], x[j])
				if i != j {
					addProd(qx[j], v[p], x[i])
				}
			}
		}
		for j := range n {
			rd[j].Add(rd[j], qx[j])
			gap.Add(gap, newF().Mul(qx[j], newF().SetFloat64(x[j])))
		}
	}
	side := func(mult, lo, up float64) {
		switch {
		case lo == up:
			addProd(gap, up, mult)
		case mult > 0 && math.IsInf(up, 1):
			r.Dual = math.Max(r.Dual, mult)
		case mult > 0:
			addProd(gap, up, mult)
		case mult < 0 && math.IsInf(lo, -1):
			r.Dual = math.Max(r.Dual, -mult)
		case mult < 0:
			addProd(gap, lo, mult)
		}
	}
	viol := func(t *big.Float, lo, up float64) {
		if !math.IsInf(up, 1) {
			v, _ := newF().Sub(t, newF().SetFloat64(up)).Float64()
			r.Primal = math.Max(r.Primal, v)
		}
		if !math.IsInf(lo, -1) {
			v, _ := newF().Sub(newF().SetFloat64(lo), t).Float64()
			r.Primal = math.Max(r.Primal, v)
		}
	}
	for j := range n {
		rd[j].Add(rd[j], newF().SetFloat64(pb.P[j]))
		rd[j].Add(rd[j], newF().SetFloat64(z[j]))
		addProd(gap, pb.P[j], x[j])
		lo, up := at(pb.LB, j, math.Inf(-1)), at(pb.UB, j, math.Inf(1))
		side(z[j], lo, up)
		viol(newF().SetFloat64(x[j]), lo, up)
	}
	if pb.A != nil {
		at2 := pb.A.Transpose()
		cp, ri, v := at2.Raw()
		for i := range m {
			ax := newF()
			for p := cp[i]; p < cp[i+1]; p++ {
				addProd(ax, v[p], x[ri[p]])
				addProd(rd[ri[p]], v[p], y[i])
			}
			lo, up := at(pb.L, i, math.Inf(-1)), at(pb.U, i, math.Inf(1))
			side(y[i], lo, up)
			viol(ax, lo, up)
		}
	}
	for j := range n {
		v, _ := rd[j].Float64()
		r.Dual = math.Max(r.Dual, math.Abs(v))
	}
	g, _ := gap.Float64()
	r.Gap = math.Abs(g)
	for _, v := range []float64{r.Primal, r.Dual, r.Gap} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return inf
		}
	}
	return r
}
