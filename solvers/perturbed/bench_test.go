package perturbed

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
)

// BenchmarkShortestPath1000 is the perturbed argmin of the PTO grid
// (40 arcs) with 1000 Normal samples: forward (mean) and forward + VJP.
func BenchmarkShortestPath1000(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	theta := make([]float64, gridArcs)
	g := make([]float64, gridArcs)
	for i := range theta {
		theta[i] = 1 + rng.Float64()
		g[i] = rng.NormFloat64()
	}
	for _, workers := range []int{1, 0} {
		name := "workers=1"
		if workers == 0 {
			name = "workers=GOMAXPROCS"
		}
		opt := &Optimizer{Oracle: shortestPathOracle, Dim: gridArcs,
			Settings: &Settings{Samples: 1000, Minimize: true, Workers: workers}}
		ctx := context.Background()
		b.Run("Mean/"+name, func(b *testing.B) {
			b.ReportAllocs()
			testutil.LoopCPU(b, func() {
				if _, _, err := opt.Mean(ctx, theta); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("FenchelYoung/"+name, func(b *testing.B) {
			y := make([]float64, gridArcs)
			_ = shortestPathOracle(context.Background(), y, theta)
			b.ReportAllocs()
			testutil.LoopCPU(b, func() {
				if _, _, err := opt.FenchelYoung(ctx, theta, y); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run("ForwardVJP/"+name, func(b *testing.B) {
			b.ReportAllocs()
			testutil.LoopCPU(b, func() {
				if _, _, err := opt.VJP(ctx, theta, g); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkTopK1000 perturbs a top-k oracle (k = 10 of d = 100) with 1000
// Gumbel samples.
func BenchmarkTopK1000(b *testing.B) {
	const d, k = 100, 10
	rng := rand.New(rand.NewPCG(2, 2))
	theta := make([]float64, d)
	for i := range theta {
		theta[i] = rng.NormFloat64()
	}
	opt := &Optimizer{Dim: d, Settings: &Settings{Samples: 1000, Noise: Gumbel},
		Oracle: func(_ context.Context, dst, cost []float64) error { topK(dst, cost, k); return nil }}
	b.ReportAllocs()
	testutil.LoopCPU(b, func() {
		if _, _, err := opt.Mean(context.Background(), theta); err != nil {
			b.Fatal(err)
		}
	})
}

// topK sets dst to the indicator of the k largest costs (partial selection).
func topK(dst, cost []float64, k int) {
	clear(dst)
	for range k {
		best := -1
		for i, c := range cost {
			if dst[i] == 0 && (best < 0 || c > cost[best]) {
				best = i
			}
		}
		dst[best] = 1
	}
}
