package implicit_test

import (
	"context"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// The root of x³ + θx − 1 = 0 moves with θ as dx/dθ = −x/(3x² + θ). The
// condition is written without derivatives; Numerical supplies them.
func ExampleNumerical() {
	cond := implicit.Numerical(1, 1, func(dst, x, theta []float64) {
		dst[0] = x[0]*x[0]*x[0] + theta[0]*x[0] - 1
	})
	theta := 2.0
	x := 0.5 // Newton's method for the root
	for range 50 {
		x -= (x*x*x + theta*x - 1) / (3*x*x + theta)
	}
	dx, err := implicit.JVP(context.Background(), cond, []float64{x}, []float64{theta}, []float64{1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("x* = %.6f, dx*/dθ = %.6f (exact %.6f)\n", x, dx[0], -x/(3*x*x+theta))
	// Output:
	// x* = 0.453398, dx*/dθ = -0.173270 (exact -0.173270)
}

// A fixed point x = cos(θ x) differentiated in forward and reverse mode.
func ExampleFixedPoint() {
	t := &implicit.MapFunc{N: 1, P: 1,
		MapF: func(dst, x, th []float64) { dst[0] = math.Cos(th[0] * x[0]) },
		LinearizeFunc: func(x, th []float64) (implicit.Operator, implicit.Operator, error) {
			s := -math.Sin(th[0] * x[0])
			return linsolve.Diagonal{s * th[0]}, linsolve.Diagonal{s * x[0]}, nil
		},
	}
	pb := &implicit.Problem{
		Condition: implicit.FixedPoint(t),
		Solver: func(_ context.Context, th, _ []float64) ([]float64, error) {
			x := []float64{0}
			for range 200 {
				t.Map(x, x, th)
			}
			return x, nil
		},
		Tol: 1e-12,
	}
	sol, err := pb.Solve(context.Background(), []float64{0.9}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fwd, rev := make([]float64, 1), make([]float64, 1)
	_ = sol.JVP(fwd, []float64{1})
	_ = sol.VJP(rev, []float64{1})
	fmt.Printf("x* = %.6f, forward %.6f, reverse %.6f\n", sol.X[0], fwd[0], rev[0])
	// Output:
	// x* = 0.769576, forward -0.312070, reverse -0.312070
}
