package sparse

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// revalue returns a quasi-definite matrix with k's pattern: the entries of
// the A and −D blocks scaled by random factors in [0.8, 1.2], the diagonal
// of H raised by up to 0.1.
func revalue(t *testing.T, rng *rand.Rand, k *SymCSC, signs []int8) *SymCSC {
	cp, ri, v := k.Upper().Raw()
	w := slices.Clone(v)
	for j := 0; j+1 < len(cp); j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			switch {
			case signs[j] < 0:
				w[p] *= 0.8 + 0.4*rng.Float64()
			case ri[p] == j:
				w[p] += 0.1 * rng.Float64()
			}
		}
	}
	g, err := NewSymCSC(k.SymmetricDim(), slices.Clone(cp), slices.Clone(ri), w)
	require.NoError(t, err)
	return g
}

// twoBlocks returns two independent random KKT matrices on the diagonal and
// a last (dual) row coupling them: an elimination tree with two balanced
// subtrees, which the parallel plans split.
func twoBlocks(t *testing.T, rng *rand.Rand) (*SymCSC, []int8) {
	a, sa := randomKKT(t, rng, 80, 50, 0.02, 1e-3)
	b, sb := randomKKT(t, rng, 80, 50, 0.02, 1e-3)
	na, nb := a.SymmetricDim(), b.SymmetricDim()
	n := na + nb + 1
	var ri, ci []int
	var v []float64
	for off, m := range map[int]*SymCSC{0: a, na: b} {
		cp, r, x := m.Upper().Raw()
		for j := 0; j+1 < len(cp); j++ {
			for p := cp[j]; p < cp[j+1]; p++ {
				ri, ci, v = append(ri, r[p]+off), append(ci, j+off), append(v, x[p])
			}
		}
	}
	ri, ci, v = append(ri, 0, na, n-1), append(ci, n-1, n-1, n-1), append(v, 1, 1, -1)
	k, err := SymFromTriplets(n, ri, ci, v, nil)
	require.NoError(t, err)
	signs := append(append(slices.Clone(sa), sb...), -1)
	return k, signs
}

// Clones of one analysis, refactored on different values concurrently (run
// with -race), give bit for bit the factors and the solutions of a fresh
// NewLDL on each matrix, for both kernels, sequential and parallel.
func TestLDLCloneConcurrent(t *testing.T) {
	defer func(a, b float64) { minParallelFlops, snRowParallelFlops = a, b }(minParallelFlops, snRowParallelFlops)
	minParallelFlops, snRowParallelFlops = 0, 0
	rng := rand.New(rand.NewPCG(16, 1))
	k, signs := twoBlocks(t, rng)
	const nv = 4
	ks := make([]*SymCSC, nv)
	bs := make([][]float64, nv)
	for i := range ks {
		ks[i] = revalue(t, rng, k, signs)
		bs[i] = randVec(rng, k.SymmetricDim())
	}
	for _, kern := range []int{kernelUpLooking, kernelSupernodal} {
		for _, w := range []int{1, 2} {
			name := fmt.Sprintf("kernel %d, workers %d", kern, w)
			set := &LDLSettings{Workers: w}
			base, err := withKernel(t, kern, k, signs, set)
			require.NoError(t, err, name)
			require.Equal(t, kern == kernelSupernodal, base.sn != nil, name)
			if w == 2 {
				require.True(t, base.Stats().Parallel, name)
				require.True(t, base.split != nil || base.sn != nil && base.sn.par != nil && base.sn.helper != nil, name)
			}
			want := make([]*LDL, nv)
			wantX := make([][]float64, nv)
			for i := range ks {
				want[i], err = withKernel(t, kern, ks[i], signs, set)
				require.NoError(t, err, name)
				wantX[i] = make([]float64, len(bs[i]))
				require.NoError(t, want[i].Solve(wantX[i], bs[i]), name)
			}
			clones := make([]*LDL, nv)
			gotX := make([][]float64, nv)
			errs := make([]error, nv)
			var wg sync.WaitGroup
			for i := range ks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := base.Clone()
					clones[i] = c
					if errs[i] = c.Solve(make([]float64, len(bs[i])), bs[i]); errs[i] == nil {
						errs[i] = fmt.Errorf("Solve before Refactor succeeded")
						return
					}
					for range 2 { // twice: stale scratch must not matter
						if errs[i] = c.Refactor(ks[i]); errs[i] != nil {
							return
						}
					}
					gotX[i] = make([]float64, len(bs[i]))
					errs[i] = c.Solve(gotX[i], bs[i])
				}()
			}
			wg.Wait()
			for i := range ks {
				require.NoError(t, errs[i], name)
				c := clones[i]
				assert.Equal(t, want[i].d, c.d, name)
				if c.sn != nil {
					assert.Equal(t, want[i].sn.x, c.sn.x, name)
				} else {
					assert.Equal(t, want[i].lx, c.lx, name)
					assert.Equal(t, want[i].li, c.li, name)
				}
				assert.Equal(t, wantX[i], gotX[i], name)
				assert.Equal(t, want[i].Stats().Refinements, c.Stats().Refinements, name)
			}
			// the base's own factorization is untouched by its clones
			x := make([]float64, len(bs[0]))
			require.NoError(t, base.Solve(x, bs[0]), name)
			ref, err := withKernel(t, kern, k, signs, set)
			require.NoError(t, err, name)
			y := make([]float64, len(bs[0]))
			require.NoError(t, ref.Solve(y, bs[0]), name)
			assert.Equal(t, y, x, name)
		}
	}
}

// A clone checks Refactor's pattern like the original.
func TestLDLCloneRefactorPattern(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	k, signs := randomKKT(t, rng, 20, 10, 0.2, 1e-2)
	f, err := NewLDL(k, signs, nil)
	require.NoError(t, err)
	other, _ := randomKKT(t, rng, 20, 10, 0.2, 1e-2)
	c := f.Clone()
	require.ErrorIs(t, c.Refactor(other), ErrInvalid)
	require.ErrorIs(t, c.Refactor(nil), ErrInvalid)
	require.NoError(t, c.Refactor(k))
}
