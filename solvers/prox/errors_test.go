package prox

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// quadratic returns f(x) = ½ Σ qᵢ(xᵢ − aᵢ)², with the gradient negated
// when wrongGrad is set (a gradient inconsistent with f).
func quadratic(q, a []float64, wrongGrad bool) *smooth.Problem {
	s := 1.0
	if wrongGrad {
		s = -1
	}
	return &smooth.Problem{
		N: len(q),
		Func: func(x, _ []float64) float64 {
			var v float64
			for i := range x {
				v += 0.5 * q[i] * (x[i] - a[i]) * (x[i] - a[i])
			}
			return v
		},
		Grad: func(dst, x, _ []float64) {
			for i := range x {
				dst[i] = s * q[i] * (x[i] - a[i])
			}
		},
	}
}

// TestFISTAStallWrongGradient: with a gradient that points uphill no step
// decreases f; FISTA must stop with ErrStalled and the starting point as
// best iterate, long before MaxIter.
func TestFISTAStallWrongGradient(t *testing.T) {
	q, a := []float64{1, 2, 3}, []float64{1, -2, 3}
	c := &Composite{F: quadratic(q, a, true), G: Zero{}}
	x0 := []float64{0.5, 0.5, 0.5}
	res, err := Minimize(context.Background(), c, nil, x0, &Settings{MaxIter: 100000})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrStalled)
	assert.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, res)
	assert.Equal(t, x0, res.X)
	f0, err := c.Objective(x0, nil)
	require.NoError(t, err)
	assert.Equal(t, f0, res.Objective)
	assert.LessOrEqual(t, res.Iterations, 201)
	assert.False(t, res.Converged)
}

// TestFISTAStallBacktracking: f jumps by 1e6 as soon as x leaves x0 (not
// smooth), so no step of any length satisfies the sufficient-decrease
// test; backtracking gives up in the first iteration with ErrStalled and
// x0 as best iterate.
func TestFISTAStallBacktracking(t *testing.T) {
	x0 := []float64{0.5, 0.5, 0.5}
	smoothPart := quadratic([]float64{1, 2, 3}, []float64{1, -2, 3}, false)
	f := &smooth.Problem{N: 3, Grad: smoothPart.Grad, Func: func(x, th []float64) float64 {
		v := smoothPart.Func(x, th)
		for i := range x {
			if x[i] != x0[i] {
				return v + 1e6
			}
		}
		return v
	}}
	c := &Composite{F: f, G: L1{}}
	theta := []float64{0.1}
	res, err := Minimize(context.Background(), c, theta, x0, &Settings{MaxIter: 1000})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrStalled)
	assert.ErrorIs(t, err, ErrNotConverged)
	assert.Contains(t, err.Error(), "backtracking")
	require.NotNil(t, res)
	assert.Equal(t, x0, res.X)
	f0, err := c.Objective(x0, theta)
	require.NoError(t, err)
	assert.Equal(t, f0, res.Objective)
	assert.Equal(t, 1, res.Iterations)
}

// TestFISTAStallDivergent: a fixed step 2.5/L makes the iteration
// diverge along the top eigenvector; the objective never improves on its
// early values and the run stops after StallIter iterations with the best
// iterate, long before MaxIter.
func TestFISTAStallDivergent(t *testing.T) {
	q, a := []float64{1, 0.5, 0.2}, []float64{1, -2, 3}
	c := &Composite{F: quadratic(q, a, false), G: L1{}}
	x0 := []float64{3, 0, 0}
	theta := []float64{0.01}
	for _, noAcc := range []bool{true, false} {
		res, err := Minimize(context.Background(), c, theta, x0, &Settings{StepSize: 2.5, StallIter: 25, MaxIter: 100000, NoAcceleration: noAcc})
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrStalled, "noAcc=%v", noAcc)
		assert.ErrorIs(t, err, ErrNotConverged)
		require.NotNil(t, res)
		assert.Less(t, res.Iterations, 40, "noAcc=%v", noAcc)
		// The best iterate is returned with its objective, which is no
		// worse than the start's.
		obj, err := c.Objective(res.X, theta)
		require.NoError(t, err)
		assert.Equal(t, obj, res.Objective)
		f0, err := c.Objective(x0, theta)
		require.NoError(t, err)
		assert.LessOrEqual(t, res.Objective, f0)
		assert.True(t, finite(res.X))
	}
	// Without stall detection the same run goes on to MaxIter or to
	// overflow: the detector is what stops it.
	res, err := Minimize(context.Background(), c, theta, x0, &Settings{StepSize: 2.5, StallIter: -1, MaxIter: 100, NoAcceleration: true})
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrStalled))
	assert.Equal(t, 100, res.Iterations)
}

