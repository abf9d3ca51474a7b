package lp

import (
	"context"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/internal/parallel"
)

// SolveBatch solves the problems concurrently on s.Workers goroutines
// (default GOMAXPROCS). The i-th solution and error belong to
// problems[i]; results do not depend on the number of workers. The error
// is nil when every instance succeeded and an *implicit.BatchError naming
// the failed ones otherwise; the solutions of the others are returned.
func SolveBatch(ctx context.Context, problems []*Problem, s *Settings) ([]*Solution, error) {
	w := 0
	if s != nil {
		if err := s.validate(); err != nil {
			return nil, err
		}
		w = s.Workers
	}
	sols := make([]*Solution, len(problems))
	errs := make([]error, len(problems))
	parallel.For(len(problems), w, func(i int) {
		sols[i], errs[i] = Solve(ctx, problems[i], s)
	})
	return sols, implicit.NewBatchError(errs)
}
