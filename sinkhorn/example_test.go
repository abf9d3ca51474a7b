package sinkhorn_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/sinkhorn"
)

// Transport between two small discrete measures given a cost matrix.
func ExampleSolve() {
	c := mat.NewDense(3, 3, []float64{
		0, 1, 4,
		1, 0, 1,
		4, 1, 0,
	})
	pb := &sinkhorn.Problem{
		Cost:    c,
		A:       []float64{0.5, 0.3, 0.2},
		B:       []float64{0.2, 0.3, 0.5},
		Epsilon: 0.01,
	}
	r, err := sinkhorn.Solve(context.Background(), pb, &sinkhorn.Settings{EpsilonScaling: 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("converged: %v\n", r.Converged)
	fmt.Printf("transport cost ⟨C,P⟩: %.4f\n", r.TransportCost())
	p := r.Plan()
	for i := range 3 {
		fmt.Printf("%.4f %.4f %.4f\n", p.At(i, 0), p.At(i, 1), p.At(i, 2))
	}
	// Output:
	// converged: true
	// transport cost ⟨C,P⟩: 0.6000
	// 0.2000 0.3000 0.0000
	// 0.0000 0.0000 0.3000
	// 0.0000 0.0000 0.2000
}

// The Sinkhorn divergence between two point clouds and its gradient with
// respect to the points of the first cloud.
func ExampleDivergence() {
	x := mat.NewDense(3, 2, []float64{0, 0, 1, 0, 0, 1})
	y := mat.NewDense(3, 2, []float64{2, 0, 3, 0, 2, 1}) // x shifted by (2, 0)
	d, dr, err := sinkhorn.Divergence(context.Background(), &sinkhorn.Problem{X: x, Y: y, Epsilon: 0.1}, &sinkhorn.Settings{Anderson: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("S_ε = %.4f (‖shift‖² = 4)\n", d)
	g := dr.Grad()
	fmt.Printf("∂S/∂x₀₁ = %.4f (= 2·(x̄ − ȳ)₁/3)\n", g.X.At(0, 0))
	// Output:
	// S_ε = 4.0000 (‖shift‖² = 4)
	// ∂S/∂x₀₁ = -1.3333 (= 2·(x̄ − ȳ)₁/3)
}

// Gradient of a loss on the plan with respect to the cost matrix, by
// implicit differentiation.
func ExampleResult_PlanVJP() {
	c := mat.NewDense(2, 2, []float64{0, 1, 1, 0})
	r, err := sinkhorn.Solve(context.Background(), &sinkhorn.Problem{Cost: c, Epsilon: 0.5}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// L(P) = P₀₁: how does the off-diagonal mass react to the costs?
	g, err := r.PlanVJP(mat.NewDense(2, 2, []float64{0, 1, 0, 0}), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("P₀₁ = %.4f\n", r.Plan().At(0, 1))
	fmt.Printf("∂P₀₁/∂C = [%.4f %.4f; %.4f %.4f]\n", g.C.At(0, 0), g.C.At(0, 1), g.C.At(1, 0), g.C.At(1, 1))
	// Output:
	// P₀₁ = 0.0596
	// ∂P₀₁/∂C = [0.0525 -0.0525; -0.0525 0.0525]
}
