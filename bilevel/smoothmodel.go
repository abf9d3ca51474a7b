package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// SmoothModel is a model whose training objective g(w, θ) is smooth: a
// solvers/smooth problem with an l2 penalty ½ Σⱼ λⱼ wⱼ², λ = exp(θ)
// (smooth.L2 with LogScale). It is built by
//
//   - [NewRidge]: ridge regression (1/2m)‖y − Xw‖² + ½ Σⱼ λⱼ wⱼ²
//     (smooth.Ridge), solved exactly by one Cholesky solve of
//     (XᵀX/m + diag λ) w = Xᵀy/m;
//   - [NewLogistic], [NewLogisticIntercept]: logistic regression
//     (1/m) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) + ½ Σⱼ λⱼ wⱼ² with labels ±1
//     (smooth.Logistic), solved by Newton's method with chord steps on the
//     kept Hessian factorization (smooth.Newton);
//   - [NewMultinomial]: softmax regression (smooth.Multinomial), solved by
//     truncated Newton-CG (smooth.Minimize).
//
// Its condition is ∇g(w, θ) = 0 (for ridge and logistic regression with
// the factorization kept by the last Fit, for the multinomial model with
// the matrix-free Hessian, which the engine materializes up to N = 300
// and solves by GMRES above). Center y and standardize X beforehand
// (datasets.Standardize).
type SmoothModel struct {
	pb      *smooth.Problem
	newton  *smooth.Newton // nil: Newton-CG
	lf      float64        // Lipschitz constant of the loss's gradient
	scale   float64        // ‖∇g(0)‖∞, the unit of Fit's relative tol
	classes int            // K of a multinomial model, 0 otherwise
}

// NewRidge returns the ridge model of the training data (x, y) with one λ
// (smooth.Shared) or one per feature (smooth.PerFeature, the "weighted
// ridge"). x is copied.
func NewRidge(x mat.Matrix, y []float64, s smooth.Strengths) (*SmoothModel, error) {
	return newLinear(x, y, s, false, false)
}

// NewLogistic returns the l2-logistic model of the training data (x, y),
// y in {−1, +1} with both classes present, with one λ (smooth.Shared) or
// one per feature (smooth.PerFeature). x is copied.
func NewLogistic(x mat.Matrix, y []float64, s smooth.Strengths) (*SmoothModel, error) {
	return newLinear(x, y, s, true, false)
}

// NewLogisticIntercept is NewLogistic with an unpenalized intercept b
// (smooth.L2's Intercept): the loss is (1/m) Σ log(1 + exp(−yᵢ(xᵢᵀw + b))),
// the weights are (w, b) with b last (n = d + 1), and the held-out
// criterion must be NewLogLossIntercept. The hyperparameters are those of
// NewLogistic.
func NewLogisticIntercept(x mat.Matrix, y []float64, s smooth.Strengths) (*SmoothModel, error) {
	return newLinear(x, y, s, true, true)
}

func newLinear(x mat.Matrix, y []float64, s smooth.Strengths, logistic, intercept bool) (*SmoothModel, error) {
	if s != smooth.Shared && s != smooth.PerFeature {
		return nil, fmt.Errorf("%w: strengths must be Shared or PerFeature, not %v", ErrInvalid, s)
	}
	if _, _, err := checkShape(x, y); err != nil {
		return nil, err
	}
	if logistic {
		if err := checkSigns(y, true); err != nil {
			return nil, err
		}
	}
	xl := x
	if intercept {
		xa, err := withIntercept(x)
		if err != nil {
			return nil, err
		}
		xl = xa
	}
	d, err := newData(xl, y) // validation and the step bound
	if err != nil {
		return nil, err
	}
	reg := smooth.L2{Strengths: s, LogScale: true, Intercept: intercept}
	m := &SmoothModel{lf: d.maxEig()}
	if logistic {
		m.lf /= 4
		m.pb, err = smooth.Logistic(x, y, reg)
	} else {
		m.pb, err = smooth.Ridge(x, y, reg)
	}
	if err != nil {
		return nil, smoothErr(err)
	}
	if m.newton, err = smooth.NewNewton(m.pb, !logistic); err != nil {
		return nil, smoothErr(err)
	}
	m.setScale()
	return m, nil
}

