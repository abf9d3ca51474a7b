package convex

// The problems of cvxpylayers' README and tests (cvxgrp/cvxpylayers,
// cvxpylayers/torch/test_cvxpylayer.py), rebuilt as models: solutions
// against an independent answer (closed form, or the hand-built QP solved
// by solvers/qp) and parameter gradients against central differences of
// the solve.

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/optlayers/optlayers/solvers/project"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"
)

// tight is the solve of the tests: Tol 1e-8 and three Newton steps of
// refinement, so that the solutions (and central differences of them)
// are accurate to near machine precision.
var tight = &Settings{Tol: 1e-8, Refine: 3}

func solveAt(t testing.TB, pb *Problem, th []float64) *Solution {
	t.Helper()
	sol, err := pb.SolveParams(context.Background(), th, tight)
	require.NoError(t, err)
	return sol
}

// lossAt is Σ wᵥ·v(θ) over the listed variables.
func lossAt(t testing.TB, pb *Problem, th []float64, w map[*Variable][]float64) float64 {
	t.Helper()
	sol := solveAt(t, pb, th)
	s := 0.0
	for v, wv := range w {
		x, err := sol.VarValue(v)
		require.NoError(t, err)
		for i := range x {
			s += wv[i] * x[i]
		}
	}
	return s
}

// checkGradFD compares Backward's gradient of Σ wᵥ·v with central
// differences along random directions (and JVP with the same numbers).
func checkGradFD(t *testing.T, pb *Problem, th []float64, vars []*Variable, rng *rand.Rand, h, tol float64) {
	t.Helper()
	w := map[*Variable][]float64{}
	for _, v := range vars {
		w[v] = randVec(rng, v.Size(), 1)
	}
	sol := solveAt(t, pb, th)
	gr, err := sol.Backward(w, nil)
	require.NoError(t, err)
	g := gr.Theta()
	for k := range 4 {
		d := randVec(rng, len(th), 1)
		if k == 0 { // one coordinate direction
			clear(d)
			d[rng.IntN(len(d))] = 1
		}
		tp, tm := append([]float64(nil), th...), append([]float64(nil), th...)
		for i := range d {
			tp[i] += h * d[i]
			tm[i] -= h * d[i]
		}
		fd := (lossAt(t, pb, tp, w) - lossAt(t, pb, tm, w)) / (2 * h)
		an := 0.0
		for i := range d {
			an += g[i] * d[i]
		}
		assert.InDelta(t, fd, an, tol*(1+math.Abs(fd)), "direction %d: central difference %v, gradient %v", k, fd, an)
		// Forward mode along d gives the same number.
		dz := make([]float64, pb.LenZ())
		require.NoError(t, sol.JVP(dz, d))
		gz, err := pb.Cotangent(w, nil)
		require.NoError(t, err)
		fw := 0.0
		for i := range dz {
			fw += gz[i] * dz[i]
		}
		assert.InDelta(t, an, fw, 1e-6*(1+math.Abs(an)))
	}
}

func setAll(t testing.TB, vals map[*Parameter][]float64) {
	for p, v := range vals {
		require.NoError(t, p.SetValue(v))
	}
}

// README / test_example: minimize ½‖Ax − b‖₁ subject to x ≥ 0, against
// the hand-built LP in (x, t): min ½Σt s.t. ±(Ax − b) ≤ t, −x ≤ 0.
func TestCvxpylayersExample(t *testing.T) {
	rng := rand.New(rand.NewPCG(243, 1))
	n, m := 2, 3
	x := NewVariable("x", n)
	A := NewMatrixParameter("A", m, n)
	b := NewParameter("b", m)
	pb, err := NewProblem(Minimize(Const(0.5).Mul(Pnorm(A.MatMul(x).Sub(b), 1))), x.Ge(Const(0)))
	require.NoError(t, err)
	av, bv := randVec(rng, m*n, 1), randVec(rng, m, 1)
	th := append(append([]float64(nil), av...), bv...)
	sol := solveAt(t, pb, th)

	Ad := denseOf(m, n, av)
	G := mat.NewDense(2*m+n, n+m, nil)
	h := make([]float64, 2*m+n)
	for i := range m {
		for j := range n {
			G.Set(i, j, Ad.At(i, j))
			G.Set(m+i, j, -Ad.At(i, j))
		}
		G.Set(i, n+i, -1)
		G.Set(m+i, n+i, -1)
		h[i], h[m+i] = bv[i], -bv[i]
	}
	for j := range n {
		G.Set(2*m+j, j, -1)
	}
	p := make([]float64, n+m)
	for i := range m {
		p[n+i] = 0.5
	}
	ref, err := qp.Solve(context.Background(), &qp.Problem{P: p, G: G, H: h}, &qp.Settings{Tol: 1e-10})
	require.NoError(t, err)
	assert.InDelta(t, ref.Objective, sol.Objective(), 1e-6)
	checkGradFD(t, pb, th, []*Variable{x}, rng, 1e-6, 1e-4)
}

