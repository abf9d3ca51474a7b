package cone

import (
	"math"

	"github.com/optlayers/optlayers/internal/dense"
)

// SecondOrder is the second-order (Lorentz) cone
//
//	Q = {(t, x) ∈ R × R^{N−1} : ‖x‖ ≤ t},
//
// self-dual, with barrier f(t, x) = −½ log(t² − ‖x‖²) (ν = 1 with the
// Euclidean inner product, as in CVXOPT), Jordan product
// u ∘ v = (uᵀv, u₀v₁ + v₀u₁) and identity e = (1, 0).
//
// Projection (Parikh & Boyd §6.3.2): Π(t, x) = (t, x) if ‖x‖ ≤ t, 0 if
// ‖x‖ ≤ −t, and ½(1 + t/‖x‖)(‖x‖, x) otherwise. Its Jacobian in the last
// case, with x̄ = x/‖x‖ and r = t/‖x‖, is
//
//	DΠ = ½ [1, x̄ᵀ; x̄, (1 + r)I − r x̄x̄ᵀ];
//
// on the boundaries ‖x‖ = ±t it uses the identity (‖x‖ = t) and 0
// (‖x‖ = −t), the limits from inside the cone and its polar.
type SecondOrder struct{ N int }

var _ Symmetric = SecondOrder{}

func (k SecondOrder) Dim() int    { return k.N }
func (k SecondOrder) Degree() int { return 1 }
func (k SecondOrder) Dual() Cone  { return k }

func (k SecondOrder) check(dst []float64, vs ...[]float64) error {
	if err := checkDim("second-order", k.N); err != nil {
		return err
	}
	if dst != nil {
		if err := checkDst(k.N, dst); err != nil {
			return err
		}
	}
	return checkVecs(k.N, vs...)
}

// socDet returns t² − ‖x‖² computed as (t − ‖x‖)(t + ‖x‖), and ‖x‖.
func socDet(s []float64) (float64, float64) {
	nx := nrm2(s[1:])
	return (s[0] - nx) * (s[0] + nx), nx
}

func (k SecondOrder) interior(vs ...[]float64) error {
	for _, v := range vs {
		nx := nrm2(v[1:])
		if !(v[0] > nx) {
			return outOfInterior("second-order")
		}
	}
	return nil
}

// Project sets dst to Π_Q(y).
func (k SecondOrder) Project(dst, y []float64) error {
	if err := k.check(dst, y); err != nil {
		return err
	}
	t := y[0]
	nx := nrm2(y[1:])
	switch {
	case nx <= t:
		copy(dst, y)
	case nx <= -t:
		clear(dst)
	default:
		c := 0.5 * (1 + t/nx)
		dst[0] = c * nx
		for i := 1; i < len(y); i++ {
			dst[i] = c * y[i]
		}
	}
	return checkOut(dst)
}

// JVP sets dst to DΠ_Q(y) v (see SecondOrder for the element used on the
// boundaries).
func (k SecondOrder) JVP(dst, x, y, v []float64) error {
	if err := k.check(dst, x, y, v); err != nil {
		return err
	}
	t := y[0]
	nx := nrm2(y[1:])
	switch {
	case nx <= t:
		copy(dst, v)
	case nx <= -t:
		clear(dst)
	default:
		r := t / nx
		// x̄ᵀv₁
		xv := 0.0
		for i := 1; i < len(y); i++ {
			xv += y[i] / nx * v[i]
		}
		v0 := v[0]
		dst[0] = 0.5 * (v0 + xv)
		for i := 1; i < len(y); i++ {
			xb := y[i] / nx
			dst[i] = 0.5 * (xb*v0 + (1+r)*v[i] - r*xb*xv)
		}
	}
	return checkOut(dst)
}

// VJP is JVP (the Jacobian is symmetric).
func (k SecondOrder) VJP(dst, x, y, u []float64) error { return k.JVP(dst, x, y, u) }

