package cone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/internal/dense"
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
// complementarity Δs + HΔz = −d_s (H = W⁻¹W⁻ᵀ of the scaling) and
// τΔκ + κΔτ = −d_κ needs two solves with the KKT matrix (kkt.go): one
// for the constant right-hand side (−p̃, b̃) giving (x₁, z₁), one for the
// step's giving (x₂, z₂); then
//
//	Δτ = (−ηr_τ + d_κ/τ − (p̃ + 2Q̃ξ)ᵀx₂ − b̃ᵀz₂) / (−κ/τ + (p̃ + 2Q̃ξ)ᵀx₁ + b̃ᵀz₁ − ξᵀQ̃ξ),
//
// ξ = x/τ (the denominator equals −κ/τ − ‖x₁ − ξ‖²_Q̃ − ‖W⁻ᵀz₁‖² < 0),
// (Δx, Δz) = (x₂, z₂) + Δτ(x₁, z₁), Δs from the linearized primal
// equation ÃΔx + Δs − b̃Δτ = −ηr_z and Δκ = −(d_κ + κΔτ)/τ.
//
// Affine step: η = 1, d_s = s, d_κ = τκ. Centering σ = (1 − α_aff)³.
// Combined step: η = 1 − σ, d_κ = τκ + Δτ_aΔκ_a − σμ and, per block,
//
//	symmetric (Mehrotra, in NT-scaled variables, λ = Ws = W⁻ᵀz):
//	  d_s = W⁻¹(λ \ (λ∘λ + (WΔs_a)∘(W⁻ᵀΔz_a) − σμe)),
//	exponential and power (dual scaling H = μ∇²g(z), g = f_{K*} the
//	barrier of the dual cone; the corrector of Dahl & Andersen 2022 and
//	Clarabel):
//	  d_s = s + σμ∇g(z) − ½∇³g(z)[Δz_a, ∇²g(z)⁻¹Δs_a],
//
// the second-order terms scaled by α_aff in the first iteration (a badly
// centred start). The step is α = 0.99 (0.95 with non-symmetric blocks)
// times the largest step keeping s ∈ K, z ∈ K*, τ, κ > 0, shortened until the closed-form barriers accept the
// point; with exponential or power blocks the combined direction is
// recomputed without the third-order term when that gives a step longer
// than the corrected one once the latter is below half the affine step.
// After the step the iterate is rescaled to max(τ, κ) = 1.
//
// The non-symmetric blocks (nonsym.go) have two scalings: the
// primal-dual one of Tunçel in Clarabel's rank-three form (nonsymHs,
// with the conjugate f of f* for the primal gradient, H z = s and
// H z̃ = s̃), and the dual one H = μ∇²f*(z). step uses the first while
// μ ≥ 1e-4·μ₀, the second below, with backtracking (×0.8) until the
// measure barrierMeasure is at most max(1 + ½·#blocks, its current
// value) in the dual scaling only (as Clarabel), and recomputes an
// iteration whose step is below 0.1 with the other scaling, keeping the
// longer step. The primal-dual scaling alone stalled near the end of
// some random programs at Tol 1e-10 (z(s), of order 1/dist(s, ∂K), is
// then accurate to about 1e-5 only); the dual scaling alone (the
// previous version) stalled early on others ("step length 1e-10" on 5
// of the 60 solves of TestSolveNonsymmetricRandom).

const (
	stepFraction = 0.99
	// nonsymStepFraction replaces stepFraction with exponential or power
	// blocks: a step to 0.99 of the boundary leaves the limiting block
	// hugging it, and near the end (μ ≈ 1e-10) the next directions are then
	// blocked at 1e-5 (on 6 seeds × 30 programs of TestSolveNonsymmetricRandom
	// at Tol 1e-10: 6 of 180 solves stalled with 0.99, 2 with 0.95, which
	// also took 28% fewer iterations in all; at Tol 1e-8 both solved all
	// 180 with about the same iterations).
	nonsymStepFraction = 0.95
	minStep            = 1e-10
)

type blockState struct {
	sc Scaling       // SOC, PSD: the NT scaling (nil on the other blocks)
	w  []float64     // orthant: diag(W); dense blocks: W row-major d×d
	wi []float64     // W⁻¹ likewise
	xc []float64     // non-symmetric: s̃ = −∇f_{K*}(z)
	hx [3][3]float64 // non-symmetric: H* = ∇²f_{K*}(z)
	c0 float64       // barrierOffset
}

