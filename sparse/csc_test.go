package sparse

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randomTriplets returns nnz triplets of a rows×cols matrix (with
// duplicates) and the dense matrix they sum to.
func randomTriplets(rng *rand.Rand, rows, cols, nnz int) (ri, ci []int, v []float64, d *mat.Dense) {
	d = mat.NewDense(rows, cols, nil)
	for k := 0; k < nnz; k++ {
		i, j := rng.IntN(rows), rng.IntN(cols)
		x := rng.NormFloat64()
		ri, ci, v = append(ri, i), append(ci, j), append(v, x)
		d.Set(i, j, d.At(i, j)+x)
	}
	return ri, ci, v, d
}

func randVec(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func assertVecNear(t *testing.T, want, got []float64, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		assert.InDelta(t, want[i], got[i], tol*(1+math.Abs(want[i])), "index %d", i)
	}
}

func TestCSCAgainstDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 40; trial++ {
		rows, cols := 1+rng.IntN(30), 1+rng.IntN(30)
		nnz := rng.IntN(rows*cols + 10)
		ri, ci, v, d := randomTriplets(rng, rows, cols, nnz)
		a, err := FromTriplets(rows, cols, ri, ci, v, nil)
		require.NoError(t, err)
		r, c := a.Dims()
		require.Equal(t, rows, r)
		require.Equal(t, cols, c)
		// Structure is valid: NewCSC accepts a copy of it.
		cp, rix, vals := a.Raw()
		_, err = NewCSC(rows, cols, append([]int(nil), cp...), append([]int(nil), rix...), append([]float64(nil), vals...))
		require.NoError(t, err)

		assert.True(t, mat.EqualApprox(d, a.Dense(), 1e-14))
		assert.True(t, mat.EqualApprox(d, a, 1e-14), "At")
		assert.True(t, mat.EqualApprox(d.T(), a.Transpose().Dense(), 1e-14))
		assert.True(t, mat.EqualApprox(d.T(), a.T(), 1e-14))

		// Used as a mat.Matrix by gonum.
		var prod mat.Dense
		prod.Mul(a.T(), a)
		var want mat.Dense
		want.Mul(d.T(), d)
		assert.True(t, mat.EqualApprox(&want, &prod, 1e-12))

		x := randVec(rng, cols)
		y := make([]float64, rows)
		require.NoError(t, a.MulVec(y, x))
		var wy mat.VecDense
		wy.MulVec(d, mat.NewVecDense(cols, x))
		assertVecNear(t, wy.RawVector().Data, y, 1e-13)

		u := randVec(rng, rows)
		z := make([]float64, cols)
		require.NoError(t, a.MulTransVec(z, u))
		var wz mat.VecDense
		wz.MulVec(d.T(), mat.NewVecDense(rows, u))
		assertVecNear(t, wz.RawVector().Data, z, 1e-13)

		// Scaled variants: dst = α A x + β dst.
		alpha, beta := rng.NormFloat64(), rng.NormFloat64()
		y0 := randVec(rng, rows)
		y = append([]float64(nil), y0...)
		require.NoError(t, a.MulVecScaled(y, alpha, x, beta))
		for i := range y0 {
			y0[i] = alpha*wy.AtVec(i) + beta*y0[i]
		}
		assertVecNear(t, y0, y, 1e-13)
		z0 := randVec(rng, cols)
		z = append([]float64(nil), z0...)
		require.NoError(t, a.MulTransVecScaled(z, alpha, u, beta))
		for j := range z0 {
			z0[j] = alpha*wz.AtVec(j) + beta*z0[j]
		}
		assertVecNear(t, z0, z, 1e-13)

		// Infinity norms.
		cn := make([]float64, cols)
		rn := make([]float64, rows)
		require.NoError(t, a.ColNormsInf(cn))
		require.NoError(t, a.RowNormsInf(rn))
		for j := 0; j < cols; j++ {
			assert.Equal(t, mat.Norm(d.ColView(j), math.Inf(1)), cn[j])
		}
		for i := 0; i < rows; i++ {
			assert.Equal(t, mat.Norm(d.RowView(i), math.Inf(1)), rn[i])
		}

		// Scaling: diag(dr) A diag(dc).
		dr, dc := randVec(rng, rows), randVec(rng, cols)
		s := a.Clone()
		require.NoError(t, s.ScaleRows(dr))
		require.NoError(t, s.ScaleCols(dc))
		var ws mat.Dense
		ws.Mul(mat.NewDiagDense(rows, dr), d)
		ws.Mul(&ws, mat.NewDiagDense(cols, dc))
		assert.True(t, mat.EqualApprox(&ws, s.Dense(), 1e-13))
		assert.True(t, mat.EqualApprox(d, a.Dense(), 1e-14), "Clone shares no storage")

		// Dense → sparse round trip.
		b, err := FromDense(d)
		require.NoError(t, err)
		assert.True(t, mat.Equal(d, b.Dense()))
	}
}

