package lp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	gonumlp "gonum.org/v1/gonum/optimize/convex/lp"
)

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// randomLP returns a feasible LP with box bounds [-3, 3] (hence bounded).
func randomLP(rng *rand.Rand, n, neq, m int) *Problem {
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = rng.Float64()*2 - 1
	}
	pb := &Problem{C: randVec(rng, n), Lower: make([]float64, n), Upper: make([]float64, n)}
	for i := range n {
		pb.Lower[i], pb.Upper[i] = -3, 3
	}
	if m > 0 {
		g := mat.NewDense(m, n, randVec(rng, m*n))
		h := make([]float64, m)
		for i := range m {
			h[i] = mat.Dot(g.RowView(i), mat.NewVecDense(n, x0)) + rng.Float64()
		}
		pb.G, pb.H = g, h
	}
	if neq > 0 {
		a := mat.NewDense(neq, n, randVec(rng, neq*n))
		b := make([]float64, neq)
		for i := range neq {
			b[i] = mat.Dot(a.RowView(i), mat.NewVecDense(n, x0))
		}
		pb.A, pb.B = a, b
	}
	return pb
}

// simplexOptimum solves pb with gonum's Simplex after conversion to
// standard form (bounds as inequality rows).
func simplexOptimum(t *testing.T, pb *Problem) (float64, error) {
	t.Helper()
	n := len(pb.C)
	var rows [][]float64
	var h []float64
	m := len(pb.H)
	for i := range m {
		rows = append(rows, mat.Row(nil, i, pb.G))
		h = append(h, pb.H[i])
	}
	for i := range n {
		if pb.Upper != nil && !math.IsInf(pb.Upper[i], 1) {
			r := make([]float64, n)
			r[i] = 1
			rows, h = append(rows, r), append(h, pb.Upper[i])
		}
		if pb.Lower != nil && !math.IsInf(pb.Lower[i], -1) {
			r := make([]float64, n)
			r[i] = -1
			rows, h = append(rows, r), append(h, -pb.Lower[i])
		}
	}
	var g mat.Matrix
	if len(rows) > 0 {
		gd := mat.NewDense(len(rows), n, nil)
		for i, r := range rows {
			gd.SetRow(i, r)
		}
		g = gd
	}
	var a mat.Matrix
	if pb.A != nil {
		a = pb.A
	}
	c, aa, bb := gonumlp.Convert(pb.C, g, h, a, pb.B)
	f, _, err := gonumlp.Simplex(c, aa, bb, 1e-10, nil)
	return f, err
}

// checkKKT verifies the duals returned with an LP solution: stationarity,
// sign of the multipliers and strong duality.
func checkKKT(t *testing.T, pb *Problem, sol *Solution, tol float64) {
	t.Helper()
	n := len(pb.C)
	r := append([]float64(nil), pb.C...)
	dualObj := 0.0
	for i := range len(pb.B) {
		for j := range n {
			r[j] += pb.A.At(i, j) * sol.Nu[i]
		}
		dualObj -= pb.B[i] * sol.Nu[i]
	}
	for i := range len(pb.H) {
		require.GreaterOrEqual(t, sol.Lambda[i], 0.0)
		for j := range n {
			r[j] += pb.G.At(i, j) * sol.Lambda[i]
		}
		dualObj -= pb.H[i] * sol.Lambda[i]
	}
	for j := range n {
		require.GreaterOrEqual(t, sol.LowerDual[j], 0.0)
		require.GreaterOrEqual(t, sol.UpperDual[j], 0.0)
		r[j] += sol.UpperDual[j] - sol.LowerDual[j]
		if sol.UpperDual[j] != 0 {
			dualObj -= pb.Upper[j] * sol.UpperDual[j]
		}
		if sol.LowerDual[j] != 0 {
			dualObj += pb.Lower[j] * sol.LowerDual[j]
		}
	}
	for j := range n {
		require.InDelta(t, 0, r[j], tol, "stationarity")
	}
	require.InDelta(t, sol.Objective, dualObj, tol*math.Max(1, math.Abs(sol.Objective)), "strong duality")
}

func TestAgainstSimplexRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 20 {
		n := 2 + rng.IntN(10)
		m := rng.IntN(2 * n)
		neq := rng.IntN(n / 2)
		pb := randomLP(rng, n, neq, m)
		sol, err := Solve(context.Background(), pb, nil)
		require.NoError(t, err, "trial %d", trial)
		want, err := simplexOptimum(t, pb)
		require.NoError(t, err)
		require.InDelta(t, want, sol.Objective, 1e-7*math.Max(1, math.Abs(want)), "trial %d", trial)
		require.Less(t, sol.Residuals.Max(), 1e-8)
		checkKKT(t, pb, sol, 1e-7)
	}
}

