package implicit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit/linsolve"
)

func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func relErr(x, ref []float64) float64 {
	var d, r float64
	for i := range x {
		d += (x[i] - ref[i]) * (x[i] - ref[i])
		r += ref[i] * ref[i]
	}
	return math.Sqrt(d / math.Max(r, 1e-300))
}

// ridge is F(w, θ) = (XᵀX + λI) w − Xᵀy with θ = (λ, y₁…yₘ): the
// stationarity condition of ½‖y − Xw‖² + (λ/2)‖w‖².
type ridge struct {
	x          *mat.Dense
	factorized bool // return ∂ₓF as a kept Cholesky factorization
	solves     *int // counts Solve calls on the factorization
}

func (r *ridge) Dims() (int, int) { m, n := r.x.Dims(); return n, 1 + m }

func (r *ridge) hessian(lambda float64) *mat.SymDense {
	_, n := r.x.Dims()
	h := mat.NewSymDense(n, nil)
	h.SymOuterK(1, r.x.T())
	for i := range n {
		h.SetSym(i, i, h.At(i, i)+lambda)
	}
	return h
}

func (r *ridge) Residual(dst, w, theta []float64) {
	m, n := r.x.Dims()
	h := r.hessian(theta[0])
	d := mat.NewVecDense(n, dst)
	d.MulVec(h, mat.NewVecDense(n, w))
	var xty mat.VecDense
	xty.MulVec(r.x.T(), mat.NewVecDense(m, theta[1:]))
	d.SubVec(d, &xty)
}

type countingChol struct {
	*linsolve.Cholesky
	n *int
}

func (c countingChol) Solve(dst, b []float64) error  { *c.n++; return c.Cholesky.Solve(dst, b) }
func (c countingChol) SolveT(dst, b []float64) error { *c.n++; return c.Cholesky.SolveT(dst, b) }
func (c countingChol) SolveMat(dst *mat.Dense, b mat.Matrix, trans bool) error {
	*c.n++
	return c.Cholesky.SolveMat(dst, b, trans)
}

func (r *ridge) Linearize(w, theta []float64) (Operator, Operator, error) {
	m, n := r.x.Dims()
	h := r.hessian(theta[0])
	var dx Operator = linsolve.NewMatrix(h)
	if r.factorized {
		ch, err := linsolve.NewCholesky(h)
		if err != nil {
			return nil, nil, err
		}
		dx = countingChol{ch, r.solves}
	}
	wc := append([]float64(nil), w...)
	dtheta := linsolve.NewFunc(n, 1+m,
		func(dst, v []float64) { // [w | −Xᵀ] v
			var xv mat.VecDense
			xv.MulVec(r.x.T(), mat.NewVecDense(m, v[1:]))
			for i := range dst {
				dst[i] = wc[i]*v[0] - xv.AtVec(i)
			}
		},
		func(dst, u []float64) {
			var s float64
			for i := range u {
				s += wc[i] * u[i]
			}
			dst[0] = s
			var xu mat.VecDense
			xu.MulVec(r.x, mat.NewVecDense(n, u))
			for i := range m {
				dst[1+i] = -xu.AtVec(i)
			}
		})
	return dx, dtheta, nil
}

// solve returns w*(θ) by a dense solve.
func (r *ridge) solve(theta []float64) []float64 {
	m, n := r.x.Dims()
	var xty, w mat.VecDense
	xty.MulVec(r.x.T(), mat.NewVecDense(m, theta[1:]))
	if err := w.SolveVec(r.hessian(theta[0]), &xty); err != nil {
		panic(err)
	}
	return append(make([]float64, 0, n), w.RawVector().Data...)
}

