package cone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"gonum.org/v1/gonum/mat"
)

// The interior point of Solve: the homogeneous embedding of Clarabel
// (Goulart & Chen, "Clarabel: an interior-point solver for conic
// programs with quadratic objectives", 2024, §3–5) on the equilibrated
// data, unknowns (x, z, s, τ, κ) with residuals
//
//	r_x = Q̃x + Ãᵀz + p̃τ,  r_z = Ãx + s − b̃τ,
//	r_τ = κ + p̃ᵀx + b̃ᵀz + xᵀQ̃x/τ,
//
// and μ = (⟨s, z⟩ + τκ)/(ν + 1). A Newton step with the linearized
// complementarity eliminates Δs = −d_s − HΔz and Δκ = −(d_κ + κΔτ)/τ; two
// solves with the KKT matrix (kkt.go), one for the constant right-hand
// side (−p̃, b̃) giving (x₁, z₁) and one for the step's giving (x₂, z₂),
// and Δτ from the scalar equation
//
//	Δτ = (−ηr_τ + d_κ/τ − (p̃ + 2Q̃ξ)ᵀx₂ − b̃ᵀz₂) / (−κ/τ − ‖x₁ − ξ‖²_Q̃ − z₁ᵀHz₁),
//
// ξ = x/τ, give the direction (Δx, Δz) = (x₂, z₂) + Δτ(x₁, z₁).
//
// Affine step: η = 1, d_s = s, d_κ = τκ. Centering σ = (1 − α_aff)³.
// Combined step: η = 1 − σ, d_κ = τκ + Δτ_aΔκ_a − σμ and, per block,
//
//	symmetric (Mehrotra, in NT-scaled variables, λ = Ws = W⁻ᵀz):
//	  d_s = W⁻¹(λ \ (λ∘λ + (WΔs_a)∘(W⁻ᵀΔz_a) − σμe)),
//	exponential and power (Dahl & Andersen 2022; Clarabel §5):
//	  d_s = s − σμs̃ − ½∇³f*(z)[Δz_a, ∇²f*(z)⁻¹Δs_a],  s̃ = −∇f*(z),
//
// with ∇³f*(z)[u, ∇²f*(z)⁻¹v] = H_x⁻¹∇³f(s̃)[H_x⁻¹u, v], H_x = ∇²f(s̃).
// Step α = 0.99·(the largest step keeping s ∈ K, z ∈ K*, τ, κ > 0), on
// the non-symmetric blocks shortened (×0.8) until each block keeps
// ⟨sᵢ, zᵢ⟩ ≥ 0.1·νᵢμ; if the step is still shorter than 0.1 the
// non-symmetric blocks switch to the dual scaling H = μ∇²f*(z) for that
// iteration, as Clarabel does.

const (
	stepFraction   = 0.99
	centralityBeta = 0.1
	minSwitchStep  = 0.1
	minStep        = 1e-10
)

type blockState struct {
	sc Scaling       // SOC, PSD: the NT scaling; exponential, power: the primal-dual one (nil in dual mode)
	w  []float64     // orthant: diag(W); dense blocks: W row-major d×d
	wi []float64     // W⁻¹ likewise
	xc []float64     // non-symmetric: s̃ = −∇f*(z)
	hx [3][3]float64 // non-symmetric: ∇²f(s̃)
}

type ipm struct {
	ctx    context.Context
	pb     *Problem
	set    Settings
	eq     *equilibration
	blocks []block
	st     []blockState
	kkt    *kktSystem
	logger *slog.Logger
	n, m   int
	nu     float64
	nonsym bool

	x, z, s    []float64
	tau, kappa float64

	// scratch
	rx, rz, qx, atz, ax    []float64
	x1, z1, x2, z2, u1, u2 []float64
	du                     []float64
	quad1                  float64
	dx, dz, ds             []float64
	dxa, dza, dsa          []float64
	dsEff, hz, tmp, rhsx   []float64
	rhsz, xi, pxi          []float64
	dtau, dkappa           float64
	dtauA, dkappaA         float64
	rtau, mu               float64
	den                    float64
	dualMode               bool
	iter                   int
	bestScore              float64
	best                   *Solution
	lastRes                Residuals
	cand                   *Solution
	candScore              float64
	infeasCert, unbddCert  []float64
	infeasOK, unbddOK      bool
}