func TestDegenerate(t *testing.T) {
	// Vertex (1, 1) of x ≤ 1, y ≤ 1, x + y ≤ 2 (three constraints active
	// at a point in R²), a duplicated row, and a redundant equality.
	pb := &Problem{
		C: []float64{-1, -1},
		G: mat.NewDense(4, 2, []float64{1, 0, 0, 1, 1, 1, 1, 1}),
		H: []float64{1, 1, 2, 2},
		A: mat.NewDense(2, 2, []float64{1, -1, 2, -2}),
		B: []float64{0, 0},
	}
	sol, err := Solve(context.Background(), pb, nil)
	require.NoError(t, err)
	require.InDelta(t, 1, sol.X[0], 1e-7)
	require.InDelta(t, 1, sol.X[1], 1e-7)
	want, err := simplexOptimum(t, &Problem{C: pb.C, G: pb.G, H: pb.H})
	require.NoError(t, err)
	require.InDelta(t, want, sol.Objective, 1e-7)
	checkKKT(t, pb, sol, 1e-7)

	// Optimal face: min x + y over the simplex-like set x, y ≥ 0,
	// x + y ≥ 1: every point of the segment is optimal.
	pb2 := &Problem{C: []float64{1, 1}, G: mat.NewDense(1, 2, []float64{-1, -1}), H: []float64{-1},
		Lower: []float64{0, 0}}
	sol2, err := Solve(context.Background(), pb2, nil)
	require.NoError(t, err)
	require.InDelta(t, 1, sol2.Objective, 1e-8)
	checkKKT(t, pb2, sol2, 1e-7)
}

func TestInfeasibleUnbounded(t *testing.T) {
	ctx := context.Background()
	// x₁ + x₂ ≤ 1 and x₁ + x₂ ≥ 3 with x ≥ 0.
	inf := &Problem{C: []float64{1, 1}, G: mat.NewDense(2, 2, []float64{1, 1, -1, -1}), H: []float64{1, -3},
		Lower: []float64{0, 0}}
	_, err := Solve(ctx, inf, nil)
	require.ErrorIs(t, err, ErrInfeasible)
	_, err = simplexOptimum(t, inf)
	require.True(t, errors.Is(err, gonumlp.ErrInfeasible), "simplex agrees: %v", err)

	// Infeasible equalities: x₁ + x₂ = 1, x₁ + x₂ = 2.
	inf2 := &Problem{C: []float64{1, 0}, A: mat.NewDense(2, 2, []float64{1, 1, 1, 1}), B: []float64{1, 2},
		Lower: []float64{0, 0}}
	_, err = Solve(ctx, inf2, nil)
	require.ErrorIs(t, err, ErrInfeasible)

	// min −x₁ − x₂ over x ≥ 0, x₁ − x₂ ≤ 1.
	unb := &Problem{C: []float64{-1, -1}, G: mat.NewDense(1, 2, []float64{1, -1}), H: []float64{1},
		Lower: []float64{0, 0}}
	_, err = Solve(ctx, unb, nil)
	require.ErrorIs(t, err, ErrUnbounded)
	_, err = simplexOptimum(t, unb)
	require.True(t, errors.Is(err, gonumlp.ErrUnbounded), "simplex agrees: %v", err)

	// Random infeasible LPs: a feasible one plus the sum of its rows
	// pushed beyond the sum of their bounds.
	rng := rand.New(rand.NewPCG(7, 8))
	for range 5 {
		n := 3 + rng.IntN(6)
		pb := randomLP(rng, n, 0, n)
		g := pb.G.(*mat.Dense)
		sum := make([]float64, n)
		hs := 0.0
		for i := range n {
			for j := range n {
				sum[j] -= g.At(i, j)
			}
			hs -= pb.H[i]
		}
		g2 := mat.NewDense(n+1, n, nil)
		g2.Slice(0, n, 0, n).(*mat.Dense).Copy(g)
		g2.SetRow(n, sum)
		pb.G, pb.H = g2, append(append([]float64(nil), pb.H...), hs-1)
		_, err := Solve(ctx, pb, nil)
		require.ErrorIs(t, err, ErrInfeasible)
	}
}

