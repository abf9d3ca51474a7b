package cone

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
)

// Benchmarks of Solve on the instances of testdata/bench_*.json, written
// by gen_cvxopt.py (fixed seeds; see its make() for the generator: a
// known strictly complementary solution, sparse A with the stated
// density) and solved there by CVXOPT. The names carry the sizes so that
// a side-by-side script can run the identical instance through
// cvxopt.solvers.conelp from the same JSON file:
//
//	BenchmarkSolveSOCP/n=300/m=690   testdata/bench_socp.json: 10 equalities,
//	                                 80 orthant rows, 60 second-order cones of R¹⁰,
//	                                 density 0.02
//	BenchmarkSolveSDP/n=150/m=930    testdata/bench_sdp.json: 30 orthant rows,
//	                                 3 PSD blocks 24×24, density 0.04
//
// (the instances' "cones", "a_rows/a_cols/a_vals", "p", "b" fields; the
// PSD rows are svec rows — CVXOPT needs them as full matrices with the
// off-diagonal entries divided by √2, as gen_cvxopt.py does).
//
// Each iteration solves from scratch (equilibration, symbolic analysis,
// iterations) at the default Tol 1e-8; a first solve outside the timed
// loop checks the objective against the known optimum to 1e-6. cpu-ns/op
// is the process CPU time per solve (less sensitive to a loaded machine
// than ns/op; with Workers = GOMAXPROCS it can exceed ns/op).

func benchSolve(b *testing.B, path string) {
	c := loadCases(b, path)[0]
	pb, err := c.problem()
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("n=%d/m=%d", c.N, c.M), func(b *testing.B) {
		b.ReportAllocs()
		sol, err := Solve(context.Background(), pb, nil)
		if err != nil {
			b.Fatal(err)
		}
		if d := math.Abs(sol.Objective - c.ObjTrue); d > 1e-6*math.Max(1, math.Abs(c.ObjTrue)) {
			b.Fatalf("objective %v, want %v", sol.Objective, c.ObjTrue)
		}
		b.ReportMetric(float64(sol.Iterations), "iters")
		testutil.LoopCPU(b, func() {
			if _, err := Solve(context.Background(), pb, nil); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func BenchmarkSolveSOCP(b *testing.B) { benchSolve(b, "testdata/bench_socp.json") }
func BenchmarkSolveSDP(b *testing.B)  { benchSolve(b, "testdata/bench_sdp.json") }
