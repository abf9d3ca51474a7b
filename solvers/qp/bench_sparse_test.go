package qp_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"
)

// mpcProblem is a model-predictive-control QP in the style of the OSQP
// benchmarks' "Control" family: states x_t ∈ R^nx and inputs u_t ∈ R^nu
// over a horizon T, dynamics x_{t+1} = A x_t + B u_t (equalities), x₀
// fixed in [−4, 4], |u| ≤ 0.2 and |x| ≤ 5 (bounds), cost Σ x_tᵀQx_t + u_tᵀRu_t with
// diagonal Q and R = 0.01·I. A = I + 0.05·N(0, 1)/√nx (marginally unstable),
// B random. The variables are ordered (x₀, u₀, x₁, u₁, …, x_T):
// n = T(nx + nu) + nx.
func mpcProblem(rng *rand.Rand, nx, nu, T int) *qp.SparseProblem {
	ad := make([]float64, nx*nx)
	for i := range ad {
		ad[i] = 0.05 * rng.NormFloat64() / math.Sqrt(float64(nx))
	}
	for i := range nx {
		ad[i*nx+i] += 1 // near the identity: marginally unstable, inputs work hard
	}
	bd := make([]float64, nx*nu)
	for i := range bd {
		bd[i] = rng.NormFloat64()
	}
	step := nx + nu
	n := T*step + nx
	xi := func(t int) int { return t * step }    // first state of stage t
	ui := func(t int) int { return t*step + nx } // first input of stage t
	var qr, qc []int
	var qv []float64
	for t := 0; t <= T; t++ {
		for i := range nx {
			qr, qc, qv = append(qr, xi(t)+i), append(qc, xi(t)+i), append(qv, 1+rng.Float64())
		}
		if t < T {
			for i := range nu {
				qr, qc, qv = append(qr, ui(t)+i), append(qc, ui(t)+i), append(qv, 0.01)
			}
		}
	}
	q, _ := sparse.SymFromTriplets(n, qr, qc, qv, nil)
	// Rows: x₀ = x_init (nx rows), then x_{t+1} − A x_t − B u_t = 0.
	var ar, ac []int
	var av []float64
	m := (T + 1) * nx
	l, u := make([]float64, m), make([]float64, m)
	for i := range nx {
		ar, ac, av = append(ar, i), append(ac, xi(0)+i), append(av, 1)
		l[i] = 4 * (2*rng.Float64() - 1) // inside the state bounds: feasible
		u[i] = l[i]
	}
	for t := range T {
		for i := range nx {
			row := (t+1)*nx + i
			ar, ac, av = append(ar, row), append(ac, xi(t+1)+i), append(av, 1)
			for j := range nx {
				ar, ac, av = append(ar, row), append(ac, xi(t)+j), append(av, -ad[i*nx+j])
			}
			for j := range nu {
				ar, ac, av = append(ar, row), append(ac, ui(t)+j), append(av, -bd[i*nu+j])
			}
		}
	}
	a, _ := sparse.FromTriplets(m, n, ar, ac, av, nil)
	pb := &qp.SparseProblem{Q: q, P: make([]float64, n), A: a, L: l, U: u, LB: make([]float64, n), UB: make([]float64, n)}
	for j := range n {
		pb.LB[j], pb.UB[j] = -5, 5
		if (j%step) >= nx && j < T*step {
			pb.LB[j], pb.UB[j] = -0.2, 0.2 // tight: many inputs saturate
		}
	}
	return pb
}

// TestSparseMPCAgreesWithDense solves a short horizon with both solvers.
func TestSparseMPCAgreesWithDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	pb := mpcProblem(rng, 4, 2, 12)
	ctx := context.Background()
	sol, err := qp.SolveSparse(ctx, pb, &qp.SparseSettings{Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	dsol, err := qp.Solve(ctx, denseForm(pb), &qp.Settings{Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	for j := range sol.X {
		if math.Abs(sol.X[j]-dsol.X[j]) > 1e-7 {
			t.Fatalf("x[%d] = %v (sparse) vs %v (dense)", j, sol.X[j], dsol.X[j])
		}
	}
}

// BenchmarkSparseMPC solves and differentiates (one VJP with respect to
// every parameter) MPC problems of growing horizon: nx = 10, nu = 5,
// n = 15T + 10 up to 10⁵ variables. It reports the iterations, the time
// of the VJP and the heap in use after the solve per stored nonzero of
// the data.
func BenchmarkSparseMPC(b *testing.B) {
	for _, T := range []int{66, 666, 6666} {
		rng := rand.New(rand.NewPCG(7, uint64(T)))
		pb := mpcProblem(rng, 10, 5, T)
		n, m := pb.Dims()
		nnz := pb.Q.NNZ() + pb.A.NNZ()
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var iters int
			var vjp time.Duration
			var heap uint64
			for b.Loop() {
				sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: 1e-8})
				if err != nil {
					b.Fatal(err)
				}
				iters = sol.Iterations
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap = ms.HeapInuse
				l := sol.Layout()
				g := make([]float64, l.LenZ())
				for j := range n {
					g[j] = 1
				}
				dst := make([]float64, l.Len())
				t0 := time.Now()
				if err := sol.VJP(dst, g); err != nil {
					b.Fatal(err)
				}
				vjp = time.Since(t0)
			}
			b.ReportMetric(float64(iters), "iters")
			b.ReportMetric(vjp.Seconds(), "vjp-s")
			b.ReportMetric(float64(heap)/float64(nnz), "heapB/nnz")
			b.ReportMetric(float64(m), "rows")
		})
	}
}

// TestSparseMPCActive: the first inputs of the benchmark's problems saturate
// (the horizon is not a trivial unconstrained solve).
func TestSparseMPCActive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 66))
	pb := mpcProblem(rng, 10, 5, 66)
	sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: 1e-8})
	if err != nil {
		t.Fatal(err)
	}
	active := 0
	for j, z := range sol.Z {
		if z != 0 && math.Abs(math.Abs(sol.X[j])-0.2) < 1e-7 {
			active++
		}
	}
	if active < 3 {
		t.Fatalf("only %d active input bounds", active)
	}
	t.Logf("%d active input bounds, %d iterations", active, sol.Iterations)
}
