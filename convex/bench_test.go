package convex

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/optlayers/optlayers/solvers/cone"
)

// benchModel is a constrained, regularized least squares with a learnable
// A and b (an SOCP once canonicalized: the norm constraint):
//
//	minimize ‖Ax − b‖² + λ‖x‖₁  s.t.  Σx = 1, ‖x‖₂ ≤ 2,  A ∈ R^{m×n}.
func benchModel(m, n int) (*Problem, func(rng *rand.Rand) []float64) {
	A := NewMatrixParameter("A", m, n)
	b := NewParameter("b", m)
	x := NewVariable("x", n)
	obj := SumSquares(A.MatMul(x).Sub(b)).Add(Const(0.1).Mul(Norm1(x)))
	pb, err := NewProblem(Minimize(obj), x.Sum().Eq(Const(1)), Norm2(x).Le(Const(2)))
	if err != nil {
		panic(err)
	}
	return pb, func(rng *rand.Rand) []float64 { return randVec(rng, pb.NumParams(), 1) }
}

// benchModelExp is an ℓ2-regularized logistic regression with learnable
// features X (N×n) and fixed labels y (an exponential-cone program once
// canonicalized: one LogSumExp per sample),
//
//	minimize Σᵢ log(1 + e^{(Xa)ᵢ}) − yᵀXa + 0.1‖a‖².
func benchModelExp(N, n int) (*Problem, func(rng *rand.Rand) []float64) {
	X := NewMatrixParameter("X", N, n)
	yv := make([]float64, N)
	for i := range yv {
		yv[i] = float64(i % 2)
	}
	a := NewVariable("a", n)
	Xa := X.MatMul(a)
	terms := []Expression{ConstVec(yv).Mul(Xa).Sum().Neg(), Const(0.1).Mul(SumSquares(a))}
	for i := range N {
		terms = append(terms, LogSumExp(VStack(Const(0), Xa.Index(i))))
	}
	pb, err := NewProblem(Minimize(Sum(terms...)))
	if err != nil {
		panic(err)
	}
	return pb, func(rng *rand.Rand) []float64 { return randVec(rng, N*n, 1) }
}

// BenchmarkCanonicalize is NewProblem: done once per model.
func BenchmarkCanonicalize(b *testing.B) {
	for b.Loop() {
		benchModel(30, 10)
	}
}

