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
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
)

func randData(rng *rand.Rand, n, d int) (*mat.Dense, []float64, []float64) {
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	wTrue := make([]float64, d)
	for j := range wTrue {
		wTrue[j] = rng.NormFloat64()
	}
	y := make([]float64, n)
	ys := make([]float64, n)
	for i := range n {
		y[i] = mat.Dot(x.RowView(i), mat.NewVecDense(d, wTrue)) + 0.5*rng.NormFloat64()
		if y[i] >= 0 {
			ys[i] = 1
		} else {
			ys[i] = -1
		}
	}
	return x, y, ys
}

// ridgeClosedForm returns (XᵀX/n + diag(λ))⁻¹ Xᵀy/n.
func ridgeClosedForm(x *mat.Dense, y, lam []float64) []float64 {
	n, d := x.Dims()
	var a mat.Dense
	a.Mul(x.T(), x)
	a.Scale(1/float64(n), &a)
	for j := range d {
		a.Set(j, j, a.At(j, j)+lam[j])
	}
	var b mat.VecDense
	b.MulVec(x.T(), mat.NewVecDense(n, y))
	b.ScaleVec(1/float64(n), &b)
	var w mat.VecDense
	if err := w.SolveVec(&a, &b); err != nil {
		panic(err)
	}
	return w.RawVector().Data
}

func TestMinimizeRidgeClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, method := range []Method{LBFGS, BFGS, NewtonCG, GradientDescent, NonlinearCG} {
		for trial := range 3 {
			x, y, _ := randData(rng, 40, 6)
			theta := []float64{0.1 + rng.Float64()}
			pb, err := Ridge(x, y, L2{})
			require.NoError(t, err)
			maxIter := 0
			if method == GradientDescent {
				maxIter = 5000
			}
			res, err := Minimize(context.Background(), pb, theta, make([]float64, 6), &Settings{Method: method, Tol: 1e-11, MaxIter: maxIter})
			require.NoError(t, err, "%v trial %d", method, trial)
			want := ridgeClosedForm(x, y, []float64{theta[0], theta[0], theta[0], theta[0], theta[0], theta[0]})
			for j := range want {
				assert.InDelta(t, want[j], res.X[j], 1e-9, "%v trial %d coord %d", method, trial, j)
			}
		}
	}
}

// TestRidgeDerivativeClosedForm checks dw*/dθ (per-feature, log scale) from
// the engine against the closed form −A⁻¹ diag(λ ∘ w) and against central
// differences of the closed-form solution.
func TestRidgeDerivativeClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 3 {
		n, d := 50, 5
		x, y, _ := randData(rng, n, d)
		theta := make([]float64, d)
		for j := range theta {
			theta[j] = rng.Float64()*4 - 3
		}
		lam := func(th []float64) []float64 {
			out := make([]float64, d)
			for j := range th {
				out[j] = math.Exp(th[j])
			}
			return out
		}
		pb, err := Ridge(x, y, L2{Strengths: PerFeature, LogScale: true})
		require.NoError(t, err)
		ip := ImplicitProblem(pb, &Settings{Tol: 1e-12}, nil)
		sol, err := ip.Solve(context.Background(), theta, nil)
		require.NoError(t, err)
		jac, err := sol.Jacobian()
		require.NoError(t, err)
		fdJ := mat.NewDense(d, d, nil)
		fd.Jacobian(fdJ, func(dst, th []float64) { copy(dst, ridgeClosedForm(x, y, lam(th))) }, theta, &fd.JacobianSettings{Formula: fd.Central})
		for i := range d {
			for j := range d {
				assert.InDelta(t, fdJ.At(i, j), jac.At(i, j), 1e-7*math.Max(1, math.Abs(fdJ.At(i, j))), "trial %d (%d,%d)", trial, i, j)
			}
		}
		r, err := implicit.Check(Condition(pb), sol.X, theta, nil)
		require.NoError(t, err)
		assert.Less(t, r.Worst(), 1e-7)
	}
}

