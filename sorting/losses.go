package sorting

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Argsort returns the permutation that sorts x: perm[pos] is the index of
// the value at position pos (ascending, or descending), ties in index
// order. It is the target of [PermutationBCE].
func Argsort(x []float64, descending bool) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if descending {
			a, b = b, a
		}
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	return idx
}

// bceLogFloor is the floor of the logarithms in the binary cross-entropy,
// as in PyTorch's BCELoss: log p is clamped to ≥ −100.
const bceLogFloor = -100

// PermutationBCE returns the mean binary cross-entropy between a relaxed
// permutation matrix P (n×n, entries in [0, 1], row = position) and the
// permutation matrix of perm (perm[pos] = input at position pos),
//
//	L = −(1/n²) Σᵢⱼ [Tᵢⱼ log Pᵢⱼ + (1 − Tᵢⱼ) log(1 − Pᵢⱼ)],
//
// the loss diffsort trains with, and its gradient with respect to P
// (written into grad if non-nil, which must be n×n). Logarithms are
// clamped at −100 as in PyTorch, where the gradient is 0.
func PermutationBCE(grad *mat.Dense, p mat.Matrix, perm []int) (float64, error) {
	n, c := p.Dims()
	if n != c || len(perm) != n || n == 0 {
		return 0, fmt.Errorf("%w: P is %d×%d, len(perm) = %d", ErrDims, n, c, len(perm))
	}
	if grad != nil {
		if r, cc := grad.Dims(); r != n || cc != n {
			return 0, fmt.Errorf("%w: grad is %d×%d, want %d×%d", ErrDims, r, cc, n, n)
		}
	}
	seen := make([]bool, n)
	for _, i := range perm {
		if i < 0 || i >= n || seen[i] {
			return 0, fmt.Errorf("%w: perm %v is not a permutation", ErrSettings, perm)
		}
		seen[i] = true
	}
	row := make([]float64, n)
	scale := 1 / float64(n*n)
	var loss float64
	for i := range n {
		mat.Row(row, i, p)
		var grow []float64
		if grad != nil {
			grow = grad.RawRowView(i)
		}
		for j, v := range row {
			if !(v >= 0 && v <= 1) {
				return 0, fmt.Errorf("%w: P[%d,%d] = %v outside [0, 1]", ErrNaN, i, j, v)
			}
			var l, dl float64
			if j == perm[i] {
				l = math.Log(v)
				if l > bceLogFloor {
					dl = -1 / v
				} else {
					l = bceLogFloor
				}
			} else {
				l = math.Log1p(-v)
				if l > bceLogFloor {
					dl = 1 / (1 - v)
				} else {
					l = bceLogFloor
				}
			}
			loss -= l
			if grow != nil {
				grow[j] = dl * scale
			}
		}
	}
	return loss * scale, nil
}

// PermutationBCEBatch computes [PermutationBCE] for a batch on goroutines
// and returns the mean loss over the batch and the gradients of that mean
// with respect to each P. perms[b] is the target of ps[b].
func PermutationBCEBatch(ctx context.Context, ps []*mat.Dense, perms [][]int, workers int) (float64, []*mat.Dense, error) {
	b := len(ps)
	if b == 0 || len(perms) != b {
		return 0, nil, fmt.Errorf("%w: %d matrices, %d targets", ErrDims, b, len(perms))
	}
	losses := make([]float64, b)
	grads := make([]*mat.Dense, b)
	err := parallel(ctx, b, workers, func(i int) error {
		if ps[i] == nil {
			return fmt.Errorf("%w: nil matrix", ErrDims)
		}
		n, _ := ps[i].Dims()
		grads[i] = mat.NewDense(n, n, nil)
		var err error
		losses[i], err = PermutationBCE(grads[i], ps[i], perms[i])
		if err == nil {
			grads[i].Scale(1/float64(b), grads[i])
		}
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	var mean float64
	for _, l := range losses {
		mean += l
	}
	return mean / float64(b), grads, nil
}
