// Package optlayers is the root of a toolkit for differentiating through
// optimization: solvers that return a solution together with the
// optimality condition F(z*, θ) = 0 it satisfies, an implicit-function
// engine that differentiates any such condition (package implicit), and
// the layers, pipelines and bilevel loops built on them. This package has
// no code; its documentation is the module's conventions, which every
// package follows and points to.
//
// # The one contract
//
// Every differentiable result implements implicit.Differentiable:
//
//	Condition() (c implicit.Condition, z, theta []float64)  // F(z, θ) = 0 holds here
//	VJP(dst, g []float64) error                              // dst = (∂z*/∂θ)ᵀ g
//	JVP(dst, dtheta []float64) error                         // dst = (∂z*/∂θ) dθ
//
// on a flat parameter vector θ whose layout the package documents and
// wraps in typed accessors (qp.Layout). Typed helpers (qp's Backward and
// Gradient) are sugar over the same numbers. Each result is registered in
// the conformance suite (implicit/conformance), which checks it against
// central differences, the adjoint identity, the engine's generic
// derivative of its condition, bad input, batch determinism and
// cancellation.
//
// # One name per idea
//
//	idea                                   name
//	solve a problem                        Solve(ctx, problem, *Settings)
//	solve many                             SolveBatch(ctx, problems, *Settings)
//	a batch that partly failed             *implicit.BatchError (Indices, Errs; Unwrap for errors.Is),
//	                                         beside the results of the items that succeeded
//	reverse / forward derivative           VJP(dst, g) / JVP(dst, dθ) (the contract)
//	the same, cancellable                  VJPContext / JVPContext (implicit.ContextDifferentiable;
//	                                         VJP and JVP are them with a context never done)
//	the same with typed arguments          Backward(…) / Tangent(…) on a result (qp, lp, isotonic, sinkhorn, sorting)
//	a layer's solve / its reverse pass     Forward / Backward (layers, layers/nn, perturbed.Optimizer, layers.Birkhoff)
//	a linear-optimization oracle           perturbed.Oracle, func(ctx, dst, cost) error (lp.NewOracle builds one);
//	                                         pto.Oracle is the same solver described with Dim and Sense
//	a choice of regularizer                Regularization (isotonic, sorting: L2 or KL)
//	the weight of γ/2‖x‖²                  Quadratic (lp.Settings; layers.Quadratic smoothing)
//	optimality condition                   Condition() (c, z, θ)
//	stopping tolerance                     Settings.Tol (absolute with Settings.Absolute where offered)
//	iteration cap                          Settings.MaxIter
//	starting point                         Settings.WarmStart
//	goroutines                             Settings.Workers (0 = GOMAXPROCS, negative: ErrInvalid;
//	                                         project.Settings, pto.Settings, layers.Layer.Workers too)
//	progress                               Settings.Logger (*slog.Logger, nil is silent)
//	give a result's memory back for reuse  Release() on the result (qp.Solution, qp.Gradient); the
//	                                         value is emptied, its later use reports ErrInvalid
//	engine settings inside a package's     Settings.Implicit (*implicit.Settings)
//	shapes that do not match               ErrDims
//	NaN or ±Inf in an input                ErrNaN
//	an argument, setting or enum value     ErrInvalid
//	  outside its documented domain
//	a panic in user code (oracle,          ErrCallback, wrapping the recovered value
//	  objective, callback)
//	no convergence (best iterate returned) ErrNotConverged
//	infeasible / unbounded (certified)     ErrInfeasible / ErrUnbounded
//	outcome of a solve                     Status: Optimal, Infeasible, Unbounded, NotConverged, Canceled
//	                                         (qp, cone; convex reports cone's), granted by a test on the point
//	a singular linear system               ErrSingular
//
// Settings are *Settings structs whose zero value (or nil) means the
// documented defaults; zero means "default", a negative or NaN value is an
// error, never silently replaced. Errors are package-prefixed sentinels
// ("qp: dimension mismatch") wrapped with what and where, for errors.Is.
// Long work takes ctx first and stops within one iteration of
// cancellation. Library code never prints, never panics on data a caller
// passes, and never returns a non-finite number with a nil error. Tests
// use testify and seeded math/rand/v2 generators; every derivative is
// checked against central differences. The adversarial tables
// (adversarial_test.go in each package, on internal/testutil) try every
// exported entry point with nil, empty, mismatched, NaN/Inf, 1e±300 and
// bad-setting input.
//
// The error names and the Settings names above are those of every
// package; every batch function takes its goroutines from a Settings
// struct's Workers (qp.Settings, prox.CDSettings, bilevel.CVSettings,
// project.Settings, pto.Settings, sorting's settings), and the
// conformance registry lists the results that speak the contract.
// Methods that an interface fixes without a context (the contract's VJP
// and JVP, project.Set's Project) run to completion; where such work can
// be long, a Context variant beside them (Linearization.VJPContext,
// Polyhedron.ProjectContext) takes the caller's ctx.
package optlayers
