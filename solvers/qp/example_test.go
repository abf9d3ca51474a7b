package qp_test

import (
	"context"
	"fmt"
	"math"

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
// engine and the fast backward pass give the same gradient, and Tangent
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
	l := sol.Layout()
	g := make([]float64, l.LenZ()) // cotangent on z = (x, ν, λ)
	g[0] = 1
	generic, err := implicit.VJP(context.Background(), c, z, theta, g, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x* = (%.4f, %.4f)\n", sol.X[0], sol.X[1])
	fmt.Printf("∂x₁/∂h: fast %.4f, generic %.4f\n", fast.H[0], l.H(generic)[0])
	fmt.Printf("∂x₁/∂b: fast %.4f, generic %.4f\n", fast.B[0], l.B(generic)[0])
	tan, err := sol.Tangent(&qp.Problem{H: []float64{1}})
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

// A batch of projections onto the same triangle (shared Q and G, so
// SolveBatch factorizes them once), with the gradient of ‖x*‖² with
// respect to each point.
func ExampleSolveBatch() {
	q := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	g := mat.NewDense(3, 2, []float64{-1, 0, 0, -1, 1, 1}) // x ≥ 0, x₁ + x₂ ≤ 1
	h := []float64{0, 0, 1}
	points := [][]float64{{0.2, 0.3}, {1, 0.6}, {-1, -1}}
	var probs []*qp.Problem
	for _, y := range points {
		probs = append(probs, &qp.Problem{Q: q, P: []float64{-y[0], -y[1]}, G: g, H: h})
	}
	sols, err := qp.SolveBatch(context.Background(), probs, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var gx [][]float64
	for _, s := range sols {
		gx = append(gx, []float64{2 * s.X[0], 2 * s.X[1]})
	}
	grads, err := qp.BackwardBatch(sols, gx, nil, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, s := range sols {
		// p = −y, so ∂‖x*‖²/∂y = −∂/∂p.
		fmt.Printf("y = (%5.2f, %5.2f)  x* = (%.4f, %.4f)  ∂‖x*‖²/∂y = (%.4f, %.4f)\n",
			points[i][0], points[i][1], round(s.X[0]), round(s.X[1]), round(-grads[i].P[0]), round(-grads[i].P[1]))
	}
	// Output:
	// y = ( 0.20,  0.30)  x* = (0.2000, 0.3000)  ∂‖x*‖²/∂y = (0.4000, 0.6000)
	// y = ( 1.00,  0.60)  x* = (0.7000, 0.3000)  ∂‖x*‖²/∂y = (0.4000, -0.4000)
	// y = (-1.00, -1.00)  x* = (0.0000, 0.0000)  ∂‖x*‖²/∂y = (0.0000, 0.0000)
}

// round rounds to 4 decimals without printing −0.
func round(v float64) float64 { return math.Round(v*1e4)/1e4 + 0 }

// Project several points onto the same triangle {x ≥ 0, x₁ + x₂ ≤ 1}:
// the matrices are prepared once and each point only changes p.
func ExamplePrepared() {
	tri := &qp.Problem{
		Q: mat.NewSymDense(2, []float64{1, 0, 0, 1}),
		P: make([]float64, 2),
		G: mat.NewDense(3, 2, []float64{-1, 0, 0, -1, 1, 1}),
		H: []float64{0, 0, 1},
	}
	pr, err := qp.Prepare(tri)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range [][2]float64{{0.2, 0.3}, {2, 0}, {1, 1}, {-1, -1}} {
		sol, err := pr.Solve(context.Background(), []float64{-c[0], -c[1]}, nil, tri.H, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("(%.1f, %.1f) → (%.4f, %.4f)\n", c[0], c[1], sol.X[0], sol.X[1])
	}
	// Output:
	// (0.2, 0.3) → (0.2000, 0.3000)
	// (2.0, 0.0) → (1.0000, 0.0000)
	// (1.0, 1.0) → (0.5000, 0.5000)
	// (-1.0, -1.0) → (0.0000, 0.0000)
}

// A training loop over batches of projections onto x₁ + x₂ ≤ h: each
// step solves the batch, differentiates it, uses the gradients, and then
// releases the step's Solutions and Gradients, so that the next step
// solves in the same memory.
func ExampleSolution_Release() {
	q := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	g := mat.NewDense(1, 2, []float64{1, 1})
	h := 1.0
	for step := range 3 {
		problems := make([]*qp.Problem, 4)
		gx := make([][]float64, len(problems))
		for i := range problems {
			c := []float64{float64(i), 3}
			problems[i] = &qp.Problem{Q: q, P: []float64{-c[0], -c[1]}, G: g, H: []float64{h}}
			gx[i] = []float64{1, 1} // ℓ = Σ (x₁ + x₂)
		}
		sols, err := qp.SolveBatch(context.Background(), problems, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		grads, err := qp.BackwardBatch(sols, gx, nil, nil, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		dh := 0.0
		for i := range grads {
			dh += grads[i].H[0]
			grads[i].Release()
			sols[i].Release()
		}
		fmt.Printf("step %d: h = %.2f, ∂ℓ/∂h = %.4f\n", step, h, dh)
		h -= 0.25 * dh / float64(len(problems))
	}
	// Output:
	// step 0: h = 1.00, ∂ℓ/∂h = 4.0000
	// step 1: h = 0.75, ∂ℓ/∂h = 4.0000
	// step 2: h = 0.50, ∂ℓ/∂h = 4.0000
}
