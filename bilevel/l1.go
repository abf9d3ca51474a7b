package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/prox"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// L1Regression is a linear model with an l1 (and optionally l2) penalty
// and no intercept:
//
//	g(w, θ) = f(w) + Σⱼ λ₁ⱼ |wⱼ| + (λ₂/2)‖w‖²,
//
// where f is the squared loss (1/2m)‖y − Xw‖² (lasso, weighted lasso,
// elastic net: [prox.Lasso]) or the logistic loss
// (1/m) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) with yᵢ ∈ {−1, +1} (l1-logistic
// regression: [prox.Logistic]). The hyperparameters are θ = log λ₁ (one,
// or one per feature), followed by log λ₂ for the elastic net: the
// penalty of package prox on its log scale.
//
// Fit solves the squared-loss models with the coordinate descent of
// prox.Lasso (Gram or residual updates, working sets, Anderson
// extrapolation, Gap Safe screening), the logistic loss with the proximal
// Newton method of prox.Logistic (newGLMNET, Yuan, Ho and Lin 2012). The
// optimality condition is the proximal-gradient fixed point of package
// prox with step η = 1/L_f, scaled to
//
//	F(w, θ) = (w − prox_{ηg}(w − η∇f(w); θ)) / η,
//
// which equals ∇f + λ₂w + λ₁ sign(w) on the support (so that I − η∂ₓF is
// the iteration's Jacobian) and whose ∂ₓF is solved through the support
// system of package prox (one Cholesky factorization of size |S|).
type L1Regression struct {
	lasso    *prox.Lasso    // squared loss
	logistic *prox.Logistic // logistic loss
	comp     *prox.Composite
	penalty  smooth.Strengths
	enet     bool
	n, p     int
	eta      float64 // step of the condition, 1/L_f
	lf       float64 // Lipschitz constant of ∇f
	lmax     float64 // ‖∇f(0)‖∞
}

// NewLasso returns the lasso (smooth.Shared) or weighted lasso
// (smooth.PerFeature) model (1/2m)‖y − Xw‖² + Σⱼ λⱼ|wⱼ| of the training
// data (x, y). x is copied.
func NewLasso(x mat.Matrix, y []float64, s smooth.Strengths) (*L1Regression, error) {
	return newL1(x, y, false, s, false)
}

// NewElasticNet returns the elastic net (1/2m)‖y − Xw‖² + λ₁‖w‖₁ +
// (λ₂/2)‖w‖² with θ = (log λ₁, log λ₂).
func NewElasticNet(x mat.Matrix, y []float64) (*L1Regression, error) {
	return newL1(x, y, false, smooth.Shared, true)
}

// NewSparseLogistic returns l1-regularized logistic regression
// (1/m) Σ log(1 + exp(−yᵢxᵢᵀw)) + Σⱼ λⱼ|wⱼ|, y in {−1, +1}, with one λ
// (smooth.Shared) or one per feature (smooth.PerFeature).
func NewSparseLogistic(x mat.Matrix, y []float64, s smooth.Strengths) (*L1Regression, error) {
	if _, _, err := checkShape(x, y); err != nil {
		return nil, err
	}
	if err := checkSigns(y, true); err != nil {
		return nil, err
	}
	return newL1(x, y, true, s, false)
}

func newL1(x mat.Matrix, y []float64, logistic bool, s smooth.Strengths, enet bool) (*L1Regression, error) {
	if s != smooth.Shared && s != smooth.PerFeature {
		return nil, fmt.Errorf("%w: l1 strengths must be Shared or PerFeature, not %v", ErrInvalid, s)
	}
	d, err := newData(x, y) // validation and the step bound
	if err != nil {
		return nil, err
	}
	m := &L1Regression{penalty: s, enet: enet, lf: d.maxEig()}
	pen := prox.Penalty{Strengths: s, ElasticNet: enet, LogScale: true}
	if logistic {
		m.lf /= 4
		if m.logistic, err = prox.NewLogistic(d.x, d.y, pen); err != nil {
			return nil, proxErr(err)
		}
		m.comp = m.logistic.Composite()
		m.n, m.p = m.logistic.Dims()
	} else {
		if m.lasso, err = prox.NewLasso(d.x, d.y, pen); err != nil {
			return nil, proxErr(err)
		}
		m.comp = m.lasso.Composite()
		m.n, m.p = m.lasso.Dims()
	}
	m.lf = math.Max(m.lf, 1e-12)
	m.eta = 1 / m.lf
	m.lmax = d.lambdaMax(logistic)
	return m, nil
}

