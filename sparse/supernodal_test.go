package sparse

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withKernel runs NewLDL with the numeric kernel forced.
func withKernel(t testing.TB, kern int, k *SymCSC, signs []int8, s *LDLSettings) (*LDL, error) {
	t.Helper()
	defer func(old int) { ldlKernel = old }(ldlKernel)
	ldlKernel = kern
	return NewLDL(k, signs, s)
}

// withBlocking sets the amalgamation and chunking parameters for the
// duration of a test.
func withBlocking(t *testing.T, maxWidth int, relax [3]int, zeros [4]float64) {
	oldW, oldR, oldZ := snMaxWidth, snRelax, snZeros
	t.Cleanup(func() { snMaxWidth, snRelax, snZeros = oldW, oldR, oldZ })
	snMaxWidth, snRelax, snZeros = maxWidth, relax, zeros
}

// denseL returns the unit lower triangular L of the supernodal factors as
// an n×n row-major matrix.
func denseL(f *LDL) []float64 {
	n, sn := f.n, f.sn
	l := make([]float64, n*n)
	for s := 0; s < sn.ns; s++ {
		f0, w := sn.first[s], sn.first[s+1]-sn.first[s]
		rows := sn.ri[sn.rp[s]:sn.rp[s+1]]
		blk := sn.x[sn.xp[s]:sn.xp[s+1]]
		for i, r := range rows {
			for c := 0; c < w && f0+c <= r; c++ {
				l[r*n+f0+c] = blk[i*w+c]
			}
		}
	}
	return l
}

// agree factors k with both kernels (and with workers 0 and 2) and checks
// that the same pivots are replaced dynamically, the others agree to 1e-10
// relative (agreeTol: dtol, 0 for no check), and the refined solutions
// agree to 1e-10 relative, for a random right-hand side (agreeTol: b).
func agree(t *testing.T, rng *rand.Rand, k *SymCSC, signs []int8, set LDLSettings, name string) {
	t.Helper()
	agreeTol(t, k, signs, set, name, randVec(rng, k.SymmetricDim()), 1e-10, true)
}

// agreeTol is agree with the right-hand side b, the pivot tolerance dtol
// and, when !unique (a singular K, whose consistent systems have many
// solutions), small residuals of both solutions in place of equal ones.
func agreeTol(t *testing.T, k *SymCSC, signs []int8, set LDLSettings, name string, b []float64, dtol float64, unique bool) {
	t.Helper()
	n := k.SymmetricDim()
	up, err := withKernel(t, kernelUpLooking, k, signs, &set)
	require.NoError(t, err, name)
	require.Nil(t, up.sn)
	want := make([]float64, n)
	require.NoError(t, up.Solve(want, b), name)
	for _, w := range []int{0, 2} {
		set := set
		set.Workers = w
		sn, err := withKernel(t, kernelSupernodal, k, signs, &set)
		require.NoError(t, err, name)
		require.NotNil(t, sn.sn)
		assert.Equal(t, up.Perm(), sn.Perm(), name)
		assert.Equal(t, up.Stats().NNZL, sn.Stats().NNZL, name)
		// A pivot that is zero in exact arithmetic comes out as rounding
		// noise of the factorization's scale, whose sign decides the
		// DynamicTol test; such a pivot may be replaced by one kernel
		// only. Any other pivot must get the same decision.
		var scale float64
		for _, v := range up.d {
			scale = max(scale, math.Abs(v))
		}
		noise := 0
		for j := range up.d {
			reg := up.sign[j] * up.set.DynamicReg
			if (up.d[j] == reg) != (sn.d[j] == reg) {
				other := sn.d[j]
				if sn.d[j] == reg {
					other = up.d[j]
				}
				require.LessOrEqual(t, math.Abs(other), 1e-12*scale, "%s: pivot %d replaced by one kernel only", name, j)
				noise++
				continue
			}
			if dtol > 0 {
				require.InDelta(t, up.d[j], sn.d[j], dtol*math.Abs(up.d[j]), "%s: pivot %d", name, j)
			}
		}
		if noise == 0 {
			assert.Equal(t, up.Stats().Dynamic, sn.Stats().Dynamic, "%s: dynamic pivots", name)
		}
		got := make([]float64, n)
		require.NoError(t, sn.Solve(got, b), name)
		if unique {
			d, m := maxAbsDiff(got, want)
			assert.LessOrEqual(t, d, 1e-10*m, "%s workers %d: solutions differ", name, w)
		} else {
			tol := 1e-8 * (1 + normInf(b))
			assert.LessOrEqual(t, up.Stats().Residual, tol, name)
			assert.LessOrEqual(t, sn.Stats().Residual, tol, name)
		}
		p1, n1 := up.Inertia()
		p2, n2 := sn.Inertia()
		assert.Equal(t, [2]int{p1, n1}, [2]int{p2, n2}, name)
	}
}

