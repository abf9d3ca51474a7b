package isotonic

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// Regularization selects the geometry of a permutahedron projection.
type Regularization int

const (
	// L2 is the Euclidean projection P_Q(z, w) onto P(w).
	L2 Regularization = iota
	// KL is the log-domain KL projection P_E(z, w) = log of the KL
	// projection of e^z onto P(e^w).
	KL
)

func (r Regularization) String() string {
	switch r {
	case L2:
		return "L2"
	case KL:
		return "KL"
	}
	return fmt.Sprintf("Regularization(%d)", int(r))
}

// Projection is a permutahedron projection together with what its
// derivatives need (the sorting permutations and the PAV blocks). It is
// safe for concurrent use once returned.
type Projection struct {
	reg Regularization
	// zperm[t] is the index of the t-th largest z, wperm[t] of the t-th
	// largest w.
	zperm, wperm []int32
	// start are the PAV blocks over sorted positions, with n appended.
	start []int
	// pz, pw are the KL block softmax weights (nil for L2).
	pz, pw []float64
	// theta is θ = (z, w), kept for Condition.
	theta []float64
}

// Len returns n.
func (p *Projection) Len() int {
	if p == nil {
		return 0
	}
	return len(p.zperm)
}

// Regularization returns the regularization the projection was computed
// with.
func (p *Projection) Regularization() Regularization {
	if p == nil {
		return L2
	}
	return p.reg
}

// Blocks returns the PAV block boundaries over positions sorted by
// decreasing z, with n appended.
func (p *Projection) Blocks() []int {
	if p == nil {
		return nil
	}
	return slices.Clone(p.start)
}

// scratchPool recycles the scratch vectors of Project, startPool its
// block starts before they are copied to their final size.
var (
	scratchPool = sync.Pool{New: func() any { return new([]float64) }}
	startPool   = sync.Pool{New: func() any { return new([]int) }}
)

// identityMax bounds the length of the shared identity permutation.
const identityMax = 1 << 16

var (
	identityMu sync.Mutex
	identityV  atomic.Pointer[[]int32]
)

// identity returns (0, 1, …, n−1), shared by every caller and never
// written, for n ≤ identityMax (nil above).
func identity(n int) []int32 {
	if n > identityMax {
		return nil
	}
	if id := identityV.Load(); id != nil && len(*id) >= n {
		return (*id)[:n:n]
	}
	identityMu.Lock()
	defer identityMu.Unlock()
	if id := identityV.Load(); id != nil && len(*id) >= n {
		return (*id)[:n:n]
	}
	m := n
	if id := identityV.Load(); id != nil {
		m = min(identityMax, max(n, 2*len(*id)))
	}
	id := make([]int32, m)
	for i := range id {
		id[i] = int32(i)
	}
	identityV.Store(&id)
	return id[:n:n]
}

// isSortedDesc reports whether v is non-increasing.
func isSortedDesc(v []float64) bool {
	for i := 1; i < len(v); i++ {
		if v[i] > v[i-1] {
			return false
		}
	}
	return true
}

