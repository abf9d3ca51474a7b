package prox

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// ErrSingular reports a support system X_SᵀX_S/n + λ₂I that is singular
// to working precision: the lasso solution is not unique (more active
// features than samples, or collinear active features) and not
// differentiable.
// It wraps linsolve.ErrSingular, so errors.Is matches either.
var ErrSingular = fmt.Errorf("prox: singular support system: %w", linsolve.ErrSingular)

// SupportLinearization is the derivative of a lasso-type solution w*(θ)
// computed on its support S = {j : w*ⱼ ≠ 0} only (Bertrand et al. 2020).
// Away from kinks (no |Xⱼᵀr/n| = λⱼ with w*ⱼ = 0) the support is locally
// constant, w*_N stays 0, and on S the optimality condition
// X_Sᵀ(y − X_S w_S)/n = λ_S ∘ sign(w_S) + λ₂ w_S gives
//
//	K ∂w_S = −(sign(w_S) ∘ ∂λ_S + w_S ∂λ₂),   K = X_SᵀX_S/n + λ₂ I.
//
// Forming K costs O(n|S|²) and its Cholesky factorization O(|S|³); then
// each JVP or VJP costs O(|S|²) (plus O(d) to write a d-vector), whatever
// the number of features d.
//
// It implements [implicit.Differentiable]: Condition returns the lasso's
// proximal-gradient fixed-point condition ([Lasso.Condition]) at the
// linearized point w and θ, whose generic linearization (the engine's
// solve with ∂ₓF = D(I − ηXᵀX/n) − I) gives the same derivatives as JVP
// and VJP, the support-restricted fast path. θ is laid out as the
// Lasso's [Penalty] says: (λ), (λ₁, …, λ_d) or (λ, λ₂).
type SupportLinearization struct {
	l       *Lasso
	th      []float64
	d, p    int
	penalty Penalty
	lam     []float64 // the strengths e^θ on the log scale, else nil
	s       []int
	signs   []float64
	ws      []float64
	chol    *linsolve.Cholesky
	buf     []float64
}

// Linearize returns the support-restricted derivative of the solution w
// (typically from Solve) at θ. It returns ErrSingular when K is singular.
// w is copied.
func (l *Lasso) Linearize(w, theta []float64) (*SupportLinearization, error) {
	if l == nil || l.d == 0 {
		return nil, errNilLasso
	}
	if err := l.CheckTheta(theta); err != nil {
		return nil, err
	}
	if len(w) != l.d {
		return nil, fmt.Errorf("%w: len(w)=%d, want %d", ErrDims, len(w), l.d)
	}
	if !finite(w) {
		return nil, fmt.Errorf("%w: in w", ErrNaN)
	}
	s := support(w)
	k := len(s)
	sl := &SupportLinearization{l: l, d: l.d, p: l.NumParams(), penalty: l.penalty, s: s,
		signs: make([]float64, k), ws: make([]float64, k),
		th: append([]float64(nil), theta...)}
	if l.penalty.LogScale {
		sl.lam = l.penalty.strengths(theta)
	}
	for a, j := range s {
		sl.signs[a] = sign(w[j])
		sl.ws[a] = w[j]
	}
	if k == 0 {
		return sl, nil
	}
	var err error
	if sl.chol, err = factorSupport(l.supportGram(s, l.l2(l.penalty.strengths(theta)))); err != nil {
		return nil, fmt.Errorf("%w (n = %d)", err, l.n)
	}
	sl.buf = make([]float64, k)
	return sl, nil
}

// factorSupport factorizes a support system K (the one factorization of
// this package's support-restricted derivatives: SupportLinearization and
// the lasso's Condition): Cholesky, ErrSingular when K is not positive
// definite or too ill-conditioned to solve with.
func factorSupport(K *mat.SymDense) (*linsolve.Cholesky, error) {
	ch, err := linsolve.NewCholesky(K)
	if err != nil {
		return nil, fmt.Errorf("%w: support system of size %d: %w", ErrSingular, K.SymmetricDim(), err)
	}
	return ch, nil
}

// supportGram returns X_SᵀX_S/n + diag(extra) (extra scalar added to the
// diagonal).
func (l *Lasso) supportGram(s []int, extra float64) *mat.SymDense {
	k := len(s)
	n := l.n
	inv := 1 / float64(n)
	K := mat.NewSymDense(k, nil)
	for a, ja := range s {
		ca := l.xc[ja*n : (ja+1)*n]
		for b := a; b < k; b++ {
			jb := s[b]
			K.SetSym(a, b, dot(ca, l.xc[jb*n:(jb+1)*n])*inv)
		}
		K.SetSym(a, a, K.At(a, a)+extra)
	}
	return K
}

