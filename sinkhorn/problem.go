package sinkhorn

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/optlayers/optlayers/internal/parallel"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Errors returned by this package. Use errors.Is to test for them; the
// returned errors wrap them with details.
var (
	// ErrDims reports inputs whose shapes do not agree (cost matrix against
	// weights, points of different dimension, empty inputs).
	ErrDims = errors.New("sinkhorn: dimension mismatch")
	// ErrNaN reports NaN or ±Inf in a cost, a point coordinate or a weight.
	ErrNaN = errors.New("sinkhorn: NaN or Inf in input")
	// ErrNegativeWeight reports a negative marginal weight.
	ErrNegativeWeight = errors.New("sinkhorn: negative weight")
	// ErrZeroMass reports a marginal whose weights sum to zero.
	ErrZeroMass = errors.New("sinkhorn: marginal with zero mass")
	// ErrMassMismatch reports a balanced problem whose marginals have
	// different total masses.
	ErrMassMismatch = errors.New("sinkhorn: marginals of a balanced problem have different masses")
	// ErrEpsilon reports a regularization ε that is not a positive finite
	// number (or a relative ε on a cost whose mean is not positive).
	ErrEpsilon = errors.New("sinkhorn: ε must be positive and finite")
	// ErrInvalid reports invalid settings, penalty weights or arguments
	// (a nil layer, a PointCost that panics: the panic is recovered and
	// returned wrapped in this error).
	ErrInvalid = errors.New("sinkhorn: invalid settings")
	// ErrNotConverged reports a solve that stopped at MaxIter above the
	// tolerance; the result holds the last iterate.
	ErrNotConverged = errors.New("sinkhorn: not converged")
	// ErrNumerical reports a NaN or Inf that appeared during the iterations
	// (it should not happen with valid input; please report it).
	ErrNumerical = errors.New("sinkhorn: numerical failure")
	// ErrNoPoints reports a request that needs point clouds (a gradient with
	// respect to the points, a divergence) on a cost-matrix problem without
	// the matrices it needs.
	ErrNoPoints = errors.New("sinkhorn: problem has no point clouds")
)

// PointCost is a ground cost c(x, y) between points of Rᵈ with its
// gradient, used with point-cloud problems.
type PointCost interface {
	// Cost returns c(x, y).
	Cost(x, y []float64) float64
	// Grad sets gx = ∇ₓc(x, y) and gy = ∇ᵧc(x, y). Either may be nil when
	// not needed.
	Grad(gx, gy, x, y []float64)
}

// SqEuclidean is the cost c(x, y) = ‖x − y‖², computed for whole blocks by
// matrix products (‖x‖² + ‖y‖² − 2⟨x, y⟩, clamped at 0).
type SqEuclidean struct{}

// Cost returns ‖x − y‖² (x and y of the same length, as the package
// passes them; a shorter y panics like a slice index).
func (SqEuclidean) Cost(x, y []float64) float64 {
	var s float64
	for k, v := range x {
		d := v - y[k]
		s += d * d
	}
	return s
}

// Grad sets gx = 2(x − y) and gy = −2(x − y).
func (SqEuclidean) Grad(gx, gy, x, y []float64) {
	for k, v := range x {
		d := 2 * (v - y[k])
		if gx != nil {
			gx[k] = d
		}
		if gy != nil {
			gy[k] = -d
		}
	}
}

