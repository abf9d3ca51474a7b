package cone_test

import (
	"context"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/optlayers/optlayers/solvers/project"
	"github.com/optlayers/optlayers/sparse"
	"gonum.org/v1/gonum/mat"
)

// Project a point onto the second-order cone ‖x‖ ≤ t and apply the
// derivative of the projection.
func ExampleSecondOrder() {
	k := cone.SecondOrder{N: 3}
	y := []float64{1, 3, 4} // ‖(3, 4)‖ = 5 > 1: outside
	x := make([]float64, 3)
	if err := k.Project(x, y); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("Π(y) = %.4g\n", x) // ½(1 + 1/5)(5, 3, 4)
	d, _ := k.Dist(y)
	fmt.Printf("dist = %.4f\n", d) // (5 − 1)/√2
	dx := make([]float64, 3)
	if err := k.JVP(dx, x, y, []float64{1, 0, 0}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("∂Π/∂t = %.4g\n", dx) // ½(1, x̄)
	// Output:
	// Π(y) = [3 1.8 2.4]
	// dist = 2.8284
	// ∂Π/∂t = [0.5 0.3 0.4]
}

// The exponential cone's projection, its Moreau decomposition with the
// dual cone's, and the projection as a differentiable result of the
// module's contract through package project.
func ExampleExp() {
	y := []float64{1, 1, 1} // e^{1/1} > 1: outside K_exp
	p, q := make([]float64, 3), make([]float64, 3)
	_ = cone.Exp{}.Project(p, y)
	_ = cone.ExpDual{}.Project(q, []float64{-1, -1, -1})
	fmt.Printf("Π_K(y) = %.6f\n", p)
	fmt.Printf("Π_K(y) − Π_K*(−y) = %.6f\n", []float64{p[0] - q[0], p[1] - q[1], p[2] - q[2]})

	r, err := project.Solve(context.Background(), cone.Exp{}, y)
	if err != nil {
		fmt.Println(err)
		return
	}
	g := make([]float64, 3)
	_ = r.VJP(g, []float64{0, 0, 1}) // ∂Π(y)₃/∂y
	fmt.Printf("∇ Π(y)₃ = %.6f\n", g)
	// Output:
	// Π_K(y) = [0.426306 0.751673 1.325367]
	// Π_K(y) − Π_K*(−y) = [1.000000 1.000000 1.000000]
	// ∇ Π(y)₃ = [0.312950 0.261235 0.751181]
}

// A PSD matrix in vectorized form (svec: lower triangle by columns,
// off-diagonal entries times √2) and its projection.
func ExamplePSD() {
	k := cone.PSD{N: 2}
	// X = [1 2; 2 1] has eigenvalues 3 and −1.
	y := []float64{1, 2 * 1.4142135623730951, 1}
	x := make([]float64, k.Dim())
	_ = k.Project(x, y)
	m, _ := cone.Smat(x)
	fmt.Printf("%.4g %.4g\n%.4g %.4g\n", m.At(0, 0), m.At(0, 1), m.At(1, 0), m.At(1, 1))
	// Output:
	// 1.5 1.5
	// 1.5 1.5
}

// ExampleSolve minimizes x + y over the disc ‖(x, y) − (2, 1)‖ ≤ 1: a
// second-order cone program whose solution is the centre minus
// (1, 1)/√2. The constraint is written Ax + s = b with s = (1, x − 2,
// y − 1) in the second-order cone of R³.
func ExampleSolve() {
	a, _ := sparse.FromDense(mat.NewDense(3, 2, []float64{
		0, 0,
		-1, 0,
		0, -1,
	}))
	k, _ := cone.NewProduct(cone.SecondOrder{N: 3})
	pb := &cone.Problem{P: []float64{1, 1}, A: a, B: []float64{1, -2, -1}, K: k}
	sol, err := cone.Solve(context.Background(), pb, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sol.Status)
	fmt.Printf("x = (%.6f, %.6f), objective %.6f (2 − 1/√2 = %.6f, 3 − √2 = %.6f)\n",
		sol.X[0], sol.X[1], sol.Objective, 2-1/math.Sqrt2, 3-math.Sqrt2)
	// Output:
	// Optimal
	// x = (1.292893, 0.292893), objective 1.585786 (2 − 1/√2 = 1.292893, 3 − √2 = 1.585786)
}
