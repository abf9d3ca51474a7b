package bilevel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/optlayers/optlayers/solvers/smooth"
)

// Algorithm is an outer optimizer.
type Algorithm int

const (
	// LBFGS is limited-memory BFGS with a strong-Wolfe line search
	// (smooth.Minimize of package solvers/smooth) on the box-penalized
	// objective described at [Settings].Lower.
	LBFGS Algorithm = iota
	// HOAG is gradient descent with the adaptive step and the decreasing
	// inner tolerances of Pedregosa (2016): a step is accepted when it
	// decreases L by at least ‖g‖²/(2L̂) up to the inner-solve error, and
	// then the step 1/L̂ grows by 1/0.7; otherwise L̂ doubles and the step is retried.
	HOAG
	// Adam is the Adam method (Kingma and Ba 2015) with projection on the
	// box; it is the optimizer of most deep-learning hyperparameter code.
	Adam
)

var algorithmNames = [...]string{"L-BFGS", "HOAG", "Adam"}

func (a Algorithm) String() string {
	if a >= 0 && int(a) < len(algorithmNames) {
		return algorithmNames[a]
	}
	return fmt.Sprintf("Algorithm(%d)", int(a))
}

// Settings controls [Optimize]. A nil pointer or the zero value means the
// defaults documented on each field. An unknown Algorithm, a negative
// MaxIter and a negative, NaN or infinite tolerance, TolDecrease (which
// must also be below 1) or LearningRate are rejected with ErrInvalid.
type Settings struct {
	// Algorithm is the outer optimizer. Default LBFGS.
	Algorithm Algorithm
	// Lower and Upper are box bounds on θ (the log-hyperparameters), of
	// length p, or nil for [−30, 30] in every coordinate. Steps are
	// projected on the box (HOAG, Adam); L-BFGS minimizes
	// L(Π(θ)) + (κ/2)‖θ − Π(θ)‖², Π the projection, whose minimizers lie in
	// the box, and returns Π(θ).
	Lower, Upper []float64
	// MaxIter caps the outer iterations, counted as objective evaluations
	// (inner solves). Default 30.
	MaxIter int
	// Tol stops when the projected gradient is below
	// Tol·max(|L(θ)|, 1e-12) in max norm. Default 1e-6.
	Tol float64
	// StepTol stops when an accepted step moves θ by less than StepTol in
	// max norm (HOAG, Adam), or when L-BFGS evaluates a point within
	// StepTol of the best one without improving on it (at a kink of L,
	// where no gradient vanishes). Default 1e-4.
	StepTol float64
	// ValueTol stops when the best criterion has improved by less than
	// ValueTol·|L| over the last 3 evaluations (inexact inner solves and
	// kinks of L make the last digits noise). Default 1e-6.
	ValueTol float64
	// InnerTol is the final inner tolerance passed to the objective
	// (0: the model's default).
	InnerTol float64
	// InnerTolStart is the first inner tolerance of HOAG, decreased by
	// TolDecrease at every step down to InnerTol. Defaults 1e-4 and 0.3
	// (the other algorithms use InnerTol throughout).
	InnerTolStart float64
	TolDecrease   float64
	// LearningRate is Adam's step (default 0.1 in log space) and HOAG's
	// initial step 1/L̂ relative to the first gradient: by default the first
	// HOAG step moves θ by 1 in max norm.
	LearningRate float64
	// Logger, if non-nil, receives one Info record per evaluation (step,
	// θ, criterion, gradient norm, inner iterations, elapsed time).
	Logger *slog.Logger
}

// Step is one evaluation of an optimization run.
type Step struct {
	Theta      []float64
	Value      float64
	GradNorm   float64
	InnerIters int
	InnerTol   float64
	Elapsed    time.Duration
}

// Result is the outcome of [Optimize].
type Result struct {
	// Theta is the best point evaluated and Value its criterion.
	Theta []float64
	Value float64
	// Evals counts objective evaluations (inner solves); InnerIters sums
	// their inner iterations.
	Evals      int
	InnerIters int
	// Path lists every evaluation in order.
	Path []Step
	// Time is the wall time.
	Time time.Duration
	// Status says why the run stopped.
	Status string
}

type runner struct {
	ctx    context.Context
	obj    Objective
	s      Settings
	lo, hi []float64
	res    *Result
	start  time.Time
}

// evaluate calls obj.Evaluate, returning a panic in it as an error
// wrapping ErrCallback.
func evaluate(ctx context.Context, obj Objective, theta, grad []float64, tol float64) (ev Evaluation, err error) {
	defer recoverCallback(&err, "Objective.Evaluate")
	return obj.Evaluate(ctx, theta, grad, tol)
}

