package qp_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/optlayers/optlayers/internal/maros"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randomSparseQP is a feasible convex QP in the double-sided form with n
// variables and m rows: Q = MᵀM + shift·I with M of the given rank
// (shift 0 and rank < n: singular Q), a sparse A (density about 0.4), rows
// that are equalities, two-sided, one-sided or free around a random point
// x0, and bounds ±1.5 (both, one side or none).
func randomSparseQP(rng *rand.Rand, n, m, rank int, shift float64) *qp.SparseProblem {
	x0 := make([]float64, n)
	for i := range x0 {
		x0[i] = 0.5 * rng.NormFloat64()
	}
	pb := &qp.SparseProblem{P: make([]float64, n), LB: make([]float64, n), UB: make([]float64, n)}
	if rank > 0 || shift > 0 {
		q := mat.NewSymDense(n, nil)
		mm := mat.NewDense(max(rank, 1), n, nil)
		for i := range rank {
			for j := range n {
				mm.Set(i, j, rng.NormFloat64())
			}
		}
		var g mat.Dense
		g.Mul(mm.T(), mm)
		for i := range n {
			for j := i; j < n; j++ {
				v := g.At(i, j)
				if i == j {
					v += shift
				}
				q.SetSym(i, j, v)
			}
		}
		pb.Q, _ = sparse.SymFromDense(q)
	}
	for i := range pb.P {
		pb.P[i] = rng.NormFloat64()
		pb.LB[i], pb.UB[i] = -1.5, 1.5
		switch i % 4 {
		case 1:
			pb.LB[i] = math.Inf(-1)
		case 2:
			pb.UB[i] = math.Inf(1)
		case 3:
			pb.LB[i], pb.UB[i] = math.Inf(-1), math.Inf(1)
		}
		x0[i] = math.Max(-1.4, math.Min(1.4, x0[i]))
	}
	if m > 0 {
		a := mat.NewDense(m, n, nil)
		for i := range m {
			for j := range n {
				if rng.Float64() < 0.4 || j == i%n {
					a.Set(i, j, rng.NormFloat64())
				}
			}
		}
		pb.A, _ = sparse.FromDense(a)
		ax := make([]float64, m)
		_ = pb.A.MulVec(ax, x0)
		pb.L, pb.U = make([]float64, m), make([]float64, m)
		for i := range m {
			switch i % 4 {
			case 0:
				pb.L[i], pb.U[i] = ax[i], ax[i]
			case 1:
				pb.L[i], pb.U[i] = ax[i]-0.1-rng.Float64(), ax[i]+0.1+rng.Float64()
			case 2:
				pb.L[i], pb.U[i] = math.Inf(-1), ax[i]+0.1*rng.Float64()
			case 3:
				pb.L[i], pb.U[i] = ax[i]-0.1*rng.Float64(), math.Inf(1)
			}
		}
	}
	return pb
}

// denseForm converts a SparseProblem to qp.Problem (equalities for L = U,
// one inequality per finite side, bounds as rows).
func denseForm(pb *qp.SparseProblem) *qp.Problem {
	n, m := pb.Dims()
	out := &qp.Problem{P: pb.P}
	if pb.Q != nil {
		out.Q = pb.Q.Dense()
	}
	var ar, gr [][]float64
	var b, h []float64
	row := func(i int) []float64 {
		r := make([]float64, n)
		for j := range n {
			r[j] = pb.A.At(i, j)
		}
		return r
	}
	neg := func(r []float64) []float64 {
		o := make([]float64, len(r))
		for j, v := range r {
			o[j] = -v
		}
		return o
	}
	for i := range m {
		switch {
		case pb.L[i] == pb.U[i]:
			ar, b = append(ar, row(i)), append(b, pb.U[i])
		default:
			if !math.IsInf(pb.U[i], 1) {
				gr, h = append(gr, row(i)), append(h, pb.U[i])
			}
			if !math.IsInf(pb.L[i], -1) {
				gr, h = append(gr, neg(row(i))), append(h, -pb.L[i])
			}
		}
	}
	for j := range n {
		e := make([]float64, n)
		e[j] = 1
		if !math.IsInf(pb.UB[j], 1) {
			gr, h = append(gr, e), append(h, pb.UB[j])
		}
		if !math.IsInf(pb.LB[j], -1) {
			gr, h = append(gr, neg(e)), append(h, -pb.LB[j])
		}
	}
	stack := func(rows [][]float64) *mat.Dense {
		d := mat.NewDense(len(rows), n, nil)
		for i, r := range rows {
			d.SetRow(i, r)
		}
		return d
	}
	if len(ar) > 0 {
		out.A, out.B = stack(ar), b
	}
	if len(gr) > 0 {
		out.G, out.H = stack(gr), h
	}
	return out
}

