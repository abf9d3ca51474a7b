package qp

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
)

// BenchmarkPQP is the P-QP protocol of BENCHMARKS.md: a batch of B random
// feasible QPs (n variables, m inequalities, and p = n/2 equalities in the
// "eq" variants), forward solve to KKT residual ≤ 1e-8 plus the gradient of
// sum(z*) with respect to every parameter.
// BenchmarkPQP is the P-QP protocol of BENCHMARKS.md as a training loop
// runs it: solve a batch, differentiate it, read the results, then
// release the step's Solutions and Gradients (Solution.Release) so that
// the next step reuses their memory. BenchmarkPQPNoRelease leaves them to
// the garbage collector.
func BenchmarkPQP(b *testing.B) { benchPQP(b, true) }

// BenchmarkPQPNoRelease is BenchmarkPQP without Release.
func BenchmarkPQPNoRelease(b *testing.B) { benchPQP(b, false) }

func benchPQP(b *testing.B, release bool) {
	for _, c := range []struct{ batch, n, m, neq int }{
		{32, 10, 10, 0}, {128, 50, 50, 0}, {16, 200, 100, 0},
		{32, 10, 10, 5}, {128, 50, 50, 25}, {16, 200, 100, 100},
	} {
		name := fmt.Sprintf("B=%d/n=%d/m=%d/p=%d", c.batch, c.n, c.m, c.neq)
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(c.n)))
			probs := make([]*Problem, c.batch)
			gx := make([][]float64, c.batch)
			for i := range probs {
				probs[i] = randomQP(rng, c.n, c.neq, c.m)
				gx[i] = make([]float64, c.n)
				for j := range gx[i] {
					gx[i][j] = 1
				}
			}
			ctx := context.Background()
			worst, iters := 0.0, 0
			// step solves and differentiates the batch, reads the
			// results and, with release, gives their memory back.
			step := func() {
				sols, err := SolveBatch(ctx, probs, nil)
				if err != nil {
					b.Fatal(err)
				}
				grads, err := BackwardBatch(sols, gx, nil, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				worst, iters = 0, 0
				for _, s := range sols {
					worst = math.Max(worst, s.Residuals.Max())
					iters += s.Iterations
				}
				if release {
					for i := range sols {
						sols[i].Release()
						grads[i].Release()
					}
				}
			}
			// One untimed step first, as the reference script does (its
			// warm-up call): the first step maps fresh memory and starts
			// the worker goroutines.
			step()
			b.ResetTimer()
			cpu0, ops := testutil.StartCPU(), 0
			for b.Loop() {
				ops++
				step()
			}
			if worst > 1e-8 {
				b.Fatalf("KKT residual %g > 1e-8", worst)
			}
			cpu0.ReportSeconds(b, ops)
			b.ReportMetric(worst*1e9, "kkt-residual-x1e-9")
			b.ReportMetric(float64(iters)/float64(c.batch), "iters/instance")
		})
	}
}

func BenchmarkSolveSingle(b *testing.B) {
	for _, c := range [][3]int{{50, 0, 50}, {200, 0, 100}} {
		b.Run(fmt.Sprintf("n=%d/m=%d", c[0], c[2]), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			pb := randomQP(rng, c[0], c[1], c[2])
			cpu0, ops := testutil.StartCPU(), 0
			for b.Loop() {
				ops++
				if _, err := Solve(context.Background(), pb, nil); err != nil {
					b.Fatal(err)
				}
			}
			cpu0.ReportSeconds(b, ops)
		})
	}
}

// BenchmarkPQPShared is the P-QP protocol with Q and G shared by the batch
// (the usual OptNet layer: learned constraints, per-instance p and h);
// SolveBatch then does the Q- and G-dependent work once.
func BenchmarkPQPShared(b *testing.B) {
	for _, c := range []struct{ batch, n, m int }{{32, 10, 10}, {128, 50, 50}, {16, 200, 100}} {
		b.Run(fmt.Sprintf("B=%d/n=%d/m=%d", c.batch, c.n, c.m), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(2, uint64(c.n)))
			base := randomQP(rng, c.n, 0, c.m)
			probs := make([]*Problem, c.batch)
			gx := make([][]float64, c.batch)
			for i := range probs {
				pb := *base
				pb.P = randVec(rng, c.n)
				pb.H = make([]float64, c.m)
				for j := range pb.H {
					pb.H[j] = base.H[j] + rng.Float64()
				}
				probs[i] = &pb
				gx[i] = make([]float64, c.n)
				for j := range gx[i] {
					gx[i][j] = 1
				}
			}
			cpu0, ops := testutil.StartCPU(), 0
			for b.Loop() {
				ops++
				sols, err := SolveBatch(context.Background(), probs, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := BackwardBatch(sols, gx, nil, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
			cpu0.ReportSeconds(b, ops)
		})
	}
}

// BenchmarkPrimalReduction times problems that take the primal reduction
// (Q singular: a rank-n/4 QP and an LP with box bounds), solve plus the
// gradient of sum(x*), one instance at a time.
func BenchmarkPrimalReduction(b *testing.B) {
	for _, c := range []struct {
		name      string
		n, neq, m int
		rank      int // rank of Q; 0 for an LP
	}{
		{"lowrankQP/n=100/p=20/m=100", 100, 20, 100, 25},
		{"LP/n=100/p=20/m=100+box", 100, 20, 100, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, uint64(c.n)))
			pb := randomQP(rng, c.n, c.neq, c.m)
			lowRankWithBox(rng, pb, c.rank, 3)
			gx := make([]float64, c.n)
			for j := range gx {
				gx[j] = 1
			}
			for b.Loop() {
				sol, err := Solve(context.Background(), pb, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sol.Backward(gx, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
