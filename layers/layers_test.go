package layers

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/lp"
	"github.com/optlayers/optlayers/solvers/perturbed"
	"github.com/optlayers/optlayers/solvers/project"
	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sorting"
)

func randn(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// checkLayer compares Backward with central differences of ⟨G, Y(θ)⟩ along
// random directions, for a batch of rows, and checks that the batch result
// does not depend on the number of workers.
func checkLayer(t *testing.T, name string, f Func, theta *mat.Dense, step, tol float64) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 9))
	in, out := f.Dims()
	rows, _ := theta.Dims()
	o1, err := Layer{Func: f, Workers: 1}.Forward(ctx, theta)
	require.NoError(t, err, name)
	o3, err := Layer{Func: f, Workers: 3}.Forward(ctx, theta)
	require.NoError(t, err, name)
	assert.Equal(t, o1.Y.RawMatrix().Data, o3.Y.RawMatrix().Data, name)
	gy := mat.NewDense(rows, out, randn(rng, rows*out))
	g1, err := o1.Backward(context.Background(), gy)
	require.NoError(t, err, name)
	g3, err := o3.Backward(context.Background(), gy)
	require.NoError(t, err, name)
	assert.Equal(t, g1.RawMatrix().Data, g3.RawMatrix().Data, name)
	for r := 0; r < rows; r++ {
		base := theta.RawRowView(r)
		for dir := 0; dir < 3; dir++ {
			v := randn(rng, in)
			fun := func(h float64) float64 {
				p := make([]float64, in)
				for i := range p {
					p[i] = base[i] + h*v[i]
				}
				y := make([]float64, out)
				_, err := f.Forward(ctx, y, p)
				require.NoError(t, err, name)
				return mat.Dot(mat.NewVecDense(out, y), mat.NewVecDense(out, gy.RawRowView(r)))
			}
			want := fd.Derivative(fun, 0, &fd.Settings{Formula: fd.Central, Step: step})
			got := mat.Dot(mat.NewVecDense(in, g1.RawRowView(r)), mat.NewVecDense(in, v))
			assert.InDelta(t, want, got, tol*(1+math.Abs(want)), "%s row %d direction %d", name, r, dir)
		}
	}
}

func qpTemplate(rng *rand.Rand, n, p, m int) *qp.Problem {
	L := mat.NewDense(n, n, randn(rng, n*n))
	Q := mat.NewSymDense(n, nil)
	Q.SymOuterK(1/float64(n), L)
	for i := 0; i < n; i++ {
		Q.SetSym(i, i, Q.At(i, i)+0.1)
	}
	z0 := randn(rng, n)
	G := mat.NewDense(m, n, randn(rng, m*n))
	h := make([]float64, m)
	var gz mat.VecDense
	gz.MulVec(G, mat.NewVecDense(n, z0))
	for i := range h {
		h[i] = gz.AtVec(i) + 0.1 + rng.Float64()
	}
	A := mat.NewDense(p, n, randn(rng, p*n))
	var az mat.VecDense
	az.MulVec(A, mat.NewVecDense(n, z0))
	return &qp.Problem{Q: Q, P: randn(rng, n), A: A, B: az.RawVector().Data, G: G, H: h}
}

func TestQPLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	tpl := qpTemplate(rng, 8, 2, 10)
	set := &qp.Settings{Tol: 1e-11}
	l := &QP{Template: tpl, Settings: set}
	in, _ := l.Dims()
	th := mat.NewDense(4, in, nil)
	for r := 0; r < 4; r++ {
		row := th.RawRowView(r)
		copy(row, randn(rng, 8))
		copy(row[8:], tpl.B)
		copy(row[10:], tpl.H)
		for i := 10; i < in; i++ {
			row[i] += 0.05 * rng.Float64()
		}
	}
	checkLayer(t, "QP linear", l, th, 1e-6, 1e-5)
	// NewQP prepares the fixed matrices once: same outputs, same checks.
	prep, err := NewQP(tpl, QPLinear, set)
	require.NoError(t, err)
	checkLayer(t, "QP linear, prepared", prep, th, 1e-6, 1e-5)
	o1, err := Layer{Func: l}.Forward(context.Background(), th)
	require.NoError(t, err)
	o2, err := Layer{Func: prep}.Forward(context.Background(), th)
	require.NoError(t, err)
	require.Equal(t, o1.Y.RawMatrix().Data, o2.Y.RawMatrix().Data)
	_, err = NewQP(nil, QPLinear, nil)
	require.ErrorIs(t, err, ErrInvalid)
	bad := *tpl
	bad.Q = mat.NewSymDense(8, nil)
	bad.Q.(*mat.SymDense).SetSym(0, 0, -1)
	_, err = NewQP(&bad, QPLinear, nil)
	require.ErrorIs(t, err, qp.ErrNotConvex)
	all := &QP{Template: tpl, Params: QPAll, Settings: set}
	layout := qp.LayoutOf(tpl)
	flat, err := layout.Pack(nil, tpl)
	require.NoError(t, err)
	checkLayer(t, "QP all", all, mat.NewDense(1, len(flat), flat), 1e-6, 1e-5)
}

func TestLPLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	n := 6
	// a box-constrained simplex-like polytope: Σx = 2, 0 ≤ x ≤ 1, x₀ + x₁ ≤ 1.2
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	up := make([]float64, n)
	for i := range up {
		up[i] = 1
	}
	g := make([]float64, n)
	g[0], g[1] = 1, 1
	tpl := &lp.Problem{C: make([]float64, n), A: mat.NewDense(1, n, ones), B: []float64{2},
		G: mat.NewDense(1, n, g), H: []float64{1.2}, Lower: make([]float64, n), Upper: up}
	th := mat.NewDense(3, n, randn(rng, 3*n))
	for _, sm := range []LPSmoothing{Quadratic, Barrier} {
		l, err := NewLP(tpl, sm, 0.5)
		require.NoError(t, err)
		checkLayer(t, "LP smoothed", l, th, 1e-6, 1e-5)
	}
	// perturbed: the mean is a feasible point and, with many samples, the
	// VJP matches the finite difference of the (common random numbers)
	// smoothed map at a large step
	l, err := NewLP(tpl, Perturbed, 1)
	require.NoError(t, err)
	l.Samples = 400
	o, err := Layer{Func: l}.Forward(context.Background(), th)
	require.NoError(t, err)
	for r := 0; r < 3; r++ {
		s := 0.0
		for _, v := range o.Y.RawRowView(r) {
			s += v
			assert.True(t, v >= -1e-9 && v <= 1+1e-9)
		}
		assert.InDelta(t, 2, s, 1e-6)
	}
	_, err = NewLP(&lp.Problem{}, Quadratic, 0)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestProjectionAndSortLayers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	th := mat.NewDense(4, 7, randn(rng, 28))
	checkLayer(t, "sparsemax", Projection{Set: project.Simplex{Radius: 1}, N: 7}, th, 1e-7, 1e-6)
	checkLayer(t, "l2 ball", Projection{Set: project.L2Ball{Radius: 0.5}, N: 7}, th, 1e-7, 1e-6)
	checkLayer(t, "soft sort", SoftSort{N: 7, Epsilon: 0.3}, th, 1e-7, 1e-6)
	checkLayer(t, "soft rank", SoftSort{N: 7, Kind: Rank, Epsilon: 0.3, Settings: &sorting.SoftSettings{Descending: true}}, th, 1e-7, 1e-6)
}

func TestSinkhornLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	th := mat.NewDense(2, 12, nil)
	for i, v := range randn(rng, 24) {
		th.RawMatrix().Data[i] = 1 + 0.5*v
	}
	checkLayer(t, "sinkhorn", &Sinkhorn{N: 3, M: 4, Epsilon: 0.5}, th, 1e-6, 1e-5)
}

// The perturbed argmax with Gumbel noise is softmax(θ/σ) in expectation:
// its mean and its VJP (averaged over independent seeds) match softmax and
// the softmax Jacobian.
func TestPerturbedArgmaxLayer(t *testing.T) {
	theta := []float64{0.3, -0.2, 0.8, 0.1}
	g := []float64{1, -1, 0.5, 2}
	sigma := 1.0
	soft := make([]float64, 4)
	z := 0.0
	for i, v := range theta {
		soft[i] = math.Exp(v / sigma)
		z += soft[i]
	}
	for i := range soft {
		soft[i] /= z
	}
	sg := 0.0
	for i := range g {
		sg += soft[i] * g[i]
	}
	wantVJP := make([]float64, 4)
	for i := range g {
		wantVJP[i] = soft[i] * (g[i] - sg) / sigma
	}
	const R = 40
	mean := make([]float64, 4)
	vjp := make([]float64, 4)
	for r := 0; r < R; r++ {
		l := &PerturbedArgmax{N: 4, Settings: perturbed.Settings{Samples: 2000, Sigma: sigma, Noise: perturbed.Gumbel, Seed: uint64(r)}}
		y := make([]float64, 4)
		tape, err := l.Forward(context.Background(), y, theta)
		require.NoError(t, err)
		d := make([]float64, 4)
		require.NoError(t, tape.VJP(d, g))
		for i := range y {
			mean[i] += y[i] / R
			vjp[i] += d[i] / R
		}
	}
	assert.InDeltaSlice(t, soft, mean, 0.005)
	assert.InDeltaSlice(t, wantVJP, vjp, 0.02)
}

