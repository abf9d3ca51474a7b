package smooth_test

import (
	"context"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// Minimize the Rosenbrock function by L-BFGS.
func ExampleMinimize() {
	pb := &smooth.Problem{N: 2,
		Func: func(x, _ []float64) float64 {
			return 100*math.Pow(x[1]-x[0]*x[0], 2) + math.Pow(1-x[0], 2)
		},
		Grad: func(dst, x, _ []float64) {
			dst[0] = -400*x[0]*(x[1]-x[0]*x[0]) - 2*(1-x[0])
			dst[1] = 200 * (x[1] - x[0]*x[0])
		},
	}
	res, err := smooth.Minimize(context.Background(), pb, nil, []float64{-1.2, 1}, &smooth.Settings{Tol: 1e-10})
	if err != nil {
		panic(err)
	}
	fmt.Printf("x* = (%.6f, %.6f), f < 1e-18: %v\n", res.X[0], res.X[1], res.F < 1e-18)
	// Output:
	// x* = (1.000000, 1.000000), f < 1e-18: true
}

// Fit l2-regularized logistic regression on the breast-cancer data and
// differentiate the validation log-loss with respect to θ = log λ through
// the gradient-zero condition (the hypergradient of protocol H3).
func ExampleCondition() {
	d := datasets.MustLoad("breast_cancer")
	train, val := d.Split()
	_, sets, err := datasets.Standardize(false, train, val)
	if err != nil {
		panic(err)
	}
	ytr, _ := datasets.Signs(sets[0].Y)
	yva, _ := datasets.Signs(sets[1].Y)
	pb, err := smooth.Logistic(sets[0].X, ytr, smooth.L2{LogScale: true})
	if err != nil {
		panic(err)
	}
	theta := []float64{-5.495}
	_, p := sets[0].X.Dims()
	res, err := smooth.Minimize(context.Background(), pb, theta, make([]float64, p), &smooth.Settings{Method: smooth.NewtonCG, Tol: 1e-12})
	if err != nil {
		panic(err)
	}
	// Validation log-loss (the unregularized logistic objective on the
	// validation rows) and its gradient with respect to w.
	vloss, err := smooth.Logistic(sets[1].X, yva, smooth.L2{})
	if err != nil {
		panic(err)
	}
	zero := []float64{0}
	gw := make([]float64, p)
	vloss.Grad(gw, res.X, zero)
	hyper, err := implicit.VJP(context.Background(), smooth.Condition(pb), res.X, theta, gw, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("validation log-loss %.6f, d/dθ %.5f\n", vloss.Func(res.X, zero), hyper[0])
	// Output:
	// validation log-loss 0.077045, d/dθ 0.00078
}

// Cross-check this package's L-BFGS against gonum/optimize's on
// l2-logistic regression (breast_cancer, λ = e^−4).
func ExampleMinimize_gonum() {
	d := datasets.MustLoad("breast_cancer")
	train, _ := d.Split()
	_, sets, err := datasets.Standardize(false, train)
	if err != nil {
		panic(err)
	}
	ys, err := datasets.Signs(sets[0].Y)
	if err != nil {
		panic(err)
	}
	pb, err := smooth.Logistic(sets[0].X, ys, smooth.L2{LogScale: true})
	if err != nil {
		panic(err)
	}
	theta := []float64{-4}
	var sols [][]float64
	for _, m := range []smooth.Method{smooth.LBFGS, smooth.GonumLBFGS} {
		res, err := smooth.Minimize(context.Background(), pb, theta, make([]float64, pb.N), &smooth.Settings{Method: m, Tol: 1e-9})
		if err != nil {
			panic(err)
		}
		sols = append(sols, res.X)
		fmt.Printf("%-10v f* = %.8f converged: %v\n", m, res.F, res.Converged)
	}
	var diff float64
	for j := range sols[0] {
		diff = math.Max(diff, math.Abs(sols[0][j]-sols[1][j]))
	}
	fmt.Printf("max |x_native − x_gonum| < 1e-7: %v\n", diff < 1e-7)
	// Output:
	// LBFGS      f* = 0.12311044 converged: true
	// GonumLBFGS f* = 0.12311044 converged: true
	// max |x_native − x_gonum| < 1e-7: true
}
