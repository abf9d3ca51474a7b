//go:build nlopt

package nlopt

/*
#cgo LDFLAGS: -lnlopt -lm
#include <stdint.h>
#include <stdlib.h>
#include <nlopt.h>
#include <malloc.h>

// Implemented in Go (callback.go).
extern double optlayersObjective(unsigned n, double *x, double *grad, uintptr_t h);
extern void optlayersMConstraint(unsigned m, double *result, unsigned n, double *x, double *grad, uintptr_t h);

static double optlayers_objective(unsigned n, const double *x, double *grad, void *data) {
	return optlayersObjective(n, (double *)x, grad, (uintptr_t)data);
}

static void optlayers_mconstraint(unsigned m, double *result, unsigned n, const double *x, double *grad, void *data) {
	optlayersMConstraint(m, result, n, (double *)x, grad, (uintptr_t)data);
}

static nlopt_result optlayers_set_objective(nlopt_opt opt, int maximize, uintptr_t h) {
	if (maximize) {
		return nlopt_set_max_objective(opt, optlayers_objective, (void *)h);
	}
	return nlopt_set_min_objective(opt, optlayers_objective, (void *)h);
}

static nlopt_result optlayers_add_mconstraint(nlopt_opt opt, int equality, unsigned m, uintptr_t h, const double *tol) {
	if (equality) {
		return nlopt_add_equality_mconstraint(opt, m, optlayers_mconstraint, (void *)h, tol);
	}
	return nlopt_add_inequality_mconstraint(opt, m, optlayers_mconstraint, (void *)h, tol);
}

static size_t optlayers_malloc_in_use(void) {
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks;
}

// optlayers_optimize seeds the thread-local generator and runs, in one C
// call so that both happen on the same OS thread.
static nlopt_result optlayers_optimize(nlopt_opt opt, double *x, double *f, unsigned long seed) {
	nlopt_srand(seed);
	return nlopt_optimize(opt, x, f);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/cgo"
	"sync/atomic"
	"time"
	"unsafe"
)

// Available reports whether this build links NLopt (built with -tags nlopt
// and cgo).
const Available = true

// Version returns the version of the linked NLopt library.
func Version() (major, minor, bugfix int) {
	var a, b, c C.int
	C.nlopt_version(&a, &b, &c)
	return int(a), int(b), int(c)
}

// Minimize runs NLopt on p from x0 and returns the best point found.
//
// On success the error is nil and Result.Status says which criterion
// stopped the run. On failure Minimize returns the best point NLopt
// reported (when there is one) with an error matching one of ErrFailure,
// ErrInvalidArgs, ErrOutOfMemory, ErrRoundoffLimited, ErrForcedStop or
// ErrNaN. Cancelling ctx stops the run at the next evaluation; the error
// then matches both ErrForcedStop and ctx.Err(). A panic in a callback is
// recovered, stops the run and is returned as an error matching
// ErrCallback and ErrForcedStop. NLopt's own work between two
// evaluations cannot be interrupted (MMA's dual solve can take seconds on
// badly scaled problems); MaxTime bounds it.
//
// x0 is not modified. Minimize is safe to call from many goroutines at
// once; each call owns its NLopt object, and the callbacks of one call are
// never run concurrently.
func Minimize(ctx context.Context, p *Problem, x0 []float64, s *Settings) (*Result, error) {
	if err := validate(p, x0, s); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrForcedStop, err)
	}
	var set Settings
	if s != nil {
		set = *s
	}
	n := p.Dim
	alg := set.Algorithm.resolve()
	opt := C.nlopt_create(C.nlopt_algorithm(alg.code()), C.unsigned(n))
	if opt == nil {
		return nil, fmt.Errorf("%w: NLopt cannot create %v (not built into the library?)", ErrInvalidArgs, alg)
	}
	defer C.nlopt_destroy(opt)

	r := &run{ctx: ctx, done: ctx.Done(), opt: opt, logger: set.Logger, alg: alg}
	var handles []cgo.Handle
	defer func() {
		for _, h := range handles {
			h.Delete()
		}
		liveHandles.Add(-int64(len(handles)))
	}()
	check := func(what string, code C.nlopt_result) error {
		if code >= 0 {
			return nil
		}
		_, err := resultError(int(code))
		msg := ""
		if m := C.nlopt_get_errmsg(opt); m != nil {
			msg = ": " + C.GoString(m)
		}
		return fmt.Errorf("%w: %s (%v)%s", err, what, alg, msg)
	}

	obj := &callback{run: r, objective: p.Objective, x: make([]float64, n), grad: make([]float64, n)}
	h := cgo.NewHandle(obj)
	handles = append(handles, h)
	liveHandles.Add(1)
	maximize := C.int(0)
	if p.Maximize {
		maximize = 1
	}
	if err := check("set objective", C.optlayers_set_objective(opt, maximize, C.uintptr_t(h))); err != nil {
		return nil, err
	}
	if p.Lower != nil {
		if err := check("lower bounds", C.nlopt_set_lower_bounds(opt, (*C.double)(unsafe.Pointer(&p.Lower[0])))); err != nil {
			return nil, err
		}
	}
	if p.Upper != nil {
		if err := check("upper bounds", C.nlopt_set_upper_bounds(opt, (*C.double)(unsafe.Pointer(&p.Upper[0])))); err != nil {
			return nil, err
		}
	}
	for k, group := range [2][]Constraint{p.Inequalities, p.Equalities} {
		for _, c := range group {
			if c.Dim == 0 {
				continue
			}
			tol := c.Tol
			if tol == nil {
				tol = make([]float64, c.Dim)
				for i := range tol {
					tol[i] = DefaultConstraintTol
				}
			}
			cb := &callback{run: r, constraint: c.Func, m: c.Dim, x: make([]float64, n), grad: make([]float64, c.Dim*n), result: make([]float64, c.Dim)}
			h := cgo.NewHandle(cb)
			handles = append(handles, h)
			liveHandles.Add(1)
			what := [2]string{"add inequality constraint", "add equality constraint"}[k]
			if err := check(what, C.optlayers_add_mconstraint(opt, C.int(k), C.unsigned(c.Dim), C.uintptr_t(h), (*C.double)(unsafe.Pointer(&tol[0])))); err != nil {
				return nil, err
			}
		}
	}
	if err := applyStopping(opt, &set, check); err != nil {
		return nil, err
	}
	if set.Population > 0 {
		if err := check("population", C.nlopt_set_population(opt, C.unsigned(set.Population))); err != nil {
			return nil, err
		}
	}
	if set.VectorStorage > 0 {
		if err := check("vector storage", C.nlopt_set_vector_storage(opt, C.unsigned(set.VectorStorage))); err != nil {
			return nil, err
		}
	}
	step := set.InitialStep
	if step == nil {
		// NLopt's default initial step scales with |x0ᵢ|; a tiny nonzero
		// x0ᵢ (1e-159) gives a step that sends COBYLA into an endless
		// loop. Floor the default at 1e-6·max(1, ‖x0‖∞).
		step = make([]float64, n)
		if code := C.nlopt_get_initial_step(opt, (*C.double)(unsafe.Pointer(&x0[0])), (*C.double)(unsafe.Pointer(&step[0]))); code < 0 {
			return nil, check("initial step", code)
		}
		floor := 1e-6 * math.Max(1, maxAbs(x0))
		for i, v := range step {
			lo, hi := math.Inf(-1), math.Inf(1)
			if p.Lower != nil {
				lo = p.Lower[i]
			}
			if p.Upper != nil {
				hi = p.Upper[i]
			}
			if !(v >= floor) && hi > lo {
				step[i] = math.Min(floor, hi-lo)
			}
		}
	}
	if err := check("initial step", C.nlopt_set_initial_step(opt, (*C.double)(unsafe.Pointer(&step[0])))); err != nil {
		return nil, err
	}
	for name, v := range set.Params {
		cs := C.CString(name)
		code := C.nlopt_set_param(opt, cs, C.double(v))
		C.free(unsafe.Pointer(cs))
		if err := check("parameter "+name, code); err != nil {
			return nil, err
		}
	}
	if set.Local != nil || alg.NeedsLocal() {
		local := Settings{Algorithm: LD_LBFGS}
		if alg == AUGLAG_EQ {
			local.Algorithm = LD_MMA // the local optimizer takes the inequalities
		}
		if set.Local != nil {
			local = *set.Local
			local.Algorithm = local.Algorithm.resolve()
		}
		// The subsidiary optimizer runs whole local solves between the outer
		// algorithm's own stopping checks: without a budget of its own it can
		// run far past the caller's MaxTime and MaxEval (found by the fuzzer:
		// AUGLAG_EQ with MMA on huge inputs ran 30 s under MaxTime 1 s).
		if local.MaxTime == 0 || (set.MaxTime > 0 && local.MaxTime > set.MaxTime) {
			local.MaxTime = set.MaxTime
		}
		if set.MaxEval > 0 && (local.MaxEval <= 0 || local.MaxEval > set.MaxEval) {
			local.MaxEval = set.MaxEval
		}
		lopt := C.nlopt_create(C.nlopt_algorithm(local.Algorithm.code()), C.unsigned(n))
		if lopt == nil {
			return nil, fmt.Errorf("%w: NLopt cannot create local optimizer %v", ErrInvalidArgs, local.Algorithm)
		}
		// NLopt copies the local optimizer; ours is destroyed on return.
		defer C.nlopt_destroy(lopt)
		lcheck := func(what string, code C.nlopt_result) error { return check("local optimizer: "+what, code) }
		if err := applyStopping(lopt, &local, lcheck); err != nil {
			return nil, err
		}
		if local.VectorStorage > 0 {
			if err := lcheck("vector storage", C.nlopt_set_vector_storage(lopt, C.unsigned(local.VectorStorage))); err != nil {
				return nil, err
			}
		}
		if err := check("set local optimizer", C.nlopt_set_local_optimizer(opt, lopt)); err != nil {
			return nil, err
		}
	}

	// x lives in C memory: NLopt hands it back to the callbacks.
	cx := (*C.double)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.double(0)))))
	if cx == nil {
		return nil, ErrOutOfMemory
	}
	defer C.free(unsafe.Pointer(cx))
	xs := unsafe.Slice((*float64)(unsafe.Pointer(cx)), n)
	copy(xs, x0)
	var f C.double
	start := time.Now()
	code := C.optlayers_optimize(opt, cx, &f, C.ulong(set.Seed))
	res := &Result{
		X:           append([]float64(nil), xs...),
		Last:        r.last,
		F:           float64(f),
		Evaluations: int(C.nlopt_get_numevals(opt)),
		Elapsed:     time.Since(start),
	}
	status, err := resultError(int(code))
	switch {
	case r.panicErr != nil:
		err = fmt.Errorf("%w (%w): %w", ErrForcedStop, ErrCallback, r.panicErr)
	case r.ctxErr != nil:
		err = fmt.Errorf("%w: %w", ErrForcedStop, r.ctxErr)
	case r.nanErr != nil:
		err = r.nanErr
	case err != nil:
		msg := ""
		if m := C.nlopt_get_errmsg(opt); m != nil {
			msg = ": " + C.GoString(m)
		}
		if msg != "" || errors.Is(err, ErrRoundoffLimited) || errors.Is(err, ErrFailure) {
			err = fmt.Errorf("%w: %v%s", err, alg, msg)
		}
	case !finite(res.X) || math.IsNaN(res.F):
		err = fmt.Errorf("%w: NLopt returned f = %v at x = %v", ErrNaN, res.F, res.X)
	default:
		res.Status = status
	}
	if r.logger != nil {
		r.logger.Info("nlopt: run finished", "algorithm", alg.String(), "status", res.Status.String(),
			"f", res.F, "evaluations", res.Evaluations, "elapsed", res.Elapsed, "err", err)
	}
	if err != nil && !finite(res.X) {
		// No meaningful point to report.
		return nil, err
	}
	return res, err
}

func applyStopping(opt C.nlopt_opt, s *Settings, check func(string, C.nlopt_result) error) error {
	xtolRel, xtolAbs := s.XTolRel, s.XTolAbs
	if s.XTolRel == 0 && s.XTolAbs == 0 && s.XTolAbsVector == nil && s.FTolRel == 0 && s.FTolAbs == 0 {
		xtolRel, xtolAbs = DefaultXTolRel, DefaultXTolAbs
	}
	maxEval := s.MaxEval
	switch {
	case maxEval < 0:
		maxEval = 0
	case maxEval == 0 && s.MaxTime == 0:
		maxEval = DefaultMaxEval
	}
	if err := check("xtol_rel", C.nlopt_set_xtol_rel(opt, C.double(xtolRel))); err != nil {
		return err
	}
	if err := check("xtol_abs", C.nlopt_set_xtol_abs1(opt, C.double(xtolAbs))); err != nil {
		return err
	}
	if s.XTolAbsVector != nil {
		if err := check("xtol_abs vector", C.nlopt_set_xtol_abs(opt, (*C.double)(unsafe.Pointer(&s.XTolAbsVector[0])))); err != nil {
			return err
		}
	}
	if err := check("ftol_rel", C.nlopt_set_ftol_rel(opt, C.double(s.FTolRel))); err != nil {
		return err
	}
	if err := check("ftol_abs", C.nlopt_set_ftol_abs(opt, C.double(s.FTolAbs))); err != nil {
		return err
	}
	if err := check("maxeval", C.nlopt_set_maxeval(opt, C.int(min(maxEval, math.MaxInt32)))); err != nil {
		return err
	}
	if err := check("maxtime", C.nlopt_set_maxtime(opt, C.double(s.MaxTime.Seconds()))); err != nil {
		return err
	}
	if s.UseStopVal {
		if err := check("stopval", C.nlopt_set_stopval(opt, C.double(s.StopVal))); err != nil {
			return err
		}
	}
	return nil
}

// liveHandles counts the cgo handles of runs in progress; tests check it
// returns to zero.
var liveHandles atomic.Int64

// cMallocInUse returns the bytes currently allocated by C malloc (glibc's
// mallinfo2), for the leak tests.
func cMallocInUse() int { return int(C.optlayers_malloc_in_use()) }

// forceStop asks NLopt to stop the run after the current evaluation.
func (r *run) forceStop() { C.nlopt_force_stop(r.opt) }

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
