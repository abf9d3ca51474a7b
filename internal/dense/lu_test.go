package dense

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

var luSizes = func() []int {
	s := make([]int, 0, 45)
	for n := 1; n <= 37; n++ {
		s = append(s, n)
	}
	return append(s, 64, 65, 96, 101, 203)
}()

// luCopy returns a with leading dimension lda > n, the padding set to 42.
func luCopy(m *mat.Dense, lda int) []float64 {
	n, _ := m.Dims()
	a := make([]float64, n*lda)
	for i := range n {
		for j := range lda {
			a[i*lda+j] = 42
		}
		for j := range n {
			a[i*lda+j] = m.At(i, j)
		}
	}
	return a
}

func TestLU(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, n := range luSizes {
			m := mat.NewDense(n, n, randSlice(rng, n*n))
			lda := n + 2
			a := luCopy(m, lda)
			piv := make([]int, n)
			require.True(t, LU(a, n, lda, piv), "n=%d", n)
			for i := range n {
				require.Equal(t, 42.0, a[i*lda+n], "padding overwritten")
				require.Equal(t, 42.0, a[i*lda+n+1], "padding overwritten")
				require.GreaterOrEqual(t, piv[i], i)
				require.Less(t, piv[i], n)
			}
			// P A = L U: apply the swaps to A, multiply out L U.
			pa := mat.DenseCopyOf(m)
			for i, p := range piv {
				if p != i {
					ri, rp := mat.Row(nil, i, pa), mat.Row(nil, p, pa)
					pa.SetRow(i, rp)
					pa.SetRow(p, ri)
				}
			}
			// Partial pivoting bounds |Lᵢⱼ| by 1.
			for i := range n {
				for j := range i {
					require.LessOrEqual(t, math.Abs(a[i*lda+j]), 1.0, "n=%d L(%d,%d)", n, i, j)
				}
			}
			for i := range n {
				for j := range n {
					s := 0.0
					for l := 0; l <= min(i, j); l++ {
						lil := a[i*lda+l]
						if l == i {
							lil = 1
						}
						s += lil * a[l*lda+j]
					}
					require.InDelta(t, pa.At(i, j), s, 1e-12*float64(n), "n=%d (%d,%d)", n, i, j)
				}
			}
			// Solves against gonum's LU.
			var ref mat.LU
			ref.Factorize(m)
			b := randSlice(rng, n)
			for _, trans := range []bool{false, true} {
				x := append([]float64(nil), b...)
				if trans {
					LUSolveTrans(a, n, lda, piv, x)
				} else {
					LUSolve(a, n, lda, piv, x)
				}
				var want mat.VecDense
				require.NoError(t, ref.SolveVecTo(&want, trans, mat.NewVecDense(n, b)))
				scale := mat.Norm(&want, math.Inf(1))
				for i := range n {
					require.InDelta(t, want.AtVec(i), x[i], 1e-14*float64(n)*ref.Cond()*scale, "n=%d trans=%v i=%d", n, trans, i)
				}
			}
		}
	})
}

func TestLUSingularAndNaN(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, n := range []int{1, 2, 5, 33, 70} {
			// Exactly singular: a zero column, a repeated row, a zero matrix.
			m := mat.NewDense(n, n, randSlice(rng, n*n))
			c := rng.IntN(n)
			for i := range n {
				m.Set(i, c, 0)
			}
			piv := make([]int, n)
			require.False(t, LU(luCopy(m, n), n, n, piv), "zero column n=%d", n)
			require.False(t, LU(make([]float64, n*n), n, n, piv), "zero matrix n=%d", n)
			if n > 1 {
				m := mat.NewDense(n, n, randSlice(rng, n*n))
				// Row n−1 = 2·row 0 (exact in floating point).
				for j := range n {
					m.Set(n-1, j, 2*m.At(0, j))
				}
				// A zero pivot appears once row 0 is eliminated from row n−1
				// — unless rounding leaves a tiny one, which is fine too.
				a := luCopy(m, n)
				if LU(a, n, n, piv) {
					umin := math.Inf(1)
					for i := range n {
						umin = math.Min(umin, math.Abs(a[i*n+i]))
					}
					require.Less(t, umin, 1e-12, "rank-deficient n=%d", n)
				}
			}
			// NaN and Inf anywhere make LU fail.
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				for range 3 {
					m := mat.NewDense(n, n, randSlice(rng, n*n))
					i, j := rng.IntN(n), rng.IntN(n)
					m.Set(i, j, bad)
					require.False(t, LU(luCopy(m, n), n, n, piv), "n=%d (%d,%d)=%v", n, i, j, bad)
				}
			}
		}
		require.True(t, LU(nil, 0, 0, nil))
	})
}

