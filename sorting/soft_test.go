package sorting

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/isotonic"
)

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// exactRanks returns 1-based ranks (ascending: smallest gets 1).
func exactRanks(x []float64, descending bool) []float64 {
	n := len(x)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if descending {
			a, b = b, a
		}
		if x[a] < x[b] {
			return -1
		}
		if x[a] > x[b] {
			return 1
		}
		return 0
	})
	r := make([]float64, n)
	for pos, i := range idx {
		r[i] = float64(pos + 1)
	}
	return r
}

func sortedCopy(x []float64, descending bool) []float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	if descending {
		slices.Reverse(s)
	}
	return s
}

type softFunc func(dst, x []float64) (*Soft, error)

func softVariants(eps float64) map[string]softFunc {
	m := map[string]softFunc{}
	for _, reg := range []Regularization{isotonic.L2, isotonic.KL} {
		for _, desc := range []bool{false, true} {
			s := &SoftSettings{Regularization: reg, Descending: desc}
			name := reg.String()
			if desc {
				name += "/desc"
			}
			m["sort/"+name] = func(d, x []float64) (*Soft, error) { return SoftSort(d, x, eps, s) }
			m["rank/"+name] = func(d, x []float64) (*Soft, error) { return SoftRank(d, x, eps, s) }
			if reg == isotonic.L2 {
				m["top3/"+name] = func(d, x []float64) (*Soft, error) { return SoftTopK(d, x, 3, eps, s) }
			}
		}
	}
	return m
}

func TestSoftDerivativesFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, eps := range []float64{0.3, 1, 3} {
		for name, f := range softVariants(eps) {
			for trial := range 4 {
				n := 4 + 3*trial
				x := randVec(rng, n)
				out := make([]float64, n)
				sf, err := f(out, x)
				require.NoError(t, err, name)
				jac := mat.NewDense(n, n, nil)
				fd.Jacobian(jac, func(dst, xx []float64) {
					_, err := f(dst, xx)
					require.NoError(t, err)
				}, x, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
				for k := range 3 {
					d := randVec(rng, n)
					got := make([]float64, n)
					require.NoError(t, sf.JVP(got, d))
					want := make([]float64, n)
					mat.NewVecDense(n, want).MulVec(jac, mat.NewVecDense(n, d))
					assert.InDeltaSlice(t, want, got, 1e-6, "%s ε=%v JVP %d", name, eps, k)
					g := randVec(rng, n)
					gotT := make([]float64, n)
					require.NoError(t, sf.VJP(gotT, g))
					wantT := make([]float64, n)
					mat.NewVecDense(n, wantT).MulVec(jac.T(), mat.NewVecDense(n, g))
					assert.InDeltaSlice(t, wantT, gotT, 1e-6, "%s ε=%v VJP %d", name, eps, k)
				}
			}
		}
	}
}

func TestSoftExactLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for trial := range 20 {
		n := 1 + trial*3
		x := randVec(rng, n)
		// ε well below the smallest gap between values: exact regime.
		sx := sortedCopy(x, false)
		eps := 1.0
		for i := 1; i < n; i++ {
			eps = min(eps, (sx[i]-sx[i-1])/50)
		}
		for _, desc := range []bool{false, true} {
			for _, reg := range []Regularization{isotonic.L2, isotonic.KL} {
				s := &SoftSettings{Regularization: reg, Descending: desc}
				out := make([]float64, n)
				_, err := SoftSort(out, x, eps, s)
				require.NoError(t, err)
				assert.InDeltaSlice(t, sortedCopy(x, desc), out, 1e-9, "sort %v desc=%v", reg, desc)
				_, err = SoftRank(out, x, eps, s)
				require.NoError(t, err)
				assert.InDeltaSlice(t, exactRanks(x, desc), out, 1e-9, "rank %v desc=%v", reg, desc)
			}
			if n >= 3 {
				out := make([]float64, n)
				_, err := SoftTopK(out, x, 3, eps, &SoftSettings{Descending: desc})
				require.NoError(t, err)
				r := exactRanks(x, !desc)
				for i := range n {
					want := 0.0
					if r[i] <= 3 {
						want = 1
					}
					assert.InDelta(t, want, out[i], 1e-12)
				}
			}
		}
	}
	// Large ε: everything collapses to the mean.
	x := []float64{3, -1, 2, 0.5}
	out := make([]float64, 4)
	_, err := SoftRank(out, x, 1e6, nil)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{2.5, 2.5, 2.5, 2.5}, out, 1e-5)
	_, err = SoftSort(out, x, 1e6, nil)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1.125, 1.125, 1.125, 1.125}, out, 1e-5)
}

