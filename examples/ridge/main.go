// Command ridge differentiates the validation error of ridge regression with
// respect to its regularization strength, on the embedded diabetes data, with
// the implicit-differentiation engine, and checks the result against central
// finite differences.
//
// The inner problem is
//
//	w*(θ) = argmin_w (1/2n)‖y − Xw‖² + (e^θ/2)‖w‖²,
//
// whose optimality condition F(w, θ) = (XᵀX/n + e^θ I) w − Xᵀy/n = 0 is
// handed to the engine with ∂wF as a kept Cholesky factorization, so the
// hypergradient d MSE_val / dθ costs one triangular solve per θ.
//
// Usage:
//
//	go run ./examples/ridge [-quick] [-png ridge.png]
//
// Both the full run and -quick (fewer points) finish in well under a
// second.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"time"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/datasets"
	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/plotutil"
)

// ridge is the stationarity condition of the ridge objective, θ = (log λ).
type ridge struct {
	xtx *mat.SymDense // XᵀX/n
	xty []float64     // Xᵀy/n
}

func (r *ridge) Dims() (int, int) { return len(r.xty), 1 }

func (r *ridge) hessian(theta float64) *mat.SymDense {
	h := mat.NewSymDense(len(r.xty), nil)
	h.CopySym(r.xtx)
	for i := range r.xty {
		h.SetSym(i, i, h.At(i, i)+math.Exp(theta))
	}
	return h
}

func (r *ridge) Residual(dst, w, theta []float64) {
	n := len(w)
	mat.NewVecDense(n, dst).MulVec(r.hessian(theta[0]), mat.NewVecDense(n, w))
	for i := range dst {
		dst[i] -= r.xty[i]
	}
}

func (r *ridge) Linearize(w, theta []float64) (implicit.Operator, implicit.Operator, error) {
	chol, err := linsolve.NewCholesky(r.hessian(theta[0]))
	if err != nil {
		return nil, nil, err
	}
	lw := mat.NewDense(len(w), 1, nil)
	for i, wi := range w {
		lw.Set(i, 0, math.Exp(theta[0])*wi)
	}
	return chol, linsolve.NewMatrix(lw), nil
}

// solve returns w*(θ) by a Cholesky solve.
func (r *ridge) solve(_ context.Context, theta, _ []float64) ([]float64, error) {
	chol, err := linsolve.NewCholesky(r.hessian(theta[0]))
	if err != nil {
		return nil, err
	}
	w := make([]float64, len(r.xty))
	return w, chol.Solve(w, r.xty)
}

type problem struct {
	cond       *ridge
	pb         *implicit.Problem
	xval       *mat.Dense
	yval       []float64
	innerCalls int
}

func newProblem() (*problem, error) {
	d, err := datasets.Load("diabetes")
	if err != nil {
		return nil, err
	}
	tr, va := d.Split()
	_, sets, err := datasets.Standardize(true, tr, va)
	if err != nil {
		return nil, err
	}
	tr, va = sets[0], sets[1]
	n, p := tr.X.Dims()
	xtx := mat.NewSymDense(p, nil)
	xtx.SymOuterK(1/float64(n), tr.X.T())
	var xty mat.VecDense
	xty.MulVec(tr.X.T(), mat.NewVecDense(n, tr.Y))
	xty.ScaleVec(1/float64(n), &xty)
	c := &ridge{xtx: xtx, xty: xty.RawVector().Data}
	pr := &problem{cond: c, xval: va.X, yval: va.Y}
	pr.pb = &implicit.Problem{Condition: c, Tol: 1e-8, Solver: func(ctx context.Context, th, init []float64) ([]float64, error) {
		pr.innerCalls++
		return c.solve(ctx, th, init)
	}}
	return pr, nil
}

