package cone

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nonsymInstances draws random programs over products of 5–34
// exponential, dual exponential, power and dual power cones (with a few
// orthant blocks), every block's optimal pair (s, y) complementary and
// mostly on the boundary (diffhelpers_test.go's construction: the
// optimum (x, y, s) is known, and unique: ∂zF is well conditioned), with
// 5–24 variables and a quadratic term on every third instance.
func nonsymInstances(seed uint64, count int) []*diffInstance {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	var out []*diffInstance
	for i := range count {
		nb := 5 + rng.IntN(30)
		var cones []Cone
		for range nb {
			switch rng.IntN(5) {
			case 0:
				cones = append(cones, Exp{})
			case 1:
				cones = append(cones, ExpDual{})
			case 2:
				cones = append(cones, Power{0.1 + 0.8*rng.Float64()})
			case 3:
				cones = append(cones, PowerDual{0.1 + 0.8*rng.Float64()})
			default:
				if i%2 == 0 {
					cones = append(cones, Nonnegative{2})
				} else {
					cones = append(cones, Exp{})
				}
			}
		}
		qr := 0
		if i%3 == 0 {
			qr = 2
		}
		name := fmt.Sprintf("%02d-blocks%d", i, nb)
		out = append(out, optimalInstance(rng, name, cones, 5+rng.IntN(20), qr, 0.3, 0.4, 0))
	}
	return out
}

// TestSolveNonsymmetricRandom: Solve reaches Optimal at Tol 1e-8 and
// 1e-10 on every instance (60: two seeds), with the objective of the known optimum (to
// 10·Tol relative: the gap test bounds it by Tol·max(1, |objective|) and
// the residuals add the same order), the point in the cones, and the
// residuals of the returned point below Tol.
func TestSolveNonsymmetricRandom(t *testing.T) {
	total := map[float64]int{}
	// Seed 11's instance 24 has |pᵀx| ≈ 35, |bᵀy| ≈ 46 for an objective of
	// 5.6: with the gap measured against those terms Solve reported
	// Optimal at Tol 1e-8 with the objective off by 1e-7 relative.
	var ins []*diffInstance
	for _, seed := range []uint64{77, 11} {
		for _, in := range nonsymInstances(seed, 30) {
			in.name = fmt.Sprintf("seed%d-%s", seed, in.name)
			ins = append(ins, in)
		}
	}
	for _, in := range ins {
		for _, tol := range []float64{1e-8, 1e-10} {
			t.Run(fmt.Sprintf("%s/tol%g", in.name, tol), func(t *testing.T) {
				sol, err := Solve(context.Background(), in.pb, &Settings{Tol: tol})
				total[tol] += sol.Iterations
				require.NoError(t, err)
				require.Equal(t, Optimal, sol.Status)
				obj := objectiveOf(in)
				t.Logf("%d iterations, objective error %.2g, residuals %+v, p·x %.4g, b·y %.4g", sol.Iterations, sol.Objective-obj, sol.Residuals, dot(in.pb.P, sol.X), dot(in.pb.B, sol.Y))
				assert.InDelta(t, obj, sol.Objective, 10*tol*math.Max(1, math.Abs(obj)), "objective vs the known optimum")
				checkInCones(t, in.pb, sol.S, sol.Y, 1e-9)
				r := sol.Residuals
				assert.True(t, finite([]float64{r.Primal, r.Dual, r.Gap}))
			})
		}
	}
	t.Logf("iterations: %v", total)
}

// solveApplied solves pb at Tol 1e-8 and 1e-10 and returns the
// solutions; both must be Optimal.
func solveApplied(t *testing.T, pb *Problem) [2]*Solution {
	t.Helper()
	var out [2]*Solution
	for i, tol := range []float64{1e-8, 1e-10} {
		sol, err := Solve(context.Background(), pb, &Settings{Tol: tol})
		require.NoError(t, err, "Tol %g", tol)
		require.Equal(t, Optimal, sol.Status)
		checkInCones(t, pb, sol.S, sol.Y, 1e-9)
		t.Logf("Tol %g: %d iterations, objective %.12g", tol, sol.Iterations, sol.Objective)
		out[i] = sol
	}
	return out
}

