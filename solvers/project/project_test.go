package project

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/qp"
)

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// makeSets returns every set in Rⁿ with random parameters and an
// independent certificate.
func makeSets(rng *rand.Rand, n int) []testSet {
	inf := math.Inf(1)
	lo := randVec(rng, n, 1)
	hi := make([]float64, n)
	for i := range hi {
		hi[i] = lo[i] + 0.1 + rng.Float64()
	}
	r := 0.5 + rng.Float64()
	a := randVec(rng, n, 1)
	b := rng.NormFloat64()
	w := randPositive(rng, n, 0.5, 2)
	// A value strictly inside [⟨w,l⟩, ⟨w,u⟩].
	wl, wu := floats.Dot(w, lo), floats.Dot(w, hi)
	c := wl + (0.2+0.6*rng.Float64())*(wu-wl)
	m := max(1, n/2)
	am := mat.NewDense(m, n, randVec(rng, m*n, 1))
	bm := randVec(rng, m, 1)
	aff, err := NewAffine(am, bm)
	if err != nil {
		panic(err)
	}
	halfBox := Box{Lower: []float64{-0.3}} // one-sided, broadcast
	// A polytope {Gx ≤ h, aᵀx = β} containing z0.
	mg := n + 3
	pg := mat.NewDense(mg, n, randVec(rng, mg*n, 1))
	z0 := randVec(rng, n, 0.3)
	ph := make([]float64, mg)
	for i := range mg {
		ph[i] = floats.Dot(pg.RawRowView(i), z0) + 0.2 + rng.Float64()
	}
	pa := mat.NewDense(1, n, randVec(rng, n, 1))
	pb := []float64{floats.Dot(pa.RawRowView(0), z0)}
	poly, err := NewPolyhedron(pg, ph, pa, pb, nil)
	if err != nil {
		panic(err)
	}
	sets := []testSet{
		{"NonNegative", NonNegative{}, boxCertificate(func(int) float64 { return 0 }, func(int) float64 { return inf }), 1},
		{"Box", Box{Lower: lo, Upper: hi}, boxCertificate(func(i int) float64 { return lo[i] }, func(i int) float64 { return hi[i] }), 2},
		{"Box/one-sided", halfBox, boxCertificate(func(int) float64 { return -0.3 }, func(int) float64 { return inf }), 1},
		{"LInfBall", LInfBall{Radius: r}, boxCertificate(func(int) float64 { return -r }, func(int) float64 { return r }), 1.5},
		{"L2Ball", L2Ball{Radius: r}, func(x, y []float64) float64 {
			g := make([]float64, len(x))
			floats.SubTo(g, y, x)
			// σ(g) = r‖g‖ ≤ ⟨g, x⟩.
			return max(floats.Norm(x, 2)-r, r*floats.Norm(g, 2)-floats.Dot(g, x))
		}, 1},
		{"Hyperplane", Hyperplane{Normal: a, Offset: b}, func(x, y []float64) float64 {
			// ⟨a, x⟩ = b and y − x parallel to a.
			g := make([]float64, len(x))
			floats.SubTo(g, y, x)
			cos := math.Abs(floats.Dot(g, a)) / (floats.Norm(g, 2)*floats.Norm(a, 2) + 1e-300)
			return max(math.Abs(floats.Dot(a, x)-b), math.Min(1-cos, floats.Norm(g, 2)))
		}, 1},
		{"Halfspace", Halfspace{Normal: a, Offset: b}, func(x, y []float64) float64 {
			g := make([]float64, len(x))
			floats.SubTo(g, y, x)
			viol := floats.Dot(a, x) - b
			if floats.Norm(g, 2) == 0 {
				return viol
			}
			// y − x = λa with λ ≥ 0 and the constraint active.
			lambda := floats.Dot(g, a) / floats.Dot(a, a)
			res := make([]float64, len(x))
			floats.AddScaledTo(res, g, -lambda, a)
			return max(viol, floats.Norm(res, 2), -lambda, math.Abs(floats.Dot(a, x)-b))
		}, 1},
		{"Simplex", Simplex{Radius: r}, vertexCertificate(func(x []float64) float64 {
			return max(-floats.Min(x), math.Abs(floats.Sum(x)-r))
		}, func(n int) [][]float64 {
			var vs [][]float64
			for i := range n {
				v := make([]float64, n)
				v[i] = r
				vs = append(vs, v)
			}
			return vs
		}), 1},
		{"L1Ball", L1Ball{Radius: r}, vertexCertificate(func(x []float64) float64 {
			return floats.Norm(x, 1) - r
		}, func(n int) [][]float64 {
			var vs [][]float64
			for i := range n {
				for _, s := range []float64{-r, r} {
					v := make([]float64, n)
					v[i] = s
					vs = append(vs, v)
				}
			}
			return vs
		}), 1},
		{"BoxSection", BoxSection{Lower: lo, Upper: hi, Weights: w, Value: c}, func(x, y []float64) float64 {
			if n > 7 {
				return max(-floats.Min(floats.SubTo(make([]float64, n), x, lo)),
					-floats.Min(floats.SubTo(make([]float64, n), hi, x)), math.Abs(floats.Dot(w, x)-c))
			}
			want := bruteBoxSection(y, lo, hi, w, c)
			return floats.Distance(x, want, math.Inf(1))
		}, 2},
		{"CappedSimplex", CappedSimplex(0.4, 1), func(x, y []float64) float64 {
			if n > 7 {
				return 0
			}
			l, u, ww := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range n {
				u[i], ww[i] = 0.4, 1
			}
			return floats.Distance(x, bruteBoxSection(y, l, u, ww, 1), math.Inf(1))
		}, 1},
		{"Affine", aff, func(x, y []float64) float64 {
			// Ax = b and y − x in the row space of A: y − x = Aᵀλ.
			ax := mat.NewVecDense(m, nil)
			ax.MulVec(am, mat.NewVecDense(n, x))
			ax.SubVec(ax, mat.NewVecDense(m, bm))
			g := mat.NewVecDense(n, nil)
			g.SubVec(mat.NewVecDense(n, y), mat.NewVecDense(n, x))
			var lambda mat.VecDense
			if err := lambda.SolveVec(am.T(), g); err != nil {
				return math.Inf(1)
			}
			var fit mat.VecDense
			fit.MulVec(am.T(), &lambda)
			fit.SubVec(&fit, g)
			return max(mat.Norm(ax, math.Inf(1)), mat.Norm(&fit, math.Inf(1)))
		}, 1},
		{"Polyhedron", poly, func(x, y []float64) float64 {
			// Feasibility, and agreement with the raw interior-point
			// solution (an independent algorithm) to its accuracy.
			viol := math.Abs(floats.Dot(pa.RawRowView(0), x) - pb[0])
			for i := range mg {
				viol = max(viol, floats.Dot(pg.RawRowView(i), x)-ph[i])
			}
			sol, err := qp.Solve(context.Background(), &qp.Problem{Q: mat.NewDiagDense(n, ones(n)),
				P: floats.ScaleTo(make([]float64, n), -1, y), A: pa, B: pb, G: pg, H: ph}, nil)
			if err != nil {
				return math.Inf(1)
			}
			return max(viol, floats.Distance(x, sol.X, math.Inf(1))-1e-6)
		}, 1.5},
		{"L2Sphere", L2Sphere{Radius: r}, func(x, y []float64) float64 {
			// ‖x‖ = r and x = λy with λ > 0.
			cos := floats.Dot(x, y) / (floats.Norm(x, 2) * floats.Norm(y, 2))
			return max(math.Abs(floats.Norm(x, 2)-r), 1-cos)
		}, 1},
		{"L1Sphere", L1Sphere{Radius: r}, func(x, y []float64) float64 {
			if n > 7 {
				return math.Abs(floats.Norm(x, 1) - r)
			}
			return floats.Distance(x, bruteL1Sphere(y, r), math.Inf(1))
		}, 0.5},
		{"SparseSimplex", SparseSimplex{Radius: r, K: max(1, n/2)}, func(x, y []float64) float64 {
			if n > 7 {
				return math.Abs(floats.Sum(x) - r)
			}
			return floats.Distance(x, bruteSparseSimplex(y, r, max(1, n/2)), math.Inf(1))
		}, 1},
	}
	// The transport polytope on m×k matrices, m·k = n, checked against the
	// interior point of package qp on the same projection QP.
	tm := 1
	for d := 1; d*d <= n; d++ {
		if n%d == 0 {
			tm = d
		}
	}
	tk := n / tm
	ra, cb := randPositive(rng, tm, 0.5, 1.5), randPositive(rng, tk, 0.5, 1.5)
	floats.Scale(floats.Sum(ra)/floats.Sum(cb), cb)
	sets = append(sets, testSet{"Transport", Transport{Rows: ra, Cols: cb}, func(x, y []float64) float64 {
		am := mat.NewDense(tm+tk, n, nil)
		for i := range tm {
			for j := range tk {
				am.Set(i, i*tk+j, 1)
				am.Set(tm+j, i*tk+j, 1)
			}
		}
		negI := mat.NewDense(n, n, nil)
		for i := range n {
			negI.Set(i, i, -1)
		}
		sol, err := qp.Solve(context.Background(), &qp.Problem{Q: mat.NewDiagDense(n, ones(n)),
			P: floats.ScaleTo(make([]float64, n), -1, y), A: am, B: append(slices.Clone(ra), cb...),
			G: negI, H: make([]float64, n)}, nil)
		if err != nil {
			return math.Inf(1)
		}
		return floats.Distance(x, sol.X, math.Inf(1)) - 1e-6
	}, 1})
	// CappedSimplex(0.4, 1) is empty for n < 3.
	if n < 3 {
		sets = slices.DeleteFunc(sets, func(s testSet) bool { return s.name == "CappedSimplex" })
	}
	return sets
}

