package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// SubABt against the triple loop, on shapes around the 3×4 blocks and the
// 4-wide steps, with leading dimensions larger than the widths.
func TestSubABt(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(14, 31))
		for _, rows := range []int{0, 1, 2, 3, 4, 5, 7, 12, 31} {
			for _, cols := range []int{0, 1, 3, 4, 5, 9, 17} {
				for _, k := range []int{0, 1, 3, 4, 7, 8, 13, 64, 129} {
					lda, ldb, ldc := k+3, k+1, cols+2
					a := randSlice(rng, max(1, rows*lda))
					b := randSlice(rng, max(1, cols*ldb))
					c := randSlice(rng, max(1, rows*ldc))
					want := append([]float64(nil), c...)
					for i := range rows {
						for j := range cols {
							var s float64
							for l := range k {
								s += a[i*lda+l] * b[j*ldb+l]
							}
							want[i*ldc+j] -= s
						}
					}
					SubABt(c, ldc, a, lda, b, ldb, rows, cols, k)
					for q := range c {
						require.InDelta(t, want[q], c[q], 1e-12*(1+math.Abs(want[q])), "rows %d cols %d k %d entry %d", rows, cols, k, q)
					}
				}
			}
		}
	})
}

// SolveRowsUnitLowerTOnes equals SolveRowsUnitLowerT (which allocates its
// ones), reads no diagonal and allocates nothing.
func TestSolveRowsUnitLowerTOnes(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(14, 32))
		for _, n := range sizes {
			for _, rows := range []int{0, 1, 2, 3, 4, 7} {
				ldl, ldx := n+1, n+2
				l := randSlice(rng, max(1, n*ldl))
				for i := range n {
					l[i*ldl+i] = math.NaN() // not read
				}
				x := randSlice(rng, max(1, rows*ldx))
				want := append([]float64(nil), x...)
				SolveRowsUnitLowerT(want, rows, ldx, l, n, ldl)
				ones := make([]float64, n+3)
				for i := range ones {
					ones[i] = 1
				}
				SolveRowsUnitLowerTOnes(x, rows, ldx, l, n, ldl, ones)
				require.Equal(t, want, x, "n %d rows %d", n, rows)
				allocs := testing.AllocsPerRun(3, func() {
					SolveRowsUnitLowerTOnes(x, rows, ldx, l, n, ldl, ones)
				})
				require.Zero(t, allocs)
			}
		}
	})
}
