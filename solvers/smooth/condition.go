package smooth

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Condition returns the stationarity condition of pb,
//
//	F(x, θ) = ∇ₓf(x, θ) = 0,   ∂ₓF = ∇²ₓₓf,   ∂θF = ∂θ∇ₓf,
//
// as an [implicit.Condition] with n = pb.N and p = pb.P. When pb.Hessian
// is set, ∂ₓF is returned as a kept Cholesky factorization (or as a dense
// matrix, solved by LU, if the Hessian is not positive definite), so the
// engine solves with it directly; otherwise ∂ₓF is the matrix-free
// [Problem.HessianOperator] (for large N choose implicit.CG in the engine
// Settings: the Hessian is symmetric). ∂θF is [Problem.MixedOperator];
// both fall back to central differences of Grad when the products are
// not supplied.
//
// A nil or incomplete pb gives a condition whose Dims are those of pb (0, 0
// when nil), whose Residual is NaN and whose Linearize returns ErrInvalid.
// A panic in pb's functions during Linearize is returned as an error
// wrapping ErrCallback; during Residual (which has no error) it fills
// dst with NaN, which the engine reports as non-finite.
func Condition(pb *Problem) implicit.Condition { return condition{pb} }

type condition struct{ pb *Problem }

func (c condition) Dims() (int, int) {
	if c.pb == nil {
		return 0, 0
	}
	return c.pb.N, c.pb.P
}

func (c condition) Residual(dst, x, theta []float64) {
	if c.pb == nil || c.pb.Grad == nil || c.pb.N < 0 || len(dst) != c.pb.N || len(x) != c.pb.N || len(theta) != c.pb.P {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	defer func() {
		if recover() != nil {
			for i := range dst {
				dst[i] = math.NaN()
			}
		}
	}()
	c.pb.Grad(dst, x, theta)
}

func (c condition) Linearize(x, theta []float64) (dx, dth implicit.Operator, err error) {
	defer func() {
		if v := recover(); v != nil {
			dx, dth, err = nil, nil, callbackPanic("Condition.Linearize", v)
		}
	}()
	if err := c.pb.check(x, theta); err != nil {
		return nil, nil, err
	}
	n := c.pb.N
	dtheta := c.pb.MixedOperator(x, theta)
	if c.pb.Hessian != nil && n > 0 {
		h := mat.NewSymDense(n, nil)
		c.pb.Hessian(h, x, theta)
		if !symFinite(h) {
			return nil, nil, fmt.Errorf("%w: in the Hessian", ErrNaN)
		}
		if ch, err := linsolve.NewCholesky(h); err == nil {
			return ch, dtheta, nil
		}
		return linsolve.NewMatrix(h), dtheta, nil
	}
	return c.pb.HessianOperator(x, theta), dtheta, nil
}

func symFinite(h *mat.SymDense) bool {
	n := h.SymmetricDim()
	for i := range n {
		for j := i; j < n; j++ {
			if v := h.At(i, j); v != v || v-v != 0 {
				return false
			}
		}
	}
	return true
}

// ImplicitProblem ties [Minimize] to [Condition]: Solve(ctx, θ, init)
// minimizes f(·, θ) from init (zeros when nil) and the solution's VJP,
// JVP and Jacobian differentiate argminₓ f(x, θ). engine may be nil.
func ImplicitProblem(pb *Problem, s *Settings, engine *implicit.Settings) *implicit.Problem {
	return &implicit.Problem{
		Solver: func(ctx context.Context, theta, init []float64) ([]float64, error) {
			x0 := init
			if x0 == nil && pb != nil && pb.N >= 0 {
				x0 = make([]float64, pb.N)
			}
			res, err := Minimize(ctx, pb, theta, x0, s)
			if err != nil {
				return nil, err
			}
			return res.X, nil
		},
		Condition: Condition(pb),
		Settings:  engine,
	}
}
