package qp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// bruteForce solves a small QP with Q ≻ 0 by enumerating active sets: for
// each subset S of the inequalities it solves the equality-constrained QP
// with A and G_S and keeps the feasible one with λ_S ≥ 0.
func bruteForce(t *testing.T, pb *Problem) []float64 {
	n, neq, m := pb.Dims()
	for mask := 0; mask < 1<<m; mask++ {
		var rows []int
		for i := range m {
			if mask&(1<<i) != 0 {
				rows = append(rows, i)
			}
		}
		k := neq + len(rows)
		N := n + k
		kkt := mat.NewDense(N, N, nil)
		rhs := mat.NewVecDense(N, nil)
		for i := range n {
			for j := range n {
				kkt.Set(i, j, pb.Q.At(i, j))
			}
			rhs.SetVec(i, -pb.P[i])
		}
		set := func(r int, row func(j int) float64, v float64) {
			for j := range n {
				kkt.Set(n+r, j, row(j))
				kkt.Set(j, n+r, row(j))
			}
			rhs.SetVec(n+r, v)
		}
		for i := range neq {
			set(i, func(j int) float64 { return pb.A.At(i, j) }, pb.B[i])
		}
		for r, i := range rows {
			set(neq+r, func(j int) float64 { return pb.G.At(i, j) }, pb.H[i])
		}
		var sol mat.VecDense
		if err := sol.SolveVec(kkt, rhs); err != nil {
			continue
		}
		ok := true
		for r := range rows {
			if sol.AtVec(n+neq+r) < -1e-9 {
				ok = false
			}
		}
		for i := range m {
			s := pb.H[i]
			for j := range n {
				s -= pb.G.At(i, j) * sol.AtVec(j)
			}
			if s < -1e-9 {
				ok = false
			}
		}
		if ok {
			return sol.RawVector().Data[:n]
		}
	}
	return nil // infeasible
}

func TestAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := range 30 {
		n := 2 + rng.IntN(4)
		neq := rng.IntN(2)
		m := 1 + rng.IntN(6)
		pb := randomQP(rng, n, neq, m)
		// Move the constraints towards the unconstrained optimum so that
		// some are active.
		for i := range pb.H {
			pb.H[i] -= rng.Float64()
		}
		want := bruteForce(t, pb)
		for _, primal := range []bool{false, true} {
			forcePrimal = primal
			sol, err := Solve(context.Background(), pb, nil)
			forcePrimal = false
			if want == nil {
				require.ErrorIs(t, err, ErrInfeasible, "trial %d", trial)
				continue
			}
			require.NoError(t, err, "trial %d", trial)
			require.Less(t, maxAbsDiff(sol.X, want), 1e-7, "trial %d primal=%v", trial, primal)
			require.Less(t, sol.Residuals.Max(), 1e-8)
		}
	}
}

