package sinkhorn

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Birkhoff is a differentiable layer that maps an n×n score matrix S to
// the doubly stochastic matrix
//
//	P(S) = argmax_{P ∈ Bₙ} ⟨S, P⟩ − τ Σ P_ij (log P_ij − 1),
//
// Bₙ the Birkhoff polytope (P ≥ 0, P1 = 1, Pᵀ1 = 1), the entropic
// projection computed by Sinkhorn's algorithm (cost −S, ε = τ, unit
// weights). As τ → 0, P(S) tends to the permutation matrix maximizing
// ⟨S, P⟩; the backward pass differentiates the optimality conditions
// implicitly (Peña et al. 2023), at the cost of one Schur-complement solve.
type Birkhoff struct {
	// Tau is the temperature τ > 0.
	Tau float64
	// Settings of the Sinkhorn solve (nil: defaults, Tol 1e-9).
	Settings *Settings
	// Diff configures the implicit backward pass (nil: defaults).
	Diff *DiffSettings
}

// BirkhoffOutput is the result of a forward pass.
type BirkhoffOutput struct {
	// P is the doubly stochastic matrix.
	P   *mat.Dense
	res *Result
	l   *Birkhoff
}

// Forward returns P(S). scores is not modified. If the solve stops at
// MaxIter above the tolerance, the output is returned together with an
// error wrapping ErrNotConverged.
func (l *Birkhoff) Forward(ctx context.Context, scores mat.Matrix) (*BirkhoffOutput, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: nil *Birkhoff", ErrInvalid)
	}
	if scores == nil {
		return nil, fmt.Errorf("%w: nil scores", ErrDims)
	}
	n, m := scores.Dims()
	if n != m || n == 0 {
		return nil, fmt.Errorf("%w: scores are %d×%d, want square", ErrDims, n, m)
	}
	c := mat.NewDense(n, n, nil)
	c.Scale(-1, scores)
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	res, err := Solve(ctx, &Problem{Cost: c, A: ones, B: ones, Epsilon: l.Tau}, l.Settings)
	if res == nil {
		return nil, err
	}
	return &BirkhoffOutput{P: res.Plan(), res: res, l: l}, err
}

// Backward returns ∂L/∂S given ∂L/∂P, by implicit differentiation.
func (o *BirkhoffOutput) Backward(gradP mat.Matrix) (*mat.Dense, error) {
	if o == nil || o.res == nil || o.l == nil {
		return nil, fmt.Errorf("%w: nil or empty BirkhoffOutput (use Forward)", ErrDims)
	}
	g, err := o.res.PlanVJP(gradP, o.l.Diff)
	if err != nil {
		return nil, err
	}
	g.C.Scale(-1, g.C)
	return g.C, nil
}

// RoundToPermutation returns the permutation σ maximizing Σᵢ P_{iσ(i)}
// greedily (largest remaining entry first), a rounding of a doubly
// stochastic matrix; σ is exact when P is close to a permutation matrix.
// A nil, empty or non-square P is an error matching ErrDims, a NaN or
// ±Inf entry one matching ErrNaN.
func RoundToPermutation(p mat.Matrix) ([]int, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil matrix", ErrDims)
	}
	n, c := p.Dims()
	if n == 0 || n != c {
		return nil, fmt.Errorf("%w: %d×%d matrix, want square and non-empty", ErrDims, n, c)
	}
	for i := range n {
		for j := range n {
			if !finite(p.At(i, j)) {
				return nil, fmt.Errorf("%w: P[%d,%d] = %v", ErrNaN, i, j, p.At(i, j))
			}
		}
	}
	perm := make([]int, n)
	usedR, usedC := make([]bool, n), make([]bool, n)
	for range n {
		bi, bj, bv := -1, -1, -1.0
		for i := range n {
			if usedR[i] {
				continue
			}
			for j := range n {
				if !usedC[j] && (bi < 0 || p.At(i, j) > bv) {
					bi, bj, bv = i, j, p.At(i, j)
				}
			}
		}
		perm[bi] = bj
		usedR[bi], usedC[bj] = true, true
	}
	return perm, nil
}
