package perturbed

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

var _ implicit.Differentiable = (*Result)(nil)

// Condition returns, for a Result of Forward, a condition with z = Mean
// (length Dim) and θ the parameters it was evaluated at (length Dim), as
// fresh copies. The score-function Jacobian of VJP and JVP is the exact
// derivative of the likelihood-ratio reweighting of the kept samples: with
// the sample points u_m = θ + σZ_m fixed (the same seeded draws) and θ'
// moving,
//
//	f(θ') = b + (1/M) Σ_m w_m(θ') (y_m − b),
//	w_m(θ') = μ((u_m − θ')/σ) / μ(Z_m) = exp(ν(Z_m) − ν(Z_m − (θ' − θ)/σ)),
//
// (b = y*(θ) with a control variate, else 0) is an unbiased estimate of
// ŷ_σ(θ') by importance sampling, equal to Mean at θ' = θ, and its
// Jacobian at θ' = θ is (1/(σM)) Σ_m (y_m − b) ∇ν(Z_m)ᵀ since
// ∇_θ' w_m = ∇ν(Z_m − (θ' − θ)/σ)/σ · w_m. The condition is this closed
// form, F(z, θ') = z − f(θ'): ∂zF = I, and ∂θF = −∂f(θ') is evaluated from
// the weights and the shifted scores at θ' (for Normal noise
// log w = ⟨Z, δ⟩ − ½‖δ‖², for the centered Gumbel noise
// log w = Σᵢ δᵢ − Eᵢ(e^{δᵢ} − 1) with E = e^{−(Z+γ)}, δ = (θ' − θ)/σ),
// not by VJP and JVP, which apply the same Jacobian at θ' = θ. It holds
// for the kept samples only: a new Forward at θ' draws the same noise
// but calls the oracle at new points. A Result without kept samples
// (from Mean) gives a nil condition.
func (r *Result) Condition() (implicit.Condition, []float64, []float64) {
	if r == nil || r.ys == nil || len(r.theta) != r.dim {
		return nil, nil, nil
	}
	return &condition{r: r}, append([]float64(nil), r.Mean...), append([]float64(nil), r.theta...)
}

// condition is F(z, θ') = z − f(θ') of Result.Condition.
type condition struct{ r *Result }

func (c *condition) Dims() (int, int) { return c.r.dim, c.r.dim }

// weights returns w_m(θ') and the gradients ∇ log w_m(θ') (M×d, row m).
func (c *condition) weights(theta []float64) ([]float64, []float64) {
	r, d := c.r, c.r.dim
	w := make([]float64, r.Samples)
	grad := make([]float64, r.Samples*d)
	delta := make([]float64, d)
	for i := range delta {
		delta[i] = (theta[i] - r.theta[i]) / r.Sigma
	}
	for k := range w {
		sc, g := r.scores[k*d:(k+1)*d], grad[k*d:(k+1)*d]
		lw := 0.0
		for i, di := range delta {
			if r.noise == Gumbel {
				e := 1 - sc[i] // E = e^{−(Z+γ)}, the score being 1 − E
				ed := math.Exp(di)
				lw += di - e*(ed-1)
				g[i] = (1 - e*ed) / r.Sigma
				continue
			}
			lw += sc[i]*di - 0.5*di*di
			g[i] = (sc[i] - di) / r.Sigma
		}
		w[k] = math.Exp(lw)
	}
	return w, grad
}

// centred returns y_m − b for sample k into dst.
func (c *condition) centred(dst []float64, k int) []float64 {
	r, d := c.r, c.r.dim
	copy(dst, r.ys[k*d:(k+1)*d])
	if r.baseline != nil {
		for i := range dst {
			dst[i] -= r.baseline[i]
		}
	}
	return dst
}

func (c *condition) Residual(dst, z, theta []float64) {
	r, d := c.r, c.r.dim
	if len(dst) != d || len(z) != d || len(theta) != d {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	w, _ := c.weights(theta)
	f := make([]float64, d)
	y := make([]float64, d)
	for k, wk := range w {
		for i, v := range c.centred(y, k) {
			f[i] += wk * v
		}
	}
	inv := 1 / float64(r.Samples)
	for i := range dst {
		dst[i] = z[i] - f[i]*inv - r.baselineAt(i)
	}
}

func (c *condition) Linearize(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
	r, d := c.r, c.r.dim
	if len(z) != d || len(theta) != d {
		return nil, nil, fmt.Errorf("%w: condition of Dim %d at len(z) = %d, len(θ) = %d", ErrDims, d, len(z), len(theta))
	}
	if !finite(z) || !finite(theta) {
		return nil, nil, fmt.Errorf("%w: z or θ has NaN or Inf", ErrNaN)
	}
	w, grad := c.weights(theta)
	ys := make([]float64, r.Samples*d)
	for k := range w {
		c.centred(ys[k*d:(k+1)*d], k)
	}
	inv := 1 / float64(r.Samples)
	dz := linsolve.NewFunc(d, d, func(dst, v []float64) { copy(dst, v) }, func(dst, u []float64) { copy(dst, u) })
	// ∂θF = −(1/M) Σ_m w_m (y_m − b) ∇log w_mᵀ.
	dth := linsolve.NewFunc(d, d, func(dst, v []float64) {
		clear(dst)
		for k, wk := range w {
			a := -wk * inv * dot(grad[k*d:(k+1)*d], v)
			for i, yi := range ys[k*d : (k+1)*d] {
				dst[i] += a * yi
			}
		}
	}, func(dst, u []float64) {
		clear(dst)
		for k, wk := range w {
			a := -wk * inv * dot(ys[k*d:(k+1)*d], u)
			for i, gi := range grad[k*d : (k+1)*d] {
				dst[i] += a * gi
			}
		}
	})
	return dz, dth, nil
}
