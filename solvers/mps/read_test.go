package mps

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

var inf = math.Inf(1)

// objective evaluates ½xᵀQx + cᵀx + constant.
func objective(t *testing.T, m *Model, x []float64) float64 {
	t.Helper()
	f := m.ObjConstant
	for j, v := range m.C {
		f += v * x[j]
	}
	if m.Q != nil {
		qx := make([]float64, len(x))
		require.NoError(t, m.Q.MulVec(qx, x))
		for j := range x {
			f += 0.5 * x[j] * qx[j]
		}
	}
	return f
}

// HS21 (Hock & Schittkowski, problem 21): minimize 0.01x₁² + x₂² − 100
// subject to 10x₁ − x₂ ≥ 10, 2 ≤ x₁ ≤ 50, −50 ≤ x₂ ≤ 50; optimum x = (2, 0),
// f = −99.96.
func TestReadHS21(t *testing.T) {
	m, err := ReadFile("testdata/HS21.qps", nil)
	require.NoError(t, err)
	require.NoError(t, m.Check())
	assert.Equal(t, "HS21", m.Name)
	assert.Equal(t, "obj", m.ObjName)
	assert.Equal(t, Minimize, m.Sense)
	assert.Equal(t, -100.0, m.ObjConstant)
	assert.Equal(t, []float64{0, 0}, m.C)
	assert.Equal(t, []string{"x0", "x1"}, m.ColNames)
	assert.Equal(t, []string{"c0"}, m.RowNames)
	assert.Equal(t, []float64{10}, m.RowLower)
	assert.Equal(t, []float64{inf}, m.RowUpper)
	assert.Equal(t, []float64{2, -50}, m.ColLower)
	assert.Equal(t, []float64{50, 50}, m.ColUpper)
	assert.Equal(t, 10.0, m.A.At(0, 0))
	assert.Equal(t, -1.0, m.A.At(0, 1))
	require.NotNil(t, m.Q)
	assert.Equal(t, 0.02, m.Q.At(0, 0))
	assert.Equal(t, 2.0, m.Q.At(1, 1))
	assert.Equal(t, 0.0, m.Q.At(0, 1))
	assert.InDelta(t, -99.96, objective(t, m, []float64{2, 0}), 1e-12)
}

// HS35 (Hock & Schittkowski, problem 35): minimize 9 − 8x₁ − 6x₂ − 4x₃ +
// 2x₁² + 2x₂² + x₃² + 2x₁x₂ + 2x₁x₃ subject to x₁ + x₂ + 2x₃ ≤ 3, x ≥ 0;
// optimum x = (4/3, 7/9, 4/9), f = 1/9.
func TestReadHS35(t *testing.T) {
	m, err := ReadFile("testdata/HS35.qps", nil)
	require.NoError(t, err)
	require.NoError(t, m.Check())
	assert.Equal(t, 9.0, m.ObjConstant)
	assert.Equal(t, []float64{-8, -6, -4}, m.C)
	assert.Equal(t, []float64{-3}, m.RowLower)
	assert.Equal(t, []float64{inf}, m.RowUpper)
	assert.Equal(t, []float64{0, 0, 0}, m.ColLower)
	assert.Equal(t, []float64{inf, inf, inf}, m.ColUpper)
	want := [][]float64{{4, 2, 2}, {2, 4, 0}, {2, 0, 2}}
	for i := range want {
		for j := range want[i] {
			assert.Equal(t, want[i][j], m.Q.At(i, j), "Q(%d,%d)", i, j)
		}
	}
	assert.InDelta(t, 1.0/9, objective(t, m, []float64{4.0 / 3, 7.0 / 9, 4.0 / 9}), 1e-12)
}