// TestFISTAStallInexactGradient: a gradient with an error of about 1e-9
// that changes at every call (as from an inner solver or a stochastic
// estimate; here a deterministic sequence) puts a floor
// under ‖G‖∞ far above Tol; FISTA stalls at that floor and returns the
// solution to the accuracy the gradient allows (checked against
// coordinate descent on the exact problem) with ErrStalled, long before
// MaxIter.
func TestFISTAStallInexactGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	const n, d = 40, 10
	x, y := randomLasso(rng, n, d, 3)
	l, err := NewLasso(x, y, Penalty{})
	require.NoError(t, err)
	theta := []float64{0.1 * l.LambdaMax()}
	ref, err := l.Solve(context.Background(), theta, nil, &CDSettings{Tol: 1e-14})
	require.NoError(t, err)
	exact := l.Composite().F
	noisy := *exact
	calls := 0
	noisy.Grad = func(dst, w, th []float64) {
		exact.Grad(dst, w, th)
		calls++
		for i := range dst {
			dst[i] += 1e-9 * math.Sin(float64(calls*d+i))
		}
	}
	c := &Composite{F: &noisy, G: L1{}}
	const maxIter = 100000
	res, err := Minimize(context.Background(), c, theta, make([]float64, d), &Settings{Tol: 1e-12, MaxIter: maxIter})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrStalled)
	assert.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, res)
	assert.Less(t, res.Iterations, maxIter/20)
	assert.Greater(t, res.Residual, 1e-12)
	assert.InDeltaSlice(t, ref.W, res.X, 1e-7)
	assert.InDelta(t, ref.Objective, res.Objective, 1e-12*math.Abs(ref.Objective))
	obj, err := c.Objective(res.X, theta)
	require.NoError(t, err)
	assert.Equal(t, obj, res.Objective, "the objective returned is the best iterate's")
	// With the exact gradient the same run converges as before.
	res, err = Minimize(context.Background(), l.Composite(), theta, make([]float64, d), &Settings{Tol: 1e-10})
	require.NoError(t, err)
	assert.True(t, res.Converged)
	assert.InDeltaSlice(t, ref.W, res.X, 1e-9)
}

