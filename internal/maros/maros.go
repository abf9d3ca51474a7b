// Package maros loads problems of the Maros–Mészáros convex QP test set
// (or any QPS file) into the dense form of solvers/qp and judges a solve
// the way the public QP benchmark (qpbenchmark) does: a success status
// and the primal residual, dual residual and duality gap, recomputed here
// from x, ν, λ and the data, each at most the tolerance (absolute).
//
// The residuals are computed by this package from the problem matrices,
// independently of the solver's own Solution.Residuals.
package maros

import (
	"fmt"
	"math"
	"math/big"
	"path/filepath"
	"strings"

	"github.com/optlayers/optlayers/solvers/mps"
	"github.com/optlayers/optlayers/solvers/qp"

	"gonum.org/v1/gonum/mat"
)

// Case is one problem of the test set. Its QP method gives it in the dense
// form
//
//	minimize ½xᵀQx + pᵀx (+ Constant)  s.t.  Ax = b,  Gx ≤ h,
//
// obtained as the benchmark does: rows with u − l < 1e-10 become
// equalities, every finite side of the other rows an inequality, and every
// finite variable bound a row of G (a variable with lb = ub an equality).
type Case struct {
	Name     string
	Model    *mps.Model // in minimization form
	Constant float64
	// Vars, Rows and Bounds are the benchmark's size measures: variables,
	// constraint rows (A and G from the model's rows) and bound rows.
	Vars, Rows, Bounds int
}

// Dense reports whether the case is in the benchmark's dense subset: at
// most 1000 variables and at most 1000 constraints, counting equalities,
// inequalities and one row per variable for its bounds.
func (c *Case) Dense() bool { return c.Vars <= 1000 && c.Rows+c.Vars <= 1000 }

// LoadFile reads a QPS or MPS file (gzipped or not).
func LoadFile(path string) (*Case, error) {
	m, err := mps.ReadFile(path, nil)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".gz"), ".qps")
	return FromModel(name, m)
}

// FromModel wraps a model (see Case).
func FromModel(name string, m *mps.Model) (*Case, error) {
	m = m.Minimized()
	n := m.NumCols()
	if n == 0 {
		return nil, fmt.Errorf("maros: %s has no variables", name)
	}
	c := &Case{Name: name, Model: m, Constant: m.ObjConstant, Vars: n}
	for i := range m.NumRows() {
		lo, up := m.RowLower[i], m.RowUpper[i]
		switch {
		case up-lo < 1e-10 && !math.IsInf(lo, 0):
			c.Rows++
		default:
			if !math.IsInf(up, 1) {
				c.Rows++
			}
			if !math.IsInf(lo, -1) {
				c.Rows++
			}
		}
	}
	for j := range n {
		lo, up := m.ColLower[j], m.ColUpper[j]
		if !math.IsInf(lo, -1) {
			c.Bounds++
		}
		if !math.IsInf(up, 1) && !(up-lo < 1e-10) {
			c.Bounds++
		}
	}
	return c, nil
}

// QP returns the case in the dense form of solvers/qp (n² + (rows)·n
// numbers: only for small problems).
func (c *Case) QP() *qp.Problem {
	m := c.Model
	n := m.NumCols()
	a := m.A.Dense()
	var aRows, gRows [][]float64
	var b, h []float64
	for i := range m.NumRows() {
		lo, up := m.RowLower[i], m.RowUpper[i]
		row := mat.Row(nil, i, a)
		switch {
		case up-lo < 1e-10 && !math.IsInf(lo, 0):
			aRows = append(aRows, row)
			b = append(b, up)
		default:
			if !math.IsInf(up, 1) {
				gRows = append(gRows, row)
				h = append(h, up)
			}
			if !math.IsInf(lo, -1) {
				neg := make([]float64, n)
				for j, v := range row {
					neg[j] = -v
				}
				gRows = append(gRows, neg)
				h = append(h, -lo)
			}
		}
	}
	for j := range n {
		lo, up := m.ColLower[j], m.ColUpper[j]
		e := make([]float64, n)
		switch {
		case up-lo < 1e-10 && !math.IsInf(lo, 0):
			e[j] = 1
			aRows = append(aRows, e)
			b = append(b, up)
		default:
			if !math.IsInf(up, 1) {
				e[j] = 1
				gRows = append(gRows, e)
				h = append(h, up)
			}
			if !math.IsInf(lo, -1) {
				f := make([]float64, n)
				f[j] = -1
				gRows = append(gRows, f)
				h = append(h, -lo)
			}
		}
	}
	pb := &qp.Problem{P: append([]float64(nil), m.C...), B: b, H: h}
	if m.Q != nil {
		pb.Q = m.Q.Dense()
	}
	if len(aRows) > 0 {
		pb.A = stack(aRows, n)
	}
	if len(gRows) > 0 {
		pb.G = stack(gRows, n)
	}
	return pb
}