// TestSolveNonsymmetricApplied: larger applied programs with the optimum
// on the cones' boundaries, against independent values: entropy
// maximization under random equality constraints (against Newton on
// its smooth dual), the geometric mean of n variables under a budget
// (closed form), p-norm minimization (Hölder) and log-sum-exp (its own
// optimality condition).
func TestSolveNonsymmetricApplied(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	for trial, k := range []int{8, 20, 40} {
		t.Run(fmt.Sprintf("entropy-%d", k), func(t *testing.T) {
			// max Σ −xᵢ log xᵢ s.t. Cx = d (C: 3×k, first row ones,
			// d = Cx₀ for a random x₀ > 0). Dual: min_λ dᵀλ +
			// Σ exp(−1 − (Cᵀλ)ᵢ), optimal xᵢ = exp(−1 − (Cᵀλ)ᵢ).
			const r = 3
			c := make([][]float64, r)
			for i := range c {
				c[i] = randVec(rng, k, 1)
			}
			for j := range k {
				c[0][j] = 1
			}
			x0 := make([]float64, k)
			for j := range x0 {
				x0[j] = 0.2 + rng.Float64()
			}
			d := make([]float64, r)
			for i := range r {
				d[i] = dot(c[i], x0)
			}
			n := 2 * k
			bd := &builder{n: n}
			for i := range k {
				bd.add(Exp{}, bd.lin(0, k+i, 1.0), bd.lin(0, i, 1.0), bd.lin(1))
			}
			for i := range r {
				row := bd.lin(-d[i])
				copy(row, c[i])
				bd.add(Zero{1}, row)
			}
			p := make([]float64, n)
			for i := range k {
				p[k+i] = -1
			}
			sols := solveApplied(t, bd.problem(t, p, nil))
			// Newton on the dual.
			lam := make([]float64, r)
			var dualVal float64
			for range 100 {
				g := append([]float64(nil), d...)
				h := make([][]float64, r)
				for i := range h {
					h[i] = make([]float64, r)
				}
				dualVal = dot(d, lam)
				for j := range k {
					u := -1.0
					for i := range r {
						u -= c[i][j] * lam[i]
					}
					e := math.Exp(u)
					dualVal += e
					for i := range r {
						g[i] -= c[i][j] * e
						for l := range r {
							h[i][l] += c[i][j] * c[l][j] * e
						}
					}
				}
				step := solveDense(h, g)
				for i := range r {
					lam[i] -= step[i]
				}
				if maxAbs(g) < 1e-14 {
					break
				}
			}
			for i, tol := range []float64{1e-8, 1e-10} {
				// Primal value −Σx log x = dual value; Objective = −that.
				assert.InDelta(t, -dualVal, sols[i].Objective, 10*tol*math.Max(1, dualVal), "trial %d Tol %g", trial, tol)
			}
		})
	}
	for _, n := range []int{3, 7, 15} {
		t.Run(fmt.Sprintf("geomean-%d", n), func(t *testing.T) {
			// max (Πxᵢ)^{1/n} s.t. cᵀx ≤ 1, c > 0: xᵢ = 1/(n cᵢ). Tower
			// u₁ = x₁, (u_{j−1}, x_j, u_j) ∈ Power{(j−1)/j}.
			cc := make([]float64, n)
			for i := range cc {
				cc[i] = 0.5 + rng.Float64()
			}
			nv := 2 * n // x, u₂…u_n (u at n+j−1 for j ≥ 2), padding unused
			bd := &builder{n: nv}
			u := func(j int) int {
				if j == 1 {
					return 0
				}
				return n + j - 2
			}
			for j := 2; j <= n; j++ {
				bd.add(Power{float64(j-1) / float64(j)}, bd.lin(0, u(j-1), 1.0), bd.lin(0, j-1, 1.0), bd.lin(0, u(j), 1.0))
			}
			budget := bd.lin(1)
			for i := range n {
				budget[i] = -cc[i]
			}
			bd.add(Nonnegative{1}, budget)
			bd.add(Nonnegative{2}, bd.lin(1, nv-1, 1.0), bd.lin(1, nv-1, -1.0)) // the padding variable in [−1, 1]
			p := make([]float64, nv)
			p[u(n)] = -1
			sols := solveApplied(t, bd.problem(t, p, nil))
			want := 0.0
			for i := range n {
				want -= math.Log(float64(n)*cc[i]) / float64(n)
			}
			want = math.Exp(want)
			for i, tol := range []float64{1e-8, 1e-10} {
				assert.InDelta(t, -want, sols[i].Objective, 10*tol*math.Max(1, want), "Tol %g", tol)
			}
		})
	}
	for _, k := range []int{6, 15, 30} {
		t.Run(fmt.Sprintf("pnorm-%d", k), func(t *testing.T) {
			p := 1.2 + 4*rng.Float64()
			a := randVec(rng, k, 1)
			q := p / (p - 1)
			nq := 0.0
			for _, v := range a {
				nq += math.Pow(math.Abs(v), q)
			}
			want := 1 / math.Pow(nq, 1/q)
			n := 2*k + 1
			bd := &builder{n: n}
			for i := range k {
				bd.add(Power{1 / p}, bd.lin(0, k+i, 1.0), bd.lin(0, 2*k, 1.0), bd.lin(0, i, 1.0))
			}
			eqr := bd.lin(0, 2*k, -1.0)
			for i := range k {
				eqr[k+i] = 1
			}
			bd.add(Zero{1}, eqr)
			ax := bd.lin(-1)
			copy(ax, a)
			bd.add(Zero{1}, ax)
			c := make([]float64, n)
			c[2*k] = 1
			sols := solveApplied(t, bd.problem(t, c, nil))
			for i, tol := range []float64{1e-8, 1e-10} {
				assert.InDelta(t, want, sols[i].Objective, 10*tol*math.Max(1, want), "p=%v Tol %g", p, tol)
			}
		})
	}
	for _, sz := range [][2]int{{3, 20}, {6, 60}} {
		t.Run(fmt.Sprintf("logsumexp-%dx%d", sz[0], sz[1]), func(t *testing.T) {
			d, m := sz[0], sz[1]
			A := make([][]float64, m)
			for i := range A {
				A[i] = randVec(rng, d, 1)
			}
			for j := range d {
				e, f := make([]float64, d), make([]float64, d)
				e[j], f[j] = 1, -1
				A = append(A, e, f)
			}
			m = len(A)
			b := randVec(rng, m, 1)
			n := d + 1 + m
			bd := &builder{n: n}
			for i := range m {
				r := bd.lin(b[i], d, -1.0)
				copy(r, A[i])
				bd.add(Exp{}, r, bd.lin(1), bd.lin(0, d+1+i, 1.0))
			}
			sum := bd.lin(1)
			for i := range m {
				sum[d+1+i] = -1
			}
			bd.add(Nonnegative{1}, sum)
			c := make([]float64, n)
			c[d] = 1
			sols := solveApplied(t, bd.problem(t, c, nil))
			for i, tol := range []float64{1e-8, 1e-10} {
				x := sols[i].X[:d]
				z := make([]float64, m)
				mx := math.Inf(-1)
				for r := range m {
					z[r] = dot(A[r], x) + b[r]
					mx = math.Max(mx, z[r])
				}
				se := 0.0
				for r := range z {
					se += math.Exp(z[r] - mx)
				}
				assert.InDelta(t, mx+math.Log(se), sols[i].Objective, 10*tol*math.Max(1, math.Abs(sols[i].Objective)), "value, Tol %g", tol)
				g := make([]float64, d)
				for r := range m {
					for j := range d {
						g[j] += math.Exp(z[r]-mx) / se * A[r][j]
					}
				}
				assert.Less(t, maxAbs(g), 100*math.Sqrt(tol), "gradient of lse at the minimizer, Tol %g", tol)
			}
		})
	}
}

