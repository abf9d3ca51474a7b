// Package conformance checks that a differentiable result honours the
// module's one contract, implicit.Differentiable, the same way for every
// solver: a new solver gets every check by adding one Case.
//
// For each case, at the case's parameters θ and with seeded random
// cotangents and directions, [Run] checks
//
//   - the condition: F(z*, θ) ≈ 0, and its dimensions match z and θ;
//   - reverse mode against central differences: ⟨VJP(g), d⟩ against
//     (⟨g, z*(θ + hd)⟩ − ⟨g, z*(θ − hd)⟩)/2h, re-solving at θ ± hd;
//   - forward mode against reverse mode (the adjoint identity
//     ⟨u, JVP(v)⟩ = ⟨VJP(u), v⟩);
//   - the fast path against the engine: VJP against implicit.VJP on the
//     exposed condition;
//   - bad input: wrong lengths give ErrDims-like errors, NaN cotangents
//     and directions an error, never a panic or a NaN with a nil error;
//   - batches: the same results, bit for bit, with 1 and 2 workers, when
//     the case has a batch entry point;
//   - cancellation: a canceled context is honoured when the case says
//     its solve is long-running; and for a result that implements
//     implicit.ContextDifferentiable (its derivatives run the engine's
//     iterative solves), VJPContext and JVPContext give VJP's and JVP's
//     numbers and return an error matching context.Canceled for a
//     canceled context.
//
// The tolerances catch a wrong sign, a missing term or a transposed block
// (the package's own test shows each check failing on a deliberately
// broken result), not rounding.
//
// The module's results are registered in this package's test files,
// module_test.go (solvers/qp's dense *qp.Solution), module_sparseqp_test.go
// (*qp.SparseSolution of qp.SolveSparse) and one module_<package>_test.go
// per package (sinkhorn, sorting, project, smooth, prox, nlp, lp,
// isotonic, perturbed, cone), one entry or more per result type; the
// comment at the top of each file lists them. Together they cover every
// differentiable result of the module: qp (dense and sparse solutions), lp,
// sinkhorn (potentials, unrolled iterates), layers.Birkhoff (in the
// sinkhorn registry), every projection of project and every cone of
// cone, prox's fixed points and support linearizations, smooth's
// minimizers and implicit.Solution, nlp's KKT solutions, isotonic's
// solutions and permutahedron projections, sorting's soft sorts,
// networks and NeuralSort, and perturbed's optimizers.
package conformance
