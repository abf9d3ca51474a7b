package qp

import (
	"context"
	"log/slog"
	"math"

	"github.com/optlayers/optlayers/internal/dense"
)

// This file holds the second path of Solve: a proximal interior point on
// the Ruiz-equilibrated problem, for the problems the first path does not
// solve to the requested accuracy (singular Q, rank-deficient or nearly
// dependent constraints, data spread over many orders of magnitude).
//
// Each iteration is a Newton step on the KKT conditions
//
//	Qx + p + Aᵀν + Gᵀλ = 0,  Ax = b,  Gx + s = h,  s∘λ = σμ,  s, λ ≥ 0,
//
// whose matrix carries a primal proximal term ρI and dual proximal terms
// −δI (the proximal method of multipliers with its centers at the current
// iterate, as in PIQP, Schwan et al. 2023, and the regularized interior
// points of Friedlander & Orban 2012):
//
//	⎡Q+ρI  Aᵀ   Gᵀ   0⎤ ⎡Δx⎤   ⎡r₁⎤
//	⎢A    −δI   0    0⎥ ⎢Δν⎥ = ⎢r₂⎥
//	⎢G     0   −δI   I⎥ ⎢Δλ⎥   ⎢r₃⎥
//	⎣0     0    S    Λ⎦ ⎣Δs⎦   ⎣r₄⎦
//
// With the centers at the iterate the proximal terms leave the residuals
// unchanged: they only regularize the step, so a fixed point is a KKT point
// of the original problem whatever ρ and δ are. The matrix is always
// quasi-definite, and eliminating Δs, Δλ and Δν leaves
//
//	(Q + ρI + AᵀA/δ + Gᵀ(W + δI)⁻¹G) Δx = r₁ + Aᵀr₂/δ + Gᵀ(W+δI)⁻¹(r₃ − Λ⁻¹r₄),
//
// W = S Λ⁻¹, positive definite for any Q ⪰ 0 and any A, G: one dense
// Cholesky factorization per iteration, iterative refinement against the
// regularized 4×4 block system. ρ and δ shrink with the step length to a
// floor of 1e-10 (relative to the equilibrated data).

// proxIPM is the state of one proximal interior-point solve.
type proxIPM struct {
	orig         *data // the user's problem
	n, neq, m, k int   // k = neq + m
	// Equilibrated data: x = dcol∘x̃, constraint row i is multiplied by
	// erow[i], the objective by cost. q is n×n full (nil for Q = 0), ct
	// is [A; G]ᵀ (n×k row-major), p, b, h the scaled vectors.
	q       []float64
	ct      []float64
	p, b, h []float64
	dcol    []float64
	erow    []float64
	cost    float64

	x, y, z, s []float64 // y for Ax = b, z ≥ 0 for Gx ≤ h (scaled)
	rho, delta float64
	logger     *slog.Logger
	lastAlpha  float64

	// Scratch.
	hm    []float64 // n×n Cholesky factor
	zw    []float64 // n×k scaled copy of ct
	wd    []float64 // m: 1/(W + δ)
	rx    []float64 // n
	rc    []float64 // k: [Ax − b; Gx + s − h]
	cx    []float64 // k: C x
	t1    []float64 // n
	t2    []float64 // k
	dir   []float64 // n + k + m: (Δx, Δy, Δz, Δs)
	aff   []float64
	res   []float64
	corr  []float64
	rhs   []float64
	check *acceptance
}

// Initial values and floors of the proximal weights, relative to the
// equilibrated data.
var (
	proxInit  = 1e-6
	dualInit  = 1e-4
	proxFloor = 1e-10
	dualFloor = 1e-8
)

func newProxIPM(d *data, acc *acceptance) *proxIPM {
	n, neq, m := d.n, d.neq, d.m
	k := neq + m
	pi := &proxIPM{orig: d, n: n, neq: neq, m: m, k: k, check: acc}
	pi.equilibrate()
	pi.x, pi.y = make([]float64, n), make([]float64, neq)
	pi.z, pi.s = make([]float64, m), make([]float64, m)
	pi.hm, pi.zw = make([]float64, n*n), make([]float64, n*k)
	pi.wd = make([]float64, m)
	pi.rx, pi.rc, pi.cx = make([]float64, n), make([]float64, k), make([]float64, k)
	pi.t1, pi.t2 = make([]float64, n), make([]float64, k)
	tot := n + k + m
	pi.dir, pi.aff = make([]float64, tot), make([]float64, tot)
	pi.res, pi.corr, pi.rhs = make([]float64, tot), make([]float64, tot), make([]float64, tot)
	return pi
}

