package qp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// lossAt solves the QP stored in θ and returns ⟨gx, x*⟩ + ⟨gν, ν*⟩ + ⟨gλ, λ*⟩.
func lossAt(t *testing.T, l Layout, theta, gx, gnu, gl []float64, set *Settings) float64 {
	sol, err := Solve(context.Background(), l.Unpack(theta), set)
	require.NoError(t, err)
	return dot(gx, sol.X) + dot(gnu, sol.Nu) + dot(gl, sol.Lambda)
}

// blockDirections returns one random direction per parameter block, each
// zero outside its block (Q directions are symmetric).
func blockDirections(rng *rand.Rand, l Layout) map[string][]float64 {
	q, p, a, b, g, h, end := l.offsets()
	out := map[string][]float64{}
	add := func(name string, lo, hi int) {
		if hi == lo {
			return
		}
		d := make([]float64, end)
		for i := lo; i < hi; i++ {
			d[i] = rng.NormFloat64()
		}
		out[name] = d
	}
	add("Q", q, p)
	if d, ok := out["Q"]; ok {
		qm := l.Q(d)
		for i := range l.N {
			for j := range i {
				qm.Set(i, j, qm.At(j, i))
			}
		}
	}
	add("p", p, a)
	add("A", a, b)
	add("b", b, g)
	add("G", g, h)
	add("h", h, end)
	return out
}

func checkGradients(t *testing.T, rng *rand.Rand, pb *Problem, set *Settings, tol float64) {
	t.Helper()
	checkGradientsStep(t, rng, pb, set, tol, 1e-4)
}

// checkGradientsStep is checkGradients with the central-difference step.
func checkGradientsStep(t *testing.T, rng *rand.Rand, pb *Problem, set *Settings, tol, step float64) {
	t.Helper()
	ctx := context.Background()
	sol, err := Solve(ctx, pb, set)
	require.NoError(t, err)
	n, neq, m := sol.Dims()
	l := sol.Layout()
	gx, gnu, gl := randVec(rng, n), randVec(rng, neq), randVec(rng, m)
	grad, err := sol.Backward(gx, gnu, gl)
	require.NoError(t, err)
	flat := l.PackGradient(nil, grad)

	// Generic engine on the KKT condition.
	c, z, theta := sol.Condition()
	g := append(append(append([]float64(nil), gx...), gnu...), gl...)
	eng, err := implicit.VJP(context.Background(), c, z, theta, g, nil)
	require.NoError(t, err)
	scale := math.Max(1, maxAbs(flat))
	require.Less(t, maxAbsDiff(flat, eng)/scale, tol, "fast backward vs engine VJP")

	// Forward mode and central differences, one direction per block.
	for name, dir := range blockDirections(rng, l) {
		want := fd.Derivative(func(s float64) float64 {
			th := append([]float64(nil), theta...)
			for i := range th {
				th[i] += s * dir[i]
			}
			return lossAt(t, l, th, gx, gnu, gl, set)
		}, 0, &fd.Settings{Formula: fd.Central, Step: step})
		got := dot(flat, dir)
		require.InDelta(t, want, got, tol*math.Max(1, math.Abs(want)), "block %s: backward vs central differences", name)
		tan, err := sol.Tangent(l.Unpack(dir))
		require.NoError(t, err)
		fwd := dot(gx, tan.X) + dot(gnu, tan.Nu) + dot(gl, tan.Lambda)
		require.InDelta(t, got, fwd, tol*math.Max(1, math.Abs(got)), "block %s: forward vs backward", name)
	}
}

func maxAbs(x []float64) float64 { return normInf(x) }

func TestGradientsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	set := &Settings{Tol: 1e-10}
	for _, c := range [][3]int{{6, 0, 8}, {8, 3, 10}, {5, 2, 0}, {7, 0, 0}, {10, 4, 25}} {
		pb := randomQP(rng, c[0], c[1], c[2])
		checkGradients(t, rng, pb, set, 1e-5)
		forcePrimal = true
		checkGradients(t, rng, pb, set, 1e-5)
		forcePrimal = false
	}
}

// badlyScaled returns randomQP with the constraint rows multiplied by
// factors spread log-uniformly over [1/spread, spread] (mixed units).
func badlyScaled(rng *rand.Rand, n, neq, m int, spread float64) *Problem {
	pb := randomQP(rng, n, neq, m)
	scaleRows := func(a *mat.Dense, rhs []float64) {
		r, c := a.Dims()
		for i := range r {
			s := math.Pow(spread, 2*rng.Float64()-1)
			for j := range c {
				a.Set(i, j, s*a.At(i, j))
			}
			rhs[i] *= s
		}
	}
	if m > 0 {
		scaleRows(pb.G.(*mat.Dense), pb.H)
	}
	if neq > 0 {
		scaleRows(pb.A.(*mat.Dense), pb.B)
	}
	return pb
}

// Rows of wildly different magnitudes are equilibrated internally; the
// solution, the multipliers in the user's units and every gradient must
// be those of the problem as given.
func TestBadlyScaledRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	set := &Settings{Tol: 1e-10}
	for _, c := range [][3]int{{6, 0, 8}, {8, 3, 10}, {10, 4, 25}} {
		pb := badlyScaled(rng, c[0], c[1], c[2], 1e3)
		require.NotNil(t, rowScales(mustData(t, pb)), "the test problem must trigger the equilibration")
		// Steps small against the smallest rows (1e-3), so that central
		// differences stay accurate.
		checkGradientsStep(t, rng, pb, set, 1e-5, 1e-6)
		forcePrimal = true
		checkGradientsStep(t, rng, pb, set, 1e-5, 1e-6)
		forcePrimal = false
	}
	// Extreme spreads converge to rounding-level residuals (relative to
	// each row's magnitude) where the unscaled iteration stalls.
	for _, spread := range []float64{1e6, 1e9} {
		for range 5 {
			pb := badlyScaled(rng, 20, 4, 30, spread)
			sol, err := Solve(context.Background(), pb, nil)
			require.NoError(t, err, "spread %g", spread)
			g := pb.G.(*mat.Dense)
			for i := range pb.H {
				row := mat.Row(nil, i, g)
				viol := dot(row, sol.X) - pb.H[i]
				require.Less(t, viol, 1e-9*math.Max(1, normInf(row)*normInf(sol.X)), "row %d", i)
				require.GreaterOrEqual(t, sol.Lambda[i], 0.0)
			}
			// Stationarity in the user's units.
			r := kktResiduals(mustData(t, pb), sol.X, sol.Nu, sol.Lambda, 0)
			require.Less(t, r.Dual, 1e-8)
		}
	}
}

func mustData(t *testing.T, pb *Problem) *data {
	d, err := newData(pb)
	require.NoError(t, err)
	return d
}
