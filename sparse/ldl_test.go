package sparse

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randomKKT returns K = [H Aᵀ; A −D] (H = BᵀB + ρI sparse, A sparse m×n1,
// D diagonal > 0) and its signs.
func randomKKT(t testing.TB, rng *rand.Rand, n1, m int, density, rho float64) (*SymCSC, []int8) {
	n := n1 + m
	var ri, ci []int
	var v []float64
	add := func(i, j int, x float64) { ri, ci, v = append(ri, i), append(ci, j), append(v, x) }
	// H: sum of a few sparse rank-one terms plus ρI
	for r := 0; r < max(1, int(density*float64(n1*n1)/4)); r++ {
		a, b := rng.IntN(n1), rng.IntN(n1)
		x, y := rng.NormFloat64(), rng.NormFloat64()
		add(a, a, x*x)
		add(b, b, y*y)
		if a != b {
			add(a, b, x*y)
		}
	}
	for i := 0; i < n1; i++ {
		add(i, i, rho)
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n1; j++ {
			if rng.Float64() < density {
				add(j, n1+i, rng.NormFloat64())
			}
		}
		add(n1+i, n1+i, -(0.01 + rng.Float64()))
	}
	k, err := SymFromTriplets(n, ri, ci, v, nil)
	require.NoError(t, err)
	signs := make([]int8, n)
	for i := range signs {
		signs[i] = 1
		if i >= n1 {
			signs[i] = -1
		}
	}
	return k, signs
}

func denseSolve(t testing.TB, k *SymCSC, b []float64) []float64 {
	n := k.SymmetricDim()
	var lu mat.LU
	lu.Factorize(mat.DenseCopyOf(k.Dense()))
	x := mat.NewVecDense(n, nil)
	require.NoError(t, lu.SolveVecTo(x, false, mat.NewVecDense(n, b)))
	return x.RawVector().Data
}

func maxAbsDiff(a, b []float64) (d, m float64) {
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
		m = max(m, math.Abs(b[i]))
	}
	return d, m
}

func TestLDLRandomKKT(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	for _, c := range []struct {
		n1, m   int
		density float64
	}{{3, 2, 0.5}, {10, 5, 0.3}, {40, 20, 0.1}, {80, 60, 0.05}, {150, 100, 0.02}, {60, 30, 0.8}} {
		for _, ord := range []Ordering{OrderAMD, OrderNatural} {
			k, signs := randomKKT(t, rng, c.n1, c.m, c.density, 1e-3)
			n := c.n1 + c.m
			f, err := NewLDL(k, signs, &LDLSettings{Ordering: ord})
			require.NoError(t, err)
			b := randVec(rng, n)
			x := make([]float64, n)
			require.NoError(t, f.Solve(x, b))
			want := denseSolve(t, k, b)
			d, m := maxAbsDiff(x, want)
			assert.LessOrEqual(t, d, 1e-9*(1+m), "n1=%d m=%d", c.n1, c.m)
			st := f.Stats()
			assert.Equal(t, 0, st.Dynamic)
			assert.LessOrEqual(t, st.Residual, 1e-12*(1+normInf(b)))
			pos, neg := f.Inertia()
			assert.Equal(t, [2]int{c.n1, c.m}, [2]int{pos, neg}, "quasi-definite inertia")

			// Refactor with new values on the same pattern (a diagonal
			// congruence keeps K quasi-definite).
			k2 := k.Clone()
			sc := make([]float64, n)
			for i := range sc {
				sc[i] = 0.5 + rng.Float64()
			}
			require.NoError(t, k2.ScaleSym(sc))
			require.NoError(t, f.Refactor(k2))
			require.NoError(t, f.Solve(x, b))
			d, m = maxAbsDiff(x, denseSolve(t, k2, b))
			assert.LessOrEqual(t, d, 1e-9*(1+m))
		}
	}
}

