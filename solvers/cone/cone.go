package cone

import (
	"errors"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/internal/dense"
)

// Errors returned by the package; wrapped errors match with errors.Is.
var (
	// ErrDims reports vectors whose length is not the cone's dimension.
	ErrDims = errors.New("cone: dimension mismatch")
	// ErrNaN reports NaN or ±Inf in an input vector or parameter.
	ErrNaN = errors.New("cone: NaN or Inf in input")
	// ErrInvalid reports an invalid cone parameter (a dimension below 1,
	// a power-cone α outside (0, 1), a nil or empty product), a point
	// outside the interior where the barrier, a scaling or a step is
	// asked for, or an operation the cone does not have (the barrier of
	// the zero cone, the Jordan product of a non-symmetric cone).
	ErrInvalid = errors.New("cone: invalid argument")
	// ErrNotConverged reports a root-finding or Newton iteration of the
	// package that stopped before its tolerance (not expected on finite
	// input; reported rather than returning an inaccurate result).
	ErrNotConverged = errors.New("cone: not converged")
)

// Cone is a closed convex cone K ⊂ Rᵈ with everything an interior-point
// method and a differentiable cone program need from it. All vectors have
// length Dim(). Methods never modify their inputs. dst may alias y in
// Project and v (or u) in JVP (or VJP); no other aliasing is allowed.
// A Cone is a small value, safe for concurrent use.
type Cone interface {
	// Dim is the dimension d of the space the cone lives in.
	Dim() int
	// Degree is the barrier parameter ν of the cone's barrier (the
	// contribution of the cone to the duality measure μ = ⟨s, z⟩/Σν).
	Degree() int
	// Dual returns the dual cone K* = {z : ⟨z, s⟩ ≥ 0 for all s ∈ K}.
	Dual() Cone
	// Project sets dst to the Euclidean projection Π_K(y).
	Project(dst, y []float64) error
	// JVP sets dst to DΠ_K(y) v, where x = Π_K(y) was computed by
	// Project. At a point where Π_K is not differentiable it uses the
	// element of the generalized Jacobian documented on the type.
	JVP(dst, x, y, v []float64) error
	// VJP sets dst to DΠ_K(y)ᵀ u (the same element as JVP).
	VJP(dst, x, y, u []float64) error
	// Dist returns the Euclidean distance from y to K.
	Dist(y []float64) (float64, error)
	// Contains reports whether dist(y, K) ≤ tol (tol ≥ 0).
	Contains(y []float64, tol float64) (bool, error)
	// Identity sets dst to the cone's central point e: the Jordan
	// identity of a symmetric cone, the point with e = −∇f(e) for a
	// non-symmetric one. It is a natural starting point for s and z.
	Identity(dst []float64) error
	// Barrier returns f(s) of the cone's ν-logarithmically homogeneous
	// self-concordant barrier; s must lie in the interior (ErrInvalid).
	Barrier(s []float64) (float64, error)
	// BarrierGrad sets dst to ∇f(s).
	BarrierGrad(dst, s []float64) error
	// BarrierHess sets dst to ∇²f(s) v.
	BarrierHess(dst, s, v []float64) error
	// BarrierThird sets dst to ∇³f(s)[u, v], the third derivative
	// contracted with u and v (symmetric in them).
	BarrierThird(dst, s, u, v []float64) error
	// MaxStep returns the largest α ∈ [0, limit] with s + α ds ∈ K for s
	// in the interior of K (limit > 0 finite, for example 1 or a large
	// cap: the step is +∞ along a recession direction).
	MaxStep(s, ds []float64, limit float64) (float64, error)
	// Scaling returns the primal-dual scaling of the interior pair
	// (s, z) ∈ int K × int K*: Nesterov–Todd for the symmetric cones, the
	// rank-updated dual-Hessian scaling for the non-symmetric ones (see
	// the package documentation).
	Scaling(s, z []float64) (Scaling, error)
}

// Symmetric is a self-dual homogeneous cone with its Euclidean Jordan
// algebra (Nonnegative, SecondOrder, PSD, and products of them), the
// operations a Mehrotra corrector needs.
type Symmetric interface {
	Cone
	// Jordan sets dst to the Jordan product u ∘ v.
	Jordan(dst, u, v []float64) error
	// JordanDiv sets dst to the x with λ ∘ x = v, for λ in the interior
	// (the inverse of the operator L(λ): x ↦ λ ∘ x).
	JordanDiv(dst, lambda, v []float64) error
}

func finite(x []float64) bool {
	// the max-norm by the eight-lane kernel: NaN and ±Inf both fail the
	// comparison
	return dense.MaxAbs(x) <= math.MaxFloat64
}

// checkDim validates a cone dimension parameter.
func checkDim(name string, n int) error {
	if n < 1 {
		return fmt.Errorf("%w: %s dimension %d < 1", ErrInvalid, name, n)
	}
	return nil
}