// FuzzLU compares the pure-Go and the assembly kernels on arbitrary
// matrices: they must agree on success and, when both succeed, on the
// solution of A x = b up to rounding (they may pick different pivots only
// on near-ties, so the solutions, not the factors, are compared, on
// matrices whose growth is moderate).
func FuzzLU(f *testing.F) {
	f.Add(uint8(5), uint64(1), 1.0, uint8(0))
	f.Add(uint8(40), uint64(2), 0.0, uint8(3))
	f.Add(uint8(70), uint64(3), 1e-12, uint8(1))
	f.Fuzz(func(t *testing.T, n8 uint8, seed uint64, shift float64, special uint8) {
		n := int(n8 % 80)
		if math.IsNaN(shift) || math.IsInf(shift, 0) {
			shift = 0
		}
		rng := rand.New(rand.NewPCG(seed, 13))
		lda := n + int(special%3)
		a := make([]float64, n*lda)
		for i := range n {
			for j := range n {
				a[i*lda+j] = rng.NormFloat64()
			}
			a[i*lda+i] += shift
		}
		if n > 0 && special >= 128 {
			vals := []float64{math.NaN(), math.Inf(1), 0, 1e300, -1e-300}
			a[rng.IntN(n)*lda+rng.IntN(n)] = vals[int(special)%len(vals)]
		}
		b := randSlice(rng, n)
		saved := useAsm
		defer func() { useAsm = saved }()
		run := func(asm bool) ([]float64, []float64, bool) {
			useAsm = asm
			lu := append([]float64(nil), a...)
			piv := make([]int, n)
			if !LU(lu, n, lda, piv) {
				return nil, nil, false
			}
			x := append([]float64(nil), b...)
			LUSolve(lu, n, lda, piv, x)
			y := append([]float64(nil), b...)
			LUSolveTrans(lu, n, lda, piv, y)
			return x, y, true
		}
		xg, yg, okG := run(false)
		xs, ys, okS := run(saved)
		if okG != okS || !okG {
			return // only a pivot within rounding of zero may differ
		}
		// Compare only well-conditioned enough results: residual-based.
		for _, pair := range [][2][]float64{{xg, xs}, {yg, ys}} {
			g, s := pair[0], pair[1]
			var nd, ng float64
			for i := range g {
				nd = math.Max(nd, math.Abs(g[i]-s[i]))
				ng = math.Max(ng, math.Abs(g[i]))
			}
			if math.IsNaN(nd) != math.IsNaN(ng) {
				t.Fatalf("n=%d: one of go/asm is NaN: %v %v", n, g, s)
			}
			if ng < 1e8 && special < 128 && !(nd <= 1e-6*(1+ng)) {
				t.Fatalf("n=%d: go and asm solutions differ by %g (|x| %g)", n, nd, ng)
			}
		}
	})
}

func TestSolveRowsUnitLowerT(t *testing.T) {
	both(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(25, 26))
		for _, n := range luSizes {
			lda := n + 1
			l := randSlice(rng, n*lda)
			for i := range l {
				l[i] /= float64(n) // a well-conditioned unit triangle
			}
			for i := range n {
				l[i*lda+i] = math.NaN() // the diagonal must not be read
				for j := i + 1; j < n; j++ {
					l[i*lda+j] = math.NaN()
				}
			}
			for _, rows := range []int{1, 2, 3, 5, 9} {
				ldx := n + 2
				x0 := randSlice(rng, rows*ldx)
				x := append([]float64(nil), x0...)
				SolveRowsUnitLowerT(x, rows, ldx, l, n, lda)
				for r := range rows {
					// L xᵣ must give back the right-hand side.
					for i := range n {
						s := x[r*ldx+i]
						for j := range i {
							s += l[i*lda+j] * x[r*ldx+j]
						}
						require.InDelta(t, x0[r*ldx+i], s, 1e-12*(1+math.Abs(x0[r*ldx+i])), "n=%d rows=%d", n, rows)
					}
					require.Equal(t, x0[r*ldx+n:r*ldx+ldx], x[r*ldx+n:r*ldx+ldx], "padding")
				}
			}
		}
	})
}
