package nn_test

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers/nn"
)

// Fit y = 2x₁ − x₂ + 0.5 with a linear model and Adam on mini-batches.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(256, 2, nil)
	y := mat.NewDense(256, 1, nil)
	for i := 0; i < 256; i++ {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		x.SetRow(i, []float64{a, b})
		y.Set(i, 0, 2*a-b+0.5)
	}
	m, _ := nn.NewLinear(2, 1, rng)
	opt := &nn.Adam{LearningRate: 0.05}
	grad := make([]float64, len(m.Params()))
	for epoch := 0; epoch < 100; epoch++ {
		for _, batch := range nn.Batches(256, 32, rng) {
			xb := mat.NewDense(len(batch), 2, nil)
			dy := mat.NewDense(len(batch), 1, nil)
			for r, i := range batch {
				xb.SetRow(r, x.RawRowView(i))
			}
			pass, _ := m.Forward(xb)
			for r, i := range batch { // ∂/∂ŷ of the mean squared error
				dy.Set(r, 0, 2*(pass.Output().At(r, 0)-y.At(i, 0))/float64(len(batch)))
			}
			clear(grad)
			_, _ = pass.Backward(grad, dy, false)
			_ = opt.Step(m.Params(), grad)
		}
	}
	fmt.Printf("w = [%.3f %.3f], b = %.3f\n", m.Params()[0], m.Params()[1], m.Params()[2])
	// Output:
	// w = [2.000 -1.000], b = 0.500
}

// F1 as a loss: the smooth confusion matrix of confident logits is exact.
func ExampleAnyLoss() {
	logits := []float64{6, 5, -6, 4, -5}
	labels := []float64{1, 1, 1, 0, 0}
	grad := make([]float64, len(logits))
	loss, _ := nn.AnyLoss{Metric: nn.F1}.Eval(grad, logits, labels)
	fmt.Printf("1 − F1 = %.4f\n", loss)
	// Output:
	// 1 − F1 = 0.3333
}
