package nlp

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// Errors returned by this package; they match with errors.Is.
var (
	// ErrInvalid reports a malformed problem (missing functions, negative
	// sizes, bounds that cross), invalid Settings (negative or NaN
	// tolerances), a nil Solver, or a method called on a nil Solution.
	ErrInvalid = errors.New("nlp: invalid problem")
	// ErrDims reports vectors whose lengths do not match the problem.
	ErrDims = errors.New("nlp: dimension mismatch")
	// ErrNaN reports NaN or Inf in an input or in a function value.
	ErrNaN = errors.New("nlp: NaN or Inf")
	// ErrNotKKT reports a point that is not a KKT point within the
	// tolerances: infeasible, or no multipliers of the right sign make the
	// Lagrangian stationary (the solver did not converge, or converged to
	// a point that is not a local minimum).
	ErrNotKKT = errors.New("nlp: not a KKT point")
	// ErrDegenerate reports active constraint gradients that are linearly
	// dependent (LICQ fails): the multipliers are not unique and the KKT
	// matrix is singular, so x*(θ) need not be differentiable. The
	// Solution is still returned; Settings.Implicit.Ridge regularizes its
	// derivatives.
	ErrDegenerate = errors.New("nlp: degenerate KKT point (LICQ fails)")
	// ErrCallback reports a panic inside user code called by this
	// package (a Problem function or a Solver); the error carries the
	// recovered value and its stack.
	ErrCallback = errors.New("nlp: panic in user code")
)

// Problem is a parametric nonlinear program
//
//	minimize f(x, θ) subject to g(x, θ) ≤ 0, h(x, θ) = 0, l ≤ x ≤ u
//
// with x ∈ Rⁿ (Dim), θ ∈ Rᵖ (Params), g: m rows (NumIneq), h: q rows
// (NumEq). The bounds do not depend on θ; write bounds that do as rows of
// g.
//
// Functions write into dst and must not keep x, θ or dst. Matrices are
// gonum *mat.Dense of the documented shape, zeroed before each call. Every
// derivative is optional: a nil derivative is replaced by central finite
// differences of the function below it (see the package documentation for
// their accuracy and cost). Objective or Grad must be set; Ineq and Eq must
// be set when NumIneq and NumEq are positive.
type Problem struct {
	Dim, Params    int
	NumIneq, NumEq int
	Lower, Upper   []float64 // length Dim, or nil; entries may be ±Inf
	Objective      func(x, theta []float64) float64
	Grad           func(dst, x, theta []float64)                        // ∇ₓf (Dim)
	Ineq           func(dst, x, theta []float64)                        // g (NumIneq)
	IneqJac        func(dst *mat.Dense, x, theta []float64)             // ∂ₓg (NumIneq×Dim)
	IneqTheta      func(dst *mat.Dense, x, theta []float64)             // ∂θg (NumIneq×Params)
	Eq             func(dst, x, theta []float64)                        // h (NumEq)
	EqJac          func(dst *mat.Dense, x, theta []float64)             // ∂ₓh (NumEq×Dim)
	EqTheta        func(dst *mat.Dense, x, theta []float64)             // ∂θh (NumEq×Params)
	Hessian        func(dst *mat.Dense, x, theta, lambda, nu []float64) // ∇²ₓₓL (Dim×Dim)
	Mixed          func(dst *mat.Dense, x, theta, lambda, nu []float64) // ∂θ∇ₓL (Dim×Params)
}

// The Lagrangian is L(x, λ, ν, θ) = f + λᵀg + νᵀh; Hessian and Mixed
// receive λ of length NumIneq (zero on inactive rows) and ν of length
// NumEq. Bounds have no second derivatives and never enter them.

