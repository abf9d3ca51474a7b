package smooth

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
)

var gonumMethods = []Method{GonumLBFGS, GonumBFGS}

func rosenbrock() *Problem {
	return &Problem{N: 2,
		Func: func(x, _ []float64) float64 {
			a, b := x[1]-x[0]*x[0], 1-x[0]
			return 100*a*a + b*b
		},
		Grad: func(dst, x, _ []float64) {
			dst[0] = -400*x[0]*(x[1]-x[0]*x[0]) - 2*(1-x[0])
			dst[1] = 200 * (x[1] - x[0]*x[0])
		},
	}
}

// checkResult verifies that a Result describes its own point: F and Grad
// are f and ∇f at X, GradNorm is ‖Grad‖∞ and Converged matches Tol.
func checkResult(t *testing.T, pb *Problem, theta []float64, res *Result, tol float64, msg string) {
	t.Helper()
	require.NotNil(t, res, msg)
	require.Len(t, res.X, pb.N, msg)
	assert.Equal(t, pb.Func(res.X, theta), res.F, msg)
	g := make([]float64, pb.N)
	pb.Grad(g, res.X, theta)
	assert.Equal(t, g, res.Grad, msg)
	assert.Equal(t, maxAbs(g), res.GradNorm, msg)
	assert.Equal(t, res.GradNorm <= tol, res.Converged, msg)
	assert.GreaterOrEqual(t, res.FuncEvals, res.Iterations+1, msg)
	assert.GreaterOrEqual(t, res.GradEvals, res.Iterations+1, msg)
}

// TestGonumRosenbrock: gonum's L-BFGS and BFGS and the native L-BFGS reach
// the minimizer (1, 1) of Rosenbrock's function from the classic start.
func TestGonumRosenbrock(t *testing.T) {
	pb := rosenbrock()
	native, err := Minimize(context.Background(), pb, nil, []float64{-1.2, 1}, &Settings{Tol: 1e-10})
	require.NoError(t, err)
	for _, m := range gonumMethods {
		res, err := Minimize(context.Background(), pb, nil, []float64{-1.2, 1}, &Settings{Method: m, Tol: 1e-10})
		require.NoError(t, err, "%v", m)
		checkResult(t, pb, nil, res, 1e-10, m.String())
		assert.True(t, res.Converged)
		for j := range 2 {
			assert.InDelta(t, 1, res.X[j], 1e-9, "%v", m)
			assert.InDelta(t, native.X[j], res.X[j], 1e-9, "%v", m)
		}
		// Gonum counts its starting point as a major iteration; ours not.
		assert.Greater(t, res.Iterations, 20, "%v", m)
		assert.Less(t, res.Iterations, 200, "%v", m)
	}
}

// TestGonumRidgeClosedForm: both gonum methods reach the closed-form ridge
// solution, with scalar and per-feature strengths.
func TestGonumRidgeClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for trial := range 3 {
		x, y, _ := randData(rng, 40, 6)
		for _, reg := range []L2{{}, {Strengths: PerFeature}} {
			pb, err := Ridge(x, y, reg)
			require.NoError(t, err)
			theta := make([]float64, pb.P)
			lam := make([]float64, 6)
			for j := range theta {
				theta[j] = 0.3 + rng.Float64()
			}
			for j := range lam {
				lam[j] = theta[min(j, pb.P-1)]
			}
			want := ridgeClosedForm(x, y, lam)
			native, err := Minimize(context.Background(), pb, theta, make([]float64, 6), &Settings{Tol: 1e-11})
			require.NoError(t, err)
			for _, m := range gonumMethods {
				// The Hessian is ⪰ min λ·I, so ‖x − x*‖₂ ≤ ‖∇f(x)‖₂ / min λ.
				// Gonum's line search needs f to decrease by more than its
				// rounding error (f ≈ 1 here), which fails at random below
				// ‖∇f‖ ≈ 1e-9.
				const tol = 1e-8
				res, err := Minimize(context.Background(), pb, theta, make([]float64, 6), &Settings{Method: m, Tol: tol})
				require.NoError(t, err, "%v trial %d", m, trial)
				checkResult(t, pb, theta, res, tol, m.String())
				delta := norm2(res.Grad) / floats.Min(lam)
				assert.Less(t, delta, 1e-7)
				for j := range want {
					assert.InDelta(t, want[j], res.X[j], delta+1e-12, "%v trial %d coord %d", m, trial, j)
					assert.InDelta(t, native.X[j], res.X[j], delta+1e-10, "%v trial %d coord %d", m, trial, j)
				}
			}
		}
	}
}

