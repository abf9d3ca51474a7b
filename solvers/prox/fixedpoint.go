package prox

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// Composite is the problem
//
//	minimize_x  f(x; θ_f) + g(x; λ),   θ = (λ, θ_f),
//
// with f smooth (a [smooth.Problem] with N variables and P parameters)
// and g a regularizer with a cheap prox ([Operator]). The parameter vector
// θ of the solvers and conditions of this package lists the p_g =
// G.NumParams(N) parameters λ of g first, then the P parameters of f.
type Composite struct {
	F *smooth.Problem
	G Operator
}

// Dims returns n = F.N and p = G.NumParams(n) + F.P.
func (c *Composite) Dims() (n, p int) {
	n = c.F.N
	return n, c.G.NumParams(n) + c.F.P
}

// Split returns the views λ = θ[:p_g] and θ_f = θ[p_g:].
func (c *Composite) Split(theta []float64) (lambda, thetaF []float64) {
	pg := c.G.NumParams(c.F.N)
	return theta[:pg:pg], theta[pg:]
}

// Objective returns f(x; θ_f) + g(x; λ).
func (c *Composite) Objective(x, theta []float64) float64 {
	lam, tf := c.Split(theta)
	return c.F.Func(x, tf) + c.G.Value(x, lam)
}

// Check validates the problem, the shapes of x and θ and the parameters λ
// of g.
func (c *Composite) Check(x, theta []float64) error {
	if c == nil || c.F == nil || c.G == nil || c.F.Func == nil || c.F.Grad == nil {
		return fmt.Errorf("%w: Composite needs F (with Func and Grad) and G", ErrParam)
	}
	n, p := c.Dims()
	if len(x) != n || len(theta) != p {
		return fmt.Errorf("%w: problem is %d×%d, len(x)=%d, len(θ)=%d", ErrDims, n, p, len(x), len(theta))
	}
	if !finite(x) || !finite(theta) {
		return fmt.Errorf("%w: in x or θ", ErrNaN)
	}
	lam, tf := c.Split(theta)
	if err := c.G.Check(n, lam); err != nil {
		return err
	}
	if c.F.CheckTheta != nil {
		if err := c.F.CheckTheta(tf); err != nil {
			return fmt.Errorf("%w: %w", ErrParam, err)
		}
	}
	return nil
}

// FixedPoint returns the proximal-gradient map of c with step η > 0,
//
//	T(x, θ) = prox_{ηg}(x − η∇ₓf(x; θ_f); λ),
//
// whose fixed points are the minimizers of f + g. Its linearization is
//
//	∂ₓT = D (I − η∇²ₓₓf),   ∂λT = ∂prox/∂λ,   ∂θ_f T = −η D ∂θ_f∇ₓf,
//
// with D = ∂prox/∂v at v = x − η∇f, all matrix-free. The map keeps
// scratch memory and is used by one goroutine at a time. η does not
// change the fixed points nor the derivatives of x*; η ≈ 1/L, L the
// Lipschitz constant of ∇f, gives the best-conditioned linear systems.
func FixedPoint(c *Composite, eta float64) implicit.Map {
	return &fixedPointMap{c: c, eta: eta}
}

// Condition returns implicit.FixedPoint(FixedPoint(c, η)): the condition
// F(x, θ) = prox_{ηg}(x − η∇f(x)) − x = 0 of the minimizers of f + g.
// Its ∂ₓF = D(I − η∇²f) − I is nonsingular at a solution where f is
// strongly convex on the support of D (for the lasso: X_S has full column
// rank and no |vⱼ| sits exactly at the threshold).
func Condition(c *Composite, eta float64) implicit.Condition {
	return implicit.FixedPoint(FixedPoint(c, eta))
}

type fixedPointMap struct {
	c   *Composite
	eta float64
}

func (m *fixedPointMap) Dims() (int, int) { return m.c.Dims() }

// step sets v = x − η∇f(x).
func (m *fixedPointMap) step(v, x, thetaF []float64) {
	m.c.F.Grad(v, x, thetaF)
	for i := range v {
		v[i] = x[i] - m.eta*v[i]
	}
}

func (m *fixedPointMap) Map(dst, x, theta []float64) {
	lam, tf := m.c.Split(theta)
	v := make([]float64, len(x))
	m.step(v, x, tf)
	m.c.G.Prox(dst, v, lam, m.eta)
}

func (m *fixedPointMap) Linearize(x, theta []float64) (implicit.Operator, implicit.Operator, error) {
	if err := m.c.Check(x, theta); err != nil {
		return nil, nil, err
	}
	if !(m.eta > 0) || math.IsInf(m.eta, 0) {
		return nil, nil, fmt.Errorf("%w: step η = %v", ErrParam, m.eta)
	}
	n, p := m.c.Dims()
	lam, tf := m.c.Split(theta)
	pg := len(lam)
	v := make([]float64, n)
	m.step(v, x, tf)
	if !finite(v) {
		return nil, nil, fmt.Errorf("%w: in the gradient", ErrNaN)
	}
	dv, dl := m.c.G.Jacobian(v, lam, m.eta)
	h := m.c.F.HessianOperator(x, tf)
	eta := m.eta
	t := make([]float64, n)
	dx := linsolve.NewFunc(n, n, func(dst, z []float64) {
		h.Apply(t, z)
		for i := range t {
			t[i] = z[i] - eta*t[i]
		}
		dv.Apply(dst, t)
	}, func(dst, u []float64) {
		dv.ApplyT(t, u)
		h.Apply(dst, t)
		for i := range dst {
			dst[i] = t[i] - eta*dst[i]
		}
	})
	if m.c.F.P == 0 {
		return dx, dl, nil
	}
	mixed := m.c.F.MixedOperator(x, tf)
	t2 := make([]float64, n)
	dtheta := linsolve.NewFunc(n, p, func(dst, z []float64) {
		dl.Apply(dst, z[:pg])
		mixed.Apply(t, z[pg:])
		dv.Apply(t2, t)
		for i := range dst {
			dst[i] -= eta * t2[i]
		}
	}, func(dst, u []float64) {
		dl.ApplyT(dst[:pg], u)
		dv.ApplyT(t2, u)
		mixed.ApplyT(dst[pg:], t2)
		for i := pg; i < p; i++ {
			dst[i] *= -eta
		}
	})
	return dx, dtheta, nil
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
