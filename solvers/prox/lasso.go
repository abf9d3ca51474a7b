package prox

import (
	"context"
	"fmt"
	"github.com/optlayers/optlayers/implicit"
	"math"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/parallel"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// Penalty selects the regularizer of a [Lasso] or [Logistic] problem and
// the layout of its parameter vector θ:
//
//	Strengths smooth.Shared:      λ‖w‖₁,            θ = (λ)
//	Strengths smooth.PerFeature:  Σⱼ λⱼ|wⱼ|,         θ = (λ₁, …, λ_d)
//	ElasticNet (Shared only):     λ‖w‖₁ + (λ₂/2)‖w‖², θ = (λ, λ₂)
//
// With LogScale, θ holds the logarithms of the strengths (λ = e^θ, the
// parametrization of hyperparameter search: any finite θ ≤ 709 is
// valid, and derivatives are with respect to log λ). The zero value is
// the lasso λ‖w‖₁ on the linear scale.
type Penalty struct {
	Strengths  smooth.Strengths
	ElasticNet bool
	LogScale   bool
}

func (p Penalty) String() string {
	s := "L1"
	switch {
	case p.ElasticNet:
		s = "ElasticNet"
	case p.Strengths == smooth.PerFeature:
		s = "WeightedL1"
	}
	if p.LogScale {
		s += " (log scale)"
	}
	return s
}

func (p Penalty) check() error {
	if p.Strengths != smooth.Shared && p.Strengths != smooth.PerFeature {
		return fmt.Errorf("%w: penalty strengths %v (want Shared or PerFeature)", ErrInvalid, p.Strengths)
	}
	if p.ElasticNet && p.Strengths != smooth.Shared {
		return fmt.Errorf("%w: the elastic net has shared strengths", ErrInvalid)
	}
	return nil
}

// numParams returns the length of θ for d features.
func (p Penalty) numParams(d int) int {
	switch {
	case p.Strengths == smooth.PerFeature:
		return d
	case p.ElasticNet:
		return 2
	}
	return 1
}

// regularizer returns the prox operator of the penalty, θ laid out as
// the penalty says.
func (p Penalty) regularizer() Diagonal {
	var g Diagonal = L1{}
	switch {
	case p.Strengths == smooth.PerFeature:
		g = L1{PerCoordinate: true}
	case p.ElasticNet:
		g = ElasticNet{}
	}
	if p.LogScale {
		return LogScale(g).(Diagonal)
	}
	return g
}

// checkTheta validates θ: its length (p), finiteness and sign (linear
// scale) or overflow of e^θ (log scale).
func (p Penalty) checkTheta(theta []float64, np int) error {
	if len(theta) != np {
		return fmt.Errorf("%w: %v penalty needs %d parameters, have %d", ErrDims, p, np, len(theta))
	}
	for j, t := range theta {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("%w: θ[%d] = %v", ErrNaN, j, t)
		}
		if !p.LogScale && t < 0 {
			return fmt.Errorf("%w: θ[%d] = %v is negative", ErrInvalid, j, t)
		}
		if p.LogScale && t > maxLogStrength {
			return fmt.Errorf("%w: θ[%d] = %v: e^θ overflows", ErrInvalid, j, t)
		}
	}
	return nil
}

// maxLogStrength is the largest θ whose e^θ is finite.
const maxLogStrength = 709

// strengths returns the strengths λ of θ: θ itself on the linear scale,
// e^θ (a new slice) on the log scale.
func (p Penalty) strengths(theta []float64) []float64 {
	if !p.LogScale {
		return theta
	}
	lam := make([]float64, len(theta))
	for j, t := range theta {
		lam[j] = math.Exp(t)
	}
	return lam
}

