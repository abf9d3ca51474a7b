// Package layers gives every differentiable solver of optlayers one batched
// Forward/Backward shape, the shape of a layer in a neural network.
//
// A [Func] is one instance y = f(θ), θ ∈ Rⁱⁿ, y ∈ Rᵒᵘᵗ: Forward solves and
// returns a [Tape], whose VJP maps a cotangent g on y to (∂y/∂θ)ᵀ g. A
// [Layer] runs a Func over a batch of parameters (one row each) on
// goroutines, returning an [Output] whose Backward maps a batch of output
// cotangents to parameter cotangents. Each instance is computed by one
// goroutine with its own memory, so results do not depend on the number
// of workers.
//
// The solvers wrapped as Funcs:
//
//   - [QP], the OptNet layer (Amos & Kolter, ICML 2017): x*(θ) of
//     min ½xᵀQx + pᵀx s.t. Ax = b, Gx ≤ h by package solvers/qp, with
//     θ = (p, b, h) or every datum in qp.Layout's flat layout; the backward
//     pass reuses the KKT factorization of the solve (the cvxpylayers /
//     qpth use). [NewQP] prepares fixed matrices once for all instances
//     (the Cholesky factor of Q and the transformed constraints).
//   - [Convex], the cvxpylayers layer (Agrawal et al., NeurIPS 2019): the
//     variables' values at the solution of a parametrized convex model of
//     package convex, θ an ordered list of its parameters; the backward
//     pass is the cone solver's derivative pulled back through the
//     model's canonicalization map.
//   - [LP], min cᵀx over a fixed polytope with θ = c and a choice of
//     smoothing: quadratic regularization γ/2‖x‖² (Wilder, Dilkina & Tambe,
//     AAAI 2019), the log barrier at weight μ (Mandi & Guns, NeurIPS 2020),
//     or the perturbed optimizer E[argmin (c+σZ)ᵀx] (Berthet et al., NeurIPS
//     2020), by packages solvers/lp and solvers/perturbed.
//   - [Projection] onto any set of package solvers/project (sparsemax is
//     the simplex), with the closed-form Jacobians of that package.
//   - [Sinkhorn], the entropic transport plan P(C) of package sinkhorn
//     with its implicit (Schur complement) VJP.
//   - [Birkhoff], scores S ↦ the doubly stochastic P(S) = argmax_{P∈Bₙ}
//     ⟨S, P⟩ − τ Σ P_ij(log P_ij − 1) (the entropic projection onto the
//     Birkhoff polytope by package sinkhorn), the building block of
//     permutation learning (Peña et al. 2023), with [RoundToPermutation];
//     its output is a differentiable result of the module's contract.
//   - [SoftSort], soft sort and soft rank by permutahedron projection
//     (Blondel, Teboul, Berthet, Djolonga, ICML 2020), package sorting,
//     O(n) VJP.
//   - [PerturbedArgmax], E[argmax ⟨θ+σZ, y⟩] over one-hot vectors or any
//     oracle (Berthet et al. 2020), package solvers/perturbed.
//
// Model code (dense and MLP models, Adam, SGD, mini-batches, AnyLoss
// metrics) is in subpackage nn; predict-then-optimize oracles, data,
// losses and training are in subpackage pto.
//
// Bad input is [ErrInvalid], [ErrDims] or [ErrNaN] (also for a Func
// whose output or parameter cotangent is not finite); a panic in a Func,
// its Tape or user code it calls is an error matching [ErrCallback].
package layers