func newIPM(ctx context.Context, pb *Problem, set Settings, blocks []block) (*ipm, error) {
	n, m := pb.Dims()
	w := &ipm{ctx: ctx, pb: pb, set: set, blocks: blocks, n: n, m: m, logger: set.Logger}
	w.eq = equilibrate(pb, blocks)
	for _, bk := range blocks {
		w.nu += float64(bk.nu)
		if bk.kind == bkNonsym {
			w.nonsym = true
		}
	}
	w.st = make([]blockState, len(blocks))
	for i, bk := range blocks {
		d := bk.hi - bk.lo
		switch {
		case bk.kind == bkNonneg:
			w.st[i].w, w.st[i].wi = make([]float64, d), make([]float64, d)
		case bk.dense():
			w.st[i].w, w.st[i].wi = make([]float64, d*d), make([]float64, d*d)
		}
	}
	k, err := newKKT(w.eq, blocks, set.Workers)
	if err != nil {
		return nil, err
	}
	w.kkt = k
	mk := func(l int) []float64 { return make([]float64, l) }
	w.x, w.z, w.s = mk(n), mk(m), mk(m)
	w.rx, w.rz, w.qx, w.atz, w.ax = mk(n), mk(m), mk(n), mk(n), mk(m)
	w.x1, w.z1, w.x2, w.z2 = mk(n), mk(m), mk(n), mk(m)
	w.u1, w.u2, w.du = mk(m), mk(m), mk(m)
	w.dx, w.dz, w.ds = mk(n), mk(m), mk(m)
	w.dxa, w.dza, w.dsa = mk(n), mk(m), mk(m)
	w.dsEff, w.hz, w.tmp, w.rhsx = mk(m), mk(m), mk(m), mk(n)
	w.rhsz, w.xi, w.pxi = mk(m), mk(n), mk(n)
	w.bestScore = math.Inf(1)
	return w, nil
}

// qmul sets dst = Q̃v (0 for a linear objective).
func (w *ipm) qmul(dst, v []float64) {
	if w.eq.q == nil {
		clear(dst)
		return
	}
	_ = w.eq.q.MulVec(dst, v)
}

func (w *ipm) blk(bk block, v []float64) []float64 { return v[bk.lo:bk.hi] }

// ---- starting point ----

// identityW sets W = I on the cone blocks.
func (w *ipm) identityW() {
	for i, bk := range w.blocks {
		st := &w.st[i]
		d := bk.hi - bk.lo
		switch {
		case bk.kind == bkNonneg:
			for j := range st.w {
				st.w[j], st.wi[j] = 1, 1
			}
			w.kkt.setDiagW(bk, st.w)
		case bk.dense():
			clear(st.w)
			clear(st.wi)
			for j := range d {
				st.w[j*d+j], st.wi[j*d+j] = 1, 1
			}
			w.kkt.setDenseW(i, bk, st.w)
		}
	}
}

// minEig returns the smallest eigenvalue of v in a symmetric block (the
// largest t with v − te ∈ K).
func minEig(bk block, v []float64) float64 {
	switch bk.kind {
	case bkNonneg:
		m := math.Inf(1)
		for _, x := range v {
			m = math.Min(m, x)
		}
		return m
	case bkSOC:
		return v[0] - nrm2(v[1:])
	case bkPSD:
		n := bk.c.(PSD).N
		sc := maxAbsVec(v)
		if sc == 0 {
			return 0
		}
		lam, _, err := eigSym(smat(n, scaleVec(v, 1/sc)), true)
		if err != nil || len(lam) == 0 {
			return math.Inf(-1)
		}
		mn := lam[0]
		for _, l := range lam {
			mn = math.Min(mn, l)
		}
		return mn * sc
	}
	return 0
}

// addIdentity adds t·e to v on a symmetric block.
func addIdentity(bk block, v []float64, t float64) {
	switch bk.kind {
	case bkNonneg:
		for i := range v {
			v[i] += t
		}
	case bkSOC:
		v[0] += t
	case bkPSD:
		n := bk.c.(PSD).N
		p := 0
		for j := range n {
			v[p] += t
			p += n - j
		}
	}
}

// shiftSymmetric pushes v into the interior of the symmetric blocks as
// CVXOPT does: with t = max over blocks of −λ_min, if t ≥ −1e-8·max(‖v‖, 1)
// every block gets v + (1 + t)e.
func (w *ipm) shiftSymmetric(v []float64) {
	t := math.Inf(-1)
	for _, bk := range w.blocks {
		if bk.kind == bkZero {
			continue
		}
		t = math.Max(t, -minEig(bk, w.blk(bk, v)))
	}
	if math.IsInf(t, -1) {
		return
	}
	if t >= -1e-8*math.Max(nrm2(v), 1) {
		for _, bk := range w.blocks {
			if bk.kind != bkZero {
				addIdentity(bk, w.blk(bk, v), 1+t)
			}
		}
	}
}

func (w *ipm) zeroSlacks() {
	for _, bk := range w.blocks {
		if bk.kind == bkZero {
			clear(w.blk(bk, w.s))
		}
	}
}

