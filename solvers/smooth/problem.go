package smooth

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Errors returned by this package; test with errors.Is.
var (
	// ErrDims reports vectors whose lengths do not match the problem.
	ErrDims = errors.New("smooth: dimension mismatch")
	// ErrNaN reports NaN or Inf in an input, or an objective or gradient
	// that evaluates to NaN or Inf.
	ErrNaN = errors.New("smooth: NaN or Inf encountered")
	// ErrInvalid reports a Problem that is not usable (missing Func or
	// Grad, negative dimensions), invalid Settings (an unknown Method, a
	// negative, NaN or infinite Tol, a negative MaxIter or Memory) or
	// invalid data passed to a model constructor (labels that are not ±1,
	// negative regularization).
	ErrInvalid = errors.New("smooth: invalid argument")
	// ErrNotConverged reports a minimization that stopped before reaching
	// the gradient tolerance (iteration cap, failed line search, cancelled
	// context). The best iterate found is returned with it.
	ErrNotConverged = errors.New("smooth: not converged")
	// ErrCallback reports a panic inside a user function of a
	// Problem (Func, Grad, HessVec, …) called by this package; the error
	// carries the recovered value and its stack.
	ErrCallback = errors.New("smooth: panic in a user function")
)

// callbackPanic returns the error of a recovered panic v.
func callbackPanic(where string, v any) error {
	return fmt.Errorf("%w: %s: %v\n%s", ErrCallback, where, v, debug.Stack())
}

// Problem is a smooth objective f(x, θ) with x ∈ Rᴺ and parameters θ ∈ Rᴾ.
//
// Func and Grad are required; Grad sets dst = ∇ₓf(x, θ). The second-order
// products are optional; when one is nil it is replaced by central finite
// differences of Grad (see [Problem.HessianOperator] and
// [Problem.MixedOperator] for the accuracy):
//
//   - HessVec sets dst = ∇²ₓₓf(x, θ) v (length N).
//   - Hessian sets dst (N×N) to ∇²ₓₓf(x, θ). When present it is used by
//     [Condition], whose ∂ₓF then comes as a Cholesky factorization that
//     the implicit engine reuses, and by NewtonCG when HessVec is nil.
//   - MixedVec sets dst (length N) to (∂θ∇ₓf) dθ, the derivative of the
//     gradient along a parameter direction dθ ∈ Rᴾ.
//   - MixedVecT sets dst (length P) to (∂θ∇ₓf)ᵀ u for u ∈ Rᴺ. If it is nil
//     but MixedVec is set, it is formed from P products of MixedVec.
//
// None of the functions may modify x, θ, v, dθ or u, and dst never aliases
// them. The functions are called from one goroutine at a time; the ready
// models of this package keep scratch memory and are not safe for
// concurrent use (build one per goroutine).
type Problem struct {
	N, P int

	Func func(x, theta []float64) float64
	Grad func(dst, x, theta []float64)

	HessVec   func(dst, x, theta, v []float64)
	Hessian   func(dst *mat.SymDense, x, theta []float64)
	MixedVec  func(dst, x, theta, dtheta []float64)
	MixedVecT func(dst, x, theta, u []float64)

	// CheckTheta, if non-nil, validates θ (for example the sign of a
	// regularization strength); Minimize and Condition return its error.
	CheckTheta func(theta []float64) error
}

// check validates the problem and the lengths of x and θ.
func (pb *Problem) check(x, theta []float64) error {
	if pb == nil || pb.Func == nil || pb.Grad == nil {
		return fmt.Errorf("%w: Func and Grad are required", ErrInvalid)
	}
	if pb.N < 0 || pb.P < 0 {
		return fmt.Errorf("%w: negative dimensions N=%d P=%d", ErrInvalid, pb.N, pb.P)
	}
	if len(x) != pb.N {
		return fmt.Errorf("%w: len(x)=%d, want N=%d", ErrDims, len(x), pb.N)
	}
	if len(theta) != pb.P {
		return fmt.Errorf("%w: len(θ)=%d, want P=%d", ErrDims, len(theta), pb.P)
	}
	if !finite(x) {
		return fmt.Errorf("%w: in x", ErrNaN)
	}
	if !finite(theta) {
		return fmt.Errorf("%w: in θ", ErrNaN)
	}
	if pb.CheckTheta != nil {
		if err := pb.CheckTheta(theta); err != nil {
			return err
		}
	}
	return nil
}

var cbrtEps = math.Cbrt(2.220446049250313e-16)

