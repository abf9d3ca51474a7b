package nlopt

import (
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Problem is a nonlinear program
//
//	minimize f(x) subject to lower ≤ x ≤ upper, c(x) ≤ 0, e(x) = 0
//
// over x ∈ Rⁿ (maximize f when Maximize is set).
type Problem struct {
	// Dim is n, the number of variables.
	Dim int
	// Objective returns f(x). When grad is non-nil (gradient-based
	// algorithms) it also sets grad (length n) to ∇f(x). x and grad are
	// scratch buffers owned by Minimize: read x, write grad, keep neither.
	// Callbacks run inside NLopt's C frames: they may panic (the panic is
	// recovered and returned) but must not call runtime.Goexit (for
	// instance testing.T.FailNow), which cannot unwind through C.
	Objective func(x, grad []float64) float64
	// Maximize makes Minimize maximize the objective instead.
	Maximize bool
	// Lower and Upper are the bounds; nil means unbounded. Entries may be
	// ±Inf. Global algorithms need finite bounds.
	Lower, Upper []float64
	// Inequalities are vector constraints c(x) ≤ 0.
	Inequalities []Constraint
	// Equalities are vector constraints e(x) = 0.
	Equalities []Constraint
}

// Constraint is a vector constraint of Dim rows, c: Rⁿ → Rᵐ.
type Constraint struct {
	// Dim is m, the number of rows.
	Dim int
	// Func sets result (length m) to c(x). When jac is non-nil it also sets
	// jac (length m·n, row-major) to the Jacobian: jac[i·n+j] = ∂cᵢ/∂xⱼ.
	// The slices are scratch buffers owned by Minimize.
	Func func(result, x, jac []float64)
	// Tol is the feasibility tolerance of each row (length m); nil means
	// DefaultConstraintTol. NLopt returns the best point among those
	// evaluated that satisfy the constraints within Tol; with Tol = 0 an
	// iterate converging onto an active constraint from outside (by
	// 1e-16) never counts as feasible, and an early iterate is returned.
	// A tolerance too tight for the rounding of the constraint values has
	// the same effect; Result.Last keeps the final iterate either way.
	Tol []float64
}

// ScalarConstraint is the one-row constraint given by f, which returns the
// value and, when grad is non-nil, sets the gradient.
func ScalarConstraint(f func(x, grad []float64) float64, tol float64) Constraint {
	return Constraint{
		Dim: 1,
		Func: func(result, x, jac []float64) {
			result[0] = f(x, jac)
		},
		Tol: []float64{tol},
	}
}

// Settings controls Minimize. A nil *Settings or the zero value means the
// defaults documented on each field.
type Settings struct {
	// Algorithm is the NLopt algorithm; Default is LD_SLSQP.
	Algorithm Algorithm

	// Stopping criteria (NLopt's). A run stops when any criterion is met.
	// If none of XTolRel, XTolAbs, XTolAbsVector, FTolRel, FTolAbs is set,
	// XTolRel and XTolAbs are
	// DefaultXTolRel and DefaultXTolAbs (which stops runs converging to
	// x = 0, where a relative tolerance cannot be met). If MaxEval and MaxTime are both zero, MaxEval is
	// DefaultMaxEval; a negative MaxEval means no cap.
	XTolRel, XTolAbs float64
	// XTolAbsVector, if non-nil (length n), is a per-variable XTolAbs and
	// overrides XTolAbs.
	XTolAbsVector    []float64
	FTolRel, FTolAbs float64
	MaxEval          int
	MaxTime          time.Duration
	// StopVal stops the run once f ≤ StopVal (f ≥ StopVal when
	// maximizing). It is used only when UseStopVal is true.
	StopVal    float64
	UseStopVal bool

	// Local is the subsidiary optimizer of AUGLAG, AUGLAG_EQ, G_MLSL,
	// G_MLSL_LDS and, optionally, of the other AUGLAG and MLSL variants:
	// its Algorithm, stopping criteria and VectorStorage are used, the rest
	// ignored. nil means, for the algorithms that need one, LD_MMA for
	// AUGLAG_EQ (whose local optimizer handles the inequalities) and
	// LD_LBFGS otherwise, with the default stopping criteria; NLopt's
	// choice for the others.
	Local *Settings

	// Population is the population size of the stochastic algorithms
	// (CRS, MLSL, ISRES, ESCH); 0 means NLopt's heuristic.
	Population int
	// VectorStorage is the number of stored gradients of the limited
	// memory methods (LBFGS, TNEWTON, VAR, and SLSQP's internal
	// quasi-Newton); 0 means NLopt's heuristic.
	VectorStorage int
	// InitialStep, if non-nil (length n), is the initial step of the
	// derivative-free algorithms.
	InitialStep []float64
	// Params are NLopt's algorithm-specific parameters (nlopt_set_param),
	// for instance "inner_maxeval" of MMA and CCSA, "dual_ftol_rel".
	Params map[string]float64
	// Seed seeds NLopt's random number generator before each run of a
	// randomized algorithm, so runs are reproducible. The generator is
	// thread-local in NLopt, so concurrent runs do not interfere.
	Seed uint64

	// Logger, if non-nil, receives a summary of each run (level Info) and
	// every evaluation (level Debug).
	Logger *slog.Logger
}

// Default stopping criteria and constraint tolerance.
const (
	DefaultXTolRel       = 1e-10
	DefaultXTolAbs       = 1e-14
	DefaultMaxEval       = 100000
	DefaultConstraintTol = 1e-8
)

// Result is the outcome of a run.
type Result struct {
	// X is the best point found (length n): NLopt's choice, the best
	// objective value among the evaluated points that satisfy the
	// constraints within their tolerances.
	X []float64
	// Last is the last point at which the objective was evaluated, usually
	// the final iterate. It can be more accurate than X when the iterates
	// approach active constraints from outside by more than the tolerance.
	Last []float64
	// F is f(X).
	F float64
	// Status is the success code; zero when an error is returned.
	Status Status
	// Evaluations is the number of objective evaluations.
	Evaluations int
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
}

// MaxStartMagnitude bounds the entries of a starting point and the finite
// bounds (±Inf stays allowed for "no bound"). NLopt scales its internal
// steps by them: beyond about 1e52 LN_NEWUOA_BOUND spends tens of seconds
// inside C between two evaluations, where neither MaxTime nor ctx can reach
// it, and GN_ORIG_DIRECT(_L) crashes the process with a segmentation fault
// on bound widths near 1e200 (both found by FuzzMinimize). Such inputs are
// rejected with ErrInvalidArgs; rescale the variables of a problem that
// really lives at that scale.
const MaxStartMagnitude = 1e50

// validate checks the problem, x0 and settings on the Go side, so that
// NLopt only ever sees well-formed input.
func validate(p *Problem, x0 []float64, s *Settings) error {
	if p == nil {
		return fmt.Errorf("%w: nil problem", ErrInvalidArgs)
	}
	n := p.Dim
	if n <= 0 {
		return fmt.Errorf("%w: dimension %d", ErrInvalidArgs, n)
	}
	if p.Objective == nil {
		return fmt.Errorf("%w: nil objective", ErrInvalidArgs)
	}
	if len(x0) != n {
		return fmt.Errorf("%w: x0 has length %d, want %d", ErrInvalidArgs, len(x0), n)
	}
	for i, v := range x0 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: x0[%d] = %v", ErrNaN, i, v)
		}
		if math.Abs(v) > MaxStartMagnitude {
			return fmt.Errorf("%w: |x0[%d]| = %g exceeds %g", ErrInvalidArgs, i, math.Abs(v), MaxStartMagnitude)
		}
	}
	if p.Lower != nil && len(p.Lower) != n {
		return fmt.Errorf("%w: lower bounds have length %d, want %d", ErrInvalidArgs, len(p.Lower), n)
	}
	if p.Upper != nil && len(p.Upper) != n {
		return fmt.Errorf("%w: upper bounds have length %d, want %d", ErrInvalidArgs, len(p.Upper), n)
	}
	for i := range n {
		lo, hi := math.Inf(-1), math.Inf(1)
		if p.Lower != nil {
			lo = p.Lower[i]
		}
		if p.Upper != nil {
			hi = p.Upper[i]
		}
		if math.IsNaN(lo) || math.IsNaN(hi) || lo > hi || math.IsInf(lo, 1) || math.IsInf(hi, -1) {
			return fmt.Errorf("%w: bounds [%v, %v] of x[%d]", ErrInvalidArgs, lo, hi, i)
		}
		if (!math.IsInf(lo, 0) && math.Abs(lo) > MaxStartMagnitude) || (!math.IsInf(hi, 0) && math.Abs(hi) > MaxStartMagnitude) {
			return fmt.Errorf("%w: finite bounds [%g, %g] of x[%d] exceed %g in magnitude (use ±Inf for no bound)", ErrInvalidArgs, lo, hi, i, MaxStartMagnitude)
		}
		if x0[i] < lo || x0[i] > hi {
			return fmt.Errorf("%w: x0[%d] = %v outside its bounds [%v, %v]", ErrInvalidArgs, i, x0[i], lo, hi)
		}
	}
	for k, group := range [2][]Constraint{p.Inequalities, p.Equalities} {
		kind := [2]string{"inequality", "equality"}[k]
		for j, c := range group {
			if c.Dim < 0 || c.Func == nil && c.Dim > 0 {
				return fmt.Errorf("%w: %s constraint %d has dimension %d and func %v", ErrInvalidArgs, kind, j, c.Dim, c.Func != nil)
			}
			if c.Tol != nil && len(c.Tol) != c.Dim {
				return fmt.Errorf("%w: %s constraint %d has %d tolerances, want %d", ErrInvalidArgs, kind, j, len(c.Tol), c.Dim)
			}
			for _, t := range c.Tol {
				if !(t >= 0) || math.IsInf(t, 1) {
					return fmt.Errorf("%w: %s constraint %d has tolerance %v", ErrInvalidArgs, kind, j, t)
				}
			}
		}
	}
	return validateSettings(s, n, false)
}

