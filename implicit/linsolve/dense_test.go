package linsolve

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

var denseSizes = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 16, 17, 23, 31, 33, 37, 64, 101, 203}

// TestDenseAgainstGonum checks NewLU and NewCholesky, their solves, their
// blocked solves and their condition estimates against gonum's mat.LU and
// mat.Cholesky.
func TestDenseAgainstGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range denseSizes {
		a := nonsym(rng, n, 0.5)
		s := spd(rng, n, 0.05)
		b := randVec(rng, n)
		lu, err := NewLU(a)
		require.NoError(t, err, "n=%d", n)
		var ref mat.LU
		ref.Factorize(a)
		var refCh mat.Cholesky
		require.True(t, refCh.Factorize(s))
		ch, err := NewCholesky(s)
		require.NoError(t, err, "n=%d", n)
		tol := 1e-13 * float64(n) * ref.Cond()
		x := make([]float64, n)
		for _, trans := range []bool{false, true} {
			var want mat.VecDense
			require.NoError(t, ref.SolveVecTo(&want, trans, mat.NewVecDense(n, b)))
			if trans {
				require.NoError(t, lu.SolveT(x, b))
			} else {
				require.NoError(t, lu.Solve(x, b))
			}
			assert.Less(t, relErr(x, want.RawVector().Data), tol, "n=%d trans=%v", n, trans)
		}
		var wantCh mat.VecDense
		require.NoError(t, refCh.SolveVecTo(&wantCh, mat.NewVecDense(n, b)))
		require.NoError(t, ch.Solve(x, b))
		assert.Less(t, relErr(x, wantCh.RawVector().Data), 1e-13*float64(n)*refCh.Cond(), "n=%d", n)
		// Aliased dst and b.
		y := append([]float64(nil), b...)
		require.NoError(t, lu.Solve(y, y))
		require.NoError(t, lu.Solve(x, b))
		assert.Equal(t, x, y)

		// Blocked solves with several right-hand sides, both transposes.
		for _, k := range []int{1, 3, 7} {
			bm := randDense(rng, n, k)
			for _, trans := range []bool{false, true} {
				var want, got mat.Dense
				require.NoError(t, ref.SolveTo(&want, trans, bm))
				require.NoError(t, lu.SolveMat(&got, bm, trans))
				assert.True(t, mat.EqualApprox(&got, &want, tol*mat.Norm(&want, math.Inf(1))), "LU n=%d k=%d trans=%v", n, k, trans)
			}
			var want mat.Dense
			require.NoError(t, refCh.SolveTo(&want, bm))
			got := mat.NewDense(n, k, nil)
			require.NoError(t, ch.SolveMat(got, bm, false))
			assert.True(t, mat.EqualApprox(got, &want, 1e-13*float64(n)*refCh.Cond()*mat.Norm(&want, math.Inf(1))), "Cholesky n=%d k=%d", n, k)
			// In place: dst is B.
			inPlace := mat.DenseCopyOf(bm)
			require.NoError(t, ch.SolveMat(inPlace, inPlace, false))
			assert.True(t, mat.EqualApprox(inPlace, got, 0))
		}

		// The condition estimates are gonum's (same estimator, same norm).
		condLU := estimateCond(n, maxRowSum(lu.luCopyForTest(), n), func(x []float64, trans bool) {
			require.NoError(t, lu.solve(x, append([]float64(nil), x...), trans))
		})
		assert.InEpsilon(t, ref.Cond(), condLU, 1e-6, "LU n=%d", n)
		condCh := estimateCond(n, maxRowSum(symRows(s), n), func(x []float64, _ bool) {
			require.NoError(t, ch.Solve(x, append([]float64(nil), x...)))
		})
		assert.InEpsilon(t, refCh.Cond(), condCh, 1e-6, "Cholesky n=%d", n)
	}
}

func (f *LU) luCopyForTest() []float64 {
	raw := f.a.RawMatrix()
	out := make([]float64, f.n*f.n)
	for i := range f.n {
		copy(out[i*f.n:(i+1)*f.n], raw.Data[i*raw.Stride:])
	}
	return out
}

func symRows(s mat.Symmetric) []float64 {
	n := s.SymmetricDim()
	out := make([]float64, n*n)
	for i := range n {
		for j := range n {
			out[i*n+j] = s.At(i, j)
		}
	}
	return out
}

