package prox

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"github.com/optlayers/optlayers/implicit"
)

// Settings controls [Minimize]. A nil *Settings or the zero value means
// the documented defaults; a negative, NaN or infinite Tol or StepSize and
// a negative MaxIter give ErrInvalid.
type Settings struct {
	// Tol stops the run when the gradient mapping
	// G = (y − prox_{ηg}(y − η∇f(y)))/η satisfies ‖G‖∞ ≤ Tol. G = 0
	// exactly at a minimizer; ‖x − x*‖ ≤ ‖G‖/μ for μ-strongly convex f.
	// Default 1e-8.
	Tol float64
	// MaxIter caps the number of iterations. Default 10000.
	MaxIter int
	// StepSize, if positive, is a fixed step η (at most 1/L for
	// convergence); zero means backtracking from an estimate of 1/L
	// (Beck & Teboulle 2009), halving η until
	// f(x⁺) ≤ f(y) + ⟨∇f(y), x⁺ − y⟩ + ‖x⁺ − y‖²/(2η).
	StepSize float64
	// NoAcceleration runs plain proximal gradient (ISTA) instead of FISTA.
	NoAcceleration bool
	// NoRestart disables the adaptive restart of the momentum
	// (O'Donoghue & Candès 2015: reset when ⟨y − x⁺, x⁺ − x⟩ > 0), which
	// restores linear convergence on strongly convex problems.
	NoRestart bool
	// StallIter stops the run with ErrStalled (and ErrNotConverged) and
	// the best iterate when, for StallIter consecutive iterations, neither
	// the best objective f + g has decreased by more than rounding
	// (8ε relative) nor the gradient mapping ‖G‖∞ has halved, both
	// measured from the last iteration that made such progress: the
	// tolerance is below what rounding allows, or the iteration diverges
	// (a fixed StepSize above 2/L). Default 200; negative disables it.
	// Independently of StallIter, the run stops with ErrStalled when
	// backtracking finds no step with sufficient decrease (∇f
	// inconsistent with f, or f not smooth): after 60 halvings of η, or
	// once the step ‖x⁺ − y‖∞ has shrunk to the rounding level of y.
	StallIter int
	// Logger, if non-nil, receives a debug record every 100 iterations and
	// an info record at the end.
	Logger *slog.Logger
}

func (s *Settings) orDefault() Settings {
	var out Settings
	if s != nil {
		out = *s
	}
	if out.Tol <= 0 {
		out.Tol = 1e-8
	}
	if out.MaxIter <= 0 {
		out.MaxIter = 10000
	}
	if out.StallIter == 0 {
		out.StallIter = 200
	}
	return out
}

// check validates the settings as given (zero means the default).
func (s Settings) check() error {
	if math.IsNaN(s.Tol) || math.IsInf(s.Tol, 0) || s.Tol < 0 {
		return fmt.Errorf("%w: tolerance %v (want a finite value ≥ 0; 0 means the default)", ErrInvalid, s.Tol)
	}
	if s.MaxIter < 0 {
		return fmt.Errorf("%w: MaxIter %d (want ≥ 0; 0 means the default)", ErrInvalid, s.MaxIter)
	}
	if s.StepSize < 0 || math.IsNaN(s.StepSize) || math.IsInf(s.StepSize, 0) {
		return fmt.Errorf("%w: step size %v", ErrInvalid, s.StepSize)
	}
	return nil
}

// Result is the outcome of [Minimize].
type Result struct {
	// X is the best iterate found (lowest objective) and Objective its
	// objective f(X) + g(X).
	X         []float64
	Objective float64
	// Residual is ‖G‖∞, the gradient mapping at the last step.
	Residual float64
	// StepSize is the final step η.
	StepSize float64
	// Iterations, FuncEvals and GradEvals count the work done.
	Iterations, FuncEvals, GradEvals int
	// Restarts counts momentum restarts.
	Restarts  int
	Converged bool

	// The problem and θ of the run, for the derivatives (contract.go).
	c     *Composite
	theta []float64
	sol   *implicit.Solution
}