// Settings controls NewSolution. A nil *Settings or the zero value means
// the defaults documented on each field.
type Settings struct {
	// ActiveTol is the active-set threshold: row i of g is active when
	// gᵢ(x*, θ) ≥ −ActiveTol, a lower bound when xᵢ − lᵢ ≤ ActiveTol, an
	// upper bound when uᵢ − xᵢ ≤ ActiveTol. Default 1e-6. It is an
	// absolute threshold: scale constraints to unit size.
	ActiveTol float64
	// FeasibilityTol is the largest constraint violation accepted.
	// Default 1e-6.
	FeasibilityTol float64
	// MultiplierTol: an active inequality whose least-squares multiplier
	// is below −MultiplierTol·max(1, ‖∇ₓf‖∞) is dropped from the active
	// set and the multipliers recomputed. Default 1e-6.
	MultiplierTol float64
	// Tol is the largest accepted ‖∇ₓL‖∞ relative to
	// max(1, ‖∇ₓf‖∞) at the recovered multipliers. Default 1e-5; a negative
	// value disables the check. It guards against points that are not
	// solutions; the derivatives are about as accurate, relatively, as the
	// KKT residual of the point (see Solution.Stationarity).
	Tol float64
	// Implicit are the settings of the derivative engine (linear solver,
	// ridge). nil means its defaults: a dense LU of the KKT matrix.
	Implicit *implicit.Settings
}

func (s *Settings) validate() error {
	if s == nil {
		return nil
	}
	for _, v := range []float64{s.ActiveTol, s.FeasibilityTol, s.MultiplierTol} {
		if !(v >= 0) || math.IsInf(v, 1) {
			return fmt.Errorf("%w: tolerance %v in Settings", ErrInvalid, v)
		}
	}
	if math.IsNaN(s.Tol) {
		return fmt.Errorf("%w: Tol is NaN", ErrInvalid)
	}
	return nil
}

func (s *Settings) withDefaults() Settings {
	var out Settings
	if s != nil {
		out = *s
	}
	if out.ActiveTol == 0 {
		out.ActiveTol = 1e-6
	}
	if out.FeasibilityTol == 0 {
		out.FeasibilityTol = 1e-6
	}
	if out.MultiplierTol == 0 {
		out.MultiplierTol = 1e-6
	}
	if out.Tol == 0 {
		out.Tol = 1e-5
	}
	return out
}

func (p *Problem) validate() error {
	if p == nil {
		return fmt.Errorf("%w: nil problem", ErrInvalid)
	}
	if p.Dim <= 0 || p.Params < 0 || p.NumIneq < 0 || p.NumEq < 0 {
		return fmt.Errorf("%w: Dim=%d Params=%d NumIneq=%d NumEq=%d", ErrInvalid, p.Dim, p.Params, p.NumIneq, p.NumEq)
	}
	if p.Objective == nil && p.Grad == nil {
		return fmt.Errorf("%w: neither Objective nor Grad is set", ErrInvalid)
	}
	if p.NumIneq > 0 && p.Ineq == nil {
		return fmt.Errorf("%w: NumIneq=%d without Ineq", ErrInvalid, p.NumIneq)
	}
	if p.NumEq > 0 && p.Eq == nil {
		return fmt.Errorf("%w: NumEq=%d without Eq", ErrInvalid, p.NumEq)
	}
	for _, b := range [][]float64{p.Lower, p.Upper} {
		if b != nil && len(b) != p.Dim {
			return fmt.Errorf("%w: bounds of length %d, want %d", ErrDims, len(b), p.Dim)
		}
	}
	for i := range p.Dim {
		lo, hi := p.lower(i), p.upper(i)
		if math.IsNaN(lo) || math.IsNaN(hi) || lo > hi || math.IsInf(lo, 1) || math.IsInf(hi, -1) {
			return fmt.Errorf("%w: bounds [%v, %v] of x[%d]", ErrInvalid, lo, hi, i)
		}
	}
	return nil
}

func (p *Problem) lower(i int) float64 {
	if p.Lower == nil {
		return math.Inf(-1)
	}
	return p.Lower[i]
}

func (p *Problem) upper(i int) float64 {
	if p.Upper == nil {
		return math.Inf(1)
	}
	return p.Upper[i]
}

// evaluator computes the problem's derivatives, by the user's functions or
// by finite differences, with scratch memory. It is used by one goroutine.
type evaluator struct {
	p      *Problem
	n, np  int
	bufI   []float64
	bufI2  []float64
	bufE   []float64
	bufE2  []float64
	bufN   []float64
	bufN2  []float64
	xw, tw []float64
}

