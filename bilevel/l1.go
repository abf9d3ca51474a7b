package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/prox"
)

type lossKind int

const (
	squaredLoss lossKind = iota
	logisticLoss
)

// L1Regression is a linear model with an l1 (and optionally l2) penalty
// and no intercept:
//
//	g(w, θ) = f(w) + Σⱼ λ₁ⱼ |wⱼ| + (λ₂/2)‖w‖²,
//
// where f is the squared loss (1/2m)‖y − Xw‖² (lasso, weighted lasso,
// elastic net) or the logistic loss (1/m) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) with
// yᵢ ∈ {−1, +1} (l1-logistic regression). The hyperparameters are
// θ = log λ₁ (one, or one per feature), followed by log λ₂ for the
// elastic net.
//
// Fit solves the squared-loss models with the coordinate descent of
// [prox.Lasso] (Gram or residual updates, working sets, Anderson
// extrapolation, Gap Safe screening); the logistic loss uses a proximal Newton method whose l1 subproblems are
// solved by coordinate descent (newGLMNET, Yuan, Ho and Lin 2012).
// The optimality condition is the proximal-gradient fixed point
//
//	F(w, θ) = (w − prox_{ηλ₁‖·‖₁}(w − η∇(f + λ₂/2‖·‖²)(w))) / η,
//
// which equals ∇f + λ₂w + λ₁ sign(w) on the support and whose ∂ₓF is
// solved with a Cholesky factorization of the support Hessian H_SS.
type L1Regression struct {
	dat     *data
	loss    lossKind
	penalty Penalty
	enet    bool
	eta     float64 // step of the condition, 1/L_f
	lf      float64 // Lipschitz constant of ∇f
	lmax    float64 // ‖∇f(0)‖∞
	colSq   []float64
	gram    *mat.SymDense // for squared loss when rows ≥ d
	xty     []float64

	// lasso solves the squared-loss models; strengths holds e^θ for it.
	lasso     *prox.Lasso
	strengths []float64

	// scratch
	lam1 []float64
	r    []float64 // residual or margins (rows)
	q    []float64 // gradient-like vector (d)
	tmpd []float64
}

// NewLasso returns the lasso (Shared) or weighted lasso (PerFeature) model
// (1/2m)‖y − Xw‖² + Σⱼ λⱼ|wⱼ| of the training data (x, y). x is copied.
func NewLasso(x mat.Matrix, y []float64, penalty Penalty) (*L1Regression, error) {
	return newL1(x, y, squaredLoss, penalty, false)
}

// NewElasticNet returns the elastic net (1/2m)‖y − Xw‖² + λ₁‖w‖₁ +
// (λ₂/2)‖w‖² with θ = (log λ₁, log λ₂).
func NewElasticNet(x mat.Matrix, y []float64) (*L1Regression, error) {
	return newL1(x, y, squaredLoss, Shared, true)
}

// NewSparseLogistic returns l1-regularized logistic regression
// (1/m) Σ log(1 + exp(−yᵢxᵢᵀw)) + Σⱼ λⱼ|wⱼ|, y in {−1, +1}, with one λ
// (Shared) or one per feature (PerFeature).
func NewSparseLogistic(x mat.Matrix, y []float64, penalty Penalty) (*L1Regression, error) {
	if _, _, err := checkShape(x, y); err != nil {
		return nil, err
	}
	if err := checkSigns(y, true); err != nil {
		return nil, err
	}
	return newL1(x, y, logisticLoss, penalty, false)
}