// Problem is an entropic optimal transport problem
//
//	OT_ε(a, b) = min_{P ≥ 0} ⟨C, P⟩ + ε KL(P | a⊗b) + τ_a KL(P1 | a) + τ_b KL(Pᵀ1 | b)
//
// given either a cost matrix C (n×m) or two point clouds X (n×d) and Y (m×d)
// with C_ij = c(x_i, y_j). A zero (or +Inf) τ means the hard constraint
// P1 = a (respectively Pᵀ1 = b); with both constraints hard the problem is
// balanced and a, b must have the same mass.
//
// A Problem is read, never modified, by the functions of this package.
type Problem struct {
	// Cost is the n×m cost matrix; leave it nil to give X and Y instead.
	Cost mat.Matrix
	// X (n×d) and Y (m×d) are point clouds, one point per row.
	X, Y mat.Matrix
	// PointCost is the ground cost between points; nil means SqEuclidean.
	PointCost PointCost
	// CostXX (n×n) and CostYY (m×m) are only used by [Divergence] on a
	// cost-matrix problem: the costs within each side.
	CostXX, CostYY mat.Matrix
	// A (length n) and B (length m) are the nonnegative marginal weights;
	// nil means uniform weights 1/n and 1/m.
	A, B []float64
	// Epsilon is the entropic regularization ε > 0.
	Epsilon float64
	// RelativeEpsilon, if true, makes the ε used Epsilon · mean(C), the
	// mean taken over all n·m entries (the convention of POT's examples
	// with C divided by its mean).
	RelativeEpsilon bool
	// TauA and TauB are the KL penalties on the marginals of an unbalanced
	// problem; 0 or +Inf means a hard constraint.
	TauA, TauB float64
}

// prepared is a validated problem in the layout the iterations use.
type prepared struct {
	n, m       int
	geom       *geometry
	a, b       []float64
	loga, logb []float64
	massA      float64
	massB      float64
	meanCost   float64
	// meanLazy: meanCost was not computed (a cost matrix without
	// RelativeEpsilon); mean computes it when an ε schedule needs it.
	meanLazy bool
	eps      float64
	// tau are the penalties (+Inf when hard); kappa = τ/(τ+ε) (1 when
	// hard).
	tauA, tauB     float64
	kappaA, kappaB float64
	balanced       bool
	points         bool
}

// geometry produces blocks of the cost matrix, either from a stored copy (and
// its transpose) or on the fly from point clouds.
type geometry struct {
	n, m, d int
	c, ct   []float64 // n×m and m×n row-major, or nil; ct is built on first use by a log-domain column pass
	x, y    []float64 // n×d and m×d row-major, or nil
	pc      PointCost
	sq      bool
	xsq     []float64
	ysq     []float64
}

// rows returns the cost rows i0 … i1−1 as a (i1−i0)×m row-major block, a
// view of the stored matrix or computed into buf.
func (g *geometry) rows(i0, i1 int, buf []float64) []float64 {
	if g.c != nil {
		return g.c[i0*g.m : i1*g.m]
	}
	return g.block(buf, i0, i1, g.x, g.y, g.xsq, g.ysq, g.m, false)
}

// cols returns the cost columns j0 … j1−1 as a (j1−j0)×n row-major block
// (rows of Cᵀ).
func (g *geometry) cols(j0, j1 int, buf []float64) []float64 {
	if g.ct != nil {
		return g.ct[j0*g.n : j1*g.n]
	}
	if g.c != nil {
		out := buf[:(j1-j0)*g.n]
		for j := j0; j < j1; j++ {
			r := out[(j-j0)*g.n : (j-j0+1)*g.n]
			for i := range g.n {
				r[i] = g.c[i*g.m+j]
			}
		}
		return out
	}
	return g.block(buf, j0, j1, g.y, g.x, g.ysq, g.xsq, g.n, true)
}

// block computes the (r1−r0)×cols block of costs between rows r0…r1−1 of
// u and all rows of w; swapped means u holds the second argument of c.
func (g *geometry) block(buf []float64, r0, r1 int, u, w, usq, wsq []float64, cols int, swapped bool) []float64 {
	out := buf[:(r1-r0)*cols]
	d := g.d
	if g.sq {
		if d > 0 {
			blas64.Gemm(blas.NoTrans, blas.Trans, -2,
				blas64.General{Rows: r1 - r0, Cols: d, Stride: d, Data: u[r0*d : r1*d]},
				blas64.General{Rows: cols, Cols: d, Stride: d, Data: w},
				0, blas64.General{Rows: r1 - r0, Cols: cols, Stride: cols, Data: out})
		} else {
			clear(out)
		}
		for r := r0; r < r1; r++ {
			row := out[(r-r0)*cols : (r-r0+1)*cols]
			us := usq[r]
			for j := range row {
				row[j] = max(row[j]+us+wsq[j], 0)
			}
		}
		return out
	}
	for r := r0; r < r1; r++ {
		row := out[(r-r0)*cols : (r-r0+1)*cols]
		ur := u[r*d : (r+1)*d]
		for j := range row {
			wj := w[j*d : (j+1)*d]
			if swapped {
				row[j] = g.pc.Cost(wj, ur)
			} else {
				row[j] = g.pc.Cost(ur, wj)
			}
		}
	}
	return out
}

