//go:build nlopt && cgo

package nlopt_test

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/nlopt"
	"github.com/optlayers/optlayers/solvers/nlp"
)

// NLopt's tutorial: minimize √x₂ subject to x₂ ≥ (a x₁ + b)³ for
// (a, b) = (2, 0) and (−1, 1), with MMA.
func ExampleMinimize() {
	cubic := func(a, b float64) nlopt.Constraint {
		return nlopt.ScalarConstraint(func(x, grad []float64) float64 {
			u := a*x[0] + b
			if grad != nil {
				grad[0], grad[1] = 3*a*u*u, -1
			}
			return u*u*u - x[1]
		}, 1e-8)
	}
	p := &nlopt.Problem{
		Dim: 2,
		Objective: func(x, grad []float64) float64 {
			if grad != nil {
				grad[0], grad[1] = 0, 0.5/math.Sqrt(x[1])
			}
			return math.Sqrt(x[1])
		},
		Lower:        []float64{math.Inf(-1), 0},
		Inequalities: []nlopt.Constraint{cubic(2, 0), cubic(-1, 1)},
	}
	res, err := nlopt.Minimize(context.Background(), p, []float64{1.234, 5.678}, &nlopt.Settings{Algorithm: nlopt.LD_MMA, XTolRel: 1e-10})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x = (%.6f, %.6f), f = %.6f, %v\n", res.X[0], res.X[1], res.F, res.Status)
	// Output:
	// x = (0.333333, 0.296296), f = 0.544331, XTolReached
}

// The tutorial as a parametric program, θ = (a₁, b₁, a₂, b₂): solve with
// NLopt and differentiate the solution with respect to θ through the KKT
// conditions. The closed form is x₁ = (b₂ − b₁)/(a₁ − a₂), so
// ∂x₁/∂b₂ = 1/3 at θ = (2, 0, −1, 1).
func ExampleSolveNLP() {
	p := &nlp.Problem{
		Dim: 2, Params: 4, NumIneq: 2,
		Lower:     []float64{math.Inf(-1), 0},
		Objective: func(x, th []float64) float64 { return math.Sqrt(x[1]) },
		Grad:      func(dst, x, th []float64) { dst[0], dst[1] = 0, 0.5/math.Sqrt(x[1]) },
		Ineq: func(dst, x, th []float64) {
			for i := range 2 {
				u := th[2*i]*x[0] + th[2*i+1]
				dst[i] = u*u*u - x[1]
			}
		},
		// Jacobians, Hessian and θ-derivatives: finite differences.
	}
	theta := []float64{2, 0, -1, 1}
	sol, _, err := nlopt.SolveNLP(context.Background(), p, theta, []float64{1.234, 5.678}, &nlopt.Settings{Algorithm: nlopt.LD_SLSQP}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	J, err := sol.Jacobian()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x* = (%.6f, %.6f), active %v, λ = (%.4f, %.4f)\n", sol.X[0], sol.X[1], sol.Active, sol.Lambda[0], sol.Lambda[1])
	fmt.Printf("∂x*/∂θ =\n%.4f\n", mat.Formatted(J))
	// Output:
	// x* = (0.333333, 0.296296), active [0 1], λ = (0.3062, 0.6124)
	// ∂x*/∂θ =
	// ⎡-0.1111  -0.3333   0.1111   0.3333⎤
	// ⎣ 0.1481   0.4444   0.2963   0.8889⎦
}
