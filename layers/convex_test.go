package layers

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/convex"
)

// convexLayerModel is a constrained least squares with a learnable A and b
// and a fixed weight w: min ‖Ax − b‖² + w‖x‖₁ s.t. Σx = 1, x ≥ −1.
func convexLayerModel(t testing.TB) (*convex.Problem, *convex.Parameter, *convex.Parameter, *convex.Parameter, *convex.Variable) {
	m, n := 5, 3
	A := convex.NewMatrixParameter("A", m, n)
	b := convex.NewParameter("b", m)
	w := convex.NewParameter("w", 1, convex.Nonneg())
	x := convex.NewVariable("x", n)
	obj := convex.SumSquares(A.MatMul(x).Sub(b)).Add(w.Mul(convex.Norm1(x)))
	pb, err := convex.NewProblem(convex.Minimize(obj), x.Sum().Eq(convex.Const(1)), x.Ge(convex.Const(-1)))
	require.NoError(t, err)
	require.NoError(t, w.SetValue([]float64{0.1}))
	return pb, A, b, w, x
}

func TestConvexLayer(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 1))
	pb, A, b, _, x := convexLayerModel(t)
	l, err := NewConvex(pb, []*convex.Parameter{A, b}, []*convex.Variable{x}, &convex.Settings{Tol: 1e-10})
	require.NoError(t, err)
	in, out := l.Dims()
	require.Equal(t, 20, in)
	require.Equal(t, 3, out)
	batch := 3
	th := mat.NewDense(batch, in, nil)
	for i := range batch {
		for j := range in {
			th.Set(i, j, rng.NormFloat64())
		}
	}
	for _, workers := range []int{1, 2} {
		o, err := Layer{Func: l, Workers: workers}.Forward(context.Background(), th)
		require.NoError(t, err)
		gy := mat.NewDense(batch, out, nil)
		for i := range batch {
			for j := range out {
				gy.Set(i, j, rng.NormFloat64())
			}
		}
		gt, err := o.Backward(context.Background(), gy)
		require.NoError(t, err)
		for i := range batch {
			// The row against a direct solve of the problem.
			full := append(append([]float64(nil), th.RawRowView(i)...), 0.1)
			sol, err := pb.SolveParams(context.Background(), full, &convex.Settings{Tol: 1e-10})
			require.NoError(t, err)
			xv, err := sol.VarValue(x)
			require.NoError(t, err)
			assert.InDeltaSlice(t, xv, o.Y.RawRowView(i), 1e-9)
			// The gradient against central differences along a random direction.
			d := make([]float64, in)
			for j := range d {
				d[j] = rng.NormFloat64()
			}
			loss := func(s float64) float64 {
				p := make([]float64, in)
				for j := range p {
					p[j] = th.At(i, j) + s*d[j]
				}
				y := make([]float64, out)
				_, err := l.Forward(context.Background(), y, p)
				require.NoError(t, err)
				return mat.Dot(mat.NewVecDense(out, y), mat.NewVecDense(out, gy.RawRowView(i)))
			}
			h := 1e-6
			fd := (loss(h) - loss(-h)) / (2 * h)
			an := mat.Dot(mat.NewVecDense(in, gt.RawRowView(i)), mat.NewVecDense(in, d))
			assert.InDelta(t, fd, an, 1e-4*(1+math.Abs(fd)), "row %d", i)
		}
	}
}

func TestConvexLayerErrors(t *testing.T) {
	pb, A, b, w, x := convexLayerModel(t)
	other := convex.NewParameter("other", 2)
	y := convex.NewVariable("y", 2)
	cases := []struct {
		name string
		pb   *convex.Problem
		ps   []*convex.Parameter
		vs   []*convex.Variable
	}{
		{"nil problem", nil, []*convex.Parameter{A}, []*convex.Variable{x}},
		{"no parameters", pb, nil, []*convex.Variable{x}},
		{"no variables", pb, []*convex.Parameter{A}, nil},
		{"nil parameter", pb, []*convex.Parameter{nil}, []*convex.Variable{x}},
		{"foreign parameter", pb, []*convex.Parameter{other}, []*convex.Variable{x}},
		{"repeated parameter", pb, []*convex.Parameter{A, A}, []*convex.Variable{x}},
		{"nil variable", pb, []*convex.Parameter{A}, []*convex.Variable{nil}},
		{"foreign variable", pb, []*convex.Parameter{A}, []*convex.Variable{y}},
		{"repeated variable", pb, []*convex.Parameter{A}, []*convex.Variable{x, x}},
	}
	for _, c := range cases {
		_, err := NewConvex(c.pb, c.ps, c.vs, nil)
		assert.True(t, errors.Is(err, ErrInvalid), "%s: %v", c.name, err)
	}
	// b left out without a value.
	_, err := NewConvex(pb, []*convex.Parameter{A, w}, []*convex.Variable{x}, nil)
	assert.True(t, errors.Is(err, ErrInvalid), "%v", err)
	l, err := NewConvex(pb, []*convex.Parameter{A, b}, []*convex.Variable{x}, nil)
	require.NoError(t, err)
	_, err = l.Forward(context.Background(), make([]float64, 3), make([]float64, 3))
	assert.True(t, errors.Is(err, ErrDims), "%v", err)
	var nl *Convex
	_, err = nl.Forward(context.Background(), nil, nil)
	assert.True(t, errors.Is(err, ErrInvalid), "%v", err)
}

// FuzzConvexLayer: the layer of a convex model on arbitrary parameter
// rows (NaN, ±Inf, 1e±300 included) returns a sentinel error or finite
// outputs whose backward pass is finite; never a panic.
func FuzzConvexLayer(f *testing.F) {
	f.Add(1.0, -0.5, 2.0, 0.1)
	f.Add(math.NaN(), 0.0, 1.0, 1.0)
	f.Add(1e300, -1e300, 1e-300, 0.0)
	pb, A, b, _, x := convexLayerModel(f)
	l, err := NewConvex(pb, []*convex.Parameter{A, b}, []*convex.Variable{x}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a0, a1, a2, a3 float64) {
		in, out := l.Dims()
		th := mat.NewDense(1, in, nil)
		vals := []float64{a0, a1, a2, a3}
		for j := range in {
			th.Set(0, j, vals[j%4]*float64(1+j%3))
		}
		o, err := Layer{Func: l}.Forward(context.Background(), th)
		if err != nil {
			if !errors.Is(err, ErrNaN) && !errors.Is(err, convex.ErrNotConverged) && !errors.Is(err, convex.ErrNaN) &&
				!errors.Is(err, convex.ErrInfeasible) && !errors.Is(err, convex.ErrUnbounded) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		gy := mat.NewDense(1, out, nil)
		for j := range out {
			gy.Set(0, j, 1)
		}
		gt, err := o.Backward(context.Background(), gy)
		if err != nil { // a degenerate point may have no derivative
			if !errors.Is(err, convex.ErrSingular) && !errors.Is(err, convex.ErrNaN) && !errors.Is(err, ErrNaN) {
				t.Fatalf("backward error without a sentinel: %v", err)
			}
			return
		}
		if checkFinite(gt.RawRowView(0)) != nil {
			t.Fatal("non-finite gradient with a nil error")
		}
	})
}
