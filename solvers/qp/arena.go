package qp

import (
	"math"
	"math/bits"
	"sync"
)

// An arena holds the float64 arrays of one Solution (or one Gradient):
// the copies of the problem's data, the factorizations and the solver's
// vectors. They come from a process-wide pool of arrays by size class,
// and Solution.Release (Gradient.Release) puts them back, so that a
// training loop that releases the previous step's results solves the next
// batch in memory already mapped and cached instead of asking the garbage
// collector for fresh pages (at n = 200 that is 1.4 MB per instance).
// Without Release the arrays are ordinary garbage; a size class rounds a
// length up by less than 1/8.
//
// The zero arena is ready to use; a nil *arena allocates with make.
type arena struct {
	bufs  []*[]float64
	first [6]*[]float64 // storage of bufs for the first few arrays
}

// Arrays shorter than arenaMin are allocated with make: the pool's
// bookkeeping would cost about as much as the allocation.
const arenaMin = 32

// sizeClass returns the class of an array of n ≥ arenaMin floats and its
// capacity: eight classes per power of two, c = 2^(e−1) + s·2^(e−4) for
// 2^(e−1) < n ≤ 2^e and s = 1…8.
func sizeClass(n int) (class, capacity int) {
	e := bits.Len(uint(n - 1)) // 2^(e−1) < n ≤ 2^e, e ≥ 5
	step := 1 << (e - 4)
	base := 1 << (e - 1)
	s := (n - base + step - 1) / step
	return e*8 + s - 1, base + s*step
}

// floatPools[c] holds arrays of class c (as *[]float64 with len = cap).
var floatPools [64 * 8]sync.Pool

// get returns an array of length n from the pool or a new one; its
// contents are arbitrary.
func (a *arena) get(n int) []float64 {
	if a == nil || n < arenaMin {
		return make([]float64, n)
	}
	c, capacity := sizeClass(n)
	p, _ := floatPools[c].Get().(*[]float64)
	if p == nil {
		b := make([]float64, capacity)
		p = &b
	}
	if a.bufs == nil {
		a.bufs = a.first[:0]
	}
	a.bufs = append(a.bufs, p)
	v := (*p)[:n]
	if arenaPoison {
		for i := range v {
			v[i] = math.NaN()
		}
	}
	return v
}

// arenaPoison, set by the tests, fills every array of get with NaN, so
// that code reading an array it did not write (one assumed to be zero,
// as a fresh one would be) fails instead of passing by luck.
var arenaPoison bool

// zeros returns an array of n zeros.
func (a *arena) zeros(n int) []float64 {
	if a == nil || n < arenaMin {
		return make([]float64, n)
	}
	v := a.get(n)
	clear(v)
	return v
}

// copyOf returns a copy of x (nil for an empty x, as append would).
func (a *arena) copyOf(x []float64) []float64 {
	if len(x) == 0 {
		return nil
	}
	if a == nil || len(x) < arenaMin {
		return append([]float64(nil), x...)
	}
	v := a.get(len(x))
	copy(v, x)
	return v
}

// slab returns a slab of n zeros from the arena.
func (a *arena) slab(n int) slab { return slab(a.zeros(n)) }

// free returns the arena's arrays to the pool; the arena is then empty
// and may be used again.
func (a *arena) free() {
	if a == nil {
		return
	}
	for i, p := range a.bufs {
		c, _ := sizeClass(cap(*p))
		floatPools[c].Put(p)
		a.bufs[i] = nil
	}
	a.bufs = a.bufs[:0]
}