// closedForm returns ∂w*/∂θ = (XᵀX + λI)⁻¹ [−w | Xᵀ].
func (r *ridge) closedForm(theta []float64) *mat.Dense {
	m, n := r.x.Dims()
	w := r.solve(theta)
	rhs := mat.NewDense(n, 1+m, nil)
	for i := range n {
		rhs.Set(i, 0, -w[i])
		for j := range m {
			rhs.Set(i, 1+j, r.x.At(j, i))
		}
	}
	var j mat.Dense
	if err := j.Solve(r.hessian(theta[0]), rhs); err != nil {
		panic(err)
	}
	return &j
}

func newRidge(rng *rand.Rand, m, n int) (*ridge, []float64) {
	r := &ridge{x: randDense(rng, m, n), solves: new(int)}
	theta := append([]float64{0.5 + rng.Float64()}, randVec(rng, m)...)
	return r, theta
}

func TestRidgeAllMethodsMatchClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	methods := []Method{Auto, DenseLU, DenseCholesky, DenseQR, CG, NormalCG, GMRES, BiCGSTAB}
	for trial := range 3 {
		r, theta := newRidge(rng, 12, 8) // p = 13 > n = 8: Jacobian goes through VJPs
		w := r.solve(theta)
		want := r.closedForm(theta)
		_, p := r.Dims()
		for _, m := range methods {
			for _, fact := range []bool{false, true} {
				name := fmt.Sprintf("trial%d/%v/factorized=%v", trial, m, fact)
				r.factorized = fact
				s := &Settings{Method: m, Tol: 1e-13}
				jac, err := Jacobian(context.Background(), r, w, theta, s)
				require.NoError(t, err, name)
				assert.True(t, mat.EqualApprox(jac, want, 1e-8*mat.Norm(want, math.Inf(1))), name)
				// VJP and JVP against the closed form.
				g := randVec(rng, len(w))
				vjp, err := VJP(context.Background(), r, w, theta, g, s)
				require.NoError(t, err, name)
				var wantVJP mat.VecDense
				wantVJP.MulVec(want.T(), mat.NewVecDense(len(g), g))
				assert.Less(t, relErr(vjp, wantVJP.RawVector().Data), 1e-8, name)
				dth := randVec(rng, p)
				jvp, err := JVP(context.Background(), r, w, theta, dth, s)
				require.NoError(t, err, name)
				var wantJVP mat.VecDense
				wantJVP.MulVec(want, mat.NewVecDense(p, dth))
				assert.Less(t, relErr(jvp, wantJVP.RawVector().Data), 1e-8, name)
			}
		}
	}
}

func TestFactorizationReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	r, theta := newRidge(rng, 10, 6)
	r.factorized = true
	w := r.solve(theta)
	l, err := Linearize(r, w, theta, nil)
	require.NoError(t, err)
	_, err = l.Jacobian()
	require.NoError(t, err)
	// One blocked solve with the kept factor for the whole Jacobian.
	assert.Equal(t, 1, *r.solves)
	g := randVec(rng, 6)
	dst := make([]float64, 11)
	require.NoError(t, l.VJP(dst, g))
	require.NoError(t, l.JVP(g, dst))
	// Each further query is one more solve with the same factor.
	assert.Equal(t, 3, *r.solves)
}