// TestSoftRankBruteForce certifies l2 soft ranks on small n against the
// definition, the projection of x/ε onto the convex hull of the n!
// permutations of ρ: ⟨r − x/ε, π(ρ) − r⟩ ≥ 0 for every vertex.
func TestSoftRankBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for trial := range 30 {
		n := 2 + trial%5
		x := randVec(rng, n)
		eps := 0.2 + rng.Float64()
		r := make([]float64, n)
		_, err := SoftRank(r, x, eps, nil)
		require.NoError(t, err)
		var sum float64
		for _, v := range r {
			sum += v
		}
		require.InDelta(t, float64(n*(n+1))/2, sum, 1e-10)
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		for { // all permutations in lexicographic order
			var ip float64
			for i := range n {
				ip += (r[i] - x[i]/eps) * (float64(perm[i]+1) - r[i])
			}
			require.GreaterOrEqual(t, ip, -1e-10)
			if !nextPerm(perm) {
				break
			}
		}
	}
}

func nextPerm(p []int) bool {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	slices.Reverse(p[i+1:])
	return true
}

func TestSoftBatchMatchesRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	b, n := 7, 13
	x := mat.NewDense(b, n, nil)
	g := mat.NewDense(b, n, nil)
	for i := range b {
		x.SetRow(i, randVec(rng, n))
		g.SetRow(i, randVec(rng, n))
	}
	for _, workers := range []int{1, 3} {
		s := &SoftSettings{Workers: workers}
		out := mat.NewDense(b, n, nil)
		sb, err := SoftRankBatch(context.Background(), out, x, 0.5, s)
		require.NoError(t, err)
		gx := mat.NewDense(b, n, nil)
		require.NoError(t, sb.VJP(context.Background(), gx, g))
		for i := range b {
			row, grow := make([]float64, n), make([]float64, n)
			sf, err := SoftRank(row, x.RawRowView(i), 0.5, nil)
			require.NoError(t, err)
			require.NoError(t, sf.VJP(grow, g.RawRowView(i)))
			assert.Equal(t, row, out.RawRowView(i))
			assert.Equal(t, grow, gx.RawRowView(i))
		}
	}
}

func TestSoftErrors(t *testing.T) {
	x := []float64{1, 2, 3}
	d := make([]float64, 3)
	for _, eps := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		_, err := SoftRank(d, x, eps, nil)
		assert.True(t, errors.Is(err, ErrStrength), "ε=%v", eps)
		_, err = SoftSort(d, x, eps, nil)
		assert.True(t, errors.Is(err, ErrStrength))
	}
	_, err := SoftSort(nil, nil, 1, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = SoftSort(make([]float64, 2), x, 1, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = SoftRank(d, []float64{1, math.NaN(), 2}, 1, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = SoftRank(d, []float64{1, math.Inf(-1), 2}, 1, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = SoftTopK(d, x, 4, 1, nil)
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = SoftTopK(d, x, 1, 1, &SoftSettings{Regularization: isotonic.KL})
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = SoftRank(d, x, 1, &SoftSettings{Regularization: 7})
	assert.True(t, errors.Is(err, ErrInvalid))
	// Overflow: x/ε = ±Inf is reported.
	_, err = SoftRank(d, []float64{1e300, -1e300, 0}, 1e-300, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	sf, err := SoftRank(d, x, 1, nil)
	require.NoError(t, err)
	assert.True(t, errors.Is(sf.VJP(d, []float64{1, 2}), ErrDims))
	assert.True(t, errors.Is(sf.VJP(d, []float64{1, math.NaN(), 2}), ErrNaN))
	_, err = SoftRankBatch(context.Background(), mat.NewDense(2, 3, nil), mat.NewDense(3, 3, nil), 1, nil)
	assert.True(t, errors.Is(err, ErrDims))
}

func FuzzSoft(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 1.0, uint8(0))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x7f}, 1e-300, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, eps float64, mode uint8) {
		x := bytesToFloats(data)
		dst := make([]float64, len(x))
		s := &SoftSettings{Regularization: Regularization(mode % 2), Descending: mode&2 != 0}
		var (
			sf  *Soft
			err error
		)
		switch (mode / 4) % 3 {
		case 0:
			sf, err = SoftSort(dst, x, eps, s)
		case 1:
			sf, err = SoftRank(dst, x, eps, s)
		default:
			sf, err = SoftTopK(dst, x, len(x)/2, eps, s)
		}
		if err != nil {
			return
		}
		if !allFinite(dst) {
			t.Fatalf("non-finite output %v with nil error", dst)
		}
		g := make([]float64, len(x))
		for i := range g {
			g[i] = 1
		}
		if err := sf.VJP(g, g); err == nil && !allFinite(g) {
			t.Fatalf("non-finite VJP with nil error")
		}
	})
}