// TestOperatorMethodErrors calls every method of every operator with bad
// arguments: each must return the documented error, never panic.
func TestOperatorMethodErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	const n = 6
	v := make([]float64, n)
	for j := range v {
		v[j] = rng.NormFloat64()
	}
	nanV := append([]float64(nil), v...)
	nanV[2] = math.NaN()
	infV := append([]float64(nil), v...)
	infV[4] = math.Inf(-1)
	cases := append(proxCases(), proxCase{"Indicator", Indicator(simplex{}), func(*rand.Rand, int) []float64 { return nil }})
	for _, tc := range cases {
		g := tc.g
		theta := tc.theta(rng, n)
		good := make([]float64, n)
		require.NoError(t, g.Prox(good, v, theta, 1), tc.name)
		long := append(append([]float64(nil), theta...), 1)
		for _, err := range []error{
			g.Prox(make([]float64, n-1), v, theta, 1),
			g.Prox(good, v, long, 1),
			g.Prox(good, v, theta[:max(len(theta)-1, 0)], 1),
		} {
			if len(theta) == 0 && err == nil {
				continue // theta[:0] is the valid empty λ
			}
			assert.ErrorIs(t, err, ErrDims, tc.name)
		}
		assert.ErrorIs(t, g.Prox(good, nanV, theta, 1), ErrNaN, tc.name)
		assert.ErrorIs(t, g.Prox(good, infV, theta, 1), ErrNaN, tc.name)
		for _, eta := range []float64{0, -1, math.NaN(), math.Inf(1)} {
			assert.ErrorIs(t, g.Prox(good, v, theta, eta), ErrInvalid, "%s η=%v", tc.name, eta)
			_, _, err := g.Jacobian(v, theta, eta)
			assert.ErrorIs(t, err, ErrInvalid, "%s η=%v", tc.name, eta)
		}
		_, err := g.Value(nanV, theta)
		assert.ErrorIs(t, err, ErrNaN, tc.name)
		_, err = g.Value(v, long)
		assert.ErrorIs(t, err, ErrDims, tc.name)
		_, _, err = g.Jacobian(v, long, 1)
		assert.ErrorIs(t, err, ErrDims, tc.name)
		_, _, err = g.Jacobian(infV, theta, 1)
		assert.ErrorIs(t, err, ErrNaN, tc.name)
		if len(theta) > 0 {
			bad := append([]float64(nil), theta...)
			bad[0] = math.NaN()
			assert.ErrorIs(t, g.Prox(good, v, bad, 1), ErrNaN, tc.name)
			if _, isBox := g.(Box); !isBox {
				bad[0] = -1
				assert.ErrorIs(t, g.Prox(good, v, bad, 1), ErrInvalid, tc.name)
				_, err = g.Value(v, bad)
				assert.ErrorIs(t, err, ErrInvalid, tc.name)
			}
		}
		if dg, ok := g.(Diagonal); ok {
			assert.ErrorIs(t, dg.DiagJacobian(make([]float64, n+1), v, theta, 1), ErrDims, tc.name)
			assert.ErrorIs(t, dg.DiagJacobian(good, nanV, theta, 1), ErrNaN, tc.name)
			assert.ErrorIs(t, dg.DiagJacobian(good, v, long, 1), ErrDims, tc.name)
		}
	}
	// Fixed configuration that does not fit is re-checked on every call.
	dst := make([]float64, n)
	assert.ErrorIs(t, L1{Weights: []float64{1, 2}}.Prox(dst, v, []float64{1}, 1), ErrDims)
	assert.ErrorIs(t, ElasticNet{Weights: []float64{1, 1, 1, -1, 1, 1}}.Prox(dst, v, []float64{1, 1}, 1), ErrInvalid)
	assert.ErrorIs(t, NonNegL1{Weights: []float64{1, 1, 1, math.Inf(1), 1, 1}}.Prox(dst, v, []float64{1}, 1), ErrInvalid)
	assert.ErrorIs(t, GroupLasso{Groups: [][]int{{0, 9}}}.Prox(dst, v, []float64{1}, 1), ErrDims)
	assert.ErrorIs(t, GroupLasso{Groups: [][]int{{0, -1}}}.Prox(dst, v, []float64{1}, 1), ErrDims)
	assert.ErrorIs(t, GroupLasso{Groups: [][]int{{0, 1}, {1}}}.Prox(dst, v, []float64{1}, 1), ErrInvalid)
	assert.ErrorIs(t, GroupLasso{Groups: [][]int{{0}}, Weights: []float64{1, 1}}.Prox(dst, v, []float64{1}, 1), ErrDims)
	assert.ErrorIs(t, Box{}.Prox(dst, v, append(make([]float64, n), -1, 0, 0, 0, 0, 0), 1), ErrInvalid)
	assert.ErrorIs(t, L2Ball{}.Prox(dst, v, []float64{-0.5}, 1), ErrInvalid)
	assert.ErrorIs(t, Indicator(nil).Prox(dst, v, nil, 1), ErrInvalid)
	_, err := Indicator(nil).Value(v, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	// A large group set (bit set on the heap) is validated the same way.
	big := make([]float64, 3000)
	assert.ErrorIs(t, GroupLasso{Groups: [][]int{{0, 2999}, {2999}}}.Prox(big, big, []float64{1}, 1), ErrInvalid)
	assert.NoError(t, GroupLasso{Groups: [][]int{{0, 2999}, {1500}}}.Prox(big, big, []float64{1}, 1))
}