func TestLDLSupernodalMatchesUpLooking(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 21))
	type blocking struct {
		maxW  int
		relax [3]int
		zeros [4]float64
	}
	for _, bl := range []blocking{
		{snMaxWidth, snRelax, snZeros},                     // the defaults
		{3, [3]int{0, 0, 0}, [4]float64{0, 0, 0, 0}},       // fundamental only, narrow chunks
		{1, [3]int{0, 0, 0}, [4]float64{}},                 // one column per supernode
		{1000, [3]int{64, 64, 64}, [4]float64{1, 1, 1, 1}}, // merge every chain
	} {
		withBlocking(t, bl.maxW, bl.relax, bl.zeros)
		for _, c := range []struct {
			n1, m   int
			density float64
		}{{3, 2, 0.5}, {10, 5, 0.3}, {40, 20, 0.1}, {80, 60, 0.05}, {150, 100, 0.02}, {60, 30, 0.8}, {200, 150, 0.03}} {
			for _, ord := range []Ordering{OrderAMD, OrderNatural} {
				k, signs := randomKKT(t, rng, c.n1, c.m, c.density, 1e-3)
				agree(t, rng, k, signs, LDLSettings{Ordering: ord}, "random KKT")
			}
		}
		// a diagonally dominant grid (a 2-D Laplacian's pattern)
		g := grid(t, 12)
		cp, ri, _ := g.Upper().Raw()
		vals := make([]float64, len(ri))
		for j := 0; j+1 < len(cp); j++ {
			for p := cp[j]; p < cp[j+1]; p++ {
				vals[p] = -rng.Float64()
				if ri[p] == j {
					vals[p] = 5
				}
			}
		}
		g, err := NewSymCSC(g.SymmetricDim(), cp, ri, vals)
		require.NoError(t, err)
		signs := make([]int8, g.SymmetricDim())
		for i := range signs {
			signs[i] = 1
		}
		agree(t, rng, g, signs, LDLSettings{}, "grid")
	}
}

// Reconstruction: P(K + εS)Pᵀ = L D Lᵀ to rounding, and the entries of the
// blocks outside the pattern of L (stored zeros of amalgamation) are 0.
func TestLDLSupernodalReconstructs(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 22))
	withBlocking(t, 5, [3]int{4, 16, 48}, [4]float64{0, 0.8, 0.5, 0.3})
	for _, c := range []struct {
		n1, m   int
		density float64
	}{{20, 10, 0.3}, {60, 40, 0.06}, {90, 30, 0.1}} {
		k, signs := randomKKT(t, rng, c.n1, c.m, c.density, 1e-2)
		n := k.SymmetricDim()
		f, err := withKernel(t, kernelSupernodal, k, signs, nil)
		require.NoError(t, err)
		up, err := withKernel(t, kernelUpLooking, k, signs, nil)
		require.NoError(t, err)
		l := denseL(f)
		inPattern := make([]bool, n*n)
		for j := 0; j < n; j++ {
			inPattern[j*n+j] = true
			for p := up.lp[j]; p < up.lp[j+1]; p++ {
				inPattern[up.li[p]*n+j] = true
			}
		}
		kd := k.Dense()
		for i := 0; i < n; i++ {
			for j := 0; j <= i; j++ {
				if !inPattern[i*n+j] {
					require.Zero(t, l[i*n+j], "entry (%d, %d) outside the pattern of L", i, j)
				}
				var s float64
				for c := 0; c <= j; c++ {
					s += l[i*n+c] * f.d[c] * l[j*n+c]
				}
				want := kd.At(f.perm[i], f.perm[j])
				if i == j {
					want += f.sign[i] * f.set.StaticReg
				}
				require.InDelta(t, want, s, 1e-12*(1+math.Abs(want)), "(%d, %d)", i, j)
			}
		}
		assert.Greater(t, f.sn.ns, 1)
		assert.Less(t, f.sn.ns, n, "some columns should share a supernode")
	}
}

// Dynamic regularization: singular LP KKT matrices (rank-deficient A, zero
// diagonal entries) without static regularization have zero pivots; both
// kernels replace the same ones. A replaced pivot (2e-7) amplifies the
// rounding differences of the two kernels' operation orders by up to its
// inverse, and some later pivots are small differences of O(1) terms, so
// only the replaced ones are compared, and the residuals of the solutions
// of a consistent system.
func TestLDLSupernodalDynamic(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 23))
	for trial := range 6 {
		n1, m := 30+10*trial, 15+5*trial
		var ri, ci []int
		var v []float64
		a := make([][]float64, m)
		for i := range a {
			a[i] = make([]float64, n1)
			for j := range a[i] {
				if i < m-2 && rng.Float64() < 0.15 {
					a[i][j] = rng.NormFloat64()
				}
			}
		}
		copy(a[m-1], a[0]) // rank deficient
		copy(a[m-2], a[1])
		for i := range a {
			for j, x := range a[i] {
				if x != 0 {
					ri, ci, v = append(ri, j), append(ci, n1+i), append(v, x)
				}
			}
		}
		for i := 0; i < n1+m; i++ {
			x := 0.0
			if i < n1 && i%3 == 0 {
				x = rng.Float64()
			}
			ri, ci, v = append(ri, i), append(ci, i), append(v, x)
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
		up, err := withKernel(t, kernelUpLooking, k, signs, &LDLSettings{StaticReg: -1})
		require.NoError(t, err)
		require.Positive(t, up.Stats().Dynamic)
		b := make([]float64, n1+m)
		require.NoError(t, k.MulVec(b, randVec(rng, n1+m)))
		agreeTol(t, k, signs, LDLSettings{StaticReg: -1}, "singular LP KKT", b, 0, false)
		agreeTol(t, k, signs, LDLSettings{}, "singular LP KKT, static", b, 0, false)
	}
}