// at returns C_ij.
func (g *geometry) at(i, j int) float64 {
	if g.c != nil {
		return g.c[i*g.m+j]
	}
	return g.pc.Cost(g.x[i*g.d:(i+1)*g.d], g.y[j*g.d:(j+1)*g.d])
}

// blockRows is the number of rows of a cost block computed on the fly.
const blockRows = 32

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// firstNonFinite returns the index of the first NaN or ±Inf in x, or −1.
// It tests blocks of eight with v·0, which is 0 for a finite v and NaN
// otherwise, summed without branches, and looks inside a block only when
// the block's sum is not 0.
func firstNonFinite(x []float64) int {
	k := 0
	for ; k+8 <= len(x); k += 8 {
		b := x[k : k+8 : k+8]
		t := (b[0]*0 + b[1]*0) + (b[2]*0 + b[3]*0) + (b[4]*0 + b[5]*0) + (b[6]*0 + b[7]*0)
		if t != 0 {
			break
		}
	}
	for ; k < len(x); k++ {
		if !finite(x[k]) {
			return k
		}
	}
	return -1
}

// sequentialMean is the mean of x summed in index order (the order fixes
// the rounding, and with it the ε schedule that starts from it).
func sequentialMean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// mean returns the mean cost, computing it if prepare did not.
func (p *prepared) mean() float64 {
	if p.meanLazy {
		return sequentialMean(p.geom.c)
	}
	return p.meanCost
}

func rowMajor(m mat.Matrix) []float64 {
	r, c := m.Dims()
	if d, ok := m.(*mat.Dense); ok && d.RawMatrix().Stride == c {
		// append allocates without zeroing what it then overwrites.
		return append([]float64(nil), d.RawMatrix().Data[:r*c]...)
	}
	out := make([]float64, r*c)
	if d, ok := m.(*mat.Dense); ok {
		raw := d.RawMatrix()
		for i := range r {
			copy(out[i*c:(i+1)*c], raw.Data[i*raw.Stride:i*raw.Stride+c])
		}
		return out
	}
	for i := range r {
		for j := range c {
			out[i*c+j] = m.At(i, j)
		}
	}
	return out
}

// copyCostBlock is the number of rows copyCost copies before checking
// them, while they are still in the core's cache: 16 rows of 1000 are
// 128 KB.
const copyCostBlock = 16

// copyCost returns rowMajor(m) and the index of its first NaN or ±Inf
// (firstNonFinite), or −1. For a *mat.Dense of at least 2·copyCostBlock
// rows and workers ≥ 2 the rows are copied and checked in one pass, by
// blocks of copyCostBlock rows handed out to workers goroutines; the copy
// and the index are the serial ones.
func copyCost(m mat.Matrix, workers int) ([]float64, int) {
	r, c := m.Dims()
	d, ok := m.(*mat.Dense)
	if !ok || workers < 2 || r < 2*copyCostBlock {
		out := rowMajor(m)
		return out, firstNonFinite(out)
	}
	raw := d.RawMatrix()
	out := make([]float64, r*c)
	nb := (r + copyCostBlock - 1) / copyCostBlock
	var first atomic.Int64 // the smallest bad index found, r·c if none
	first.Store(int64(r * c))
	// Blocks handed out one at a time (parallel.Ranges): when another
	// process holds a core, the caller copies the blocks the late worker
	// did not take.
	parallel.Ranges(nb, workers, 1, func(_, lo, hi int) {
		for b := lo; b < hi; b++ {
			i0, i1 := b*copyCostBlock, min((b+1)*copyCostBlock, r)
			dst := out[i0*c : i1*c]
			if raw.Stride == c {
				copy(dst, raw.Data[i0*c:i1*c])
			} else {
				for i := i0; i < i1; i++ {
					copy(out[i*c:(i+1)*c], raw.Data[i*raw.Stride:i*raw.Stride+c])
				}
			}
			if k := firstNonFinite(dst); k >= 0 {
				for k := int64(i0*c + k); ; {
					cur := first.Load()
					if k >= cur || first.CompareAndSwap(cur, k) {
						break
					}
				}
			}
		}
	})
	if k := int(first.Load()); k < r*c {
		return out, k
	}
	return out, -1
}