// Lasso is a lasso-type least-squares problem
//
//	minimize_w  (1/2n) ‖y − Xw‖² + Σⱼ λⱼ|wⱼ| + (λ₂/2) ‖w‖²,
//
// X n×d, with λⱼ and λ₂ given by θ as the [Penalty] says. It is solved by
// cyclic coordinate descent ([Lasso.Solve]) and differentiated with
// respect to θ either through the generic fixed-point condition
// ([Lasso.Condition]) or on the support only ([Lasso.Linearize]).
//
// A Lasso holds a column-major copy of X and is read-only after
// construction: one Lasso may be solved from several goroutines at once.
//
// The methods of a nil *Lasso (or of a &Lasso{} not built by NewLasso)
// do not panic: those with an error return
// ErrInvalid, the others zero values (NaN for LambdaMax and Lipschitz, nil
// for Regularizer and Composite, a condition whose Linearize fails).
type Lasso struct {
	n, d    int
	penalty Penalty
	xc      []float64 // column j is xc[j*n : (j+1)*n]
	y       []float64
	colSq   []float64 // ‖X_j‖²/n
	xty     []float64 // Xᵀy/n
	yy      float64   // ‖y‖²/(2n) = P(0)
	lipOnce sync.Once
	lip     float64 // estimate of the largest eigenvalue of XᵀX/n
	dense   *mat.Dense

	gramOnce sync.Once
	gram     []float64 // XᵀX/n, d×d row-major, computed on first use
}

// NewLasso validates and copies X (n×d) and y (length n).
func NewLasso(x mat.Matrix, y []float64, penalty Penalty) (*Lasso, error) {
	if isNil(x) {
		return nil, fmt.Errorf("%w: nil X", ErrDims)
	}
	n, d := x.Dims()
	if n == 0 || d == 0 {
		return nil, fmt.Errorf("%w: empty design matrix %d×%d", ErrDims, n, d)
	}
	if len(y) != n {
		return nil, fmt.Errorf("%w: X has %d rows, len(y)=%d", ErrDims, n, len(y))
	}
	if err := penalty.check(); err != nil {
		return nil, err
	}
	if !finite(y) {
		return nil, fmt.Errorf("%w: in y", ErrNaN)
	}
	l := &Lasso{n: n, d: d, penalty: penalty, xc: make([]float64, n*d), y: append([]float64(nil), y...),
		colSq: make([]float64, d), xty: make([]float64, d), dense: mat.NewDense(n, d, nil)}
	l.dense.Copy(x)
	inv := 1 / float64(n)
	for j := range d {
		col := l.xc[j*n : (j+1)*n]
		for i := range n {
			v := l.dense.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: X[%d,%d] = %v", ErrNaN, i, j, v)
			}
			col[i] = v
		}
		l.colSq[j] = dot(col, col) * inv
		l.xty[j] = dot(col, y) * inv
	}
	l.yy = 0.5 * dot(y, y) * inv
	if !finite(l.colSq) || !finite(l.xty) || math.IsInf(l.yy, 0) {
		return nil, fmt.Errorf("%w: X or y too large (‖Xⱼ‖² or ‖y‖² overflows); rescale the data", ErrNaN)
	}
	return l, nil
}

// Dims returns the number of features d and of parameters p.
func (l *Lasso) Dims() (d, p int) {
	if l == nil || l.d == 0 {
		return 0, 0
	}
	return l.d, l.NumParams()
}

// Samples returns n, the number of rows of X.
func (l *Lasso) Samples() int {
	if l == nil || l.d == 0 {
		return 0
	}
	return l.n
}

// NumParams returns the length of θ: 1, d or 2.
func (l *Lasso) NumParams() int {
	if l == nil || l.d == 0 {
		return 0
	}
	return l.penalty.numParams(l.d)
}

// Penalty returns the problem's penalty.
func (l *Lasso) Penalty() Penalty {
	if l == nil || l.d == 0 {
		return Penalty{}
	}
	return l.penalty
}

// Lipschitz returns an estimate of L = ‖X‖₂²/n, the Lipschitz constant of
// the gradient of the least-squares term, by power iteration to 1e-6
// relative accuracy (at most 200 products with XᵀX, computed on the first
// call). It is the step 1/L of [Lasso.Condition]; any positive step gives
// the same condition, so the estimate need not be exact. If X is so large
// that L overflows, it returns +Inf.
func (l *Lasso) Lipschitz() float64 {
	if l == nil || l.d == 0 {
		return math.NaN()
	}
	l.lipOnce.Do(func() { l.lip = powerIteration(l.xc, l.n, l.d) })
	return l.lip
}

