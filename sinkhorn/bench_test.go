package sinkhorn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/optlayers/optlayers/internal/dense"
	"github.com/optlayers/optlayers/internal/testutil"
	"gonum.org/v1/gonum/mat"
)

// psinkClouds draws the P-SINK point clouds: x ~ N(0,1)^{n×d},
// y ~ N(1,1)^{n×d}.
func psinkClouds(n, d int, seed uint64) (x, y *mat.Dense) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x, y = mat.NewDense(n, d, nil), mat.NewDense(n, d, nil)
	for i := range n {
		for k := range d {
			x.Set(i, k, rng.NormFloat64())
			y.Set(i, k, 1+rng.NormFloat64())
		}
	}
	return x, y
}

// psinkCost is the P-SINK cost: squared distances divided by their mean.
func psinkCost(n, d int, seed uint64) *mat.Dense {
	x, y := psinkClouds(n, d, seed)
	c := mat.NewDense(n, n, nil)
	var s float64
	for i := range n {
		for j := range n {
			v := SqEuclidean{}.Cost(x.RawRowView(i), y.RawRowView(j))
			c.Set(i, j, v)
			s += v
		}
	}
	c.Scale(float64(n*n)/s, c)
	return c
}

func benchSolve(b *testing.B, c *mat.Dense, eps float64, s *Settings) {
	pb := &Problem{Cost: c, Epsilon: eps}
	var res *Result
	var err error
	cpu0 := testutil.StartCPU()
	for b.Loop() {
		res, err = Solve(context.Background(), pb, s)
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu0.ReportSeconds(b, b.N)
	b.ReportMetric(float64(res.Iterations), "iter")
	b.ReportMetric(res.Error*1e9, "err/1e-9")
}

// P-SINK, n = m = 1000, d = 10, ε = 0.05 (relative to the mean cost),
// column-marginal L2 error ≤ 1e-9. POT 0.8.2: kernel 0.080 s, log 1.92 s.
func BenchmarkPSink1000(b *testing.B) {
	c := psinkCost(1000, 10, 1)
	for _, w := range []int{2, 1} {
		sfx := fmt.Sprintf("-workers%d", w)
		b.Run("kernel"+sfx, func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: Kernel, Workers: w}) })
		b.Run("kernel-momentum1.3"+sfx, func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: Kernel, Momentum: 1.3, Workers: w}) })
		b.Run("kernel-anderson5"+sfx, func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: Kernel, Anderson: 5, Workers: w}) })
		b.Run("log"+sfx, func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: LogDomain, Workers: w}) })
		b.Run("log-momentum1.3"+sfx, func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: LogDomain, Momentum: 1.3, Workers: w}) })
		b.Run("log-anderson5"+sfx, func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: LogDomain, Anderson: 5, Workers: w}) })
	}
}