func newEvaluator(p *Problem) *evaluator {
	return &evaluator{
		p: p, n: p.Dim, np: p.Params,
		bufI: make([]float64, p.NumIneq), bufI2: make([]float64, p.NumIneq),
		bufE: make([]float64, p.NumEq), bufE2: make([]float64, p.NumEq),
		bufN: make([]float64, p.Dim), bufN2: make([]float64, p.Dim),
		xw: make([]float64, p.Dim), tw: make([]float64, p.Params),
	}
}

var (
	cbrtEps = math.Cbrt(0x1p-52)
	qrtEps  = math.Sqrt(math.Sqrt(0x1p-52))
)

func step(h, z float64) float64 { return h * math.Max(1, math.Abs(z)) }

// grad sets dst = ∇ₓf(x, θ).
func (e *evaluator) grad(dst, x, theta []float64) {
	if e.p.Grad != nil {
		clear(dst)
		e.p.Grad(dst, x, theta)
		return
	}
	xw := e.xw
	copy(xw, x)
	for j := range x {
		h := step(cbrtEps, x[j])
		xw[j] = x[j] + h
		hp := xw[j] - x[j]
		fp := e.p.Objective(xw, theta)
		xw[j] = x[j] - h
		hm := x[j] - xw[j]
		fm := e.p.Objective(xw, theta)
		xw[j] = x[j]
		dst[j] = (fp - fm) / (hp + hm)
	}
}

// vectorJac sets dst (rows×len(z)) to the central-difference Jacobian of
// f with respect to z, where f reads z in place (z is restored).
func vectorJac(dst *mat.Dense, z []float64, f func(out []float64), fp, fm []float64) {
	for j := range z {
		zj := z[j]
		h := step(cbrtEps, zj)
		z[j] = zj + h
		hp := z[j] - zj
		f(fp)
		z[j] = zj - h
		hm := zj - z[j]
		f(fm)
		z[j] = zj
		for i := range fp {
			dst.Set(i, j, (fp[i]-fm[i])/(hp+hm))
		}
	}
}

// ineqJac sets dst (NumIneq×Dim) to ∂ₓg.
func (e *evaluator) ineqJac(dst *mat.Dense, x, theta []float64) {
	dst.Zero()
	if e.p.IneqJac != nil {
		e.p.IneqJac(dst, x, theta)
		return
	}
	copy(e.xw, x)
	vectorJac(dst, e.xw, func(out []float64) { clear(out); e.p.Ineq(out, e.xw, theta) }, e.bufI, e.bufI2)
}

// eqJac sets dst (NumEq×Dim) to ∂ₓh.
func (e *evaluator) eqJac(dst *mat.Dense, x, theta []float64) {
	dst.Zero()
	if e.p.EqJac != nil {
		e.p.EqJac(dst, x, theta)
		return
	}
	copy(e.xw, x)
	vectorJac(dst, e.xw, func(out []float64) { clear(out); e.p.Eq(out, e.xw, theta) }, e.bufE, e.bufE2)
}

// ineqTheta sets dst (NumIneq×Params) to ∂θg.
func (e *evaluator) ineqTheta(dst *mat.Dense, x, theta []float64) {
	dst.Zero()
	if e.p.IneqTheta != nil {
		e.p.IneqTheta(dst, x, theta)
		return
	}
	copy(e.tw, theta)
	vectorJac(dst, e.tw, func(out []float64) { clear(out); e.p.Ineq(out, x, e.tw) }, e.bufI, e.bufI2)
}

// eqTheta sets dst (NumEq×Params) to ∂θh.
func (e *evaluator) eqTheta(dst *mat.Dense, x, theta []float64) {
	dst.Zero()
	if e.p.EqTheta != nil {
		e.p.EqTheta(dst, x, theta)
		return
	}
	copy(e.tw, theta)
	vectorJac(dst, e.tw, func(out []float64) { clear(out); e.p.Eq(out, x, e.tw) }, e.bufE, e.bufE2)
}

