package prox

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime/debug"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// callbackPanic returns the error of a recovered panic v.
func callbackPanic(where string, v any) error {
	return fmt.Errorf("%w: %s: %v\n%s", ErrCallback, where, v, debug.Stack())
}

// isNil reports a nil interface or a typed nil pointer in it.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}

// Errors returned by this package; test with errors.Is.
var (
	// ErrDims reports vectors or matrices whose shapes do not match.
	ErrDims = errors.New("prox: dimension mismatch")
	// ErrNaN reports NaN or Inf in an input, or a result (a value, a
	// derivative, an iterate) that overflows.
	ErrNaN = errors.New("prox: NaN or Inf encountered")
	// ErrInvalid reports an invalid regularization parameter (a negative
	// strength or weight, a lower bound above an upper bound, a negative
	// radius), an invalid step η, invalid settings (negative or NaN
	// tolerances, negative counts, unknown enum values), an incomplete
	// Composite or a method called on a nil or zero-value *Lasso.
	ErrInvalid = errors.New("prox: invalid parameter")
	// ErrNotConverged reports a solver that stopped at its iteration cap,
	// on a cancelled context or because it stalled; the best iterate is
	// returned with it.
	ErrNotConverged = errors.New("prox: not converged")
	// ErrStalled reports a solver that stopped making progress before
	// meeting its tolerance: the objective and the residual stopped
	// decreasing, or backtracking found no step. It is always returned
	// together with ErrNotConverged (errors.Is matches both) and the best
	// iterate.
	ErrStalled = errors.New("prox: stalled")
	// ErrCallback reports a panic inside user code called by this
	// package (the smooth part F of a Composite, a user Regularizer or
	// Projector); the error carries the recovered value and its stack.
	ErrCallback = errors.New("prox: panic in user code")
)

// Regularizer is a convex regularizer g(x; λ) with parameters λ ∈ Rᵖ,
// given by its proximity operator
//
//	prox_{ηg}(v; λ) = argminₓ ½‖x − v‖² + η g(x; λ),   η > 0,
//
// together with its derivatives with respect to v and λ. Indicators of
// convex sets are regularizers whose prox is the Euclidean projection.
//
// NumParams returns p for vectors of length n. Check validates λ (and the
// operator's own fixed data: weights, groups) for vectors of length n.
// Prox sets dst = prox_{ηg}(v; λ); dst may alias v. Value returns
// g(x; λ), +Inf outside the domain of an indicator (or if the value
// overflows). Jacobian returns the Jacobians ∂prox/∂v (n×n) and ∂prox/∂λ
// (n×p) at v; where prox is not differentiable (a kink, such as
// |vⱼ| = ηλ for soft thresholding) it returns the one-sided derivative of
// the side where the output is on the boundary (the coordinate stays at
// zero, the point stays on the face), which is the element of the
// generalized Jacobian that the fixed-point condition of a solution with
// that support needs. The returned operators may keep references to v
// and λ.
//
// Every method validates its arguments and returns an error instead of
// panicking or producing NaN: ErrDims for lengths that do not match
// (len(dst) ≠ len(v), len(λ) ≠ NumParams(len(v)), weights or groups that
// do not fit n), ErrNaN for NaN or Inf in v, x or λ (or a derivative that
// overflows), ErrInvalid for negative strengths, weights or radii, crossed
// bounds and a step η that is not finite and positive. On error dst is
// left in an unspecified state. The operators of this package are
// values with exported configuration (weights, groups); they re-validate
// it on each call, in O(n) time and without allocating for n ≤ 1024.
type Regularizer interface {
	NumParams(n int) int
	Check(n int, lambda []float64) error
	Value(x, lambda []float64) (float64, error)
	Prox(dst, v, lambda []float64, eta float64) error
	Jacobian(v, lambda []float64, eta float64) (dv, dlambda linsolve.Operator, err error)
}

// Diagonal is a Regularizer whose ∂prox/∂v is diagonal (a separable
// regularizer). DiagJacobian sets d (length len(v)) to that diagonal at
// v, with the argument checks of Prox. The support-restricted derivatives
// of lasso-type problems rely on it.
type Diagonal interface {
	Regularizer
	DiagJacobian(d, v, lambda []float64, eta float64) error
}

func checkLen(name string, lambda []float64, p int) error {
	if len(lambda) != p {
		return fmt.Errorf("%w: %s needs %d parameters, have %d", ErrDims, name, p, len(lambda))
	}
	for _, l := range lambda {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			return fmt.Errorf("%w: %s parameter %v", ErrNaN, name, l)
		}
	}
	return nil
}