// equilibrate scales the KKT matrix [Q Cᵀ; C 0] by Ruiz's iteration
// (Ruiz 2001): ten passes that divide each row and column by the square
// root of its ∞-norm, then scales the objective so that its largest
// gradient entry or Q column is about one (as OSQP and PIQP do).
func (pi *proxIPM) equilibrate() {
	d := pi.orig
	n, neq, k := pi.n, pi.neq, pi.k
	switch {
	case d.qIdentity:
		pi.q = make([]float64, n*n)
		for j := range n {
			pi.q[j*n+j] = 1
		}
	case d.q != nil:
		pi.q = append([]float64(nil), d.fullQ()...) // scaled in place below
	}
	ct := make([]float64, n*k)
	for i := range k {
		row := constraintRow(d.a, d.g, n, neq, i)
		for j, v := range row {
			ct[j*k+i] = v
		}
	}
	pi.ct = ct
	pi.dcol = make([]float64, n)
	pi.erow = make([]float64, k)
	for j := range pi.dcol {
		pi.dcol[j] = 1
	}
	for i := range pi.erow {
		pi.erow[i] = 1
	}
	cn := make([]float64, n)
	rn := make([]float64, k)
	for range 10 {
		clear(cn)
		clear(rn)
		for j := range n {
			if pi.q != nil {
				for _, v := range pi.q[j*n : (j+1)*n] {
					cn[j] = math.Max(cn[j], math.Abs(v))
				}
			}
			for i, v := range ct[j*k : (j+1)*k] {
				av := math.Abs(v)
				cn[j] = math.Max(cn[j], av)
				rn[i] = math.Max(rn[i], av)
			}
		}
		done := true
		for j, v := range cn {
			cn[j] = ruizFactor(v)
			if cn[j] != 1 {
				done = false
			}
		}
		for i, v := range rn {
			rn[i] = ruizFactor(v)
			if rn[i] != 1 {
				done = false
			}
		}
		if done {
			break
		}
		for j := range n {
			if pi.q != nil {
				row := pi.q[j*n : (j+1)*n]
				for l := range row {
					row[l] *= cn[j] * cn[l]
				}
			}
			row := ct[j*k : (j+1)*k]
			for i := range row {
				row[i] *= cn[j] * rn[i]
			}
			pi.dcol[j] *= cn[j]
		}
		for i := range rn {
			pi.erow[i] *= rn[i]
		}
	}
	pi.p = make([]float64, n)
	for j := range n {
		pi.p[j] = pi.dcol[j] * d.p[j]
	}
	// Cost scaling: the objective's scale is that of its gradient at 0
	// and of the columns of Q.
	scale := normInf(pi.p)
	if pi.q != nil {
		qs := 0.0
		for j := range n {
			col := 0.0
			for _, v := range pi.q[j*n : (j+1)*n] {
				col = math.Max(col, math.Abs(v))
			}
			qs += col
		}
		scale = math.Max(scale, qs/float64(n))
	}
	pi.cost = 1
	if scale > 0 && !math.IsInf(scale, 0) {
		pi.cost = pow2(math.Max(0x1p-900, math.Min(0x1p900, 1/math.Max(scale, 1e-4))))
	}
	if pi.q != nil {
		for i := range pi.q {
			pi.q[i] *= pi.cost
		}
	}
	for j := range pi.p {
		pi.p[j] *= pi.cost
	}
	pi.b = make([]float64, neq)
	for i := range neq {
		pi.b[i] = pi.erow[i] * d.b[i]
	}
	pi.h = make([]float64, pi.m)
	for i := range pi.m {
		pi.h[i] = pi.erow[neq+i] * d.h[i]
	}
}