// start sets the initial point.
func (w *ipm) start() error {
	w.tau, w.kappa = 1, 1
	if ws := w.set.WarmStart; ws != nil {
		return w.warmStart(ws)
	}
	if w.nonsym {
		clear(w.x)
		for _, bk := range w.blocks {
			if bk.kind == bkZero {
				clear(w.blk(bk, w.s))
				clear(w.blk(bk, w.z))
				continue
			}
			_ = bk.c.Identity(w.blk(bk, w.s))
			_ = bk.c.Dual().Identity(w.blk(bk, w.z))
		}
		return nil
	}
	w.identityW()
	if err := w.kkt.factor(); err != nil {
		return err
	}
	zero := make([]float64, w.n)
	zm := make([]float64, w.m)
	// Primal: min ½xᵀQ̃x + ½‖s‖² s.t. Ãx + s = b̃.
	if err := w.kkt.solve(w.x, w.s, zero, w.eq.b); err != nil {
		return err
	}
	for i := range w.s {
		w.s[i] = -w.s[i]
	}
	// Dual: min ½xᵀQ̃x + p̃ᵀx + ½‖z‖² … (z from the same matrix).
	mp := make([]float64, w.n)
	for j := range mp {
		mp[j] = -w.eq.p[j]
	}
	if err := w.kkt.solve(w.x1, w.z, mp, zm); err != nil {
		return err
	}
	w.zeroSlacks()
	w.shiftSymmetric(w.s)
	w.shiftSymmetric(w.z)
	return nil
}

// warmStart scales the user's start and pushes it into the interior.
func (w *ipm) warmStart(ws *Start) error {
	eq := w.eq
	for j := range w.x {
		w.x[j] = ws.X[j] / eq.d[j]
	}
	if ws.S != nil {
		for i := range w.s {
			w.s[i] = ws.S[i] * eq.e[i]
		}
	} else {
		_ = eq.a.MulVec(w.s, w.x)
		for i := range w.s {
			w.s[i] = eq.b[i] - w.s[i]
		}
	}
	if ws.Y != nil {
		for i := range w.z {
			w.z[i] = ws.Y[i] / eq.e[i] * eq.c
		}
	}
	for _, bk := range w.blocks {
		s, z := w.blk(bk, w.s), w.blk(bk, w.z)
		if bk.kind == bkZero {
			clear(s)
			if ws.Y == nil {
				clear(z)
			}
			continue
		}
		if ws.Y == nil {
			_ = bk.c.Dual().Identity(z)
		}
		pushInterior(bk, bk.c, s)
		pushInterior(bk, bk.c.Dual(), z)
	}
	return nil
}

// pushInterior moves v of one block into the interior of c, at least a
// distance of order 1e-2·max(1, ‖v‖) from the boundary.
func pushInterior(bk block, c Cone, v []float64) {
	scale := math.Max(1, nrm2(v))
	if bk.kind == bkNonsym {
		e := make([]float64, len(v))
		_ = c.Identity(e)
		for t := 0.0; t <= 1; t += 0.125 {
			try := make([]float64, len(v))
			for i := range v {
				try[i] = (1-t)*v[i] + t*scale*e[i]
			}
			if _, err := c.Barrier(try); err == nil {
				if ok := centralEnough(c, try, e, scale); ok || t == 1 {
					copy(v, try)
					return
				}
			}
		}
		for i := range v {
			v[i] = scale * e[i]
		}
		return
	}
	if l := minEig(bk, v); l < 1e-2*scale {
		addIdentity(bk, v, 1e-2*scale-l)
	}
}

// centralEnough is a margin test: v − 0.01·scale·e stays in the cone.
func centralEnough(c Cone, v, e []float64, scale float64) bool {
	t := make([]float64, len(v))
	for i := range v {
		t[i] = v[i] - 1e-2*scale*e[i]
	}
	_, err := c.Barrier(t)
	return err == nil
}

// ---- residuals ----

func (w *ipm) residuals() {
	eq := w.eq
	w.qmul(w.qx, w.x)
	_ = eq.at.MulVec(w.atz, w.z)
	for j := range w.rx {
		w.rx[j] = w.qx[j] + w.atz[j] + eq.p[j]*w.tau
	}
	_ = eq.a.MulVec(w.ax, w.x)
	for i := range w.rz {
		w.rz[i] = w.ax[i] + w.s[i] - eq.b[i]*w.tau
	}
	w.rtau = w.kappa + dot(eq.p, w.x) + dot(eq.b, w.z) + dot(w.x, w.qx)/w.tau
	sz := 0.0
	for _, bk := range w.blocks {
		if bk.kind != bkZero {
			sz += dot(w.blk(bk, w.s), w.blk(bk, w.z))
		}
	}
	w.mu = (sz + w.tau*w.kappa) / (w.nu + 1)
}

// ---- scaling ----

