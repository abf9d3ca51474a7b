package cone

import (
	"math"

	"github.com/optlayers/optlayers/internal/dense"
)

// Exp is the exponential cone
//
//	K_exp = cl{(x, y, z) ∈ R³ : y > 0, y e^{x/y} ≤ z}
//	      = {y > 0, z > 0, x ≤ y log(z/y)} ∪ {(x, 0, z) : x ≤ 0, z ≥ 0},
//
// with the barrier f = −log(y log(z/y) − x) − log y − log z (ν = 3;
// Chares 2009, used by ECOS, Clarabel and Dahl & Andersen 2022). Its dual
// is ExpDual.
//
// Projection (Friberg 2021): v = (r₀, s₀, t₀) is its own projection when
// it lies in K; 0 when it lies in the polar K° = −K*; (r₀, 0, max(t₀, 0))
// when r₀ ≤ 0 and s₀ ≤ 0. Otherwise the projection lies on the smooth
// boundary, x = σ(ρ, 1, e^ρ) with σ > 0, and v − x = μ(e^ρ, (1−ρ)e^ρ, −1)
// (the normal there) with μ > 0. The two directions are orthogonal, so v
// lies in their span: ρ is the root of the univariate
//
//	h(ρ) = ((ρ−1)r₀ + s₀)e^ρ − (r₀ − ρs₀)e^{−ρ} − (ρ² − ρ + 1)t₀,
//
// bracketed by 1 − s₀/r₀ < ρ < r₀/s₀ (when r₀ > 0, s₀ > 0; expanded
// otherwise), then σ = ⟨v, a⟩/‖a‖², a = (ρ, 1, e^ρ). The result is
// compared with the closed-form candidates (the face {y = 0} and 0) and
// the nearest kept, as Friberg recommends.
//
// Derivative: in the first three cases DΠ is I, 0 and diag(1, 0,
// [t₀ > 0]). In the fourth, the implicit function theorem on
// v = σa(ρ) + μb(ρ) gives (dρ, dσ, dμ) = J⁻¹dv with
// J = [σa′ + μb′, a, b], and dx = a dσ + σa′ dρ. On the boundaries between
// the cases (v on ∂K, on ∂K°, on the face) the element of the case listed
// first is used.
type Exp struct{}

// ExpDual is the dual exponential cone
//
//	K*_exp = cl{(u, v, w) : u < 0, −u e^{v/u} ≤ e·w},
//
// the image of K_exp under the invertible map (u, v, w) ↦ (u − v, −u, w)
// (so its barrier is Exp's composed with it, ν = 3). Its projection is
// Moreau's Π_{K*}(v) = v + Π_K(−v), with derivative I − DΠ_K(−v).
type ExpDual struct{}

var (
	_ Cone = Exp{}
	_ Cone = ExpDual{}
)

func (Exp) Dim() int        { return 3 }
func (Exp) Degree() int     { return 3 }
func (Exp) Dual() Cone      { return ExpDual{} }
func (ExpDual) Dim() int    { return 3 }
func (ExpDual) Degree() int { return 3 }
func (ExpDual) Dual() Cone  { return Exp{} }

// inExp reports (x, y, z) ∈ K_exp (closed, exact arithmetic on the
// inequality).
func inExp(x, y, z float64) bool {
	if y > 0 && z > 0 {
		return x <= y*(dense.Log(z)-dense.Log(y)) || (y*math.Exp(x/y) <= z)
	}
	return y == 0 && x <= 0 && z >= 0
}

// inExpPolar reports (x, y, z) ∈ K° = −K*_exp: x > 0 and x e^{y/x} ≤ −e z,
// or x = 0, y ≤ 0, z ≤ 0.
func inExpPolar(x, y, z float64) bool {
	if x > 0 && z < 0 {
		return dense.Log(x)+y/x <= 1+dense.Log(-z)
	}
	return x == 0 && y <= 0 && z <= 0
}

const (
	expIn = iota
	expPolar
	expFace
	expRoot
)

