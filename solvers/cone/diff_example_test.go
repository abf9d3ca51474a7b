package cone_test

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/cone"
	"github.com/optlayers/optlayers/sparse"
)

// clean rounds v to 6 decimals, without a negative zero.
func clean(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		if r := math.Round(x*1e6) / 1e6; r != 0 {
			out[i] = r
		}
	}
	return out
}

// The projection of c onto the second-order cone as a cone program,
// minimize ½‖x‖² − cᵀx subject to x ∈ K (A = −I, b = 0, s = x), and the
// gradient of its first coordinate with respect to c through the VJP:
// x* = Π_K(c) = ½(1 + t/‖u‖)(‖u‖, u) for c = (t, u), whose Jacobian has the
// first row ½(1, uᵀ/‖u‖).
func ExampleSolution_VJP() {
	c := []float64{1, 2, 0}
	k, _ := cone.NewProduct(cone.SecondOrder{N: 3})
	q, _ := sparse.SymFromDense(mat.NewSymDense(3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}))
	a, _ := sparse.FromDense(mat.NewDense(3, 3, []float64{-1, 0, 0, 0, -1, 0, 0, 0, -1}))
	pb := &cone.Problem{Q: q, P: []float64{-c[0], -c[1], -c[2]}, A: a, B: make([]float64, 3), K: k}
	sol, err := cone.Solve(context.Background(), pb, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := sol.Refine(context.Background(), 0); err != nil { // to rounding
		fmt.Println(err)
		return
	}
	fmt.Println("x* =", clean(sol.X))

	// ∂x₀*/∂θ with z = (x, y, s): the cotangent is e₀ on x.
	grad, err := sol.Backward([]float64{1, 0, 0}, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// p = −c, so ∂x₀*/∂c = −∂x₀*/∂p.
	dc := make([]float64, 3)
	for i, v := range grad.P {
		dc[i] = -v
	}
	fmt.Println("∂x₀*/∂c =", clean(dc))
	// Output:
	// x* = [1.5 1.5 0]
	// ∂x₀*/∂c = [0.5 0.5 0]
}