// updateScaling computes W, W⁻¹ (and λ) of every block at (s, z) and
// writes Ā = WÃ into the KKT matrix.
func (w *ipm) updateScaling() error {
	for i, bk := range w.blocks {
		st := &w.st[i]
		s, z := w.blk(bk, w.s), w.blk(bk, w.z)
		d := bk.hi - bk.lo
		switch bk.kind {
		case bkZero:
			continue
		case bkNonneg:
			for j := range s {
				r := math.Sqrt(z[j] / s[j])
				st.w[j], st.wi[j] = r, 1/r
			}
			if !finite(st.w) || !finite(st.wi) {
				return fmt.Errorf("block %d: %w: scaling overflows", i, ErrNaN)
			}
			w.kkt.setDiagW(bk, st.w)
			continue
		case bkSOC:
			sc, err := bk.c.Scaling(s, z)
			if err != nil {
				return fmt.Errorf("block %d: %w", i, err)
			}
			st.sc = sc
			socW(st.w, st.wi, sc.(*socScaling))
		case bkPSD:
			sc, err := bk.c.Scaling(s, z)
			if err != nil {
				return fmt.Errorf("block %d: %w", i, err)
			}
			st.sc = sc
			ps := sc.(*psdScaling)
			congruenceMatrix(st.w, ps.rinv, ps.n)
			congruenceMatrix(st.wi, ps.r, ps.n)
		case bkNonsym:
			xc, hx, err := conjugatePoint(bk.c, z)
			if err != nil {
				return fmt.Errorf("block %d: %w", i, err)
			}
			st.xc, st.hx = xc, hx
			var sc Scaling
			if !w.dualMode {
				sc, err = bk.c.Scaling(s, z)
			}
			if w.dualMode || err != nil {
				// Dual scaling H = μ∇²f*(z) = μH_x⁻¹: with H_x = DL̃L̃ᵀD,
				// W = L̃ᵀD/√μ (WᵀW = H_x/μ = H⁻¹) and W⁻¹ = √μ D⁻¹L̃⁻ᵀ.
				if !dualW(st.w, st.wi, hx, w.mu) {
					return fmt.Errorf("block %d: %w: barrier Hessian not positive definite", i, ErrNotConverged)
				}
				st.sc = nil
			} else {
				st.sc = sc
				e := make([]float64, d)
				col := make([]float64, d)
				for c := range d {
					clear(e)
					e[c] = 1
					sc.Apply(col, e)
					for r := range d {
						st.w[r*d+c] = col[r]
					}
					sc.ApplyInv(col, e)
					for r := range d {
						st.wi[r*d+c] = col[r]
					}
				}
			}
		}
		if !finite(st.w) || !finite(st.wi) {
			return fmt.Errorf("block %d: %w: scaling overflows", i, ErrNaN)
		}
		w.kkt.setDenseW(i, bk, st.w)
	}
	return nil
}

// socW sets W = η(2w̄w̄ᵀ − J) and W⁻¹ = (2uuᵀ − J)/η, u = Jw̄, row-major.
func socW(wm, wi []float64, sc *socScaling) {
	v := sc.w
	d := len(v)
	for r := range d {
		ur := -v[r]
		if r == 0 {
			ur = v[0]
		}
		for c := range d {
			uc := -v[c]
			if c == 0 {
				uc = v[0]
			}
			j := 0.0
			if r == c {
				j = -1
				if r == 0 {
					j = 1
				}
			}
			wm[r*d+c] = sc.eta * (2*v[r]*v[c] - j)
			wi[r*d+c] = (2*ur*uc - j) / sc.eta
		}
	}
}

// congruenceMatrix sets out (row-major, svec coordinates) to the matrix
// of X ↦ MXMᵀ: entry ((p,q),(k,l)) = c_pq c_kl (M_pk M_ql + M_pl M_qk)/2,
// c = 1 on the diagonal and √2 off it.
func congruenceMatrix(out []float64, m *mat.Dense, n int) {
	d := n * (n + 1) / 2
	type ij struct{ i, j int }
	idx := make([]ij, 0, d)
	for j := range n {
		for i := j; i < n; i++ {
			idx = append(idx, ij{i, j})
		}
	}
	raw := m.RawMatrix()
	at := func(i, j int) float64 { return raw.Data[i*raw.Stride+j] }
	for r, pq := range idx {
		cpq := 1.0
		if pq.i != pq.j {
			cpq = math.Sqrt2
		}
		for c, kl := range idx {
			ckl := 1.0
			if kl.i != kl.j {
				ckl = math.Sqrt2
			}
			v := at(pq.i, kl.i)*at(pq.j, kl.j) + at(pq.i, kl.j)*at(pq.j, kl.i)
			out[r*d+c] = cpq * ckl * v / 2
		}
	}
}

