package sorting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

func TestNeuralSortFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, n := range []int{1, 2, 5, 9} {
		for _, desc := range []bool{false, true} {
			for _, stoch := range []bool{false, true} {
				tau := 0.7
				x := randVec(rng, n)
				gp := mat.NewDense(n, n, randVec(rng, n*n))
				seed := rng.Uint64()
				set := func() *NeuralSortSettings {
					return &NeuralSortSettings{Descending: desc, Stochastic: stoch, Rand: rand.New(rand.NewPCG(seed, 1))}
				}
				f := func(x []float64) float64 {
					r, err := NeuralSort(x, tau, set())
					require.NoError(t, err)
					return mat.Sum(elemMul(gp, r.P))
				}
				want := fd.Gradient(nil, f, x, &fd.Settings{Formula: fd.Central, Step: 1e-6})
				r, err := NeuralSort(x, tau, set())
				require.NoError(t, err)
				got, err := r.Backward(gp)
				require.NoError(t, err)
				assert.InDeltaSlice(t, want, got, 1e-7, "n=%d desc=%v stoch=%v", n, desc, stoch)
				for i := range n {
					assert.InDelta(t, 1, mat.Sum(r.P.RowView(i)), 1e-12)
				}
			}
		}
	}
}

func TestNeuralSortLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	for trial := range 10 {
		n := 2 + trial
		x := randVec(rng, n)
		sx := sortedCopy(x, false)
		tau := 1.0
		for i := 1; i < n; i++ {
			tau = min(tau, (sx[i]-sx[i-1])/50)
		}
		for _, desc := range []bool{false, true} {
			r, err := NeuralSort(x, tau, &NeuralSortSettings{Descending: desc})
			require.NoError(t, err)
			for pos, i := range Argsort(x, desc) {
				assert.InDelta(t, 1, r.P.At(pos, i), 1e-6, "n=%d", n)
			}
		}
	}
	// Stochastic: reproducible with the same seed, different otherwise.
	x := randVec(rng, 6)
	a, err := NeuralSort(x, 1, &NeuralSortSettings{Stochastic: true, Rand: rand.New(rand.NewPCG(1, 2))})
	require.NoError(t, err)
	b, err := NeuralSort(x, 1, &NeuralSortSettings{Stochastic: true, Rand: rand.New(rand.NewPCG(1, 2))})
	require.NoError(t, err)
	c, err := NeuralSort(x, 1, &NeuralSortSettings{Stochastic: true, Rand: rand.New(rand.NewPCG(3, 4))})
	require.NoError(t, err)
	assert.True(t, mat.Equal(a.P, b.P))
	assert.False(t, mat.Equal(a.P, c.P))
	// Plackett–Luce: with Gumbel noise the probability that item i comes
	// first (descending) is softmax(s)ᵢ.
	s := []float64{1, 0, -0.5}
	rg := rand.New(rand.NewPCG(5, 6))
	counts := make([]float64, 3)
	const draws = 20000
	for range draws {
		r, err := NeuralSort(s, 1e-3, &NeuralSortSettings{Descending: true, Stochastic: true, Rand: rg})
		require.NoError(t, err)
		for j := range 3 {
			counts[j] += math.Round(r.P.At(0, j))
		}
	}
	z := math.Exp(1) + 1 + math.Exp(-0.5)
	for j, w := range []float64{math.Exp(1), 1, math.Exp(-0.5)} {
		assert.InDelta(t, w/z, counts[j]/draws, 0.015)
	}
}

func TestSpearmanLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(55, 56))
	for _, reg := range []Regularization{0, 1} {
		for trial := range 6 {
			n := 3 + 2*trial
			pred, target := randVec(rng, n), randVec(rng, n)
			s := &SoftSettings{Regularization: reg, Descending: trial%2 == 1}
			f := func(p []float64) float64 {
				l, _, err := SpearmanLoss(p, target, 0.5, s)
				require.NoError(t, err)
				return l
			}
			_, got, err := SpearmanLoss(pred, target, 0.5, s)
			require.NoError(t, err)
			want := fd.Gradient(nil, f, pred, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			assert.InDeltaSlice(t, want, got, 1e-7)
			// Small ε: one minus Spearman's ρ = 1 − 6Σd²/(n(n²−1)).
			l, _, err := SpearmanLoss(pred, target, 1e-9, s)
			require.NoError(t, err)
			rp, rt := exactRanks(pred, false), exactRanks(target, false)
			var d2 float64
			for i := range n {
				d2 += (rp[i] - rt[i]) * (rp[i] - rt[i])
			}
			nn := float64(n)
			assert.InDelta(t, 6*d2/(nn*(nn*nn-1)), l, 1e-9)
		}
	}
	// Batch equals the mean of rows.
	b, n := 4, 7
	p, tg := mat.NewDense(b, n, randVec(rng, b*n)), mat.NewDense(b, n, randVec(rng, b*n))
	loss, grad, err := SpearmanLossBatch(context.Background(), p, tg, 1, nil)
	require.NoError(t, err)
	var mean float64
	for i := range b {
		l, g, err := SpearmanLoss(p.RawRowView(i), tg.RawRowView(i), 1, nil)
		require.NoError(t, err)
		mean += l / float64(b)
		for j := range g {
			assert.InDelta(t, g[j]/float64(b), grad.At(i, j), 1e-15)
		}
	}
	assert.InDelta(t, mean, loss, 1e-14)
	_, _, err = SpearmanLoss([]float64{1, 2, 3}, []float64{1, 1, 1}, 1, nil)
	assert.True(t, errors.Is(err, ErrInvalid))
	_, _, err = SpearmanLoss([]float64{1, 2, 3}, []float64{1, 2, 3}, 1e300, nil)
	assert.True(t, errors.Is(err, ErrInvalid), "%v", err)
}

