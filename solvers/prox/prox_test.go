package prox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/smooth"
)

var (
	_ Diagonal    = L1{}
	_ Diagonal    = ElasticNet{}
	_ Diagonal    = NonNegL1{}
	_ Diagonal    = SquaredL2{}
	_ Diagonal    = NonNegSquaredL2{}
	_ Diagonal    = Zero{}
	_ Diagonal    = Box{}
	_ Diagonal    = NonNegative{}
	_ Regularizer = GroupLasso{}
	_ Regularizer = L2Ball{}
)

type proxCase struct {
	name  string
	g     Regularizer
	theta func(rng *rand.Rand, n int) []float64
}

func proxCases() []proxCase {
	pos := func(k int) func(rng *rand.Rand, n int) []float64 {
		return func(rng *rand.Rand, n int) []float64 {
			if k < 0 {
				k = n
			}
			out := make([]float64, k)
			for i := range out {
				out[i] = 0.2 + rng.Float64()
			}
			return out
		}
	}
	return []proxCase{
		{"L1", L1{}, pos(1)},
		{"L1/weights", L1{Weights: []float64{0.5, 1, 2, 0, 1.5, 1}}, pos(1)},
		{"L1/per-coordinate", L1{PerCoordinate: true}, pos(-1)},
		{"ElasticNet", ElasticNet{}, pos(2)},
		{"NonNegL1", NonNegL1{}, pos(1)},
		{"SquaredL2", SquaredL2{}, pos(1)},
		{"NonNegSquaredL2", NonNegSquaredL2{}, pos(1)},
		{"GroupLasso", GroupLasso{Groups: [][]int{{0, 1}, {2, 3, 4}}}, pos(1)},
		{"Box", Box{}, func(rng *rand.Rand, n int) []float64 {
			out := make([]float64, 2*n)
			for j := range n {
				out[j] = -1 - rng.Float64()
				out[n+j] = 0.5 + rng.Float64()
			}
			return out
		}},
		{"Box/scalar", Box{Scalar: true}, func(rng *rand.Rand, n int) []float64 { return []float64{-1 - rng.Float64(), 0.5 + rng.Float64()} }},
		{"NonNegative", NonNegative{}, pos(0)},
		{"L2Ball", L2Ball{}, func(rng *rand.Rand, n int) []float64 { return []float64{0.5 + 3*rng.Float64()} }},
		{"Zero", Zero{}, pos(0)},
	}
}