func bytesToFloats(b []byte) []float64 {
	v := make([]float64, len(b)/8)
	for i := range v {
		var u uint64
		for k := range 8 {
			u |= uint64(b[8*i+k]) << (8 * k)
		}
		v[i] = math.Float64frombits(u)
	}
	return v
}

// BenchmarkPSoft is the P-SOFT protocol of BENCHMARKS.md: B=100 vectors of
// n=1000, x ~ N(0,1), l2, ε=1; soft_rank and soft_sort, each forward and
// VJP with a random cotangent.
func BenchmarkPSoft(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const bsz, n = 100, 1000
	x, g := mat.NewDense(bsz, n, nil), mat.NewDense(bsz, n, nil)
	for i := range bsz {
		x.SetRow(i, randVec(rng, n))
		g.SetRow(i, randVec(rng, n))
	}
	out, gx := mat.NewDense(bsz, n, nil), mat.NewDense(bsz, n, nil)
	ctx := context.Background()
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		r, err := SoftRankBatch(ctx, out, x, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.VJP(ctx, gx, g); err != nil {
			b.Fatal(err)
		}
		s, err := SoftSortBatch(ctx, out, x, 1, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.VJP(ctx, gx, g); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, 0.78)
}

// TestSoftRankMatchesImplicitEngine checks the O(n) block VJP of the soft
// rank against the generic implicit engine on the fixed-point condition of
// the permutahedron projection (package implicit, dense LU).
func TestSoftRankMatchesImplicitEngine(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, reg := range []Regularization{isotonic.L2, isotonic.KL} {
		n, eps := 9, 0.4
		x := randVec(rng, n)
		r := make([]float64, n)
		sr, err := SoftRank(r, x, eps, &SoftSettings{Regularization: reg})
		require.NoError(t, err)
		g := randVec(rng, n)
		fast := make([]float64, n)
		require.NoError(t, sr.VJP(fast, g))

		// x* = P(z, w) with z = x/ε, w = ρ (log ρ for KL, whose output is
		// exp x*).
		m, err := isotonic.PermutahedronMap(n, reg, 0.5)
		require.NoError(t, err)
		theta := make([]float64, 2*n)
		for i := range n {
			theta[i] = x[i] / eps
			theta[n+i] = float64(n - i)
			if reg == isotonic.KL {
				theta[n+i] = math.Log(theta[n+i])
			}
		}
		xs := make([]float64, n)
		_, err = isotonic.Project(xs, theta[:n], theta[n:], reg)
		require.NoError(t, err)
		gx := append([]float64(nil), g...)
		if reg == isotonic.KL {
			for i := range gx {
				gx[i] *= math.Exp(xs[i])
			}
		}
		gtheta, err := implicit.VJP(context.Background(), implicit.FixedPoint(m), xs, theta, gx, &implicit.Settings{Method: implicit.DenseLU})
		require.NoError(t, err)
		for i := range n {
			assert.InDelta(t, fast[i], gtheta[i]/eps, 1e-10, "%v", reg)
		}
	}
}