func normInf(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func TestLDLRefactorAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	k, signs := randomKKT(t, rng, 50, 30, 0.1, 1e-2)
	f, err := NewLDL(k, signs, nil)
	require.NoError(t, err)
	b := randVec(rng, 80)
	x := make([]float64, 80)
	allocs := testing.AllocsPerRun(10, func() {
		if err := f.Refactor(k); err != nil {
			t.Fatal(err)
		}
		if err := f.Solve(x, b); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// An LP's KKT matrix [0 Aᵀ; A 0] with A rank deficient is singular; the
// regularized factorization still solves a consistent system.
func TestLDLSingularRegularized(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 4))
	n1, m := 12, 6
	var ri, ci []int
	var v []float64
	a := mat.NewDense(m, n1, nil)
	for i := 0; i < m-1; i++ {
		for j := 0; j < n1; j++ {
			if rng.Float64() < 0.4 {
				a.Set(i, j, rng.NormFloat64())
			}
		}
	}
	for j := 0; j < n1; j++ { // last row repeats the first: rank m−1
		a.Set(m-1, j, a.At(0, j))
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n1; j++ {
			if x := a.At(i, j); x != 0 {
				ri, ci, v = append(ri, j), append(ci, n1+i), append(v, x)
			}
		}
	}
	for i := 0; i < n1+m; i++ { // structural zeros on the diagonal
		ri, ci, v = append(ri, i), append(ci, i), append(v, 0)
	}
	k, err := SymFromTriplets(n1+m, ri, ci, v, nil)
	require.NoError(t, err)
	signs := make([]int8, n1+m)
	for i := range signs {
		signs[i] = 1
		if i >= n1 {
			signs[i] = -1
		}
	}
	x0 := randVec(rng, n1+m)
	b := make([]float64, n1+m)
	require.NoError(t, k.MulVec(b, x0))
	f, err := NewLDL(k, signs, nil)
	require.NoError(t, err)
	x := make([]float64, n1+m)
	require.NoError(t, f.Solve(x, b))
	r := make([]float64, n1+m)
	require.NoError(t, k.MulVec(r, x))
	for i := range r {
		r[i] -= b[i]
	}
	assert.LessOrEqual(t, normInf(r), 1e-6*(1+normInf(b)))
	for _, xi := range x {
		require.False(t, math.IsNaN(xi) || math.IsInf(xi, 0))
	}
	// Without static regularization the zero pivot is replaced dynamically.
	f, err = NewLDL(k, signs, &LDLSettings{StaticReg: -1})
	require.NoError(t, err)
	assert.Positive(t, f.Stats().Dynamic)
	require.NoError(t, f.Solve(x, b))
	require.NoError(t, k.MulVec(r, x))
	for i := range r {
		r[i] -= b[i]
	}
	assert.LessOrEqual(t, normInf(r), 1e-6*(1+normInf(b)))
}

func TestLDLSmall(t *testing.T) {
	// 0×0
	f, err := NewLDL(&SymCSC{}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, f.Solve([]float64{}, []float64{}))
	assert.Equal(t, 0, f.Stats().N)
	// 1×1, both signs
	for _, c := range []struct {
		v float64
		s int8
	}{{4, 1}, {-2, -1}} {
		k, err := NewSymCSC(1, []int{0, 1}, []int{0}, []float64{c.v})
		require.NoError(t, err)
		f, err := NewLDL(k, []int8{c.s}, nil)
		require.NoError(t, err)
		x := []float64{0}
		require.NoError(t, f.Solve(x, []float64{2}))
		assert.InDelta(t, 2/c.v, x[0], 1e-14)
	}
	// dst aliases b
	k, err := NewSymCSC(2, []int{0, 1, 3}, []int{0, 0, 1}, []float64{2, 1, -3})
	require.NoError(t, err)
	f, err = NewLDL(k, []int8{1, -1}, nil)
	require.NoError(t, err)
	b := []float64{1, 2}
	want := denseSolve(t, k, b)
	require.NoError(t, f.Solve(b, b))
	assert.InDeltaSlice(t, want, b, 1e-14)
}

// A pattern with an empty column: the row is regularized and decouples.
func TestLDLEmptyColumn(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 5))
	k, signs := randomKKT(t, rng, 8, 4, 0.4, 1e-2)
	// insert an empty row/column at position 5
	cp, ri, vals := k.Upper().Raw()
	n := k.SymmetricDim()
	var tr, tc []int
	var tv []float64
	sh := func(i int) int {
		if i >= 5 {
			return i + 1
		}
		return i
	}
	for j := 0; j < n; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			tr, tc, tv = append(tr, sh(ri[p])), append(tc, sh(j)), append(tv, vals[p])
		}
	}
	k2, err := SymFromTriplets(n+1, tr, tc, tv, nil)
	require.NoError(t, err)
	s2 := append(append(append([]int8{}, signs[:5]...), 1), signs[5:]...)
	f, err := NewLDL(k2, s2, nil)
	require.NoError(t, err)
	b := randVec(rng, n)
	want := denseSolve(t, k, b)
	b2 := append(append(append([]float64{}, b[:5]...), 0), b[5:]...)
	x := make([]float64, n+1)
	require.NoError(t, f.Solve(x, b2))
	assert.Zero(t, x[5])
	got := append(append([]float64{}, x[:5]...), x[6:]...)
	d, m := maxAbsDiff(got, want)
	assert.LessOrEqual(t, d, 1e-9*(1+m))
}

