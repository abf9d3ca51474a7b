package convex

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/optlayers/optlayers/solvers/qp"
)

// The canonical data of min cᵀx s.t. Sum(x) == 1, x ≥ 0 is, by hand,
// p = c, the equality row 1 − (x₁ + x₂ + x₃) = s ∈ {0} (A = [1 1 1],
// b = 1), then the attribute rows x = s ≥ 0 (A = −I, b = 0).
func TestCanonSimplexLP(t *testing.T) {
	x := NewVariable("x", 3, Nonneg())
	c := NewParameter("c", 3)
	pb, err := NewProblem(Minimize(c.Dot(x)), x.Sum().Eq(Const(1)))
	require.NoError(t, err)
	th := []float64{0.3, -1, 2}
	cp, err := pb.ConeProblem(th)
	require.NoError(t, err)
	n, m := cp.Dims()
	require.Equal(t, 3, n)
	require.Equal(t, 4, m)
	assert.Nil(t, cp.Q)
	assert.Equal(t, th, cp.P)
	want := mat.NewDense(4, 3, []float64{1, 1, 1, -1, 0, 0, 0, -1, 0, 0, 0, -1})
	assert.True(t, mat.Equal(want, cp.A.Dense()), "A = %v", mat.Formatted(cp.A.Dense()))
	assert.Equal(t, []float64{1, 0, 0, 0}, cp.B)
	ks := cp.K.Cones()
	require.Len(t, ks, 2)
	assert.Equal(t, cone.Zero{N: 1}, ks[0])
	assert.Equal(t, cone.Nonnegative{N: 3}, ks[1])

	sol := viaQP(t, pb, th)
	xv, err := sol.VarValue(x)
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{0, 1, 0}, xv, 1e-7)
	assert.InDelta(t, -1, sol.Objective(), 1e-7)
}

// SumSquares(A x − b) with A, b parameters: the objective goes through
// u = A x − b (equality rows, affine in θ) and Q = 2I on u; solved by the
// QP solver it matches the normal equations.
func TestCanonLeastSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m, n := 6, 3
	A := NewMatrixParameter("A", m, n)
	b := NewParameter("b", m)
	x := NewVariable("x", n)
	pb, err := NewProblem(Minimize(SumSquares(A.MatMul(x).Sub(b))))
	require.NoError(t, err)
	av, bv := randVec(rng, m*n, 1), randVec(rng, m, 1)
	th := append(append([]float64(nil), av...), bv...)
	require.Equal(t, 0, pb.ParamOffset(A))
	require.Equal(t, m*n, pb.ParamOffset(b))
	sol := viaQP(t, pb, th)
	xv, err := sol.VarValue(x)
	require.NoError(t, err)
	var want mat.VecDense
	require.NoError(t, want.SolveVec(denseOf(m, n, av), mat.NewVecDense(m, bv)))
	assert.InDeltaSlice(t, want.RawVector().Data, xv, 1e-6)
	r := mustVal(t, sol, A.MatMul(x).Sub(b))
	ss := 0.0
	for _, v := range r {
		ss += v * v
	}
	assert.InDelta(t, ss, sol.Objective(), 1e-9)
}

// A QP written as a model and the same QP built by hand give the same
// solution and multipliers (the dual of Le and Eq with CVXPY's signs).
func TestCanonQPMatchesHandBuilt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 4
	L := denseOf(n, n, randVec(rng, n*n, 1))
	var Q mat.SymDense
	Q.SymOuterK(1, L)
	for i := range n {
		Q.SetSym(i, i, Q.At(i, i)+0.5)
	}
	qv := make([]float64, n*n)
	for j := range n {
		for i := range n {
			qv[i+j*n] = Q.At(i, j)
		}
	}
	G := denseOf(3, n, randVec(rng, 3*n, 1))
	h := []float64{0.5, 0.2, 0.1}
	pv := randVec(rng, n, 1)
	x := NewVariable("x", n)
	p := NewParameter("p", n)
	hp := NewParameter("h", 3)
	le := ConstMat(G).MatMul(x).Le(hp)
	eq := x.Sum().Eq(Const(0.3))
	obj := QuadForm(x, ConstMat(&Q)).Scale(0.5).Add(p.Dot(x))
	pb, err := NewProblem(Minimize(obj), le, eq)
	require.NoError(t, err)
	th := append(append([]float64(nil), pv...), h...)
	sol := viaQP(t, pb, th)

	ones := mat.NewDense(1, n, []float64{1, 1, 1, 1})
	ref, err := qp.Solve(context.Background(), &qp.Problem{Q: &Q, P: pv, A: ones, B: []float64{0.3}, G: G, H: h}, &qp.Settings{Tol: 1e-10})
	require.NoError(t, err)
	xv, err := sol.VarValue(x)
	require.NoError(t, err)
	assert.InDeltaSlice(t, ref.X, xv, 1e-6)
	dl, err := sol.Dual(le)
	require.NoError(t, err)
	assert.InDeltaSlice(t, ref.Lambda, dl, 1e-6)
	de, err := sol.Dual(eq)
	require.NoError(t, err)
	assert.InDeltaSlice(t, ref.Nu, de, 1e-6)
	_ = qv
}

// The map θ ↦ data is affine and its adjoint is its transpose:
// d(θ + dθ) − d(θ) = M dθ and ⟨u, M v⟩ = ⟨Mᵀu, v⟩ on a model where
// parameters enter Q, p, A and b.
func TestCanonMapAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, n := 4, 3
	A := NewMatrixParameter("A", m, n)
	b := NewParameter("b", m)
	w := NewParameter("w", 1, Nonneg())
	P := NewMatrixParameter("P", n, n, PSD())
	c := NewParameter("c", n)
	x := NewVariable("x", n)
	obj := w.Mul(SumSquares(x)).Add(QuadForm(x, P)).Add(c.Dot(x)).Add(Norm1(A.MatMul(x).Sub(b)))
	pb, err := NewProblem(Minimize(obj), Norm2(x).Le(Const(2)), A.MatMul(x).Le(b.Add(Const(1))))
	require.NoError(t, err)
	np := pb.NumParams()
	require.Equal(t, m*n+m+1+n*n+n, np)
	nd := pb.dataLen()
	for range 5 {
		v := randVec(rng, np, 1)
		u := randVec(rng, nd, 1)
		mv := make([]float64, nd)
		pb.mapApply(mv, v)
		mtu := make([]float64, np)
		pb.mapApplyT(mtu, u)
		lhs, rhs := 0.0, 0.0
		for i := range u {
			lhs += u[i] * mv[i]
		}
		for i := range v {
			rhs += mtu[i] * v[i]
		}
		assert.InDelta(t, lhs, rhs, 1e-10*(1+abs(lhs)))

		th := randVec(rng, np, 1)
		d1 := make([]float64, nd)
		d2 := make([]float64, nd)
		pb.canon.eval(d1, th)
		th2 := append([]float64(nil), th...)
		for i := range th2 {
			th2[i] += v[i]
		}
		pb.canon.eval(d2, th2)
		for i := range d2 {
			d2[i] -= d1[i]
		}
		assert.InDeltaSlice(t, mv, d2, 1e-10)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
