package bilevel_test

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/bilevel"
	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/solvers/smooth"
)

// Tune the ridge penalty of protocol H1 (diabetes, validation MSE) by
// L-BFGS on the implicit hypergradient, and compare with a 100-point grid.
func ExampleOptimize() {
	train, val := datasets.MustLoad("diabetes").Split()
	_, sets, err := datasets.Standardize(true, train, val)
	if err != nil {
		panic(err)
	}
	model, err := bilevel.NewRidge(sets[0].X, sets[0].Y, smooth.Shared)
	if err != nil {
		panic(err)
	}
	mse, err := bilevel.NewMSE(sets[1].X, sets[1].Y)
	if err != nil {
		panic(err)
	}
	obj, err := bilevel.NewHeldOut(model, mse, nil)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	res, err := bilevel.Optimize(ctx, obj, []float64{0}, &bilevel.Settings{MaxIter: 20})
	if err != nil {
		panic(err)
	}
	grid, err := bilevel.GridSearch(ctx, obj, bilevel.Grid1D(bilevel.Linspace(4, -12, 100)), 0)
	if err != nil {
		panic(err)
	}
	fmt.Printf("L-BFGS: θ = %.2f, val MSE = %.2f, %d inner solves\n", res.Theta[0], res.Value, res.Evals)
	fmt.Printf("grid:   θ = %.2f, val MSE = %.2f, %d inner solves\n", grid.BestTheta()[0], grid.BestValue(), len(grid.Values))
	// Output:
	// L-BFGS: θ = -4.73, val MSE = 2877.05, 12 inner solves
	// grid:   θ = -4.73, val MSE = 2877.05, 100 inner solves
}

// The hypergradient of the lasso's validation MSE (protocol H2) by the
// implicit function theorem on the support, computed three ways.
func ExampleHypergradient() {
	train, val := datasets.MustLoad("diabetes").Split()
	_, sets, err := datasets.Standardize(true, train, val)
	if err != nil {
		panic(err)
	}
	lasso, err := bilevel.NewLasso(sets[0].X, sets[0].Y, smooth.Shared)
	if err != nil {
		panic(err)
	}
	mse, err := bilevel.NewMSE(sets[1].X, sets[1].Y)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	theta := []float64{math.Log(lasso.LambdaMax() / 10)}
	w := make([]float64, 10)
	if _, err := lasso.Fit(ctx, w, theta, 1e-12); err != nil {
		panic(err)
	}
	for _, m := range []bilevel.Method{bilevel.Implicit, bilevel.ImplicitForward, bilevel.Neumann} {
		g := make([]float64, 1)
		val, _, err := bilevel.Hypergradient(ctx, lasso, mse, theta, w, g, &bilevel.HypergradSettings{Method: m, Steps: 1000})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-16s val MSE %.3f  dMSE/dθ %.4f\n", m, val, g[0])
	}
	// Output:
	// implicit         val MSE 3223.974  dMSE/dθ 156.7036
	// implicit-forward val MSE 3223.974  dMSE/dθ 156.7036
	// neumann          val MSE 3223.974  dMSE/dθ 156.7036
}

// Five-fold cross-validation of a lasso on the diabetes data: folds are
// standardized on their own training rows and solved in parallel.
func ExampleKFold() {
	d := datasets.MustLoad("diabetes")
	build := func(xt mat.Matrix, yt []float64, xv mat.Matrix, yv []float64) (bilevel.Model, bilevel.Criterion, error) {
		tr := &datasets.Dataset{X: mat.DenseCopyOf(xt), Y: yt}
		va := &datasets.Dataset{X: mat.DenseCopyOf(xv), Y: yv}
		_, sets, err := datasets.Standardize(true, tr, va)
		if err != nil {
			return nil, nil, err
		}
		m, err := bilevel.NewLasso(sets[0].X, sets[0].Y, smooth.Shared)
		if err != nil {
			return nil, nil, err
		}
		c, err := bilevel.NewMSE(sets[1].X, sets[1].Y)
		return m, c, err
	}
	cv, err := bilevel.KFold(d.X, d.Y, 5, build, nil)
	if err != nil {
		panic(err)
	}
	res, err := bilevel.Optimize(context.Background(), cv, []float64{0}, &bilevel.Settings{MaxIter: 20})
	if err != nil {
		panic(err)
	}
	fmt.Printf("λ = %.3f, 5-fold CV MSE = %.1f\n", res.Lambdas()[0], res.Value)
	// Output:
	// λ = 0.800, 5-fold CV MSE = 2956.0
}
