package bilevel

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Ridge is ridge regression without intercept,
//
//	g(w, θ) = (1/2m)‖y − Xw‖² + ½ Σⱼ λⱼ wⱼ²,   λ = exp(θ),
//
// with one λ for all weights (Shared) or one per feature (PerFeature, the
// "weighted ridge"). Fit solves (XᵀX/m + diag λ) w = Xᵀy/m by a Cholesky
// factorization, which the condition's ∂ₓF reuses. Center y and
// standardize X beforehand (datasets.Standardize).
type Ridge struct {
	dat     *data
	penalty Penalty
	g       *mat.SymDense // XᵀX/m
	b       []float64     // Xᵀy/m
	lmax    float64       // largest eigenvalue of g

	lam     []float64
	h       *mat.SymDense
	fact    *linsolve.Cholesky
	factFor []float64
}

// NewRidge returns the ridge model of the training data (x, y). penalty is
// Shared or PerFeature. x is copied.
func NewRidge(x mat.Matrix, y []float64, penalty Penalty) (*Ridge, error) {
	if penalty != Shared && penalty != PerFeature {
		return nil, fmt.Errorf("%w: ridge penalty must be Shared or PerFeature, not %v", ErrInvalid, penalty)
	}
	d, err := newData(x, y)
	if err != nil {
		return nil, err
	}
	r := &Ridge{dat: d, penalty: penalty, g: d.gram(), b: make([]float64, d.d)}
	d.mulXT(r.b, d.y)
	for j := range r.b {
		r.b[j] /= float64(d.rows)
	}
	r.lmax = d.maxEig()
	r.lam = make([]float64, d.d)
	r.h = mat.NewSymDense(d.d, nil)
	return r, nil
}

// Dims returns the number of features and of hyperparameters.
func (r *Ridge) Dims() (n, p int) {
	if r == nil || r.dat == nil {
		return 0, 0
	}
	if r.penalty == PerFeature {
		return r.dat.d, r.dat.d
	}
	return r.dat.d, 1
}

func (r *Ridge) setLambda(theta []float64) {
	for j := range r.lam {
		if r.penalty == PerFeature {
			r.lam[j] = expClamp(theta[j])
		} else {
			r.lam[j] = expClamp(theta[0])
		}
	}
}

// factorize returns the Cholesky factor of XᵀX/m + diag λ(θ), cached.
func (r *Ridge) factorize(theta []float64) (*linsolve.Cholesky, error) {
	if r.fact != nil && sameVec(r.factFor, theta) {
		return r.fact, nil
	}
	r.setLambda(theta)
	r.h.CopySym(r.g)
	for j, l := range r.lam {
		r.h.SetSym(j, j, r.h.At(j, j)+l)
	}
	f, err := linsolve.NewCholesky(r.h)
	if err != nil {
		return nil, fmt.Errorf("bilevel: ridge: %w", err)
	}
	r.fact, r.factFor = f, append(r.factFor[:0], theta...)
	return f, nil
}

// Fit solves the normal equations exactly; w's initial value and tol are
// not used. It reports one iteration.
func (r *Ridge) Fit(ctx context.Context, w, theta []float64, tol float64) (int, error) {
	if r == nil || r.dat == nil {
		return 0, errNilModel
	}
	n, p := r.Dims()
	if err := checkW(w, n); err != nil {
		return 0, err
	}
	if err := checkTheta(theta, p); err != nil {
		return 0, err
	}
	if err := checkTol("tol", tol); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	f, err := r.factorize(theta)
	if err != nil {
		return 0, err
	}
	if err := f.Solve(w, r.b); err != nil {
		return 0, fmt.Errorf("bilevel: ridge: %w", err)
	}
	if !finite(w) {
		return 1, fmt.Errorf("%w: ridge solution", ErrNaN)
	}
	return 1, nil
}

// Condition returns F(w, θ) = (XᵀX/m + diag λ) w − Xᵀy/m.
func (r *Ridge) Condition() implicit.Condition {
	if r == nil || r.dat == nil {
		return guard(nilCondition{})
	}
	return guard(ridgeCondition{r})
}

