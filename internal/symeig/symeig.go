// Package symeig is a guarded symmetric eigendecomposition: gonum's
// mat.EigenSym (v0.17) behind the checks that make it safe on the
// matrices an optimization routine meets.
//
// Two defects of mat.EigenSym are guarded against: it can panic
// ("insufficient length") on matrices with tiny entries, and it can
// return eigenvalues far outside the Gershgorin bound (8e121 for a 5×5
// matrix with entries ≤ 1 mixed with entries near 1e-92). Decompose
// therefore scales the matrix to unit max-norm, flushes entries below
// 1e-30 of that norm to zero (they move the eigenvalues by less than
// n·1e-30 of it, far below rounding), recovers a panic, and checks every
// eigenvalue against |λ| ≤ n·max|mᵢⱼ|.
package symeig

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// ErrFailed reports that the eigendecomposition failed or returned values
// that cannot be right; callers wrap it in their own sentinel.
var ErrFailed = errors.New("symmetric eigendecomposition failed")

// flush is the relative size below which entries are set to zero.
const flush = 1e-30

// Decompose returns the eigenvalues of the symmetric matrix a in
// ascending order and, if vectors is true, the orthonormal eigenvectors
// as the columns of a dense matrix. a is not modified. A matrix with a
// NaN or an infinite entry, a failure or a panic of the LAPACK code, and
// an eigenvalue outside the Gershgorin bound give an error wrapping
// ErrFailed.
func Decompose(a mat.Symmetric, vectors bool) (values []float64, vecs *mat.Dense, err error) {
	n := a.SymmetricDim()
	if n == 0 {
		return nil, nil, fmt.Errorf("%w: empty matrix", ErrFailed)
	}
	var scale float64
	for i := range n {
		for j := i; j < n; j++ {
			v := a.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("%w: entry (%d, %d) is %v", ErrFailed, i, j, v)
			}
			scale = max(scale, math.Abs(v))
		}
	}
	if scale == 0 {
		values = make([]float64, n)
		if vectors {
			vecs = mat.NewDense(n, n, nil)
			for i := range n {
				vecs.Set(i, i, 1)
			}
		}
		return values, vecs, nil
	}
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			v := a.At(i, j) / scale
			if math.Abs(v) < flush {
				v = 0
			}
			s.SetSym(i, j, v)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			values, vecs, err = nil, nil, fmt.Errorf("%w: %v", ErrFailed, r)
		}
	}()
	var e mat.EigenSym
	if !e.Factorize(s, vectors) {
		return nil, nil, ErrFailed
	}
	values = e.Values(nil)
	for _, l := range values {
		if !(math.Abs(l) <= 1.01*float64(n)) {
			return nil, nil, fmt.Errorf("%w: eigenvalue %g of a matrix of unit max-norm and size %d", ErrFailed, l, n)
		}
	}
	for i := range values {
		values[i] *= scale
	}
	if vectors {
		vecs = mat.NewDense(n, n, nil)
		e.VectorsTo(vecs)
	}
	return values, vecs, nil
}
