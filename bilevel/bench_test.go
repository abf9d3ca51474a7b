package bilevel

import (
	"context"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/prox"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// BenchmarkH runs protocols H1–H3: our 100-point grid and the outer
// optimizers from the documented starting points (20 evaluations at most).
// Metrics: evals (inner solves), crit (criterion reached), rel (relative
// gap to the reference grid optimum of BENCHMARKS.md).
//
//	go test -run '^$' -bench 'BenchmarkH$' -count 6 ./bilevel
func BenchmarkH(b *testing.B) {
	ref := map[string]float64{"H1": 2877.0518, "H2": 2876.4143, "H3": 0.077044}
	ctx := context.Background()
	for _, id := range []string{"H1", "H2", "H3"} {
		h := protocol(b, id, nil)
		grid := Grid1D(protocolGrid(h, id))
		b.Run(id+"/grid100", func(b *testing.B) {
			var res *SearchResult
			for b.Loop() {
				h.Reset()
				var err error
				if res, err = GridSearch(ctx, h, grid, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(res.Values)), "evals")
			b.ReportMetric(res.BestValue(), "crit")
			b.ReportMetric((res.BestValue()-ref[id])/ref[id], "rel")
		})
		for _, alg := range []Algorithm{LBFGS, HOAG, Adam} {
			b.Run(fmt.Sprintf("%s/%v", id, alg), func(b *testing.B) {
				var res *Result
				s := &Settings{Algorithm: alg, MaxIter: 20}
				if alg == Adam {
					s.LearningRate = 0.5
				}
				for b.Loop() {
					h.Reset()
					var err error
					if res, err = Optimize(ctx, h, protocolStart(h, id), s); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(res.Evals), "evals")
				b.ReportMetric(res.Value, "crit")
				b.ReportMetric((res.Value-ref[id])/ref[id], "rel")
			})
		}
	}
}

// BenchmarkPerFeature tunes one λ per feature for H1, H2 (weighted lasso)
// and H3 (validation
// index % 6 == 0) from the tuned shared λ; metrics are the validation and
// test (index % 6 == 3) criteria of the shared and per-feature models.
//
//	go test -run '^$' -bench BenchmarkPerFeature -count 6 ./bilevel
func BenchmarkPerFeature(b *testing.B) {
	ctx := context.Background()
	for _, id := range []string{"H1", "H2", "H3"} {
		var sets []*datasets.Dataset
		var err error
		if id != "H3" {
			tr, va, te := datasets.MustLoad("diabetes").SplitTest()
			_, sets, err = datasets.Standardize(true, tr, va, te)
		} else {
			tr, va, te := datasets.MustLoad("breast_cancer").SplitTest()
			_, sets, err = datasets.Standardize(false, tr, va, te)
			for _, d := range sets {
				d.Y, _ = datasets.Signs(d.Y)
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		model := func(p smooth.Strengths) Model {
			var m Model
			switch id {
			case "H1":
				m, err = NewRidge(sets[0].X, sets[0].Y, p)
			case "H2":
				m, err = NewLasso(sets[0].X, sets[0].Y, p)
			default:
				m, err = NewLogistic(sets[0].X, sets[0].Y, p)
			}
			if err != nil {
				b.Fatal(err)
			}
			return m
		}
		crit := func(d *datasets.Dataset) Criterion {
			var c Criterion
			if id != "H3" {
				c, err = NewMSE(d.X, d.Y)
			} else {
				c, err = NewLogLoss(d.X, d.Y)
			}
			if err != nil {
				b.Fatal(err)
			}
			return c
		}
		val, test := crit(sets[1]), crit(sets[2])
		b.Run(id, func(b *testing.B) {
			var vs, ts, vp, tp float64
			var evals int
			for b.Loop() {
				ms := model(smooth.Shared)
				hs, _ := NewHeldOut(ms, val, nil)
				start := 0.0
				if id == "H2" {
					start = 1.5
				}
				rs, err := Optimize(ctx, hs, []float64{start}, &Settings{MaxIter: 20})
				if err != nil {
					b.Fatal(err)
				}
				vs, ts = val.Value(hs.Weights(), nil), evalAt(b, ms, test, rs.Theta)
				mp := model(smooth.PerFeature)
				_, p := mp.Dims()
				th := make([]float64, p)
				lo, hi := make([]float64, p), make([]float64, p)
				for j := range th {
					th[j], lo[j], hi[j] = rs.Theta[0], -12, 8
				}
				hp, _ := NewHeldOut(mp, val, nil)
				rp, err := Optimize(ctx, hp, th, &Settings{MaxIter: 100, Lower: lo, Upper: hi})
				if err != nil {
					b.Fatal(err)
				}
				vp, tp = evalAt(b, mp, val, rp.Theta), evalAt(b, mp, test, rp.Theta)
				evals = rp.Evals
			}
			b.ReportMetric(vs, "val-shared")
			b.ReportMetric(ts, "test-shared")
			b.ReportMetric(vp, "val-perfeature")
			b.ReportMetric(tp, "test-perfeature")
			b.ReportMetric(float64(evals), "evals")
		})
	}
}

func evalAt(b *testing.B, m Model, c Criterion, theta []float64) float64 {
	n, _ := m.Dims()
	w := make([]float64, n)
	if _, err := m.Fit(context.Background(), w, theta, 1e-12); err != nil {
		b.Fatal(err)
	}
	return c.Value(w, nil)
}

// cvLasso builds the 5-fold CV objective of the lasso on the synthetic
// rows×cols problem (seed 2026) and returns the largest fold λmax.
func cvLasso(b testing.TB, rows, cols int) (*CrossValidation, float64) {
	x, y := SparseRegression(rows, cols, 2026)
	d := &datasets.Dataset{X: x, Y: y}
	trains, vals, err := d.Folds(5)
	if err != nil {
		b.Fatal(err)
	}
	var folds []*HeldOut
	lmax := 0.0
	for f := range trains {
		m, err := NewLasso(trains[f].X, trains[f].Y, smooth.Shared)
		if err != nil {
			b.Fatal(err)
		}
		lmax = math.Max(lmax, m.LambdaMax())
		c, err := NewMSE(vals[f].X, vals[f].Y)
		if err != nil {
			b.Fatal(err)
		}
		h, err := NewHeldOut(m, c, nil)
		if err != nil {
			b.Fatal(err)
		}
		folds = append(folds, h)
	}
	cv, err := NewCrossValidation(folds, nil)
	if err != nil {
		b.Fatal(err)
	}
	return cv, lmax
}

// BenchmarkCVLasso: 5-fold CV of a lasso on the synthetic 500×1000
// problem; a 100-point grid over [λmax/100, λmax] against L-BFGS from
// λmax/10, both at inner tolerance 1e-6.
//
//	go test -run '^$' -bench BenchmarkCVLasso -benchtime 1x -count 3 ./bilevel
func BenchmarkCVLasso(b *testing.B) {
	ctx := context.Background()
	cv, lmax := cvLasso(b, 500, 1000)
	b.Run("grid100", func(b *testing.B) {
		grid := Grid1D(Linspace(math.Log(lmax), math.Log(lmax/100), 100))
		var res *SearchResult
		for b.Loop() {
			for _, f := range cv.Folds() {
				f.Reset()
			}
			var err error
			if res, err = GridSearch(ctx, cv, grid, 1e-6); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(res.BestValue(), "crit")
		b.ReportMetric(float64(len(res.Values)), "evals")
	})
	b.Run("LBFGS", func(b *testing.B) {
		var res *Result
		for b.Loop() {
			for _, f := range cv.Folds() {
				f.Reset()
			}
			var err error
			if res, err = Optimize(ctx, cv, []float64{math.Log(lmax / 10)}, &Settings{MaxIter: 20, InnerTol: 1e-6}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(res.Value, "crit")
		b.ReportMetric(float64(res.Evals), "evals")
	})
}

// BenchmarkHypergradient times every hypergradient method on H1–H3 at the
// starting points, with its relative error against the exact
// hypergradient (metric relerr).
//
//	go test -run '^$' -bench BenchmarkHypergradient -count 6 ./bilevel
func BenchmarkHypergradient(b *testing.B) {
	ctx := context.Background()
	methods := []struct {
		name string
		s    HypergradSettings
	}{
		{"implicit-factorized", HypergradSettings{}},
		{"implicit-GMRES", HypergradSettings{Implicit: &implicit.Settings{Method: implicit.GMRES, Tol: 1e-12}}},
		{"implicit-forward", HypergradSettings{Method: ImplicitForward}},
		{"unrolled-reverse-100", HypergradSettings{Method: UnrolledReverse, Steps: 100}},
		{"unrolled-forward-100", HypergradSettings{Method: UnrolledForward, Steps: 100}},
		{"neumann-100", HypergradSettings{Method: Neumann, Steps: 100}},
		{"one-step-DARTS", HypergradSettings{Method: OneStep}},
		{"hypernetwork-200", HypergradSettings{Method: Hypernetwork, Steps: 200}},
	}
	for _, id := range []string{"H1", "H2", "H3"} {
		for _, at := range []string{"start", "start-2"} {
			h := protocol(b, id, nil)
			m, c := h.Model(), h.Criterion()
			theta := protocolStart(h, id)
			if at == "start-2" {
				theta[0] -= 2
			}
			n, _ := m.Dims()
			w := make([]float64, n)
			if _, err := m.Fit(ctx, w, theta, 1e-13); err != nil {
				b.Fatal(err)
			}
			exact := []float64{0}
			if _, _, err := Hypergradient(ctx, m, c, theta, w, exact, nil); err != nil {
				b.Fatal(err)
			}
			for _, meth := range methods {
				if _, ok := m.(SupportModel); !ok && meth.s.Method == ImplicitForward {
					continue
				}
				b.Run(fmt.Sprintf("%s/%s/%s", id, at, meth.name), func(b *testing.B) {
					g := []float64{0}
					wc := make([]float64, n)
					unrolled := meth.s.Method == UnrolledForward || meth.s.Method == UnrolledReverse
					for b.Loop() {
						if unrolled {
							clear(wc)
						} else {
							copy(wc, w)
						}
						s := meth.s
						if _, _, err := Hypergradient(ctx, m, c, theta, wc, g, &s); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(math.Abs(g[0]-exact[0])/math.Abs(exact[0]), "relerr")
				})
			}
		}
	}
}

// BenchmarkInnerSolvers times one warm-started path step of each inner
// solver at its H optimum (for profiling).
func BenchmarkInnerSolvers(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		id    string
		theta float64
	}{{"H1", -4.727}, {"H2", -1.881}, {"H3", -5.495}} {
		h := protocol(b, c.id, nil)
		m := h.Model()
		n, _ := m.Dims()
		w := make([]float64, n)
		b.Run(c.id, func(b *testing.B) {
			for b.Loop() {
				clear(w)
				if _, err := m.Fit(ctx, w, []float64{c.theta}, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	_ = mat.NewDense
}

// BenchmarkLassoInnerPath times the lasso inner solve of bilevel
// (L1Regression.Fit, which delegates to prox.Lasso.Solve) against a direct
// prox.Lasso.Solve (the difference is the adapter's cost) on warm-started
// 100-point paths: H2 (λmax down to 1e-4·λmax, the protocol grid) and the synthetic
// 500×1000 and 400×1000 problems (λmax down to λmax/100, the CV grid), at
// the tolerances bilevel uses (1e-9 default, 1e-6 for CV), with the same
// stopping rule (KKT/coordinate-change ≤ tol·λmax, no gap test).
//
//	go test -run '^$' -bench BenchmarkLassoInnerPath -count 3 ./bilevel
func BenchmarkLassoInnerPath(b *testing.B) {
	ctx := context.Background()
	tr, va := datasets.MustLoad("diabetes").Split()
	_, sets, err := datasets.Standardize(true, tr, va)
	if err != nil {
		b.Fatal(err)
	}
	type prob struct {
		name  string
		x     *mat.Dense
		y     []float64
		ratio float64
	}
	x5, y5 := SparseRegression(500, 1000, 2026)
	x4, y4 := SparseRegression(400, 1000, 2026)
	probs := []prob{{"H2", sets[0].X, sets[0].Y, 1e-4}, {"500x1000", x5, y5, 1e-2}, {"400x1000", x4, y4, 1e-2}}
	for _, pr := range probs {
		m, err := NewLasso(pr.x, pr.y, smooth.Shared)
		if err != nil {
			b.Fatal(err)
		}
		lm := math.Log(m.LambdaMax())
		grid := Linspace(lm, lm+math.Log(pr.ratio), 100)
		for _, tol := range []float64{1e-9, 1e-6} {
			b.Run(fmt.Sprintf("%s/tol=%g/bilevel", pr.name, tol), func(b *testing.B) {
				n, _ := m.Dims()
				w := make([]float64, n)
				for b.Loop() {
					clear(w)
					for _, th := range grid {
						if _, err := m.Fit(ctx, w, []float64{th}, tol); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
			b.Run(fmt.Sprintf("%s/tol=%g/prox", pr.name, tol), func(b *testing.B) {
				l, err := prox.NewLasso(pr.x, pr.y, prox.Penalty{})
				if err != nil {
					b.Fatal(err)
				}
				set := &prox.CDSettings{Tol: tol, GapTol: -1}
				var epochs float64
				for b.Loop() {
					var init []float64
					epochs = 0
					for _, th := range grid {
						res, err := l.Solve(ctx, []float64{math.Exp(th)}, init, set)
						if err != nil {
							b.Fatal(err)
						}
						init = res.W
						epochs += res.Epochs
					}
				}
				b.ReportMetric(epochs/100, "epochs/fit")
			})
		}
	}
}
