package project_test

import (
	"context"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/project"
)

// Solve returns a projection as the module's differentiable result: here
// θ = (y, r) for the simplex of radius r, and the generic engine on its
// condition gives the same gradient as the closed form.
func ExampleSolve() {
	res, err := project.Solve(context.Background(), project.Simplex{Radius: 1}, []float64{0.9, 0.4, -0.2})
	if err != nil {
		panic(err)
	}
	g := []float64{1, 0, 0} // the gradient of x₀
	fast := make([]float64, res.Len())
	if err := res.VJP(fast, g); err != nil {
		panic(err)
	}
	c, z, theta := res.Condition()
	eng, err := implicit.VJP(context.Background(), c, z, theta, g, nil)
	if err != nil {
		panic(err)
	}
	diff := 0.0
	for i := range fast {
		diff = math.Max(diff, math.Abs(fast[i]-eng[i]))
	}
	fmt.Printf("x = %.2f\n", res.X())
	fmt.Printf("∇(y, r) x₀ = %.2f\n", fast)
	fmt.Println("engine agrees:", diff < 1e-12)
	// Output:
	// x = [0.75 0.25 0.00]
	// ∇(y, r) x₀ = [0.50 -0.50 0.00 0.50]
	// engine agrees: true
}