func newL1(x mat.Matrix, y []float64, loss lossKind, penalty Penalty, enet bool) (*L1Regression, error) {
	if penalty != Shared && penalty != PerFeature {
		return nil, fmt.Errorf("%w: l1 penalty must be Shared or PerFeature, not %v", ErrInvalid, penalty)
	}
	d, err := newData(x, y)
	if err != nil {
		return nil, err
	}
	m := &L1Regression{dat: d, loss: loss, penalty: penalty, enet: enet}
	m.colSq = make([]float64, d.d)
	for j, col := range d.xcols {
		m.colSq[j] = dot(col, col) / float64(d.rows)
	}
	m.lf = d.maxEig()
	if loss == logisticLoss {
		m.lf /= 4
	}
	m.lf = math.Max(m.lf, 1e-12)
	m.eta = 1 / m.lf
	if loss == squaredLoss {
		m.xty = make([]float64, d.d)
		d.mulXT(m.xty, d.y)
		for j := range m.xty {
			m.xty[j] /= float64(d.rows)
		}
		if d.rows >= d.d {
			m.gram = d.gram()
		}
		pen := prox.L1Penalty
		switch {
		case enet:
			pen = prox.ElasticNetPenalty
		case penalty == PerFeature:
			pen = prox.WeightedL1Penalty
		}
		if m.lasso, err = prox.NewLasso(d.x, d.y, pen); err != nil {
			if errors.Is(err, prox.ErrNaN) {
				return nil, fmt.Errorf("%w: %w", ErrNaN, err)
			}
			return nil, fmt.Errorf("%w: %w", ErrDims, err)
		}
		m.strengths = make([]float64, m.lasso.NumParams())
	}
	m.lam1 = make([]float64, d.d)
	m.r = make([]float64, d.rows)
	m.q = make([]float64, d.d)
	m.tmpd = make([]float64, d.d)
	m.smoothGrad(m.q, m.tmpd, 0)
	m.lmax = maxAbs(m.q)
	return m, nil
}

// Dims returns the number of features and of hyperparameters.
func (m *L1Regression) Dims() (n, p int) {
	if m == nil || m.dat == nil {
		return 0, 0
	}
	switch {
	case m.enet:
		return m.dat.d, 2
	case m.penalty == PerFeature:
		return m.dat.d, m.dat.d
	}
	return m.dat.d, 1
}

// LambdaMax returns the smallest shared λ₁ for which w* = 0 (with λ₂ = 0):
// ‖∇f(0)‖∞. Above it the validation criterion is flat and its
// hypergradient zero, so start outer optimizers below log LambdaMax()
// (log(LambdaMax()/10) is a good default, as in sparse-ho).
func (m *L1Regression) LambdaMax() float64 {
	if m == nil || m.dat == nil {
		return math.NaN()
	}
	return m.lmax
}

// l1Strengths fills m.lam1 and returns λ₂.
func (m *L1Regression) l1Strengths(theta []float64) float64 {
	for j := range m.lam1 {
		if m.penalty == PerFeature {
			m.lam1[j] = math.Exp(theta[j])
		} else {
			m.lam1[j] = math.Exp(theta[0])
		}
	}
	if m.enet {
		return math.Exp(theta[1])
	}
	return 0
}

// smoothGrad sets dst = ∇f(w) + λ₂w (full computation, O(md)).
func (m *L1Regression) smoothGrad(dst, w []float64, lam2 float64) {
	d := m.dat
	rows := float64(d.rows)
	if m.loss == squaredLoss {
		if m.gram != nil {
			mat.NewVecDense(d.d, dst).MulVec(m.gram, mat.NewVecDense(d.d, w))
			for j := range dst {
				dst[j] += lam2*w[j] - m.xty[j]
			}
			return
		}
		d.mulX(m.r, w)
		for i := range m.r {
			m.r[i] = (m.r[i] - d.y[i]) / rows
		}
		d.mulXT(dst, m.r)
	} else {
		d.mulX(m.r, w)
		for i, yi := range d.y {
			m.r[i] = -yi * sigmoid(-yi*m.r[i]) / rows
		}
		d.mulXT(dst, m.r)
	}
	for j := range dst {
		dst[j] += lam2 * w[j]
	}
}

// softThreshold returns sign(z)·max(|z| − t, 0).
func softThreshold(z, t float64) float64 {
	switch {
	case z > t:
		return z - t
	case z < -t:
		return z + t
	}
	return 0
}