func TestSpecialStructures(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(23, 24))
	// Unconstrained: x = −Q⁻¹p.
	pb := randomQP(rng, 6, 0, 0)
	sol, err := Solve(ctx, pb, nil)
	require.NoError(t, err)
	var want mat.VecDense
	require.NoError(t, want.SolveVec(pb.Q, mat.NewVecDense(6, pb.P)))
	want.ScaleVec(-1, &want)
	require.Less(t, maxAbsDiff(sol.X, want.RawVector().Data), 1e-10)

	// Equality-only with a duplicated and a redundant (sum) row.
	pb = randomQP(rng, 6, 2, 0)
	a := pb.A.(*mat.Dense)
	a2 := mat.NewDense(4, 6, nil)
	a2.Slice(0, 2, 0, 6).(*mat.Dense).Copy(a)
	a2.SetRow(2, mat.Row(nil, 0, a))
	for j := range 6 {
		a2.Set(3, j, a.At(0, j)+a.At(1, j))
	}
	ref, err := Solve(ctx, pb, nil)
	require.NoError(t, err)
	pb.A, pb.B = a2, []float64{pb.B[0], pb.B[1], pb.B[0], pb.B[0] + pb.B[1]}
	sol, err = Solve(ctx, pb, nil)
	require.NoError(t, err)
	require.Less(t, maxAbsDiff(sol.X, ref.X), 1e-8)

	// Duplicated inequality rows.
	pb = randomQP(rng, 5, 0, 4)
	for i := range pb.H {
		pb.H[i] -= 1.5
	}
	ref, err = Solve(ctx, pb, nil)
	require.NoError(t, err)
	g := pb.G.(*mat.Dense)
	g2 := mat.NewDense(8, 5, nil)
	g2.Slice(0, 4, 0, 5).(*mat.Dense).Copy(g)
	g2.Slice(4, 8, 0, 5).(*mat.Dense).Copy(g)
	pb.G, pb.H = g2, append(append([]float64(nil), pb.H...), pb.H...)
	sol, err = Solve(ctx, pb, nil)
	require.NoError(t, err)
	require.Less(t, maxAbsDiff(sol.X, ref.X), 1e-7)
	for i := range 4 {
		require.InDelta(t, ref.Lambda[i], sol.Lambda[i]+sol.Lambda[i+4], 1e-7, "duplicated multipliers share λ")
	}

	// Singular PSD Q (rank 1) with constraints bounding the free directions.
	n := 4
	v := randVec(rng, n)
	q := mat.NewSymDense(n, nil)
	q.SymOuterK(1, mat.NewDense(n, 1, v))
	box := mat.NewDense(2*n, n, nil)
	h := make([]float64, 2*n)
	for i := range n {
		box.Set(i, i, 1)
		box.Set(n+i, i, -1)
		h[i], h[n+i] = 1, 1
	}
	pb = &Problem{Q: q, P: randVec(rng, n), G: box, H: h}
	sol, err = Solve(ctx, pb, nil)
	require.NoError(t, err)
	require.Less(t, sol.Residuals.Max(), 1e-8)
}

func TestInfeasibleUnboundedQP(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(25, 26))
	// Q ≻ 0 with contradictory inequalities.
	pb := randomQP(rng, 3, 0, 0)
	pb.G = mat.NewDense(2, 3, []float64{1, 1, 1, -1, -1, -1})
	pb.H = []float64{1, -2}
	sol, err := Solve(ctx, pb, nil)
	require.ErrorIs(t, err, ErrInfeasible)
	require.Equal(t, Infeasible, sol.Status)
	_, err = sol.Backward(make([]float64, 3), nil, nil)
	require.ErrorIs(t, err, ErrSingular)
	// Inconsistent equalities.
	pb = randomQP(rng, 3, 0, 0)
	pb.A = mat.NewDense(2, 3, []float64{1, 2, 3, 2, 4, 6})
	pb.B = []float64{1, 3}
	_, err = Solve(ctx, pb, nil)
	require.ErrorIs(t, err, ErrInfeasible)
	// Singular Q, objective decreasing along the null space of Q.
	q := mat.NewSymDense(2, []float64{1, 0, 0, 0})
	pb = &Problem{Q: q, P: []float64{0, -1}, G: mat.NewDense(1, 2, []float64{1, 0}), H: []float64{1}}
	sol, err = Solve(ctx, pb, nil)
	require.ErrorIs(t, err, ErrUnbounded)
	require.Equal(t, Unbounded, sol.Status)
	// The same with x₂ ≤ 3 is bounded.
	pb.G = mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	pb.H = []float64{1, 3}
	sol, err = Solve(ctx, pb, nil)
	require.NoError(t, err)
	require.InDelta(t, 3, sol.X[1], 1e-8)
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	q := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	cases := map[string]struct {
		pb   *Problem
		want error
	}{
		"nil":        {nil, ErrDims},
		"empty":      {&Problem{}, ErrDims},
		"Q shape":    {&Problem{Q: q, P: []float64{1, 2, 3}}, ErrDims},
		"G missing":  {&Problem{P: []float64{1, 2}, H: []float64{1}}, ErrDims},
		"A shape":    {&Problem{P: []float64{1, 2}, A: mat.NewDense(1, 3, nil), B: []float64{1}}, ErrDims},
		"NaN p":      {&Problem{Q: q, P: []float64{math.NaN(), 1}}, ErrNaN},
		"Inf h":      {&Problem{Q: q, P: []float64{1, 1}, G: mat.NewDense(1, 2, []float64{1, 1}), H: []float64{math.Inf(1)}}, ErrNaN},
		"NaN Q":      {&Problem{Q: mat.NewSymDense(2, []float64{1, math.NaN(), math.NaN(), 1}), P: []float64{1, 1}}, ErrNaN},
		"not convex": {&Problem{Q: mat.NewSymDense(2, []float64{1, 0, 0, -1}), P: []float64{1, 1}}, ErrNotConvex},
	}
	for name, c := range cases {
		sol, err := Solve(ctx, c.pb, nil)
		require.ErrorIs(t, err, c.want, name)
		require.Nil(t, sol, name)
	}
	sol, err := Solve(ctx, &Problem{Q: q, P: []float64{1, 1}}, nil)
	require.NoError(t, err)
	_, err = sol.Backward([]float64{1}, nil, nil)
	require.ErrorIs(t, err, ErrDims)
	_, err = sol.Backward([]float64{1, math.NaN()}, nil, nil)
	require.ErrorIs(t, err, ErrNaN)
}

func TestWarmStartAndCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	pb := randomQP(rng, 30, 5, 40)
	// Perturb the data slightly and warm start from the old solution.
	checkWarmStart(t, rng, pb)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sol, err := Solve(ctx, pb, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, Canceled, sol.Status)
}

func TestBatchDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	probs := make([]*Problem, 9)
	gx := make([][]float64, len(probs))
	for i := range probs {
		probs[i] = randomQP(rng, 8, 2, 12)
		gx[i] = randVec(rng, 8)
	}
	probs[4] = &Problem{P: []float64{1}, G: mat.NewDense(2, 1, []float64{1, -1}), H: []float64{0, -1}} // infeasible
	var ref [][]float64
	for _, w := range []int{1, 2, 5} {
		sols, err := SolveBatch(context.Background(), probs, &Settings{Workers: w})
		var be *implicit.BatchError
		require.ErrorAs(t, err, &be)
		require.ErrorIs(t, err, ErrInfeasible)
		require.ErrorIs(t, be.Err(4), ErrInfeasible)
		ok := append(append([]*Solution(nil), sols[:4]...), sols[5:]...)
		gok := append(append([][]float64(nil), gx[:4]...), gx[5:]...)
		grads, err := BackwardBatch(ok, gok, nil, nil, &Settings{Workers: w})
		require.NoError(t, err)
		var out [][]float64
		for i, s := range ok {
			out = append(out, s.X, grads[i].P, grads[i].H, grads[i].G.RawMatrix().Data)
		}
		if ref == nil {
			ref = out
			continue
		}
		for i := range out {
			require.Equal(t, ref[i], out[i], "bit-identical whatever the workers")
		}
	}
}

func TestBarrier(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	pb := randomQP(rng, 6, 1, 9)
	mu := 0.01
	sol, err := Solve(context.Background(), pb, &Settings{Barrier: mu})
	require.NoError(t, err)
	for i, l := range sol.Lambda {
		s := pb.H[i]
		for j := range 6 {
			s -= pb.G.At(i, j) * sol.X[j]
		}
		require.InDelta(t, mu, l*s, 1e-9, "on the central path")
	}
	checkGradients(t, rng, pb, &Settings{Barrier: mu, Tol: 1e-11}, 1e-5)
}

