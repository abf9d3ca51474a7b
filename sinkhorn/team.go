package sinkhorn

import (
	"math"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// teamSpin is how long a helper of a team keeps polling for the next pass
// after finishing one, and how long the caller polls for the helpers to
// finish, before blocking. It covers the serial work between two kernel
// sweeps (tens of µs at n = 1000), so that consecutive passes hand work
// over without waking a sleeping thread, which costs about a sweep's time
// on a virtual machine (BENCHMARKS.md, "Issue 18: why two workers were not
// faster").
const teamSpin = 200 * time.Microsecond

// team is a set of helper goroutines kept for the duration of one solve,
// so that the many short passes of the kernel mode (one sweep over a
// 1000×1000 kernel takes 0.1–0.2 ms) do not each start a goroutine and
// wake an idle thread. A pass is cut into ranges handed out from a shared
// counter to the caller and the helpers, as [parallel.Ranges] does; each
// range is computed by exactly one call, so results depend neither on the
// number of workers nor on the schedule.
//
// Between passes a helper polls (yielding its processor) for teamSpin, then
// blocks until the next pass is published; a pass never waits for a
// blocked helper to wake up: the caller starts on the ranges at once. When
// the caller had to wait for a helper longer than the helper's ranges
// would have taken it (on a machine where another process holds a core),
// the following passes run on the caller alone, so that two workers cost
// little more than one there.
type team struct {
	helpers int
	// serial is the number of coming passes to run on the caller alone,
	// after a pass with helpers that did not pay (see run); backoff is
	// the last such count (doubled on each such pass in a row, up to
	// teamMaxBackoff).
	serial, backoff int
	spin            atomic.Bool // helpers poll between passes (no slow pass of late)
	start           int         // the backoff the team started with
	probed          bool        // a pass ran with the helpers
	cur             atomic.Pointer[teamJob]
	seq             int64
	stop            atomic.Bool
	sleep           []atomic.Bool   // helper h is blocked, or about to, on wake[h]
	wake            []chan struct{} // capacity 1
}

// teamJob is one pass: ranges [r·grain, min((r+1)·grain, n)) for r <
// nr, handed out by next.
type teamJob struct {
	seq         int64
	n, grain    int
	nr          int64
	fn          func(w, lo, hi int)
	next, done  atomic.Int64
	waiting     atomic.Bool // the caller blocks on finished
	finished    chan struct{}
	panicked    atomic.Bool
	panicIndex  int64
	panicValue  any
	panicRecord atomic.Int32 // guards panicIndex and panicValue (0 free, 1 held)
}

// lastBackoff carries a team's backoff over to the next solve's team: on a
// machine where another process holds a core, each solve would otherwise
// start by waiting for its helpers again. A team that never tried its
// helpers (it backed off for the whole solve) leaves half its starting
// backoff, so that they are tried again within a few solves; otherwise it
// leaves the backoff of its last pass with helpers (0 if that one paid).
var lastBackoff atomic.Int64

// newTeam starts workers−1 helpers; the caller is worker 0. Call close
// when the solve ends.
func newTeam(workers int) *team {
	t := &team{helpers: workers - 1}
	t.backoff = int(lastBackoff.Load())
	t.serial = t.backoff
	t.start = t.backoff
	t.spin.Store(t.backoff == 0)
	t.sleep = make([]atomic.Bool, t.helpers)
	t.wake = make([]chan struct{}, t.helpers)
	for h := range t.helpers {
		t.wake[h] = make(chan struct{}, 1)
		go t.helper(h)
	}
	return t
}

// close stops the helpers (they return once they see it).
func (t *team) close() {
	if t.probed {
		lastBackoff.Store(int64(t.backoff))
	} else {
		lastBackoff.Store(int64(t.start / 2))
	}
	t.stop.Store(true)
	t.wakeAll()
}

func (t *team) wakeAll() {
	for h := range t.helpers {
		if t.sleep[h].CompareAndSwap(true, false) {
			t.wake[h] <- struct{}{}
		}
	}
}

// helper is the loop of helper h: wait for a pass newer than the last
// one, take part in it, repeat.
func (t *team) helper(h int) {
	var last int64
	for {
		j := t.await(h, last)
		if j == nil {
			return
		}
		last = j.seq
		j.work(h + 1)
	}
}

// await returns the current job once its sequence number exceeds last,
// or nil when the team is stopped. While t.spin is set it polls for
// teamSpin; then it blocks on wake[h], and polls again when woken without
// a job (the caller wakes the helpers ahead of a pass it wants them in).
func (t *team) await(h int, last int64) *teamJob {
	ready := func() (*teamJob, bool) {
		if t.stop.Load() {
			return nil, true
		}
		if j := t.cur.Load(); j != nil && j.seq > last {
			return j, true
		}
		return nil, false
	}
	for {
		start := time.Now()
		for k := 0; t.spin.Load(); k++ {
			if j, ok := ready(); ok {
				return j
			}
			if k%64 == 63 {
				if time.Since(start) > teamSpin {
					break
				}
				runtime.Gosched()
			}
		}
		t.sleep[h].Store(true)
		// Re-check after announcing the sleep: a pass published before
		// the announcement was not signalled.
		if j, ok := ready(); ok {
			if !t.sleep[h].CompareAndSwap(true, false) {
				<-t.wake[h] // the publisher saw the flag and sent a token
			}
			return j
		}
		<-t.wake[h]
		if j, ok := ready(); ok {
			return j
		}
	}
}

// run calls fn(w, lo, hi) for the ranges of grain indices cutting [0, n),
// on the caller (w = 0) and the helpers, and returns when all are done. A
// panic in fn is raised again on the caller (the one of the smallest
// range) after the pass has finished.
func (t *team) run(n, grain int, fn func(w, lo, hi int)) {
	grain = max(grain, 1)
	nr := (n + grain - 1) / grain
	if nr <= 1 {
		fn(0, 0, n)
		return
	}
	pr := ratesOf(passKey{n, grain, reflect.ValueOf(fn).Pointer()})
	alone := math.Float64frombits(pr.alone.Load())
	if t.serial > 0 || alone == 0 || pr.passes.Add(1)%teamRefresh == 0 {
		// On the caller alone: after a pass with helpers that did not
		// pay, or to learn (and every teamRefresh passes with helpers,
		// to refresh) what such a pass costs without them.
		t.serial = max(t.serial-1, 0)
		if t.serial == 0 && alone != 0 {
			// The next pass tries the helpers: have them polling by then.
			t.spin.Store(true)
			t.wakeAll()
		}
		start := time.Now()
		fn(0, 0, n)
		d := float64(time.Since(start))
		if alone != 0 {
			d = 0.75*alone + 0.25*d
		}
		pr.alone.Store(math.Float64bits(max(d, 1)))
		return
	}
	t.seq++
	j := &teamJob{seq: t.seq, n: n, grain: grain, nr: int64(nr), fn: fn, finished: make(chan struct{}, 1)}
	t.cur.Store(j)
	t.wakeAll()
	start := time.Now()
	mine := j.work(0)
	own := time.Since(start)
	for k := 0; j.done.Load() < j.nr; k++ {
		if k%64 == 63 {
			if time.Since(start)-own > teamSpin {
				j.waiting.Store(true)
				if j.done.Load() < j.nr || !j.waiting.CompareAndSwap(true, false) {
					<-j.finished
				}
				break
			}
			runtime.Gosched()
		}
	}
	wait := time.Since(start) - own
	t.probed = true
	if j.panicked.Load() {
		panic(j.panicValue)
	}
	// The pass paid if it took clearly less than such a pass on the
	// caller alone (the running mean of those, per size). It did not
	// when a helper's thread was not running (another process holds a
	// core): the helpers took no range, or the caller waited for one, or
	// both threads ran at part speed. Then run the next passes alone; try
	// the helpers again after 1, 2, 4, … such passes.
	if mine == j.nr || float64(own+wait) > teamPays*alone {
		t.backoff = min(max(2*t.backoff, 1), teamMaxBackoff)
		t.serial = t.backoff
	} else {
		t.backoff = 0
	}
	t.spin.Store(t.backoff == 0)
}

// teamPays is the largest ratio of a pass's time with helpers to its time
// on the caller alone for which the helpers are kept.
const teamPays = 0.9

// teamRefresh is how often (in passes of one kind) a pass runs on the
// caller alone to refresh passRates while the helpers pay.
const teamRefresh = 64

// passKey identifies the passes of one kind: their size and the code of
// the function (a solve's sweeps, say).
type passKey struct {
	n, grain int
	code     uintptr
}

// passRate is what a team knows about the passes of one kind: alone, the
// running mean of the time of such a pass on the caller alone in ns
// (float64 bits, 0 if none ran yet), and a count of such passes.
type passRate struct {
	alone  atomic.Uint64
	passes atomic.Int64
}

// passRates maps a passKey to its *passRate. It is kept across solves:
// the solves of one size (a training loop) share it.
var passRates sync.Map

func ratesOf(k passKey) *passRate {
	if v, ok := passRates.Load(k); ok {
		return v.(*passRate)
	}
	v, _ := passRates.LoadOrStore(k, new(passRate))
	return v.(*passRate)
}

// teamMaxBackoff bounds the number of passes a team runs on the caller
// alone before trying its helpers again.
const teamMaxBackoff = 64

// work takes ranges of j until none is left and returns how many it took.
func (j *teamJob) work(w int) (taken int64) {
	for {
		r := j.next.Add(1) - 1
		if r >= j.nr {
			return taken
		}
		taken++
		if j.do(w, r) {
			j.finish(1)
		}
	}
}

// finish counts k more ranges as done and wakes the caller if it blocks
// on the last one.
func (j *teamJob) finish(k int64) {
	if j.done.Add(k) == j.nr && j.waiting.CompareAndSwap(true, false) {
		j.finished <- struct{}{}
	}
}

// do runs range r and reports whether fn returned normally. A panic (or
// runtime.Goexit) is recorded, the one of the smallest range kept; then
// no more ranges are handed out, and this one and those never taken
// count as done so that the caller does not wait for them.
func (j *teamJob) do(w int, r int64) (ok bool) {
	defer func() {
		if ok {
			return
		}
		v := recover()
		if v == nil {
			v = "sinkhorn: a parallel pass called runtime.Goexit"
		}
		for !j.panicRecord.CompareAndSwap(0, 1) {
			runtime.Gosched()
		}
		if !j.panicked.Load() || r < j.panicIndex {
			j.panicIndex, j.panicValue = r, v
			j.panicked.Store(true)
		}
		j.panicRecord.Store(0)
		k := int64(1)
		for {
			nx := j.next.Load()
			if nx >= j.nr {
				break
			}
			if j.next.CompareAndSwap(nx, j.nr) {
				k += j.nr - nx
				break
			}
		}
		j.finish(k)
	}()
	lo := int(r) * j.grain
	j.fn(w, lo, min(lo+j.grain, j.n))
	return true
}