// second sets H (Dim×Dim) = ∇²ₓₓL and M (Dim×Params) = ∂θ∇ₓL at the
// multipliers λ (NumIneq) and ν (NumEq). Either may be nil when not
// needed.
func (e *evaluator) second(H, M *mat.Dense, x, theta, lambda, nu []float64) {
	p := e.p
	needH := H != nil
	needM := M != nil && e.np > 0
	if needH {
		H.Zero()
		if p.Hessian != nil {
			p.Hessian(H, x, theta, lambda, nu)
			needH = false
		}
	}
	if M != nil {
		M.Zero()
		if p.Mixed != nil && e.np > 0 {
			p.Mixed(M, x, theta, lambda, nu)
			needM = false
		}
	}
	if !needH && !needM {
		return
	}
	if !needH {
		H = nil
	}
	if !needM {
		M = nil
	}
	// Objective part.
	if p.Grad != nil {
		e.addFirstOrder(H, M, x, theta, func(dst, x, th []float64) { clear(dst); p.Grad(dst, x, th) })
	} else {
		e.addSecondOrder(H, M, x, theta, p.Objective)
	}
	// Constraint parts, weighted by the multipliers.
	if p.NumIneq > 0 && anyNonzero(lambda) {
		if p.IneqJac != nil {
			J := mat.NewDense(p.NumIneq, e.n, nil)
			e.addFirstOrder(H, M, x, theta, func(dst, x, th []float64) {
				J.Zero()
				p.IneqJac(J, x, th)
				mat.NewVecDense(e.n, dst).MulVec(J.T(), mat.NewVecDense(p.NumIneq, lambda))
			})
		} else {
			g := make([]float64, p.NumIneq)
			e.addSecondOrder(H, M, x, theta, func(x, th []float64) float64 {
				clear(g)
				p.Ineq(g, x, th)
				return dot(lambda, g)
			})
		}
	}
	if p.NumEq > 0 && anyNonzero(nu) {
		if p.EqJac != nil {
			J := mat.NewDense(p.NumEq, e.n, nil)
			e.addFirstOrder(H, M, x, theta, func(dst, x, th []float64) {
				J.Zero()
				p.EqJac(J, x, th)
				mat.NewVecDense(e.n, dst).MulVec(J.T(), mat.NewVecDense(p.NumEq, nu))
			})
		} else {
			h := make([]float64, p.NumEq)
			e.addSecondOrder(H, M, x, theta, func(x, th []float64) float64 {
				clear(h)
				p.Eq(h, x, th)
				return dot(nu, h)
			})
		}
	}
}

// addFirstOrder adds to H and M the central differences of the gradient
// map v(x, θ) ∈ Rⁿ with respect to x and θ (steps ε^{1/3}·max(1,|z|)).
func (e *evaluator) addFirstOrder(H, M *mat.Dense, x, theta []float64, v func(dst, x, theta []float64)) {
	xw, tw := make([]float64, e.n), make([]float64, e.np)
	copy(xw, x)
	copy(tw, theta)
	fp, fm := make([]float64, e.n), make([]float64, e.n)
	add := func(dst *mat.Dense, z []float64) {
		for j := range z {
			zj := z[j]
			h := step(cbrtEps, zj)
			z[j] = zj + h
			hp := z[j] - zj
			v(fp, xw, tw)
			z[j] = zj - h
			hm := zj - z[j]
			v(fm, xw, tw)
			z[j] = zj
			for i := range fp {
				dst.Set(i, j, dst.At(i, j)+(fp[i]-fm[i])/(hp+hm))
			}
		}
	}
	if H != nil {
		add(H, xw)
		symmetrize(H)
	}
	if M != nil {
		add(M, tw)
	}
}

// addSecondOrder adds to H and M the second derivatives ∂²φ/∂xᵢ∂xⱼ and
// ∂²φ/∂xᵢ∂θⱼ of a scalar φ by the four-point central formula
// [φ(++) − φ(+−) − φ(−+) + φ(−−)]/(4hᵢhⱼ) with steps ε^{1/4}·max(1,|z|),
// whose truncation and rounding errors balance near 1e-8 relative.
func (e *evaluator) addSecondOrder(H, M *mat.Dense, x, theta []float64, phi func(x, theta []float64) float64) {
	n := e.n
	w := make([]float64, n+e.np)
	copy(w, x)
	copy(w[n:], theta)
	eval := func() float64 { return phi(w[:n], w[n:]) }
	d2 := func(i, j int) float64 {
		wi, wj := w[i], w[j]
		hi, hj := step(qrtEps, wi), step(qrtEps, wj)
		var s float64
		for _, si := range [2]float64{1, -1} {
			for _, sj := range [2]float64{1, -1} {
				w[i] += si * hi
				w[j] += sj * hj
				s += si * sj * eval()
				w[i], w[j] = wi, wj
			}
		}
		return s / (4 * hi * hj)
	}
	if H != nil {
		for i := range n {
			for j := i; j < n; j++ {
				v := d2(i, j)
				H.Set(i, j, H.At(i, j)+v)
				if j != i {
					H.Set(j, i, H.At(j, i)+v)
				}
			}
		}
	}
	if M != nil {
		for i := range n {
			for j := range e.np {
				M.Set(i, j, M.At(i, j)+d2(i, n+j))
			}
		}
	}
}