// NewMultinomial returns the l2-regularized multinomial (softmax) logistic
// regression model of the training data (x, labels), labels in 0, …, K−1
// with at least two classes present: weights W (d × K) row-major in w
// (w[j·K+k] = W_jk) and
//
//	g(W, θ) = (1/m) Σᵢ [log Σₖ exp(xᵢᵀW_k) − xᵢᵀW_{yᵢ}] + ½ Σⱼₖ λⱼₖ W_jk²,
//
// λⱼₖ = exp(θ₀) (smooth.Shared), exp(θⱼ) (smooth.PerFeature) or exp(θₖ)
// (smooth.PerClass).
func NewMultinomial(x mat.Matrix, labels []float64, s smooth.Strengths) (*SmoothModel, error) {
	if s != smooth.Shared && s != smooth.PerFeature && s != smooth.PerClass {
		return nil, fmt.Errorf("%w: unknown strengths %v", ErrInvalid, s)
	}
	if _, _, err := checkShape(x, labels); err != nil {
		return nil, err
	}
	k, err := classLabels(labels)
	if err != nil {
		return nil, err
	}
	d, err := newData(x, labels)
	if err != nil {
		return nil, err
	}
	m := &SmoothModel{lf: d.maxEig() / 2, classes: k}
	if m.pb, err = smooth.Multinomial(x, labels, k, smooth.L2{Strengths: s, LogScale: true}); err != nil {
		return nil, smoothErr(err)
	}
	m.setScale()
	return m, nil
}

// classLabels checks labels 0…K−1, two classes at least, and returns K.
func classLabels(y []float64) (int, error) {
	k := 0
	seen := map[int]bool{}
	for i, v := range y {
		if v != math.Trunc(v) || v < 0 || v > 1e6 {
			return 0, fmt.Errorf("%w: label %v at row %d is not a class index 0, 1, …", ErrLabels, v, i)
		}
		seen[int(v)] = true
		k = max(k, int(v)+1)
	}
	if len(seen) < 2 {
		return 0, fmt.Errorf("%w: only one class in the training labels", ErrLabels)
	}
	return k, nil
}

// setScale sets ‖∇g(0)‖∞ (θ = 0; the penalty's gradient vanishes at 0).
func (m *SmoothModel) setScale() {
	g := make([]float64, m.pb.N)
	m.pb.Grad(g, make([]float64, m.pb.N), make([]float64, m.pb.P))
	m.scale = math.Max(maxAbs(g), 1e-300)
}