// TestConditionInvalidInput: the fixed-point map and conditions, whose
// Residual has no error result, fill it with NaN on invalid input; their
// Linearize and the engine return errors; nothing panics.
func TestConditionInvalidInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	x, y := randomLasso(rng, 12, 4, 2)
	f, err := smooth.LeastSquares(x, y)
	require.NoError(t, err)
	c := &Composite{F: f, G: L1{}}
	w := make([]float64, 4)
	allNaN := func(v []float64) bool {
		for _, z := range v {
			if !math.IsNaN(z) {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		name  string
		eta   float64
		w, th []float64
	}{
		{"θ too long", 1, w, []float64{1, 2}},
		{"θ negative", 1, w, []float64{-1}},
		{"x short", 1, w[:3], []float64{1}},
		{"x NaN", 1, []float64{0, math.NaN(), 0, 0}, []float64{1}},
		{"η zero", 0, w, []float64{1}},
	} {
		dst := make([]float64, 4)
		Condition(c, tc.eta).Residual(dst, tc.w, tc.th)
		assert.True(t, allNaN(dst), tc.name)
		FixedPoint(c, tc.eta).Map(dst, tc.w, tc.th)
		assert.True(t, allNaN(dst), tc.name)
		_, _, err := Condition(c, tc.eta).Linearize(tc.w, tc.th)
		assert.Error(t, err, tc.name)
		_, err = implicit.VJP(context.Background(), Condition(c, tc.eta), tc.w, tc.th, make([]float64, 4), nil)
		assert.Error(t, err, tc.name)
	}
	// A short dst is filled, not overrun.
	short := make([]float64, 2)
	Condition(c, 1).Residual(short, w, []float64{1})
	assert.True(t, allNaN(short))
	// Incomplete composites.
	for _, bad := range []*Composite{nil, {F: f}, {G: L1{}}} {
		bad.Dims()
		_, _, err := bad.Split([]float64{1})
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = Minimize(context.Background(), bad, []float64{1}, w, nil)
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = bad.Objective(w, []float64{1})
		assert.ErrorIs(t, err, ErrInvalid)
		dst := make([]float64, 4)
		Condition(bad, 1).Residual(dst, w, []float64{1})
		assert.True(t, allNaN(dst))
		_, err = ImplicitProblem(bad, 1, nil, nil).Solve(context.Background(), []float64{1}, nil)
		assert.Error(t, err)
	}
	// The lasso condition.
	l, err := NewLasso(x, y, Penalty{Strengths: smooth.PerFeature})
	require.NoError(t, err)
	dst := make([]float64, 4)
	l.Condition().Residual(dst, w, []float64{1})
	assert.True(t, allNaN(dst))
	l.Condition().Residual(dst, w, []float64{1, 1, -1, 1})
	assert.True(t, allNaN(dst))
	l.Condition().Residual(dst, w, []float64{1, 1, 1, 1})
	assert.True(t, finite(dst))
}

func TestLambdaGridErrors(t *testing.T) {
	for _, c := range [][2]float64{{-1, 0.1}, {math.NaN(), 0.1}, {math.Inf(1), 0.1}, {1, 0}, {1, -0.5}, {1, math.NaN()}, {1, math.Inf(1)}, {1e300, 1e300}} {
		_, err := LambdaGrid(c[0], c[1], 5)
		assert.ErrorIs(t, err, ErrInvalid, "%v", c)
	}
	g, err := LambdaGrid(2, 0.01, 3)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{2, 0.2, 0.02}, g, 1e-15)
	g, err = LambdaGrid(2, 0.01, 0)
	assert.NoError(t, err)
	assert.Nil(t, g)
}

// TestProxScaleInvariance checks the norm-based operators at extreme
// scales through their homogeneity: prox(sv; sλ) = s·prox(v; λ), and the
// Jacobians (homogeneous of degree 0) do not change. Before the scaled
// norms, ‖v‖ overflowed for entries near 1e308 and the projection
// collapsed to zero.
func TestProxScaleInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(101, 102))
	const n = 5
	for _, g := range []Regularizer{L2Ball{}, GroupLasso{Groups: [][]int{{0, 1, 2}, {3, 4}}}} {
		for range 10 {
			v := make([]float64, n)
			for j := range v {
				v[j] = rng.NormFloat64()
			}
			lam := []float64{0.3 + rng.Float64()}
			ref := make([]float64, n)
			require.NoError(t, g.Prox(ref, v, lam, 1))
			dv0, dl0, err := g.Jacobian(v, lam, 1)
			require.NoError(t, err)
			for _, s := range []float64{1e307, 1e-307} {
				vs := make([]float64, n)
				for j := range v {
					vs[j] = s * v[j]
				}
				out := make([]float64, n)
				require.NoError(t, g.Prox(out, vs, []float64{s * lam[0]}, 1))
				for j := range out {
					assert.InDelta(t, ref[j], out[j]/s, 1e-12, "%T s=%g", g, s)
				}
				dv, dl, err := g.Jacobian(vs, []float64{s * lam[0]}, 1)
				require.NoError(t, err)
				assert.True(t, mat.EqualApprox(linsolve.Dense(dv0), linsolve.Dense(dv), 1e-12), "%T s=%g ∂v", g, s)
				assert.True(t, mat.EqualApprox(linsolve.Dense(dl0), linsolve.Dense(dl), 1e-12), "%T s=%g ∂λ", g, s)
			}
		}
	}
}

// TestGroupLassoZeroGroup: with λ = 0 the prox is the identity, also on a
// group that is exactly zero (where u = v_G/‖v_G‖ is undefined; the
// Jacobian was NaN there before, found by FuzzProxOperators).
func TestGroupLassoZeroGroup(t *testing.T) {
	g := GroupLasso{Groups: [][]int{{0, 1}, {2}}}
	v := []float64{1.5, -2, 0}
	x := make([]float64, 3)
	require.NoError(t, g.Prox(x, v, []float64{0}, 2))
	assert.Equal(t, v, x)
	dv, dl, err := g.Jacobian(v, []float64{0}, 2)
	require.NoError(t, err)
	assert.True(t, mat.Equal(linsolve.Dense(dv), linsolve.Dense(linsolve.Identity(3))))
	assert.InDeltaSlice(t, []float64{-2 * math.Sqrt(2) * 0.6, 2 * math.Sqrt(2) * 0.8, 0}, linsolve.Dense(dl).RawMatrix().Data, 1e-15)
}