func checkNonNeg(name string, lambda []float64) error {
	for j, l := range lambda {
		if l < 0 {
			return fmt.Errorf("%w: %s parameter %d is negative (%v)", ErrInvalid, name, j, l)
		}
	}
	return nil
}

func checkWeights(name string, w []float64, n int) error {
	if w == nil {
		return nil
	}
	if len(w) != n {
		return fmt.Errorf("%w: %s has %d weights for %d coordinates", ErrDims, name, len(w), n)
	}
	// Fast path: one branch-free pass (min catches a negative weight, the
	// sum of v − v a NaN or Inf); the loop below names the culprit.
	var neg uint64
	var nan float64
	for _, v := range w {
		neg |= math.Float64bits(v) >> 63 // also set by −0, which is valid
		nan += v - v
	}
	if neg == 0 && nan == 0 {
		return nil
	}
	for j, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s weight %d is %v (must be finite and ≥ 0)", ErrInvalid, name, j, v)
		}
	}
	return nil
}

// checkStep validates a prox step η.
func checkStep(name string, eta float64) error {
	if !(eta > 0) || math.IsInf(eta, 1) {
		return fmt.Errorf("%w: %s step η = %v (must be finite and > 0)", ErrInvalid, name, eta)
	}
	return nil
}

// checkProx validates the arguments of Prox, Jacobian and DiagJacobian:
// out (dst or d; skipped when nil and skipOut) of the length of v, v
// finite, η finite and positive, and λ with g.Check.
func checkProx(g Regularizer, name string, out, v, lambda []float64, eta float64, skipOut bool) error {
	if !skipOut && len(out) != len(v) {
		return fmt.Errorf("%w: %s output has length %d, input %d", ErrDims, name, len(out), len(v))
	}
	if err := checkStep(name, eta); err != nil {
		return err
	}
	if !finite(v) {
		return fmt.Errorf("%w: %s input v", ErrNaN, name)
	}
	return g.Check(len(v), lambda)
}

// checkValue validates the arguments of Value.
func checkValue(g Regularizer, name string, x, lambda []float64) error {
	if !finite(x) {
		return fmt.Errorf("%w: %s point x", ErrNaN, name)
	}
	return g.Check(len(x), lambda)
}

// checkJacobian reports overflow in eagerly computed derivative entries.
func checkJacobian(name string, cols ...[]float64) error {
	for _, c := range cols {
		if !finite(c) {
			return fmt.Errorf("%w: %s derivative overflows", ErrNaN, name)
		}
	}
	return nil
}

// mul returns a·b with 0·Inf = 0, for products of non-negative factors
// that may overflow (ηλw, λ·Σ|x|) but must never be NaN.
func mul(a, b float64) float64 {
	if p := a * b; p == p {
		return p
	}
	return 0 // 0·Inf: one factor is exactly zero
}