// smoothErr maps an error of package smooth onto this package's errors.
func smoothErr(err error) error {
	switch {
	case errors.Is(err, smooth.ErrNaN):
		return fmt.Errorf("%w: %w", ErrNaN, err)
	case errors.Is(err, smooth.ErrDims):
		return fmt.Errorf("%w: %w", ErrDims, err)
	case errors.Is(err, smooth.ErrNotConverged):
		return fmt.Errorf("%w: %w", ErrNotConverged, err)
	case errors.Is(err, smooth.ErrCallback):
		return fmt.Errorf("%w: %w", ErrCallback, err)
	case errors.Is(err, smooth.ErrInvalid):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return fmt.Errorf("bilevel: %w", err)
}

func (m *SmoothModel) ok() bool { return m != nil && m.pb != nil }

// Dims returns the number of weights and of hyperparameters.
func (m *SmoothModel) Dims() (n, p int) {
	if !m.ok() {
		return 0, 0
	}
	return m.pb.N, m.pb.P
}

// Classes returns K for a multinomial model, 0 for the others.
func (m *SmoothModel) Classes() int {
	if !m.ok() {
		return 0
	}
	return m.classes
}

// Problem returns the training objective as a smooth.Problem.
func (m *SmoothModel) Problem() *smooth.Problem {
	if !m.ok() {
		return nil
	}
	return m.pb
}

// Fit minimizes g(·, θ) from w, overwriting w, until
// ‖∇g‖∞ ≤ max(tol·‖∇g(0)‖∞, 1e-14) (default tol 1e-10). Ridge solves the
// normal equations exactly (w's initial value and tol are not used; one
// iteration); logistic regression runs at most 200 Newton or chord
// steps, the multinomial model at most 5000 Newton-CG iterations. Fit
// returns the number of iterations.
func (m *SmoothModel) Fit(ctx context.Context, w, theta []float64, tol float64) (int, error) {
	if !m.ok() {
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
	set := &smooth.Settings{Tol: math.Max(tol*m.scale, 1e-14)}
	var res *smooth.Result
	var err error
	if m.newton != nil {
		res, err = m.newton.Minimize(ctx, theta, w, set)
	} else {
		set.Method, set.MaxIter = smooth.NewtonCG, 5000
		res, err = smooth.Minimize(ctx, m.pb, theta, w, set)
	}
	iters := 0
	if res != nil {
		copy(w, res.X)
		iters = res.Iterations
	}
	if err == nil {
		return iters, nil
	}
	if e := ctx.Err(); e != nil {
		return iters, e
	}
	return iters, smoothErr(err)
}

// Condition returns ∇g(w, θ) = 0; for ridge and logistic regression ∂ₓF
// is the Hessian factorization kept by the last Fit at the same point.
func (m *SmoothModel) Condition() implicit.Condition {
	switch {
	case !m.ok():
		return guard(nilCondition{})
	case m.newton != nil:
		return guard(m.newton.Condition())
	}
	return guard(smooth.Condition(m.pb))
}

// ThetaGradient sets dst to ∂g/∂θ = ½ Σ λⱼ wⱼ² grouped by
// hyperparameter: ½ (∂θ∇g)ᵀw, since the penalty's mixed derivative
// ∂θ∇g is λ ∘ w.
func (m *SmoothModel) ThetaGradient(dst, w, theta []float64) {
	if !m.ok() {
		nanFill(dst)
		return
	}
	if n, p := m.Dims(); len(dst) != p || badPoint(w, theta, n, p) != nil {
		nanFill(dst)
		return
	}
	m.pb.MixedVecT(dst, w, theta, w)
	for j := range dst {
		dst[j] *= 0.5
	}
}

// Iteration returns the gradient step T(w, θ) = w − η∇g(w, θ) with
// η = 1/(L + max λ), L the Lipschitz constant of the loss's gradient
// (‖X‖²/m for ridge, a quarter of it for logistic and a half for
// multinomial regression, by power iteration).
func (m *SmoothModel) Iteration(theta []float64) (implicit.Map, float64) {
	if !m.ok() {
		return invalidMap{0, 0, errNilModel}, math.NaN()
	}
	n, p := m.Dims()
	if err := checkTheta(theta, p); err != nil {
		return invalidMap{n, p, err}, math.NaN()
	}
	eta := 1 / (m.lf + maxExp(theta))
	pb := m.pb
	return guardedMap{&implicit.MapFunc{N: n, P: p,
		MapF: func(dst, w, theta []float64) {
			pb.Grad(dst, w, theta)
			for i := range dst {
				dst[i] = w[i] - eta*dst[i]
			}
		},
		LinearizeFunc: func(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
			wc := append([]float64(nil), w...)
			tc := append([]float64(nil), theta...)
			tmp := make([]float64, n)
			apply := func(dst, v []float64) {
				pb.HessVec(tmp, wc, tc, v)
				for i := range dst {
					dst[i] = v[i] - eta*tmp[i]
				}
			}
			return linsolve.NewFunc(n, n, apply, apply), linsolve.Scaled(-eta, pb.MixedOperator(wc, tc)), nil
		},
	}}, eta
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
