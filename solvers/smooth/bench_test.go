package smooth

import (
	"context"
	"errors"
	"testing"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
)

// BenchmarkLogisticBreastCancer fits l2-logistic regression (the H3 inner
// problem: standardized breast_cancer training rows, λ = e^θ) for 100
// values of θ from −10 to 0, warm-started along the grid, to
// ‖∇f‖∞ ≤ 1e-8; then times one hypergradient (VJP through the
// gradient-zero condition with the exact Hessian's Cholesky).
func BenchmarkLogisticBreastCancer(b *testing.B) {
	d := datasets.MustLoad("breast_cancer")
	train, _ := d.Split()
	_, sets, err := datasets.Standardize(false, train)
	if err != nil {
		b.Fatal(err)
	}
	ys, err := datasets.Signs(sets[0].Y)
	if err != nil {
		b.Fatal(err)
	}
	pb, err := Logistic(sets[0].X, ys, L2{LogScale: true})
	if err != nil {
		b.Fatal(err)
	}
	p := pb.N
	grid := make([]float64, 100)
	for i := range grid {
		grid[i] = -10 * float64(i) / 99
	}
	ctx := context.Background()
	for _, m := range []Method{LBFGS, NewtonCG, BFGS, NonlinearCG, GonumLBFGS, GonumBFGS} {
		b.Run("100fits/"+m.String(), func(b *testing.B) {
			var iters, evals, failed int
			cm := testutil.StartCPU()
			for b.Loop() {
				iters, evals, failed = 0, 0, 0
				x := make([]float64, p)
				for _, th := range grid {
					res, err := Minimize(ctx, pb, []float64{th}, x, &Settings{Method: m})
					if err != nil {
						// Gonum's line search may stall short of Tol
						// (see Minimize); count it and go on from the best
						// iterate.
						if res == nil || !errors.Is(err, ErrNotConverged) || (m != GonumLBFGS && m != GonumBFGS) {
							b.Fatal(err)
						}
						failed++
					}
					x = res.X
					iters += res.Iterations
					evals += res.GradEvals
				}
			}
			cm.ReportNs(b, b.N)
			b.ReportMetric(float64(iters)/100, "iter/fit")
			b.ReportMetric(float64(evals)/100, "grads/fit")
			b.ReportMetric(float64(failed), "notconverged/100")
		})
	}
	res, err := Minimize(ctx, pb, []float64{-5.495}, make([]float64, p), &Settings{Tol: 1e-10})
	if err != nil {
		b.Fatal(err)
	}
	g := make([]float64, p)
	for j := range g {
		g[j] = 1
	}
	b.Run("hypergradient", func(b *testing.B) {
		cm := testutil.StartCPU()
		for b.Loop() {
			if _, err := implicit.VJP(context.Background(), Condition(pb), res.X, []float64{-5.495}, g, nil); err != nil {
				b.Fatal(err)
			}
		}
		cm.ReportNs(b, b.N)
	})
}

// BenchmarkRosenbrockOverhead minimizes Rosenbrock's function from
// (−1.2, 1) to ‖∇f‖∞ ≤ 1e-10. The objective costs a few nanoseconds, so
// this measures the methods' own cost per evaluation (for the gonum
// backend, its goroutine and channel pipeline).
func BenchmarkRosenbrockOverhead(b *testing.B) {
	pb := rosenbrock()
	ctx := context.Background()
	for _, m := range []Method{LBFGS, BFGS, GonumLBFGS, GonumBFGS} {
		b.Run(m.String(), func(b *testing.B) {
			var evals int
			cm := testutil.StartCPU()
			for b.Loop() {
				res, err := Minimize(ctx, pb, nil, []float64{-1.2, 1}, &Settings{Method: m, Tol: 1e-10})
				if err != nil {
					b.Fatal(err)
				}
				evals = res.GradEvals
			}
			cm.ReportNs(b, b.N)
			b.ReportMetric(float64(evals), "grads/fit")
		})
	}
}