func (r *runner) eval(theta, grad []float64, tol float64) (Evaluation, error) {
	if r.res.Evals >= r.s.MaxIter {
		return Evaluation{}, errMaxEvals
	}
	if err := r.ctx.Err(); err != nil {
		return Evaluation{}, err
	}
	ev, err := evaluate(r.ctx, r.obj, theta, grad, tol)
	r.res.Evals++
	r.res.InnerIters += ev.InnerIters
	if err != nil && !errors.Is(err, ErrNotConverged) {
		return ev, err
	}
	// With ErrNotConverged the objective reports the criterion at the
	// inner solver's best iterate; the outer run goes on with it.
	if math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) || (grad != nil && !finite(grad)) {
		return ev, fmt.Errorf("%w: criterion or hypergradient at θ = %v", ErrNaN, theta)
	}
	gn := r.projGradNorm(theta, grad)
	st := Step{Theta: append([]float64(nil), theta...), Value: ev.Value, GradNorm: gn,
		InnerIters: ev.InnerIters, InnerTol: tol, Elapsed: time.Since(r.start)}
	r.res.Path = append(r.res.Path, st)
	if r.res.Theta == nil || ev.Value < r.res.Value {
		r.res.Theta = append(r.res.Theta[:0], theta...)
		r.res.Value = ev.Value
	}
	if r.s.Logger != nil {
		r.s.Logger.Info("bilevel step", "eval", r.res.Evals, "theta", st.Theta, "value", ev.Value,
			"grad", gn, "inner_iters", ev.InnerIters, "inner_tol", tol, "elapsed", st.Elapsed)
	}
	return ev, nil
}

var errMaxEvals = errors.New("bilevel: evaluation budget exhausted")

// stalled reports whether the best value improved by less than
// ValueTol·|best| over the last 3 evaluations.
func (r *runner) stalled() bool {
	p := r.res.Path
	if len(p) < 4 {
		return false
	}
	before := math.Inf(1)
	for _, st := range p[:len(p)-3] {
		before = math.Min(before, st.Value)
	}
	return before-r.res.Value <= r.s.ValueTol*math.Abs(r.res.Value)
}

// projGradNorm is the max norm of the projected gradient: components
// that push θ out of the box at an active bound count as zero.
func (r *runner) projGradNorm(theta, grad []float64) float64 {
	if grad == nil {
		return math.NaN()
	}
	var m float64
	for j, t := range theta {
		g := grad[j]
		if (t <= r.lo[j] && g > 0) || (t >= r.hi[j] && g < 0) {
			continue
		}
		m = math.Max(m, math.Abs(g))
	}
	return m
}

func (r *runner) project(theta []float64) {
	for j := range theta {
		theta[j] = math.Min(math.Max(theta[j], r.lo[j]), r.hi[j])
	}
}

func (r *runner) converged(theta, grad []float64, value float64) bool {
	return r.projGradNorm(theta, grad) <= r.s.Tol*math.Max(math.Abs(value), 1e-12)
}

// Optimize minimizes the outer objective from θ₀ with the algorithm of s
// and returns the best point found. The outer problem is not convex in
// general: the result is a local minimum near θ₀ (start l1 models below
// log LambdaMax, where the criterion is flat). It stops at convergence, when the
// evaluation budget is spent (not an error) or when ctx is cancelled (the
// best point so far is returned with ctx's error). A panic in obj is
// returned as an error wrapping ErrCallback.
func Optimize(ctx context.Context, obj Objective, theta0 []float64, s *Settings) (res *Result, err error) {
	defer recoverCallback(&err, "Optimize")
	if obj == nil {
		return nil, fmt.Errorf("%w: nil objective", ErrInvalid)
	}
	p := obj.Dims()
	if p < 1 {
		return nil, fmt.Errorf("%w: objective with %d hyperparameters", ErrDims, p)
	}
	var set Settings
	if s != nil {
		set = *s
	}
	if err := set.check(); err != nil {
		return nil, err
	}
	if set.Lower == nil && set.Upper == nil {
		set.Lower, set.Upper = make([]float64, p), make([]float64, p)
		for j := range p {
			set.Lower[j], set.Upper[j] = -30, 30
		}
	}
	if err := checkBox(set.Lower, set.Upper, p); err != nil {
		return nil, err
	}
	if len(theta0) != p {
		return nil, fmt.Errorf("%w: θ₀ has length %d, want %d", ErrDims, len(theta0), p)
	}
	if !finite(theta0) {
		return nil, fmt.Errorf("%w: in θ₀", ErrNaN)
	}
	if set.MaxIter <= 0 {
		set.MaxIter = 30
	}
	if set.Tol <= 0 {
		set.Tol = 1e-6
	}
	if set.StepTol <= 0 {
		set.StepTol = 1e-4
	}
	if set.ValueTol <= 0 {
		set.ValueTol = 1e-6
	}
	if set.InnerTolStart <= 0 {
		set.InnerTolStart = 1e-4
	}
	if set.TolDecrease == 0 {
		set.TolDecrease = 0.3
	}
	r := &runner{ctx: ctx, obj: obj, s: set, lo: set.Lower, hi: set.Upper, res: &Result{}, start: time.Now()}
	theta := append([]float64(nil), theta0...)
	r.project(theta)
	switch set.Algorithm {
	case LBFGS:
		err = r.lbfgs(theta)
	case HOAG:
		err = r.hoag(theta)
	case Adam:
		err = r.adam(theta)
	default:
		return nil, fmt.Errorf("%w: unknown algorithm %v", ErrInvalid, set.Algorithm)
	}
	r.res.Time = time.Since(r.start)
	if errors.Is(err, errMaxEvals) {
		r.res.Status = "evaluation budget exhausted"
		err = nil
	}
	if r.res.Theta == nil && err == nil {
		err = fmt.Errorf("%w: no evaluation", ErrInvalid)
	}
	return r.res, err
}

