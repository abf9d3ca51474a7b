package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/require"
)

// withProcs runs f with GOMAXPROCS = p (the pool serves calls of up to
// GOMAXPROCS workers).
func withProcs(t *testing.T, p int, f func()) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
	f()
}

// TestPoolReuse checks that consecutive calls are served by the kept
// helpers: after the first call no goroutine is started while the calls
// follow each other closely.
func TestPoolReuse(t *testing.T) {
	withProcs(t, 4, func() {
		var sum atomic.Int64
		For(100, 4, func(i int) { sum.Add(int64(i)) })
		before := pool.live.Load()
		require.GreaterOrEqual(t, before, int32(3))
		for range 200 {
			ForWorker(64, 4, func(w, i int) {
				require.True(t, w >= 0 && w < 4)
				sum.Add(int64(i))
			})
		}
		require.EqualValues(t, 4950+200*2016, sum.Load())
		require.Equal(t, before, pool.live.Load(), "helpers started or lost between close calls")
	})
}

// TestPoolNested runs calls inside the items of another call (the pool is
// then held: the inner calls start their own goroutines) and concurrent
// calls from independent goroutines; every index runs exactly once.
func TestPoolNested(t *testing.T) {
	withProcs(t, 3, func() {
		const outer, inner = 12, 40
		counts := make([]atomic.Int32, outer*inner)
		For(outer, 3, func(i int) {
			ForWorker(inner, 3, func(w, j int) {
				require.True(t, w >= 0 && w < 3)
				counts[i*inner+j].Add(1)
			})
		})
		for k := range counts {
			require.EqualValues(t, 1, counts[k].Load(), "index %d", k)
		}
		var wg sync.WaitGroup
		total := make([]atomic.Int64, 8)
		for g := range 8 {
			wg.Go(func() {
				for range 50 {
					For(30, 3, func(i int) { total[g].Add(int64(i)) })
				}
			})
		}
		wg.Wait()
		for g := range total {
			require.EqualValues(t, 50*435, total[g].Load(), "goroutine %d", g)
		}
	})
}

// TestPoolWorkerExclusive checks that a worker number is used by one
// goroutine at a time within a call, also when helpers join late.
func TestPoolWorkerExclusive(t *testing.T) {
	withProcs(t, 4, func() {
		for round := range 300 {
			busy := make([]atomic.Int32, 4)
			ForWorker(16, 4, func(w, i int) {
				require.EqualValues(t, 1, busy[w].Add(1), "round %d: worker %d used twice at once", round, w)
				if i%5 == 0 {
					time.Sleep(20 * time.Microsecond)
				}
				busy[w].Add(-1)
			})
			if round%100 == 99 {
				time.Sleep(2 * poolSpin) // let the helpers block
			}
		}
	})
}

// TestPoolGoexit: an item that calls runtime.Goexit ends its goroutine
// (a helper or the caller) without leaving the pool held or a helper
// counted that is gone.
func TestPoolGoexit(t *testing.T) {
	withProcs(t, 2, func() {
		for range 5 {
			done := make(chan any)
			go func() {
				defer close(done)
				// On a helper, the Goexit surfaces as a panic in the
				// caller (see recorder); on the caller, it ends it.
				defer func() { _ = recover() }()
				For(50, 2, func(i int) {
					if i == 20 {
						runtime.Goexit()
					}
				})
			}()
			<-done
		}
		// The pool still serves calls, with every index exactly once.
		counts := make([]atomic.Int32, 500)
		For(500, 2, func(i int) { counts[i].Add(1) })
		for i := range counts {
			require.EqualValues(t, 1, counts[i].Load())
		}
		require.Nil(t, pool.cur.Load(), "pool left held")
		// Every helper that ended (by Goexit or idle) was uncounted: the
		// count drains to zero once the helpers are idle.
		deadline := time.Now().Add(poolIdleExit + 2*time.Second)
		for pool.live.Load() != 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		require.Zero(t, pool.live.Load(), "helper count does not match the helpers alive")
	})
}

// TestPoolPanicThenReuse: a panic raised in the caller leaves the pool
// free for the next call.
func TestPoolPanicThenReuse(t *testing.T) {
	withProcs(t, 2, func() {
		for k := range 20 {
			v := recoverValue(func() {
				For(40, 2, func(i int) {
					if i == k {
						panic(i)
					}
				})
			})
			require.Equal(t, k, v)
			require.Nil(t, pool.cur.Load())
		}
	})
}

// TestPoolIdleExit: helpers exit once no call came for poolIdleExit, so a
// program that stopped calling keeps no goroutines of this package.
func TestPoolIdleExit(t *testing.T) {
	withProcs(t, 3, func() {
		For(10, 3, func(int) {})
		deadline := time.Now().Add(poolIdleExit + 2*time.Second)
		for pool.live.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		require.Zero(t, pool.live.Load(), "helpers still alive after %v idle", poolIdleExit)
		// And the next call starts them again.
		var n atomic.Int32
		For(10, 3, func(int) { n.Add(1) })
		require.EqualValues(t, 10, n.Load())
	})
}

func BenchmarkPoolTiny(b *testing.B) {
	var sink atomic.Int64
	for b.Loop() {
		For(64, 0, func(i int) { sink.Add(int64(i)) })
	}
}

// TestPoolConcurrent: a call with w workers runs its items on w
// goroutines at once (two items that wait for each other complete),
// also right after the helpers went idle or exited.
func TestPoolConcurrent(t *testing.T) {
	withProcs(t, 2, func() {
		for round := range 400 {
			done := make(chan struct{})
			go func() {
				defer close(done)
				meet := make(chan struct{})
				For(2, 2, func(i int) {
					if i == 0 {
						<-meet
					} else {
						close(meet)
					}
				})
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: the two items did not run at once", round)
			}
			switch round % 100 {
			case 50:
				time.Sleep(2 * poolSpin) // helpers blocked
			case 99:
				time.Sleep(poolIdleExit + poolIdleExit/10) // helpers exiting or gone
			}
		}
	})
}

// TestPoolReleasesJob: once a call returned, its helpers do not keep the
// call's data alive while they wait for the next one.
func TestPoolReleasesJob(t *testing.T) {
	withProcs(t, 2, func() {
		data := &[1 << 16]float64{}
		ref := weak.Make(data)
		For(8, 2, func(i int) { data[i]++ })
		data = nil
		for range 20 {
			runtime.GC()
			if ref.Value() == nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatal("a finished call's data is still reachable")
	})
}
