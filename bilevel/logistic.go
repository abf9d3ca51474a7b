package bilevel

import (
	"context"
	"fmt"
	"math"
	"reflect"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Logistic is l2-regularized logistic regression without intercept,
//
//	g(w, θ) = (1/m) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) + ½ Σⱼ λⱼ wⱼ²,   λ = exp(θ),
//
// with labels yᵢ ∈ {−1, +1} and one λ (Shared) or one per feature
// (PerFeature); NewLogisticIntercept adds an unpenalized intercept. Fit
// runs Newton's method with a backtracking line search, reusing the kept
// Cholesky factorization of the Hessian H = XᵀDX/m + diag λ,
// D = diag(σᵢ(1 − σᵢ)), for chord steps while they converge fast; the
// factorization at the solution is reused by the condition ∇g(w, θ) = 0.
type Logistic struct {
	dat       *data
	penalty   Penalty
	intercept bool // the last column of dat is the unpenalized intercept
	lf        float64
	scale     float64 // ‖∇f(0)‖∞

	lam   []float64
	z     []float64
	dw    []float64
	grad  []float64
	wtry  []float64
	xw    *mat.Dense // scratch rows×d
	h     *mat.SymDense
	fact  *linsolve.Cholesky
	factW []float64
	factT []float64
}

// NewLogistic returns the l2-logistic model of the training data (x, y),
// y in {−1, +1} with both classes present. x is copied.
func NewLogistic(x mat.Matrix, y []float64, penalty Penalty) (*Logistic, error) {
	return newLogistic(x, y, penalty, false)
}

// NewLogisticIntercept is NewLogistic with an unpenalized intercept b:
// the loss is (1/m) Σ log(1 + exp(−yᵢ(xᵢᵀw + b))), the weights are (w, b)
// with b last (n = d + 1), and the held-out criterion must be
// NewLogLossIntercept. The hyperparameters are those of NewLogistic.
func NewLogisticIntercept(x mat.Matrix, y []float64, penalty Penalty) (*Logistic, error) {
	xa, err := withIntercept(x)
	if err != nil {
		return nil, err
	}
	return newLogistic(xa, y, penalty, true)
}

// withIntercept returns [x, 1].
func withIntercept(x mat.Matrix) (*mat.Dense, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: nil design matrix", ErrDims)
	}
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("%w: nil design matrix (%T)", ErrDims, x)
	}
	r, c := x.Dims()
	if r == 0 || c == 0 {
		return nil, fmt.Errorf("%w: empty design matrix %d×%d", ErrDims, r, c)
	}
	xa := mat.NewDense(r, c+1, nil)
	xa.Slice(0, r, 0, c).(*mat.Dense).Copy(x)
	for i := range r {
		xa.Set(i, c, 1)
	}
	return xa, nil
}

func newLogistic(x mat.Matrix, y []float64, penalty Penalty, intercept bool) (*Logistic, error) {
	if penalty != Shared && penalty != PerFeature {
		return nil, fmt.Errorf("%w: logistic penalty must be Shared or PerFeature, not %v", ErrInvalid, penalty)
	}
	if _, _, err := checkShape(x, y); err != nil {
		return nil, err
	}
	if err := checkSigns(y, true); err != nil {
		return nil, err
	}
	d, err := newData(x, y)
	if err != nil {
		return nil, err
	}
	m := &Logistic{dat: d, penalty: penalty, intercept: intercept}
	m.lf = d.maxEig() / 4
	m.lam = make([]float64, d.d)
	m.z = make([]float64, d.rows)
	m.dw = make([]float64, d.d)
	m.grad = make([]float64, d.d)
	m.wtry = make([]float64, d.d)
	m.xw = mat.NewDense(d.rows, d.d, nil)
	m.h = mat.NewSymDense(d.d, nil)
	zero := make([]float64, d.d)
	m.setLambda(make([]float64, m.pdim()))
	m.objective(zero, m.grad, false)
	m.scale = math.Max(maxAbs(m.grad), 1e-300)
	return m, nil
}

func (m *Logistic) pdim() int {
	if m.penalty == PerFeature {
		return m.features()
	}
	return 1
}

// features returns the number of penalized weights d.
func (m *Logistic) features() int {
	if m.intercept {
		return m.dat.d - 1
	}
	return m.dat.d
}

// Dims returns the number of features and of hyperparameters.
func (m *Logistic) Dims() (n, p int) {
	if m == nil || m.dat == nil {
		return 0, 0
	}
	return m.dat.d, m.pdim()
}