// Fit minimizes g(·, θ) warm-started from w, overwriting w. The squared
// loss is solved by [prox.Lasso.Solve] (coordinate descent); the logistic
// loss by a proximal Newton method with coordinate-descent subproblems.
// tol (default 1e-9) is relative to ‖∇f(0)‖∞ and bounds the optimality
// (KKT) violation maxⱼ dist(−∇ⱼf − λ₂wⱼ, λ₁ⱼ∂|wⱼ|) (at most 100000
// epochs, or 500 Newton steps for the logistic loss). The returned count
// is the number of epochs (coordinate updates / d) or of Newton steps.
func (m *L1Regression) Fit(ctx context.Context, w, theta []float64, tol float64) (int, error) {
	if m == nil || m.dat == nil {
		return 0, errNilModel
	}
	n, p := m.Dims()
	if err := checkW(w, n); err != nil {
		return 0, err
	}
	if err := checkTheta(theta, p); err != nil {
		return 0, err
	}
	if err := checkTol("tol", tol); err != nil {
		return 0, err
	}
	if tol <= 0 {
		tol = 1e-9
	}
	lam2 := m.l1Strengths(theta)
	scale := m.LambdaMax()
	if scale == 0 {
		clear(w)
		return 0, nil
	}
	abstol := tol * scale
	if m.loss == logisticLoss {
		return m.fitLogistic(ctx, w, lam2, abstol)
	}
	return m.fitSquared(ctx, w, theta, tol)
}

// maxStrength caps e^θ so that a huge θ means "everything zero" rather
// than an infinite strength.
const maxStrength = 1e300

// fitSquared solves the squared-loss models with [prox.Lasso.Solve]
// (coordinate descent with Gram or residual updates, working sets,
// Anderson extrapolation and Gap Safe screening), stopping on the KKT
// violation ≤ tol·LambdaMax (no duality-gap test).
func (m *L1Regression) fitSquared(ctx context.Context, w, theta []float64, tol float64) (int, error) {
	for i, t := range theta {
		m.strengths[i] = math.Min(math.Exp(t), maxStrength)
	}
	res, err := m.lasso.Solve(ctx, m.strengths, w, &prox.CDSettings{Tol: tol, GapTol: -1})
	iters := 0
	if res != nil {
		copy(w, res.W)
		iters = int(math.Ceil(res.Epochs))
	}
	if err == nil {
		return iters, nil
	}
	if e := ctx.Err(); e != nil {
		return iters, e
	}
	switch {
	case errors.Is(err, prox.ErrNotConverged):
		return iters, fmt.Errorf("%w: %w", ErrNotConverged, err)
	case errors.Is(err, prox.ErrNaN):
		return iters, fmt.Errorf("%w: %w", ErrNaN, err)
	}
	return iters, fmt.Errorf("bilevel: lasso solver: %w", err)
}

// axpy sets y += a·x (gonum's assembly kernel).
func axpy(a float64, x, y []float64) { floats.AddScaled(y, a, x) }

// ThetaGradient sets dst to ∂g/∂θ: λ₁ⱼ|wⱼ| summed (Shared) or per
// feature, and ½λ₂‖w‖² for the elastic net.
func (m *L1Regression) ThetaGradient(dst, w, theta []float64) {
	if m == nil || m.dat == nil {
		nanFill(dst)
		return
	}
	if n, p := m.Dims(); len(dst) != p || badPoint(w, theta, n, p) != nil {
		nanFill(dst)
		return
	}
	clear(dst)
	lam2 := m.l1Strengths(theta)
	for j, v := range w {
		if m.penalty == PerFeature {
			dst[j] = m.lam1[j] * math.Abs(v)
		} else {
			dst[0] += m.lam1[j] * math.Abs(v)
		}
	}
	if m.enet {
		dst[1] = 0.5 * lam2 * dot(w, w)
	}
}

// Condition returns the proximal-gradient fixed-point condition.
func (m *L1Regression) Condition() implicit.Condition {
	if m == nil || m.dat == nil {
		return guard(nilCondition{})
	}
	return guard(l1Condition{m})
}

type l1Condition struct{ m *L1Regression }

func (c l1Condition) Dims() (int, int) { return c.m.Dims() }

