//go:build nlopt

package nlopt

/*
#include <stdint.h>
#include <nlopt.h>
*/
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime/cgo"
	"runtime/debug"
	"unsafe"
)

// run is the state shared by the callbacks of one Minimize call. NLopt
// calls them one at a time on the goroutine running nlopt_optimize, so no
// locking is needed.
type run struct {
	ctx      context.Context
	done     <-chan struct{}
	opt      C.nlopt_opt
	logger   *slog.Logger
	alg      Algorithm
	evals    int
	last     []float64
	stopped  bool
	panicErr error
	ctxErr   error
	nanErr   error
}

// callback is what a cgo.Handle given to NLopt refers to: the objective or
// one vector constraint, with Go-owned scratch buffers so that user code
// never sees C memory.
type callback struct {
	run        *run
	objective  func(x, grad []float64) float64
	constraint func(result, x, jac []float64)
	m          int
	x, grad    []float64
	result     []float64
}

// enter returns false when the run is already stopping or ctx is done.
func (r *run) enter() bool {
	if r.stopped {
		return false
	}
	select {
	case <-r.done:
		r.ctxErr = r.ctx.Err()
		r.stop()
		return false
	default:
		return true
	}
}

func (r *run) stop() {
	r.stopped = true
	r.forceStop()
}

// recoverPanic turns a panic of user code into the run's error.
func (r *run) recoverPanic() {
	if v := recover(); v != nil {
		if r.panicErr == nil {
			r.panicErr = fmt.Errorf("%v\n%s", v, debug.Stack())
		}
		r.stop()
	}
}

//export optlayersObjective
func optlayersObjective(n C.unsigned, x, grad *C.double, h C.uintptr_t) (f C.double) {
	cb := cgo.Handle(h).Value().(*callback)
	r := cb.run
	f = C.double(math.Inf(1))
	if !r.enter() {
		return f
	}
	xs := unsafe.Slice((*float64)(unsafe.Pointer(x)), int(n))
	copy(cb.x, xs)
	var g []float64
	if grad != nil {
		g = cb.grad
		clear(g)
	}
	defer r.recoverPanic()
	v := cb.objective(cb.x, g)
	r.evals++
	if math.IsNaN(v) || math.IsInf(v, 0) || hasNaN(g) {
		// Some NLopt algorithms (COBYLA) loop forever on NaN or Inf
		// values: stop here.
		r.nanErr = fmt.Errorf("%w: objective returned f = %v, gradient %v at x = %v", ErrNaN, v, g, cb.x)
		r.stop()
		return f
	}
	if g != nil {
		copy(unsafe.Slice((*float64)(unsafe.Pointer(grad)), int(n)), g)
	}
	r.last = append(r.last[:0], cb.x...)
	if r.logger != nil && r.logger.Enabled(r.ctx, slog.LevelDebug) {
		r.logger.Debug("nlopt: evaluation", "algorithm", r.alg.String(), "eval", r.evals, "f", v)
	}
	return C.double(v)
}

//export optlayersMConstraint
func optlayersMConstraint(m C.unsigned, result *C.double, n C.unsigned, x, grad *C.double, h C.uintptr_t) {
	cb := cgo.Handle(h).Value().(*callback)
	r := cb.run
	res := unsafe.Slice((*float64)(unsafe.Pointer(result)), int(m))
	if !r.enter() {
		for i := range res {
			res[i] = math.Inf(1)
		}
		return
	}
	copy(cb.x, unsafe.Slice((*float64)(unsafe.Pointer(x)), int(n)))
	var g []float64
	if grad != nil {
		g = cb.grad
		clear(g)
	}
	clear(cb.result)
	defer r.recoverPanic()
	cb.constraint(cb.result, cb.x, g)
	if !finite(cb.result) || hasNaN(g) {
		r.nanErr = fmt.Errorf("%w: constraint returned %v, Jacobian %v at x = %v", ErrNaN, cb.result, g, cb.x)
		r.stop()
		for i := range res {
			res[i] = math.Inf(1)
		}
		return
	}
	copy(res, cb.result)
	if g != nil {
		copy(unsafe.Slice((*float64)(unsafe.Pointer(grad)), int(m)*int(n)), g)
	}
}

func hasNaN(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}