func (m *Logistic) setLambda(theta []float64) {
	for j := range m.lam {
		if j >= m.features() {
			m.lam[j] = 0 // the intercept
		} else if m.penalty == PerFeature {
			m.lam[j] = math.Exp(theta[j])
		} else {
			m.lam[j] = math.Exp(theta[0])
		}
	}
}

// objective returns g(w) with the current λ and, if grad is non-nil, sets
// the gradient; with keepZ it leaves the margins yᵢxᵢᵀw in m.z.
func (m *Logistic) objective(w, grad []float64, keepZ bool) float64 {
	d := m.dat
	d.mulX(m.z, w)
	rows := float64(d.rows)
	var f float64
	for i, yi := range d.y {
		t := yi * m.z[i]
		f += log1pExp(-t)
		if grad != nil {
			m.z[i] = -yi * sigmoid(-t) / rows
		} else if keepZ {
			m.z[i] = t
		}
	}
	f /= rows
	for j, v := range w {
		f += 0.5 * m.lam[j] * v * v
	}
	if grad != nil {
		d.mulXT(grad, m.z)
		for j, v := range w {
			grad[j] += m.lam[j] * v
		}
	}
	return f
}

// hessian factorizes H(w) and caches it for (w, θ).
func (m *Logistic) hessian(w, theta []float64) (*linsolve.Cholesky, error) {
	if m.fact != nil && sameVec(m.factW, w) && sameVec(m.factT, theta) {
		return m.fact, nil
	}
	m.setLambda(theta)
	d := m.dat
	d.mulX(m.z, w)
	rows := float64(d.rows)
	for i := range d.rows {
		s := sigmoid(m.z[i])
		c := math.Sqrt(s * (1 - s) / rows)
		src := d.xrows[i]
		dst := m.xw.RawRowView(i)
		for j, v := range src {
			dst[j] = c * v
		}
	}
	m.h.Zero()
	m.h.SymRankK(m.h, 1, m.xw.T())
	for j, l := range m.lam {
		m.h.SetSym(j, j, m.h.At(j, j)+l)
	}
	f, err := linsolve.NewCholesky(m.h)
	if err != nil {
		return nil, fmt.Errorf("bilevel: logistic Hessian: %w", err)
	}
	m.fact, m.factW, m.factT = f, append(m.factW[:0], w...), append(m.factT[:0], theta...)
	return f, nil
}

// Fit runs Newton's method (with chord steps on the kept factorization
// while they contract the gradient 4× per step) from w until
// ‖∇g‖∞ ≤ max(tol·‖∇f(0)‖∞, 1e-14) (default tol 1e-10), at most 200
// iterations.
func (m *Logistic) Fit(ctx context.Context, w, theta []float64, tol float64) (int, error) {
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
		tol = 1e-10
	}
	m.setLambda(theta)
	const maxIter = 200
	prevG := math.Inf(1)
	for it := range maxIter {
		if err := ctx.Err(); err != nil {
			return it, err
		}
		f := m.objective(w, m.grad, false)
		gmax := maxAbs(m.grad)
		if math.IsNaN(f) || math.IsInf(f, 0) || !finite(m.grad) {
			return it, fmt.Errorf("%w: logistic objective at iteration %d", ErrNaN, it)
		}
		if gmax <= math.Max(tol*m.scale, 1e-14) {
			return it, nil
		}
		// Lagged Newton (chord) steps: the kept factorization — from the
		// previous iterate, or from the previous fit at a nearby θ when
		// warm-started — is reused while it contracts the gradient by 4×
		// per step; otherwise the Hessian is rebuilt at w. A chord step
		// costs O(md) against O(md²) for a fresh Hessian.
		lagged := m.fact != nil && (it == 0 || gmax <= 0.25*prevG) && !(sameVec(m.factW, w) && sameVec(m.factT, theta))
		prevG = gmax
		for attempt := 0; ; attempt++ {
			fact := m.fact
			if !lagged || fact == nil {
				var err error
				if fact, err = m.hessian(w, theta); err != nil {
					return it, err
				}
			}
			if err := fact.Solve(m.dw, m.grad); err != nil {
				return it, fmt.Errorf("bilevel: logistic Newton step: %w", err)
			}
			m.setLambda(theta) // hessian() may have been called for another θ
			dec := dot(m.grad, m.dw)
			if lagged && !(dec > 0) {
				lagged = false
				continue
			}
			// Below the rounding error of f the Armijo test is undecidable;
			// in that (quadratically convergent) region the full step is
			// taken.
			tiny := dec <= 1e-13*math.Max(1, math.Abs(f))
			step := 1.0
			ok := false
			for ls := 0; ; ls++ {
				for j := range w {
					m.wtry[j] = w[j] - step*m.dw[j]
				}
				if tiny {
					ok = true
					break
				}
				ft := m.objective(m.wtry, nil, false)
				if ft <= f-1e-4*step*dec {
					ok = true
					break
				}
				if lagged || ls >= 40 {
					break
				}
				step /= 2
			}
			if !ok && lagged {
				lagged = false // retry with a fresh Hessian
				continue
			}
			if step*maxAbs(m.dw) <= 1e-16*math.Max(1, maxAbs(w)) {
				// No progress possible in floating point.
				copy(w, m.wtry)
				return it + 1, nil
			}
			copy(w, m.wtry)
			break
		}
	}
	return maxIter, fmt.Errorf("%w: Newton after %d iterations", ErrNotConverged, maxIter)
}