// TestSolveLogisticLarger: l2-regularized logistic regression with
// N = 150 samples in d = 5 (300 exponential-cone blocks, the construction
// of TestLogisticRegression), against solvers/smooth's Newton fit, at Tol
// 1e-8 and 1e-10.
func TestSolveLogisticLarger(t *testing.T) {
	rng := rand.New(rand.NewPCG(93, 94))
	wTrue := randVec(rng, 5, 1.5)
	pb, ref := logisticConic(t, rng, 150, 0.05, wTrue, 1e-12)
	sols := solveApplied(t, pb)
	for i, tol := range []float64{1e-8, 1e-10} {
		assert.InDelta(t, ref.F, sols[i].Objective, 10*tol*math.Max(1, ref.F), "objective vs smooth, Tol %g", tol)
		for j := range ref.X {
			assert.InDelta(t, ref.X[j], sols[i].X[j], 100*math.Sqrt(tol), "w%d, Tol %g", j, tol)
		}
	}
}

// solveDense solves the small dense system h x = g by Gaussian elimination
// with partial pivoting (test helper).
func solveDense(h [][]float64, g []float64) []float64 {
	n := len(g)
	a := make([][]float64, n)
	for i := range a {
		a[i] = append(append([]float64(nil), h[i]...), g[i])
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		v := a[r][n]
		for k := r + 1; k < n; k++ {
			v -= a[r][k] * x[k]
		}
		x[r] = v / a[r][r]
	}
	return x
}

// BenchmarkSolveNonsymmetric solves the 30 seed-77 programs of
// TestSolveNonsymmetricRandom at Tol 1e-8 (errors ignored: for
// comparisons with versions that stall on some).
func BenchmarkSolveNonsymmetric(b *testing.B) {
	ins := nonsymInstances(77, 30)
	ctx := context.Background()
	b.ResetTimer()
	its := 0
	for range b.N {
		for _, in := range ins {
			sol, _ := Solve(ctx, in.pb, &Settings{Tol: 1e-8})
			its += sol.Iterations
		}
	}
	b.ReportMetric(float64(its)/float64(b.N), "iterations/op")
}

// TestSolveInsufficientProgress: at an unreachable Tol (1e-15) a
// non-symmetric program stops on insufficient progress well before
// MaxIter, with Status NotConverged and its best iterate (finite, and
// accurate to what doubles allow).
func TestSolveInsufficientProgress(t *testing.T) {
	in := nonsymInstances(77, 1)[0]
	sol, err := Solve(context.Background(), in.pb, &Settings{Tol: 1e-15})
	require.ErrorIs(t, err, ErrNotConverged)
	assert.Contains(t, err.Error(), "insufficient progress")
	require.Equal(t, NotConverged, sol.Status)
	assert.Less(t, sol.Iterations, 150)
	obj := objectiveOf(in)
	assert.InDelta(t, obj, sol.Objective, 1e-8*math.Max(1, math.Abs(obj)))
	r := sol.Residuals
	assert.Less(t, math.Max(r.Primal, math.Max(r.Dual, r.Gap)), 1e-8)
}
