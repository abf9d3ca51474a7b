package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The helpers of [For], [ForWorker], [ForErr] and [Ranges] are kept
// between calls. Starting a goroutine for every call, as a plain
// fork-join does, costs three things a batch of small problems notices
// (BENCHMARKS.md, "Issue 18: the dense QP's small batches"): the new
// goroutine's stack grows, by copying, to the depth of the solver it runs;
// waking a parked thread costs a futex call; and on a virtual machine
// the idle core itself has to be woken, which takes about as long as a
// 0.1 ms item. A kept helper has its stack grown already, and a helper
// that polls for a short while after each call (as OpenMP runtimes do
// between parallel regions) sees the next call — a SolveBatch followed by
// its BackwardBatch, the next step of a training loop — without being
// woken at all.
//
// The pool holds at most GOMAXPROCS−1 helpers, one job at a time: a call
// made while another call holds the pool (a call nested in an item of
// another, or concurrent calls from independent goroutines) starts
// goroutines of its own, as before. Helpers that were idle for
// poolIdleExit exit, so that a program that stopped calling keeps no
// goroutines.

// poolSpin is how long a helper polls for the next job after finishing
// one, and how long the caller polls for the helpers to finish, before
// blocking.
const poolSpin = 200 * time.Microsecond

// poolIdleExit is how long a blocked helper waits for a job before it
// exits.
const poolIdleExit = 250 * time.Millisecond

// job is one call of run served by the pool.
type job struct {
	seq  uint64 // the pool's count of jobs, this one's
	n, w int
	stop func() bool
	body func(worker, i int)
	rec  recorder
	next atomic.Int64
	// joined counts the helpers that took a worker number (1, 2, …);
	// active those inside work, which the caller waits for.
	joined, active atomic.Int32
	waiting        atomic.Bool   // the caller blocks on finished
	finished       chan struct{} // capacity 1
}

// work takes indices until none is left (or stop reports true, or an item
// panicked).
func (j *job) work(worker int) {
	for {
		if j.stop != nil && j.stop() {
			return
		}
		i := int(j.next.Add(1) - 1)
		if i >= j.n {
			return
		}
		if !j.rec.do(i, func() { j.body(worker, i) }) {
			// Hand out no more indices; those already taken (all
			// smaller than any later one) still complete.
			j.next.Store(int64(j.n))
			return
		}
	}
}

// help is a helper's part of j. active is raised before any index is
// taken, so a caller that saw every index handed out and active at zero
// knows that no item is still running. The deferred leave also runs when
// an item calls runtime.Goexit, which ends the helper.
func (j *job) help() {
	j.active.Add(1)
	defer j.leave()
	if id := int(j.joined.Add(1)); id < j.w {
		j.work(id)
	}
}

func (j *job) leave() {
	if j.active.Add(-1) == 0 && j.waiting.CompareAndSwap(true, false) {
		j.finished <- struct{}{}
	}
}

// wait returns once no helper is inside j: it polls for poolSpin, then
// blocks until the last one leaves.
func (j *job) wait() {
	start := time.Now()
	for k := 0; j.active.Load() != 0; k++ {
		if k%64 != 63 {
			continue
		}
		if time.Since(start) > poolSpin {
			j.waiting.Store(true)
			if j.active.Load() != 0 || !j.waiting.CompareAndSwap(true, false) {
				<-j.finished
			}
			return
		}
		runtime.Gosched()
	}
}

// helperPool is the process's one set of kept helpers.
type helperPool struct {
	cur  atomic.Pointer[job] // the job being served, nil when the pool is free
	seq  atomic.Uint64       // jobs published so far
	live atomic.Int32        // helpers alive
	mu   sync.Mutex
	idle []*helper // blocked helpers, each waiting on its wake channel
}

var pool helperPool

type helper struct {
	wake chan *job // capacity 1
}

