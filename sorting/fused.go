package sorting

import (
	"context"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/dense"
)

// BCEResult is the output of [Network.SortBCE] and [Network.SortLoss].
type BCEResult struct {
	// Values are the relaxed sorted values.
	Values []float64
	// P is the relaxed permutation matrix (nil unless requested).
	P *mat.Dense
	// Loss is the mean binary cross-entropy of P against the target
	// permutation, as in [PermutationBCE].
	Loss float64
	// Grad is the gradient of Loss with respect to x.
	Grad []float64
}

// fusedBlock is the number of columns of the relaxed permutation matrix
// processed together by SortBCE: small enough for the block of rows to
// stay in cache.
func fusedBlock(n int) int { return min(n, 32) }

// SortBCE runs the relaxed network on x and returns the relaxed sorted
// values, optionally the relaxed permutation matrix, the binary
// cross-entropy of that matrix against the permutation perm (perm[pos] is
// the input that belongs at output position pos, e.g. [Argsort]) and its
// gradient with respect to x: the training step of diffsort in one call.
//
// It gives the same results as Sort, PermutationBCE and Backward (to
// rounding), but it is faster and its working memory is O(n·b) plus the
// row differences of one block (about b/n of what Backward keeps; 2.4 MB
// for a bitonic network on n = 1024, against 76 MB): the columns of P are independent
// under the network, so they are processed in blocks of b columns that
// stay in cache, each block running forward through all layers, taking
// its part of the loss, and back, accumulating ∂L/∂α per swap; a final
// O(n)-per-layer pass carries ∂L/∂α to x. StraightThrough is not
// supported here (ErrInvalid).
func (net *Network) SortBCE(x []float64, perm []int, wantP bool, settings *NetworkSettings) (*BCEResult, error) {
	if err := net.check(); err != nil {
		return nil, err
	}
	n := net.n
	if len(perm) != n {
		return nil, fmt.Errorf("%w: network on %d inputs, len(perm) = %d", ErrDims, n, len(perm))
	}
	seen := make([]bool, n)
	for _, i := range perm {
		if i < 0 || i >= n || seen[i] {
			return nil, fmt.Errorf("%w: perm is not a permutation", ErrInvalid)
		}
		seen[i] = true
	}
	scale := 1 / float64(n*n)
	r, err := net.fused(x, wantP, settings, func(row, c0 int, p, g []float64) float64 {
		return bceRow(p, g, perm[row]-c0, scale)
	})
	if err != nil {
		return nil, err
	}
	return (*BCEResult)(r), nil
}

// expFloor is e^bceLogFloor: a factor 1 − p at or below it has its
// logarithm floored.
var expFloor = math.Exp(bceLogFloor)

// bceRow returns scale · Σ_j −ℓ_j over one block row p of the relaxed
// permutation matrix, with ℓ_t = log p_t at the target column t (t may be
// outside the block) and ℓ_j = log(1 − p_j) elsewhere, each floored at
// bceLogFloor, and sets g_j = scale · ∂(−ℓ_j)/∂p_j (0 where floored).
// The off-target terms go through dense.NegLog1mSum (the series of
// log(1 − p) below 1/64, which keeps the relative accuracy of tiny
// losses, one logarithm of the product of the other factors, four entries
// at a time with AVX): O(1) logarithms per row instead of one per entry,
// each term within 1e-14 relative, the gradient exactly as before. Rows
// with a floored entry take bceRowScalar.
func bceRow(p, g []float64, t int, scale float64) float64 {
	in := t >= 0 && t < len(p)
	var pt float64
	if in {
		pt, p[t] = p[t], 0 // contributes nothing to the off-target sum
	}
	s, ok := dense.NegLog1mSum(g, p, scale, expFloor)
	if in {
		p[t] = pt
	}
	if !ok { // some 1 − p at the floor
		return bceRowScalar(p, g, t, scale)
	}
	if in {
		l, dl := math.Log(pt), 0.0
		if l > bceLogFloor {
			dl = -1 / pt
		} else {
			l = bceLogFloor
		}
		s -= l
		g[t] = dl * scale
	}
	return s * scale
}

