package bilevel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime/debug"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// Errors returned by this package. Use errors.Is to test for them.
var (
	// ErrDims reports inputs whose shapes do not match.
	ErrDims = errors.New("bilevel: dimension mismatch")
	// ErrNaN reports NaN or Inf in an input, or in a computed value.
	ErrNaN = errors.New("bilevel: NaN or Inf encountered")
	// ErrBounds reports box bounds with a lower bound above its upper
	// bound, or NaN bounds. (A starting point outside the box is projected
	// onto it.)
	ErrBounds = errors.New("bilevel: invalid bounds")
	// ErrLabels reports classification labels that are not usable: a
	// single class, labels other than ±1 (binary) or 0…K−1 (multinomial).
	ErrLabels = errors.New("bilevel: invalid labels")
	// ErrNotConverged reports an inner solver that stopped before reaching
	// its tolerance; the best iterate found is kept.
	ErrNotConverged = errors.New("bilevel: inner solver did not converge")
	// ErrMethod reports a hypergradient method that the model does not
	// support (for example the support-restricted forward method on a
	// smooth model).
	ErrMethod = errors.New("bilevel: method not supported by this model")
	// ErrInvalid reports invalid settings or arguments: an unknown enum
	// value, a negative or NaN tolerance, a negative count, a nil model,
	// criterion, objective or builder, and a log-strength θ outside
	// [−700, 700], where λ = exp(θ) overflows (also ErrNaN) or underflows
	// to 0.
	ErrInvalid = errors.New("bilevel: invalid settings")
	// ErrCallback reports a panic inside user code called by this
	// package (a Model, Criterion, Objective, FoldBuilder or the solver of
	// a ProblemModel); the error carries the recovered value and stack.
	ErrCallback = errors.New("bilevel: panic in user code")
)

// recoverCallback turns a panic of user code into *err, wrapping
// ErrCallback. Use it as `defer recoverCallback(&err, "where")`.
func recoverCallback(err *error, where string) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: %s: %v\n%s", ErrCallback, where, v, debug.Stack())
	}
}

// checkTol validates a tolerance whose zero value means a default.
func checkTol(name string, tol float64) error {
	if math.IsNaN(tol) || tol < 0 || math.IsInf(tol, 0) {
		return fmt.Errorf("%w: %s = %v (want a finite value ≥ 0; 0 means the default)", ErrInvalid, name, tol)
	}
	return nil
}

// checkCount validates a count whose zero value means a default.
func checkCount(name string, n int) error {
	if n < 0 {
		return fmt.Errorf("%w: %s = %d (want ≥ 0; 0 means the default)", ErrInvalid, name, n)
	}
	return nil
}

// Model is an inner problem: its solution w*(θ) minimizes a training
// objective g(w, θ) whose regularization strengths are λ = exp(θ). θ is in
// log space so that the outer problem is well scaled and λ stays positive.
//
// A Model keeps scratch memory and the factorization of its last fit, so
// it is not safe for concurrent use; use one Model per goroutine (as
// [CrossValidation] does with one model per fold).
//
// The models and criteria of this package do not panic on a nil
// receiver or a zero value (a &SmoothModel{} not built by NewRidge): Fit returns ErrInvalid, Dims 0, Value NaN, and Condition and
// Iteration return a condition and a map whose Linearize fails.
type Model interface {
	// Dims returns the number of inner variables n (weights) and of
	// hyperparameters p.
	Dims() (n, p int)
	// Fit sets w (length n) to the inner solution at θ. On entry w is the
	// starting point: pass the previous solution to warm-start, zeros for
	// a cold start. tol is the inner tolerance (relative, model-specific;
	// 0 means the model's default). Fit returns the number of inner
	// iterations; on non-convergence it returns the last iterate in w and
	// an error wrapping ErrNotConverged.
	Fit(ctx context.Context, w, theta []float64, tol float64) (iters int, err error)
	// Condition returns the optimality condition F(w, θ) = 0 that Fit's
	// solutions satisfy. Its ∂ₓF reuses the factorization of the last Fit
	// at the same θ when there is one.
	Condition() implicit.Condition
}

// Iterative is implemented by models whose inner solution is the fixed
// point of one iteration map w ← T(w, θ) (a gradient step or a
// proximal-gradient step of size StepSize). Unrolled, Neumann, one-step
// and hypernetwork hypergradients need it.
type Iterative interface {
	Model
	// Iteration returns the map T for the hyperparameters θ and its step
	// η. The step is chosen for θ (1/L with L the smoothness constant of
	// the training objective at θ) and then held fixed: T's derivative with
	// respect to θ does not include the dependence of η on θ, as in any
	// unrolled implementation that computes the step outside automatic
	// differentiation. The models' conditions are scaled so that
	// I − η ∂ₓF is a contraction at a solution (it equals ∂ₓT for the
	// smooth models and the lasso), which the Neumann method relies on.
	Iteration(theta []float64) (t implicit.Map, eta float64)
}