// test_simple_batch_socp: ½‖P½x‖² + qᵀx s.t. Ax = b, ‖x‖ ≤ 1.
func TestCvxpylayersSimpleSOCP(t *testing.T) {
	rng := rand.New(rand.NewPCG(243, 2))
	n, m := 5, 1
	Ps := NewMatrixParameter("P_sqrt", n, n)
	q := NewParameter("q", n)
	A := NewMatrixParameter("A", m, n)
	b := NewParameter("b", m)
	x := NewVariable("x", n)
	obj := Const(0.5).Mul(SumSquares(Ps.MatMul(x))).Add(q.Dot(x))
	pb, err := NewProblem(Minimize(obj), A.MatMul(x).Eq(b), Norm2(x).Le(Const(1)))
	require.NoError(t, err)
	for range 2 {
		th := randVec(rng, pb.NumParams(), 1)
		th[len(th)-1] *= 0.3 // b small enough for Ax = b, ‖x‖ ≤ 1 to be strictly feasible
		sol := solveAt(t, pb, th)
		xv, err := sol.VarValue(x)
		require.NoError(t, err)
		nx := 0.0
		for _, v := range xv {
			nx += v * v
		}
		assert.LessOrEqual(t, math.Sqrt(nx), 1+1e-7)
		checkGradFD(t, pb, th, []*Variable{x}, rng, 1e-6, 1e-4)
	}
}

// test_least_squares: ‖Ax − b‖² + ‖x‖², x = (AᵀA + I)⁻¹Aᵀb, and the
// closed-form gradient of Σx: ∂/∂b = Aw, ∂/∂A = (b − Ax)wᵀ − (Aw)xᵀ with
// w = (AᵀA + I)⁻¹1.
func TestCvxpylayersLeastSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(243, 3))
	m, n := 100, 20
	A := NewMatrixParameter("A", m, n)
	b := NewParameter("b", m)
	x := NewVariable("x", n)
	pb, err := NewProblem(Minimize(SumSquares(A.MatMul(x).Sub(b)).Add(SumSquares(x))))
	require.NoError(t, err)
	av, bv := randVec(rng, m*n, 1), randVec(rng, m, 1)
	th := append(append([]float64(nil), av...), bv...)
	sol := solveAt(t, pb, th)
	Ad := denseOf(m, n, av)
	var H mat.Dense
	H.Mul(Ad.T(), Ad)
	for i := range n {
		H.Set(i, i, H.At(i, i)+1)
	}
	var atb, want, w mat.VecDense
	atb.MulVec(Ad.T(), mat.NewVecDense(m, bv))
	require.NoError(t, want.SolveVec(&H, &atb))
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	require.NoError(t, w.SolveVec(&H, mat.NewVecDense(n, ones)))
	xv, err := sol.VarValue(x)
	require.NoError(t, err)
	assert.InDeltaSlice(t, want.RawVector().Data, xv, 1e-6)

	gr, err := sol.Backward(map[*Variable][]float64{x: ones}, nil)
	require.NoError(t, err)
	var aw, ax mat.VecDense
	aw.MulVec(Ad, &w)
	ax.MulVec(Ad, &want)
	gA := make([]float64, m*n)
	for j := range n {
		for i := range m {
			gA[i+j*m] = (bv[i]-ax.AtVec(i))*w.AtVec(j) - aw.AtVec(i)*want.AtVec(j)
		}
	}
	assert.InDeltaSlice(t, aw.RawVector().Data, gr.Of(b), 1e-6)
	assert.InDeltaSlice(t, gA, gr.Of(A), 1e-6)
}

