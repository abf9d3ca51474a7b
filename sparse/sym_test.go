package sparse

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

func TestSymCSCAgainstDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 40; trial++ {
		n := 1 + rng.IntN(25)
		nnz := rng.IntN(n*n + 5)
		d := mat.NewSymDense(n, nil)
		var ri, ci []int
		var v []float64
		for k := 0; k < nnz; k++ {
			i, j := rng.IntN(n), rng.IntN(n)
			x := rng.NormFloat64()
			ri, ci, v = append(ri, i), append(ci, j), append(v, x)
			d.SetSym(i, j, d.At(i, j)+x) // either triangle, summed
		}
		s, err := SymFromTriplets(n, ri, ci, v, nil)
		require.NoError(t, err)
		assert.Equal(t, n, s.SymmetricDim())
		assert.True(t, mat.EqualApprox(d, s, 1e-13), "At in both triangles")
		assert.True(t, mat.EqualApprox(d, s.Dense(), 1e-13))
		assert.True(t, mat.EqualApprox(d, s.Full().Dense(), 1e-13))
		assert.True(t, mat.EqualApprox(d, s.T(), 1e-13))
		for j := 0; j < n; j++ {
			rows, _ := s.Upper().Col(j)
			for _, i := range rows {
				assert.LessOrEqual(t, i, j, "upper triangle only")
			}
		}

		x := randVec(rng, n)
		y := make([]float64, n)
		require.NoError(t, s.MulVec(y, x))
		var want mat.VecDense
		want.MulVec(d, mat.NewVecDense(n, x))
		assertVecNear(t, want.RawVector().Data, y, 1e-12)

		// Used as a mat.Symmetric by gonum.
		var sum mat.SymDense
		sum.AddSym(d, s)
		var twice mat.SymDense
		twice.ScaleSym(2, d)
		assert.True(t, mat.EqualApprox(&twice, &sum, 1e-12))

		norms := make([]float64, n)
		require.NoError(t, s.ColNormsInf(norms))
		for j := 0; j < n; j++ {
			assert.Equal(t, floats.Norm(mat.Col(nil, j, d), math.Inf(1)), norms[j], "column %d", j)
		}
		dg := randVec(rng, n)
		sc := s.Clone()
		require.NoError(t, sc.ScaleSym(dg))
		var ds mat.Dense
		ds.Mul(mat.NewDiagDense(n, dg), d)
		ds.Mul(&ds, mat.NewDiagDense(n, dg))
		assert.True(t, mat.EqualApprox(&ds, sc.Dense(), 1e-12))
		assert.True(t, mat.EqualApprox(d, s, 1e-13), "Clone shares no storage")

		back, err := SymFromDense(d)
		require.NoError(t, err)
		assert.True(t, mat.Equal(d, back.Dense()))
		cp, rix, vals := back.Upper().Raw()
		_, err = NewSymCSC(n, cp, rix, vals)
		require.NoError(t, err)
	}
}

func TestSymCSCEdgeCases(t *testing.T) {
	var z SymCSC
	assert.Equal(t, 0, z.SymmetricDim())
	require.NoError(t, z.MulVec(nil, nil))
	assert.Nil(t, z.Dense())
	assert.Equal(t, 0, z.Full().NNZ())

	one, err := SymFromTriplets(3, []int{2}, []int{0}, []float64{5}, nil)
	require.NoError(t, err)
	assert.Equal(t, 5.0, one.At(0, 2))
	assert.Equal(t, 5.0, one.At(2, 0))
	assert.Equal(t, 1, one.NNZ())
	assert.Equal(t, 2, one.Full().NNZ())
	y := make([]float64, 3)
	require.NoError(t, one.MulVec(y, []float64{1, 2, 3}))
	assert.Equal(t, []float64{15, 0, 5}, y)
	assert.ErrorIs(t, one.MulVec(y, []float64{1}), ErrDims)
	assert.ErrorIs(t, one.ColNormsInf(nil), ErrDims)
	assert.ErrorIs(t, one.ScaleSym([]float64{1}), ErrDims)
	assert.ErrorIs(t, one.ScaleSym([]float64{1, math.NaN(), 1}), ErrNaN)

	// Both (i, j) and (j, i) given: summed by default, an error on request.
	s, err := SymFromTriplets(2, []int{0, 1}, []int{1, 0}, []float64{1, 2}, nil)
	require.NoError(t, err)
	assert.Equal(t, 3.0, s.At(1, 0))
	_, err = SymFromTriplets(2, []int{0, 1}, []int{1, 0}, []float64{1, 2}, &TripletSettings{Duplicates: ErrorOnDuplicates})
	assert.ErrorIs(t, err, ErrInvalid)

	_, err = NewSymCSC(2, []int{0, 0, 2}, []int{0, 1}, []float64{1, 1})
	require.NoError(t, err)
	_, err = NewSymCSC(2, []int{0, 1, 1}, []int{1}, []float64{1})
	assert.ErrorIs(t, err, ErrInvalid, "entry below the diagonal")
	_, err = NewSymCSC(2, []int{0, 1, 1}, []int{0}, []float64{math.NaN()})
	assert.ErrorIs(t, err, ErrNaN)
	_, err = SymFromTriplets(2, []int{0}, nil, nil, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = SymFromTriplets(-1, nil, nil, nil, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = SymFromDense(nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = SymFromDense(mat.NewSymDense(1, []float64{math.NaN()}))
	assert.ErrorIs(t, err, ErrNaN)
}