// ruizFactor is the factor 1/√v of one Ruiz pass rounded to a power of
// two (so that scaling is exact: the scaled problem is the user's problem
// in other units, not a rounded copy of it), clamped so that empty or
// extreme rows and columns stay finite.
func ruizFactor(v float64) float64 {
	if !(v > 1e-8) {
		return 1
	}
	return pow2(1 / math.Sqrt(math.Min(v, 1e8)))
}

// pow2 rounds v > 0 to the nearest power of two (in the log scale).
func pow2(v float64) float64 {
	return math.Exp2(math.Round(math.Log2(v)))
}

// mulC sets dst = C x (k entries) for the scaled constraint matrix.
func (pi *proxIPM) mulC(dst, x []float64) {
	dense.MulTransVec(dst, 1, pi.ct, pi.k, x, 0)
}

// mulCT sets dst = alpha·Cᵀu + beta·dst (n entries).
func (pi *proxIPM) mulCT(dst []float64, alpha float64, u []float64, beta float64) {
	dense.MulVec(dst, alpha, pi.ct, pi.k, u, beta)
}

func (pi *proxIPM) mulQ(dst, x []float64) {
	if pi.q == nil {
		clear(dst)
		return
	}
	dense.MulVec(dst, 1, pi.q, pi.n, x, 0)
}

// residuals sets rx = Qx + p + Cᵀ(y, z) and rc = (Ax − b, Gx + s − h) and
// returns μ = sᵀz/m.
func (pi *proxIPM) residuals() float64 {
	neq := pi.neq
	pi.mulQ(pi.rx, pi.x)
	for i, v := range pi.p {
		pi.rx[i] += v
	}
	copy(pi.t2[:neq], pi.y)
	copy(pi.t2[neq:], pi.z)
	pi.mulCT(pi.rx, 1, pi.t2, 1)
	pi.mulC(pi.cx, pi.x)
	for i := range neq {
		pi.rc[i] = pi.cx[i] - pi.b[i]
	}
	for i := range pi.m {
		pi.rc[neq+i] = pi.cx[neq+i] + pi.s[i] - pi.h[i]
	}
	if pi.m == 0 {
		return 0
	}
	return dot(pi.s, pi.z) / float64(pi.m)
}

// factor forms and factorizes the reduced matrix at the current iterate.
// A matrix that is not numerically positive definite (Q slightly
// indefinite, or terms of size 1/δ swamping those of size ρ) raises both
// weights and is formed again.
func (pi *proxIPM) factor() bool {
	for range 8 {
		for i := range pi.m {
			pi.wd[i] = 1 / (pi.s[i]/pi.z[i] + pi.delta)
		}
		if pi.factorWith(pi.rho, pi.delta, pi.wd) {
			return true
		}
		pi.rho = math.Max(100*pi.rho, 1e-8)
		pi.delta = math.Min(100*pi.delta, 1)
	}
	return false
}

// solveReduced solves the regularized block system for the right-hand
// side r = (r₁, r₂, r₃, r₄) into v, with the factorization of factor.
func (pi *proxIPM) solveReduced(v, r []float64) {
	n, neq, m, k := pi.n, pi.neq, pi.m, pi.k
	r1, r2, r3, r4 := r[:n], r[n:n+neq], r[n+neq:n+k], r[n+k:]
	dx, dy, dz, ds := v[:n], v[n:n+neq], v[n+neq:n+k], v[n+k:]
	u := pi.t2
	for i := range neq {
		u[i] = r2[i] / pi.delta
	}
	for i := range m {
		u[neq+i] = pi.wd[i] * (r3[i] - r4[i]/pi.z[i])
	}
	copy(dx, r1)
	pi.mulCT(dx, 1, u, 1)
	dense.SolveLower(pi.hm, n, n, dx)
	dense.SolveLowerT(pi.hm, n, n, dx)
	pi.mulC(u, dx)
	for i := range neq {
		dy[i] = (u[i] - r2[i]) / pi.delta
	}
	for i := range m {
		dz[i] = pi.wd[i] * (u[neq+i] - r3[i] + r4[i]/pi.z[i])
		ds[i] = (r4[i] - pi.s[i]*dz[i]) / pi.z[i]
	}
}

