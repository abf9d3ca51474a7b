package project

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Affine is the affine set {x : Ax = b} for A ∈ R^{m×n} of any rank. Build
// it with [NewAffine], which keeps a thin SVD A = U Σ Vᵀ truncated to the
// numerical rank k; then
//
//	P(y) = y − V_k (V_kᵀ y − Σ_k⁻¹ U_kᵀ b),   ∂P = I − V_k V_kᵀ,
//	∂P/∂b = A⁺ = V_k Σ_k⁻¹ U_kᵀ,
//
// the projection onto the null space of A shifted to the minimum-norm
// solution A⁺b. Each projection costs O(nk). P is affine: no kinks.
type Affine struct {
	n, k int
	v    *mat.Dense // n×k, orthonormal basis of the row space of A
	c    []float64  // Σ_k⁻¹ U_kᵀ b: coordinates of A⁺b in that basis
	u    *mat.Dense // m×k, left singular vectors
	sv   []float64  // k singular values
	b    []float64  // right-hand side
}

// AffineRankTol is the relative singular-value threshold below which
// NewAffine treats directions of A as null: σᵢ ≤ AffineRankTol·max(m,n)·σ₁.
const AffineRankTol = 1e-13

// NewAffine returns the set {x : Ax = b}. It returns ErrInfeasible when b is
// not in the range of A (to a relative tolerance of 1e-9), ErrDims when
// len(b) ≠ rows of A, ErrNaN for NaN or Inf entries, ErrInvalid for a nil A.
func NewAffine(a mat.Matrix, b []float64) (*Affine, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: nil matrix A", ErrInvalid)
	}
	m, n := a.Dims()
	if m == 0 || n == 0 || len(b) != m {
		return nil, fmt.Errorf("%w: A is %d×%d, len(b) = %d", ErrDims, m, n, len(b))
	}
	if !finite(b) {
		return nil, fmt.Errorf("%w: b", ErrNaN)
	}
	for i := range m {
		for j := range n {
			if v := a.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: A", ErrNaN)
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, fmt.Errorf("%w: SVD of A failed", ErrInvalid)
	}
	sv := svd.Values(nil)
	k := 0
	for _, s := range sv {
		if s > AffineRankTol*float64(max(m, n))*sv[0] {
			k++
		}
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	aff := &Affine{n: n, k: k, v: mat.NewDense(n, max(k, 1), nil), c: make([]float64, k), b: append([]float64(nil), b...)}
	if k == 0 {
		// A = 0: the set is Rⁿ if b = 0, empty otherwise.
		if norm2(b) > 0 {
			return nil, fmt.Errorf("%w: A = 0 and b ≠ 0", ErrInfeasible)
		}
		aff.u = mat.NewDense(m, 1, nil)
		return aff, nil
	}
	aff.v = mat.DenseCopyOf(v.Slice(0, n, 0, k))
	aff.u = mat.DenseCopyOf(u.Slice(0, m, 0, k))
	aff.sv = sv[:k]
	if err := aff.setRHS(b); err != nil {
		return nil, err
	}
	return aff, nil
}

// setRHS sets c = Σ_k⁻¹ U_kᵀ b after checking that b is in the range of
// U_k (to 1e-9 relative).
func (s *Affine) setRHS(b []float64) error {
	m, _ := s.u.Dims()
	resid := append([]float64(nil), b...)
	for j := range s.k {
		ub := 0.0
		for i := range m {
			ub += s.u.At(i, j) * b[i]
		}
		s.c[j] = ub / s.sv[j]
		for i := range m {
			resid[i] -= ub * s.u.At(i, j)
		}
	}
	if norm2(resid) > 1e-9*max(1, norm2(b)) {
		return fmt.Errorf("%w: b is not in the range of A (residual %.3g)", ErrInfeasible, norm2(resid))
	}
	s.b = append(s.b[:0], b...)
	return nil
}

// Dim returns n, the length of the vectors of the set.
func (s *Affine) Dim() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Rank returns the numerical rank k of A.
func (s *Affine) Rank() int {
	if s == nil {
		return 0
	}
	return s.k
}

// Project sets dst = P(y). dst may alias y.
func (s *Affine) Project(dst, y []float64) error {
	if err := s.checkN(len(y)); err != nil {
		return err
	}
	if err := checkProject(dst, y); err != nil {
		return err
	}
	s.removeRowSpace(dst, y, s.c)
	return checkOutput(dst)
}

func (s *Affine) checkN(n int) error {
	if s == nil || s.v == nil {
		return fmt.Errorf("%w: use NewAffine", ErrInvalid)
	}
	if n != s.n {
		return fmt.Errorf("%w: length %d, set in R^%d", ErrDims, n, s.n)
	}
	return nil
}

// removeRowSpace sets dst = y − V_k(V_kᵀ y − c) (c nil means 0).
func (s *Affine) removeRowSpace(dst, y, c []float64) {
	coef := make([]float64, s.k)
	raw := s.v.RawMatrix()
	for i := range s.n {
		row := raw.Data[i*raw.Stride : i*raw.Stride+s.k]
		for j, vij := range row {
			coef[j] += vij * y[i]
		}
	}
	if c != nil {
		for j := range coef {
			coef[j] -= c[j]
		}
	}
	for i := range s.n {
		row := raw.Data[i*raw.Stride : i*raw.Stride+s.k]
		dst[i] = y[i] - dot(row, coef)
	}
}

// JVP sets dst = v − V_k V_kᵀ v. dst may alias v.
func (s *Affine) JVP(dst, x, y, v []float64) error {
	if err := s.checkN(len(v)); err != nil {
		return err
	}
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	s.removeRowSpace(dst, v, nil)
	return checkOutput(dst)
}

// VJP equals JVP.
func (s *Affine) VJP(dst, x, y, u []float64) error { return s.JVP(dst, x, y, u) }

// multipliers returns the minimum-norm λ (length m) with Aᵀλ = r for r in
// the row space of A: λ = U_k Σ_k⁻¹ V_kᵀ r.
func (s *Affine) multipliers(r []float64) []float64 {
	m, _ := s.u.Dims()
	lam := make([]float64, m)
	for j := range s.k {
		c := 0.0
		for i := range s.n {
			c += s.v.At(i, j) * r[i]
		}
		c /= s.sv[j]
		for i := range m {
			lam[i] += s.u.At(i, j) * c
		}
	}
	return lam
}

// rhsJVP sets dst = A⁺ db = V_k Σ_k⁻¹ U_kᵀ db, the derivative of P with
// respect to b along db.
func (s *Affine) rhsJVP(dst, db []float64) {
	m, _ := s.u.Dims()
	clear(dst)
	for j := range s.k {
		c := 0.0
		for i := range m {
			c += s.u.At(i, j) * db[i]
		}
		c /= s.sv[j]
		for i := range s.n {
			dst[i] += s.v.At(i, j) * c
		}
	}
}

// Params returns θ = b.
func (s *Affine) Params() []float64 {
	if s == nil {
		return nil
	}
	return append([]float64(nil), s.b...)
}

// WithParams returns the set {x : Ax = θ}, reusing the factorization of A.
func (s *Affine) WithParams(theta []float64) (Parametric, error) {
	if err := s.checkN(s.Dim()); err != nil {
		return nil, err
	}
	if err := paramsLen(theta, len(s.b)); err != nil {
		return nil, err
	}
	if !finite(theta) {
		return nil, fmt.Errorf("%w: b", ErrNaN)
	}
	out := *s
	out.c = make([]float64, s.k)
	out.b = nil
	if err := out.setRHS(theta); err != nil {
		return nil, err
	}
	return &out, nil
}

// ParamJVP sets dst = A⁺ db.
func (s *Affine) ParamJVP(dst, x, y, db []float64) error {
	if err := s.checkN(len(x)); err != nil {
		return err
	}
	if err := checkParamProduct(x, y, db, len(s.b)); err != nil {
		return err
	}
	if err := checkLen(dst, s.n); err != nil {
		return err
	}
	s.rhsJVP(dst, db)
	return checkOutput(dst)
}

// ParamVJP sets dst = (A⁺)ᵀ u, the gradient of ⟨u, P(y)⟩ with respect to
// b (the multiplier of the constraint for the cotangent u).
func (s *Affine) ParamVJP(dst, x, y, u []float64) error {
	if err := s.checkN(len(x)); err != nil {
		return err
	}
	if err := checkParamVJP(dst, x, y, u, len(s.b)); err != nil {
		return err
	}
	copy(dst, s.multipliers(u))
	return checkOutput(dst)
}
