package cone

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/internal/dense"
)

// Zero is the zero cone {0} ⊂ Rᴺ (equality constraints s = 0). Its dual is
// Free. It has no interior: Barrier, BarrierGrad, BarrierHess, Identity
// and Scaling return ErrInvalid; MaxStep returns the limit (the zero
// block of s is not stepped by an interior-point method); its degree is 0.
type Zero struct{ N int }

// Free is the whole space Rᴺ, the dual of Zero. Its barrier is f = 0
// (degree 0), Identity is 0, MaxStep returns the limit, and Scaling
// returns ErrInvalid (a free block has no scaling; a Product uses W = I
// on its Zero and Free blocks).
type Free struct{ N int }

// Nonnegative is the orthant {s ∈ Rᴺ : s ≥ 0}, self-dual, with barrier
// f(s) = −Σ log sᵢ (ν = N), Jordan product (u ∘ v)ᵢ = uᵢvᵢ and identity 1.
type Nonnegative struct{ N int }

var (
	_ Cone      = Zero{}
	_ Cone      = Free{}
	_ Symmetric = Nonnegative{}
)

// ---- Zero ----

func (k Zero) Dim() int    { return k.N }
func (k Zero) Degree() int { return 0 }
func (k Zero) Dual() Cone  { return Free(k) }

func (k Zero) check(dst []float64, vs ...[]float64) error {
	if err := checkDim("zero", k.N); err != nil {
		return err
	}
	if dst != nil {
		if err := checkDst(k.N, dst); err != nil {
			return err
		}
	}
	return checkVecs(k.N, vs...)
}

// Project sets dst to 0.
func (k Zero) Project(dst, y []float64) error {
	if err := k.check(dst, y); err != nil {
		return err
	}
	clear(dst)
	return nil
}

// JVP sets dst to 0 (DΠ = 0).
func (k Zero) JVP(dst, x, y, v []float64) error {
	if err := k.check(dst, x, y, v); err != nil {
		return err
	}
	clear(dst)
	return nil
}

// VJP sets dst to 0.
func (k Zero) VJP(dst, x, y, u []float64) error { return k.JVP(dst, x, y, u) }

// Dist returns ‖y‖.
func (k Zero) Dist(y []float64) (float64, error) {
	if err := k.check(nil, y); err != nil {
		return 0, err
	}
	return distOut(nrm2(y))
}

// Contains reports whether ‖y‖ ≤ tol.
func (k Zero) Contains(y []float64, tol float64) (bool, error) { return containsVia(k, y, tol) }

func (k Zero) noInterior() error {
	if err := checkDim("zero", k.N); err != nil {
		return err
	}
	return fmt.Errorf("%w: the zero cone has no interior", ErrInvalid)
}

func (k Zero) Identity(dst []float64) error {
	if err := k.check(dst); err != nil {
		return err
	}
	return k.noInterior()
}

func (k Zero) Barrier(s []float64) (float64, error) {
	if err := k.check(nil, s); err != nil {
		return 0, err
	}
	return 0, k.noInterior()
}

func (k Zero) BarrierGrad(dst, s []float64) error {
	if err := k.check(dst, s); err != nil {
		return err
	}
	return k.noInterior()
}

func (k Zero) BarrierHess(dst, s, v []float64) error {
	if err := k.check(dst, s, v); err != nil {
		return err
	}
	return k.noInterior()
}

func (k Zero) Scaling(s, z []float64) (Scaling, error) {
	if err := k.check(nil, s, z); err != nil {
		return nil, err
	}
	return nil, k.noInterior()
}

func (k Zero) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := k.check(nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	return limit, nil
}

// ---- Free ----

func (k Free) Dim() int    { return k.N }
func (k Free) Degree() int { return 0 }
func (k Free) Dual() Cone  { return Zero(k) }

func (k Free) check(dst []float64, vs ...[]float64) error {
	if err := checkDim("free", k.N); err != nil {
		return err
	}
	if dst != nil {
		if err := checkDst(k.N, dst); err != nil {
			return err
		}
	}
	return checkVecs(k.N, vs...)
}

// Project sets dst to y.
func (k Free) Project(dst, y []float64) error {
	if err := k.check(dst, y); err != nil {
		return err
	}
	copy(dst, y)
	return nil
}

// JVP sets dst to v (DΠ = I).
func (k Free) JVP(dst, x, y, v []float64) error {
	if err := k.check(dst, x, y, v); err != nil {
		return err
	}
	copy(dst, v)
	return nil
}

// VJP sets dst to u.
func (k Free) VJP(dst, x, y, u []float64) error { return k.JVP(dst, x, y, u) }

// Dist returns 0.
func (k Free) Dist(y []float64) (float64, error) {
	if err := k.check(nil, y); err != nil {
		return 0, err
	}
	return 0, nil
}

// Contains reports true for every finite y.
func (k Free) Contains(y []float64, tol float64) (bool, error) { return containsVia(k, y, tol) }

// Identity sets dst to 0 (the free block has no central point; 0 is the
// natural start).
func (k Free) Identity(dst []float64) error {
	if err := k.check(dst); err != nil {
		return err
	}
	clear(dst)
	return nil
}

// Barrier returns 0.
func (k Free) Barrier(s []float64) (float64, error) {
	if err := k.check(nil, s); err != nil {
		return 0, err
	}
	return 0, nil
}

// BarrierGrad sets dst to 0.
func (k Free) BarrierGrad(dst, s []float64) error {
	if err := k.check(dst, s); err != nil {
		return err
	}
	clear(dst)
	return nil
}

