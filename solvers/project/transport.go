package project

import (
	"fmt"
	"math"
)

// Transport is the transportation polytope
//
//	U(a, b) = {P ∈ R^{m×k} : P ≥ 0, P 1 = a, Pᵀ 1 = b}
//
// with row marginals a = Rows (length m) and column marginals b = Cols
// (length k), a, b ≥ 0, Σa = Σb. Matrices are vectors of length m·k in
// row-major order. The projection of Y solves the concave dual
//
//	max_{α,β}  ⟨α, a⟩ + ⟨β, b⟩ − ½‖max(Y + α1ᵀ + 1βᵀ, 0)‖²,
//	P = max(Y + α1ᵀ + 1βᵀ, 0),
//
// by a semismooth Newton method with an Armijo line search (Blondel,
// Seguy, Rolet, "Smooth and sparse optimal transport", AISTATS 2018, solve
// this dual by L-BFGS). Its generalized Hessian is the signless Laplacian
// of the bipartite graph of the support S = {(i, j) : Pᵢⱼ > 0},
//
//	H = ⎡diag(S1)  S       ⎤
//	    ⎣Sᵀ        diag(Sᵀ1)⎦,
//
// solved by conjugate gradients in O(mk) per product. On the support,
// Pᵢⱼ = Yᵢⱼ + αᵢ + βⱼ, and keeping the marginals fixed gives the Jacobian
//
//	dP_S = dY_S + dαᵢ + dβⱼ,   H (dα, dβ) = −(row sums, column sums of dY_S),
//
// zero off the support: the orthogonal projection onto the matrices
// supported on S with zero row and column sums (symmetric, so JVP = VJP).
//
// Kinks: Yᵢⱼ + αᵢ + βⱼ = 0 for some (i, j) (an entry at the edge of the
// support); the strict support {Pᵢⱼ > 0} is used.
type Transport struct {
	Rows, Cols []float64
	// Tol is the tolerance of the Newton iteration on the marginals
	// (∞-norm, relative to max(1, ‖a‖∞, ‖b‖∞, ‖Y‖∞)); the result's
	// marginal error is at most 100·Tol·max(‖a‖∞, ‖b‖∞) (see Project).
	// Default 1e-14.
	Tol float64
	// MaxIter caps the Newton iterations. Default 500 (a few iterations
	// suffice for Y of the scale of the marginals; Y a billion times
	// larger needs hundreds).
	MaxIter int
}

func (t Transport) check(n int) error {
	m, k := len(t.Rows), len(t.Cols)
	if m == 0 || k == 0 || m*k != n {
		return fmt.Errorf("%w: transport %d×%d for vectors of length %d", ErrDims, m, k, n)
	}
	if !finite(t.Rows) || !finite(t.Cols) {
		return fmt.Errorf("%w: marginals", ErrNaN)
	}
	sa, sb, scale := 0.0, 0.0, 1.0
	for _, v := range t.Rows {
		if v < 0 {
			return fmt.Errorf("%w: negative row marginal %v", ErrInvalid, v)
		}
		sa += v
		scale = max(scale, v)
	}
	for _, v := range t.Cols {
		if v < 0 {
			return fmt.Errorf("%w: negative column marginal %v", ErrInvalid, v)
		}
		sb += v
		scale = max(scale, v)
	}
	if math.Abs(sa-sb) > 1e-12*max(1, sa)*float64(m+k) {
		return fmt.Errorf("%w: marginals with masses %v ≠ %v", ErrInfeasible, sa, sb)
	}
	return nil
}

// transportSolver holds the working vectors of a projection.
type transportSolver struct {
	m, k int
	y    []float64
	a, b []float64
}

// dual returns the dual objective at (α, β) and writes its gradient
// (a − P1, b − Pᵀ1) to g (length m+k) when g is non-nil.
func (s *transportSolver) dual(alpha, beta, g []float64) float64 {
	m, k := s.m, s.k
	val := 0.0
	if g != nil {
		copy(g[:m], s.a)
		copy(g[m:], s.b)
	}
	for i := range m {
		val += alpha[i] * s.a[i]
		row := s.y[i*k : (i+1)*k]
		for j, yij := range row {
			p := yij + alpha[i] + beta[j]
			if p > 0 {
				val -= 0.5 * p * p
				if g != nil {
					g[i] -= p
					g[m+j] -= p
				}
			}
		}
	}
	for j := range k {
		val += beta[j] * s.b[j]
	}
	return val
}

