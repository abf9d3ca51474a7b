package qp

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/parallel"
)

func workers(s *Settings, n int) int {
	w := runtime.GOMAXPROCS(0)
	if s != nil && s.Workers > 0 {
		w = s.Workers
	}
	return max(1, min(w, n))
}

// SolveBatch solves the problems concurrently on Settings.Workers
// goroutines (default GOMAXPROCS). The i-th solution (possibly nil for
// invalid data) and error belong to problems[i]; results are bit-identical
// whatever the number of workers, and to those of Solve. The returned
// error is nil when every instance succeeded and an *implicit.BatchError
// naming the failed ones otherwise.
//
// Problems whose Q, A and G are the same pointers (each nil, a
// *mat.SymDense, *mat.DiagDense or *mat.Dense), as in an OptNet layer
// whose constraints are shared by the batch, share the work that depends
// only on them (validation, the Cholesky factorization of Q and the
// transformed constraints): only p, b and h are then per instance. The
// shared matrices must not change during the call.
func SolveBatch(ctx context.Context, problems []*Problem, s *Settings) ([]*Solution, error) {
	sols := make([]*Solution, len(problems))
	errs := make([]error, len(problems))
	set, err := s.orDefault()
	if err != nil {
		return nil, err
	}
	groups := shareGroups(problems)
	parallel.For(len(problems), workers(s, len(problems)), func(i int) {
		g := groups[i]
		if g == nil {
			sols[i], errs[i] = solveDefaulted(ctx, problems[i], &set)
			return
		}
		g.once.Do(func() {
			if g.d0, g.err = newMatrices(problems[i], nil); g.err == nil {
				g.p, g.err = prepare(g.d0)
			}
		})
		if g.err != nil {
			errs[i] = g.err
			return
		}
		d, err := g.d0.withVectors(problems[i])
		if err != nil {
			errs[i] = err
			return
		}
		sols[i], errs[i] = solvePrepared(ctx, d, g.p, &set, true)
	})
	return sols, implicit.NewBatchError(errs)
}

// shareGroup is the shared preparation of problems with the same Q, A, G.
type shareGroup struct {
	once sync.Once
	d0   *data
	p    *prep
	err  error
	size int
}

// shareGroups returns, for each problem, its group when at least two
// problems share their matrices, and nil otherwise.
func shareGroups(problems []*Problem) []*shareGroup {
	out := make([]*shareGroup, len(problems))
	if len(problems) < 2 {
		return out
	}
	// The groups in one allocation, the map sized for the batch (the
	// usual batch has one group or none, and no map growth then).
	store := make([]shareGroup, len(problems))
	byKey := make(map[[3]any]*shareGroup, len(problems))
	for i, pb := range problems {
		if pb == nil {
			continue
		}
		key, ok := [3]any{}, true
		for j, x := range []any{pb.Q, pb.A, pb.G} {
			switch v := x.(type) {
			case nil:
			case *mat.SymDense:
				key[j] = v
			case *mat.DiagDense:
				key[j] = v
			case *mat.Dense:
				key[j] = v
			default:
				ok = false
			}
		}
		if !ok {
			continue
		}
		g := byKey[key]
		if g == nil {
			g = &store[len(byKey)]
			byKey[key] = g
		}
		g.size++
		out[i] = g
	}
	for i, g := range out {
		if g != nil && g.size < 2 {
			out[i] = nil
		}
	}
	return out
}

// BackwardBatch runs sols[i].Backward(gx[i], gnu[i], glambda[i])
// concurrently (gnu and glambda may be nil slices, or hold nil entries).
// s supplies Workers and may be nil. The error is nil when every
// instance succeeded and an *implicit.BatchError otherwise.
func BackwardBatch(sols []*Solution, gx, gnu, glambda [][]float64, s *Settings) ([]*Gradient, error) {
	if len(gx) != len(sols) || (gnu != nil && len(gnu) != len(sols)) || (glambda != nil && len(glambda) != len(sols)) {
		return nil, fmt.Errorf("%w: %d solutions and %d cotangents", ErrDims, len(sols), len(gx))
	}
	grads := make([]*Gradient, len(sols))
	errs := make([]error, len(sols))
	parallel.For(len(sols), workers(s, len(sols)), func(i int) {
		if sols[i] == nil {
			errs[i] = errors.New("qp: nil solution")
			return
		}
		var gn, gl []float64
		if gnu != nil {
			gn = gnu[i]
		}
		if glambda != nil {
			gl = glambda[i]
		}
		grads[i], errs[i] = sols[i].Backward(gx[i], gn, gl)
	})
	return grads, implicit.NewBatchError(errs)
}
