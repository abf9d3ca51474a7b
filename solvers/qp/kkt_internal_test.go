package qp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func TestRowScales(t *testing.T) {
	d := &data{n: 2, neq: 1, m: 3,
		a: []float64{3, -1},
		g: []float64{0, 0, 1e-6, 2e-7, -1e100, 5}}
	e := rowScales(d)
	require.Len(t, e, 4)
	require.Equal(t, 1.0, e[1], "a zero row is left alone")
	for i, r := range []float64{3, 0, 1e-6, 1e100} {
		if r == 0 {
			continue
		}
		// Powers of two, bringing the row's ∞-norm into [1/√2, √2).
		f, _ := math.Frexp(e[i])
		require.Equal(t, 0.5, f, "row %d: factor %g is not a power of two", i, e[i])
		require.GreaterOrEqual(t, r*e[i], math.Sqrt2/2-1e-15)
		require.Less(t, r*e[i], math.Sqrt2)
	}
	// Extreme rows stay finite.
	d.g[2] = math.SmallestNonzeroFloat64
	d.g[3] = 0
	d.g[4] = math.MaxFloat64
	e = rowScales(d)
	for _, v := range e {
		require.False(t, math.IsInf(v, 0) || v == 0)
	}
	// Rows within a factor 64 of each other are not scaled.
	require.Nil(t, rowScales(&data{n: 2, m: 2, g: []float64{1, 0, 0, 50}}))
}

// Warm starts are given in the user's units and must be mapped into the
// equilibrated problem: a warm start from a nearby solution helps.
func TestWarmStartBadlyScaled(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	pb := badlyScaled(rng, 30, 5, 40, 1e5)
	require.NotNil(t, rowScales(mustData(t, pb)))
	checkWarmStart(t, rng, pb)
}

// The per-iteration factor with the equality columns eliminated once must
// be the factor of the full matrix; redundant equalities fall back.
func TestEliminateEqualities(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for _, c := range [][3]int{{20, 5, 12}, {15, 7, 0}, {30, 10, 40}} {
		pb := randomQP(rng, c[0], c[1], c[2])
		d := mustData(t, pb)
		p, err := prepare(d)
		require.NoError(t, err)
		require.Equal(t, modeDual, p.mode)
		require.NotNil(t, p.lead)
		_, withLead := p.instantiate(d)
		_, full := p.instantiate(d)
		full.lead = nil
		w := make([]float64, c[2])
		for i := range w {
			w[i] = math.Exp(4 * rng.NormFloat64())
		}
		require.True(t, withLead.factor(w))
		require.True(t, full.factor(w))
		k := c[1] + c[2]
		for i := range k {
			for j := 0; j <= i; j++ {
				a, b := withLead.f[i*k+j], full.f[i*k+j]
				require.InDelta(t, b, a, 1e-9*math.Max(1, math.Abs(b)), "(%d,%d)", i, j)
			}
		}
	}
	// A duplicated equality row makes the equality block singular.
	pb := randomQP(rng, 10, 3, 6)
	a := pb.A.(*mat.Dense)
	a.SetRow(2, mat.Row(nil, 0, a))
	pb.B[2] = pb.B[0]
	p, err := prepare(mustData(t, pb))
	require.NoError(t, err)
	require.Nil(t, p.lead)
	sol, err := Solve(context.Background(), pb, nil)
	require.NoError(t, err)
	require.Less(t, sol.Residuals.Max(), 1e-8)
}
