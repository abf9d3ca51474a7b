package smooth

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Newton minimizes a [Problem] with a dense Hessian (Problem.Hessian) by
// Newton's method with a backtracking (Armijo) line search, for the small
// dense problems of hyperparameter tuning (ridge and logistic regression
// with up to a few hundred weights) that are solved again and again at
// nearby θ.
//
// A Newton keeps the Cholesky factorization of the last Hessian it
// formed. A step x ← x − H₀⁻¹∇f(x) on the kept factor H₀ (a chord, or
// lagged Newton, step: O(N²) against O(nN²) for a new Hessian of a
// linear model with n rows) is taken while the chord steps reduce
// ‖∇f‖∞ at least 4× per step, also at the start of the next Minimize
// warm-started at a nearby θ; otherwise the Hessian is rebuilt at x. Its
// [Newton.Condition] reuses the kept factorization when it is asked for
// the point and θ of the last one, so a derivative after a solve costs
// two triangular solves.
//
// With Quadratic set, f is taken to be quadratic in x with a Hessian that
// depends on θ only (ridge regression): Minimize returns
// x* = −H(θ)⁻¹∇f(0, θ) in one iteration from any start, and the
// factorization is kept per θ.
//
// A Newton is not safe for concurrent use.
type Newton struct {
	pb        *Problem
	quadratic bool

	fact         *linsolve.Cholesky
	factX, factT []float64
	h            *mat.SymDense
	g, dx, xt    []float64
	// For a quadratic f: f(0, θ) and ∇f(0, θ) at the θ of fact.
	f0 float64
	g0 []float64
}

// NewNewton returns a Newton solver of pb, which must have Func, Grad and
// Hessian (ErrInvalid otherwise). quadratic says f is quadratic in x (see
// [Newton]).
func NewNewton(pb *Problem, quadratic bool) (*Newton, error) {
	if pb == nil || pb.Func == nil || pb.Grad == nil || pb.Hessian == nil || pb.N <= 0 || pb.P < 0 {
		return nil, fmt.Errorf("%w: Newton needs a Problem with N > 0, Func, Grad and Hessian", ErrInvalid)
	}
	n := pb.N
	return &Newton{pb: pb, quadratic: quadratic, h: mat.NewSymDense(n, nil),
		g: make([]float64, n), dx: make([]float64, n), xt: make([]float64, n)}, nil
}

// Problem returns the problem solved.
func (nw *Newton) Problem() *Problem {
	if nw == nil {
		return nil
	}
	return nw.pb
}

// kept reports whether the kept factorization is the Hessian at (x, θ).
func (nw *Newton) kept(x, theta []float64) bool {
	return nw.fact != nil && equalVec(nw.factT, theta) && (nw.quadratic || equalVec(nw.factX, x))
}

// factorize returns the Cholesky factor of the Hessian at (x, θ), kept.
func (nw *Newton) factorize(x, theta []float64) (*linsolve.Cholesky, error) {
	if nw.kept(x, theta) {
		return nw.fact, nil
	}
	nw.pb.Hessian(nw.h, x, theta)
	if !symFinite(nw.h) {
		return nil, fmt.Errorf("%w: in the Hessian", ErrNaN)
	}
	f, err := linsolve.NewCholesky(nw.h)
	if err != nil {
		return nil, fmt.Errorf("smooth: Newton: %w", err)
	}
	nw.fact, nw.factX, nw.factT = f, append(nw.factX[:0], x...), append(nw.factT[:0], theta...)
	if nw.quadratic {
		clear(nw.xt)
		nw.g0 = make([]float64, nw.pb.N)
		nw.pb.Grad(nw.g0, nw.xt, theta)
		nw.f0 = nw.pb.Func(nw.xt, theta)
	}
	return f, nil
}

func equalVec(a, b []float64) bool { return len(a) == len(b) && equal(a, b) }

// Minimize minimizes x ↦ f(x, θ) from x0 until ‖∇ₓf‖∞ ≤ s.Tol (default
// 1e-8), at most s.MaxIter iterations (default 200); s.Method and
// s.Memory are not used. Each iteration is a Newton or chord step with a
// backtracking line search (sufficient decrease c₁ = 1e-4, at most 40
// halvings); where the predicted decrease falls below the rounding error
// of f (≤ 1e-13 max(1, |f|)) the full step is taken, since the Armijo
// test cannot be decided there, and a step that no longer changes x in
// floating point ends the run as converged to the attainable accuracy.
//
// Errors are those of [Minimize]: bad input returns a nil result, a run
// that stops early (iteration cap, cancelled ctx, a non-finite objective)
// returns the last iterate with an error wrapping ErrNotConverged (and
// ctx.Err() or ErrNaN). The Result is an implicit.Differentiable like
// Minimize's.
func (nw *Newton) Minimize(ctx context.Context, theta, x0 []float64, s *Settings) (res *Result, err error) {
	if nw == nil || nw.pb == nil {
		return nil, fmt.Errorf("%w: Newton not made by NewNewton", ErrInvalid)
	}
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, callbackPanic("Newton.Minimize", v)
		}
	}()
	pb := nw.pb
	if err := pb.check(x0, theta); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	set := Settings{}
	if s != nil {
		set = *s
	}
	if set.Tol <= 0 {
		set.Tol = 1e-8
	}
	if set.MaxIter <= 0 {
		set.MaxIter = 200
	}
	res = &Result{pb: pb, theta: append([]float64(nil), theta...)}
	x := append([]float64(nil), x0...)
	res.X = x
	if nw.quadratic {
		err = nw.quadraticStep(ctx, x, theta, res)
	} else {
		err = nw.run(ctx, x, theta, set, res)
	}
	if res.Grad == nil {
		res.F = pb.Func(x, theta)
		res.Grad = make([]float64, pb.N)
		pb.Grad(res.Grad, x, theta)
		res.FuncEvals++
		res.GradEvals++
	}
	res.GradNorm = maxAbs(res.Grad)
	if err == nil && (math.IsNaN(res.F) || math.IsInf(res.F, 0) || !finite(res.Grad)) {
		// Data of extreme magnitude overflow f or ∇f at the solution.
		err = fmt.Errorf("%w: %w: f = %v at the solution (the data overflow float64)", ErrNotConverged, ErrNaN, res.F)
	}
	res.Converged = err == nil
	if set.Logger != nil {
		set.Logger.Info("smooth: Newton done", "iter", res.Iterations, "f", res.F, "grad", res.GradNorm, "converged", res.Converged)
	}
	return res, err
}

