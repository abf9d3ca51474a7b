package sinkhorn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

var tight = &Settings{Tol: 1e-14, Norm: LInf, MaxIter: 100000, Mode: LogDomain}

// direction is a random perturbation of a problem's inputs; for a
// balanced problem da and db have the same sum.
type direction struct {
	dc     *mat.Dense
	dx, dy *mat.Dense
	da, db []float64
}

func randDirection(rng *rand.Rand, pb *Problem, balanced bool) direction {
	var d direction
	var n, m int
	if pb.Cost != nil {
		n, m = pb.Cost.Dims()
		d.dc = randCost(rng, n, m)
	} else {
		var k int
		n, k = pb.X.Dims()
		m, _ = pb.Y.Dims()
		d.dx, d.dy = randPoints(rng, n, k, 0), randPoints(rng, m, k, 0)
	}
	d.da, d.db = make([]float64, n), make([]float64, m)
	for i := range d.da {
		d.da[i] = rng.NormFloat64() * 0.1
	}
	for j := range d.db {
		d.db[j] = rng.NormFloat64() * 0.1
	}
	if balanced {
		var sa, sb float64
		for _, v := range d.da {
			sa += v
		}
		for _, v := range d.db {
			sb += v
		}
		for j := range d.db {
			d.db[j] += (sa - sb) / float64(m)
		}
	}
	return d
}

// moved returns pb + h·d.
func moved(pb *Problem, d direction, h float64) *Problem {
	q := *pb
	if pb.Cost != nil {
		c := mat.DenseCopyOf(pb.Cost)
		c.Add(c, scaled(d.dc, h))
		q.Cost = c
	} else {
		x, y := mat.DenseCopyOf(pb.X), mat.DenseCopyOf(pb.Y)
		x.Add(x, scaled(d.dx, h))
		y.Add(y, scaled(d.dy, h))
		q.X, q.Y = x, y
	}
	q.A, q.B = make([]float64, len(pb.A)), make([]float64, len(pb.B))
	for i := range q.A {
		q.A[i] = pb.A[i] + h*d.da[i]
	}
	for j := range q.B {
		q.B[j] = pb.B[j] + h*d.db[j]
	}
	return &q
}

func scaled(m *mat.Dense, h float64) *mat.Dense {
	var out mat.Dense
	out.Scale(h, m)
	return &out
}

// along returns ⟨grad, d⟩.
func along(g *Grad, d direction) float64 {
	var s float64
	if g.C != nil {
		s += mat.Sum(elem(g.C, d.dc))
	}
	if g.X != nil {
		s += mat.Sum(elem(g.X, d.dx)) + mat.Sum(elem(g.Y, d.dy))
	}
	for i, v := range g.A {
		s += v * d.da[i]
	}
	for j, v := range g.B {
		s += v * d.db[j]
	}
	return s
}

func elem(a, b *mat.Dense) *mat.Dense {
	var out mat.Dense
	out.MulElem(a, b)
	return &out
}

func centralFD(t *testing.T, fn func(h float64) float64) float64 {
	return fd.Derivative(fn, 0, &fd.Settings{Formula: fd.Central, Step: 1e-5})
}

type gradCase struct {
	name     string
	pb       *Problem
	balanced bool
}

func gradCases(rng *rand.Rand) []gradCase {
	var cs []gradCase
	for k := range 3 {
		n, m := 3+rng.IntN(4), 3+rng.IntN(4)
		cs = append(cs, gradCase{"cost-balanced", &Problem{Cost: randCost(rng, n, m), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1), Epsilon: 0.1 + 0.1*float64(k)}, true})
		cs = append(cs, gradCase{"cost-unbalanced", &Problem{Cost: randCost(rng, n, m), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1.3), Epsilon: 0.1, TauA: 0.7, TauB: 1.5}, false})
		cs = append(cs, gradCase{"points-balanced", &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, m, 2, 0.5), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1), Epsilon: 0.5}, true})
	}
	n, m := 4, 5
	cs = append(cs, gradCase{"points-user-unbalanced", &Problem{X: randPoints(rng, n, 3, 0), Y: randPoints(rng, m, 3, 0.5), PointCost: userSq{}, A: randWeights(rng, n, 1), B: randWeights(rng, m, 1), Epsilon: 1, TauA: 2, TauB: 2}, false})
	return cs
}

func solveCost(t *testing.T, pb *Problem) float64 {
	r, err := Solve(context.Background(), pb, tight)
	require.NoError(t, err)
	return r.Cost
}

func TestEnvelopeGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 1))
	for _, tc := range gradCases(rng) {
		r, err := Solve(context.Background(), tc.pb, tight)
		require.NoError(t, err)
		g := r.CostGrad()
		for range 3 {
			d := randDirection(rng, tc.pb, tc.balanced)
			want := centralFD(t, func(h float64) float64 { return solveCost(t, moved(tc.pb, d, h)) })
			assert.InDelta(t, want, along(g, d), 1e-6*max(1, math.Abs(want)), tc.name)
		}
	}
}

