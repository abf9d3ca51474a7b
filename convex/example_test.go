package convex_test

import (
	"context"
	"fmt"
	"log"

	"github.com/optlayers/optlayers/convex"
)

// A nonnegative least squares with a budget, re-solved at new parameter
// values, and the gradient of the solution's first entry with respect to
// b.
func Example() {
	x := convex.NewVariable("x", 2, convex.Nonneg())
	A := convex.NewMatrixParameter("A", 3, 2)
	b := convex.NewParameter("b", 3)
	budget := x.Sum().Le(convex.Const(1))
	pb, err := convex.NewProblem(convex.Minimize(convex.SumSquares(A.MatMul(x).Sub(b))), budget)
	if err != nil {
		log.Fatal(err)
	}
	if err := A.SetValue([]float64{1, 0, 1, 0, 1, 1}); err != nil { // column-major
		log.Fatal(err)
	}
	for _, bv := range [][]float64{{0.2, 0.1, 0.3}, {1, 0.8, 1.5}} {
		if err := b.SetValue(bv); err != nil {
			log.Fatal(err)
		}
		sol, err := pb.Solve(context.Background(), nil)
		if err != nil {
			log.Fatal(err)
		}
		xv, _ := sol.VarValue(x)
		dual, _ := sol.Dual(budget)
		gr, err := sol.Backward(map[*convex.Variable][]float64{x: {1, 0}}, nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("b = %v: x = [%.4f %.4f], budget dual %.4f, ∂x₁/∂b = %.4f\n", bv, xv[0], xv[1], dual[0], gr.Of(b))
	}
	// Output:
	// b = [0.2 0.1 0.3]: x = [0.2000 0.1000], budget dual 0.0000, ∂x₁/∂b = [0.6667 -0.3333 0.3333]
	// b = [1 0.8 1.5]: x = [0.6000 0.4000], budget dual 1.8000, ∂x₁/∂b = [0.5000 -0.5000 0.0000]
}

// A DCP violation names the sub-expression at fault.
func ExampleNewProblem_notDCP() {
	x := convex.NewVariable("x", 3)
	_, err := convex.NewProblem(convex.Minimize(convex.Norm1(x)), convex.Norm2(x).Ge(convex.Const(1)))
	fmt.Println(err)
	// Output:
	// constraint 0: convex: not DCP: Norm2(x) >= 1: the left side Norm2(x) is convex; the left side of >= must be concave
}