// LambdaMax returns ‖Xᵀy‖∞/n, the smallest λ for which w = 0 solves the
// lasso with shared strengths.
func (l *Lasso) LambdaMax() float64 {
	if l == nil || l.d == 0 {
		return math.NaN()
	}
	var m float64
	for _, v := range l.xty {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// lam returns λⱼ, the l1 strength of feature j, from the strengths λ
// (the θ of the linear scale; see Penalty.strengths).
func (l *Lasso) lam(lambda []float64, j int) float64 {
	if l.penalty.Strengths == smooth.PerFeature {
		return lambda[j]
	}
	return lambda[0]
}

// l2 returns λ₂ from the strengths λ.
func (l *Lasso) l2(lambda []float64) float64 {
	if l.penalty.ElasticNet {
		return lambda[1]
	}
	return 0
}

// CheckTheta validates θ: its length, finiteness and sign (linear scale)
// or the overflow of e^θ (log scale).
func (l *Lasso) CheckTheta(theta []float64) error {
	if l == nil || l.d == 0 {
		return errNilLasso
	}
	return l.penalty.checkTheta(theta, l.NumParams())
}

// Regularizer returns the prox operator of the penalty, with the same
// parameter layout θ (wrapped in [LogScale] on the log scale).
func (l *Lasso) Regularizer() Diagonal {
	if l == nil || l.d == 0 {
		return nil
	}
	return l.penalty.regularizer()
}

// Composite returns the problem as f + g for the proximal-gradient solver
// and the generic fixed-point condition: f(w) = (1/2n)‖y − Xw‖² (no
// parameters) and g = Regularizer(), so θ has the same layout. Each call
// builds a new problem (copying X); the smooth part caches products and is
// not safe for concurrent use, so use one Composite per goroutine.
func (l *Lasso) Composite() *Composite {
	if l == nil || l.d == 0 {
		return nil
	}
	f, err := smooth.LeastSquares(l.dense, l.y)
	if err != nil {
		panic(err) // X and y were validated by NewLasso
	}
	return &Composite{F: f, G: l.Regularizer()}
}

// smallGram reports whether products with XᵀX/n go through the Gram
// matrix (d ≤ n and d ≤ 256, as for the Gram updates of Solve).
func (l *Lasso) smallGram() bool { return l.d <= l.n && l.d <= 256 }

// Objective returns the primal objective at w.
func (l *Lasso) Objective(w, theta []float64) (float64, error) {
	if l == nil || l.d == 0 {
		return 0, errNilLasso
	}
	if err := l.checkPoint(w, theta); err != nil {
		return 0, err
	}
	r := make([]float64, l.n)
	l.residual(r, w)
	return l.primal(r, w, l.penalty.strengths(theta)), nil
}

func (l *Lasso) checkPoint(w, theta []float64) error {
	if err := l.CheckTheta(theta); err != nil {
		return err
	}
	if len(w) != l.d {
		return fmt.Errorf("%w: len(w)=%d, want %d", ErrDims, len(w), l.d)
	}
	if !finite(w) {
		return fmt.Errorf("%w: in w", ErrNaN)
	}
	return nil
}

func (l *Lasso) primal(r, w, theta []float64) float64 {
	return 0.5*dot(r, r)/float64(l.n) + l.penaltyValue(w, theta)
}

func (l *Lasso) penaltyValue(w, theta []float64) float64 {
	var p float64
	l2 := l.l2(theta)
	for j, v := range w {
		if v != 0 {
			p += l.lam(theta, j)*math.Abs(v) + 0.5*l2*v*v
		}
	}
	return p
}

// residual sets r = y − Xw.
func (l *Lasso) residual(r, w []float64) {
	copy(r, l.y)
	for j, v := range w {
		if v != 0 {
			axpy(-v, l.xc[j*l.n:(j+1)*l.n], r)
		}
	}
}

// correlations sets g = Xᵀr/n.
func (l *Lasso) correlations(g, r []float64) {
	inv := 1 / float64(l.n)
	for j := range l.d {
		g[j] = dot(l.xc[j*l.n:(j+1)*l.n], r) * inv
	}
}

// DualityGap returns the duality gap at w (≥ 0, zero exactly at the
// solution) and the KKT violation maxⱼ dist(Xⱼᵀr/n − λ₂wⱼ, λⱼ∂|wⱼ|).
// The dual point is the rescaled residual u = s r/n,
// s = min(1, minⱼ λⱼ/|Xⱼᵀr/n|) (λ₂ = 0; dual D(u) = uᵀy − (n/2)‖u‖²),
// or u = r/n with the elastic-net conjugate when λ₂ > 0. With λ₂ = 0 and
// some λⱼ = 0 the dual point is infeasible and the gap is +Inf unless
// Xⱼᵀr = 0.
func (l *Lasso) DualityGap(w, theta []float64) (gap, kkt float64, err error) {
	if l == nil || l.d == 0 {
		return 0, 0, errNilLasso
	}
	if err := l.checkPoint(w, theta); err != nil {
		return 0, 0, err
	}
	r := make([]float64, l.n)
	g := make([]float64, l.d)
	l.residual(r, w)
	l.correlations(g, r)
	n := float64(l.n)
	gap, kkt = l.gapKKT(dot(r, r)/n, dot(r, l.y)/n, g, w, l.penalty.strengths(theta))
	return gap, kkt, nil
}

// gapKKT returns the gap and KKT violation from rr = ‖r‖²/n,
// ry = rᵀy/n and g = Xᵀr/n.
func (l *Lasso) gapKKT(rr, ry float64, g, w, theta []float64) (gap, kkt float64) {
	l2 := l.l2(theta)
	primal := 0.5*rr + l.penaltyValue(w, theta)
	for j, gj := range g {
		lj := l.lam(theta, j)
		var v float64
		if w[j] != 0 {
			v = math.Abs(gj - l2*w[j] - lj*sign(w[j]))
		} else {
			v = math.Max(math.Abs(gj)-lj, 0)
		}
		kkt = math.Max(kkt, v)
	}
	var dual float64
	if l2 > 0 {
		var conj float64
		for j, gj := range g {
			e := math.Max(math.Abs(gj)-l.lam(theta, j), 0)
			conj += e * e
		}
		dual = ry - 0.5*rr - conj/(2*l2)
	} else {
		s := l.dualScale(g, theta)
		if s == 0 {
			return math.Inf(1), kkt
		}
		dual = s*ry - 0.5*s*s*rr
	}
	return math.Max(primal-dual, 0), kkt
}

// dualScale returns s = min(1, minⱼ λⱼ/|gⱼ|), the scaling that makes
// u = s·r/n dual feasible (|Xⱼᵀu| ≤ λⱼ) for λ₂ = 0, or 0 when an
// unpenalized feature has gⱼ ≠ 0 (no scaling is feasible).
func (l *Lasso) dualScale(g, theta []float64) float64 {
	s := 1.0
	for j, gj := range g {
		a := math.Abs(gj)
		if a == 0 {
			continue
		}
		lj := l.lam(theta, j)
		if lj == 0 {
			return 0
		}
		s = math.Min(s, lj/a)
	}
	return s
}

// powerIteration returns the largest eigenvalue of XᵀX/n, X n×d stored
// column-major in xc.
func powerIteration(xc []float64, n, d int) float64 {
	v := make([]float64, d)
	rng := rand.New(rand.NewPCG(1, 2)) // a fixed, generic start
	for j := range v {
		v[j] = rng.NormFloat64()
	}
	u := make([]float64, n)
	var lam float64
	for it := 0; it < 200; it++ {
		nv := math.Sqrt(dot(v, v))
		if nv == 0 {
			return 0
		}
		for j := range v {
			v[j] /= nv
		}
		clear(u)
		for j, vj := range v {
			axpy(vj, xc[j*n:(j+1)*n], u)
		}
		for j := range v {
			v[j] = dot(xc[j*n:(j+1)*n], u) / float64(n)
		}
		nl := dot(u, u) / float64(n)
		if math.Abs(nl-lam) <= 1e-6*nl {
			lam = nl
			break
		}
		lam = nl
	}
	return lam
}

// dot and axpy use gonum's assembly kernels: they are the inner loops of
// coordinate descent.
func dot(x, y []float64) float64 { return floats.Dot(x, y[:len(x)]) }

// axpy sets y += a·x.
func axpy(a float64, x, y []float64) { floats.AddScaled(y[:len(x)], a, x) }

// LambdaGrid returns k strengths from lambdaMax down to ratio·lambdaMax,
// evenly spaced on a log scale (the usual lasso path grid). It returns nil
// for k ≤ 0, and an error for a lambdaMax that is negative or not finite
// or a ratio that is not finite and positive.
func LambdaGrid(lambdaMax, ratio float64, k int) ([]float64, error) {
	if !(lambdaMax >= 0) || math.IsInf(lambdaMax, 1) {
		return nil, fmt.Errorf("%w: λ_max = %v (must be finite and ≥ 0)", ErrInvalid, lambdaMax)
	}
	if !(ratio > 0) || math.IsInf(ratio, 1) {
		return nil, fmt.Errorf("%w: ratio = %v (must be finite and > 0)", ErrInvalid, ratio)
	}
	if k <= 0 {
		return nil, nil
	}
	out := make([]float64, k)
	for i := range k {
		if k == 1 {
			out[i] = lambdaMax
			break
		}
		out[i] = lambdaMax * math.Pow(ratio, float64(i)/float64(k-1))
	}
	if !finite(out) {
		return nil, fmt.Errorf("%w: λ_max·ratio overflows", ErrInvalid)
	}
	return out, nil
}

// Path solves the problem for each strength in lambdas (λ, not log λ,
// whatever the penalty's scale), in order, each warm-started from the
// previous solution (decreasing strengths are the efficient order). For
// per-feature strengths every feature gets the same λ; for the elastic
// net λ₂ = 0, which the log scale cannot express (ErrInvalid; use
// PathTheta for a general sequence of θ). It stops at the first error and
// returns the results so far.
func (l *Lasso) Path(ctx context.Context, lambdas []float64, s *CDSettings) ([]*LassoResult, error) {
	if l == nil || l.d == 0 {
		return nil, errNilLasso
	}
	if l.penalty.ElasticNet && l.penalty.LogScale {
		return nil, fmt.Errorf("%w: Path sets λ₂ = 0, which has no logarithm; use PathTheta", ErrInvalid)
	}
	thetas := make([][]float64, len(lambdas))
	for k, lam := range lambdas {
		if l.penalty.LogScale {
			lam = math.Log(lam)
		}
		switch {
		case l.penalty.Strengths == smooth.PerFeature:
			th := make([]float64, l.d)
			for j := range th {
				th[j] = lam
			}
			thetas[k] = th
		case l.penalty.ElasticNet:
			thetas[k] = []float64{lam, 0}
		default:
			thetas[k] = []float64{lam}
		}
	}
	return l.PathTheta(ctx, thetas, s)
}

// PathTheta solves the problem for each θ in thetas, in order, each
// warm-started from the previous solution.
func (l *Lasso) PathTheta(ctx context.Context, thetas [][]float64, s *CDSettings) ([]*LassoResult, error) {
	if l == nil || l.d == 0 {
		return nil, errNilLasso
	}
	out := make([]*LassoResult, 0, len(thetas))
	var init []float64
	for k, th := range thetas {
		res, err := l.Solve(ctx, th, init, s)
		if err != nil {
			if res != nil {
				out = append(out, res)
			}
			return out, fmt.Errorf("path point %d: %w", k, err)
		}
		out = append(out, res)
		init = res.W
	}
	return out, nil
}

// SolveBatch solves the problem independently for each θ in thetas
// (from zero, or from inits[k] when inits is non-nil) on s.Workers
// goroutines (0 means runtime.GOMAXPROCS). Each solve is deterministic,
// so the results do not depend on the number of workers. It returns all
// results (nil where a solve failed) and the error of the lowest failing
// index.
func (l *Lasso) SolveBatch(ctx context.Context, thetas, inits [][]float64, s *CDSettings) ([]*LassoResult, error) {
	if l == nil || l.d == 0 {
		return nil, errNilLasso
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if inits != nil && len(inits) != len(thetas) {
		return nil, fmt.Errorf("%w: %d warm starts for %d problems", ErrDims, len(inits), len(thetas))
	}
	workers := 0
	if s != nil {
		workers = s.Workers
	}
	out := make([]*LassoResult, len(thetas))
	errs := make([]error, len(thetas))
	parallel.For(len(thetas), workers, func(k int) {
		var init []float64
		if inits != nil {
			init = inits[k]
		}
		out[k], errs[k] = l.Solve(ctx, thetas[k], init, s)
	})
	// The module's batch error: every failing index with its error; the
	// results of the other problems are returned.
	return out, implicit.NewBatchError(errs)
}
