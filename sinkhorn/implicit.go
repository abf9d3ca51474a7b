package sinkhorn

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/internal/symeig"
)

// Condition is the first-order optimality condition of the dual problem,
// F(x, θ) = 0 with x = (f, g) ∈ Rⁿ⁺ᵐ:
//
//	F_f = P1 − a ∘ t_a(f) + γ s 1/n,   F_g = Pᵀ1 − b ∘ t_b(g) − γ s 1/m,
//
// where P_ij = a_i b_j e^{(f_i+g_j−C_ij)/ε}, t(f) = 1 for a hard constraint
// and e^{−f/τ} for a KL penalty. For a balanced problem the gauge term, with
// s = mean(f) − mean(g) and γ = ⟨a,1⟩/ε, pins the free constant f + c,
// g − c (it vanishes at the solver's output), making ∂ₓF nonsingular.
//
// θ is laid out as (C row-major, a, b) for a cost-matrix problem and
// (X row-major, Y row-major, a, b) for a point-cloud problem; ε is fixed.
// ∂ₓF is symmetric positive definite and implements linsolve.Factorized
// through the Schur-complement solve of [DiffSettings], so the implicit
// engine uses that solve by default (Method Auto).
//
// Linearize stores the n×m matrix e^{(f⊕g−C)/ε}.
type Condition struct {
	p    *prepared
	diff DiffSettings
}

// ConditionWith returns the optimality condition of r's problem, typed.
// s configures the Schur-complement solve of its ∂ₓF (nil: defaults).
// Condition (the module's contract) is ConditionWith(nil) with its point
// and parameters.
func (r *Result) ConditionWith(s *DiffSettings) *Condition {
	c := &Condition{p: r.p}
	if s != nil {
		c.diff = *s
	}
	return c
}

// Potentials returns x = (F, G), the point at which the condition holds.
func (r *Result) Potentials() []float64 { return append(append([]float64(nil), r.F...), r.G...) }

// Theta returns the θ of r's problem in the condition's layout.
func (c *Condition) Theta() []float64 {
	p := c.p
	var th []float64
	if p.points {
		th = append(append(th, p.geom.x...), p.geom.y...)
	} else {
		th = append(th, p.geom.c...)
	}
	return append(append(th, p.a...), p.b...)
}

// Dims returns (n+m, len(θ)).
func (c *Condition) Dims() (int, int) {
	p := c.p
	k := p.n * p.m
	if p.points {
		k = (p.n + p.m) * p.geom.d
	}
	return p.n + p.m, k + p.n + p.m
}

// unpack returns the cost matrix, a and b encoded in θ.
func (c *Condition) unpack(theta []float64) (cost, a, b []float64) {
	p := c.p
	n, m := p.n, p.m
	off := n * m
	if p.points {
		d := p.geom.d
		off = (n + m) * d
		x, y := theta[:n*d], theta[n*d:off]
		cost = make([]float64, n*m)
		for i := range n {
			for j := range m {
				cost[i*m+j] = p.geom.pc.Cost(x[i*d:(i+1)*d], y[j*d:(j+1)*d])
			}
		}
	} else {
		cost = theta[:off]
	}
	return cost, theta[off : off+n], theta[off+n : off+n+m]
}

func (c *Condition) gauge() float64 {
	if !c.p.balanced {
		return 0
	}
	return c.p.massA / c.p.eps
}

// kernelQ returns Q_ij = e^{(f_i+g_j−C_ij)/ε}.
func (c *Condition) kernelQ(f, g, cost []float64) []float64 {
	n, m := c.p.n, c.p.m
	q := make([]float64, n*m)
	invEps := 1 / c.p.eps
	for i := range n {
		for j := range m {
			q[i*m+j] = fastExp((f[i] + g[j] - cost[i*m+j]) * invEps)
		}
	}
	return q
}

