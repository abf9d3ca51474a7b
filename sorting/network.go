package sorting

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/dense"
)

// NetworkKind selects a sorting network.
type NetworkKind int

const (
	// OddEven is odd-even transposition sort: n layers of neighbour
	// swaps, for any n.
	OddEven NetworkKind = iota
	// Bitonic is Batcher's bitonic sorter on N = 2^⌈log₂ n⌉ wires,
	// log₂N(log₂N+1)/2 layers; the N−n padding wires are resolved when
	// the network is built.
	Bitonic
)

func (k NetworkKind) String() string {
	switch k {
	case OddEven:
		return "odd-even"
	case Bitonic:
		return "bitonic"
	}
	return fmt.Sprintf("NetworkKind(%d)", int(k))
}

// Sigmoid selects the relaxation of a conditional swap (see the package
// documentation for the formulas).
type Sigmoid int

const (
	// Cauchy is 1/2 + arctan(v)/π, monotonic (the default, as in diffsort).
	Cauchy Sigmoid = iota
	// Logistic is 1/(1+e^{−v}).
	Logistic
	// LogisticART is the logistic sigmoid with the activation replacement
	// trick: v is divided by (|b−a| + 10⁻¹⁰)^λ.
	LogisticART
	// Reciprocal is 1/2 + v/(2(2+|v|)), monotonic.
	Reciprocal
	// Optimal is the optimal monotonic sigmoid of Petersen et al. (2022).
	Optimal
	// Gaussian is the standard normal CDF Φ(v).
	Gaussian
)

var sigmoidNames = [...]string{"cauchy", "logistic", "logistic-art", "reciprocal", "optimal", "gaussian"}

func (s Sigmoid) String() string {
	if s >= 0 && int(s) < len(sigmoidNames) {
		return sigmoidNames[s]
	}
	return fmt.Sprintf("Sigmoid(%d)", int(s))
}

// Monotonic reports whether the family makes every relaxed sorted output
// non-decreasing in every input (Petersen et al. 2022).
func (s Sigmoid) Monotonic() bool { return s == Cauchy || s == Reciprocal || s == Optimal }

// NetworkSettings controls a differentiable sorting network. A nil
// *NetworkSettings or the zero value means the Cauchy sigmoid, steepness
// 10, λ = 0.25, ascending order, relaxed forward pass and one goroutine
// per core for batches: the defaults of diffsort.
type NetworkSettings struct {
	// Sigmoid is the relaxation family. Default Cauchy.
	Sigmoid Sigmoid
	// Steepness β > 0 (0 means the default 10). Larger is closer to the
	// exact sort.
	Steepness float64
	// ARTLambda is λ ∈ (0, 1] of LogisticART (0 means 0.25).
	ARTLambda float64
	// Descending puts the largest value first.
	Descending bool
	// StraightThrough returns the exact sorted values and the exact
	// permutation matrix in the forward pass, while the backward pass is
	// that of the relaxed network.
	StraightThrough bool
	// Workers caps the goroutines of batched calls (0 means GOMAXPROCS;
	// negative is ErrInvalid). Results do not depend on it.
	Workers int
}

func (s *NetworkSettings) resolve() (NetworkSettings, error) {
	var r NetworkSettings
	if s != nil {
		r = *s
	}
	if r.Steepness == 0 {
		r.Steepness = 10
	}
	if err := checkPositive("steepness", r.Steepness); err != nil {
		return r, err
	}
	if r.ARTLambda == 0 {
		r.ARTLambda = 0.25
	}
	if !(r.ARTLambda > 0 && r.ARTLambda <= 1) {
		return r, fmt.Errorf("%w: ART λ = %v, want (0, 1]", ErrInvalid, r.ARTLambda)
	}
	if r.Sigmoid < 0 || int(r.Sigmoid) >= len(sigmoidNames) {
		return r, fmt.Errorf("%w: sigmoid %v", ErrInvalid, r.Sigmoid)
	}
	if err := checkWorkers(r.Workers); err != nil {
		return r, err
	}
	return r, nil
}