func TestLayerErrors(t *testing.T) {
	l := Layer{Func: Projection{Set: project.Simplex{Radius: 1}, N: 3}}
	_, err := l.Forward(context.Background(), mat.NewDense(2, 4, nil))
	assert.ErrorIs(t, err, ErrDims)
	_, err = l.Forward(context.Background(), mat.NewDense(1, 3, []float64{0, math.NaN(), 1}))
	assert.ErrorIs(t, err, ErrNaN)
	o, err := l.Forward(context.Background(), mat.NewDense(1, 3, []float64{0, 2, 1}))
	require.NoError(t, err)
	_, err = o.Backward(context.Background(), mat.NewDense(2, 3, nil))
	assert.ErrorIs(t, err, ErrDims)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = l.Forward(ctx, mat.NewDense(1, 3, nil))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = Layer{}.Forward(context.Background(), mat.NewDense(1, 3, nil))
	assert.ErrorIs(t, err, ErrInvalid)
}

func FuzzLayers(f *testing.F) {
	f.Add(1.0, -2.0, math.NaN(), 0.5)
	f.Add(1e300, -1e300, 0.0, 0.0)
	f.Fuzz(func(t *testing.T, a, b, c, e float64) {
		th := mat.NewDense(1, 3, []float64{a, b, c})
		for _, fn := range []Func{
			Projection{Set: project.Simplex{Radius: 1}, N: 3},
			SoftSort{N: 3, Epsilon: e},
			&PerturbedArgmax{N: 3, Settings: perturbed.Settings{Samples: 3}},
			&Sinkhorn{N: 1, M: 3, Epsilon: e},
		} {
			o, err := Layer{Func: fn}.Forward(context.Background(), th)
			if err != nil {
				continue
			}
			for _, v := range o.Y.RawMatrix().Data {
				if math.IsNaN(v) {
					t.Fatalf("%T: NaN output with nil error", fn)
				}
			}
			gt, err := o.Backward(context.Background(), mat.NewDense(1, 3, []float64{1, -1, 0.5}))
			if err != nil {
				continue
			}
			for _, v := range gt.RawMatrix().Data {
				if math.IsNaN(v) {
					t.Fatalf("%T: NaN cotangent with nil error", fn)
				}
			}
		}
	})
}

// The QP layer's backward (the solver's KKT factorization) agrees with the
// generic implicit engine on the KKT condition of package qp.
func TestQPLayerMatchesImplicitEngine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	tpl := qpTemplate(rng, 6, 2, 8)
	l := &QP{Template: tpl, Params: QPAll, Settings: &qp.Settings{Tol: 1e-11}}
	layout := qp.LayoutOf(tpl)
	theta, err := layout.Pack(nil, tpl)
	require.NoError(t, err)
	y := make([]float64, 6)
	tape, err := l.Forward(context.Background(), y, theta)
	require.NoError(t, err)
	g := randn(rng, 6)
	fast := make([]float64, len(theta))
	require.NoError(t, tape.VJP(fast, g))
	sol, err := qp.Solve(context.Background(), tpl, &qp.Settings{Tol: 1e-11})
	require.NoError(t, err)
	cond, z, th := sol.Condition()
	gz := make([]float64, len(z))
	copy(gz, g)
	generic, err := implicit.VJP(context.Background(), cond, z, th, gz, nil)
	require.NoError(t, err)
	require.Len(t, generic, len(fast))
	for i := range fast {
		assert.InDelta(t, generic[i], fast[i], 1e-7*(1+math.Abs(generic[i])), "θ[%d]", i)
	}
}

func TestLayerZeroValues(t *testing.T) {
	for _, f := range []Func{&QP{}, &LP{}, Projection{N: 2}, &LP{Template: &lp.Problem{C: []float64{1, 2}}, Smoothing: Perturbed}} {
		_, err := Layer{Func: f}.Forward(context.Background(), mat.NewDense(1, 2, []float64{1, 2}))
		assert.Error(t, err, "%T", f)
	}
}