// Every projection satisfies an optimality certificate computed without
// the package's algorithms (brute-force enumeration for the box section,
// vertex checks for the simplex and l1 ball, support functions for boxes
// and balls, least-squares multipliers for the affine sets).
func TestProjectCertificates(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 5, 7, 20} {
		for trial := range 6 {
			for _, ts := range makeSets(rng, n) {
				scale := ts.scale * []float64{0.3, 1, 3, 10, 1, 2}[trial]
				y := randVec(rng, n, scale)
				x := make([]float64, n)
				require.NoError(t, ts.set.Project(x, y), ts.name)
				assert.LessOrEqual(t, ts.certify(x, y), 1e-9*max(1, scale), "%s n=%d trial=%d y=%v x=%v", ts.name, n, trial, y, x)
				// Projection is idempotent.
				xx := make([]float64, n)
				require.NoError(t, ts.set.Project(xx, x))
				assert.InDeltaSlice(t, x, xx, 1e-9*max(1, scale), ts.name)
				// Aliasing dst and y.
				alias := slices.Clone(y)
				require.NoError(t, ts.set.Project(alias, alias))
				assert.Equal(t, x, alias, ts.name)
			}
		}
	}
}

// Condat's algorithm against the sort-based method on hard inputs: ties,
// huge and tiny scales, all-equal vectors, one dominant coordinate.
func TestSimplexAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := [][]float64{
		{0}, {5}, {-5}, {1, 1, 1, 1}, {0, 0, 0}, {1e6, -1e6, 0}, {1e-12, 2e-12, -1e-12},
		{3, 3, -1, 3, 0.5}, {-1, -2, -3},
	}
	for range 50 {
		n := 1 + rng.IntN(2000)
		y := randVec(rng, n, math.Pow(10, float64(rng.IntN(8)-3)))
		if rng.IntN(3) == 0 { // ties
			for i := range y {
				y[i] = math.Round(y[i])
			}
		}
		if rng.IntN(4) == 0 { // sorted input: the worst case of the first pass
			slices.Sort(y)
		}
		cases = append(cases, y)
	}
	for k, y := range cases {
		for _, r := range []float64{1e-3, 1, 7.5} {
			x := make([]float64, len(y))
			require.NoError(t, Simplex{Radius: r}.Project(x, y))
			want := sortSimplex(y, r)
			scale := max(1, floats.Norm(y, math.Inf(1)))
			assert.InDeltaSlice(t, want, x, 1e-12*scale*float64(len(y)), "case %d r=%v", k, r)
			assert.InDelta(t, r, floats.Sum(x), 1e-11*scale*float64(len(y)), "case %d r=%v sum", k, r)
			assert.GreaterOrEqual(t, floats.Min(x), 0.0)
		}
	}
}

