package cone

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/implicit"
)

// The residual-map condition at points of known optimality: F = 0, its
// operators satisfy the adjoint identity, and their products match
// central differences of F itself.
func TestResidualMapCondition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, in := range diffInstances(rng) {
		t.Run(in.name, func(t *testing.T) {
			sol := in.solution()
			c, z, theta := sol.Condition()
			nz, nt := c.Dims()
			require.Equal(t, len(z), nz)
			require.Equal(t, len(theta), nt)
			l := sol.Layout()
			require.Equal(t, l.LenZ(), nz)
			require.Equal(t, l.Len(), nt)

			r := make([]float64, nz)
			c.Residual(r, z, theta)
			assert.Less(t, maxAbs(r), 1e-12, "F(z*, θ) = 0 at a known solution")

			dz, dth, err := c.Linearize(z, theta)
			require.NoError(t, err)
			for trial := range 3 {
				u, w := randVec(rng, nz, 1), randVec(rng, nz, 1)
				jw, jtu := make([]float64, nz), make([]float64, nz)
				dz.Apply(jw, w)
				dz.ApplyT(jtu, u)
				assert.InDelta(t, dot(u, jw), dot(jtu, w), 1e-10*(1+math.Abs(dot(u, jw))), "⟨u, ∂zF w⟩ = ⟨∂zFᵀu, w⟩ (trial %d)", trial)
				dt := randVec(rng, nt, 1)
				jd, jtu2 := make([]float64, nz), make([]float64, nt)
				dth.Apply(jd, dt)
				dth.ApplyT(jtu2, u)
				assert.InDelta(t, dot(u, jd), dot(jtu2, dt), 1e-10*(1+math.Abs(dot(u, jd))), "⟨u, ∂θF d⟩ = ⟨∂θFᵀu, d⟩ (trial %d)", trial)

				// Central differences of F: at a strictly complementary
				// point v = y − s is inside one case of Π_{K*}.
				const h = 1e-6
				fd := make([]float64, nz)
				zp, zm := append([]float64(nil), z...), append([]float64(nil), z...)
				for i := range z {
					zp[i] += h * w[i]
					zm[i] -= h * w[i]
				}
				fp, fm := make([]float64, nz), make([]float64, nz)
				c.Residual(fp, zp, theta)
				c.Residual(fm, zm, theta)
				for i := range fd {
					fd[i] = (fp[i] - fm[i]) / (2 * h)
				}
				assert.Less(t, diffRel(fd, jw), 1e-6, "∂zF w vs central differences of F (trial %d)", trial)
				tp, tm := append([]float64(nil), theta...), append([]float64(nil), theta...)
				for i := range theta {
					tp[i] += h * dt[i]
					tm[i] -= h * dt[i]
				}
				c.Residual(fp, z, tp)
				c.Residual(fm, z, tm)
				for i := range fd {
					fd[i] = (fp[i] - fm[i]) / (2 * h)
				}
				assert.Less(t, diffRel(fd, jd), 1e-6, "∂θF d vs central differences of F (trial %d)", trial)
			}
		})
	}
}

// The two routes: the engine differentiating the residual-map condition
// (a dense LU of ∂zF here) and the solution's own VJP/JVP (the
// eigen-reduced KKT matrix factored by sparse.LDL) give the same numbers.
func TestDerivativeRoutesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, in := range diffInstances(rng) {
		t.Run(in.name, func(t *testing.T) {
			sol := in.solution()
			c, z, theta := sol.Condition()
			ctx := t.Context()
			for trial := range 3 {
				g := randVec(rng, len(z), 1)
				want, err := implicit.VJP(ctx, c, z, theta, g, nil)
				require.NoError(t, err)
				got := make([]float64, len(theta))
				require.NoError(t, sol.VJP(got, g))
				assert.Less(t, diffRel(want, got), 1e-8, "VJP: direct route vs engine (trial %d)", trial)

				d := randVec(rng, len(theta), 1)
				wantT, err := implicit.JVP(ctx, c, z, theta, d, nil)
				require.NoError(t, err)
				gotT := make([]float64, len(z))
				require.NoError(t, sol.JVP(gotT, d))
				assert.Less(t, diffRel(wantT, gotT), 1e-8, "JVP: direct route vs engine (trial %d)", trial)

				// The adjoint identity between the solution's own modes.
				assert.InDelta(t, dot(g, gotT), dot(got, d), 1e-9*(1+math.Abs(dot(g, gotT))), "⟨g, J d⟩ = ⟨Jᵀg, d⟩")
			}
		})
	}
}

// For the symmetric cones at a strictly complementary solution, the
// tangent of the projection form satisfies the linearized Jordan
// complementarity y ∘ ds + s ∘ dy = 0 block by block, and A dx + ds = −r_y.
func TestTangentJordanComplementarity(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, in := range diffInstances(rng) {
		sol := in.solution()
		l := sol.Layout()
		syms, err := in.pb.K.symmetric()
		if err != nil {
			continue // Exp or Power blocks
		}
		t.Run(in.name, func(t *testing.T) {
			d := randVec(rng, l.Len(), 1)
			tan := make([]float64, l.LenZ())
			require.NoError(t, sol.JVP(tan, d))
			_, dy, ds, err := l.PointParts(tan)
			require.NoError(t, err)
			off := in.pb.K.Offsets()
			for b, k := range syms {
				if k == nil {
					continue // Zero block: ds = 0 there
				}
				lo, hi := off[b], off[b+1]
				j1, j2 := make([]float64, hi-lo), make([]float64, hi-lo)
				require.NoError(t, k.Jordan(j1, in.y[lo:hi], ds[lo:hi]))
				require.NoError(t, k.Jordan(j2, in.s[lo:hi], dy[lo:hi]))
				for i := range j1 {
					j1[i] += j2[i]
				}
				assert.Less(t, maxAbs(j1), 1e-9*(1+maxAbs(tan)), "block %d (%T): y∘ds + s∘dy", b, k)
			}
			for b, k := range in.pb.K.Cones() {
				if _, ok := k.(Zero); ok {
					assert.Less(t, maxAbs(ds[off[b]:off[b+1]]), 1e-10*(1+maxAbs(tan)), "Zero block %d: ds = 0", b)
				}
			}
		})
	}
}