// The scalar root x³ + θx − 1 = 0 has dx/dθ = −x / (3x² + θ).
func TestScalarRoot(t *testing.T) {
	c := Numerical(1, 1, func(dst, x, th []float64) { dst[0] = x[0]*x[0]*x[0] + th[0]*x[0] - 1 })
	exact := &ConditionFunc{N: 1, P: 1,
		ResidualFunc: func(dst, x, th []float64) { dst[0] = x[0]*x[0]*x[0] + th[0]*x[0] - 1 },
		LinearizeFunc: func(x, th []float64) (Operator, Operator, error) {
			return linsolve.Diagonal{3*x[0]*x[0] + th[0]}, linsolve.NewMatrix(mat.NewDense(1, 1, []float64{x[0]})), nil
		}}
	for _, th := range []float64{-1, 0.3, 2, 10} {
		// Newton for the root.
		x := 1.0
		for range 100 {
			x -= (x*x*x + th*x - 1) / (3*x*x + th)
		}
		want := -x / (3*x*x + th)
		for name, cond := range map[string]Condition{"analytic": exact, "numerical": c} {
			d, err := JVP(context.Background(), cond, []float64{x}, []float64{th}, []float64{1}, nil)
			require.NoError(t, err)
			tol := 1e-12
			if name == "numerical" {
				tol = 1e-8
			}
			assert.InDelta(t, want, d[0], tol*math.Max(1, math.Abs(want)), "%s θ=%v", name, th)
			g, err := VJP(context.Background(), cond, []float64{x}, []float64{th}, []float64{1}, nil)
			require.NoError(t, err)
			assert.InDelta(t, want, g[0], tol*math.Max(1, math.Abs(want)), "%s θ=%v", name, th)
		}
	}
}

// tanhMap is T(x, θ) = tanh(W x + θ) with ‖W‖ < 1: a contraction.
type tanhMap struct{ w *mat.Dense }

func (m tanhMap) Dims() (int, int) { n, _ := m.w.Dims(); return n, n }
func (m tanhMap) Map(dst, x, theta []float64) {
	n := len(x)
	d := mat.NewVecDense(n, dst)
	d.MulVec(m.w, mat.NewVecDense(n, x))
	for i := range dst {
		dst[i] = math.Tanh(dst[i] + theta[i])
	}
}
func (m tanhMap) Linearize(x, theta []float64) (Operator, Operator, error) {
	n := len(x)
	t := make([]float64, n)
	m.Map(t, x, theta)
	d := make(linsolve.Diagonal, n)
	for i := range d {
		d[i] = 1 - t[i]*t[i]
	}
	var dw mat.Dense
	dw.Mul(mat.NewDiagDense(n, d), m.w)
	return linsolve.NewMatrix(&dw), d, nil
}

func (m tanhMap) solve(theta []float64) []float64 {
	x := make([]float64, len(theta))
	next := make([]float64, len(theta))
	for range 500 {
		m.Map(next, x, theta)
		copy(x, next)
	}
	return x
}

func TestFixedPointAgainstFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 7
	for trial := range 4 {
		w := randDense(rng, n, n)
		w.Scale(0.6/math.Sqrt(float64(n))/2, w)
		tm := tanhMap{w}
		theta := randVec(rng, n)
		x := tm.solve(theta)
		// Central differences of the solution map θ ↦ x*(θ).
		want := mat.NewDense(n, n, nil)
		fd.Jacobian(want, func(dst, th []float64) { copy(dst, tm.solve(th)) }, theta, &fd.JacobianSettings{Formula: fd.Central})
		for _, m := range []Method{Auto, GMRES, BiCGSTAB, Neumann} {
			s := &Settings{Method: m, NeumannTerms: 200}
			jac, err := Jacobian(context.Background(), FixedPoint(tm), x, theta, s)
			require.NoError(t, err)
			assert.True(t, mat.EqualApprox(jac, want, 1e-7), "trial %d %v", trial, m)
		}
		// A wrong derivative is caught by Check.
		res, err := Check(FixedPoint(tm), x, theta, nil)
		require.NoError(t, err)
		assert.Less(t, res.Worst(), 1e-8)
		bad := &MapFunc{N: n, P: n, MapF: tm.Map, LinearizeFunc: func(x, th []float64) (Operator, Operator, error) {
			dx, dth, err := tm.Linearize(x, th)
			return linsolve.Scaled(-1, dx), dth, err // wrong sign
		}}
		res, err = Check(FixedPoint(bad), x, theta, nil)
		require.NoError(t, err)
		assert.Greater(t, res.X, 1e-3)
	}
}

// randomCondition is F(x, θ) = A x + B θ + ½ sin(x) ∘ (C θ), linear plus a
// smooth coupling, with hand derivatives.
type randomCondition struct{ a, b, c *mat.Dense }