func (c l1Condition) Residual(dst, w, theta []float64) {
	m := c.m
	lam2 := m.l1Strengths(theta)
	m.smoothGrad(dst, w, lam2)
	for j := range dst {
		z := w[j] - m.eta*dst[j]
		dst[j] = (w[j] - softThreshold(z, m.eta*m.lam1[j])) / m.eta
	}
}

// hessian applies H = ∇²f(w) + λ₂I to v: dst = Hv. weights holds the
// logistic curvature σ(1−σ)/m per row (nil for the squared loss).
func (m *L1Regression) hessApply(dst, v, weights []float64, lam2 float64, rowsBuf []float64) {
	d := m.dat
	if m.loss == squaredLoss && m.gram != nil {
		mat.NewVecDense(d.d, dst).MulVec(m.gram, mat.NewVecDense(d.d, v))
	} else {
		d.mulX(rowsBuf, v)
		for i := range rowsBuf {
			if weights != nil {
				rowsBuf[i] *= weights[i]
			} else {
				rowsBuf[i] /= float64(d.rows)
			}
		}
		d.mulXT(dst, rowsBuf)
	}
	for j := range dst {
		dst[j] += lam2 * v[j]
	}
}

func (m *L1Regression) curvatureWeights(w []float64) []float64 {
	if m.loss != logisticLoss {
		return nil
	}
	d := m.dat
	z := make([]float64, d.rows)
	d.mulX(z, w)
	for i := range z {
		s := sigmoid(z[i])
		z[i] = s * (1 - s) / float64(d.rows)
	}
	return z
}

// supportHessian returns H_SS (row-major |S|×|S|) for the support s.
func (m *L1Regression) supportHessian(s []int, weights []float64, lam2 float64) []float64 {
	k := len(s)
	h := make([]float64, k*k)
	d := m.dat
	if m.loss == squaredLoss && m.gram != nil {
		for a, i := range s {
			for b, j := range s {
				h[a*k+b] = m.gram.At(i, j)
			}
		}
	} else {
		rows := float64(d.rows)
		for a, i := range s {
			ci := d.xcols[i]
			for b := a; b < k; b++ {
				cj := d.xcols[s[b]]
				var v float64
				if weights != nil {
					for r, x := range ci {
						v += x * cj[r] * weights[r]
					}
				} else {
					v = dot(ci, cj) / rows
				}
				h[a*k+b], h[b*k+a] = v, v
			}
		}
	}
	for a := range k {
		h[a*k+a] += lam2
	}
	return h
}

// SupportSystem implements SupportModel.
func (m *L1Regression) SupportSystem(w, theta []float64) (support []int, hss, bs []float64) {
	if m == nil || m.dat == nil {
		return nil, nil, nil
	}
	if n, p := m.Dims(); badPoint(w, theta, n, p) != nil {
		return nil, nil, nil
	}
	_, p := m.Dims()
	lam2 := m.l1Strengths(theta)
	for j, v := range w {
		if v != 0 {
			support = append(support, j)
		}
	}
	hss = m.supportHessian(support, m.curvatureWeights(w), lam2)
	k := len(support)
	bs = make([]float64, k*p)
	for a, j := range support {
		sg := math.Copysign(m.lam1[j], w[j])
		if m.penalty == PerFeature {
			bs[a*p+j] = sg
		} else {
			bs[a*p] = sg
		}
		if m.enet {
			bs[a*p+1] = lam2 * w[j]
		}
	}
	return support, hss, bs
}