// applyK sets out = K v for the regularized block matrix.
func (pi *proxIPM) applyK(out, v []float64) {
	n, neq, m, k := pi.n, pi.neq, pi.m, pi.k
	dx, dy, dz, ds := v[:n], v[n:n+neq], v[n+neq:n+k], v[n+k:]
	o1, o2, o3, o4 := out[:n], out[n:n+neq], out[n+neq:n+k], out[n+k:]
	pi.mulQ(o1, dx)
	for i := range n {
		o1[i] += pi.rho * dx[i]
	}
	pi.mulCT(o1, 1, v[n:n+k], 1)
	u := pi.t2
	pi.mulC(u, dx)
	for i := range neq {
		o2[i] = u[i] - pi.delta*dy[i]
	}
	for i := range m {
		o3[i] = u[neq+i] - pi.delta*dz[i] + ds[i]
		o4[i] = pi.s[i]*dz[i] + pi.z[i]*ds[i]
	}
}

// solve solves K v = r with iterative refinement.
func (pi *proxIPM) solve(v, r []float64) {
	pi.solveReduced(v, r)
	rn := normInf(r)
	if !(rn > 0) {
		return
	}
	prev := math.Inf(1)
	for range 10 {
		pi.applyK(pi.res, v)
		for i := range pi.res {
			pi.res[i] = r[i] - pi.res[i]
		}
		e := normInf(pi.res)
		if !(e > 1e-14*rn) || !(e < 0.5*prev) {
			return
		}
		prev = e
		pi.solveReduced(pi.corr, pi.res)
		for i := range v {
			v[i] += pi.corr[i]
		}
	}
}

// start sets the initial iterate: the solution of the regularized system
// with S = Λ = I (the minimizer of ½xᵀQx + pᵀx + ½‖Gx − h‖² subject to
// Ax = b, regularized), with s and z shifted into the interior.
func (pi *proxIPM) start() bool {
	n, neq, m := pi.n, pi.neq, pi.m
	pi.rho, pi.delta = proxInit, dualInit
	for i := range m {
		pi.s[i], pi.z[i] = 1, 1
	}
	if !pi.factor() {
		return false
	}
	r := pi.rhs
	clear(r)
	for i := range n {
		r[i] = -pi.p[i]
	}
	copy(r[n:], pi.b)
	copy(r[n+neq:], pi.h)
	pi.solve(pi.dir, r)
	if !finite(pi.dir) {
		return false
	}
	copy(pi.x, pi.dir[:n])
	copy(pi.y, pi.dir[n:n+neq])
	if m == 0 {
		return true
	}
	pi.mulC(pi.cx, pi.x)
	for i := range m {
		// The solve with S = Λ = I gives Δz = −Δs: |Δz| is a positive
		// multiplier of the slack's size.
		pi.s[i] = pi.h[i] - pi.cx[neq+i]
		pi.z[i] = math.Abs(pi.dir[n+neq+i])
	}
	shiftInterior(pi.s)
	shiftInterior(pi.z)
	return true
}

// shiftInterior moves v into the positive orthant: by 1 − min(v) when
// min(v) is not safely positive (Mehrotra's initialization).
func shiftInterior(v []float64) {
	lo := math.Inf(1)
	for _, e := range v {
		lo = math.Min(lo, e)
	}
	if lo > 1e-2 {
		return
	}
	add := 1 - lo
	if math.IsInf(add, 0) || math.IsNaN(add) {
		add = 1
	}
	for i := range v {
		v[i] += add
		if !(v[i] > 0) || math.IsInf(v[i], 0) {
			v[i] = 1
		}
	}
}

// user maps the scaled iterate to the user's units.
func (pi *proxIPM) user() (x, nu, lam, s []float64) {
	return pi.toUser(pi.x, pi.y, pi.z, pi.s)
}

// toUser maps scaled (x̃, ỹ, z̃, s̃) to the user's units:
// x = D x̃, ν = E ỹ / c, λ = E z̃ / c, s = s̃ / E.
func (pi *proxIPM) toUser(xs, ys, zs, ss []float64) (x, nu, lam, s []float64) {
	neq := pi.neq
	x = make([]float64, pi.n)
	for j := range x {
		x[j] = pi.dcol[j] * xs[j]
	}
	nu = make([]float64, neq)
	for i := range nu {
		nu[i] = pi.erow[i] * ys[i] / pi.cost
	}
	lam = make([]float64, pi.m)
	s = make([]float64, pi.m)
	for i := range lam {
		lam[i] = pi.erow[neq+i] * zs[i] / pi.cost
		s[i] = ss[i] / pi.erow[neq+i]
	}
	return
}

