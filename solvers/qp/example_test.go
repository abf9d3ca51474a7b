package qp_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
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

// The KKT conditions of a solved QP as an implicit.Condition: the generic
// engine and the fast backward pass give the same gradient, and Forward
// gives directional derivatives.
func ExampleSolution_Condition() {
	pb := &qp.Problem{
		Q: mat.NewSymDense(2, []float64{2, 0, 0, 1}),
		P: []float64{-2, -4},
		A: mat.NewDense(1, 2, []float64{1, -1}),
		B: []float64{0.5},
		G: mat.NewDense(1, 2, []float64{1, 1}),
		H: []float64{2},
	}
	sol, err := qp.Solve(context.Background(), pb, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fast, err := sol.Backward([]float64{1, 0}, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, z, theta := sol.Condition()
	g := make([]float64, c.LenZ()) // cotangent on z = (x, ν, λ)
	g[0] = 1
	generic, err := implicit.VJP(c, z, theta, g, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x* = (%.4f, %.4f)\n", sol.X[0], sol.X[1])
	fmt.Printf("∂x₁/∂h: fast %.4f, generic %.4f\n", fast.H[0], c.H(generic)[0])
	fmt.Printf("∂x₁/∂b: fast %.4f, generic %.4f\n", fast.B[0], c.B(generic)[0])
	tan, err := sol.Forward(&qp.Problem{H: []float64{1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("dx*/dh = (%.4f, %.4f)\n", tan.X[0], tan.X[1])
	// Output:
	// x* = (1.2500, 0.7500)
	// ∂x₁/∂h: fast 0.5000, generic 0.5000
	// ∂x₁/∂b: fast 0.5000, generic 0.5000
	// dx*/dh = (0.5000, 0.5000)
}