// TestDenseSingular checks that ErrSingular has gonum's meaning: the
// estimated condition number beyond 1/eps, or an exactly zero pivot.
func TestDenseSingular(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range []int{3, 10, 40, 101} {
		for _, kappa := range []float64{1e3, 1e10, 1e14, 1e18, 1e25} {
			for _, sym := range []bool{false, true} {
				m := illCond(rng, n, kappa, sym)
				var ref mat.LU
				ref.Factorize(m)
				_, err := NewLU(m)
				// Far from the threshold both must agree.
				if c := ref.Cond(); c < maxCond/100 {
					assert.NoError(t, err, "n=%d κ=%g cond=%g", n, kappa, c)
				} else if c > 100*maxCond {
					assert.True(t, errors.Is(err, ErrSingular), "n=%d κ=%g cond=%g: %v", n, kappa, c, err)
				}
				if !sym {
					continue
				}
				s := mat.NewSymDense(n, nil)
				for i := range n {
					for j := i; j < n; j++ {
						s.SetSym(i, j, 0.5*(m.At(i, j)+m.At(j, i)))
					}
				}
				var refCh mat.Cholesky
				okRef := refCh.Factorize(s)
				_, err = NewCholesky(s)
				switch {
				case !okRef:
					// gonum found a non-positive pivot; we must fail too,
					// possibly already at the condition estimate.
					assert.Error(t, err)
				case refCh.Cond() < maxCond/100:
					assert.NoError(t, err, "n=%d κ=%g", n, kappa)
				case refCh.Cond() > 100*maxCond:
					assert.True(t, errors.Is(err, ErrSingular) || errors.Is(err, ErrNotPositiveDefinite), "n=%d κ=%g: %v", n, kappa, err)
				}
			}
		}
	}
	// Exactly singular matrices and a zero matrix.
	for _, m := range []*mat.Dense{
		mat.NewDense(3, 3, []float64{1, 2, 3, 2, 4, 6, 1, 0, 1}),
		mat.NewDense(3, 3, nil),
		mat.NewDense(2, 2, []float64{0, 1, 0, 1}),
	} {
		_, err := NewLU(m)
		assert.True(t, errors.Is(err, ErrSingular), "%v", err)
	}
	_, err := NewCholesky(mat.NewSymDense(2, nil))
	assert.True(t, errors.Is(err, ErrNotPositiveDefinite), "%v", err)
	// NaN and Inf are ErrNaN, with the entry named.
	bad := mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, math.NaN(), 0, 0, 1})
	_, err = NewLU(bad)
	assert.True(t, errors.Is(err, ErrNaN))
	assert.Contains(t, err.Error(), "(1,2)")
	_, err = NewCholesky(mat.NewSymDense(2, []float64{1, math.Inf(-1), math.Inf(-1), 1}))
	assert.True(t, errors.Is(err, ErrNaN))
	// Finite entries whose norm overflows: gonum's estimate is +Inf too.
	huge := mat.NewDense(2, 2, []float64{1e308, 1e308, 1e308, -1e308})
	var ref mat.LU
	ref.Factorize(huge)
	assert.True(t, math.IsInf(ref.Cond(), 1))
	_, err = NewLU(huge)
	assert.True(t, errors.Is(err, ErrSingular), "%v", err)
	// Shapes.
	lu, err := NewLU(eye(3))
	require.NoError(t, err)
	assert.True(t, errors.Is(lu.SolveMat(mat.NewDense(3, 2, nil), mat.NewDense(3, 3, nil), false), ErrDims))
	assert.True(t, errors.Is(lu.SolveMat(&mat.Dense{}, mat.NewDense(2, 3, nil), false), ErrDims))
	assert.True(t, errors.Is(lu.SolveT(make([]float64, 3), make([]float64, 2)), ErrDims))
	ch, err := NewCholesky(mat.NewSymDense(3, []float64{2, 0, 0, 0, 2, 0, 0, 0, 2}))
	require.NoError(t, err)
	assert.True(t, errors.Is(ch.SolveMat(mat.NewDense(2, 2, nil), mat.NewDense(3, 2, nil), false), ErrDims))
	r, c := ch.Dims()
	assert.Equal(t, [2]int{3, 3}, [2]int{r, c})
	// Empty matrices.
	lu0, err := NewLU(&mat.Dense{})
	require.NoError(t, err)
	require.NoError(t, lu0.Solve(nil, nil))
	ch0, err := NewCholesky(&mat.SymDense{})
	require.NoError(t, err)
	require.NoError(t, ch0.Solve(nil, nil))
}

// TestSolveMatManyColumns runs the blocked solves on enough right-hand
// sides to be split over the cores and checks each column against the
// single-vector solves.
func TestSolveMatManyColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	const n, k = 101, 125
	a := nonsym(rng, n, 0.5)
	s := spd(rng, n, 0.05)
	lu, err := NewLU(a)
	require.NoError(t, err)
	ch, err := NewCholesky(s)
	require.NoError(t, err)
	bm := randDense(rng, n, k)
	col := make([]float64, n)
	x := make([]float64, n)
	for _, c := range []struct {
		name  string
		f     MatrixSolver
		solve func(dst, b []float64) error
		trans bool
	}{{"LU", lu, lu.Solve, false}, {"LU-T", lu, lu.SolveT, true}, {"Cholesky", ch, ch.Solve, false}} {
		var got mat.Dense
		require.NoError(t, c.f.SolveMat(&got, bm, c.trans))
		for j := range k {
			mat.Col(col, j, bm)
			require.NoError(t, c.solve(x, col))
			assert.Less(t, relErr(mat.Col(nil, j, &got), x), 1e-12, "%s column %d", c.name, j)
		}
	}
}
