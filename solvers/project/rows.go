package project

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/batch"
)

// Settings controls the batch functions ([SolveBatch], [ProjectRows],
// [JVPRows], [VJPRows]). A nil *Settings means the defaults.
type Settings struct {
	// Workers is the number of goroutines: 0 means runtime.GOMAXPROCS(0),
	// a negative value is an error matching ErrInvalid. Results do not
	// depend on it.
	Workers int
}

func (s *Settings) workers() (int, error) {
	if s == nil {
		return 0, nil
	}
	return s.Workers, batch.CheckWorkers(s.Workers, ErrInvalid)
}

// ProjectRows projects every row of y (r×n) onto set and writes it to the
// same row of dst (r×n), on s.Workers goroutines: a batched projection
// layer, such as sparsemax over a batch of score vectors. dst may be y.
// The result does not depend on Workers. The error is nil when every row
// succeeded and an *implicit.BatchError naming the failed rows otherwise;
// when ctx is done, rows not yet started are skipped and the error matches
// ctx.Err() (a [Polyhedron] also stops its QP).
func ProjectRows(ctx context.Context, dst, y *mat.Dense, set Set, s *Settings) error {
	return rows(ctx, dst, y, y, y, set, s, func(ctx context.Context, set safeSet, d, _, yr, _ []float64) error {
		return set.ProjectContext(ctx, d, yr)
	})
}

// JVPRows sets each row of dst to ∂P(yᵢ)·vᵢ, where x = ProjectRows(y).
// dst may be v.
func JVPRows(ctx context.Context, dst, x, y, v *mat.Dense, set Set, s *Settings) error {
	return rows(ctx, dst, x, y, v, set, s, func(_ context.Context, set safeSet, d, xr, yr, vr []float64) error { return set.JVP(d, xr, yr, vr) })
}

// VJPRows sets each row of dst to ∂P(yᵢ)ᵀ·uᵢ, where x = ProjectRows(y).
// dst may be u.
func VJPRows(ctx context.Context, dst, x, y, u *mat.Dense, set Set, s *Settings) error {
	return rows(ctx, dst, x, y, u, set, s, func(_ context.Context, set safeSet, d, xr, yr, ur []float64) error { return set.VJP(d, xr, yr, ur) })
}

// rows applies f to every row; a panic in the set (a user's
// implementation) is returned as an error matching ErrInvalid.
func rows(ctx context.Context, dst, x, y, v *mat.Dense, set Set, s *Settings, f func(ctx context.Context, set safeSet, d, x, y, v []float64) error) error {
	workers, err := s.workers()
	if err != nil {
		return err
	}
	if dst == nil || x == nil || y == nil || v == nil || set == nil {
		return fmt.Errorf("%w: nil matrix or set", ErrDims)
	}
	ss := safeSet{set}
	r, n := y.Dims()
	for _, m := range []*mat.Dense{dst, x, v} {
		if rr, cc := m.Dims(); rr != r || cc != n {
			return fmt.Errorf("%w: %d×%d matrix, want %d×%d", ErrDims, rr, cc, r, n)
		}
	}
	return batch.Run(ctx, r, workers, func(i int) error {
		return f(ctx, ss, dst.RawRowView(i), x.RawRowView(i), y.RawRowView(i), v.RawRowView(i))
	})
}