// proxResult is the best point of a proximal solve, in the user's units.
type proxResult struct {
	x, nu, lam, s []float64
	res           Residuals
	merit         float64 // the acceptance test's ratio (≤ 1: passed)
	ok            bool    // passed the acceptance test
	iters         int
	canceled      bool
}

// run iterates until the acceptance test passes on the user's data, the
// iteration limit, a stall, a failed factorization or cancellation, and
// returns the best point seen (by the acceptance test's merit).
func (pi *proxIPM) run(ctx context.Context, maxIter int) proxResult {
	n, neq, m, k := pi.n, pi.neq, pi.m, pi.k
	best := proxResult{res: Residuals{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)}, merit: math.Inf(1)}
	bestMerit := math.Inf(1)
	if !pi.start() {
		return best
	}
	lastImprove, lastPolish := 0, -10
	for iter := 0; ; iter++ {
		mu := pi.residuals()
		x, nu, lam, s := pi.user()
		merit, res := pi.check.merit(pi.orig, x, nu, lam)
		if merit < bestMerit {
			if merit < 0.5*bestMerit {
				lastImprove = iter
			}
			bestMerit = merit
			best = proxResult{x: x, nu: nu, lam: lam, s: s, res: res, iters: iter, merit: merit}
		}
		if lg := pi.logger; lg != nil {
			lg.Debug("qp proximal", "iter", iter, "primal", res.Primal, "dual", res.Dual, "gap", res.Gap, "mu", mu, "rho", pi.rho, "delta", pi.delta, "merit", merit, "alpha", pi.lastAlpha, "srx", normInf(pi.rx), "src", normInf(pi.rc), "cost", pi.cost)
		}
		if merit <= 1 {
			best.ok = true
			best.iters = iter
			return best
		}
		stop := iter >= maxIter || iter-lastImprove > 40 || !(merit < math.Inf(1))
		// Near the solution, or before giving up, try the active-set
		// polish of the iterate.
		if m > 0 && (stop || (merit < 1e4 && iter-lastPolish >= 3)) {
			lastPolish = iter
			if px, py, pz, ps, ok := pi.polish(); ok {
				ux, unu, ulam, us := pi.toUser(px, py, pz, ps)
				pm, pres := pi.check.merit(pi.orig, ux, unu, ulam)
				if lg := pi.logger; lg != nil {
					lg.Debug("qp proximal polish", "iter", iter, "primal", pres.Primal, "dual", pres.Dual, "gap", pres.Gap, "merit", pm)
				}
				if pm < bestMerit {
					bestMerit = pm
					best = proxResult{x: ux, nu: unu, lam: ulam, s: us, res: pres, iters: iter, merit: pm}
					if pm <= 1 {
						best.ok = true
						return best
					}
				}
			}
		}
		if stop {
			best.iters = iter
			return best
		}
		if ctx.Err() != nil {
			best.canceled = true
			best.iters = iter
			return best
		}
		if !pi.factor() {
			best.iters = iter
			return best
		}
		// Predictor.
		r := pi.rhs
		for i := range n {
			r[i] = -pi.rx[i]
		}
		for i := range k {
			r[n+i] = -pi.rc[i]
		}
		for i := range m {
			r[n+k+i] = -pi.s[i] * pi.z[i]
		}
		sigmaMu := 0.0
		if m > 0 {
			pi.solve(pi.aff, r)
			dzA, dsA := pi.aff[n+neq:n+k], pi.aff[n+k:]
			a := math.Min(stepTo(pi.s, dsA), stepTo(pi.z, dzA))
			muAff := 0.0
			for i := range m {
				muAff += (pi.s[i] + a*dsA[i]) * (pi.z[i] + a*dzA[i])
			}
			muAff /= float64(m)
			sigma := math.Pow(math.Max(0, muAff)/mu, 3)
			sigmaMu = sigma * mu
			for i := range m {
				r[n+k+i] = -pi.s[i]*pi.z[i] - dsA[i]*dzA[i] + sigmaMu
			}
		}
		pi.solve(pi.dir, r)
		if !finite(pi.dir) {
			best.iters = iter
			return best
		}
		dx, dy, dz, ds := pi.dir[:n], pi.dir[n:n+neq], pi.dir[n+neq:n+k], pi.dir[n+k:]
		alpha := 1.0
		if m > 0 {
			alpha = math.Min(1, 0.99*math.Min(stepTo(pi.s, ds), stepTo(pi.z, dz)))
		}
		for i := range n {
			pi.x[i] += alpha * dx[i]
		}
		for i := range neq {
			pi.y[i] += alpha * dy[i]
		}
		for i := range m {
			pi.s[i] = math.Max(pi.s[i]+alpha*ds[i], 1e-300)
			pi.z[i] = math.Max(pi.z[i]+alpha*dz[i], 1e-300)
		}
		// Shrink the proximal weights with the progress made.
		f := math.Max(1-alpha, 0.1)
		pi.rho = math.Max(proxFloor, math.Min(f*pi.rho, pi.rho))
		pi.delta = math.Max(dualFloor, math.Min(f*pi.delta, pi.delta))
		pi.lastAlpha = alpha
	}
}