// test_logistic_regression: −Σ(yᵢ·xᵢᵀa − log(1 + e^{xᵢᵀa})) + λ‖a‖².
func TestCvxpylayersLogistic(t *testing.T) {
	rng := rand.New(rand.NewPCG(243, 4))
	N, n := 10, 2
	Xv := randVec(rng, N*n, 1)
	atrue := randVec(rng, n, 1)
	yv := make([]float64, N)
	for i := range N {
		z := 0.0
		for j := range n {
			z += Xv[i+j*N] * atrue[j]
		}
		z += 0.5 * rng.NormFloat64()
		if 1/(1+math.Exp(-z)) >= 0.5 {
			yv[i] = 1
		}
	}
	a := NewVariable("a", n)
	X := NewMatrixParameter("X", N, n)
	lam := NewParameter("lam", 1, Nonneg())
	Xa := X.MatMul(a)
	terms := []Expression{ConstVec(yv).Mul(Xa).Sum().Neg()}
	for i := range N {
		terms = append(terms, LogSumExp(VStack(Const(0), Xa.Index(i))))
	}
	obj := Sum(terms...).Add(lam.Mul(SumSquares(a)))
	pb, err := NewProblem(Minimize(obj))
	require.NoError(t, err)
	th := append(append([]float64(nil), Xv...), 0.1)
	sol := solveAt(t, pb, th)
	// Independent check: the gradient of the smooth objective vanishes.
	av, err := sol.VarValue(a)
	require.NoError(t, err)
	grad := make([]float64, n)
	for i := range N {
		z := Xv[i]*av[0] + Xv[i+N]*av[1]
		s := 1 / (1 + math.Exp(-z))
		for j := range n {
			grad[j] += (s - yv[i]) * Xv[i+j*N]
		}
	}
	for j := range n {
		grad[j] += 2 * 0.1 * av[j]
	}
	assert.InDeltaSlice(t, []float64{0, 0}, grad, 1e-6)
	checkGradFD(t, pb, th, []*Variable{a}, rng, 1e-4, 1e-4) // h ≫ solve accuracy / tol
}

// test_entropy_maximization: max Σentr(x) − 0.01‖x‖² s.t. Ax = b, Fx ≤ g.
func TestCvxpylayersEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(243, 5))
	n, m, p := 5, 3, 2
	tmp := make([]float64, n)
	for i := range tmp {
		tmp[i] = rng.Float64()
	}
	Av, Fv := randVec(rng, m*n, 1), randVec(rng, p*n, 1)
	bv, gv := make([]float64, m), make([]float64, p)
	for i := range m {
		for j := range n {
			bv[i] += Av[i+j*m] * tmp[j]
		}
	}
	for i := range p {
		for j := range n {
			gv[i] += Fv[i+j*p] * tmp[j]
		}
		gv[i] += rng.Float64()
	}
	x := NewVariable("x", n)
	A := NewMatrixParameter("A", m, n)
	b := NewParameter("b", m)
	F := NewMatrixParameter("F", p, n)
	g := NewParameter("g", p)
	obj := Maximize(Entropy(x).Sum().Sub(Const(0.01).Mul(SumSquares(x))))
	pb, err := NewProblem(obj, A.MatMul(x).Eq(b), F.MatMul(x).Le(g))
	require.NoError(t, err)
	var th []float64
	for _, v := range [][]float64{Av, bv, Fv, gv} {
		th = append(th, v...)
	}
	sol := solveAt(t, pb, th)
	xv, err := sol.VarValue(x)
	require.NoError(t, err)
	ax := mustVal(t, sol, A.MatMul(x))
	assert.InDeltaSlice(t, bv, ax, 1e-7)
	for _, v := range xv {
		assert.Greater(t, v, 0.0)
	}
	checkGradFD(t, pb, th, []*Variable{x}, rng, 1e-4, 1e-4)
}

