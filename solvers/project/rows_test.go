package project

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

func TestRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	r, n := 37, 9
	y := mat.NewDense(r, n, randVec(rng, r*n, 1))
	v := mat.NewDense(r, n, randVec(rng, r*n, 1))
	s := Simplex{Radius: 1}
	for _, workers := range []int{1, 3, 0} {
		x := mat.NewDense(r, n, nil)
		require.NoError(t, ProjectRows(context.Background(), x, y, s, &Settings{Workers: workers}))
		jv := mat.NewDense(r, n, nil)
		require.NoError(t, JVPRows(context.Background(), jv, x, y, v, s, &Settings{Workers: workers}))
		uv := mat.NewDense(r, n, nil)
		require.NoError(t, VJPRows(context.Background(), uv, x, y, v, s, &Settings{Workers: workers}))
		for i := range r {
			want := make([]float64, n)
			require.NoError(t, s.Project(want, y.RawRowView(i)))
			assert.Equal(t, want, x.RawRowView(i))
			require.NoError(t, s.JVP(want, x.RawRowView(i), y.RawRowView(i), v.RawRowView(i)))
			assert.Equal(t, want, jv.RawRowView(i))
			assert.Equal(t, want, uv.RawRowView(i))
		}
	}
	// In place, and errors.
	yy := mat.DenseCopyOf(y)
	require.NoError(t, ProjectRows(context.Background(), yy, yy, s, &Settings{Workers: 2}))
	want := mat.NewDense(r, n, nil)
	require.NoError(t, ProjectRows(context.Background(), want, y, s, &Settings{Workers: 1}))
	assert.True(t, mat.Equal(want, yy))
	y.Set(5, 2, math.NaN())
	err := ProjectRows(context.Background(), want, y, s, &Settings{Workers: 2})
	assert.ErrorIs(t, err, ErrNaN)
	var be *implicit.BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []int{5}, be.Indices)
	assert.ErrorIs(t, ProjectRows(context.Background(), mat.NewDense(2, n, nil), y, s, &Settings{Workers: 1}), ErrDims)
	assert.ErrorIs(t, ProjectRows(context.Background(), nil, y, s, &Settings{Workers: 1}), ErrDims)
}

// A Polyhedron (with its solution cache) used from several goroutines.
func TestRowsPolyhedronConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	r, n, m := 8, 4, 6
	g := mat.NewDense(m, n, randVec(rng, m*n, 1))
	h := make([]float64, m)
	for i := range h {
		h[i] = 0.5 + rng.Float64()
	}
	poly, err := NewPolyhedron(g, h, nil, nil, nil)
	require.NoError(t, err)
	y := mat.NewDense(r, n, randVec(rng, r*n, 2))
	v := mat.NewDense(r, n, randVec(rng, r*n, 1))
	x, jv := mat.NewDense(r, n, nil), mat.NewDense(r, n, nil)
	require.NoError(t, ProjectRows(context.Background(), x, y, poly, &Settings{Workers: 3}))
	require.NoError(t, JVPRows(context.Background(), jv, x, y, v, poly, &Settings{Workers: 3}))
	for i := range r {
		want := make([]float64, n)
		require.NoError(t, poly.Project(want, y.RawRowView(i)))
		assert.InDeltaSlice(t, want, x.RawRowView(i), 1e-12)
		require.NoError(t, poly.JVP(want, want, y.RawRowView(i), v.RawRowView(i)))
		assert.InDeltaSlice(t, want, jv.RawRowView(i), 1e-12)
	}
	// The caller's ctx reaches the QP of each row.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, poly.ProjectContext(ctx, make([]float64, n), y.RawRowView(0)), context.Canceled)
	var seen []context.Context
	spy := ctxSpy{poly, &seen}
	ctx2 := context.WithValue(context.Background(), ctxKey{}, 7)
	require.NoError(t, ProjectRows(ctx2, x, y, spy, &Settings{Workers: 1}))
	require.Len(t, seen, r)
	for _, c := range seen {
		assert.Equal(t, 7, c.Value(ctxKey{}))
	}
}

type ctxKey struct{}

// ctxSpy records the contexts ProjectRows passes to ProjectContext.
type ctxSpy struct {
	*Polyhedron
	seen *[]context.Context
}

func (s ctxSpy) ProjectContext(ctx context.Context, dst, y []float64) error {
	*s.seen = append(*s.seen, ctx)
	return s.Polyhedron.ProjectContext(ctx, dst, y)
}

func TestJacobianOperator(t *testing.T) {
	y := []float64{0.9, 0.3, -0.2, 0.5}
	x := make([]float64, 4)
	s := Simplex{Radius: 1}
	require.NoError(t, s.Project(x, y))
	op := JacobianOperator(s, x, y)
	r, c := op.Dims()
	assert.Equal(t, [2]int{4, 4}, [2]int{r, c})
	v := []float64{1, 2, 3, 4}
	got, want := make([]float64, 4), make([]float64, 4)
	op.Apply(got, v)
	require.NoError(t, s.JVP(want, x, y, v))
	assert.Equal(t, want, got)
	op.ApplyT(got, v)
	assert.Equal(t, want, got)
	op.Apply(got, []float64{math.NaN(), 0, 0, 0})
	assert.True(t, math.IsNaN(got[0]))
}
