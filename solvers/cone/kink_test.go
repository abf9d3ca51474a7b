package cone

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jac returns the Jacobian DΠ_K(y) column by column through JVP, and
// checks that VJP gives its transpose (row by row).
func jac(t *testing.T, k Cone, y []float64) [][]float64 {
	t.Helper()
	d := k.Dim()
	x := make([]float64, d)
	require.NoError(t, k.Project(x, y))
	j := make([][]float64, d)
	for i := range j {
		j[i] = make([]float64, d)
	}
	for c := range d {
		e := make([]float64, d)
		e[c] = 1
		col := make([]float64, d)
		require.NoError(t, k.JVP(col, x, y, e))
		for r := range d {
			j[r][c] = col[r]
		}
		for r := range d {
			assert.InDelta(t, col[r], jacT(t, k, x, y, r)[c], 1e-12)
		}
	}
	return j
}

// jacT returns row r of DΠ through VJP with the r-th unit cotangent.
func jacT(t *testing.T, k Cone, x, y []float64, r int) []float64 {
	e := make([]float64, len(y))
	e[r] = 1
	out := make([]float64, len(y))
	require.NoError(t, k.VJP(out, x, y, e))
	return out
}

func assertMat(t *testing.T, want, got [][]float64, what string) {
	t.Helper()
	for i := range want {
		for j := range want[i] {
			assert.InDelta(t, want[i][j], got[i][j], 1e-12, "%s [%d][%d]", what, i, j)
		}
	}
}

func eye(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
		m[i][i] = 1
	}
	return m
}

func zeros(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

func diagM(d ...float64) [][]float64 {
	m := zeros(len(d))
	for i, v := range d {
		m[i][i] = v
	}
	return m
}

// The documented elements of the generalized Jacobian at the kinks.
func TestKinks(t *testing.T) {
	// Orthant: 0 at yᵢ = 0.
	assertMat(t, diagM(1, 0, 0), jac(t, Nonnegative{3}, []float64{2, 0, -1}), "orthant")
	// Second-order cone: I on ‖x‖ = t, 0 on ‖x‖ = −t, 0 at the apex.
	assertMat(t, eye(3), jac(t, SecondOrder{3}, []float64{5, 3, 4}), "SOC boundary")
	assertMat(t, zeros(3), jac(t, SecondOrder{3}, []float64{-5, 3, 4}), "SOC polar boundary")
	assertMat(t, eye(3), jac(t, SecondOrder{3}, []float64{0, 0, 0}), "SOC apex (in the cone: I)")
	// PSD: diag(1, 0) has B = [1 1; 1 0]: V ↦ [V₁₁ V₁₂; V₂₁ 0].
	assertMat(t, diagM(1, 1, 0), jac(t, PSD{2}, []float64{1, 0, 0}), "PSD zero eigenvalue")
	// diag(0, 0): B = 0.
	assertMat(t, zeros(3), jac(t, PSD{2}, []float64{0, 0, 0}), "PSD zero matrix (B = 0 for λ = 0)")
	// Exp: I on ∂K (y e^{x/y} = z), 0 on ∂K°, diag(1, 0, [z > 0]) on the face case.
	assertMat(t, eye(3), jac(t, Exp{}, []float64{1, 1, math.E}), "exp boundary")
	assertMat(t, zeros(3), jac(t, Exp{}, []float64{1, 0, -1 / math.E}), "exp polar boundary: x e^{y/x} = −e z")
	assertMat(t, diagM(1, 0, 1), jac(t, Exp{}, []float64{-1, -2, 3}), "exp face, z > 0")
	assertMat(t, diagM(1, 0, 0), jac(t, Exp{}, []float64{-1, -2, -3}), "exp face, z < 0")
	// Power: z₀ = 0 gives diag([x₀ > 0], [y₀ > 0], [both]).
	assertMat(t, diagM(1, 0, 0), jac(t, Power{0.3}, []float64{2, -1, 0}), "power z = 0")
	assertMat(t, eye(3), jac(t, Power{0.3}, []float64{2, 1, 0}), "power z = 0 inside")
	// Power boundary x^α y^{1−α} = |z| (in K): I.
	assertMat(t, eye(3), jac(t, Power{0.5}, []float64{4, 1, 2}), "power boundary")
}