type ridgeCondition struct{ r *Ridge }

func (c ridgeCondition) Dims() (int, int) { return c.r.Dims() }

func (c ridgeCondition) Residual(dst, w, theta []float64) {
	r := c.r
	mat.NewVecDense(len(dst), dst).MulVec(r.g, mat.NewVecDense(len(w), w))
	for j := range dst {
		l := expClamp(theta[0])
		if r.penalty == PerFeature {
			l = expClamp(theta[j])
		}
		dst[j] += l*w[j] - r.b[j]
	}
}

func (c ridgeCondition) Linearize(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
	f, err := c.r.factorize(theta)
	if err != nil {
		return nil, nil, err
	}
	return f, penaltyJacobian(c.r.penalty, c.r.lam, w), nil
}

// penaltyJacobian returns ∂θ(λ∘w) for λ = exp(θ): a column λw (Shared) or
// diag(λ∘w) (PerFeature). lam and w are copied.
func penaltyJacobian(p Penalty, lam, w []float64) implicit.Operator {
	lw := make([]float64, len(w))
	for j := range w {
		lw[j] = lam[j] * w[j]
	}
	if p == PerFeature {
		return linsolve.Diagonal(lw)
	}
	return linsolve.NewMatrix(mat.NewDense(len(lw), 1, lw))
}

// ThetaGradient sets dst to ∂g/∂θ: ½λ‖w‖² (Shared) or ½λⱼwⱼ² (PerFeature).
func (r *Ridge) ThetaGradient(dst, w, theta []float64) {
	if r == nil || r.dat == nil {
		nanFill(dst)
		return
	}
	if n, p := r.Dims(); len(dst) != p || badPoint(w, theta, n, p) != nil {
		nanFill(dst)
		return
	}
	clear(dst)
	for j, v := range w {
		if r.penalty == PerFeature {
			dst[j] = 0.5 * expClamp(theta[j]) * v * v
		} else {
			dst[0] += 0.5 * expClamp(theta[0]) * v * v
		}
	}
}

// Iteration returns the gradient step T(w, θ) = w − η ∇g(w, θ) with
// η = 1/(L + max λ).
func (r *Ridge) Iteration(theta []float64) (implicit.Map, float64) {
	if r == nil || r.dat == nil {
		return invalidMap{0, 0, errNilModel}, math.NaN()
	}
	n, p := r.Dims()
	if err := checkTheta(theta, p); err != nil {
		return invalidMap{n, p, err}, math.NaN()
	}
	eta := 1 / (r.lmax + maxExp(theta))
	tmp := make([]float64, n)
	cond := ridgeCondition{r}
	return guardedMap{&implicit.MapFunc{N: n, P: p,
		MapF: func(dst, w, theta []float64) {
			cond.Residual(tmp, w, theta)
			for j := range dst {
				dst[j] = w[j] - eta*tmp[j]
			}
		},
		LinearizeFunc: func(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
			lam := make([]float64, n)
			for j := range lam {
				if r.penalty == PerFeature {
					lam[j] = expClamp(theta[j])
				} else {
					lam[j] = expClamp(theta[0])
				}
			}
			return gradStepJacobian(r.g, lam, eta), linsolve.Scaled(-eta, penaltyJacobian(r.penalty, lam, w)), nil
		},
	}}, eta
}

// gradStepJacobian returns I − η(G + diag λ) as an operator.
func gradStepJacobian(g mat.Symmetric, lam []float64, eta float64) implicit.Operator {
	n := g.SymmetricDim()
	apply := func(dst, v []float64) {
		mat.NewVecDense(n, dst).MulVec(g, mat.NewVecDense(n, v))
		for j := range dst {
			dst[j] = v[j] - eta*(dst[j]+lam[j]*v[j])
		}
	}
	return linsolve.NewFunc(n, n, apply, apply)
}