// supportLaplacian applies H for a support pattern, plus a ridge on the
// diagonal and, when emptyUnit is set, a unit diagonal for rows or columns
// with an empty support, for CG.
type supportLaplacian struct {
	m, k       int
	pairs      []int32 // (i, j) of the support entries, flattened
	rowC, colC []float64
	ridge      float64
	emptyUnit  bool
}

func newSupportLaplacian(m, k int, support []bool, ridge float64, emptyUnit bool) *supportLaplacian {
	h := &supportLaplacian{m: m, k: k, rowC: make([]float64, m), colC: make([]float64, k),
		ridge: ridge, emptyUnit: emptyUnit}
	for i := range m {
		for j, in := range support[i*k : (i+1)*k] {
			if in {
				h.rowC[i]++
				h.colC[j]++
				h.pairs = append(h.pairs, int32(i), int32(j))
			}
		}
	}
	return h
}

// apply costs O(m + k + |S|): the support is usually sparse.
func (h *supportLaplacian) apply(dst, v []float64) {
	m, k := h.m, h.k
	for i := range m {
		d := h.rowC[i] + h.ridge
		if h.emptyUnit && h.rowC[i] == 0 {
			d = 1
		}
		dst[i] = d * v[i]
	}
	for j := range k {
		d := h.colC[j] + h.ridge
		if h.emptyUnit && h.colC[j] == 0 {
			d = 1
		}
		dst[m+j] = d * v[m+j]
	}
	for p := 0; p < len(h.pairs); p += 2 {
		i, j := int(h.pairs[p]), m+int(h.pairs[p+1])
		dst[i] += v[j]
		dst[j] += v[i]
	}
}

// cg solves h x = r by conjugate gradients (x starts at 0) to a relative
// residual of tol, at most maxIter iterations.
func (h *supportLaplacian) cg(x, r []float64, tol float64, maxIter int) {
	n := len(r)
	clear(x)
	res := append([]float64(nil), r...)
	p := append([]float64(nil), r...)
	hp := make([]float64, n)
	rr := dot(res, res)
	stop := tol * tol * rr
	for range maxIter {
		if rr <= stop || rr == 0 {
			return
		}
		h.apply(hp, p)
		php := dot(p, hp)
		if !(php > 0) {
			return
		}
		step := rr / php
		for i := range x {
			x[i] += step * p[i]
			res[i] -= step * hp[i]
		}
		rrNew := dot(res, res)
		beta := rrNew / rr
		rr = rrNew
		for i := range p {
			p[i] = res[i] + beta*p[i]
		}
	}
}

