package cone

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// TestPSDFastPaths: the diagonal Jordan product, its inverse and the
// row-major congruence against general dense products (gonum) on random
// data.
func TestPSDFastPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for trial := range 20 {
		n := 1 + rng.IntN(30)
		dim := n * (n + 1) / 2
		v := randVec(rng, dim, 1)
		d := make([]float64, n)
		for i := range d {
			d[i] = 0.1 + rng.Float64()
		}
		dm := mat.NewDiagDense(n, d)
		// Jordan with D.
		var p mat.Dense
		p.Mul(dm, smat(n, v))
		want := make([]float64, dim)
		svecOf(want, n, &p)
		got := make([]float64, dim)
		jordanDiag(got, n, d, v)
		require.InDeltaSlice(t, want, got, 1e-13, "trial %d jordanDiag", trial)
		dl := make([]float64, dim)
		require.NoError(t, Svec(dl, diagSym(d)))
		dd, ok := svecDiag(n, dl)
		require.True(t, ok)
		require.Equal(t, d, dd)
		if n > 1 {
			_, ok = svecDiag(n, v)
			require.False(t, ok)
		}
		// The inverse.
		back := make([]float64, dim)
		require.True(t, jordanDivDiag(back, n, d, got))
		require.InDeltaSlice(t, v, back, 1e-12, "trial %d jordanDivDiag", trial)
		// Congruence A X Aᵀ.
		a := mat.NewDense(n, n, randVec(rng, n*n, 1))
		var ax, axa mat.Dense
		ax.Mul(a, smat(n, v))
		axa.Mul(&ax, a.T())
		svecOf(want, n, &axa)
		ar, at := rowMajor(a, n)
		sm, st, ym := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
		congruenceRows(got, n, ar, at, v, sm, st, ym)
		require.InDeltaSlice(t, want, got, 1e-11*float64(n), "trial %d congruenceRows", trial)
		congruenceDense(got, n, ar, v, sm, st, ym)
		require.InDeltaSlice(t, want, got, 1e-11*float64(n), "trial %d congruenceDense", trial)
	}
	require.False(t, jordanDivDiag(make([]float64, 3), 2, []float64{1, -1}, []float64{1, 1, 1}))
}

// TestJordanDense: the general Jordan product by the dot kernel against
// gonum's product.
func TestJordanDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	for trial := range 20 {
		n := 1 + rng.IntN(30)
		dim := n * (n + 1) / 2
		u, v := randVec(rng, dim, 1), randVec(rng, dim, 1)
		var p mat.Dense
		p.Mul(smat(n, u), smat(n, v))
		want := make([]float64, dim)
		svecOf(want, n, &p)
		got := make([]float64, dim)
		jordanDense(got, n, u, v)
		require.InDeltaSlice(t, want, got, 1e-12*float64(n), "trial %d jordanDense", trial)

	}
}

// TestTransposeInto: the tiled transpose against the definition, at
// orders with and without a remainder of the tiles.
func TestTransposeInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 66))
	for _, n := range []int{1, 3, 4, 5, 8, 13, 60} {
		a := randVec(rng, n*n, 1)
		got := make([]float64, n*n)
		transposeInto(got, a, n)
		for i := range n {
			for j := range n {
				require.Equal(t, a[i*n+j], got[j*n+i], "n=%d (%d,%d)", n, i, j)
			}
		}
	}
}

// diagSym returns diag(d) as a symmetric matrix.
func diagSym(d []float64) *mat.SymDense {
	m := mat.NewSymDense(len(d), nil)
	for i, v := range d {
		m.SetSym(i, i, v)
	}
	return m
}
