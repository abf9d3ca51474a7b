package prox

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// Composite is the problem
//
//	minimize_x  f(x; θ_f) + g(x; λ),   θ = (λ, θ_f),
//
// with f smooth (a [smooth.Problem] with N variables and P parameters)
// and g a regularizer with a cheap prox ([Regularizer]). The parameter vector
// θ of the solvers and conditions of this package lists the p_g =
// G.NumParams(N) parameters λ of g first, then the P parameters of f.
type Composite struct {
	F *smooth.Problem
	G Regularizer
}

// Dims returns n = F.N and p = G.NumParams(n) + F.P (zeros for the
// parts that are missing; see Check).
func (c *Composite) Dims() (n, p int) {
	if c == nil || c.F == nil {
		return 0, 0
	}
	n, p = c.F.N, c.F.P
	if c.G != nil {
		p += c.G.NumParams(n)
	}
	return n, p
}

// Split returns the views λ = θ[:p_g] and θ_f = θ[p_g:]; it returns
// ErrDims if θ does not have length p, ErrInvalid for an incomplete
// problem.
func (c *Composite) Split(theta []float64) (lambda, thetaF []float64, err error) {
	if c == nil || c.F == nil || c.G == nil {
		return nil, nil, fmt.Errorf("%w: Composite needs F and G", ErrInvalid)
	}
	n, p := c.Dims()
	pg := c.G.NumParams(n)
	if pg < 0 || c.F.P < 0 || len(theta) != p {
		return nil, nil, fmt.Errorf("%w: θ has length %d, problem has %d parameters (%d of g, %d of f)", ErrDims, len(theta), p, pg, c.F.P)
	}
	return theta[:pg:pg], theta[pg:], nil
}

// Objective returns f(x; θ_f) + g(x; λ) (+Inf outside the domain of an
// indicator), or an error for invalid x or θ or an f(x) that is not
// finite.
//
// A panic in user code is returned as an error wrapping ErrCallback.
func (c *Composite) Objective(x, theta []float64) (v float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = 0, callbackPanic("Objective", r)
		}
	}()
	if err := c.Check(x, theta); err != nil {
		return 0, err
	}
	lam, tf, _ := c.Split(theta)
	gv, err := c.G.Value(x, lam)
	if err != nil {
		return 0, err
	}
	fv := c.F.Func(x, tf)
	if math.IsNaN(fv) || math.IsInf(fv, 0) {
		return 0, fmt.Errorf("%w: f(x) = %v", ErrNaN, fv)
	}
	return fv + gv, nil
}

// Check validates the problem, the shapes of x and θ and the parameters λ
// of g. A panic in user code (G's methods, F.CheckTheta) is returned as
// an error wrapping ErrCallback.
func (c *Composite) Check(x, theta []float64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = callbackPanic("Check", r)
		}
	}()
	if c == nil || c.F == nil || isNil(c.G) || c.F.Func == nil || c.F.Grad == nil {
		return fmt.Errorf("%w: Composite needs F (with Func and Grad) and G", ErrInvalid)
	}
	n, p := c.Dims()
	if n < 0 || c.F.P < 0 || c.G.NumParams(n) < 0 {
		return fmt.Errorf("%w: negative dimensions (n = %d, p = %d)", ErrDims, n, p)
	}
	if len(x) != n || len(theta) != p {
		return fmt.Errorf("%w: problem is %d×%d, len(x)=%d, len(θ)=%d", ErrDims, n, p, len(x), len(theta))
	}
	if !finite(x) || !finite(theta) {
		return fmt.Errorf("%w: in x or θ", ErrNaN)
	}
	lam, tf, err := c.Split(theta)
	if err != nil {
		return err
	}
	if err := c.G.Check(n, lam); err != nil {
		return err
	}
	if c.F.CheckTheta != nil {
		if err := c.F.CheckTheta(tf); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
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

// Condition returns the condition F(x, θ) = T(x, θ) − x = 0 of the
// minimizers of f + g, T = FixedPoint(c, η) (the same condition as
// implicit.FixedPoint(FixedPoint(c, η))). Its ∂ₓF = D(I − η∇²f) − I is
// nonsingular at a solution where f is strongly convex on the support of
// D (for the lasso: X_S has full column rank and no |vⱼ| sits exactly at
// the threshold).
//
// When g is separable ([Diagonal]: L1, ElasticNet, NonNegL1, Box, …),
// ∂ₓF implements linsolve.Factorized by reduction to the support
// S = {j : Dⱼ > 0}: rows off S are −I, and on S the engine solves with
// K = ∇²f_SS + diag((1 − Dⱼ)/(ηDⱼ)), formed from |S| Hessian-vector
// products and factorized once. For sparse solutions of any smooth f
// (sparse logistic regression, …) a hypergradient then costs |S| + 1
// Hessian-vector products and an |S|×|S| factorization (Bertrand et al.
// 2020). Otherwise ∂ₓF is matrix-free and the engine's Settings.Method
// applies.
func Condition(c *Composite, eta float64) implicit.Condition {
	return &fixedPointCondition{m: fixedPointMap{c: c, eta: eta, residualForm: true}}
}

type fixedPointCondition struct{ m fixedPointMap }

func (fc *fixedPointCondition) Dims() (int, int) { return fc.m.Dims() }

func (fc *fixedPointCondition) Residual(dst, x, theta []float64) {
	if err := fc.m.applyGuarded(dst, x, theta); err != nil {
		nanFill(dst)
		return
	}
	for i := range dst {
		dst[i] -= x[i]
	}
}

func (fc *fixedPointCondition) Linearize(x, theta []float64) (implicit.Operator, implicit.Operator, error) {
	return fc.m.Linearize(x, theta)
}

type fixedPointMap struct {
	c   *Composite
	eta float64
	// residualForm makes Linearize return ∂ₓF = ∂ₓT − I (for Condition)
	// instead of ∂ₓT (for the Map).
	residualForm bool
}

func (m *fixedPointMap) Dims() (int, int) { return m.c.Dims() }

// step sets v = x − η∇f(x).
func (m *fixedPointMap) step(v, x, thetaF []float64) {
	m.c.F.Grad(v, x, thetaF)
	for i := range v {
		v[i] = x[i] - m.eta*v[i]
	}
}

// Map sets dst = T(x, θ). The implicit.Map interface has no error
// result: on invalid input (see Composite.Check; a step η that is not
// finite and positive; dst of the wrong length) or a failing prox it
// fills dst with NaN, which the implicit engine reports as an error.
func (m *fixedPointMap) Map(dst, x, theta []float64) {
	if err := m.applyGuarded(dst, x, theta); err != nil {
		nanFill(dst)
	}
}

// applyGuarded is apply with a panic in user code returned as an error.
func (m *fixedPointMap) applyGuarded(dst, x, theta []float64) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = callbackPanic("FixedPoint", v)
		}
	}()
	return m.apply(dst, x, theta)
}