// TestSmoothedGradients checks the regularized and barrier variants'
// gradients against central differences of the solution.
func TestSmoothedGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ctx := context.Background()
	for _, set := range []*Settings{{Quadratic: 0.5, Tol: 1e-11}, {Barrier: 0.05, Tol: 1e-11}} {
		for range 3 {
			n := 4 + rng.IntN(4)
			pb := randomLP(rng, n, 1, n)
			sol, err := Solve(ctx, pb, set)
			require.NoError(t, err)
			gx := randVec(rng, n)
			grad, err := sol.Backward(gx)
			require.NoError(t, err)
			loss := func(p *Problem) float64 {
				s, err := Solve(ctx, p, set)
				require.NoError(t, err)
				return mat.Dot(mat.NewVecDense(n, gx), mat.NewVecDense(n, s.X))
			}
			// Direction in c.
			dc := randVec(rng, n)
			want := fd.Derivative(func(e float64) float64 {
				p := *pb
				p.C = make([]float64, n)
				for i := range n {
					p.C[i] = pb.C[i] + e*dc[i]
				}
				return loss(&p)
			}, 0, &fd.Settings{Formula: fd.Central, Step: 1e-4})
			got := mat.Dot(mat.NewVecDense(n, grad.C), mat.NewVecDense(n, dc))
			require.InDelta(t, want, got, 1e-5*math.Max(1, math.Abs(want)), "c, %+v", *set)
			require.Greater(t, math.Abs(got), 1e-6, "smoothing gives a non-zero derivative in c")
			// Direction in h and in the upper bounds.
			dh := randVec(rng, len(pb.H))
			du := randVec(rng, n)
			want = fd.Derivative(func(e float64) float64 {
				p := *pb
				p.H = make([]float64, len(pb.H))
				for i := range p.H {
					p.H[i] = pb.H[i] + e*dh[i]
				}
				p.Upper = make([]float64, n)
				for i := range n {
					p.Upper[i] = pb.Upper[i] + e*du[i]
				}
				return loss(&p)
			}, 0, &fd.Settings{Formula: fd.Central, Step: 1e-4})
			got = mat.Dot(mat.NewVecDense(len(dh), grad.H), mat.NewVecDense(len(dh), dh)) +
				mat.Dot(mat.NewVecDense(n, grad.Upper), mat.NewVecDense(n, du))
			require.InDelta(t, want, got, 1e-5*math.Max(1, math.Abs(want)), "h, u, %+v", *set)
		}
	}
}

func TestOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	pb := randomLP(rng, 6, 2, 5)
	or, err := NewOracle(pb, nil)
	require.NoError(t, err)
	dst := make([]float64, 6)
	for range 3 {
		c := randVec(rng, 6)
		require.NoError(t, or(context.Background(), dst, c))
		p := *pb
		p.C = c
		want, err := simplexOptimum(t, &p)
		require.NoError(t, err)
		got := mat.Dot(mat.NewVecDense(6, c), mat.NewVecDense(6, dst))
		require.InDelta(t, want, got, 1e-7*math.Max(1, math.Abs(want)))
	}
	require.ErrorIs(t, or(context.Background(), dst, make([]float64, 5)), ErrDims)
}

// TestAgainstSimplexDegenerate uses integer data with many ties: the
// optimal vertices are degenerate and the optimal faces often not unique.
func TestAgainstSimplexDegenerate(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for trial := range 25 {
		n := 2 + rng.IntN(8)
		m := n + rng.IntN(2*n)
		g := mat.NewDense(m, n, nil)
		h := make([]float64, m)
		for i := range m {
			for j := range n {
				g.Set(i, j, float64(rng.IntN(3)-1))
			}
			h[i] = float64(rng.IntN(3))
		}
		c := make([]float64, n)
		for j := range c {
			c[j] = float64(rng.IntN(3) - 1)
		}
		pb := &Problem{C: c, G: g, H: h, Lower: make([]float64, n), Upper: make([]float64, n)}
		for j := range n {
			pb.Upper[j] = 2
		}
		want, werr := simplexOptimum(t, pb)
		sol, err := Solve(context.Background(), pb, nil)
		if werr != nil {
			require.ErrorIs(t, werr, gonumlp.ErrInfeasible, "trial %d", trial)
			require.ErrorIs(t, err, ErrInfeasible, "trial %d", trial)
			continue
		}
		require.NoError(t, err, "trial %d", trial)
		require.InDelta(t, want, sol.Objective, 1e-7*math.Max(1, math.Abs(want)), "trial %d", trial)
		checkKKT(t, pb, sol, 1e-7)
	}
}

func TestLargerLP(t *testing.T) {
	if testing.Short() {
		t.Skip("larger instances")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for range 2 {
		pb := randomLP(rng, 24, 6, 40)
		sol, err := Solve(context.Background(), pb, nil)
		require.NoError(t, err)
		want, err := simplexOptimum(t, pb)
		require.NoError(t, err)
		require.InDelta(t, want, sol.Objective, 1e-7*math.Max(1, math.Abs(want)))
		checkKKT(t, pb, sol, 1e-7)
	}
}

func TestSolveBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	probs := make([]*Problem, 7)
	for i := range probs {
		probs[i] = randomLP(rng, 6, 1, 8)
	}
	probs[3] = &Problem{C: []float64{-1}, Lower: []float64{0}} // unbounded
	one, err1 := SolveBatch(context.Background(), probs, &Settings{Workers: 1})
	two, err2 := SolveBatch(context.Background(), probs, &Settings{Workers: 3})
	require.ErrorIs(t, err1, ErrUnbounded)
	require.ErrorIs(t, err2, ErrUnbounded)
	for i := range probs {
		if i == 3 {
			continue
		}
		require.Equal(t, one[i].X, two[i].X)
		require.Equal(t, one[i].Lambda, two[i].Lambda)
	}
}