// acquire publishes j as the pool's job and makes sure w−1 helpers exist
// and are awake; it reports false when the pool serves another call.
func (p *helperPool) acquire(j *job) bool {
	j.seq = p.seq.Add(1) // before publishing: helpers read it
	if !p.cur.CompareAndSwap(nil, j) {
		return false
	}
	need := j.w - 1
	p.mu.Lock()
	for len(p.idle) > 0 && need > 0 {
		h := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		h.wake <- j
		need--
	}
	p.mu.Unlock()
	// Helpers alive but not idle are polling (or finishing an item of
	// a previous job): they see j by themselves. Start the missing ones.
	for int(p.live.Load()) < j.w-1 {
		p.live.Add(1)
		h := &helper{wake: make(chan *job, 1)}
		go h.loop(j)
	}
	return true
}

// release frees the pool once j's caller has seen it done.
func (p *helperPool) release(j *job) { p.cur.CompareAndSwap(j, nil) }

// loop serves jobs: first, then each newer published job, polling for
// poolSpin between jobs and then blocking until woken with one, or until
// poolIdleExit passes.
func (h *helper) loop(first *job) {
	// An idle exit uncounts the helper in block, under the pool's lock,
	// so that a caller never counts on a helper that is leaving; this
	// covers the other exit, an item calling runtime.Goexit.
	idleExit := false
	defer func() {
		if !idleExit {
			pool.live.Add(-1)
		}
	}()
	// The helper remembers the last job by number, not by pointer, so
	// that a finished job (and what its items refer to) is not kept
	// alive while the helper waits.
	last := first.seq
	first.help()
	first = nil
	timer := time.NewTimer(poolIdleExit)
	defer timer.Stop()
	for {
		j := h.poll(last)
		if j == nil {
			j = h.block(last, timer)
			if j == nil {
				idleExit = true
				return
			}
		}
		last = j.seq
		j.help()
	}
}

// poll returns a published job newer than the job numbered last, or nil
// after poolSpin.
func (h *helper) poll(last uint64) *job {
	start := time.Now()
	for k := 0; ; k++ {
		if j := pool.cur.Load(); j != nil && j.seq != last {
			return j
		}
		if k%64 == 63 {
			if time.Since(start) > poolSpin {
				return nil
			}
			runtime.Gosched()
		}
	}
}

// block registers h as idle and waits for a job newer than last; it
// returns nil after poolIdleExit without one, h being then neither
// registered nor counted in pool.live.
func (h *helper) block(last uint64, timer *time.Timer) *job {
	pool.mu.Lock()
	// A job published before the registration did not see h: take it.
	if j := pool.cur.Load(); j != nil && j.seq != last && int(j.joined.Load()) < j.w-1 {
		pool.mu.Unlock()
		return j
	}
	pool.idle = append(pool.idle, h)
	pool.mu.Unlock()
	timer.Reset(poolIdleExit)
	select {
	case j := <-h.wake:
		timer.Stop()
		return j
	case <-timer.C:
	}
	pool.mu.Lock()
	for k, o := range pool.idle {
		if o == h {
			pool.idle = append(pool.idle[:k], pool.idle[k+1:]...)
			pool.live.Add(-1)
			pool.mu.Unlock()
			return nil
		}
	}
	pool.mu.Unlock()
	// A publisher took h off the list just as the timer fired: its job
	// is on the way.
	return <-h.wake
}

// runPooled is run on the kept helpers; it reports false, having done
// nothing, when the pool serves another call.
func runPooled(n, w int, stop func() bool, body func(worker, i int)) (taken int, ok bool) {
	j := &job{n: n, w: w, stop: stop, body: body, finished: make(chan struct{}, 1)}
	if !pool.acquire(j) {
		return 0, false
	}
	func() {
		// Deferred, so that an item calling runtime.Goexit on the
		// caller does not leave the pool held.
		defer pool.release(j)
		defer j.wait()
		j.work(0)
	}()
	j.rec.repanic()
	return min(int(j.next.Load()), n), true
}
