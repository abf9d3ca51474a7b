package smooth

import (
	"context"
	"testing"
	"time"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
)

type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{cpuTime()} }

func (m cpuMeter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-m.start)/float64(b.N), "cpu-ns/op")
	}
}

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
	for _, m := range []Method{LBFGS, NewtonCG, BFGS, NonlinearCG} {
		b.Run("100fits/"+m.String(), func(b *testing.B) {
			var iters int
			cm := startCPU()
			for b.Loop() {
				iters = 0
				x := make([]float64, p)
				for _, th := range grid {
					res, err := Minimize(ctx, pb, []float64{th}, x, &Settings{Method: m})
					if err != nil {
						b.Fatal(err)
					}
					x = res.X
					iters += res.Iterations
				}
			}
			cm.report(b)
			b.ReportMetric(float64(iters)/100, "iter/fit")
		})
	}
	res, err := Minimize(ctx, pb, []float64{-5.495}, make([]float64, p), &Settings{GradTol: 1e-10})
	if err != nil {
		b.Fatal(err)
	}
	g := make([]float64, p)
	for j := range g {
		g[j] = 1
	}
	b.Run("hypergradient", func(b *testing.B) {
		cm := startCPU()
		for b.Loop() {
			if _, err := implicit.VJP(Condition(pb), res.X, []float64{-5.495}, g, nil); err != nil {
				b.Fatal(err)
			}
		}
		cm.report(b)
	})
}
