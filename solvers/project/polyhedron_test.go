package project

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/qp"
)

// The simplex and a box written as polyhedra: the QP-based projection and
// its KKT derivatives agree with the closed forms.
func TestPolyhedronMatchesClosedForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	n := 6
	negI := mat.NewDense(n, n, nil)
	for i := range n {
		negI.Set(i, i, -1)
	}
	ones := mat.NewDense(1, n, nil)
	for j := range n {
		ones.Set(0, j, 1)
	}
	r := 1.5
	simplexPoly, err := NewPolyhedron(negI, make([]float64, n), ones, []float64{r}, nil)
	require.NoError(t, err)
	boxG := mat.NewDense(2*n, n, nil)
	boxH := make([]float64, 2*n)
	lo, hi := randVec(rng, n, 1), make([]float64, n)
	for i := range n {
		hi[i] = lo[i] + 0.5 + rng.Float64()
		boxG.Set(i, i, 1)
		boxH[i] = hi[i]
		boxG.Set(n+i, i, -1)
		boxH[n+i] = -lo[i]
	}
	boxPoly, err := NewPolyhedron(boxG, boxH, nil, nil, nil)
	require.NoError(t, err)
	pairs := []struct {
		name   string
		poly   *Polyhedron
		closed Set
	}{
		{"simplex", simplexPoly, Simplex{Radius: r}},
		{"box", boxPoly, Box{Lower: lo, Upper: hi}},
	}
	checked := 0
	for _, pr := range pairs {
		for range 10 {
			y := randVec(rng, n, 1.5)
			if nearKink(t, pr.closed, y, 1e-3) {
				continue
			}
			x := make([]float64, n)
			want := make([]float64, n)
			require.NoError(t, pr.poly.Project(x, y))
			require.NoError(t, pr.closed.Project(want, y))
			assert.InDeltaSlice(t, want, x, 1e-12, pr.name)
			v := randVec(rng, n, 1)
			got := make([]float64, n)
			require.NoError(t, pr.poly.JVP(got, x, y, v))
			require.NoError(t, pr.closed.JVP(want, want, y, v))
			assert.InDeltaSlice(t, want, got, 1e-12, "%s JVP", pr.name)
			require.NoError(t, pr.poly.VJP(got, x, y, v))
			assert.InDeltaSlice(t, want, got, 1e-12, "%s VJP", pr.name)
			checked++
		}
	}
	assert.Greater(t, checked, 10)
}

// A random polytope with equalities: the projection satisfies its KKT
// conditions, the Jacobian is the null-space projector of the active
// constraints and matches central differences.
func TestPolyhedronRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	n, m, p := 7, 12, 2
	checked := 0
	for trial := range 12 {
		g := mat.NewDense(m, n, randVec(rng, m*n, 1))
		z0 := randVec(rng, n, 1)
		h := make([]float64, m)
		for i := range m {
			h[i] = floats.Dot(g.RawRowView(i), z0) + 0.1 + rng.Float64()
		}
		a := mat.NewDense(p, n, randVec(rng, p*n, 1))
		b := make([]float64, p)
		for i := range p {
			b[i] = floats.Dot(a.RawRowView(i), z0)
		}
		poly, err := NewPolyhedron(g, h, a, b, nil)
		require.NoError(t, err)
		y := randVec(rng, n, 3)
		sol, err := poly.Solve(context.Background(), y)
		require.NoError(t, err)
		x := make([]float64, n)
		require.NoError(t, poly.Project(x, y))
		assert.InDeltaSlice(t, sol.X, x, 1e-6) // interior point vs polished
		// Active set from the multipliers; skip weakly active instances.
		var rows [][]float64
		for i := range p {
			rows = append(rows, a.RawRowView(i))
		}
		weak := false
		for i := range m {
			slack := h[i] - floats.Dot(g.RawRowView(i), x)
			switch {
			case sol.Lambda[i] > 1e-5 && slack < 1e-7:
				rows = append(rows, g.RawRowView(i))
			case sol.Lambda[i] <= 1e-5 && slack >= 1e-5:
			default:
				weak = true
			}
		}
		if weak {
			continue
		}
		act := mat.NewDense(len(rows), n, nil)
		for i, row := range rows {
			act.SetRow(i, row)
		}
		// J = I − Ãᵀ(ÃÃᵀ)⁻¹Ã.
		var aat, inv, tmp, jn mat.Dense
		aat.Mul(act, act.T())
		require.NoError(t, inv.Inverse(&aat))
		tmp.Mul(act.T(), &inv)
		jn.Mul(&tmp, act)
		jn.Sub(eye(n), &jn)
		j := denseJacobian(t, poly, x, y, false)
		assert.True(t, mat.EqualApprox(&jn, j, 1e-10), "trial %d: null-space Jacobian\n%v\nKKT\n%v", trial,
			mat.Formatted(&jn), mat.Formatted(j))
		jt := denseJacobian(t, poly, x, y, true)
		assert.True(t, mat.EqualApprox(jt, j, 1e-12), "trial %d VJP", trial)
		// The KKT fallback (derivatives of the interior-point solution)
		// agrees to the accuracy of the interior point.
		kkt := &polyState{y: y, x: sol.X, sol: sol}
		poly.mu.Lock()
		poly.last = kkt
		poly.mu.Unlock()
		jk := denseJacobian(t, poly, sol.X, y, false)
		assert.True(t, mat.EqualApprox(jk, j, 1e-5), "trial %d KKT fallback\n%v", trial, mat.Formatted(jk))
		require.NoError(t, poly.Project(x, y))
		fdj := mat.NewDense(n, n, nil)
		fdj.Copy(fdJacobian(t, poly, y))
		assert.True(t, mat.EqualApprox(fdj, j, 1e-7), "trial %d FD", trial)
		checked++
	}
	assert.GreaterOrEqual(t, checked, 6)
}

func TestPolyhedronErrors(t *testing.T) {
	g := mat.NewDense(2, 2, []float64{1, 0, -1, 0})
	// x₀ ≤ −1 and −x₀ ≤ −1: empty.
	empty, err := NewPolyhedron(g, []float64{-1, -1}, nil, nil, nil)
	require.NoError(t, err)
	x := make([]float64, 2)
	err = empty.Project(x, []float64{0, 0})
	assert.ErrorIs(t, err, ErrInfeasible)
	assert.ErrorIs(t, err, qp.ErrInfeasible)
	_, err = NewPolyhedron(g, []float64{1}, nil, nil, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = NewPolyhedron(nil, nil, nil, nil, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = NewPolyhedron(g, []float64{1, math.NaN()}, nil, nil, nil)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = NewPolyhedron(g, []float64{1, 1}, mat.NewDense(1, 3, nil), []float64{0}, nil)
	assert.ErrorIs(t, err, ErrDims)
	ok, err := NewPolyhedron(g, []float64{1, 1}, nil, nil, nil)
	require.NoError(t, err)
	assert.ErrorIs(t, ok.Project(x, []float64{math.Inf(1), 0}), ErrNaN)
	assert.ErrorIs(t, ok.Project(x[:1], []float64{0}), ErrDims)
	require.NoError(t, ok.Project(x, []float64{3, -2}))
	assert.InDeltaSlice(t, []float64{1, -2}, x, 1e-8)
	var zero Polyhedron
	_, err = zero.Solve(context.Background(), x)
	assert.ErrorIs(t, err, ErrInvalid)
}
