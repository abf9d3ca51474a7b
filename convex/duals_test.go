package convex

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
)

// The duals are functions of the parameters too: their derivatives in
// both modes (Tangent.Dual, Backward with dual cotangents) against central
// differences of Dual, for an inequality, an equality, a second-order
// cone and a PSD constraint.
func TestDualDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 3))
	n := 3
	x := NewVariable("x", n)
	X := NewMatrixVariable("X", 2, 2, Symmetric())
	c := NewParameter("c", n)
	r := NewParameter("r", 1, Nonneg())
	C := NewMatrixParameter("C", 2, 2)
	le := x.Sum().Le(Const(0.6))
	eq := x.Index(0).Sub(x.Index(1)).Eq(Const(0.1))
	soc := SOC(r.Add(Const(0.3)), x)
	psd := X.Succeq(Const(0))
	obj := c.Dot(x).Add(SumSquares(x).Scale(0.5)).Add(C.MatMul(X).Trace()).Add(SumSquares(X))
	pb, err := NewProblem(Minimize(obj), le, eq, soc, psd, X.Trace().Eq(Const(1)))
	require.NoError(t, err)
	th := randVec(rng, pb.NumParams(), 1)
	th[pb.ParamOffset(r)] = 0.2
	off := pb.ParamOffset(c)
	for i := range n {
		th[off+i] = -2 + 0.5*float64(i) // push x onto the budget and the ball
	}
	ctx := context.Background()
	dualsAt := func(th []float64) [][]float64 {
		sol, err := pb.SolveParams(ctx, th, tight)
		require.NoError(t, err)
		var out [][]float64
		for _, k := range []*Constraint{le, eq, soc, psd} {
			d, err := sol.Dual(k)
			require.NoError(t, err)
			out = append(out, d)
		}
		return out
	}
	sol, err := pb.SolveParams(ctx, th, tight)
	require.NoError(t, err)
	d0 := dualsAt(th)
	assert.Greater(t, d0[0][0], 1e-6, "the budget is active")
	assert.Greater(t, d0[2][0], 1e-6, "the ball is active")
	cons := []*Constraint{le, eq, soc, psd}
	for k := range 3 {
		dir := randVec(rng, len(th), 1)
		dir[pb.ParamOffset(r)] = 0.1
		h := 1e-6
		tp, tm := append([]float64(nil), th...), append([]float64(nil), th...)
		for i := range dir {
			tp[i] += h * dir[i]
			tm[i] -= h * dir[i]
		}
		dp, dm := dualsAt(tp), dualsAt(tm)
		dparams := map[*Parameter][]float64{}
		for _, p := range pb.Parameters() {
			o := pb.ParamOffset(p)
			dparams[p] = dir[o : o+p.Size()]
		}
		tan, err := sol.Tangent(dparams)
		require.NoError(t, err)
		for ci, con := range cons {
			got, err := tan.Dual(con)
			require.NoError(t, err)
			fd := make([]float64, len(got))
			for i := range fd {
				fd[i] = (dp[ci][i] - dm[ci][i]) / (2 * h)
			}
			for i := range fd {
				assert.InDelta(t, fd[i], got[i], 1e-4*(1+math.Abs(fd[i])), "direction %d, dual of %v, entry %d", k, con, i)
			}
			// Reverse mode: ⟨w, ∂dual/∂θ · dir⟩ from Backward.
			w := randVec(rng, len(got), 1)
			gr, err := sol.Backward(nil, map[*Constraint][]float64{con: w})
			require.NoError(t, err)
			g := gr.Theta()
			rev, fw := 0.0, 0.0
			for i := range g {
				rev += g[i] * dir[i]
			}
			for i := range w {
				fw += w[i] * got[i]
			}
			assert.InDelta(t, fw, rev, 1e-6*(1+math.Abs(fw)), "reverse vs forward, dual of %v", con)
		}
	}
}