func breastCancerLogistic(t testing.TB, reg L2) *Problem {
	d := datasets.MustLoad("breast_cancer")
	train, _ := d.Split()
	_, sets, err := datasets.Standardize(false, train)
	require.NoError(t, err)
	ys, err := datasets.Signs(sets[0].Y)
	require.NoError(t, err)
	pb, err := Logistic(sets[0].X, ys, reg)
	require.NoError(t, err)
	return pb
}

// TestGonumLogisticBreastCancer cross-checks the native L-BFGS against
// gonum's on l2-logistic regression (breast_cancer, 379 × 30). The
// objective is e^θ-strongly convex, so two points with gradients gₐ, g_b
// are within (‖gₐ‖₂ + ‖g_b‖₂)/e^θ of each other: the test asserts that
// bound and, where it is below 1e-7, the 1e-7 agreement it implies.
func TestGonumLogisticBreastCancer(t *testing.T) {
	pb := breastCancerLogistic(t, L2{LogScale: true})
	ctx := context.Background()
	for _, th := range []float64{-5.495, -4, -2, 0} {
		theta := []float64{th}
		native, err := Minimize(ctx, pb, theta, make([]float64, pb.N), &Settings{Tol: 1e-11})
		require.NoError(t, err)
		for _, m := range gonumMethods {
			// Gonum's bisection line search needs f to decrease by more
			// than its rounding error: BFGS stalls below ≈1e-9 here.
			tol := 1e-9
			if m == GonumBFGS {
				tol = 1e-8
			}
			res, err := Minimize(ctx, pb, theta, make([]float64, pb.N), &Settings{Method: m, Tol: tol})
			require.NoError(t, err, "%v θ=%v", m, th)
			checkResult(t, pb, theta, res, tol, m.String())
			bound := (norm2(res.Grad) + norm2(native.Grad)) / math.Exp(th)
			var dist float64
			for j := range res.X {
				dist = math.Max(dist, math.Abs(res.X[j]-native.X[j]))
			}
			assert.LessOrEqual(t, dist, bound, "%v θ=%v", m, th)
			if m == GonumLBFGS {
				assert.Less(t, dist, 1e-7, "%v θ=%v", m, th)
			}
		}
	}
}

// TestGonumTightToleranceReported: below the rounding floor of f gonum's
// line search fails; the run must end with ErrNotConverged wrapping
// gonum's error and return a finite best iterate (not a NaN, not a panic).
func TestGonumTightToleranceReported(t *testing.T) {
	pb := breastCancerLogistic(t, L2{LogScale: true})
	theta := []float64{-2}
	res, err := Minimize(context.Background(), pb, theta, make([]float64, pb.N), &Settings{Method: GonumBFGS, Tol: 1e-13})
	require.ErrorIs(t, err, ErrNotConverged)
	assert.True(t, errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress), "%v", err)
	checkResult(t, pb, theta, res, 1e-13, "tight")
	assert.False(t, res.Converged)
	assert.Less(t, res.GradNorm, 1e-6)
	// The native method goes on from there to the requested tolerance.
	polished, err := Minimize(context.Background(), pb, theta, res.X, &Settings{Tol: 1e-13})
	require.NoError(t, err)
	assert.LessOrEqual(t, polished.GradNorm, 1e-13)
}

