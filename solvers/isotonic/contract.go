package isotonic

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// The results of this package implement the module's one contract.
var (
	_ implicit.Differentiable = (*Solution)(nil)
	_ implicit.Differentiable = (*SolutionKL)(nil)
	_ implicit.Differentiable = (*Projection)(nil)
)

// conditionEta is the step η of the fixed-point maps behind the conditions
// of Solution and Projection: any η ∈ (0, 1] has the regression or the
// projection as its fixed point, and η < 1 makes ∂zF depend on the point
// instead of the constant −I.
const conditionEta = 0.5

func nanVec(n int) []float64 {
	v := make([]float64, n)
	fillNaN(v)
	return v
}

// Condition returns the optimality condition of the l2 isotonic
// regression with z = v* (length n) and θ = y (length n), as fresh copies:
// the fixed point F(v, y) = iso((1−η)v + ηy) − v = 0 of [RegressionMap]
// with η = 1/2 and the regression's weights and direction. The engine
// differentiates it through its linearization (the block averages of the
// map at the shifted point), not through VJP and JVP. A Solution not made
// by [Regression] gives a nil condition.
func (s *Solution) Condition() (implicit.Condition, []float64, []float64) {
	n := s.Len()
	if n == 0 || len(s.y) != n {
		return nil, nil, nil
	}
	m, err := RegressionMap(n, s.weights, s.decreasing, conditionEta)
	if err != nil {
		return nil, nil, nil
	}
	z := make([]float64, n)
	if _, err := Regression(z, s.y, s.weights, s.decreasing); err != nil {
		// The input was valid when s was computed; the same call cannot
		// fail.
		z = nanVec(n)
	}
	return implicit.FixedPoint(m), z, append([]float64(nil), s.y...)
}

// Condition returns the permutahedron projection's condition with
// z = P(z', w) (length n) and θ = (z', w) (length 2n: the point projected,
// then the vector whose permutations span the permutahedron), as fresh
// copies: the fixed point F(x, θ) = P((1−η)x + ηz', w) − x = 0 of
// [PermutahedronMap] with η = 1/2. The engine differentiates it through
// the map's linearization at the shifted point, not through VJP and JVP.
// A Projection not made by [Project] gives a nil condition.
func (p *Projection) Condition() (implicit.Condition, []float64, []float64) {
	n := p.Len()
	if n == 0 || len(p.theta) != 2*n {
		return nil, nil, nil
	}
	m, err := PermutahedronMap(n, p.reg, conditionEta)
	if err != nil {
		return nil, nil, nil
	}
	z := make([]float64, n)
	if _, err := Project(z, p.theta[:n], p.theta[n:], p.reg); err != nil {
		z = nanVec(n) // cannot happen: the input was valid
	}
	return implicit.FixedPoint(m), z, append([]float64(nil), p.theta...)
}

// VJP sets dst (length 2n) to the gradient with respect to θ = (z, w) of
// ⟨g, P(z, w)⟩ (g of length n): [Projection.Backward] on dst's two halves.
// Wrong lengths give ErrDims, NaN or Inf in g ErrNaN, a nil p ErrInvalid.
func (p *Projection) VJP(dst, g []float64) error {
	if p == nil {
		return fmt.Errorf("%w: VJP of a nil Projection", ErrInvalid)
	}
	n := p.Len()
	if len(dst) != 2*n {
		return fmt.Errorf("%w: VJP with n=%d, len(dst)=%d, want 2n", ErrDims, n, len(dst))
	}
	return p.Backward(dst[:n], dst[n:], g)
}

// JVP sets dst (length n) to the derivative of P(z, w) in the direction
// dθ = (dz, dw) (length 2n): [Projection.Tangent] on dθ's two halves.
// Wrong lengths give ErrDims, NaN or Inf in dθ ErrNaN, a nil p ErrInvalid.
func (p *Projection) JVP(dst, dtheta []float64) error {
	if p == nil {
		return fmt.Errorf("%w: JVP of a nil Projection", ErrInvalid)
	}
	n := p.Len()
	if len(dtheta) != 2*n {
		return fmt.Errorf("%w: JVP with n=%d, len(dθ)=%d, want 2n", ErrDims, n, len(dtheta))
	}
	return p.Tangent(dst, dtheta[:n], dtheta[n:])
}

// VJP sets dst (length 2n) to the gradient with respect to θ = (s, w) of
// ⟨g, v*⟩ (g of length n): [SolutionKL.Backward] on dst's two halves.
// Wrong lengths give ErrDims, NaN or Inf in g ErrNaN, a nil s ErrInvalid.
func (s *SolutionKL) VJP(dst, g []float64) error {
	if s == nil {
		return fmt.Errorf("%w: VJP of a nil SolutionKL", ErrInvalid)
	}
	n := s.Len()
	if len(dst) != 2*n {
		return fmt.Errorf("%w: VJP with n=%d, len(dst)=%d, want 2n", ErrDims, n, len(dst))
	}
	return s.Backward(dst[:n], dst[n:], g)
}

// JVP sets dst (length n) to the derivative of v* in the direction
// dθ = (ds, dw) (length 2n): [SolutionKL.Tangent] on dθ's two halves.
// Wrong lengths give ErrDims, NaN or Inf in dθ ErrNaN, a nil s ErrInvalid.
func (s *SolutionKL) JVP(dst, dtheta []float64) error {
	if s == nil {
		return fmt.Errorf("%w: JVP of a nil SolutionKL", ErrInvalid)
	}
	n := s.Len()
	if len(dtheta) != 2*n {
		return fmt.Errorf("%w: JVP with n=%d, len(dθ)=%d, want 2n", ErrDims, n, len(dtheta))
	}
	return s.Tangent(dst, dtheta[:n], dtheta[n:])
}