// dualW sets W and W⁻¹ (row-major 3×3) of the dual scaling H = μH_x⁻¹.
func dualW(wm, wi []float64, hx [3][3]float64, mu float64) bool {
	var dj [3]float64
	for i := range 3 {
		if !(hx[i][i] > 0) {
			return false
		}
		dj[i] = math.Sqrt(hx[i][i])
	}
	var l [3][3]float64 // Cholesky of the Jacobi-scaled H_x
	for j := range 3 {
		s := hx[j][j]/(dj[j]*dj[j]) - l[j][0]*l[j][0] - l[j][1]*l[j][1]
		if j == 2 {
			s = hx[2][2]/(dj[2]*dj[2]) - l[2][0]*l[2][0] - l[2][1]*l[2][1]
		}
		if !(s > 0) {
			return false
		}
		l[j][j] = math.Sqrt(s)
		for i := j + 1; i < 3; i++ {
			a := hx[i][j] / (dj[i] * dj[j])
			for k := range j {
				a -= l[i][k] * l[j][k]
			}
			l[i][j] = a / l[j][j]
		}
	}
	// L̃⁻¹ (lower triangular).
	var li [3][3]float64
	for j := range 3 {
		li[j][j] = 1 / l[j][j]
		for i := j + 1; i < 3; i++ {
			a := 0.0
			for k := j; k < i; k++ {
				a -= l[i][k] * li[k][j]
			}
			li[i][j] = a / l[i][i]
		}
	}
	sm := math.Sqrt(mu)
	for r := range 3 {
		for c := range 3 {
			wm[r*3+c] = l[c][r] * dj[c] / sm  // (L̃ᵀD)_rc = L̃_cr D_c
			wi[r*3+c] = sm * li[c][r] / dj[r] // (D⁻¹L̃⁻ᵀ)_rc = L̃⁻¹_cr / D_r
		}
	}
	return finite(wm) && finite(wi)
}

// applyW sets dst = Wv (mode 0), Wᵀv (mode 1) or W⁻¹v (mode 2) block by
// block; on Zero blocks W is the identity for modes 0 and 1, and mode 2
// gives 0 (the Zero block's H is 0).
func (w *ipm) applyW(mode int, dst, v []float64) {
	for i, bk := range w.blocks {
		st := &w.st[i]
		dd, vv := w.blk(bk, dst), w.blk(bk, v)
		d := bk.hi - bk.lo
		switch {
		case bk.kind == bkZero:
			if mode == 2 {
				clear(dd)
			} else {
				copy(dd, vv)
			}
		case bk.kind == bkNonneg:
			m := st.w
			if mode == 2 {
				m = st.wi
			}
			for j := range vv {
				dd[j] = m[j] * vv[j]
			}
		default:
			m := st.w
			if mode == 2 {
				m = st.wi
			}
			for r := range d {
				a := 0.0
				if mode == 1 {
					for c := range d {
						a += m[c*d+r] * vv[c]
					}
				} else {
					for c := range d {
						a += m[r*d+c] * vv[c]
					}
				}
				dd[r] = a
			}
		}
	}
}

// quadCone returns Σ ‖uᵢ‖² over the cone (non-Zero) blocks.
func (w *ipm) quadCone(u []float64) float64 {
	q := 0.0
	for _, bk := range w.blocks {
		if bk.kind != bkZero {
			b := w.blk(bk, u)
			q += dot(b, b)
		}
	}
	return q
}

// condOK accepts a nil error or gonum's ill-conditioning warning (the
// result is computed; finiteness is checked by the caller).
func condOK(err error) bool {
	if err == nil {
		return true
	}
	var c mat.Condition
	return errors.As(err, &c)
}

