package sorting

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/isotonic"
)

// Regularization of soft sort, rank and top-k: isotonic.L2 (quadratic,
// the default) or isotonic.KL (entropic).
type Regularization = isotonic.Regularization

// SoftSettings controls [SoftSort], [SoftRank] and [SoftTopK]. A nil
// *SoftSettings or the zero value means l2 regularization, ascending
// order and one goroutine per core for batches.
type SoftSettings struct {
	// Regularization is isotonic.L2 (default) or isotonic.KL.
	Regularization Regularization
	// Descending sorts from largest to smallest; for ranks, the largest
	// value gets rank 1.
	Descending bool
	// Workers caps the goroutines of the batched functions (0 means
	// GOMAXPROCS; negative is ErrInvalid). Results do not depend on it.
	Workers int
}

func (s *SoftSettings) orDefault() SoftSettings {
	if s == nil {
		return SoftSettings{}
	}
	return *s
}

type softKind int

const (
	kindSort softKind = iota
	kindRank
	kindTopK
)

// Soft is the result of a soft sort, rank or top-k: it keeps the
// permutahedron projection, so VJP and JVP cost O(n). It is safe for
// concurrent use once returned.
type Soft struct {
	kind softKind
	reg  Regularization
	eps  float64
	sign float64
	proj *isotonic.Projection
	// out is the output, kept for the KL rank (whose derivative is
	// scaled by it).
	out []float64
	// x, shift and k are the input, the shift removed from it (see
	// clusterShift) and the k of a top-k: what Condition needs.
	x     []float64
	shift float64
	k     int
}

// Len returns n (0 for a nil or zero Soft).
func (s *Soft) Len() int {
	if s == nil || s.proj == nil {
		return 0
	}
	return s.proj.Len()
}

func (s *Soft) check() error {
	if s == nil || s.proj == nil {
		return fmt.Errorf("%w: nil or zero *Soft (use SoftSort, SoftRank or SoftTopK)", ErrDims)
	}
	return nil
}

// clusterShift returns a shift c for x: the midpoint of its range when the
// values are clustered far from 0 (|c| > 1024·spread), 0 otherwise. Soft
// ranks and top-k are invariant under x + c1 and soft sorts equivariant
// (s(x + c1) = s(x) + c1, for both regularizations), so removing c loses
// nothing and keeps the projection from cancelling digits: the KL ranks of
// (1e300, 1e300, 1e300) came out as (6, 6, 6) instead of (2, 2, 2).
// Inputs that are not clustered are projected unchanged.
func clusterShift(x []float64) float64 {
	lo, hi := x[0], x[0]
	for _, v := range x { // x is finite: plain comparisons
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	c := lo/2 + hi/2
	if math.Abs(c) > 1024*(hi-lo) {
		return c
	}
	return 0
}

// vecPool recycles temporary vectors (inputs of the projection, which
// keeps none of them, and VJP/JVP scratch).
var vecPool = sync.Pool{New: func() any { return new([]float64) }}

func getVec(n int) *[]float64 {
	v := vecPool.Get().(*[]float64)
	if cap(*v) < n {
		*v = make([]float64, n)
	}
	*v = (*v)[:n]
	return v
}

// ranksTarget fills w with ρ = (n, …, 1), or log ρ.
func ranksTarget(w []float64, kl bool) []float64 {
	n := len(w)
	for i := range w {
		w[i] = float64(n - i)
		if kl {
			w[i] = math.Log(w[i])
		}
	}
	return w
}

func checkSoft(dst, x []float64, eps float64, s SoftSettings) error {
	if len(x) == 0 || len(dst) != len(x) {
		return fmt.Errorf("%w: len(x)=%d, len(dst)=%d", ErrDims, len(x), len(dst))
	}
	if err := checkPositive("ε", eps); err != nil {
		return err
	}
	if s.Regularization != isotonic.L2 && s.Regularization != isotonic.KL {
		return fmt.Errorf("%w: regularization %v", ErrInvalid, s.Regularization)
	}
	if err := checkWorkers(s.Workers); err != nil {
		return err
	}
	return checkFinite("x", x)
}

// SoftSort sets dst to the soft sort of x with regularization strength
// ε > 0 (Blondel et al. 2020):
//
//	s_ε(x) = ∓P(ρ/ε, ±x),   ρ = (n, n−1, …, 1),
//
// the projection of ρ/ε onto the permutahedron of x (upper signs for
// ascending order, the default). With l2 regularization s_ε(x) is the
// exact sort of x for ε small enough, and tends to the constant mean(x)
// as ε → ∞; with KL it is the log of the KL projection of e^{ρ/ε} onto
// P(e^{±x}). Cost O(n log n). dst may alias x.
//
// Scale: both regularizations compare ρ/ε with x. When the gaps of x are
// much larger than n/ε, the l2 soft sort tends to the point of P(x)
// nearest 0 (the constant mean(x) for two values) and the KL soft sort
// pools every value at max(±x) ∓ O(n/ε): for x = (1e300, −1e300, 0) and
// ε = 1 the ascending KL soft sort is (−1e300, −1e300, −1e300) to rounding
// (its exact values are −1e300 + (0.41, 1.41, 2.41)). That is the soft
// sort at that ε, not a failure; an ε of the order of the gaps of x gives
// a sort. Inputs clustered far from 0 are shifted to their midpoint
// before the projection (the soft sort is equivariant under shifts), so
// that ties at 1e300 keep their digits.
func SoftSort(dst, x []float64, eps float64, settings *SoftSettings) (*Soft, error) {
	s := settings.orDefault()
	if err := checkSoft(dst, x, eps, s); err != nil {
		return nil, err
	}
	n := len(x)
	sign := -1.0
	if s.Descending {
		sign = 1
	}
	zb, wb := getVec(n), getVec(n)
	defer vecPool.Put(zb)
	defer vecPool.Put(wb)
	z, w := ranksTarget(*zb, false), *wb
	c := clusterShift(x)
	xc := slices.Clone(x)
	for i := range n {
		z[i] /= eps
		w[i] = sign * (x[i] - c)
	}
	p, err := isotonic.Project(dst, z, w, s.Regularization)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNaN, err)
	}
	for i := range dst {
		dst[i] = sign*dst[i] + c
	}
	return &Soft{kind: kindSort, reg: s.Regularization, eps: eps, sign: sign, proj: p, x: xc, shift: c}, nil
}