// TestSparseAgreesWithDense solves random QPs (strongly convex, singular
// Q, LPs) with both solvers: the optimal values agree, the sparse
// solution passes the exact check, and the primal points agree where the
// solution is unique.
func TestSparseAgreesWithDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ctx := context.Background()
	for trial := range 24 {
		n := 3 + rng.IntN(25)
		m := rng.IntN(2 * n)
		rank, shift := n, 0.1
		switch trial % 3 {
		case 1:
			rank, shift = n/2, 0 // singular Q
		case 2:
			rank, shift = 0, 0 // LP
		}
		pb := randomSparseQP(rng, n, m, rank, shift)
		sol, err := qp.SolveSparse(ctx, pb, &qp.SparseSettings{Tol: 1e-10})
		if rank == 0 && errors.Is(err, qp.ErrUnbounded) {
			continue // an LP with free variables may be unbounded; checked below
		}
		require.NoError(t, err, "trial %d", trial)
		require.Equal(t, qp.Optimal, sol.Status)
		r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
		scale := 1 + math.Abs(sol.Objective)
		require.Less(t, r.Primal, 1e-8, "trial %d: %+v", trial, r)
		require.Less(t, r.Dual, 1e-7, "trial %d: %+v", trial, r)
		require.Less(t, r.Gap, 1e-7*scale, "trial %d: %+v", trial, r)
		dsol, err := qp.Solve(ctx, denseForm(pb), &qp.Settings{Tol: 1e-10})
		require.NoError(t, err, "trial %d", trial)
		require.InDelta(t, dsol.Objective, sol.Objective, 1e-7*scale, "trial %d", trial)
		if shift > 0 {
			require.InDeltaSlice(t, dsol.X, sol.X, 1e-6, "trial %d", trial)
		}
	}
}

// TestSparseMaros solves the problems of testdata/maros (copied from the
// public set, see its README) at the benchmark's accuracies: each must be
// solved, and its status must agree with the exact check.
func TestSparseMaros(t *testing.T) {
	files, err := filepath.Glob("testdata/maros/*.qps.gz")
	require.NoError(t, err)
	sparseFiles, err := filepath.Glob("../../sparse/testdata/*.qps.gz")
	require.NoError(t, err)
	files = append(files, sparseFiles...)
	for _, f := range files {
		c, err := maros.LoadFile(f)
		require.NoError(t, err)
		if testing.Short() && c.Vars > 2000 {
			continue
		}
		for _, tol := range []float64{1e-6, 1e-9} {
			pb := c.Sparse()
			sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: tol, Absolute: true})
			require.NotNil(t, sol, "%s", c.Name)
			r := maros.CheckSparse(pb, sol.X, sol.Y, sol.Z)
			if sol.Status == qp.Optimal {
				require.True(t, r.Passes(tol), "%s at %g: Optimal with %+v", c.Name, tol, r)
			}
			require.NoError(t, err, "%s at %g (%+v)", c.Name, tol, r)
		}
	}
}

// TestSparseCertificates: infeasible and unbounded problems are reported
// with a certificate, and a feasible bounded problem never is.
func TestSparseCertificates(t *testing.T) {
	ctx := context.Background()
	// x₁ + x₂ ≤ 1 and x₁ + x₂ ≥ 3, 0 ≤ x: infeasible.
	a, _ := sparse.FromDense(mat.NewDense(2, 2, []float64{1, 1, 1, 1}))
	inf := math.Inf(1)
	pb := &qp.SparseProblem{P: []float64{1, 1}, A: a, L: []float64{-inf, 3}, U: []float64{1, inf}, LB: []float64{0, 0}}
	sol, err := qp.SolveSparse(ctx, pb, nil)
	require.ErrorIs(t, err, qp.ErrInfeasible)
	require.Equal(t, qp.Infeasible, sol.Status)
	// minimize −x₁ s.t. x₁ − x₂ ≤ 1, x ≥ 0: unbounded along (1, 1).
	a2, _ := sparse.FromDense(mat.NewDense(1, 2, []float64{1, -1}))
	pb2 := &qp.SparseProblem{P: []float64{-1, 0}, A: a2, L: []float64{-inf}, U: []float64{1}, LB: []float64{0, 0}}
	sol, err = qp.SolveSparse(ctx, pb2, nil)
	require.ErrorIs(t, err, qp.ErrUnbounded)
	require.Equal(t, qp.Unbounded, sol.Status)
	// The same with an upper bound on x₂ is bounded: optimum x = (3, 2).
	pb2.UB = []float64{inf, 2}
	sol, err = qp.SolveSparse(ctx, pb2, &qp.SparseSettings{Tol: 1e-10})
	require.NoError(t, err)
	require.InDeltaSlice(t, []float64{3, 2}, sol.X, 1e-8)
	// Bounds that contradict each other are rejected at once.
	_, err = qp.SolveSparse(ctx, &qp.SparseProblem{P: []float64{1}, LB: []float64{1}, UB: []float64{0}}, nil)
	require.ErrorIs(t, err, qp.ErrInfeasible)
}