func (c l1Condition) Linearize(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
	m := c.m
	n, p := m.Dims()
	lam2 := m.l1Strengths(theta)
	lam1 := append([]float64(nil), m.lam1...)
	grad := make([]float64, n)
	m.smoothGrad(grad, w, lam2)
	inS := make([]bool, n)
	var supp []int
	signs := make([]float64, n)
	for j := range n {
		z := w[j] - m.eta*grad[j]
		if math.Abs(z) > m.eta*lam1[j] {
			inS[j] = true
			supp = append(supp, j)
			signs[j] = math.Copysign(1, z)
		}
	}
	weights := m.curvatureWeights(w)
	op := &l1Jacobian{m: m, inS: inS, supp: supp, weights: weights, lam2: lam2, eta: m.eta,
		rowsBuf: make([]float64, m.dat.rows), tmp: make([]float64, n), tmp2: make([]float64, n)}
	if len(supp) > 0 {
		hss := m.supportHessian(supp, weights, lam2)
		k := len(supp)
		f, err := linsolve.NewCholesky(mat.NewSymDense(k, hss))
		if err != nil {
			return nil, nil, fmt.Errorf("bilevel: support Hessian: %w", err)
		}
		op.chol = f
	}
	// ∂θF: rows in S: λ₁ⱼ sign(zⱼ) for θ₁, λ₂wⱼ for θ₂; zero off S.
	bt := mat.NewDense(n, p, nil)
	for _, j := range supp {
		if m.penalty == PerFeature {
			bt.Set(j, j, lam1[j]*signs[j])
		} else {
			bt.Set(j, 0, lam1[j]*signs[j])
		}
		if m.enet {
			bt.Set(j, 1, lam2*w[j])
		}
	}
	var dth implicit.Operator = linsolve.NewMatrix(bt)
	if m.penalty == PerFeature {
		dg := make([]float64, n)
		for _, j := range supp {
			dg[j] = lam1[j] * signs[j]
		}
		dth = linsolve.Diagonal(dg)
	}
	return op, dth, nil
}

// l1Jacobian is ∂ₓF = (I − D(I − ηH))/η with D the support indicator,
// solvable through the Cholesky factor of H_SS.
type l1Jacobian struct {
	m         *L1Regression
	inS       []bool
	supp      []int
	weights   []float64
	lam2, eta float64
	chol      *linsolve.Cholesky
	rowsBuf   []float64
	tmp, tmp2 []float64
}

func (a *l1Jacobian) Dims() (int, int) { n := len(a.inS); return n, n }

// Apply: rows in S give (Hv)ⱼ, rows off S give vⱼ/η.
func (a *l1Jacobian) Apply(dst, v []float64) {
	a.m.hessApply(a.tmp, v, a.weights, a.lam2, a.rowsBuf)
	for j := range dst {
		if a.inS[j] {
			dst[j] = a.tmp[j]
		} else {
			dst[j] = v[j] / a.eta
		}
	}
}

// ApplyT: Aᵀu = (u − Du)/η + H(Du).
func (a *l1Jacobian) ApplyT(dst, u []float64) {
	for j := range u {
		if a.inS[j] {
			a.tmp2[j] = u[j]
		} else {
			a.tmp2[j] = 0
		}
	}
	a.m.hessApply(dst, a.tmp2, a.weights, a.lam2, a.rowsBuf)
	for j := range dst {
		if !a.inS[j] {
			dst[j] += u[j] / a.eta
		}
	}
}

// Solve: x off S = η b; H_SS x_S = b_S − H_{S,Sᶜ} x_Sᶜ.
func (a *l1Jacobian) Solve(dst, b []float64) error {
	for j := range b {
		if a.inS[j] {
			a.tmp2[j] = 0
		} else {
			a.tmp2[j] = a.eta * b[j]
		}
	}
	a.m.hessApply(a.tmp, a.tmp2, a.weights, a.lam2, a.rowsBuf)
	copy(dst, a.tmp2)
	if a.chol == nil {
		return nil
	}
	k := len(a.supp)
	rhs := make([]float64, k)
	xs := make([]float64, k)
	for c, j := range a.supp {
		rhs[c] = b[j] - a.tmp[j]
	}
	if err := a.chol.Solve(xs, rhs); err != nil {
		return err
	}
	for c, j := range a.supp {
		dst[j] = xs[c]
	}
	return nil
}

// SolveT: u_S = H_SS⁻¹ b_S; u off S = η(b − H(Du)).
func (a *l1Jacobian) SolveT(dst, b []float64) error {
	k := len(a.supp)
	clear(a.tmp2)
	if a.chol != nil {
		rhs := make([]float64, k)
		us := make([]float64, k)
		for c, j := range a.supp {
			rhs[c] = b[j]
		}
		if err := a.chol.Solve(us, rhs); err != nil {
			return err
		}
		for c, j := range a.supp {
			a.tmp2[j] = us[c]
		}
	}
	a.m.hessApply(a.tmp, a.tmp2, a.weights, a.lam2, a.rowsBuf)
	for j := range dst {
		if a.inS[j] {
			dst[j] = a.tmp2[j]
		} else {
			dst[j] = a.eta * (b[j] - a.tmp[j])
		}
	}
	return nil
}

