package qp

import (
	"fmt"

	"github.com/optlayers/optlayers/implicit"
)

var _ implicit.Differentiable = (*Solution)(nil)

// VJP sets dst (length Layout().Len()) to the gradient with respect to θ
// (the flat parameters of Layout) of ⟨g, z*⟩, z* = (x*, ν*, λ*), for g of
// length n + p + m: the module's contract (implicit.Differentiable) over
// Backward, which returns the same gradient as a typed Gradient.
func (s *Solution) VJP(dst, g []float64) error {
	if err := s.valid(); err != nil {
		return err
	}
	n, neq, m := s.Dims()
	l := s.Layout()
	if len(dst) != l.Len() || len(g) != n+neq+m {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d for Layout %+v (want %d and %d)",
			ErrDims, len(dst), len(g), l, l.Len(), n+neq+m)
	}
	grad, err := s.Backward(g[:n], g[n:n+neq], g[n+neq:])
	if err != nil {
		return err
	}
	l.PackGradient(dst, grad)
	return nil
}

// JVP sets dst (length n + p + m) to the derivative of z* = (x*, ν*, λ*)
// in the direction dθ of the flat parameters of Layout: the module's
// contract over Tangent, which takes the direction as a typed Problem.
// The Q block of dθ counts by its symmetric part ½(dQ + dQᵀ), as in
// Layout.Unpack and the KKT condition.
func (s *Solution) JVP(dst, dtheta []float64) error {
	if err := s.valid(); err != nil {
		return err
	}
	n, neq, m := s.Dims()
	l := s.Layout()
	if len(dst) != n+neq+m || len(dtheta) != l.Len() {
		return fmt.Errorf("%w: JVP into %d entries along %d for Layout %+v (want %d and %d)",
			ErrDims, len(dst), len(dtheta), l, n+neq+m, l.Len())
	}
	tan, err := s.Tangent(l.Unpack(dtheta))
	if err != nil {
		return err
	}
	copy(dst, tan.X)
	copy(dst[n:], tan.Nu)
	copy(dst[n+neq:], tan.Lambda)
	return nil
}
