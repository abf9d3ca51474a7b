package cone

import (
	"math"
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

// randSPDSvec returns svec(Q diag(d) Qᵀ) for a random orthogonal Q and
// eigenvalues d graded over 10^±grade.
func randSPDSvec(rng *rand.Rand, n int, grade float64) []float64 {
	g := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	d := make([]float64, n)
	for i := range d {
		d[i] = math.Pow(10, grade*(2*rng.Float64()-1))
	}
	m := qmq(&q, diagSym(d))
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, 0.5*(m.At(i, j)+m.At(j, i)))
		}
	}
	v := make([]float64, n*(n+1)/2)
	if err := Svec(v, sym); err != nil {
		panic(err)
	}
	return v
}

// TestScaledMaxStep: the dual step length in the NT-scaled space equals
// PSD.MaxStep(z, Δz) for Δz = Wᵀ(du), on well and badly conditioned
// (s, z), and a non-finite du is an error.
func TestScaledMaxStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for trial := range 24 {
		n := []int{1, 2, 5, 17, 40}[trial%5]
		grade := []float64{0, 1, 3}[trial%3]
		k := PSD{N: n}
		s, z := randSPDSvec(rng, n, grade), randSPDSvec(rng, n, grade)
		sc, err := k.Scaling(s, z)
		require.NoError(t, err)
		p := sc.(*psdScaling)
		du := randVec(rng, k.Dim(), 1)
		for i := range du {
			du[i] *= math.Sqrt(p.lam[0]) // comparable to λ
		}
		dz := make([]float64, k.Dim())
		sc.ApplyT(dz, du)
		for _, limit := range []float64{1, 1e6} {
			want, err := k.MaxStep(z, dz, limit)
			require.NoError(t, err)
			got, err := scaledMaxStep(p, du, limit)
			require.NoError(t, err)
			require.InDelta(t, want, got, 1e-9*want+1e-12, "trial %d n=%d grade=%g limit=%g", trial, n, grade, limit)
		}
		// the zero direction: the limit itself
		got, err := scaledMaxStep(p, make([]float64, k.Dim()), 7)
		require.NoError(t, err)
		require.Equal(t, 7.0, got)
		du[0] = math.NaN()
		_, err = scaledMaxStep(p, du, 1)
		require.Error(t, err)
		_, err = scaledMaxStep(p, du[1:], 1)
		require.Error(t, err)
	}
}
