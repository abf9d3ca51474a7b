package convex

import (
	"runtime"
	"sync"

	"github.com/optlayers/optlayers/solvers/cone"
)

// preparedCache holds the cone.Prepared of the canonical program, one per
// number of factorization goroutines (the parallel plan of the sparse
// factorization depends on it: SolveBatch factors on one, Solve on
// Settings.Workers), built at the first solve that needs it. Every cone
// program of a Problem has the same structure (K, dimensions, patterns of
// Q and A: the canonicalization map fixes them), so the first one's
// Prepared serves them all; cone.Prepared.Solve gives cone.Solve's result
// bit for bit.
type preparedCache struct {
	mu sync.Mutex
	m  map[int]*cone.Prepared
}

// prepared returns the Prepared for cp's structure and cs.Workers, built
// now from cp if there is none yet; nil if cone.Prepare fails (the caller
// then solves without it, and gets cone.Solve's error for cp).
func (c *preparedCache) prepared(cp *cone.Problem, cs *cone.Settings) *cone.Prepared {
	if c == nil {
		return nil
	}
	w := cs.Workers
	if w == 0 {
		w = runtime.GOMAXPROCS(0)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if pr, ok := c.m[w]; ok {
		return pr
	}
	pr, err := cone.Prepare(cp, &cone.Settings{Workers: w})
	if err != nil {
		return nil
	}
	if c.m == nil {
		c.m = map[int]*cone.Prepared{}
	}
	c.m[w] = pr
	return pr
}