// checkVecs checks that every vector has length d and is finite.
func checkVecs(d int, vs ...[]float64) error {
	for i, v := range vs {
		if len(v) != d {
			return fmt.Errorf("%w: vector %d has length %d, the cone's dimension is %d", ErrDims, i, len(v), d)
		}
	}
	for i, v := range vs {
		if !finite(v) {
			return fmt.Errorf("%w: vector %d", ErrNaN, i)
		}
	}
	return nil
}

// checkDst checks dst's length.
func checkDst(d int, dst []float64) error {
	if len(dst) != d {
		return fmt.Errorf("%w: dst has length %d, the cone's dimension is %d", ErrDims, len(dst), d)
	}
	return nil
}

func checkLimit(limit float64) error {
	if math.IsNaN(limit) || math.IsInf(limit, 0) {
		return fmt.Errorf("%w: step limit %v", ErrNaN, limit)
	}
	if limit <= 0 {
		return fmt.Errorf("%w: step limit %v ≤ 0", ErrInvalid, limit)
	}
	return nil
}

func checkTol(tol float64) error {
	if math.IsNaN(tol) || math.IsInf(tol, 0) {
		return fmt.Errorf("%w: tolerance %v", ErrNaN, tol)
	}
	if tol < 0 {
		return fmt.Errorf("%w: tolerance %v < 0", ErrInvalid, tol)
	}
	return nil
}

func outOfInterior(name string) error {
	return fmt.Errorf("%w: point outside the interior of the %s cone", ErrInvalid, name)
}

func checkOut(x ...[]float64) error {
	for _, v := range x {
		if !finite(v) {
			return fmt.Errorf("%w: result overflows float64", ErrNaN)
		}
	}
	return nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// nrm2 is ‖a‖₂: a plain sum of squares when it neither overflows nor
// underflows, the scaled (LAPACK dnrm2-style) loop otherwise.
func nrm2(a []float64) float64 {
	ss := 0.0
	for _, v := range a {
		ss += v * v
	}
	if ss > 1e-280 && ss < 1e280 {
		return math.Sqrt(ss)
	}
	return nrm2Scaled(a) // tiny, huge or zero: rescale
}

func nrm2Scaled(a []float64) float64 {
	scale, ssq := 0.0, 1.0
	for _, v := range a {
		if v == 0 {
			continue
		}
		av := math.Abs(v)
		if scale < av {
			ssq = 1 + ssq*(scale/av)*(scale/av)
			scale = av
		} else {
			ssq += (av / scale) * (av / scale)
		}
	}
	return scale * math.Sqrt(ssq)
}

// distVia computes ‖y − Π(y)‖ with a projection.
func distVia(c Cone, y []float64) (float64, error) {
	x := make([]float64, len(y))
	if err := c.Project(x, y); err != nil {
		return 0, err
	}
	for i := range x {
		x[i] = y[i] - x[i]
	}
	return distOut(nrm2(x))
}

// distOut reports a distance that overflowed float64.
func distOut(d float64) (float64, error) {
	if math.IsInf(d, 0) || math.IsNaN(d) {
		return 0, fmt.Errorf("%w: distance overflows float64", ErrNaN)
	}
	return d, nil
}

func containsVia(c Cone, y []float64, tol float64) (bool, error) {
	if err := checkTol(tol); err != nil {
		return false, err
	}
	d, err := c.Dist(y)
	if err != nil {
		return false, err
	}
	return d <= tol, nil
}

// dualProject sets dst = Π_{K*}(y) = y + Π_K(−y) (Moreau: K° = −K*).
func dualProject(k Cone, dst, y []float64) error {
	n := len(y)
	if err := checkDst(k.Dim(), dst); err != nil {
		return err
	}
	if err := checkVecs(k.Dim(), y); err != nil {
		return err
	}
	m := make([]float64, n)
	for i := range m {
		m[i] = -y[i]
	}
	p := make([]float64, n)
	if err := k.Project(p, m); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = y[i] + p[i]
	}
	return checkOut(dst)
}

// dualJVP sets dst = DΠ_{K*}(y) v = v − DΠ_K(−y) v.
func dualJVP(k Cone, transpose bool, dst, y, v []float64) error {
	n := len(y)
	m := make([]float64, n)
	for i := range m {
		m[i] = -y[i]
	}
	p := make([]float64, n)
	if err := k.Project(p, m); err != nil {
		return err
	}
	w := make([]float64, n)
	var err error
	if transpose {
		err = k.VJP(w, p, m, v)
	} else {
		err = k.JVP(w, p, m, v)
	}
	if err != nil {
		return err
	}
	for i := range dst {
		dst[i] = v[i] - w[i]
	}
	return nil
}