// conjugatePoint returns s̃ = −∇f*(z), the minimizer of ⟨z, x⟩ + f(x)
// over int K, and H_x = ∇²f(s̃), for a 3-d non-symmetric cone. It runs
// on ẑ = z/ζ (ζ = max|zᵢ|) and scales back by the logarithmic
// homogeneity of f* (−∇f*(z) = −∇f*(ẑ)/ζ, ∇²f(x/ζ) = ζ²∇²f(x)); Newton's
// method from the cone's identity with the damping 1/(1 + δ) (δ the Newton
// decrement) keeps the iterates inside by self-concordance, and the
// Newton systems are solved after a Jacobi scaling, since far out (z near
// the boundary of K*) H_x is badly scaled. It stops at δ < 1e-13, or at
// the rounding floor (δ < 1e-6 and no longer halving).
func conjugatePoint(c Cone, z []float64) ([]float64, [3][3]float64, error) {
	var h [3][3]float64
	zeta := maxAbsVec(z)
	if !(zeta > 0) {
		return nil, h, fmt.Errorf("%w: zero dual point", ErrInvalid)
	}
	zh := scaleVec(z, 1/zeta)
	x := make([]float64, 3)
	if err := c.Identity(x); err != nil {
		return nil, h, err
	}
	g := make([]float64, 3)
	col := make([]float64, 3)
	e := make([]float64, 3)
	hess := func() error {
		for j := range 3 {
			clear(e)
			e[j] = 1
			if err := c.BarrierHess(col, x, e); err != nil {
				return err
			}
			for i := range 3 {
				h[i][j] = col[i]
			}
		}
		return nil
	}
	prev := math.Inf(1)
	for range 500 {
		if err := c.BarrierGrad(g, x); err != nil {
			return nil, h, err
		}
		for i := range g {
			g[i] += zh[i]
		}
		if err := hess(); err != nil {
			return nil, h, err
		}
		dx, ok := solveJacobi3(h, [3]float64{g[0], g[1], g[2]})
		if !ok {
			return nil, h, fmt.Errorf("%w: singular barrier Hessian", ErrNotConverged)
		}
		delta := math.Sqrt(math.Max(0, g[0]*dx[0]+g[1]*dx[1]+g[2]*dx[2]))
		step := 1.0
		if delta > 0.25 {
			step = 1 / (1 + delta)
		}
		for i := range x {
			x[i] -= step * dx[i]
		}
		if delta < 1e-13 || (delta < 1e-6 && delta > 0.5*prev) {
			if err := hess(); err != nil {
				return nil, h, err
			}
			for i := range x {
				x[i] /= zeta
				for j := range 3 {
					h[i][j] *= zeta * zeta
				}
			}
			if !finite(x) || !finite(h[0][:]) || !finite(h[1][:]) || !finite(h[2][:]) {
				return nil, h, fmt.Errorf("%w: conjugate point overflows", ErrNaN)
			}
			return x, h, nil
		}
		prev = delta
	}
	return nil, h, fmt.Errorf("%w: conjugate point of the barrier", ErrNotConverged)
}

// solveJacobi3 solves h x = b after the symmetric Jacobi scaling
// D⁻¹hD⁻¹, D = diag(√hᵢᵢ) (h symmetric positive definite).
func solveJacobi3(h [3][3]float64, b [3]float64) ([3]float64, bool) {
	var d [3]float64
	for i := range 3 {
		if !(h[i][i] > 0) {
			return [3]float64{}, false
		}
		d[i] = math.Sqrt(h[i][i])
	}
	var a [3][3]float64
	var bb [3]float64
	for i := range 3 {
		for j := range 3 {
			a[i][j] = h[i][j] / (d[i] * d[j])
		}
		bb[i] = b[i] / d[i]
	}
	x, ok := solve3(a, bb)
	if !ok {
		return x, false
	}
	for i := range 3 {
		x[i] /= d[i]
	}
	return x, true
}

// denseSym symmetrizes a column-major d×d matrix.
func denseSym(h []float64, d int) {
	for c := range d {
		for r := c + 1; r < d; r++ {
			a := (h[c*d+r] + h[r*d+c]) / 2
			h[c*d+r], h[r*d+c] = a, a
		}
	}
}

// ---- directions ----

// prepare factors the KKT matrix and solves for the constant right-hand
// side (−p̃, b̃): (x₁, z₁) and ũ₁ = W⁻ᵀz₁.
func (w *ipm) prepare() error {
	if err := w.kkt.factor(); err != nil {
		return err
	}
	mp := w.rhsx
	for j := range mp {
		mp[j] = -w.eq.p[j]
	}
	w.applyW(0, w.rhsz, w.eq.b)
	if err := w.kkt.solve(w.x1, w.u1, mp, w.rhsz); err != nil {
		return err
	}
	w.applyW(1, w.z1, w.u1)
	for j := range w.xi {
		w.xi[j] = w.x[j] / w.tau
	}
	w.qmul(w.pxi, w.xi)
	t := make([]float64, w.n)
	for j := range t {
		t[j] = w.x1[j] - w.xi[j]
	}
	qt := make([]float64, w.n)
	w.qmul(qt, t)
	// z₁ᵀHz₁ = ‖W⁻ᵀz₁‖² = ‖ũ₁‖² on the cone blocks.
	w.den = -w.kappa/w.tau - math.Max(0, dot(t, qt)) - w.quadCone(w.u1)
	if !(w.den < 0) || math.IsInf(w.den, 0) {
		return fmt.Errorf("%w: the τ equation has denominator %v", ErrSingular, w.den)
	}
	return nil
}