// TestGradientsNearlyDegenerate builds solutions with a weakly active
// constraint (active, λ = 1e-3) and a nearly active one (inactive, slack
// 1e-3): strict complementarity holds with small margins.
func TestGradientsNearlyDegenerate(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for range 3 {
		n, m := 5, 6
		pb := randomQP(rng, n, 1, m)
		// Choose x*, λ* and ν*, then set p and h so that they are optimal.
		x := randVec(rng, n)
		lam := []float64{1e-3, 0.5, 0, 0, 0, 0}
		slack := []float64{0, 0, 1e-3, 0.3, 1, 2}
		nu := randVec(rng, 1)
		g := pb.G.(*mat.Dense)
		for i := range m {
			pb.H[i] = mat.Dot(g.RowView(i), mat.NewVecDense(n, x)) + slack[i]
		}
		pb.B[0] = mat.Dot(pb.A.(*mat.Dense).RowView(0), mat.NewVecDense(n, x))
		var qx mat.VecDense
		qx.MulVec(pb.Q, mat.NewVecDense(n, x))
		for j := range n {
			pb.P[j] = -qx.AtVec(j) - pb.A.At(0, j)*nu[0]
			for i := range m {
				pb.P[j] -= g.At(i, j) * lam[i]
			}
		}
		sol, err := Solve(context.Background(), pb, &Settings{Tol: 1e-10})
		require.NoError(t, err)
		require.Less(t, maxAbsDiff(sol.X, x), 1e-6)
		checkGradientsStep(t, rng, pb, &Settings{Tol: 1e-10}, 1e-5, 1e-6)
	}
}

func TestNotConverged(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	pb := randomQP(rng, 30, 5, 40)
	sol, err := Solve(context.Background(), pb, &Settings{MaxIter: 2})
	require.ErrorIs(t, err, ErrNotConverged)
	require.Equal(t, NotConverged, sol.Status)
	require.True(t, finite(sol.X))
	require.Greater(t, sol.Residuals.Max(), 1e-9)
	full, err := Solve(context.Background(), pb, nil)
	require.NoError(t, err)
	require.Less(t, full.Residuals.Max(), sol.Residuals.Max())
}

// certify recomputes, in the test, the KKT conditions of (x, ν, λ) from
// the data: for a convex QP they prove optimality.
func certify(t *testing.T, pb *Problem, sol *Solution, tol float64) {
	t.Helper()
	n, neq, m := pb.Dims()
	x := mat.NewVecDense(n, sol.X)
	var r mat.VecDense
	if pb.Q != nil {
		r.MulVec(pb.Q, x)
	} else {
		r.ReuseAsVec(n)
	}
	r.AddVec(&r, mat.NewVecDense(n, pb.P))
	if neq > 0 {
		var at mat.VecDense
		at.MulVec(pb.A.T(), mat.NewVecDense(neq, sol.Nu))
		r.AddVec(&r, &at)
		var ax mat.VecDense
		ax.MulVec(pb.A, x)
		for i := range neq {
			require.InDelta(t, pb.B[i], ax.AtVec(i), tol, "Ax = b")
		}
	}
	if m > 0 {
		var gt mat.VecDense
		gt.MulVec(pb.G.T(), mat.NewVecDense(m, sol.Lambda))
		r.AddVec(&r, &gt)
		var gx mat.VecDense
		gx.MulVec(pb.G, x)
		for i := range m {
			s := pb.H[i] - gx.AtVec(i)
			require.GreaterOrEqual(t, s, -tol, "Gx ≤ h")
			require.GreaterOrEqual(t, sol.Lambda[i], 0.0, "λ ≥ 0")
			require.InDelta(t, 0, sol.Lambda[i]*s, tol, "complementarity")
		}
	}
	for i := range n {
		require.InDelta(t, 0, r.AtVec(i), tol, "stationarity")
	}
}