// HessianOperator returns ∇²ₓₓf(x, θ) as a symmetric operator (ApplyT is
// Apply). It uses HessVec, else the dense Hessian, else central
// differences of the gradient along v:
//
//	H v ≈ (∇f(x + hv̂) − ∇f(x − hv̂)) ‖v‖ / (2h),   v̂ = v/‖v‖,
//	h = ε^{1/3}·max(1, ‖x‖∞),
//
// whose error is O(h²‖∇⁴f‖ + ε‖∇f‖/h), about 1e-10 relative for
// objectives of unit scale. The operator keeps references to x and θ and
// scratch memory; use it from one goroutine while x and θ are unchanged.
//
// A nil pb gives a 0×0 operator.
func (pb *Problem) HessianOperator(x, theta []float64) linsolve.Operator {
	if pb == nil {
		return linsolve.NewFunc(0, 0, func(_, _ []float64) {}, func(_, _ []float64) {})
	}
	n := pb.N
	if pb.HessVec != nil {
		apply := func(dst, v []float64) { pb.HessVec(dst, x, theta, v) }
		return linsolve.NewFunc(n, n, apply, apply)
	}
	if pb.Hessian != nil {
		h := mat.NewSymDense(max(n, 1), nil)
		if n > 0 {
			pb.Hessian(h, x, theta)
		}
		return linsolve.NewMatrix(h)
	}
	xp := make([]float64, n)
	gp := make([]float64, n)
	gm := make([]float64, n)
	h := cbrtEps * math.Max(1, maxAbs(x))
	apply := func(dst, v []float64) {
		nv := norm2(v)
		if nv == 0 {
			clear(dst)
			return
		}
		for i := range xp {
			xp[i] = x[i] + h*v[i]/nv
		}
		pb.Grad(gp, xp, theta)
		for i := range xp {
			xp[i] = x[i] - h*v[i]/nv
		}
		pb.Grad(gm, xp, theta)
		for i := range dst {
			dst[i] = (gp[i] - gm[i]) * nv / (2 * h)
		}
	}
	return linsolve.NewFunc(n, n, apply, apply)
}

// MixedOperator returns the N×P operator ∂θ∇ₓf(x, θ): Apply maps a
// parameter direction dθ to the change of the gradient, ApplyT maps
// u ∈ Rᴺ to ∇θ⟨u, ∇ₓf(x, θ)⟩. Without MixedVec, Apply uses central
// differences of Grad along dθ (the step rule of HessianOperator, scaled
// by ‖θ‖∞) and ApplyT uses P such differences, one per coordinate of θ;
// without MixedVecT, ApplyT uses P products of MixedVec. The operator
// keeps references to x and θ and scratch memory. A nil pb gives a 0×0
// operator.
func (pb *Problem) MixedOperator(x, theta []float64) linsolve.Operator {
	if pb == nil {
		return linsolve.NewFunc(0, 0, func(_, _ []float64) {}, func(_, _ []float64) {})
	}
	n, p := pb.N, pb.P
	var apply func(dst, v []float64)
	if pb.MixedVec != nil {
		apply = func(dst, v []float64) { pb.MixedVec(dst, x, theta, v) }
	} else {
		tp := make([]float64, p)
		gp := make([]float64, n)
		gm := make([]float64, n)
		h := cbrtEps * math.Max(1, maxAbs(theta))
		apply = func(dst, v []float64) {
			nv := norm2(v)
			if nv == 0 {
				clear(dst)
				return
			}
			for i := range tp {
				tp[i] = theta[i] + h*v[i]/nv
			}
			pb.Grad(gp, x, tp)
			for i := range tp {
				tp[i] = theta[i] - h*v[i]/nv
			}
			pb.Grad(gm, x, tp)
			for i := range dst {
				dst[i] = (gp[i] - gm[i]) * nv / (2 * h)
			}
		}
	}
	var applyT func(dst, u []float64)
	if pb.MixedVecT != nil {
		applyT = func(dst, u []float64) { pb.MixedVecT(dst, x, theta, u) }
	} else {
		e := make([]float64, p)
		col := make([]float64, n)
		applyT = func(dst, u []float64) {
			for k := range p {
				e[k] = 1
				apply(col, e)
				e[k] = 0
				var s float64
				for i, c := range col {
					s += c * u[i]
				}
				dst[k] = s
			}
		}
	}
	return linsolve.NewFunc(n, p, apply, applyT)
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
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

func norm2(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s)
}
