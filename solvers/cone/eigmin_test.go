package cone

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// TestMinEigSym: the bisection's λ_min against gonum's full symmetric
// eigendecomposition on random, graded, rank-deficient, diagonal and
// 1×1/2×2 matrices.
func TestMinEigSym(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for trial := range 60 {
		n := 1 + rng.IntN(64)
		m := mat.NewSymDense(n, nil)
		switch trial % 4 {
		case 0: // random
			for i := range n {
				for j := i; j < n; j++ {
					m.SetSym(i, j, rng.NormFloat64())
				}
			}
		case 1: // graded: entries scaled by 10^(−i−j)/4
			for i := range n {
				for j := i; j < n; j++ {
					m.SetSym(i, j, rng.NormFloat64()*math.Pow(10, -float64(i+j)/4))
				}
			}
		case 2: // rank one minus a multiple of the identity: repeated λ
			v := randVec(rng, n, 1)
			for i := range n {
				for j := i; j < n; j++ {
					x := v[i] * v[j]
					if i == j {
						x -= 0.5
					}
					m.SetSym(i, j, x)
				}
			}
		default: // diagonal
			for i := range n {
				m.SetSym(i, i, rng.NormFloat64())
			}
		}
		var e mat.EigenSym
		require.True(t, e.Factorize(m, true))
		want := e.Values(nil)[0]
		got, err := minEigSym(m)
		require.NoError(t, err)
		scale := mat.Norm(m, 2)
		require.InDelta(t, want, got, 1e-13*math.Max(scale, 1e-300)*float64(n), "trial %d n=%d", trial, n)
	}
	bad := mat.NewSymDense(2, []float64{1, math.NaN(), math.NaN(), 1})
	_, err := minEigSym(bad)
	require.Error(t, err)
}

// TestEigenvaluesSvec: the values-only QL iteration against gonum's
// decomposition with vectors, on random, graded, repeated-eigenvalue,
// diagonal and extreme-scale matrices.
func TestEigenvaluesSvec(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for trial := range 80 {
		n := 1 + rng.IntN(64)
		dim := n * (n + 1) / 2
		v := make([]float64, dim)
		p := 0
		vv := randVec(rng, n, 1)
		for j := range n {
			for i := j; i < n; i++ {
				switch trial % 4 {
				case 0:
					v[p] = rng.NormFloat64()
				case 1:
					v[p] = rng.NormFloat64() * math.Pow(10, -float64(i+j)/3)
				case 2:
					v[p] = vv[i] * vv[j]
					if i == j {
						v[p] -= 0.5
					} else {
						v[p] *= math.Sqrt2
					}
				default:
					if i == j {
						v[p] = rng.NormFloat64()
					}
				}
				p++
			}
		}
		scale := []float64{1, 1e-150, 1e150, 1, 1}[trial%5]
		for i := range v {
			v[i] *= scale
		}
		var e mat.EigenSym
		un := make([]float64, dim)
		for i := range v {
			un[i] = v[i] / scale
		}
		require.True(t, e.Factorize(smat(n, un), true))
		want := e.Values(nil)
		got, err := eigenvaluesSvec(n, v)
		require.NoError(t, err)
		sort.Float64s(got)
		nrm := math.Max(math.Abs(want[0]), math.Abs(want[n-1]))
		for i := range want {
			require.InDelta(t, want[i]*scale, got[i], 1e-13*float64(n)*math.Max(nrm, 1e-300)*scale, "trial %d n=%d eigenvalue %d", trial, n, i)
		}
	}
	_, err := eigenvaluesSvec(2, []float64{1, math.NaN(), 1})
	require.Error(t, err)
}

// TestHouseholderNorm: the one-dot norm and its scaled fallback at the
// ends of the exponent range.
func TestHouseholderNorm(t *testing.T) {
	for _, s := range []float64{1, 1e-200, 1e200, 1e-310, 1e300} {
		x := []float64{3 * s, 4 * s, 0, 12 * s}
		got := householderNorm(x)
		require.InDelta(t, 13*s, got, 1e-15*13*s, "scale %g", s)
	}
	require.Equal(t, 0.0, householderNorm(make([]float64, 5)))
}
