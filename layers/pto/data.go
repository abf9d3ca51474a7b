package pto

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/batch"
)

// maxGen bounds each matrix a generator draws (2²⁸ entries, 2 GiB).
const maxGen = 1 << 28

func checkGen(n, p, d, deg int) error {
	if n <= 0 || p <= 0 || d <= 0 || deg <= 0 {
		return fmt.Errorf("%w: n=%d p=%d d=%d deg=%d must be positive", ErrInvalid, n, p, d, deg)
	}
	if p > maxGen/n || d > maxGen/n || d > maxGen/p {
		return fmt.Errorf("%w: n=%d p=%d d=%d: more than %d values to draw", ErrInvalid, n, p, d, maxGen)
	}
	return nil
}

func bernoulli(rng *rand.Rand, r, c int) *mat.Dense {
	B := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if rng.Float64() < 0.5 {
				B.Set(i, j, 1)
			}
		}
	}
	return B
}

func normals(rng *rand.Rand, r, c int) *mat.Dense {
	x := mat.NewDense(r, c, nil)
	raw := x.RawMatrix().Data
	for i := range raw {
		raw[i] = rng.NormFloat64()
	}
	return x
}

// GenShortestPath draws n feature–cost pairs of the PyEPO shortest-path
// benchmark on d arcs with p features:
//
//	B ~ Bernoulli(0.5)^{d×p},  x ~ N(0, I_p),
//	c = [(B x/√p + 3)^deg + 1] / 3.5^deg ∘ ε,  ε ~ U(1−w̄, 1+w̄)^d,
//
// with w̄ = noise ∈ [0, 1). B is drawn first and shared by all n pairs, so
// draw training and test sets in one call and split the rows.
//
// A nil rng means a fixed stream, PCG(0, 0).
func GenShortestPath(rng *rand.Rand, n, p, d, deg int, noise float64) (x, c *mat.Dense, err error) {
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	if err := checkGen(n, p, d, deg); err != nil {
		return nil, nil, err
	}
	if !(noise >= 0 && noise < 1) {
		return nil, nil, fmt.Errorf("%w: noise half-width %v not in [0,1)", ErrInvalid, noise)
	}
	B := bernoulli(rng, d, p)
	x = normals(rng, n, p)
	c = mat.NewDense(n, d, nil)
	c.Mul(x, B.T())
	scale := 1 / math.Pow(3.5, float64(deg))
	sp := math.Sqrt(float64(p))
	for i := 0; i < n; i++ {
		row := c.RawRowView(i)
		for j := range row {
			eps := 1 - noise + 2*noise*rng.Float64()
			row[j] = (math.Pow(row[j]/sp+3, float64(deg)) + 1) * scale * eps
		}
	}
	return x, c, nil
}

// GenKnapsack draws a 0-1 knapsack benchmark following PyEPO's generator:
// item weights uniform on {3.00, 3.01, …, 7.99} (returned in hundredths,
// as integers), and n feature–value pairs
//
//	c = ⌈5 [(B x/√p + 3)^deg + 1] / 3.5^deg ∘ ε⌉,  B ~ Bernoulli(0.5)^{d×p},
//	x ~ N(0, I_p), ε ~ U(1−w̄, 1+w̄)^d.
//
// Capacities are in hundredths too (capacity 20 is 2000).
//
// A nil rng means a fixed stream, PCG(0, 0).
func GenKnapsack(rng *rand.Rand, n, p, items, deg int, noise float64) (weights []int, x, c *mat.Dense, err error) {
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	if err := checkGen(n, p, items, deg); err != nil {
		return nil, nil, nil, err
	}
	if !(noise >= 0 && noise < 1) {
		return nil, nil, nil, fmt.Errorf("%w: noise half-width %v not in [0,1)", ErrInvalid, noise)
	}
	weights = make([]int, items)
	for i := range weights {
		weights[i] = 300 + rng.IntN(500)
	}
	B := bernoulli(rng, items, p)
	x = normals(rng, n, p)
	c = mat.NewDense(n, items, nil)
	c.Mul(x, B.T())
	scale := 5 / math.Pow(3.5, float64(deg))
	sp := math.Sqrt(float64(p))
	for i := 0; i < n; i++ {
		row := c.RawRowView(i)
		for j := range row {
			eps := 1 - noise + 2*noise*rng.Float64()
			row[j] = math.Ceil((math.Pow(row[j]/sp+3, float64(deg)) + 1) * scale * eps)
		}
	}
	return weights, x, c, nil
}