type ipm struct {
	ctx     context.Context
	pb      *Problem
	set     Settings
	eq      *equilibration
	blocks  []block
	st      []blockState
	kkt     *kktSystem
	logger  *slog.Logger
	n, m    int
	nu      float64
	nonsym  bool
	nNonsym int

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
	trialS, trialZ         []float64
	corr                   float64 // weight of the non-symmetric corrector (1, or 0 in the safeguard)
	dualOnly               bool    // non-symmetric blocks: dual scaling for this iteration
	mu0                    float64 // μ at the first iteration
	frac                   float64 // stepFraction or nonsymStepFraction
	iter                   int
	bestScore              float64
	progressScore          float64 // score at progressIter, the last 10% improvement
	progressIter           int
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
			w.nNonsym++
		}
	}
	w.frac = stepFraction
	if w.nonsym {
		w.frac = nonsymStepFraction
	}
	w.st = make([]blockState, len(blocks))
	maxd := 0
	for i, bk := range blocks {
		d := bk.hi - bk.lo
		maxd = max(maxd, d)
		w.st[i].c0 = barrierOffset(bk)
		switch {
		case bk.kind == bkNonneg:
			w.st[i].w, w.st[i].wi = make([]float64, d), make([]float64, d)
		case bk.dense() && bk.kind != bkPSD: // PSD: W lives in the block's Scaling
			w.st[i].w, w.st[i].wi = make([]float64, d*d), make([]float64, d*d)
		}
	}
	w.trialS, w.trialZ = make([]float64, maxd), make([]float64, maxd)
	if set.prep != nil {
		if err := set.prep.check(w.eq, blocks, set); err != nil {
			return nil, err
		}
	}
	k, err := newKKTPrepared(w.eq, blocks, set.Workers, set.kkt, set.prep)
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
	w.progressScore = math.Inf(1)
	w.corr = 1
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
		case bk.kind == bkPSD:
			w.kkt.setPSDIdentity(i, bk)
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
		if n == 0 {
			return 0
		}
		// values only (eigmin.go): the start needs no eigenvectors
		lam, err := eigenvaluesSvec(n, v)
		if err != nil || len(lam) == 0 {
			return math.Inf(-1)
		}
		mn := lam[0]
		for _, l := range lam {
			mn = math.Min(mn, l)
		}
		return mn
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
			if bk.kind == bkNonsym {
				// s = z = e with e = −∇f*(e) for the closed-form barrier
				// f* of K* (Dual().Identity): the central pair of f* and of
				// its conjugate, the primal barrier of the iteration.
				_ = bk.c.Dual().Identity(w.blk(bk, w.s))
				_ = bk.c.Dual().Identity(w.blk(bk, w.z))
			} else {
				_ = bk.c.Identity(w.blk(bk, w.s))
				_ = bk.c.Dual().Identity(w.blk(bk, w.z))
			}
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
			if !finite(st.w) || !finite(st.wi) {
				return fmt.Errorf("block %d: %w: scaling overflows", i, ErrNaN)
			}
			w.kkt.setSOCW(i, bk, sc.(*socScaling), st.w)
			continue
		case bkPSD:
			sc, err := bk.c.Scaling(s, z)
			if err != nil {
				return fmt.Errorf("block %d: %w", i, err)
			}
			st.sc = sc
			// Ā_b = W Ã_b column by column through X ↦ R⁻¹XR⁻ᵀ (2N³ per
			// column instead of d² = N⁴/4 with the dense W); applyW uses
			// the scaling's own operators.
			w.kkt.setPSDW(i, bk, sc.(*psdScaling))
			continue
		case bkNonsym:
			// The barrier f* of the dual cone in closed form: s̃ =
			// −∇f*(z) ∈ int K and H* = ∇²f*(z); then the primal-dual
			// scaling (nonsymHs) or, with w.dualOnly or where that is not
			// defined, the dual scaling H = μH* (Clarabel's two
			// strategies).
			fd := dualBarrierOf(bk.c)
			if !fd.inInterior(z) {
				return fmt.Errorf("block %d: %w", i, outOfInterior("dual "+coneName3(bk.c)))
			}
			_, g, h := fd.eval(z)
			if !finite(g[:]) {
				return fmt.Errorf("block %d: %w: dual barrier gradient", i, ErrNaN)
			}
			st.xc = scaleVec(g[:], -1)
			st.hx = h
			hs, pd := w.mu, false
			var hm [3][3]float64
			if !w.dualOnly {
				hm, pd = nonsymHs(bk.c, s, z, g, h)
			}
			if !pd {
				hm = h
			} else {
				hs = 1
			}
			if !dualW(st.w, st.wi, hm, hs) {
				if !pd || !dualW(st.w, st.wi, h, w.mu) {
					return fmt.Errorf("block %d: %w: dual barrier Hessian not positive definite", i, ErrNotConverged)
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

// dualW sets W and W⁻¹ (row-major 3×3) of the dual scaling H = μH*,
// H* = ∇²f_{K*}(z): with the Jacobi-scaled Cholesky H* = DL̃L̃ᵀD,
// W = L̃⁻¹D⁻¹/√μ (so W⁻¹W⁻ᵀ = μH*) and W⁻¹ = √μ DL̃.
func dualW(wm, wi []float64, hs [3][3]float64, mu float64) bool {
	dj, l, ok := jacobiCholesky3(hs)
	if !ok {
		return false
	}
	var li [3][3]float64 // L̃⁻¹
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
			wm[r*3+c] = li[r][c] / dj[c] / sm
			wi[r*3+c] = sm * dj[r] * l[r][c]
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
		case bk.kind == bkPSD:
			switch mode {
			case 0:
				st.sc.Apply(dd, vv)
			case 1:
				st.sc.ApplyT(dd, vv)
			default:
				st.sc.ApplyInv(dd, vv)
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

// jacobiCholesky3 factors the Jacobi-scaled D⁻¹hD⁻¹ = L̃L̃ᵀ of a
// symmetric 3×3 h, D = diag(√hᵢᵢ), with the pivots floored at 1e-14 (a
// modified Cholesky: near the boundary of the cones the barrier Hessians'
// condition number reaches 1e16). ok is false for a non-positive or
// infinite diagonal entry.
func jacobiCholesky3(h [3][3]float64) (d [3]float64, l [3][3]float64, ok bool) {
	for i := range 3 {
		if !(h[i][i] > 0) || math.IsInf(h[i][i], 0) {
			return d, l, false
		}
		d[i] = math.Sqrt(h[i][i])
	}
	for j := range 3 {
		s := 1.0
		for k := range j {
			s -= l[j][k] * l[j][k]
		}
		l[j][j] = math.Sqrt(math.Max(s, 1e-14))
		for i := j + 1; i < 3; i++ {
			a := h[i][j] / (d[i] * d[j])
			for k := range j {
				a -= l[i][k] * l[j][k]
			}
			l[i][j] = a / l[j][j]
		}
	}
	return d, l, true
}

// solveJacobi3 solves h x = b for a symmetric positive definite 3×3 h:
// Cholesky of the Jacobi-scaled D⁻¹hD⁻¹ (D = diag(√hᵢᵢ)), with the
// pivots floored at 1e-14 (a modified Cholesky: far from the central
// path the barrier Hessian's condition number reaches 1e16, and the
// floor keeps the Newton step of the conjugate point a descent direction
// instead of failing). ok is false only for a non-positive diagonal or a
// non-finite result.
func solveJacobi3(h [3][3]float64, b [3]float64) ([3]float64, bool) {
	d, l, ok := jacobiCholesky3(h)
	if !ok {
		return [3]float64{}, false
	}
	var y [3]float64
	for i := range 3 {
		s := b[i] / d[i]
		for k := range i {
			s -= l[i][k] * y[k]
		}
		y[i] = s / l[i][i]
	}
	var x [3]float64
	for i := 2; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < 3; k++ {
			s -= l[k][i] * x[k]
		}
		x[i] = s / l[i][i]
	}
	for i := range 3 {
		x[i] /= d[i]
	}
	return x, finite(x[:])
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
	// The denominator in the form consistent with the computed (x₁, z₁),
	// −κ/τ + (p̃ + 2Q̃ξ)ᵀx₁ + b̃ᵀz₁ − ξᵀQ̃ξ, which with an exact solve
	// equals −κ/τ − ‖x₁ − ξ‖²_Q̃ − ‖W⁻ᵀz₁‖² < 0 (used if rounding gives the
	// first one the wrong sign).
	w.den = -w.kappa/w.tau + dot(w.eq.b, w.z1) - dot(w.xi, w.pxi)
	for j := range w.x1 {
		w.den += (w.eq.p[j] + 2*w.pxi[j]) * w.x1[j]
	}
	if alt := -w.kappa/w.tau - math.Max(0, dot(t, qt)) - w.quadCone(w.u1); !(w.den < 0) {
		w.den = alt
	}
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
			// η = −½∇³f_{K*}(z)[Δz_a, ∇²f_{K*}(z)⁻¹Δs_a].
			u, ok := solveJacobi3(st.hx, [3]float64{dsa[0], dsa[1], dsa[2]})
			if !ok {
				return fmt.Errorf("%w: singular dual barrier Hessian", ErrNotConverged)
			}
			t3 := make([]float64, d)
			if err := bk.c.Dual().BarrierThird(t3, z, dza, u[:]); err != nil {
				return err
			}
			for j := range out {
				out[j] = s[j] - sm*st.xc[j] - w.corr*0.5*t3[j]
			}
		}
	}
	return nil
}

// maxStep returns the largest α ≤ 1 keeping s, z, τ, κ in their cones.
//
// du, when non-nil, is the scaled Δz of the KKT solve (W⁻ᵀΔz: Δz =
// Wᵀdu): on PSD blocks with the NT scaling the dual step length comes from
// it in the scaled space (scaledMaxStep).
func (w *ipm) maxStep(dx, dz, ds, du []float64, dtau, dkappa float64) (float64, error) {
	a := 1.0
	if dtau < 0 {
		a = math.Min(a, -w.tau/dtau)
	}
	if dkappa < 0 {
		a = math.Min(a, -w.kappa/dkappa)
	}
	for i, bk := range w.blocks {
		s, z := w.blk(bk, w.s), w.blk(bk, w.z)
		dS, dZ := w.blk(bk, ds), w.blk(bk, dz)
		if p, ok := w.st[i].sc.(*psdScaling); ok && bk.kind == bkPSD && du != nil {
			b, err := bk.c.MaxStep(s, dS, a)
			if err != nil {
				return 0, err
			}
			a = math.Min(a, b)
			if b, err = scaledMaxStep(p, w.blk(bk, du), a); err != nil {
				return 0, err
			}
			a = math.Min(a, b)
			continue
		}
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

// barrierMeasure returns, at the trial step α, the neighbourhood measure
// (after Clarabel's)
//
//	B = (ν + 1) log μ − log τ − log κ + Σᵢ [fᵢ(sᵢ) + f_{Kᵢ*}(zᵢ) − cᵢ],
//
// with fᵢ the barrier of block i (Cone.Barrier: on the non-symmetric
// blocks Chares's closed form, not the conjugate of f_{Kᵢ*}, so that B is
// computable up to the boundary, where the conjugate's Newton solve loses
// accuracy), f_{Kᵢ*} that of its dual cone and cᵢ their sum at the
// central point of fᵢ (0 on the symmetric cones). It is a barrier-type
// proximity (it grows without bound towards the boundaries), not zero on
// the central path of the iteration; the dual-scaling step is shortened
// until it is at most max(1 + ½·#blocks, its current value). +Inf outside
// the cones.
func (w *ipm) barrierMeasure(alpha float64) float64 {
	tau := w.tau + alpha*w.dtau
	kap := w.kappa + alpha*w.dkappa
	if !(tau > 0 && kap > 0) {
		return math.Inf(1)
	}
	sz := 0.0
	b := -dense.Log(tau) - dense.Log(kap)
	for i, bk := range w.blocks {
		if bk.kind == bkZero {
			continue
		}
		d := bk.hi - bk.lo
		s, z := w.trialS[:d], w.trialZ[:d]
		for j := range d {
			s[j] = w.s[bk.lo+j] + alpha*w.ds[bk.lo+j]
			z[j] = w.z[bk.lo+j] + alpha*w.dz[bk.lo+j]
		}
		sz += dot(s, z)
		if bk.kind == bkNonneg {
			for j := range d {
				if !(s[j] > 0 && z[j] > 0) {
					return math.Inf(1)
				}
				b -= dense.Log(s[j]) + dense.Log(z[j])
			}
			continue
		}
		fs, err := bk.c.Barrier(s)
		if err != nil {
			return math.Inf(1)
		}
		fz, err := bk.c.Dual().Barrier(z)
		if err != nil {
			return math.Inf(1)
		}
		b += fs + fz - w.st[i].c0
	}
	mu := (sz + tau*kap) / (w.nu + 1)
	if !(mu > 0) {
		return math.Inf(1)
	}
	b += (w.nu + 1) * dense.Log(mu)
	if math.IsNaN(b) {
		return math.Inf(1)
	}
	return b
}

// interiorAt reports whether s + αΔs and z + αΔz pass the interior tests
// of their second-order, PSD and non-symmetric blocks (those the scaling
// will need; on the non-symmetric blocks the closed-form barriers' own
// tests, stricter near the boundary than the closed membership tests of
// MaxStep).
func (w *ipm) interiorAt(alpha float64) bool {
	for _, bk := range w.blocks {
		if bk.kind == bkNonsym {
			d := bk.hi - bk.lo
			s, z := w.trialS[:d], w.trialZ[:d]
			for j := range d {
				s[j] = w.s[bk.lo+j] + alpha*w.ds[bk.lo+j]
				z[j] = w.z[bk.lo+j] + alpha*w.dz[bk.lo+j]
			}
			if !dualBarrierOf(bk.c.Dual()).inInterior(s) || !dualBarrierOf(bk.c).inInterior(z) {
				return false
			}
			continue
		}
		if bk.kind != bkSOC && bk.kind != bkPSD {
			continue
		}
		d := bk.hi - bk.lo
		s, z := w.trialS[:d], w.trialZ[:d]
		for j := range d {
			s[j] = w.s[bk.lo+j] + alpha*w.ds[bk.lo+j]
			z[j] = w.z[bk.lo+j] + alpha*w.dz[bk.lo+j]
		}
		if _, err := bk.c.Barrier(s); err != nil {
			return false
		}
		if _, err := bk.c.Barrier(z); err != nil {
			return false
		}
	}
	return true
}

// barrierOffset is f(e) + f_{K*}(e) at the central point e = −∇f(e) of
// the block's own barrier f (Cone.Barrier: Chares's closed form on the
// exponential and power cones), 0 for the symmetric cones.
func barrierOffset(bk block) float64 {
	if bk.kind != bkNonsym {
		return 0
	}
	e := make([]float64, bk.hi-bk.lo)
	_ = bk.c.Identity(e)
	fs, _ := bk.c.Barrier(e)
	fz, _ := bk.c.Dual().Barrier(e)
	return fs + fz
}

// switchStep is the step length below which an iteration of the
// non-symmetric path is recomputed with the other scaling strategy
// (Clarabel's min_switch_step_length); dualBelow is the μ/μ₀ below which
// the dual scaling is tried first.
const (
	switchStep = 0.1
	dualBelow  = 1e-4
)

// step does one predictor-corrector iteration; it returns the step length.
// With non-symmetric blocks it tries first the primal-dual scaling of
// those blocks (nonsymHs) while μ ≥ 1e-4·μ₀, the dual scaling with the
// barrierMeasure line search below, and when the first fails or gives a
// step below switchStep also the other, keeping the longer step. (On the
// 30 seed-77 programs of nonsym_solve_test.go at Tol 1e-8, during
// development with step fraction 0.99: primal-dual first throughout, 379
// iterations and no failure; dual scaling throughout, 608 iterations. At
// Tol 1e-10 primal-dual throughout failed on 5 to 13 of the 30: near the
// end, with s or z within 1e-10 of the boundary, z(s) is accurate to
// about 1e-5 only, and the dual scaling with the measure's line search,
// whose barriers are in closed form, reaches the tolerance more often.)
func (w *ipm) step() (float64, error) {
	if !w.nonsym {
		return w.step1()
	}
	if w.iter == 0 {
		w.mu0 = w.mu
	}
	first := w.mu < dualBelow*w.mu0
	w.dualOnly = first
	a, err := w.step1()
	if err == nil && a >= switchStep {
		return a, nil
	}
	var dx, dz, ds []float64
	var dt, dk float64
	if err == nil {
		dx, dz, ds = append([]float64(nil), w.dx...), append([]float64(nil), w.dz...), append([]float64(nil), w.ds...)
		dt, dk = w.dtau, w.dkappa
	}
	w.dualOnly = !first
	b, errD := w.step1()
	w.dualOnly = false
	if errD == nil && (err != nil || b > a) {
		return b, nil
	}
	if err != nil {
		return 0, err
	}
	copy(w.dx, dx)
	copy(w.dz, dz)
	copy(w.ds, ds)
	w.dtau, w.dkappa = dt, dk
	return a, nil
}

// step1 does one predictor-corrector iteration with the current scaling
// strategy.
func (w *ipm) step1() (float64, error) {
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
	aa, err := w.maxStep(w.dxa, w.dza, w.dsa, w.du, w.dtauA, w.dkappaA)
	if err != nil {
		return 0, err
	}
	sigma := math.Pow(1-aa, 3)
	// Combined. In the first iteration the second-order terms are scaled
	// by α_aff (Clarabel's reduced correction for a badly centred start).
	mc := 1.0
	if w.iter == 0 {
		mc = aa
	}
	if mc != 1 {
		for i := range w.dza {
			w.dza[i] *= mc
		}
	}
	if err := w.combinedDs(sigma); err != nil {
		return 0, err
	}
	dk := w.tau*w.kappa + mc*w.dtauA*w.dkappaA - sigma*w.mu
	w.dtau, w.dkappa, err = w.direction(1-sigma, dk, w.dx, w.dz, w.ds)
	if err != nil {
		return 0, err
	}
	a, err := w.maxStep(w.dx, w.dz, w.ds, w.du, w.dtau, w.dkappa)
	if err != nil {
		return 0, err
	}
	a *= w.frac
	// Safeguard of the third-order corrector of the non-symmetric blocks:
	// if the corrected step is much shorter than the affine one (the
	// corrector pushed the direction out of the neighbourhood, typically
	// through a large Δτ), the combined direction is recomputed without it
	// and the longer step is kept.
	if w.nonsym && a < 0.5*aa {
		dx, dz, ds := append([]float64(nil), w.dx...), append([]float64(nil), w.dz...), append([]float64(nil), w.ds...)
		dt, dkp := w.dtau, w.dkappa
		w.corr = 0
		err := w.combinedDs(sigma)
		w.corr = 1
		if err != nil {
			return 0, err
		}
		if w.dtau, w.dkappa, err = w.direction(1-sigma, dk, w.dx, w.dz, w.ds); err != nil {
			return 0, err
		}
		b, err := w.maxStep(w.dx, w.dz, w.ds, w.du, w.dtau, w.dkappa)
		if err != nil {
			return 0, err
		}
		if b*w.frac > a {
			a = b * w.frac
		} else {
			copy(w.dx, dx)
			copy(w.dz, dz)
			copy(w.ds, ds)
			w.dtau, w.dkappa = dt, dkp
		}
	}
	// Rounding: a point the ratio test keeps inside can still fail the
	// exact interior test of a second-order or PSD block (s + αΔs at
	// distance 1e-16·‖s‖ from the boundary); shorten such a step.
	for range 30 {
		if a <= minStep || w.interiorAt(a) {
			break
		}
		a *= 0.5
	}
	// The neighbourhood of the non-symmetric blocks is enforced in the
	// dual scaling only (as Clarabel does): the primal-dual scaling's
	// step is taken as it is (step falls back to the other strategy when
	// it is short).
	if w.nonsym && w.dualOnly {
		// Accept B(α) below 1 + ½ per non-symmetric block (Clarabel's
		// bound 1 is for one block; B adds up over the blocks), or not above
		// its current value.
		lim := math.Max(1+0.5*float64(w.nNonsym), w.barrierMeasure(0))
		for a > minStep && !(w.barrierMeasure(a) <= lim) {
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
	// Rescale the homogeneous iterate to max(τ, κ) = 1 (the embedding is
	// invariant under a positive scaling), keeping its entries of order
	// one on the way to a certificate (τ → 0, κ → ∞ or both → 0). With
	// non-symmetric blocks the factor is rounded to a power of two
	// (max(τ, κ) ∈ [1, 2)), so that the scaling is exact: a point the line
	// search accepted as interior (at distance 1e-16·‖s‖ from the boundary
	// near the end) stays interior.
	if c := math.Max(w.tau, w.kappa); c > 0 && !math.IsInf(c, 0) {
		if w.nonsym {
			_, e := math.Frexp(c)
			c = math.Ldexp(1, e-1)
		}
		for j := range w.x {
			w.x[j] /= c
		}
		for i := range w.z {
			w.z[i] /= c
			w.s[i] /= c
		}
		w.tau /= c
		w.kappa /= c
	}
}