// A warm start from the previous solution of the same problem gives the
// same answer (and is refused for another problem: adversarial_test.go).
func TestWarmStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 4))
	m, n := 8, 4
	A := NewMatrixParameter("A", m, n)
	b := NewParameter("b", m)
	x := NewVariable("x", n)
	pb, err := NewProblem(Minimize(Norm2(A.MatMul(x).Sub(b))), Norm1(x).Le(Const(1)))
	require.NoError(t, err)
	th := randVec(rng, pb.NumParams(), 1)
	ctx := context.Background()
	cold, err := pb.SolveParams(ctx, th, tight)
	require.NoError(t, err)
	for i := range th {
		th[i] += 1e-3 * rng.NormFloat64()
	}
	ref, err := pb.SolveParams(ctx, th, tight)
	require.NoError(t, err)
	warm, err := pb.SolveParams(ctx, th, &Settings{Tol: 1e-10, WarmStart: cold})
	require.NoError(t, err)
	xr, _ := ref.VarValue(x)
	xw, _ := warm.VarValue(x)
	assert.InDeltaSlice(t, xr, xw, 1e-6)
}

// A PSD variable: min tr(CX) s.t. tr X = 1, X ≽ 0 (attribute) has the
// value λ_min((C + Cᵀ)/2) at X = vvᵀ, and ∂/∂C_ij = vᵢvⱼ (v the unit
// eigenvector of the smallest eigenvalue).
func TestPSDVariable(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 5))
	n := 3
	X := NewMatrixVariable("X", n, n, PSD())
	C := NewMatrixParameter("C", n, n)
	pb, err := NewProblem(Minimize(C.MatMul(X).Trace()), X.Trace().Eq(Const(1)))
	require.NoError(t, err)
	for range 3 {
		cv := randVec(rng, n*n, 1)
		sol := solveAt(t, pb, cv)
		sym := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				sym.SetSym(i, j, (cv[i+j*n]+cv[j+i*n])/2)
			}
		}
		var eig mat.EigenSym
		require.True(t, eig.Factorize(sym, true))
		var vecs mat.Dense
		eig.VectorsTo(&vecs)
		lmin := eig.Values(nil)[0]
		assert.InDelta(t, lmin, sol.Objective(), 1e-7)
		xv, err := sol.VarValue(X)
		require.NoError(t, err)
		for i := range n {
			for j := range n {
				assert.InDelta(t, vecs.At(i, 0)*vecs.At(j, 0), xv[i+j*n], 1e-5)
			}
		}
		// Gradient of the optimal value through the solution: ⟨C, X*⟩ with
		// X* differentiated (envelope: the total derivative is vvᵀ, here
		// checked as ∂/∂C of Σ C_ij X*_ij through Backward plus X* itself).
		g := make([]float64, n*n)
		copy(g, cv)
		gr, err := sol.Backward(map[*Variable][]float64{X: g}, nil)
		require.NoError(t, err)
		tot := gr.Of(C)
		for i := range tot {
			tot[i] += xv[i]
		}
		for i := range n {
			for j := range n {
				assert.InDelta(t, vecs.At(i, 0)*vecs.At(j, 0), tot[i+j*n], 1e-5, "∂λ_min/∂C[%d,%d]", i, j)
			}
		}
		// And X*(C) itself (the eigenprojector) against central differences.
		checkGradFD(t, pb, cv, []*Variable{X}, rng, 1e-6, 1e-4)
	}
}