func transposeOf(c []float64, n, m int) []float64 {
	ct := make([]float64, n*m)
	const tile = 64
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := 0; j0 < m; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				for j := j0; j < min(j0+tile, m); j++ {
					ct[j*n+i] = c[i*m+j]
				}
			}
		}
	}
	return ct
}

func weights(w []float64, n int, name string) ([]float64, float64, error) {
	if w == nil {
		out := make([]float64, n)
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out, 1, nil
	}
	if len(w) != n {
		return nil, 0, fmt.Errorf("%w: %s has length %d, want %d", ErrDims, name, len(w), n)
	}
	var s float64
	for i, v := range w {
		if !finite(v) {
			return nil, 0, fmt.Errorf("%w: %s[%d] = %v", ErrNaN, name, i, v)
		}
		if v < 0 {
			return nil, 0, fmt.Errorf("%w: %s[%d] = %v", ErrNegativeWeight, name, i, v)
		}
		s += v
	}
	if !(s > 0) {
		return nil, 0, fmt.Errorf("%w: %s", ErrZeroMass, name)
	}
	return append([]float64(nil), w...), s, nil
}

func penalty(tau, eps float64, name string) (t, kappa float64, err error) {
	if math.IsNaN(tau) || tau < 0 {
		return 0, 0, fmt.Errorf("%w: %s = %v must be ≥ 0 (0 or +Inf: hard constraint)", ErrInvalid, name, tau)
	}
	if tau == 0 || math.IsInf(tau, 1) {
		return math.Inf(1), 1, nil
	}
	return tau, tau / (tau + eps), nil
}

// prepare validates pb and builds the internal problem. storeLimit is the
// largest n·m for which point-cloud costs are stored.
func prepare(pb *Problem, storeLimit int) (*prepared, error) {
	return prepareWorkers(pb, storeLimit, 1)
}