func weight(w []float64, j int) float64 {
	if w == nil {
		return 1
	}
	return w[j]
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// columnOp is the n×1 operator with the given column.
type columnOp struct{ c []float64 }

func (o columnOp) Dims() (int, int) { return len(o.c), 1 }
func (o columnOp) Apply(dst, v []float64) {
	for i, c := range o.c {
		dst[i] = c * v[0]
	}
}
func (o columnOp) ApplyT(dst, u []float64) {
	var s float64
	for i, c := range o.c {
		s += c * u[i]
	}
	dst[0] = s
}

// columnsOp is the n×k matrix with the given columns.
type columnsOp struct {
	n    int
	cols [][]float64
}

func (o columnsOp) Dims() (int, int) { return o.n, len(o.cols) }
func (o columnsOp) Apply(dst, v []float64) {
	clear(dst)
	for k, c := range o.cols {
		for i, ci := range c {
			dst[i] += ci * v[k]
		}
	}
}
func (o columnsOp) ApplyT(dst, u []float64) {
	for k, c := range o.cols {
		var s float64
		for i, ci := range c {
			s += ci * u[i]
		}
		dst[k] = s
	}
}

// L1 is the weighted l1 norm g(x; λ) = Σⱼ λⱼ wⱼ |xⱼ|, whose prox is soft
// thresholding: prox(v)ⱼ = sign(vⱼ) max(|vⱼ| − ηλⱼwⱼ, 0).
//
// With PerCoordinate false, λ is one strength (p = 1, λⱼ = λ₀); with
// PerCoordinate true, p = n (the weighted lasso, one hyperparameter per
// feature). Weights (nil means all ones) are fixed, non-negative and not
// differentiated. Derivatives: ∂prox/∂vⱼ = 1 if |vⱼ| > ηλⱼwⱼ else 0;
// ∂prox/∂λⱼ = −η wⱼ sign(vⱼ) on the same support.
type L1 struct {
	Weights       []float64
	PerCoordinate bool
}

// NumParams returns 1, or n with PerCoordinate.
func (g L1) NumParams(n int) int {
	if g.PerCoordinate {
		return n
	}
	return 1
}

func (g L1) lam(lambda []float64, j int) float64 {
	if g.PerCoordinate {
		return lambda[j]
	}
	return lambda[0]
}

// threshold returns ηλⱼwⱼ (never NaN; +Inf on overflow).
func (g L1) threshold(lambda []float64, j int, eta float64) float64 {
	return mul(eta, mul(g.lam(lambda, j), weight(g.Weights, j)))
}

// Check validates λ and the weights.
func (g L1) Check(n int, lambda []float64) error {
	if err := checkLen("L1", lambda, g.NumParams(n)); err != nil {
		return err
	}
	if err := checkNonNeg("L1", lambda); err != nil {
		return err
	}
	return checkWeights("L1", g.Weights, n)
}

// Value returns Σ λⱼwⱼ|xⱼ|.
func (g L1) Value(x, lambda []float64) (float64, error) {
	if err := checkValue(g, "L1", x, lambda); err != nil {
		return 0, err
	}
	var s float64
	for j, v := range x {
		s += mul(mul(g.lam(lambda, j), weight(g.Weights, j)), math.Abs(v))
	}
	return s, nil
}

// Prox soft-thresholds v at ηλⱼwⱼ; dst may alias v.
func (g L1) Prox(dst, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "L1", dst, v, lambda, eta, false); err != nil {
		return err
	}
	if !g.PerCoordinate {
		t := mul(eta, lambda[0])
		if g.Weights == nil {
			for j, vj := range v {
				dst[j] = softThreshold(vj, t)
			}
			return nil
		}
		for j, vj := range v {
			dst[j] = softThreshold(vj, mul(t, g.Weights[j]))
		}
		return nil
	}
	for j, vj := range v {
		dst[j] = softThreshold(vj, g.threshold(lambda, j, eta))
	}
	return nil
}

func softThreshold(v, t float64) float64 {
	switch {
	case v > t:
		return v - t
	case v < -t:
		return v + t
	}
	return 0
}

// DiagJacobian sets d to the 0/1 support indicator of prox(v).
func (g L1) DiagJacobian(d, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "L1", d, v, lambda, eta, false); err != nil {
		return err
	}
	g.diag(d, v, lambda, eta)
	return nil
}

func (g L1) diag(d, v, lambda []float64, eta float64) {
	for j, vj := range v {
		if math.Abs(vj) > g.threshold(lambda, j, eta) {
			d[j] = 1
		} else {
			d[j] = 0
		}
	}
}

// Jacobian returns diag(support) and ∂prox/∂λ.
func (g L1) Jacobian(v, lambda []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "L1", nil, v, lambda, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	d := make([]float64, n)
	g.diag(d, v, lambda, eta)
	c := make([]float64, n)
	for j := range n {
		if d[j] != 0 {
			c[j] = -mul(eta, weight(g.Weights, j)) * sign(v[j])
		}
	}
	if err := checkJacobian("L1", c); err != nil {
		return nil, nil, err
	}
	if g.PerCoordinate {
		return linsolve.Diagonal(d), linsolve.Diagonal(c), nil
	}
	return linsolve.Diagonal(d), columnOp{c}, nil
}

// ElasticNet is g(x; λ) = λ₁ Σⱼ wⱼ|xⱼ| + (λ₂/2)‖x‖², θ = (λ₁, λ₂), whose
// prox is prox(v)ⱼ = S(vⱼ, ηλ₁wⱼ)/(1 + ηλ₂) with S soft thresholding.
// Derivatives on the support |vⱼ| > ηλ₁wⱼ: ∂/∂vⱼ = 1/(1+ηλ₂),
// ∂/∂λ₁ = −ηwⱼ sign(vⱼ)/(1+ηλ₂), ∂/∂λ₂ = −η S(vⱼ)/(1+ηλ₂)²; zero off it.
type ElasticNet struct {
	Weights []float64
}

