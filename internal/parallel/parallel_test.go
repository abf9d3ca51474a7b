package parallel

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sizes = []int{0, 1, 2, 3, 7, 64, 1000}
var workerCounts = []int{-1, 0, 1, 2, 3, 8, 2000}

func TestWorkers(t *testing.T) {
	assert.Equal(t, 1, Workers(0, 4))
	assert.Equal(t, 1, Workers(5, 1))
	assert.Equal(t, 3, Workers(3, 8))
	assert.Equal(t, 4, Workers(10, 4))
	assert.Equal(t, min(10, runtime.GOMAXPROCS(0)), Workers(10, 0))
	assert.Equal(t, min(10, runtime.GOMAXPROCS(0)), Workers(10, -3))
}

func TestForEachIndexOnce(t *testing.T) {
	for _, n := range sizes {
		for _, w := range workerCounts {
			counts := make([]atomic.Int32, n)
			For(n, w, func(i int) { counts[i].Add(1) })
			for i := range counts {
				require.EqualValues(t, 1, counts[i].Load(), "n=%d workers=%d index %d", n, w, i)
			}
		}
	}
}

func TestForWorkerEachIndexOnce(t *testing.T) {
	for _, n := range sizes {
		for _, w := range workerCounts {
			nw := Workers(n, w)
			counts := make([]atomic.Int32, n)
			busy := make([]atomic.Int32, nw)
			ForWorker(n, w, func(worker, i int) {
				require.True(t, worker >= 0 && worker < nw, "worker %d of %d", worker, nw)
				// A worker runs its items one at a time.
				require.EqualValues(t, 1, busy[worker].Add(1))
				counts[i].Add(1)
				busy[worker].Add(-1)
			})
			for i := range counts {
				require.EqualValues(t, 1, counts[i].Load(), "n=%d workers=%d index %d", n, w, i)
			}
		}
	}
}

func TestChunks(t *testing.T) {
	for _, n := range sizes {
		for _, w := range workerCounts {
			nw := Workers(n, w)
			counts := make([]atomic.Int32, n)
			var calls atomic.Int32
			Chunks(n, w, func(worker, lo, hi int) {
				calls.Add(1)
				require.True(t, worker >= 0 && worker < nw, "worker %d of %d", worker, nw)
				require.True(t, 0 <= lo && lo < hi && hi <= n, "range [%d,%d) of %d", lo, hi, n)
				for i := lo; i < hi; i++ {
					counts[i].Add(1)
				}
			})
			for i := range counts {
				require.EqualValues(t, 1, counts[i].Load(), "n=%d workers=%d index %d", n, w, i)
			}
			require.LessOrEqual(t, int(calls.Load()), nw)
			if n > 0 {
				require.Positive(t, calls.Load())
			}
		}
	}
}

func TestRanges(t *testing.T) {
	for _, n := range sizes {
		for _, w := range workerCounts {
			for _, grain := range []int{-1, 0, 1, 3, 7, 1000} {
				g := max(grain, 1)
				nr := (n + g - 1) / g
				nw := Workers(nr, w)
				counts := make([]atomic.Int32, n)
				var calls atomic.Int32
				Ranges(n, w, grain, func(worker, lo, hi int) {
					calls.Add(1)
					require.True(t, worker >= 0 && worker < nw, "worker %d of %d", worker, nw)
					require.True(t, 0 <= lo && lo < hi && hi <= n, "range [%d,%d) of %d", lo, hi, n)
					if nw > 1 {
						require.Zero(t, lo%g, "range start %d, grain %d", lo, g)
						require.True(t, hi-lo == g || hi == n, "range [%d,%d), grain %d", lo, hi, g)
					}
					for i := lo; i < hi; i++ {
						counts[i].Add(1)
					}
				})
				for i := range counts {
					require.EqualValues(t, 1, counts[i].Load(), "n=%d workers=%d grain=%d index %d", n, w, grain, i)
				}
				if n > 0 {
					require.Positive(t, calls.Load())
					require.LessOrEqual(t, int(calls.Load()), max(nr, 1))
				} else {
					require.Zero(t, calls.Load())
				}
			}
		}
	}
}