// The closed-form JVP against central differences at random points away
// from the kinks, and VJP against the transpose of JVP (which equals it).
func TestJacobianFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	checked := map[string]int{}
	for _, n := range []int{1, 2, 4, 7} {
		for trial := range 8 {
			for _, ts := range makeSets(rng, n) {
				y := randVec(rng, n, ts.scale*[]float64{0.5, 1, 2, 4}[trial%4])
				if nearKink(t, ts.set, y, 1e-4) {
					continue
				}
				x := make([]float64, n)
				require.NoError(t, ts.set.Project(x, y))
				j := denseJacobian(t, ts.set, x, y, false)
				jt := denseJacobian(t, ts.set, x, y, true)
				want := fdJacobian(t, ts.set, y)
				assert.True(t, mat.EqualApprox(j, want, 1e-7), "%s n=%d\nJ=%v\nFD=%v", ts.name, n,
					mat.Formatted(j), mat.Formatted(want))
				assert.True(t, mat.EqualApprox(j, jt, 1e-14), "%s VJP is not the transpose of JVP", ts.name)
				// Linearity with a random signed tangent, then aliasing.
				v := randVec(rng, n, 1)
				dv := make([]float64, n)
				require.NoError(t, ts.set.JVP(dv, x, y, v))
				jv := mat.NewVecDense(n, nil)
				jv.MulVec(j, mat.NewVecDense(n, v))
				assert.InDeltaSlice(t, jv.RawVector().Data, dv, 1e-12, "%s JVP linearity", ts.name)
				require.NoError(t, ts.set.JVP(v, x, y, v))
				assert.Equal(t, dv, v, ts.name)
				checked[ts.name]++
			}
		}
	}
	// Make sure the test is not vacuous: every set was checked many times.
	for _, ts := range makeSets(rng, 4) {
		assert.GreaterOrEqual(t, checked[ts.name], 10, ts.name)
	}
}