// expHScaled returns g(ρ) = h(ρ)e^{−|ρ|} (same sign as h, no overflow)
// and its derivative g′ = (h′ ∓ h)e^{−|ρ|}; Newton on g, nearly linear
// for large |ρ|, does not crawl the way Newton on h does.
func expHScaled(r0, s0, t0, rho float64) (float64, float64) {
	q := rho*rho - rho + 1
	if rho >= 0 {
		e2, e1 := math.Exp(-2*rho), math.Exp(-rho)
		f := ((rho-1)*r0 + s0) - (r0-rho*s0)*e2 - q*t0*e1
		df := (rho*r0 + s0) + (r0-(rho-1)*s0)*e2 - (2*rho-1)*t0*e1
		return f, df - f
	}
	e2, e1 := math.Exp(2*rho), math.Exp(rho)
	f := ((rho-1)*r0+s0)*e2 - (r0 - rho*s0) - q*t0*e1
	df := (rho*r0+s0)*e2 + (r0 - (rho-1)*s0) - (2*rho-1)*t0*e1
	return f, df + f
}

// logMid is the bisection point of [lo, hi], geometric when the bracket
// spans orders of magnitude on one side of ±1 (the bracket may start
// as wide as ±1e100 or r₀/s₀ for a tiny s₀).
func logMid(lo, hi float64) float64 {
	switch {
	case lo < -1 && hi > 1:
		return 0
	case hi > 4*max(lo, 1):
		return math.Sqrt(max(lo, 1)) * math.Sqrt(hi)
	case lo < 4*min(hi, -1):
		return -math.Sqrt(-min(hi, -1)) * math.Sqrt(-lo)
	}
	return 0.5 * (lo + hi)
}

// expRootRho finds ρ with h(ρ) = 0 by safeguarded Newton on a bracket
// with h(lo) ≤ 0 ≤ h(hi).
func expRootRho(r0, s0, t0 float64) (float64, bool) {
	const lim = 1e100 // h is evaluated scaled by e^{−|ρ|}: no overflow
	// Friberg's base bounds where they exist; a missing end is found by
	// stepping outward from the other (or from 0) with doubling steps.
	lo, hi := math.NaN(), math.NaN()
	if r0 > 0 {
		lo = 1 - s0/r0
	}
	if s0 > 0 {
		hi = r0 / s0
	}
	lo, hi = max(lo, -lim), min(hi, lim) // s₀/r₀ may overflow (NaN stays NaN)
	if lo > hi {
		lo, hi = math.NaN(), math.NaN()
	}
	switch {
	case math.IsNaN(lo) && math.IsNaN(hi):
		lo, hi = -1, 1
	case math.IsNaN(lo):
		lo = hi - 1
	case math.IsNaN(hi):
		hi = lo + 1
	}
	h := func(r float64) float64 { f, _ := expHScaled(r0, s0, t0, r); return f }
	// Expand until the signs bracket a root.
	for w := 1.0; h(lo) > 0 && lo > -lim; w *= 2 {
		lo = max(-lim, lo-w)
	}
	for w := 1.0; h(hi) < 0 && hi < lim; w *= 2 {
		hi = min(lim, hi+w)
	}
	if h(lo) > 0 || h(hi) < 0 {
		return 0, false
	}
	// Newton steps where they shrink the bracket fast enough, bisection
	// otherwise (far from the root h grows like e^{|ρ|} and Newton
	// crawls).
	rho := logMid(lo, hi)
	step := hi - lo
	for range 300 {
		f, df := expHScaled(r0, s0, t0, rho)
		if f == 0 {
			return rho, true
		}
		if f < 0 {
			lo = rho
		} else {
			hi = rho
		}
		prev := step
		next := rho - f/df
		if df == 0 || !(next > lo && next < hi) || math.Abs(next-rho) > 0.5*prev {
			next = logMid(lo, hi)
		}
		step = math.Abs(next - rho)
		if hi-lo <= 4e-16*max(1, math.Abs(rho)) || (step <= 1e-15*max(1, math.Abs(rho)) && math.Abs(f) <= 1e-13*(1+math.Abs(df))) {
			return next, true
		}
		rho = next
	}
	return rho, false
}

// expProject projects v onto K_exp and reports the case and, in the root
// case, (ρ, σ, μ) for the normalized point v/scale.
type expProj struct {
	x             [3]float64
	kase          int
	rho, sig, mu  float64 // root case, for the normalized point
	r0, s0, t0, c float64 // normalized point and the scale
}

