package prox

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/testutil"
)

// BenchmarkLassoPathDiabetes solves the lasso on the standardized diabetes
// training rows for 100 strengths from λmax down to 1e-3·λmax (log grid),
// as a warm-started path and as 100 cold fits (the protocol of a grid
// search), by coordinate descent (default settings: KKT ≤ 1e-10·λmax and
// gap ≤ 1e-12·P(0)) and by FISTA (gradient mapping ≤ 1e-10·λmax).
func BenchmarkLassoPathDiabetes(b *testing.B) {
	train, _ := diabetes(b)
	l, err := NewLasso(train.X, train.Y, Penalty{})
	if err != nil {
		b.Fatal(err)
	}
	grid, err := LambdaGrid(l.LambdaMax(), 1e-3, 100)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cd := func(name string, set *CDSettings, warm bool) {
		b.Run(name, func(b *testing.B) {
			var epochs float64
			cm := testutil.StartCPU()
			for b.Loop() {
				epochs = 0
				var init []float64
				for _, lam := range grid {
					res, err := l.Solve(ctx, []float64{lam}, init, set)
					if err != nil {
						b.Fatal(err)
					}
					epochs += res.Epochs
					if warm {
						init = res.W
					}
				}
			}
			cm.ReportNs(b, b.N)
			b.ReportMetric(epochs/100, "epochs/fit")
		})
	}
	cd("CD/path", nil, true)
	cd("CD/path/no-anderson", &CDSettings{NoAnderson: true}, true)
	cd("CD/path/residual-updates", &CDSettings{Updates: ResidualUpdates}, true)
	cd("CD/cold", nil, false)
	comp := l.Composite()
	fista := func(name string, warm bool) {
		b.Run(name, func(b *testing.B) {
			var iters int
			cm := testutil.StartCPU()
			for b.Loop() {
				iters = 0
				x := make([]float64, 10)
				for _, lam := range grid {
					init := x
					if !warm {
						init = make([]float64, 10)
					}
					res, err := Minimize(ctx, comp, []float64{lam}, init, &Settings{Tol: 1e-10 * l.LambdaMax(), MaxIter: 100000})
					if err != nil {
						b.Fatal(err)
					}
					iters += res.Iterations
					x = res.X
				}
			}
			cm.ReportNs(b, b.N)
			b.ReportMetric(float64(iters)/100, "iter/fit")
		})
	}
	fista("FISTA/path", true)
	fista("FISTA/cold", false)
}

func synthetic(n, d, k int) *Lasso {
	rng := rand.New(rand.NewPCG(500, 1000))
	x, y := randomLasso(rng, n, d, k)
	l, err := NewLasso(x, y, Penalty{})
	if err != nil {
		panic(err)
	}
	return l
}