// Dist returns dist(y, Q): 0 inside, ‖y‖ in the polar, (‖x‖ − t)/√2 otherwise.
func (k SecondOrder) Dist(y []float64) (float64, error) {
	if err := k.check(nil, y); err != nil {
		return 0, err
	}
	t := y[0]
	nx := nrm2(y[1:])
	switch {
	case nx <= t:
		return 0, nil
	case nx <= -t:
		return distOut(math.Hypot(t, nx))
	default:
		return distOut((nx - t) / math.Sqrt2)
	}
}

func (k SecondOrder) Contains(y []float64, tol float64) (bool, error) {
	return containsVia(k, y, tol)
}

// Identity sets dst to e = (1, 0, …, 0).
func (k SecondOrder) Identity(dst []float64) error {
	if err := k.check(dst); err != nil {
		return err
	}
	clear(dst)
	dst[0] = 1
	return nil
}

// Barrier returns −½ log(t² − ‖x‖²).
func (k SecondOrder) Barrier(s []float64) (float64, error) {
	if err := k.check(nil, s); err != nil {
		return 0, err
	}
	if err := k.interior(s); err != nil {
		return 0, err
	}
	nx := nrm2(s[1:])
	f := -0.5 * (dense.Log(s[0]-nx) + dense.Log(s[0]+nx)) // no overflow of t² − ‖x‖²
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, outOfInterior("second-order")
	}
	return f, nil
}

// BarrierGrad sets dst to ∇f = −Js/(sᵀJs), J = diag(1, −I).
func (k SecondOrder) BarrierGrad(dst, s []float64) error {
	if err := k.check(dst, s); err != nil {
		return err
	}
	if err := k.interior(s); err != nil {
		return err
	}
	d, _ := socDet(s)
	dst[0] = -s[0] / d
	for i := 1; i < len(s); i++ {
		dst[i] = s[i] / d
	}
	return checkOut(dst)
}

// BarrierHess sets dst to ∇²f v = (2(Js)(Js)ᵀv/d − Jv)/d, d = sᵀJs.
func (k SecondOrder) BarrierHess(dst, s, v []float64) error {
	if err := k.check(dst, s, v); err != nil {
		return err
	}
	if err := k.interior(s); err != nil {
		return err
	}
	d, _ := socDet(s)
	jsv := s[0] * v[0]
	for i := 1; i < len(s); i++ {
		jsv -= s[i] * v[i]
	}
	c := 2 * jsv / d
	dst[0] = (c*s[0] - v[0]) / d
	for i := 1; i < len(s); i++ {
		dst[i] = (-c*s[i] + v[i]) / d
	}
	return checkOut(dst)
}

// MaxStep returns the first α > 0 where (t + αdt)² = ‖x + αdx‖² (the
// first root of a quadratic with a positive constant term), capped at
// limit.
func (k SecondOrder) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := k.check(nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	if err := k.interior(s); err != nil {
		return 0, err
	}
	// Scale so that sᵀJs = 1 (the step is invariant under s, ds → cs, cds).
	c, _ := socDet(s)
	sc := 1 / math.Sqrt(c)
	jd := func(u, v []float64) float64 {
		r := u[0] * v[0]
		for i := 1; i < len(u); i++ {
			r -= u[i] * v[i]
		}
		return r
	}
	ss := make([]float64, len(s))
	dd := make([]float64, len(s))
	for i := range s {
		ss[i] = s[i] * sc
		dd[i] = ds[i] * sc
	}
	a := jd(dd, dd)
	b := 2 * jd(ss, dd)
	cc := 1.0
	alpha := limit
	root := func(r float64) {
		if r > 0 && r < alpha {
			alpha = r
		}
	}
	// t + αdt ≥ 0 is necessary (and the whole condition when N = 1, where
	// the quadratic has a double root that rounding may lose).
	if dd[0] < 0 {
		root(-ss[0] / dd[0])
	}
	if a == 0 {
		if b < 0 {
			root(-cc / b)
		}
		return alpha, nil
	}
	disc := b*b - 4*a*cc
	if disc < 0 {
		return alpha, nil // q > 0 throughout (a > 0 then)
	}
	q := -0.5 * (b + math.Copysign(math.Sqrt(disc), b))
	r1, r2 := q/a, cc/q
	if q == 0 {
		r2 = math.Inf(1)
	}
	root(r1)
	root(r2)
	return alpha, nil
}