func (r randomCondition) Dims() (int, int) { _, p := r.b.Dims(); n, _ := r.a.Dims(); return n, p }
func (r randomCondition) Residual(dst, x, th []float64) {
	n, p := r.Dims()
	var ax, bt, ct mat.VecDense
	ax.MulVec(r.a, mat.NewVecDense(n, x))
	bt.MulVec(r.b, mat.NewVecDense(p, th))
	ct.MulVec(r.c, mat.NewVecDense(p, th))
	for i := range dst {
		dst[i] = ax.AtVec(i) + bt.AtVec(i) + 0.5*math.Sin(x[i])*ct.AtVec(i)
	}
}
func (r randomCondition) Linearize(x, th []float64) (Operator, Operator, error) {
	n, p := r.Dims()
	var ct mat.VecDense
	ct.MulVec(r.c, mat.NewVecDense(p, th))
	dx := mat.DenseCopyOf(r.a)
	for i := range n {
		dx.Set(i, i, dx.At(i, i)+0.5*math.Cos(x[i])*ct.AtVec(i))
	}
	dt := mat.DenseCopyOf(r.b)
	for i := range n {
		for j := range p {
			dt.Set(i, j, dt.At(i, j)+0.5*math.Sin(x[i])*r.c.At(i, j))
		}
	}
	return linsolve.NewMatrix(dx), linsolve.NewMatrix(dt), nil
}

func TestAdjointIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for trial := range 6 {
		n, p := 3+rng.IntN(10), 1+rng.IntN(12)
		a := randDense(rng, n, n)
		for i := range n {
			a.Set(i, i, a.At(i, i)+2*math.Sqrt(float64(n)))
		}
		c := randomCondition{a, randDense(rng, n, p), randDense(rng, n, p)}
		x, th := randVec(rng, n), randVec(rng, p)
		res, err := Check(c, x, th, nil)
		require.NoError(t, err)
		assert.Less(t, res.Worst(), 1e-8, "trial %d", trial)
		for _, m := range []Method{Auto, GMRES, BiCGSTAB, NormalCG} {
			l, err := Linearize(c, x, th, &Settings{Method: m, Tol: 1e-13})
			require.NoError(t, err)
			u, v := randVec(rng, n), randVec(rng, p)
			jv := make([]float64, n)
			jtu := make([]float64, p)
			require.NoError(t, l.JVP(jv, v))
			require.NoError(t, l.VJP(jtu, u))
			var lhs, rhs float64
			for i := range u {
				lhs += u[i] * jv[i]
			}
			for i := range v {
				rhs += jtu[i] * v[i]
			}
			assert.InDelta(t, lhs, rhs, 1e-9*math.Max(1, math.Abs(lhs)), "trial %d %v", trial, m)
		}
	}
}

func TestNumericalFallbackMatchesAnalytic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const n, p = 6, 4
	a := randDense(rng, n, n)
	for i := range n {
		a.Set(i, i, a.At(i, i)+5)
	}
	c := randomCondition{a, randDense(rng, n, p), randDense(rng, n, p)}
	num := Numerical(n, p, c.Residual)
	x, th := randVec(rng, n), randVec(rng, p)
	j1, err := Jacobian(context.Background(), c, x, th, nil)
	require.NoError(t, err)
	j2, err := Jacobian(context.Background(), num, x, th, nil)
	require.NoError(t, err)
	assert.True(t, mat.EqualApprox(j1, j2, 1e-8))
}