// lambdaMax returns ‖∇f(0)‖∞: ‖Xᵀy‖∞/m for the squared loss, half of it
// for the logistic loss (the solvers' own value up to rounding; this
// package's is the one its grids and starting points have always used).
func (d *data) lambdaMax(logistic bool) float64 {
	g := make([]float64, d.d)
	rows := float64(d.rows)
	if !logistic && d.rows >= d.d {
		d.mulXT(g, d.y)
		return maxAbs(g) / rows
	}
	r := make([]float64, d.rows)
	for i, yi := range d.y {
		r[i] = -yi / rows
		if logistic {
			r[i] = -yi * 0.5 / rows
		}
	}
	d.mulXT(g, r)
	return maxAbs(g)
}

// proxErr maps an error of package prox onto this package's errors.
func proxErr(err error) error {
	switch {
	case errors.Is(err, prox.ErrNaN):
		return fmt.Errorf("%w: %w", ErrNaN, err)
	case errors.Is(err, prox.ErrDims):
		return fmt.Errorf("%w: %w", ErrDims, err)
	case errors.Is(err, prox.ErrNotConverged):
		return fmt.Errorf("%w: %w", ErrNotConverged, err)
	case errors.Is(err, prox.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return fmt.Errorf("bilevel: %w", err)
}

func (m *L1Regression) ok() bool { return m != nil && m.comp != nil }

// Dims returns the number of features and of hyperparameters.
func (m *L1Regression) Dims() (n, p int) {
	if !m.ok() {
		return 0, 0
	}
	return m.n, m.p
}

// LambdaMax returns the smallest shared λ₁ for which w* = 0 (with λ₂ = 0):
// ‖∇f(0)‖∞. Above it the validation criterion is flat and its
// hypergradient zero, so start outer optimizers below log LambdaMax()
// (log(LambdaMax()/10) is a good default, as in sparse-ho).
func (m *L1Regression) LambdaMax() float64 {
	if !m.ok() {
		return math.NaN()
	}
	return m.lmax
}

// Fit minimizes g(·, θ) warm-started from w, overwriting w. tol (default
// 1e-9) is relative to ‖∇f(0)‖∞ and bounds the optimality (KKT)
// violation maxⱼ dist(−∇ⱼf − λ₂wⱼ, λ₁ⱼ∂|wⱼ|) (at most 100000 epochs, or
// 500 Newton steps for the logistic loss). The returned count is the
// number of epochs (coordinate updates / d, rounded up) or of Newton
// steps.
func (m *L1Regression) Fit(ctx context.Context, w, theta []float64, tol float64) (int, error) {
	if !m.ok() {
		return 0, errNilModel
	}
	if err := checkW(w, m.n); err != nil {
		return 0, err
	}
	if err := checkTheta(theta, m.p); err != nil {
		return 0, err
	}
	if err := checkTol("tol", tol); err != nil {
		return 0, err
	}
	if tol <= 0 {
		tol = 1e-9
	}
	if m.lmax == 0 {
		clear(w)
		return 0, nil
	}
	var iters int
	var err error
	if m.logistic != nil {
		var res *prox.Result
		res, err = m.logistic.Solve(ctx, theta, w, &prox.Settings{Tol: tol * m.lmax})
		if res != nil {
			copy(w, res.X)
			iters = res.Iterations
		}
	} else {
		var res *prox.LassoResult
		res, err = m.lasso.Solve(ctx, theta, w, &prox.CDSettings{Tol: tol, GapTol: -1})
		if res != nil {
			copy(w, res.W)
			iters = int(math.Ceil(res.Epochs))
		}
	}
	if err == nil {
		return iters, nil
	}
	if e := ctx.Err(); e != nil {
		return iters, e
	}
	return iters, proxErr(err)
}

// ThetaGradient sets dst to ∂g/∂θ: λ₁ⱼ|wⱼ| summed (Shared) or per
// feature, and ½λ₂‖w‖² for the elastic net.
func (m *L1Regression) ThetaGradient(dst, w, theta []float64) {
	if !m.ok() {
		nanFill(dst)
		return
	}
	if len(dst) != m.p || badPoint(w, theta, m.n, m.p) != nil {
		nanFill(dst)
		return
	}
	clear(dst)
	for j, v := range w {
		if m.penalty == smooth.PerFeature {
			dst[j] = math.Exp(theta[j]) * math.Abs(v)
		} else {
			dst[0] += math.Exp(theta[0]) * math.Abs(v)
		}
	}
	if m.enet {
		dst[1] = 0.5 * math.Exp(theta[1]) * dot(w, w)
	}
}

// Condition returns the proximal-gradient fixed-point condition, scaled
// by −1/η (see [L1Regression]).
func (m *L1Regression) Condition() implicit.Condition {
	if !m.ok() {
		return guard(nilCondition{})
	}
	if m.lasso != nil {
		return guard(scaled(m.lasso.ConditionStep(m.eta), -1/m.eta))
	}
	return guard(scaled(prox.Condition(m.comp, m.eta), -1/m.eta))
}

// SupportSystem implements SupportModel: it reads H_SS and B_S off the
// rows S of the condition's linearization.
func (m *L1Regression) SupportSystem(w, theta []float64) (support []int, hss, bs []float64) {
	if !m.ok() || badPoint(w, theta, m.n, m.p) != nil {
		return nil, nil, nil
	}
	dx, dth, err := m.Condition().Linearize(w, theta)
	if err != nil {
		return nil, nil, nil
	}
	for j, v := range w {
		if v != 0 {
			support = append(support, j)
		}
	}
	k, n, p := len(support), m.n, m.p
	hss, bs = make([]float64, k*k), make([]float64, k*p)
	e, col := make([]float64, n), make([]float64, n)
	for b, j := range support {
		e[j] = 1
		dx.Apply(col, e)
		e[j] = 0
		for a, i := range support {
			hss[a*k+b] = col[i]
		}
	}
	et := make([]float64, p)
	for t := range p {
		et[t] = 1
		dth.Apply(col, et)
		et[t] = 0
		for a, i := range support {
			bs[a*p+t] = col[i]
		}
	}
	return support, hss, bs
}

// Iteration returns the proximal-gradient step of package prox,
// T(w, θ) = prox_{ηg}(w − η∇f(w); θ), with η = 1/(L_f + λ₂).
func (m *L1Regression) Iteration(theta []float64) (implicit.Map, float64) {
	if !m.ok() {
		return invalidMap{0, 0, errNilModel}, math.NaN()
	}
	if err := checkTheta(theta, m.p); err != nil {
		return invalidMap{m.n, m.p, err}, math.NaN()
	}
	eta := 1 / m.lf
	if m.enet {
		eta = 1 / (m.lf + math.Exp(theta[1]))
	}
	return guardedMap{prox.FixedPoint(m.comp, eta)}, eta
}

// scaled returns the condition αF (α ≠ 0). Its ∂ₓF keeps the solves of a
// factorized ∂ₓF.
func scaled(c implicit.Condition, alpha float64) implicit.Condition {
	return scaledCondition{c, alpha}
}

type scaledCondition struct {
	c     implicit.Condition
	alpha float64
}

func (s scaledCondition) Dims() (int, int) { return s.c.Dims() }

func (s scaledCondition) Residual(dst, x, theta []float64) {
	s.c.Residual(dst, x, theta)
	for i := range dst {
		dst[i] *= s.alpha
	}
}

func (s scaledCondition) Linearize(x, theta []float64) (implicit.Operator, implicit.Operator, error) {
	dx, dth, err := s.c.Linearize(x, theta)
	if err != nil {
		return nil, nil, err
	}
	if f, ok := dx.(linsolve.Factorized); ok {
		return scaledFactor{f, s.alpha}, linsolve.Scaled(s.alpha, dth), nil
	}
	return linsolve.Scaled(s.alpha, dx), linsolve.Scaled(s.alpha, dth), nil
}

// scaledFactor is αA for a factorized A.
type scaledFactor struct {
	a     linsolve.Factorized
	alpha float64
}

func (f scaledFactor) Dims() (int, int) { return f.a.Dims() }

func (f scaledFactor) Apply(dst, v []float64) {
	f.a.Apply(dst, v)
	for i := range dst {
		dst[i] *= f.alpha
	}
}

func (f scaledFactor) ApplyT(dst, u []float64) {
	f.a.ApplyT(dst, u)
	for i := range dst {
		dst[i] *= f.alpha
	}
}

func (f scaledFactor) Solve(dst, b []float64) error {
	if err := f.a.Solve(dst, b); err != nil {
		return err
	}
	for i := range dst {
		dst[i] /= f.alpha
	}
	return nil
}

func (f scaledFactor) SolveT(dst, b []float64) error {
	if err := f.a.SolveT(dst, b); err != nil {
		return err
	}
	for i := range dst {
		dst[i] /= f.alpha
	}
	return nil
}

var _ linsolve.Factorized = scaledFactor{}
