package cone

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every gradient block (Q, p, A, b) of Solve's solution against central
// differences of the solution map, re-solving at θ ± h·e_k for every
// coordinate k, on random instances of every cone type (the instances of
// diffInstances: LP, QP, SOC with the three kinds of complementary pairs,
// PSD, Exp, ExpDual, Power, PowerDual, mixed, with and without Q), for a
// random cotangent on all of z = (x, y, s).
//
// Each re-solve (Solve at Tol 1e-11) is polished by Newton steps on the
// residual map: an interior-point solution determines y only to about √Tol along directions where the
// dual cone curves away from y (an SOC boundary pair: y + δ stays in K*
// up to O(δ²)), which is 1e-6 on some of these instances and would make
// the differences of y noisy at the 1e-3 level; the zeros of F are exactly
// the solutions, so the polished point is the solution map's value.
func TestGradientsCentralDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	ctx := context.Background()
	for _, in := range diffInstances(rng) {
		t.Run(in.name, func(t *testing.T) {
			sol, err := solveForDiff(ctx, in.pb)
			require.NoError(t, err)
			require.Equal(t, Optimal, sol.Status)
			// Solve finds the known (unique) solution.
			require.Less(t, diffRel(in.x, sol.X), 1e-6, "x vs the known optimum")
			l := sol.Layout()
			theta := sol.Theta()
			g := randVec(rng, l.LenZ(), 1)
			raw := make([]float64, l.Len())
			require.NoError(t, sol.VJP(raw, g))
			// The derivative at the refined point is the solution map's;
			// at Solve's own point it is within the point's accuracy.
			_, err = sol.Refine(ctx, 0)
			require.NoError(t, err)
			grad := make([]float64, l.Len())
			require.NoError(t, sol.VJP(grad, g))
			assert.Less(t, diffRel(grad, raw), 1e-3, "VJP at Solve's point vs at the refined point")
			const h = 1e-6
			fd := make([]float64, l.Len())
			at := func(th []float64) float64 {
				pb, err := l.Problem(th)
				require.NoError(t, err)
				s, err := solveForDiff(ctx, pb)
				require.NoError(t, err)
				z, res := polish(l, s.Point(), th, 5)
				require.Less(t, res, 1e-12, "polished residual")
				return dot(g, z)
			}
			for k := range theta {
				tp, tm := append([]float64(nil), theta...), append([]float64(nil), theta...)
				tp[k] += h
				tm[k] -= h
				fd[k] = (at(tp) - at(tm)) / (2 * h)
			}
			scale := math.Max(1, maxAbs(grad))
			gq, gp, ga, gb, _ := l.Parts(grad)
			fq, fp, fa, fb, _ := l.Parts(fd)
			for _, blk := range []struct {
				name     string
				got, num []float64
			}{{"Q", gq, fq}, {"p", gp, fp}, {"A", ga, fa}, {"b", gb, fb}} {
				for k := range blk.got {
					assert.InDelta(t, blk.num[k], blk.got[k], 2e-5*scale, "∂/∂%s[%d]", blk.name, k)
				}
			}
			// JVP along a random direction against the same differences.
			d := randVec(rng, l.Len(), 1)
			tan := make([]float64, l.LenZ())
			require.NoError(t, sol.JVP(tan, d))
			assert.InDelta(t, dot(fd, d), dot(g, tan), 1e-4*math.Max(1, math.Abs(dot(g, tan))), "⟨g, JVP(d)⟩ vs ⟨FD gradient, d⟩")
		})
	}
}

// solveForDiff solves at Tol 1e-11.
func solveForDiff(ctx context.Context, pb *Problem) (*Solution, error) {
	return Solve(ctx, pb, &Settings{Tol: 1e-11})
}

// Refine brings Solve's solutions (Tol 1e-8) to the known optimum within
// rounding: x, y and s to 1e-10 and ‖F‖∞ to 1e-12.
func TestRefine(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	ctx := context.Background()
	for _, in := range diffInstances(rng) {
		t.Run(in.name, func(t *testing.T) {
			sol, err := Solve(ctx, in.pb, &Settings{Tol: 1e-8})
			require.NoError(t, err)
			require.Equal(t, Optimal, sol.Status)
			before := math.Max(diffRel(in.x, sol.X), math.Max(diffRel(in.y, sol.Y), diffRel(in.s, sol.S)))
			res, err := sol.Refine(ctx, 4)
			require.NoError(t, err)
			after := math.Max(diffRel(in.x, sol.X), math.Max(diffRel(in.y, sol.Y), diffRel(in.s, sol.S)))
			t.Logf("error %.3g → %.3g, ‖F‖∞ %.3g", before, after, res)
			assert.Less(t, res, 1e-12)
			assert.Less(t, after, 1e-10)
			assert.LessOrEqual(t, after, before)
			assert.Less(t, sol.Residuals.Primal+sol.Residuals.Dual+sol.Residuals.Gap, 1e-11)
			assert.InDelta(t, objectiveOf(in), sol.Objective, 1e-10*math.Max(1, math.Abs(sol.Objective)))
		})
	}
}

func objectiveOf(in *diffInstance) float64 {
	n, _ := in.pb.Dims()
	qx := make([]float64, n)
	if in.pb.Q != nil {
		_ = in.pb.Q.MulVec(qx, in.x)
	}
	return 0.5*dot(in.x, qx) + dot(in.pb.P, in.x)
}