func TestGonumCancel(t *testing.T) {
	for _, m := range gonumMethods {
		ctx, cancel := context.WithCancel(context.Background())
		pb := rosenbrock()
		grad := pb.Grad
		calls := 0
		pb.Grad = func(dst, x, theta []float64) {
			calls++
			if calls == 5 {
				cancel()
			}
			grad(dst, x, theta)
		}
		res, err := Minimize(ctx, pb, nil, []float64{-1.2, 1}, &Settings{Method: m})
		assert.ErrorIs(t, err, ErrNotConverged, "%v", m)
		assert.ErrorIs(t, err, context.Canceled, "%v", m)
		require.NotNil(t, res)
		assert.False(t, res.Converged)
		assert.Equal(t, 5, calls, "%v: stops at the first evaluation after cancel", m)
		assert.Equal(t, pb.Func(res.X, nil), res.F)
		// Cancelled before the start.
		_, err = Minimize(ctx, pb, nil, []float64{-1.2, 1}, &Settings{Method: m})
		assert.ErrorIs(t, err, context.Canceled)
	}
}

func TestGonumErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	x, y, _ := randData(rng, 10, 3)
	pb, err := Ridge(x, y, L2{})
	require.NoError(t, err)
	ctx := context.Background()
	for _, m := range gonumMethods {
		s := &Settings{Method: m}
		_, err = Minimize(ctx, pb, []float64{1, 2}, make([]float64, 3), s)
		assert.ErrorIs(t, err, ErrDims)
		_, err = Minimize(ctx, pb, []float64{1}, make([]float64, 2), s)
		assert.ErrorIs(t, err, ErrDims)
		_, err = Minimize(ctx, pb, []float64{math.NaN()}, make([]float64, 3), s)
		assert.ErrorIs(t, err, ErrNaN)
		_, err = Minimize(ctx, pb, []float64{-1}, make([]float64, 3), s)
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = Minimize(ctx, pb, []float64{1}, []float64{0, math.Inf(1), 0}, s)
		assert.ErrorIs(t, err, ErrNaN)
		_, err = Minimize(ctx, &Problem{N: 1}, nil, []float64{0}, s)
		assert.ErrorIs(t, err, ErrInvalid)
		// N = 0 (gonum itself panics on an empty problem).
		res, err := Minimize(ctx, &Problem{Func: func(_, _ []float64) float64 { return 0 }, Grad: func(_, _, _ []float64) {}}, nil, nil, s)
		require.NoError(t, err)
		assert.True(t, res.Converged)

		// Unbounded below: f(x) = −x never becomes stationary.
		lin := &Problem{N: 1, Func: func(x, _ []float64) float64 { return -x[0] }, Grad: func(dst, _, _ []float64) { dst[0] = -1 }}
		res, err = Minimize(ctx, lin, nil, []float64{0}, &Settings{Method: m, MaxIter: 20})
		assert.ErrorIs(t, err, ErrNotConverged, "%v", m)
		require.NotNil(t, res)
		// Gonum's bisection never meets the curvature condition on a
		// line, so no step is accepted and x0 stays the best iterate.
		assert.False(t, math.IsNaN(res.F))
		assert.LessOrEqual(t, res.F, 0.0)

		// NaN objective beyond x = 0.5; the minimizer x = 1 is out of reach.
		nanF := &Problem{N: 1, Func: func(x, _ []float64) float64 {
			if x[0] > 0.5 {
				return math.NaN()
			}
			return (x[0] - 1) * (x[0] - 1)
		}, Grad: func(dst, x, _ []float64) { dst[0] = 2 * (x[0] - 1) }}
		res, err = Minimize(ctx, nanF, nil, []float64{0}, s)
		assert.ErrorIs(t, err, ErrNotConverged, "%v", m)
		require.NotNil(t, res)
		assert.False(t, math.IsNaN(res.F))
		assert.LessOrEqual(t, res.X[0], 0.5)

		// NaN gradient beyond x = 0.5 (finite objective).
		nanG := &Problem{N: 1, Func: func(x, _ []float64) float64 { return (x[0] - 1) * (x[0] - 1) },
			Grad: func(dst, x, _ []float64) {
				dst[0] = 2 * (x[0] - 1)
				if x[0] > 0.5 {
					dst[0] = math.NaN()
				}
			}}
		res, err = Minimize(ctx, nanG, nil, []float64{0}, s)
		assert.ErrorIs(t, err, ErrNotConverged, "%v", m)
		require.NotNil(t, res)
		assert.True(t, finite(res.X) && finite(res.Grad), "%v: %+v", m, res)

		// A gradient whose 2-norm overflows at x0.
		huge := &Problem{N: 2, Func: func(x, _ []float64) float64 { return 1e300 * (x[0] + x[1]) },
			Grad: func(dst, _, _ []float64) { dst[0], dst[1] = 1.5e308, 1.5e308 }}
		res, err = Minimize(ctx, huge, nil, []float64{0, 0}, s)
		assert.ErrorIs(t, err, ErrNotConverged)
		require.NotNil(t, res)

		// Iteration cap: exactly MaxIter iterations, the best iterate, not
		// converged.
		res, err = Minimize(ctx, rosenbrock(), nil, []float64{-1.2, 1}, &Settings{Method: m, MaxIter: 7})
		assert.ErrorIs(t, err, ErrNotConverged)
		require.NotNil(t, res)
		assert.Equal(t, 7, res.Iterations)
		assert.Less(t, res.F, rosenbrock().Func([]float64{-1.2, 1}, nil))
	}
}

