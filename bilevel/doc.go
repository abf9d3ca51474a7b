// Package bilevel tunes hyperparameters by gradient descent on a
// validation criterion, differentiating through the training problem.
//
// # The bilevel problem
//
// A model is trained by an inner problem and judged by an outer criterion:
//
//	minimize over θ   L(θ) = C(w*(θ)),
//	where            w*(θ) = argmin_w g(w, θ),
//
// with θ the logarithms of the regularization strengths (λ = exp θ keeps λ
// positive and makes the outer problem well scaled), g a training
// objective and C a loss on held-out rows ([MSE], [LogLoss],
// [MultiLogLoss]). This package keeps only the outer problem: the
// training objectives, their solvers and derivatives are those of
// packages solvers/smooth and solvers/prox. [SmoothModel] is ridge,
// logistic (optionally with an intercept) and multinomial regression on
// solvers/smooth (smooth.Ridge, smooth.Logistic, smooth.Multinomial,
// solved by smooth.Newton or Newton-CG); [L1Regression] is the lasso,
// weighted lasso, elastic net (prox.Lasso) and l1-logistic regression
// (prox.Logistic), with prox's penalties on their log scale. How many
// strengths a model has is smooth.Strengths (Shared, PerFeature,
// PerClass). [HeldOut] ties one model to one criterion;
// [CrossValidation] averages K of them, one per fold, solved in parallel
// goroutines (CVSettings.Workers).
//
// Any other inner problem can be tuned: implement [Model] (Dims, Fit,
// Condition), or wrap an implicit.Problem — for instance
// smooth.ImplicitProblem of package solvers/smooth — with
// [NewProblemModel]. Any [Criterion] (Dims, Value with gradient) works
// as the outer loss.
//
// A complete tuning run, protocol H2 of BENCHMARKS.md (lasso on the
// diabetes data, validation MSE):
//
//	train, val := datasets.MustLoad("diabetes").Split()
//	_, sets, _ := datasets.Standardize(true, train, val)
//	lasso, _ := bilevel.NewLasso(sets[0].X, sets[0].Y, smooth.Shared)
//	mse, _ := bilevel.NewMSE(sets[1].X, sets[1].Y)
//	obj, _ := bilevel.NewHeldOut(lasso, mse, nil) // implicit hypergradient
//	res, _ := bilevel.Optimize(ctx, obj, []float64{math.Log(lasso.LambdaMax() / 10)}, nil)
//	// res.Lambdas()[0], res.Value, res.Evals, res.Path …
//
// # Hypergradients
//
// Every model exposes the optimality condition F(w, θ) = 0 that its
// solutions satisfy (∇g = 0 for smooth models, the proximal-gradient fixed
// point for l1 models). The implicit function theorem gives
//
//	∇L(θ) = −(∂θF)ᵀ u,   (∂ₓF)ᵀ u = ∇C(w*),
//
// computed by package implicit with the model's own factorization (the
// Hessian's Cholesky factor, kept from the inner solve by smooth.Newton,
// or the support system of package prox for a lasso) or any linear solver of the engine,
// warm-started from the previous outer step ([Implicit]). For l1 models
// w* is zero off its support S and the system reduces to
// H_SS ∂w_S/∂θ = −∂θ∇_S g, solved by coordinate sweeps in forward mode as
// in sparse-ho ([ImplicitForward]). For comparison, and for inner solvers
// without a usable condition, [UnrolledReverse] and [UnrolledForward]
// differentiate K iterations of the inner map w ← T(w, θ) exactly;
// [Neumann] truncates the Neumann series of (∂ₓF)⁻¹; [OneStep] is DARTS's
// one-step unrolled approximation with a finite-difference mixed
// derivative; [Hypernetwork] fits a local linear best response
// Φ(θ') ≈ w*(θ') by stochastic gradient steps on g(Φ(θ'), θ') and
// differentiates Φ. The benchmarks report each method's relative error
// against the exact hypergradient and its cost.
//
// # Outer optimizers
//
// [Optimize] runs L-BFGS (default), HOAG — gradient descent with an
// adaptive step and inner tolerances that decrease along the run, so that
// early steps use cheap, inexact inner solves — or Adam, on box bounds of
// θ, warm-starting every inner solve from the previous solution. An
// optional *slog.Logger receives one record per evaluation. [GridSearch]
// and [RandomSearch] scan the same objectives for comparison.
//
// # Costs
//
// One outer step costs one inner solve plus one linear solve with ∂ₓF
// (for a Cholesky-factorized Hessian, two triangular solves); with p
// hyperparameters the reverse-mode hypergradient costs the same as with
// one, which is what makes one λ per feature affordable where a grid over
// p dimensions is not.
//
// References:
//   - F. Pedregosa, "Hyperparameter optimization with approximate
//     gradient", ICML 2016 (HOAG).
//   - Q. Bertrand, Q. Klopfenstein, M. Blondel, S. Vaiter, A. Gramfort,
//     J. Salmon, "Implicit differentiation of Lasso-type models for
//     hyperparameter optimization", ICML 2020 (sparse-ho, implicit forward).
//   - J. Lorraine, P. Vicol, D. Duvenaud, "Optimizing Millions of
//     Hyperparameters by Implicit Differentiation", AISTATS 2020 (Neumann).
//   - H. Liu, K. Simonyan, Y. Yang, "DARTS: Differentiable Architecture
//     Search", ICLR 2019 (one-step unrolling, finite-difference
//     Hessian-vector product).
//   - J. Lorraine, D. Duvenaud, "Stochastic Hyperparameter Optimization
//     through Hypernetworks", 2018; M. MacKay, P. Vicol, J. Lorraine,
//     D. Duvenaud, R. Grosse, "Self-Tuning Networks", ICLR 2019
//     (best-response hypernetworks).
//   - L. Franceschi, M. Donini, P. Frasconi, M. Pontil, "Forward and
//     Reverse Gradient-Based Hyperparameter Optimization", ICML 2017
//     (unrolled forward and reverse modes).
package bilevel