// test_lml: min −xᵀy − Σentr(y) − Σentr(1 − y) s.t. Σy = 2 (the limited
// multi-label projection); its solution is yᵢ = σ(xᵢ + ν) with Σy = 2.
func TestCvxpylayersLML(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 6))
	xp := NewParameter("x", 4)
	y := NewVariable("y", 4)
	obj := xp.Dot(y).Neg().Sub(Entropy(y).Sum()).Sub(Entropy(Const(1).Sub(y)).Sum())
	pb, err := NewProblem(Minimize(obj), y.Sum().Eq(Const(2)))
	require.NoError(t, err)
	th := []float64{1, -1, -1, -1}
	sol := solveAt(t, pb, th)
	yv, err := sol.VarValue(y)
	require.NoError(t, err)
	// Bisection on ν for Σσ(xᵢ + ν) = 2.
	lo, hi := -30.0, 30.0
	for range 200 {
		nu := (lo + hi) / 2
		s := 0.0
		for _, v := range th {
			s += 1 / (1 + math.Exp(-(v + nu)))
		}
		if s > 2 {
			hi = nu
		} else {
			lo = nu
		}
	}
	want := make([]float64, 4)
	for i, v := range th {
		want[i] = 1 / (1 + math.Exp(-(v + lo)))
	}
	assert.InDeltaSlice(t, want, yv, 1e-6)
	checkGradFD(t, pb, th, []*Variable{y}, rng, 1e-4, 1e-4)
}

// test_sdp: min tr(CX) + ‖X‖_F² s.t. X ≽ 0, tr(AᵢX) = bᵢ, X symmetric.
func TestCvxpylayersSDP(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 7))
	n, p := 3, 3
	X := NewMatrixVariable("X", n, n, Symmetric())
	C := NewMatrixParameter("C", n, n)
	obj := C.MatMul(X).Trace().Add(SumSquares(X))
	cons := []*Constraint{X.Succeq(Const(0))}
	var As []*Parameter
	var bs []*Parameter
	for i := range p {
		Ai := NewMatrixParameter("A"+string(rune('0'+i)), n, n)
		bi := NewParameter("b"+string(rune('0'+i)), 1)
		As, bs = append(As, Ai), append(bs, bi)
		cons = append(cons, Ai.MatMul(X).Trace().Eq(bi))
	}
	pb, err := NewProblem(Minimize(obj), cons...)
	require.NoError(t, err)
	th := randVec(rng, pb.NumParams(), 1)
	// bᵢ = tr(AᵢX₀) for a positive definite X₀: the equalities meet the
	// interior of the PSD cone (random bᵢ may make the problem infeasible).
	x0 := []float64{2, 0.3, -0.2, 0.3, 1.5, 0.1, -0.2, 0.1, 1}
	for i := range p {
		off := pb.ParamOffset(As[i])
		s := 0.0
		for r := range n {
			for c := range n {
				s += th[off+r+c*n] * x0[c+r*n]
			}
		}
		th[pb.ParamOffset(bs[i])] = s
	}
	sol := solveAt(t, pb, th)
	xv, err := sol.VarValue(X)
	require.NoError(t, err)
	ev := symEig(n, xv)
	assert.GreaterOrEqual(t, ev[0], -1e-7)
	for i := range p {
		v := mustVal(t, sol, As[i].MatMul(X).Trace())
		assert.InDelta(t, th[pb.ParamOffset(bs[i])], v[0], 1e-7)
	}
	// The dual of X ≽ 0 is PSD and complementary to X.
	Y, err := sol.Dual(cons[0])
	require.NoError(t, err)
	ey := symEig(n, Y)
	assert.GreaterOrEqual(t, ey[0], -1e-7)
	tr := 0.0
	for i := range xv {
		tr += xv[i] * Y[i]
	}
	assert.InDelta(t, 0, tr, 1e-6)
	checkGradFD(t, pb, th, []*Variable{X}, rng, 1e-6, 1e-3)
}

func TestCvxpylayersInfeasibleUnbounded(t *testing.T) {
	x := NewVariable("x", 1)
	p := NewParameter("param", 1)
	pb, err := NewProblem(Minimize(p.Mul(x)), x.Ge(Const(1)), x.Le(Const(-1)))
	require.NoError(t, err)
	_, err = pb.SolveParams(context.Background(), []float64{1}, nil)
	assert.True(t, errors.Is(err, ErrInfeasible), "%v", err)

	pb, err = NewProblem(Minimize(x), x.Le(p))
	require.NoError(t, err)
	_, err = pb.SolveParams(context.Background(), []float64{1}, nil)
	assert.True(t, errors.Is(err, ErrUnbounded), "%v", err)
}

