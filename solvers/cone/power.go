package cone

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/internal/dense"
)

// Power is the 3-d power cone with parameter α ∈ (0, 1),
//
//	K_α = {(x, y, z) ∈ R³ : x ≥ 0, y ≥ 0, x^α y^{1−α} ≥ |z|},
//
// with the barrier f = −log(x^{2α}y^{2(1−α)} − z²) − (1−α) log x − α log y
// (ν = 3; Chares 2009, as in Clarabel) and central point
// e = (√(1+α), √(2−α), 0). Its dual is PowerDual{α}.
//
// Projection (Hien 2015, Proposition 3.1): v = (x₀, y₀, z₀) is its own
// projection in K, 0 in the polar −K*, (x₀⁺, y₀⁺, 0) when z₀ = 0.
// Otherwise the projection is (x(r), y(r), sign(z₀) r) with r ∈ (0, |z₀|)
// the unique root of x(r)^α y(r)^{1−α} = r, where
//
//	x(r) = ½(x₀ + √(x₀² + 4αr(|z₀| − r))),  y(r) = ½(y₀ + √(y₀² + 4(1−α)r(|z₀| − r)))
//
// come from the stationarity conditions with multiplier μ = |z₀| − r
// (the unknown solved for when the root is near |z₀|). Its
// derivative is the implicit function theorem on that root condition,
// G(r; v) = α log x(r) + (1−α) log y(r) − log r = 0:
// dr = −∂ᵥG dv/∂ᵣG, dx = ∂ᵥx dv + ∂ᵣx dr, dy likewise, dz = sign(z₀) dr.
// On the case boundaries the first case's element is used; at z₀ = 0 the
// element diag([x₀ > 0], [y₀ > 0], [x₀ > 0 and y₀ > 0]); where μ
// or r underflows (α or 1 − α near 1e-3 or below) the projection is
// (x₀⁺, y₀⁺, z₀) or (x₀⁺, y₀⁺, 0) to working precision and its
// derivative diag([x₀ > 0], [y₀ > 0], 1) or diag([x₀ > 0], [y₀ > 0], 0).
type Power struct{ Alpha float64 }

// PowerDual is the dual power cone
//
//	K*_α = {(u, v, w) : u ≥ 0, v ≥ 0, (u/α)^α (v/(1−α))^{1−α} ≥ |w|},
//
// the image of K_α under diag(α, 1−α, 1)⁻¹; its barrier is Power's
// composed with that map, its projection Moreau's v + Π_{K_α}(−v).
type PowerDual struct{ Alpha float64 }

var (
	_ Cone = Power{}
	_ Cone = PowerDual{}
)

func checkAlpha(a float64) error {
	if math.IsNaN(a) || math.IsInf(a, 0) {
		return fmt.Errorf("%w: power cone α = %v", ErrNaN, a)
	}
	if !(a > 0 && a < 1) {
		return fmt.Errorf("%w: power cone α = %v outside (0, 1)", ErrInvalid, a)
	}
	return nil
}

func (Power) Dim() int            { return 3 }
func (Power) Degree() int         { return 3 }
func (k Power) Dual() Cone        { return PowerDual(k) }
func (PowerDual) Dim() int        { return 3 }
func (PowerDual) Degree() int     { return 3 }
func (k PowerDual) Dual() Cone    { return Power(k) }
func (k Power) name() string      { return fmt.Sprintf("power(%g)", k.Alpha) }
func (k PowerDual) name() string  { return fmt.Sprintf("dual power(%g)", k.Alpha) }
func (k Power) barrier() barrier3 { return powBarrier{k.Alpha} }
func (k PowerDual) barrier() barrier3 {
	return powDualBarrier{k.Alpha}
}

func (k Power) check(dst []float64, vs ...[]float64) error {
	if err := checkAlpha(k.Alpha); err != nil {
		return err
	}
	return check3(k.name(), dst, vs...)
}

func (k PowerDual) check(dst []float64, vs ...[]float64) error {
	if err := checkAlpha(k.Alpha); err != nil {
		return err
	}
	return check3(k.name(), dst, vs...)
}