// TestGonumImplicitDerivative: the derivative of the minimizer does not
// depend on which method found it. Per-feature log-scale strengths on a
// logistic model: the Jacobians from the gonum and native solutions agree
// with each other and with central differences of re-solved problems.
func TestGonumImplicitDerivative(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	for trial := range 2 {
		n, d := 60, 4
		x, _, ys := randData(rng, n, d)
		pb, err := Logistic(x, ys, L2{Strengths: PerFeature, LogScale: true})
		require.NoError(t, err)
		theta := make([]float64, d)
		for j := range theta {
			theta[j] = rng.Float64()*2 - 3
		}
		jacs := map[Method]*mat.Dense{}
		for _, m := range []Method{LBFGS, GonumLBFGS, GonumBFGS} {
			sol, err := ImplicitProblem(pb, &Settings{Method: m, Tol: 1e-10}, nil).Solve(context.Background(), theta, nil)
			require.NoError(t, err, "%v", m)
			jac, err := sol.Jacobian()
			require.NoError(t, err)
			jacs[m] = jac
			r, err := implicit.Check(Condition(pb), sol.X, theta, nil)
			require.NoError(t, err)
			assert.Less(t, r.Worst(), 1e-7, "%v", m)
		}
		solve := func(th []float64) []float64 {
			res, err := Minimize(context.Background(), pb, th, make([]float64, d), &Settings{Method: NewtonCG, Tol: 1e-13})
			require.NoError(t, err)
			return res.X
		}
		fdJ := mat.NewDense(d, d, nil)
		fd.Jacobian(fdJ, func(dst, th []float64) { copy(dst, solve(th)) }, theta, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
		for _, m := range []Method{GonumLBFGS, GonumBFGS} {
			for i := range d {
				for j := range d {
					ref := jacs[LBFGS].At(i, j)
					assert.InDelta(t, ref, jacs[m].At(i, j), 1e-6*math.Max(1, math.Abs(ref)), "trial %d %v (%d,%d)", trial, m, i, j)
					assert.InDelta(t, fdJ.At(i, j), jacs[m].At(i, j), 1e-5*math.Max(1, math.Abs(fdJ.At(i, j))), "trial %d %v vs FD (%d,%d)", trial, m, i, j)
				}
			}
		}
	}
}

func TestGonumLogger(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := Minimize(context.Background(), rosenbrock(), nil, []float64{-1.2, 1}, &Settings{Method: GonumLBFGS, Logger: log})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "smooth: iteration")
	assert.Contains(t, buf.String(), "backend=gonum")
	assert.Contains(t, buf.String(), "method=GonumLBFGS")
}

func TestMethodString(t *testing.T) {
	assert.Equal(t, "GonumLBFGS", GonumLBFGS.String())
	assert.Equal(t, "GonumBFGS", GonumBFGS.String())
	assert.Equal(t, "NonlinearCG", NonlinearCG.String())
	assert.Equal(t, "Method(99)", Method(99).String())
	_, err := Minimize(context.Background(), rosenbrock(), nil, []float64{0, 0}, &Settings{Method: Method(99)})
	assert.ErrorIs(t, err, ErrInvalid)
}