// TestProxJacobiansFD checks ∂prox/∂v and ∂prox/∂λ against central
// differences at random points, and prox optimality against random
// perturbations.
func TestProxJacobiansFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const n = 6
	for _, tc := range proxCases() {
		for trial := range 20 {
			v := make([]float64, n)
			for j := range v {
				v[j] = 3 * rng.NormFloat64()
			}
			theta := tc.theta(rng, n)
			require.NoError(t, tc.g.Check(n, theta), tc.name)
			eta := 0.5 + rng.Float64()
			x := make([]float64, n)
			require.NoError(t, tc.g.Prox(x, v, theta, eta))
			// Prox optimality: ½‖x − v‖² + ηg(x) is minimal.
			obj := func(z []float64) float64 {
				var s float64
				for j := range z {
					s += 0.5 * (z[j] - v[j]) * (z[j] - v[j])
				}
				gz, err := tc.g.Value(z, theta)
				require.NoError(t, err)
				return s + eta*gz
			}
			best := obj(x)
			require.False(t, math.IsInf(best, 0), "%s: prox output outside the domain", tc.name)
			z := make([]float64, n)
			for range 200 {
				for j := range z {
					z[j] = x[j] + 1e-3*rng.NormFloat64()
				}
				assert.GreaterOrEqual(t, obj(z), best-1e-12, "%s trial %d: prox is not the minimizer", tc.name, trial)
			}
			// Skip points within 1e-4 of a kink: the map is not
			// differentiable there and finite differences straddle it.
			if nearKink(tc.g, v, theta, eta, 1e-4) {
				continue
			}
			dv, dl, err := tc.g.Jacobian(v, theta, eta)
			require.NoError(t, err)
			jv := mat.NewDense(n, n, nil)
			fd.Jacobian(jv, func(dst, vv []float64) { require.NoError(t, tc.g.Prox(dst, vv, theta, eta)) }, v, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
			assert.True(t, mat.EqualApprox(linsolve.Dense(dv), jv, 1e-7), "%s trial %d ∂/∂v\n%v\n%v", tc.name, trial, mat.Formatted(linsolve.Dense(dv)), mat.Formatted(jv))
			assert.True(t, mat.EqualApprox(linsolve.DenseT(dv), linsolve.Dense(dv), 1e-14), "%s ApplyT", tc.name)
			p := len(theta)
			if p == 0 {
				continue
			}
			jl := mat.NewDense(n, p, nil)
			fd.Jacobian(jl, func(dst, th []float64) { require.NoError(t, tc.g.Prox(dst, v, th, eta)) }, theta, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
			assert.True(t, mat.EqualApprox(linsolve.Dense(dl), jl, 1e-7), "%s trial %d ∂/∂λ\n%v\n%v", tc.name, trial, mat.Formatted(linsolve.Dense(dl)), mat.Formatted(jl))
			assert.True(t, mat.EqualApprox(linsolve.DenseT(dl), linsolve.Dense(dl), 1e-14), "%s ApplyT λ", tc.name)
			if dg, ok := tc.g.(Diagonal); ok {
				d := make([]float64, n)
				require.NoError(t, dg.DiagJacobian(d, v, theta, eta))
				for j := range n {
					assert.Equal(t, jv.At(j, j) > 0.5*math.Max(d[j], 1e-300), d[j] > 0, "%s diag %d", tc.name, j)
					assert.InDelta(t, jv.At(j, j), d[j], 1e-7, "%s diag %d", tc.name, j)
				}
			}
		}
	}
}

// nearKink reports whether prox is within h of a non-differentiable point
// at v: it compares one-sided differences.
func nearKink(g Regularizer, v, theta []float64, eta, h float64) bool {
	n := len(v)
	x0 := make([]float64, n)
	xp := make([]float64, n)
	xm := make([]float64, n)
	if g.Prox(x0, v, theta, eta) != nil {
		return true
	}
	vp := append([]float64(nil), v...)
	for j := range n {
		vp[j] = v[j] + h
		errP := g.Prox(xp, vp, theta, eta)
		vp[j] = v[j] - h
		errM := g.Prox(xm, vp, theta, eta)
		if errP != nil || errM != nil {
			return true
		}
		vp[j] = v[j]
		for i := range n {
			if math.Abs((xp[i]-x0[i])-(x0[i]-xm[i])) > 1e-3*h {
				return true
			}
		}
	}
	return false
}

func TestProxCheckErrors(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		g     Regularizer
		n     int
		theta []float64
		want  error
	}{
		{L1{}, 3, []float64{-1}, ErrInvalid},
		{L1{}, 3, []float64{nan}, ErrNaN},
		{L1{}, 3, []float64{1, 2}, ErrDims},
		{L1{PerCoordinate: true}, 3, []float64{1, 2}, ErrDims},
		{L1{Weights: []float64{1, -1, 1}}, 3, []float64{1}, ErrInvalid},
		{L1{Weights: []float64{1, 1}}, 3, []float64{1}, ErrDims},
		{ElasticNet{}, 3, []float64{1, -0.1}, ErrInvalid},
		{NonNegL1{}, 3, []float64{math.Inf(1)}, ErrNaN},
		{SquaredL2{}, 3, []float64{-2}, ErrInvalid},
		{NonNegSquaredL2{}, 3, []float64{-2}, ErrInvalid},
		{GroupLasso{Groups: [][]int{{0, 1}, {1, 2}}}, 3, []float64{1}, ErrInvalid},
		{GroupLasso{Groups: [][]int{{0, 5}}}, 3, []float64{1}, ErrDims},
		{GroupLasso{Groups: [][]int{{0}}, Weights: []float64{-1}}, 3, []float64{1}, ErrInvalid},
		{Box{}, 2, []float64{0, 2, 1, 1}, ErrInvalid},
		{Box{Scalar: true}, 2, []float64{1}, ErrDims},
		{L2Ball{}, 2, []float64{-1}, ErrInvalid},
		{NonNegative{}, 2, []float64{1}, ErrDims},
	}
	for i, c := range cases {
		err := c.g.Check(c.n, c.theta)
		assert.ErrorIs(t, err, c.want, "case %d (%T)", i, c.g)
	}
}

