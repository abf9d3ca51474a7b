package gomlx_test

import (
	"context"
	"fmt"

	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	optgomlx "github.com/optlayers/optlayers/gomlx"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/layers"
	"github.com/optlayers/optlayers/solvers/project"
)

// x*(θ) solves x³ + θx − 1 = 0. Written in GoMLX, the condition's
// derivatives come from GoMLX's autodiff; the engine differentiates the
// root, here against the closed form dx*/dθ = −x/(3x² + θ).
func ExampleNewCondition() {
	backend, err := simplego.New("ops_sequential")
	if err != nil {
		panic(err)
	}
	cond, err := optgomlx.NewCondition(backend, 1, 1, func(x, theta *graph.Node) *graph.Node {
		return graph.AddScalar(graph.Add(graph.Mul(x, graph.Mul(x, x)), graph.Mul(theta, x)), -1)
	}, nil)
	if err != nil {
		panic(err)
	}
	theta := []float64{2}
	lo, hi := 0.0, 1.0 // bisection for the root
	for range 60 {
		if mid := (lo + hi) / 2; mid*mid*mid+theta[0]*mid-1 > 0 {
			hi = mid
		} else {
			lo = mid
		}
	}
	x := []float64{(lo + hi) / 2}
	dx, err := implicit.JVP(context.Background(), cond, x, theta, []float64{1}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("x* = %.6f, dx*/dθ = %.6f (closed form %.6f)\n", x[0], dx[0], -x[0]/(3*x[0]*x[0]+theta[0]))
	// Output:
	// x* = 0.453398, dx*/dθ = -0.173270 (closed form -0.173270)
}

// A sparsemax layer on parameters from a GoMLX graph: the host solves,
// and Attach puts the layer's Jacobian back into a GoMLX graph, whose
// gradient is then the layer's VJP.
func ExampleAttach() {
	backend, err := simplego.New("ops_sequential")
	if err != nil {
		panic(err)
	}
	layer := optgomlx.Layer{Func: layers.Projection{Set: project.Simplex{Radius: 1}, N: 3}}
	theta := tensors.FromFlatDataAndDimensions([]float64{0.5, 0.2, -1}, 1, 3)
	out, err := layer.Forward(context.Background(), theta)
	if err != nil {
		panic(err)
	}
	jac, err := out.Jacobian(context.Background())
	if err != nil {
		panic(err)
	}
	// ∇θ of y₀ (the first output) in one graph
	grad, err := graph.NewExec(backend, func(theta, y, jac *graph.Node) *graph.Node {
		yy := optgomlx.Attach(theta, y, jac)
		w := graph.ConstTensor(theta.Graph(), tensors.FromFlatDataAndDimensions([]float64{1, 0, 0}, 1, 3))
		return graph.Gradient(graph.ReduceAllSum(graph.Mul(yy, w)), theta)[0]
	})
	if err != nil {
		panic(err)
	}
	g, err := grad.Exec1(theta, out.Y, jac)
	if err != nil {
		panic(err)
	}
	fmt.Println("y =", tensors.MustCopyFlatData[float64](out.Y))
	fmt.Println("∇θ y₀ =", tensors.MustCopyFlatData[float64](g))
	// Output:
	// y = [0.65 0.35000000000000003 0]
	// ∇θ y₀ = [0.5 -0.5 0]
}