// Residual sets dst = F(x, θ) (NaN when the lengths do not match or x or
// θ is not finite: Residual cannot return an error).
func (c *Condition) Residual(dst, x, theta []float64) {
	if err := c.checkArgs(x, theta); err != nil || len(dst) != c.p.n+c.p.m {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	p := c.p
	n, m := p.n, p.m
	f, g := x[:n], x[n:]
	cost, a, b := c.unpack(theta)
	q := c.kernelQ(f, g, cost)
	var s float64
	if p.balanced {
		for _, v := range f {
			s += v / float64(n)
		}
		for _, v := range g {
			s -= v / float64(m)
		}
	}
	gm := c.gauge()
	for i := range n {
		var r float64
		for j := range m {
			r += a[i] * b[j] * q[i*m+j]
		}
		t, _ := target(f[i], p.tauA)
		dst[i] = r - a[i]*t + gm*s/float64(n)
	}
	for j := range m {
		var r float64
		for i := range n {
			r += a[i] * b[j] * q[i*m+j]
		}
		t, _ := target(g[j], p.tauB)
		dst[n+j] = r - b[j]*t - gm*s/float64(m)
	}
}

// checkArgs validates the lengths and finiteness of x and θ.
func (c *Condition) checkArgs(x, theta []float64) error {
	if c == nil || c.p == nil {
		return fmt.Errorf("%w: nil or empty Condition", ErrDims)
	}
	n, np := c.Dims()
	if len(x) != n || len(theta) != np {
		return fmt.Errorf("%w: x of length %d, θ of length %d, want %d, %d", ErrDims, len(x), len(theta), n, np)
	}
	if !finiteSlice(x) || !finiteSlice(theta) {
		return fmt.Errorf("%w: in x or θ", ErrNaN)
	}
	return nil
}

// Linearize returns ∂ₓF (a *Hessian) and ∂θF at (x, θ).
func (c *Condition) Linearize(x, theta []float64) (implicit.Operator, implicit.Operator, error) {
	if err := c.checkArgs(x, theta); err != nil {
		return nil, nil, err
	}
	if err := c.diff.check(); err != nil {
		return nil, nil, err
	}
	p := c.p
	n, m := p.n, p.m
	f, g := x[:n], x[n:]
	cost, a, b := c.unpack(theta)
	for _, v := range a {
		if !(v > 0) {
			return nil, nil, fmt.Errorf("%w: implicit differentiation needs positive weights", ErrInvalid)
		}
	}
	for _, v := range b {
		if !(v > 0) {
			return nil, nil, fmt.Errorf("%w: implicit differentiation needs positive weights", ErrInvalid)
		}
	}
	q := c.kernelQ(f, g, cost)
	h := newHessian(p, q, f, g, a, b, c.gauge(), c.diff)
	// bq_i = Σ_j b_j Q_ij, aq_j = Σ_i a_i Q_ij.
	bq, aq := make([]float64, n), make([]float64, m)
	for i := range n {
		for j := range m {
			bq[i] += b[j] * q[i*m+j]
			aq[j] += a[i] * q[i*m+j]
		}
	}
	ta, tb := make([]float64, n), make([]float64, m)
	for i := range n {
		ta[i], _ = target(f[i], p.tauA)
	}
	for j := range m {
		tb[j], _ = target(g[j], p.tauB)
	}
	_, np := c.Dims()
	invEps := 1 / p.eps
	var xs, ys []float64
	d := p.geom.d
	if p.points {
		xs, ys = theta[:n*d], theta[n*d:(n+m)*d]
	}
	off := np - n - m
	// dC from dθ (cost part).
	dcost := func(dth []float64) []float64 {
		if !p.points {
			return dth[:n*m]
		}
		dc := make([]float64, n*m)
		gx, gy := make([]float64, d), make([]float64, d)
		for i := range n {
			for j := range m {
				p.geom.pc.Grad(gx, gy, xs[i*d:(i+1)*d], ys[j*d:(j+1)*d])
				var s float64
				for k := range d {
					s += gx[k]*dth[i*d+k] + gy[k]*dth[n*d+j*d+k]
				}
				dc[i*m+j] = s
			}
		}
		return dc
	}
	apply := func(dst, dth []float64) {
		dc := dcost(dth)
		da, db := dth[off:off+n], dth[off+n:]
		for i := range n {
			var s float64
			for j := range m {
				s += a[i] * q[i*m+j] * (-b[j]*dc[i*m+j]*invEps + db[j])
			}
			dst[i] = s + da[i]*(bq[i]-ta[i])
		}
		for j := range m {
			var s float64
			for i := range n {
				s += b[j] * q[i*m+j] * (-a[i]*dc[i*m+j]*invEps + da[i])
			}
			dst[n+j] = s + db[j]*(aq[j]-tb[j])
		}
	}
	applyT := func(dst, u []float64) {
		uf, ug := u[:n], u[n:]
		w := make([]float64, n*m)
		da, db := dst[off:off+n], dst[off+n:]
		clear(db)
		for i := range n {
			var s float64
			for j := range m {
				pq := a[i] * b[j] * q[i*m+j]
				w[i*m+j] = -pq * invEps * (uf[i] + ug[j])
				s += b[j] * q[i*m+j] * ug[j]
				db[j] += a[i] * q[i*m+j] * uf[i]
			}
			da[i] = uf[i]*(bq[i]-ta[i]) + s
		}
		for j := range m {
			db[j] += ug[j] * (aq[j] - tb[j])
		}
		if !p.points {
			copy(dst[:n*m], w)
			return
		}
		clear(dst[:off])
		gx, gy := make([]float64, d), make([]float64, d)
		for i := range n {
			for j := range m {
				if w[i*m+j] == 0 {
					continue
				}
				p.geom.pc.Grad(gx, gy, xs[i*d:(i+1)*d], ys[j*d:(j+1)*d])
				for k := range d {
					dst[i*d+k] += w[i*m+j] * gx[k]
					dst[n*d+j*d+k] += w[i*m+j] * gy[k]
				}
			}
		}
	}
	return h, linsolve.NewFunc(n+m, np, apply, applyT), nil
}

// DiffSettings controls implicit differentiation through the
// Schur-complement solve. The zero value means the documented defaults;
// a negative, NaN or infinite Ridge or Tol and a negative MaxIter are
// errors matching ErrInvalid.
type DiffSettings struct {
	// Ridge is added to the Schur complement (Cuturi et al.'s ridge): it
	// regularizes ill-conditioned systems at small ε at the price of a
	// bias of order Ridge. Default 0.
	Ridge float64
	// Tol is the relative residual of the conjugate gradients; default
	// 1e-12.
	Tol float64
	// MaxIter caps the conjugate-gradient iterations; default 10·min(n,m)
	// and at least 1000.
	MaxIter int
	// Implicit, if non-nil, makes Backward use the generic implicit engine
	// with these settings (for instance Method: implicit.DenseLU) instead of
	// the Schur-complement solve; a reference path, slower.
	Implicit *implicit.Settings
}

// check rejects a negative, NaN or infinite Ridge or Tol and a negative
// MaxIter (zero means the default). A nil s is valid.
func (s *DiffSettings) check() error {
	if s == nil {
		return nil
	}
	if !(s.Ridge >= 0) || math.IsInf(s.Ridge, 1) || !(s.Tol >= 0) || math.IsInf(s.Tol, 1) || s.MaxIter < 0 {
		return fmt.Errorf("%w: DiffSettings Ridge %v, Tol %v, MaxIter %d (want finite Ridge, Tol ≥ 0 and MaxIter ≥ 0; 0: default)",
			ErrInvalid, s.Ridge, s.Tol, s.MaxIter)
	}
	return nil
}

// Hessian is ∂ₓF of [Condition]: the symmetric positive definite matrix
//
//	H = [ diag(P1)/ε + D_a   P/ε ;  Pᵀ/ε   diag(Pᵀ1)/ε + D_b ] + γ u uᵀ,
//
// with D = diag(a e^{−f/τ}/τ) for KL penalties (zero for hard
// constraints) and the gauge term γ u uᵀ, u = (1/n, −1/m), for balanced
// problems. Solve eliminates the larger block and runs conjugate gradients
// on the Schur complement of size min(n, m) (the fast path of ott-jax's
// implicit differentiation); it implements linsolve.Factorized.
type Hessian struct {
	n, m     int
	eps      float64
	pm       []float64 // P (n×m)
	da, db   []float64 // diagonal blocks
	gm       float64
	diff     DiffSettings
	balanced bool
	// Iterations of the last conjugate-gradient solve.
	Iterations int
}

func newHessian(p *prepared, q, f, g, a, b []float64, gm float64, diff DiffSettings) *Hessian {
	n, m := p.n, p.m
	h := &Hessian{n: n, m: m, eps: p.eps, gm: gm, diff: diff, balanced: p.balanced}
	h.pm = make([]float64, n*m)
	h.da, h.db = make([]float64, n), make([]float64, m)
	for i := range n {
		for j := range m {
			v := a[i] * b[j] * q[i*m+j]
			h.pm[i*m+j] = v
			h.da[i] += v / p.eps
			h.db[j] += v / p.eps
		}
	}
	for i := range n {
		_, dt := target(f[i], p.tauA)
		h.da[i] += -a[i] * dt
	}
	for j := range m {
		_, dt := target(g[j], p.tauB)
		h.db[j] += -b[j] * dt
	}
	return h
}

// Dims returns (n+m, n+m).
func (h *Hessian) Dims() (int, int) { return h.n + h.m, h.n + h.m }

// Apply sets dst = H v.
func (h *Hessian) Apply(dst, v []float64) {
	n, m := h.n, h.m
	vf, vg := v[:n], v[n:]
	var s float64
	for _, x := range vf {
		s += x / float64(n)
	}
	for _, x := range vg {
		s -= x / float64(m)
	}
	s *= h.gm
	for i := range n {
		var r float64
		for j, pij := range h.pm[i*m : (i+1)*m] {
			r += pij * vg[j]
		}
		dst[i] = h.da[i]*vf[i] + r/h.eps + s/float64(n)
	}
	for j := range m {
		dst[n+j] = h.db[j]*vg[j] - s/float64(m)
	}
	for i := range n {
		fi := vf[i] / h.eps
		for j, pij := range h.pm[i*m : (i+1)*m] {
			dst[n+j] += pij * fi
		}
	}
}

// ApplyT is Apply (H is symmetric).
func (h *Hessian) ApplyT(dst, u []float64) { h.Apply(dst, u) }

// SolveT is Solve (H is symmetric).
func (h *Hessian) SolveT(dst, b []float64) error { return h.Solve(dst, b) }

// Solve sets dst = H⁻¹ rhs by the Schur complement. For a balanced
// problem, H₀ = H − γuuᵀ is singular with kernel z = (1, −1): the solve
// splits rhs into a part in range(H₀) and a multiple of γu, solves the
// consistent singular system with H₀ and adds the multiple of z that
// restores uᵀx.
func (h *Hessian) Solve(dst, rhs []float64) error {
	n, m := h.n, h.m
	r := append([]float64(nil), rhs...)
	var kappa float64
	if h.balanced {
		// zᵀH x = γ(zᵀu)(uᵀx) = zᵀrhs with zᵀu = 2.
		var zr float64
		for _, v := range rhs[:n] {
			zr += v
		}
		for _, v := range rhs[n:] {
			zr -= v
		}
		kappa = zr / (2 * h.gm)
		for i := range n {
			r[i] -= h.gm * kappa / float64(n)
		}
		for j := range m {
			r[n+j] += h.gm * kappa / float64(m)
		}
	}
	if err := h.schur(dst, r); err != nil {
		return err
	}
	if h.balanced {
		var uy float64
		for _, v := range dst[:n] {
			uy += v / float64(n)
		}
		for _, v := range dst[n:] {
			uy -= v / float64(m)
		}
		t := (kappa - uy) / 2
		for i := range n {
			dst[i] += t
		}
		for j := range m {
			dst[n+j] -= t
		}
	}
	for _, v := range dst {
		if !finite(v) {
			return fmt.Errorf("%w: Schur solve produced NaN", ErrNumerical)
		}
	}
	return nil
}

// schur solves H₀ y = r (consistent) by eliminating the larger block.
func (h *Hessian) schur(y, r []float64) error {
	n, m := h.n, h.m
	// Work in terms of "big" (eliminated) and "small" blocks.
	bigF := n >= m
	nb, ns := n, m
	dBig, dSmall := h.da, h.db
	rBig, rSmall := r[:n], r[n:]
	yBig, ySmall := y[:n], y[n:]
	if !bigF {
		nb, ns = m, n
		dBig, dSmall = h.db, h.da
		rBig, rSmall = r[n:], r[:n]
		yBig, ySmall = y[n:], y[:n]
	}
	for _, v := range dBig {
		if !(v > 0) {
			return fmt.Errorf("%w: singular diagonal block", ErrNumerical)
		}
	}
	// K = P/ε seen as big×small.
	kBigSmall := func(dst, v []float64) { // dst (big) = K v (small)
		if bigF {
			for i := range n {
				var s float64
				for j, pij := range h.pm[i*m : (i+1)*m] {
					s += pij * v[j]
				}
				dst[i] = s / h.eps
			}
			return
		}
		clear(dst)
		for i := range n {
			vi := v[i] / h.eps
			for j, pij := range h.pm[i*m : (i+1)*m] {
				dst[j] += pij * vi
			}
		}
	}
	kSmallBig := func(dst, v []float64) { // dst (small) = Kᵀ v (big)
		if bigF {
			clear(dst)
			for i := range n {
				vi := v[i] / h.eps
				for j, pij := range h.pm[i*m : (i+1)*m] {
					dst[j] += pij * vi
				}
			}
			return
		}
		for i := range n {
			var s float64
			for j, pij := range h.pm[i*m : (i+1)*m] {
				s += pij * v[j]
			}
			dst[i] = s / h.eps
		}
	}
	tmpB := make([]float64, nb)
	ridge := h.diff.Ridge
	op := linsolve.NewFunc(ns, ns, func(dst, v []float64) {
		kBigSmall(tmpB, v)
		for k := range tmpB {
			tmpB[k] /= dBig[k]
		}
		kSmallBig(dst, tmpB)
		for k := range dst {
			dst[k] = dSmall[k]*v[k] - dst[k] + ridge*v[k]
		}
	}, nil)
	op.ApplyTFunc = op.ApplyFunc
	// rhs_s = r_small − Kᵀ D⁻¹ r_big.
	for k := range tmpB {
		tmpB[k] = rBig[k] / dBig[k]
	}
	rhs := make([]float64, ns)
	kSmallBig(rhs, tmpB)
	for k := range rhs {
		rhs[k] = rSmall[k] - rhs[k]
	}
	tol := h.diff.Tol
	if tol <= 0 {
		tol = 1e-12
	}
	maxIter := h.diff.MaxIter
	if maxIter <= 0 {
		maxIter = max(10*ns, 1000)
	}
	clear(ySmall)
	precond := make(linsolve.Jacobi, ns)
	copy(precond, dSmall)
	res, err := linsolve.CG(context.Background(), ySmall, op, rhs, &linsolve.Settings{Tol: tol, MaxIter: maxIter, Precond: precond})
	h.Iterations = res.Iterations
	if err != nil {
		// For a balanced problem the Schur complement S is singular
		// (S1 = 0) and the right-hand side is consistent only to
		// rounding: once the residual reaches that level CG can break
		// down (pᵀSp ≤ 0) or stall. Solutions differ by multiples of 1
		// (of z = (1, −1) for H₀), which Solve removes, so solve instead
		// with the nonsingular S + σ11ᵀ/ns (σ the mean diagonal): by
		// CG, then, on small problems or if CG fails again, densely.
		if ferr := h.schurFallback(ySmall, op, rhs, precond, tol, maxIter); ferr != nil {
			return fmt.Errorf("sinkhorn: Schur complement CG: %w (fallback: %v)", err, ferr)
		}
	}
	// y_big = D⁻¹(r_big − K y_small).
	kBigSmall(tmpB, ySmall)
	for k := range yBig {
		yBig[k] = (rBig[k] - tmpB[k]) / dBig[k]
	}
	return nil
}

// schurFallback solves (S + σ11ᵀ/ns) y = rhs, σ = mean(diag S) for a
// balanced problem (S itself otherwise), by CG and then, if that fails and
// S is small enough to form (ns ≤ 2000), by a dense symmetric
// eigendecomposition with tiny eigenvalues dropped.
func (h *Hessian) schurFallback(y []float64, op *linsolve.Func, rhs []float64, precond linsolve.Jacobi, tol float64, maxIter int) error {
	ns := len(rhs)
	var sigma float64
	if h.balanced {
		for _, d := range precond {
			sigma += d
		}
		sigma /= float64(ns)
	}
	defl := linsolve.NewFunc(ns, ns, func(dst, v []float64) {
		op.Apply(dst, v)
		if sigma == 0 {
			return
		}
		var s float64
		for _, x := range v {
			s += x
		}
		s *= sigma / float64(ns)
		for k := range dst {
			dst[k] += s
		}
	}, nil)
	defl.ApplyTFunc = defl.ApplyFunc
	pre := make(linsolve.Jacobi, ns)
	for k, d := range precond {
		pre[k] = d + sigma/float64(ns)
	}
	clear(y)
	res, err := linsolve.CG(context.Background(), y, defl, rhs, &linsolve.Settings{Tol: tol, MaxIter: maxIter, Precond: pre})
	h.Iterations += res.Iterations
	if err == nil {
		return nil
	}
	if ns > 2000 {
		return err
	}
	// Dense: S column by column, symmetrized, then its pseudo-inverse.
	full := mat.NewDense(ns, ns, nil)
	e, col := make([]float64, ns), make([]float64, ns)
	for j := range ns {
		clear(e)
		e[j] = 1
		defl.Apply(col, e)
		full.SetCol(j, col)
	}
	sm := mat.NewSymDense(ns, nil)
	for i := range ns {
		for j := i; j < ns; j++ {
			sm.SetSym(i, j, 0.5*(full.At(i, j)+full.At(j, i)))
		}
	}
	vals, vecs, err := symeig.Decompose(sm, true)
	if err != nil {
		return fmt.Errorf("%w: the Schur complement: %v", ErrNumerical, err)
	}
	top := 0.0
	for _, v := range vals {
		top = max(top, math.Abs(v))
	}
	clear(y)
	for k, v := range vals {
		if !(v > 1e-13*top) {
			continue
		}
		var c float64
		for i := range ns {
			c += vecs.At(i, k) * rhs[i]
		}
		c /= v
		for i := range ns {
			y[i] += c * vecs.At(i, k)
		}
	}
	return nil
}

// Backward returns the gradient of ⟨gf, f⟩ + ⟨gg, g⟩ with respect to the
// problem's inputs by implicit differentiation of the optimality
// condition, F(x*, θ) = 0 ⇒ ∂x*/∂θ = −(∂ₓF)⁻¹ ∂θF, as a typed Grad. f is
// the gauge-fixed potential of [Condition] (mean(f) = mean(g) when
// balanced). It is VJP (the module's contract, on the flat θ) with the
// cotangent split by potential and the gradient unpacked. Memory: the
// n×m plan.
func (r *Result) Backward(gf, gg []float64, s *DiffSettings) (g *Grad, err error) {
	defer recoverPanic(&err, func() { g = nil })
	if r == nil || r.p == nil {
		return nil, fmt.Errorf("%w: nil or empty Result", ErrDims)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	p := r.p
	if len(gf) != p.n || len(gg) != p.m {
		return nil, fmt.Errorf("%w: cotangents of lengths %d, %d, want %d, %d", ErrDims, len(gf), len(gg), p.n, p.m)
	}
	gx := append(append([]float64(nil), gf...), gg...)
	for _, v := range gx {
		if !finite(v) {
			return nil, fmt.Errorf("%w: in the cotangent", ErrNaN)
		}
	}
	c := r.ConditionWith(s)
	var es *implicit.Settings
	if s != nil {
		es = s.Implicit
	}
	th := c.Theta()
	dth, err := implicit.VJP(context.Background(), c, r.Potentials(), th, gx, es)
	if err != nil {
		return nil, err
	}
	return c.gradOf(dth), nil
}

// gradOf unpacks a θ-gradient into a Grad.
func (c *Condition) gradOf(dth []float64) *Grad {
	p := c.p
	n, m := p.n, p.m
	_, np := c.Dims()
	off := np - n - m
	g := &Grad{A: dth[off : off+n], B: dth[off+n:]}
	if p.points {
		d := p.geom.d
		g.X = mat.NewDense(n, d, dth[:n*d])
		g.Y = mat.NewDense(m, d, dth[n*d:off])
	} else {
		g.C = mat.NewDense(n, m, dth[:off])
	}
	return g
}

// PlanVJP returns the gradient of ⟨G, P⟩ with respect to the inputs, P the
// plan, by implicit differentiation: the direct dependence of
// P_ij = a_i b_j e^{(f_i+g_j−C_ij)/ε} on (C, a, b) plus the dependence
// through the potentials.
func (r *Result) PlanVJP(gp mat.Matrix, s *DiffSettings) (g *Grad, err error) {
	defer recoverPanic(&err, func() { g = nil })
	if r == nil || r.p == nil {
		return nil, fmt.Errorf("%w: nil or empty Result", ErrDims)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	p := r.p
	n, m := p.n, p.m
	if gp == nil {
		return nil, fmt.Errorf("%w: nil plan cotangent", ErrDims)
	}
	if rr, cc := gp.Dims(); rr != n || cc != m {
		return nil, fmt.Errorf("%w: plan cotangent is %d×%d, want %d×%d", ErrDims, rr, cc, n, m)
	}
	cost := costValues(p)
	invEps := 1 / p.eps
	gf, gg := make([]float64, n), make([]float64, m)
	w := make([]float64, n*m)
	da, db := make([]float64, n), make([]float64, m)
	gdense := mat.DenseCopyOf(gp)
	for i := range n {
		grow := gdense.RawRowView(i)
		for j := range m {
			gij := grow[j]
			if !finite(gij) {
				return nil, fmt.Errorf("%w: in the plan cotangent", ErrNaN)
			}
			q := fastExp((r.F[i] + r.G[j] - cost[i*m+j]) * invEps)
			pij := p.a[i] * p.b[j] * q
			gf[i] += gij * pij * invEps
			gg[j] += gij * pij * invEps
			w[i*m+j] = -gij * pij * invEps
			da[i] += gij * p.b[j] * q
			db[j] += gij * p.a[i] * q
		}
	}
	out, err := r.Backward(gf, gg, s)
	if err != nil {
		return nil, err
	}
	direct := &Grad{A: da, B: db}
	weightedCost(p, w, direct)
	addGrad(out, direct)
	return out, nil
}

func addGrad(dst, src *Grad) {
	if dst.C != nil && src.C != nil {
		dst.C.Add(dst.C, src.C)
	}
	if dst.X != nil && src.X != nil {
		dst.X.Add(dst.X, src.X)
		dst.Y.Add(dst.Y, src.Y)
	}
	for i := range dst.A {
		dst.A[i] += src.A[i]
	}
	for j := range dst.B {
		dst.B[j] += src.B[j]
	}
}