// Overflow inside a supernode's block reaches a pivot: ErrNaN, and a good
// Refactor recovers.
func TestLDLSupernodalOverflow(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 24))
	k, signs := randomKKT(t, rng, 40, 20, 0.2, 1e-2)
	f, err := withKernel(t, kernelSupernodal, k, signs, nil)
	require.NoError(t, err)
	bad := k.Clone()
	cp, ri, vals := bad.Upper().Raw()
	for j := 0; j < 60; j++ {
		for p := cp[j]; p < cp[j+1]; p++ {
			if ri[p] != j {
				vals[p] = 1e300 // the pivot of the later column overflows
			}
		}
	}
	assert.ErrorIs(t, f.Refactor(bad), ErrNaN)
	assert.ErrorIs(t, f.Solve(make([]float64, 60), make([]float64, 60)), ErrInvalid)
	require.NoError(t, f.Refactor(k))
	x := make([]float64, 60)
	b := randVec(rng, 60)
	require.NoError(t, f.Solve(x, b))
	d, m := maxAbsDiff(x, denseSolve(t, k, b))
	assert.LessOrEqual(t, d, 1e-9*(1+m))
}

func TestLDLSupernodalRefactorAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 25))
	k, signs := randomKKT(t, rng, 120, 60, 0.05, 1e-2)
	defer func(v float64) { minParallelFlops = v }(minParallelFlops)
	minParallelFlops = 0
	for _, w := range []int{0, 2} {
		f, err := withKernel(t, kernelSupernodal, k, signs, &LDLSettings{Workers: w})
		require.NoError(t, err)
		b := randVec(rng, 180)
		x := make([]float64, 180)
		allocs := testing.AllocsPerRun(10, func() {
			if err := f.Refactor(k); err != nil {
				t.Fatal(err)
			}
			if err := f.Solve(x, b); err != nil {
				t.Fatal(err)
			}
		})
		if f.Stats().Parallel {
			assert.LessOrEqual(t, allocs, 4.0, "two goroutines")
		} else {
			assert.Zero(t, allocs)
		}
	}
}

// The row-parallel factorization of big supernodes (factorRows), forced on
// every supernode, with and without the subtree split, matches the
// up-looking kernel.
func TestLDLSupernodalRowParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 26))
	defer func(a, b float64) { minParallelFlops, snRowParallelFlops = a, b }(minParallelFlops, snRowParallelFlops)
	minParallelFlops, snRowParallelFlops = 0, 0
	for _, c := range []struct {
		n1, m   int
		density float64
	}{{10, 5, 0.3}, {80, 60, 0.05}, {150, 100, 0.02}, {60, 30, 0.8}} {
		k, signs := randomKKT(t, rng, c.n1, c.m, c.density, 1e-3)
		agree(t, rng, k, signs, LDLSettings{}, "row parallel")
		f, err := withKernel(t, kernelSupernodal, k, signs, &LDLSettings{Workers: 2})
		require.NoError(t, err)
		require.NotNil(t, f.sn.helper)
		for range 2 {
			require.NoError(t, f.Refactor(k))
			assert.True(t, f.Stats().Parallel)
		}
	}
}

// The postorder's relabeled elimination tree and column counts are those
// of the postordered matrix, and the order is a postorder.
func TestLDLPostorderRelabel(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 27))
	for _, ord := range []Ordering{OrderAMD, OrderNatural} {
		k, signs := randomKKT(t, rng, 120, 70, 0.04, 1e-2)
		f, err := NewLDL(k, signs, &LDLSettings{Ordering: ord})
		require.NoError(t, err)
		n := f.n
		cc := make([]int, n)
		for j := 0; j < n; j++ {
			cc[j] = f.lp[j+1] - f.lp[j]
		}
		parent := append([]int(nil), f.parent...)
		again := make([]int, n)
		f.pattern(again, true)
		assert.Equal(t, parent, f.parent)
		assert.Equal(t, cc, again)
		assert.Nil(t, postorder(f.parent), "already postordered")
		// in a postorder every subtree is a range ending at its root
		size := make([]int, n)
		for j := 0; j < n; j++ {
			size[j]++
			if p := f.parent[j]; p >= 0 {
				size[p] += size[j]
			}
		}
		for j := 0; j < n; j++ {
			if p := f.parent[j]; p >= 0 {
				require.GreaterOrEqual(t, j, p-size[p]+1)
			}
		}
	}
}