// relax returns α = f(β d) and dα/dd for d = b − a.
func relax(s Sigmoid, beta, lambda, d float64) (alpha, dalpha float64) {
	switch s {
	case Logistic:
		v := beta * d
		alpha = logistic(v)
		return alpha, beta * alpha * (1 - alpha)
	case LogisticART:
		ad := math.Abs(d) + 1e-10
		den := math.Pow(ad, lambda)
		v := beta * d / den
		alpha = logistic(v)
		dv := beta / den * (1 - lambda*math.Abs(d)/ad)
		return alpha, alpha * (1 - alpha) * dv
	case Reciprocal:
		v := beta * d
		if math.IsInf(v, 0) {
			return 0.5 + 0.5*math.Copysign(1, v), 0
		}
		den := 2 + math.Abs(v)
		return 0.5 * (v/den + 1), beta / (den * den)
	case Optimal:
		// The tails carry diffsort's 10⁻¹⁰ guard, for identical outputs.
		v := beta * d
		switch {
		case v > 0.25:
			u := v + 1e-10
			return 1 - 1/(16*u), beta / (16 * u * u)
		case v < -0.25:
			u := -v + 1e-10
			return 1 / (16 * u), beta / (16 * u * u)
		}
		return v + 0.5, beta
	case Gaussian:
		v := beta * d
		return 0.5 * math.Erfc(-v/math.Sqrt2), beta * math.Exp(-0.5*v*v) / math.Sqrt(2*math.Pi)
	default: // Cauchy
		v := beta * d
		return 0.5 + math.Atan(v)/math.Pi, beta / (math.Pi * (1 + v*v))
	}
}

func logistic(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

// swapOp is a compiled conditional swap: slot p receives the (relaxed)
// minimum, slot q the maximum. Rows p and q of the relaxed permutation
// can only be non-zero on input columns [lo, hi) after the swap; off is
// the offset of the swap's stored row difference.
type swapOp struct {
	p, q, lo, hi int32
	off          int
}

// Network is a compiled sorting network on n inputs. It is immutable and
// safe for concurrent use.
type Network struct {
	kind       NetworkKind
	n          int
	swaps      []swapOp
	layerStart []int // swaps of layer k are swaps[layerStart[k]:layerStart[k+1]]
	out        []int // out[pos] is the slot holding ascending position pos
	diffSize   int
	// The column blocks of the fused passes, built on first use:
	// blockRecs[b] lists the swaps touching block b, fusedDiff is the
	// size of the row-difference buffer.
	blocksOnce sync.Once
	blockRecs  [][]dense.SwapRec
	fusedDiff  int
}

// NewNetwork builds the sorting network of the given kind on n ≥ 1 inputs.
func NewNetwork(kind NetworkKind, n int) (*Network, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: n = %d", ErrDims, n)
	}
	if n > 1<<24 {
		return nil, fmt.Errorf("%w: n = %d is too large", ErrDims, n)
	}
	var layers [][][2]int // comparators (min position, max position)
	wires := n
	switch kind {
	case OddEven:
		for k := range n {
			var layer [][2]int
			for i := k % 2; i+1 < n; i += 2 {
				layer = append(layer, [2]int{i, i + 1})
			}
			layers = append(layers, layer)
		}
	case Bitonic:
		wires = 1
		for wires < n {
			wires *= 2
		}
		for k := 2; k <= wires; k *= 2 {
			for j := k / 2; j >= 1; j /= 2 {
				var layer [][2]int
				for i := range wires {
					l := i ^ j
					if l <= i {
						continue
					}
					if i&k == 0 {
						layer = append(layer, [2]int{i, l})
					} else {
						layer = append(layer, [2]int{l, i})
					}
				}
				layers = append(layers, layer)
			}
		}
	default:
		return nil, fmt.Errorf("%w: network %v", ErrInvalid, kind)
	}
	net := &Network{kind: kind, n: n}
	// slotAt[pos] is the slot (input index) on wire pos, −1 for padding
	// (+∞). Swaps with padding are exact and become relabelings.
	slotAt := make([]int, wires)
	lo, hi := make([]int32, n), make([]int32, n)
	for i := range wires {
		slotAt[i] = -1
		if i < n {
			slotAt[i] = i
			lo[i], hi[i] = int32(i), int32(i+1)
		}
	}
	for _, layer := range layers {
		start := len(net.swaps)
		for _, c := range layer {
			a, b := slotAt[c[0]], slotAt[c[1]]
			switch {
			case a >= 0 && b >= 0:
				l, h := min(lo[a], lo[b]), max(hi[a], hi[b])
				lo[a], lo[b], hi[a], hi[b] = l, l, h, h
				net.swaps = append(net.swaps, swapOp{p: int32(a), q: int32(b), lo: l, hi: h, off: net.diffSize})
				net.diffSize += int(h - l)
			case a < 0 && b >= 0: // +∞ on the min wire: exchange
				slotAt[c[0]], slotAt[c[1]] = b, a
			}
		}
		if len(net.swaps) > start {
			net.layerStart = append(net.layerStart, start)
		}
	}
	net.layerStart = append(net.layerStart, len(net.swaps))
	net.out = make([]int, n)
	for pos := range n {
		if slotAt[pos] < 0 {
			return nil, fmt.Errorf("sorting: internal error: padding at output %d", pos)
		}
		net.out[pos] = slotAt[pos]
	}
	return net, nil
}

