// Package pto trains predict-then-optimize pipelines: a model maps features
// x to a predicted cost ĉ = f_θ(x), a solver (an [Oracle]) turns ĉ into a
// decision ŵ = w*(ĉ) ∈ argmin_{w∈W} ĉᵀw over a fixed feasible set W, and
// training aims at good decisions under the true cost c rather than at an
// accurate ĉ. It is PyEPO (Tang & Khalil) in Go: the same problems, data
// generators, losses and metric, with every oracle call of a batch run over
// goroutines.
//
// # Oracles
//
// [ShortestPath] (exact DP over the grid DAG, arcs east/south),
// [Knapsack] (0-1 knapsack, DP over integer capacities), [LP] (any
// polytope, interior point of solvers/lp), [Portfolio] (PyEPO's
// mean-variance portfolio with a risk budget, a QCQP solved by a
// multiplier search over QPs of solvers/qp), and any function through
// [OracleFunc]. Maximization problems are handled by every loss
// through the sign s = −1: the losses below are written for minimization
// and applied to s·c.
//
// # Metric
//
// Normalized regret ([Regret]) on pairs (cᵢ, w*(cᵢ), z*(cᵢ)):
//
//	regret = Σᵢ (cᵢᵀ w*(ĉᵢ) − z*(cᵢ)) / Σᵢ |z*(cᵢ)|.
//
// # Losses (minimization form)
//
//   - [MSE], the two-stage baseline: ‖ĉ − c‖²/d.
//   - [SPOPlus] (Elmachtoub & Grigas, "Smart 'Predict, then Optimize'",
//     Management Science 2022): ℓ = −min_w (2ĉ−c)ᵀw + 2ĉᵀw* − z*, a convex
//     upper bound of the regret, subgradient 2(w* − w*(2ĉ−c)).
//   - [DBB] (Vlastelica, Paulus, Musil, Martius, Rolínek, "Differentiation
//     of Blackbox Combinatorial Solvers", ICLR 2020): the regret with the
//     interpolation gradient (w*(ĉ + λc) − w*(ĉ))/λ.
//   - [NID] (Sahoo, Paulus, Vlastelica, Musil, Kuleshov, Martius,
//     "Backpropagation through Combinatorial Algorithms: Identity with
//     Projection Works", ICLR 2023): the regret with ∂ŵ/∂ĉ replaced by −I.
//   - [PFYL] and [DPO] (Berthet, Blondel, Teboul, Cuturi, Vert, Bach,
//     "Learning with Differentiable Perturbed Optimizers", NeurIPS 2020),
//     through package solvers/perturbed: the Fenchel–Young loss
//     ĉᵀw* − E[min_w (ĉ+σZ)ᵀw], gradient w* − E[w*(ĉ+σZ)]; and the squared
//     error of the perturbed solution E[w*(ĉ+σZ)] with its score-function
//     Jacobian E[w*(ĉ+σZ)Zᵀ]/σ.
//   - [NCE] and [CMAP] (Mulamba, Mandi, Diligenti, Lombardi, Bucarey,
//     Guns, "Contrastive Losses and Solution Caching for
//     Predict-and-Optimize", IJCAI 2021): with a pool S of feasible
//     solutions, mean_{w∈S} ĉᵀ(w* − w) and max_{w∈S} ĉᵀ(w* − w).
//   - [Pointwise], [Pairwise], [Listwise] (Mandi, Bucarey, Mulamba, Guns,
//     "Decision-Focused Learning: Through the Lens of Learning to Rank",
//     ICML 2022): rank the pool solutions by ĉ as c does (squared error of
//     objective values, margin hinge against the optimum, softmax
//     cross-entropy).
//   - [QPTL] (Wilder, Dilkina & Tambe, AAAI 2019): the regret of the
//     quadratically smoothed LP solution argmin_{w∈P} ĉᵀw + (μ/2)‖w‖²,
//     differentiated through the KKT system of solvers/qp.
//   - [LayerLoss]: the regret through any differentiable solver of
//     package layers, e.g. the log-barrier LP layer (IntOpt, Mandi & Guns,
//     NeurIPS 2020).
//   - [MOM] (Sun, Liu & Li, ICML 2023): Σ_{j∈N} max(0, 1 − r_j(ĉ)) on the
//     reduced costs r_N(ĉ) = ĉ_N − (A_B⁻¹A_N)ᵀĉ_B of the observed optimal
//     basis; no solver call during training; solves inverse LP.
//   - [SurCo] and [SurCoZero] (Ferber et al., ICML 2023): learn linear
//     surrogate costs whose solver output minimizes a nonlinear objective
//     f(w*(ĉ)), through interpolation or perturbation smoothing.
//
// [Train] runs mini-batch training of an nn.MLP on any [Loss]; results are
// identical whatever the number of goroutines (per-pair random streams,
// reductions in index order, pools grown once per batch in index order).
//
// # Data
//
// [GenShortestPath], [GenKnapsack] and [GenPortfolio] follow the
// generators published with PyEPO (Tang & Khalil, "PyEPO: A PyTorch-based
// End-to-End Predict-then-Optimize Library for Linear and Integer
// Programming", Math. Prog. Computation 2024): costs are a degree-deg
// polynomial of B x/√p with B ~ Bernoulli(0.5), times multiplicative
// uniform noise.
//
// Nil oracles, models, losses and datasets are [ErrInvalid]; a panic in an
// Oracle, Loss, Objective or training hook is an error matching
// [ErrCallback].
package pto