// P-SINK, n = m = 2000, ε = 0.01, error ≤ 1e-9. POT 0.8.2 kernel:
// 158.6 s (44,490 iterations).
func BenchmarkPSink2000(b *testing.B) {
	c := psinkCost(2000, 10, 2)
	b.Run("kernel-scaling-anderson30", func(b *testing.B) {
		benchSolve(b, c, 0.01, &Settings{Mode: Kernel, EpsilonScaling: 0.5, Anderson: 30, MaxIter: 50000})
	})
	b.Run("kernel-scaling-newton", func(b *testing.B) {
		benchSolve(b, c, 0.01, &Settings{Mode: Kernel, EpsilonScaling: 0.5, Newton: true, NewtonStart: 1e-3, MaxIter: 50000})
	})
	b.Run("kernel-scaling-anderson30-newton", func(b *testing.B) {
		benchSolve(b, c, 0.01, &Settings{Mode: Kernel, EpsilonScaling: 0.5, Anderson: 30, Newton: true, NewtonStart: 1e-3, MaxIter: 50000})
	})
	b.Run("log-scaling-newton", func(b *testing.B) {
		benchSolve(b, c, 0.01, &Settings{Mode: LogDomain, EpsilonScaling: 0.5, Newton: true, NewtonStart: 1e-3, MaxIter: 50000})
	})
	// Warm start from the potentials of a nearby problem (the cost
	// perturbed by 1%), as in a training loop.
	b.Run("kernel-warm-anderson30", func(b *testing.B) {
		r, err := Solve(context.Background(), &Problem{Cost: c, Epsilon: 0.01}, &Settings{Mode: Kernel, EpsilonScaling: 0.5, Anderson: 30, MaxIter: 50000})
		if err != nil {
			b.Fatal(err)
		}
		c2 := mat.DenseCopyOf(c)
		rng := rand.New(rand.NewPCG(5, 5))
		raw := c2.RawMatrix().Data
		for k := range raw {
			raw[k] *= 1 + 0.01*rng.NormFloat64()
		}
		benchSolve(b, c2, 0.01, &Settings{Mode: Kernel, Anderson: 30, MaxIter: 50000, WarmStart: &Start{F: r.F, G: r.G}})
	})
}

// Gradients of OT_ε at n = m = 1000, ε = 0.05: the solve plus the
// envelope gradient with respect to the cost matrix or the points, and the
// implicit gradient of a loss on the plan.
func BenchmarkPSinkGrad(b *testing.B) {
	x, y := psinkClouds(1000, 10, 1)
	c := psinkCost(1000, 10, 1)
	set := &Settings{Mode: Kernel, Momentum: 1.3}
	b.Run("solve+envelope-dC", func(b *testing.B) {
		cpu0 := testutil.StartCPU()
		for b.Loop() {
			r, err := Solve(context.Background(), &Problem{Cost: c, Epsilon: 0.05}, set)
			if err != nil {
				b.Fatal(err)
			}
			_ = r.CostGrad()
		}
		cpu0.ReportSeconds(b, b.N)
	})
	b.Run("solve+envelope-dX-dY", func(b *testing.B) {
		cpu0 := testutil.StartCPU()
		for b.Loop() {
			r, err := Solve(context.Background(), &Problem{X: x, Y: y, Epsilon: 0.05, RelativeEpsilon: true}, set)
			if err != nil {
				b.Fatal(err)
			}
			_ = r.CostGrad()
		}
		cpu0.ReportSeconds(b, b.N)
	})
	b.Run("implicit-planVJP-dC", func(b *testing.B) {
		r, err := Solve(context.Background(), &Problem{Cost: c, Epsilon: 0.05}, set)
		if err != nil {
			b.Fatal(err)
		}
		gp := psinkCost(1000, 10, 3)
		cpu0 := testutil.StartCPU()
		for b.Loop() {
			if _, err := r.PlanVJP(gp, nil); err != nil {
				b.Fatal(err)
			}
		}
		cpu0.ReportSeconds(b, b.N)
	})
}

// Implicit gradient with respect to the points, and the unrolled gradient
// (T = 20 iterations) with respect to the cost matrix.
func BenchmarkPSinkGradMore(b *testing.B) {
	x, y := psinkClouds(1000, 10, 1)
	c := psinkCost(1000, 10, 1)
	b.Run("implicit-planVJP-dX-dY", func(b *testing.B) {
		r, err := Solve(context.Background(), &Problem{X: x, Y: y, Epsilon: 0.05, RelativeEpsilon: true}, &Settings{Momentum: 1.3})
		if err != nil {
			b.Fatal(err)
		}
		gp := psinkCost(1000, 10, 3)
		cpu0 := testutil.StartCPU()
		for b.Loop() {
			if _, err := r.PlanVJP(gp, nil); err != nil {
				b.Fatal(err)
			}
		}
		cpu0.ReportSeconds(b, b.N)
	})
	b.Run("unrolled-T20-solve+grad-dC", func(b *testing.B) {
		cpu0 := testutil.StartCPU()
		for b.Loop() {
			u, err := SolveUnrolled(context.Background(), &Problem{Cost: c, Epsilon: 0.05}, 20)
			if err != nil {
				b.Fatal(err)
			}
			_ = u.CostGrad()
		}
		cpu0.ReportSeconds(b, b.N)
	})
}

