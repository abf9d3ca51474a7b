package sorting

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/internal/testutil"
	"gonum.org/v1/gonum/mat"
)

// cpuTimer measures the process CPU time (user + system) of a benchmark,
// a figure that stays meaningful when the machine is shared: on an idle
// machine the wall time is about CPU time / (cores used).
type cpuTimer struct{ testutil.CPUMeter }

func startCPU() cpuTimer { return cpuTimer{testutil.StartCPU()} }

// report adds cpu-s/op and, for a reference wall time ref (seconds), the
// speed-up of single-core CPU time over it (x_cpu_vs_ref).
func (c cpuTimer) report(b *testing.B, ref float64) {
	per := c.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(per, "cpu-s/op")
	if ref > 0 && per > 0 {
		b.ReportMetric(ref/per, "x_cpu_vs_ref")
		b.ReportMetric(ref/(b.Elapsed().Seconds()/float64(b.N)), "x_wall_vs_ref")
	}
}

// pSort runs one P-SORT iteration: relaxed network with the relaxed
// permutation matrix, BCE against the true permutation, backward.
func pSortSetup(b *testing.B, kind NetworkKind, bsz, n int) (*Network, *mat.Dense, [][]int) {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	net, err := NewNetwork(kind, n)
	if err != nil {
		b.Fatal(err)
	}
	x := mat.NewDense(bsz, n, nil)
	perms := make([][]int, bsz)
	for i := range bsz {
		x.SetRow(i, randVec(rng, n))
		perms[i] = Argsort(x.RawRowView(i), false)
	}
	return net, x, perms
}

func benchPSort(b *testing.B, kind NetworkKind, bsz, n int, ref float64) {
	net, x, perms := pSortSetup(b, kind, bsz, n)
	s := &NetworkSettings{Sigmoid: Cauchy, Steepness: 10}
	ctx := context.Background()
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		nb, err := net.SortBatch(ctx, x, true, s)
		if err != nil {
			b.Fatal(err)
		}
		ps := make([]*mat.Dense, bsz)
		for i, r := range nb.Results {
			ps[i] = r.P
		}
		_, grads, err := PermutationBCEBatch(ctx, ps, perms, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := nb.Backward(ctx, nil, grads); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, ref)
}

// benchPSortFused runs P-SORT through SortBCEBatch: values and P in the
// forward pass, BCE against the true permutation, gradient.
func benchPSortFused(b *testing.B, kind NetworkKind, bsz, n int, ref float64) {
	net, x, perms := pSortSetup(b, kind, bsz, n)
	s := &NetworkSettings{Sigmoid: Cauchy, Steepness: 10}
	ctx := context.Background()
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		if _, err := net.SortBCEBatch(ctx, x, perms, true, s); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, ref)
}

// P-SORT protocol of BENCHMARKS.md (reference: diffsort, Cauchy,
// steepness 10, float64, forward (values and P) + backward of the BCE
// loss on P), through the fused SortBCE ...
func BenchmarkPSortBitonic32(b *testing.B)   { benchPSortFused(b, Bitonic, 100, 32, 0.099) }
func BenchmarkPSortOddEven32(b *testing.B)   { benchPSortFused(b, OddEven, 100, 32, 0.156) }
func BenchmarkPSortBitonic256(b *testing.B)  { benchPSortFused(b, Bitonic, 16, 256, 2.71) }
func BenchmarkPSortBitonic1024(b *testing.B) { benchPSortFused(b, Bitonic, 4, 1024, 39.9) }

// ... and through the composable path Sort → PermutationBCE → Backward.
func BenchmarkPSortUnfusedBitonic32(b *testing.B)   { benchPSort(b, Bitonic, 100, 32, 0.099) }
func BenchmarkPSortUnfusedOddEven32(b *testing.B)   { benchPSort(b, OddEven, 100, 32, 0.156) }
func BenchmarkPSortUnfusedBitonic256(b *testing.B)  { benchPSort(b, Bitonic, 16, 256, 2.71) }
func BenchmarkPSortUnfusedBitonic1024(b *testing.B) { benchPSort(b, Bitonic, 4, 1024, 39.9) }

func BenchmarkNeuralSortBatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	const bsz, n = 100, 32
	x := mat.NewDense(bsz, n, randVec(rng, bsz*n))
	g := mat.NewDense(n, n, randVec(rng, n*n))
	ctx := context.Background()
	cpu := startCPU()
	for b.Loop() {
		rs, err := NeuralSortBatch(ctx, x, 1, nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := parallel(ctx, bsz, 0, func(i int) error { _, err := rs[i].Backward(g); return err }); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, 0)
}

func BenchmarkOTSort(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := randVec(rng, 100)
	g := randVec(rng, 100)
	ctx := context.Background()
	cpu := startCPU()
	for b.Loop() {
		r, err := OTSort(ctx, x, 0.01, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Backward(nil, g); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, 0)
}