// check reports a nil or zero Network (not built by NewNetwork).
func (net *Network) check() error {
	if net == nil || net.n == 0 {
		return fmt.Errorf("%w: nil or zero *Network (use NewNetwork)", ErrInvalid)
	}
	return nil
}

// N returns the number of inputs (0 for a nil Network).
func (net *Network) N() int {
	if net == nil {
		return 0
	}
	return net.n
}

// Kind returns the network kind.
func (net *Network) Kind() NetworkKind {
	if net == nil {
		return 0
	}
	return net.kind
}

// Layers returns the number of layers (after padding is resolved; 0 for a
// nil Network).
func (net *Network) Layers() int {
	if net == nil || len(net.layerStart) == 0 {
		return 0
	}
	return len(net.layerStart) - 1
}

// Swaps returns the number of relaxed conditional swaps.
func (net *Network) Swaps() int {
	if net == nil {
		return 0
	}
	return len(net.swaps)
}

// Comparators returns the swaps of layer k as pairs (i, j) of input
// slots: slot i receives the minimum and slot j the maximum. Together
// with OutputSlots it describes the network completely. It returns nil
// for k outside [0, Layers()).
func (net *Network) Comparators(k int) [][2]int {
	if k < 0 || k >= net.Layers() {
		return nil
	}
	var c [][2]int
	for _, s := range net.swaps[net.layerStart[k]:net.layerStart[k+1]] {
		c = append(c, [2]int{int(s.p), int(s.q)})
	}
	return c
}

// OutputSlots returns, for each ascending output position, the slot that
// holds it after the last layer.
func (net *Network) OutputSlots() []int {
	if net == nil {
		return nil
	}
	return slices.Clone(net.out)
}

// NetworkResult is the output of a differentiable sorting network on one
// vector, with what its backward pass needs. Backward and JVP only read
// it and may be called concurrently.
type NetworkResult struct {
	// Values are the relaxed sorted values (exact ones with
	// StraightThrough).
	Values []float64
	// P is the n×n relaxed permutation matrix, row = output position,
	// column = input: Values = P x. (diffsort returns Pᵀ.) P is doubly
	// stochastic. It is nil when not requested.
	P *mat.Dense

	net        *Network
	s          NetworkSettings
	alpha, dal []float64 // per swap: α and dα/d(b−a)
	gap        []float64 // per swap: a − b (values before the swap)
	diff       []float64 // per swap: row p − row q before the swap, on [lo, hi)
	x          []float64 // the input, for Condition
}

// Sort runs the relaxed network on x. With wantP it also returns the
// relaxed permutation matrix, at O(n²) cost per layer (restricted to the
// columns each row can be non-zero on) and keeps per-swap row
// differences for the backward pass (8·Σ(hi−lo) bytes; about 76 MB for a
// bitonic network on n = 1024). x is not modified.
func (net *Network) Sort(x []float64, wantP bool, settings *NetworkSettings) (*NetworkResult, error) {
	if err := net.check(); err != nil {
		return nil, err
	}
	s, err := settings.resolve()
	if err != nil {
		return nil, err
	}
	n := net.n
	if len(x) != n {
		return nil, fmt.Errorf("%w: network on %d inputs, len(x) = %d", ErrDims, n, len(x))
	}
	if err := checkFinite("x", x); err != nil {
		return nil, err
	}
	m := len(net.swaps)
	r := &NetworkResult{net: net, s: s}
	buf := make([]float64, 3*m+2*n)
	r.alpha, r.dal, r.gap = buf[:m], buf[m:2*m], buf[2*m:3*m]
	v := buf[3*m : 3*m+n]
	r.x = buf[3*m+n:]
	copy(v, x)
	copy(r.x, x)
	var mt []float64
	if wantP {
		mt = make([]float64, n*n)
		for i := range n {
			mt[i*n+i] = 1
		}
		r.diff = make([]float64, net.diffSize)
	}
	net.valuePass(s, v, r.alpha, r.dal, r.gap)
	if wantP {
		for k, sw := range net.swaps {
			mixRows(mt, r.diff[sw.off:sw.off+int(sw.hi-sw.lo)], n, sw, r.alpha[k])
		}
	}
	r.Values = make([]float64, n)
	order := make([]int, n) // order[pos] = slot shown at output row pos
	for pos := range n {
		slot := net.out[pos]
		if s.Descending {
			pos = n - 1 - pos
		}
		r.Values[pos] = v[slot]
		order[pos] = slot
	}
	if wantP {
		permuteRows(mt, n, order)
		r.P = mat.NewDense(n, n, mt)
	}
	if s.StraightThrough {
		exactSort(r, x)
	}
	if !allFinite(r.Values) {
		return nil, fmt.Errorf("%w: relaxed values overflowed", ErrNaN)
	}
	return r, nil
}

