package layers_test

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/solvers/project"
	"github.com/optlayers/optlayers/solvers/qp"
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
	g, _ := out.Backward(context.Background(), mat.NewDense(2, 3, []float64{1, 0, 0, 1, 0, 0}))
	fmt.Printf("gθ =\n%.4f\n", mat.Formatted(g, mat.Squeeze()))
	// Output:
	// y =
	// ⎡0.7500  0.0000  0.2500⎤
	// ⎣0.0000  0.0000  1.0000⎦
	// gθ =
	// ⎡0.5000  0.0000  -0.5000⎤
	// ⎣0.0000  0.0000   0.0000⎦
}

// The OptNet layer: x*(p) = argmin ½‖x‖² − pᵀx s.t. x ≤ 1, Σx = 1 for a
// batch of two linear terms, and the gradient of x₀* with respect to
// (p, b, h).
func ExampleQP() {
	tpl := &qp.Problem{
		Q: mat.NewDiagDense(3, []float64{1, 1, 1}),
		P: make([]float64, 3),
		A: mat.NewDense(1, 3, []float64{1, 1, 1}), B: []float64{1},
		G: mat.NewDiagDense(3, []float64{1, 1, 1}), H: []float64{1, 1, 1},
	}
	// NewQP prepares the fixed matrices (Q, A, G) once for every instance.
	qpl, err := layers.NewQP(tpl, layers.QPLinear, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	l := layers.Layer{Func: qpl}
	// θ = (−p, b, h): the template's linear term is +pᵀx
	out, _ := l.Forward(context.Background(), mat.NewDense(2, 7, []float64{
		-1, -0.5, 0, 1, 1, 1, 1,
		-3, 0, 0, 1, 1, 1, 1,
	}))
	fmt.Printf("x* =\n%.4f\n", mat.Formatted(clean(out.Y), mat.Squeeze()))
	g, _ := out.Backward(context.Background(), mat.NewDense(2, 3, []float64{1, 0, 0, 1, 0, 0}))
	fmt.Printf("∂x₀*/∂θ =\n%.4f\n", mat.Formatted(clean(g), mat.Squeeze()))
	// Output:
	// x* =
	// ⎡0.8333  0.3333  -0.1667⎤
	// ⎣1.0000  0.0000   0.0000⎦
	// ∂x₀*/∂θ =
	// ⎡-0.6667  0.3333  0.3333  0.3333  0.0000  0.0000  0.0000⎤
	// ⎣ 0.0000  0.0000  0.0000  0.0000  1.0000  0.0000  0.0000⎦
}

// clean rounds interior-point noise below 1e-6 to zero for printing.
func clean(m *mat.Dense) *mat.Dense {
	c := mat.DenseCopyOf(m)
	for i, v := range c.RawMatrix().Data {
		if math.Abs(v) < 1e-6 {
			c.RawMatrix().Data[i] = 0
		}
	}
	return c
}

// A doubly stochastic matrix from scores, and the gradient of a loss on it
// with respect to the scores.
func ExampleBirkhoff() {
	scores := mat.NewDense(3, 3, []float64{
		3, 0, 0,
		0, 0, 3,
		0, 3, 0,
	})
	l := &layers.Birkhoff{Tau: 0.5}
	out, err := l.Forward(context.Background(), scores)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range 3 {
		fmt.Printf("%.4f %.4f %.4f\n", out.P.At(i, 0), out.P.At(i, 1), out.P.At(i, 2))
	}
	perm, err := layers.RoundToPermutation(out.P)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rounded permutation:", perm)
	// ∂(P₀₀)/∂S: raising S₀₀ raises P₀₀.
	g, err := out.Backward(mat.NewDense(3, 3, []float64{1, 0, 0, 0, 0, 0, 0, 0, 0}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("∂P₀₀/∂S₀₀ = %.4f\n", g.At(0, 0))
	// Output:
	// 0.9951 0.0025 0.0025
	// 0.0025 0.0025 0.9951
	// 0.0025 0.9951 0.0025
	// rounded permutation: [0 2 1]
	// ∂P₀₀/∂S₀₀ = 0.0049
}