// Regularized is implemented by models that can report ∂g/∂θ, the
// derivative of the training objective with respect to the
// hyperparameters (needed by the DARTS-style one-step approximation, which
// differentiates it by finite differences along a direction).
type Regularized interface {
	// ThetaGradient sets dst (length p) to ∂g(w, θ)/∂θ.
	ThetaGradient(dst, w, theta []float64)
}

// SupportModel is implemented by lasso-type models, whose hypergradient can be
// computed on the support of w* only ([ImplicitForward]).
type SupportModel interface {
	Model
	// SupportSystem returns, at a solution w of the problem at θ, the
	// support S (indices of nonzero weights), the Hessian H_SS of the smooth
	// part restricted to S (|S|×|S|, row-major) and the matrix B_S = ∂θ∇_S g
	// (|S|×p, row-major), so that ∂w_S/∂θ = −H_SS⁻¹ B_S and ∂w/∂θ = 0 off S.
	SupportSystem(w, theta []float64) (support []int, hss, bs []float64)
}

// data holds a validated design matrix: X row-major (rows × d), its
// transpose (d × rows), and the targets.
type data struct {
	x    *mat.Dense
	xt   *mat.Dense // d × rows
	y    []float64
	rows int
	d    int
}

// checkShape validates that x is a non-empty matrix (not nil, nor a
// typed nil) with one row per entry of y, and returns its shape.
func checkShape(x mat.Matrix, y []float64) (r, c int, err error) {
	if x == nil {
		return 0, 0, fmt.Errorf("%w: nil design matrix", ErrDims)
	}
	if v := reflect.ValueOf(x); v.Kind() == reflect.Pointer && v.IsNil() {
		return 0, 0, fmt.Errorf("%w: nil design matrix (%T)", ErrDims, x)
	}
	r, c = x.Dims()
	if r == 0 || c == 0 {
		return 0, 0, fmt.Errorf("%w: empty design matrix %d×%d", ErrDims, r, c)
	}
	if len(y) != r {
		return 0, 0, fmt.Errorf("%w: X has %d rows, y has %d values", ErrDims, r, len(y))
	}
	return r, c, nil
}

// newData copies and validates (x, y): shapes, finite entries, and
// column and target norms whose squares do not overflow (so that XᵀX,
// Xᵀy and the losses stay finite; rescale such data first).
func newData(x mat.Matrix, y []float64) (*data, error) {
	r, c, err := checkShape(x, y)
	if err != nil {
		return nil, err
	}
	dx := mat.DenseCopyOf(x)
	for i := range r {
		if !finite(dx.RawRowView(i)) {
			return nil, fmt.Errorf("%w: in row %d of X", ErrNaN, i)
		}
	}
	if !finite(y) {
		return nil, fmt.Errorf("%w: in y", ErrNaN)
	}
	for j := range c {
		var ss float64
		for i := range r {
			v := dx.At(i, j)
			ss += v * v
		}
		if math.IsInf(ss, 0) {
			return nil, fmt.Errorf("%w: the squared norm of column %d of X overflows (rescale the data)", ErrNaN, j)
		}
	}
	if math.IsInf(dot(y, y), 0) {
		return nil, fmt.Errorf("%w: the squared norm of y overflows (rescale the data)", ErrNaN)
	}
	xt := mat.DenseCopyOf(dx.T())
	return &data{x: dx, xt: xt, y: append([]float64(nil), y...), rows: r, d: c}, nil
}

// mulX sets dst (rows) = X v.
func (d *data) mulX(dst, v []float64) {
	mat.NewVecDense(d.rows, dst).MulVec(d.x, mat.NewVecDense(d.d, v))
}

// mulXT sets dst (d) = Xᵀ u.
func (d *data) mulXT(dst, u []float64) {
	mat.NewVecDense(d.d, dst).MulVec(d.xt, mat.NewVecDense(d.rows, u))
}