// Minimize solves min f(x; θ_f) + g(x; λ) by accelerated proximal
// gradient (FISTA, Beck & Teboulle 2009) with backtracking and adaptive
// restart:
//
//	x_{k+1} = prox_{ηg}(y_k − η∇f(y_k)),
//	t_{k+1} = (1 + √(1 + 4t_k²))/2,
//	y_{k+1} = x_{k+1} + ((t_k − 1)/t_{k+1}) (x_{k+1} − x_k).
//
// x0 is the starting point (a warm start); θ and x0 are not modified. It
// returns the best iterate (lowest objective) with ErrNotConverged at
// MaxIter or when ctx is cancelled (checked every iteration), with
// ErrStalled and ErrNotConverged when progress stops (see
// Settings.StallIter), and with ErrNaN when f, ∇f or an iterate stops
// being finite. Invalid input gives a nil result and an error; a panic in
// user code (F's functions, a user Regularizer or Projector) gives a nil
// result and an error wrapping ErrCallback.
func Minimize(ctx context.Context, c *Composite, theta, x0 []float64, s *Settings) (res *Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, callbackPanic("Minimize", v)
		}
	}()
	if err := c.Check(x0, theta); err != nil {
		return nil, err
	}
	if s != nil {
		if err := s.check(); err != nil {
			return nil, err
		}
	}
	set := s.orDefault()
	if err := set.check(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotConverged, err)
	}
	lam, tf, _ := c.Split(theta)
	n := len(x0)
	f, g := c.F, c.G
	x := append([]float64(nil), x0...)
	// Start from a feasible point for indicators.
	if err := g.Prox(x, x, lam, 1e-300); err != nil {
		return nil, fmt.Errorf("prox of x0: %w", err)
	}
	xPrev := append([]float64(nil), x...)
	y := append([]float64(nil), x...)
	grad := make([]float64, n)
	xn := make([]float64, n)
	res = &Result{}
	fy := f.Func(y, tf)
	f.Grad(grad, y, tf)
	res.FuncEvals++
	res.GradEvals++
	if math.IsNaN(fy) || math.IsInf(fy, 0) || !finite(grad) {
		return nil, fmt.Errorf("%w: f or ∇f at x0", ErrNaN)
	}
	gx, err := g.Value(x, lam)
	if err != nil {
		return nil, err
	}
	best := append([]float64(nil), x...)
	bestObj := fy + gx
	eta := set.StepSize
	if eta == 0 {
		eta = initialStep(f.Grad, y, grad, tf, xn)
		res.GradEvals++
	}
	t := 1.0
	// Stall detection: the best objective and the smallest residual at
	// the last iteration that made progress.
	const eps = 2.220446049250313e-16
	refObj, refRes, sinceProgress := bestObj, math.Inf(1), 0
	for it := 0; ; it++ {
		if e := ctx.Err(); e != nil {
			err = fmt.Errorf("%w: %w", ErrNotConverged, e)
			break
		}
		if it >= set.MaxIter {
			err = fmt.Errorf("%w: ‖G‖∞ = %.3g > %.3g after %d iterations", ErrNotConverged, res.Residual, set.Tol, it)
			break
		}
		res.Iterations++
		var fx float64
		accepted := false
		for bt := 0; ; bt++ {
			for i := range xn {
				xn[i] = y[i] - eta*grad[i]
			}
			if err = g.Prox(xn, xn, lam, eta); err != nil {
				break
			}
			if set.StepSize > 0 {
				fx = f.Func(xn, tf)
				res.FuncEvals++
				accepted = true
				break
			}
			if bt > 0 && stepLost(xn, y) {
				// η was halved until the step vanished in rounding: no
				// step decreases f (a zero step at bt = 0 means y is a
				// fixed point, which the residual test below accepts).
				break
			}
			fx = f.Func(xn, tf)
			res.FuncEvals++
			var lin, sq float64
			for i := range xn {
				di := xn[i] - y[i]
				lin += grad[i] * di
				sq += di * di
			}
			slack := 10 * eps * (math.Abs(fy) + math.Abs(fx))
			if fx <= fy+lin+sq/(2*eta)+slack {
				accepted = true
				break
			}
			if bt >= 60 {
				break
			}
			eta *= 0.5
		}
		if err != nil {
			err = fmt.Errorf("prox step: %w", err)
			break
		}
		if math.IsNaN(fx) || (accepted && math.IsInf(fx, 0)) {
			err = fmt.Errorf("%w: f = %v at an iterate", ErrNaN, fx)
			break
		}
		if !accepted {
			err = fmt.Errorf("%w: %w: backtracking found no step with sufficient decrease (η = %.3g; is ∇f consistent with f?)", ErrNotConverged, ErrStalled, eta)
			break
		}
		var gm float64
		for i := range xn {
			gm = math.Max(gm, math.Abs(y[i]-xn[i]))
		}
		res.Residual = gm / eta
		gv, gerr := g.Value(xn, lam)
		if gerr != nil {
			err = gerr
			break
		}
		obj := fx + gv
		if obj <= bestObj {
			bestObj = obj
			copy(best, xn)
		}
		if set.Logger != nil && it%100 == 0 {
			set.Logger.Debug("prox: FISTA", "iter", it, "obj", obj, "residual", res.Residual, "eta", eta)
		}
		if res.Residual <= set.Tol {
			res.Converged = true
			copy(best, xn)
			bestObj = obj
			break
		}
		if bestObj < refObj-8*eps*math.Abs(refObj) || res.Residual < 0.5*refRes {
			refObj, refRes, sinceProgress = bestObj, math.Min(refRes, res.Residual), 0
		} else if sinceProgress++; set.StallIter > 0 && sinceProgress >= set.StallIter {
			err = fmt.Errorf("%w: %w: no decrease of the objective (%.6g) or of ‖G‖∞ (%.3g > %.3g) in %d iterations", ErrNotConverged, ErrStalled, bestObj, res.Residual, set.Tol, sinceProgress)
			break
		}
		// Momentum.
		copy(xPrev, x)
		copy(x, xn)
		if set.NoAcceleration {
			copy(y, x)
		} else {
			restart := false
			if !set.NoRestart {
				var ip float64
				for i := range x {
					ip += (y[i] - x[i]) * (x[i] - xPrev[i])
				}
				restart = ip > 0
			}
			if restart {
				t = 1
				copy(y, x)
				res.Restarts++
			} else {
				tn := (1 + math.Sqrt(1+4*t*t)) / 2
				beta := (t - 1) / tn
				t = tn
				for i := range y {
					y[i] = x[i] + beta*(x[i]-xPrev[i])
				}
			}
		}
		fy = f.Func(y, tf)
		f.Grad(grad, y, tf)
		res.FuncEvals++
		res.GradEvals++
		if math.IsNaN(fy) || math.IsInf(fy, 0) || !finite(grad) {
			err = fmt.Errorf("%w: f or ∇f at an iterate", ErrNaN)
			break
		}
	}
	res.X = best
	res.Objective = bestObj
	res.StepSize = eta
	res.c, res.theta = c, append([]float64(nil), theta...)
	if set.Logger != nil {
		set.Logger.Info("prox: FISTA done", "iter", res.Iterations, "obj", bestObj, "residual", res.Residual, "converged", res.Converged)
	}
	return res, err
}