// check rejects settings outside their documented ranges.
func (s *Settings) check() error {
	if s.Algorithm < 0 || int(s.Algorithm) >= len(algorithmNames) {
		return fmt.Errorf("%w: unknown algorithm %v", ErrInvalid, s.Algorithm)
	}
	if err := checkCount("Settings.MaxIter", s.MaxIter); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"Settings.Tol", s.Tol}, {"Settings.StepTol", s.StepTol}, {"Settings.ValueTol", s.ValueTol},
		{"Settings.InnerTol", s.InnerTol}, {"Settings.InnerTolStart", s.InnerTolStart},
		{"Settings.TolDecrease", s.TolDecrease}, {"Settings.LearningRate", s.LearningRate}} {
		if err := checkTol(f.name, f.v); err != nil {
			return err
		}
	}
	if s.TolDecrease >= 1 {
		return fmt.Errorf("%w: Settings.TolDecrease = %v (want 0 < TolDecrease < 1, or 0 for the default)", ErrInvalid, s.TolDecrease)
	}
	return nil
}

func (r *runner) hoag(theta []float64) error {
	p := len(theta)
	grad := make([]float64, p)
	tol := r.s.InnerTolStart
	final := r.s.InnerTol
	nextTol := func() {
		tol *= r.s.TolDecrease
		if final > 0 {
			tol = math.Max(tol, final)
		} else {
			tol = math.Max(tol, 1e-12)
		}
	}
	ev, err := r.eval(theta, grad, tol)
	if err != nil {
		return err
	}
	value := ev.Value
	lr := r.s.LearningRate
	if lr <= 0 {
		lr = 1
	}
	lhat := maxAbs(grad) / lr
	if lhat == 0 {
		r.res.Status = "zero gradient"
		return nil
	}
	trial := make([]float64, p)
	tgrad := make([]float64, p)
	for {
		if r.converged(theta, grad, value) {
			r.res.Status = "converged (projected gradient)"
			return nil
		}
		nextTol()
		for j := range theta {
			trial[j] = theta[j] - grad[j]/lhat
		}
		r.project(trial)
		var move, decrease float64
		for j := range theta {
			move = math.Max(move, math.Abs(trial[j]-theta[j]))
			decrease += grad[j] * (theta[j] - trial[j])
		}
		tev, err := r.eval(trial, tgrad, tol)
		if err != nil {
			return err
		}
		// Sufficient decrease up to the inner-solve error, which HOAG
		// bounds by the tolerance (here relative to the criterion).
		slack := 10 * tol * math.Abs(value)
		if tev.Value <= value-0.5*decrease+slack {
			lhat *= 0.7
			copy(theta, trial)
			copy(grad, tgrad)
			value = tev.Value
			if move <= r.s.StepTol {
				r.res.Status = "converged (step)"
				return nil
			}
		} else {
			lhat *= 2
		}
		if r.stalled() {
			r.res.Status = "converged (criterion stalled)"
			return nil
		}
	}
}

