package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/datasets"
)

func TestAnyLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range []Metric{F1, FBeta, BalancedAccuracy, Accuracy, GeometricMean} {
		for trial := 0; trial < 4; trial++ {
			n := 20
			z := make([]float64, n)
			y := make([]float64, n)
			for i := range z {
				z[i] = 0.1 * rng.NormFloat64() // near p = ½, where the approximation is steep
				if rng.Float64() < 0.4 {
					y[i] = 1
				}
			}
			l := AnyLoss{Metric: m, Amplify: 10, Beta: 2}
			grad := make([]float64, n)
			_, err := l.Eval(grad, z, y)
			require.NoError(t, err)
			want := fd.Gradient(nil, func(v []float64) float64 {
				out, err := l.Eval(nil, v, y)
				require.NoError(t, err)
				return out
			}, z, &fd.Settings{Formula: fd.Central, Step: 1e-6})
			for i := range want {
				assert.InDelta(t, want[i], grad[i], 1e-7*(1+math.Abs(want[i])), "%v component %d", m, i)
			}
		}
	}
}

// With confident logits the smooth confusion matrix is the exact one.
func TestAnyLossHardLimit(t *testing.T) {
	z := []float64{9, 8, -9, 7, -8, -7, 9, -9}
	y := []float64{1, 1, 1, 0, 0, 0, 1, 0}
	// TP=3 (0,1,6), FN=1 (2), FP=1 (3), TN=3
	for _, tc := range []struct {
		m    Metric
		want float64
	}{
		{F1, 6.0 / 8}, {BalancedAccuracy, 0.75}, {Accuracy, 0.75}, {GeometricMean, 0.75},
		{FBeta, 5 * 3.0 / (5*3 + 4*1 + 1)},
	} {
		v, err := AnyLoss{Metric: tc.m, Beta: 2}.Eval(nil, z, y)
		require.NoError(t, err)
		assert.InDelta(t, 1-tc.want, v, 1e-9, "%v", tc.m)
	}
	_, err := AnyLoss{}.Eval(nil, []float64{1}, []float64{0.5})
	assert.ErrorIs(t, err, ErrNaN)
	_, err = AnyLoss{}.Eval(nil, []float64{1}, []float64{1, 0})
	assert.ErrorIs(t, err, ErrDims)
}

func FuzzAnyLoss(f *testing.F) {
	f.Add(1.0, -2.0, math.NaN(), 1.0, 0.0)
	f.Fuzz(func(t *testing.T, a, b, c, amp, beta float64) {
		for m := F1; m <= GeometricMean; m++ {
			grad := make([]float64, 3)
			v, err := AnyLoss{Metric: m, Amplify: amp, Beta: beta}.Eval(grad, []float64{a, b, c}, []float64{1, 0, 1})
			if err == nil && math.IsNaN(v) {
				t.Fatalf("NaN loss with nil error")
			}
		}
	})
}

// Training a logistic model on breast_cancer directly on 1 − F1 reaches a
// high validation F1.
func TestAnyLossTrainsBreastCancer(t *testing.T) {
	d, err := datasets.Load("breast_cancer")
	require.NoError(t, err)
	tr, va := d.Split()
	_, std, err := datasets.Standardize(false, tr, va)
	require.NoError(t, err)
	tr, va = std[0], std[1]
	_, p := tr.X.Dims()
	m, err := NewLinear(p, 1, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	opt := &Adam{LearningRate: 0.01}
	l := AnyLoss{Metric: F1}
	grad := make([]float64, len(m.Params()))
	for epoch := 0; epoch < 100; epoch++ {
		pass, err := m.Forward(tr.X)
		require.NoError(t, err)
		dz := make([]float64, tr.Rows())
		_, err = l.Eval(dz, pass.Output().RawMatrix().Data, tr.Y)
		require.NoError(t, err)
		clear(grad)
		_, err = pass.Backward(grad, mat.NewDense(tr.Rows(), 1, dz), false)
		require.NoError(t, err)
		require.NoError(t, opt.Step(m.Params(), grad))
	}
	pass, err := m.Forward(va.X)
	require.NoError(t, err)
	hard := make([]float64, va.Rows())
	for i, z := range pass.Output().RawMatrix().Data {
		hard[i] = 100 * math.Copysign(1, z)
	}
	v, err := AnyLoss{Metric: F1}.Eval(nil, hard, va.Y)
	require.NoError(t, err)
	t.Logf("validation F1 %.4f", 1-v)
	assert.Greater(t, 1-v, 0.95)
}
