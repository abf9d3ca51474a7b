package plotutil

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgressTo(&buf, false, "demo")
	p.mu.Lock()
	p.interval = 0
	p.mu.Unlock()
	p.Expect("fast", 2)
	p.Expect("slow", 2)
	p.Start("fast method")
	p.Step("fast", "fast 1/2")
	p.Step("fast", "fast 2/2")
	time.Sleep(20 * time.Millisecond)
	p.Step("slow", "slow 1/2")
	p.Done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 5)
	assert.Equal(t, "demo 0/4   0% 0:00 · fast method", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "demo 1/4  25% 0:00, ~0:00 left · fast 1/2"), lines[1])
	assert.Contains(t, lines[3], "3/4  75%")
	assert.Contains(t, lines[4], "· done")
}

func TestProgressEstimate(t *testing.T) {
	p := NewProgressTo(&bytes.Buffer{}, false, "demo")
	p.Expect("a", 10)
	p.Expect("b", 10)
	p.Expect("c", 5)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	// Two units of a took 1 s each, one unit of b 3 s; c not seen: mean 5/3 s.
	p.lastStep = now
	p.done["a"], p.spent["a"] = 2, 2*time.Second
	p.done["b"], p.spent["b"] = 1, 3*time.Second
	done, total, left, known := p.counts()
	assert.True(t, known)
	assert.Equal(t, 3, done)
	assert.Equal(t, 25, total)
	want := 8*time.Second + 9*3*time.Second + 5*(5*time.Second/3)
	assert.InDelta(t, want.Seconds(), left.Seconds(), 0.05)

	p.total["c"] -= 5 // what Skip("c", 5) does
	_, total, _, _ = p.counts()
	assert.Equal(t, 20, total)
	p.mu.Unlock()
	p.Step("unexpected", "a kind never expected still counts")
	p.mu.Lock()
	done, total, _, _ = p.counts()
	assert.Equal(t, 4, done)
	assert.Equal(t, 21, total)
}

func TestProgressThrottleAndNil(t *testing.T) {
	var buf bytes.Buffer
	var buf2 syncBuffer
	p := NewProgressTo(&buf, false, "demo")
	p.mu.Lock()
	p.interval = time.Hour
	p.mu.Unlock()
	p.Expect("a", 3)
	p.Step("a", "1")
	p.Step("a", "2") // throttled
	p.Step("a", "3") // the last unit always prints
	p.Done()
	assert.Equal(t, 3, strings.Count(buf.String(), "\n"), buf.String())

	// A held-back line is written once the interval has passed.
	q := NewProgressTo(&buf2, false, "demo")
	q.mu.Lock()
	q.interval = 50 * time.Millisecond
	q.mu.Unlock()
	q.Expect("a", 3)
	q.Step("a", "1")
	q.Step("a", "2") // held back, then written by the ticker
	time.Sleep(500 * time.Millisecond)
	q.Done()
	assert.Contains(t, buf2.String(), "2/3")

	var np *Progress
	np.Expect("a", 1)
	np.Start("x")
	np.Step("a", "x")
	np.Skip("a", 1)
	np.Done()
}

func TestProgressTerminal(t *testing.T) {
	var buf syncBuffer
	p := NewProgressTo(&buf, true, "demo")
	p.Expect("a", 2)
	p.Step("a", "one")
	time.Sleep(450 * time.Millisecond) // the ticker redraws while a step runs
	p.Done()
	out := buf.String()
	assert.Contains(t, out, "\r")
	assert.Contains(t, out, "[##########..........] 1/2")
	assert.GreaterOrEqual(t, strings.Count(out, "\r"), 3)
	assert.True(t, strings.HasSuffix(out, "\n"))
}

// syncBuffer is a bytes.Buffer safe for the ticker goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