// NumParams returns 2.
func (ElasticNet) NumParams(int) int { return 2 }

// Check validates λ and the weights.
func (g ElasticNet) Check(n int, lambda []float64) error {
	if err := checkLen("ElasticNet", lambda, 2); err != nil {
		return err
	}
	if err := checkNonNeg("ElasticNet", lambda); err != nil {
		return err
	}
	return checkWeights("ElasticNet", g.Weights, n)
}

// Value returns λ₁Σwⱼ|xⱼ| + (λ₂/2)‖x‖².
func (g ElasticNet) Value(x, lambda []float64) (float64, error) {
	if err := checkValue(g, "ElasticNet", x, lambda); err != nil {
		return 0, err
	}
	var a, b float64
	for j, v := range x {
		a += mul(weight(g.Weights, j), math.Abs(v))
		b += v * v
	}
	return mul(lambda[0], a) + 0.5*mul(lambda[1], b), nil
}

// shrink returns 1/(1 + ηλ₂).
func (ElasticNet) shrink(lambda []float64, eta float64) float64 {
	c, _ := ridgeShrink(lambda[1], eta)
	return c
}

// Prox sets dst = S(v, ηλ₁w)/(1+ηλ₂); dst may alias v.
func (g ElasticNet) Prox(dst, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "ElasticNet", dst, v, lambda, eta, false); err != nil {
		return err
	}
	c := g.shrink(lambda, eta)
	t := mul(eta, lambda[0])
	for j, vj := range v {
		dst[j] = c * softThreshold(vj, mul(t, weight(g.Weights, j)))
	}
	return nil
}

// DiagJacobian sets d to 1/(1+ηλ₂) on the support and 0 off it.
func (g ElasticNet) DiagJacobian(d, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "ElasticNet", d, v, lambda, eta, false); err != nil {
		return err
	}
	g.diag(d, v, lambda, eta)
	return nil
}

func (g ElasticNet) diag(d, v, lambda []float64, eta float64) {
	c := g.shrink(lambda, eta)
	t := mul(eta, lambda[0])
	for j, vj := range v {
		if math.Abs(vj) > mul(t, weight(g.Weights, j)) {
			d[j] = c
		} else {
			d[j] = 0
		}
	}
}

// Jacobian returns ∂prox/∂v and the two columns ∂prox/∂λ₁, ∂prox/∂λ₂.
func (g ElasticNet) Jacobian(v, lambda []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "ElasticNet", nil, v, lambda, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	d := make([]float64, n)
	g.diag(d, v, lambda, eta)
	c, etac := ridgeShrink(lambda[1], eta)
	t := mul(eta, lambda[0])
	c1 := make([]float64, n)
	c2 := make([]float64, n)
	for j, vj := range v {
		if d[j] == 0 {
			continue
		}
		wj := weight(g.Weights, j)
		c1[j] = -mul(etac, wj) * sign(vj)
		c2[j] = -etac * (softThreshold(vj, mul(t, wj)) * c)
	}
	if err := checkJacobian("ElasticNet", c1, c2); err != nil {
		return nil, nil, err
	}
	return linsolve.Diagonal(d), columnsOp{n: n, cols: [][]float64{c1, c2}}, nil
}

// NonNegL1 is g(x; λ) = λ Σⱼ wⱼxⱼ + ι(x ≥ 0) (the non-negative lasso),
// p = 1, with prox(v)ⱼ = max(vⱼ − ηλwⱼ, 0), ∂/∂vⱼ = 1 and
// ∂/∂λ = −ηwⱼ where vⱼ > ηλwⱼ, zero elsewhere.
type NonNegL1 struct {
	Weights []float64
}

// NumParams returns 1.
func (NonNegL1) NumParams(int) int { return 1 }

// Check validates λ and the weights.
func (g NonNegL1) Check(n int, lambda []float64) error {
	if err := checkLen("NonNegL1", lambda, 1); err != nil {
		return err
	}
	if err := checkNonNeg("NonNegL1", lambda); err != nil {
		return err
	}
	return checkWeights("NonNegL1", g.Weights, n)
}