// polish guesses the active set (zᵢ > sᵢ), drops the other inequalities
// (λᵢ = 0) and solves the KKT system of the equality-constrained problem
// that remains,
//
//	⎡Q   Aᵀ  G_Sᵀ⎤ ⎡Δx  ⎤     ⎡Qx + p + Aᵀy + G_Sᵀz_S⎤
//	⎢A   0   0   ⎥ ⎢Δy  ⎥ = − ⎢Ax − b                ⎥
//	⎣G_S 0   0   ⎦ ⎣Δz_S⎦     ⎣G_S x − h_S           ⎦
//
// with the regularized factorization (ρ, δ) as a preconditioner of
// iterative refinement against this unregularized matrix (OSQP's
// polishing, Stellato et al. 2020, §4.4, done with the interior point's
// own reduced matrix). It reports whether the new point is usable (its
// multipliers nonnegative); the caller compares it with the iterate by the
// acceptance test.
func (pi *proxIPM) polish() (x, y, z, s []float64, ok bool) {
	n, neq, m, k := pi.n, pi.neq, pi.m, pi.k
	active := make([]bool, m)
	for i := range m {
		active[i] = pi.z[i] > pi.s[i]
	}
	rho, delta := pi.rho, math.Max(pi.delta, 1e-9)
	wd := make([]float64, m)
	for i := range m {
		if active[i] {
			wd[i] = 1 / delta
		}
	}
	if !pi.factorWith(rho, delta, wd) {
		return nil, nil, nil, nil, false
	}
	x = append([]float64(nil), pi.x...)
	y = append([]float64(nil), pi.y...)
	z = make([]float64, m)
	for i := range m {
		if active[i] {
			z[i] = pi.z[i]
		}
	}
	tot := n + k
	r := make([]float64, tot)
	v := make([]float64, tot)
	corr := make([]float64, tot)
	res := make([]float64, tot)
	u := make([]float64, k)
	prevR := math.Inf(1)
	for range 8 {
		// Newton step on the KKT equations of the active set, with the
		// residual in double-double arithmetic: the refinement then
		// converges to the rounding level of the solution itself.
		pi.accurateKKT(r, x, y, z, active)
		rn := normInf(r)
		if !(rn < 0.5*prevR) || rn == 0 {
			break
		}
		prevR = rn
		for i := range r {
			r[i] = -r[i]
		}
		pi.solvePolished(v, r, delta, wd)
		for range 3 {
			pi.applyPolished(res, v, active)
			for i := range res {
				res[i] = r[i] - res[i]
			}
			pi.solvePolished(corr, res, delta, wd)
			for i := range v {
				v[i] += corr[i]
			}
		}
		if !finite(v) {
			return nil, nil, nil, nil, false
		}
		for i := range n {
			x[i] += v[i]
		}
		for i := range neq {
			y[i] += v[n+i]
		}
		for i := range m {
			if active[i] {
				z[i] += v[n+neq+i]
			}
		}
	}
	for i := range m {
		if z[i] < 0 {
			return nil, nil, nil, nil, false
		}
	}
	s = make([]float64, m)
	pi.mulC(u, x)
	for i := range m {
		s[i] = math.Max(pi.h[i]-u[neq+i], 0)
	}
	return x, y, z, s, true
}

