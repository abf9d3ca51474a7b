package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

func randDense(rng *rand.Rand, r, c int) *mat.Dense {
	d := make([]float64, r*c)
	for i := range d {
		d[i] = rng.NormFloat64()
	}
	return mat.NewDense(r, c, d)
}

// loss = Σ G ⊙ model(X) for a fixed random G: its cotangent on Y is G.
func TestMLPGradientFD(t *testing.T) {
	for _, tc := range []struct {
		sizes []int
		act   Activation
	}{{[]int{5, 40}, ReLU}, {[]int{3, 7, 4}, Tanh}, {[]int{4, 6, 5, 2}, Tanh}, {[]int{3, 8, 2}, ReLU}} {
		for seed := uint64(0); seed < 3; seed++ {
			rng := rand.New(rand.NewPCG(seed, 11))
			m, err := NewMLP(tc.sizes, tc.act, rng)
			require.NoError(t, err)
			in, out := m.Dims()
			x := randDense(rng, 6, in)
			g := randDense(rng, 6, out)
			loss := func() float64 {
				p, err := m.Forward(x)
				require.NoError(t, err)
				return mat.Sum(elem(p.Output(), g))
			}
			p, err := m.Forward(x)
			require.NoError(t, err)
			grad := make([]float64, len(m.Params()))
			dx, err := p.Backward(grad, g, true)
			require.NoError(t, err)
			theta := m.Params()
			want := fd.Gradient(nil, func(th []float64) float64 {
				old := append([]float64(nil), theta...)
				copy(theta, th)
				v := loss()
				copy(theta, old)
				return v
			}, append([]float64(nil), theta...), &fd.Settings{Formula: fd.Central, Step: 1e-6})
			for i := range want {
				assert.InDelta(t, want[i], grad[i], 1e-6*(1+math.Abs(want[i])), "sizes %v param %d", tc.sizes, i)
			}
			xr := x.RawMatrix().Data
			wantX := fd.Gradient(nil, func(v []float64) float64 {
				old := append([]float64(nil), xr...)
				copy(xr, v)
				val := loss()
				copy(xr, old)
				return val
			}, append([]float64(nil), xr...), &fd.Settings{Formula: fd.Central, Step: 1e-6})
			for i := range wantX {
				assert.InDelta(t, wantX[i], dx.RawMatrix().Data[i], 1e-6*(1+math.Abs(wantX[i])))
			}
			// Predict agrees with Forward.
			y := make([]float64, out)
			m.Predict(y, x.RawRowView(2))
			assert.InDeltaSlice(t, p.Output().RawRowView(2), y, 1e-12)
		}
	}
}

func elem(a, b *mat.Dense) *mat.Dense {
	var c mat.Dense
	c.MulElem(a, b)
	return &c
}

func TestMLPErrors(t *testing.T) {
	_, err := NewMLP([]int{3}, ReLU, nil)
	assert.ErrorIs(t, err, ErrDims)
	_, err = NewMLP([]int{3, 0}, ReLU, nil)
	assert.ErrorIs(t, err, ErrDims)
	m, err := NewLinear(3, 2, nil)
	require.NoError(t, err)
	_, err = m.Forward(mat.NewDense(2, 4, nil))
	assert.ErrorIs(t, err, ErrDims)
	_, err = m.Forward(mat.NewDense(1, 3, []float64{1, math.NaN(), 0}))
	assert.ErrorIs(t, err, ErrNaN)
	p, err := m.Forward(mat.NewDense(1, 3, nil))
	require.NoError(t, err)
	_, err = p.Backward(make([]float64, 8), mat.NewDense(1, 3, nil), false)
	assert.ErrorIs(t, err, ErrDims)
	assert.ErrorIs(t, (&Adam{}).Step([]float64{1}, []float64{math.Inf(1)}), ErrNaN)
	assert.ErrorIs(t, (&SGD{}).Step([]float64{1}, []float64{1, 2}), ErrDims)
}

// Adam on a separable quadratic reaches the minimum; its first step has the
// closed form θ − η·sign(g).
func TestAdam(t *testing.T) {
	o := &Adam{LearningRate: 0.1}
	th := []float64{3, -2}
	require.NoError(t, o.Step(th, []float64{6, -0.5}))
	assert.InDeltaSlice(t, []float64{2.9, -1.9}, th, 1e-7)
	for range 2000 {
		require.NoError(t, o.Step(th, []float64{2 * (th[0] - 1), 2 * (th[1] + 4)}))
	}
	assert.InDeltaSlice(t, []float64{1, -4}, th, 1e-3)
	s := &SGD{LearningRate: 0.1, Momentum: 0.5}
	th = []float64{3}
	for range 200 {
		require.NoError(t, s.Step(th, []float64{2 * (th[0] - 1)}))
	}
	assert.InDelta(t, 1, th[0], 1e-8)
}

func TestBatchesAndParallel(t *testing.T) {
	b := Batches(10, 4, rand.New(rand.NewPCG(1, 2)))
	require.Len(t, b, 3)
	seen := map[int]bool{}
	for _, bb := range b {
		for _, i := range bb {
			seen[i] = true
		}
	}
	assert.Len(t, seen, 10)
	assert.Equal(t, Batches(10, 4, rand.New(rand.NewPCG(1, 2))), b)
}