// quadraticStep sets x = −H(θ)⁻¹∇f(0, θ), and the result's F and Grad
// from the quadratic model f(x) = f(0) + ∇f(0)ᵀx + ½xᵀHx (O(N²): the
// factorization, f(0) and ∇f(0) are kept per θ).
func (nw *Newton) quadraticStep(ctx context.Context, x, theta []float64, res *Result) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrNotConverged, err)
	}
	f, err := nw.factorize(x, theta)
	if err != nil {
		return err
	}
	if err := f.Solve(x, nw.g0); err != nil {
		return fmt.Errorf("smooth: Newton: %w", err)
	}
	for i := range x {
		x[i] = -x[i]
	}
	res.Iterations = 1
	if !finite(x) {
		return fmt.Errorf("%w: %w: the solution", ErrNotConverged, ErrNaN)
	}
	g := make([]float64, len(x))
	f.Apply(g, x)
	res.F = nw.f0 + dot(nw.g0, x) + 0.5*dot(x, g)
	for i := range g {
		g[i] += nw.g0[i]
	}
	res.Grad = g
	return nil
}

func (nw *Newton) run(ctx context.Context, x, theta []float64, set Settings, res *Result) error {
	pb := nw.pb
	g, dx, xt := nw.g, nw.dx, nw.xt
	prevG := math.Inf(1)
	for it := range set.MaxIter {
		res.Iterations = it
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrNotConverged, err)
		}
		f := pb.Func(x, theta)
		pb.Grad(g, x, theta)
		res.FuncEvals++
		res.GradEvals++
		gmax := maxAbs(g)
		if math.IsNaN(f) || math.IsInf(f, 0) || !finite(g) {
			return fmt.Errorf("%w: %w: objective at iteration %d", ErrNotConverged, ErrNaN, it)
		}
		if gmax <= set.Tol {
			res.F, res.Grad = f, append([]float64(nil), g...)
			return nil
		}
		if set.Logger != nil {
			set.Logger.Debug("smooth: Newton", "iter", it, "f", f, "grad", gmax)
		}
		lagged := nw.fact != nil && (it == 0 || gmax <= 0.25*prevG) && !nw.kept(x, theta)
		prevG = gmax
		for {
			fact := nw.fact
			if !lagged || fact == nil {
				var err error
				if fact, err = nw.factorize(x, theta); err != nil {
					return err
				}
			}
			if err := fact.Solve(dx, g); err != nil {
				return fmt.Errorf("smooth: Newton step: %w", err)
			}
			dec := dot(g, dx)
			if lagged && !(dec > 0) {
				lagged = false
				continue
			}
			tiny := dec <= 1e-13*math.Max(1, math.Abs(f))
			step := 1.0
			ok := false
			for ls := 0; ; ls++ {
				for j := range x {
					xt[j] = x[j] - step*dx[j]
				}
				if tiny {
					ok = true
					break
				}
				res.FuncEvals++
				if pb.Func(xt, theta) <= f-1e-4*step*dec {
					ok = true
					break
				}
				if lagged || ls >= 40 {
					break
				}
				step /= 2
			}
			if !ok && lagged {
				lagged = false // retry with a fresh Hessian
				continue
			}
			if step*maxAbs(dx) <= 1e-16*math.Max(1, maxAbs(x)) {
				// No progress possible in floating point.
				copy(x, xt)
				res.Iterations = it + 1
				return nil
			}
			copy(x, xt)
			break
		}
	}
	res.Iterations = set.MaxIter
	return fmt.Errorf("%w: Newton after %d iterations", ErrNotConverged, set.MaxIter)
}

// Condition returns the stationarity condition ∇ₓf(x, θ) = 0 of the
// problem ([Condition]) with ∂ₓF the kept Cholesky factor of the Hessian
// when Linearize is called at the point and θ of the last factorization
// (after Minimize, its solution), else a new factorization, kept in turn.
// ∂θF is [Problem.MixedOperator].
func (nw *Newton) Condition() implicit.Condition {
	if nw == nil || nw.pb == nil {
		return Condition(nil)
	}
	return newtonCondition{nw}
}

type newtonCondition struct{ nw *Newton }

func (c newtonCondition) Dims() (int, int) { return c.nw.pb.N, c.nw.pb.P }

func (c newtonCondition) Residual(dst, x, theta []float64) {
	Condition(c.nw.pb).Residual(dst, x, theta)
}

func (c newtonCondition) Linearize(x, theta []float64) (dx, dth implicit.Operator, err error) {
	defer func() {
		if v := recover(); v != nil {
			dx, dth, err = nil, nil, callbackPanic("Newton.Condition.Linearize", v)
		}
	}()
	if err := c.nw.pb.check(x, theta); err != nil {
		return nil, nil, err
	}
	f, err := c.nw.factorize(x, theta)
	if err != nil {
		return nil, nil, err
	}
	return f, c.nw.pb.MixedOperator(x, theta), nil
}