// Project sets dst to the projection of z onto the permutahedron P(w)
// under regularization reg (see the package documentation) and returns
// the Projection, whose methods give derivatives with respect to z and w.
// The order of w does not matter. Cost O(n log n) (O(n) for sorting
// inputs that are already in decreasing order). dst may alias z.
func Project(dst, z, w []float64, reg Regularization) (*Projection, error) {
	n := len(z)
	if n == 0 || len(w) != n || len(dst) != n {
		return nil, fmt.Errorf("%w: len(z)=%d, len(w)=%d, len(dst)=%d", ErrDims, n, len(w), len(dst))
	}
	if reg != L2 && reg != KL {
		return nil, fmt.Errorf("%w: unknown regularization %v", ErrInvalid, reg)
	}
	if err := checkFinite("z", z); err != nil {
		return nil, err
	}
	if err := checkFinite("w", w); err != nil {
		return nil, err
	}
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: n = %d is too large", ErrDims, n)
	}
	p := &Projection{reg: reg, theta: make([]float64, 2*n)}
	copy(p.theta, z)
	copy(p.theta[n:], w)
	// Scratch: s (sorted z), ws (sorted w), v, and sort keys; pooled.
	sp := scratchPool.Get().(*[]float64)
	defer scratchPool.Put(sp)
	if cap(*sp) < 6*n {
		*sp = make([]float64, 6*n)
	}
	scratch := (*sp)[:6*n]
	// Block sums (l2) or block log-sum-exps (KL) grow to at most n.
	blockA, blockB := scratch[4*n:4*n:5*n], scratch[5*n:5*n:6*n]
	s, ws, v, keys := scratch[:n], scratch[n:2*n], scratch[2*n:3*n], scratch[3*n:4*n]
	// A side already in decreasing order (the ranks ρ of soft sorting and
	// ranking) shares a read-only identity permutation.
	sortInto := func(v []float64) []int32 {
		if isSortedDesc(v) {
			if id := identity(n); id != nil {
				return id
			}
			perm := make([]int32, n)
			for i := range perm {
				perm[i] = int32(i)
			}
			return perm
		}
		perm := make([]int32, n)
		argsortDesc(perm, v, keys)
		return perm
	}
	// Block starts are built in pooled scratch, kept at their final size.
	sb := startPool.Get().(*[]int)
	defer startPool.Put(sb)
	if cap(*sb) < n+1 {
		*sb = make([]int, 0, n+1)
	}
	p.zperm, p.wperm = sortInto(z), sortInto(w)
	for t := range n {
		s[t] = z[p.zperm[t]]
		ws[t] = w[p.wperm[t]]
	}
	// The output is written block by block as
	//   l2: out_t = mean_B(w) + (s_t − mean_B(s)),
	//   KL: out_t = (s_t − lse_B(s)) + lse_B(w),
	// which equals s_t − v_t but without the cancellation of s_t − v_t
	// when s is large (strong sorting, small ε): a singleton block returns
	// w_t exactly.
	switch reg {
	case L2:
		for t := range n {
			v[t] = s[t] - ws[t]
		}
		p.start = pavL2Unit(v, (*sb)[:0], blockA)
		for k := 0; k+1 < len(p.start); k++ {
			a, b := p.start[k], p.start[k+1]
			if b-a == 1 {
				dst[p.zperm[a]] = ws[a]
				continue
			}
			var ms, mw float64
			for t := a; t < b; t++ {
				ms += s[t]
				mw += ws[t]
			}
			ms /= float64(b - a)
			mw /= float64(b - a)
			for t := a; t < b; t++ {
				dst[p.zperm[t]] = mw + (s[t] - ms)
			}
		}
	case KL:
		p.pz, p.pw = make([]float64, n), make([]float64, n)
		kw := kKLWork{lseS: blockA, lseW: blockB}
		p.start = kw.pav(v, s, ws, p.pz, p.pw, (*sb)[:0])
		for k := 0; k+1 < len(p.start); k++ {
			a, b := p.start[k], p.start[k+1]
			ls, lw := kw.lseS[k], kw.lseW[k]
			for t := a; t < b; t++ {
				dst[p.zperm[t]] = (s[t] - ls) + lw
			}
		}
	}
	if err := checkFinite("projection", dst); err != nil {
		return nil, err
	}
	p.start = slices.Clone(p.start)
	return p, nil
}

// pavL2Unit overwrites y by its unweighted decreasing isotonic regression
// and returns the block starts with n appended. start and sum are scratch.
func pavL2Unit(y []float64, start []int, sum []float64) []int {
	n := len(y)
	start, sum = start[:0], sum[:0]
	for i := range n {
		start = append(start, i)
		sum = append(sum, y[i])
		k := len(start) - 1
		for k > 0 {
			// Compare means sum/len without division by cross-multiplying
			// block sizes (positive integers).
			lenPrev := float64(start[k] - start[k-1])
			lenCur := float64(i + 1 - start[k])
			if sum[k-1]*lenCur > sum[k]*lenPrev {
				break
			}
			sum[k-1] += sum[k]
			start, sum = start[:k], sum[:k]
			k--
		}
	}
	for k := range start {
		end := n
		if k+1 < len(start) {
			end = start[k+1]
		}
		m := sum[k] / float64(end-start[k])
		for i := start[k]; i < end; i++ {
			y[i] = m
		}
	}
	return append(start, n)
}

