package project_test

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/project"
)

// Sparsemax: the projection onto the probability simplex gives sparse
// probabilities, and its Jacobian centers a tangent on the support.
func ExampleSimplex() {
	simplex := project.Simplex{Radius: 1}
	y := []float64{1.2, 0.9, -0.3, 0.1}
	x := make([]float64, len(y))
	if err := simplex.Project(x, y); err != nil {
		panic(err)
	}
	fmt.Printf("x = %.4f\n", x)

	v := []float64{1, 0, 0, 5}
	jv := make([]float64, len(y))
	_ = simplex.JVP(jv, x, y, v)
	fmt.Printf("∂P(y)·v = %.4f\n", jv)
	// Output:
	// x = [0.6500 0.3500 0.0000 0.0000]
	// ∂P(y)·v = [0.5000 -0.5000 0.0000 0.0000]
}

// The l1 ball: soft-thresholding with the threshold chosen so that the
// result has l1 norm equal to the radius.
func ExampleL1Ball() {
	ball := project.L1Ball{Radius: 1}
	y := []float64{2, -0.5, 0.25, -1.5}
	x := make([]float64, len(y))
	if err := ball.Project(x, y); err != nil {
		panic(err)
	}
	fmt.Printf("x = %.4f\n", x)
	// Output:
	// x = [0.7500 0.0000 0.0000 -0.2500]
}

// A projection written as a fixed-point condition, differentiated by the
// implicit engine: the same Jacobian as the closed form.
func ExampleCondition() {
	set := project.CappedSimplex(0.5, 1) // {0 ≤ x ≤ 0.5, Σx = 1}
	y := []float64{0.9, 0.35, 0.2, -1}
	x := make([]float64, len(y))
	if err := set.Project(x, y); err != nil {
		panic(err)
	}
	fmt.Printf("x = %.4f\n", x)
	cond, err := project.Condition(set, len(y), 0.5)
	if err != nil {
		panic(err)
	}
	jac, err := implicit.Jacobian(context.Background(), cond, x, y, nil)
	if err != nil {
		panic(err)
	}
	for i := range len(y) {
		row := mat.Row(nil, i, jac)
		for j := range row {
			row[j] = math.Round(row[j]*1e4) / 1e4 // print −0 as 0
			row[j] += 0
		}
		fmt.Printf("%.4f\n", row)
	}
	// Output:
	// x = [0.5000 0.3250 0.1750 0.0000]
	// [0.0000 0.0000 0.0000 0.0000]
	// [0.0000 0.5000 -0.5000 0.0000]
	// [0.0000 -0.5000 0.5000 0.0000]
	// [0.0000 0.0000 0.0000 0.0000]
}
