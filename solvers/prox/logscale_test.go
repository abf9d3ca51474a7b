package prox

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// TestLogScaleJacobianFD: the prox of LogScale(g) is g's at e^θ, and its
// ∂prox/∂θ matches central differences in θ (separable and group
// regularizers), away from kinks.
func TestLogScaleJacobianFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 40))
	const h = 1e-6
	for seed := range 3 {
		n := 5 + seed
		for name, g := range map[string]Regularizer{
			"L1 per coordinate": L1{PerCoordinate: true},
			"ElasticNet":        ElasticNet{},
			"GroupLasso":        GroupLasso{Groups: [][]int{{0, 1}, {2, 3}, {4}}},
		} {
			lg := LogScale(g)
			_, isDiag := lg.(Diagonal)
			_, wantDiag := g.(Diagonal)
			assert.Equal(t, wantDiag, isDiag, name)
			p := g.NumParams(n)
			theta := make([]float64, p)
			for j := range theta {
				theta[j] = -1 + 0.5*rng.Float64()
			}
			lam := make([]float64, p)
			for j := range lam {
				lam[j] = math.Exp(theta[j])
			}
			v := make([]float64, n)
			for i := range v {
				v[i] = 2 * rng.NormFloat64()
			}
			eta := 0.7
			if nearKink(g, v, lam, eta, 1e-3) {
				continue
			}
			a, b := make([]float64, n), make([]float64, n)
			require.NoError(t, lg.Prox(a, v, theta, eta))
			require.NoError(t, g.Prox(b, v, lam, eta))
			assert.Equal(t, b, a, name)
			_, dl, err := lg.Jacobian(v, theta, eta)
			require.NoError(t, err)
			dth := make([]float64, p)
			for j := range dth {
				dth[j] = rng.NormFloat64()
			}
			got := make([]float64, n)
			dl.Apply(got, dth)
			tp, tm := make([]float64, p), make([]float64, p)
			for j := range theta {
				tp[j], tm[j] = theta[j]+h*dth[j], theta[j]-h*dth[j]
			}
			fp, fm := make([]float64, n), make([]float64, n)
			require.NoError(t, lg.Prox(fp, v, tp, eta))
			require.NoError(t, lg.Prox(fm, v, tm, eta))
			for i := range got {
				assert.InDelta(t, (fp[i]-fm[i])/(2*h), got[i], 1e-7, "%s [%d]", name, i)
			}
			u := make([]float64, n)
			for i := range u {
				u[i] = rng.NormFloat64()
			}
			gt := make([]float64, p)
			dl.ApplyT(gt, u)
			assert.InDelta(t, dot(u, got), dot(gt, dth), 1e-12, "%s adjoint", name)
		}
	}
}

// TestLassoLogScale: on the log scale the lasso's solution is the
// linear-scale one at λ = e^θ, and its derivatives are the linear-scale
// ones times λ (support path, condition, ConditionStep).
func TestLassoLogScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 12))
	ctx := context.Background()
	for seed := range 3 {
		x, y := randomLasso(rng, 40, 8+seed, 3)
		for _, pen := range []Penalty{{}, {Strengths: smooth.PerFeature}, {ElasticNet: true}} {
			lin, err := NewLasso(x, y, pen)
			require.NoError(t, err)
			pen.LogScale = true
			lg, err := NewLasso(x, y, pen)
			require.NoError(t, err)
			_, p := lg.Dims()
			theta := make([]float64, p)
			for j := range theta {
				theta[j] = math.Log(lin.LambdaMax() * (0.05 + 0.2*rng.Float64()))
			}
			lam := make([]float64, p)
			for j := range lam {
				lam[j] = math.Exp(theta[j])
			}
			rl, err := lin.Solve(ctx, lam, nil, &CDSettings{Tol: 1e-14})
			require.NoError(t, err)
			rg, err := lg.Solve(ctx, theta, nil, &CDSettings{Tol: 1e-14})
			require.NoError(t, err)
			assert.Equal(t, rl.W, rg.W, pen.String())
			ol, err := lin.Objective(rl.W, lam)
			require.NoError(t, err)
			og, err := lg.Objective(rg.W, theta)
			require.NoError(t, err)
			assert.Equal(t, ol, og)
			sl, err := lin.Linearize(rl.W, lam)
			require.NoError(t, err)
			sg, err := lg.Linearize(rg.W, theta)
			require.NoError(t, err)
			d := len(rl.W)
			g := make([]float64, d)
			for i := range g {
				g[i] = rng.NormFloat64()
			}
			vl, vg := make([]float64, p), make([]float64, p)
			require.NoError(t, sl.VJP(vl, g))
			require.NoError(t, sg.VJP(vg, g))
			for j := range vl {
				assert.InDelta(t, lam[j]*vl[j], vg[j], 1e-10*math.Max(1, math.Abs(vg[j])), "%v VJP", pen)
			}
			// The engine on Condition and on ConditionStep(η) gives the
			// support path's VJP.
			for _, c := range []implicit.Condition{lg.Condition(), lg.ConditionStep(0.3), lg.ConditionStep(1 / lg.Lipschitz())} {
				ve, err := implicit.VJP(context.Background(), c, rg.W, theta, g, nil)
				require.NoError(t, err)
				for j := range ve {
					assert.InDelta(t, vg[j], ve[j], 1e-9*math.Max(1, math.Abs(vg[j])), "%v engine VJP", pen)
				}
			}
		}
	}
	l, err := NewLasso(mat.NewDense(3, 2, []float64{1, 0, 0, 1, 1, 1}), []float64{1, 2, 3}, Penalty{LogScale: true})
	require.NoError(t, err)
	_, err = l.Solve(ctx, []float64{710}, nil, nil)
	assert.ErrorIs(t, err, ErrInvalid, "e^θ overflows")
	_, err = l.Solve(ctx, []float64{-3}, nil, nil)
	assert.NoError(t, err, "a negative log-strength is valid")
	res := make([]float64, 2)
	l.ConditionStep(-1).Residual(res, []float64{0, 0}, []float64{0})
	assert.True(t, math.IsNaN(res[0]), "a negative step")
	_, _, err = l.ConditionStep(math.NaN()).Linearize([]float64{0, 0}, []float64{0})
	assert.ErrorIs(t, err, ErrInvalid)
	en, err := NewLasso(mat.NewDense(3, 2, []float64{1, 0, 0, 1, 1, 1}), []float64{1, 2, 3}, Penalty{ElasticNet: true, LogScale: true})
	require.NoError(t, err)
	_, err = en.Path(ctx, []float64{1, 0.5}, nil)
	assert.ErrorIs(t, err, ErrInvalid, "λ₂ = 0 on the log scale")
}

