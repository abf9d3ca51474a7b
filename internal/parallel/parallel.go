package parallel

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// PanicError is a panic recovered from a call of user code: f(Index) in
// [ForErr], or the function passed to [Call]. Value is the recovered value
// and Stack the stack of the goroutine that panicked, taken where the panic
// was recovered. When Value is an error, Unwrap returns it, so errors.Is
// and errors.As see through the panic.
type PanicError struct {
	Index int
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic in call %d: %v", e.Index, e.Value)
}

// Unwrap returns Value when it is an error, else nil.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Call calls f and returns its error; a panic in f is recovered and
// returned as a *[PanicError] with the given index. A runtime.Goexit in f
// is not stopped. Entry points that call user code (oracles, callbacks,
// conditions) use it so that a panicking callback becomes an error of the
// caller rather than a crash.
func Call(index int, f func() error) (err error) {
	ok := false
	defer func() {
		if ok {
			return
		}
		if v := recover(); v != nil {
			err = &PanicError{Index: index, Value: v, Stack: debug.Stack()}
		}
	}()
	err = f()
	ok = true
	return err
}

// Workers returns the number of goroutines (the caller's included) that
// [For], [ForWorker] and [ForErr] use for n items: min(workers, n), where
// workers ≤ 0 means runtime.GOMAXPROCS(0), and at least 1. Per-worker
// scratch for [ForWorker] and [Chunks] needs this many slots.
func Workers(n, workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(1, min(workers, n))
}

// For calls f(i) for every i in [0, n) on Workers(n, workers) goroutines,
// the calling goroutine among them, and returns when all calls are done.
// Each goroutine takes the next index from a shared atomic counter, so the
// indices are balanced dynamically and an item costs one atomic add. With
// one worker, or n ≤ 1, f runs serially on the caller in index order.
//
// Each index runs exactly once. f must be safe for concurrent use; if f(i)
// writes only the outputs of index i, the results do not depend on
// workers. A panic in f is raised again in the caller (see the package
// documentation).
func For(n, workers int, f func(i int)) {
	w := Workers(n, workers)
	if w <= 1 || n <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	run(n, w, nil, func(_, i int) { f(i) })
}

// ForWorker is [For] where f also receives the worker that runs it, in
// [0, Workers(n, workers)); worker 0 is the calling goroutine. A worker runs
// its indices one after the other, so f may use per-worker scratch
// (scratch[worker]) without locking. Which indices a worker gets depends on
// scheduling: results must not depend on the contents of the scratch on
// entry.
func ForWorker(n, workers int, f func(worker, i int)) {
	run(n, Workers(n, workers), nil, f)
}

// ForErr is [For] for items that can fail, with a context. It returns
//
//   - ctx.Err() if ctx was done before every index was handed out (the
//     goroutines check ctx before taking each index; calls already started
//     run to completion, and f should watch ctx itself if an item is long);
//   - otherwise the error of the smallest i for which f(i) failed, or nil.
//
// A panic in f(i) is recovered and counts as the failure of item i: its
// error is a *[PanicError] (Index i, the recovered value and the stack).
// ForErr therefore never raises a panic of f in the caller, unlike [For].
// A failing item does not stop the others: every index runs, so the outputs
// of the items that succeeded are all available. Unless ctx is cancelled,
// which error is returned does not depend on workers or scheduling. A nil
// ctx means context.Background().
func ForErr(ctx context.Context, n, workers int, f func(i int) error) error {
	var stop func() bool
	if ctx != nil {
		if done := ctx.Done(); done != nil {
			stop = func() bool {
				select {
				case <-done:
					return true
				default:
					return false
				}
			}
		}
	}
	var (
		mu       sync.Mutex
		firstIdx = n
		firstErr error
	)
	taken := run(n, Workers(n, workers), stop, func(_, i int) {
		if err := Call(i, func() error { return f(i) }); err != nil {
			mu.Lock()
			if i < firstIdx {
				firstIdx, firstErr = i, err
			}
			mu.Unlock()
		}
	})
	if taken < n {
		return ctx.Err()
	}
	return firstErr
}