// TestLogisticDerivativeFD checks the hypergradient of a validation loss
// for l2-logistic regression against central differences of re-solved
// problems, with exact and finite-difference second-order products.
func TestLogisticDerivativeFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 3 {
		n, d := 60, 4
		x, _, ys := randData(rng, n, d)
		for _, reg := range []L2{{LogScale: true}, {Strengths: PerFeature, LogScale: true}, {}} {
			pb, err := Logistic(x, ys, reg)
			require.NoError(t, err)
			p := pb.P
			theta := make([]float64, p)
			for j := range theta {
				if reg.LogScale {
					theta[j] = rng.Float64()*3 - 4
				} else {
					theta[j] = 0.01 + 0.1*rng.Float64()
				}
			}
			g := make([]float64, d)
			for j := range g {
				g[j] = rng.NormFloat64()
			}
			solve := func(th []float64) []float64 {
				res, err := Minimize(context.Background(), pb, th, make([]float64, d), &Settings{Tol: 1e-13, Method: NewtonCG})
				require.NoError(t, err)
				return res.X
			}
			w := solve(theta)
			got, err := implicit.VJP(context.Background(), Condition(pb), w, theta, g, nil)
			require.NoError(t, err)
			want := fd.Gradient(nil, func(th []float64) float64 { return mat.Dot(mat.NewVecDense(d, g), mat.NewVecDense(d, solve(th))) }, theta, &fd.Settings{Formula: fd.Central, Step: 1e-5})
			// Same through finite-difference second-order products.
			fdpb := *pb
			fdpb.HessVec, fdpb.Hessian, fdpb.MixedVec, fdpb.MixedVecT = nil, nil, nil, nil
			got2, err := implicit.VJP(context.Background(), Condition(&fdpb), w, theta, g, nil)
			require.NoError(t, err)
			for j := range want {
				tol := 1e-6 * math.Max(1, math.Abs(want[j]))
				assert.InDelta(t, want[j], got[j], tol, "trial %d reg %+v θ%d", trial, reg, j)
				assert.InDelta(t, got[j], got2[j], 1e-6*math.Max(1, math.Abs(got[j])), "FD products, trial %d θ%d", trial, j)
			}
			r, err := implicit.Check(Condition(pb), w, theta, nil)
			require.NoError(t, err)
			assert.Less(t, r.Worst(), 1e-7)
		}
	}
}

func TestLogisticBreastCancer(t *testing.T) {
	d := datasets.MustLoad("breast_cancer")
	train, val := d.Split()
	_, sets, err := datasets.Standardize(false, train, val)
	require.NoError(t, err)
	ys, err := datasets.Signs(sets[0].Y)
	require.NoError(t, err)
	pb, err := Logistic(sets[0].X, ys, L2{LogScale: true})
	require.NoError(t, err)
	_, dd := sets[0].X.Dims()
	var results [][]float64
	for _, m := range []Method{LBFGS, BFGS, NewtonCG, NonlinearCG} {
		res, err := Minimize(context.Background(), pb, []float64{-5.495}, make([]float64, dd), &Settings{Method: m, Tol: 1e-10})
		require.NoError(t, err, "%v", m)
		results = append(results, res.X)
	}
	for k := 1; k < len(results); k++ {
		for j := range results[0] {
			assert.InDelta(t, results[0][j], results[k][j], 1e-7)
		}
	}
}

func TestMinimizeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, y, ys := randData(rng, 10, 3)
	pb, err := Ridge(x, y, L2{})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = Minimize(ctx, pb, []float64{1, 2}, make([]float64, 3), nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = Minimize(ctx, pb, []float64{1}, make([]float64, 2), nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = Minimize(ctx, pb, []float64{math.NaN()}, make([]float64, 3), nil)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = Minimize(ctx, pb, []float64{-1}, make([]float64, 3), nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Minimize(ctx, pb, []float64{1}, []float64{0, math.Inf(1), 0}, nil)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = Minimize(ctx, &Problem{N: 1}, nil, []float64{0}, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Logistic(x, y, L2{})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Logistic(x, ys[:5], L2{})
	assert.ErrorIs(t, err, ErrDims)
	bad := mat.DenseCopyOf(x)
	bad.Set(0, 0, math.NaN())
	_, err = Ridge(bad, y, L2{})
	assert.ErrorIs(t, err, ErrNaN)
	// An unbounded objective: f(x) = −x is never stationary.
	lin := &Problem{N: 1, Func: func(x, _ []float64) float64 { return -x[0] }, Grad: func(dst, _, _ []float64) { dst[0] = -1 }}
	res, err := Minimize(ctx, lin, nil, []float64{0}, &Settings{MaxIter: 20})
	assert.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, res)
	// NaN objective away from the start.
	nanF := &Problem{N: 1, Func: func(x, _ []float64) float64 {
		if x[0] > 0.5 {
			return math.NaN()
		}
		return (x[0] - 1) * (x[0] - 1)
	}, Grad: func(dst, x, _ []float64) { dst[0] = 2 * (x[0] - 1) }}
	res, err = Minimize(ctx, nanF, nil, []float64{0}, nil)
	assert.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, res)
	assert.False(t, math.IsNaN(res.F))
}

func TestMinimizeCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	// Rosenbrock, cancelled after a few gradient calls.
	pb := &Problem{N: 2,
		Func: func(x, _ []float64) float64 {
			return 100*math.Pow(x[1]-x[0]*x[0], 2) + math.Pow(1-x[0], 2)
		},
		Grad: func(dst, x, _ []float64) {
			calls++
			if calls == 5 {
				cancel()
			}
			dst[0] = -400*x[0]*(x[1]-x[0]*x[0]) - 2*(1-x[0])
			dst[1] = 200 * (x[1] - x[0]*x[0])
		}}
	res, err := Minimize(ctx, pb, nil, []float64{-1.2, 1}, nil)
	assert.ErrorIs(t, err, ErrNotConverged)
	assert.True(t, errors.Is(err, context.Canceled))
	require.NotNil(t, res)
	assert.LessOrEqual(t, calls, 6)
	// Uncancelled, Rosenbrock converges to (1, 1).
	res, err = Minimize(context.Background(), &Problem{N: 2, Func: pb.Func, Grad: func(dst, x, _ []float64) {
		dst[0] = -400*x[0]*(x[1]-x[0]*x[0]) - 2*(1-x[0])
		dst[1] = 200 * (x[1] - x[0]*x[0])
	}}, nil, []float64{-1.2, 1}, &Settings{Tol: 1e-10})
	require.NoError(t, err)
	assert.InDelta(t, 1, res.X[0], 1e-8)
	assert.InDelta(t, 1, res.X[1], 1e-8)
}

