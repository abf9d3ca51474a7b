package convex

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"github.com/optlayers/optlayers/internal/batch"
	"github.com/optlayers/optlayers/solvers/cone"
)

// Settings controls Solve, SolveParams and SolveBatch. The zero value (or
// nil) gives the defaults; negative or NaN values are ErrInvalid.
type Settings struct {
	// Tol, Absolute and MaxIter are the cone solver's (cone.Settings):
	// default 1e-8 relative, 200 iterations.
	Tol      float64
	Absolute bool
	MaxIter  int
	// WarmStart, if non-nil, is a solution of the same Problem whose point
	// starts the solve.
	WarmStart *Solution
	// Workers: the goroutines of SolveBatch (0 = GOMAXPROCS; each solve of a
	// batch then factors on one goroutine), or of the cone solver's
	// factorization for a single solve.
	Workers int
	// Logger, if non-nil, receives the cone solver's records.
	Logger *slog.Logger
	// Refine is the number of Newton steps that polish an Optimal solution
	// on the cone program's residual map before it is returned
	// (cone.Solution.Refine; Busseti, Moursi & Boyd 2019, diffcp's
	// default): 0 means none. An interior-point solution determines the
	// duals only to about √Tol along some directions; refining makes the
	// point, and so its derivatives, accurate to near machine precision at
	// a regular solution. A solution that cannot be refined (degenerate) is
	// returned as solved.
	Refine int
}

func (s *Settings) check() error {
	if s == nil {
		return nil
	}
	if math.IsNaN(s.Tol) || s.Tol < 0 {
		return fmt.Errorf("%w: Settings.Tol = %v", ErrInvalid, s.Tol)
	}
	if s.MaxIter < 0 {
		return fmt.Errorf("%w: Settings.MaxIter = %d", ErrInvalid, s.MaxIter)
	}
	if s.Refine < 0 {
		return fmt.Errorf("%w: Settings.Refine = %d", ErrInvalid, s.Refine)
	}
	return batch.CheckWorkers(s.Workers, ErrInvalid)
}

func (s *Settings) cone(pb *Problem, workers int) (*cone.Settings, error) {
	cs := &cone.Settings{Workers: workers}
	if s == nil {
		return cs, nil
	}
	cs.Tol, cs.Absolute, cs.MaxIter, cs.Logger = s.Tol, s.Absolute, s.MaxIter, s.Logger
	if w := s.WarmStart; w != nil {
		if w.pb != pb {
			return nil, fmt.Errorf("%w: Settings.WarmStart is a solution of another problem", ErrInvalid)
		}
		cs.WarmStart = &cone.Start{X: w.x, S: w.s, Y: w.y}
	}
	return cs, nil
}

// Solve solves the problem at the parameters' current values (set with
// SetValue); a parameter without a value is ErrInvalid.
func (pb *Problem) Solve(ctx context.Context, s *Settings) (*Solution, error) {
	if err := pb.valid(); err != nil {
		return nil, err
	}
	th, err := pb.Theta()
	if err != nil {
		return nil, err
	}
	return pb.SolveParams(ctx, th, s)
}

// SolveParams solves the problem at θ (the parameters' values in the
// order of Parameters, each column-major; see ParamOffset). It evaluates
// the canonicalization map (O(nnz)) and calls cone.Solve. Invalid θ or
// settings give a nil Solution and an error; a solve that fails
// (ErrInfeasible, ErrUnbounded, ErrNotConverged, a canceled ctx) returns
// the cone solver's last iterate as a Solution beside the error, which
// wraps the cone solver's. It is safe for concurrent use.
func (pb *Problem) SolveParams(ctx context.Context, theta []float64, s *Settings) (*Solution, error) {
	if err := pb.valid(); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	w := 0
	if s != nil {
		w = s.Workers
	}
	return pb.solve(ctx, theta, s, w)
}

func (pb *Problem) solve(ctx context.Context, theta []float64, s *Settings, workers int) (*Solution, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: nil context", ErrInvalid)
	}
	cp, err := pb.ConeProblem(theta)
	if err != nil {
		return nil, err
	}
	cs, err := s.cone(pb, workers)
	if err != nil {
		return nil, err
	}
	var res *cone.Solution
	var serr error
	if pr := pb.prep.prepared(cp, cs); pr != nil {
		res, serr = pr.Solve(ctx, cp, cs)
	} else {
		res, serr = cone.Solve(ctx, cp, cs)
	}
	if res == nil {
		if serr == nil {
			serr = fmt.Errorf("%w: the cone solver returned no solution", ErrInvalid)
		}
		return nil, wrapCone(serr)
	}
	if serr == nil && s != nil && s.Refine > 0 {
		if _, err := res.Refine(ctx, s.Refine); err != nil && ctx.Err() != nil {
			return nil, err
		}
	}
	th := append([]float64(nil), theta...)
	sol, err := newSolution(pb, th, res.X, res.Y, res.S)
	sol.cs = res
	if serr != nil {
		// The best iterate of a failed solve: its objective may be NaN
		// (outside a domain); the solver's error is the one returned.
		return sol, wrapCone(serr)
	}
	if err != nil {
		return nil, err
	}
	return sol, nil
}

// Status returns the cone solver's status of the solve.
func (sol *Solution) Status() cone.Status {
	if sol == nil || sol.cs == nil {
		return cone.NotConverged
	}
	return sol.cs.Status
}

// SolveBatch solves the problem at each θ of thetas on Settings.Workers
// goroutines. The solutions of the items that succeeded are returned
// beside a *implicit.BatchError listing the others; results do not depend
// on the number of workers.
func (pb *Problem) SolveBatch(ctx context.Context, thetas [][]float64, s *Settings) ([]*Solution, error) {
	if err := pb.valid(); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, fmt.Errorf("%w: nil context", ErrInvalid)
	}
	w := 0
	if s != nil {
		w = s.Workers
	}
	out := make([]*Solution, len(thetas))
	err := batch.Run(ctx, len(thetas), w, func(i int) error {
		sol, err := pb.solve(ctx, thetas[i], s, 1)
		if err != nil {
			return err
		}
		out[i] = sol
		return nil
	})
	return out, err
}