func TestProblem(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	r, theta := newRidge(rng, 9, 5)
	pb := &Problem{
		Solver:    func(_ context.Context, th, _ []float64) ([]float64, error) { return r.solve(th), nil },
		Condition: r,
		Tol:       1e-9,
	}
	sol, err := pb.Solve(context.Background(), theta, nil)
	require.NoError(t, err)
	jac, err := sol.Jacobian()
	require.NoError(t, err)
	assert.True(t, mat.EqualApprox(jac, r.closedForm(theta), 1e-9))
	g := randVec(rng, 5)
	v := make([]float64, 10)
	require.NoError(t, sol.VJP(v, g))
	assert.Len(t, v, 10)
	// A solver that disagrees with its condition is caught.
	bad := &Problem{Solver: func(_ context.Context, th, _ []float64) ([]float64, error) {
		w := r.solve(th)
		w[0] += 1e-3
		return w, nil
	}, Condition: r, Tol: 1e-9}
	_, err = bad.Solve(context.Background(), theta, nil)
	assert.True(t, errors.Is(err, ErrResidual))
	_, err = pb.Solve(context.Background(), theta[:3], nil)
	assert.True(t, errors.Is(err, ErrDims))
}

func TestErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	r, theta := newRidge(rng, 6, 4)
	w := r.solve(theta)
	_, err := VJP(context.Background(), r, w[:3], theta, []float64{1, 2, 3}, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = VJP(context.Background(), r, w, theta, []float64{1, 2, 3}, nil)
	assert.True(t, errors.Is(err, ErrDims))
	_, err = JVP(context.Background(), r, w, theta, make([]float64, 5), nil)
	assert.True(t, errors.Is(err, ErrDims))
	nan := append([]float64(nil), theta...)
	nan[2] = math.NaN()
	_, err = JVP(context.Background(), r, w, nan, make([]float64, 7), nil)
	assert.True(t, errors.Is(err, ErrNaN))
	_, err = VJP(context.Background(), r, w, theta, []float64{1, math.Inf(1), 0, 0}, nil)
	assert.True(t, errors.Is(err, ErrNaN))
	// A singular ∂ₓF: ridge with λ = 0 and fewer rows than columns.
	sing := &ridge{x: randDense(rng, 2, 4), solves: new(int)}
	th := []float64{0, 1, 2}
	_, err = JVP(context.Background(), sing, make([]float64, 4), th, []float64{1, 0, 0}, nil)
	assert.True(t, errors.Is(err, ErrSolve), "%v", err)
	assert.True(t, errors.Is(err, linsolve.ErrSingular), "%v", err)
	// The ridge term makes it solvable.
	_, err = JVP(context.Background(), sing, make([]float64, 4), th, []float64{1, 0, 0}, &Settings{Ridge: 1e-6})
	assert.NoError(t, err)
	// Non-convergence of an iterative method is reported.
	_, err = JVP(context.Background(), r, w, theta, randVec(rng, 7), &Settings{Method: GMRES, MaxIter: 1, Tol: 1e-14})
	assert.True(t, errors.Is(err, ErrSolve), "%v", err)
	assert.True(t, errors.Is(err, linsolve.ErrNotConverged), "%v", err)
}

// Above the crossover Auto runs GMRES; when GMRES fails (here: capped at
// one iteration) it falls back to a dense LU and still answers exactly.
func TestAutoFallsBackToDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	const n = 40
	r, theta := newRidge(rng, 50, n)
	w := r.solve(theta)
	want := r.closedForm(theta)
	wrapped := &ConditionFunc{N: n, P: 51, ResidualFunc: r.Residual,
		LinearizeFunc: func(x, th []float64) (Operator, Operator, error) {
			dx, dth, err := r.Linearize(x, th)
			if err != nil {
				return nil, nil, err
			}
			// Hide the matrix behind a closure: a matrix-free operator.
			return linsolve.NewFunc(n, n, dx.Apply, dx.ApplyT), dth, nil
		}}
	l, err := Linearize(wrapped, w, theta, &Settings{DenseCrossover: 10, MaxIter: 1, Tol: 1e-14})
	require.NoError(t, err)
	assert.Equal(t, GMRES, l.method())
	g := randVec(rng, n)
	got := make([]float64, 51)
	require.NoError(t, l.VJP(got, g))
	var wantVJP mat.VecDense
	wantVJP.MulVec(want.T(), mat.NewVecDense(n, g))
	assert.Less(t, relErr(got, wantVJP.RawVector().Data), 1e-9)
	assert.Equal(t, DenseLU, l.method(), "the fallback sticks for later queries")
	// An explicitly chosen GMRES reports its failure instead.
	_, err = VJP(context.Background(), wrapped, w, theta, g, &Settings{Method: GMRES, MaxIter: 1, Tol: 1e-14})
	assert.True(t, errors.Is(err, linsolve.ErrNotConverged), "%v", err)
}

