package qp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// secondDifferenceNormal returns A = DᵀD for the second-difference
// operator D of n points, whose smallest eigenvalues are ~(π/n)⁴: the
// ill-conditioning of the polish's active sets on LISWET.
func secondDifferenceNormal(n int) *mat.SymDense {
	d := mat.NewDense(n-2, n, nil)
	for i := range n - 2 {
		d.Set(i, i, 1)
		d.Set(i, i+1, -2)
		d.Set(i, i+2, 1)
	}
	a := mat.NewSymDense(n, nil)
	a.SymOuterK(1, d.T())
	for i := range n { // make it nonsingular (D has a 2-dimensional null space)
		a.SetSym(i, i, a.At(i, i)+1e-7)
	}
	return a
}

// TestGMRESRightIllConditioned: with the regularized matrix A + δI as the
// preconditioner, GMRES reaches a small residual on A x = b where as many
// plain refinement steps contract by 1 − λ_min/δ each and stall.
func TestGMRESRightIllConditioned(t *testing.T) {
	const n, delta = 200, 1e-4
	a := secondDifferenceNormal(n)
	reg := mat.NewSymDense(n, nil)
	reg.CopySym(a)
	for i := range n {
		reg.SetSym(i, i, reg.At(i, i)+delta)
	}
	var chol mat.Cholesky
	require.True(t, chol.Factorize(reg))
	apply := func(dst, v []float64) {
		mat.NewVecDense(n, dst).MulVec(a, mat.NewVecDense(n, v))
	}
	prec := func(dst, r []float64) bool {
		return chol.SolveVecTo(mat.NewVecDense(n, dst), mat.NewVecDense(n, r)) == nil
	}
	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]float64, n)
	for i := range b {
		b[i] = rng.NormFloat64()
	}
	bn := norm2(b)

	x := make([]float64, n)
	res := gmresRight(apply, prec, x, b, 20, 40, 1e-12*bn)
	require.LessOrEqual(t, res, 1e-9*bn, "GMRES residual")
	r := make([]float64, n)
	apply(r, x)
	for i := range r {
		r[i] = b[i] - r[i]
	}
	require.InDelta(t, res, norm2(r), 1e-9*bn, "returned residual = true residual")

	// Plain refinement with the same preconditioner and as many solves.
	xr := make([]float64, n)
	c := make([]float64, n)
	for range 40 {
		apply(r, xr)
		for i := range r {
			r[i] = b[i] - r[i]
		}
		require.True(t, prec(c, r))
		for i := range xr {
			xr[i] += c[i]
		}
	}
	apply(r, xr)
	for i := range r {
		r[i] = b[i] - r[i]
	}
	require.Greater(t, norm2(r), 1e-6*bn, "refinement should stall on this system")
}

// TestGMRESRightFailures: a failing or non-finite preconditioner leaves x
// as it was, and a zero right-hand side returns at once.
func TestGMRESRightFailures(t *testing.T) {
	const n = 5
	apply := func(dst, v []float64) { copy(dst, v) }
	b := []float64{1, 2, 3, 4, 5}
	for _, prec := range []func(dst, r []float64) bool{
		func(dst, r []float64) bool { return false },
		func(dst, r []float64) bool {
			for i := range dst {
				dst[i] = math.NaN()
			}
			return true
		},
	} {
		x := make([]float64, n)
		res := gmresRight(apply, prec, x, b, 3, 10, 1e-12)
		require.Equal(t, make([]float64, n), x)
		require.InDelta(t, norm2(b), res, 1e-12)
	}
	x := []float64{1, 1, 1, 1, 1}
	res := gmresRight(apply, func(dst, r []float64) bool { copy(dst, r); return true }, x, make([]float64, n), 3, 10, 0)
	require.InDelta(t, norm2(x), res, 1e-12)
	// The identity: one iteration solves it.
	x = make([]float64, n)
	res = gmresRight(apply, func(dst, r []float64) bool { copy(dst, r); return true }, x, b, 3, 10, 1e-12)
	require.LessOrEqual(t, res, 1e-12)
	require.InDeltaSlice(t, b, x, 1e-12)
}
