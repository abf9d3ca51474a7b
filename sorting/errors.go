package sorting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
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
	// ErrSettings reports an invalid setting (unknown network or sigmoid,
	// k out of range, unsupported combination).
	ErrSettings = errors.New("sorting: invalid settings")
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
// (workers ≤ 0 means GOMAXPROCS) and returns the error of the smallest
// failing i, so results do not depend on scheduling. It stops handing out
// work when ctx is cancelled.
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	errs := make([]error, n)
	if workers <= 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			errs[i] = f(i)
		}
	} else {
		var (
			mu   sync.Mutex
			next int
			wg   sync.WaitGroup
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= n {
						return
					}
					errs[i] = f(i)
				}
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("batch item %d: %w", i, err)
		}
	}
	return nil
}