// At points where the projection is active (outside the set), the
// derivative is not the identity: catches a Jacobian that ignores the
// constraint and passes FD only at interior points.
func TestJacobianActive(t *testing.T) {
	y := []float64{2, 0.5, -1.1, 0.15}
	x := make([]float64, 4)
	for _, s := range []Set{Simplex{Radius: 1}, L1Ball{Radius: 1}, L2Ball{Radius: 1}, CappedSimplex(0.7, 1)} {
		require.NoError(t, s.Project(x, y))
		j := denseJacobian(t, s, x, y, false)
		assert.False(t, mat.EqualApprox(j, eye(4), 1e-3), "%T", s)
		assert.True(t, mat.EqualApprox(j, fdJacobian(t, s, y), 1e-7), "%T", s)
	}
	// Hand-computed: at y = (2, 0.5, −1.1, 0.15) the support is {0} with
	// τ = 1 for r = 1, and {0, 1} with τ = (2.5 − 2)/2 = 0.25 for r = 2.
	require.NoError(t, Simplex{Radius: 1}.Project(x, y))
	assert.Equal(t, []float64{1, 0, 0, 0}, x)
	require.NoError(t, Simplex{Radius: 2}.Project(x, y))
	assert.InDeltaSlice(t, []float64{1.75, 0.25, 0, 0}, x, 1e-15)
	j := denseJacobian(t, Simplex{Radius: 2}, x, y, false)
	want := mat.NewDense(4, 4, []float64{0.5, -0.5, 0, 0, -0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	assert.True(t, mat.EqualApprox(j, want, 1e-15))
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := range n {
		m.Set(i, i, 1)
	}
	return m
}

// The engine on the fixed-point condition, the closed forms and central
// differences agree.
func TestConditionEngine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	checked := 0
	for _, n := range []int{3, 6} {
		for trial := range 4 {
			for _, ts := range makeSets(rng, n) {
				y := randVec(rng, n, ts.scale*[]float64{0.5, 1, 2, 4}[trial])
				if nearKink(t, ts.set, y, 1e-3) {
					continue
				}
				x := make([]float64, n)
				require.NoError(t, ts.set.Project(x, y))
				for _, eta := range []float64{0.5, 1, 1.5} {
					if eta > 1 && slices.Contains([]string{"L2Sphere", "L1Sphere", "SparseSimplex"}, ts.name) {
						continue // non-convex sets: fixed point only for η ≤ 1
					}
					c, err := Condition(ts.set, n, eta)
					require.NoError(t, err)
					res := make([]float64, n)
					c.Residual(res, x, y)
					assert.Less(t, floats.Norm(res, math.Inf(1)), 1e-12, "%s residual", ts.name)
					chk, err := implicit.Check(c, x, y, nil)
					require.NoError(t, err)
					assert.Less(t, chk.Worst(), 1e-6, "%s eta=%v check %+v", ts.name, eta, chk)

					v := randVec(rng, n, 1)
					got, err := implicit.JVP(context.Background(), c, x, y, v, nil)
					require.NoError(t, err, ts.name)
					want := make([]float64, n)
					require.NoError(t, ts.set.JVP(want, x, y, v))
					assert.InDeltaSlice(t, want, got, 1e-10, "%s eta=%v JVP", ts.name, eta)
					got, err = implicit.VJP(context.Background(), c, x, y, v, nil)
					require.NoError(t, err, ts.name)
					require.NoError(t, ts.set.VJP(want, x, y, v))
					assert.InDeltaSlice(t, want, got, 1e-10, "%s eta=%v VJP", ts.name, eta)
					// And the finite-difference Jacobian of Project.
					fdj := fdJacobian(t, ts.set, y)
					fdv := mat.NewVecDense(n, nil)
					fdv.MulVec(fdj, mat.NewVecDense(n, v))
					jv, err := implicit.JVP(context.Background(), c, x, y, v, nil)
					require.NoError(t, err)
					assert.InDeltaSlice(t, fdv.RawVector().Data, jv, 1e-7, "%s eta=%v FD", ts.name, eta)
				}
				checked++
			}
		}
	}
	assert.Greater(t, checked, 40)
}

// Affine sets with rank-deficient A and inconsistent b.
func TestAffine(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 6
	a := mat.NewDense(3, n, randVec(rng, 3*n, 1))
	// Row 2 = row 0 + row 1: rank 2.
	for j := range n {
		a.Set(2, j, a.At(0, j)+a.At(1, j))
	}
	x0 := randVec(rng, n, 1)
	b := mat.NewVecDense(3, nil)
	b.MulVec(a, mat.NewVecDense(n, x0))
	aff, err := NewAffine(a, b.RawVector().Data)
	require.NoError(t, err)
	assert.Equal(t, 2, aff.Rank())
	assert.Equal(t, n, aff.Dim())
	y := randVec(rng, n, 2)
	x := make([]float64, n)
	require.NoError(t, aff.Project(x, y))
	ax := mat.NewVecDense(3, nil)
	ax.MulVec(a, mat.NewVecDense(n, x))
	assert.InDeltaSlice(t, b.RawVector().Data, ax.RawVector().Data, 1e-12)
	// Against the full-rank formula on the first two rows.
	a2 := a.Slice(0, 2, 0, n)
	var aat mat.Dense
	aat.Mul(a2, a2.T())
	r := mat.NewVecDense(2, nil)
	r.MulVec(a2, mat.NewVecDense(n, y))
	r.SubVec(r, mat.NewVecDense(2, b.RawVector().Data[:2]))
	var lam, corr mat.VecDense
	require.NoError(t, lam.SolveVec(&aat, r))
	corr.MulVec(a2.T(), &lam)
	want := make([]float64, n)
	floats.SubTo(want, y, corr.RawVector().Data)
	assert.InDeltaSlice(t, want, x, 1e-12)

	bad := slices.Clone(b.RawVector().Data)
	bad[2] += 1
	_, err = NewAffine(a, bad)
	assert.ErrorIs(t, err, ErrInfeasible)
	_, err = NewAffine(mat.NewDense(2, 3, nil), []float64{0, 1})
	assert.ErrorIs(t, err, ErrInfeasible)
	zero, err := NewAffine(mat.NewDense(2, 3, nil), []float64{0, 0})
	require.NoError(t, err)
	require.NoError(t, zero.Project(x[:3], y[:3]))
	assert.Equal(t, y[:3], x[:3])
	_, err = NewAffine(a, []float64{1})
	assert.ErrorIs(t, err, ErrDims)
	a.Set(0, 0, math.NaN())
	_, err = NewAffine(a, b.RawVector().Data)
	assert.ErrorIs(t, err, ErrNaN)
	var empty Affine
	assert.ErrorIs(t, empty.Project(x, y), ErrInvalid)
}

func TestBadInput(t *testing.T) {
	y := []float64{1, 2, 3}
	dst := make([]float64, 3)
	nan := []float64{1, math.NaN(), 3}
	inf := []float64{1, math.Inf(-1), 3}
	aff, err := NewAffine(mat.NewDense(1, 3, []float64{1, 1, 1}), []float64{1})
	require.NoError(t, err)
	good := []Set{NonNegative{}, Box{Lower: []float64{0}, Upper: []float64{1}}, LInfBall{1}, L2Ball{1},
		Hyperplane{[]float64{1, 0, 0}, 1}, Halfspace{[]float64{1, 0, 0}, 1}, Simplex{1}, L1Ball{1},
		CappedSimplex(0.5, 1), aff, L2Sphere{1}, L1Sphere{1}, SparseSimplex{1, 2},
		Transport{Rows: []float64{1}, Cols: []float64{0.2, 0.3, 0.5}}}
	for _, s := range good {
		assert.ErrorIs(t, s.Project(dst, nan), ErrNaN, "%T", s)
		assert.ErrorIs(t, s.Project(dst, inf), ErrNaN, "%T", s)
		assert.ErrorIs(t, s.Project(dst[:2], y), ErrDims, "%T", s)
		assert.ErrorIs(t, s.Project(nil, nil), ErrDims, "%T", s)
		require.NoError(t, s.Project(dst, y))
		assert.ErrorIs(t, s.JVP(make([]float64, 3), dst, y, nan), ErrNaN, "%T", s)
		assert.ErrorIs(t, s.VJP(make([]float64, 3), dst, y, []float64{1}), ErrDims, "%T", s)
	}
	bad := []struct {
		set Set
		err error
	}{
		{Box{Lower: []float64{1}, Upper: []float64{0}}, ErrInfeasible},
		{Box{Lower: []float64{0, 0}}, ErrDims},
		{Box{Upper: []float64{math.NaN()}}, ErrNaN},
		{LInfBall{0}, ErrInvalid},
		{L2Ball{-1}, ErrInvalid},
		{L2Ball{math.Inf(1)}, ErrNaN},
		{Simplex{0}, ErrInvalid},
		{Simplex{math.NaN()}, ErrNaN},
		{L1Ball{-2}, ErrInvalid},
		{Hyperplane{[]float64{0, 0, 0}, 1}, ErrInvalid},
		{Hyperplane{[]float64{1, 0}, 1}, ErrDims},
		{Halfspace{[]float64{1, 0, 0}, math.NaN()}, ErrNaN},
		{CappedSimplex(0.2, 1), ErrInfeasible},
		{CappedSimplex(1, -1), ErrInfeasible},
		{BoxSection{Lower: []float64{0}, Value: 1}, ErrInvalid},
		{BoxSection{Lower: []float64{0}, Upper: []float64{1}, Weights: []float64{0}, Value: 1}, ErrInvalid},
		{BoxSection{Lower: []float64{0}, Upper: []float64{1}, Weights: []float64{1, 1}, Value: 1}, ErrDims},
		{BoxSection{Lower: []float64{0}, Upper: []float64{math.Inf(1)}, Value: 1}, ErrNaN},
		{SparseSimplex{1, 0}, ErrInvalid},
		{Transport{Rows: []float64{1}, Cols: []float64{0.2, 0.3, 0.6}}, ErrInfeasible},
		{Transport{Rows: []float64{1}, Cols: []float64{-0.2, 0.6, 0.6}}, ErrInvalid},
		{Transport{Rows: []float64{1, 0}, Cols: []float64{0.5, 0.5}}, ErrDims},
		{Transport{Rows: []float64{1}, Cols: []float64{0.5, math.NaN(), 0.5}}, ErrNaN},
		{SparseSimplex{-1, 2}, ErrInvalid},
		{L2Sphere{0}, ErrInvalid},
		{L1Sphere{math.NaN()}, ErrNaN},
	}
	for _, c := range bad {
		assert.ErrorIs(t, c.set.Project(dst, y), c.err, "%#v", c.set)
		assert.ErrorIs(t, c.set.JVP(dst, y, y, y), c.err, "%#v", c.set)
	}
}

// Coordinates of huge magnitude do not overflow the balls and hyperplanes.
func TestLargeScale(t *testing.T) {
	y := []float64{1e300, -1e300, 3e299}
	x := make([]float64, 3)
	for _, s := range []Set{L2Ball{1}, Hyperplane{[]float64{1e300, 1e300, 0}, 0}, Simplex{1}, L1Ball{1}} {
		require.NoError(t, s.Project(x, y), "%T", s)
		assert.True(t, finite(x), "%T: %v", s, x)
	}
	require.NoError(t, L2Ball{1}.Project(x, y))
	assert.InDelta(t, 1, floats.Norm(x, 2), 1e-15)
	// Dominant coordinates are projected exactly.
	require.NoError(t, Simplex{1}.Project(x, y))
	assert.Equal(t, []float64{1, 0, 0}, x)
	require.NoError(t, L1Ball{2}.Project(x, y))
	assert.Equal(t, []float64{1, -1, 0}, x)
}

// The scalar fast path of the box section (capped simplex) and the general
// path give the same projection.
func TestBoxSectionScalarPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for trial := range 200 {
		n := 1 + rng.IntN(300)
		y := randVec(rng, n, math.Pow(10, float64(rng.IntN(5)-2)))
		if trial%3 == 0 {
			for i := range y {
				y[i] = math.Round(y[i]) // ties
			}
		}
		l := -rng.Float64()
		u := l + rng.Float64()*2
		c := float64(n) * (l + (u-l)*rng.Float64())
		fast := BoxSection{Lower: []float64{l}, Upper: []float64{u}, Value: c}
		general := BoxSection{Lower: []float64{l}, Upper: []float64{u}, Weights: []float64{1}, Value: c}
		x1, x2 := make([]float64, n), make([]float64, n)
		require.NoError(t, fast.Project(x1, y))
		require.NoError(t, general.Project(x2, y))
		assert.InDeltaSlice(t, x2, x1, 1e-12*max(1, math.Abs(c)), "trial %d", trial)
		assert.InDelta(t, c, floats.Sum(x1), 1e-10*max(1, math.Abs(c)), "trial %d sum", trial)
	}
}