// TestLogisticAgainstFISTA: the proximal Newton solution of sparse
// logistic regression is FISTA's on the same composite problem, it is zero
// above LambdaMax and not below, and its Result differentiates like the
// engine on its condition.
func TestLogisticAgainstFISTA(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 90))
	ctx := context.Background()
	for seed := range 3 {
		n, d := 60+10*seed, 6
		x := mat.NewDense(n, d, nil)
		y := make([]float64, n)
		for i := range n {
			var s float64
			for j := range d {
				v := rng.NormFloat64()
				x.Set(i, j, v)
				if j < 3 {
					s += v
				}
			}
			y[i] = 1
			if s+0.5*rng.NormFloat64() < 0 {
				y[i] = -1
			}
		}
		for _, pen := range []Penalty{{}, {Strengths: smooth.PerFeature, LogScale: true}, {ElasticNet: true}} {
			l, err := NewLogistic(x, y, pen)
			require.NoError(t, err)
			_, p := l.Dims()
			theta := make([]float64, p)
			for j := range theta {
				theta[j] = l.LambdaMax() * (0.05 + 0.1*rng.Float64())
				if pen.LogScale {
					theta[j] = math.Log(theta[j])
				}
			}
			res, err := l.Solve(ctx, theta, nil, &Settings{Tol: 1e-12})
			require.NoError(t, err)
			assert.True(t, res.Converged)
			ref, err := Minimize(ctx, l.Composite(), theta, make([]float64, d), &Settings{Tol: 1e-12, MaxIter: 100000})
			require.NoError(t, err)
			for j := range res.X {
				assert.InDelta(t, ref.X[j], res.X[j], 1e-9, "%v seed %d", pen, seed)
			}
			assert.InDelta(t, ref.Objective, res.Objective, 1e-12)
			g := make([]float64, d)
			for i := range g {
				g[i] = rng.NormFloat64()
			}
			got := make([]float64, p)
			require.NoError(t, res.VJP(got, g))
			c, xs, th := res.Condition()
			want, err := implicit.VJP(context.Background(), c, xs, th, g, nil)
			require.NoError(t, err)
			assert.InDeltaSlice(t, want, got, 1e-9)
		}
		l, err := NewLogistic(x, y, Penalty{})
		require.NoError(t, err)
		above, err := l.Solve(ctx, []float64{1.001 * l.LambdaMax()}, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, make([]float64, d), above.X)
		below, err := l.Solve(ctx, []float64{0.98 * l.LambdaMax()}, nil, nil)
		require.NoError(t, err)
		assert.Greater(t, maxAbs(below.X), 0.0)
	}
}

func TestLogisticErrors(t *testing.T) {
	x := mat.NewDense(4, 2, []float64{1, 0.5, -0.3, 1, 0.7, -1.2, -1, 0.2})
	y := []float64{1, -1, 1, -1}
	ctx := context.Background()
	_, err := NewLogistic(nil, y, Penalty{})
	assert.ErrorIs(t, err, ErrDims)
	_, err = NewLogistic(x, y[:3], Penalty{})
	assert.ErrorIs(t, err, ErrDims)
	_, err = NewLogistic(x, []float64{0, 1, 0, 1}, Penalty{})
	assert.ErrorIs(t, err, ErrInvalid, "labels 0/1")
	nx := mat.DenseCopyOf(x)
	nx.Set(0, 0, math.NaN())
	_, err = NewLogistic(nx, y, Penalty{})
	assert.ErrorIs(t, err, ErrNaN)
	_, err = NewLogistic(x, y, Penalty{Strengths: smooth.PerClass})
	assert.ErrorIs(t, err, ErrInvalid)
	l, err := NewLogistic(x, y, Penalty{})
	require.NoError(t, err)
	_, err = l.Solve(ctx, []float64{-1}, nil, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = l.Solve(ctx, []float64{0.1, 0.1}, nil, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = l.Solve(ctx, []float64{0.1}, []float64{0}, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = l.Solve(ctx, []float64{0.1}, []float64{math.NaN(), 0}, nil)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = l.Solve(ctx, []float64{0.1}, nil, &Settings{Tol: -1})
	assert.ErrorIs(t, err, ErrInvalid)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	res, err := l.Solve(cctx, []float64{0.001}, nil, nil)
	assert.ErrorIs(t, err, ErrNotConverged)
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	var nl *Logistic
	_, err = nl.Solve(ctx, nil, nil, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.True(t, math.IsNaN(nl.LambdaMax()))
	assert.Nil(t, nl.Composite())
}
