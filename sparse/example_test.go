package sparse_test

import (
	"fmt"

	"github.com/optlayers/optlayers/sparse"
	"gonum.org/v1/gonum/mat"
)

func Example() {
	// A = [1 0 2]
	//     [0 3 0]   from triplets; the two entries at (0, 2) are summed.
	a, err := sparse.FromTriplets(2, 3,
		[]int{0, 1, 0, 0},
		[]int{0, 1, 2, 2},
		[]float64{1, 3, 1.5, 0.5}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	y := make([]float64, 2)
	_ = a.MulVec(y, []float64{1, 1, 1}) // y = A x
	z := make([]float64, 3)
	_ = a.MulTransVec(z, []float64{1, 1}) // z = Aᵀ u
	rows, vals := a.Col(2)
	fmt.Println("nnz:", a.NNZ())
	fmt.Println("A x:", y)
	fmt.Println("Aᵀ u:", z)
	fmt.Println("column 2:", rows, vals)
	fmt.Printf("as a mat.Matrix:\n%v\n", mat.Formatted(a))
	// Output:
	// nnz: 3
	// A x: [3 3]
	// Aᵀ u: [1 3 2]
	// column 2: [0] [2]
	// as a mat.Matrix:
	// ⎡1  0  2⎤
	// ⎣0  3  0⎦
}