// Project sets dst = P(y), y an m×k matrix in row-major order. dst may
// alias y. The result is checked before it is returned: its marginal error
// (∞-norm) must be at most 100·Tol·max(‖a‖∞, ‖b‖∞). When the Newton
// iteration on y stops above that (y far larger than the marginals, where
// max(Y + α1ᵀ + 1βᵀ, 0) cannot resolve entries of the size of the
// marginals), the problem is rescaled by max(‖a‖∞, ‖b‖∞, ‖Y‖∞) and solved
// again on the recentred Y + α1ᵀ + 1βᵀ, which has the same projection (the
// set fixes ⟨P, α1ᵀ + 1βᵀ⟩); the result is then the exact projection of a
// matrix within rounding of y (of ‖Y‖∞ times the machine precision).
// If even that does not reach the tolerance, Project returns the last
// iterate with an error wrapping ErrNotConverged.
func (t Transport) Project(dst, y []float64) error {
	if err := checkProject(dst, y); err != nil {
		return err
	}
	if err := t.check(len(y)); err != nil {
		return err
	}
	m, k := len(t.Rows), len(t.Cols)
	tol := t.Tol
	if !(tol > 0) {
		tol = 1e-14
	}
	maxIter := t.MaxIter
	if maxIter <= 0 {
		maxIter = 500
	}
	mass := max(maxAbs(t.Rows), maxAbs(t.Cols))
	if mass == 0 {
		clear(dst) // the set is {0}
		return nil
	}
	feasTol := 100 * tol * mass
	s := &transportSolver{m: m, k: k, y: append([]float64(nil), y...), a: t.Rows, b: t.Cols}
	// Marginal errors are relative to the scale of the data: P is formed
	// as max(Y + α + β, 0), whose rounding grows with ‖Y‖∞.
	scale := max(1, mass, maxAbs(y))
	it := 0
	if scale < 1e150 { // beyond, ½‖P‖² in the dual overflows: rescale first
		alpha, beta := s.start()
		it = s.newton(alpha, beta, tol*scale, maxIter)
		s.plan(dst, alpha, beta)
		if finite(dst) && s.marginalError(dst) <= feasTol {
			return nil
		}
	}
	// A homotopy on the mass, in units where the entries that matter
	// have the size 1 (powers of two: exact). Each stage solves the
	// problem with the marginals scaled to M = max(‖a‖∞, 2⁻²⁰ S),
	// S = maxᵢ |maxⱼ Yᵢⱼ|, a ratio that the Newton iteration resolves,
	// then recentres Y ← Y + α1ᵀ + 1βᵀ (P(Y) does not change: the set
	// fixes ⟨P, α1ᵀ + 1βᵀ⟩; only the entries are rounded): the entries
	// near the support then have the size of M, and the next stage
	// resolves the next factor 2²⁰. Each stage starts from
	// α_i = a_i − maxⱼ Yᵢⱼ, β = 0 (every row sends its mass to its largest
	// entry). The last stages solve the problem itself.
	rs := &transportSolver{m: m, k: k, y: append([]float64(nil), y...), a: make([]float64, m), b: make([]float64, k)}
	cs := &transportSolver{m: m, k: k, y: make([]float64, m*k), a: rs.a, b: rs.b}
	alpha, beta := make([]float64, m), make([]float64, k)
	p := make([]float64, m*k)
	shift := 0 // current units: original values times 2^−shift
	_, emass := math.Frexp(mass)
	prevFinal := math.Inf(1)
	for range 120 {
		sz := 0.0
		for i := range m {
			r := math.Inf(-1)
			for _, v := range rs.y[i*k : (i+1)*k] {
				r = max(r, v)
			}
			sz = max(sz, math.Abs(r))
		}
		// Rescale so that the larger of S and the mass is about 1.
		_, esz := math.Frexp(sz)
		if sz == 0 {
			esz = math.MinInt32
		}
		e := max(esz, emass-shift)
		shift += e
		for i, v := range rs.y {
			// Entries 2¹⁰⁰ below the support never enter it (α + β are
			// of the size of the support entries and the mass).
			rs.y[i] = max(math.Ldexp(v, -e), -0x1p100)
		}
		// Stage mass 2^d times the true one, d ≥ 0.
		d := max(0, (esz-e)-20-(emass-shift))
		if sz == 0 {
			d = 0
		}
		for i, v := range t.Rows {
			rs.a[i] = math.Ldexp(v, d-shift)
		}
		for j, v := range t.Cols {
			rs.b[j] = math.Ldexp(v, d-shift)
		}
		mk := math.Ldexp(mass, d-shift)
		szc := math.Ldexp(sz, -e)
		for i := range m {
			r := math.Inf(-1)
			for _, v := range rs.y[i*k : (i+1)*k] {
				r = max(r, v)
			}
			alpha[i] = rs.a[i] - r
		}
		clear(beta)
		// Entries far below their row's maximum cannot enter this
		// stage's support (the plan of the full matrix checks it):
		// clipping them keeps the Newton steps along the null directions
		// of a disconnected support short.
		lim := 8 * float64(m+k) * max(szc, mk)
		for i := range m {
			r := rs.a[i] - alpha[i]
			for j, v := range rs.y[i*k : (i+1)*k] {
				cs.y[i*k+j] = max(v, r-lim)
			}
		}
		it += cs.newton(alpha, beta, tol*max(mk, szc), maxIter)
		if d == 0 {
			rs.plan(p, alpha, beta)
			em := rs.marginalError(p)
			if em <= 100*tol*mk {
				break
			}
			if !(em < prevFinal) {
				break // no progress left
			}
			prevFinal = em
		}
		// Recentre: P(Y) = P(Y + α1ᵀ + 1βᵀ).
		for i := range m {
			for j := range k {
				rs.y[i*k+j] += alpha[i] + beta[j]
			}
		}
	}
	for i, v := range p {
		dst[i] = math.Ldexp(v, shift)
	}
	if err := checkOutput(dst); err != nil {
		return err
	}
	if e := s.marginalError(dst); e > feasTol {
		return fmt.Errorf("%w: transport: marginal error %.3g > %.3g after %d Newton iterations (‖Y‖∞ = %.3g, marginals up to %.3g)",
			ErrNotConverged, e, feasTol, it, maxAbs(y), mass)
	}
	return nil
}

