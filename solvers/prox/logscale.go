package prox

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// LogScale returns g with its parameters on the log scale: the
// regularizer g(x; e^θ), θ ∈ Rᵖ any finite vector with θ ≤ 709 (so that
// e^θ is finite). Prox, Value and ∂prox/∂v are g's at λ = e^θ, and
// ∂prox/∂θ = ∂prox/∂λ · diag(e^θ). Strengths of hyperparameter search
// live on this scale: it keeps them positive and makes equal steps in θ
// equal ratios in λ. When g is [Diagonal] so is the result.
func LogScale(g Regularizer) Regularizer {
	if d, ok := g.(Diagonal); ok {
		return logScaleDiag{logScale{d}, d}
	}
	return logScale{g}
}

type logScale struct{ g Regularizer }

type logScaleDiag struct {
	logScale
	d Diagonal
}

func (r logScale) NumParams(n int) int {
	if isNil(r.g) {
		return 0
	}
	return r.g.NumParams(n)
}

// lambda returns e^θ after checking θ.
func (r logScale) lambda(theta []float64) ([]float64, error) {
	if isNil(r.g) {
		return nil, fmt.Errorf("%w: LogScale of a nil regularizer", ErrInvalid)
	}
	lam := make([]float64, len(theta))
	for j, t := range theta {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("%w: θ[%d] = %v", ErrNaN, j, t)
		}
		if t > maxLogStrength {
			return nil, fmt.Errorf("%w: θ[%d] = %v: e^θ overflows", ErrInvalid, j, t)
		}
		lam[j] = math.Exp(t)
	}
	return lam, nil
}

func (r logScale) Check(n int, theta []float64) error {
	lam, err := r.lambda(theta)
	if err != nil {
		return err
	}
	return r.g.Check(n, lam)
}

func (r logScale) Value(x, theta []float64) (float64, error) {
	lam, err := r.lambda(theta)
	if err != nil {
		return 0, err
	}
	return r.g.Value(x, lam)
}

func (r logScale) Prox(dst, v, theta []float64, eta float64) error {
	lam, err := r.lambda(theta)
	if err != nil {
		return err
	}
	return r.g.Prox(dst, v, lam, eta)
}

func (r logScale) Jacobian(v, theta []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	lam, err := r.lambda(theta)
	if err != nil {
		return nil, nil, err
	}
	dv, dl, err := r.g.Jacobian(v, lam, eta)
	if err != nil {
		return nil, nil, err
	}
	n, p := dl.Dims()
	t := make([]float64, p)
	return dv, linsolve.NewFunc(n, p, func(dst, z []float64) {
		for j := range t {
			t[j] = lam[j] * z[j]
		}
		dl.Apply(dst, t)
	}, func(dst, u []float64) {
		dl.ApplyT(dst, u)
		for j := range dst {
			dst[j] *= lam[j]
		}
	}), nil
}

func (r logScaleDiag) DiagJacobian(d, v, theta []float64, eta float64) error {
	lam, err := r.lambda(theta)
	if err != nil {
		return err
	}
	return r.d.DiagJacobian(d, v, lam, eta)
}