var _ implicit.Differentiable = (*SupportLinearization)(nil)

// Condition returns the lasso's fixed-point condition [Lasso.Condition]
// with fresh copies of the point w and the parameters θ at which it was
// linearized ([implicit.Differentiable]).
func (sl *SupportLinearization) Condition() (c implicit.Condition, w, theta []float64) {
	if sl == nil || sl.d == 0 {
		return nil, nil, nil
	}
	w = make([]float64, sl.d) // zero off the support
	for a, j := range sl.s {
		w[j] = sl.ws[a]
	}
	return sl.l.Condition(), w, append([]float64(nil), sl.th...)
}

// Support returns the support S (shared; do not modify).
func (sl *SupportLinearization) Support() []int {
	if sl == nil || sl.d == 0 {
		return nil
	}
	return sl.s
}

// Dims returns (d, p).
func (sl *SupportLinearization) Dims() (d, p int) {
	if sl == nil || sl.d == 0 {
		return 0, 0
	}
	return sl.d, sl.p
}

// Errors of methods called on nil receivers.
var (
	errNilLasso         = fmt.Errorf("%w: nil Lasso", ErrInvalid)
	errNilLinearization = fmt.Errorf("%w: nil SupportLinearization", ErrInvalid)
)

// JVP sets dst (length d) to ∂w*·dθ.
func (sl *SupportLinearization) JVP(dst, dtheta []float64) error {
	if sl == nil || sl.d == 0 {
		return errNilLinearization
	}
	if len(dst) != sl.d || len(dtheta) != sl.p {
		return fmt.Errorf("%w: JVP with d=%d p=%d, len(dθ)=%d, len(dst)=%d", ErrDims, sl.d, sl.p, len(dtheta), len(dst))
	}
	if !finite(dtheta) {
		return fmt.Errorf("%w: in dθ", ErrNaN)
	}
	clear(dst)
	k := len(sl.s)
	if k == 0 {
		return nil
	}
	dl := dtheta // dλ
	if sl.lam != nil {
		dl = make([]float64, len(dtheta))
		for t, v := range dtheta {
			dl[t] = sl.lam[t] * v
		}
	}
	b := sl.buf
	for a, j := range sl.s {
		switch {
		case sl.penalty.Strengths == smooth.PerFeature:
			b[a] = -sl.signs[a] * dl[j]
		case sl.penalty.ElasticNet:
			b[a] = -sl.signs[a]*dl[0] - sl.ws[a]*dl[1]
		default:
			b[a] = -sl.signs[a] * dl[0]
		}
	}
	if err := sl.chol.Solve(sl.buf, sl.buf); err != nil {
		return fmt.Errorf("%w: %w", ErrSingular, err)
	}
	for a, j := range sl.s {
		dst[j] = b[a]
	}
	return nil
}

// VJP sets dst (length p) to ∇θ⟨g, w*(θ)⟩ = (∂w*)ᵀ g. Only g_S enters
// the result; NaN or Inf anywhere in g is an error (ErrNaN).
func (sl *SupportLinearization) VJP(dst, g []float64) error {
	if sl == nil || sl.d == 0 {
		return errNilLinearization
	}
	if len(dst) != sl.p || len(g) != sl.d {
		return fmt.Errorf("%w: VJP with d=%d p=%d, len(g)=%d, len(dst)=%d", ErrDims, sl.d, sl.p, len(g), len(dst))
	}
	if !finite(g) {
		return fmt.Errorf("%w: in g", ErrNaN)
	}
	clear(dst)
	k := len(sl.s)
	if k == 0 {
		return nil
	}
	u := sl.buf
	for a, j := range sl.s {
		u[a] = g[j]
	}
	if err := sl.chol.Solve(sl.buf, sl.buf); err != nil {
		return fmt.Errorf("%w: %w", ErrSingular, err)
	}
	for a, j := range sl.s {
		switch {
		case sl.penalty.Strengths == smooth.PerFeature:
			dst[j] = -sl.signs[a] * u[a]
		case sl.penalty.ElasticNet:
			dst[0] -= sl.signs[a] * u[a]
			dst[1] -= sl.ws[a] * u[a]
		default:
			dst[0] -= sl.signs[a] * u[a]
		}
	}
	for t := range dst { // the chain rule of λ = e^θ
		if sl.lam != nil {
			dst[t] *= sl.lam[t]
		}
	}
	return nil
}