// start returns the starting point α = (a − Y1)/k, β = 0: the row
// marginals would be matched if every entry were in the support.
func (s *transportSolver) start() (alpha, beta []float64) {
	m, k := s.m, s.k
	alpha, beta = make([]float64, m), make([]float64, k)
	for i := range m {
		sum := 0.0
		for _, v := range s.y[i*k : (i+1)*k] {
			sum += v
		}
		alpha[i] = (s.a[i] - sum) / float64(k)
	}
	return alpha, beta
}

// plan sets p = max(Y + α1ᵀ + 1βᵀ, 0).
func (s *transportSolver) plan(p, alpha, beta []float64) {
	k := s.k
	for i := range s.m {
		for j := range k {
			p[i*k+j] = max(s.y[i*k+j]+alpha[i]+beta[j], 0)
		}
	}
}

// marginalError returns max(‖P1 − a‖∞, ‖Pᵀ1 − b‖∞).
func (s *transportSolver) marginalError(p []float64) float64 {
	m, k := s.m, s.k
	e := 0.0
	cols := make([]float64, k)
	for i := range m {
		r := 0.0
		for j, v := range p[i*k : (i+1)*k] {
			r += v
			cols[j] += v
		}
		e = max(e, math.Abs(r-s.a[i]))
	}
	for j, v := range cols {
		e = max(e, math.Abs(v-s.b[j]))
	}
	if math.IsNaN(e) {
		return math.Inf(1)
	}
	return e
}

// newton runs the semismooth Newton ascent on the dual from (α, β), in
// place, until the gradient's ∞-norm is at most gtol or maxIter
// iterations, and returns the number of iterations.
func (s *transportSolver) newton(alpha, beta []float64, gtol float64, maxIter int) int {
	m, k := s.m, s.k
	g := make([]float64, m+k)
	gNew := make([]float64, m+k)
	d := make([]float64, m+k)
	na, nb := make([]float64, m), make([]float64, k)
	support := make([]bool, m*k)
	val := s.dual(alpha, beta, g)
	it := 0
	for ; it < maxIter; it++ {
		gmax := 0.0
		for _, v := range g {
			gmax = max(gmax, math.Abs(v))
		}
		if gmax <= gtol {
			break
		}
		for i := range m {
			for j := range k {
				support[i*k+j] = s.y[i*k+j]+alpha[i]+beta[j] > 0
			}
		}
		h := newSupportLaplacian(m, k, support, 1e-10*float64(max(m, k)), true)
		h.cg(d, g, 1e-12, 2*(m+k)+20)
		// Armijo backtracking on the concave dual: ascent direction d.
		slope := dot(g, d)
		if !(slope > 0) {
			copy(d, g) // fall back to the gradient
			slope = dot(g, g)
		}
		step := 1.0
		accepted := false
		for range 60 {
			for i := range m {
				na[i] = alpha[i] + step*d[i]
			}
			for j := range k {
				nb[j] = beta[j] + step*d[m+j]
			}
			nv := s.dual(na, nb, gNew)
			// Armijo on the dual value, or a step at which the concave
			// dual still ascends along d (φ'(t) = ⟨g(t), d⟩ ≥ 0 implies
			// φ(t) ≥ φ(0)). The second test is computed from O(1)
			// quantities and stays reliable when the value no longer
			// resolves the ascent (large Y, or near the solution).
			if nv >= val+1e-4*step*slope || dot(gNew, d) >= 0 {
				accepted = true
				break
			}
			step /= 2
		}
		if !accepted {
			break // no ascent at machine precision: converged as far as possible
		}
		copy(alpha, na)
		copy(beta, nb)
		val = s.dual(alpha, beta, g)
	}
	return it
}

