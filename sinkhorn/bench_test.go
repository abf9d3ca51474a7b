package sinkhorn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

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
