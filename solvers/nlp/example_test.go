package nlp_test

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/nlp"
)

// The projection of θ onto the unit disk, x* = θ/‖θ‖ for ‖θ‖ > 1, written
// as minimize ½‖x − θ‖² subject to ‖x‖² ≤ 1 with the gradient only; the
// Hessian and the θ-derivatives come from finite differences.
func Example() {
	p := &nlp.Problem{
		Dim: 2, Params: 2, NumIneq: 1,
		Objective: func(x, th []float64) float64 {
			return 0.5 * ((x[0]-th[0])*(x[0]-th[0]) + (x[1]-th[1])*(x[1]-th[1]))
		},
		Grad: func(dst, x, th []float64) { dst[0], dst[1] = x[0]-th[0], x[1]-th[1] },
		Ineq: func(dst, x, th []float64) { dst[0] = x[0]*x[0] + x[1]*x[1] - 1 },
	}
	theta := []float64{3, 4}
	x := []float64{0.6, 0.8} // from any solver
	sol, err := nlp.NewSolution(p, x, theta, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	J, err := sol.Jacobian()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("active %v, λ = %.4f\n", sol.Active, sol.Lambda[0])
	fmt.Printf("∂x*/∂θ =\n%.4f\n", mat.Formatted(J))
	// Closed form: (I − x xᵀ)/‖θ‖.
	fmt.Printf("closed form (0,0): %.4f\n", (1-0.36)/math.Hypot(3, 4))
	// Output:
	// active [0], λ = 2.0000
	// ∂x*/∂θ =
	// ⎡ 0.1280  -0.0960⎤
	// ⎣-0.0960   0.0720⎦
	// closed form (0,0): 0.1280
}
