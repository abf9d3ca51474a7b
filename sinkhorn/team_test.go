package sinkhorn

import (
	"context"
	"math"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// TestTeam checks that a team's pass calls every range once, with passes
// close together (the helper polling) and far apart (the helper blocked),
// and that it raises a panic of a range on the caller after the pass.
func TestTeam(t *testing.T) {
	lastBackoff.Store(0)
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
	// A pass on the caller alone calls fn(0, 0, n): make this one go to
	// the helpers (no backoff, a known time alone).
	tm.serial = 0
	bad := func(_, lo, _ int) {
		if lo == 30 || lo == 70 {
			panic("range " + string(rune('0'+lo/10)))
		}
	}
	ratesOf(passKey{100, 10, reflect.ValueOf(bad).Pointer()}).alone.Store(math.Float64bits(1e12))
	require.PanicsWithValue(t, "range 3", func() { tm.run(100, 10, bad) })
	// The team still works after a panic.
	var sum atomic.Int64
	tm.run(10, 1, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			sum.Add(int64(i))
		}
	})
	require.EqualValues(t, 45, sum.Load())
}

// TestCopyCost checks the parallel copy and check of the cost against
// rowMajor and firstNonFinite, for contiguous and strided matrices and
// bad entries in either half.
func TestCopyCost(t *testing.T) {
	const r, c = 101, 37
	big := mat.NewDense(r, c+3, nil)
	for i := range r {
		for j := range c + 3 {
			big.Set(i, j, float64(i*1000+j))
		}
	}
	for _, m := range []*mat.Dense{mat.DenseCopyOf(big.Slice(0, r, 0, c)), big.Slice(0, r, 0, c).(*mat.Dense)} {
		for _, bad := range [][2]int{{-1, 0}, {0, 0}, {3, 5}, {60, 36}, {100, 36}} {
			m := mat.DenseCopyOf(m)
			if bad[0] >= 0 {
				m.Set(bad[0], bad[1], math.NaN())
				if bad[0] < 90 {
					m.Set(90, 2, math.Inf(1)) // a later bad entry
				}
			}
			want := rowMajor(m)
			for _, w := range []int{1, 2, 3} {
				got, k := copyCost(m, w)
				require.Equal(t, firstNonFinite(want), k, "bad %v workers %d", bad, w)
				require.Equal(t, len(want), len(got))
				for i := range want {
					require.True(t, math.Float64bits(want[i]) == math.Float64bits(got[i]), "bad %v workers %d index %d", bad, w, i)
				}
			}
		}
	}
}

// TestTeamBackoff checks that after a pass where the caller waited for a
// slow helper the next passes run on the caller alone, with every range
// still computed once.
func TestTeamBackoff(t *testing.T) {
	lastBackoff.Store(0)
	defer lastBackoff.Store(0)
	tm := newTeam(2)
	slow := func(w, lo, hi int) {
		if w != 0 {
			time.Sleep(5 * time.Millisecond)
		} else {
			time.Sleep(100 * time.Microsecond)
		}
	}
	for try := 0; tm.serial == 0; try++ {
		if try == 50 {
			t.Skip("the helper never took a range")
		}
		tm.run(10, 1, slow)
	}
	require.Equal(t, 1, tm.backoff)
	var hits [10]atomic.Int32
	tm.run(10, 1, func(w, lo, hi int) {
		require.Zero(t, w)
		for i := lo; i < hi; i++ {
			hits[i].Add(1)
		}
	})
	for i := range hits {
		require.EqualValues(t, 1, hits[i].Load())
	}
	require.Zero(t, tm.serial)
	// The next team starts where this one ended.
	tm.close()
	require.EqualValues(t, 1, lastBackoff.Load())
	tm2 := newTeam(2)
	require.Equal(t, 1, tm2.serial)
	tm2.close()
	// It never tried its helpers: half its starting backoff is left.
	require.EqualValues(t, 0, lastBackoff.Load())
	lastBackoff.Store(8)
	tm3 := newTeam(2)
	require.Equal(t, 8, tm3.serial)
	tm3.close()
	require.EqualValues(t, 4, lastBackoff.Load())
}

// TestTeamSameBits checks that the kernel mode's potentials do not depend
// on the number of workers, nor on how many passes the team runs alone.
func TestTeamSameBits(t *testing.T) {
	defer lastBackoff.Store(0)
	c := psinkCost(300, 4, 9)
	c = mat.DenseCopyOf(c.Slice(0, 300, 0, 260))
	pb := &Problem{Cost: c, Epsilon: 0.05}
	var ref *Result
	for _, w := range []int{1, 2, 3} {
		for _, backoff := range []int64{0, 3, 64} {
			lastBackoff.Store(backoff)
			r, err := Solve(context.Background(), pb, &Settings{Mode: Kernel, Workers: w})
			require.NoError(t, err)
			if ref == nil {
				ref = r
				continue
			}
			require.Equal(t, ref.Iterations, r.Iterations, "workers %d backoff %d", w, backoff)
			for i := range ref.F {
				require.Equal(t, math.Float64bits(ref.F[i]), math.Float64bits(r.F[i]), "workers %d backoff %d F[%d]", w, backoff, i)
			}
			for j := range ref.G {
				require.Equal(t, math.Float64bits(ref.G[j]), math.Float64bits(r.G[j]), "workers %d backoff %d G[%d]", w, backoff, j)
			}
		}
	}
}

// TestTeamNoLeak checks that the helpers of kernel-mode solves stop with
// the solve, whether it converges, runs out of iterations or is cancelled
// by its context: the number of goroutines returns to where it started.
func TestTeamNoLeak(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // a team needs GOMAXPROCS ≥ Workers
	c := psinkCost(200, 3, 11)
	pb := &Problem{Cost: c, Epsilon: 0.05}
	before := runtime.NumGoroutine()
	for k := range 6 {
		_, err := Solve(context.Background(), pb, &Settings{Mode: Kernel, Workers: 3})
		require.NoError(t, err)
		_, err = Solve(context.Background(), pb, &Settings{Mode: Kernel, Workers: 2, MaxIter: 2})
		require.ErrorIs(t, err, ErrNotConverged)
		ctx, cancel := context.WithCancel(context.Background())
		if k%2 == 0 {
			cancel() // cancelled before the first pass
		} else {
			time.AfterFunc(50*time.Microsecond, cancel) // during the passes
		}
		r, err := Solve(ctx, pb, &Settings{Mode: Kernel, Workers: 2, Tol: 1e-300, MaxIter: 1 << 20})
		if err == nil { // converged to an exact zero error before the cancel
			require.Zero(t, r.Error, "iteration %d", k)
		}
		cancel()
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "helpers left running")
}
