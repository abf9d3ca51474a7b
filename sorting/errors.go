package sorting

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/internal/batch"
)

// Errors returned by this package; they match with errors.Is.
var (
	// ErrDims reports an empty input or arguments of mismatched shapes.
	ErrDims = errors.New("sorting: dimension mismatch")
	// ErrNaN reports NaN or Inf in an input.
	ErrNaN = errors.New("sorting: NaN or Inf in input")
	// ErrStrength reports a regularization strength, temperature or
	// steepness that is not a positive finite number.
	ErrStrength = errors.New("sorting: strength must be positive and finite")
	// ErrInvalid reports an invalid setting or argument (unknown network
	// or sigmoid, k out of range, unsupported combination, a target that
	// is not a permutation, a probability outside [0, 1]).
	ErrInvalid = errors.New("sorting: invalid settings")
)

func checkFinite(name string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: %s[%d] = %v", ErrNaN, name, i, x)
		}
	}
	return nil
}

func checkPositive(name string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("%w: %s = %v", ErrStrength, name, v)
	}
	return nil
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// parallel runs f(i) for i in [0, n) on up to workers goroutines
// (workers ≤ 0 means GOMAXPROCS), the caller among them. A failing item
// does not stop the others; the error names every failing item, as an
// *implicit.BatchError, and does not depend on scheduling. It stops
// handing out work when ctx is cancelled and then returns ctx.Err().
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	return batch.Run(ctx, n, workers, f)
}
