package pto

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// A BasisOracle is a [StandardForm] oracle that also returns an optimal
// basis: m column indices B (m = rows of A) with A_B nonsingular, w*_N = 0
// off the basis, and reduced costs c_N − A_Nᵀ A_B⁻ᵀ c_B ≥ 0.
type BasisOracle interface {
	StandardForm
	OptimalBasis(ctx context.Context, c []float64) ([]int, error)
}

// OptimalBasis returns the arcs of a shortest-path tree from the source
// (one entering arc per node other than the source): a spanning tree that
// contains the shortest source–sink path and whose reduced costs
// c_uv + d_u − d_v are non-negative.
func (g ShortestPath) OptimalBasis(ctx context.Context, c []float64) ([]int, error) {
	w := make([]float64, g.Dim())
	if _, err := g.Solve(ctx, w, c); err != nil {
		return nil, err
	}
	basis := make([]int, 0, g.Rows*g.Cols-1)
	dist := make([]float64, g.Rows*g.Cols)
	for i := 0; i < g.Rows; i++ {
		for j := 0; j < g.Cols; j++ {
			v := i*g.Cols + j
			if v == 0 {
				continue
			}
			arc := -1
			if j > 0 {
				arc = g.East(i, j-1)
				dist[v] = dist[v-1] + c[arc]
			}
			if i > 0 {
				a := g.South(i-1, j)
				if t := dist[v-g.Cols] + c[a]; arc < 0 || t < dist[v] {
					arc, dist[v] = a, t
				}
			}
			basis = append(basis, arc)
		}
	}
	return basis, nil
}

// MOM is the Maximum Optimality Margin loss of Sun, Liu & Li ("Maximum
// Optimality Margin: A Unified Approach for Contextual Linear Programming
// and Inverse Linear Programming", ICML 2023). For the LP
// min cᵀw s.t. A w = b, w ≥ 0 and the optimal basis B of the observed
// solution (at the true cost), the reduced costs of the predicted cost are
// linear in ĉ,
//
//	r_N(ĉ) = ĉ_N − (A_B⁻¹ A_N)ᵀ ĉ_B,
//
// and the loss asks every non-basic reduced cost to clear a margin:
//
//	ℓ(ĉ) = Σ_{j∈N} max(0, Margin − r_j(ĉ)).
//
// It is convex and piecewise linear, needs no solver call during training
// (the bases are computed once in [NewMOM]), and with a constant feature
// it solves the inverse LP problem: find costs that make observed
// solutions optimal. Pair with weight decay (the SVM-like ‖Θ‖² term of
// the paper). Margin defaults to 1.
type MOM struct {
	Margin float64
	train  *Dataset
	basis  [][]int
	non    [][]int
	coef   []*mat.Dense // A_B⁻¹ A_N, m×|N|, per pair
}

// NewMOM computes an optimal basis for every pair of train (at its true
// cost) and returns the loss, valid on train only.
func NewMOM(ctx context.Context, o BasisOracle, train *Dataset, margin float64) (mom *MOM, err error) {
	if isNil(o) || train == nil || train.C == nil {
		return nil, fmt.Errorf("%w: NewMOM needs an oracle and a training set", ErrInvalid)
	}
	defer recoverCallback(&err)
	if margin < 0 || math.IsNaN(margin) || math.IsInf(margin, 0) {
		return nil, fmt.Errorf("%w: margin %v", ErrInvalid, margin)
	}
	if margin == 0 {
		margin = 1
	}
	A, _ := o.StandardForm()
	m, d := A.Dims()
	l := &MOM{Margin: margin, train: train}
	for i := 0; i < train.Len(); i++ {
		B, err := o.OptimalBasis(ctx, train.C.RawRowView(i))
		if err != nil {
			return nil, err
		}
		if len(B) != m {
			return nil, fmt.Errorf("%w: basis of %d columns for %d rows", ErrInvalid, len(B), m)
		}
		in := make([]bool, d)
		AB := mat.NewDense(m, m, nil)
		for k, j := range B {
			in[j] = true
			AB.SetCol(k, mat.Col(nil, j, A))
		}
		var N []int
		for j := 0; j < d; j++ {
			if !in[j] {
				N = append(N, j)
			}
		}
		AN := mat.NewDense(m, max(len(N), 1), nil)
		for k, j := range N {
			AN.SetCol(k, mat.Col(nil, j, A))
		}
		var lu mat.LU
		lu.Factorize(AB)
		coef := mat.NewDense(m, max(len(N), 1), nil)
		if err := lu.SolveTo(coef, false, AN); err != nil {
			return nil, fmt.Errorf("%w: singular basis for pair %d", ErrInvalid, i)
		}
		l.basis = append(l.basis, B)
		l.non = append(l.non, N)
		l.coef = append(l.coef, coef)
	}
	return l, nil
}

// ReducedCosts writes r_N(ĉ) for pair i into dst (length |N|) and returns
// the non-basic indices N. It has no error return: i must be a pair of the
// training set and chat of the oracle's dimension (Eval checks both); an
// index out of range panics, as a slice index does.
func (l *MOM) ReducedCosts(dst, chat []float64, i int) []int {
	B, N, D := l.basis[i], l.non[i], l.coef[i]
	for k, j := range N {
		r := chat[j]
		for b, jb := range B {
			r -= D.At(b, k) * chat[jb]
		}
		dst[k] = r
	}
	return N
}

// Eval implements [Loss]; d must be the training set given to [NewMOM].
func (l *MOM) Eval(ctx context.Context, grad, chat []float64, d *Dataset, i int, _ *rand.Rand) (loss float64, err error) {
	defer recoverCallback(&err)
	if d != l.train {
		return 0, fmt.Errorf("%w: MOM evaluated on a dataset other than its training set", ErrInvalid)
	}
	if err := checkPair(chat, grad, d, i); err != nil {
		return 0, err
	}
	r := make([]float64, len(l.non[i]))
	N := l.ReducedCosts(r, chat, i)
	B, D := l.basis[i], l.coef[i]
	for k := range grad {
		grad[k] = 0
	}
	val := 0.0
	for k, j := range N {
		if v := l.Margin - r[k]; v > 0 {
			val += v
			grad[j]--
			for b, jb := range B {
				grad[jb] += D.At(b, k)
			}
		}
	}
	return val, nil
}