// A slow worker (one range of the caller's takes long) does not hold the
// others back: the other goroutines take the remaining ranges.
func TestRangesDynamic(t *testing.T) {
	const n = 64
	var byWorker [2]atomic.Int32
	Ranges(n, 2, 1, func(worker, lo, hi int) {
		if lo == 0 {
			time.Sleep(50 * time.Millisecond)
		}
		byWorker[worker].Add(int32(hi - lo))
	})
	require.EqualValues(t, n, byWorker[0].Load()+byWorker[1].Load())
	// The goroutine that took range 0 slept through the others' work.
	require.GreaterOrEqual(t, max(byWorker[0].Load(), byWorker[1].Load()), int32(n-2))
}

func TestRangesPanic(t *testing.T) {
	require.PanicsWithValue(t, "boom 5", func() {
		Ranges(100, 4, 5, func(_, lo, hi int) {
			if lo == 25 {
				panic("boom 5")
			}
		})
	})
}

// Each item does work whose duration varies, so the schedule differs from
// run to run; the outputs must not.
func TestDeterministic(t *testing.T) {
	const n = 300
	compute := func(w int) []float64 {
		out := make([]float64, n)
		For(n, w, func(i int) {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			s := 0.0
			for range 1 + rng.IntN(2000) {
				s += rng.NormFloat64() / 3
			}
			out[i] = s
		})
		return out
	}
	want := compute(1)
	for _, w := range []int{2, 3, 4, 16} {
		for range 3 {
			got := compute(w)
			for i := range want {
				require.Equal(t, want[i], got[i], "workers=%d index %d", w, i) // bit-identical
			}
		}
	}
}

func TestForPanic(t *testing.T) {
	for _, w := range []int{1, 2, 4} {
		for _, bad := range []int{0, 5, 99} {
			var ran atomic.Int32
			v := recoverValue(func() {
				For(100, w, func(i int) {
					ran.Add(1)
					if i == bad || i == bad+1 {
						time.Sleep(time.Millisecond)
						panic(fmt.Sprintf("item %d", i))
					}
				})
			})
			// The panic of the smallest failing index surfaces in the
			// caller, as in a serial loop.
			require.Equal(t, fmt.Sprintf("item %d", bad), v, "workers=%d", w)
			if w == 1 {
				require.EqualValues(t, bad+1, ran.Load())
			}
		}
	}
	// Whichever goroutine panics (the caller or another), the panic
	// surfaces only after every running call has returned.
	for bad := range 4 {
		var active atomic.Int32
		v := recoverValue(func() {
			ForWorker(4, 4, func(_, i int) {
				active.Add(1)
				defer active.Add(-1)
				if i == bad {
					panic(errTest)
				}
				time.Sleep(2 * time.Millisecond)
			})
		})
		require.Equal(t, errTest, v)
		require.Zero(t, active.Load(), "calls still running after the panic surfaced")
	}
	// Chunks: the smallest range's panic.
	v := recoverValue(func() {
		Chunks(10, 3, func(w, lo, hi int) { panic(w) })
	})
	require.Equal(t, 0, v)
}

func TestForErrPanic(t *testing.T) {
	for _, w := range []int{1, 3} {
		var err error
		v := recoverValue(func() {
			err = ForErr(context.Background(), 50, w, func(i int) error {
				if i%7 == 3 {
					panic(i)
				}
				return nil
			})
		})
		require.Nil(t, v, "ForErr must return a panic of f, not raise it")
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, 3, pe.Index)
		require.Equal(t, 3, pe.Value)
		require.NotEmpty(t, pe.Stack)
		require.Nil(t, pe.Unwrap())
	}
	// An error value is unwrapped; an earlier returned error wins.
	err := ForErr(context.Background(), 10, 2, func(i int) error {
		if i == 5 {
			panic(errTest)
		}
		return nil
	})
	require.ErrorIs(t, err, errTest)
	err = ForErr(context.Background(), 10, 2, func(i int) error {
		switch i {
		case 2:
			return fmt.Errorf("item 2")
		case 5:
			panic("boom")
		}
		return nil
	})
	require.EqualError(t, err, "item 2")
}

func TestCall(t *testing.T) {
	require.NoError(t, Call(0, func() error { return nil }))
	require.ErrorIs(t, Call(0, func() error { return errTest }), errTest)
	err := Call(7, func() error { panic("boom") })
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 7, pe.Index)
	require.Equal(t, "boom", pe.Value)
	require.Contains(t, err.Error(), "boom")
	err = Call(1, func() error {
		var m map[string]int
		m["x"] = 1
		return nil
	})
	require.ErrorAs(t, err, &pe)
	var re runtime.Error
	require.ErrorAs(t, err, &re)
}

