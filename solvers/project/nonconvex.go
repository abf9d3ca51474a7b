package project

import (
	"cmp"
	"fmt"
	"slices"
)

// The sets of this file are not convex: their projection is a nearest
// point, unique for almost every y, and the Jacobian is that of the smooth
// piece of P around y (still symmetric). They implement Set and
// Parametric like the convex sets.

// L2Sphere is the sphere {x : ‖x‖₂ = Radius}, Radius > 0.
//
//	P(y) = r y/‖y‖,   ∂P(y) = (r/‖y‖)(I − y yᵀ/‖y‖²),   ∂P/∂r = y/‖y‖.
//
// At y = 0 every point of the sphere is nearest; P(0) = r e₁ and the
// Jacobian there is that of y = ε e₁ (ε → 0⁺) scaled to ‖y‖ = r, i.e.
// I − e₁e₁ᵀ.
type L2Sphere struct {
	Radius float64
}

// Project sets dst = r y/‖y‖ (r e₁ at y = 0). dst may alias y.
func (s L2Sphere) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := checkRadius("l2 sphere", s.Radius); err != nil {
		return err
	}
	nrm := norm2(y)
	if nrm == 0 {
		clear(dst)
		dst[0] = s.Radius
		return nil
	}
	radial(dst, y, s.Radius, nrm)
	return checkOutput(dst)
}

// JVP sets dst = ∂P(y) v. dst may alias v.
func (s L2Sphere) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if err := checkRadius("l2 sphere", s.Radius); err != nil {
		return err
	}
	nrm := norm2(y)
	if nrm == 0 {
		copy(dst, v)
		dst[0] = 0
		return nil
	}
	ev := 0.0
	for i := range v {
		ev += (y[i] / nrm) * v[i]
	}
	c := s.Radius / nrm
	for i := range v {
		dst[i] = c * (v[i] - ev*y[i]/nrm)
	}
	return checkOutput(dst)
}

// VJP equals JVP.
func (s L2Sphere) VJP(dst, x, y, u []float64) error { return s.JVP(dst, x, y, u) }

// Params returns θ = (r).
func (s L2Sphere) Params() []float64 { return []float64{s.Radius} }

// WithParams returns L2Sphere{θ₀}.
func (s L2Sphere) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, 1); err != nil {
		return nil, err
	}
	return L2Sphere{theta[0]}, nil
}

// ParamJVP sets dst = dr·x/r.
func (s L2Sphere) ParamJVP(dst, x, y, dtheta []float64) error {
	if err := checkParamProduct(x, y, dtheta, 1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	if err := checkRadius("l2 sphere", s.Radius); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = dtheta[0] * (x[i] / s.Radius)
	}
	return checkOutput(dst)
}

// ParamVJP sets dst = (⟨u, x⟩/r).
func (s L2Sphere) ParamVJP(dst, x, y, u []float64) error {
	if err := checkParamVJP(dst, x, y, u, 1); err != nil {
		return err
	}
	if err := checkRadius("l2 sphere", s.Radius); err != nil {
		return err
	}
	dst[0] = 0
	for i := range u {
		dst[0] += u[i] * (x[i] / s.Radius)
	}
	return checkOutput(dst)
}

// L1Sphere is the sphere {x : ‖x‖₁ = Radius}, Radius > 0. Outside the l1
// ball it projects like [L1Ball]. Inside, the nearest point lies on the
// facet {sᵀx = r} with s = sign(y) (+1 for zero entries), the facet
// closest to y, and
//
//	P(y) = y + ((r − ‖y‖₁)/n) s,   ∂P(y) = I − s sᵀ/n,   ∂P/∂r = s/n.
//
// Kinks: ‖y‖₁ = r, yᵢ = 0 inside (a change of facet), and those of
// L1Ball outside.
type L1Sphere struct {
	Radius float64
}

func signOrOne(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// Project sets dst = P(y). dst may alias y.
func (s L1Sphere) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := checkRadius("l1 sphere", s.Radius); err != nil {
		return err
	}
	nrm := norm1(y)
	if nrm >= s.Radius {
		return L1Ball(s).Project(dst, y)
	}
	c := (s.Radius - nrm) / float64(len(y))
	for i, v := range y {
		dst[i] = v + c*signOrOne(v)
	}
	return checkOutput(dst)
}

// JVP sets dst = ∂P(y) v. dst may alias v.
func (s L1Sphere) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if err := checkRadius("l1 sphere", s.Radius); err != nil {
		return err
	}
	if norm1(y) > s.Radius {
		return L1Ball(s).JVP(dst, x, y, v)
	}
	sv := 0.0
	for i := range v {
		sv += signOrOne(y[i]) * v[i]
	}
	sv /= float64(len(v))
	for i := range v {
		dst[i] = v[i] - sv*signOrOne(y[i])
	}
	return checkOutput(dst)
}

// VJP equals JVP.
func (s L1Sphere) VJP(dst, x, y, u []float64) error { return s.JVP(dst, x, y, u) }

// Params returns θ = (r).
func (s L1Sphere) Params() []float64 { return []float64{s.Radius} }

// WithParams returns L1Sphere{θ₀}.
func (s L1Sphere) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, 1); err != nil {
		return nil, err
	}
	return L1Sphere{theta[0]}, nil
}