func expProject(v []float64) expProj {
	r0, s0, t0 := v[0], v[1], v[2]
	p := expProj{}
	switch {
	case inExp(r0, s0, t0):
		p.kase = expIn
		p.x = [3]float64{r0, s0, t0}
		return p
	case inExpPolar(r0, s0, t0):
		p.kase = expPolar
		return p
	case r0 <= 0 && s0 <= 0:
		p.kase = expFace
		p.x = [3]float64{r0, 0, max(t0, 0)}
		return p
	}
	c := scaleOf(v)
	r, s, t := r0/c, s0/c, t0/c
	p.r0, p.s0, p.t0, p.c = r, s, t, c
	// Candidates in K: the face projection and 0.
	best := [3]float64{min(r, 0), 0, max(t, 0)}
	dist := func(x [3]float64) float64 { return math.Hypot(math.Hypot(x[0]-r, x[1]-s), x[2]-t) }
	bestD := dist(best)
	if d0 := math.Hypot(math.Hypot(r, s), t); d0 < bestD {
		best, bestD = [3]float64{}, d0
	}
	p.kase = expFace
	if rho, ok := expRootRho(r, s, t); ok {
		// a = (ρ, 1, e^ρ), normalized to avoid overflow.
		a, b, _, _ := expForms(rho)
		va := r*a[0] + s*a[1] + t*a[2]
		aa := a[0]*a[0] + a[1]*a[1] + a[2]*a[2]
		if va > 0 {
			sig := va / aa
			x := [3]float64{sig * a[0], sig * a[1], sig * a[2]}
			if d := dist(x); d <= bestD {
				best, bestD = x, d
				p.kase = expRoot
				p.rho = rho
				vb := r*b[0] + s*b[1] + t*b[2]
				bb := b[0]*b[0] + b[1]*b[1] + b[2]*b[2]
				// σ and μ for the forms of a and b used (see expForms).
				p.sig, p.mu = sig, vb/bb
			}
		}
	}
	if p.kase == expFace && best == ([3]float64{}) {
		p.kase = expPolar
	}
	p.x = [3]float64{best[0] * c, best[1] * c, best[2] * c}
	return p
}

// expForms returns the boundary ray a(ρ) = (ρ, 1, e^ρ) and the normal
// b(ρ) = (e^ρ, (1−ρ)e^ρ, −1), both multiplied by e^{−ρ} when ρ ≥ 0 (so
// that nothing overflows for any ρ), with their derivatives in ρ.
func expForms(rho float64) (a, b, da, db [3]float64) {
	if rho >= 0 {
		e := math.Exp(-rho)
		a = [3]float64{rho * e, e, 1}
		da = [3]float64{(1 - rho) * e, -e, 0}
		b = [3]float64{1, 1 - rho, -e}
		db = [3]float64{0, -1, e}
		return
	}
	e := math.Exp(rho)
	a = [3]float64{rho, 1, e}
	da = [3]float64{1, 0, e}
	b = [3]float64{e, (1 - rho) * e, -1}
	db = [3]float64{e, -rho * e, 0}
	return
}

// jacobian returns DΠ at the projected point.
func (p expProj) jacobian() [3][3]float64 {
	var d [3][3]float64
	switch p.kase {
	case expIn:
		d[0][0], d[1][1], d[2][2] = 1, 1, 1
	case expPolar:
	case expFace:
		if p.x[0] < 0 || p.c == 0 {
			d[0][0] = 1
		}
		if p.x[2] > 0 {
			d[2][2] = 1
		}
	case expRoot:
		rho, sig, mu := p.rho, p.sig, p.mu
		a, b, da, db := expForms(rho)
		// Columns scaled for conditioning: unknowns (dρ, dσ·‖a‖, dμ·‖b‖).
		na, nb := nrm2(a[:]), nrm2(b[:])
		var j [3][3]float64
		for i := range 3 {
			j[i][0] = sig*da[i] + mu*db[i]
			j[i][1] = a[i] / na
			j[i][2] = b[i] / nb
		}
		for col := range 3 {
			var rhs [3]float64
			rhs[col] = 1
			u, ok := solve3(j, rhs)
			if !ok {
				d[0][0], d[1][1], d[2][2] = math.NaN(), math.NaN(), math.NaN()
				return d
			}
			for i := range 3 {
				d[i][col] = a[i]/na*u[1] + sig*da[i]*u[0]
			}
		}
	}
	return d
}

