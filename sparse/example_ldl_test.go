package sparse_test

import (
	"fmt"

	"github.com/optlayers/optlayers/sparse"
)

// ExampleNewLDL factors the KKT matrix of an equality-constrained QP,
// minimize ½(x₀² + x₁²) subject to x₀ + x₁ = 1,
//
//	K = [1 0 1; 0 1 1; 1 1 0],
//
// and solves K (x, y) = (0, 0, 1) for the solution and the multiplier.
func ExampleNewLDL() {
	k, err := sparse.SymFromTriplets(3,
		[]int{0, 1, 0, 1},
		[]int{0, 1, 2, 2},
		[]float64{1, 1, 1, 1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// +1 for the primal rows, −1 for the dual row (its diagonal is 0: the
	// static regularization makes the factored matrix quasi-definite, and
	// refinement against K removes its effect).
	f, err := sparse.NewLDL(k, []int8{1, 1, -1}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	x := make([]float64, 3)
	if err := f.Solve(x, []float64{0, 0, 1}); err != nil {
		fmt.Println(err)
		return
	}
	st := f.Stats()
	fmt.Printf("x = (%.6f, %.6f), y = %.6f\n", x[0], x[1], x[2])
	fmt.Printf("nnz(L) = %d, dynamic pivots = %d, residual < 1e-12: %v\n", st.NNZL, st.Dynamic, st.Residual < 1e-12)
	// Output:
	// x = (0.500000, 0.500000), y = -0.500000
	// nnz(L) = 2, dynamic pivots = 0, residual < 1e-12: true
}
