package cone

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/dense"
)

// barrier3 is the barrier of a 3-d non-symmetric cone in closed form:
// ok reports s in the interior; f, g, h are f(s), ∇f(s), ∇²f(s).
type barrier3 interface {
	inInterior(s []float64) bool
	eval(s []float64) (f float64, g [3]float64, h [3][3]float64)
}

func barrierValue(b barrier3, name string, s []float64) (float64, error) {
	if !b.inInterior(s) {
		return 0, outOfInterior(name)
	}
	f, _, _ := b.eval(s)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, outOfInterior(name)
	}
	return f, nil
}

func barrierGrad(b barrier3, name string, dst, s []float64) error {
	if !b.inInterior(s) {
		return outOfInterior(name)
	}
	_, g, _ := b.eval(s)
	copy(dst, g[:])
	return checkOut(dst)
}

func barrierHess(b barrier3, name string, dst, s, v []float64) error {
	if !b.inInterior(s) {
		return outOfInterior(name)
	}
	_, _, h := b.eval(s)
	var r [3]float64
	for i := range 3 {
		r[i] = h[i][0]*v[0] + h[i][1]*v[1] + h[i][2]*v[2]
	}
	copy(dst, r[:])
	return checkOut(dst)
}

// centralPoint returns the e with e = −∇f(e), the minimizer of
// ½‖x‖² + f(x), by damped Newton from x0.
func centralPoint(b barrier3, x0 [3]float64) [3]float64 {
	x := x0
	for range 100 {
		_, g, h := b.eval(x[:])
		var r [3]float64
		for i := range 3 {
			r[i] = x[i] + g[i]
			h[i][i]++
		}
		hm := mat.NewDense(3, 3, []float64{h[0][0], h[0][1], h[0][2], h[1][0], h[1][1], h[1][2], h[2][0], h[2][1], h[2][2]})
		var dx mat.VecDense
		if err := dx.SolveVec(hm, mat.NewVecDense(3, r[:])); err != nil {
			return x
		}
		delta := math.Sqrt(math.Max(0, dot(r[:], dx.RawVector().Data)))
		step := 1.0
		if delta > 0.25 {
			step = 1 / (1 + delta)
		}
		var xn [3]float64
		for i := range 3 {
			xn[i] = x[i] - step*dx.AtVec(i)
		}
		if !b.inInterior(xn[:]) {
			return x
		}
		x = xn
		if delta < 1e-15 {
			break
		}
	}
	return x
}