var errTest = errors.New("test error")

func recoverValue(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

func TestForErrSmallestIndex(t *testing.T) {
	for _, n := range []int{1, 2, 10, 200} {
		for _, w := range workerCounts {
			for _, bad := range []int{0, n / 2, n - 1} {
				var ran atomic.Int32
				err := ForErr(context.Background(), n, w, func(i int) error {
					ran.Add(1)
					if i >= bad && i%2 == bad%2 {
						return fmt.Errorf("item %d: %w", i, errTest)
					}
					return nil
				})
				require.ErrorIs(t, err, errTest)
				require.EqualError(t, err, fmt.Sprintf("item %d: test error", bad), "n=%d workers=%d", n, w)
				// A failure does not stop the other items.
				require.EqualValues(t, n, ran.Load())
			}
			require.NoError(t, ForErr(nil, n, w, func(int) error { return nil }))
		}
	}
	require.NoError(t, ForErr(context.Background(), 0, 2, func(int) error { return errTest }))
}

func TestForErrContext(t *testing.T) {
	for _, w := range []int{1, 2, 4} {
		// Cancelled before the call: no item runs.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var ran atomic.Int32
		err := ForErr(ctx, 100, w, func(int) error { ran.Add(1); return errTest })
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, ran.Load())
		// No items and a cancelled context: nothing was skipped.
		require.NoError(t, ForErr(ctx, 0, w, func(int) error { return errTest }))

		// Cancelled by item 10: the items started run to completion, no
		// new one starts, and the context's error wins over item errors.
		ctx, cancel = context.WithCancel(context.Background())
		var mu sync.Mutex
		done := map[int]bool{}
		ran.Store(0)
		err = ForErr(ctx, 1000, w, func(i int) error {
			ran.Add(1)
			if i == 10 {
				cancel()
			}
			time.Sleep(10 * time.Microsecond)
			mu.Lock()
			done[i] = true
			mu.Unlock()
			if i == 3 {
				return errTest
			}
			return nil
		})
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorIs(t, err, errTest)
		require.Less(t, int(ran.Load()), 1000)
		require.LessOrEqual(t, int(ran.Load()), 11+w, "workers=%d", w)
		require.Len(t, done, int(ran.Load()))
		cancel()

		// Cancelled during the last item: every index ran, so the items'
		// result is returned.
		ctx, cancel = context.WithCancel(context.Background())
		err = ForErr(ctx, 5, w, func(i int) error {
			if i == 4 {
				cancel()
			}
			if i == 2 {
				return errTest
			}
			return nil
		})
		if w == 1 {
			require.ErrorIs(t, err, errTest)
		} else {
			// With several workers another goroutine may see the
			// cancellation before taking index 4, or may not.
			require.True(t, errors.Is(err, errTest) || errors.Is(err, context.Canceled), "%v", err)
		}
		cancel()
	}
}

func TestForErrDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := ForErr(ctx, 1_000_000, 2, func(int) error {
		time.Sleep(100 * time.Microsecond)
		return nil
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

// spin busy-works for about d.
func spin(d time.Duration) float64 {
	s := 1.0
	for t0 := time.Now(); time.Since(t0) < d; {
		for k := range 100 {
			s = s*1.0000001 + float64(k)*1e-12
		}
	}
	return s
}

// channelPool is the pool For replaced: a channel send per item to
// workers started for the call.
func channelPool(n, workers int, f func(i int)) {
	w := Workers(n, workers)
	next := make(chan int)
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// BenchmarkTiny compares For with a channel-per-item pool on items of
// a few microseconds, where the hand-off is a large part of the cost.
func BenchmarkTiny(b *testing.B) {
	for _, c := range []struct {
		n    int
		item time.Duration
	}{{32, 30 * time.Microsecond}, {1000, time.Microsecond}, {10000, 0}} {
		out := make([]float64, c.n)
		f := func(i int) { out[i] = spin(c.item) }
		name := fmt.Sprintf("n=%d/item=%v", c.n, c.item)
		b.Run("For/"+name, func(b *testing.B) {
			for b.Loop() {
				For(c.n, 0, f)
			}
		})
		b.Run("Chan/"+name, func(b *testing.B) {
			for b.Loop() {
				channelPool(c.n, 0, f)
			}
		})
	}
}
