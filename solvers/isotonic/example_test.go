package isotonic_test

import (
	"fmt"

	"github.com/optlayers/optlayers/solvers/isotonic"
)

func ExampleRegression() {
	y := []float64{1, 3, 2, 4, 3.5, 5}
	v := make([]float64, len(y))
	sol, err := isotonic.Regression(v, y, nil, false)
	if err != nil {
		panic(err)
	}
	fmt.Printf("fit %.2f in %d blocks\n", v, sol.Blocks())
	// Derivative of v[1] with respect to y: the average over its block.
	g := make([]float64, len(y))
	g[1] = 1
	_ = sol.VJP(g, g)
	fmt.Printf("∂v₁/∂y %.2f\n", g)
	// Output:
	// fit [1.00 2.50 2.50 3.75 3.75 5.00] in 4 blocks
	// ∂v₁/∂y [0.00 0.50 0.50 0.00 0.00 0.00]
}

func ExampleProject() {
	// Project z onto the permutahedron of w = (1, 2, 3): the vectors whose
	// coordinates are a "soft" arrangement of 1, 2, 3.
	z := []float64{2.8, 0.1, 3.4}
	w := []float64{1, 2, 3}
	mu := make([]float64, 3)
	p, err := isotonic.Project(mu, z, w, isotonic.L2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("P(z, w) = %.4f\n", mu)
	gz, gw := make([]float64, 3), make([]float64, 3)
	_ = p.Backward(gz, gw, []float64{1, 0, 0})
	fmt.Printf("∂μ₀/∂z = %.4f, ∂μ₀/∂w = %.4f\n", gz, gw)
	// Output:
	// P(z, w) = [2.2000 1.0000 2.8000]
	// ∂μ₀/∂z = [0.5000 0.0000 -0.5000], ∂μ₀/∂w = [0.0000 0.5000 0.5000]
}
