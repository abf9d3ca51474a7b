package implicit

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/guard"
)

// Numerical returns a Condition whose derivatives are central finite
// differences of residual, for conditions written without hand derivatives.
//
// Linearize evaluates residual 2(n+p) times and returns the dense
// Jacobians. Column j uses the step hⱼ = ε^{1/3}·max(1, |zⱼ|) (ε the machine
// epsilon, z = x or θ), whose truncation and rounding errors balance at
// O(ε^{2/3}) ≈ 4e-11 relative for residuals with bounded third
// derivatives of unit scale; expect about 1e-8 to 1e-10 relative accuracy
// in the derivatives of x*, and less near kinks of a piecewise smooth F.
// residual must be safe to call from the goroutine calling Linearize only;
// it is never called concurrently. A nil residual gives a condition on
// which the engine returns ErrInvalid.
func Numerical(n, p int, residual func(dst, x, theta []float64)) Condition {
	return &numerical{n: n, p: p, f: residual}
}

type numerical struct {
	n, p int
	f    func(dst, x, theta []float64)
}

func (c *numerical) Dims() (int, int)                 { return c.n, c.p }
func (c *numerical) Residual(dst, x, theta []float64) { c.f(dst, x, theta) }

func (c *numerical) Linearize(x, theta []float64) (Operator, Operator, error) {
	if c.f == nil {
		return nil, nil, fmt.Errorf("%w: Numerical with a nil residual", ErrInvalid)
	}
	if c.n == 0 {
		return linsolve.Zero{Rows: c.n, Cols: len(x)}, linsolve.Zero{Rows: c.n, Cols: len(theta)}, nil
	}
	jx := centralJacobian(c.n, x, func(dst, z []float64) { c.f(dst, z, theta) })
	jt := centralJacobian(c.n, theta, func(dst, z []float64) { c.f(dst, x, z) })
	if !denseFinite(jx) || !denseFinite(jt) {
		return nil, nil, fmt.Errorf("%w: finite-difference Jacobian of the residual", ErrNaN)
	}
	return linsolve.NewMatrix(jx), linsolve.NewMatrix(jt), nil
}

var cbrtEps = math.Cbrt(2.220446049250313e-16)

// centralJacobian returns the m×len(z) Jacobian of f at z by central
// differences with per-coordinate steps ε^{1/3}·max(1,|zⱼ|).
func centralJacobian(m int, z []float64, f func(dst, z []float64)) *mat.Dense {
	k := len(z)
	if m == 0 || k == 0 {
		return mat.NewDense(max(m, 1), max(k, 1), nil).Slice(0, m, 0, k).(*mat.Dense)
	}
	out := mat.NewDense(m, k, nil)
	zz := append([]float64(nil), z...)
	fp := make([]float64, m)
	fm := make([]float64, m)
	for j := range k {
		h := cbrtEps * math.Max(1, math.Abs(z[j]))
		zz[j] = z[j] + h
		hp := zz[j] - z[j] // the step actually taken
		f(fp, zz)
		zz[j] = z[j] - h
		hm := z[j] - zz[j]
		f(fm, zz)
		zz[j] = z[j]
		for i := range m {
			out.Set(i, j, (fp[i]-fm[i])/(hp+hm))
		}
	}
	return out
}

func denseFinite(m *mat.Dense) bool {
	r, c := m.Dims()
	for i := range r {
		if !finite(m.RawRowView(i)[:c]) {
			return false
		}
	}
	return true
}

// CheckSettings controls Check. The zero value is valid.
type CheckSettings struct {
	// Step is the central-difference step; default ε^{1/3}·max(1,|zⱼ|)
	// per coordinate. When set, gonum's diff/fd central formula with this
	// step is used instead.
	Step float64
}

// CheckResult reports the worst errors found by Check. Each error is
// max|J − J_fd| / max(1, max|J_fd|), the max-norm error relative to the
// scale of the finite-difference Jacobian.
type CheckResult struct {
	// X is the error of ∂ₓF (its Apply products).
	X float64
	// Theta is the error of ∂θF (its Apply products).
	Theta float64
	// AdjointX and AdjointTheta compare the ApplyT products with the
	// transposes of the Apply products: ⟨u, Mv⟩ = ⟨Mᵀu, v⟩ must hold.
	AdjointX, AdjointTheta float64
}

