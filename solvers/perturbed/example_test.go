package perturbed_test

import (
	"context"
	"fmt"

	"github.com/optlayers/optlayers/solvers/perturbed"
)

// The perturbed argmax over one-hot vectors with Gumbel noise is the
// softmax: the Gumbel-max trick.
func Example() {
	argmax := func(_ context.Context, dst, cost []float64) error {
		best := 0
		for i, c := range cost {
			if c > cost[best] {
				best = i
			}
		}
		clear(dst)
		dst[best] = 1
		return nil
	}
	opt := &perturbed.Optimizer{Oracle: argmax, Dim: 3,
		Settings: &perturbed.Settings{Samples: 100000, Noise: perturbed.Gumbel, Seed: 1}}
	theta := []float64{1, 2, 3} // softmax: 0.0900 0.2447 0.6652; F − θ₁ = 2.4076
	r, err := opt.Forward(context.Background(), theta)
	if err != nil {
		panic(err)
	}
	fmt.Printf("mean %.2f\n", r.Mean)

	// Fenchel–Young loss against the target e₁ and its gradient ŷ − y.
	loss, grad, _ := opt.FenchelYoung(context.Background(), theta, []float64{1, 0, 0})
	fmt.Printf("loss %.2f grad %.2f\n", loss, grad)
	// Output:
	// mean [0.09 0.24 0.66]
	// loss 2.40 grad [-0.91 0.24 0.66]
}
