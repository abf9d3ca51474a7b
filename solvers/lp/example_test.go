package lp_test

import (
	"context"
	"fmt"

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
