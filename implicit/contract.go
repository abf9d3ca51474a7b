package implicit

import "context"

// Differentiable is the one contract of every differentiable result in
// the module: a solution z* of a problem with parameters θ, together with
// the optimality condition F(z*, θ) = 0 it satisfies and its derivatives
// in both modes.
//
// Condition returns the condition with the point z and the parameters θ
// at which it holds, as fresh copies the caller may keep or modify; θ is
// laid out as the package that produced the result documents (each offers
// typed accessors, so that users never index it by hand). The engine's
// generic VJP, JVP and Jacobian applied to (c, z, θ) give the derivatives
// of z*(θ); VJP and JVP below give the same numbers, usually faster (a
// factorization kept from the solve, a closed form): the conformance suite
// (package implicit/conformance) checks that the two agree, and both
// against central differences.
//
// VJP sets dst (length len(θ)) to the gradient with respect to θ of
// ⟨g, z*(θ)⟩, for g of length len(z) (reverse mode). JVP sets dst (length
// len(z)) to the derivative of z*(θ) in the direction dθ (forward mode).
// Both return an error matching ErrDims for wrong lengths and ErrNaN for
// NaN or Inf in g or dθ, and never write a NaN with a nil error. dst must
// not alias g or dθ.
type Differentiable interface {
	Condition() (c Condition, z, theta []float64)
	VJP(dst, g []float64) error
	JVP(dst, dtheta []float64) error
}

// ContextDifferentiable is a Differentiable whose derivatives can be long
// work (an iterative linear solve of the engine, say) and can be
// cancelled. VJPContext and JVPContext compute what VJP and JVP compute;
// when ctx is done (on entry or during the solve) they stop within one
// iteration and return an error matching ctx.Err(). VJP and JVP are the
// same with a context that is never done, as net.Dial is DialContext's:
// the contract's methods take no context, so that closed-form results
// need none. The engine's Solution implements it (and Linearization has
// the same methods), and so can every result that delegates its
// derivatives to them; the conformance suite checks the cancellation of
// those that do.
type ContextDifferentiable interface {
	Differentiable
	VJPContext(ctx context.Context, dst, g []float64) error
	JVPContext(ctx context.Context, dst, dtheta []float64) error
}
