// Package batch runs the items of a batch on goroutines and reports the
// failing ones as one *implicit.BatchError, the module's batch error.
package batch

import (
	"context"

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
