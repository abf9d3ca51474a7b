package layers

import (
	"context"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/testutil"
	"github.com/optlayers/optlayers/solvers/project"
)

// benchLayer times Forward + Backward of a batch (one op) and reports
// cpu-ns/op beside ns/op.
func benchLayer(b *testing.B, f Func, theta *mat.Dense) {
	rows, _ := theta.Dims()
	_, out := f.Dims()
	gy := mat.NewDense(rows, out, randn(rand.New(rand.NewPCG(1, 1)), rows*out))
	l := Layer{Func: f}
	start, n := testutil.StartCPU(), 0
	for b.Loop() {
		o, err := l.Forward(context.Background(), theta)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := o.Backward(context.Background(), gy); err != nil {
			b.Fatal(err)
		}
		n++
	}
	start.ReportNs(b, n)
}

// BenchmarkQPLayer is the P-QP protocol of BENCHMARKS.md through the layer
// (θ = p, b, h per instance; gradient of sum(z*) with respect to them):
// batch 32, n = 10, m = 10 (qpth: 0.019 s).
func BenchmarkQPLayer(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	tpl := qpTemplate(rng, 10, 1, 10)
	tpl.A, tpl.B = nil, nil
	l := &QP{Template: tpl}
	in, _ := l.Dims()
	th := mat.NewDense(32, in, nil)
	for r := 0; r < 32; r++ {
		copy(th.RawRowView(r), randn(rng, 10))
		copy(th.RawRowView(r)[10:], tpl.H)
	}
	b.Run("literal", func(b *testing.B) { benchLayer(b, l, th) })
	prep, err := NewQP(tpl, QPLinear, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("NewQP", func(b *testing.B) { benchLayer(b, prep, th) })
}

// BenchmarkQPLayerLarge: the largest P-QP shape (batch 16, n = 200,
// m = 100) with the constraints fixed, as a struct literal (every instance
// factorizes Q) and built with NewQP (prepared once).
func BenchmarkQPLayerLarge(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 2))
	tpl := qpTemplate(rng, 200, 1, 100)
	tpl.A, tpl.B = nil, nil
	l := &QP{Template: tpl}
	in, _ := l.Dims()
	th := mat.NewDense(16, in, nil)
	for r := range 16 {
		copy(th.RawRowView(r), randn(rng, 200))
		copy(th.RawRowView(r)[200:], tpl.H)
	}
	b.Run("literal", func(b *testing.B) { benchLayer(b, l, th) })
	prep, err := NewQP(tpl, QPLinear, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("NewQP", func(b *testing.B) { benchLayer(b, prep, th) })
}

// BenchmarkSparsemaxLayer: batch 256 of n = 1000.
func BenchmarkSparsemaxLayer(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 2))
	benchLayer(b, Projection{Set: project.Simplex{Radius: 1}, N: 1000}, mat.NewDense(256, 1000, randn(rng, 256000)))
}

// BenchmarkSoftRankLayer: the P-SOFT shape, batch 100 of n = 1000.
func BenchmarkSoftRankLayer(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 2))
	benchLayer(b, SoftSort{N: 1000, Kind: Rank, Epsilon: 1}, mat.NewDense(100, 1000, randn(rng, 100000)))
}