// planLoss is ⟨G, P⟩ for a fixed G.
func planLoss(t *testing.T, pb *Problem, gp *mat.Dense) float64 {
	r, err := Solve(context.Background(), pb, tight)
	require.NoError(t, err)
	return mat.Sum(elem(r.Plan(), gp))
}

func TestImplicitPlanGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	for _, tc := range gradCases(rng) {
		r, err := Solve(context.Background(), tc.pb, tight)
		require.NoError(t, err)
		n, m := r.Dims()
		gp := randCost(rng, n, m)
		fast, err := r.PlanVJP(gp, nil)
		require.NoError(t, err)
		engine, err := r.PlanVJP(gp, &DiffSettings{Implicit: &implicit.Settings{Method: implicit.DenseLU}})
		require.NoError(t, err)
		for range 3 {
			d := randDirection(rng, tc.pb, tc.balanced)
			want := centralFD(t, func(h float64) float64 { return planLoss(t, moved(tc.pb, d, h), gp) })
			assert.InDelta(t, want, along(fast, d), 1e-6*max(1, math.Abs(want)), tc.name)
			// The Schur-complement path and the generic engine agree.
			assert.InDelta(t, along(engine, d), along(fast, d), 1e-9*max(1, math.Abs(want)), tc.name)
		}
	}
}

func TestImplicitPotentialsAndCondition(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 1))
	for _, tc := range gradCases(rng) {
		r, err := Solve(context.Background(), tc.pb, tight)
		require.NoError(t, err)
		n, m := r.Dims()
		c := r.ConditionWith(nil)
		// The solver output satisfies the condition.
		res := make([]float64, n+m)
		c.Residual(res, r.Potentials(), c.Theta())
		for _, v := range res {
			assert.InDelta(t, 0, v, 1e-12)
		}
		// Linearize agrees with central differences.
		rep, err := implicit.Check(c, r.Potentials(), c.Theta(), nil)
		require.NoError(t, err)
		assert.Less(t, rep.Worst(), 1e-6, tc.name)
		gf, gg := make([]float64, n), make([]float64, m)
		for i := range gf {
			gf[i] = rng.NormFloat64()
		}
		for j := range gg {
			gg[j] = rng.NormFloat64()
		}
		gr, err := r.Backward(gf, gg, nil)
		require.NoError(t, err)
		d := randDirection(rng, tc.pb, tc.balanced)
		want := centralFD(t, func(h float64) float64 {
			q, err := Solve(context.Background(), moved(tc.pb, d, h), tight)
			require.NoError(t, err)
			var s float64
			for i, v := range q.F {
				s += gf[i] * v
			}
			for j, v := range q.G {
				s += gg[j] * v
			}
			return s
		})
		assert.InDelta(t, want, along(gr, d), 1e-5*max(1, math.Abs(want)), tc.name)
	}
}

func TestUnrolledGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 1))
	for _, tc := range gradCases(rng) {
		for _, iters := range []int{3, 40} {
			u, err := SolveUnrolled(context.Background(), tc.pb, iters)
			require.NoError(t, err)
			g := u.CostGrad()
			d := randDirection(rng, tc.pb, tc.balanced)
			want := centralFD(t, func(h float64) float64 {
				v, err := SolveUnrolled(context.Background(), moved(tc.pb, d, h), iters)
				require.NoError(t, err)
				return v.Cost
			})
			assert.InDelta(t, want, along(g, d), 1e-6*max(1, math.Abs(want)), "%s T=%d", tc.name, iters)
		}
		// Unrolled and envelope gradients agree at convergence.
		u, err := SolveUnrolled(context.Background(), tc.pb, 3000)
		require.NoError(t, err)
		r, err := Solve(context.Background(), tc.pb, tight)
		require.NoError(t, err)
		d := randDirection(rng, tc.pb, tc.balanced)
		want := along(r.CostGrad(), d)
		assert.InDelta(t, want, along(u.CostGrad(), d), 1e-6*max(1, math.Abs(want)), tc.name)
	}
}

func TestDivergenceGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 1))
	for k := range 3 {
		n, m := 4+rng.IntN(3), 3+rng.IntN(3)
		pb := &Problem{X: randPoints(rng, n, 2, 0), Y: randPoints(rng, m, 2, 0.7), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1), Epsilon: 0.6}
		balanced := true
		if k == 2 {
			pb.TauA, pb.TauB = 1, 1
			pb.B = randWeights(rng, m, 1.4)
			balanced = false
		}
		_, dr, err := Divergence(context.Background(), pb, tight)
		require.NoError(t, err)
		g := dr.Grad()
		for range 2 {
			d := randDirection(rng, pb, balanced)
			want := centralFD(t, func(h float64) float64 {
				v, _, err := Divergence(context.Background(), moved(pb, d, h), tight)
				require.NoError(t, err)
				return v
			})
			assert.InDelta(t, want, along(g, d), 1e-6*max(1, math.Abs(want)))
		}
	}
}