// bceRowScalar is bceRow one entry at a time, with the floors.
func bceRowScalar(p, g []float64, t int, scale float64) float64 {
	var series, logs float64
	prod := 1.0
	floored := 0
	const one = 0x3ff0000000000000 // bits of 1.0
	for j, v := range p {
		if j == t {
			continue
		}
		f := 1 - v
		if !(f > expFloor) {
			floored++
			g[j] = 0
			continue
		}
		g[j] = 1 / f * scale
		// Branch-free choice (the test is unpredictable): entries below
		// 1/64 go to the series (u = v, factor 1), the others to the
		// product (u = 0, factor f).
		var m uint64
		if v < 1.0/64 {
			m = ^uint64(0)
		}
		u := math.Float64frombits(math.Float64bits(v) & m)
		// Σ_{k=1}^{9} uᵏ/k in Estrin's order (short dependency chains).
		u2 := u * u
		u4 := u2 * u2
		series += u * ((1 + u*(1.0/2)) + u2*(1.0/3+u*(1.0/4)) + u4*((1.0/5+u*(1.0/6))+u2*(1.0/7+u*(1.0/8))+u4*(1.0/9)))
		prod *= math.Float64frombits(math.Float64bits(f)&^m | one&m)
		if prod < 0x1p-600 {
			logs += math.Log(prod)
			prod = 1
		}
	}
	loss := series - (logs + math.Log(prod)) - bceLogFloor*float64(floored)
	if t >= 0 && t < len(p) {
		v := p[t]
		l, dl := math.Log(v), 0.0
		if l > bceLogFloor {
			dl = -1 / v
		} else {
			l = bceLogFloor
		}
		loss -= l
		g[t] = dl * scale
	}
	return loss * scale
}

// ElementLoss is a loss that is a sum of terms on the entries of the
// relaxed permutation matrix: it returns the term of entry (row, col) with
// value p and the term's derivative with respect to p.
type ElementLoss func(row, col int, p float64) (value, deriv float64)

// SortLoss is [Network.SortBCE] for any loss that sums terms over the
// entries of P (binary cross-entropy, squared error, or the cross-entropy
// of the target entries only): the same fused, column-blocked forward and
// backward pass, with one call of loss per entry. The result's Loss field
// holds Σ loss(i, j, P_ij).
func (net *Network) SortLoss(x []float64, loss ElementLoss, wantP bool, settings *NetworkSettings) (res *BCEResult, err error) {
	if err := net.check(); err != nil {
		return nil, err
	}
	if loss == nil {
		return nil, fmt.Errorf("%w: nil loss", ErrInvalid)
	}
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, fmt.Errorf("%w: the loss panicked: %v", ErrInvalid, v)
		}
	}()
	badDeriv := false
	r, err := net.fused(x, wantP, settings, func(row, c0 int, p, g []float64) float64 {
		var total float64
		for j, v := range p {
			l, d := loss(row, c0+j, v)
			if math.IsNaN(d) || math.IsInf(d, 0) {
				badDeriv, d = true, 0
			}
			total += l
			g[j] = d
		}
		return total
	})
	if err == nil && badDeriv {
		err = fmt.Errorf("%w: loss derivative", ErrNaN)
	}
	if err != nil {
		return nil, err
	}
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
		return nil, fmt.Errorf("%w: loss is %v", ErrNaN, r.Loss)
	}
	return (*BCEResult)(r), nil
}

// fusedResult is the common output of the fused passes.
type fusedResult BCEResult