// prepareWorkers is prepare with the cost matrix copied and checked by
// defaultWorkers(n, m, workers) goroutines (copyCost).
func prepareWorkers(pb *Problem, storeLimit, workers int) (*prepared, error) {
	if pb == nil {
		return nil, fmt.Errorf("%w: nil problem", ErrDims)
	}
	g := &geometry{}
	p := &prepared{geom: g}
	var meanCost float64
	switch {
	case pb.Cost != nil:
		if pb.X != nil || pb.Y != nil {
			return nil, fmt.Errorf("%w: give either Cost or X and Y, not both", ErrDims)
		}
		n, m := pb.Cost.Dims()
		if n == 0 || m == 0 {
			return nil, fmt.Errorf("%w: empty %d×%d cost", ErrDims, n, m)
		}
		c, k := copyCost(pb.Cost, defaultWorkers(n, m, workers))
		if k >= 0 {
			return nil, fmt.Errorf("%w: cost[%d,%d] = %v", ErrNaN, k/m, k%m, c[k])
		}
		if pb.RelativeEpsilon {
			meanCost = sequentialMean(c)
		} else {
			p.meanLazy = true
		}
		g.n, g.m, g.c = n, m, c
	case pb.X != nil && pb.Y != nil:
		n, d := pb.X.Dims()
		m, dy := pb.Y.Dims()
		if n == 0 || m == 0 || d != dy {
			return nil, fmt.Errorf("%w: X is %d×%d, Y is %d×%d", ErrDims, n, d, m, dy)
		}
		g.n, g.m, g.d = n, m, d
		g.x, g.y = rowMajor(pb.X), rowMajor(pb.Y)
		for k, v := range g.x {
			if !finite(v) {
				return nil, fmt.Errorf("%w: X[%d,%d] = %v", ErrNaN, k/d, k%d, v)
			}
		}
		for k, v := range g.y {
			if !finite(v) {
				return nil, fmt.Errorf("%w: Y[%d,%d] = %v", ErrNaN, k/d, k%d, v)
			}
		}
		g.pc = pb.PointCost
		if g.pc == nil {
			g.pc = SqEuclidean{}
		}
		_, g.sq = g.pc.(SqEuclidean)
		p.points = true
		if g.sq {
			g.xsq, g.ysq = sqNorms(g.x, n, d), sqNorms(g.y, m, d)
		}
		if n*m <= storeLimit {
			c := make([]float64, n*m)
			for i0 := 0; i0 < n; i0 += blockRows {
				i1 := min(i0+blockRows, n)
				g.block(c[i0*m:i1*m], i0, i1, g.x, g.y, g.xsq, g.ysq, m, false)
			}
			g.c = c
		}
		if g.sq {
			// mean ‖x−y‖² = mean‖x‖² + mean‖y‖² − 2⟨x̄, ȳ⟩.
			xbar, ybar := make([]float64, d), make([]float64, d)
			var sx, sy float64
			for i := range n {
				sx += g.xsq[i]
				for k := range d {
					xbar[k] += g.x[i*d+k] / float64(n)
				}
			}
			for j := range m {
				sy += g.ysq[j]
				for k := range d {
					ybar[k] += g.y[j*d+k] / float64(m)
				}
			}
			var dot float64
			for k := range d {
				dot += xbar[k] * ybar[k]
			}
			meanCost = sx/float64(n) + sy/float64(m) - 2*dot
		} else if pb.RelativeEpsilon {
			var s float64
			buf := make([]float64, blockRows*m)
			for i0 := 0; i0 < n; i0 += blockRows {
				for _, v := range g.rows(i0, min(i0+blockRows, n), buf) {
					s += v
				}
			}
			meanCost = s / float64(n*m)
		}
		if pb.RelativeEpsilon || g.c != nil {
			for _, v := range g.c {
				if !finite(v) {
					return nil, fmt.Errorf("%w: point cost is %v", ErrNaN, v)
				}
			}
		}
	default:
		return nil, fmt.Errorf("%w: problem has neither a cost matrix nor two point clouds", ErrDims)
	}
	if meanCost == 0 && g.c != nil && !p.meanLazy {
		meanCost = sequentialMean(g.c)
	}
	p.n, p.m = g.n, g.m
	var err error
	if p.a, p.massA, err = weights(pb.A, p.n, "A"); err != nil {
		return nil, err
	}
	if p.b, p.massB, err = weights(pb.B, p.m, "B"); err != nil {
		return nil, err
	}
	eps := pb.Epsilon
	if pb.RelativeEpsilon {
		eps *= meanCost
	}
	p.meanCost = meanCost
	if !(eps > 0) || math.IsInf(eps, 1) {
		return nil, fmt.Errorf("%w: ε = %v (Epsilon %v, relative %v, mean cost %v)", ErrEpsilon, eps, pb.Epsilon, pb.RelativeEpsilon, p.mean())
	}
	p.eps = eps
	if p.tauA, p.kappaA, err = penalty(pb.TauA, eps, "TauA"); err != nil {
		return nil, err
	}
	if p.tauB, p.kappaB, err = penalty(pb.TauB, eps, "TauB"); err != nil {
		return nil, err
	}
	p.balanced = math.IsInf(p.tauA, 1) && math.IsInf(p.tauB, 1)
	if p.balanced && math.Abs(p.massA-p.massB) > 1e-9*max(p.massA, p.massB) {
		return nil, fmt.Errorf("%w: Σa = %v, Σb = %v", ErrMassMismatch, p.massA, p.massB)
	}
	p.loga, p.logb = logs(p.a), logs(p.b)
	return p, nil
}

func sqNorms(x []float64, n, d int) []float64 {
	out := make([]float64, n)
	for i := range n {
		var s float64
		for _, v := range x[i*d : (i+1)*d] {
			s += v * v
		}
		out[i] = s
	}
	return out
}

func logs(w []float64) []float64 {
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = math.Log(v) // −Inf for a zero weight: that point carries no mass
	}
	return out
}