func TestUnrolledPotentialsVJP(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 1))
	for _, tc := range gradCases(rng)[:4] {
		u, err := SolveUnrolled(context.Background(), tc.pb, 7)
		require.NoError(t, err)
		gf, gg := make([]float64, len(u.F)), make([]float64, len(u.G))
		for i := range gf {
			gf[i] = rng.NormFloat64()
		}
		for j := range gg {
			gg[j] = rng.NormFloat64()
		}
		g, err := u.Backward(gf, gg)
		require.NoError(t, err)
		d := randDirection(rng, tc.pb, tc.balanced)
		want := centralFD(t, func(h float64) float64 {
			v, err := SolveUnrolled(context.Background(), moved(tc.pb, d, h), 7)
			require.NoError(t, err)
			var s float64
			for i, x := range v.F {
				s += gf[i] * x
			}
			for j, x := range v.G {
				s += gg[j] * x
			}
			return s
		})
		assert.InDelta(t, want, along(g, d), 1e-6*max(1, math.Abs(want)), tc.name)
	}
}

// TestZeroMassGradient checks CostGrad at points of zero mass against
// one-sided differences (mass can only be added there): the derivative
// along d = e_i − e_k (balanced: mass moved from a point k that has some)
// or d = e_i (unbalanced), by the second-order forward difference
// (−3φ(0) + 4φ(h) − φ(2h)) / 2h.
func TestZeroMassGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 1))
	for k := range 4 {
		n, m := 4+rng.IntN(3), 3+rng.IntN(3)
		pb := &Problem{Cost: randCost(rng, n, m), A: randWeights(rng, n, 1), B: randWeights(rng, m, 1), Epsilon: 0.2}
		balanced := k%2 == 0
		if !balanced {
			pb.TauA, pb.TauB = 0.8, 1.7
		}
		pb.A[1], pb.B[m-1] = 0, 0 // mass moved to the others keeps Σa = Σb
		pb.A[0] += 0.5 * (1 - sum(pb.A))
		pb.A[2] += 1 - sum(pb.A)
		pb.B[0] += 1 - sum(pb.B)
		r, err := Solve(context.Background(), pb, tight)
		require.NoError(t, err)
		g := r.CostGrad()
		for _, side := range []string{"a", "b"} {
			zero, from := 1, 0
			gv := g.A
			if side == "b" {
				zero, gv = m-1, g.B
			}
			want := oneSided(t, func(h float64) float64 {
				q := *pb
				q.A, q.B = append([]float64(nil), pb.A...), append([]float64(nil), pb.B...)
				ww := q.A
				if side == "b" {
					ww = q.B
				}
				ww[zero] += h
				if balanced {
					ww[from] -= h
				}
				return solveCost(t, &q)
			})
			got := gv[zero]
			if balanced {
				got -= gv[from]
			}
			assert.InDelta(t, want, got, 1e-5*max(1, math.Abs(want)), "%s instance %d, zero %s[%d]", map[bool]string{true: "balanced", false: "unbalanced"}[balanced], k, side, zero)
		}
	}
	// The fuzz finding: ε = 1.4e-76 (relative), two points of zero mass on
	// each side. The potential's rounding error over ε overflowed the sum
	// (a NaN where it met a zero weight). With one point of mass on the
	// other side, the derivative at a zero point i is its c-transform
	// C_i0 − g_0 − ε log b_0, to rounding.
	c := mat.NewDense(3, 2, []float64{0, 1.883392333984375, 1.922454833984375, 1.883392333984375, 0, 0})
	pb := &Problem{Cost: c, A: []float64{0, 0, 6.3543701171875}, B: []float64{6.3543701171875, 0}, Epsilon: 1.3983806415771047e-76, RelativeEpsilon: true}
	r, err := Solve(context.Background(), pb, &Settings{MaxIter: 200, Anderson: 3})
	require.NoError(t, err)
	g := r.CostGrad()
	for i := range 2 {
		assert.InDelta(t, c.At(i, 0)-r.G[0], g.A[i], 1e-12, "a[%d]", i)
	}
	assert.InDelta(t, c.At(2, 1)-r.F[2], g.B[1], 1e-12, "b[1]")
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

// oneSided is the second-order forward difference of φ at 0.
func oneSided(t *testing.T, phi func(h float64) float64) float64 {
	t.Helper()
	const h = 1e-5
	return (-3*phi(0) + 4*phi(h) - phi(2*h)) / (2 * h)
}
