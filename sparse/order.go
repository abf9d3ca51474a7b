package sparse

import (
	"fmt"
	"math"
)

// OrderSettings configures AMD. The zero value (or nil) gives the defaults.
type OrderSettings struct {
	// Dense sets the dense-row threshold: a row with more than
	// max(16, Dense·√n) off-diagonal entries is removed from the graph and
	// ordered last. 0 means 10; a negative value disables the test.
	Dense float64
	// NoAggressive turns aggressive absorption off.
	NoAggressive bool
}

// node kinds of the quotient graph.
const (
	kVar     uint8 = iota // a principal, uneliminated variable
	kElem                 // a live element (an eliminated pivot)
	kDead                 // an element absorbed into another one
	kMerged               // a variable merged into a supervariable, or mass-eliminated
	kDenseRw              // a dense row, ordered last
)

// AMD returns an approximate minimum degree ordering of the symmetric
// pattern of s (its stored upper triangle; values are ignored): perm[k] is
// the row of s placed at position k, and inv[perm[k]] = k, so the permuted
// matrix C = P S Pᵀ has C_ij = S_{perm[i], perm[j]}. See the package
// documentation for the algorithm.
func AMD(s *SymCSC, o *OrderSettings) (perm, inv []int, err error) {
	if s == nil {
		return nil, nil, fmt.Errorf("%w: nil matrix", ErrInvalid)
	}
	var set OrderSettings
	if o != nil {
		set = *o
	}
	if math.IsNaN(set.Dense) || math.IsInf(set.Dense, 0) {
		return nil, nil, fmt.Errorf("%w: OrderSettings.Dense = %v", ErrInvalid, set.Dense)
	}
	n := s.SymmetricDim()
	perm = amd(n, s.up.ptr(), s.up.rowIdx, set)
	inv = make([]int, n)
	for k, i := range perm {
		inv[i] = k
	}
	return perm, inv, nil
}