func TestFromTripletsDuplicatesAndZeros(t *testing.T) {
	ri := []int{0, 1, 0, 1, 2}
	ci := []int{0, 0, 0, 1, 1}
	v := []float64{1, 0, 2, 3, -3}
	a, err := FromTriplets(3, 2, ri, ci, v, nil)
	require.NoError(t, err)
	assert.Equal(t, 4, a.NNZ(), "explicit zero at (1,0) kept")
	assert.Equal(t, 3.0, a.At(0, 0))
	rows, vals := a.Col(0)
	assert.Equal(t, []int{0, 1}, rows)
	assert.Equal(t, []float64{3, 0}, vals)

	// Cancelling duplicates leave an explicit zero unless DropZeros.
	b, err := FromTriplets(3, 2, []int{0, 0}, []int{1, 1}, []float64{2, -2}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, b.NNZ())
	b, err = FromTriplets(3, 2, []int{0, 0}, []int{1, 1}, []float64{2, -2}, &TripletSettings{DropZeros: true})
	require.NoError(t, err)
	assert.Equal(t, 0, b.NNZ())
	a, err = FromTriplets(3, 2, ri, ci, v, &TripletSettings{DropZeros: true})
	require.NoError(t, err)
	assert.Equal(t, 3, a.NNZ())

	_, err = FromTriplets(3, 2, ri, ci, v, &TripletSettings{Duplicates: ErrorOnDuplicates})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = FromTriplets(1, 1, []int{0, 0}, []int{0, 0}, []float64{math.MaxFloat64, math.MaxFloat64}, nil)
	assert.ErrorIs(t, err, ErrNaN, "overflowing sum")
}