// valuePass runs the relaxed network on the values v (overwritten) and
// sets, per swap k, α_k, dα_k/d(b − a) and the gap a − b of its inputs.
// With the Cauchy sigmoid (the default) the sigmoids of a layer, whose
// swaps are independent, are evaluated together by dense.CauchySigmoid
// (four at a time with AVX); the other families go swap by swap.
func (net *Network) valuePass(s NetworkSettings, v, alpha, dal, gap []float64) {
	beta, lambda := s.Steepness, s.ARTLambda
	if s.Sigmoid != Cauchy {
		for k, sw := range net.swaps {
			a, b := v[sw.p], v[sw.q]
			al, da := relax(s.Sigmoid, beta, lambda, b-a)
			alpha[k], dal[k], gap[k] = al, da, a-b
			v[sw.p] = b + al*(a-b)
			v[sw.q] = a - al*(a-b)
		}
		return
	}
	for l := 0; l+1 < len(net.layerStart); l++ {
		lo, hi := net.layerStart[l], net.layerStart[l+1]
		for k := lo; k < hi; k++ {
			sw := net.swaps[k]
			dal[k] = v[sw.q] - v[sw.p] // the gaps b − a, replaced by dα
		}
		dense.CauchySigmoid(alpha[lo:hi], dal[lo:hi], dal[lo:hi], beta)
		for k := lo; k < hi; k++ {
			sw := net.swaps[k]
			a, b := v[sw.p], v[sw.q]
			al := alpha[k]
			gap[k] = a - b
			v[sw.p] = b + al*(a-b)
			v[sw.q] = a - al*(a-b)
		}
	}
}

// permuteRows reorders the rows of the row-major n×n matrix m in place
// so that new row i is old row order[i], following cycles with one row of
// scratch.
func permuteRows(m []float64, n int, order []int) {
	done := make([]bool, n)
	tmp := make([]float64, n)
	for start := range n {
		if done[start] || order[start] == start {
			done[start] = true
			continue
		}
		copy(tmp, m[start*n:start*n+n])
		i := start
		for {
			done[i] = true
			src := order[i]
			if src == start {
				copy(m[i*n:i*n+n], tmp)
				break
			}
			copy(m[i*n:i*n+n], m[src*n:src*n+n])
			i = src
		}
	}
}

// mixRows applies a relaxed swap to rows p and q of the row-major n×n
// matrix m on columns [lo, hi), storing their difference before the swap
// in d.
func mixRows(m, d []float64, n int, sw swapOp, al float64) {
	lo, hi := int(sw.lo), int(sw.hi)
	dense.SwapMix(m[int(sw.p)*n+lo:int(sw.p)*n+hi], m[int(sw.q)*n+lo:int(sw.q)*n+hi], d, al)
}

// exactSort overwrites the outputs by the exact sort (stable) and its
// permutation matrix.
func exactSort(r *NetworkResult, x []float64) {
	n := len(x)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if r.s.Descending {
			a, b = b, a
		}
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	for pos, i := range idx {
		r.Values[pos] = x[i]
	}
	if r.P != nil {
		r.P.Zero()
		for pos, i := range idx {
			r.P.Set(pos, i, 1)
		}
	}
}

