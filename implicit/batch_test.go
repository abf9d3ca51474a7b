package implicit

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBatchError(t *testing.T) {
	errA := errors.New("a")
	errB := errors.New("b")
	require.NoError(t, NewBatchError(nil))
	require.NoError(t, NewBatchError(make([]error, 4)), "all nil is a nil interface, not a typed nil")

	err := NewBatchError([]error{nil, fmt.Errorf("wrapped: %w", errA), nil, errB, nil})
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, []int{1, 3}, be.Indices)
	require.ErrorIs(t, err, errA)
	require.ErrorIs(t, err, errB)
	assert.NoError(t, be.Err(0))
	assert.ErrorIs(t, be.Err(1), errA)
	assert.ErrorIs(t, be.Err(3), errB)
	assert.NoError(t, be.Err(7))
	assert.Equal(t, "2 items failed: item 1: wrapped: a; item 3: b", err.Error())

	one := NewBatchError([]error{nil, nil, errB})
	assert.Equal(t, "item 2 failed: b", one.Error())

	// Many failures: the first few are named, the rest counted.
	rng := rand.New(rand.NewPCG(3, 4))
	errs := make([]error, 50)
	var want []int
	for i := range errs {
		if rng.IntN(2) == 0 {
			errs[i] = fmt.Errorf("e%d", i)
			want = append(want, i)
		}
	}
	err = NewBatchError(errs)
	require.ErrorAs(t, err, &be)
	assert.Equal(t, want, be.Indices)
	msg := fmt.Sprintf("%d items failed: item %d: e%d; item %d: e%d; item %d: e%d; and %d more",
		len(want), want[0], want[0], want[1], want[1], want[2], want[2], len(want)-3)
	assert.Equal(t, msg, err.Error())
	// NewBatchError does not retain errs.
	errs[want[0]] = nil
	assert.Error(t, be.Err(want[0]))

	var nilBE *BatchError
	assert.NoError(t, nilBE.Err(0))
}
