package nn

import (
	"math/rand/v2"
	"runtime"
	"sync"
)

// Batches returns a seeded random permutation of 0..n−1 cut into
// consecutive mini-batches of size (the last one may be shorter). A nil rng
// keeps the natural order. size ≤ 0 means one batch.
func Batches(n, size int, rng *rand.Rand) [][]int {
	if n <= 0 {
		return nil
	}
	if size <= 0 || size > n {
		size = n
	}
	var perm []int
	if rng == nil {
		perm = make([]int, n)
		for i := range perm {
			perm[i] = i
		}
	} else {
		perm = rng.Perm(n)
	}
	out := make([][]int, 0, (n+size-1)/size)
	for lo := 0; lo < n; lo += size {
		out = append(out, perm[lo:min(lo+size, n)])
	}
	return out
}

// ParallelFor calls f(i) for i in [0, n) over at most workers goroutines
// (workers ≤ 0 means GOMAXPROCS). Indices are handed out in contiguous
// chunks; f must only write state owned by index i, so that the result does
// not depend on workers. ParallelFor returns when all calls are done.
func ParallelFor(n, workers int, f func(i int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(i)
			}
		}(lo, hi)
	}
	wg.Wait()
}

// ParallelForErr is [ParallelFor] for work that can fail; it returns the
// error of the smallest failing index (so the error, too, does not depend
// on workers).
func ParallelForErr(n, workers int, f func(i int) error) error {
	errs := make([]error, n)
	ParallelFor(n, workers, func(i int) { errs[i] = f(i) })
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