// JVP sets dst = ∂P(y) v: v restricted to the support of x, corrected by
// dαᵢ + dβⱼ so that its row and column sums vanish. dst may alias v.
func (t Transport) JVP(dst, x, y, v []float64) error {
	if err := checkProduct(dst, x, y, v); err != nil {
		return err
	}
	if err := t.check(len(v)); err != nil {
		return err
	}
	m, k := len(t.Rows), len(t.Cols)
	support := make([]bool, m*k)
	rhs := make([]float64, m+k)
	for i := range m {
		for j := range k {
			if x[i*k+j] > 0 {
				support[i*k+j] = true
				rhs[i] -= v[i*k+j]
				rhs[m+j] -= v[i*k+j]
			}
		}
	}
	// H is singular along (1, −1) on each connected component of the
	// support graph (and on empty rows or columns); the right-hand side
	// is orthogonal to those directions, CG stays in the range, and the
	// null components do not change dαᵢ + dβⱼ.
	h := newSupportLaplacian(m, k, support, 0, true)
	sol := make([]float64, m+k)
	h.cg(sol, rhs, 1e-14, 4*(m+k)+20)
	for i := range m {
		for j := range k {
			if support[i*k+j] {
				dst[i*k+j] = v[i*k+j] + sol[i] + sol[m+j]
			} else {
				dst[i*k+j] = 0
			}
		}
	}
	return checkOutput(dst)
}

// VJP equals JVP.
func (t Transport) VJP(dst, x, y, u []float64) error { return t.JVP(dst, x, y, u) }

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

// Params returns θ = (a..., b...), the row then the column marginals.
func (t Transport) Params() []float64 { return append(append([]float64(nil), t.Rows...), t.Cols...) }

// WithParams returns the transport polytope with marginals θ split as in
// Params (the mass Σa = Σb must stay balanced).
func (t Transport) WithParams(theta []float64) (Parametric, error) {
	m, k := len(t.Rows), len(t.Cols)
	if err := paramsLen(theta, m+k); err != nil {
		return nil, err
	}
	return Transport{Rows: append([]float64(nil), theta[:m]...), Cols: append([]float64(nil), theta[m:]...),
		Tol: t.Tol, MaxIter: t.MaxIter}, nil
}

// marginalSolve solves H (dα, dβ) = r on the support of x by conjugate
// gradients (the minimum-norm solution when r is balanced on every
// connected component of the support graph).
func (t Transport) marginalSolve(x, r []float64) []float64 {
	m, k := len(t.Rows), len(t.Cols)
	support := make([]bool, m*k)
	for i := range support {
		support[i] = x[i] > 0
	}
	h := newSupportLaplacian(m, k, support, 0, true)
	sol := make([]float64, m+k)
	h.cg(sol, r, 1e-14, 4*(m+k)+20)
	return sol
}

// ParamJVP sets dst = ∂P/∂(a, b) · (da, db): dPᵢⱼ = dαᵢ + dβⱼ on the
// support with H (dα, dβ) = (da, db). Only balanced directions
// (Σda = Σdb on each connected component of the support) keep the set
// nonempty; others are answered in the least-squares sense.
func (t Transport) ParamJVP(dst, x, y, dtheta []float64) error {
	m, k := len(t.Rows), len(t.Cols)
	if err := checkParamProduct(x, y, dtheta, m+k); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	if err := t.check(len(x)); err != nil {
		return err
	}
	sol := t.marginalSolve(x, dtheta)
	for i := range m {
		for j := range k {
			if x[i*k+j] > 0 {
				dst[i*k+j] = sol[i] + sol[m+j]
			} else {
				dst[i*k+j] = 0
			}
		}
	}
	return checkOutput(dst)
}

// ParamVJP sets dst = H⁺ (row sums, column sums of u on the support): the
// gradient of ⟨u, P⟩ with respect to (a, b), defined up to adding
// (c1, −c1) on a connected component of the support (directions that
// change the total mass); the minimum-norm representative is returned.
func (t Transport) ParamVJP(dst, x, y, u []float64) error {
	m, k := len(t.Rows), len(t.Cols)
	if err := checkParamVJP(dst, x, y, u, m+k); err != nil {
		return err
	}
	if err := t.check(len(x)); err != nil {
		return err
	}
	r := make([]float64, m+k)
	for i := range m {
		for j := range k {
			if x[i*k+j] > 0 {
				r[i] += u[i*k+j]
				r[m+j] += u[i*k+j]
			}
		}
	}
	copy(dst, t.marginalSolve(x, r))
	return checkOutput(dst)
}

var _ Parametric = Transport{}