// TestFiniteDifferenceProducts checks the documented accuracy of the
// finite-difference Hessian and mixed products against the exact ones.
func TestFiniteDifferenceProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 5 {
		x, _, ys := randData(rng, 70, 6)
		pb, err := Logistic(x, ys, L2{Strengths: PerFeature, LogScale: true})
		require.NoError(t, err)
		w := make([]float64, 6)
		theta := make([]float64, 6)
		for j := range w {
			w[j] = rng.NormFloat64()
			theta[j] = rng.Float64()*2 - 2
		}
		fdpb := &Problem{N: pb.N, P: pb.P, Func: pb.Func, Grad: pb.Grad}
		for k := range 3 {
			v := make([]float64, 6)
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			exact := make([]float64, 6)
			approx := make([]float64, 6)
			pb.HessianOperator(w, theta).Apply(exact, v)
			fdpb.HessianOperator(w, theta).Apply(approx, v)
			scale := math.Max(1e-3, maxAbs(exact))
			for j := range exact {
				assert.InDelta(t, exact[j], approx[j], 1e-8*scale, "trial %d HVP %d", trial, k)
			}
			pb.MixedOperator(w, theta).Apply(exact, v)
			fdpb.MixedOperator(w, theta).Apply(approx, v)
			for j := range exact {
				assert.InDelta(t, exact[j], approx[j], 1e-8*math.Max(1e-3, maxAbs(exact)), "trial %d mixed %d", trial, k)
			}
			pb.MixedOperator(w, theta).ApplyT(exact, v)
			fdpb.MixedOperator(w, theta).ApplyT(approx, v)
			for j := range exact {
				assert.InDelta(t, exact[j], approx[j], 1e-8*math.Max(1e-3, maxAbs(exact)), "trial %d mixedT %d", trial, k)
			}
		}
		// A dense Hessian alone (no HessVec) gives the same operator.
		hpb := &Problem{N: pb.N, P: pb.P, Func: pb.Func, Grad: pb.Grad, Hessian: pb.Hessian}
		v := []float64{1, -1, 2, 0, 0.5, 3}
		a, b := make([]float64, 6), make([]float64, 6)
		pb.HessianOperator(w, theta).Apply(a, v)
		hpb.HessianOperator(w, theta).Apply(b, v)
		assert.InDeltaSlice(t, a, b, 1e-12)
	}
}

// TestNewtonCGNegativeCurvature minimizes a non-convex function from a
// point of negative curvature.
func TestNewtonCGNegativeCurvature(t *testing.T) {
	// f(x) = x⁴/4 − x²/2 + y²: minima at (±1, 0), saddle region near 0.
	pb := &Problem{N: 2,
		Func: func(x, _ []float64) float64 { return math.Pow(x[0], 4)/4 - x[0]*x[0]/2 + x[1]*x[1] },
		Grad: func(dst, x, _ []float64) {
			dst[0] = x[0]*x[0]*x[0] - x[0]
			dst[1] = 2 * x[1]
		},
	}
	for _, m := range []Method{NewtonCG, LBFGS, BFGS, GradientDescent, NonlinearCG, GonumLBFGS, GonumBFGS} {
		res, err := Minimize(context.Background(), pb, nil, []float64{0.1, 1}, &Settings{Method: m, Tol: 1e-10})
		require.NoError(t, err, "%v", m)
		assert.InDelta(t, 1, math.Abs(res.X[0]), 1e-8, "%v", m)
		assert.InDelta(t, 0, res.X[1], 1e-8, "%v", m)
	}
}

func TestLogger(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rng := rand.New(rand.NewPCG(17, 18))
	x, y, _ := randData(rng, 20, 3)
	pb, err := Ridge(x, y, L2{})
	require.NoError(t, err)
	_, err = Minimize(context.Background(), pb, []float64{0.1}, make([]float64, 3), &Settings{Logger: log})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "smooth: iteration")
	assert.Contains(t, buf.String(), "smooth: done")
}

func TestNilDesign(t *testing.T) {
	var x *mat.Dense
	_, err := Ridge(x, []float64{1}, L2{})
	assert.ErrorIs(t, err, ErrDims)
	_, err = Logistic(nil, []float64{1}, L2{})
	assert.ErrorIs(t, err, ErrDims)
}