func TestLDLErrors(t *testing.T) {
	k, err := NewSymCSC(2, []int{0, 1, 3}, []int{0, 0, 1}, []float64{2, 1, -3})
	require.NoError(t, err)
	_, err = NewLDL(nil, nil, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewLDL(k, []int8{1}, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = NewLDL(k, []int8{1, 0}, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewLDL(k, []int8{1, -1}, &LDLSettings{Tol: math.NaN()})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewLDL(k, []int8{1, -1}, &LDLSettings{Ordering: 7})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewLDL(k, []int8{1, -1}, &LDLSettings{Workers: -1})
	assert.ErrorIs(t, err, ErrInvalid)
	f, err := NewLDL(k, []int8{1, -1}, nil)
	require.NoError(t, err)
	assert.ErrorIs(t, f.Solve(make([]float64, 3), make([]float64, 2)), ErrDims)
	assert.ErrorIs(t, f.Solve(make([]float64, 2), []float64{1, math.NaN()}), ErrNaN)
	assert.ErrorIs(t, f.Solve(make([]float64, 2), []float64{1, math.Inf(1)}), ErrNaN)
	assert.ErrorIs(t, f.Refactor(nil), ErrInvalid)
	other, err := NewSymCSC(2, []int{0, 1, 2}, []int{0, 1}, []float64{2, -3})
	require.NoError(t, err)
	assert.ErrorIs(t, f.Refactor(other), ErrInvalid)
	three, err := NewSymCSC(3, []int{0, 1, 2, 3}, []int{0, 1, 2}, []float64{1, 1, 1})
	require.NoError(t, err)
	assert.ErrorIs(t, f.Refactor(three), ErrDims)
	// Overflow in the factorization: ErrNaN, then Solve refuses.
	big, err := NewSymCSC(2, []int{0, 1, 3}, []int{0, 0, 1}, []float64{1, 1e300, -1})
	require.NoError(t, err)
	g, err := NewLDL(big, []int8{1, -1}, nil)
	assert.ErrorIs(t, err, ErrNaN)
	require.NotNil(t, g)
	assert.ErrorIs(t, g.Solve(make([]float64, 2), []float64{1, 1}), ErrInvalid)
	// and a good Refactor recovers
	fine, err := NewSymCSC(2, []int{0, 1, 3}, []int{0, 0, 1}, []float64{1, 1, -1})
	require.NoError(t, err)
	require.NoError(t, g.Refactor(fine))
	require.NoError(t, g.Solve(make([]float64, 2), []float64{1, 1}))
}

func TestLDLParallelMatchesSequential(t *testing.T) {
	// Two disconnected grids give a tree with two balanced subtrees, then a
	// coupling row on top.
	g := grid(t, 60)
	cp, ri, _ := g.Upper().Raw()
	m := g.SymmetricDim()
	n := 2*m + 1
	var tr, tc []int
	var tv []float64
	rng := rand.New(rand.NewPCG(14, 6))
	for off := 0; off < 2*m; off += m {
		for j := 0; j < m; j++ {
			for p := cp[j]; p < cp[j+1]; p++ {
				x := -rng.Float64()
				if ri[p] == j {
					x = 8
				}
				tr, tc, tv = append(tr, ri[p]+off), append(tc, j+off), append(tv, x)
			}
		}
	}
	tr, tc, tv = append(tr, 0, m, n-1), append(tc, n-1, n-1, n-1), append(tv, 1, 1, -1)
	k, err := SymFromTriplets(n, tr, tc, tv, nil)
	require.NoError(t, err)
	signs := make([]int8, n)
	for i := range signs {
		signs[i] = 1
	}
	signs[n-1] = -1
	defer func(v, w float64) { minParallelFlops, snRowParallelFlops = v, w }(minParallelFlops, snRowParallelFlops)
	minParallelFlops = 1e6
	for _, c := range []struct {
		kern   int
		rowPar float64
		name   string
	}{{kernelUpLooking, 1e6, "up-looking"}, {kernelSupernodal, 1e6, "supernodal"}, {kernelSupernodal, 0, "supernodal, rows split"}} {
		snRowParallelFlops = c.rowPar
		seq, err := withKernel(t, c.kern, k, signs, nil)
		require.NoError(t, err)
		par, err := withKernel(t, c.kern, k, signs, &LDLSettings{Workers: 2})
		require.NoError(t, err)
		require.True(t, par.Stats().Parallel, "%s: the split should be found (flops %g)", c.name, par.Stats().Flops)
		if c.kern == kernelSupernodal {
			require.NotNil(t, par.sn.par, c.name)
		}
		for range 2 { // twice: stale marks of the first run must not matter
			require.NoError(t, par.Refactor(k))
			if c.rowPar > 0 {
				// the same operations in the same order
				assert.Equal(t, seq.d, par.d, c.name)
				assert.Equal(t, seq.lx, par.lx, c.name)
				if c.kern == kernelSupernodal {
					assert.Equal(t, seq.sn.x, par.sn.x, c.name)
				}
				continue
			}
			// Split rows group differently into the 3-row blocks of the
			// dense kernel: equal to rounding.
			for j, v := range seq.d {
				require.InDelta(t, v, par.d[j], 1e-13*math.Abs(v), c.name)
			}
			for q, v := range seq.sn.x {
				require.InDelta(t, v, par.sn.x[q], 1e-12*(1+math.Abs(v)), c.name)
			}
		}
	}
}
