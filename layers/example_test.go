package layers_test

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/solvers/project"
)

// Sparsemax as a batched layer: projection onto the simplex and its
// backward pass.
func Example() {
	l := layers.Layer{Func: layers.Projection{Set: project.Simplex{Radius: 1}, N: 3}}
	out, _ := l.Forward(context.Background(), mat.NewDense(2, 3, []float64{
		1.0, 0.2, 0.5,
		0.1, 0.1, 2.0,
	}))
	fmt.Printf("y =\n%.4f\n", mat.Formatted(out.Y, mat.Squeeze()))
	g, _ := out.Backward(mat.NewDense(2, 3, []float64{1, 0, 0, 1, 0, 0}))
	fmt.Printf("gθ =\n%.4f\n", mat.Formatted(g, mat.Squeeze()))
	// Output:
	// y =
	// ⎡0.7500  0.0000  0.2500⎤
	// ⎣0.0000  0.0000  1.0000⎦
	// gθ =
	// ⎡0.5000  0.0000  -0.5000⎤
	// ⎣0.0000  0.0000   0.0000⎦
}
