package mps

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