// Value returns λΣwⱼxⱼ, or +Inf if some xⱼ < 0.
func (g NonNegL1) Value(x, lambda []float64) (float64, error) {
	if err := checkValue(g, "NonNegL1", x, lambda); err != nil {
		return 0, err
	}
	var s float64
	for j, v := range x {
		if v < 0 {
			return math.Inf(1), nil
		}
		s += mul(weight(g.Weights, j), v)
	}
	return mul(lambda[0], s), nil
}

// Prox sets dst = max(v − ηλw, 0); dst may alias v.
func (g NonNegL1) Prox(dst, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "NonNegL1", dst, v, lambda, eta, false); err != nil {
		return err
	}
	t := mul(eta, lambda[0])
	for j, vj := range v {
		dst[j] = math.Max(vj-mul(t, weight(g.Weights, j)), 0)
	}
	return nil
}

// DiagJacobian sets d to the support indicator.
func (g NonNegL1) DiagJacobian(d, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "NonNegL1", d, v, lambda, eta, false); err != nil {
		return err
	}
	g.diag(d, v, lambda, eta)
	return nil
}

func (g NonNegL1) diag(d, v, lambda []float64, eta float64) {
	t := mul(eta, lambda[0])
	for j, vj := range v {
		if vj > mul(t, weight(g.Weights, j)) {
			d[j] = 1
		} else {
			d[j] = 0
		}
	}
}

// Jacobian returns the support indicator and ∂prox/∂λ.
func (g NonNegL1) Jacobian(v, lambda []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "NonNegL1", nil, v, lambda, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	d := make([]float64, n)
	g.diag(d, v, lambda, eta)
	c := make([]float64, n)
	for j := range n {
		if d[j] != 0 {
			c[j] = -mul(eta, weight(g.Weights, j))
		}
	}
	if err := checkJacobian("NonNegL1", c); err != nil {
		return nil, nil, err
	}
	return linsolve.Diagonal(d), columnOp{c}, nil
}

// SquaredL2 is g(x; λ) = (λ/2)‖x‖² (ridge), p = 1, with
// prox(v) = v/(1+ηλ), ∂/∂v = I/(1+ηλ), ∂/∂λ = −ηv/(1+ηλ)².
type SquaredL2 struct{}

// NumParams returns 1.
func (SquaredL2) NumParams(int) int { return 1 }

// Check validates λ.
func (SquaredL2) Check(_ int, lambda []float64) error {
	if err := checkLen("SquaredL2", lambda, 1); err != nil {
		return err
	}
	return checkNonNeg("SquaredL2", lambda)
}

// Value returns (λ/2)‖x‖².
func (g SquaredL2) Value(x, lambda []float64) (float64, error) {
	if err := checkValue(g, "SquaredL2", x, lambda); err != nil {
		return 0, err
	}
	var s float64
	for _, v := range x {
		s += v * v
	}
	return 0.5 * mul(lambda[0], s), nil
}

// ridgeShrink returns c = 1/(1+ηλ) and ηc = η/(1+ηλ), formed without
// overflow.
func ridgeShrink(lambda, eta float64) (c, etac float64) {
	c = 1 / (1 + mul(eta, lambda))
	if c == 0 { // ηλ overflowed: η/(1+ηλ) ≈ 1/λ
		return 0, 1 / (1/eta + lambda)
	}
	return c, eta * c
}

// Prox sets dst = v/(1+ηλ); dst may alias v.
func (g SquaredL2) Prox(dst, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "SquaredL2", dst, v, lambda, eta, false); err != nil {
		return err
	}
	c, _ := ridgeShrink(lambda[0], eta)
	for j, vj := range v {
		dst[j] = c * vj
	}
	return nil
}

// DiagJacobian sets d to 1/(1+ηλ).
func (g SquaredL2) DiagJacobian(d, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "SquaredL2", d, v, lambda, eta, false); err != nil {
		return err
	}
	c, _ := ridgeShrink(lambda[0], eta)
	for j := range d {
		d[j] = c
	}
	return nil
}

// Jacobian returns I/(1+ηλ) and −ηv/(1+ηλ)².
func (g SquaredL2) Jacobian(v, lambda []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "SquaredL2", nil, v, lambda, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	c, etac := ridgeShrink(lambda[0], eta)
	d := make([]float64, n)
	col := make([]float64, n)
	for j, vj := range v {
		d[j] = c
		col[j] = -etac * (c * vj)
	}
	if err := checkJacobian("SquaredL2", col); err != nil {
		return nil, nil, err
	}
	return linsolve.Diagonal(d), columnOp{col}, nil
}