// TestCompositeConditions solves constrained and regularized least
// squares by FISTA and checks the generic fixed-point condition's
// derivatives against central differences of re-solved problems.
func TestCompositeConditions(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	ctx := context.Background()
	n, d := 40, 6
	for _, tc := range []struct {
		name  string
		g     Regularizer
		theta []float64
	}{
		{"GroupLasso", GroupLasso{Groups: [][]int{{0, 1}, {2, 3}, {4, 5}}}, []float64{0.3}},
		{"Box", Box{Scalar: true}, []float64{-0.6, 0.7}},
		{"L2Ball", L2Ball{}, []float64{1.2}},
		{"NonNegL1", NonNegL1{}, []float64{0.1}},
		{"SquaredL2", SquaredL2{}, []float64{0.5}},
		{"NonNegSquaredL2", NonNegSquaredL2{}, []float64{0.5}},
		{"ElasticNet", ElasticNet{}, []float64{0.2, 0.3}},
	} {
		x, y := randomLasso(rng, n, d, d)
		f, err := smooth.LeastSquares(x, y)
		require.NoError(t, err)
		c := &Composite{F: f, G: tc.g}
		solve := func(th []float64) []float64 {
			res, err := Minimize(ctx, c, th, make([]float64, d), &Settings{Tol: 1e-13, MaxIter: 100000})
			require.NoError(t, err, tc.name)
			return res.X
		}
		w := solve(tc.theta)
		fdJ := mat.NewDense(d, len(tc.theta), nil)
		fd.Jacobian(fdJ, func(dst, th []float64) { copy(dst, solve(th)) }, tc.theta, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
		for _, eta := range []float64{0.1, 1} {
			jac, err := implicit.Jacobian(context.Background(), Condition(c, eta), w, tc.theta, nil)
			require.NoError(t, err, tc.name)
			viaMap, err := implicit.Jacobian(context.Background(), implicit.FixedPoint(FixedPoint(c, eta)), w, tc.theta, nil)
			require.NoError(t, err, tc.name)
			assert.True(t, mat.EqualApprox(jac, viaMap, 1e-9), "%s η=%v Condition vs FixedPoint map", tc.name, eta)
			assert.True(t, mat.EqualApprox(jac, fdJ, 1e-6*math.Max(1, mat.Norm(fdJ, math.Inf(1)))), "%s η=%v\n%v\n%v", tc.name, eta, mat.Formatted(jac), mat.Formatted(fdJ))
		}
	}
}

// TestCompositeSmoothParams differentiates an l1 + l2-logistic problem
// with respect to both the l1 strength (a prox parameter) and the
// logistic l2 strength (a parameter of f), exercising ∂θ_f∇f.
func TestCompositeSmoothParams(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	ctx := context.Background()
	n, d := 80, 5
	x, y := randomLasso(rng, n, d, 3)
	ys := make([]float64, n)
	for i := range y {
		ys[i] = math.Copysign(1, y[i])
	}
	f, err := smooth.Logistic(x, ys, smooth.L2{LogScale: true})
	require.NoError(t, err)
	c := &Composite{F: f, G: L1{}}
	theta := []float64{0.01, -2}
	solve := func(th []float64) []float64 {
		res, err := Minimize(ctx, c, th, make([]float64, d), &Settings{Tol: 1e-13, MaxIter: 100000})
		require.NoError(t, err)
		return res.X
	}
	w := solve(theta)
	require.NotEmpty(t, support(w))
	fdJ := mat.NewDense(d, 2, nil)
	fd.Jacobian(fdJ, func(dst, th []float64) { copy(dst, solve(th)) }, theta, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
	jac, err := implicit.Jacobian(context.Background(), Condition(c, 1), w, theta, nil)
	require.NoError(t, err)
	assert.True(t, mat.EqualApprox(jac, fdJ, 1e-6*math.Max(1, mat.Norm(fdJ, math.Inf(1)))), "\n%v\n%v", mat.Formatted(jac), mat.Formatted(fdJ))
	// The support-factorized ∂ₓF of Condition against the matrix-free map
	// through implicit.FixedPoint, solved densely and by GMRES.
	viaMap, err := implicit.Jacobian(context.Background(), implicit.FixedPoint(FixedPoint(c, 1)), w, theta, nil)
	require.NoError(t, err)
	assert.True(t, mat.EqualApprox(jac, viaMap, 1e-10), "\n%v\n%v", mat.Formatted(jac), mat.Formatted(viaMap))
	viaGMRES, err := implicit.Jacobian(context.Background(), Condition(c, 1), w, theta, &implicit.Settings{Method: implicit.GMRES, Tol: 1e-13})
	require.NoError(t, err)
	assert.True(t, mat.EqualApprox(jac, viaGMRES, 1e-9))
	// Reverse mode through the transpose products.
	g := []float64{1, -2, 0.5, 3, -1}
	vjp, err := implicit.VJP(context.Background(), Condition(c, 1), w, theta, g, nil)
	require.NoError(t, err)
	var want mat.VecDense
	want.MulVec(jac.T(), mat.NewVecDense(d, g))
	assert.InDeltaSlice(t, want.RawVector().Data, vjp, 1e-9)
	r, err := implicit.Check(Condition(c, 1), w, theta, &implicit.CheckSettings{Step: 1e-7})
	require.NoError(t, err)
	assert.Less(t, r.Worst(), 1e-6)
}

func TestMinimizeErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	x, y := randomLasso(rng, 10, 3, 2)
	f, err := smooth.LeastSquares(x, y)
	require.NoError(t, err)
	c := &Composite{F: f, G: L1{}}
	ctx := context.Background()
	_, err = Minimize(ctx, c, []float64{-1}, make([]float64, 3), nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Minimize(ctx, c, []float64{math.NaN()}, make([]float64, 3), nil)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = Minimize(ctx, c, []float64{1}, make([]float64, 4), nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = Minimize(ctx, c, []float64{1}, []float64{0, math.Inf(-1), 0}, nil)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = Minimize(ctx, &Composite{G: L1{}}, []float64{1}, make([]float64, 3), nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = Minimize(ctx, c, []float64{0.01}, make([]float64, 3), &Settings{StepSize: -1})
	assert.ErrorIs(t, err, ErrInvalid)
	res, err := Minimize(ctx, c, []float64{0.01}, make([]float64, 3), &Settings{MaxIter: 2, Tol: 1e-14})
	assert.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, res)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Minimize(cctx, c, []float64{0.01}, make([]float64, 3), nil)
	assert.ErrorIs(t, err, ErrNotConverged)
	assert.True(t, errors.Is(err, context.Canceled))
}

func TestLassoErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	x, y := randomLasso(rng, 10, 3, 2)
	ctx := context.Background()
	_, err := NewLasso(x, y[:5], Penalty{})
	assert.ErrorIs(t, err, ErrDims)
	bad := mat.DenseCopyOf(x)
	bad.Set(2, 1, math.NaN())
	_, err = NewLasso(bad, y, Penalty{})
	assert.ErrorIs(t, err, ErrNaN)
	yb := append([]float64(nil), y...)
	yb[0] = math.Inf(1)
	_, err = NewLasso(x, yb, Penalty{})
	assert.ErrorIs(t, err, ErrNaN)
	_, err = NewLasso(x, y, Penalty{Strengths: -1})
	assert.ErrorIs(t, err, ErrInvalid)
	l, err := NewLasso(x, y, Penalty{Strengths: smooth.PerFeature})
	require.NoError(t, err)
	_, err = l.Solve(ctx, []float64{1}, nil, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = l.Solve(ctx, []float64{1, -1, 1}, nil, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = l.Solve(ctx, []float64{1, math.NaN(), 1}, nil, nil)
	assert.ErrorIs(t, err, ErrNaN)
	_, err = l.Solve(ctx, []float64{1, 1, 1}, []float64{0, 0}, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = l.Linearize([]float64{1, 0}, []float64{1, 1, 1})
	assert.ErrorIs(t, err, ErrDims)
	res, err := l.Solve(ctx, []float64{0.01, 0.01, 0.01}, nil, &CDSettings{MaxIter: 1, Tol: 1e-15})
	assert.ErrorIs(t, err, ErrNotConverged)
	require.NotNil(t, res)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = l.Solve(cctx, []float64{0.01, 0.01, 0.01}, nil, nil)
	assert.ErrorIs(t, err, ErrNotConverged)
	// More active features than samples: the support system is singular.
	xw, yw := randomLasso(rng, 3, 8, 8)
	lw, err := NewLasso(xw, yw, Penalty{})
	require.NoError(t, err)
	_, err = lw.Linearize([]float64{1, 1, 1, 1, 0, 0, 0, 0}, []float64{0.1})
	assert.ErrorIs(t, err, ErrSingular)
}

// TestLassoWarmStartPath checks that a warm-started path gives the same
// solutions as cold starts.
func TestLassoWarmStartPath(t *testing.T) {
	train, _ := diabetes(t)
	l, err := NewLasso(train.X, train.Y, Penalty{})
	require.NoError(t, err)
	grid, err := LambdaGrid(l.LambdaMax(), 1e-3, 20)
	require.NoError(t, err)
	path, err := l.Path(context.Background(), grid, nil)
	require.NoError(t, err)
	require.Len(t, path, 20)
	for k, lam := range grid {
		cold, err := l.Solve(context.Background(), []float64{lam}, nil, nil)
		require.NoError(t, err)
		assert.Less(t, maxAbsDiff(cold.W, path[k].W), 1e-6*math.Max(1, maxAbs(cold.W)), fmt.Sprintf("λ=%v", lam))
	}
	assert.Empty(t, path[0].Support())
	assert.Len(t, path[19].Support(), 10)
}

// TestProxKinkConvention checks the documented choice at kinks: the
// returned Jacobian equals the one-sided difference taken towards the
// side where the output sits on the boundary (the coordinate stays at
// zero, the point stays on the face or sphere).
func TestProxKinkConvention(t *testing.T) {
	const h = 1e-7
	oneSided := func(g Regularizer, v, theta []float64, eta float64, dir []float64) []float64 {
		n := len(v)
		x0 := make([]float64, n)
		x1 := make([]float64, n)
		require.NoError(t, g.Prox(x0, v, theta, eta))
		vp := make([]float64, n)
		for i := range v {
			vp[i] = v[i] + h*dir[i]
		}
		require.NoError(t, g.Prox(x1, vp, theta, eta))
		for i := range x1 {
			x1[i] = (x1[i] - x0[i]) / h
		}
		return x1
	}
	apply := func(op linsolve.Operator, z []float64) []float64 {
		r, _ := op.Dims()
		out := make([]float64, r)
		op.Apply(out, z)
		return out
	}
	// Soft thresholding at |v| = ηλ: the inward side keeps the output 0.
	v := []float64{1.5, -1.5}
	dv, _, err := L1{}.Jacobian(v, []float64{1.5}, 1)
	require.NoError(t, err)
	in := []float64{-1, 1}
	assert.InDeltaSlice(t, oneSided(L1{}, v, []float64{1.5}, 1, in), apply(dv, in), 1e-6)
	// Box at v = u: moving outward keeps the output on the face.
	vb := []float64{1, 0.2}
	tb := []float64{-1, 1}
	dvb, _, err := Box{Scalar: true}.Jacobian(vb, tb, 1)
	require.NoError(t, err)
	out := []float64{1, 0}
	assert.InDeltaSlice(t, oneSided(Box{Scalar: true}, vb, tb, 1, out), apply(dvb, out), 1e-6)
	// l2 ball at ‖v‖ = r: moving outward keeps the output on the sphere.
	vs := []float64{0.6, 0.8}
	dvs, _, err := L2Ball{}.Jacobian(vs, []float64{1}, 1)
	require.NoError(t, err)
	assert.InDeltaSlice(t, oneSided(L2Ball{}, vs, []float64{1}, 1, vs), apply(dvs, vs), 1e-6)
	// Group lasso at ‖v_G‖ = ηλw_G: shrinking keeps the group at zero.
	gl := GroupLasso{Groups: [][]int{{0, 1}}, Weights: []float64{1}}
	vg := []float64{0.6, 0.8}
	dvg, _, err := gl.Jacobian(vg, []float64{1}, 1)
	require.NoError(t, err)
	shrink := []float64{-0.6, -0.8}
	assert.InDeltaSlice(t, oneSided(gl, vg, []float64{1}, 1, shrink), apply(dvg, shrink), 1e-6)
}

// TestFISTAVariants checks that ISTA, FISTA without restart and a fixed
// step reach the same elastic-net solution as coordinate descent.
func TestFISTAVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	x, y := randomLasso(rng, 60, 20, 5)
	l, err := NewLasso(x, y, Penalty{ElasticNet: true})
	require.NoError(t, err)
	theta := []float64{0.1 * l.LambdaMax(), 0.05}
	ctx := context.Background()
	ref, err := l.Solve(ctx, theta, nil, &CDSettings{Tol: 1e-13})
	require.NoError(t, err)
	for _, set := range []Settings{
		{},
		{NoRestart: true},
		{NoAcceleration: true},
		{StepSize: 1 / l.Lipschitz()},
	} {
		set.Tol = 1e-11
		set.MaxIter = 200000
		res, err := Minimize(ctx, l.Composite(), theta, make([]float64, 20), &set)
		require.NoError(t, err, "%+v", set)
		assert.Less(t, maxAbsDiff(res.X, ref.W), 1e-9*math.Max(1, maxAbs(ref.W)), "%+v", set)
		assert.InDelta(t, ref.Objective, res.Objective, 1e-12*math.Max(1, ref.Objective))
	}
}

func TestImplicitProblems(t *testing.T) {
	rng := rand.New(rand.NewPCG(131, 132))
	x, y := randomLasso(rng, 50, 8, 3)
	l, err := NewLasso(x, y, Penalty{ElasticNet: true})
	require.NoError(t, err)
	theta := []float64{0.1 * l.LambdaMax(), 0.1}
	ctx := context.Background()
	p1 := l.ImplicitProblem(&CDSettings{Tol: 1e-13}, nil)
	p1.Tol = 1e-9
	s1, err := p1.Solve(ctx, theta, nil)
	require.NoError(t, err)
	p2 := ImplicitProblem(l.Composite(), 1/l.Lipschitz(), &Settings{Tol: 1e-12, MaxIter: 100000}, nil)
	p2.Tol = 1e-9
	s2, err := p2.Solve(ctx, theta, nil)
	require.NoError(t, err)
	assert.Less(t, maxAbsDiff(s1.X, s2.X), 1e-9*math.Max(1, maxAbs(s1.X)))
	g := make([]float64, 8)
	for j := range g {
		g[j] = rng.NormFloat64()
	}
	v1, v2 := make([]float64, len(s1.Theta)), make([]float64, len(s2.Theta))
	require.NoError(t, s1.VJP(v1, g))
	require.NoError(t, s2.VJP(v2, g))
	assert.InDeltaSlice(t, v1, v2, 1e-7*math.Max(1, maxAbs(v1)))
	j1 := make([]float64, len(s1.X))
	require.NoError(t, s1.JVP(j1, []float64{1, 0.5}))
	sl, err := l.Linearize(s1.X, theta)
	require.NoError(t, err)
	j3 := make([]float64, 8)
	require.NoError(t, sl.JVP(j3, []float64{1, 0.5}))
	assert.InDeltaSlice(t, j3, j1, 1e-9*math.Max(1, maxAbs(j3)))
}

func TestLoggers(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rng := rand.New(rand.NewPCG(161, 162))
	x, y := randomLasso(rng, 30, 8, 3)
	l, err := NewLasso(x, y, Penalty{})
	require.NoError(t, err)
	_, err = l.Solve(context.Background(), []float64{0.1 * l.LambdaMax()}, nil, &CDSettings{Logger: log})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "lasso CD check")
	buf.Reset()
	_, err = Minimize(context.Background(), l.Composite(), []float64{0.1 * l.LambdaMax()}, make([]float64, 8), &Settings{Logger: log})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "FISTA done")
}

// TestSparseLogisticPerFeature differentiates an l1 + l2 logistic model
// with one l1 strength and one l2 strength per feature (θ of length 2d)
// through the support-factorized condition, the matrix-free map and
// central differences.
func TestSparseLogisticPerFeature(t *testing.T) {
	rng := rand.New(rand.NewPCG(171, 172))
	ctx := context.Background()
	n, d := 100, 5
	x, y := randomLasso(rng, n, d, 3)
	ys := make([]float64, n)
	for i := range y {
		ys[i] = math.Copysign(1, y[i]+0.5*rng.NormFloat64())
	}
	f, err := smooth.Logistic(x, ys, smooth.L2{Strengths: smooth.PerFeature, LogScale: true})
	require.NoError(t, err)
	c := &Composite{F: f, G: L1{PerCoordinate: true}}
	theta := []float64{0.01, 0.02, 0.005, 0.03, 0.01, -3, -2, -4, -3, -2.5}
	solve := func(th []float64) []float64 {
		res, err := Minimize(ctx, c, th, make([]float64, d), &Settings{Tol: 1e-13, MaxIter: 200000})
		require.NoError(t, err)
		return res.X
	}
	w := solve(theta)
	k := len(support(w))
	require.True(t, k > 0 && k < d, "want a partial support, have %d", k)
	fdJ := mat.NewDense(d, len(theta), nil)
	fd.Jacobian(fdJ, func(dst, th []float64) { copy(dst, solve(th)) }, theta, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-6})
	jac, err := implicit.Jacobian(context.Background(), Condition(c, 2), w, theta, nil)
	require.NoError(t, err)
	viaMap, err := implicit.Jacobian(context.Background(), implicit.FixedPoint(FixedPoint(c, 2)), w, theta, nil)
	require.NoError(t, err)
	assert.True(t, mat.EqualApprox(jac, fdJ, 1e-6*math.Max(1, mat.Norm(fdJ, math.Inf(1)))), "\n%v\n%v", mat.Formatted(jac), mat.Formatted(fdJ))
	assert.True(t, mat.EqualApprox(jac, viaMap, 1e-10))
	// Off-support rows are zero: those coefficients stay at 0.
	for j := range d {
		if w[j] == 0 {
			for p := range theta {
				assert.Zero(t, jac.At(j, p))
			}
		}
	}
}

func TestObjectiveErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(181, 182))
	x, y := randomLasso(rng, 10, 3, 2)
	l, err := NewLasso(x, y, Penalty{})
	require.NoError(t, err)
	_, err = l.Objective([]float64{1, 2}, []float64{1})
	assert.ErrorIs(t, err, ErrDims)
	_, err = l.Objective([]float64{1, 2, 3}, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, _, err = l.DualityGap([]float64{1, math.NaN(), 3}, []float64{1})
	assert.ErrorIs(t, err, ErrNaN)
	c := l.Composite()
	_, err = c.Objective([]float64{1, 2, 3}, nil)
	assert.ErrorIs(t, err, ErrDims)
	v, err := c.Objective([]float64{1, 2, 3}, []float64{0.5})
	require.NoError(t, err)
	want, err := l.Objective([]float64{1, 2, 3}, []float64{0.5})
	require.NoError(t, err)
	assert.InDelta(t, want, v, 1e-12*want)
}