// Worst returns the largest of the four errors.
func (r CheckResult) Worst() float64 {
	return math.Max(math.Max(r.X, r.Theta), math.Max(r.AdjointX, r.AdjointTheta))
}

// Check compares c's Linearize at (x, θ) with central finite differences
// of its Residual, and checks that each operator's ApplyT is the transpose
// of its Apply. It returns ErrInvalid for a nil c or a c missing a
// closure, and ErrCallback when c panics.
func Check(c Condition, x, theta []float64, s *CheckSettings) (r CheckResult, err error) {
	if err := checkCondition(c, true); err != nil {
		return CheckResult{}, err
	}
	if s != nil && (s.Step < 0 || math.IsNaN(s.Step) || math.IsInf(s.Step, 0)) {
		return CheckResult{}, fmt.Errorf("%w: Step = %v", ErrInvalid, s.Step)
	}
	defer guard.Recover(&err, ErrCallback)
	n, p := c.Dims()
	if n < 0 || p < 0 {
		return CheckResult{}, fmt.Errorf("%w: condition dimensions %d×%d", ErrDims, n, p)
	}
	if len(x) != n || len(theta) != p {
		return CheckResult{}, fmt.Errorf("%w: condition is %d×%d, len(x)=%d, len(θ)=%d", ErrDims, n, p, len(x), len(theta))
	}
	if !finite(x) || !finite(theta) {
		return CheckResult{}, fmt.Errorf("%w: in x or θ", ErrNaN)
	}
	dx, dtheta, err := c.Linearize(x, theta)
	if err != nil {
		return CheckResult{}, err
	}
	if dx == nil || dtheta == nil {
		return CheckResult{}, fmt.Errorf("%w: Linearize returned a nil operator", ErrInvalid)
	}
	if r, cc := dx.Dims(); r != n || cc != n {
		return CheckResult{}, fmt.Errorf("%w: ∂ₓF is %d×%d, want %d×%d", ErrDims, r, cc, n, n)
	}
	if r, cc := dtheta.Dims(); r != n || cc != p {
		return CheckResult{}, fmt.Errorf("%w: ∂θF is %d×%d, want %d×%d", ErrDims, r, cc, n, p)
	}
	if n == 0 {
		return CheckResult{}, nil // nothing to compare
	}
	var jx, jt *mat.Dense
	if s != nil && s.Step > 0 {
		set := &fd.JacobianSettings{Formula: fd.Central, Step: s.Step}
		jx = mat.NewDense(n, n, nil)
		fd.Jacobian(jx, func(dst, z []float64) { c.Residual(dst, z, theta) }, x, set)
		if p > 0 {
			jt = mat.NewDense(n, p, nil)
			fd.Jacobian(jt, func(dst, z []float64) { c.Residual(dst, x, z) }, theta, set)
		}
	} else {
		jx = centralJacobian(n, x, func(dst, z []float64) { c.Residual(dst, z, theta) })
		jt = centralJacobian(n, theta, func(dst, z []float64) { c.Residual(dst, x, z) })
	}
	ax := linsolve.Dense(dx)
	r.X = relMaxErr(ax, jx)
	r.AdjointX = relMaxErr(linsolve.DenseT(dx), ax)
	if p > 0 {
		at := linsolve.Dense(dtheta)
		r.Theta = relMaxErr(at, jt)
		r.AdjointTheta = relMaxErr(linsolve.DenseT(dtheta), at)
	}
	if math.IsNaN(r.Worst()) {
		return r, fmt.Errorf("%w: in a Jacobian", ErrNaN)
	}
	return r, nil
}

func relMaxErr(a, ref *mat.Dense) float64 {
	r, c := ref.Dims()
	scale, diff := 1.0, 0.0
	for i := range r {
		for j := range c {
			scale = math.Max(scale, math.Abs(ref.At(i, j)))
			diff = math.Max(diff, math.Abs(a.At(i, j)-ref.At(i, j)))
		}
	}
	return diff / scale
}