// ParamJVP sets dst = ∂P/∂r · dr.
func (s L1Sphere) ParamJVP(dst, x, y, dtheta []float64) error {
	if err := checkParamProduct(x, y, dtheta, 1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	if norm1(y) > s.Radius {
		return L1Ball(s).ParamJVP(dst, x, y, dtheta)
	}
	for i := range dst {
		dst[i] = dtheta[0] * signOrOne(y[i]) / float64(len(dst))
	}
	return checkOutput(dst)
}

// ParamVJP sets dst = (∂P/∂r)ᵀ u.
func (s L1Sphere) ParamVJP(dst, x, y, u []float64) error {
	if err := checkParamVJP(dst, x, y, u, 1); err != nil {
		return err
	}
	if norm1(y) > s.Radius {
		return L1Ball(s).ParamVJP(dst, x, y, u)
	}
	dst[0] = 0
	for i := range u {
		dst[0] += u[i] * signOrOne(y[i])
	}
	dst[0] /= float64(len(u))
	return checkOutput(dst)
}

// SparseSimplex is the set of points of the simplex {x ≥ 0, Σx = Radius}
// with at most K non-zero entries, Radius > 0, K ≥ 1. Its projection keeps
// the K largest entries of y and projects them onto the simplex, which is
// optimal (Kyrillidis, Becker, Cevher, Koch, "Sparse projections onto the
// simplex", ICML 2013). The Jacobian is the simplex one, centering on the
// support S = {xᵢ > 0} (|S| ≤ K); ∂P/∂r = 1_S/|S|.
//
// Kinks: those of the simplex, and ties between the K-th and (K+1)-th
// largest entries of y (a change of selected coordinates).
type SparseSimplex struct {
	Radius float64
	K      int
}

// Project sets dst = P(y). dst may alias y. It allocates O(K) scratch
// when K < n.
func (s SparseSimplex) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := checkRadius("sparse simplex", s.Radius); err != nil {
		return err
	}
	if s.K < 1 {
		return fmt.Errorf("%w: sparse simplex K = %d < 1", ErrInvalid, s.K)
	}
	n := len(y)
	if s.K >= n {
		return Simplex{s.Radius}.Project(dst, y)
	}
	idx := topK(y, s.K)
	vals := make([]float64, s.K)
	for j, i := range idx {
		vals[j] = y[i]
	}
	projectSimplex(vals, slices.Clone(vals), s.Radius)
	clear(dst)
	for j, i := range idx {
		dst[i] = vals[j]
	}
	return checkOutput(dst)
}

// topK returns the indices of the k largest entries of y (ties broken by
// the smaller index), in increasing index order, by a partial sort.
func topK(y []float64, k int) []int {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	byValue := func(a, b int) int {
		if c := cmp.Compare(y[b], y[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	// Quickselect on idx so that idx[:k] holds the k largest.
	lo, hi := 0, len(idx)-1
	state := uint64(len(y))*0x9e3779b97f4a7c15 + uint64(k)
	for lo < hi {
		state = state*6364136223846793005 + 1442695040888963407
		p := idx[lo+int((state>>33)%uint64(hi-lo+1))]
		// Three-way partition around p.
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch c := byValue(idx[i], p); {
			case c < 0:
				idx[lt], idx[i] = idx[i], idx[lt]
				lt++
				i++
			case c > 0:
				idx[i], idx[gt] = idx[gt], idx[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k <= lt:
			hi = lt - 1
		case k > gt+1:
			lo = gt + 1
		default:
			lo = hi // k-th element found
		}
	}
	out := slices.Clone(idx[:k])
	slices.Sort(out)
	return out
}

// JVP centers v on the support of x. dst may alias v.
func (s SparseSimplex) JVP(dst, x, y, v []float64) error {
	if n := len(v); n == 0 || len(dst) != n || len(x) != n || len(y) != n {
		return fmt.Errorf("%w: len(dst) = %d, len(x) = %d, len(y) = %d, len(v) = %d",
			ErrDims, len(dst), len(x), len(y), n)
	}
	if err := checkRadius("sparse simplex", s.Radius); err != nil {
		return err
	}
	if s.K < 1 {
		return fmt.Errorf("%w: sparse simplex K = %d < 1", ErrInvalid, s.K)
	}
	return centerOnSupportChecked(dst, x, v)
}

// VJP equals JVP.
func (s SparseSimplex) VJP(dst, x, y, u []float64) error { return s.JVP(dst, x, y, u) }

// Params returns θ = (r); K is a discrete parameter and is not
// differentiated.
func (s SparseSimplex) Params() []float64 { return []float64{s.Radius} }

// WithParams returns SparseSimplex{θ₀, K}.
func (s SparseSimplex) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, 1); err != nil {
		return nil, err
	}
	return SparseSimplex{theta[0], s.K}, nil
}

// ParamJVP sets dst = dr·1_S/|S|.
func (s SparseSimplex) ParamJVP(dst, x, y, dtheta []float64) error {
	return Simplex{s.Radius}.ParamJVP(dst, x, y, dtheta)
}

// ParamVJP sets dst = (Σ_S uᵢ/|S|).
func (s SparseSimplex) ParamVJP(dst, x, y, u []float64) error {
	return Simplex{s.Radius}.ParamVJP(dst, x, y, u)
}

var (
	_ Parametric = L2Sphere{}
	_ Parametric = L1Sphere{}
	_ Parametric = SparseSimplex{}
)
