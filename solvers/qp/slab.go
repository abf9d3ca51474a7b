package qp

// slab hands out consecutive, zeroed pieces of one allocation: the
// per-instance vectors of a solve are many and small (n, m ≈ 10–50), and
// one allocation for all of them costs a fraction of one allocation each.
// Each piece is capped at its length, so an append to it reallocates
// instead of running into the next piece.
type slab []float64

// newSlab returns a slab of n zeros.
func newSlab(n int) slab { return make(slab, n) }

// take returns the next n entries (nil for n = 0, as a copy of an empty
// slice by append would be).
func (s *slab) take(n int) []float64 {
	if n == 0 {
		return nil
	}
	v := (*s)[:n:n]
	*s = (*s)[n:]
	return v
}
