package sinkhorn

import (
	"context"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

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
	cpu0 := cpuTime()
	for b.Loop() {
		res, err = Solve(context.Background(), pb, s)
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(res.Iterations), "iter")
	b.ReportMetric(res.Error, "err")
}

func BenchmarkPSink1000(b *testing.B) {
	c := psinkCost(1000, 10, 1)
	b.Run("kernel", func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: Kernel}) })
	b.Run("log", func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: LogDomain}) })
	b.Run("kernel-1core", func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: Kernel, Workers: 1}) })
	b.Run("log-1core", func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: LogDomain, Workers: 1}) })
}

func BenchmarkPSink2000(b *testing.B) {
	c := psinkCost(2000, 10, 2)
	b.Run("kernel-scaling-adaptive", func(b *testing.B) {
		benchSolve(b, c, 0.01, &Settings{Mode: Kernel, EpsilonScaling: 0.5, AdaptiveMomentum: true, MaxIter: 50000})
	})
}

// cpuTime returns the CPU time (user + system) used by the process so far.
// On a loaded machine it is a better measure of work than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU seconds per operation since cpu0.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

func BenchmarkPSink1000Accel(b *testing.B) {
	c := psinkCost(1000, 10, 1)
	for _, mode := range []Mode{Kernel, LogDomain} {
		b.Run(mode.String()+"-adaptive", func(b *testing.B) {
			benchSolve(b, c, 0.05, &Settings{Mode: mode, AdaptiveMomentum: true, AdaptiveStart: 6})
		})
		b.Run(mode.String()+"-anderson", func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: mode, Anderson: 5}) })
		b.Run(mode.String()+"-omega1.3", func(b *testing.B) { benchSolve(b, c, 0.05, &Settings{Mode: mode, Momentum: 1.3}) })
	}
}

func BenchmarkPSink2000Variants(b *testing.B) {
	c := psinkCost(2000, 10, 2)
	b.Run("anderson", func(b *testing.B) {
		benchSolve(b, c, 0.01, &Settings{Mode: Kernel, Anderson: 8, MaxIter: 50000})
	})
	b.Run("scaling-anderson", func(b *testing.B) {
		benchSolve(b, c, 0.01, &Settings{Mode: Kernel, EpsilonScaling: 0.5, Anderson: 8, MaxIter: 50000})
	})
	b.Run("scaling-adaptive", func(b *testing.B) {
		benchSolve(b, c, 0.01, &Settings{Mode: Kernel, EpsilonScaling: 0.5, AdaptiveMomentum: true, MaxIter: 50000})
	})
}