// SoftRank sets dst to the soft ranks of x with regularization strength
// ε > 0 (Blondel et al. 2020). In ascending order (the default) the
// smallest value has rank 1 and the largest rank n:
//
//	r_ε(x) = P(±x/ε, ρ)              (l2),
//	r_ε(x) = exp P_E(±x/ε, log ρ)    (KL),
//
// a point of the permutahedron P(ρ) that equals the exact ranks for ε
// small enough (l2) or as ε → 0 (KL) and tends to the constant (n+1)/2
// as ε → ∞. Cost O(n log n). dst may alias x.
func SoftRank(dst, x []float64, eps float64, settings *SoftSettings) (*Soft, error) {
	s := settings.orDefault()
	if err := checkSoft(dst, x, eps, s); err != nil {
		return nil, err
	}
	n := len(x)
	sign := 1.0
	if s.Descending {
		sign = -1
	}
	kl := s.Regularization == isotonic.KL
	zb, wb := getVec(n), getVec(n)
	defer vecPool.Put(zb)
	defer vecPool.Put(wb)
	w, z := ranksTarget(*wb, kl), *zb
	c := clusterShift(x)
	xc := slices.Clone(x)
	for i := range n {
		z[i] = sign * (x[i] - c) / eps
	}
	p, err := isotonic.Project(dst, z, w, s.Regularization)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNaN, err)
	}
	sf := &Soft{kind: kindRank, reg: s.Regularization, eps: eps, sign: sign, proj: p, x: xc, shift: c}
	if kl {
		for i := range dst {
			dst[i] = math.Exp(dst[i])
		}
		sf.out = append([]float64(nil), dst...)
	}
	return sf, nil
}

