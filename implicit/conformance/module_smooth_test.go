package conformance_test

// The minimizers of solvers/smooth, each as a *smooth.Result (z = x*, θ the
// problem's parameters, condition ∇ₓf(x, θ) = 0), and the
// *implicit.Solution of smooth.ImplicitProblem on the same problems:
//
//	solvers/smooth  *smooth.Result: Ridge (one λ; per-feature log-scale λ),
//	                Logistic (one λ, NewtonCG; per-feature λ, LBFGS),
//	                Multinomial (per-class log-scale λ, NewtonCG),
//	                smooth.Newton on Logistic with an intercept
//	implicit        *implicit.Solution: smooth.ImplicitProblem on Ridge and
//	                Logistic

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/smooth"

	"gonum.org/v1/gonum/mat"
)

func TestModuleSmooth(t *testing.T) {
	conformance.Run(t, smoothCases())
}

// randomData is an n×d Gaussian design and a response: linear plus noise,
// or its signs (±1 labels) when labels is set.
func randomData(rng *rand.Rand, n, d int, labels bool) (*mat.Dense, []float64) {
	x := mat.NewDense(n, d, nil)
	w := make([]float64, d)
	for j := range w {
		w[j] = rng.NormFloat64()
	}
	y := make([]float64, n)
	for i := range n {
		s := 0.0
		for j := range d {
			v := rng.NormFloat64()
			x.Set(i, j, v)
			s += v * w[j]
		}
		y[i] = s + 0.5*rng.NormFloat64()
		if labels {
			y[i] = 1
			if s+0.5*rng.NormFloat64() < 0 {
				y[i] = -1
			}
		}
	}
	return x, y
}

func smoothCase(name string, pb *smooth.Problem, theta []float64, set *smooth.Settings) []conformance.Case {
	minimize := conformance.Case{
		Name: "smooth/Result/" + name, Theta: theta, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			res, err := smooth.Minimize(ctx, pb, th, make([]float64, pb.N), set)
			if err != nil {
				return nil, err
			}
			return res, nil
		},
	}
	ip := smooth.ImplicitProblem(pb, set, nil)
	solution := conformance.Case{
		Name: "smooth/ImplicitProblem/" + name, Theta: theta, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			sol, err := ip.Solve(ctx, th, nil)
			if err != nil {
				return nil, err
			}
			return sol, nil
		},
	}
	return []conformance.Case{minimize, solution}
}

func smoothCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 21))
	var cases []conformance.Case

	x, y := randomData(rng, 30, 5, false)
	ridge, err := smooth.Ridge(x, y, smooth.L2{})
	if err != nil {
		panic(err)
	}
	cases = append(cases, smoothCase("Ridge", ridge, []float64{0.3}, &smooth.Settings{Tol: 1e-12})...)

	x, y = randomData(rng, 25, 6, false)
	ridgeLog, err := smooth.Ridge(x, y, smooth.L2{Strengths: smooth.PerFeature, LogScale: true})
	if err != nil {
		panic(err)
	}
	th := make([]float64, 6)
	for j := range th {
		th[j] = -1 + rng.NormFloat64()
	}
	cases = append(cases, smoothCase("Ridge per-feature log-scale", ridgeLog, th, &smooth.Settings{Tol: 1e-12})...)

	x, y = randomData(rng, 40, 4, true)
	logit, err := smooth.Logistic(x, y, smooth.L2{})
	if err != nil {
		panic(err)
	}
	cases = append(cases, smoothCase("Logistic NewtonCG", logit, []float64{0.1}, &smooth.Settings{Method: smooth.NewtonCG, Tol: 1e-12})...)

	x, y = randomData(rng, 35, 5, true)
	logitPF, err := smooth.Logistic(x, y, smooth.L2{Strengths: smooth.PerFeature})
	if err != nil {
		panic(err)
	}
	th = make([]float64, 5)
	for j := range th {
		th[j] = 0.05 + 0.2*rng.Float64()
	}
	cases = append(cases, smoothCase("Logistic per-feature", logitPF, th, &smooth.Settings{Tol: 1e-12})...)

	// Multinomial (3 classes, per-class log-scale strengths).
	x, y = randomData(rng, 45, 4, false)
	labels := make([]float64, len(y))
	for i, v := range y {
		switch {
		case v < -0.5:
			labels[i] = 0
		case v < 0.5:
			labels[i] = 1
		default:
			labels[i] = 2
		}
	}
	multi, err := smooth.Multinomial(x, labels, 3, smooth.L2{Strengths: smooth.PerClass, LogScale: true})
	if err != nil {
		panic(err)
	}
	cases = append(cases, smoothCase("Multinomial per-class", multi, []float64{-1, -0.5, -2}, &smooth.Settings{Method: smooth.NewtonCG, Tol: 1e-12})...)

	// smooth.Newton (chord steps on a kept factorization) on logistic
	// regression with an intercept.
	x, y = randomData(rng, 40, 5, true)
	logitB, err := smooth.Logistic(x, y, smooth.L2{LogScale: true, Intercept: true})
	if err != nil {
		panic(err)
	}
	nw, err := smooth.NewNewton(logitB, false)
	if err != nil {
		panic(err)
	}
	cases = append(cases, conformance.Case{
		Name: "smooth/Newton/Logistic with intercept", Theta: []float64{-1.5}, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			res, err := nw.Minimize(ctx, th, make([]float64, logitB.N), &smooth.Settings{Tol: 1e-12})
			if err != nil {
				return nil, err
			}
			return res, nil
		},
	})
	return cases
}