// test_equality: min ‖x‖² s.t. Ix = b: x = b, ∂Σx/∂b = 1.
func TestCvxpylayersEquality(t *testing.T) {
	rng := rand.New(rand.NewPCG(243, 8))
	n := 10
	x := NewVariable("x", n)
	b := NewParameter("b", n)
	pb, err := NewProblem(Minimize(SumSquares(x)), Eye(n).MatMul(x).Eq(b))
	require.NoError(t, err)
	th := randVec(rng, n, 1)
	sol := solveAt(t, pb, th)
	xv, err := sol.VarValue(x)
	require.NoError(t, err)
	assert.InDeltaSlice(t, th, xv, 1e-7)
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	gr, err := sol.Backward(map[*Variable][]float64{x: ones}, nil)
	require.NoError(t, err)
	assert.InDeltaSlice(t, ones, gr.Of(b), 1e-6)
	// The dual of Ix = b is ν = −2x (stationarity 2x + ν = 0 with CVXPY's sign).
	c := pb.Constraints()[0]
	nu, err := sol.Dual(c)
	require.NoError(t, err)
	for i := range nu {
		assert.InDelta(t, -2*th[i], nu[i], 1e-6)
	}
}

// The SOCP of test_simple_batch_socp against its cone data built by hand
// (Q = PᵀP dense, rows Ax + s = b in {0} and (1, x) ∈ SOC) and given to
// cone.Solve directly: the same x*, and the model's gradients with
// respect to q and b equal the cone gradient's p and b entries.
func TestSOCPMatchesHandBuiltCone(t *testing.T) {
	rng := rand.New(rand.NewPCG(243, 9))
	n := 5
	Pv := randVec(rng, n*n, 1)
	qv := randVec(rng, n, 1)
	av := randVec(rng, n, 1)
	bv := 0.2
	Ps := ConstMat(denseOf(n, n, Pv))
	q := NewParameter("q", n)
	b := NewParameter("b", 1)
	x := NewVariable("x", n)
	obj := Const(0.5).Mul(SumSquares(Ps.MatMul(x))).Add(q.Dot(x))
	pb, err := NewProblem(Minimize(obj), ConstMat(denseOf(1, n, av)).MatMul(x).Eq(b), Norm2(x).Le(Const(1)))
	require.NoError(t, err)
	th := append(append([]float64(nil), qv...), bv)
	sol := solveAt(t, pb, th)

	P := denseOf(n, n, Pv)
	var PtP mat.SymDense
	PtP.SymOuterK(1, P.T())
	Q, err := sparse.SymFromDense(&PtP)
	require.NoError(t, err)
	A := mat.NewDense(1+1+n, n, nil)
	for j := range n {
		A.Set(0, j, av[j])
		A.Set(2+j, j, -1)
	}
	Ac, err := sparse.FromDense(A)
	require.NoError(t, err)
	K, err := cone.NewProduct(cone.Zero{N: 1}, cone.SecondOrder{N: 1 + n})
	require.NoError(t, err)
	hb := make([]float64, 2+n)
	hb[0], hb[1] = bv, 1
	cs, err := cone.Solve(context.Background(), &cone.Problem{Q: Q, P: qv, A: Ac, B: hb, K: K}, &cone.Settings{Tol: 1e-10})
	require.NoError(t, err)
	xv, err := sol.VarValue(x)
	require.NoError(t, err)
	assert.InDeltaSlice(t, cs.X, xv, 1e-6)

	w := randVec(rng, n, 1)
	gr, err := sol.Backward(map[*Variable][]float64{x: w}, nil)
	require.NoError(t, err)
	cg, err := cs.Backward(w, nil, nil)
	require.NoError(t, err)
	assert.InDeltaSlice(t, cg.P, gr.Of(q), 1e-6)
	assert.InDelta(t, cg.B[0], gr.Of(b)[0], 1e-6)
}

