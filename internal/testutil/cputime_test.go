package testutil

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCPUTime shows that the clock advances with work and not with sleep.
func TestCPUTime(t *testing.T) {
	if !HasCPUTime() {
		assert.Zero(t, CPUTime())
		t.Skip("no process CPU clock on this platform")
	}
	// Spin until the clock has advanced by 20 ms of CPU (on a loaded
	// machine that can take much longer in wall time).
	m := StartCPU()
	x := 0.0
	for deadline := time.Now().Add(20 * time.Second); m.Elapsed() < 20*time.Millisecond && time.Now().Before(deadline); {
		for i := range 1000 {
			x += float64(i)
		}
	}
	require.Greater(t, x, 0.0)
	assert.GreaterOrEqual(t, m.Elapsed(), 20*time.Millisecond, "the CPU clock did not advance while spinning")

	m = StartCPU()
	time.Sleep(100 * time.Millisecond)
	assert.Less(t, m.Elapsed(), 50*time.Millisecond, "a 100 ms sleep is not CPU time")
}