// criterion returns the validation MSE at θ and its gradient with respect to w.
func (pr *problem) criterion(w []float64) (float64, []float64) {
	m, p := pr.xval.Dims()
	var pred mat.VecDense
	pred.MulVec(pr.xval, mat.NewVecDense(p, w))
	res := make([]float64, m)
	var mse float64
	for i := range res {
		res[i] = pred.AtVec(i) - pr.yval[i]
		mse += res[i] * res[i]
	}
	mse /= float64(m)
	g := mat.NewVecDense(p, nil)
	g.MulVec(pr.xval.T(), mat.NewVecDense(m, res))
	g.ScaleVec(2/float64(m), g)
	return mse, g.RawVector().Data
}

// hypergradient returns MSE_val(θ) and d MSE_val/dθ through the engine.
func (pr *problem) hypergradient(theta float64) (float64, float64, error) {
	sol, err := pr.pb.Solve(context.Background(), []float64{theta}, nil)
	if err != nil {
		return 0, 0, err
	}
	mse, g := pr.criterion(sol.X)
	d := make([]float64, len(sol.Theta))
	err = sol.VJP(d, g)
	if err != nil {
		return 0, 0, err
	}
	return mse, d[0], nil
}

func (pr *problem) mse(theta float64) float64 {
	w, err := pr.cond.solve(context.Background(), []float64{theta}, nil)
	if err != nil {
		return math.NaN()
	}
	m, _ := pr.criterion(w)
	return m
}

func main() {
	quick := flag.Bool("quick", false, "smoke run: fewer points")
	pngPath := flag.String("png", "ridge.png", "where to save the PNG (empty: no figure)")
	flag.Parse()
	log.SetFlags(0)
	pr, err := newProblem()
	if err != nil {
		log.Fatal(err)
	}
	thetas := []float64{-8, -6, -4.727, -3, -1, 1}
	if *quick {
		thetas = []float64{-6, -4.727, -1}
	}
	fmt.Println("ridge on diabetes: d(validation MSE)/d(log λ), implicit engine vs central differences")
	fmt.Printf("%8s  %12s  %14s  %14s  %9s\n", "log λ", "val MSE", "implicit", "finite diff", "rel err")
	worst := 0.0
	for _, th := range thetas {
		mse, d, err := pr.hypergradient(th)
		if err != nil {
			log.Fatal(err)
		}
		dfd := fd.Derivative(pr.mse, th, &fd.Settings{Formula: fd.Central, Step: 1e-4})
		rel := math.Abs(d-dfd) / math.Max(math.Abs(dfd), 1e-8)
		worst = math.Max(worst, rel)
		fmt.Printf("%8.3f  %12.4f  %14.6e  %14.6e  %9.2e\n", th, mse, d, dfd, rel)
	}
	// Time the hypergradient: one Cholesky solve for w*, one triangular
	// solve pair for the adjoint.
	const reps = 200
	start := time.Now()
	for range reps {
		if _, _, err := pr.hypergradient(-4.727); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("\nworst relative error %.1e; value+hypergradient in %v each\n", worst, time.Since(start)/reps)
	if worst > 1e-5 {
		fmt.Println("hypergradient check FAILED")
		os.Exit(1)
	}
	if *pngPath == "" {
		return
	}
	var xs, ys []float64
	steps := 80
	if *quick {
		steps = 20
	}
	for i := range steps {
		th := -10 + 12*float64(i)/float64(steps-1)
		xs, ys = append(xs, th), append(ys, pr.mse(th))
	}
	// Tangent segments from the engine's hypergradient at the table points.
	series := []plotutil.Series{{Name: "validation MSE", X: xs, Y: ys}}
	for _, th := range thetas {
		mse, d, err := pr.hypergradient(th)
		if err != nil {
			log.Fatal(err)
		}
		series = append(series, plotutil.Series{X: []float64{th - 0.6, th + 0.6}, Y: []float64{mse - 0.6*d, mse + 0.6*d}})
	}
	if err := plotutil.Save(*pngPath, "ridge on diabetes: MSE and implicit tangents", "log λ", "validation MSE", 16, 10, series...); err != nil {
		log.Fatal(err)
	}
	fmt.Println("saved", *pngPath)
}