// The engine's Krylov solves stop within one product of ∂ₓF after the
// caller's ctx is done, with no dense fallback, and the results are the
// same as without a context when ctx is never done.
func TestEngineCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	n, p := 300, 4
	a := randDense(rng, n, n)
	for i := range n {
		a.Set(i, i, a.At(i, i)+3*math.Sqrt(float64(n)))
	}
	b := randDense(rng, n, p)
	x, th := make([]float64, n), make([]float64, p)
	g := make([]float64, n)
	for i := range g {
		g[i] = rng.NormFloat64()
	}
	var products int
	var hook func()
	c := &ConditionFunc{N: n, P: p,
		ResidualFunc: func(dst, x, th []float64) {},
		LinearizeFunc: func(x, th []float64) (Operator, Operator, error) {
			dx := linsolve.NewFunc(n, n,
				func(dst, v []float64) { products++; hook(); mat.NewVecDense(n, dst).MulVec(a, mat.NewVecDense(n, v)) },
				func(dst, u []float64) {
					products++
					hook()
					mat.NewVecDense(n, dst).MulVec(a.T(), mat.NewVecDense(n, u))
				})
			return dx, linsolve.NewMatrix(b), nil
		}}
	for _, m := range []Method{Auto, GMRES, BiCGSTAB, NormalCG} {
		s := &Settings{Method: m, Tol: 1e-14}
		hook = func() {}
		ref, err := VJP(context.Background(), c, x, th, g, s)
		require.NoError(t, err, m)
		l, err := Linearize(c, x, th, s)
		require.NoError(t, err)
		got := make([]float64, p)
		require.NoError(t, l.VJP(got, g))
		assert.Equal(t, ref, got, "%v: VJP is VJPContext with a context never done", m)

		ctx, cancel := context.WithCancel(context.Background())
		products = 0
		hook = func() {
			if products == 5 {
				cancel()
			}
		}
		_, err = VJP(ctx, c, x, th, g, s)
		require.ErrorIs(t, err, context.Canceled, m)
		assert.LessOrEqual(t, products, 5+2, "%v: products after the cancellation (a dense fallback would take %d)", m, n)
		products = 0
		_, err = JVP(ctx, c, x, th, []float64{1, 0, 0, 0}, s)
		require.ErrorIs(t, err, context.Canceled, m)
		assert.Zero(t, products, "a done ctx stops JVP before its solve")
		_, err = Jacobian(ctx, c, x, th, s)
		require.ErrorIs(t, err, context.Canceled, m)
		require.ErrorIs(t, l.VJPContext(ctx, got, g), context.Canceled)
		require.ErrorIs(t, l.AdjointContext(ctx, make([]float64, n), g), context.Canceled)
		cancel()
	}
	// A Solution's context methods.
	sol, err := NewSolution(linCond(), x2, th3, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, sol.VJPContext(ctx, make([]float64, 3), g2), context.Canceled)
	require.ErrorIs(t, sol.JVPContext(ctx, make([]float64, 2), th3), context.Canceled)
	_, err = sol.JacobianContext(ctx)
	require.ErrorIs(t, err, context.Canceled)
	want, err := sol.Jacobian()
	require.NoError(t, err)
	j, err := sol.JacobianContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, j)
}