// GenPortfolio draws a mean-variance portfolio benchmark following PyEPO's
// generator with p features, m assets and noise level τ:
//
//	B ~ Bernoulli(0.5)^{m×p},  L ~ U(−0.0025τ, 0.0025τ)^{m×p},  x ~ N(0, I_p),
//	r = (0.05 B x/√p + 0.1^{1/deg})^deg + L f + 0.01τ ε,  f ~ N(0, I_p), ε ~ N(0, I_m),
//	Σ = L Lᵀ + (0.01τ)² I.
//
// It returns Σ, the features and the realized returns r.
//
// A nil rng means a fixed stream, PCG(0, 0).
func GenPortfolio(rng *rand.Rand, n, p, assets, deg int, noiseLevel float64) (cov *mat.SymDense, x, r *mat.Dense, err error) {
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	if err := checkGen(n, p, assets, deg); err != nil {
		return nil, nil, nil, err
	}
	if assets > maxGen/assets {
		return nil, nil, nil, fmt.Errorf("%w: %d assets: covariance of more than %d entries", ErrInvalid, assets, maxGen)
	}
	if !(noiseLevel >= 0) || math.IsInf(noiseLevel, 0) {
		return nil, nil, nil, fmt.Errorf("%w: noise level %v", ErrInvalid, noiseLevel)
	}
	B := bernoulli(rng, assets, p)
	L := mat.NewDense(assets, p, nil)
	for i := 0; i < assets; i++ {
		for j := 0; j < p; j++ {
			L.Set(i, j, 0.0025*noiseLevel*(2*rng.Float64()-1))
		}
	}
	x = normals(rng, n, p)
	r = mat.NewDense(n, assets, nil)
	r.Mul(x, B.T())
	sp := math.Sqrt(float64(p))
	base := math.Pow(0.1, 1/float64(deg))
	f := make([]float64, p)
	for i := 0; i < n; i++ {
		row := r.RawRowView(i)
		for k := range f {
			f[k] = rng.NormFloat64()
		}
		for j := range row {
			v := math.Pow(0.05*row[j]/sp+base, float64(deg))
			for k := range f {
				v += L.At(j, k) * f[k]
			}
			row[j] = v + 0.01*noiseLevel*rng.NormFloat64()
		}
	}
	cov = mat.NewSymDense(assets, nil)
	cov.SymOuterK(1, L)
	for i := 0; i < assets; i++ {
		cov.SetSym(i, i, cov.At(i, i)+(0.01*noiseLevel)*(0.01*noiseLevel))
	}
	return cov, x, r, nil
}

// Dataset holds feature–cost pairs with the optimal decisions under the
// true costs, the training and evaluation data of a pipeline.
type Dataset struct {
	X *mat.Dense // n×p features
	C *mat.Dense // n×d true costs
	W *mat.Dense // n×d optimal decisions w*(cᵢ)
	Z []float64  // optimal values z*(cᵢ) = cᵢᵀw*(cᵢ)
}

// NewDataset solves the oracle for every row of c (on s.Workers
// goroutines, see Settings) and returns the dataset. A nil o, x or c is
// ErrInvalid; NaN or Inf in x or c is ErrNaN; a panicking oracle is an
// error matching ErrCallback; the rows whose oracle call failed are named
// by an *implicit.BatchError. When ctx is done the rows not yet started
// are skipped and the error matches ctx.Err().
func NewDataset(ctx context.Context, o Oracle, x, c *mat.Dense, s *Settings) (ds *Dataset, err error) {
	if isNil(o) || x == nil || c == nil {
		return nil, fmt.Errorf("%w: NewDataset needs an oracle, features and costs", ErrInvalid)
	}
	workers, err := s.workers()
	if err != nil {
		return nil, err
	}
	defer recoverCallback(&err)
	n, p := x.Dims()
	nc, d := c.Dims()
	if n != nc || d != o.Dim() || p == 0 {
		return nil, fmt.Errorf("%w: x is %d×%d, c is %d×%d, oracle dim %d", ErrDims, n, p, nc, d, o.Dim())
	}
	for _, m := range []*mat.Dense{x, c} {
		for i := range m.RawMatrix().Rows {
			for _, v := range m.RawRowView(i) {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, ErrNaN
				}
			}
		}
	}
	ds = &Dataset{X: mat.DenseCopyOf(x), C: mat.DenseCopyOf(c), W: mat.NewDense(n, d, nil), Z: make([]float64, n)}
	err = batch.Run(ctx, n, workers, func(i int) error {
		z, err := o.Solve(ctx, ds.W.RawRowView(i), ds.C.RawRowView(i))
		ds.Z[i] = z
		if err == nil && (math.IsNaN(z) || math.IsInf(z, 0) || !finite(ds.W.RawRowView(i))) {
			err = fmt.Errorf("%w: oracle returned NaN or Inf", ErrNaN)
		}
		return err
	})
	if err != nil {
		return nil, callbackErr(err)
	}
	return ds, nil
}

// Len returns the number of pairs (0 for a nil d).
func (d *Dataset) Len() int {
	if d == nil {
		return 0
	}
	return len(d.Z)
}

// Split returns the first k pairs and the rest (sharing no memory with d);
// 0 ≤ k ≤ Len() is required (a k out of range panics, as a slice
// expression does).
func (d *Dataset) Split(k int) (*Dataset, *Dataset) {
	return d.Rows(0, k), d.Rows(k, d.Len())
}