func TestRankDeficientQ(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	for trial := range 20 {
		n := 3 + rng.IntN(8)
		rank := rng.IntN(n)
		l := mat.NewDense(n, max(rank, 1), randVec(rng, n*max(rank, 1)))
		q := mat.NewSymDense(n, nil)
		if rank > 0 {
			q.SymOuterK(1, l)
		}
		pb := randomQP(rng, n, rng.IntN(n/2+1), 0)
		pb.Q = q
		// A box keeps the problem bounded; a few general rows make it
		// interesting.
		m := 2*n + rng.IntN(4)
		g := mat.NewDense(m, n, nil)
		h := make([]float64, m)
		for i := range n {
			g.Set(i, i, 1)
			g.Set(n+i, i, -1)
			h[i], h[n+i] = 2, 2
		}
		for i := 2 * n; i < m; i++ {
			g.SetRow(i, randVec(rng, n))
			h[i] = 0.5
		}
		pb.G, pb.H = g, h
		if pb.A != nil {
			// Equalities through a point of the box: b = A·0.
			pb.B = make([]float64, len(pb.B))
		}
		sol, err := Solve(context.Background(), pb, nil)
		require.NoError(t, err, "trial %d", trial)
		certify(t, pb, sol, 1e-8)
	}
}

func TestBatchSharedMatrices(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	base := randomQP(rng, 12, 3, 15)
	probs := make([]*Problem, 8)
	for i := range probs {
		pb := *base // same Q, A, G pointers
		pb.P = randVec(rng, 12)
		pb.H = append([]float64(nil), base.H...)
		pb.H[i%15] += 0.3
		probs[i] = &pb
	}
	bad := *base
	bad.P = []float64{1, 2} // wrong length, in the same group
	probs = append(probs, &bad)
	for _, w := range []int{1, 3} {
		sols, err := SolveBatch(context.Background(), probs, &Settings{Workers: w})
		require.ErrorIs(t, err, ErrDims)
		var be *implicit.BatchError
		require.ErrorAs(t, err, &be)
		for i, pb := range probs[:8] {
			require.NoError(t, be.Err(i))
			ref, err := Solve(context.Background(), pb, nil)
			require.NoError(t, err)
			require.Equal(t, ref.X, sols[i].X, "shared preparation gives the same bits")
			require.Equal(t, ref.Lambda, sols[i].Lambda)
			g1, err := ref.Backward(ref.X, nil, nil)
			require.NoError(t, err)
			g2, err := sols[i].Backward(ref.X, nil, nil)
			require.NoError(t, err)
			require.Equal(t, g1.H, g2.H)
		}
		require.ErrorIs(t, be.Err(8), ErrDims)
	}
	// A shared Q with NaN fails every member.
	q := mat.NewSymDense(2, []float64{1, math.NaN(), math.NaN(), 1})
	nanProbs := []*Problem{{Q: q, P: []float64{1, 2}}, {Q: q, P: []float64{3, 4}}}
	_, err := SolveBatch(context.Background(), nanProbs, nil)
	var be *implicit.BatchError
	require.ErrorAs(t, err, &be)
	require.ErrorIs(t, be.Err(0), ErrNaN)
	require.ErrorIs(t, be.Err(1), ErrNaN)
}

// TestPrimalReductionMediumSize guards the accuracy of the primal
// reduction (regularization small enough for the iterations to reach
// 1e-9) on problems with more constraints than variables.
func TestPrimalReductionMediumSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	for _, c := range [][3]int{{60, 0, 150}, {40, 10, 120}} {
		pb := randomQP(rng, c[0], c[1], c[2])
		forcePrimal = true
		sol, err := Solve(context.Background(), pb, nil)
		forcePrimal = false
		require.NoError(t, err, "%v", c)
		require.Equal(t, modePrimal, sol.kkt.mode)
		certify(t, pb, sol, 1e-8)
		ref, err := Solve(context.Background(), pb, nil)
		require.NoError(t, err)
		require.Less(t, maxAbsDiff(ref.X, sol.X), 1e-7)
	}
}
