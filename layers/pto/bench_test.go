package pto

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/layers/nn"
)

// BenchmarkPTOEpoch times one training epoch of the PTO protocol of
// BENCHMARKS.md (5×5 shortest path, 1000 training pairs, deg 4, noise 0.5,
// linear model 5→40, Adam, batch 32) per method; one op is one epoch.
func BenchmarkPTOEpoch(b *testing.B) {
	g := ShortestPath{Rows: 5, Cols: 5}
	x, c, err := GenShortestPath(rand.New(rand.NewPCG(1, 4)), 1000, 5, g.Dim(), 4, 0.5)
	if err != nil {
		b.Fatal(err)
	}
	train, err := NewDataset(context.Background(), g, x, c, nil)
	if err != nil {
		b.Fatal(err)
	}
	mom, err := NewMOM(context.Background(), g, train, 1)
	if err != nil {
		b.Fatal(err)
	}
	nce, err := NewNCE(g, train, 0.05)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []struct {
		name string
		loss Loss
	}{
		{"2S-LR", MSE{}}, {"SPO+", SPOPlus{g}}, {"DBB", DBB{Oracle: g}}, {"NID", NID{g}},
		{"PFYL", PFYL{Oracle: g, Samples: 10}}, {"DPO", DPO{Oracle: g, Samples: 10}},
		{"NCE", nce}, {"MOM", mom}, {"QPTL", QPTL{Oracle: g}},
	} {
		b.Run(m.name, func(b *testing.B) {
			model, _ := nn.NewLinear(5, 40, rand.New(rand.NewPCG(1, 1)))
			opt := &nn.Adam{LearningRate: 1e-2}
			seed := uint64(0)
			testutil.LoopCPU(b, func() {
				seed++
				if _, err := Train(context.Background(), model, m.loss, train, &TrainSettings{Epochs: 1, Optimizer: opt, Seed: seed}); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkOracle times single oracle calls.
func BenchmarkOracle(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	g := ShortestPath{Rows: 5, Cols: 5}
	c := randVec(rng, 40, 1)
	w := make([]float64, 40)
	b.Run("ShortestPath5x5", func(b *testing.B) {
		testutil.LoopCPU(b, func() { _, _ = g.Solve(context.Background(), w, c) })
	})
	wts, _, kc, _ := GenKnapsack(rng, 1, 5, 32, 2, 0.5)
	k, _ := NewKnapsack(wts, 2000)
	kw := make([]float64, 32)
	b.Run("Knapsack32x2000", func(b *testing.B) {
		testutil.LoopCPU(b, func() { _, _ = k.Solve(context.Background(), kw, kc.RawRowView(0)) })
	})
	cov, _, r, _ := GenPortfolio(rng, 1, 5, 50, 4, 1)
	p, _ := NewPortfolio(cov, 2.25)
	pw := make([]float64, 50)
	b.Run("Portfolio50", func(b *testing.B) {
		testutil.LoopCPU(b, func() { _, _ = p.Solve(context.Background(), pw, r.RawRowView(0)) })
	})
}
