package smooth

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// gonumConverger is the optimize.Converger of the gonum backend. Gonum
// calls it from the goroutine that called optimize.Minimize, at every
// major iteration whose point passed gonum's own checks (the gradient
// threshold is tested before it). It keeps a copy of the last iterate
// with a finite value and gradient, so that a run that ends on a bad
// point still returns a usable best iterate, and ends the run (status
// Failure) on a non-finite gradient or a cancelled context.
type gonumConverger struct {
	m        *minimizer
	x, g     []float64
	f        float64
	nonFinit bool
}

func (c *gonumConverger) Init(int) {}

func (c *gonumConverger) Converged(loc *optimize.Location) optimize.Status {
	if math.IsNaN(loc.F) || math.IsInf(loc.F, 0) || len(loc.Gradient) != len(c.g) || !finite(loc.Gradient) {
		c.nonFinit = true
		return optimize.Failure
	}
	copy(c.x, loc.X)
	copy(c.g, loc.Gradient)
	c.f = loc.F
	if c.m.ctx.Err() != nil {
		return optimize.Failure
	}
	return optimize.NotTerminated
}

// gonumLogger is an optimize.Recorder sending one debug record per major
// iteration to Settings.Logger.
type gonumLogger struct{ m *minimizer }

func (gonumLogger) Init() error { return nil }

func (r gonumLogger) Record(loc *optimize.Location, op optimize.Operation, st *optimize.Stats) error {
	if op == optimize.MajorIteration && st.MajorIterations > 1 {
		r.m.set.Logger.Debug("smooth: iteration", "iter", st.MajorIterations-1, "f", loc.F, "grad", floats.Norm(loc.Gradient, math.Inf(1)), "backend", "gonum")
	}
	return nil
}

// runGonum minimizes from (x, f, g) with gonum's optimize.Minimize and
// returns the best point it reached (see Minimize for the mapping of
// gonum's statuses).
func (m *minimizer) runGonum(x []float64, f float64, g []float64, res *Result) ([]float64, float64, []float64, error) {
	n := len(x)
	// Gonum's first step is 1/‖∇f(x0)‖₂, and its line searches panic (in
	// a goroutine of their own, beyond recover) on a zero step: refuse a
	// gradient whose norm overflows.
	if math.IsInf(floats.Norm(g, 2), 0) {
		return x, f, g, errors.New("gonum: ‖∇f(x0)‖₂ overflows")
	}
	theta := m.theta
	// Gonum evaluates in goroutines of its own: a panic there would end
	// the process. It is recovered, recorded and ends the run (Status).
	var (
		mu       sync.Mutex
		panicErr error
	)
	guard := func(where string) {
		if v := recover(); v != nil {
			mu.Lock()
			if panicErr == nil {
				panicErr = callbackPanic(where, v)
			}
			mu.Unlock()
		}
	}
	panicked := func() error {
		mu.Lock()
		defer mu.Unlock()
		return panicErr
	}
	prob := optimize.Problem{
		Func: func(x []float64) (v float64) {
			v = math.Inf(1)
			defer guard("Func")
			v = m.pb.Func(x, theta)
			if math.IsNaN(v) {
				// Gonum's bisection treats +Inf as "too far" and backs off,
				// as this package's line search does with NaN.
				return math.Inf(1)
			}
			return v
		},
		Grad: func(dst, x []float64) {
			defer func() {
				if panicked() != nil {
					for i := range dst {
						dst[i] = math.NaN()
					}
				}
			}()
			defer guard("Grad")
			m.pb.Grad(dst, x, theta)
		},
		// Status is checked after every evaluation: a cancelled context
		// (or a panic in Func or Grad) stops the run within one function
		// or gradient evaluation.
		Status: func() (optimize.Status, error) {
			if err := panicked(); err != nil {
				return optimize.Failure, err
			}
			if err := m.ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	conv := &gonumConverger{m: m, x: append([]float64(nil), x...), g: append([]float64(nil), g...), f: f}
	settings := &optimize.Settings{
		InitValues: &optimize.Location{F: f, Gradient: append([]float64(nil), g...)},
		// Gonum tests ‖∇f‖∞ < GradientThreshold (strict) at every major
		// iteration, the same norm as this package's ‖∇f‖∞ ≤ Tol.
		GradientThreshold: m.set.Tol,
		Converger:         conv,
		// Gonum counts the starting point as a major iteration.
		MajorIterations: m.set.MaxIter + 1,
		Concurrent:      0,
	}
	if m.set.Logger != nil {
		settings.Recorder = gonumLogger{m}
	}
	var method optimize.Method
	if m.set.Method == GonumBFGS {
		method = &optimize.BFGS{GradStopThreshold: m.set.Tol}
	} else {
		method = &optimize.LBFGS{Store: m.set.Memory, GradStopThreshold: m.set.Tol}
	}
	out, err := optimize.Minimize(prob, x, settings, method)
	if perr := panicked(); perr != nil {
		// Minimize returns a nil result for it, as for the native methods.
		return x, f, g, perr
	}
	if out == nil {
		return x, f, g, err
	}
	m.nf += out.FuncEvaluations
	m.ng += out.GradEvaluations
	res.Iterations = max(out.MajorIterations-1, 0)
	// The final location is gonum's last major iterate; its line search
	// never increases f, so it is the best point when it is finite.
	bx, bf, bg := conv.x, conv.f, conv.g
	if len(out.X) == n && len(out.Gradient) == n && !math.IsNaN(out.F) && !math.IsInf(out.F, 0) && finite(out.X) && finite(out.Gradient) && out.F <= bf {
		bx, bf, bg = out.X, out.F, out.Gradient
	}
	switch {
	case err != nil:
		return bx, bf, bg, fmt.Errorf("gonum %v: %w", out.Status, err)
	case conv.nonFinit:
		return bx, bf, bg, fmt.Errorf("gonum: %w at a major iterate", ErrNaN)
	case out.Status == optimize.GradientThreshold || out.Status == optimize.IterationLimit:
		return bx, bf, bg, nil
	}
	return bx, bf, bg, fmt.Errorf("gonum stopped with status %v", out.Status)
}
