package pto

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/lp"
	"github.com/optlayers/optlayers/solvers/perturbed"
)

// LP is the oracle of a linear program over any fixed polytope,
//
//	optimize cᵀw  subject to  A w = b,  G w ≤ h,  l ≤ w ≤ u,
//
// solved by the interior point of package solvers/lp (the template's C
// gives only the dimension). At ties the interior point returns a point of
// the optimal face, which has the optimal cost. It implements
// [Polyhedral], so QPTL can smooth it.
type LP struct {
	template *lp.Problem
	oracle   perturbed.Oracle
	sense    Sense
}

// NewLP checks the polytope and returns its oracle with the given sense.
func NewLP(template *lp.Problem, sense Sense) (*LP, error) {
	if template == nil || len(template.C) == 0 {
		return nil, fmt.Errorf("%w: empty LP", ErrInvalid)
	}
	if sense != Minimize && sense != Maximize {
		return nil, fmt.Errorf("%w: unknown Sense %d", ErrInvalid, int(sense))
	}
	o, err := lp.NewOracle(template, nil)
	if err != nil {
		return nil, err
	}
	t := *template
	t.C = make([]float64, len(template.C))
	return &LP{template: &t, oracle: o, sense: sense}, nil
}

// Dim returns the number of variables.
func (l *LP) Dim() int { return len(l.template.C) }

// Sense returns the sense given to NewLP.
func (l *LP) Sense() Sense { return l.sense }

// Solve implements [Oracle].
func (l *LP) Solve(ctx context.Context, dst, c []float64) (float64, error) {
	n := l.Dim()
	if err := checkCost(c, n); err != nil {
		return 0, err
	}
	if len(dst) != n {
		return 0, fmt.Errorf("%w: dst has length %d, want %d", ErrDims, len(dst), n)
	}
	q := c
	if l.sense == Maximize {
		q = make([]float64, n)
		for i, v := range c {
			q[i] = -v
		}
	}
	if err := l.oracle(ctx, dst, q); err != nil {
		return 0, err
	}
	return dot(c, dst), nil
}

// Polyhedron returns the constraints with finite bounds appended to G as
// rows ±e_i.
func (l *LP) Polyhedron() (*mat.Dense, []float64, *mat.Dense, []float64) {
	t := l.template
	n := l.Dim()
	var A *mat.Dense
	if len(t.B) > 0 {
		A = mat.DenseCopyOf(t.A)
	}
	var rows [][]float64
	var h []float64
	for i := range t.H {
		rows = append(rows, mat.Row(nil, i, t.G))
		h = append(h, t.H[i])
	}
	for i := 0; i < n; i++ {
		if t.Upper != nil && !math.IsInf(t.Upper[i], 1) {
			r := make([]float64, n)
			r[i] = 1
			rows, h = append(rows, r), append(h, t.Upper[i])
		}
		if t.Lower != nil && !math.IsInf(t.Lower[i], -1) {
			r := make([]float64, n)
			r[i] = -1
			rows, h = append(rows, r), append(h, -t.Lower[i])
		}
	}
	if len(rows) == 0 {
		return A, t.B, nil, nil
	}
	G := mat.NewDense(len(rows), n, nil)
	for i, r := range rows {
		G.SetRow(i, r)
	}
	return A, t.B, G, h
}
