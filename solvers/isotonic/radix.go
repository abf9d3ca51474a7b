package isotonic

import (
	"math"
	"sync"
)

// radixMin is the length from which argsortDesc uses the radix sort: below
// it the fixed cost of the digit counts (8 × 256) outweighs the gain.
const radixMin = 256

// radixScratch holds the ping-pong buffers of radixArgsortDesc.
type radixScratch struct {
	ka, kb []uint64
	ia, ib []int32
}

var radixPool = sync.Pool{New: func() any { return new(radixScratch) }}

// descKey maps x to a uint64 whose ascending order is the decreasing order
// of x, with −0 and +0 equal (as the comparisons of the introsort see them).
func descKey(x float64) uint64 {
	b := math.Float64bits(x)
	if b == 1<<63 {
		b = 0 // −0 → +0 (rare: a predictable branch)
	}
	// Ascending key: flip the sign bit of non-negative numbers, every bit
	// of negative ones; its complement gives the decreasing order. Without
	// a branch on the sign (unpredictable on real data): the complement
	// is b itself for negative b and b with every bit but the sign flipped
	// otherwise.
	neg := uint64(int64(b) >> 63) // all ones for negative b
	return b ^ (^neg >> 1)
}

// radixArgsortDesc sets perm to the indices of v by decreasing value, ties
// by increasing index: the same permutation as the introsort. It is a
// stable least-significant-digit radix sort on descKey: first on the high
// 32 bits only (four passes of 8-bit digits, a pass skipped when every key
// has the same digit), then an insertion pass on the full keys fixes the
// order of keys whose high halves tie, which is rare for real data (two
// values within a relative 2⁻²⁰ of each other). When that pass has to move
// more than 4n entries (data with many near ties) the four low digits are
// sorted too, which makes the order exact without it. No data-dependent
// branches in the passes, against the introsort's ≈ n log₂ n unpredictable
// comparisons. Requires len(v) < 2³¹ and finite v.
func radixArgsortDesc(perm []int32, v []float64) {
	n := len(v)
	sc := radixPool.Get().(*radixScratch)
	defer radixPool.Put(sc)
	if cap(sc.ka) < n {
		sc.ka, sc.kb = make([]uint64, n), make([]uint64, n)
		sc.ia, sc.ib = make([]int32, n), make([]int32, n)
	}
	ka, kb := sc.ka[:n], sc.kb[:n]
	ia, ib := sc.ia[:n], sc.ib[:n]
	var count [8][256]uint32
	for i, x := range v {
		k := descKey(x)
		ka[i] = k
		ia[i] = int32(i)
		count[4][byte(k>>32)]++
		count[5][byte(k>>40)]++
		count[6][byte(k>>48)]++
		count[7][byte(k>>56)]++
	}
	passes := func(d0, d1 int) {
		for d := d0; d < d1; d++ {
			shift := uint(8 * d)
			c := &count[d]
			if c[byte(ka[0]>>shift)] == uint32(n) {
				continue // every key has this digit
			}
			radixPass(kb, ib, ka, ia, c, shift)
			ka, kb = kb, ka
			ia, ib = ib, ia
		}
	}
	passes(4, 8)
	if !insertionFix(ka, ia, 4*n) {
		// Many near ties: sort all 64 bits, low digits first. The
		// partially fixed order is a permutation of the keys, and LSD
		// passes only need stability with respect to the indices, so
		// start again from the original order.
		for i, x := range v {
			k := descKey(x)
			ka[i] = k
			ia[i] = int32(i)
			count[0][byte(k)]++
			count[1][byte(k>>8)]++
			count[2][byte(k>>16)]++
			count[3][byte(k>>24)]++
		}
		for d := 4; d < 8; d++ {
			clear(count[d][:])
		}
		for _, k := range ka {
			count[4][byte(k>>32)]++
			count[5][byte(k>>40)]++
			count[6][byte(k>>48)]++
			count[7][byte(k>>56)]++
		}
		passes(0, 8)
	}
	copy(perm, ia)
}

// insertionFix sorts (k, idx) by key, then index, by insertion, and
// reports false (leaving a permutation of the entries) if that takes more
// than maxMoves moves.
func insertionFix(k []uint64, idx []int32, maxMoves int) bool {
	moves := 0
	for i := 1; i < len(k); i++ {
		ki, ii := k[i], idx[i]
		j := i
		for j > 0 && (k[j-1] > ki || (k[j-1] == ki && idx[j-1] > ii)) {
			k[j], idx[j] = k[j-1], idx[j-1]
			j--
			moves++
		}
		k[j], idx[j] = ki, ii
		if moves > maxMoves {
			return false
		}
	}
	return true
}

// radixPass moves (ka, ia) into (kb, ib) stably by the digit of the keys
// at shift, whose counts are c (overwritten).
func radixPass(kb []uint64, ib []int32, ka []uint64, ia []int32, c *[256]uint32, shift uint) {
	var s uint32
	for j, t := range c {
		c[j] = s
		s += t
	}
	ia = ia[:len(ka)]
	for i, k := range ka {
		dg := byte(k >> shift)
		p := c[dg]
		c[dg] = p + 1
		kb[p] = k
		ib[p] = ia[i]
	}
}