// amd is the quotient-graph elimination of Amestoy, Davis and Duff (1996).
// Every node i is a variable (with its element list elems[i] = E_i and its
// variable list vars[i] = A_i) or an element (with its variable list
// vars[i] = L_e and its weighted size deg[i] = |L_e|).
func amd(n int, cp, ri []int, set OrderSettings) []int {
	perm := make([]int, 0, n)
	if n == 0 {
		return perm
	}
	cnt := make([]int, n)
	for j := 0; j < n; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			if i := ri[p]; i != j {
				cnt[i]++
				cnt[j]++
			}
		}
	}
	kind := make([]uint8, n)
	alpha := set.Dense
	if alpha == 0 {
		alpha = 10
	}
	ndense := 0
	if alpha > 0 {
		thr := max(16, alpha*math.Sqrt(float64(n)))
		for i, c := range cnt {
			if float64(c) > thr {
				kind[i] = kDenseRw
				ndense++
			}
		}
	}
	// Adjacency lists carved from one array; the three-index slices make
	// any later growth reallocate instead of overwriting a neighbour.
	store := make([]int, 0, 2*len(ri))
	vars := make([][]int, n)
	elems := make([][]int, n)
	off := 0
	for i := 0; i < n; i++ {
		if kind[i] == kDenseRw {
			continue
		}
		vars[i] = store[off : off : off+cnt[i]]
		off += cnt[i]
	}
	store = store[:off]
	for j := 0; j < n; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			i := ri[p]
			if i == j || kind[i] == kDenseRw || kind[j] == kDenseRw {
				continue
			}
			vars[i] = append(vars[i], j)
			vars[j] = append(vars[j], i)
		}
	}

	nv := make([]int, n)   // supervariable weight
	deg := make([]int, n)  // approximate external degree, or |L_e| for an element
	ext := make([]int, n)  // scratch: the degree terms outside L_p
	hash := make([]int, n) // scratch: supervariable hash
	// Degree buckets: doubly linked lists.
	head := make([]int, n+1)
	next := make([]int, n)
	prev := make([]int, n)
	for d := range head {
		head[d] = -1
	}
	insert := func(i, d int) {
		deg[i] = d
		prev[i] = -1
		next[i] = head[d]
		if head[d] >= 0 {
			prev[head[d]] = i
		}
		head[d] = i
	}
	remove := func(i int) {
		if prev[i] >= 0 {
			next[prev[i]] = next[i]
		} else {
			head[deg[i]] = next[i]
		}
		if next[i] >= 0 {
			prev[next[i]] = prev[i]
		}
	}
	// Supervariable member chains, in order.
	snext := make([]int, n)
	stail := make([]int, n)
	for i := 0; i < n; i++ {
		snext[i], stail[i] = -1, i
	}
	emit := func(i int) {
		for x := i; x >= 0; x = snext[x] {
			perm = append(perm, x)
		}
	}
	mindeg := n
	for i := 0; i < n; i++ {
		if kind[i] == kVar {
			nv[i] = 1
			d := len(vars[i])
			insert(i, d)
			mindeg = min(mindeg, d)
		}
	}
	mark := make([]int, n) // membership in L_p: mark[i] == stamp
	smark := make([]int, n)
	w := make([]int, n) // |L_e \ L_p| + wflg
	hhead := make([]int, n)
	hnext := make([]int, n)
	for i := range hhead {
		hhead[i] = -1
	}
	stamp, sstamp, wflg := 0, 0, 1
	nlive := n - ndense
	nel := 0
	var lp []int
	for nel < nlive {
		for head[mindeg] < 0 {
			mindeg++
		}
		p := head[mindeg]
		remove(p)
		emit(p)
		nel += nv[p]

		// Form L_p = (A_p ∪ ⋃_{e ∈ E_p} L_e) \ {p}, absorbing E_p.
		stamp++
		mark[p] = stamp
		lp = lp[:0]
		degp := 0
		add := func(x int) {
			if kind[x] == kVar && nv[x] > 0 && mark[x] != stamp {
				mark[x] = stamp
				lp = append(lp, x)
				degp += nv[x]
			}
		}
		for _, e := range elems[p] {
			if kind[e] != kElem {
				continue
			}
			for _, x := range vars[e] {
				add(x)
			}
			kind[e] = kDead
			vars[e] = nil
		}
		for _, x := range vars[p] {
			add(x)
		}
		elems[p], vars[p] = nil, nil
		kind[p] = kElem
		for _, i := range lp {
			remove(i)
		}

		// w(e) − wflg = |L_e \ L_p| for every element e next to L_p.
		for _, i := range lp {
			for _, e := range elems[i] {
				if kind[e] != kElem {
					continue
				}
				if w[e] < wflg {
					w[e] = deg[e] + wflg
				}
				w[e] -= nv[i]
			}
		}

		// Prune the lists of each i ∈ L_p and bound its external degree.
		for k, i := range lp {
			sum, h := 0, 0
			ne := elems[i][:0]
			for _, e := range elems[i] {
				if kind[e] != kElem {
					continue
				}
				we := w[e] - wflg
				if we == 0 && !set.NoAggressive {
					kind[e] = kDead // L_e ⊆ L_p: aggressive absorption
					vars[e] = nil
					continue
				}
				sum += we
				h += e
				ne = append(ne, e)
			}
			na := vars[i][:0]
			for _, x := range vars[i] {
				if kind[x] != kVar || nv[x] == 0 || mark[x] == stamp {
					continue
				}
				sum += nv[x]
				h += x
				na = append(na, x)
			}
			if len(ne) == 0 && len(na) == 0 {
				// Only adjacent to p: eliminate i together with p.
				emit(i)
				nel += nv[i]
				degp -= nv[i]
				nv[i] = 0
				kind[i] = kMerged
				elems[i], vars[i] = nil, nil
				lp[k] = -1
				continue
			}
			elems[i] = append(ne, p)
			vars[i] = na
			ext[i] = sum
			hash[i] = h
		}

		// Supervariables: equal E_i and A_i among the members of L_p.
		for _, i := range lp {
			if i < 0 {
				continue
			}
			b := hash[i] % n
			hnext[i] = hhead[b]
			hhead[b] = i
		}
		for _, i := range lp {
			if i < 0 {
				continue
			}
			b := hash[i] % n
			if hhead[b] < 0 {
				continue
			}
			for a := hhead[b]; a >= 0; a = hnext[a] {
				if nv[a] == 0 {
					continue
				}
				sstamp++
				for _, x := range elems[a] {
					smark[x] = sstamp
				}
				for _, x := range vars[a] {
					smark[x] = sstamp
				}
				for c := hnext[a]; c >= 0; c = hnext[c] {
					if nv[c] == 0 || hash[c] != hash[a] || len(elems[c]) != len(elems[a]) || len(vars[c]) != len(vars[a]) {
						continue
					}
					same := true
					for _, x := range elems[c] {
						if smark[x] != sstamp {
							same = false
							break
						}
					}
					if same {
						for _, x := range vars[c] {
							if smark[x] != sstamp {
								same = false
								break
							}
						}
					}
					if !same {
						continue
					}
					nv[a] += nv[c]
					nv[c] = 0
					kind[c] = kMerged
					elems[c], vars[c] = nil, nil
					snext[stail[a]] = c
					stail[a] = stail[c]
				}
			}
			hhead[b] = -1
		}

		// Final degrees and the element's list.
		out := lp[:0]
		for _, i := range lp {
			if i < 0 || nv[i] == 0 {
				continue
			}
			d := min(deg[i], ext[i]) + degp - nv[i]
			d = max(0, min(d, nlive-nel-nv[i]))
			insert(i, d)
			mindeg = min(mindeg, d)
			out = append(out, i)
		}
		vars[p] = append([]int(nil), out...)
		deg[p] = degp
		wflg += n + 1
	}
	for i := 0; i < n; i++ {
		if kind[i] == kDenseRw {
			perm = append(perm, i)
		}
	}
	return perm
}