// A batch of 64 problems of size 200 over the goroutines.
func BenchmarkBatch(b *testing.B) {
	var pbs []*Problem
	for k := range 64 {
		pbs = append(pbs, &Problem{Cost: psinkCost(200, 10, uint64(k)), Epsilon: 0.05})
	}
	cpu0 := testutil.StartCPU()
	for b.Loop() {
		if _, err := SolveBatch(context.Background(), pbs, &Settings{Anderson: 5}); err != nil {
			b.Fatal(err)
		}
	}
	cpu0.ReportSeconds(b, b.N)
}

// BenchmarkSweep8MB measures the floor of the kernel mode at n = m = 1000:
// the rate at which one or two goroutines read an 8 MB matrix, as a plain
// dot product per row (dot) and as the fused sweep of an iteration
// (fused: dense.DotAxpyRows, each goroutine adding into its own partial
// sum). Each goroutine keeps its half of the rows across sweeps (the halves
// stay in that core's share of the caches) unless "swap" is in the name.
//
//	GOMAXPROCS=2 go test ./sinkhorn -run '^$' -bench Sweep8MB -count 5
func BenchmarkSweep8MB(b *testing.B) {
	const n = 1000
	rng := rand.New(rand.NewPCG(3, 3))
	a := make([]float64, n*n)
	for k := range a {
		a[k] = rng.Float64()
	}
	x := make([]float64, n)
	for k := range x {
		x[k] = rng.Float64()
	}
	out := make([]float64, n)
	z := make([][]float64, 2)
	for k := range z {
		z[k] = make([]float64, n)
	}
	for _, g := range []int{1, 2} {
		for _, kind := range []string{"dot", "dot-spin", "fused", "fused-spin", "fused-swap"} {
			spin := strings.HasSuffix(kind, "-spin")
			b.Run(fmt.Sprintf("%s/goroutines=%d", kind, g), func(b *testing.B) {
				sweep := 0
				half := func(w int) {
					if kind == "fused-swap" && sweep%2 == 1 {
						w = g - 1 - w
					}
					lo, hi := w*n/g, (w+1)*n/g
					if strings.HasPrefix(kind, "dot") {
						dense.MulVec(out[lo:hi], 1, a[lo*n:hi*n], n, x, 0)
						return
					}
					clear(z[w])
					dense.DotAxpyRows(a[lo*n:hi*n], n, hi-lo, x, z[w], func(_ int, s float64) float64 { return 1 / s })
				}
				var (
					start, done atomic.Int64
					wg          sync.WaitGroup
				)
				if g == 2 && spin {
					// A helper kept for the whole benchmark, spinning on
					// a counter: the sweep without the goroutine hand-off.
					wg.Go(func() {
						for k := int64(1); ; k++ {
							for s := start.Load(); s < k; s = start.Load() {
								if s < 0 {
									return
								}
							}
							half(1)
							done.Store(k)
						}
					})
				}
				for b.Loop() {
					switch {
					case g == 1:
						half(0)
					case spin:
						k := start.Add(1)
						half(0)
						for done.Load() < k {
						}
					default:
						var wg sync.WaitGroup
						wg.Go(func() { half(1) })
						half(0)
						wg.Wait()
					}
					sweep++
				}
				if g == 2 && spin {
					start.Store(-1)
					wg.Wait()
				}
				b.ReportMetric(float64(8*n*n)*float64(b.N)/float64(b.Elapsed().Nanoseconds()), "GB/s")
			})
		}
	}
}
