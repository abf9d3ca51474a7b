package qp_test

import (
	"context"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/solvers/qp"
	"github.com/optlayers/optlayers/sparse"
)

// A tiny portfolio: minimize the variance ½xᵀΣx minus the expected return
// μᵀx over fully invested long-only weights (1ᵀx = 1, 0 ≤ x ≤ 0.6), then
// the sensitivity of the weights to the first asset's expected return.
// No bound is active, so x = Σ⁻¹(μ − ν1) with ν set by the budget:
// x = (3, 4, 4)/11 and ∂x/∂μ₀ = Σ⁻¹(e₀ − 1·(1ᵀΣ⁻¹e₀)/(1ᵀΣ⁻¹1)), which is
// what JVP returns.
func ExampleSolveSparse() {
	// Σ = diag(0.04, 0.09, 0.16) with a covariance 0.02 between assets 0 and 1.
	q, _ := sparse.SymFromTriplets(3, []int{0, 1, 2, 0}, []int{0, 1, 2, 1}, []float64{0.04, 0.09, 0.16, 0.02}, nil)
	ones, _ := sparse.FromTriplets(1, 3, []int{0, 0, 0}, []int{0, 1, 2}, []float64{1, 1, 1}, nil)
	pb := &qp.SparseProblem{
		Q: q, P: []float64{-0.05, -0.07, -0.09}, // −μ
		A: ones, L: []float64{1}, U: []float64{1},
		LB: []float64{0, 0, 0}, UB: []float64{0.6, 0.6, 0.6},
	}
	sol, err := qp.SolveSparse(context.Background(), pb, &qp.SparseSettings{Tol: 1e-10})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v x = (%.4f, %.4f, %.4f)\n", sol.Status, sol.X[0], sol.X[1], sol.X[2])

	// ∂x/∂μ₀: μ₀ is −p₀, the entry of p in θ after Q's stored values.
	l := sol.Layout()
	dtheta := make([]float64, l.Len())
	dtheta[len(l.QPattern[1])] = -1
	dz := make([]float64, l.LenZ())
	if err := sol.JVP(dz, dtheta); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("∂x/∂μ₀ = (%.3f, %.3f, %.3f)\n", dz[0], dz[1], dz[2])
	fmt.Println(math.Abs(dz[0]+dz[1]+dz[2]) < 1e-9) // the budget is kept
	// Output:
	// Optimal x = (0.2727, 0.3636, 0.3636)
	// ∂x/∂μ₀ = (14.205, -10.227, -3.977)
	// true
}