// Condition returns the KL isotonic regression's optimality condition with
// z = v* (length n) and θ = (s, w) (length 2n), as fresh copies. On the
// PAV blocks B of the solution (its active set, locally constant in θ),
// the first row of each block is the block's stationarity
//
//	F_a(v, θ) = log Σ_{j∈B} e^{sⱼ−vⱼ} − log Σ_{j∈B} e^{wⱼ} = 0,
//
// and each further row i of B ties vᵢ − vᵢ₋₁ = 0. Its linearization
// (softmax weights of s − v and of w on each block, and the differences)
// is written from these equations, independently of VJP and JVP. A
// SolutionKL not made by [RegressionKL] gives a nil condition.
func (s *SolutionKL) Condition() (implicit.Condition, []float64, []float64) {
	n := s.Len()
	if n == 0 || len(s.theta) != 2*n {
		return nil, nil, nil
	}
	z := make([]float64, n)
	if _, err := RegressionKL(z, s.theta[:n], s.theta[n:]); err != nil {
		z = nanVec(n) // cannot happen: the input was valid
	}
	return &klCondition{n: n, start: append([]int(nil), s.Start...)}, z, append([]float64(nil), s.theta...)
}

// klCondition is the condition of SolutionKL.Condition on fixed blocks.
type klCondition struct {
	n     int
	start []int
}

func (c *klCondition) Dims() (int, int) { return c.n, 2 * c.n }

// lse returns log Σ_{j∈[a,b)} e^{xⱼ − yⱼ} (y nil: zero).
func lse(x, y []float64, a, b int) float64 {
	m := math.Inf(-1)
	for j := a; j < b; j++ {
		v := x[j]
		if y != nil {
			v -= y[j]
		}
		m = math.Max(m, v)
	}
	var acc float64
	for j := a; j < b; j++ {
		v := x[j]
		if y != nil {
			v -= y[j]
		}
		acc += math.Exp(v - m)
	}
	return m + math.Log(acc)
}

func (c *klCondition) Residual(dst, v, theta []float64) {
	n := c.n
	if len(dst) != n || len(v) != n || len(theta) != 2*n {
		fillNaN(dst)
		return
	}
	sv, w := theta[:n], theta[n:]
	for k := 0; k+1 < len(c.start); k++ {
		a, b := c.start[k], c.start[k+1]
		dst[a] = lse(sv, v, a, b) - lse(w, nil, a, b)
		for i := a + 1; i < b; i++ {
			dst[i] = v[i] - v[i-1]
		}
	}
}

func (c *klCondition) Linearize(v, theta []float64) (implicit.Operator, implicit.Operator, error) {
	n := c.n
	if len(v) != n || len(theta) != 2*n {
		return nil, nil, fmt.Errorf("%w: KL condition of n=%d at len(z)=%d, len(θ)=%d", ErrDims, n, len(v), len(theta))
	}
	if err := checkFinite("z", v); err != nil {
		return nil, nil, err
	}
	if err := checkFinite("θ", theta); err != nil {
		return nil, nil, err
	}
	sv, w := theta[:n], theta[n:]
	// q = softmax_B(s − v), p = softmax_B(w) on each block.
	q, p := make([]float64, n), make([]float64, n)
	for k := 0; k+1 < len(c.start); k++ {
		a, b := c.start[k], c.start[k+1]
		lq, lp := lse(sv, v, a, b), lse(w, nil, a, b)
		for j := a; j < b; j++ {
			q[j] = math.Exp(sv[j] - v[j] - lq)
			p[j] = math.Exp(w[j] - lp)
		}
	}
	blocks := c.start
	dv := linsolve.NewFunc(n, n, func(dst, x []float64) {
		for k := 0; k+1 < len(blocks); k++ {
			a, b := blocks[k], blocks[k+1]
			var acc float64
			for j := a; j < b; j++ {
				acc -= q[j] * x[j]
			}
			dst[a] = acc
			for i := a + 1; i < b; i++ {
				dst[i] = x[i] - x[i-1]
			}
		}
	}, func(dst, g []float64) {
		for k := 0; k+1 < len(blocks); k++ {
			a, b := blocks[k], blocks[k+1]
			for j := a; j < b; j++ {
				dst[j] = -q[j] * g[a]
				if j > a {
					dst[j] += g[j]
				}
				if j+1 < b {
					dst[j] -= g[j+1]
				}
			}
		}
	})
	dth := linsolve.NewFunc(n, 2*n, func(dst, d []float64) {
		ds, dw := d[:n], d[n:]
		for k := 0; k+1 < len(blocks); k++ {
			a, b := blocks[k], blocks[k+1]
			var acc float64
			for j := a; j < b; j++ {
				acc += q[j]*ds[j] - p[j]*dw[j]
			}
			dst[a] = acc
			for i := a + 1; i < b; i++ {
				dst[i] = 0
			}
		}
	}, func(dst, g []float64) {
		gs, gw := dst[:n], dst[n:]
		for k := 0; k+1 < len(blocks); k++ {
			a, b := blocks[k], blocks[k+1]
			for j := a; j < b; j++ {
				gs[j] = q[j] * g[a]
				gw[j] = -p[j] * g[a]
			}
		}
	})
	return dv, dth, nil
}