// test_shared_parameter: one parameter in two problems (each canonicalized
// on its own); each solution's gradient against central differences.
func TestCvxpylayersSharedParameter(t *testing.T) {
	rng := rand.New(rand.NewPCG(243, 10))
	m, n := 10, 5
	A := NewMatrixParameter("A", m, n)
	x := NewVariable("x", n)
	b1, b2 := ConstVec(randVec(rng, m, 1)), ConstVec(randVec(rng, m, 1))
	pb1, err := NewProblem(Minimize(SumSquares(A.MatMul(x).Sub(b1))))
	require.NoError(t, err)
	pb2, err := NewProblem(Minimize(SumSquares(A.MatMul(x).Sub(b2))))
	require.NoError(t, err)
	th := randVec(rng, m*n, 1)
	checkGradFD(t, pb1, th, []*Variable{x}, rng, 1e-6, 1e-4)
	checkGradFD(t, pb2, th, []*Variable{x}, rng, 1e-6, 1e-4)
	x1 := solveAt(t, pb1, th)
	x2 := solveAt(t, pb2, th)
	v1, _ := x1.VarValue(x)
	v2, _ := x2.VarValue(x)
	assert.Greater(t, maxAbsDiff(v1, v2), 1e-3, "different b, different solutions")
}

// Sparsemax as a model, min ‖x − y‖² s.t. Σx = 1, x ≥ 0, against
// project.Simplex (Condat's algorithm and its closed-form Jacobian):
// the same projection and the same VJP, on inputs with several zeros.
func TestSparsemaxMatchesProjection(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 11))
	n := 8
	x := NewVariable("x", n, Nonneg())
	y := NewParameter("y", n)
	pb, err := NewProblem(Minimize(SumSquares(x.Sub(y))), x.Sum().Eq(Const(1)))
	require.NoError(t, err)
	for range 3 {
		yv := randVec(rng, n, 1)
		sol := solveAt(t, pb, yv)
		ref, err := project.Solve(context.Background(), project.Simplex{Radius: 1}, yv)
		require.NoError(t, err)
		_, z, _ := ref.Condition()
		xv, err := sol.VarValue(x)
		require.NoError(t, err)
		assert.InDeltaSlice(t, z, xv, 1e-7)
		zeros := 0
		for _, v := range z {
			if v == 0 {
				zeros++
			}
		}
		assert.GreaterOrEqual(t, zeros, 2, "a sparse projection")
		g := randVec(rng, n, 1)
		want := make([]float64, n+1) // θ of the projection: (y, radius)
		require.NoError(t, ref.VJP(want, g))
		gr, err := sol.Backward(map[*Variable][]float64{x: g}, nil)
		require.NoError(t, err)
		assert.InDeltaSlice(t, want[:n], gr.Of(y), 1e-6)
	}
}

// The softmax as an entropy-regularized linear program,
// max Σentr(x) − cᵀx s.t. Σx = 1: x = softmax(−c) and, in closed form,
// ∂x = −(diag(x) − xxᵀ)∂c — an independent answer for the exponential
// cones, values and derivatives (with Refine: without it, the cone
// solver's exp-cone points are 1e-7 – 5e-7 off at Tol 1e-10).
func TestSoftmaxClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 62))
	n := 5
	c := NewParameter("c", n)
	x := NewVariable("x", n)
	pb, err := NewProblem(Maximize(Entropy(x).Sum().Sub(c.Dot(x))), x.Sum().Eq(Const(1)))
	require.NoError(t, err)
	for range 3 {
		th := randVec(rng, n, 1)
		sol := solveAt(t, pb, th)
		sm := make([]float64, n)
		z := 0.0
		for i := range n {
			sm[i] = math.Exp(-th[i])
			z += sm[i]
		}
		for i := range sm {
			sm[i] /= z
		}
		xv, err := sol.VarValue(x)
		require.NoError(t, err)
		assert.InDeltaSlice(t, sm, xv, 1e-9)
		d := randVec(rng, n, 1)
		tan, err := sol.Tangent(map[*Parameter][]float64{c: d})
		require.NoError(t, err)
		dx, err := tan.Var(x)
		require.NoError(t, err)
		xd := 0.0
		for i := range n {
			xd += sm[i] * d[i]
		}
		want := make([]float64, n)
		for i := range n {
			want[i] = -sm[i] * (d[i] - xd)
		}
		assert.InDeltaSlice(t, want, dx, 1e-8)
	}
}
