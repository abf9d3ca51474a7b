// Package gomlx makes optlayers a citizen of GoMLX
// (github.com/gomlx/gomlx, v0.26.0), Go's graph-based ML framework: the
// layers of package layers inside GoMLX models, and optimality conditions
// written as GoMLX graphs whose derivatives come from GoMLX's autodiff.
//
// It is a separate module (github.com/optlayers/optlayers/gomlx), so the
// root module pulls no GoMLX. Everything here runs on the pure-Go backend
// (backends/simplego, float64, CGO_ENABLED=0); import it explicitly, as
// backends/default needs the XLA binding.
//
// # Layers in GoMLX models
//
// A [Layer] solves a layers.Func (QP, smoothed or perturbed LP,
// Sinkhorn, soft sort and rank, projections, perturbed argmax, and
// layers.Birkhoff through [BirkhoffFunc]) on the
// host for a batch of parameters θ, a [batch, in] tensor that a GoMLX
// graph produced. GoMLX graphs cannot call Go code while they run, so
// the solve sits between graph executions, and the layer's derivative
// enters GoMLX's autodiff in one of two ways:
//
//   - The two-graph step ([Surrogate]), for any layer size. Graph 1
//     computes θ = model(w); the host solves y = layer(θ), evaluates the
//     loss's cotangent g on y and pulls it back, gθ = (∂y/∂θ)ᵀ g by
//     [Output.Backward] (the QP layer reuses its KKT factorization).
//     Graph 2 differentiates ⟨θ(w), stop(gθ)⟩, whose gradient in w is
//     the loss's. It costs one backward pass of the layer per step, and
//     GoMLX's optimizers can minimize the surrogate unchanged.
//   - The layer as an op ([Attach]), when the dense Jacobian is cheap.
//     [Output.Jacobian] forms ∂y/∂θ by out backward passes per row
//     (batch·out·in floats); Attach(θ, y, J) is y with the VJP Jᵀv, so
//     the loss, further layers and graph.Gradient run in one graph.
//
// Both give the gradient of layers.Output.Backward, checked in the tests
// against the native layers and against central differences of the whole
// pipeline (graph and solve).
//
// # Conditions by autodiff
//
// [NewCondition] turns a GoMLX function F(x, θ) into an
// implicit.Condition: its residual is the graph of F, and the products
// ∂ₓFᵀu, ∂θFᵀu (reverse mode) and ∂ₓF v, ∂θF w (reverse over reverse,
// the double-VJP trick) are graphs compiled once for the condition's
// shapes. [NewObjective] does the same for the stationarity condition
// ∇ₓf(x, θ) = 0 of a scalar objective f, the JAXopt idiom
// custom_root(jax.grad(f)): the user writes f and gets exact Hessian-vector
// and mixed products. Any engine entry point (implicit.VJP, implicit.JVP,
// implicit.NewSolution) then differentiates the solution x*(θ).
//
// # Limits of the pure-Go backend
//
// Create the backend with simplego.New("ops_sequential"). In v0.26.0 the
// backend's default parallel op executor (used when one graph runs at a
// time) has a data race that the race detector reports inside simplego
// on the larger graphs of this module (second-order gradients), and for
// the small graphs here sequential execution is also faster (the iMAML
// example's tests: 75 s → 4 s under -race).
//
// In GoMLX v0.26.0 simplego lacks Pad and Reverse, so the gradient of
// Slice panics there. This package therefore never slices inside a
// differentiated graph: x and θ of a condition, and a model's parameters
// and the layer's θ, are separate graph inputs. Write F and models the
// same way (pass the pieces of θ as separate nodes, or build them with
// Dot/Einsum from the whole vector, not by slicing it).
package gomlx