func stack(rows [][]float64, n int) *mat.Dense {
	d := mat.NewDense(len(rows), n, nil)
	for i, r := range rows {
		d.SetRow(i, r)
	}
	return d
}

// Residuals are the benchmark's measures of a point (x, ν, λ):
//
//	Primal = max(‖Ax − b‖∞, max(Gx − h)₊)
//	Dual   = max(‖Qx + p + Aᵀν + Gᵀλ‖∞, max(−λ)₊)
//	Gap    = |xᵀQx + pᵀx + bᵀν + hᵀλ|
//
// With the bounds as rows of G, hᵀλ holds the benchmark's box term.
type Residuals struct{ Primal, Dual, Gap float64 }

// Check recomputes the residuals of (x, ν, λ) on pb (finite data; any NaN
// or Inf in the point gives infinite residuals), exactly: every sum is
// accumulated in 512-bit floating point (math/big) and rounded once, so
// the result does not depend on the order of summation and a gap of 1e-9
// between objective terms of 1e7 is not lost in rounding.
func Check(pb *qp.Problem, x, nu, lam []float64) Residuals {
	n := len(pb.P)
	var r Residuals
	for _, v := range [][]float64{x, nu, lam} {
		for _, e := range v {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return Residuals{math.Inf(1), math.Inf(1), math.Inf(1)}
			}
		}
	}
	newF := func() *big.Float { return new(big.Float).SetPrec(512) }
	prod := newF()
	addProd := func(acc *big.Float, a, b float64) {
		prod.SetFloat64(a)
		acc.Add(acc, prod.Mul(prod, newF().SetFloat64(b)))
	}
	rd := make([]*big.Float, n)
	gap := newF()
	for i := range n {
		rd[i] = newF()
		if pb.Q != nil {
			for j := range n {
				if q := pb.Q.At(i, j); q != 0 {
					addProd(rd[i], q, x[j])
				}
			}
			// x_i·(Qx)_i with the exact (Qx)_i.
			t := newF().Mul(rd[i], newF().SetFloat64(x[i]))
			gap.Add(gap, t)
		}
		rd[i].Add(rd[i], newF().SetFloat64(pb.P[i]))
		addProd(gap, pb.P[i], x[i])
	}
	rows := func(c mat.Matrix, rhs, mult []float64, eq bool) {
		for k := range rhs {
			ax := newF()
			for j := range n {
				if v := c.At(k, j); v != 0 {
					addProd(ax, v, x[j])
					addProd(rd[j], v, mult[k])
				}
			}
			ax.Sub(ax, newF().SetFloat64(rhs[k]))
			v, _ := ax.Float64()
			if eq {
				v = math.Abs(v)
			}
			r.Primal = math.Max(r.Primal, v)
			addProd(gap, rhs[k], mult[k])
		}
	}
	if len(pb.B) > 0 {
		rows(pb.A, pb.B, nu, true)
	}
	if len(pb.H) > 0 {
		rows(pb.G, pb.H, lam, false)
	}
	for i := range n {
		v, _ := rd[i].Float64()
		r.Dual = math.Max(r.Dual, math.Abs(v))
	}
	for _, v := range lam {
		// A negative multiplier of an inequality is dual infeasible.
		r.Dual = math.Max(r.Dual, -v)
	}
	g, _ := gap.Float64()
	r.Gap = math.Abs(g)
	for _, v := range []float64{r.Primal, r.Dual, r.Gap} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Residuals{math.Inf(1), math.Inf(1), math.Inf(1)}
		}
	}
	return r
}

// Passes reports whether every residual is at most tol.
func (r Residuals) Passes(tol float64) bool {
	return r.Primal <= tol && r.Dual <= tol && r.Gap <= tol
}