func TestNeuralNDCG(t *testing.T) {
	rng := rand.New(rand.NewPCG(57, 58))
	for _, iters := range []int{0, 1, 5} {
		for _, k := range []int{0, 3} {
			n := 7
			scores := randVec(rng, n)
			rel := make([]float64, n)
			for i := range rel {
				rel[i] = float64(rng.IntN(4))
			}
			s := &NDCGSettings{K: k, SinkhornIters: iters}
			f := func(x []float64) float64 {
				v, _, err := NeuralNDCG(x, rel, 0.8, s)
				require.NoError(t, err)
				return v
			}
			v, got, err := NeuralNDCG(scores, rel, 0.8, s)
			require.NoError(t, err)
			assert.Greater(t, v, 0.0)
			want := fd.Gradient(nil, f, scores, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			assert.InDeltaSlice(t, want, got, 1e-7, fmt.Sprintf("iters=%d k=%d", iters, k))
			// τ → 0: the exact NDCG.
			exact, err := NDCG(scores, rel, s)
			require.NoError(t, err)
			v0, _, err := NeuralNDCG(scores, rel, 1e-5, s)
			require.NoError(t, err)
			assert.InDelta(t, exact, v0, 1e-6)
		}
	}
	// Perfect ranking: NDCG 1.
	v, err := NDCG([]float64{3, 2, 1}, []float64{2, 1, 0}, nil)
	require.NoError(t, err)
	assert.InDelta(t, 1, v, 1e-15)
	v, g, err := NeuralNDCG([]float64{3, 2, 1}, []float64{0, 0, 0}, 1, nil)
	require.NoError(t, err)
	assert.Equal(t, 0.0, v)
	assert.Equal(t, []float64{0, 0, 0}, g)
	_, _, err = NeuralNDCG([]float64{3, 2, 1}, []float64{0, -1, 0}, 1, nil)
	assert.True(t, errors.Is(err, ErrInvalid))
	_, _, err = NeuralNDCG([]float64{3, 2, 1}, []float64{0, 1}, 1, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, _, err = NeuralNDCG([]float64{3, 2, 1}, []float64{0, 1, 2}, 0, nil)
	assert.True(t, errors.Is(err, ErrStrength))
}

func TestNeuralSortErrors(t *testing.T) {
	_, err := NeuralSort(nil, 1, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = NeuralSort([]float64{1, 2}, -1, nil)
	assert.True(t, errors.Is(err, ErrStrength))
	_, err = NeuralSort([]float64{1, math.NaN()}, 1, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = NeuralSort([]float64{1, 2}, 1, &NeuralSortSettings{Stochastic: true})
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = NeuralSort([]float64{1e308, -1e308}, 1, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	r, err := NeuralSort([]float64{1, 2}, 1, nil)
	require.NoError(t, err)
	_, err = r.Backward(mat.NewDense(3, 3, nil))
	assert.True(t, errors.Is(err, ErrDims))
}

func FuzzNeuralSort(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1.0)
	f.Fuzz(func(t *testing.T, data []byte, tau float64) {
		x := bytesToFloats(data)
		if len(x) > 64 {
			return
		}
		r, err := NeuralSort(x, tau, nil)
		if err != nil {
			return
		}
		if !allFinite(r.P.RawMatrix().Data) {
			t.Fatal("non-finite P with nil error")
		}
		g, err := r.Backward(r.P)
		if err == nil && !allFinite(g) {
			t.Fatal("non-finite gradient with nil error")
		}
		rel := make([]float64, len(x))
		for i := range rel {
			rel[i] = float64(i % 3)
		}
		v, g, err := NeuralNDCG(x, rel, tau, &NDCGSettings{SinkhornIters: 2})
		if err == nil && (math.IsNaN(v) || !allFinite(g)) {
			t.Fatal("non-finite NeuralNDCG with nil error")
		}
	})
}

func TestNeuralNDCGBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(59, 60))
	b, n := 5, 6
	sc := mat.NewDense(b, n, randVec(rng, b*n))
	rel := mat.NewDense(b, n, nil)
	for i := range b {
		for j := range n {
			rel.Set(i, j, float64(rng.IntN(3)))
		}
	}
	for _, stoch := range []bool{false, true} {
		s1 := &NDCGSettings{SinkhornIters: 3, Stochastic: stoch, Workers: 1}
		s3 := &NDCGSettings{SinkhornIters: 3, Stochastic: stoch, Workers: 3}
		s := s1
		v1, g1, err := NeuralNDCGBatch(context.Background(), sc, rel, 0.5, s1, 9)
		require.NoError(t, err)
		v2, g2, err := NeuralNDCGBatch(context.Background(), sc, rel, 0.5, s3, 9)
		require.NoError(t, err)
		assert.Equal(t, v1, v2)
		assert.True(t, mat.Equal(g1, g2))
		if !stoch {
			var mean float64
			for i := range b {
				v, g, err := NeuralNDCG(sc.RawRowView(i), rel.RawRowView(i), 0.5, s)
				require.NoError(t, err)
				mean += v / float64(b)
				for j := range n {
					assert.InDelta(t, g[j]/float64(b), g1.At(i, j), 1e-15)
				}
			}
			assert.InDelta(t, mean, v1, 1e-14)
		}
	}
}

func FuzzLosses(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}, 0.5)
	f.Fuzz(func(t *testing.T, data []byte, eps float64) {
		v := bytesToFloats(data)
		n := len(v) / 2
		if n > 32 {
			return
		}
		pred, target := v[:n], v[n:2*n]
		if l, g, err := SpearmanLoss(pred, target, eps, nil); err == nil && (math.IsNaN(l) || !allFinite(g)) {
			t.Fatal("non-finite Spearman loss with nil error")
		}
		if n > 0 && n <= 8 {
			if r, err := OTSort(context.Background(), pred, eps, nil); err == nil {
				if !allFinite(r.Sorted) || !allFinite(r.Ranks) {
					t.Fatal("non-finite OT sort with nil error")
				}
				if g, err := r.Backward(r.Sorted, r.Ranks); err == nil && !allFinite(g) {
					t.Fatal("non-finite OT gradient with nil error")
				}
			}
		}
	})
}

func TestNeuralSortBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 66))
	x := mat.NewDense(4, 5, randVec(rng, 20))
	for _, stoch := range []bool{false, true} {
		a, err := NeuralSortBatch(context.Background(), x, 0.5, &NeuralSortSettings{Stochastic: stoch, Workers: 1}, 3)
		require.NoError(t, err)
		b, err := NeuralSortBatch(context.Background(), x, 0.5, &NeuralSortSettings{Stochastic: stoch, Workers: 4}, 3)
		require.NoError(t, err)
		for i := range a {
			assert.True(t, mat.Equal(a[i].P, b[i].P))
			if !stoch {
				r, err := NeuralSort(x.RawRowView(i), 0.5, nil)
				require.NoError(t, err)
				assert.True(t, mat.Equal(r.P, a[i].P))
			}
		}
	}
}