// TestSparseWarmStartAndCancel: a warm start from the solution converges
// in fewer iterations, and a canceled context stops with the best point.
func TestSparseWarmStartAndCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pb := randomSparseQP(rng, 40, 30, 40, 0.1)
	ctx := context.Background()
	sol, err := qp.SolveSparse(ctx, pb, &qp.SparseSettings{Tol: 1e-9})
	require.NoError(t, err)
	warm, err := qp.SolveSparse(ctx, pb, &qp.SparseSettings{Tol: 1e-9, WarmStart: &qp.SparseStart{X: sol.X, Y: sol.Y, Z: sol.Z}})
	require.NoError(t, err)
	require.InDeltaSlice(t, sol.X, warm.X, 1e-6)
	require.LessOrEqual(t, warm.Iterations, sol.Iterations)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = qp.SolveSparse(cctx, pb, nil)
	require.ErrorIs(t, err, context.Canceled)
}

// TestSparseDerivatives checks VJP and JVP against central differences of
// the solution on random strictly complementary instances (the
// conformance suite runs the full set of checks; this test also covers
// the adjoint identity with the typed layout).
func TestSparseDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ctx := context.Background()
	for trial := range 6 {
		n, m := 5+rng.IntN(6), 3+rng.IntN(6)
		pb := randomSparseQP(rng, n, m, n, 0.5)
		for i := range pb.L {
			if pb.L[i] == pb.U[i] {
				pb.L[i] -= 0.5 // no equalities: central differences of U alone stay feasible
			}
		}
		sol, err := qp.SolveSparse(ctx, pb, &qp.SparseSettings{Tol: 1e-12})
		require.NoError(t, err)
		l := sol.Layout()
		theta := sol.Theta()
		dir := make([]float64, l.Len())
		for i := range dir {
			if !math.IsInf(theta[i], 0) {
				dir[i] = rng.NormFloat64()
			}
		}
		// Keep Q's perturbation positive semidefinite enough: small steps.
		h := 1e-6
		plus, minus := append([]float64(nil), theta...), append([]float64(nil), theta...)
		for i := range dir {
			plus[i] += h * dir[i]
			minus[i] -= h * dir[i]
		}
		solve := func(th []float64) []float64 {
			p, err := l.Problem(th)
			require.NoError(t, err)
			s, err := qp.SolveSparse(ctx, p, &qp.SparseSettings{Tol: 1e-13})
			require.NoError(t, err)
			return s.Point()
		}
		zp, zm := solve(plus), solve(minus)
		fd := make([]float64, len(zp))
		for i := range fd {
			fd[i] = (zp[i] - zm[i]) / (2 * h)
		}
		jv := make([]float64, l.LenZ())
		require.NoError(t, sol.JVP(jv, dir))
		for i := range fd {
			require.InDelta(t, fd[i], jv[i], 1e-5*(1+math.Abs(fd[i])), "trial %d: JVP[%d]", trial, i)
		}
		g := make([]float64, l.LenZ())
		for i := range g {
			g[i] = rng.NormFloat64()
		}
		vj := make([]float64, l.Len())
		require.NoError(t, sol.VJP(vj, g))
		lhs, rhs := 0.0, 0.0
		for i := range g {
			lhs += g[i] * jv[i]
		}
		for i := range dir {
			rhs += vj[i] * dir[i]
		}
		require.InDelta(t, lhs, rhs, 1e-8*(1+math.Abs(lhs)), "trial %d: ⟨g, Jv⟩ vs ⟨Jᵀg, v⟩", trial)
	}
}
