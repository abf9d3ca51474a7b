package project

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/batch"
)

// ProjectRows projects every row of y (r×n) onto s and writes it to the
// same row of dst (r×n), with up to workers goroutines (0 means
// runtime.GOMAXPROCS(0)): a batched projection layer, such as sparsemax
// over a batch of score vectors. dst may be y. The result does not depend
// on workers. The error is nil when every row succeeded and an
// *implicit.BatchError naming the failed rows otherwise.
func ProjectRows(dst, y *mat.Dense, s Set, workers int) error {
	return rows(dst, y, y, y, s, workers, func(s Set, d, _, yr, _ []float64) error { return s.Project(d, yr) })
}

// JVPRows sets each row of dst to ∂P(yᵢ)·vᵢ, where x = ProjectRows(y).
// dst may be v.
func JVPRows(dst, x, y, v *mat.Dense, s Set, workers int) error {
	return rows(dst, x, y, v, s, workers, func(s Set, d, xr, yr, vr []float64) error { return s.JVP(d, xr, yr, vr) })
}

// VJPRows sets each row of dst to ∂P(yᵢ)ᵀ·uᵢ, where x = ProjectRows(y).
// dst may be u.
func VJPRows(dst, x, y, u *mat.Dense, s Set, workers int) error {
	return rows(dst, x, y, u, s, workers, func(s Set, d, xr, yr, ur []float64) error { return s.VJP(d, xr, yr, ur) })
}

// rows applies f to every row; a panic in the set (a user's
// implementation) is returned as an error matching ErrInvalid.
func rows(dst, x, y, v *mat.Dense, s Set, workers int, f func(s Set, d, x, y, v []float64) error) error {
	if dst == nil || x == nil || y == nil || v == nil || s == nil {
		return fmt.Errorf("%w: nil matrix or set", ErrDims)
	}
	ss := safeSet{s}
	r, n := y.Dims()
	for _, m := range []*mat.Dense{dst, x, v} {
		if rr, cc := m.Dims(); rr != r || cc != n {
			return fmt.Errorf("%w: %d×%d matrix, want %d×%d", ErrDims, rr, cc, r, n)
		}
	}
	return batch.Run(context.Background(), r, workers, func(i int) error {
		return f(ss, dst.RawRowView(i), x.RawRowView(i), y.RawRowView(i), v.RawRowView(i))
	})
}