// direction computes (dx, dz, ds, dτ, dκ) for η, the per-block d_s in
// w.dsEff and d_κ.
func (w *ipm) direction(eta, dk float64, dx, dz, ds []float64) (dtau, dkappa float64, err error) {
	for j := range w.rhsx {
		w.rhsx[j] = -eta * w.rx[j]
	}
	for i := range w.tmp {
		w.tmp[i] = -eta*w.rz[i] + w.dsEff[i]
	}
	w.applyW(0, w.rhsz, w.tmp)
	if err := w.kkt.solve(w.x2, w.u2, w.rhsx, w.rhsz); err != nil {
		return 0, 0, err
	}
	w.applyW(1, w.z2, w.u2)
	num := -eta*w.rtau + dk/w.tau
	for j := range w.x2 {
		num -= (w.eq.p[j] + 2*w.pxi[j]) * w.x2[j]
	}
	num -= dot(w.eq.b, w.z2)
	dtau = num / w.den
	for j := range dx {
		dx[j] = w.x2[j] + dtau*w.x1[j]
	}
	for i := range dz {
		dz[i] = w.z2[i] + dtau*w.z1[i]
		w.du[i] = w.u2[i] + dtau*w.u1[i]
	}
	// Δs from the linearized primal equation ÃΔx + Δs − b̃Δτ = −ηr_z
	// rather than from the complementarity Δs = −d_s − W⁻¹ũ: the two agree
	// up to the solve's error, which W⁻¹ (large on the rows with z → 0)
	// would carry into the primal residual, while here it only perturbs
	// the complementarity by λ times the error.
	_ = w.eq.a.MulVec(ds, dx)
	for i := range ds {
		ds[i] = w.eq.b[i]*dtau - eta*w.rz[i] - ds[i]
	}
	w.zeroSlacks0(ds)
	dkappa = -(dk + w.kappa*dtau) / w.tau
	if !finite(dx) || !finite(dz) || !finite(ds) || math.IsNaN(dtau+dkappa) || math.IsInf(dtau+dkappa, 0) {
		return 0, 0, fmt.Errorf("%w: non-finite direction", ErrNaN)
	}
	return dtau, dkappa, nil
}

func (w *ipm) zeroSlacks0(v []float64) {
	for _, bk := range w.blocks {
		if bk.kind == bkZero {
			clear(w.blk(bk, v))
		}
	}
}

// affineDs sets d_s = s (both kinds of blocks).
func (w *ipm) affineDs() {
	copy(w.dsEff, w.s)
	w.zeroSlacks0(w.dsEff)
}

// combinedDs sets the corrected d_s of the combined step.
func (w *ipm) combinedDs(sigma float64) error {
	sm := sigma * w.mu
	for i, bk := range w.blocks {
		st := &w.st[i]
		s, z := w.blk(bk, w.s), w.blk(bk, w.z)
		dsa, dza := w.blk(bk, w.dsa), w.blk(bk, w.dza)
		out := w.blk(bk, w.dsEff)
		d := bk.hi - bk.lo
		switch bk.kind {
		case bkZero:
			clear(out)
		case bkNonneg:
			for j := range out {
				out[j] = (s[j]*z[j] + dsa[j]*dza[j] - sm) / z[j]
			}
		case bkSOC, bkPSD:
			sym := bk.c.(Symmetric)
			lam := st.sc.Lambda()
			a, b := make([]float64, d), make([]float64, d)
			st.sc.Apply(a, dsa)
			st.sc.ApplyInvT(b, dza)
			ab := make([]float64, d)
			if err := sym.Jordan(ab, a, b); err != nil {
				return err
			}
			ll := make([]float64, d)
			if err := sym.Jordan(ll, lam, lam); err != nil {
				return err
			}
			e := make([]float64, d)
			_ = bk.c.Identity(e)
			for j := range ab {
				ab[j] += ll[j] - sm*e[j]
			}
			if err := sym.JordanDiv(a, lam, ab); err != nil {
				return err
			}
			st.sc.ApplyInv(out, a)
		case bkNonsym:
			// η = −½ H_x⁻¹ ∇³f(s̃)[H_x⁻¹Δz_a, Δs_a].
			u, ok := solveJacobi3(st.hx, [3]float64{dza[0], dza[1], dza[2]})
			if !ok {
				return fmt.Errorf("%w: singular barrier Hessian", ErrNotConverged)
			}
			t3 := make([]float64, d)
			if err := bk.c.BarrierThird(t3, st.xc, u[:], dsa); err != nil {
				return err
			}
			et, ok := solveJacobi3(st.hx, [3]float64{t3[0], t3[1], t3[2]})
			if !ok {
				return fmt.Errorf("%w: singular barrier Hessian", ErrNotConverged)
			}
			for j := range out {
				out[j] = s[j] - sm*st.xc[j] - 0.5*et[j]
			}
		}
	}
	return nil
}

// maxStep returns the largest α ≤ 1 keeping s, z, τ, κ in their cones.
func (w *ipm) maxStep(dx, dz, ds []float64, dtau, dkappa float64) (float64, error) {
	a := 1.0
	if dtau < 0 {
		a = math.Min(a, -w.tau/dtau)
	}
	if dkappa < 0 {
		a = math.Min(a, -w.kappa/dkappa)
	}
	for _, bk := range w.blocks {
		s, z := w.blk(bk, w.s), w.blk(bk, w.z)
		dS, dZ := w.blk(bk, ds), w.blk(bk, dz)
		switch bk.kind {
		case bkZero:
		case bkNonneg:
			for j := range s {
				if dS[j] < 0 {
					a = math.Min(a, -s[j]/dS[j])
				}
				if dZ[j] < 0 {
					a = math.Min(a, -z[j]/dZ[j])
				}
			}
		default:
			b, err := bk.c.MaxStep(s, dS, a)
			if err != nil {
				return 0, err
			}
			a = math.Min(a, b)
			b, err = bk.c.Dual().MaxStep(z, dZ, a)
			if err != nil {
				return 0, err
			}
			a = math.Min(a, b)
		}
	}
	return a, nil
}