// VJPData returns the gradients of ⟨g, w*⟩ with respect to the data X
// (n×d) and y (length n), for models that learn the data (a lasso layer).
// On the support, differentiating X_Sᵀ(y − X_S w_S)/n = λ_S∘sign(w_S) +
// λ₂w_S gives, with u = K⁻¹g_S and r = y − Xw*,
//
//	∇y = X_S u / n,   ∇X_S = (r uᵀ − (X_S u) w_Sᵀ)/n,   ∇X_N = 0.
//
// Cost O(n|S| + |S|²) beyond writing the n×d output.
func (sl *SupportLinearization) VJPData(g []float64) (gx *mat.Dense, gy []float64, err error) {
	if sl == nil || sl.d == 0 {
		return nil, nil, errNilLinearization
	}
	l := sl.l
	if l == nil || l.d == 0 {
		return nil, nil, fmt.Errorf("%w: SupportLinearization not made by Lasso.Linearize", ErrInvalid)
	}
	if len(g) != sl.d {
		return nil, nil, fmt.Errorf("%w: len(g)=%d, want %d", ErrDims, len(g), sl.d)
	}
	n := l.n
	gx = mat.NewDense(n, sl.d, nil)
	gy = make([]float64, n)
	k := len(sl.s)
	if k == 0 {
		return gx, gy, nil
	}
	u := sl.buf
	for a, j := range sl.s {
		u[a] = g[j]
	}
	if !finite(u) {
		return nil, nil, fmt.Errorf("%w: in g", ErrNaN)
	}
	if err := sl.chol.Solve(sl.buf, sl.buf); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrSingular, err)
	}
	// xu = X_S u, r = y − X_S w_S.
	xu := make([]float64, n)
	r := append([]float64(nil), l.y...)
	for a, j := range sl.s {
		col := l.xc[j*n : (j+1)*n]
		axpy(u[a], col, xu)
		axpy(-sl.ws[a], col, r)
	}
	inv := 1 / float64(n)
	for i := range n {
		gy[i] = xu[i] * inv
		row := gx.RawRowView(i)
		for a, j := range sl.s {
			row[j] = (r[i]*u[a] - xu[i]*sl.ws[a]) * inv
		}
	}
	return gx, gy, nil
}

// Jacobian returns the dense d×p Jacobian ∂w*/∂θ.
func (sl *SupportLinearization) Jacobian() (*mat.Dense, error) {
	if sl == nil || sl.d == 0 {
		return nil, errNilLinearization
	}
	out := mat.NewDense(sl.d, sl.p, nil)
	e := make([]float64, sl.p)
	col := make([]float64, sl.d)
	for j := range sl.p {
		e[j] = 1
		if err := sl.JVP(col, e); err != nil {
			return nil, err
		}
		e[j] = 0
		out.SetCol(j, col)
	}
	return out, nil
}

// Condition returns the proximal-gradient fixed-point condition of the
// problem,
//
//	F(w, θ) = prox_{ηg}(w + η Xᵀ(y − Xw)/n; θ) − w = 0,   η = 1/L,
//
// with the same θ as Solve (L = [Lasso.Lipschitz]). It is the generic
// condition of [Condition] specialized to least squares: its
// ∂ₓF = D(I − ηXᵀX/n) − I, D the diagonal Jacobian of the prox,
// implements linsolve.Factorized by reduction to the support S of D (the
// solve of [Condition] for separable regularizers) with the support
// system X_SᵀX_S/n + diag((1 − Dⱼ)/(ηDⱼ)) formed from the columns of X
// in O(n|S|²), so the implicit engine solves it with one
// O(n|S|² + |S|³) factorization and O(nd) per solve instead of a dense
// d×d LU. [Lasso.Linearize] is the faster path that skips the off-support
// rows entirely.
func (l *Lasso) Condition() implicit.Condition {
	if l == nil || l.d == 0 {
		return Condition(nil, 1)
	}
	return &lassoCondition{l: l, g: l.Regularizer()}
}

// ConditionStep is [Lasso.Condition] with the step η > 0 instead of 1/L:
// the same zeros and derivatives of w*, a different scaling of ∂ₓF,
// which matters to methods that iterate with I + ∂ₓF (a truncated
// Neumann series, unrolled iterations). A step that is not finite and
// positive gives a condition whose Linearize returns ErrInvalid.
func (l *Lasso) ConditionStep(eta float64) implicit.Condition {
	if l == nil || l.d == 0 {
		return Condition(nil, eta)
	}
	return &lassoCondition{l: l, g: l.Regularizer(), step: eta, fixed: true}
}