// inPow reports (x, y, z) ∈ K_α.
func inPow(a, x, y, z float64) bool {
	if x < 0 || y < 0 {
		return false
	}
	if z == 0 {
		return true
	}
	if x == 0 || y == 0 {
		return false
	}
	return a*dense.Log(x)+(1-a)*dense.Log(y) >= dense.Log(math.Abs(z))
}

const (
	powIn = iota
	powPolar
	powZ0
	powRoot
)

type powProj struct {
	x    [3]float64
	kase int
	// root case: normalized point (x₀, y₀, |z₀|) and r
	x0, y0, z0, r, mu float64 // μ = z₀ − r, kept to full precision
	sign              float64
}

// halfRoot returns ½(a + √(a² + c)) for c ≥ 0 without cancellation.
func halfRoot(a, c float64) (v, q float64) {
	q = math.Sqrt(a*a + c)
	if a >= 0 {
		return 0.5 * (a + q), q
	}
	if q+math.Abs(a) == 0 {
		return 0, q
	}
	return 0.5 * c / (q - a), q
}

func powProject(alpha float64, v []float64) powProj {
	x0, y0, z0 := v[0], v[1], v[2]
	var p powProj
	switch {
	case inPow(alpha, x0, y0, z0):
		p.kase = powIn
		p.x = [3]float64{x0, y0, z0}
		return p
	case inPow(alpha, -x0/alpha, -y0/(1-alpha), -z0):
		p.kase = powPolar
		return p
	case z0 == 0:
		p.kase = powZ0
		p.x = [3]float64{max(x0, 0), max(y0, 0), 0}
		return p
	}
	c := scaleOf(v)
	x, y, z := x0/c, y0/c, math.Abs(z0)/c
	sign := 1.0
	if z0 < 0 {
		sign = -1
	}
	// G(r) = α log x(r) + (1−α) log y(r) − log r is decreasing, > 0 near 0
	// and < 0 at z. The unknown is whichever of r and μ = z − r is below
	// z/2 at the root, so that it is found to full relative precision
	// even when tiny (near the edges x ≈ 0 or y ≈ 0 the root crowds z,
	// and x(r) depends on z − r, not on r).
	g := func(r, mu float64) (float64, float64) {
		m := r * mu
		xr, qx := halfRoot(x, 4*alpha*m)
		yr, qy := halfRoot(y, 4*(1-alpha)*m)
		gv := alpha*dense.Log(xr) + (1-alpha)*dense.Log(yr) - dense.Log(r)
		dx := alpha * (mu - r) / qx
		dy := (1 - alpha) * (mu - r) / qy
		return gv, alpha*dx/xr + (1-alpha)*dy/yr - 1/r
	}
	gh, _ := g(z/2, z/2)
	small := gh > 0 // the root is in (z/2, z): solve for μ
	at := func(u float64) (r, mu, gv, dg float64) {
		if small {
			r, mu = z-u, u
		} else {
			r, mu = u, z-u
		}
		gv, dg = g(r, mu)
		if small {
			// G(r) is increasing in μ = z − r: −G(z − u) is decreasing in
			// u, with derivative G′(r).
			gv = -gv
		}
		return
	}
	// G(u) decreasing on (0, z/2]: > 0 below the root.
	lo, hi := 0.0, z/2
	u := z / 4
	step := hi
	for range 400 {
		_, _, gv, dg := at(u)
		if math.Abs(gv) <= 1e-15 {
			break // G is in log units: u is accurate to ~1e-15/min(α, 1−α)
		}
		if gv > 0 || math.IsInf(gv, 1) {
			lo = u
		} else {
			hi = u
		}
		prev := step
		// Newton in log u (G is close to linear in log u for a tiny root).
		next := u * math.Exp(max(-50, min(50, -gv/(u*dg))))
		if !(next > lo && next < hi) || math.Abs(next-u) > 0.5*prev {
			switch {
			case lo == 0:
				next = u / 16
			case hi > 4*lo:
				next = math.Sqrt(lo) * math.Sqrt(hi) // log-scale bisection
			default:
				next = 0.5 * (lo + hi)
			}
		}
		step = math.Abs(next - u)
		if hi-lo <= 4e-16*hi || step <= 4e-16*u {
			u = next
			break
		}
		u = next
	}
	r, mu, _, _ := at(u)
	m := r * mu
	xr, _ := halfRoot(x, 4*alpha*m)
	yr, _ := halfRoot(y, 4*(1-alpha)*m)
	p.kase = powRoot
	p.x0, p.y0, p.z0, p.r, p.mu, p.sign = x, y, z, r, mu, sign
	p.x = [3]float64{xr * c, yr * c, sign * r * c}
	return p
}