// Jordan sets dst to u ∘ v = (uᵀv, u₀v₁ + v₀u₁).
func (k SecondOrder) Jordan(dst, u, v []float64) error {
	if err := k.check(dst, u, v); err != nil {
		return err
	}
	d := dot(u, v)
	for i := 1; i < len(u); i++ {
		dst[i] = u[0]*v[i] + v[0]*u[i]
	}
	dst[0] = d
	return checkOut(dst)
}

// JordanDiv sets dst to the x with λ ∘ x = v:
//
//	x₀ = (λ₀v₀ − λ₁ᵀv₁)/(λ₀² − ‖λ₁‖²),  x₁ = (v₁ − x₀λ₁)/λ₀.
func (k SecondOrder) JordanDiv(dst, lambda, v []float64) error {
	if err := k.check(dst, lambda, v); err != nil {
		return err
	}
	if err := k.interior(lambda); err != nil {
		return err
	}
	// λ ∘ x = v: λᵀx = v₀ and λ₀x₁ + x₀λ₁ = v₁. From the second,
	// x₁ = (v₁ − x₀λ₁)/λ₀; in the first λ₀x₀ + λ₁ᵀ(v₁ − x₀λ₁)/λ₀ = v₀,
	// so x₀ = (λ₀v₀ − λ₁ᵀv₁)/(λ₀² − ‖λ₁‖²).
	l0 := lambda[0]
	det, _ := socDet(lambda)
	lv := 0.0
	for i := 1; i < len(v); i++ {
		lv += lambda[i] * v[i]
	}
	x0 := (l0*v[0] - lv) / det
	for i := 1; i < len(v); i++ {
		dst[i] = (v[i] - x0*lambda[i]) / l0
	}
	dst[0] = x0
	return checkOut(dst)
}

// Scaling returns the Nesterov–Todd scaling (Vandenberghe, "The CVXOPT
// linear and quadratic cone program solvers", 2010, §4, written for
// W s = W⁻ᵀ z): with J = diag(1, −I), s̄ = s/√(sᵀJs), z̄ = z/√(zᵀJz),
// γ = √((1 + s̄ᵀz̄)/2), w̄ = (z̄ + Js̄)/(2γ) (so that
// (2w̄w̄ᵀ − J)s̄ = z̄), its Jordan square root v = (w̄ + e)/√(2(w̄₀ + 1))
// and η = (zᵀJz/sᵀJs)^{1/4},
//
//	W = η(2vvᵀ − J),  W⁻¹ = (2Jvvᵀ J − J)/η,
//
// both symmetric.
func (k SecondOrder) Scaling(s, z []float64) (Scaling, error) {
	if err := k.check(nil, s, z); err != nil {
		return nil, err
	}
	if err := k.interior(s, z); err != nil {
		return nil, err
	}
	n := len(s)
	ds, _ := socDet(s)
	dz, _ := socDet(z)
	rs, rz := math.Sqrt(ds), math.Sqrt(dz)
	sb := make([]float64, n)
	zb := make([]float64, n)
	for i := range s {
		sb[i] = s[i] / rs
		zb[i] = z[i] / rz
	}
	gamma := math.Sqrt((1 + dot(sb, zb)) / 2)
	w := make([]float64, n)
	w[0] = (zb[0] + sb[0]) / (2 * gamma)
	for i := 1; i < n; i++ {
		w[i] = (zb[i] - sb[i]) / (2 * gamma)
	}
	// w̄ (w̄ᵀJw̄ = 1) is the scaling point of the normalized pair:
	// P(w̄)s̄ = z̄ with P(x) = 2xxᵀ − (xᵀJx)J. W is P(w̄)^{1/2} = P(v) with
	// the Jordan square root v = (w̄ + e)/√(2(w̄₀ + 1)), vᵀJv = 1.
	c := 1 / math.Sqrt(2*(w[0]+1))
	w[0] = (w[0] + 1) * c
	for i := 1; i < n; i++ {
		w[i] *= c
	}
	eta := math.Sqrt(rz / rs)
	sc := &socScaling{w: w, eta: eta}
	sc.lam = make([]float64, n)
	sc.Apply(sc.lam, s)
	if err := checkOut(w, sc.lam); err != nil || math.IsInf(eta, 0) || eta == 0 {
		return nil, checkOut([]float64{math.Inf(1)})
	}
	return sc, nil
}