// Condition returns ∇g(w, θ) = 0 with ∂ₓF the cached Hessian factorization.
func (m *Logistic) Condition() implicit.Condition {
	if m == nil || m.dat == nil {
		return guard(nilCondition{})
	}
	return guard(logisticCondition{m})
}

type logisticCondition struct{ m *Logistic }

func (c logisticCondition) Dims() (int, int) { return c.m.Dims() }

func (c logisticCondition) Residual(dst, w, theta []float64) {
	c.m.setLambda(theta)
	c.m.objective(w, dst, false)
}

func (c logisticCondition) Linearize(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
	f, err := c.m.hessian(w, theta)
	if err != nil {
		return nil, nil, err
	}
	return f, c.m.penaltyJacobian(c.m.lam, w), nil
}

// penaltyJacobian returns ∂θ(λ∘w), n×p; the intercept row is zero.
func (m *Logistic) penaltyJacobian(lam, w []float64) implicit.Operator {
	if !m.intercept {
		return penaltyJacobian(m.penalty, lam, w)
	}
	n, p := m.Dims()
	b := mat.NewDense(n, p, nil)
	for j := range m.features() {
		if m.penalty == PerFeature {
			b.Set(j, j, lam[j]*w[j])
		} else {
			b.Set(j, 0, lam[j]*w[j])
		}
	}
	return linsolve.NewMatrix(b)
}

// ThetaGradient sets dst to ∂g/∂θ.
func (m *Logistic) ThetaGradient(dst, w, theta []float64) {
	if m == nil || m.dat == nil {
		nanFill(dst)
		return
	}
	if n, p := m.Dims(); len(dst) != p || badPoint(w, theta, n, p) != nil {
		nanFill(dst)
		return
	}
	clear(dst)
	for j, v := range w[:m.features()] {
		if m.penalty == PerFeature {
			dst[j] = 0.5 * math.Exp(theta[j]) * v * v
		} else {
			dst[0] += 0.5 * math.Exp(theta[0]) * v * v
		}
	}
}

// Iteration returns the gradient step w − η∇g(w, θ), η = 1/(L_f + max λ).
func (m *Logistic) Iteration(theta []float64) (implicit.Map, float64) {
	if m == nil || m.dat == nil {
		return invalidMap{0, 0, errNilModel}, math.NaN()
	}
	n, p := m.Dims()
	if err := checkTheta(theta, p); err != nil {
		return invalidMap{n, p, err}, math.NaN()
	}
	eta := 1 / (m.lf + maxExp(theta))
	d := m.dat
	return guardedMap{&implicit.MapFunc{N: n, P: p,
		MapF: func(dst, w, theta []float64) {
			m.setLambda(theta)
			m.objective(w, dst, false)
			for j := range dst {
				dst[j] = w[j] - eta*dst[j]
			}
		},
		LinearizeFunc: func(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
			m.setLambda(theta)
			lam := append([]float64(nil), m.lam...)
			cw := make([]float64, d.rows)
			d.mulX(cw, w)
			for i := range cw {
				s := sigmoid(cw[i])
				cw[i] = s * (1 - s) / float64(d.rows)
			}
			rows := make([]float64, d.rows)
			apply := func(dst, v []float64) {
				d.mulX(rows, v)
				for i := range rows {
					rows[i] *= cw[i]
				}
				d.mulXT(dst, rows)
				for j := range dst {
					dst[j] = v[j] - eta*(dst[j]+lam[j]*v[j])
				}
			}
			return linsolve.NewFunc(n, n, apply, apply), linsolve.Scaled(-eta, m.penaltyJacobian(lam, w)), nil
		},
	}}, eta
}