// BenchmarkResolve splits a re-solve at new parameter values into the
// map evaluation (ConeProblem, O(nnz)), the cone solve alone on the same
// data, and the whole SolveParams.
func BenchmarkResolve(b *testing.B) {
	pb, draw := benchModel(30, 10)
	rng := rand.New(rand.NewPCG(1, 1))
	th := draw(rng)
	cp, err := pb.ConeProblem(th)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			if _, err := pb.ConeProblem(th); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cone", func(b *testing.B) {
		for b.Loop() {
			if _, err := cone.Solve(ctx, cp, &cone.Settings{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("model", func(b *testing.B) {
		for b.Loop() {
			if _, err := pb.SolveParams(ctx, th, &Settings{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBatch128 solves 128 parameter values: through the model
// (SolveBatch, one goroutine) and the same 128 cone programs given to
// cone.Solve directly (built beforehand, one goroutine).
func BenchmarkBatch128(b *testing.B) {
	pb, draw := benchModel(30, 10)
	benchBatch128(b, pb, draw)
}

// BenchmarkBatch128Exp is BenchmarkBatch128 on benchModelExp, whose cone
// program (exponential cones) takes the sparse KKT path.
func BenchmarkBatch128Exp(b *testing.B) {
	pb, draw := benchModelExp(30, 5)
	benchBatch128(b, pb, draw)
}

func benchBatch128(b *testing.B, pb *Problem, draw func(rng *rand.Rand) []float64) {
	rng := rand.New(rand.NewPCG(2, 2))
	ths := make([][]float64, 128)
	cps := make([]*cone.Problem, 128)
	for i := range ths {
		ths[i] = draw(rng)
		var err error
		if cps[i], err = pb.ConeProblem(ths[i]); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.Run("model", func(b *testing.B) {
		for b.Loop() {
			if _, err := pb.SolveBatch(ctx, ths, &Settings{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cone", func(b *testing.B) {
		for b.Loop() {
			for _, cp := range cps {
				if _, err := cone.Solve(ctx, cp, &cone.Settings{Workers: 1}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkInterleaved times, in alternation within each iteration, a
// re-solve through the model (map evaluation + cone.Solve) and the cone
// solve of the same data built beforehand, and reports their ratio (the
// figure to quote on a loaded machine), the map's share, and the same
// for batches of 128 parameter values.
func BenchmarkInterleaved(b *testing.B) {
	pb, draw := benchModel(30, 10)
	benchInterleaved(b, pb, draw)
}

// BenchmarkInterleavedExp is BenchmarkInterleaved on benchModelExp.
func BenchmarkInterleavedExp(b *testing.B) {
	pb, draw := benchModelExp(30, 5)
	benchInterleaved(b, pb, draw)
}

func benchInterleaved(b *testing.B, pb *Problem, draw func(rng *rand.Rand) []float64) {
	rng := rand.New(rand.NewPCG(3, 3))
	ths := make([][]float64, 128)
	cps := make([]*cone.Problem, 128)
	for i := range ths {
		ths[i] = draw(rng)
		var err error
		if cps[i], err = pb.ConeProblem(ths[i]); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	var tModel, tCone, tMap time.Duration
	for b.Loop() {
		t0 := time.Now()
		for i := range ths {
			if _, err := pb.ConeProblem(ths[i]); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		if _, err := pb.SolveBatch(ctx, ths, &Settings{Workers: 1}); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		for _, cp := range cps {
			if _, err := cone.Solve(ctx, cp, &cone.Settings{Workers: 1}); err != nil {
				b.Fatal(err)
			}
		}
		t3 := time.Now()
		tMap += t1.Sub(t0)
		tModel += t2.Sub(t1)
		tCone += t3.Sub(t2)
	}
	b.ReportMetric(float64(tModel)/float64(tCone), "model/cone")
	b.ReportMetric(float64(tMap)/float64(tCone), "map/cone")
	b.ReportMetric(float64(tModel.Milliseconds())/float64(b.N), "model-ms/128")
	b.ReportMetric(float64(tCone.Milliseconds())/float64(b.N), "cone-ms/128")
}

// BenchmarkPreparedInterleaved times cone.Solve and cone.Prepared.Solve
// of the same 128 canonical programs in alternation (one program each in
// turn, one goroutine) and reports their ratio: the share of a solve
// that the pattern work (KKT pattern, ordering, symbolic analysis) took.
func BenchmarkPreparedInterleaved(b *testing.B) {
	for _, c := range []struct {
		name string
		pb   *Problem
		draw func(*rand.Rand) []float64
	}{{"socp", nil, nil}, {"exp", nil, nil}} {
		if c.name == "socp" {
			c.pb, c.draw = benchModel(30, 10)
		} else {
			c.pb, c.draw = benchModelExp(30, 5)
		}
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(4, 4))
			cps := make([]*cone.Problem, 128)
			for i := range cps {
				var err error
				if cps[i], err = c.pb.ConeProblem(c.draw(rng)); err != nil {
					b.Fatal(err)
				}
			}
			ctx := context.Background()
			s := &cone.Settings{Workers: 1}
			pr, err := cone.Prepare(cps[0], s)
			if err != nil {
				b.Fatal(err)
			}
			var tPlain, tPrep time.Duration
			for b.Loop() {
				for _, cp := range cps {
					t0 := time.Now()
					if _, err := cone.Solve(ctx, cp, s); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if _, err := pr.Solve(ctx, cp, s); err != nil {
						b.Fatal(err)
					}
					tPlain += t1.Sub(t0)
					tPrep += time.Since(t1)
				}
			}
			b.ReportMetric(float64(tPrep)/float64(tPlain), "prepared/plain")
			b.ReportMetric(float64(tPlain.Microseconds())/float64(128*b.N), "plain-µs/solve")
			b.ReportMetric(float64(tPrep.Microseconds())/float64(128*b.N), "prepared-µs/solve")
		})
	}
}