func validateSettings(s *Settings, n int, local bool) error {
	if s == nil {
		return nil
	}
	if !s.Algorithm.Valid() {
		return fmt.Errorf("%w: algorithm %v", ErrInvalidArgs, s.Algorithm)
	}
	if s.Algorithm == GN_ORIG_DIRECT || s.Algorithm == GN_ORIG_DIRECT_L {
		// NLopt's machine translation of the original Fortran DIRECT crashes
		// the process (segmentation fault) on badly scaled boxes: very wide
		// (≈1e200) or very narrow (≈1e-90 relative) ones, found by
		// FuzzMinimize. A crash cannot be recovered, so these two are not
		// offered; GN_DIRECT and GN_DIRECT_L are NLopt's own rewrites.
		return fmt.Errorf("%w: %v is disabled (it can crash on badly scaled bounds); use GN_DIRECT or GN_DIRECT_L", ErrInvalidArgs, s.Algorithm)
	}
	for _, t := range []float64{s.XTolRel, s.XTolAbs, s.FTolRel, s.FTolAbs} {
		if !(t >= 0) || math.IsInf(t, 1) {
			return fmt.Errorf("%w: tolerance %v", ErrInvalidArgs, t)
		}
	}
	if s.XTolAbsVector != nil {
		if len(s.XTolAbsVector) != n {
			return fmt.Errorf("%w: XTolAbsVector has length %d, want %d", ErrInvalidArgs, len(s.XTolAbsVector), n)
		}
		for _, t := range s.XTolAbsVector {
			if !(t >= 0) || math.IsInf(t, 1) {
				return fmt.Errorf("%w: XTolAbsVector entry %v", ErrInvalidArgs, t)
			}
		}
	}
	if s.MaxTime < 0 {
		return fmt.Errorf("%w: MaxTime %v", ErrInvalidArgs, s.MaxTime)
	}
	if s.UseStopVal && math.IsNaN(s.StopVal) {
		return fmt.Errorf("%w: StopVal is NaN", ErrInvalidArgs)
	}
	if s.Population < 0 || s.VectorStorage < 0 {
		return fmt.Errorf("%w: Population %d, VectorStorage %d", ErrInvalidArgs, s.Population, s.VectorStorage)
	}
	if s.InitialStep != nil {
		if len(s.InitialStep) != n {
			return fmt.Errorf("%w: InitialStep has length %d, want %d", ErrInvalidArgs, len(s.InitialStep), n)
		}
		for _, v := range s.InitialStep {
			if !(v > 0) || math.IsInf(v, 1) {
				return fmt.Errorf("%w: InitialStep entry %v", ErrInvalidArgs, v)
			}
		}
	}
	for k, v := range s.Params {
		if math.IsNaN(v) {
			return fmt.Errorf("%w: parameter %q is NaN", ErrInvalidArgs, k)
		}
	}
	if s.Local != nil {
		if local {
			return fmt.Errorf("%w: nested local optimizers", ErrInvalidArgs)
		}
		return validateSettings(s.Local, n, true)
	}
	return nil
}
