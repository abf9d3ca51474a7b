package sinkhorn

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTeam checks that a team's pass calls every range once, with passes
// close together (the helper polling) and far apart (the helper blocked),
// and that it raises a panic of a range on the caller after the pass.
func TestTeam(t *testing.T) {
	tm := newTeam(3)
	defer tm.close()
	for pass, gap := range []time.Duration{0, 0, 3 * teamSpin, 0, 2 * teamSpin, 0} {
		time.Sleep(gap)
		n := 97 + pass
		hits := make([]atomic.Int32, n)
		tm.run(n, 5, func(w, lo, hi int) {
			require.True(t, w >= 0 && w < 3)
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
		})
		for i := range hits {
			require.EqualValues(t, 1, hits[i].Load(), "pass %d index %d", pass, i)
		}
	}
	require.PanicsWithValue(t, "range 3", func() {
		tm.run(100, 10, func(_, lo, _ int) {
			if lo == 30 || lo == 70 {
				panic("range " + string(rune('0'+lo/10)))
			}
		})
	})
	// The team still works after a panic.
	var sum atomic.Int64
	tm.run(10, 1, func(_, lo, _ int) { sum.Add(int64(lo)) })
	require.EqualValues(t, 45, sum.Load())
}
