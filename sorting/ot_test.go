package sorting

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

func TestOTSortFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	ctx := context.Background()
	for _, desc := range []bool{false, true} {
		for _, anchors := range []int{0, 3} {
			n := 6
			x := randVec(rng, n)
			s := &OTSettings{Descending: desc, Anchors: anchors}
			m := n
			if anchors > 0 {
				m = anchors
			}
			gs, gr := randVec(rng, m), randVec(rng, n)
			f := func(x []float64) float64 {
				r, err := OTSort(ctx, x, 0.05, s)
				require.NoError(t, err)
				var v float64
				for j := range m {
					v += gs[j] * r.Sorted[j]
				}
				for i := range n {
					v += gr[i] * r.Ranks[i]
				}
				return v
			}
			r, err := OTSort(ctx, x, 0.05, s)
			require.NoError(t, err)
			got, err := r.Backward(gs, gr)
			require.NoError(t, err)
			want := fd.Gradient(nil, f, x, &fd.Settings{Formula: fd.Central, Step: 1e-5})
			assert.InDeltaSlice(t, want, got, 1e-6*(1+maxAbsSlice(want)), "desc=%v anchors=%d", desc, anchors)
		}
	}
}

func TestOTSortLimit(t *testing.T) {
	ctx := context.Background()
	x := []float64{0.3, -1.2, 2.5, 0.9, -0.4}
	for _, desc := range []bool{false, true} {
		r, err := OTSort(ctx, x, 1e-4, &OTSettings{Descending: desc})
		require.NoError(t, err)
		assert.InDeltaSlice(t, sortedCopy(x, desc), r.Sorted, 1e-3)
		assert.InDeltaSlice(t, exactRanks(x, desc), r.Ranks, 1e-3)
		// Nearly hard: the gradient of the ranks is (almost) zero, and the
		// backward pass must still return it (ridge fallback).
		g, err := r.Backward(nil, []float64{1, 0, 0, 0, 0})
		require.NoError(t, err)
		for _, v := range g {
			assert.Less(t, math.Abs(v), 1e-3)
		}
	}
	// Soft quantiles: with m = 1 anchor the single output is the mean.
	r, err := OTSort(ctx, x, 0.1, &OTSettings{Anchors: 1})
	require.NoError(t, err)
	assert.InDelta(t, 0.42, r.Sorted[0], 1e-9)
}

func TestOTTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 64))
	ctx := context.Background()
	x := randVec(rng, 7)
	for _, desc := range []bool{false, true} {
		r, err := OTTopK(ctx, x, 3, 1e-4, &OTSettings{Descending: desc})
		require.NoError(t, err)
		ranks := exactRanks(x, !desc)
		var sum float64
		for i, v := range r.Mask {
			want := 0.0
			if ranks[i] <= 3 {
				want = 1
			}
			assert.InDelta(t, want, v, 1e-3)
			sum += v
		}
		assert.InDelta(t, 3, sum, 1e-8)
		g := randVec(rng, 7)
		f := func(x []float64) float64 {
			r, err := OTTopK(ctx, x, 3, 0.05, &OTSettings{Descending: desc})
			require.NoError(t, err)
			var v float64
			for i := range g {
				v += g[i] * r.Mask[i]
			}
			return v
		}
		r, err = OTTopK(ctx, x, 3, 0.05, &OTSettings{Descending: desc})
		require.NoError(t, err)
		got, err := r.Backward(g)
		require.NoError(t, err)
		want := fd.Gradient(nil, f, x, &fd.Settings{Formula: fd.Central, Step: 1e-5})
		assert.InDeltaSlice(t, want, got, 1e-6*(1+maxAbsSlice(want)))
	}
}

func TestOTErrors(t *testing.T) {
	ctx := context.Background()
	_, err := OTSort(ctx, nil, 0.1, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = OTSort(ctx, []float64{1, 2}, 0, nil)
	assert.True(t, errors.Is(err, ErrStrength))
	_, err = OTSort(ctx, []float64{1, math.NaN()}, 0.1, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = OTTopK(ctx, []float64{1, 2, 3}, 3, 0.1, nil)
	assert.True(t, errors.Is(err, ErrInvalid))
	_, err = OTSort(ctx, []float64{1, 2, 3}, 0.1, &OTSettings{Anchors: -1})
	assert.True(t, errors.Is(err, ErrInvalid))
	r, err := OTSort(ctx, []float64{1, 2, 3}, 0.1, nil)
	require.NoError(t, err)
	_, err = r.Backward([]float64{1}, nil)
	assert.True(t, errors.Is(err, ErrDims))
}

func TestOTSortBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(67, 68))
	x := mat.NewDense(4, 5, randVec(rng, 20))
	rs, err := OTSortBatch(context.Background(), x, 0.05, &OTSettings{Workers: 3})
	require.NoError(t, err)
	for i, r := range rs {
		want, err := OTSort(context.Background(), x.RawRowView(i), 0.05, nil)
		require.NoError(t, err)
		assert.Equal(t, want.Ranks, r.Ranks)
	}
	_, err = OTSortBatch(context.Background(), mat.NewDense(2, 3, []float64{1, 2, math.NaN(), 1, 2, 3}), 0.05, &OTSettings{Workers: 2})
	assert.True(t, errors.Is(err, ErrNaN))
}