// apply sets dst = T(x, θ) or returns why it cannot.
func (m *fixedPointMap) apply(dst, x, theta []float64) error {
	if err := m.check(x, theta); err != nil {
		return err
	}
	if len(dst) != len(x) {
		return fmt.Errorf("%w: len(dst)=%d, len(x)=%d", ErrDims, len(dst), len(x))
	}
	lam, tf, _ := m.c.Split(theta)
	v := make([]float64, len(x))
	m.step(v, x, tf)
	return m.c.G.Prox(dst, v, lam, m.eta)
}

func (m *fixedPointMap) check(x, theta []float64) error {
	if err := m.c.Check(x, theta); err != nil {
		return err
	}
	return checkStep("FixedPoint", m.eta)
}

func nanFill(dst []float64) {
	for i := range dst {
		dst[i] = math.NaN()
	}
}

func (m *fixedPointMap) Linearize(x, theta []float64) (opX, opTheta implicit.Operator, err error) {
	defer func() {
		if v := recover(); v != nil {
			opX, opTheta, err = nil, nil, callbackPanic("Linearize", v)
		}
	}()
	if err := m.check(x, theta); err != nil {
		return nil, nil, err
	}
	n, p := m.c.Dims()
	lam, tf, _ := m.c.Split(theta)
	pg := len(lam)
	v := make([]float64, n)
	m.step(v, x, tf)
	if !finite(v) {
		return nil, nil, fmt.Errorf("%w: in the gradient", ErrNaN)
	}
	dv, dl, err := m.c.G.Jacobian(v, lam, m.eta)
	if err != nil {
		return nil, nil, err
	}
	h := m.c.F.HessianOperator(x, tf)
	eta := m.eta
	t := make([]float64, n)
	var dx linsolve.Operator
	if dg, ok := m.c.G.(Diagonal); ok && m.residualForm {
		diag := make([]float64, n)
		if err := dg.DiagJacobian(diag, v, lam, eta); err != nil {
			return nil, nil, err
		}
		dx = newDiagSupport(eta, diag, h)
	} else {
		dx = linsolve.NewFunc(n, n, func(dst, z []float64) {
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
		if m.residualForm {
			dx = linsolve.AddRidge(dx, -1)
		}
	}
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

// finite reports whether x has no NaN or ±Inf. It is on the path of
// every operator call, so it is branch-free: v − v is 0 for finite v and
// NaN otherwise, and NaN survives the sums (four of them, to overlap the
// additions).
func finite(x []float64) bool {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] - x[i]
		s1 += x[i+1] - x[i+1]
		s2 += x[i+2] - x[i+2]
		s3 += x[i+3] - x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] - x[i]
	}
	return s0+s1+s2+s3 == 0
}

