package nn

import (
	"fmt"
	"math"
)

// An Optimizer updates parameters in place from their gradient.
type Optimizer interface {
	// Step updates params given grad (same length). They must not alias.
	Step(params, grad []float64) error
}

// SGD is stochastic gradient descent with optional heavy-ball momentum and
// L2 weight decay:
//
//	g ← ∇ + λ θ,   v ← μ v + g,   θ ← θ − η v.
type SGD struct {
	LearningRate float64 // η; 0 means 0.01
	Momentum     float64 // μ in [0, 1)
	WeightDecay  float64 // λ ≥ 0
	velocity     []float64
}

// Step implements [Optimizer].
//
// Invalid settings (a negative, NaN or infinite LearningRate or
// WeightDecay, a Momentum outside [0, 1)) are ErrInvalid; a NaN or Inf
// gradient is ErrNaN. On error the parameters are unchanged.
func (o *SGD) Step(params, grad []float64) error {
	if o == nil {
		return fmt.Errorf("%w: nil SGD", ErrInvalid)
	}
	if len(params) != len(grad) {
		return fmt.Errorf("%w: %d parameters, %d gradients", ErrDims, len(params), len(grad))
	}
	if bad(o.LearningRate) || bad(o.WeightDecay) || !(o.Momentum >= 0 && o.Momentum < 1) {
		return fmt.Errorf("%w: SGD learning rate %v, momentum %v, weight decay %v", ErrInvalid, o.LearningRate, o.Momentum, o.WeightDecay)
	}
	for i, g := range grad {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("%w: gradient[%d] = %v", ErrNaN, i, g)
		}
	}
	lr := o.LearningRate
	if lr == 0 {
		lr = 0.01
	}
	if o.Momentum != 0 && len(o.velocity) != len(params) {
		o.velocity = make([]float64, len(params))
	}
	for i, g := range grad {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("%w: gradient[%d] = %v", ErrNaN, i, g)
		}
		g += o.WeightDecay * params[i]
		if o.Momentum != 0 {
			o.velocity[i] = o.Momentum*o.velocity[i] + g
			g = o.velocity[i]
		}
		params[i] -= lr * g
	}
	return nil
}

// Adam is the Adam optimizer with bias correction (Kingma & Ba 2015):
//
//	g ← ∇ + λ θ,  m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
//	θ ← θ − η (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε).
//
// Zero fields take the usual defaults: η = 1e-3, β₁ = 0.9, β₂ = 0.999,
// ε = 1e-8. Its state binds it to one parameter vector.
type Adam struct {
	LearningRate float64
	Beta1, Beta2 float64
	Epsilon      float64
	WeightDecay  float64
	m, v         []float64
	t            int
}

// Step implements [Optimizer].
//
// Invalid settings (a negative, NaN or infinite LearningRate, Epsilon or
// WeightDecay, a β outside [0, 1)) are ErrInvalid; a NaN or Inf gradient
// is ErrNaN. On error the parameters are unchanged.
func (o *Adam) Step(params, grad []float64) error {
	if o == nil {
		return fmt.Errorf("%w: nil Adam", ErrInvalid)
	}
	if len(params) != len(grad) {
		return fmt.Errorf("%w: %d parameters, %d gradients", ErrDims, len(params), len(grad))
	}
	if bad(o.LearningRate) || bad(o.Epsilon) || bad(o.WeightDecay) ||
		!(o.Beta1 >= 0 && o.Beta1 < 1) || !(o.Beta2 >= 0 && o.Beta2 < 1) {
		return fmt.Errorf("%w: Adam learning rate %v, β %v, %v, ε %v, weight decay %v", ErrInvalid,
			o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay)
	}
	for i, g := range grad {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("%w: gradient[%d] = %v", ErrNaN, i, g)
		}
	}
	lr, b1, b2, eps := o.LearningRate, o.Beta1, o.Beta2, o.Epsilon
	if lr == 0 {
		lr = 1e-3
	}
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	if len(o.m) != len(params) {
		o.m = make([]float64, len(params))
		o.v = make([]float64, len(params))
		o.t = 0
	}
	o.t++
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	for i, g := range grad {
		g += o.WeightDecay * params[i]
		o.m[i] = b1*o.m[i] + (1-b1)*g
		o.v[i] = b2*o.v[i] + (1-b2)*g*g
		params[i] -= lr * (o.m[i] / c1) / (math.Sqrt(o.v[i]/c2) + eps)
	}
	return nil
}

// bad reports a setting that is negative, NaN or infinite.
func bad(x float64) bool { return x < 0 || math.IsNaN(x) || math.IsInf(x, 0) }

// Reset clears the optimizer state.
func (o *Adam) Reset() { o.m, o.v, o.t = nil, nil, 0 }