// GENHS28 (a generalisation of Hock & Schittkowski 28): minimize
// Σᵢ₌₁⁹ (xᵢ + xᵢ₊₁)² subject to xᵢ + 2xᵢ₊₁ + 3xᵢ₊₂ = 1 (i = 1…8), x free.
// The optimum, 0.92717369 in the Maros–Mészáros tables, is checked by
// solving the KKT system [Q Aᵀ; A 0][x; y] = [−c; b] with gonum.
func TestReadGENHS28(t *testing.T) {
	m, err := ReadFile("testdata/GENHS28.qps", nil)
	require.NoError(t, err)
	require.Equal(t, 8, m.NumRows())
	require.Equal(t, 10, m.NumCols())
	assert.Equal(t, 24, m.A.NNZ())
	assert.Equal(t, 19, m.Q.NNZ())
	for i := 0; i < 8; i++ {
		assert.Equal(t, 1.0, m.RowLower[i])
		assert.Equal(t, 1.0, m.RowUpper[i])
		for k, want := range []float64{1, 2, 3} {
			assert.Equal(t, want, m.A.At(i, i+k))
		}
	}
	for j := 0; j < 10; j++ {
		assert.Equal(t, -inf, m.ColLower[j])
		assert.Equal(t, inf, m.ColUpper[j])
		d := 4.0
		if j == 0 || j == 9 {
			d = 2
		}
		assert.Equal(t, d, m.Q.At(j, j))
		if j < 9 {
			assert.Equal(t, 2.0, m.Q.At(j, j+1))
			assert.Equal(t, 2.0, m.Q.At(j+1, j))
		}
	}
	n, r := 10, 8
	kkt := mat.NewDense(n+r, n+r, nil)
	rhs := mat.NewVecDense(n+r, nil)
	kkt.Slice(0, n, 0, n).(*mat.Dense).Copy(m.Q.Dense())
	kkt.Slice(n, n+r, 0, n).(*mat.Dense).Copy(m.A.Dense())
	kkt.Slice(0, n, n, n+r).(*mat.Dense).Copy(m.A.Dense().T())
	for j := 0; j < n; j++ {
		rhs.SetVec(j, -m.C[j])
	}
	for i := 0; i < r; i++ {
		rhs.SetVec(n+i, m.RowLower[i])
	}
	var sol mat.VecDense
	require.NoError(t, sol.SolveVec(kkt, rhs))
	assert.InDelta(t, 0.92717369, objective(t, m, sol.RawVector().Data[:n]), 1e-8)
}

// QAFIRO and DUALC1: dimensions and entries counted in the files with awk,
// and a few entries read off the text.
func TestReadQAFIROAndDUALC1(t *testing.T) {
	m, err := ReadFile("testdata/QAFIRO.qps", nil)
	require.NoError(t, err)
	assert.Equal(t, 27, m.NumRows())
	assert.Equal(t, 32, m.NumCols())
	assert.Equal(t, 83, m.A.NNZ())
	assert.Equal(t, 6, m.Q.NNZ())
	assert.Equal(t, -1.06, m.A.At(1, 0))          // x0 c1 -1.06
	assert.Equal(t, 0.301, m.A.At(23, 0))         // x0 c23 0.301
	assert.Equal(t, -0.40000000000000036, m.C[1]) // x1 obj
	assert.Equal(t, 1.0, m.Q.At(2, 0))            // x0 x2 1.0
	assert.Equal(t, 10.0, m.Q.At(2, 2))
	assert.Equal(t, 44.0, m.RowLower[2]) // E c2, rhs 44
	assert.Equal(t, 44.0, m.RowUpper[2])
	assert.Equal(t, -2.220446049250313e-16, m.RowUpper[3])
	assert.Equal(t, 80.0, m.RowUpper[11]) // L c11
	assert.Equal(t, -inf, m.RowLower[11])

	m, err = ReadFile("testdata/DUALC1.qps", nil)
	require.NoError(t, err)
	assert.Equal(t, 215, m.NumRows())
	assert.Equal(t, 9, m.NumCols())
	assert.Equal(t, 1935, m.A.NNZ())
	assert.Equal(t, 45, m.Q.NNZ()) // the full upper triangle of a 9×9 matrix
	assert.Equal(t, 439696.0, m.C[8])
	assert.Equal(t, 14882.0, m.Q.At(0, 0))
	assert.Equal(t, 4496.0, m.Q.At(1, 0))
	assert.Equal(t, -156.0, m.A.At(214, 8))
	assert.Equal(t, []float64{1, 1}, []float64{m.RowLower[0], m.RowUpper[0]}) // E c0 = 1
	for j := 0; j < 9; j++ {
		assert.Equal(t, 0.0, m.ColLower[j])
		assert.Equal(t, 1.0, m.ColUpper[j])
	}
}