// SoftTopK sets dst to a soft top-k indicator of x with strength ε > 0:
// the l2 projection of x/ε onto the permutahedron of (1, …, 1, 0, …, 0)
// (k ones), which is the capped simplex {μ ∈ [0, 1]ⁿ : Σμ = k}. For ε
// small enough it is the 0/1 indicator of the k largest entries (of the
// k smallest when Settings.Descending is set, read as "rank from the
// bottom"). Only l2 regularization is supported. Cost O(n log n). dst may
// alias x.
func SoftTopK(dst, x []float64, k int, eps float64, settings *SoftSettings) (*Soft, error) {
	s := settings.orDefault()
	if err := checkSoft(dst, x, eps, s); err != nil {
		return nil, err
	}
	n := len(x)
	if k < 0 || k > n {
		return nil, fmt.Errorf("%w: k = %d with n = %d", ErrInvalid, k, n)
	}
	if s.Regularization != isotonic.L2 {
		return nil, fmt.Errorf("%w: soft top-k supports l2 regularization only", ErrInvalid)
	}
	sign := 1.0
	if s.Descending {
		sign = -1 // select the k smallest
	}
	zb, wb := getVec(n), getVec(n)
	defer vecPool.Put(zb)
	defer vecPool.Put(wb)
	w, z := *wb, *zb
	for i := range w {
		w[i] = 0
		if i < k {
			w[i] = 1
		}
	}
	c := clusterShift(x)
	xc := slices.Clone(x)
	for i := range n {
		z[i] = sign * (x[i] - c) / eps
	}
	p, err := isotonic.Project(dst, z, w, isotonic.L2)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNaN, err)
	}
	return &Soft{kind: kindTopK, reg: isotonic.L2, eps: eps, sign: sign, proj: p, x: xc, shift: c, k: k}, nil
}

// VJP sets dst to the gradient with respect to x of ⟨g, output⟩. Cost
// O(n). dst may alias g.
func (s *Soft) VJP(dst, g []float64) error {
	if err := s.check(); err != nil {
		return err
	}
	n := s.Len()
	if len(dst) != n || len(g) != n {
		return fmt.Errorf("%w: VJP with n=%d, len(dst)=%d, len(g)=%d", ErrDims, n, len(dst), len(g))
	}
	if !allFinite(g) {
		return fmt.Errorf("%w: cotangent", ErrNaN)
	}
	switch s.kind {
	case kindSort:
		// out = sign·P(ρ/ε, sign·x): ∂out/∂x = J_w.
		tb := getVec(n)
		defer vecPool.Put(tb)
		tmp := *tb
		if err := s.proj.Backward(nil, tmp, g); err != nil {
			return err
		}
		copy(dst, tmp)
	default:
		src := g
		if s.out != nil { // KL rank: out = exp(P)
			tb := getVec(n)
			defer vecPool.Put(tb)
			tmp := *tb
			for i := range tmp {
				tmp[i] = g[i] * s.out[i]
			}
			src = tmp
		}
		if err := s.proj.Backward(dst, nil, src); err != nil {
			return err
		}
		c := s.sign / s.eps
		for i := range dst {
			dst[i] *= c
		}
	}
	return nil
}

// JVP sets dst to the derivative of the output in the direction dx. Cost
// O(n). dst may alias dx.
func (s *Soft) JVP(dst, dx []float64) error {
	if err := s.check(); err != nil {
		return err
	}
	n := s.Len()
	if len(dst) != n || len(dx) != n {
		return fmt.Errorf("%w: JVP with n=%d, len(dst)=%d, len(dx)=%d", ErrDims, n, len(dst), len(dx))
	}
	if !allFinite(dx) {
		return fmt.Errorf("%w: tangent", ErrNaN)
	}
	switch s.kind {
	case kindSort:
		tb := getVec(n)
		defer vecPool.Put(tb)
		tmp := *tb
		if err := s.proj.Tangent(tmp, nil, dx); err != nil {
			return err
		}
		copy(dst, tmp)
	default:
		c := s.sign / s.eps
		tb := getVec(n)
		defer vecPool.Put(tb)
		tmp := *tb
		for i := range tmp {
			tmp[i] = c * dx[i]
		}
		if err := s.proj.Tangent(dst, tmp, nil); err != nil {
			return err
		}
		if s.out != nil {
			for i := range dst {
				dst[i] *= s.out[i]
			}
		}
	}
	return nil
}

// SoftBatch holds the rows of a batched soft sort, rank or top-k.
type SoftBatch struct {
	Rows    []*Soft
	workers int
}