func (p powProj) jacobian(alpha float64) [3][3]float64 {
	var d [3][3]float64
	switch p.kase {
	case powIn:
		d[0][0], d[1][1], d[2][2] = 1, 1, 1
	case powPolar:
	case powZ0:
		if p.x[0] > 0 {
			d[0][0] = 1
		}
		if p.x[1] > 0 {
			d[1][1] = 1
		}
		if p.x[0] > 0 && p.x[1] > 0 {
			d[2][2] = 1
		}
	case powRoot:
		x0, y0, r := p.x0, p.y0, p.r
		m := r * p.mu
		xr, qx := halfRoot(x0, 4*alpha*m)
		yr, qy := halfRoot(y0, 4*(1-alpha)*m)
		if tiny := 0x1p-1022; xr < tiny || yr < tiny || p.mu < tiny || r < tiny {
			// r or μ underflowed (α or 1 − α tiny) to zero or to a
			// subnormal number (of the normalized point, whose largest
			// entry is 1): Π is (x₀⁺, y₀⁺, z₀) (μ ≈ 0) or (x₀⁺, y₀⁺, 0)
			// (r ≈ 0) to working precision, and so is its derivative (the
			// formulas below would divide by the subnormal).
			d[0][0] = b2f(x0 > 0)
			d[1][1] = b2f(y0 > 0)
			d[2][2] = b2f(r > p.mu)
			return d
		}
		// Partial derivatives of x(r; x₀, z) and y(r; y₀, z).
		// ∂x/∂x₀ = ½(1 + x₀/q), ∂x/∂z = αr/q, ∂x/∂r = α(z − 2r)/q
		// (z − 2r = μ − r).
		xx0 := 0.5 * (1 + x0/qx)
		xz := alpha * r / qx
		xr_ := alpha * (p.mu - r) / qx
		yy0 := 0.5 * (1 + y0/qy)
		yz := (1 - alpha) * r / qy
		yr_ := (1 - alpha) * (p.mu - r) / qy
		gr := alpha*xr_/xr + (1-alpha)*yr_/yr - 1/r
		gx0 := alpha * xx0 / xr
		gy0 := (1 - alpha) * yy0 / yr
		gz := alpha*xz/xr + (1-alpha)*yz/yr
		// dr/d(x₀, y₀, z) with z = |z₀|.
		drx, dry, drz := -gx0/gr, -gy0/gr, -gz/gr
		s := p.sign
		// Columns: d/dx₀, d/dy₀, d/dz₀ (dz = s·dz₀ for z = |z₀|).
		d[0] = [3]float64{xx0 + xr_*drx, xr_ * dry, (xz + xr_*drz) * s}
		d[1] = [3]float64{yr_ * drx, yy0 + yr_*dry, (yz + yr_*drz) * s}
		d[2] = [3]float64{s * drx, s * dry, drz}
	}
	return d
}

// Project sets dst to Π_{K_α}(y) (see Power).
func (k Power) Project(dst, y []float64) error {
	if err := k.check(dst, y); err != nil {
		return err
	}
	p := powProject(k.Alpha, y)
	copy(dst, p.x[:])
	return checkOut(dst)
}

// JVP sets dst to DΠ(y) v.
func (k Power) JVP(dst, x, y, v []float64) error {
	if err := k.check(dst, x, y, v); err != nil {
		return err
	}
	apply3(dst, powProject(k.Alpha, y).jacobian(k.Alpha), v, false)
	return checkOut(dst)
}