// Chunks cuts [0, n) into contiguous ranges of ⌈n/w⌉ indices, w =
// Workers(n, workers), and calls f(worker, lo, hi) once per non-empty range
// [lo, hi), each on its own goroutine (the last one on the caller). worker
// is the range's position, in [0, w). With one worker, or n = 1, it calls
// f(0, 0, n); with n ≤ 0 it does nothing.
//
// Use it for passes over many cheap, uniform items (the rows of a matrix),
// where a static split costs one goroutine per worker and keeps each
// worker on adjacent memory. If f writes only the outputs of the indices
// of its range, the results do not depend on workers. A panic in f is
// raised again in the caller (see the package documentation).
func Chunks(n, workers int, f func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	w := Workers(n, workers)
	if w <= 1 || n < 2 {
		f(0, 0, n)
		return
	}
	chunk := (n + w - 1) / w
	var (
		wg  sync.WaitGroup
		rec recorder
	)
	for k := range w {
		lo, hi := k*chunk, min((k+1)*chunk, n)
		if hi == n {
			rec.do(k, func() { f(k, lo, hi) })
			break
		}
		wg.Go(func() { rec.do(k, func() { f(k, lo, hi) }) })
	}
	wg.Wait()
	rec.repanic()
}

// Ranges cuts [0, n) into contiguous ranges of grain indices (the last
// one shorter) and hands them out, like [ForWorker], from a shared atomic
// counter to Workers(⌈n/grain⌉, workers) goroutines, the caller among
// them: f(worker, lo, hi) is called once per range, worker in [0,
// Workers(⌈n/grain⌉, workers)) for per-worker scratch. With one range or
// one worker it calls f(0, 0, n) on the caller; with n ≤ 0 it does nothing;
// grain < 1 counts as 1.
//
// It is [Chunks] with dynamic scheduling: use it for passes over the rows
// of a matrix that are long enough to split (a Sinkhorn iteration over a
// 1000×1000 kernel) when a core may be slower than the others — taken by
// another process, say. A static split then waits for the slow core's
// half; here the fast core takes more ranges, so two workers on a machine
// with one busy core cost at most about one range more than one worker.
// A grain of n/(4·workers) keeps both the hand-off cost and that slack
// small. If f writes only the outputs of the indices of its range, the
// results do not depend on workers nor on the schedule. A panic in f is
// raised again in the caller (see the package documentation).
func Ranges(n, workers, grain int, f func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	nr := (n + grain - 1) / grain
	w := Workers(nr, workers)
	if w <= 1 || nr <= 1 {
		f(0, 0, n)
		return
	}
	run(nr, w, nil, func(worker, r int) {
		f(worker, r*grain, min((r+1)*grain, n))
	})
}

// run calls body(worker, i) for the indices of [0, n) handed out by a
// shared counter to w goroutines (the caller is worker 0). stop, if not
// nil, is checked before each index is taken; when it reports true the
// goroutine takes no more indices. run returns the number of indices
// handed out, n unless stop ended the loop early.
func run(n, w int, stop func() bool, body func(worker, i int)) int {
	if w <= 1 || n <= 1 {
		for i := range n {
			if stop != nil && stop() {
				return i
			}
			body(0, i)
		}
		return max(n, 0)
	}
	if w <= runtime.GOMAXPROCS(0) {
		if taken, ok := runPooled(n, w, stop, body); ok {
			return taken
		}
	}
	var (
		next atomic.Int64
		rec  recorder
		wg   sync.WaitGroup
	)
	work := func(worker int) {
		for {
			if stop != nil && stop() {
				return
			}
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			if !rec.do(i, func() { body(worker, i) }) {
				// Hand out no more indices; those already taken
				// (all smaller than any later one) still complete.
				next.Store(int64(n))
				return
			}
		}
	}
	for k := 1; k < w; k++ {
		wg.Go(func() { work(k) })
	}
	work(0)
	wg.Wait()
	rec.repanic()
	return min(int(next.Load()), n)
}

// recorder keeps the panic of the smallest index.
type recorder struct {
	mu    sync.Mutex
	index int
	value any
	set   bool
}

// do calls f and reports whether it returned normally; a panic is
// recovered and recorded under index.
func (r *recorder) do(index int, f func()) (ok bool) {
	defer func() {
		if ok {
			return
		}
		v := recover()
		if v == nil {
			// runtime.Goexit (t.FailNow, say) on a worker goroutine.
			v = "parallel: f called runtime.Goexit"
		}
		r.mu.Lock()
		if !r.set || index < r.index {
			r.index, r.value, r.set = index, v, true
		}
		r.mu.Unlock()
	}()
	f()
	return true
}

// repanic raises the recorded panic, if any, in the calling goroutine.
func (r *recorder) repanic() {
	if r.set {
		panic(r.value)
	}
}