// Zero is g = 0 (no regularization): prox is the identity and p = 0.
// Proximal gradient with Zero is gradient descent.
type Zero struct{}

// NumParams returns 0.
func (Zero) NumParams(int) int { return 0 }

// Check accepts an empty λ.
func (Zero) Check(_ int, lambda []float64) error { return checkLen("Zero", lambda, 0) }

// Value returns 0.
func (g Zero) Value(x, lambda []float64) (float64, error) {
	if err := checkValue(g, "Zero", x, lambda); err != nil {
		return 0, err
	}
	return 0, nil
}

// Prox copies v.
func (g Zero) Prox(dst, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "Zero", dst, v, lambda, eta, false); err != nil {
		return err
	}
	copy(dst, v)
	return nil
}

// DiagJacobian sets d to ones.
func (g Zero) DiagJacobian(d, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "Zero", d, v, lambda, eta, false); err != nil {
		return err
	}
	for j := range d {
		d[j] = 1
	}
	return nil
}

// Jacobian returns the identity and an n×0 operator.
func (g Zero) Jacobian(v, lambda []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "Zero", nil, v, lambda, eta, true); err != nil {
		return nil, nil, err
	}
	return linsolve.Identity(len(v)), linsolve.Zero{Rows: len(v), Cols: 0}, nil
}

// NonNegSquaredL2 is g(x; λ) = (λ/2)‖x‖² + ι(x ≥ 0) (non-negative ridge),
// p = 1, with prox(v) = max(v, 0)/(1+ηλ); where vⱼ > 0, ∂/∂vⱼ = 1/(1+ηλ)
// and ∂/∂λ = −ηvⱼ/(1+ηλ)², zero elsewhere.
type NonNegSquaredL2 struct{}

// NumParams returns 1.
func (NonNegSquaredL2) NumParams(int) int { return 1 }

// Check validates λ.
func (NonNegSquaredL2) Check(_ int, lambda []float64) error {
	if err := checkLen("NonNegSquaredL2", lambda, 1); err != nil {
		return err
	}
	return checkNonNeg("NonNegSquaredL2", lambda)
}

// Value returns (λ/2)‖x‖², or +Inf if some xⱼ < 0.
func (g NonNegSquaredL2) Value(x, lambda []float64) (float64, error) {
	if err := checkValue(g, "NonNegSquaredL2", x, lambda); err != nil {
		return 0, err
	}
	var s float64
	for _, v := range x {
		if v < 0 {
			return math.Inf(1), nil
		}
		s += v * v
	}
	return 0.5 * mul(lambda[0], s), nil
}

// Prox sets dst = max(v, 0)/(1+ηλ); dst may alias v.
func (g NonNegSquaredL2) Prox(dst, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "NonNegSquaredL2", dst, v, lambda, eta, false); err != nil {
		return err
	}
	c, _ := ridgeShrink(lambda[0], eta)
	for j, vj := range v {
		dst[j] = c * math.Max(vj, 0)
	}
	return nil
}

// DiagJacobian sets d to 1/(1+ηλ) where v > 0 and 0 elsewhere.
func (g NonNegSquaredL2) DiagJacobian(d, v, lambda []float64, eta float64) error {
	if err := checkProx(g, "NonNegSquaredL2", d, v, lambda, eta, false); err != nil {
		return err
	}
	g.diag(d, v, lambda, eta)
	return nil
}

func (NonNegSquaredL2) diag(d, v, lambda []float64, eta float64) {
	c, _ := ridgeShrink(lambda[0], eta)
	for j, vj := range v {
		if vj > 0 {
			d[j] = c
		} else {
			d[j] = 0
		}
	}
}

// Jacobian returns ∂prox/∂v and ∂prox/∂λ.
func (g NonNegSquaredL2) Jacobian(v, lambda []float64, eta float64) (linsolve.Operator, linsolve.Operator, error) {
	if err := checkProx(g, "NonNegSquaredL2", nil, v, lambda, eta, true); err != nil {
		return nil, nil, err
	}
	n := len(v)
	d := make([]float64, n)
	g.diag(d, v, lambda, eta)
	c, etac := ridgeShrink(lambda[0], eta)
	col := make([]float64, n)
	for j, vj := range v {
		if vj > 0 {
			col[j] = -etac * (c * vj)
		}
	}
	if err := checkJacobian("NonNegSquaredL2", col); err != nil {
		return nil, nil, err
	}
	return linsolve.Diagonal(d), columnOp{col}, nil
}
