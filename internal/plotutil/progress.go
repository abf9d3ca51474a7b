package plotutil

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Progress reports how far a long example run has gone, on stderr, so that
// no run is silent for long: the tables stay on stdout, unchanged.
//
// The work is counted in units of named kinds (say "epoch of SPO+"), each
// with a known total. When the writer is a terminal, Progress redraws one
// status line (a bar, the elapsed time, an estimate of the time left and
// the current step) five times a second; otherwise it writes a line for
// the latest Start or Step, at most one every Interval, and none is held
// back longer than Interval (the first and the last are written at once).
// The estimate of the time left is Σ over kinds of (units left) × (mean
// time of one unit of that kind so far), a unit of a kind not seen yet
// counting as the mean unit: it is good once every kind has run once.
//
// Without Expect (stages only, no counts) every Start is written.
//
// A nil *Progress is valid and silent.
type Progress struct {
	mu        sync.Mutex
	interval  time.Duration // least time between two lines (not a terminal)
	w         io.Writer
	tty       bool
	name      string
	start     time.Time
	lastStep  time.Time // end of the previous step
	lastPrint time.Time
	total     map[string]int
	done      map[string]int
	spent     map[string]time.Duration
	order     []string // kinds in the order they were declared
	status    string   // the current step's message
	pending   bool     // status not written yet (not a terminal)
	stop      chan struct{}
	stopped   chan struct{}
	finished  bool
}

// Interval is the least time between two lines when the writer is not a
// terminal.
const Interval = 2 * time.Second

// NewProgress returns a reporter named name (the program) writing to
// os.Stderr. Declare the work with Expect before the first Step.
func NewProgress(name string) *Progress {
	return NewProgressTo(os.Stderr, isTerminal(os.Stderr), name)
}

// NewProgressTo is NewProgress writing to w, redrawing one line when tty.
func NewProgressTo(w io.Writer, tty bool, name string) *Progress {
	now := time.Now()
	p := &Progress{
		interval: Interval,
		w:        w, tty: tty, name: name, start: now, lastStep: now,
		total: map[string]int{}, done: map[string]int{}, spent: map[string]time.Duration{},
	}
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go p.tick()
	return p
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Expect adds n units of kind to the work to do.
func (p *Progress) Expect(kind string, n int) {
	if p == nil || n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.total[kind]; !ok {
		p.order = append(p.order, kind)
	}
	p.total[kind] += n
}

// Start announces what runs next (a stage, or the first step of a
// method).
func (p *Progress) Start(msg string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = msg
	p.pending = true
	p.print(false)
}

// Step records one finished unit of kind, described by msg, and reports.
// The unit is charged all the time since the previous Step (set-up and
// evaluation in between included), so that the estimate accounts for
// the whole run.
func (p *Progress) Step(kind, msg string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if _, ok := p.total[kind]; !ok { // a kind never expected
		p.order = append(p.order, kind)
		p.total[kind] = 0
	}
	p.done[kind]++
	p.spent[kind] += now.Sub(p.lastStep)
	p.lastStep = now
	p.status = msg
	p.pending = true
	p.print(false)
}

// Skip records n units of kind that will not run (a method that does not
// apply), so that they leave the estimate.
func (p *Progress) Skip(kind string, n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total[kind] -= n
}

// Done prints the final line and stops the goroutine that redraws the
// terminal line or writes held-back lines. Later calls do nothing.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.finished {
		p.mu.Unlock()
		return
	}
	p.finished = true
	p.status = "done"
	p.print(true)
	if p.tty {
		fmt.Fprintln(p.w)
	}
	p.mu.Unlock()
	close(p.stop)
	<-p.stopped
}

func (p *Progress) tick() {
	defer close(p.stopped)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if !p.finished && (p.tty || p.pending) {
				p.print(p.tty)
			}
			p.mu.Unlock()
		}
	}
}

// counts returns the units done and in total, and the estimated time left.
func (p *Progress) counts() (done, total int, left time.Duration, known bool) {
	var allDone int
	var allSpent time.Duration
	for _, k := range p.order {
		allDone += p.done[k]
		allSpent += p.spent[k]
	}
	if allDone == 0 {
		for _, k := range p.order {
			total += max(p.total[k], 0)
		}
		return 0, total, 0, false
	}
	mean := allSpent / time.Duration(allDone)
	for _, k := range p.order {
		d, t := p.done[k], max(p.total[k], p.done[k])
		done += d
		total += t
		per := mean
		if d > 0 {
			per = p.spent[k] / time.Duration(d)
		}
		left += time.Duration(t-d) * per
	}
	// The step under way has already run for a while.
	left -= min(time.Since(p.lastStep), left)
	return done, total, left, true
}

// print writes the status; force bypasses the non-terminal throttle,
// which lets the first and the last line through. The caller holds p.mu.
func (p *Progress) print(force bool) {
	now := time.Now()
	done, total, left, known := p.counts()
	if !p.tty && !force && !p.lastPrint.IsZero() && now.Sub(p.lastPrint) < p.interval && done < total {
		return
	}
	p.lastPrint = now
	p.pending = false
	var b strings.Builder
	b.WriteString(p.name)
	if total > 0 {
		pct := 100 * float64(done) / float64(total)
		if p.tty {
			const width = 20
			fill := min(width*done/total, width)
			fmt.Fprintf(&b, " [%s%s]", strings.Repeat("#", fill), strings.Repeat(".", width-fill))
		}
		fmt.Fprintf(&b, " %d/%d %3.0f%%", done, total, pct)
	}
	fmt.Fprintf(&b, " %s", clock(now.Sub(p.start)))
	if known && done < total {
		fmt.Fprintf(&b, ", ~%s left", clock(left))
	}
	if p.status != "" {
		b.WriteString(" · ")
		b.WriteString(p.status)
	}
	if p.tty {
		line := b.String()
		if r := []rune(line); len(r) > 118 {
			line = string(r[:118])
		}
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
		return
	}
	b.WriteByte('\n')
	io.WriteString(p.w, b.String())
}

// clock formats d as m:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
