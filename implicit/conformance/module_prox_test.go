package conformance_test

// The proximal solvers of solvers/prox:
//
//	solvers/prox  *prox.SupportLinearization (Lasso.Solve by coordinate
//	              descent, then Lasso.Linearize; condition Lasso.Condition):
//	              L1 (θ = λ), weighted L1 (θ = λ₁…λ_d, also on the log
//	              scale θ = log λ), elastic net (θ = (λ, λ₂)), with
//	              SolveBatch for the batch check
//	              *prox.Result (FISTA, prox.Minimize; condition
//	              prox.Condition(c, η)): lasso, group lasso, L1 on a ridge
//	              objective (θ = (λ, λ₂) across g and f), non-negative L1,
//	              elastic net through prox.LogScale; Logistic.Solve
//	              (proximal Newton, sparse logistic regression)
//	implicit      *implicit.Solution of prox.ImplicitProblem (lasso) and of
//	              Lasso.ImplicitProblem (elastic net)

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/conformance"
	"github.com/optlayers/optlayers/solvers/prox"
	"github.com/optlayers/optlayers/solvers/smooth"

	"gonum.org/v1/gonum/mat"
)

func TestModuleProx(t *testing.T) {
	conformance.Run(t, proxCases())
}

var cdTight = &prox.CDSettings{Tol: 1e-14}

func lassoCase(name string, l *prox.Lasso, theta []float64) conformance.Case {
	lin := func(res *prox.LassoResult, th []float64) (implicit.Differentiable, error) {
		sl, err := l.Linearize(res.W, th)
		if err != nil {
			return nil, err
		}
		return sl, nil
	}
	return conformance.Case{
		Name: "prox/SupportLinearization/" + name, Theta: theta, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			res, err := l.Solve(ctx, th, nil, cdTight)
			if err != nil {
				return nil, err
			}
			return lin(res, th)
		},
		Batch: func(ctx context.Context, thetas [][]float64, workers int) ([]implicit.Differentiable, error) {
			set := *cdTight
			set.Workers = workers
			res, err := l.SolveBatch(ctx, thetas, nil, &set)
			if err != nil {
				return nil, err
			}
			out := make([]implicit.Differentiable, len(res))
			for k, r := range res {
				if out[k], err = lin(r, thetas[k]); err != nil {
					return nil, err
				}
			}
			return out, nil
		},
	}
}

func fistaCase(name string, c *prox.Composite, theta []float64) conformance.Case {
	set := &prox.Settings{Tol: 1e-12, MaxIter: 200000}
	return conformance.Case{
		Name: "prox/Result/" + name, Theta: theta, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			n, _ := c.Dims()
			res, err := prox.Minimize(ctx, c, th, make([]float64, n), set)
			if err != nil {
				return nil, err
			}
			return res, nil
		},
	}
}

func solutionCase(name string, pb *implicit.Problem, theta []float64) conformance.Case {
	return conformance.Case{
		Name: "prox/ImplicitProblem/" + name, Theta: theta, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			sol, err := pb.Solve(ctx, th, nil)
			if err != nil {
				return nil, err
			}
			return sol, nil
		},
	}
}

func mustLasso(x *mat.Dense, y []float64, p prox.Penalty) *prox.Lasso {
	l, err := prox.NewLasso(x, y, p)
	if err != nil {
		panic(err)
	}
	return l
}

func proxCases() []conformance.Case {
	rng := rand.New(rand.NewPCG(13, 22))
	var cases []conformance.Case

	x, y := randomData(rng, 40, 10, false)
	l1 := mustLasso(x, y, prox.Penalty{})
	lam := 0.2 * l1.LambdaMax()
	cases = append(cases,
		lassoCase("L1", l1, []float64{lam}),
		fistaCase("lasso", l1.Composite(), []float64{lam}),
		solutionCase("lasso", prox.ImplicitProblem(l1.Composite(), 1/l1.Lipschitz(), &prox.Settings{Tol: 1e-12, MaxIter: 200000}, nil), []float64{lam}))

	x, y = randomData(rng, 35, 8, false)
	wl1 := mustLasso(x, y, prox.Penalty{Strengths: smooth.PerFeature})
	th := make([]float64, 8)
	for j := range th {
		th[j] = wl1.LambdaMax() * (0.1 + 0.3*rng.Float64())
	}
	cases = append(cases, lassoCase("weighted L1", wl1, th))

	x, y = randomData(rng, 30, 12, false)
	en := mustLasso(x, y, prox.Penalty{ElasticNet: true})
	enTheta := []float64{0.25 * en.LambdaMax(), 0.3}
	cases = append(cases,
		lassoCase("elastic net", en, enTheta),
		solutionCase("elastic net (Lasso.ImplicitProblem)", en.ImplicitProblem(cdTight, nil), enTheta))

	x, y = randomData(rng, 40, 8, false)
	ls, err := smooth.LeastSquares(x, y)
	if err != nil {
		panic(err)
	}
	groups := prox.GroupLasso{Groups: [][]int{{0, 1}, {2, 3, 4}, {5}, {6, 7}}}
	cases = append(cases, fistaCase("group lasso", &prox.Composite{F: ls, G: groups}, []float64{0.15}))

	x, y = randomData(rng, 30, 7, false)
	ridge, err := smooth.Ridge(x, y, smooth.L2{})
	if err != nil {
		panic(err)
	}
	cases = append(cases, fistaCase("L1 + ridge (θ = (λ, λ₂))", &prox.Composite{F: ridge, G: prox.L1{}}, []float64{0.1, 0.4}))

	x, y = randomData(rng, 30, 6, false)
	ls2, err := smooth.LeastSquares(x, y)
	if err != nil {
		panic(err)
	}
	cases = append(cases, fistaCase("non-negative L1", &prox.Composite{F: ls2, G: prox.NonNegL1{}}, []float64{0.05}))

	// The log scale λ = e^θ: the lasso's support-restricted derivative and
	// FISTA on a LogScale regularizer.
	x, y = randomData(rng, 40, 9, false)
	logl := mustLasso(x, y, prox.Penalty{Strengths: smooth.PerFeature, LogScale: true})
	th = make([]float64, 9)
	for j := range th {
		th[j] = math.Log(logl.LambdaMax() * (0.1 + 0.3*rng.Float64()))
	}
	cases = append(cases,
		lassoCase("weighted L1, log scale", logl, th),
		fistaCase("elastic net, log scale", mustLasso(x, y, prox.Penalty{ElasticNet: true, LogScale: true}).Composite(), []float64{math.Log(0.2 * logl.LambdaMax()), -1}))

	// Sparse logistic regression (proximal Newton).
	x, y = randomData(rng, 60, 7, true)
	lg, err := prox.NewLogistic(x, y, prox.Penalty{LogScale: true})
	if err != nil {
		panic(err)
	}
	cases = append(cases, conformance.Case{
		Name: "prox/Result/Logistic (proximal Newton)", Theta: []float64{math.Log(0.15 * lg.LambdaMax())}, Cancelable: true,
		Solve: func(ctx context.Context, th []float64) (implicit.Differentiable, error) {
			res, err := lg.Solve(ctx, th, nil, &prox.Settings{Tol: 1e-13})
			if err != nil {
				return nil, err
			}
			return res, nil
		},
	})
	return cases
}
