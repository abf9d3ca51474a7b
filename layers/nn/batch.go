package nn

import (
	"math/rand/v2"
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
