package isotonic

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

// bruteIsotonic enumerates the 2ⁿ⁻¹ partitions of 0..n-1 into
// consecutive blocks, sets each block to the value that minimizes its own
// objective (blockValue), keeps the monotone candidates and returns the
// best. The optimum of an isotonic problem is one of these candidates.
func bruteIsotonic(n int, blockValue func(a, b int) float64, objective func(v []float64) float64, decreasing bool) []float64 {
	best := math.Inf(1)
	var bestV []float64
	v := make([]float64, n)
	for mask := 0; mask < 1<<(n-1); mask++ {
		a := 0
		for i := 1; i <= n; i++ {
			if i == n || mask&(1<<(i-1)) != 0 {
				val := blockValue(a, i)
				for k := a; k < i; k++ {
					v[k] = val
				}
				a = i
			}
		}
		ok := true
		for i := 1; i < n; i++ {
			if (decreasing && v[i] > v[i-1]+1e-12) || (!decreasing && v[i] < v[i-1]-1e-12) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		if f := objective(v); f < best {
			best, bestV = f, append([]float64(nil), v...)
		}
	}
	return bestV
}

func TestRegressionBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + trial%9
		y := randVec(rng, n, 1)
		if trial%3 == 0 { // mostly sorted inputs have long blocks too
			for i := range y {
				y[i] += 0.3 * float64(i)
			}
		}
		var w []float64
		if trial%2 == 1 {
			w = make([]float64, n)
			for i := range w {
				w[i] = 0.1 + rng.Float64()*3
			}
		}
		wt := func(i int) float64 {
			if w == nil {
				return 1
			}
			return w[i]
		}
		for _, dec := range []bool{false, true} {
			got := make([]float64, n)
			sol, err := Regression(got, y, w, dec)
			require.NoError(t, err)
			want := bruteIsotonic(n, func(a, b int) float64 {
				var s, sw float64
				for i := a; i < b; i++ {
					s += wt(i) * y[i]
					sw += wt(i)
				}
				return s / sw
			}, func(v []float64) float64 {
				var f float64
				for i := range v {
					f += wt(i) * (v[i] - y[i]) * (v[i] - y[i])
				}
				return f
			}, dec)
			require.NotNil(t, want)
			assert.InDeltaSlice(t, want, got, 1e-12, "trial %d dec %v", trial, dec)
			assert.Equal(t, n, sol.Len())
		}
	}
}

func TestRegressionKLBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 1 + trial%9
		s, w := randVec(rng, n, 1.5), randVec(rng, n, 1.5)
		got := make([]float64, n)
		_, err := RegressionKL(got, s, w)
		require.NoError(t, err)
		want := bruteIsotonic(n, func(a, b int) float64 {
			var es, ew float64
			for i := a; i < b; i++ {
				es += math.Exp(s[i])
				ew += math.Exp(w[i])
			}
			return math.Log(es) - math.Log(ew)
		}, func(v []float64) float64 {
			var f float64
			for i := range v {
				f += math.Exp(s[i]-v[i]) + math.Exp(w[i])*v[i]
			}
			return f
		}, true)
		assert.InDeltaSlice(t, want, got, 1e-12, "trial %d", trial)
	}
}

func TestRegressionDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 20 {
		n := 3 + trial%12
		y := randVec(rng, n, 1)
		w := make([]float64, n)
		for i := range w {
			w[i] = 0.2 + rng.Float64()
		}
		dec := trial%2 == 0
		v := make([]float64, n)
		sol, err := Regression(v, y, w, dec)
		require.NoError(t, err)
		jac := mat.NewDense(n, n, nil)
		fd.Jacobian(jac, func(dst, yy []float64) {
			_, err := Regression(dst, yy, w, dec)
			require.NoError(t, err)
		}, y, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
		checkOpAgainst(t, jac, func(dst, d []float64) { require.NoError(t, sol.JVP(dst, d)) },
			func(dst, g []float64) { require.NoError(t, sol.VJP(dst, g)) }, rng, 1e-7)
	}
}

func TestRegressionKLDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 20 {
		n := 3 + trial%12
		s, w := randVec(rng, n, 1), randVec(rng, n, 1)
		v := make([]float64, n)
		sol, err := RegressionKL(v, s, w)
		require.NoError(t, err)
		js, jw := mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)
		fd.Jacobian(js, func(dst, ss []float64) { _, err := RegressionKL(dst, ss, w); require.NoError(t, err) }, s,
			&fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
		fd.Jacobian(jw, func(dst, ww []float64) { _, err := RegressionKL(dst, s, ww); require.NoError(t, err) }, w,
			&fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
		checkOpAgainst(t, js, func(dst, d []float64) { require.NoError(t, sol.Tangent(dst, d, nil)) },
			func(dst, g []float64) { require.NoError(t, sol.Backward(dst, nil, g)) }, rng, 1e-7)
		checkOpAgainst(t, jw, func(dst, d []float64) { require.NoError(t, sol.Tangent(dst, nil, d)) },
			func(dst, g []float64) { require.NoError(t, sol.Backward(nil, dst, g)) }, rng, 1e-7)
	}
}

// checkOpAgainst compares a JVP and a VJP with a reference Jacobian on
// random directions and on every basis vector.
func checkOpAgainst(t *testing.T, jac *mat.Dense, jvp, vjp func(dst, v []float64), rng *rand.Rand, tol float64) {
	t.Helper()
	r, c := jac.Dims()
	for trial := range 3 {
		d := randVec(rng, c, 1)
		got := make([]float64, r)
		jvp(got, d)
		want := make([]float64, r)
		mat.NewVecDense(r, want).MulVec(jac, mat.NewVecDense(c, d))
		assert.InDeltaSlice(t, want, got, tol, "JVP trial %d", trial)
		g := randVec(rng, r, 1)
		gotT := make([]float64, c)
		vjp(gotT, g)
		wantT := make([]float64, c)
		mat.NewVecDense(c, wantT).MulVec(jac.T(), mat.NewVecDense(r, g))
		assert.InDeltaSlice(t, wantT, gotT, tol, "VJP trial %d", trial)
	}
}

// permutations calls f on every permutation of 0..n-1 (Heap's algorithm).
func permutations(n int, f func(p []int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	c := make([]int, n)
	f(p)
	for i := 0; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				p[0], p[i] = p[i], p[0]
			} else {
				p[c[i]], p[i] = p[i], p[c[i]]
			}
			f(p)
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
}

// inPermutahedron checks μ ∈ P(w) by Rado's characterization: equal sums
// and, for every subset S, Σ_S μ ≤ sum of the |S| largest w.
func inPermutahedron(t *testing.T, mu, w []float64, tol float64) {
	t.Helper()
	n := len(w)
	ws := append([]float64(nil), w...)
	for i := range ws { // sort descending
		for j := i + 1; j < n; j++ {
			if ws[j] > ws[i] {
				ws[i], ws[j] = ws[j], ws[i]
			}
		}
	}
	top := make([]float64, n+1)
	for k := range n {
		top[k+1] = top[k] + ws[k]
	}
	var smu float64
	for _, m := range mu {
		smu += m
	}
	require.InDelta(t, top[n], smu, tol, "sum")
	for mask := 1; mask < 1<<n; mask++ {
		var s float64
		k := 0
		for i := range n {
			if mask&(1<<i) != 0 {
				s += mu[i]
				k++
			}
		}
		require.LessOrEqual(t, s, top[k]+tol, "subset %b", mask)
	}
}

// TestProjectBruteForce certifies the projection for small n by
// exhaustive checks: membership in P(w) (all 2ⁿ subset inequalities) and
// the variational inequality ⟨∇, y − μ⟩ ≥ 0 at every vertex y (all n!
// permutations of w), which characterizes the minimizer over the hull.
func TestProjectBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 60 {
		n := 1 + trial%6
		z, w := randVec(rng, n, 2), randVec(rng, n, 1)
		if trial%5 == 0 {
			w[0] = w[n-1] // repeated weights
		}
		for _, reg := range []Regularization{L2, KL} {
			out := make([]float64, n)
			_, err := Project(out, z, w, reg)
			require.NoError(t, err)
			mu, vert, grad := out, w, make([]float64, n)
			if reg == KL {
				mu, vert = make([]float64, n), make([]float64, n)
				for i := range n {
					mu[i] = math.Exp(out[i])
					vert[i] = math.Exp(w[i])
				}
			}
			for i := range n {
				if reg == L2 {
					grad[i] = mu[i] - z[i]
				} else {
					grad[i] = out[i] - z[i] // ∇ KL(μ, e^z) = log μ − z
				}
			}
			inPermutahedron(t, mu, vert, 1e-10)
			permutations(n, func(p []int) {
				var ip float64
				for i := range n {
					ip += grad[i] * (vert[p[i]] - mu[i])
				}
				require.GreaterOrEqual(t, ip, -1e-10, "trial %d %v perm %v", trial, reg, p)
			})
		}
	}
}

func TestProjectDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 24 {
		n := 2 + trial%15
		reg := Regularization(trial % 2)
		z, w := randVec(rng, n, 2), randVec(rng, n, 1)
		out := make([]float64, n)
		p, err := Project(out, z, w, reg)
		require.NoError(t, err)
		jz, jw := mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)
		fd.Jacobian(jz, func(dst, zz []float64) { _, err := Project(dst, zz, w, reg); require.NoError(t, err) }, z,
			&fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
		fd.Jacobian(jw, func(dst, ww []float64) { _, err := Project(dst, z, ww, reg); require.NoError(t, err) }, w,
			&fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
		checkOpAgainst(t, jz, func(dst, d []float64) { require.NoError(t, p.Tangent(dst, d, nil)) },
			func(dst, g []float64) { require.NoError(t, p.Backward(dst, nil, g)) }, rng, 1e-7)
		checkOpAgainst(t, jw, func(dst, d []float64) { require.NoError(t, p.Tangent(dst, nil, d)) },
			func(dst, g []float64) { require.NoError(t, p.Backward(nil, dst, g)) }, rng, 1e-7)
		// Joint JVP is the sum of both.
		dz, dw := randVec(rng, n, 1), randVec(rng, n, 1)
		a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
		require.NoError(t, p.Tangent(a, dz, dw))
		require.NoError(t, p.Tangent(b, dz, nil))
		require.NoError(t, p.Tangent(c, nil, dw))
		for i := range a {
			assert.InDelta(t, b[i]+c[i], a[i], 1e-12)
		}
	}
}

// TestProjectKnown checks hand-computable cases.
func TestProjectKnown(t *testing.T) {
	out := make([]float64, 3)
	// z far outside in the direction of w: the vertex w itself.
	_, err := Project(out, []float64{30, 20, 10}, []float64{1, 2, 3}, L2)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{3, 2, 1}, out, 1e-12)
	// z = 0: the centroid.
	_, err = Project(out, []float64{0, 0, 0}, []float64{1, 2, 3}, L2)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{2, 2, 2}, out, 1e-12)
	// A point inside P(w) projects to itself.
	_, err = Project(out, []float64{2.5, 1.2, 2.3}, []float64{1, 2, 3}, L2)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{2.5, 1.2, 2.3}, out, 1e-12)
}

// TestImplicitMatchesBlocks checks the generic implicit engine on the
// fixed-point conditions against the closed-form block derivatives.
func TestImplicitMatchesBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for trial := range 12 {
		n := 3 + trial%8
		reg := Regularization(trial % 2)
		eta := []float64{1, 0.5, 0.3}[trial%3]
		z, w := randVec(rng, n, 2), randVec(rng, n, 1)
		x := make([]float64, n)
		p, err := Project(x, z, w, reg)
		require.NoError(t, err)
		m, err := PermutahedronMap(n, reg, eta)
		require.NoError(t, err)
		cond := implicit.FixedPoint(m)
		theta := append(append([]float64(nil), z...), w...)
		res := make([]float64, n)
		cond.Residual(res, x, theta)
		for _, r := range res {
			require.InDelta(t, 0, r, 1e-12)
		}
		g := randVec(rng, n, 1)
		got, err := implicit.VJP(context.Background(), cond, x, theta, g, nil)
		require.NoError(t, err)
		gz, gw := make([]float64, n), make([]float64, n)
		require.NoError(t, p.Backward(gz, gw, g))
		assert.InDeltaSlice(t, gz, got[:n], 1e-10)
		assert.InDeltaSlice(t, gw, got[n:], 1e-10)
		d := randVec(rng, 2*n, 1)
		gotJ, err := implicit.JVP(context.Background(), cond, x, theta, d, nil)
		require.NoError(t, err)
		wantJ := make([]float64, n)
		require.NoError(t, p.Tangent(wantJ, d[:n], d[n:]))
		assert.InDeltaSlice(t, wantJ, gotJ, 1e-10)
		chk, err := implicit.Check(cond, x, theta, nil)
		require.NoError(t, err)
		assert.Less(t, chk.Worst(), 1e-6)

		// Isotonic regression through its map.
		y := randVec(rng, n, 1)
		v := make([]float64, n)
		sol, err := Regression(v, y, nil, trial%2 == 0)
		require.NoError(t, err)
		rm, err := RegressionMap(n, nil, trial%2 == 0, eta)
		require.NoError(t, err)
		gy, err := implicit.VJP(context.Background(), implicit.FixedPoint(rm), v, y, g, nil)
		require.NoError(t, err)
		want := make([]float64, n)
		require.NoError(t, sol.VJP(want, g))
		assert.InDeltaSlice(t, want, gy, 1e-10)
	}
}

func TestErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	_, err := Regression(nil, nil, nil, false)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = Regression(make([]float64, 2), []float64{1, nan}, nil, false)
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = Regression(make([]float64, 2), []float64{1, 2}, []float64{1, 0}, false)
	assert.True(t, errors.Is(err, ErrWeights))
	_, err = Regression(make([]float64, 2), []float64{1, 2}, []float64{1}, false)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = RegressionKL(make([]float64, 2), []float64{1, 2}, []float64{inf, 1})
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = Project(make([]float64, 2), []float64{1, 2}, []float64{1, 2, 3}, L2)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = Project(make([]float64, 2), []float64{1, -inf}, []float64{1, 2}, KL)
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = Project(nil, nil, nil, L2)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = PermutahedronMap(3, L2, 0)
	assert.True(t, errors.Is(err, ErrStep))
	// Overflow inside the projection is reported, not returned as Inf.
	_, err = Project(make([]float64, 2), []float64{1e308, 1e308}, []float64{-1e308, -1e308}, L2)
	assert.True(t, errors.Is(err, ErrNaN))
	p, err := Project(make([]float64, 2), []float64{1, 2}, []float64{1, 2}, L2)
	require.NoError(t, err)
	assert.True(t, errors.Is(p.Backward(make([]float64, 3), nil, make([]float64, 2)), ErrDims))
	assert.True(t, errors.Is(p.Tangent(make([]float64, 2), make([]float64, 1), nil), ErrDims))
}

func FuzzProject(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(0))
	f.Add([]byte{0xff, 0xf0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		v := bytesToFloats(data)
		n := len(v) / 2
		z, w := v[:n], v[n:2*n]
		out := make([]float64, n)
		reg := Regularization(mode % 2)
		p, err := Project(out, z, w, reg)
		if err != nil {
			return
		}
		for _, x := range out {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("non-finite output %v with nil error", out)
			}
		}
		g := make([]float64, n)
		for i := range g {
			g[i] = 1
		}
		gz, gw := make([]float64, n), make([]float64, n)
		if err := p.Backward(gz, gw, g); err != nil {
			t.Fatal(err)
		}
		iso := make([]float64, n)
		if _, err := Regression(iso, z, nil, mode%4 < 2); err == nil {
			for _, x := range iso {
				if math.IsNaN(x) {
					t.Fatal("NaN isotonic output with nil error")
				}
			}
		}
		if _, err := RegressionKL(iso, z, w); err == nil {
			for _, x := range iso {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					t.Fatal("non-finite KL isotonic output with nil error")
				}
			}
		}
	})
}

func bytesToFloats(b []byte) []float64 {
	v := make([]float64, len(b)/8)
	for i := range v {
		var u uint64
		for k := range 8 {
			u |= uint64(b[8*i+k]) << (8 * k)
		}
		v[i] = math.Float64frombits(u)
	}
	return v
}

func TestArgsort(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for trial := range 300 {
		n := trial % 70
		v := make([]float64, n)
		for i := range v {
			switch trial % 4 {
			case 0:
				v[i] = rng.NormFloat64()
			case 1:
				v[i] = float64(rng.IntN(4)) // many ties
			case 2:
				v[i] = float64(i) // sorted ascending
			default:
				v[i] = float64(n - i%7)
			}
		}
		perm := make([]int32, n)
		argsortDesc(perm, v, make([]float64, n))
		seen := make([]bool, n)
		for t2, i := range perm {
			require.False(t, seen[i])
			seen[i] = true
			if t2 > 0 {
				j := perm[t2-1]
				require.True(t, v[j] > v[i] || (v[j] == v[i] && j < i), "trial %d", trial)
			}
		}
	}
}