// Transport: zero marginals, machine-precision marginals on larger sizes.
func TestTransport(t *testing.T) {
	x := make([]float64, 4)
	require.NoError(t, Transport{Rows: []float64{0, 1}, Cols: []float64{0.5, 0.5}}.Project(x, []float64{3, -1, 0.2, 0.1}))
	assert.InDeltaSlice(t, []float64{0, 0, 0.5, 0.5}, x, 1e-15)
	rng := rand.New(rand.NewPCG(71, 72))
	for _, sz := range [][2]int{{30, 40}, {60, 5}} {
		m, k := sz[0], sz[1]
		a, b := randPositive(rng, m, 0.5, 1.5), randPositive(rng, k, 0.5, 1.5)
		floats.Scale(floats.Sum(a)/floats.Sum(b), b)
		tr := Transport{Rows: a, Cols: b}
		y := randVec(rng, m*k, 1)
		p := make([]float64, m*k)
		require.NoError(t, tr.Project(p, y))
		for i := range m {
			assert.InDelta(t, a[i], floats.Sum(p[i*k:(i+1)*k]), 1e-13)
		}
		for j := range k {
			s := 0.0
			for i := range m {
				s += p[i*k+j]
			}
			assert.InDelta(t, b[j], s, 1e-13)
		}
		assert.GreaterOrEqual(t, floats.Min(p), 0.0)
		// Optimality: Pᵢⱼ = max(Yᵢⱼ + αᵢ + βⱼ, 0) for some α, β, i.e. the
		// projection is a fixed point, and the JVP keeps the marginals.
		v := randVec(rng, m*k, 1)
		jv := make([]float64, m*k)
		require.NoError(t, tr.JVP(jv, p, y, v))
		for i := range m {
			assert.InDelta(t, 0, floats.Sum(jv[i*k:(i+1)*k]), 1e-10)
		}
		pp := make([]float64, m*k)
		require.NoError(t, tr.Project(pp, p))
		assert.InDeltaSlice(t, p, pp, 1e-12)
	}
}
