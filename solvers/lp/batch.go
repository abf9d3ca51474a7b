package lp

import (
	"context"
	"runtime"
	"sync"

	"github.com/optlayers/optlayers/solvers/qp"
)

// SolveBatch solves the problems concurrently on s.Workers goroutines
// (default GOMAXPROCS). The i-th solution and error belong to
// problems[i]; results do not depend on the number of workers. The error
// is nil when every instance succeeded and a *qp.BatchError otherwise.
func SolveBatch(ctx context.Context, problems []*Problem, s *Settings) ([]*Solution, error) {
	w := runtime.GOMAXPROCS(0)
	if s != nil && s.Workers > 0 {
		w = s.Workers
	}
	w = max(1, min(w, len(problems)))
	sols := make([]*Solution, len(problems))
	errs := make([]error, len(problems))
	next := make(chan int)
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for i := range next {
				sols[i], errs[i] = Solve(ctx, problems[i], s)
			}
		})
	}
	for i := range problems {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return sols, &qp.BatchError{Errs: errs}
		}
	}
	return sols, nil
}
