package cone

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// conjValue is the conjugate barrier f(s) = −⟨s, z(s)⟩ − f*(z(s)).
func conjValue(c Cone, s []float64) (float64, [3]float64, bool) {
	z, ok := conjZ(c, s, nil)
	if !ok {
		return math.Inf(1), z, false
	}
	fz, _, _ := dualBarrierOf(c).eval(z[:])
	return -dot(s, z[:]) - fz, z, true
}

// The conjugate primal barrier of the non-symmetric blocks (nonsym.go):
// z(s) solves −∇f*(z) = s, the conjugate's gradient (central differences
// of its value) is −z(s), and Fenchel–Young f(s) + f*(z) + 3 log(⟨s, z⟩/3)
// + 3 ≥ 0 holds, with equality at the central pair (e, e) of f* (the
// starting point of Solve) and on its central path s = −μ∇f*(z).
func TestConjugateBarrier(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 55))
	for _, c := range []Cone{Exp{}, ExpDual{}, Power{0.3}, Power{0.85}, PowerDual{0.2}, PowerDual{0.6}} {
		fd := dualBarrierOf(c)
		for k := range 40 {
			s := interiorPoint(rng, c)
			if k%4 == 0 { // near the boundary
				p := make([]float64, 3)
				require.NoError(t, c.Project(p, randVec(rng, 3, 2)))
				if maxAbs(p) > 1e-3 {
					e := make([]float64, 3)
					require.NoError(t, c.Dual().Identity(e))
					for i := range s {
						s[i] = p[i] + 1e-6*maxAbs(p)*e[i]
					}
				}
			}
			f, z, ok := conjValue(c, s)
			require.True(t, ok, "%s s=%v", coneName(c), s)
			_, g, _ := fd.eval(z[:])
			for i := range 3 {
				require.InDelta(t, s[i], -g[i], 1e-7*maxAbs(s), "%s: −∇f*(z(s)) = s", coneName(c))
			}
			if k%4 != 0 {
				for i := range 3 {
					h := 1e-6 * maxAbs(s)
					sp, sm := append([]float64(nil), s...), append([]float64(nil), s...)
					sp[i] += h
					sm[i] -= h
					fp, _, okp := conjValue(c, sp)
					fm, _, okm := conjValue(c, sm)
					require.True(t, okp && okm)
					assert.InDelta(t, -z[i], (fp-fm)/(2*h), 1e-5*math.Max(1, math.Abs(z[i])), "%s ∂f/∂s%d", coneName(c), i)
				}
			}
			// Fenchel–Young with a random z' ∈ int K*.
			zz := interiorPoint(rng, c.Dual())
			fz, _, _ := fd.eval(zz)
			assert.GreaterOrEqual(t, f+fz+3*math.Log(dot(s, zz)/3)+3, -1e-9)
		}
		e := make([]float64, 3)
		require.NoError(t, c.Dual().Identity(e))
		for _, mu := range []float64{1, 1e-3, 7} {
			z := e
			s := scaleVec(e, mu)
			f, _, ok := conjValue(c, s)
			require.True(t, ok)
			fz, _, _ := fd.eval(z)
			assert.InDelta(t, 0, f+fz+3*math.Log(dot(s, z)/3)+3, 1e-10, "%s: central pair", coneName(c))
		}
	}
}

// nonsymHs, the primal-dual scaling of Solve's non-symmetric blocks, is
// symmetric positive definite with Hs z = s and Hs z̃ = s̃ (z̃ = z(s),
// s̃ = −∇f*(z)) at random interior pairs off the central path.
func TestNonsymHs(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 66))
	for _, c := range []Cone{Exp{}, ExpDual{}, Power{0.3}, PowerDual{0.7}} {
		fd := dualBarrierOf(c)
		used := 0
		for range 40 {
			s, z := interiorPoint(rng, c), interiorPoint(rng, c.Dual())
			_, g, h := fd.eval(z)
			hs, ok := nonsymHs(c, s, z, g, h)
			if !ok {
				continue
			}
			used++
			zt, ok := conjZ(c, s, nil)
			require.True(t, ok)
			var hz, hzt [3]float64
			for i := range 3 {
				for j := range 3 {
					assert.InDelta(t, hs[i][j], hs[j][i], 1e-12*(1+math.Abs(hs[i][j])))
					hz[i] += hs[i][j] * z[j]
					hzt[i] += hs[i][j] * zt[j]
				}
			}
			for i := range 3 {
				assert.InDelta(t, s[i], hz[i], 1e-9*maxAbs(s), "%s: Hs z = s", coneName(c))
				assert.InDelta(t, -g[i], hzt[i], 1e-7*maxAbs(g[:]), "%s: Hs z̃ = s̃", coneName(c))
			}
			_, ok = solveJacobi3(hs, [3]float64{1, 2, 3})
			assert.True(t, ok)
			// Positive definite: the leading minors.
			m1 := hs[0][0]
			m2 := hs[0][0]*hs[1][1] - hs[0][1]*hs[1][0]
			m3 := hs[0][0]*(hs[1][1]*hs[2][2]-hs[1][2]*hs[2][1]) - hs[0][1]*(hs[1][0]*hs[2][2]-hs[1][2]*hs[2][0]) + hs[0][2]*(hs[1][0]*hs[2][1]-hs[1][1]*hs[2][0])
			assert.True(t, m1 > 0 && m2 > 0 && m3 > 0, "%s: Hs positive definite", coneName(c))
		}
		assert.Greater(t, used, 20, "%s: pairs with the primal-dual scaling defined", coneName(c))
	}
}
