// Package perturbed turns a discrete or piecewise-constant optimizer into a
// smooth, differentiable one by random perturbation of its input.
//
// Let y*(θ) ∈ argmax_{y ∈ C} ⟨θ, y⟩ be the output of an [Oracle] (a shortest
// path, an assignment, a ranking, the solution of an LP over a polytope C).
// y* is piecewise constant in θ, so its derivative is zero almost
// everywhere and useless for learning. With a noise vector Z of density
// μ(z) ∝ exp(−ν(z)) and a temperature σ > 0, the perturbed optimizer
//
//	ŷ_σ(θ) = E_Z[ y*(θ + σZ) ]
//
// is smooth. It is the gradient of the convex function
//
//	F_σ(θ) = E_Z[ max_{y ∈ C} ⟨θ + σZ, y⟩ ],
//
// and its Jacobian is, by integration by parts (the score-function
// identity),
//
//	∂ŷ_σ/∂θ = (1/σ) E_Z[ y*(θ + σZ) ∇ν(Z)ᵀ ],
//
// with ∇ν(z) = z for standard Normal noise and ∇ν(z) = 1 − e^{−(z+γ)}
// for the centered Gumbel noise used here (γ the Euler–Mascheroni constant;
// the noise is Z = G − γ with G standard Gumbel, so that E[Z] = 0). The
// package estimates ŷ_σ, F_σ and the Jacobian products by Monte Carlo with M
// samples. Because E[∇ν(Z)] = 0, the baseline y*(θ) may be subtracted in
// the Jacobian estimator without bias,
//
//	∂ŷ_σ/∂θ = (1/σ) E_Z[ (y*(θ + σZ) − y*(θ)) ∇ν(Z)ᵀ ],
//
// which is the control variate of [Settings].ControlVariate: it costs one
// extra oracle call and removes most of the variance when σ is small. With
// Normal noise, [Settings].Antithetic pairs each draw Z with −Z, turning
// the pair's Jacobian estimate into the central difference
// (y*(θ + σZ) − y*(θ − σZ)) Zᵀ/(2σ).
//
// The perturbed Fenchel–Young loss of a target y ∈ C is
//
//	L_σ(θ; y) = F_σ(θ) − ⟨θ, y⟩,   ∇_θ L_σ = ŷ_σ(θ) − y,
//
// up to the constant Ω_σ(y) = F_σ*(y), which does not depend on θ and is
// omitted. It is convex in θ, its gradient needs no Jacobian (the
// estimator of ŷ_σ suffices), and with zero-mean noise E[L_σ] ≥ 0 for
// y ∈ C since F_σ(θ) ≥ max_{y'∈C} ⟨θ, y'⟩ by Jensen's inequality.
//
// For minimization oracles (Settings.Minimize), y*(θ) ∈ argmin ⟨θ, y⟩,
// F_σ(θ) = E[min_y ⟨θ + σZ, y⟩] is concave, the Jacobian formula is
// unchanged, and the loss is mirrored: L_σ(θ; y) = ⟨θ, y⟩ − F_σ(θ) with
// gradient y − ŷ_σ(θ). This is the "PFYL" loss of predict-then-optimize
// pipelines (PyEPO).
//
// Usage. An [Optimizer] wraps an [Oracle] of dimension Dim with
// [Settings] (samples, σ, noise, seed, argmin or argmax, control variate,
// antithetic pairs, workers). Optimizer.Mean returns ŷ_σ(θ) and F_σ(θ);
// Optimizer.Forward also keeps the samples in a [Result], whose VJP, JVP
// and Jacobian give the score-function derivatives without calling the
// oracle again; Optimizer.VJP does both at once; Optimizer.FenchelYoung
// returns the loss and its gradient (the usual training signal, which
// needs no Jacobian at all).
//
// A Result of Forward is an implicit.Differentiable, the module's one
// contract, with z = Mean and θ the costs (length Dim): its VJP and JVP
// are the estimators above, and its Condition the likelihood-ratio
// reweighting of the kept samples, whose exact derivative they are (see
// Result.Condition). Optimizer.VJP(ctx, θ, g) is sugar for Forward and
// Result.VJP.
//
// Two closed forms serve as checks. Over the vertices of the simplex (C the
// one-hot vectors, y* the argmax indicator) with Gumbel noise,
// ŷ_σ(θ) = softmax(θ/σ) and F_σ(θ) = σ logsumexp(θ/σ) exactly (the
// Gumbel-max trick); with Normal noise and two coordinates,
// ŷ_σ(θ)₁ = Φ((θ₁ − θ₂)/(σ√2)).
//
// Reproducibility: sample m draws its noise from its own PCG stream, seeded
// by a hash of (Settings.Seed, m), and partial sums are combined in a fixed
// order, so results are bit-for-bit identical whatever the number of
// goroutines. The oracle is called from Settings.Workers goroutines at
// once; it must be safe for concurrent use (or set Workers to 1).
//
// Reference: Q. Berthet, M. Blondel, O. Teboul, M. Cuturi, J.-P. Vert,
// F. Bach, "Learning with Differentiable Perturbed Optimizers",
// NeurIPS 2020. The minimization form and the PFYL naming follow B. Tang,
// E. B. Khalil, "PyEPO: A PyTorch-based End-to-End Predict-then-Optimize
// Library for Linear and Integer Programming", 2022.
//
// Bad input is [ErrInvalid] (wrong lengths and NaN in a Result's Jacobian
// products also match [ErrDims] and [ErrNaN], the contract's names); an oracle's error or non-finite output is
// [ErrOracle]; a panicking oracle is an error matching [ErrCallback] (and
// ErrOracle). The Jacobian products stay finite near the float64 range
// (rescaled when a direct product overflows) or report ErrInvalid.
package perturbed
