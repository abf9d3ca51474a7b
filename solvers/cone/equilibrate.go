package cone

import (
	"math"

	"github.com/optlayers/optlayers/internal/dense"
	"github.com/optlayers/optlayers/sparse"
)

// Ruiz equilibration of the cone program (Ruiz, "A scaling algorithm to
// equilibrate both rows and columns norms in matrices", RAL-TR-2001-034;
// as used by OSQP and Clarabel). The scaled problem is
//
//	Q̃ = c·DQD,  p̃ = c·Dp,  Ã = EAD,  b̃ = Eb,
//
// with D = diag(d) on the variables, E = diag(e) on the rows and a cost
// scale c; its solution maps back by x = Dx̃, s = E⁻¹s̃, y = Ey/c. E is
// constant on every block whose cone is not invariant under a positive
// diagonal scaling (second-order, PSD, exponential, power): there the
// block's rows share one scale, the geometric mean of what Ruiz would give
// them, so s̃ ∈ K exactly when s ∈ K.

const (
	ruizIter     = 15
	ruizMinScale = 1e-4
	ruizMaxScale = 1e4
)

// equilibration holds the scales and the scaled data.
type equilibration struct {
	d, e []float64
	c    float64
	q    *sparse.SymCSC // nil for a linear objective
	p    []float64
	a    *sparse.CSC
	at   *sparse.CSC // Ãᵀ
	b    []float64
}

func clampScale(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1
	}
	return math.Min(ruizMaxScale, math.Max(ruizMinScale, v))
}

// equilibrate scales the problem's data; blocks lists the cone blocks.
func equilibrate(pb *Problem, blocks []block) *equilibration {
	n, m := pb.Dims()
	eq := &equilibration{d: ones(n), e: ones(m), c: 1}
	a := pb.A.Clone()
	var q *sparse.SymCSC
	if pb.Q != nil && pb.Q.NNZ() > 0 {
		q = pb.Q.Clone()
	}
	colN := make([]float64, n)
	qN := make([]float64, n)
	rowN := make([]float64, m)
	dd := make([]float64, n)
	de := make([]float64, m)
	for range ruizIter {
		_ = a.ColNormsInf(colN)
		if q != nil {
			_ = q.ColNormsInf(qN)
			for j := range colN {
				colN[j] = math.Max(colN[j], qN[j])
			}
		}
		_ = a.RowNormsInf(rowN)
		done := true
		for j := range n {
			dd[j] = clampScale(1 / math.Sqrt(colN[j]))
			if colN[j] == 0 {
				dd[j] = 1
			}
			if math.Abs(1-colN[j]) > 0.1 {
				done = false
			}
		}
		for i := range m {
			de[i] = clampScale(1 / math.Sqrt(rowN[i]))
			if rowN[i] == 0 {
				de[i] = 1
			}
			if math.Abs(1-rowN[i]) > 0.1 {
				done = false
			}
		}
		for _, bk := range blocks {
			if bk.kind == bkZero || bk.kind == bkNonneg {
				continue
			}
			// One scale per block: the geometric mean.
			lg := 0.0
			for i := bk.lo; i < bk.hi; i++ {
				lg += dense.Log(de[i])
			}
			g := math.Exp(lg / float64(bk.hi-bk.lo))
			for i := bk.lo; i < bk.hi; i++ {
				de[i] = g
			}
		}
		if done {
			break
		}
		_ = a.ScaleRows(de)
		_ = a.ScaleCols(dd)
		if q != nil {
			_ = q.ScaleSym(dd)
		}
		for j := range n {
			eq.d[j] *= dd[j]
		}
		for i := range m {
			eq.e[i] *= de[i]
		}
	}
	// Keep the accumulated scales within the clamp (the per-iteration
	// clamp bounds each factor only).
	eq.p = make([]float64, n)
	for j := range n {
		eq.p[j] = eq.d[j] * pb.P[j]
	}
	// Cost scaling: the objective's gradient data to order one.
	cs := normInf(eq.p)
	if q != nil {
		_ = q.ColNormsInf(qN)
		mean := 0.0
		for _, v := range qN {
			mean += v
		}
		mean /= float64(n)
		cs = math.Max(cs, mean)
	}
	eq.c = clampScale(1 / math.Max(cs, 1e-300))
	if cs == 0 {
		eq.c = 1
	}
	for j := range n {
		eq.p[j] *= eq.c
	}
	if q != nil {
		sc := make([]float64, n)
		for j := range sc {
			sc[j] = math.Sqrt(eq.c)
		}
		_ = q.ScaleSym(sc)
	}
	eq.q = q
	eq.a = a
	eq.at = a.Transpose()
	eq.b = make([]float64, m)
	for i := range m {
		eq.b[i] = eq.e[i] * pb.B[i]
	}
	return eq
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

func normInf(v []float64) float64 { return dense.MaxAbs(v) }