func (r *runner) adam(theta []float64) error {
	p := len(theta)
	grad := make([]float64, p)
	m := make([]float64, p)
	v := make([]float64, p)
	lr := r.s.LearningRate
	if lr <= 0 {
		lr = 0.1
	}
	const b1, b2, eps = 0.9, 0.999, 1e-8
	for k := 1; ; k++ {
		ev, err := r.eval(theta, grad, r.s.InnerTol)
		if err != nil {
			return err
		}
		if r.converged(theta, grad, ev.Value) {
			r.res.Status = "converged (projected gradient)"
			return nil
		}
		var move float64
		for j := range theta {
			m[j] = b1*m[j] + (1-b1)*grad[j]
			v[j] = b2*v[j] + (1-b2)*grad[j]*grad[j]
			mh := m[j] / (1 - math.Pow(b1, float64(k)))
			vh := v[j] / (1 - math.Pow(b2, float64(k)))
			old := theta[j]
			theta[j] -= lr * mh / (math.Sqrt(vh) + eps)
			theta[j] = math.Min(math.Max(theta[j], r.lo[j]), r.hi[j])
			move = math.Max(move, math.Abs(theta[j]-old))
		}
		if move <= r.s.StepTol {
			r.res.Status = "converged (step)"
			return nil
		}
		if r.stalled() {
			r.res.Status = "converged (criterion stalled)"
			return nil
		}
	}
}

func (r *runner) lbfgs(theta0 []float64) error {
	p := len(theta0)
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	var (
		lastX    []float64
		lastF    float64
		lastG    = make([]float64, p)
		lastErr  error
		kappa    float64
		scale    = math.NaN()
		clamped  = make([]float64, p)
		innerG   = make([]float64, p)
		conv     bool
		stepConv bool
		stalled  bool
	)
	// The objective is scaled by 1/|L(θ₀)| so that smooth.Minimize's
	// absolute gradient tolerance is Tol relative to the criterion.
	compute := func(x []float64) {
		if lastX != nil && sameVec(lastX, x) {
			return
		}
		lastX = append(lastX[:0], x...)
		if lastErr != nil || conv {
			return
		}
		copy(clamped, x)
		r.project(clamped)
		prevBest, prevTheta := r.res.Value, append([]float64(nil), r.res.Theta...)
		ev, err := r.eval(clamped, innerG, r.s.InnerTol)
		if err != nil {
			lastErr = err
			lastF = math.Inf(1)
			clear(lastG)
			cancel()
			return
		}
		if math.IsNaN(scale) {
			scale = 1 / math.Max(math.Abs(ev.Value), 1e-12)
			kappa = math.Max(10*maxAbs(innerG)*scale, 1e-12)
		}
		lastF = ev.Value * scale
		for j := range x {
			d := x[j] - clamped[j]
			if d != 0 {
				lastF += 0.5 * kappa * d * d
				lastG[j] = kappa * d
			} else {
				lastG[j] = innerG[j] * scale
			}
		}
		if r.converged(clamped, innerG, ev.Value) {
			conv = true
			cancel()
		}
		if r.stalled() {
			conv = true
			stalled = true
			cancel()
		}
		// A kink (the lasso's support changes) has no zero gradient: stop
		// when a new point lands within StepTol of the best one.
		if r.res.Evals >= 3 && ev.Value >= prevBest {
			var dist float64
			for j := range clamped {
				dist = math.Max(dist, math.Abs(clamped[j]-prevTheta[j]))
			}
			if dist <= r.s.StepTol {
				conv = true
				stepConv = true
				cancel()
			}
		}
	}
	prob := &smooth.Problem{N: p,
		Func: func(x, _ []float64) float64 { compute(x); return lastF },
		Grad: func(g, x, _ []float64) { compute(x); copy(g, lastG) },
	}
	_, err := smooth.Minimize(ctx, prob, nil, theta0, &smooth.Settings{
		Method:  smooth.LBFGS,
		Tol:     r.s.Tol,
		MaxIter: r.s.MaxIter,
	})
	switch {
	case lastErr != nil:
		return lastErr
	case stepConv:
		r.res.Status = "converged (step)"
	case stalled:
		r.res.Status = "converged (criterion stalled)"
	case conv:
		r.res.Status = "converged (projected gradient)"
	case r.ctx.Err() != nil:
		return r.ctx.Err()
	case err != nil:
		r.res.Status = "L-BFGS stopped: " + err.Error()
	default:
		r.res.Status = "converged (L-BFGS)"
	}
	return nil
}

// Lambdas returns the regularization strengths exp(θ) of the best point
// (nil for a nil Result).
func (r *Result) Lambdas() []float64 {
	if r == nil {
		return nil
	}
	out := make([]float64, len(r.Theta))
	for i, t := range r.Theta {
		out[i] = math.Exp(t)
	}
	return out
}