// VJP sets dst to DΠ(y)ᵀ u.
func (k Power) VJP(dst, x, y, u []float64) error {
	if err := k.check(dst, x, y, u); err != nil {
		return err
	}
	apply3(dst, powProject(k.Alpha, y).jacobian(k.Alpha), u, true)
	return checkOut(dst)
}

func (k Power) Dist(y []float64) (float64, error) {
	if err := k.check(nil, y); err != nil {
		return 0, err
	}
	return distVia(k, y)
}

func (k Power) Contains(y []float64, tol float64) (bool, error) { return containsVia(k, y, tol) }

// Identity sets dst to (√(1+α), √(2−α), 0).
func (k Power) Identity(dst []float64) error {
	if err := k.check(dst); err != nil {
		return err
	}
	dst[0], dst[1], dst[2] = math.Sqrt(1+k.Alpha), math.Sqrt(2-k.Alpha), 0
	return nil
}

func (k Power) Barrier(s []float64) (float64, error) {
	if err := k.check(nil, s); err != nil {
		return 0, err
	}
	return barrierValue(k.barrier(), k.name(), s)
}

func (k Power) BarrierGrad(dst, s []float64) error {
	if err := k.check(dst, s); err != nil {
		return err
	}
	return barrierGrad(k.barrier(), k.name(), dst, s)
}

func (k Power) BarrierHess(dst, s, v []float64) error {
	if err := k.check(dst, s, v); err != nil {
		return err
	}
	return barrierHess(k.barrier(), k.name(), dst, s, v)
}

// MaxStep finds the boundary by bisection on the closed-form membership
// test.
func (k Power) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := k.check(nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	if !k.barrier().inInterior(s) {
		return 0, outOfInterior(k.name())
	}
	a := k.Alpha
	return maxStepConvex(func(p []float64) bool { return inPow(a, p[0], p[1], p[2]) }, s, ds, limit), nil
}

func (k Power) Scaling(s, z []float64) (Scaling, error) {
	if err := k.check(nil, s, z); err != nil {
		return nil, err
	}
	if !k.barrier().inInterior(s) || !(powDualBarrier{k.Alpha}).inInterior(z) {
		return nil, outOfInterior(k.name())
	}
	return nonsymScaling(k, s, z)
}

type powBarrier struct{ a float64 }

func (b powBarrier) inInterior(s []float64) bool {
	x, y, z := s[0], s[1], s[2]
	if !(x > 0 && y > 0) {
		return false
	}
	return b.a*dense.Log(x)+(1-b.a)*dense.Log(y) > dense.Log(math.Abs(z))
}

func (b powBarrier) eval(s []float64) (float64, [3]float64, [3][3]float64) {
	a := b.a
	x, y, z := s[0], s[1], s[2]
	p2 := math.Exp(2*a*dense.Log(x) + 2*(1-a)*dense.Log(y)) // x^{2α} y^{2(1−α)}
	phi := p2 - z*z
	f := -dense.Log(phi) - (1-a)*dense.Log(x) - a*dense.Log(y)
	gp := [3]float64{2 * a * p2 / x, 2 * (1 - a) * p2 / y, -2 * z}
	var hp [3][3]float64
	hp[0][0] = 2 * a * (2*a - 1) * p2 / (x * x)
	hp[0][1] = 4 * a * (1 - a) * p2 / (x * y)
	hp[1][0] = hp[0][1]
	hp[1][1] = 2 * (1 - a) * (1 - 2*a) * p2 / (y * y)
	hp[2][2] = -2
	var g [3]float64
	var h [3][3]float64
	for i := range 3 {
		g[i] = -gp[i] / phi
		for j := range 3 {
			h[i][j] = gp[i]*gp[j]/(phi*phi) - hp[i][j]/phi
		}
	}
	g[0] -= (1 - a) / x
	g[1] -= a / y
	h[0][0] += (1 - a) / (x * x)
	h[1][1] += a / (y * y)
	return f, g, h
}

// powDualBarrier is f(Ds), D = diag(1/α, 1/(1−α), 1).
type powDualBarrier struct{ a float64 }