// Project sets dst to Π_{K_exp}(y) (see Exp).
func (Exp) Project(dst, y []float64) error {
	if err := check3("exp", dst, y); err != nil {
		return err
	}
	p := expProject(y)
	copy(dst, p.x[:])
	return checkOut(dst)
}

func (Exp) jvp(dst, y, v []float64, transpose bool) error {
	d := expProject(y).jacobian()
	apply3(dst, d, v, transpose)
	return checkOut(dst)
}

// JVP sets dst to DΠ(y) v.
func (k Exp) JVP(dst, x, y, v []float64) error {
	if err := check3("exp", dst, x, y, v); err != nil {
		return err
	}
	return k.jvp(dst, y, v, false)
}

// VJP sets dst to DΠ(y)ᵀ u.
func (k Exp) VJP(dst, x, y, u []float64) error {
	if err := check3("exp", dst, x, y, u); err != nil {
		return err
	}
	return k.jvp(dst, y, u, true)
}

func (k Exp) Dist(y []float64) (float64, error) {
	if err := check3("exp", nil, y); err != nil {
		return 0, err
	}
	return distVia(k, y)
}

func (k Exp) Contains(y []float64, tol float64) (bool, error) { return containsVia(k, y, tol) }

type expBarrier struct{}

func (expBarrier) inInterior(s []float64) bool {
	x, y, z := s[0], s[1], s[2]
	return y > 0 && z > 0 && y*(dense.Log(z)-dense.Log(y))-x > 0
}

func (expBarrier) eval(s []float64) (float64, [3]float64, [3][3]float64) {
	x, y, z := s[0], s[1], s[2]
	l := dense.Log(z) - dense.Log(y)
	psi := y*l - x
	gp := [3]float64{-1, l - 1, y / z}
	f := -dense.Log(psi) - dense.Log(y) - dense.Log(z)
	var g [3]float64
	for i := range 3 {
		g[i] = -gp[i] / psi
	}
	g[1] -= 1 / y
	g[2] -= 1 / z
	var hp [3][3]float64 // ∇²ψ
	hp[1][1] = -1 / y
	hp[1][2], hp[2][1] = 1/z, 1/z
	hp[2][2] = -y / (z * z)
	var h [3][3]float64
	for i := range 3 {
		for j := range 3 {
			h[i][j] = gp[i]*gp[j]/(psi*psi) - hp[i][j]/psi
		}
	}
	h[1][1] += 1 / (y * y)
	h[2][2] += 1 / (z * z)
	return f, g, h
}

var expCentral = centralPoint(expBarrier{}, [3]float64{-1.05, 0.556, 1.26})

// Identity sets dst to the central point e = −∇f(e) ≈ (−0.8278, 0.8051,
// 1.2909) of the Chares barrier. (ExpDual's Identity, ≈ (−1.0514, 0.5564,
// 1.2590), is the central point of the dual barrier, e = −∇f_{K*}(e);
// it lies in both cones, and Solve starts its Exp blocks there, the
// central pair of the barriers it uses.)
func (Exp) Identity(dst []float64) error {
	if err := check3("exp", dst); err != nil {
		return err
	}
	copy(dst, expCentral[:])
	return nil
}

func (Exp) Barrier(s []float64) (float64, error) {
	if err := check3("exp", nil, s); err != nil {
		return 0, err
	}
	return barrierValue(expBarrier{}, "exponential", s)
}

func (Exp) BarrierGrad(dst, s []float64) error {
	if err := check3("exp", dst, s); err != nil {
		return err
	}
	return barrierGrad(expBarrier{}, "exponential", dst, s)
}

func (Exp) BarrierHess(dst, s, v []float64) error {
	if err := check3("exp", dst, s, v); err != nil {
		return err
	}
	return barrierHess(expBarrier{}, "exponential", dst, s, v)
}

// MaxStep finds the boundary by bisection on the closed-form membership
// test (the feasible steps form an interval: K is convex).
func (Exp) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := check3("exp", nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	if !(expBarrier{}).inInterior(s) {
		return 0, outOfInterior("exponential")
	}
	return maxStepConvex(func(p []float64) bool { return inExp(p[0], p[1], p[2]) }, s, ds, limit), nil
}

