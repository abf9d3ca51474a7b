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
