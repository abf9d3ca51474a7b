package qp_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/qp"
)

// Project the point c = (1, 3) onto the half-plane x₁ + x₂ ≤ 1:
// minimize ½‖x − c‖² = ½xᵀx − cᵀx + const subject to x₁ + x₂ ≤ 1, then
// differentiate x₁* with respect to the data.
func ExampleSolve() {
	pb := &qp.Problem{
		Q: mat.NewSymDense(2, []float64{1, 0, 0, 1}),
		P: []float64{-1, -3},
		G: mat.NewDense(1, 2, []float64{1, 1}),
		H: []float64{1},
	}
	sol, err := qp.Solve(context.Background(), pb, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("status %v, x = (%.4f, %.4f), λ = %.4f, KKT residual below 1e-8: %v\n",
		sol.Status, sol.X[0], sol.X[1], sol.Lambda[0], sol.Residuals.Max() < 1e-8)

	grad, err := sol.Backward([]float64{1, 0}, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("∂x₁/∂h = %.4f, ∂x₁/∂p = (%.4f, %.4f)\n", grad.H[0], grad.P[0], grad.P[1])
	// Output:
	// status Optimal, x = (-0.5000, 1.5000), λ = 1.5000, KKT residual below 1e-8: true
	// ∂x₁/∂h = 0.5000, ∂x₁/∂p = (-0.5000, 0.5000)
}
