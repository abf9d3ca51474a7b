// Package parallel runs the independent items of a batch on a few
// goroutines, the calling goroutine among them.
//
// The batch solvers of this module (QP and LP batches, Sinkhorn batches,
// soft sorting of B rows, per-row projections, perturbed-optimizer
// samples, cross-validation folds) all solve n independent problems and
// promise results that do not depend on the number of goroutines. The
// functions here give them one implementation of that loop:
//
//   - [For] and [ForWorker] hand out the indices 0, 1, …, n−1 from an
//     atomic counter. There is no channel send per item and no goroutine
//     parked on a channel receive, so an item of a few microseconds costs
//     about one atomic add instead of a channel hand-off and a futex wake-up;
//     the caller works too, so one goroutine fewer is started.
//   - [ForErr] adds errors and a context: it returns the error of the
//     smallest failing index (the one a serial loop would report first)
//     and stops handing out indices once the context is done.
//   - [Chunks] cuts [0, n) into one contiguous range per worker, for
//     passes over the rows of a matrix where a static split is cheaper and
//     more cache-friendly than dynamic scheduling; [Ranges] hands out
//     contiguous ranges of a given grain from the atomic counter instead,
//     for long passes that must not wait for a core taken by another
//     process.
//
// The helper goroutines are kept between calls (up to GOMAXPROCS−1 of
// them, serving one call at a time) and poll for a short while after each
// call before blocking, as OpenMP runtimes do between parallel regions: a
// batch solve followed by its backward pass, or the next step of a
// training loop, then neither starts goroutines (whose stacks would grow
// again to the solver's depth) nor wakes a sleeping thread. A call made
// while another holds the helpers (nested in an item, or from another
// goroutine) starts goroutines of its own. Helpers idle for a quarter of a
// second exit.
//
// Each index runs exactly once, on some goroutine. If f(i) writes only the
// outputs of index i (and per-worker scratch), the results are the same,
// bit for bit, whatever the number of workers and however the indices are
// scheduled.
//
// A panic in f does not deadlock nor kill the process from a background
// goroutine: it is recovered in the goroutine where it happened, no new
// index is handed out, the goroutines are waited for, and the panic of the
// smallest panicking index is raised again in the caller with its original
// value, as a serial loop would have raised it. The stack trace of the
// original goroutine is lost. [ForErr] instead returns such a panic as the
// error of its item, a *[PanicError] carrying the value and the stack, and
// [Call] does the same for one call: entry points that run user code
// (oracles, callbacks, conditions) use these, so that a panicking callback
// becomes an error of the caller.
package parallel