// Iteration returns the proximal-gradient step
// T(w, θ) = prox_{ηλ₁‖·‖₁}(w − η∇(f + λ₂/2‖·‖²)(w)) with η = 1/(L_f + λ₂).
func (m *L1Regression) Iteration(theta []float64) (implicit.Map, float64) {
	if m == nil || m.dat == nil {
		return invalidMap{0, 0, errNilModel}, math.NaN()
	}
	n, p := m.Dims()
	if err := checkTheta(theta, p); err != nil {
		return invalidMap{n, p, err}, math.NaN()
	}
	lam2 := m.l1Strengths(theta)
	eta := 1 / (m.lf + lam2)
	grad := make([]float64, n)
	return guardedMap{&implicit.MapFunc{N: n, P: p,
		MapF: func(dst, w, theta []float64) {
			l2 := m.l1Strengths(theta)
			m.smoothGrad(grad, w, l2)
			for j := range dst {
				dst[j] = softThreshold(w[j]-eta*grad[j], eta*m.lam1[j])
			}
		},
		LinearizeFunc: func(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
			l2 := m.l1Strengths(theta)
			lam1 := append([]float64(nil), m.lam1...)
			g := make([]float64, n)
			m.smoothGrad(g, w, l2)
			dmask := make([]float64, n)
			bt := mat.NewDense(n, p, nil)
			for j := range n {
				z := w[j] - eta*g[j]
				if math.Abs(z) > eta*lam1[j] {
					dmask[j] = 1
					sg := math.Copysign(1, z)
					if m.penalty == PerFeature {
						bt.Set(j, j, -eta*lam1[j]*sg)
					} else {
						bt.Set(j, 0, -eta*lam1[j]*sg)
					}
					if m.enet {
						bt.Set(j, 1, -eta*l2*w[j])
					}
				}
			}
			weights := m.curvatureWeights(w)
			rowsBuf := make([]float64, m.dat.rows)
			tmp := make([]float64, n)
			tmp2 := make([]float64, n)
			// ∂ₓT = D(I − ηH).
			apply := func(dst, v []float64) {
				m.hessApply(tmp, v, weights, l2, rowsBuf)
				for j := range dst {
					dst[j] = dmask[j] * (v[j] - eta*tmp[j])
				}
			}
			applyT := func(dst, u []float64) {
				for j := range u {
					tmp2[j] = dmask[j] * u[j]
				}
				m.hessApply(tmp, tmp2, weights, l2, rowsBuf)
				for j := range dst {
					dst[j] = tmp2[j] - eta*tmp[j]
				}
			}
			return linsolve.NewFunc(n, n, apply, applyT), linsolve.NewMatrix(bt), nil
		},
	}}, eta
}

// l1Violation returns the largest violation of the optimality condition
// 0 ∈ gⱼ + λⱼ∂|wⱼ| over the coordinates, g the smooth gradient.
func l1Violation(w, g, lam1 []float64) float64 {
	var v float64
	for j, wj := range w {
		if wj != 0 {
			v = math.Max(v, math.Abs(g[j]+math.Copysign(lam1[j], wj)))
		} else {
			v = math.Max(v, math.Abs(g[j])-lam1[j])
		}
	}
	return v
}

