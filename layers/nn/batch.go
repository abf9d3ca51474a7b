package nn

import (
	"context"
	"math/rand/v2"

	"github.com/optlayers/optlayers/internal/parallel"
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

// ParallelFor calls f(i) for i in [0, n) over at most workers goroutines,
// the caller among them (workers ≤ 0 means GOMAXPROCS); each goroutine
// takes the next index from a shared counter ([parallel.For]). f must only
// write state owned by index i, so that the result does not depend on
// workers. ParallelFor returns when all calls are done; a panic in f is
// raised again in the caller.
func ParallelFor(n, workers int, f func(i int)) {
	parallel.For(n, workers, f)
}

// ParallelForErr is [ParallelFor] for work that can fail; it returns the
// error of the smallest failing index (so the error, too, does not depend
// on workers). Every index runs, even after a failure. A panic in f(i) is
// not raised again: it is recovered and returned as the error of index i
// (its message names the index and the recovered value; when that value
// is an error, errors.Is and errors.As see it).
func ParallelForErr(n, workers int, f func(i int) error) error {
	return parallel.ForErr(context.Background(), n, workers, f)
}
