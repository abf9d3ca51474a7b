package cone

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// barrierProject computes Π_K(v) by a generic convex method independent of
// the projection code: the barrier path p(t) = argmin ½‖p − v‖² + t f(p),
// followed by damped Newton as t decreases to 1e-12 (‖p(t) − Π(v)‖ is
// O(√t) at worst, O(t) away from degenerate points).
func barrierProject(t *testing.T, k Cone, v []float64) []float64 {
	d := k.Dim()
	p := make([]float64, d)
	require.NoError(t, k.Identity(p))
	phi := func(q []float64, tt float64) (float64, bool) {
		f, err := k.Barrier(q)
		if err != nil {
			return 0, false
		}
		s := 0.0
		for i := range q {
			s += 0.5 * (q[i] - v[i]) * (q[i] - v[i])
		}
		return s + tt*f, true
	}
	g := make([]float64, d)
	col := make([]float64, d)
	e := make([]float64, d)
	for tt := 1.0; tt >= 1e-12; tt *= 0.5 {
		for range 50 {
			require.NoError(t, k.BarrierGrad(g, p))
			for i := range g {
				g[i] = p[i] - v[i] + tt*g[i]
			}
			h := mat.NewDense(d, d, nil)
			for j := range d {
				clear(e)
				e[j] = 1
				require.NoError(t, k.BarrierHess(col, p, e))
				for i := range d {
					h.Set(i, j, tt*col[i])
				}
				h.Set(j, j, h.At(j, j)+1)
			}
			var dp mat.VecDense
			require.NoError(t, dp.SolveVec(h, mat.NewVecDense(d, g)))
			f0, _ := phi(p, tt)
			step := 1.0
			q := make([]float64, d)
			for {
				for i := range q {
					q[i] = p[i] - step*dp.AtVec(i)
				}
				if f, ok := phi(q, tt); ok && f <= f0 {
					break
				}
				step /= 2
				if step < 1e-20 {
					break
				}
			}
			if step < 1e-20 {
				break
			}
			copy(p, q)
			if step*nrm2(dp.RawVector().Data) < 1e-14 {
				break
			}
		}
	}
	return p
}

// Every cone's projection against the barrier method, on random points.
func TestProjectionVsBarrierMethod(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, k := range []Cone{Nonnegative{3}, SecondOrder{4}, PSD{2}, PSD{3}, Exp{}, ExpDual{}, Power{0.3}, Power{0.8}, PowerDual{0.4}} {
		for range 8 {
			v := randVec(rng, k.Dim(), 1)
			x := make([]float64, k.Dim())
			require.NoError(t, k.Project(x, v))
			p := barrierProject(t, k, v)
			diff := 0.0
			for i := range x {
				diff = math.Max(diff, math.Abs(x[i]-p[i]))
			}
			require.Less(t, diff, 1e-5, "%s at %v: projection %v, barrier method %v", coneName(k), v, x, p)
		}
	}
}