// factorWith factorizes Q + ρI + AᵀA/δ + Gᵀ diag(wd) G.
func (pi *proxIPM) factorWith(rho, delta float64, wd []float64) bool {
	n, neq, k := pi.n, pi.neq, pi.k
	sd := 1 / math.Sqrt(delta)
	for j := range n {
		src := pi.ct[j*k : (j+1)*k]
		dst := pi.zw[j*k : (j+1)*k]
		for i := range neq {
			dst[i] = src[i] * sd
		}
		for i := range pi.m {
			dst[neq+i] = src[neq+i] * math.Sqrt(wd[i])
		}
	}
	if k > 0 {
		dense.Gram(pi.hm, n, pi.zw, n, k, k)
	} else {
		clear(pi.hm)
	}
	for j := range n {
		row := pi.hm[j*n : j*n+j+1]
		if pi.q != nil {
			for l, v := range pi.q[j*n : j*n+j+1] {
				row[l] += v
			}
		}
		row[j] += rho
	}
	return dense.Cholesky(pi.hm, n, n)
}

// solvePolished solves the regularized polishing system
// (Q+ρI)Δx + AᵀΔy + G_SᵀΔz = r₁, AΔx − δΔy = r₂, G_SΔx − δΔz = r₃ (Δz = 0 off
// S, where wd = 0) with the factorization of factorWith.
func (pi *proxIPM) solvePolished(v, r []float64, delta float64, wd []float64) {
	n, neq, m := pi.n, pi.neq, pi.m
	u := pi.t2
	for i := range neq {
		u[i] = r[n+i] / delta
	}
	for i := range m {
		u[neq+i] = wd[i] * r[n+neq+i]
	}
	dx := v[:n]
	copy(dx, r[:n])
	pi.mulCT(dx, 1, u, 1)
	dense.SolveLower(pi.hm, n, n, dx)
	dense.SolveLowerT(pi.hm, n, n, dx)
	pi.mulC(u, dx)
	for i := range neq {
		v[n+i] = (u[i] - r[n+i]) / delta
	}
	for i := range m {
		v[n+neq+i] = wd[i] * (u[neq+i] - r[n+neq+i])
	}
}

// applyPolished sets out = K₀ v for the unregularized polishing matrix.
func (pi *proxIPM) applyPolished(out, v []float64, active []bool) {
	n, neq, m, k := pi.n, pi.neq, pi.m, pi.k
	pi.mulQ(out[:n], v[:n])
	pi.mulCT(out[:n], 1, v[n:n+k], 1)
	u := pi.t2
	pi.mulC(u, v[:n])
	copy(out[n:n+neq], u[:neq])
	for i := range m {
		out[n+neq+i] = 0
		if active[i] {
			out[n+neq+i] = u[neq+i]
		}
	}
}

// accurateKKT sets r to the KKT residual of the active-set system at
// (x, y, z) in double-double arithmetic:
// (Qx + p + Aᵀy + G_Sᵀz_S, Ax − b, G_S x − h_S), zero off S.
func (pi *proxIPM) accurateKKT(r, x, y, z []float64, active []bool) {
	n, neq, m, k := pi.n, pi.neq, pi.m, pi.k
	cx := make([]dd, k)
	for j := range n {
		var acc dd
		if pi.q != nil {
			for l, v := range pi.q[j*n : (j+1)*n] {
				acc.addProd(v, x[l])
			}
		}
		acc.add(pi.p[j])
		row := pi.ct[j*k : (j+1)*k]
		for i := range neq {
			acc.addProd(row[i], y[i])
			cx[i].addProd(row[i], x[j])
		}
		for i := range m {
			if active[i] {
				acc.addProd(row[neq+i], z[i])
				cx[neq+i].addProd(row[neq+i], x[j])
			}
		}
		r[j] = acc.value()
	}
	for i := range neq {
		cx[i].add(-pi.b[i])
		r[n+i] = cx[i].value()
	}
	for i := range m {
		r[n+neq+i] = 0
		if active[i] {
			cx[neq+i].add(-pi.h[i])
			r[n+neq+i] = cx[neq+i].value()
		}
	}
}