// centralityOK checks the non-symmetric blocks at the trial step α.
func (w *ipm) centralityOK(alpha float64) bool {
	sz := 0.0
	tk := (w.tau + alpha*w.dtau) * (w.kappa + alpha*w.dkappa)
	type pr struct {
		v  float64
		nu int
	}
	var prs []pr
	for _, bk := range w.blocks {
		if bk.kind == bkZero {
			continue
		}
		v := 0.0
		for i := bk.lo; i < bk.hi; i++ {
			v += (w.s[i] + alpha*w.ds[i]) * (w.z[i] + alpha*w.dz[i])
		}
		sz += v
		if bk.kind == bkNonsym {
			prs = append(prs, pr{v, bk.nu})
		}
	}
	mu := (sz + tk) / (w.nu + 1)
	for _, p := range prs {
		if p.v < centralityBeta*float64(p.nu)*mu {
			return false
		}
	}
	// Proximity: f(sᵢ) + f_{K*}(zᵢ) + νᵢ log(⟨sᵢ, zᵢ⟩/νᵢ), invariant under
	// positive scalings of sᵢ and zᵢ, grows without bound as either point
	// nears its boundary alone; it is kept within proximityMax of its
	// value at the central pair (e, e*).
	for _, bk := range w.blocks {
		if bk.kind != bkNonsym {
			continue
		}
		d := bk.hi - bk.lo
		s := make([]float64, d)
		z := make([]float64, d)
		for i := range s {
			s[i] = w.s[bk.lo+i] + alpha*w.ds[bk.lo+i]
			z[i] = w.z[bk.lo+i] + alpha*w.dz[bk.lo+i]
		}
		phi, ok := proximity(bk, s, z)
		if !ok || phi-proximity0(bk) > proximityMax {
			return false
		}
	}
	return true
}

const proximityMax = 6.0

func proximity(bk block, s, z []float64) (float64, bool) {
	fs, err := bk.c.Barrier(s)
	if err != nil {
		return 0, false
	}
	fz, err := bk.c.Dual().Barrier(z)
	if err != nil {
		return 0, false
	}
	sz := dot(s, z)
	if !(sz > 0) {
		return 0, false
	}
	nu := float64(bk.nu)
	v := fs + fz + nu*math.Log(sz/nu)
	return v, !math.IsNaN(v) && !math.IsInf(v, 0)
}

func proximity0(bk block) float64 {
	e, f := make([]float64, 3), make([]float64, 3)
	_ = bk.c.Identity(e)
	_ = bk.c.Dual().Identity(f)
	v, _ := proximity(bk, e, f)
	return v
}

// step does one predictor-corrector iteration; it returns the step length.
func (w *ipm) step() (float64, error) {
	if err := w.updateScaling(); err != nil {
		return 0, err
	}
	if err := w.prepare(); err != nil {
		return 0, err
	}
	// Affine.
	w.affineDs()
	var err error
	w.dtauA, w.dkappaA, err = w.direction(1, w.tau*w.kappa, w.dxa, w.dza, w.dsa)
	if err != nil {
		return 0, err
	}
	aa, err := w.maxStep(w.dxa, w.dza, w.dsa, w.dtauA, w.dkappaA)
	if err != nil {
		return 0, err
	}
	sigma := math.Pow(1-aa, 3)
	// Combined.
	if err := w.combinedDs(sigma); err != nil {
		return 0, err
	}
	dk := w.tau*w.kappa + w.dtauA*w.dkappaA - sigma*w.mu
	w.dtau, w.dkappa, err = w.direction(1-sigma, dk, w.dx, w.dz, w.ds)
	if err != nil {
		return 0, err
	}
	a, err := w.maxStep(w.dx, w.dz, w.ds, w.dtau, w.dkappa)
	if err != nil {
		return 0, err
	}
	a *= stepFraction
	if w.nonsym {
		for a > minStep && !w.centralityOK(a) {
			a *= 0.8
		}
	}
	return a, nil
}

func (w *ipm) update(a float64) {
	for j := range w.x {
		w.x[j] += a * w.dx[j]
	}
	for i := range w.z {
		w.z[i] += a * w.dz[i]
		w.s[i] += a * w.ds[i]
	}
	w.tau += a * w.dtau
	w.kappa += a * w.dkappa
}