// BarrierHess sets dst to 0.
func (k Free) BarrierHess(dst, s, v []float64) error {
	if err := k.check(dst, s, v); err != nil {
		return err
	}
	clear(dst)
	return nil
}

// MaxStep returns limit.
func (k Free) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := k.check(nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	return limit, nil
}

// Scaling returns ErrInvalid: a free slack has no scaling (its dual block
// is the zero cone).
func (k Free) Scaling(s, z []float64) (Scaling, error) {
	if err := k.check(nil, s, z); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: the free cone has no scaling", ErrInvalid)
}

// ---- Nonnegative ----

func (k Nonnegative) Dim() int    { return k.N }
func (k Nonnegative) Degree() int { return k.N }
func (k Nonnegative) Dual() Cone  { return k }

func (k Nonnegative) check(dst []float64, vs ...[]float64) error {
	if err := checkDim("nonnegative", k.N); err != nil {
		return err
	}
	if dst != nil {
		if err := checkDst(k.N, dst); err != nil {
			return err
		}
	}
	return checkVecs(k.N, vs...)
}

func (k Nonnegative) interior(vs ...[]float64) error {
	for _, v := range vs {
		for _, x := range v {
			if !(x > 0) {
				return outOfInterior("nonnegative")
			}
		}
	}
	return nil
}

// Project sets dst to max(y, 0).
func (k Nonnegative) Project(dst, y []float64) error {
	if err := k.check(dst, y); err != nil {
		return err
	}
	for i, v := range y {
		dst[i] = max(v, 0)
	}
	return nil
}

// JVP sets dst to [y > 0] ⊙ v; at yᵢ = 0 the element 0 is used.
func (k Nonnegative) JVP(dst, x, y, v []float64) error {
	if err := k.check(dst, x, y, v); err != nil {
		return err
	}
	for i := range dst {
		if y[i] > 0 {
			dst[i] = v[i]
		} else {
			dst[i] = 0
		}
	}
	return nil
}

// VJP is JVP (the Jacobian is diagonal).
func (k Nonnegative) VJP(dst, x, y, u []float64) error { return k.JVP(dst, x, y, u) }

// Dist returns ‖min(y, 0)‖.
func (k Nonnegative) Dist(y []float64) (float64, error) {
	if err := k.check(nil, y); err != nil {
		return 0, err
	}
	m := make([]float64, len(y))
	for i, v := range y {
		m[i] = min(v, 0)
	}
	return distOut(nrm2(m))
}

func (k Nonnegative) Contains(y []float64, tol float64) (bool, error) { return containsVia(k, y, tol) }

// Identity sets dst to 1.
func (k Nonnegative) Identity(dst []float64) error {
	if err := k.check(dst); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = 1
	}
	return nil
}

// Barrier returns −Σ log sᵢ.
func (k Nonnegative) Barrier(s []float64) (float64, error) {
	if err := k.check(nil, s); err != nil {
		return 0, err
	}
	if err := k.interior(s); err != nil {
		return 0, err
	}
	f := 0.0
	for _, v := range s {
		f -= dense.Log(v)
	}
	return f, nil
}

// BarrierGrad sets dst to −1/s.
func (k Nonnegative) BarrierGrad(dst, s []float64) error {
	if err := k.check(dst, s); err != nil {
		return err
	}
	if err := k.interior(s); err != nil {
		return err
	}
	for i, v := range s {
		dst[i] = -1 / v
	}
	return checkOut(dst)
}

// BarrierHess sets dst to v/s².
func (k Nonnegative) BarrierHess(dst, s, v []float64) error {
	if err := k.check(dst, s, v); err != nil {
		return err
	}
	if err := k.interior(s); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = v[i] / s[i] / s[i]
	}
	return checkOut(dst)
}

// MaxStep returns min(limit, min over dsᵢ < 0 of −sᵢ/dsᵢ).
func (k Nonnegative) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := k.check(nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	if err := k.interior(s); err != nil {
		return 0, err
	}
	a := limit
	for i := range s {
		if ds[i] < 0 {
			a = min(a, -s[i]/ds[i])
		}
	}
	return a, nil
}

// Jordan sets dst to u ⊙ v.
func (k Nonnegative) Jordan(dst, u, v []float64) error {
	if err := k.check(dst, u, v); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = u[i] * v[i]
	}
	return checkOut(dst)
}

// JordanDiv sets dst to v/λ.
func (k Nonnegative) JordanDiv(dst, lambda, v []float64) error {
	if err := k.check(dst, lambda, v); err != nil {
		return err
	}
	if err := k.interior(lambda); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = v[i] / lambda[i]
	}
	return checkOut(dst)
}

// Scaling returns the diagonal NT scaling W = diag(√(s/z)), λ = √(s⊙z).
func (k Nonnegative) Scaling(s, z []float64) (Scaling, error) {
	if err := k.check(nil, s, z); err != nil {
		return nil, err
	}
	if err := k.interior(s, z); err != nil {
		return nil, err
	}
	w := make([]float64, k.N)
	lam := make([]float64, k.N)
	for i := range w {
		w[i] = math.Sqrt(z[i]) / math.Sqrt(s[i]) // W s = W⁻ᵀ z ⇒ wᵢ = √(zᵢ/sᵢ)
		lam[i] = math.Sqrt(s[i]) * math.Sqrt(z[i])
	}
	if err := checkOut(w, lam); err != nil {
		return nil, err
	}
	return &diagScaling{w: w, lam: lam}, nil
}
