package prox_test

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/prox"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// Soft thresholding and its derivative with respect to λ.
func ExampleL1() {
	g := prox.L1{}
	v := []float64{3, -0.5, -2, 1}
	lambda := []float64{1}
	x := make([]float64, len(v))
	if err := g.Prox(x, v, lambda, 1); err != nil {
		panic(err)
	}
	_, dl, err := g.Jacobian(v, lambda, 1)
	if err != nil {
		panic(err)
	}
	dx := make([]float64, len(v))
	dl.Apply(dx, []float64{1})
	fmt.Println("prox:", x)
	fmt.Println("∂prox/∂λ:", dx)
	// Output:
	// prox: [2 0 -1 0]
	// ∂prox/∂λ: [-1 0 1 0]
}

// Fit a lasso on the diabetes data by coordinate descent, then compute the
// hypergradient of the validation error with respect to λ on the support
// only, and check it with the implicit engine.
func ExampleLasso_Linearize() {
	d := datasets.MustLoad("diabetes")
	train, val := d.Split()
	_, sets, err := datasets.Standardize(true, train, val)
	if err != nil {
		panic(err)
	}
	tr, va := sets[0], sets[1]
	l, err := prox.NewLasso(tr.X, tr.Y, prox.Penalty{})
	if err != nil {
		panic(err)
	}
	theta := []float64{math.Exp(-1.881)} // the grid optimum of protocol H2
	res, err := l.Solve(context.Background(), theta, nil, nil)
	if err != nil {
		panic(err)
	}
	// Validation MSE and its gradient with respect to w.
	nv, p := va.X.Dims()
	var r mat.VecDense
	r.MulVec(va.X, mat.NewVecDense(p, res.W))
	r.SubVec(&r, mat.NewVecDense(nv, va.Y))
	var gw mat.VecDense
	gw.MulVec(va.X.T(), &r)
	gw.ScaleVec(2/float64(nv), &gw)

	sl, err := l.Linearize(res.W, theta)
	if err != nil {
		panic(err)
	}
	hyper := make([]float64, 1)
	if err := sl.VJP(hyper, gw.RawVector().Data); err != nil {
		panic(err)
	}
	engine, err := implicit.VJP(context.Background(), l.Condition(), res.W, theta, gw.RawVector().Data, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("validation MSE %.4f, support size %d\n", mat.Dot(&r, &r)/float64(nv), len(sl.Support()))
	fmt.Printf("dMSE/dλ: support path %.6f, engine %.6f\n", hyper[0], engine[0])
	// Output:
	// validation MSE 2876.4125, support size 10
	// dMSE/dλ: support path -38.886055, engine -38.886055
}

// Non-negative least squares by FISTA: f(x) = (1/2n)‖y − Ax‖² with the
// orthant indicator.
func ExampleMinimize() {
	a := mat.NewDense(4, 2, []float64{
		1, 0,
		0, 1,
		1, 1,
		1, -1,
	})
	y := []float64{1, -2, -1, 3}
	f, err := smooth.LeastSquares(a, y)
	if err != nil {
		panic(err)
	}
	res, err := prox.Minimize(context.Background(), &prox.Composite{F: f, G: prox.NonNegative{}}, nil, []float64{0, 0}, &prox.Settings{Tol: 1e-12})
	if err != nil {
		panic(err)
	}
	fmt.Printf("x = [%.4f %.4f], objective %.4f\n", res.X[0], res.X[1], res.Objective)
	// Output:
	// x = [1.0000 0.0000], objective 1.5000
}