// Scaling returns the non-symmetric primal-dual scaling (see the package
// documentation) for s ∈ int K_exp, z ∈ int K*_exp.
func (k Exp) Scaling(s, z []float64) (Scaling, error) {
	if err := check3("exp", nil, s, z); err != nil {
		return nil, err
	}
	if !(expBarrier{}).inInterior(s) || !(expDualBarrier{}).inInterior(z) {
		return nil, outOfInterior("exponential")
	}
	return nonsymScaling(k, s, z)
}

// ---- ExpDual ----

// expDualMap is M(u, v, w) = (u − v, −u, w), K*_exp = M⁻¹K_exp.
func expDualMap(s []float64) []float64 { return []float64{s[0] - s[1], -s[0], s[2]} }

var expDualM = [3][3]float64{{1, -1, 0}, {-1, 0, 0}, {0, 0, 1}}

type expDualBarrier struct{}

func (expDualBarrier) inInterior(s []float64) bool {
	return expBarrier{}.inInterior(expDualMap(s))
}

func (expDualBarrier) eval(s []float64) (float64, [3]float64, [3][3]float64) {
	f, g, h := expBarrier{}.eval(expDualMap(s))
	var gg [3]float64
	apply3(gg[:], expDualM, g[:], true)
	var hh [3][3]float64 // Mᵀ H M
	m := expDualM
	for i := range 3 {
		for j := range 3 {
			for a := range 3 {
				for b := range 3 {
					hh[i][j] += m[a][i] * h[a][b] * m[b][j]
				}
			}
		}
	}
	return f, gg, hh
}

var expDualCentral = centralPoint(expDualBarrier{}, [3]float64{-0.6, 0.5, 1.2})

// Project sets dst to Π_{K*}(y) = y + Π_{K_exp}(−y).
func (ExpDual) Project(dst, y []float64) error {
	if err := check3("exp dual", dst, y); err != nil {
		return err
	}
	return dualProject(Exp{}, dst, y)
}

// JVP sets dst to v − DΠ_{K_exp}(−y) v.
func (ExpDual) JVP(dst, x, y, v []float64) error {
	if err := check3("exp dual", dst, x, y, v); err != nil {
		return err
	}
	return dualJVP(Exp{}, false, dst, y, v)
}

// VJP sets dst to u − DΠ_{K_exp}(−y)ᵀ u.
func (ExpDual) VJP(dst, x, y, u []float64) error {
	if err := check3("exp dual", dst, x, y, u); err != nil {
		return err
	}
	return dualJVP(Exp{}, true, dst, y, u)
}

func (k ExpDual) Dist(y []float64) (float64, error) {
	if err := check3("exp dual", nil, y); err != nil {
		return 0, err
	}
	return distVia(k, y)
}

func (k ExpDual) Contains(y []float64, tol float64) (bool, error) {
	return containsVia(k, y, tol)
}

// Identity sets dst to the central point e = −∇f(e) of the dual barrier.
func (ExpDual) Identity(dst []float64) error {
	if err := check3("exp dual", dst); err != nil {
		return err
	}
	copy(dst, expDualCentral[:])
	return nil
}

func (ExpDual) Barrier(s []float64) (float64, error) {
	if err := check3("exp dual", nil, s); err != nil {
		return 0, err
	}
	return barrierValue(expDualBarrier{}, "dual exponential", s)
}

func (ExpDual) BarrierGrad(dst, s []float64) error {
	if err := check3("exp dual", dst, s); err != nil {
		return err
	}
	return barrierGrad(expDualBarrier{}, "dual exponential", dst, s)
}

func (ExpDual) BarrierHess(dst, s, v []float64) error {
	if err := check3("exp dual", dst, s, v); err != nil {
		return err
	}
	return barrierHess(expDualBarrier{}, "dual exponential", dst, s, v)
}

func (ExpDual) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := check3("exp dual", nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	if !(expDualBarrier{}).inInterior(s) {
		return 0, outOfInterior("dual exponential")
	}
	return maxStepConvex(func(p []float64) bool {
		q := expDualMap(p)
		return inExp(q[0], q[1], q[2])
	}, s, ds, limit), nil
}

func (k ExpDual) Scaling(s, z []float64) (Scaling, error) {
	if err := check3("exp dual", nil, s, z); err != nil {
		return nil, err
	}
	if !(expDualBarrier{}).inInterior(s) || !(expBarrier{}).inInterior(z) {
		return nil, outOfInterior("dual exponential")
	}
	return nonsymScaling(k, s, z)
}