func symmetrize(a *mat.Dense) {
	n, _ := a.Dims()
	for i := range n {
		for j := i + 1; j < n; j++ {
			v := 0.5 * (a.At(i, j) + a.At(j, i))
			a.Set(i, j, v)
			a.Set(j, i, v)
		}
	}
}

func anyNonzero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func denseFinite(m *mat.Dense) bool {
	r, c := m.Dims()
	for i := range r {
		for j := range c {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// Gradient sets dst (Dim) to ∇ₓf(x, θ): Grad, or central differences of
// Objective. Solvers that need first derivatives use it. It has no error
// result: for an invalid problem (see Validate), vectors of the wrong
// length or a panic in the problem's functions it fills dst with NaN.
func (p *Problem) Gradient(dst, x, theta []float64) {
	if p.validate() != nil || len(dst) != p.Dim || len(x) != p.Dim || len(theta) != p.Params {
		nanFill(dst)
		return
	}
	defer nanOnPanic(dst)
	newEvaluator(p).grad(dst, x, theta)
}

// IneqJacobian sets dst (NumIneq×Dim) to ∂ₓg(x, θ): IneqJac, or central
// differences of Ineq. Like Gradient it fills dst with NaN on invalid
// input (a nil dst is left alone).
func (p *Problem) IneqJacobian(dst *mat.Dense, x, theta []float64) {
	if !p.jacobianInput(dst, false, x, theta) {
		return
	}
	defer nanOnPanicMat(dst)
	newEvaluator(p).ineqJac(dst, x, theta)
}

// EqJacobian sets dst (NumEq×Dim) to ∂ₓh(x, θ): EqJac, or central
// differences of Eq. Like Gradient it fills dst with NaN on invalid input
// (a nil dst is left alone).
func (p *Problem) EqJacobian(dst *mat.Dense, x, theta []float64) {
	if !p.jacobianInput(dst, true, x, theta) {
		return
	}
	defer nanOnPanicMat(dst)
	newEvaluator(p).eqJac(dst, x, theta)
}

// jacobianInput reports whether the Jacobian of g (or of h when eq) can
// be written into dst; otherwise it fills dst with NaN.
func (p *Problem) jacobianInput(dst *mat.Dense, eq bool, x, theta []float64) bool {
	if dst == nil || dst.IsEmpty() {
		return false
	}
	r, c := dst.Dims()
	if p.validate() != nil {
		nanFillMat(dst)
		return false
	}
	rows := p.NumIneq
	if eq {
		rows = p.NumEq
	}
	if r != rows || c != p.Dim || len(x) != p.Dim || len(theta) != p.Params {
		nanFillMat(dst)
		return false
	}
	return true
}

func nanFillMat(dst *mat.Dense) {
	r, c := dst.Dims()
	for i := range r {
		for j := range c {
			dst.Set(i, j, math.NaN())
		}
	}
}

// nanOnPanicMat, deferred, turns a panic of user code into NaN in dst.
func nanOnPanicMat(dst *mat.Dense) {
	if recover() != nil {
		nanFillMat(dst)
	}
}

func nanFill(v []float64) {
	for i := range v {
		v[i] = math.NaN()
	}
}

// nanOnPanic, deferred, turns a panic of user code into NaN in dst.
func nanOnPanic(dst []float64) {
	if recover() != nil {
		nanFill(dst)
	}
}

// guard, deferred, turns a panic of user code into *err wrapping
// ErrCallback.
func guard(err *error, where string) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: %s: %v\n%s", ErrCallback, where, v, debug.Stack())
	}
}

// Validate reports a malformed problem (ErrInvalid, ErrDims).
func (p *Problem) Validate() error { return p.validate() }