func softBatch(ctx context.Context, dst *mat.Dense, x mat.Matrix, s SoftSettings, f func(dst, x []float64) (*Soft, error)) (*SoftBatch, error) {
	workers := s.Workers
	if dst == nil || x == nil {
		return nil, fmt.Errorf("%w: nil dst or x", ErrDims)
	}
	b, n := x.Dims()
	if b == 0 || n == 0 {
		return nil, fmt.Errorf("%w: empty %d×%d batch", ErrDims, b, n)
	}
	if r, c := dst.Dims(); r != b || c != n {
		return nil, fmt.Errorf("%w: x is %d×%d, dst is %d×%d", ErrDims, b, n, r, c)
	}
	if err := checkWorkers(workers); err != nil {
		return nil, err
	}
	out := &SoftBatch{Rows: make([]*Soft, b), workers: workers}
	xd, dense := x.(*mat.Dense)
	err := parallel(ctx, b, workers, func(i int) error {
		var row []float64
		if dense { // read in place: f does not keep or modify its input
			row = xd.RawRowView(i)
		} else {
			rb := getVec(n)
			defer vecPool.Put(rb)
			row = *rb
			mat.Row(row, i, x)
		}
		var err error
		out.Rows[i], err = f(dst.RawRowView(i), row)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SoftSortBatch applies [SoftSort] to every row of x (B×n), writing the
// rows of dst (B×n), on goroutines. dst must not alias x.
func SoftSortBatch(ctx context.Context, dst *mat.Dense, x mat.Matrix, eps float64, s *SoftSettings) (*SoftBatch, error) {
	return softBatch(ctx, dst, x, s.orDefault(), func(d, r []float64) (*Soft, error) { return SoftSort(d, r, eps, s) })
}

// SoftRankBatch applies [SoftRank] to every row of x on goroutines.
func SoftRankBatch(ctx context.Context, dst *mat.Dense, x mat.Matrix, eps float64, s *SoftSettings) (*SoftBatch, error) {
	return softBatch(ctx, dst, x, s.orDefault(), func(d, r []float64) (*Soft, error) { return SoftRank(d, r, eps, s) })
}

// SoftTopKBatch applies [SoftTopK] to every row of x on goroutines.
func SoftTopKBatch(ctx context.Context, dst *mat.Dense, x mat.Matrix, k int, eps float64, s *SoftSettings) (*SoftBatch, error) {
	return softBatch(ctx, dst, x, s.orDefault(), func(d, r []float64) (*Soft, error) { return SoftTopK(d, r, k, eps, s) })
}

// VJP sets the rows of dst (B×n) to the VJPs of the rows of g.
func (sb *SoftBatch) VJP(ctx context.Context, dst *mat.Dense, g mat.Matrix) error {
	return sb.apply(ctx, dst, g, (*Soft).VJP)
}

// JVP sets the rows of dst (B×n) to the JVPs of the rows of dx.
func (sb *SoftBatch) JVP(ctx context.Context, dst *mat.Dense, dx mat.Matrix) error {
	return sb.apply(ctx, dst, dx, (*Soft).JVP)
}

func (sb *SoftBatch) apply(ctx context.Context, dst *mat.Dense, g mat.Matrix, f func(*Soft, []float64, []float64) error) error {
	if sb == nil || len(sb.Rows) == 0 {
		return fmt.Errorf("%w: nil or empty batch", ErrDims)
	}
	if dst == nil || g == nil {
		return fmt.Errorf("%w: nil dst or argument", ErrDims)
	}
	b := len(sb.Rows)
	n := sb.Rows[0].Len()
	if r, c := g.Dims(); r != b || c != n {
		return fmt.Errorf("%w: batch is %d×%d, argument is %d×%d", ErrDims, b, n, r, c)
	}
	if r, c := dst.Dims(); r != b || c != n {
		return fmt.Errorf("%w: batch is %d×%d, dst is %d×%d", ErrDims, b, n, r, c)
	}
	gd, dense := g.(*mat.Dense)
	return parallel(ctx, b, sb.workers, func(i int) error {
		if dense && gd != dst { // in place, unless dst aliases g
			return f(sb.Rows[i], dst.RawRowView(i), gd.RawRowView(i))
		}
		rb := getVec(n)
		defer vecPool.Put(rb)
		row := *rb
		mat.Row(row, i, g)
		return f(sb.Rows[i], dst.RawRowView(i), row)
	})
}