// Rows returns a copy of pairs lo..hi−1; 0 ≤ lo < hi ≤ Len() is required
// (a range out of bounds or empty panics, as a slice expression does).
func (d *Dataset) Rows(lo, hi int) *Dataset {
	return &Dataset{
		X: mat.DenseCopyOf(d.X.Slice(lo, hi, 0, d.X.RawMatrix().Cols)),
		C: mat.DenseCopyOf(d.C.Slice(lo, hi, 0, d.C.RawMatrix().Cols)),
		W: mat.DenseCopyOf(d.W.Slice(lo, hi, 0, d.W.RawMatrix().Cols)),
		Z: append([]float64(nil), d.Z[lo:hi]...),
	}
}

// Regret returns the normalized regret of predicted costs chat (one row per
// pair of d) on d:
//
//	Σᵢ s (cᵢᵀŵᵢ − z*ᵢ) / Σᵢ |z*ᵢ|,   ŵᵢ = w*(ĉᵢ),
//
// with s = +1 for minimization and −1 for maximization, so the regret is
// non-negative. Oracle calls run on s.Workers goroutines (see Settings).
// A nil o, chat or d is ErrInvalid; a panicking oracle is an error
// matching ErrCallback; the pairs whose oracle call failed are named by an
// *implicit.BatchError.
func Regret(ctx context.Context, o Oracle, chat *mat.Dense, d *Dataset, s *Settings) (r float64, err error) {
	if isNil(o) || chat == nil || d == nil || d.C == nil {
		return 0, fmt.Errorf("%w: Regret needs an oracle, predictions and a dataset", ErrInvalid)
	}
	workers, err := s.workers()
	if err != nil {
		return 0, err
	}
	defer recoverCallback(&err)
	n, dim := chat.Dims()
	if n != d.Len() || dim != o.Dim() {
		return 0, fmt.Errorf("%w: predictions %d×%d for %d pairs of dim %d", ErrDims, n, dim, d.Len(), o.Dim())
	}
	loss := make([]float64, n)
	err = batch.Run(ctx, n, workers, func(i int) error {
		w := make([]float64, dim)
		if _, err := o.Solve(ctx, w, chat.RawRowView(i)); err != nil {
			return err
		}
		loss[i] = o.Sense().sign() * (mat.Dot(mat.NewVecDense(dim, w), mat.NewVecDense(dim, d.C.RawRowView(i))) - d.Z[i])
		return nil
	})
	if err != nil {
		return 0, callbackErr(err)
	}
	num, den := 0.0, 0.0
	for i := range loss {
		num += loss[i]
		den += math.Abs(d.Z[i])
	}
	if den == 0 {
		return 0, fmt.Errorf("%w: all optimal values are zero, normalized regret undefined", ErrInvalid)
	}
	if r = num / den; math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, fmt.Errorf("%w: regret is %v (NaN or Inf predictions or oracle outputs)", ErrNaN, r)
	}
	return r, nil
}

// UnambiguousRegret is [Regret] with ties broken against the model: among
// the minimizers of ĉᵀw it takes the one worst under the true cost, found
// by solving with ĉ − δ·c (ĉ + δ·c for a maximization), δ = eps·‖ĉ‖∞/‖c‖∞
// (eps ≤ 0 means 1e-7). It guards the metric against a model that wins by
// predicting constant costs and relying on the oracle's tie-breaking
// (PyEPO's unambiguous regret).
func UnambiguousRegret(ctx context.Context, o Oracle, chat *mat.Dense, d *Dataset, eps float64, s *Settings) (r float64, err error) {
	if isNil(o) || chat == nil || d == nil || d.C == nil {
		return 0, fmt.Errorf("%w: UnambiguousRegret needs an oracle, predictions and a dataset", ErrInvalid)
	}
	defer recoverCallback(&err)
	n, dim := chat.Dims()
	if n != d.Len() || dim != o.Dim() {
		return 0, fmt.Errorf("%w: predictions %d×%d for %d pairs of dim %d", ErrDims, n, dim, d.Len(), o.Dim())
	}
	if !(eps > 0) {
		eps = 1e-7
	}
	shifted := mat.NewDense(n, dim, nil)
	sign := o.Sense().sign()
	for i := 0; i < n; i++ {
		ch, c, row := chat.RawRowView(i), d.C.RawRowView(i), shifted.RawRowView(i)
		mh, mc := 0.0, 0.0
		for k := range ch {
			mh = max(mh, math.Abs(ch[k]))
			mc = max(mc, math.Abs(c[k]))
		}
		delta := 0.0
		if mc > 0 {
			delta = eps * max(mh, 1e-12) / mc
		}
		for k := range row {
			row[k] = ch[k] - sign*delta*c[k]
		}
	}
	return Regret(ctx, o, shifted, d, s)
}