type lassoCondition struct {
	l     *Lasso
	g     Diagonal
	step  float64 // with fixed; else 1/L
	fixed bool
}

func (c *lassoCondition) eta() float64 {
	if c.fixed {
		return c.step
	}
	if lip := c.l.Lipschitz(); lip > 0 && !math.IsInf(lip, 0) {
		return 1 / lip
	}
	return 1
}

func (c *lassoCondition) Dims() (int, int) { return c.l.d, c.l.NumParams() }

// gradStep sets v = w + ηXᵀ(y − Xw)/n (through the Gram matrix when it is
// small).
func (c *lassoCondition) gradStep(v, w []float64) {
	if c.l.smallGram() {
		c.l.hess(v, w)
		for j := range v {
			v[j] = c.l.xty[j] - v[j]
		}
	} else {
		r := make([]float64, c.l.n)
		c.l.residual(r, w)
		c.l.correlations(v, r)
	}
	eta := c.eta()
	for j := range v {
		v[j] = w[j] + eta*v[j]
	}
}

func (c *lassoCondition) check(w, theta []float64) error {
	if err := c.l.checkPoint(w, theta); err != nil {
		return err
	}
	return checkStep("Lasso.ConditionStep", c.eta())
}

// Residual sets dst = F(w, θ). The implicit.Condition interface has no
// error result: on invalid input (see Lasso.CheckTheta; w or dst not of
// length d, or not finite) it fills dst with NaN, which the implicit
// engine reports as an error.
func (c *lassoCondition) Residual(dst, w, theta []float64) {
	if err := c.check(w, theta); err != nil || len(dst) != c.l.d {
		nanFill(dst)
		return
	}
	v := make([]float64, c.l.d)
	c.gradStep(v, w)
	if err := c.g.Prox(dst, v, theta, c.eta()); err != nil {
		nanFill(dst)
		return
	}
	for j := range dst {
		dst[j] -= w[j]
	}
}

func (c *lassoCondition) Linearize(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
	if err := c.check(w, theta); err != nil {
		return nil, nil, err
	}
	d := c.l.d
	v := make([]float64, d)
	c.gradStep(v, w)
	if !finite(v) {
		return nil, nil, fmt.Errorf("%w: in the gradient", ErrNaN)
	}
	eta := c.eta()
	diag := make([]float64, d)
	if err := c.g.DiagJacobian(diag, v, theta, eta); err != nil {
		return nil, nil, err
	}
	_, dl, err := c.g.Jacobian(v, theta, eta)
	if err != nil {
		return nil, nil, err
	}
	ds := newDiagSupport(eta, diag, linsolve.NewFunc(d, d, c.l.hess, c.l.hess))
	ds.gram = func(s []int) *mat.SymDense { return c.l.supportGram(s, 0) }
	return ds, dl, nil
}

// hess sets dst = XᵀXz/n: by the Gram matrix when it is small, else
// from the columns of X, skipping the zeros of z.
func (l *Lasso) hess(dst, z []float64) {
	if l.smallGram() {
		g, d := l.gramMatrix(), l.d
		for a := range d {
			dst[a] = dot(g[a*d:(a+1)*d], z)
		}
		return
	}
	l.hessCols(dst, z)
}

// hessCols is hess from the columns of X.
func (l *Lasso) hessCols(dst, z []float64) {
	q := make([]float64, l.n)
	for j, v := range z {
		if v != 0 {
			axpy(v, l.xc[j*l.n:(j+1)*l.n], q)
		}
	}
	l.correlations(dst, q)
}

// ImplicitProblem ties [Lasso.Solve] to [Lasso.Condition]: Solve(ctx, θ,
// init) runs coordinate descent (init is a warm start) and the solution's
// VJP, JVP and Jacobian go through the implicit engine. engine may be nil.
func (l *Lasso) ImplicitProblem(s *CDSettings, engine *implicit.Settings) *implicit.Problem {
	if l == nil || l.d == 0 {
		return ImplicitProblem(nil, 1, nil, engine)
	}
	return &implicit.Problem{
		Solver: func(ctx context.Context, theta, init []float64) ([]float64, error) {
			res, err := l.Solve(ctx, theta, init, s)
			if err != nil {
				return nil, err
			}
			return res.W, nil
		},
		Condition: l.Condition(),
		Settings:  engine,
	}
}