// TestProxExtremeScales checks that the norm-based operators stay finite
// for tiny and huge inputs (no underflow in ‖v‖² or overflow in ‖v‖³).
func TestProxExtremeScales(t *testing.T) {
	for _, g := range []struct {
		op    Regularizer
		theta []float64
	}{
		{GroupLasso{Groups: [][]int{{0, 1}}}, []float64{0}},
		{GroupLasso{Groups: [][]int{{0, 1}}}, []float64{1e-310}},
		{L2Ball{}, []float64{0}},
		{L2Ball{}, []float64{1e-310}},
	} {
		for _, v := range [][]float64{{1e-300, 1e-300}, {1e300, -1e300}, {1e-320, 0}} {
			x := make([]float64, 2)
			require.NoError(t, g.op.Prox(x, v, g.theta, 1))
			dv, dl, err := g.op.Jacobian(v, g.theta, 1)
			require.NoError(t, err)
			jv, jl := linsolve.Dense(dv), linsolve.Dense(dl)
			assert.True(t, finite(x), "%T %v", g.op, v)
			assert.LessOrEqual(t, mat.Norm(jv, math.Inf(1)), 2.0, "%T %v", g.op, v)
			assert.LessOrEqual(t, mat.Norm(jl, math.Inf(1)), 2.0, "%T %v", g.op, v)
		}
	}
}
