// Package batch runs the items of a batch on goroutines and reports the
// failing ones as one *implicit.BatchError, the module's batch error.
package batch

import (
	"context"
	"errors"
	"fmt"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/parallel"
)

// Run calls f(i) for every i in [0, n) on parallel.Workers(n, workers)
// goroutines and returns nil when every call succeeded, ctx.Err() when ctx
// was done before every item was started, and otherwise a
// *implicit.BatchError with the failing items (a panic in f(i) is the
// failure of item i, as a *parallel.PanicError). A failing item does not
// stop the others, so every output of the items that succeeded is written;
// the error does not depend on workers or scheduling.
func Run(ctx context.Context, n, workers int, f func(i int) error) error {
	errs := make([]error, max(n, 0))
	if err := parallel.ForErr(ctx, n, workers, func(i int) error {
		errs[i] = parallel.Call(i, func() error { return f(i) })
		return nil
	}); err != nil {
		return err
	}
	return implicit.NewBatchError(errs)
}

// MarkPanics returns err marked with sentinel (a package's ErrCallback)
// when it carries a panic recovered from user code (a *parallel.PanicError)
// and is not marked yet; the errors of an *implicit.BatchError are marked
// one by one, so that each item says whether it panicked.
func MarkPanics(err, sentinel error) error {
	if be, ok := err.(*implicit.BatchError); ok {
		for k, e := range be.Errs {
			be.Errs[k] = MarkPanics(e, sentinel)
		}
		return be
	}
	var pe *parallel.PanicError
	if err != nil && !errors.Is(err, sentinel) && errors.As(err, &pe) {
		return fmt.Errorf("%w: %w", sentinel, err)
	}
	return err
}

// CheckWorkers returns nil for a valid Settings.Workers (0 means
// GOMAXPROCS) and an error matching invalid (a package's ErrInvalid) for
// a negative one.
func CheckWorkers(workers int, invalid error) error {
	if workers < 0 {
		return fmt.Errorf("%w: Workers = %d must be ≥ 0 (0: GOMAXPROCS)", invalid, workers)
	}
	return nil
}
