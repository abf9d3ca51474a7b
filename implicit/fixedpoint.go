package implicit

import (
	"fmt"
)

// Map is a parametric map T: Rⁿ × Rᵖ → Rⁿ whose fixed points x = T(x, θ)
// are solutions, for example a proximal-gradient step or a projection
// step. Linearize returns ∂T/∂x and ∂T/∂θ.
type Map interface {
	Dims() (n, p int)
	Map(dst, x, theta []float64)
	Linearize(x, theta []float64) (dx, dtheta Operator, err error)
}

// MapFunc is a Map given by closures.
type MapFunc struct {
	N, P          int
	MapF          func(dst, x, theta []float64)
	LinearizeFunc func(x, theta []float64) (dx, dtheta Operator, err error)
}

// Dims returns (N, P).
func (m *MapFunc) Dims() (int, int) { return m.N, m.P }

// Map calls MapF.
func (m *MapFunc) Map(dst, x, theta []float64) { m.MapF(dst, x, theta) }

// Linearize calls LinearizeFunc.
func (m *MapFunc) Linearize(x, theta []float64) (Operator, Operator, error) {
	return m.LinearizeFunc(x, theta)
}

// FixedPoint returns the condition F(x, θ) = T(x, θ) − x of a map T, with
// ∂ₓF = ∂ₓT − I and ∂θF = ∂θT. At a fixed point of a contraction
// (‖∂ₓT‖ < 1), ∂ₓF is nonsingular and the Neumann method converges; for
// such conditions the default Neumann step is α = −1, which makes the series
// the familiar Σₖ (∂ₓT)ᵏ. A nil t gives a condition on which the engine
// returns ErrInvalid.
func FixedPoint(t Map) Condition { return fixedPoint{t} }

type fixedPoint struct{ t Map }

func (f fixedPoint) Dims() (int, int) {
	if f.t == nil {
		return 0, 0
	}
	return f.t.Dims()
}

func (f fixedPoint) Residual(dst, x, theta []float64) {
	f.t.Map(dst, x, theta)
	for i := range dst {
		dst[i] -= x[i]
	}
}

func (f fixedPoint) Linearize(x, theta []float64) (Operator, Operator, error) {
	dx, dtheta, err := f.t.Linearize(x, theta)
	if err != nil {
		return nil, nil, err
	}
	if dx == nil || dtheta == nil {
		return nil, nil, fmt.Errorf("%w: Map.Linearize returned a nil operator", ErrInvalid)
	}
	n, _ := f.t.Dims()
	if r, c := dx.Dims(); r != n || c != n {
		return nil, nil, fmt.Errorf("%w: ∂ₓT is %d×%d, want %d×%d", ErrDims, r, c, n, n)
	}
	return fixedPointDx{dx}, dtheta, nil
}

// fixedPointDx is ∂ₓT − I. The engine recognizes it to run the Neumann
// series on (I − ∂ₓT)⁻¹ = Σ (∂ₓT)ᵏ, i.e. with step α = −1.
type fixedPointDx struct{ t Operator }

func (f fixedPointDx) Dims() (int, int) { return f.t.Dims() }
func (f fixedPointDx) Apply(dst, v []float64) {
	f.t.Apply(dst, v)
	for i := range dst {
		dst[i] -= v[i]
	}
}
func (f fixedPointDx) ApplyT(dst, u []float64) {
	f.t.ApplyT(dst, u)
	for i := range dst {
		dst[i] -= u[i]
	}
}
