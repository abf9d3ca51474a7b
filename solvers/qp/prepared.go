package qp

import (
	"context"
	"fmt"
)

// Prepared is the part of a QP's solve that depends only on its matrices
// Q, A and G: their validated copies and, when Q is positive definite, the
// Cholesky factor Q = L Lᵀ, the transformed constraints [A; G] L⁻ᵀ and
// their Gram matrix. It serves every problem with the same matrices and
// other vectors (p, b, h): the OptNet layer with fixed constraints, a
// parametric sweep over p, a warm-started sequence of solves. Solving with
// it skips O(n³ + (p+m) n²) work per instance.
//
// A Prepared is read-only after Prepare returns and is safe for concurrent
// use; it keeps no reference to the Problem it was built from.
type Prepared struct {
	d0 *data
	p  *prep
}

// Prepare validates the matrices of pb (Q, A and G; the lengths of P, B
// and H fix the shapes, their values are not used) and does the work that
// depends only on them. It returns the errors of Solve for bad matrices:
// shapes, NaN/Inf, Q not positive semidefinite.
func Prepare(pb *Problem) (*Prepared, error) {
	d0, err := newMatrices(pb, nil)
	if err != nil {
		return nil, err
	}
	p, err := prepare(d0)
	if err != nil {
		return nil, err
	}
	return &Prepared{d0: d0, p: p}, nil
}

// Dims returns the number of variables, equality and inequality
// constraints of the problems it serves.
func (pr *Prepared) Dims() (n, p, m int) { return pr.d0.n, pr.d0.neq, pr.d0.m }

// Solve solves the problem with the prepared matrices and the vectors p
// (length n), b (length p) and h (length m), with the results and errors
// of the package-level Solve. The vectors are copied.
func (pr *Prepared) Solve(ctx context.Context, p, b, h []float64, s *Settings) (*Solution, error) {
	if pr == nil || pr.d0 == nil {
		return nil, fmt.Errorf("%w: nil Prepared", ErrDims)
	}
	d, err := pr.d0.withVectors(&Problem{P: p, B: b, H: h})
	if err != nil {
		return nil, err
	}
	set, err := s.orDefault()
	if err != nil {
		return nil, err
	}
	return solvePrepared(ctx, d, pr.p, &set, true)
}
