package lp_test

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/lp"
)

// A production plan: maximize 3x₁ + 5x₂ (minimize its negative) under
// three resource limits, x ≥ 0. The duals are the shadow prices of the
// resources.
func ExampleSolve() {
	pb := &lp.Problem{
		C:     []float64{-3, -5},
		G:     mat.NewDense(3, 2, []float64{1, 0, 0, 2, 3, 2}),
		H:     []float64{4, 12, 18},
		Lower: []float64{0, 0},
	}
	sol, err := lp.Solve(context.Background(), pb, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x = (%.4f, %.4f), objective %.4f\n", sol.X[0], sol.X[1], sol.Objective)
	fmt.Printf("shadow prices (%.4f, %.4f, %.4f)\n", sol.Lambda[0], sol.Lambda[1], sol.Lambda[2])
	// Output:
	// x = (2.0000, 6.0000), objective -36.0000
	// shadow prices (0.0000, 1.5000, 1.0000)
}

// An LP's solution is piecewise constant in the cost: its derivative is
// zero. The log-barrier smoothing (stop the interior point at barrier
// weight μ) gives a smooth solution with an informative derivative.
func ExampleSolution_Backward() {
	pb := &lp.Problem{
		C:     []float64{-1, -2},
		G:     mat.NewDense(1, 2, []float64{1, 1}),
		H:     []float64{1.5},
		Lower: []float64{0, 0},
		Upper: []float64{1, 1},
	}
	for _, mu := range []float64{0, 0.1} {
		sol, err := lp.Solve(context.Background(), pb, &lp.Settings{Barrier: mu})
		if err != nil {
			fmt.Println(err)
			return
		}
		// Gradient of x₁* with respect to the cost.
		g, err := sol.Backward([]float64{1, 0})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("μ = %.1f: x* = (%.4f, %.4f), ∂x₁*/∂c = (%.4f, %.4f)\n", mu, sol.X[0], sol.X[1], round(g.C[0]), round(g.C[1]))
	}
	// Output:
	// μ = 0.0: x* = (0.5000, 1.0000), ∂x₁*/∂c = (0.0000, 0.0000)
	// μ = 0.1: x* = (0.4913, 0.9093), ∂x₁*/∂c = (-0.1573, 0.0711)
}

// round rounds to 4 decimals without printing −0.
func round(v float64) float64 { return math.Round(v*1e4)/1e4 + 0 }

// A Solution is an implicit.Differentiable: VJP takes a cotangent of
// z = (x, ν, λ, μ_u, μ_l) and returns the gradient in the flat θ of
// Layout, read back with its typed accessors.
func ExampleSolution_VJP() {
	pb := &lp.Problem{
		C:     []float64{-1, -2},
		G:     mat.NewDense(1, 2, []float64{1, 1}),
		H:     []float64{1.5},
		Lower: []float64{0, 0},
		Upper: []float64{1, 1},
	}
	sol, err := lp.Solve(context.Background(), pb, &lp.Settings{Barrier: 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	l := sol.Layout()
	g := make([]float64, l.LenZ())
	g[0] = 1 // ⟨g, z⟩ = x₁
	grad := make([]float64, l.Len())
	if err := sol.VJP(grad, g); err != nil {
		fmt.Println(err)
		return
	}
	c, h := l.C(grad), l.H(grad)
	fmt.Printf("len(θ) = %d, ∂x₁*/∂c = (%.4f, %.4f), ∂x₁*/∂h = %.4f\n", l.Len(), round(c[0]), round(c[1]), round(h[0]))
	// Output:
	// len(θ) = 9, ∂x₁*/∂c = (-0.1573, 0.0711), ∂x₁*/∂h = 0.8740
}