// fitLogistic minimizes the l1(+l2)-regularized logistic loss by a
// proximal Newton method (Yuan, Ho and Lin 2012, "newGLMNET"): at each
// outer step the loss is replaced by its quadratic model, the l1
// subproblem is solved approximately by coordinate descent over the
// active coordinates (nonzero or violating), and a backtracking line
// search on the true objective accepts the step. It stops when the
// optimality violation ‖dist(−∇f, λ∂‖w‖₁)‖∞ is below abstol.
func (m *L1Regression) fitLogistic(ctx context.Context, w []float64, lam2, abstol float64) (int, error) {
	d := m.dat
	rows := float64(d.rows)
	z := make([]float64, d.rows)
	r := make([]float64, d.rows)
	h := make([]float64, d.rows)
	u := make([]float64, d.rows)
	zt := make([]float64, d.rows)
	g := make([]float64, d.d)
	delta := make([]float64, d.d)
	curv := make([]float64, d.d)
	wt := make([]float64, d.d)
	active := make([]int, 0, d.d)
	objective := func(z, w []float64) float64 {
		var f float64
		for i, yi := range d.y {
			f += log1pExp(-yi * z[i])
		}
		f /= rows
		for j, v := range w {
			f += m.lam1[j]*math.Abs(v) + 0.5*lam2*v*v
		}
		return f
	}
	const maxOuter = 500
	d.mulX(z, w)
	fw := objective(z, w)
	sweeps := 0
	for outer := range maxOuter {
		if err := ctx.Err(); err != nil {
			return outer, err
		}
		for i, yi := range d.y {
			s := sigmoid(-yi * z[i])
			r[i] = -yi * s / rows
			h[i] = math.Max(s*(1-s), 1e-12) / rows
		}
		d.mulXT(g, r)
		for j := range g {
			g[j] += lam2 * w[j]
		}
		viol := l1Violation(w, g, m.lam1)
		if math.IsNaN(viol) || math.IsNaN(fw) {
			return outer, fmt.Errorf("%w: l1-logistic objective", ErrNaN)
		}
		if viol <= abstol {
			return outer, nil
		}
		active = active[:0]
		for j := range w {
			if w[j] != 0 || math.Abs(g[j]) > m.lam1[j] {
				active = append(active, j)
				col := d.xcols[j]
				var a float64
				for i, x := range col {
					a += h[i] * x * x
				}
				curv[j] = math.Max(a, 1e-12*m.colSq[j]) + lam2
			}
		}
		clear(delta)
		clear(u)
		for sweep := 0; sweep < 100; sweep++ {
			sweeps++
			var ch float64
			for _, j := range active {
				col := d.xcols[j]
				var hu float64
				for i, x := range col {
					hu += x * h[i] * u[i]
				}
				gj := g[j] + hu + lam2*delta[j]
				a := curv[j]
				cur := w[j] + delta[j]
				nw := softThreshold(a*cur-gj, m.lam1[j]) / a
				step := nw - cur
				if step != 0 {
					delta[j] += step
					axpy(step, col, u)
					ch = math.Max(ch, math.Abs(step)*a)
				}
			}
			if ch <= 0.05*viol || ch <= 0.1*abstol {
				break
			}
		}
		// Directional decrease bound D = gᵀδ + λ₁(‖w + δ‖₁ − ‖w‖₁).
		var dec float64
		for _, j := range active {
			dec += g[j]*delta[j] + m.lam1[j]*(math.Abs(w[j]+delta[j])-math.Abs(w[j]))
		}
		// Near the solution the predicted decrease falls below the rounding
		// error of f and the Armijo test cannot be decided from f values;
		// the full Newton step is then taken (as in Hager and Zhang's
		// approximate Wolfe conditions).
		tiny := -dec <= 1e-13*math.Max(1, math.Abs(fw))
		t := 1.0
		accepted := false
		for ls := 0; ls < 40; ls++ {
			for j := range w {
				wt[j] = w[j] + t*delta[j]
			}
			for i := range z {
				zt[i] = z[i] + t*u[i]
			}
			ft := objective(zt, wt)
			if ft <= fw+0.01*t*dec || (tiny && ft <= fw+1e-13*math.Max(1, math.Abs(fw))) {
				copy(w, wt)
				copy(z, zt)
				fw = ft
				accepted = true
				break
			}
			t /= 2
		}
		if !accepted {
			// No decrease representable in floating point: w is optimal to
			// the attainable accuracy.
			return outer + 1, nil
		}
	}
	return maxOuter, fmt.Errorf("%w: proximal Newton after %d steps", ErrNotConverged, maxOuter)
}