// Backward returns the gradient with respect to x of
// ⟨gValues, Values⟩ + ⟨gP, P⟩ through the relaxed network (also with
// StraightThrough). Either cotangent may be nil; gP needs a result
// computed with wantP. Cost O(n) per layer for values, O(n²) for P. The
// result may be used for several Backward calls.
func (r *NetworkResult) Backward(gValues []float64, gP mat.Matrix) ([]float64, error) {
	if r == nil || r.net == nil {
		return nil, fmt.Errorf("%w: nil or zero *NetworkResult", ErrDims)
	}
	net := r.net
	n := net.n
	if gValues != nil {
		if len(gValues) != n {
			return nil, fmt.Errorf("%w: len(gValues) = %d, want %d", ErrDims, len(gValues), n)
		}
		if err := checkFinite("gValues", gValues); err != nil {
			return nil, err
		}
	}
	var g []float64
	if gP != nil {
		if r.diff == nil {
			return nil, fmt.Errorf("%w: gradient with respect to P of a result computed without P", ErrInvalid)
		}
		if rr, cc := gP.Dims(); rr != n || cc != n {
			return nil, fmt.Errorf("%w: gP is %d×%d, want %d×%d", ErrDims, rr, cc, n, n)
		}
		gb := gradPool.Get().(*[]float64)
		if cap(*gb) < n*n {
			*gb = make([]float64, n*n)
		}
		g = (*gb)[:n*n]
		defer gradPool.Put(gb)
	}
	gv := make([]float64, n)
	for pos := range n {
		slot := net.out[pos]
		src := pos
		if r.s.Descending {
			src = n - 1 - pos
		}
		if gValues != nil {
			gv[slot] = gValues[src]
		}
		if g != nil {
			row := g[slot*n : slot*n+n]
			if d, ok := gP.(mat.RawMatrixer); ok {
				raw := d.RawMatrix()
				copy(row, raw.Data[src*raw.Stride:src*raw.Stride+n])
			} else {
				mat.Row(row, src, gP)
			}
		}
	}
	if g != nil && !allFinite(g) {
		return nil, fmt.Errorf("%w: gP", ErrNaN)
	}
	for k := len(net.swaps) - 1; k >= 0; k-- {
		sw := net.swaps[k]
		al := r.alpha[k]
		gp, gq := gv[sw.p], gv[sw.q]
		galpha := (gp - gq) * r.gap[k]
		if g != nil {
			galpha += unmixRows(g, r.diff[sw.off:sw.off+int(sw.hi-sw.lo)], n, sw, al)
		}
		// p held a, q held b; d = b − a.
		t := r.dal[k] * galpha
		gv[sw.p] = gq + al*(gp-gq) - t
		gv[sw.q] = gp - al*(gp-gq) + t
	}
	if !allFinite(gv) {
		return nil, fmt.Errorf("%w: gradient overflowed", ErrNaN)
	}
	return gv, nil
}

// Forward returns the derivatives of Values and (for a result computed
// with wantP) of P in the direction dx: forward mode through the relaxed
// network (also with StraightThrough, where it is the relaxed network's
// derivative), O(n) per layer for the values and O(n²) for P. dP is nil
// when P was not requested. It is the typed form of JVP, as Backward is
// of VJP.
func (r *NetworkResult) Tangent(dx []float64) (dValues []float64, dP *mat.Dense, err error) {
	if r == nil || r.net == nil {
		return nil, nil, fmt.Errorf("%w: nil or zero *NetworkResult", ErrDims)
	}
	net := r.net
	n := net.n
	if len(dx) != n {
		return nil, nil, fmt.Errorf("%w: len(dx) = %d, want %d", ErrDims, len(dx), n)
	}
	if err := checkFinite("dx", dx); err != nil {
		return nil, nil, err
	}
	dv := append([]float64(nil), dx...)
	var dm []float64
	if r.diff != nil {
		dm = make([]float64, n*n)
	}
	for k, sw := range net.swaps {
		al := r.alpha[k]
		da, db := dv[sw.p], dv[sw.q]
		dal := r.dal[k] * (db - da) // α = f(b − a)
		// p ← b + α(a − b), q ← a − α(a − b), with gap = a − b.
		dv[sw.p] = db + al*(da-db) + dal*r.gap[k]
		dv[sw.q] = da - al*(da-db) - dal*r.gap[k]
		if dm != nil {
			lo, hi := int(sw.lo), int(sw.hi)
			rp := dm[int(sw.p)*n+lo : int(sw.p)*n+hi]
			rq := dm[int(sw.q)*n+lo : int(sw.q)*n+hi]
			d := r.diff[sw.off : sw.off+hi-lo]
			for c := range rp {
				a, b := rp[c], rq[c]
				rp[c] = b + al*(a-b) + dal*d[c]
				rq[c] = a - al*(a-b) - dal*d[c]
			}
		}
	}
	dValues = make([]float64, n)
	if dm != nil {
		dP = mat.NewDense(n, n, nil)
	}
	for pos := range n {
		slot := net.out[pos]
		row := pos
		if r.s.Descending {
			row = n - 1 - pos
		}
		dValues[row] = dv[slot]
		if dP != nil {
			copy(dP.RawRowView(row), dm[slot*n:slot*n+n])
		}
	}
	if !allFinite(dValues) || (dm != nil && !allFinite(dm)) {
		return nil, nil, fmt.Errorf("%w: JVP overflowed", ErrNaN)
	}
	return dValues, dP, nil
}