// Tangent sets dst to the derivative of the projection in the direction
// (dz, dw): (∂P/∂z) dz + (∂P/∂w) dw. dz or dw may be nil (zero). dst may
// alias dz but not dw. Cost O(n). It is [Projection.JVP] with θ = (z, w)
// split in its two parts.
//
// A nil p gives ErrInvalid, NaN or Inf in dz or dw (or an overflowing
// product) ErrNaN.
func (p *Projection) Tangent(dst, dz, dw []float64) error {
	if p == nil {
		return fmt.Errorf("%w: JVP of a nil Projection", ErrInvalid)
	}
	if err := checkProduct(dz, dw); err != nil {
		return err
	}
	if err := p.jvp(dst, dz, dw); err != nil {
		return err
	}
	return checkOutput(dst)
}

func (p *Projection) jvp(dst, dz, dw []float64) error {
	n := p.Len()
	if len(dst) != n || (dz != nil && len(dz) != n) || (dw != nil && len(dw) != n) {
		return fmt.Errorf("%w: JVP with n=%d, len(dst)=%d, len(dz)=%d, len(dw)=%d", ErrDims, n, len(dst), len(dz), len(dw))
	}
	for k := 0; k+1 < len(p.start); k++ {
		a, b := p.start[k], p.start[k+1]
		var acc float64
		if p.reg == L2 {
			for t := a; t < b; t++ {
				if dz != nil {
					acc -= dz[p.zperm[t]]
				}
				if dw != nil {
					acc += dw[p.wperm[t]]
				}
			}
			acc /= float64(b - a)
		} else {
			for t := a; t < b; t++ {
				if dz != nil {
					acc -= p.pz[t] * dz[p.zperm[t]]
				}
				if dw != nil {
					acc += p.pw[t] * dw[p.wperm[t]]
				}
			}
		}
		for t := a; t < b; t++ {
			i := p.zperm[t]
			if dz != nil {
				dst[i] = dz[i] + acc
			} else {
				dst[i] = acc
			}
		}
	}
	return nil
}

// Backward sets gz and gw to the gradients with respect to z and w of
// ⟨g, P(z, w)⟩. Either may be nil (not wanted). gz may alias g; gw may
// not. Cost O(n). It is [Projection.VJP] with θ = (z, w) split in its
// two parts.
//
// A nil p gives ErrInvalid, NaN or Inf in g (or an overflowing product)
// ErrNaN.
func (p *Projection) Backward(gz, gw, g []float64) error {
	if p == nil {
		return fmt.Errorf("%w: VJP of a nil Projection", ErrInvalid)
	}
	if err := checkProduct(g); err != nil {
		return err
	}
	if err := p.vjp(gz, gw, g); err != nil {
		return err
	}
	return checkOutput(gz, gw)
}

func (p *Projection) vjp(gz, gw, g []float64) error {
	n := p.Len()
	if len(g) != n || (gz != nil && len(gz) != n) || (gw != nil && len(gw) != n) {
		return fmt.Errorf("%w: VJP with n=%d, len(g)=%d, len(gz)=%d, len(gw)=%d", ErrDims, n, len(g), len(gz), len(gw))
	}
	for k := 0; k+1 < len(p.start); k++ {
		a, b := p.start[k], p.start[k+1]
		var acc float64
		for t := a; t < b; t++ {
			acc += g[p.zperm[t]]
		}
		if p.reg == L2 {
			acc /= float64(b - a)
			for t := a; t < b; t++ {
				if gz != nil {
					i := p.zperm[t]
					gz[i] = g[i] - acc
				}
				if gw != nil {
					gw[p.wperm[t]] = acc
				}
			}
			continue
		}
		for t := a; t < b; t++ {
			if gz != nil {
				i := p.zperm[t]
				gz[i] = g[i] - p.pz[t]*acc
			}
			if gw != nil {
				gw[p.wperm[t]] = p.pw[t] * acc
			}
		}
	}
	return nil
}