type socScaling struct {
	w   []float64
	eta float64
	lam []float64
}

func (s *socScaling) Dim() int          { return len(s.w) }
func (s *socScaling) Lambda() []float64 { return s.lam }

// Apply: W v = η(2w̄(w̄ᵀv) − Jv).
func (s *socScaling) Apply(dst, v []float64) {
	c := 2 * dot(s.w, v)
	dst[0] = s.eta * (c*s.w[0] - v[0])
	for i := 1; i < len(v); i++ {
		dst[i] = s.eta * (c*s.w[i] + v[i])
	}
}
func (s *socScaling) ApplyT(dst, v []float64) { s.Apply(dst, v) }

// ApplyInv: W⁻¹ v = (2Jw̄(w̄ᵀJv) − Jv)/η.
func (s *socScaling) ApplyInv(dst, v []float64) {
	c := s.w[0] * v[0]
	for i := 1; i < len(v); i++ {
		c -= s.w[i] * v[i]
	}
	c *= 2
	dst[0] = (c*s.w[0] - v[0]) / s.eta
	for i := 1; i < len(v); i++ {
		dst[i] = (-c*s.w[i] + v[i]) / s.eta
	}
}
func (s *socScaling) ApplyInvT(dst, v []float64) { s.ApplyInv(dst, v) }

// SOCExpansion returns, for the scaling of a SecondOrder cone, the
// diagonal-plus-rank-two form
//
//	WᵀW = η²(I + ppᵀ − qqᵀ),
//
// which lets a sparse KKT system carry a large second-order block as
// η²I plus two extra rows and columns instead of a dense block (the idea
// of ECOS: Domahidi, Chu & Boyd, ECC 2013). With W = η(2vvᵀ − J),
// WᵀW = η²(I + B C Bᵀ) for B = [v, Jv] and C = [4‖v‖², −2; −2, 0], whose
// eigenvalues 2‖v‖² ± 2√(‖v‖⁴ + 1) have opposite signs; p and q are B
// times the eigenvectors scaled by the square roots of their magnitudes.
// ok is false for a Scaling that does not come from SecondOrder.Scaling.
func SOCExpansion(sc Scaling) (eta2 float64, p, q []float64, ok bool) {
	s, ok := sc.(*socScaling)
	if !ok {
		return 0, nil, nil, false
	}
	n := len(s.w)
	c := dot(s.w, s.w)
	r := math.Hypot(c, 1)
	lp, lm := 2*c+2*r, 2*c-2*r // lm < 0
	// Eigenvectors (2, 4c − λ), normalized.
	vec := func(l float64) (float64, float64) {
		a, b := 2.0, 4*c-l
		h := math.Hypot(a, b)
		return a / h, b / h
	}
	p, q = make([]float64, n), make([]float64, n)
	pa, pb := vec(lp)
	qa, qb := vec(lm)
	sp, sq := math.Sqrt(lp), math.Sqrt(-lm)
	for i := range n {
		jw := -s.w[i]
		if i == 0 {
			jw = s.w[0]
		}
		p[i] = sp * (pa*s.w[i] + pb*jw)
		q[i] = sq * (qa*s.w[i] + qb*jw)
	}
	return s.eta * s.eta, p, q, true
}
