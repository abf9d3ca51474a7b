// Package nn is the small amount of model code needed to train
// predict-then-optimize pipelines and differentiable layers without an
// outside framework: dense (affine) models and multilayer perceptrons with
// their exact gradients, the Adam and SGD optimizers, seeded mini-batching
// and a deterministic parallel loop.
//
// # Models
//
// An [MLP] with layer sizes d₀ → d₁ → … → d_L computes, for one input row x,
//
//	h₀ = x,   h_k = σ(W_k h_{k−1} + b_k)  (k < L),   y = W_L h_{L−1} + b_L,
//
// with σ the chosen [Activation] (ReLU by default) and no activation on the
// output layer. [NewLinear] is the MLP with no hidden layer, y = W x + b,
// the model used by the PyEPO benchmarks. Parameters live in one flat
// slice ([MLP.Params]), layer by layer, each layer as W (row-major, out×in)
// then b, so an optimizer updates them in place. Initialization follows the
// PyTorch default for linear layers, W, b ~ U(−1/√in, 1/√in), drawn from a
// seeded math/rand/v2 source.
//
// [MLP.Forward] evaluates a batch (one sample per row) and returns a
// [Pass] that keeps the activations; [Pass.Backward] maps the cotangent
// ∂ℓ/∂Y of the outputs to the gradient of the parameters (reverse mode,
// one pass, ∂ℓ/∂W_k = δ_kᵀ H_{k−1}, ∂ℓ/∂b_k = Σ_rows δ_k,
// δ_{k−1} = (δ_k W_k) ⊙ σ′(·)) and, if asked, to ∂ℓ/∂X.
//
// # Optimizers
//
// [SGD] (with optional heavy-ball momentum and weight decay) and [Adam]
// (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
// with bias correction; weight decay added to the gradient as in
// torch.optim.Adam) both implement [Optimizer].
//
// # Differentiable classification metrics
//
// [AnyLoss] (Han, Moniz & Chawla, KDD 2024) turns F1, Fβ, balanced
// accuracy, accuracy or the G-mean into a loss: probabilities σ(z) are
// sharpened by a = 1/(1+exp(−L(σ(z)−½))) and the confusion matrix is
// filled with soft counts TP = Σ y a, FN = Σ y(1−a), FP = Σ (1−y)a,
// TN = Σ (1−y)(1−a); the loss is 1 − metric, differentiated exactly.
//
// # Batches and parallelism
//
// [Batches] shuffles 0..n−1 with a seeded PCG generator and cuts the
// permutation into mini-batches. Per-sample work of the callers (layers,
// layers/pto) runs over goroutines with internal/parallel; since each index
// writes only its own output, results do not depend on the number of
// goroutines. Reductions over a batch are always done afterwards in index
// order.
//
// Nil or zero models and passes, unknown enum values and invalid optimizer
// settings are [ErrInvalid]; outputs and gradients that overflow are
// [ErrNaN].
package nn