// BenchmarkLassoSynthetic500x1000 solves one lasso with n = 500, d = 1000,
// 20 true non-zeros, X ~ N(0,1), noise N(0,1), at λ = 0.05·λmax.
func BenchmarkLassoSynthetic500x1000(b *testing.B) {
	l := synthetic(500, 1000, 20)
	theta := []float64{0.05 * l.LambdaMax()}
	ctx := context.Background()
	b.Run("CD", func(b *testing.B) {
		var res *LassoResult
		cm := testutil.StartCPU()
		for b.Loop() {
			var err error
			res, err = l.Solve(ctx, theta, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
		}
		cm.ReportNs(b, b.N)
		b.ReportMetric(res.Epochs, "epochs")
		b.ReportMetric(float64(len(res.Support())), "support")
	})
	b.Run("CD/no-anderson", func(b *testing.B) {
		cm := testutil.StartCPU()
		for b.Loop() {
			if _, err := l.Solve(ctx, theta, nil, &CDSettings{NoAnderson: true}); err != nil {
				b.Fatal(err)
			}
		}
		cm.ReportNs(b, b.N)
	})
	comp := l.Composite()
	b.Run("FISTA", func(b *testing.B) {
		var res *Result
		cm := testutil.StartCPU()
		for b.Loop() {
			var err error
			res, err = Minimize(ctx, comp, theta, make([]float64, 1000), &Settings{Tol: 1e-10 * l.LambdaMax(), MaxIter: 100000})
			if err != nil {
				b.Fatal(err)
			}
		}
		cm.ReportNs(b, b.N)
		b.ReportMetric(float64(res.Iterations), "iter")
	})
}

// BenchmarkLassoHypergradient500x1000 times one VJP of the lasso solution
// (n = 500, d = 1000, λ = 0.05·λmax) by the support-restricted fast path,
// by the engine on Lasso.Condition (support-factorized ∂ₓF), and by the
// engine on the generic Composite condition (∂ₓF factorized through the
// support from |S| Hessian-vector products, or matrix-free with GMRES).
func BenchmarkLassoHypergradient500x1000(b *testing.B) {
	l := synthetic(500, 1000, 20)
	theta := []float64{0.05 * l.LambdaMax()}
	res, err := l.Solve(context.Background(), theta, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	w := res.W
	g := make([]float64, 1000)
	for j := range g {
		g[j] = float64(j%7) - 3
	}
	b.ReportMetric(float64(len(res.Support())), "support")
	b.Run("support", func(b *testing.B) {
		out := make([]float64, 1)
		cm := testutil.StartCPU()
		for b.Loop() {
			sl, err := l.Linearize(w, theta)
			if err != nil {
				b.Fatal(err)
			}
			if err := sl.VJP(out, g); err != nil {
				b.Fatal(err)
			}
		}
		cm.ReportNs(b, b.N)
	})
	b.Run("engine/support-factorized", func(b *testing.B) {
		cm := testutil.StartCPU()
		for b.Loop() {
			if _, err := implicit.VJP(context.Background(), l.Condition(), w, theta, g, nil); err != nil {
				b.Fatal(err)
			}
		}
		cm.ReportNs(b, b.N)
	})
	comp := l.Composite()
	b.Run("engine/generic-support-factorized", func(b *testing.B) {
		cm := testutil.StartCPU()
		for b.Loop() {
			if _, err := implicit.VJP(context.Background(), Condition(comp, 1/l.Lipschitz()), w, theta, g, nil); err != nil {
				b.Fatal(err)
			}
		}
		cm.ReportNs(b, b.N)
	})
	b.Run("engine/generic-GMRES", func(b *testing.B) {
		cm := testutil.StartCPU()
		for b.Loop() {
			if _, err := implicit.VJP(context.Background(), Condition(comp, 1/l.Lipschitz()), w, theta, g, &implicit.Settings{Method: implicit.GMRES}); err != nil {
				b.Fatal(err)
			}
		}
		cm.ReportNs(b, b.N)
	})
}

// BenchmarkLassoPathSynthetic500x1000 runs a warm-started path of 20
// strengths from λmax down to 0.05·λmax on the n = 500, d = 1000 problem,
// with and without Gap Safe screening.
func BenchmarkLassoPathSynthetic500x1000(b *testing.B) {
	l := synthetic(500, 1000, 20)
	grid, err := LambdaGrid(l.LambdaMax(), 0.05, 20)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		name string
		set  *CDSettings
	}{{"CD", nil}, {"CD/no-screening", &CDSettings{NoScreening: true}}} {
		b.Run(c.name, func(b *testing.B) {
			var epochs, screened float64
			cm := testutil.StartCPU()
			for b.Loop() {
				path, err := l.Path(ctx, grid, c.set)
				if err != nil {
					b.Fatal(err)
				}
				epochs, screened = 0, 0
				for _, r := range path {
					epochs += r.Epochs
					screened += float64(r.Screened)
				}
			}
			cm.ReportNs(b, b.N)
			b.ReportMetric(epochs/20, "epochs/fit")
			b.ReportMetric(screened/20, "screened/fit")
		})
	}
}
