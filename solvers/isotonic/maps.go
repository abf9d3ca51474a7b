package isotonic

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// PermutahedronMap returns the map
//
//	T(x, θ) = P((1−η)x + ηz, w),   θ = (z, w) ∈ R²ⁿ (z first, then w),
//
// whose fixed point is the projection x* = P(z, w) for every η ∈ (0, 1].
// implicit.FixedPoint of it is an implicit.Condition for the projection,
// so the generic engine reproduces the closed-form derivatives of
// [Projection] (at about O(n²)–O(n³) cost instead of O(n): it exists to
// compose with other conditions and to cross-check). The map is not safe
// for concurrent use; Map on invalid input (NaN, wrong lengths) fills
// dst with NaN and Linearize returns an error.
func PermutahedronMap(n int, reg Regularization, eta float64) (implicit.Map, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: n = %d", ErrDims, n)
	}
	if !(eta > 0 && eta <= 1) {
		return nil, fmt.Errorf("%w: η = %v", ErrStep, eta)
	}
	if reg != L2 && reg != KL {
		return nil, fmt.Errorf("%w: unknown regularization %v", ErrInvalid, reg)
	}
	return &permMap{n: n, reg: reg, eta: eta, u: make([]float64, n)}, nil
}

type permMap struct {
	n   int
	reg Regularization
	eta float64
	u   []float64
}

func (m *permMap) Dims() (int, int) { return m.n, 2 * m.n }

func (m *permMap) point(x, theta []float64) []float64 {
	for i := range m.n {
		m.u[i] = (1-m.eta)*x[i] + m.eta*theta[i]
	}
	return m.u
}

var nanValue = math.NaN()

func fillNaN(v []float64) {
	for i := range v {
		v[i] = nanValue
	}
}

func (m *permMap) Map(dst, x, theta []float64) {
	if len(dst) != m.n || len(x) != m.n || len(theta) != 2*m.n {
		fillNaN(dst)
		return
	}
	if _, err := Project(dst, m.point(x, theta), theta[m.n:], m.reg); err != nil {
		fillNaN(dst)
	}
}

func (m *permMap) Linearize(x, theta []float64) (implicit.Operator, implicit.Operator, error) {
	if len(x) != m.n || len(theta) != 2*m.n {
		return nil, nil, fmt.Errorf("%w: len(x)=%d, len(θ)=%d, n=%d", ErrDims, len(x), len(theta), m.n)
	}
	n, eta := m.n, m.eta
	tmp := make([]float64, n)
	p, err := Project(tmp, m.point(x, theta), theta[n:], m.reg)
	if err != nil {
		return nil, nil, err
	}
	dx := linsolve.NewFunc(n, n,
		func(dst, v []float64) {
			nanOnErr(dst, p.Tangent(dst, v, nil))
			scale(1-eta, dst)
		},
		func(dst, g []float64) {
			nanOnErr(dst, p.Backward(dst, nil, g))
			scale(1-eta, dst)
		})
	dtheta := linsolve.NewFunc(n, 2*n,
		func(dst, v []float64) {
			nanOnErr(dst, p.Tangent(dst, v[:n], v[n:]))
			// The z part enters scaled by η.
			tmp2 := make([]float64, n)
			nanOnErr(tmp2, p.Tangent(tmp2, v[:n], nil))
			for i := range dst {
				dst[i] += (eta - 1) * tmp2[i]
			}
		},
		func(dst, g []float64) {
			nanOnErr(dst, p.Backward(dst[:n], dst[n:], g))
			scale(eta, dst[:n])
		})
	return dx, dtheta, nil
}

func scale(a float64, v []float64) {
	for i := range v {
		v[i] *= a
	}
}

// RegressionMap returns the map T(x, y) = iso((1−η)x + ηy) whose fixed
// point is the l2 isotonic regression x* of y (weights ω, nil for all
// ones; decreasing as in [Regression]) for every η ∈ (0, 1]. Like
// [PermutahedronMap] it gives an implicit.Condition through
// implicit.FixedPoint. It is not safe for concurrent use.
func RegressionMap(n int, weights []float64, decreasing bool, eta float64) (implicit.Map, error) {
	if n <= 0 || (weights != nil && len(weights) != n) {
		return nil, fmt.Errorf("%w: n = %d, len(weights) = %d", ErrDims, n, len(weights))
	}
	if !(eta > 0 && eta <= 1) {
		return nil, fmt.Errorf("%w: η = %v", ErrStep, eta)
	}
	if weights != nil {
		if err := checkFinite("weights", weights); err != nil {
			return nil, err
		}
		for i, w := range weights {
			if !(w > 0) {
				return nil, fmt.Errorf("%w: weights[%d] = %v", ErrWeights, i, w)
			}
		}
	}
	return &regMap{n: n, w: weights, dec: decreasing, eta: eta, u: make([]float64, n)}, nil
}

type regMap struct {
	n   int
	w   []float64
	dec bool
	eta float64
	u   []float64
}

func (m *regMap) Dims() (int, int) { return m.n, m.n }

func (m *regMap) point(x, y []float64) []float64 {
	for i := range m.n {
		m.u[i] = (1-m.eta)*x[i] + m.eta*y[i]
	}
	return m.u
}

func (m *regMap) Map(dst, x, y []float64) {
	if len(dst) != m.n || len(x) != m.n || len(y) != m.n {
		fillNaN(dst)
		return
	}
	if _, err := Regression(dst, m.point(x, y), m.w, m.dec); err != nil {
		fillNaN(dst)
	}
}

func (m *regMap) Linearize(x, y []float64) (implicit.Operator, implicit.Operator, error) {
	if len(x) != m.n || len(y) != m.n {
		return nil, nil, fmt.Errorf("%w: len(x)=%d, len(y)=%d, n=%d", ErrDims, len(x), len(y), m.n)
	}
	tmp := make([]float64, m.n)
	s, err := Regression(tmp, m.point(x, y), m.w, m.dec)
	if err != nil {
		return nil, nil, err
	}
	op := func(c float64) implicit.Operator {
		return linsolve.NewFunc(m.n, m.n,
			func(dst, v []float64) { nanOnErr(dst, s.JVP(dst, v)); scale(c, dst) },
			func(dst, g []float64) { nanOnErr(dst, s.VJP(dst, g)); scale(c, dst) })
	}
	return op(1 - m.eta), op(m.eta), nil
}

// nanOnErr fills dst with NaN when err is not nil: operator products have
// no error result, and NaN is what the implicit engine reports.
func nanOnErr(dst []float64, err error) {
	if err != nil {
		fillNaN(dst)
	}
}