func (b powDualBarrier) d() [3]float64 { return [3]float64{1 / b.a, 1 / (1 - b.a), 1} }

func (b powDualBarrier) mapped(s []float64) []float64 {
	d := b.d()
	return []float64{s[0] * d[0], s[1] * d[1], s[2] * d[2]}
}

func (b powDualBarrier) inInterior(s []float64) bool {
	return powBarrier(b).inInterior(b.mapped(s))
}

func (b powDualBarrier) eval(s []float64) (float64, [3]float64, [3][3]float64) {
	f, g, h := powBarrier(b).eval(b.mapped(s))
	d := b.d()
	for i := range 3 {
		g[i] *= d[i]
		for j := range 3 {
			h[i][j] *= d[i] * d[j]
		}
	}
	return f, g, h
}

// Project sets dst to Π_{K*}(y) = y + Π_{K_α}(−y).
func (k PowerDual) Project(dst, y []float64) error {
	if err := k.check(dst, y); err != nil {
		return err
	}
	return dualProject(Power(k), dst, y)
}

// JVP sets dst to v − DΠ_{K_α}(−y) v.
func (k PowerDual) JVP(dst, x, y, v []float64) error {
	if err := k.check(dst, x, y, v); err != nil {
		return err
	}
	return dualJVP(Power(k), false, dst, y, v)
}

// VJP sets dst to u − DΠ_{K_α}(−y)ᵀ u.
func (k PowerDual) VJP(dst, x, y, u []float64) error {
	if err := k.check(dst, x, y, u); err != nil {
		return err
	}
	return dualJVP(Power(k), true, dst, y, u)
}

func (k PowerDual) Dist(y []float64) (float64, error) {
	if err := k.check(nil, y); err != nil {
		return 0, err
	}
	return distVia(k, y)
}

func (k PowerDual) Contains(y []float64, tol float64) (bool, error) {
	return containsVia(k, y, tol)
}

// Identity sets dst to the central point e = −∇f(e) of the dual barrier.
func (k PowerDual) Identity(dst []float64) error {
	if err := k.check(dst); err != nil {
		return err
	}
	// f*(s) = f(Ds): with e = D⁻¹ê and the primal's identity ê, −∇f*(e)
	// = −D∇f(ê) = Dê, so e = −∇f*(e) needs D⁻¹ê = Dê only for α = ½;
	// compute it by Newton from D⁻¹ê.
	a := k.Alpha
	x0 := [3]float64{a * math.Sqrt(1+a) * math.Sqrt(2), (1 - a) * math.Sqrt(2-a) * math.Sqrt(2), 0}
	e := centralPoint(k.barrier(), x0)
	copy(dst, e[:])
	return nil
}

func (k PowerDual) Barrier(s []float64) (float64, error) {
	if err := k.check(nil, s); err != nil {
		return 0, err
	}
	return barrierValue(k.barrier(), k.name(), s)
}

func (k PowerDual) BarrierGrad(dst, s []float64) error {
	if err := k.check(dst, s); err != nil {
		return err
	}
	return barrierGrad(k.barrier(), k.name(), dst, s)
}

func (k PowerDual) BarrierHess(dst, s, v []float64) error {
	if err := k.check(dst, s, v); err != nil {
		return err
	}
	return barrierHess(k.barrier(), k.name(), dst, s, v)
}

func (k PowerDual) MaxStep(s, ds []float64, limit float64) (float64, error) {
	if err := k.check(nil, s, ds); err != nil {
		return 0, err
	}
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	if !k.barrier().inInterior(s) {
		return 0, outOfInterior(k.name())
	}
	a := k.Alpha
	return maxStepConvex(func(p []float64) bool { return inPow(a, p[0]/a, p[1]/(1-a), p[2]) }, s, ds, limit), nil
}

func (k PowerDual) Scaling(s, z []float64) (Scaling, error) {
	if err := k.check(nil, s, z); err != nil {
		return nil, err
	}
	if !k.barrier().inInterior(s) || !(powBarrier{k.Alpha}).inInterior(z) {
		return nil, outOfInterior(k.name())
	}
	return nonsymScaling(k, s, z)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