// gradPool recycles the n×n cotangent buffers of Backward.
var gradPool = sync.Pool{New: func() any { return new([]float64) }}

// unmixRows applies the transpose of a relaxed swap to rows p and q of
// the cotangent g on [lo, hi) and returns ∂/∂α.
func unmixRows(g, d []float64, n int, sw swapOp, al float64) float64 {
	lo, hi := int(sw.lo), int(sw.hi)
	return dense.SwapUnmix(g[int(sw.p)*n+lo:int(sw.p)*n+hi], g[int(sw.q)*n+lo:int(sw.q)*n+hi], d, al)
}

// NetworkBatch holds the results of a network on the rows of a batch.
type NetworkBatch struct {
	Results []*NetworkResult
	workers int
}

// SortBatch runs the network on every row of x (B×n) on goroutines.
func (net *Network) SortBatch(ctx context.Context, x mat.Matrix, wantP bool, s *NetworkSettings) (*NetworkBatch, error) {
	if err := net.check(); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, fmt.Errorf("%w: nil x", ErrDims)
	}
	b, n := x.Dims()
	if n != net.n || b == 0 {
		return nil, fmt.Errorf("%w: network on %d inputs, x is %d×%d", ErrDims, net.n, b, n)
	}
	rs, err := s.resolve()
	if err != nil {
		return nil, err
	}
	out := &NetworkBatch{Results: make([]*NetworkResult, b), workers: rs.Workers}
	err = parallel(ctx, b, rs.Workers, func(i int) error {
		row := make([]float64, n)
		mat.Row(row, i, x)
		var err error
		out.Results[i], err = net.Sort(row, wantP, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Values returns the B×n matrix of sorted values.
func (nb *NetworkBatch) Values() *mat.Dense {
	if nb == nil || len(nb.Results) == 0 {
		return nil
	}
	n := len(nb.Results[0].Values)
	v := mat.NewDense(len(nb.Results), n, nil)
	for i, r := range nb.Results {
		v.SetRow(i, r.Values)
	}
	return v
}

// Backward returns the B×n gradient with respect to x given cotangents
// on the values (B×n, or nil) and on the matrices (B of them, or nil).
func (nb *NetworkBatch) Backward(ctx context.Context, gValues mat.Matrix, gP []*mat.Dense) (*mat.Dense, error) {
	if nb == nil || len(nb.Results) == 0 {
		return nil, fmt.Errorf("%w: nil or empty *NetworkBatch", ErrDims)
	}
	b := len(nb.Results)
	n := len(nb.Results[0].Values)
	if gValues != nil {
		if r, c := gValues.Dims(); r != b || c != n {
			return nil, fmt.Errorf("%w: gValues is %d×%d, want %d×%d", ErrDims, r, c, b, n)
		}
	}
	if gP != nil && len(gP) != b {
		return nil, fmt.Errorf("%w: %d matrix cotangents for a batch of %d", ErrDims, len(gP), b)
	}
	out := mat.NewDense(b, n, nil)
	err := parallel(ctx, b, nb.workers, func(i int) error {
		var gv []float64
		if gValues != nil {
			gv = make([]float64, n)
			mat.Row(gv, i, gValues)
		}
		var gm mat.Matrix
		if gP != nil && gP[i] != nil {
			gm = gP[i]
		}
		g, err := nb.Results[i].Backward(gv, gm)
		if err != nil {
			return err
		}
		out.SetRow(i, g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