// diagSupport is ∂ₓF = D(I − ηH) − I for a diagonal prox Jacobian
// D = diag(d), 0 ≤ dⱼ ≤ 1, and a symmetric Hessian operator H. It
// implements linsolve.Factorized by reduction to the support
// S = {j : dⱼ > 0}: off S the rows are −I, and on S
//
//	A z = b  ⇔  z_N = −b_N,  K z_S = −b_S/(ηd_S) − H_SN z_N,
//	Aᵀu = g  ⇔  K t_S = −g_S/η,  u_S = t_S/d_S,  u_N = −g_N − ηH_NS t_S,
//
// with K = H_SS + diag((1 − dⱼ)/(ηdⱼ)), formed from |S| Hessian-vector
// products and factorized once (Cholesky, or LU if f is not convex on S).
// For sparse solutions this is the support-restricted solve of Bertrand
// et al. (2020) for any smooth f, not only least squares.
//
// It is the one support system of this package: [Condition] builds K from
// Hessian-vector products of any smooth f, [Lasso.Condition] sets gram to
// form H_SS = X_SᵀX_S/n from the columns of X (then K must be positive
// definite: ErrSingular otherwise).
type diagSupport struct {
	n      int
	eta    float64
	diag   []float64
	s      []int
	h      linsolve.Operator
	gram   func(s []int) *mat.SymDense // H_SS, or nil: from products with h
	t1, t2 []float64
	fact   linsolve.Factorized
	err    error
	ready  bool
}

func newDiagSupport(eta float64, diag []float64, h linsolve.Operator) *diagSupport {
	n := len(diag)
	var s []int
	for j, d := range diag {
		if d > 0 {
			s = append(s, j)
		}
	}
	return &diagSupport{n: n, eta: eta, diag: diag, s: s, h: h, t1: make([]float64, n), t2: make([]float64, n)}
}

func (o *diagSupport) Dims() (int, int) { return o.n, o.n }

func (o *diagSupport) Apply(dst, z []float64) {
	o.h.Apply(o.t1, z)
	for j := range dst {
		dst[j] = o.diag[j]*(z[j]-o.eta*o.t1[j]) - z[j]
	}
}

func (o *diagSupport) ApplyT(dst, u []float64) {
	for j := range o.t1 {
		o.t1[j] = o.diag[j] * u[j]
	}
	o.h.Apply(dst, o.t1)
	for j := range dst {
		dst[j] = o.t1[j] - o.eta*dst[j] - u[j]
	}
}

func (o *diagSupport) factor() error {
	if o.ready {
		return o.err
	}
	o.ready = true
	k := len(o.s)
	if k == 0 {
		return nil
	}
	if o.gram != nil {
		sym := o.gram(o.s)
		for a, i := range o.s {
			sym.SetSym(a, a, sym.At(a, a)+(1-o.diag[i])/(o.eta*o.diag[i]))
		}
		o.fact, o.err = factorSupport(sym)
		return o.err
	}
	kk := mat.NewDense(k, k, nil)
	e := make([]float64, o.n)
	for b, j := range o.s {
		e[j] = 1
		o.h.Apply(o.t1, e)
		e[j] = 0
		for a, i := range o.s {
			kk.Set(a, b, o.t1[i])
		}
	}
	sym := mat.NewSymDense(k, nil)
	for a, i := range o.s {
		for b := a; b < k; b++ {
			sym.SetSym(a, b, 0.5*(kk.At(a, b)+kk.At(b, a)))
		}
		sym.SetSym(a, a, sym.At(a, a)+(1-o.diag[i])/(o.eta*o.diag[i]))
	}
	if ch, err := linsolve.NewCholesky(sym); err == nil {
		o.fact = ch
		return nil
	}
	lu, err := linsolve.NewLU(sym)
	if err != nil {
		o.err = err
		return err
	}
	o.fact = lu
	return nil
}

func (o *diagSupport) Solve(dst, b []float64) error {
	if err := o.factor(); err != nil {
		return err
	}
	for j := range dst {
		dst[j] = -b[j]
	}
	k := len(o.s)
	if k == 0 {
		return nil
	}
	// t1 = H z̃ with z̃ = z_N off S and 0 on S.
	copy(o.t2, dst)
	for _, j := range o.s {
		o.t2[j] = 0
	}
	o.h.Apply(o.t1, o.t2)
	rhs := make([]float64, k)
	for a, j := range o.s {
		rhs[a] = -b[j]/(o.eta*o.diag[j]) - o.t1[j]
	}
	zs := make([]float64, k)
	if err := o.fact.Solve(zs, rhs); err != nil {
		return err
	}
	for a, j := range o.s {
		dst[j] = zs[a]
	}
	return nil
}

func (o *diagSupport) SolveT(dst, g []float64) error {
	if err := o.factor(); err != nil {
		return err
	}
	k := len(o.s)
	if k == 0 {
		for j := range dst {
			dst[j] = -g[j]
		}
		return nil
	}
	rhs := make([]float64, k)
	for a, j := range o.s {
		rhs[a] = -g[j] / o.eta
	}
	ts := make([]float64, k)
	if err := o.fact.SolveT(ts, rhs); err != nil {
		return err
	}
	clear(o.t2)
	for a, j := range o.s {
		o.t2[j] = ts[a]
	}
	o.h.Apply(o.t1, o.t2)
	for j := range dst {
		dst[j] = -g[j] - o.eta*o.t1[j]
	}
	for a, j := range o.s {
		dst[j] = ts[a] / o.diag[j]
	}
	return nil
}

var _ linsolve.Factorized = (*diagSupport)(nil)