// The composed condition F_cone(z, Mθ + d₀): it vanishes at the solution,
// and the engine's generic VJP on it equals Solution.VJP; DualOffset
// locates a constraint's dual in z.
func TestConditionComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 7))
	n := 4
	c := NewParameter("c", n)
	A := NewMatrixParameter("A", 2, n)
	x := NewVariable("x", n)
	ball := Norm2(x).Le(Const(1))
	pb, err := NewProblem(Minimize(c.Dot(x).Add(SumSquares(A.MatMul(x)))), ball)
	require.NoError(t, err)
	sol := solveAt(t, pb, randVec(rng, pb.NumParams(), 1))
	cond, z, th := sol.Condition()
	nz, np := cond.Dims()
	require.Equal(t, pb.LenZ(), nz)
	require.Equal(t, pb.NumParams(), np)
	res := make([]float64, nz)
	cond.Residual(res, z, th)
	for _, r := range res {
		assert.InDelta(t, 0, r, 1e-7)
	}
	g := randVec(rng, nz, 1)
	want := make([]float64, np)
	require.NoError(t, sol.VJP(want, g))
	got, err := implicit.VJP(context.Background(), cond, z, th, g, nil)
	require.NoError(t, err)
	assert.InDeltaSlice(t, want, got, 1e-6*(1+maxAbs(want)))
	off, m := pb.DualOffset(ball)
	require.Equal(t, 1, m)
	d, err := sol.Dual(ball)
	require.NoError(t, err)
	assert.Equal(t, z[pb.canon.n+off], d[0])
	assert.Greater(t, d[0], 0.0, "the ball is active")
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// QuadForm of a PSD parameter in the objective (it enters Q linearly):
// min ½xᵀPx + qᵀx s.t. Σx = 1 satisfies the QP's stationarity
// Px + q + ν1 = 0, and its gradient matches central differences along
// symmetric directions of P (θ must stay symmetric).
func TestQuadFormParameter(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 8))
	n := 4
	P := NewMatrixParameter("P", n, n, PSD())
	q := NewParameter("q", n)
	x := NewVariable("x", n)
	pb, err := NewProblem(Minimize(QuadForm(x, P).Scale(0.5).Add(q.Dot(x))), x.Sum().Eq(Const(1)))
	require.NoError(t, err)
	M := denseOf(n, n, randVec(rng, n*n, 1))
	var S mat.SymDense
	S.SymOuterK(1, M)
	th := make([]float64, 0, n*n+n)
	for j := range n {
		for i := range n {
			v := S.At(i, j)
			if i == j {
				v += 0.5
			}
			th = append(th, v)
		}
	}
	th = append(th, randVec(rng, n, 1)...)
	sol := solveAt(t, pb, th)
	xv, err := sol.VarValue(x)
	require.NoError(t, err)
	// Stationarity of the QP: Px + q + ν1 = 0 for one ν.
	nu := 0.0
	r := make([]float64, n)
	for i := range n {
		for j := range n {
			r[i] += th[i+j*n] * xv[j]
		}
		r[i] += th[n*n+i]
		nu += r[i] / float64(n)
	}
	for i := range n {
		assert.InDelta(t, nu, r[i], 1e-7, "stationarity row %d", i)
	}
	w := randVec(rng, n, 1)
	gr, err := sol.Backward(map[*Variable][]float64{x: w}, nil)
	require.NoError(t, err)
	g := gr.Theta()
	loss := func(th []float64) float64 {
		s := solveAt(t, pb, th)
		v, _ := s.VarValue(x)
		return mat.Dot(mat.NewVecDense(n, v), mat.NewVecDense(n, w))
	}
	for range 3 {
		d := make([]float64, len(th))
		for j := range n {
			for i := j; i < n; i++ {
				v := rng.NormFloat64()
				d[i+j*n], d[j+i*n] = v, v
			}
		}
		for i := range n {
			d[n*n+i] = rng.NormFloat64()
		}
		h := 1e-6
		tp, tm := append([]float64(nil), th...), append([]float64(nil), th...)
		for i := range d {
			tp[i] += h * d[i]
			tm[i] -= h * d[i]
		}
		fd := (loss(tp) - loss(tm)) / (2 * h)
		an := mat.Dot(mat.NewVecDense(len(g), g), mat.NewVecDense(len(d), d))
		assert.InDelta(t, fd, an, 1e-5*(1+math.Abs(fd)))
	}
}