// stepLost reports whether x − y is at the rounding level of y.
func stepLost(x, y []float64) bool {
	var step, scale float64
	for i := range x {
		step = math.Max(step, math.Abs(x[i]-y[i]))
		scale = math.Max(scale, math.Abs(y[i]))
	}
	return step <= 4*2.220446049250313e-16*scale
}

// initialStep estimates 1/L from the change of the gradient along a small
// step; backtracking corrects an overestimate.
func initialStep(grad func(dst, x, theta []float64), x, g0, theta, buf []float64) float64 {
	gn := math.Sqrt(dot(g0, g0))
	if gn == 0 {
		return 1
	}
	h := 1e-4 * math.Max(1, math.Sqrt(dot(x, x))) / gn
	xp := make([]float64, len(x))
	for i := range x {
		xp[i] = x[i] - h*g0[i]
	}
	grad(buf, xp, theta)
	var dd float64
	for i := range buf {
		d := buf[i] - g0[i]
		dd += d * d
	}
	L := math.Sqrt(dd) / (h * gn)
	if !(L > 0) || math.IsInf(L, 0) {
		return 1
	}
	return 1 / L
}

// ImplicitProblem ties [Minimize] to [Condition] with step η: Solve(ctx,
// θ, init) runs FISTA from init (zeros when nil) and the solution's VJP,
// JVP and Jacobian differentiate argminₓ f(x; θ_f) + g(x; λ) with respect
// to θ = (λ, θ_f). engine may be nil.
func ImplicitProblem(c *Composite, eta float64, s *Settings, engine *implicit.Settings) *implicit.Problem {
	return &implicit.Problem{
		Solver: func(ctx context.Context, theta, init []float64) ([]float64, error) {
			x0 := init
			if x0 == nil {
				n, _ := c.Dims()
				x0 = make([]float64, max(n, 0))
			}
			res, err := Minimize(ctx, c, theta, x0, s)
			if err != nil {
				return nil, err
			}
			return res.X, nil
		},
		Condition: Condition(c, eta),
		Settings:  engine,
	}
}