// maxEig estimates the largest eigenvalue of XᵀX/rows by power iteration
// (an upper bound, inflated by 1%, suitable for step sizes).
func (d *data) maxEig() float64 {
	v := make([]float64, d.d)
	for j := range v {
		v[j] = 1 / math.Sqrt(float64(d.d)) * (1 + 0.01*float64(j%7))
	}
	u := make([]float64, d.rows)
	w := make([]float64, d.d)
	var lam float64
	for range 100 {
		d.mulX(u, v)
		d.mulXT(w, u)
		nrm := math.Sqrt(dot(w, w))
		if nrm == 0 {
			return 1e-12
		}
		newLam := nrm / float64(d.rows)
		for j := range v {
			v[j] = w[j] / nrm
		}
		if math.Abs(newLam-lam) <= 1e-6*newLam {
			lam = newLam
			break
		}
		lam = newLam
	}
	return lam * 1.01
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// dot returns xᵀy (gonum's assembly kernel).
func dot(x, y []float64) float64 { return floats.Dot(x, y) }

func norm2(x []float64) float64 { return math.Sqrt(dot(x, x)) }

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// checkModelTheta is checkTheta for the hyperparameters of m: the θ of a
// ProblemModel is the problem's own parameter vector, not a log-strength,
// so only its length and finiteness are checked.
func checkModelTheta(m Model, theta []float64, p int) error {
	if _, ok := m.(*ProblemModel); ok {
		if len(theta) != p {
			return fmt.Errorf("%w: θ has length %d, want %d", ErrDims, len(theta), p)
		}
		if !finite(theta) {
			return fmt.Errorf("%w: in θ", ErrNaN)
		}
		return nil
	}
	return checkTheta(theta, p)
}

func checkTheta(theta []float64, p int) error {
	if len(theta) != p {
		return fmt.Errorf("%w: θ has length %d, want %d", ErrDims, len(theta), p)
	}
	if !finite(theta) {
		return fmt.Errorf("%w: in θ", ErrNaN)
	}
	for j, t := range theta {
		if t > 700 {
			return fmt.Errorf("%w (%w): θ[%d] = %v overflows λ = exp(θ); |θ| must be ≤ 700", ErrInvalid, ErrNaN, j, t)
		}
		if t < -700 {
			return fmt.Errorf("%w: θ[%d] = %v underflows λ = exp(θ) to 0; |θ| must be ≤ 700", ErrInvalid, j, t)
		}
	}
	return nil
}

func checkW(w []float64, n int) error {
	if len(w) != n {
		return fmt.Errorf("%w: w has length %d, want %d", ErrDims, len(w), n)
	}
	if !finite(w) {
		return fmt.Errorf("%w: in the warm start w", ErrNaN)
	}
	return nil
}

func maxExp(theta []float64) float64 {
	m := 0.0
	for _, t := range theta {
		m = math.Max(m, math.Exp(t))
	}
	return m
}

func nanFill(v []float64) {
	for i := range v {
		v[i] = math.NaN()
	}
}

// badPoint reports a point (w, θ) that the models cannot evaluate: wrong
// lengths, NaN or Inf, or θ outside the log-strength range.
func badPoint(w, theta []float64, n, p int) error {
	if err := checkW(w, n); err != nil {
		return err
	}
	return checkTheta(theta, p)
}

// guardedCondition validates the arguments of a model's condition: its
// Linearize returns the error (ErrDims, ErrNaN, ErrInvalid), its Residual,
// which has no error, fills dst with NaN, and a panic in either is
// recovered the same way.
type guardedCondition struct {
	c implicit.Condition
}

func guard(c implicit.Condition) implicit.Condition { return guardedCondition{c} }

func (g guardedCondition) Dims() (int, int) { return g.c.Dims() }

func (g guardedCondition) Residual(dst, x, theta []float64) {
	n, p := g.c.Dims()
	if len(dst) != n || badPoint(x, theta, n, p) != nil {
		nanFill(dst)
		return
	}
	defer func() {
		if recover() != nil {
			nanFill(dst)
		}
	}()
	g.c.Residual(dst, x, theta)
}

func (g guardedCondition) Linearize(x, theta []float64) (dx, dth implicit.Operator, err error) {
	n, p := g.c.Dims()
	if err := badPoint(x, theta, n, p); err != nil {
		return nil, nil, err
	}
	defer recoverCallback(&err, "Condition.Linearize")
	return g.c.Linearize(x, theta)
}

// guardedMap is guardedCondition for an iteration map.
type guardedMap struct {
	m implicit.Map
}

func (g guardedMap) Dims() (int, int) { return g.m.Dims() }

func (g guardedMap) Map(dst, x, theta []float64) {
	n, p := g.m.Dims()
	if len(dst) != n || badPoint(x, theta, n, p) != nil {
		nanFill(dst)
		return
	}
	defer func() {
		if recover() != nil {
			nanFill(dst)
		}
	}()
	g.m.Map(dst, x, theta)
}

func (g guardedMap) Linearize(x, theta []float64) (dx, dth implicit.Operator, err error) {
	n, p := g.m.Dims()
	if err := badPoint(x, theta, n, p); err != nil {
		return nil, nil, err
	}
	defer recoverCallback(&err, "Iteration.Linearize")
	return g.m.Linearize(x, theta)
}

// invalidMap is the iteration map returned for invalid hyperparameters:
// Map fills NaN and Linearize returns err.
type invalidMap struct {
	n, p int
	err  error
}

func (m invalidMap) Dims() (int, int)        { return m.n, m.p }
func (m invalidMap) Map(dst, _, _ []float64) { nanFill(dst) }
func (m invalidMap) Linearize(_, _ []float64) (implicit.Operator, implicit.Operator, error) {
	return nil, nil, m.err
}

// errNilModel is returned by the methods of a nil model.
var errNilModel = fmt.Errorf("%w: nil model", ErrInvalid)

// nilCondition is the condition of a nil model: no variables, a Residual
// that leaves dst alone (guardedCondition fills it with NaN) and a
// Linearize that fails.
type nilCondition struct{}

func (nilCondition) Dims() (int, int)             { return 0, 0 }
func (nilCondition) Residual(dst, _, _ []float64) { nanFill(dst) }
func (nilCondition) Linearize(_, _ []float64) (implicit.Operator, implicit.Operator, error) {
	return nil, nil, errNilModel
}

func sameVec(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
