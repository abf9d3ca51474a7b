package symeig

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// TestDecomposeReconstructs checks A = Q Λ Qᵀ and QᵀQ = I on random
// symmetric matrices of several sizes and magnitudes.
func TestDecomposeReconstructs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 5, 17, 40} {
		for _, mag := range []float64{1e-200, 1e-8, 1, 1e12, 1e250} {
			a := mat.NewSymDense(n, nil)
			for i := range n {
				for j := i; j < n; j++ {
					a.SetSym(i, j, mag*rng.NormFloat64())
				}
			}
			lam, q, err := Decompose(a, true)
			require.NoError(t, err)
			for k := 1; k < n; k++ {
				require.LessOrEqual(t, lam[k-1], lam[k])
			}
			var r, qt mat.Dense
			r.Mul(q, mat.NewDiagDense(n, lam))
			qt.Mul(&r, q.T())
			require.Less(t, maxDiff(&qt, a), 1e-12*mag*float64(n), "n=%d mag=%g", n, mag)
			var qtq mat.Dense
			qtq.Mul(q.T(), q)
			for i := range n {
				for j := range n {
					want := 0.0
					if i == j {
						want = 1
					}
					require.InDelta(t, want, qtq.At(i, j), 1e-12)
				}
			}
			vals, none, err := Decompose(a, false)
			require.NoError(t, err)
			require.Nil(t, none)
			require.InDeltaSlice(t, lam, vals, 1e-12*mag*float64(n))
		}
	}
}

func maxDiff(a mat.Matrix, b mat.Matrix) float64 {
	r, c := a.Dims()
	var m float64
	for i := range r {
		for j := range c {
			m = max(m, math.Abs(a.At(i, j)-b.At(i, j)))
		}
	}
	return m
}

// TestDecomposeTinyEntries is the matrix class on which mat.EigenSym
// returned eigenvalues far outside the Gershgorin bound: entries near 1
// mixed with entries near 1e-92. The flushed decomposition is exact to
// rounding.
func TestDecomposeTinyEntries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 2 + trial%6
		a := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				v := rng.Float64()
				if rng.IntN(2) == 0 {
					v *= math.Pow(10, -float64(30+rng.IntN(280)))
				}
				a.SetSym(i, j, v)
			}
		}
		lam, _, err := Decompose(a, true)
		require.NoError(t, err)
		for _, l := range lam {
			require.LessOrEqual(t, math.Abs(l), float64(n)+1e-12)
		}
	}
}

func TestDecomposeBadInput(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		a := mat.NewSymDense(3, nil)
		a.SetSym(0, 2, v)
		_, _, err := Decompose(a, true)
		require.True(t, errors.Is(err, ErrFailed), "%v", v)
	}
	lam, q, err := Decompose(mat.NewSymDense(3, nil), true)
	require.NoError(t, err)
	require.Equal(t, []float64{0, 0, 0}, lam)
	require.Equal(t, 1.0, q.At(2, 2))
}

func FuzzDecompose(f *testing.F) {
	f.Add(1.0, 1e-92, -3.0, 0.5, 2.0, 1e300)
	f.Fuzz(func(t *testing.T, a, b, c, d, e, g float64) {
		m := mat.NewSymDense(3, []float64{a, b, c, b, d, e, c, e, g})
		lam, q, err := Decompose(m, true)
		if err != nil {
			require.ErrorIs(t, err, ErrFailed)
			return
		}
		for _, l := range lam {
			require.False(t, math.IsNaN(l) || math.IsInf(l, 0))
		}
		r, _ := q.Dims()
		require.Equal(t, 3, r)
	})
}