// fused runs the column-blocked forward, loss and backward pass. rowLoss
// receives the output row, the first column c0 of the block, the block of
// that row of P and a slice to fill with the loss derivatives, and
// returns the loss on the block.
func (net *Network) fused(x []float64, wantP bool, settings *NetworkSettings, rowLoss func(row, c0 int, p, g []float64) float64) (*fusedResult, error) {
	s, err := settings.resolve()
	if err != nil {
		return nil, err
	}
	if s.StraightThrough {
		return nil, fmt.Errorf("%w: fused loss with StraightThrough", ErrInvalid)
	}
	n := net.n
	if len(x) != n {
		return nil, fmt.Errorf("%w: network on %d inputs, len(x) = %d", ErrDims, n, len(x))
	}
	if err := checkFinite("x", x); err != nil {
		return nil, err
	}
	m := len(net.swaps)
	net.blocksOnce.Do(func() { net.fusedDiff = net.buildBlocks() })
	bw := fusedBlock(n)
	sc := getFusedScratch(4*m + 2*n + 2*n*bw + net.fusedDiff)
	defer fusedPool.Put(sc)
	buf := sc.f
	alpha, dal, gap, galpha := buf[:m], buf[m:2*m], buf[2*m:3*m], buf[3*m:4*m]
	v, gv := buf[4*m:4*m+n], buf[4*m+n:4*m+2*n]
	mb := buf[4*m+2*n : 4*m+2*n+n*bw]
	gb := buf[4*m+2*n+n*bw : 4*m+2*n+2*n*bw]
	d := buf[4*m+2*n+2*n*bw:]
	clear(galpha)
	clear(gv)
	copy(v, x)
	net.valuePass(s, v, alpha, dal, gap)
	out := make([]float64, 2*n) // Values and Grad
	res := &fusedResult{Values: out[:n:n], Grad: out[n:]}
	if cap(sc.outRow) < n {
		sc.outRow = make([]int, n)
	}
	outRow := sc.outRow[:n] // output row of each slot
	for pos := range n {
		slot := net.out[pos]
		row := pos
		if s.Descending {
			row = n - 1 - pos
		}
		res.Values[row] = v[slot]
		outRow[slot] = row
	}
	if !allFinite(res.Values) {
		return nil, fmt.Errorf("%w: relaxed values overflowed", ErrNaN)
	}
	if wantP {
		res.P = mat.NewDense(n, n, nil)
	}

	for c0 := 0; c0 < n; c0 += bw {
		c1 := min(n, c0+bw)
		w := c1 - c0
		clear(mb)
		for c := c0; c < c1; c++ {
			mb[c*w+c-c0] = 1
		}
		// Forward through every swap that touches the block, in one call.
		recs := net.blockRecs[c0/bw]
		dense.SwapMixList(mb[:n*w], d, alpha, recs)
		// The loss on the block and its gradient.
		for slot := range n {
			row := mb[slot*w : slot*w+w]
			res.Loss += rowLoss(outRow[slot], c0, row, gb[slot*w:slot*w+w])
			if wantP {
				copy(res.P.RawRowView(outRow[slot])[c0:c1], row)
			}
		}
		// Backward through the same swaps, accumulating ∂L/∂α.
		dense.SwapUnmixList(gb[:n*w], d, alpha, galpha, recs)
	}
	// Carry ∂L/∂α back to x through the values.
	for k := m - 1; k >= 0; k-- {
		sw := net.swaps[k]
		al := alpha[k]
		gp, gq := gv[sw.p], gv[sw.q]
		t := dal[k] * ((gp-gq)*gap[k] + galpha[k])
		gv[sw.p] = gq + al*(gp-gq) - t
		gv[sw.q] = gp - al*(gp-gq) + t
	}
	if !allFinite(gv) {
		return nil, fmt.Errorf("%w: gradient overflowed", ErrNaN)
	}
	copy(res.Grad, gv)
	return res, nil
}

// fusedScratch is the working memory of one fused pass, recycled through
// fusedPool: every part of it is overwritten or cleared before it is read.
type fusedScratch struct {
	f      []float64
	outRow []int
}

var fusedPool = sync.Pool{New: func() any { return new(fusedScratch) }}

func getFusedScratch(size int) *fusedScratch {
	sc := fusedPool.Get().(*fusedScratch)
	if cap(sc.f) < size {
		sc.f = make([]float64, size)
	}
	sc.f = sc.f[:size]
	return sc
}

// buildBlocks lists, for each column block of the fused passes, the swaps
// that touch it as records of dense.SwapMixList (rows p and q of the
// block, which has w = c1 − c0 columns, restricted to the swap's columns
// [a, b) in the block), and returns the largest total width over the
// blocks: the size of the row-difference buffer.
func (net *Network) buildBlocks() int {
	bw := fusedBlock(net.n)
	best := 0
	net.blockRecs = nil
	for c0 := 0; c0 < net.n; c0 += bw {
		c1 := min(net.n, c0+bw)
		w := c1 - c0
		var list []dense.SwapRec
		total := 0
		for k, sw := range net.swaps {
			if a, b := max(int(sw.lo), c0), min(int(sw.hi), c1); a < b {
				list = append(list, dense.SwapRec{
					P: int32(int(sw.p)*w + a - c0),
					Q: int32(int(sw.q)*w + a - c0),
					N: int32(b - a),
					K: int32(k),
				})
				total += b - a
			}
		}
		net.blockRecs = append(net.blockRecs, list)
		best = max(best, total)
	}
	return best
}

// SortBCEBatch runs [Network.SortBCE] on every row of x (B×n) against
// perms on goroutines and returns the results; the mean loss over the
// batch is the mean of their Loss fields (and its gradient their Grad
// divided by B).
func (net *Network) SortBCEBatch(ctx context.Context, x mat.Matrix, perms [][]int, wantP bool, s *NetworkSettings) ([]*BCEResult, error) {
	if err := net.check(); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, fmt.Errorf("%w: nil x", ErrDims)
	}
	b, n := x.Dims()
	if n != net.n || b == 0 || len(perms) != b {
		return nil, fmt.Errorf("%w: network on %d inputs, x is %d×%d, %d targets", ErrDims, net.n, b, n, len(perms))
	}
	var workers int
	if s != nil {
		workers = s.Workers
	}
	if err := checkWorkers(workers); err != nil {
		return nil, err
	}
	out := make([]*BCEResult, b)
	err := parallel(ctx, b, workers, func(i int) error {
		rb := getVec(n)
		defer vecPool.Put(rb)
		row := *rb
		mat.Row(row, i, x)
		var err error
		out[i], err = net.SortBCE(row, perms[i], wantP, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