// maxStepConvex returns the largest α ∈ [0, limit] with s + αds ∈ K for a
// closed convex K given by its membership test, s ∈ int K: the feasible
// steps form an interval [0, α*]; α* is bracketed by halving from limit
// and located by bisection to a relative 1e-15.
func maxStepConvex(in func(p []float64) bool, s, ds []float64, limit float64) float64 {
	p := make([]float64, len(s))
	at := func(a float64) bool {
		for i := range p {
			p[i] = s[i] + a*ds[i]
		}
		return in(p)
	}
	if at(limit) {
		return limit
	}
	hi := limit
	lo := limit / 2
	for !at(lo) {
		hi = lo
		lo /= 2
		if lo == 0 {
			return 0
		}
	}
	for range 200 {
		mid := 0.5 * (lo + hi)
		if mid <= lo || mid >= hi || hi-lo <= 1e-15*hi {
			break
		}
		if at(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// solve3 solves the 3×3 system a x = b by Gaussian elimination with
// partial pivoting; ok is false when a is singular to working precision.
func solve3(a [3][3]float64, b [3]float64) ([3]float64, bool) {
	scale := 0.0
	for i := range 3 {
		for j := range 3 {
			scale = max(scale, math.Abs(a[i][j]))
		}
	}
	if !(scale > 0) {
		return [3]float64{}, false
	}
	for c := range 3 {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if !(math.Abs(a[p][c]) > 1e-14*scale) {
			return [3]float64{}, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < 3; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < 3; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	var x [3]float64
	for r := 2; r >= 0; r-- {
		v := b[r]
		for k := r + 1; k < 3; k++ {
			v -= a[r][k] * x[k]
		}
		x[r] = v / a[r][r]
	}
	return x, true
}

// apply3 sets dst = M v or Mᵀ v.
func apply3(dst []float64, m [3][3]float64, v []float64, transpose bool) {
	var r [3]float64
	for i := range 3 {
		for j := range 3 {
			if transpose {
				r[i] += m[j][i] * v[j]
			} else {
				r[i] += m[i][j] * v[j]
			}
		}
	}
	copy(dst, r[:])
}

func check3(name string, dst []float64, vs ...[]float64) error {
	if dst != nil {
		if err := checkDst(3, dst); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := checkVecs(3, vs...); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// scaleOf returns ‖y‖∞ (the normalization of the 3-d projections, which
// are positively homogeneous of degree 1).
func scaleOf(y []float64) float64 {
	return max(math.Abs(y[0]), math.Abs(y[1]), math.Abs(y[2]))
}

func mathLog(x float64) float64 { return dense.Log(x) }
func mathExp(x float64) float64 { return math.Exp(x) }

// ---- the primal barrier of the interior point: the conjugate of the dual one ----

// The interior point of Solve works on a non-symmetric block (K, K*) with
// the dual cone's barrier f* in closed form (the Chares barrier of K* or
// its linear image) and, for the primal-dual scaling, with its Legendre
// conjugate
//
//	f(s) = sup_z {−⟨s, z⟩ − f*(z)},  ∇f(s) = −z(s),
//
// z(s) ∈ int K* the point with −∇f*(z(s)) = s (as Clarabel does): with a
// conjugate pair −∇f and −∇f* are inverse maps, so the central path
// s = −μ∇f*(z) is also z = −μ∇f(s), and the scaling matches both
// gradients. (The package's own Barrier of K, Chares's closed form, is a
// different barrier of K, not the conjugate of f*; its gradient would
// define another central path.)

// dualBarrierOf returns the closed-form barrier of the dual cone of a
// non-symmetric 3-d cone.
func dualBarrierOf(c Cone) barrier3 {
	switch k := c.(type) {
	case Exp:
		return expDualBarrier{}
	case ExpDual:
		return expBarrier{}
	case Power:
		return powDualBarrier{k.Alpha}
	case PowerDual:
		return powBarrier{k.Alpha}
	}
	return nil
}

// wrightOmega returns ω(x), the y ≥ 1 with y + log y = x, for x ≥ 1. Newton
// on the concave increasing y + log y − x from a start left of the root
// (x − log x above 1 + π, 1 + (x − 1)/2 below, both under the root)
// stays left of it and increases monotonically.
func wrightOmega(x float64) float64 {
	y := 1 + 0.5*(x-1)
	if x > 1+math.Pi {
		y = x - dense.Log(x)
	}
	for range 100 {
		r := y + dense.Log(y) - x
		dy := r / (1 + 1/y)
		y -= dy
		if math.Abs(dy) <= 1e-16*y {
			break
		}
	}
	return y
}

// expConjZ returns z(s) = −∇f(s) for the conjugate f of the dual
// exponential barrier (s ∈ int K_exp), in closed form through the Wright
// omega function: with ω = ω(1 − s₁/s₂ − log(s₂/s₃)),
//
//	∇f(s) = (g₁, g₁ + g₁ log(ωs₂/s₃) − 1/s₂, ω/((1 − ω)s₃)),  g₁ = 1/((ω − 1)s₂)
//
// (Serrano's thesis §8, Clarabel).
func expConjZ(s []float64) [3]float64 {
	om := wrightOmega(1 - s[0]/s[1] - dense.Log(s[1]/s[2]))
	g0 := 1 / ((om - 1) * s[1])
	g1 := g0 + g0*dense.Log(om*s[1]/s[2]) - 1/s[1]
	g2 := om / ((1 - om) * s[2])
	return [3]float64{-g0, -g1, -g2}
}

// conjZ returns z(s) (−∇f*(z) = s, z ∈ int K*) for a non-symmetric block
// with cone c at s ∈ int K: in closed form on the exponential cones (on
// ExpDual, f* is Exp's barrier, the dual exponential barrier composed with
// the symmetric map M of exp.go, so z(s) = M z_exp(Ms)), by damped Newton
// on ⟨s, z⟩ + f*(z) from warm (if it is in int K*, else the central
// point) on the power cones (e: the central point of f*). ok is false
// when s is not in the interior, Newton does not converge or z is not in
// int K*. (No residual test on −∇f*(z) = s: near the boundary z(s) is
// of order 1/dist(s, ∂K), and evaluating ∇f*(z) there cancels, 1e-6
// relative at ‖z‖ ≈ 3e8 for a z that is right to rounding.)
func conjZ(c Cone, s, warm []float64) ([3]float64, bool) {
	fd := dualBarrierOf(c)
	if fd == nil {
		return [3]float64{}, false
	}
	var z [3]float64
	switch c.(type) {
	case Exp:
		if !(expBarrier{}).inInterior(s) {
			return z, false
		}
		z = expConjZ(s)
	case ExpDual:
		if !(expDualBarrier{}).inInterior(s) {
			return z, false
		}
		ze := expConjZ(expDualMap(s))
		apply3(z[:], expDualM, ze[:], false)
	default:
		if !dualBarrierOf(c.Dual()).inInterior(s) {
			return z, false
		}
		var ok bool
		var e [3]float64
		_ = c.Dual().Identity(e[:])
		if z, ok = conjNewton(fd, s, warm, e); !ok {
			return z, false
		}
	}
	return z, finite(z[:]) && fd.inInterior(z[:])
}

// conjNewton minimizes ⟨s, z⟩ + f*(z) over int K* by damped Newton (step
// 1/(1 + δ) while the Newton decrement δ > ¼, which keeps the iterate
// inside by self-concordance), on ŝ = s/‖s‖∞ (z(ts) = z(s)/t).
func conjNewton(fd barrier3, s, warm []float64, e [3]float64) ([3]float64, bool) {
	sc := maxAbsVec(s)
	if !(sc > 0) || math.IsInf(sc, 0) {
		return [3]float64{}, false
	}
	var sh, z [3]float64
	for i := range 3 {
		sh[i] = s[i] / sc
	}
	if warm != nil && fd.inInterior(warm) && finite(warm) {
		for i := range 3 {
			z[i] = warm[i] * sc
		}
	} else {
		z = e // the central point of f*: −∇f*(e) = e
		if !fd.inInterior(z[:]) {
			return z, false
		}
	}
	prev, last := math.Inf(1), math.Inf(1)
	for range 200 {
		_, g, h := fd.eval(z[:])
		var r [3]float64
		for i := range 3 {
			r[i] = sh[i] + g[i]
		}
		dz, ok := solveJacobi3(h, r)
		if !ok {
			return z, false
		}
		delta := math.Sqrt(math.Max(0, dot(r[:], dz[:])))
		last = delta
		step := 1.0
		if delta > 0.25 {
			step = 1 / (1 + delta)
		}
		var zn [3]float64
		for i := range 3 {
			zn[i] = z[i] - step*dz[i]
		}
		for !fd.inInterior(zn[:]) && step > 1e-12 {
			step *= 0.5
			for i := range 3 {
				zn[i] = z[i] - step*dz[i]
			}
		}
		if !fd.inInterior(zn[:]) {
			return z, false
		}
		z = zn
		if delta < 1e-14 || (delta < 1e-9 && delta > 0.5*prev) {
			break
		}
		prev = delta
	}
	for i := range 3 {
		z[i] /= sc
	}
	if last < 1e-6 {
		// The value is within about 1e-12 of the minimum.
		return z, true
	}
	// Near the boundary the decrement has a rounding floor (∇f*(z) cancels
	// at the large z(s), and ∇²f*(z)⁻¹ is of order ‖z‖²); accept a
	// gradient that matches to 1e-5 relative.
	_, g, _ := fd.eval(z[:])
	r := 0.0
	for i := range 3 {
		r = math.Max(r, math.Abs(s[i]+g[i]))
	}
	return z, r <= 1e-5*sc
}

// coneName3 names a non-symmetric cone in errors.
func coneName3(c Cone) string {
	switch k := c.(type) {
	case Exp:
		return "exponential"
	case ExpDual:
		return "dual exponential"
	case Power:
		return fmt.Sprintf("power(%v)", k.Alpha)
	case PowerDual:
		return fmt.Sprintf("dual power(%v)", k.Alpha)
	}
	return fmt.Sprintf("%T", c)
}

// nonsymHs returns the primal-dual scaling matrix of a non-symmetric block
// at (s, z) with g = ∇f*(z), h = ∇²f*(z) (f* the closed-form dual barrier,
// f its conjugate): the rank-three update of Tunçel (2001) and
// Myklebust–Tunçel (2014) in the form of Clarabel (Goulart & Chen 2024,
// §6.2), with μ = ⟨s, z⟩/ν, s̃ = −g, z̃ = −∇f(s) = z(s),
// δs = s − μs̃, δz = z − μz̃, μ̃ = ⟨s̃, z̃⟩/ν,
//
//	Hs = ssᵀ/⟨s, z⟩ + δsδsᵀ/⟨δs, δz⟩ + t·aaᵀ,  a = z × z̃/‖z × z̃‖,
//	t = μ‖h − s̃s̃ᵀ/ν − uuᵀ/(z̃ᵀhz̃ − νμ̃²)‖_F,  u = μ̃s̃ − hz̃,
//
// so that Hs z = s and Hs z̃ = s̃ (both barrier gradients are matched,
// which the dual scaling μh does only on the central path). ok is false
// (the caller uses the dual scaling) near the central path (|μμ̃ − 1| ≤
// √ε), where ⟨δs, δz⟩ ≤ 0, or where z(s) is not found.
func nonsymHs(c Cone, s, z []float64, g [3]float64, h [3][3]float64) ([3][3]float64, bool) {
	var hs [3][3]float64
	nu := float64(c.Degree())
	sz := dot(s, z)
	if !(sz > 0) {
		return hs, false
	}
	mu := sz / nu
	zt, ok := conjZ(c, s, scaleVec(z, 1/mu))
	if !ok {
		return hs, false
	}
	// Clarabel's signs: st = ∇f*(z) = g, ztc = ∇f(s) = −z̃.
	var ztc, ds, dz [3]float64
	for i := range 3 {
		ztc[i] = -zt[i]
		ds[i] = s[i] + mu*g[i]
		dz[i] = z[i] + mu*ztc[i]
	}
	mut := dot(g[:], ztc[:]) / nu
	var hz [3]float64
	for i := range 3 {
		hz[i] = h[i][0]*ztc[0] + h[i][1]*ztc[1] + h[i][2]*ztc[2]
	}
	de1 := mu*mut - 1
	de2 := dot(ztc[:], hz[:]) - nu*mut*mut
	dsdz := dot(ds[:], dz[:])
	const eps = 0x1p-52
	if !(math.Abs(de1) > math.Sqrt(eps) && math.Abs(de2) > eps && dsdz > 0) {
		return hs, false
	}
	var u [3]float64
	for i := range 3 {
		u[i] = mut*g[i] - hz[i]
	}
	fro := 0.0
	for i := range 3 {
		for j := range 3 {
			m := h[i][j] - g[i]*g[j]/nu - u[i]*u[j]/de2
			fro += m * m
		}
	}
	t := mu * math.Sqrt(fro)
	a := [3]float64{
		z[1]*ztc[2] - z[2]*ztc[1],
		z[2]*ztc[0] - z[0]*ztc[2],
		z[0]*ztc[1] - z[1]*ztc[0],
	}
	na := nrm2(a[:])
	if !(na > 0) {
		return hs, false
	}
	for i := range 3 {
		a[i] /= na
	}
	for i := range 3 {
		for j := range 3 {
			hs[i][j] = s[i]*s[j]/sz + ds[i]*ds[j]/dsdz + t*a[i]*a[j]
		}
	}
	for i := range 3 {
		if !finite(hs[i][:]) {
			return hs, false
		}
	}
	return hs, true
}