func TestCSCEdgeCases(t *testing.T) {
	// 0×0, the zero value and from triplets.
	var z CSC
	for _, a := range []*CSC{&z, must(FromTriplets(0, 0, nil, nil, nil, nil))} {
		r, c := a.Dims()
		assert.Equal(t, 0, r)
		assert.Equal(t, 0, c)
		assert.Equal(t, 0, a.NNZ())
		require.NoError(t, a.MulVec(nil, nil))
		require.NoError(t, a.MulTransVec(nil, nil))
		tr := a.Transpose()
		r, c = tr.Dims()
		assert.Equal(t, 0, r+c)
		assert.Nil(t, a.Dense())
		rows, vals := a.Col(0)
		assert.Nil(t, rows)
		assert.Nil(t, vals)
		cp, ri, v := a.Raw()
		_, err := NewCSC(0, 0, cp, ri, v)
		require.NoError(t, err, "Raw of an empty matrix is a valid structure")
	}
	// 3×0 and 0×3: products give zeros / nothing.
	a := must(FromTriplets(3, 0, nil, nil, nil, nil))
	y := []float64{1, 2, 3}
	require.NoError(t, a.MulVec(y, nil))
	assert.Equal(t, []float64{0, 0, 0}, y)
	b := must(FromTriplets(0, 3, nil, nil, nil, nil))
	require.NoError(t, b.MulTransVec(y, nil))
	assert.Equal(t, []float64{0, 0, 0}, y)
	assert.Equal(t, []int{0, 0, 0, 0}, first(b.Raw()))

	// Empty columns and a single entry.
	s := must(FromTriplets(4, 5, []int{2}, []int{3}, []float64{7}, nil))
	assert.Equal(t, 1, s.NNZ())
	assert.Equal(t, 7.0, s.At(2, 3))
	assert.Equal(t, 0.0, s.At(3, 3))
	x := []float64{1, 1, 1, 2, 1}
	y = make([]float64, 4)
	require.NoError(t, s.MulVec(y, x))
	assert.Equal(t, []float64{0, 0, 14, 0}, y)
	st := s.Transpose()
	assert.Equal(t, 7.0, st.At(3, 2))
	assert.Panics(t, func() { s.At(4, 0) }, "index out of range is a programming error")

	// Dimension and value errors.
	assert.ErrorIs(t, s.MulVec(make([]float64, 3), x), ErrDims)
	assert.ErrorIs(t, s.MulTransVec(x, make([]float64, 3)), ErrDims)
	assert.ErrorIs(t, s.ScaleRows([]float64{1}), ErrDims)
	assert.ErrorIs(t, s.ScaleCols([]float64{1, 1, math.NaN(), 1, 1}), ErrNaN)
	assert.ErrorIs(t, s.ColNormsInf(nil), ErrDims)
	assert.ErrorIs(t, s.RowNormsInf(nil), ErrDims)
	_, err := FromDense(nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = FromDense(mat.NewDense(1, 2, []float64{1, math.Inf(1)}))
	assert.ErrorIs(t, err, ErrNaN)
}

func first(a []int, _ []int, _ []float64) []int { return a }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestNewCSCValidation(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name       string
		rows, cols int
		cp, ri     []int
		v          []float64
		want       error
	}{
		{"ok", 2, 2, []int{0, 1, 3}, []int{1, 0, 1}, []float64{1, 2, 3}, nil},
		{"negative rows", -1, 2, []int{0, 0, 0}, nil, nil, ErrDims},
		{"short colPtr", 2, 2, []int{0, 1}, []int{0}, []float64{1}, ErrInvalid},
		{"nil colPtr", 2, 2, nil, nil, nil, ErrInvalid},
		{"colPtr not from 0", 2, 1, []int{1, 1}, []int{0}, []float64{1}, ErrInvalid},
		{"colPtr end mismatch", 2, 1, []int{0, 2}, []int{0}, []float64{1}, ErrInvalid},
		{"colPtr decreasing", 2, 2, []int{0, 2, 1}, []int{0}, []float64{1}, ErrInvalid},
		{"colPtr decreasing past end", 3, 3, []int{0, 5, 1, 1}, []int{0}, []float64{1}, ErrInvalid},
		{"len mismatch", 2, 1, []int{0, 1}, []int{0}, []float64{1, 2}, ErrInvalid},
		{"row out of range", 2, 1, []int{0, 1}, []int{2}, []float64{1}, ErrInvalid},
		{"negative row", 2, 1, []int{0, 1}, []int{-1}, []float64{1}, ErrInvalid},
		{"unsorted", 2, 1, []int{0, 2}, []int{1, 0}, []float64{1, 2}, ErrInvalid},
		{"repeated", 2, 1, []int{0, 2}, []int{1, 1}, []float64{1, 2}, ErrInvalid},
		{"NaN", 2, 1, []int{0, 1}, []int{1}, []float64{nan}, ErrNaN},
		{"Inf", 2, 1, []int{0, 1}, []int{1}, []float64{math.Inf(-1)}, ErrNaN},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := NewCSC(c.rows, c.cols, c.cp, c.ri, c.v)
			if c.want == nil {
				require.NoError(t, err)
				assert.Equal(t, 3.0, a.At(1, 1))
				return
			}
			assert.ErrorIs(t, err, c.want)
			assert.Nil(t, a)
		})
	}
	for _, c := range []struct {
		name       string
		rows, cols int
		ri, ci     []int
		v          []float64
		want       error
	}{
		{"negative", 1, -2, nil, nil, nil, ErrDims},
		{"lengths", 1, 1, []int{0}, nil, []float64{1}, ErrDims},
		{"row range", 1, 1, []int{1}, []int{0}, []float64{1}, ErrInvalid},
		{"col range", 1, 1, []int{0}, []int{-1}, []float64{1}, ErrInvalid},
		{"NaN", 1, 1, []int{0}, []int{0}, []float64{math.NaN()}, ErrNaN},
	} {
		_, err := FromTriplets(c.rows, c.cols, c.ri, c.ci, c.v, nil)
		assert.ErrorIs(t, err, c.want, c.name)
	}
	_, err := FromTriplets(1, 1, nil, nil, nil, &TripletSettings{Duplicates: 7})
	assert.ErrorIs(t, err, ErrInvalid)
	assert.True(t, errors.Is(err, ErrInvalid))
}
