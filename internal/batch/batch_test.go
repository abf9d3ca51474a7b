package batch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/parallel"
)

func TestRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	errBad := errors.New("bad")
	for range 5 {
		n := 1 + rng.IntN(40)
		fail := make([]bool, n)
		var want []int
		for i := range fail {
			if fail[i] = rng.IntN(4) == 0; fail[i] {
				want = append(want, i)
			}
		}
		for _, w := range []int{1, 3, 0} {
			out := make([]int, n)
			err := Run(context.Background(), n, w, func(i int) error {
				if fail[i] {
					if i%2 == 0 {
						panic(fmt.Errorf("%w %d", errBad, i))
					}
					return fmt.Errorf("%w %d", errBad, i)
				}
				out[i] = i + 1
				return nil
			})
			for i := range out {
				if !fail[i] {
					assert.Equal(t, i+1, out[i], "the items that succeed are all run")
				}
			}
			if len(want) == 0 {
				require.NoError(t, err)
				continue
			}
			var be *implicit.BatchError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, want, be.Indices, "workers %d", w)
			require.ErrorIs(t, err, errBad)
			for k, i := range be.Indices {
				var pe *parallel.PanicError
				assert.Equal(t, i%2 == 0, errors.As(be.Errs[k], &pe), "item %d: a panic is that item's error", i)
			}
		}
	}
}

func TestRunCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	err := Run(ctx, 10, 1, func(int) error { calls++; return nil })
	require.ErrorIs(t, err, context.Canceled)
	var be *implicit.BatchError
	assert.False(t, errors.As(err, &be))
	assert.Zero(t, calls)
	require.NoError(t, Run(context.Background(), 0, 0, func(int) error { return errBadCall }))
}

var errBadCall = errors.New("called")

func TestMarkPanics(t *testing.T) {
	errCB := errors.New("callback")
	plain := errors.New("plain")
	pe := &parallel.PanicError{Index: 2, Value: "boom"}
	assert.NoError(t, MarkPanics(nil, errCB))
	assert.Equal(t, plain, MarkPanics(plain, errCB))
	err := MarkPanics(pe, errCB)
	require.ErrorIs(t, err, errCB)
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, err, MarkPanics(err, errCB), "marked once")
	be := implicit.NewBatchError([]error{plain, nil, pe})
	err = MarkPanics(be, errCB)
	var got *implicit.BatchError
	require.ErrorAs(t, err, &got)
	assert.False(t, errors.Is(got.Err(0), errCB), "a plain item stays plain")
	assert.ErrorIs(t, got.Err(2), errCB)
}
