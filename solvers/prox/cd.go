package prox

import (
	"context"
	"fmt"
	"log/slog"
	"math"
)

// Updates selects how coordinate descent keeps its state.
type Updates int

const (
	// AutoUpdates uses GramUpdates when d ≤ n and d ≤ 256 (where
	// forming XᵀX/n costs at most about d epochs of residual updates and
	// is repaid within one or a few solves), else ResidualUpdates.
	AutoUpdates Updates = iota
	// ResidualUpdates keeps r = y − Xw: O(n) per coordinate update.
	ResidualUpdates
	// GramUpdates keeps Xᵀr/n with the Gram matrix XᵀX/n (computed once
	// per Lasso, O(nd²)): O(d) per update, the "covariance updates" of
	// glmnet, faster when n > d.
	GramUpdates
)

// CDSettings controls [Lasso.Solve]. A nil *CDSettings or the zero value
// means the documented defaults; a negative, NaN or infinite Tol, a NaN or
// infinite GapTol, a negative MaxIter or AndersonK and an unknown
// Updates give ErrInvalid.
type CDSettings struct {
	// Tol bounds the KKT violation: the solve stops when
	// maxⱼ dist(Xⱼᵀr/n − λ₂wⱼ, λⱼ∂|wⱼ|) ≤ Tol·LambdaMax. It controls the
	// accuracy of w (error ≲ violation / smallest eigenvalue of
	// X_SᵀX_S/n + λ₂I). Default 1e-10.
	Tol float64
	// GapTol additionally requires the duality gap to be at most
	// GapTol·‖y‖²/(2n) (the objective at w = 0), a certificate of
	// suboptimality. Default 1e-12; negative disables it.
	GapTol float64
	// MaxIter caps the work at MaxIter·d coordinate updates.
	// Default 100000.
	MaxIter int
	// Updates selects residual or Gram updates. Default AutoUpdates.
	Updates Updates
	// NoWorkingSet disables the working-set strategy (then every sweep
	// visits all features).
	NoWorkingSet bool
	// NoScreening disables Gap Safe screening (Fercoq, Gramfort & Salmon
	// 2015; Ndiaye et al. 2017): at the start and at each convergence
	// check, a feature with |Xⱼᵀu| + ‖Xⱼ‖·√(2·gap/n) < λⱼ, u the dual
	// point (r/n, rescaled to be feasible when λ₂ = 0), is certified to
	// be zero at the optimum and dropped from the sweeps. The dual is
	// n-strongly concave, so ‖u − u*‖ ≤ √(2·gap/n).
	NoScreening bool
	// NoAnderson disables Anderson extrapolation of the working-set
	// iterates (Bertrand & Massias 2021): every AndersonK sweeps, the
	// combination Σcₖwₖ (Σcₖ = 1) minimizing ‖Σcₖ(wₖ₊₁ − wₖ)‖ is tried
	// and kept if it lowers the objective. It speeds up ill-conditioned
	// problems (correlated features, small λ) several-fold.
	NoAnderson bool
	// AndersonK is the number of extrapolated iterates. Default 5.
	AndersonK int
	// Workers is the number of goroutines of [Lasso.SolveBatch] (one
	// solve is serial). Default (0) runtime.GOMAXPROCS; negative is
	// ErrInvalid.
	Workers int
	// Logger, if non-nil, receives a debug record at each convergence
	// check.
	Logger *slog.Logger
}

// check rejects settings outside their documented ranges (zero means the
// default; a negative GapTol disables the gap test).
func (s *CDSettings) check() error {
	if s == nil {
		return nil
	}
	if math.IsNaN(s.Tol) || math.IsInf(s.Tol, 0) || s.Tol < 0 {
		return fmt.Errorf("%w: CDSettings.Tol = %v (want a finite value ≥ 0; 0 means the default)", ErrInvalid, s.Tol)
	}
	if math.IsNaN(s.GapTol) || math.IsInf(s.GapTol, 0) {
		return fmt.Errorf("%w: CDSettings.GapTol = %v (want a finite value; negative disables the gap test)", ErrInvalid, s.GapTol)
	}
	if s.MaxIter < 0 {
		return fmt.Errorf("%w: CDSettings.MaxIter = %d (want ≥ 0; 0 means the default)", ErrInvalid, s.MaxIter)
	}
	if s.Workers < 0 {
		return fmt.Errorf("%w: CDSettings.Workers = %d (want ≥ 0; 0 means GOMAXPROCS)", ErrInvalid, s.Workers)
	}
	if s.AndersonK < 0 {
		return fmt.Errorf("%w: CDSettings.AndersonK = %d (want ≥ 0; 0 means the default)", ErrInvalid, s.AndersonK)
	}
	if s.Updates < AutoUpdates || s.Updates > GramUpdates {
		return fmt.Errorf("%w: unknown CDSettings.Updates %d", ErrInvalid, int(s.Updates))
	}
	return nil
}

func (s *CDSettings) orDefault() CDSettings {
	var out CDSettings
	if s != nil {
		out = *s
	}
	if out.Tol <= 0 {
		out.Tol = 1e-10
	}
	if out.GapTol == 0 {
		out.GapTol = 1e-12
	}
	if out.MaxIter <= 0 {
		out.MaxIter = 100000
	}
	if out.AndersonK <= 0 {
		out.AndersonK = 5
	}
	return out
}

// gramMatrix returns XᵀX/n (d×d, row-major), computed once.
func (l *Lasso) gramMatrix() []float64 {
	l.gramOnce.Do(func() {
		d, n := l.d, l.n
		g := make([]float64, d*d)
		inv := 1 / float64(n)
		for a := range d {
			ca := l.xc[a*n : (a+1)*n]
			for b := a; b < d; b++ {
				v := dot(ca, l.xc[b*n:(b+1)*n]) * inv
				g[a*d+b] = v
				g[b*d+a] = v
			}
		}
		l.gram = g
	})
	return l.gram
}

// cdState is the state of one coordinate-descent run.
type cdState struct {
	l     *Lasso
	theta []float64
	l2    float64
	w     []float64
	r     []float64 // residual mode: y − Xw
	q     []float64 // Gram mode: Xᵀr/n
	gram  []float64 // nil in residual mode
}

// update performs one coordinate update and returns cⱼ|Δwⱼ|.
func (st *cdState) update(j int) float64 {
	l := st.l
	c := l.colSq[j]
	if c == 0 {
		st.w[j] = 0
		return 0
	}
	n := l.n
	var z float64
	if st.gram != nil {
		z = st.q[j] + c*st.w[j]
	} else {
		z = dot(l.xc[j*n:(j+1)*n], st.r)/float64(n) + c*st.w[j]
	}
	nw := softThreshold(z, l.lam(st.theta, j)) / (c + st.l2)
	delta := nw - st.w[j]
	if delta == 0 {
		return 0
	}
	st.w[j] = nw
	if st.gram != nil {
		d := l.d
		axpy(-delta, st.gram[j*d:(j+1)*d], st.q)
	} else {
		axpy(-delta, l.xc[j*n:(j+1)*n], st.r)
	}
	return c * math.Abs(delta)
}

// zero sets wⱼ = 0, updating r or q.
func (st *cdState) zero(j int) {
	v := st.w[j]
	if v == 0 {
		return
	}
	st.w[j] = 0
	l := st.l
	if st.gram != nil {
		axpy(v, st.gram[j*l.d:(j+1)*l.d], st.q)
	} else {
		axpy(v, l.xc[j*l.n:(j+1)*l.n], st.r)
	}
}

// refresh recomputes r or q exactly from w (removing rounding drift) and
// returns ‖r‖²/n, rᵀy/n and g = Xᵀr/n (g is st.q in Gram mode, else buf).
func (st *cdState) refresh(buf []float64) (rr, ry float64, g []float64) {
	l := st.l
	if st.gram != nil {
		d := l.d
		copy(st.q, l.xty)
		var wxty, wgw float64
		for j, v := range st.w {
			if v != 0 {
				row := st.gram[j*d : (j+1)*d]
				axpy(-v, row, st.q)
				wxty += v * l.xty[j]
			}
		}
		// wᵀGw = wᵀ(xty − q).
		for j, v := range st.w {
			if v != 0 {
				wgw += v * (l.xty[j] - st.q[j])
			}
		}
		return 2*l.yy - 2*wxty + wgw, 2*l.yy - wxty, st.q
	}
	n := float64(l.n)
	if allZero(st.w) {
		// r = y and Xᵀr/n = Xᵀy/n are known: skip the O(nd) product.
		copy(st.r, l.y)
		copy(buf, l.xty)
		return 2 * l.yy, 2 * l.yy, buf
	}
	l.residual(st.r, st.w)
	l.correlations(buf, st.r)
	return dot(st.r, st.r) / n, dot(st.r, l.y) / n, buf
}

func allZero(w []float64) bool {
	for _, v := range w {
		if v != 0 {
			return false
		}
	}
	return true
}

// penaltyOn returns the penalty of the point equal to vals on ws and zero
// elsewhere.
func (st *cdState) penaltyOn(ws []int, vals []float64) float64 {
	var pen float64
	for a, j := range ws {
		v := vals[a]
		pen += st.l.lam(st.theta, j)*math.Abs(v) + 0.5*st.l2*v*v
	}
	return pen
}

// objectiveOn returns the objective at the point equal to w except on ws,
// where it takes vals (zero off ws is assumed for w); scratch has length n
// (residual mode).
func (st *cdState) objectiveOn(ws []int, vals, scratch []float64) float64 {
	l := st.l
	pen := st.penaltyOn(ws, vals)
	if st.gram != nil {
		d := l.d
		var lin, quad float64
		for a, j := range ws {
			v := vals[a]
			if v == 0 {
				continue
			}
			lin += v * l.xty[j]
			row := st.gram[j*d : (j+1)*d]
			var s float64
			for b, k := range ws {
				s += row[k] * vals[b]
			}
			quad += v * s
		}
		return l.yy - lin + 0.5*quad + pen
	}
	n := l.n
	copy(scratch, l.y)
	for a, j := range ws {
		if vals[a] != 0 {
			axpy(-vals[a], l.xc[j*n:(j+1)*n], scratch)
		}
	}
	return 0.5*dot(scratch, scratch)/float64(n) + pen
}

// setOn sets w on ws to vals and updates r or q.
func (st *cdState) setOn(ws []int, vals, scratch []float64) {
	l := st.l
	for a, j := range ws {
		st.w[j] = vals[a]
	}
	if st.gram != nil {
		d := l.d
		copy(st.q, l.xty)
		for _, j := range ws {
			if v := st.w[j]; v != 0 {
				axpy(-v, st.gram[j*d:(j+1)*d], st.q)
			}
		}
		return
	}
	copy(st.r, scratch) // objectiveOn left the residual in scratch
}

// anderson holds the working-set iterates for extrapolation, in reused
// buffers (no allocation per sweep once warmed up).
type anderson struct {
	k    int
	m    int         // length of the stored vectors
	hist [][]float64 // k+1 buffers; the first used ones are valid
	used int
	u    [][]float64 // k difference vectors
	gm   []float64   // k×k Gram matrix of the differences
	z    []float64
	acc  []float64
}

func newAnderson(k int) *anderson {
	return &anderson{k: k, hist: make([][]float64, k+1), u: make([][]float64, k), gm: make([]float64, k*k), z: make([]float64, k)}
}

// reset starts a new history of vectors of length m.
func (a *anderson) reset(m int) {
	a.used = 0
	if m != a.m {
		a.m = m
		for i := range a.hist {
			a.hist[i] = make([]float64, m)
		}
		for i := range a.u {
			a.u[i] = make([]float64, m)
		}
		a.acc = make([]float64, m)
	}
}

// push stores the next iterate (the working-set values of w) and reports
// whether k+1 iterates are stored.
func (a *anderson) push(w []float64, ws []int) bool {
	h := a.hist[a.used]
	for t, j := range ws {
		h[t] = w[j]
	}
	a.used++
	return a.used == a.k+1
}

// extrapolate returns Σcᵢ wᵢ₊₁ with c = z/Σz, (UᵀU + εI) z = 1, U the
// matrix of successive differences, or nil when the system is singular.
// It clears the history.
func (a *anderson) extrapolate() []float64 {
	k := a.k
	a.used = 0
	for i := range k {
		ui, h0, h1 := a.u[i], a.hist[i], a.hist[i+1]
		for t := range ui {
			ui[t] = h1[t] - h0[t]
		}
	}
	var tr float64
	for i := range k {
		for j := i; j < k; j++ {
			v := dot(a.u[i], a.u[j])
			a.gm[i*k+j], a.gm[j*k+i] = v, v
		}
		tr += a.gm[i*k+i]
	}
	if !(tr > 0) || math.IsInf(tr, 0) {
		return nil
	}
	for i := range k {
		a.gm[i*k+i] += 1e-10 * tr
	}
	// In-place Cholesky of the small SPD matrix, then two triangular solves.
	g := a.gm
	for j := range k {
		s := g[j*k+j]
		for p := range j {
			s -= g[j*k+p] * g[j*k+p]
		}
		if !(s > 0) {
			return nil
		}
		s = math.Sqrt(s)
		g[j*k+j] = s
		for i := j + 1; i < k; i++ {
			t := g[i*k+j]
			for p := range j {
				t -= g[i*k+p] * g[j*k+p]
			}
			g[i*k+j] = t / s
		}
	}
	z := a.z
	for i := range k {
		t := 1.0
		for p := range i {
			t -= g[i*k+p] * z[p]
		}
		z[i] = t / g[i*k+i]
	}
	for i := k - 1; i >= 0; i-- {
		t := z[i]
		for p := i + 1; p < k; p++ {
			t -= g[p*k+i] * z[p]
		}
		z[i] = t / g[i*k+i]
	}
	var sum float64
	for _, v := range z {
		sum += v
	}
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return nil
	}
	clear(a.acc)
	for i := range k {
		axpy(z[i]/sum, a.hist[i+1], a.acc)
	}
	if !finite(a.acc) {
		return nil
	}
	return a.acc
}

// Solve minimizes the problem at θ by cyclic coordinate descent
// (Friedman, Hastie & Tibshirani 2010): for each feature,
//
//	wⱼ ← S(cⱼwⱼ + Xⱼᵀr/n, λⱼ)/(cⱼ + λ₂),   cⱼ = ‖Xⱼ‖²/n,
//
// with residual (or Gram) updates, sweeping a working set with Anderson
// extrapolation until it settles, then checking the KKT conditions and
// the duality gap over all features. The working set is the current
// non-zeros plus the features violating the KKT conditions at the last
// check, so features that stay at zero cost one product Xⱼᵀr per check
// and nothing more. init, when non-nil, is a warm start (for paths).
// θ and init are not modified. On a cancelled ctx (checked between
// sweeps) or at MaxIter it returns the best iterate with
// ErrNotConverged.
func (l *Lasso) Solve(ctx context.Context, theta, init []float64, s *CDSettings) (*LassoResult, error) {
	if l == nil || l.d == 0 {
		return nil, fmt.Errorf("%w: nil Lasso", ErrInvalid)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := l.CheckTheta(theta); err != nil {
		return nil, err
	}
	if init != nil {
		if len(init) != l.d {
			return nil, fmt.Errorf("%w: init has length %d, want %d", ErrDims, len(init), l.d)
		}
		if !finite(init) {
			return nil, fmt.Errorf("%w: in init", ErrNaN)
		}
	}
	set := s.orDefault()
	theta = l.penalty.strengths(theta) // λ from here on
	n, d := l.n, l.d
	st := &cdState{l: l, theta: theta, l2: l.l2(theta), w: make([]float64, d)}
	if init != nil {
		copy(st.w, init)
	}
	useGram := set.Updates == GramUpdates || (set.Updates == AutoUpdates && d <= n && d <= 256)
	if useGram {
		st.gram = l.gramMatrix()
		st.q = make([]float64, d)
	} else {
		st.r = make([]float64, n)
	}
	buf := make([]float64, d)
	scratch := make([]float64, n)
	rr, ry, g := st.refresh(buf)
	scale := math.Max(l.LambdaMax(), 1e-300)
	kktTol := set.Tol * scale
	gapTol := set.GapTol * math.Max(l.yy, 1e-300)

	res := &LassoResult{}
	updates := 0
	maxUpdates := set.MaxIter * d
	innerTol := 0.1 * kktTol
	ws := make([]int, 0, d)
	and := newAnderson(set.AndersonK)
	screened := make([]bool, d)
	gcopy := make([]float64, d)
	screen := func(gap float64, g []float64) {
		if set.NoScreening || math.IsInf(gap, 1) || math.IsNaN(gap) {
			return
		}
		// The dual point is u = sc·r/n: rescaled into the feasible set for
		// the lasso; for the elastic net the dual is unconstrained (and
		// still n-strongly concave) and sc = 1.
		sc := 1.0
		if st.l2 == 0 {
			sc = l.dualScale(g, theta)
		}
		if sc == 0 {
			return
		}
		radius := math.Sqrt(2 * gap / float64(n))
		// g may be the live Xᵀr/n of Gram mode, which zero() changes: the
		// test must use the correlations at the certified dual point.
		g = append(gcopy[:0], g...)
		for j := range d {
			if screened[j] {
				continue
			}
			if sc*math.Abs(g[j])+radius*math.Sqrt(float64(n)*l.colSq[j]) < l.lam(theta, j)*(1-1e-9) {
				screened[j] = true
				res.Screened++
				st.zero(j)
			}
		}
	}
	if !set.NoScreening {
		// Screen at the starting point: effective along a warm-started path.
		gap0, _ := l.gapKKT(rr, ry, g, st.w, theta)
		screen(gap0, g)
	}
	cur := make([]float64, d)
	var err error
	var gap, kkt float64
	bestKKT, bestGap, stalled := math.Inf(1), math.Inf(1), 0
	for {
		if e := ctx.Err(); e != nil {
			err = fmt.Errorf("%w: %w", ErrNotConverged, e)
			break
		}
		// The working set: the non-zeros and the features violating the
		// KKT conditions at the last check (g = Xᵀr/n there), so that no
		// full sweep is spent on features that would stay at zero; the
		// next check lets any new violator in.
		ws = ws[:0]
		for j := range d {
			if screened[j] {
				continue
			}
			if set.NoWorkingSet || st.w[j] != 0 || math.Abs(g[j]) > l.lam(theta, j) {
				ws = append(ws, j)
			}
		}
		and.reset(len(ws))
		for sweeps := 0; updates < maxUpdates && len(ws) > 0; sweeps++ {
			var change float64
			for _, j := range ws {
				change = math.Max(change, st.update(j))
			}
			updates += len(ws)
			if change <= innerTol {
				break
			}
			if sweeps%64 == 63 && ctx.Err() != nil {
				break
			}
			if set.NoAnderson {
				continue
			}
			if and.push(st.w, ws) {
				if acc := and.extrapolate(); acc != nil {
					cw := cur[:len(ws)]
					for a, j := range ws {
						cw[a] = st.w[j]
					}
					var pCur float64
					if st.gram == nil {
						// The maintained residual gives the current objective
						// in O(n + |ws|) instead of rebuilding it.
						pCur = 0.5*dot(st.r, st.r)/float64(n) + st.penaltyOn(ws, cw)
					} else {
						pCur = st.objectiveOn(ws, cw, scratch)
					}
					pAcc := st.objectiveOn(ws, acc, scratch)
					if pAcc < pCur {
						st.setOn(ws, acc, scratch)
					}
				}
			}
		}
		// Convergence check over all features, on exact r (or q).
		rr, ry, g = st.refresh(buf)
		res.Checks++
		gap, kkt = l.gapKKT(rr, ry, g, st.w, theta)
		if set.Logger != nil {
			set.Logger.Debug("prox: lasso CD check", "epochs", float64(updates)/float64(d), "gap", gap, "kkt", kkt, "workingSet", len(ws))
		}
		gapOK := set.GapTol < 0 || gap <= gapTol || (math.IsInf(gap, 1) && st.l2 == 0)
		if kkt <= kktTol && gapOK {
			res.Converged = true
			break
		}
		if updates >= maxUpdates {
			err = fmt.Errorf("%w: KKT violation %.3g (tol %.3g), gap %.3g (tol %.3g) after %d epochs", ErrNotConverged, kkt, kktTol, gap, gapTol, updates/d)
			break
		}
		// Stop when neither criterion has improved over 20 checks: the
		// tolerances are below what rounding allows for this problem.
		if kkt < 0.5*bestKKT || gap < 0.5*bestGap {
			bestKKT, bestGap = math.Min(kkt, bestKKT), math.Min(gap, bestGap)
			stalled = 0
		} else if stalled++; stalled >= 20 {
			err = fmt.Errorf("%w: %w at KKT violation %.3g (tol %.3g), gap %.3g (tol %.3g): tolerances below rounding level", ErrNotConverged, ErrStalled, kkt, kktTol, gap, gapTol)
			break
		}
		screen(gap, g)
		// Tighten the working-set tolerance, but not below the rounding
		// level of the updates, where sweeps would never settle.
		var wscale float64
		for j, v := range st.w {
			wscale = math.Max(wscale, l.colSq[j]*math.Abs(v))
		}
		innerTol = math.Max(math.Min(innerTol, 0.1*kkt), 1e-15*wscale)
	}
	if !res.Converged {
		rr, ry, g = st.refresh(buf)
		gap, kkt = l.gapKKT(rr, ry, g, st.w, theta)
	}
	res.W = st.w
	res.Gap, res.KKT = gap, kkt
	res.Objective = 0.5*rr + l.penaltyValue(st.w, theta)
	res.Epochs = float64(updates) / float64(d)
	if !finite(st.w) || math.IsNaN(res.Objective) || math.IsInf(res.Objective, 0) || math.IsNaN(gap) || math.IsNaN(kkt) {
		return nil, fmt.Errorf("%w: coordinate descent overflowed (objective %v); rescale the data", ErrNaN, res.Objective)
	}
	return res, err
}

// LassoResult is the outcome of [Lasso.Solve].
type LassoResult struct {
	// W is the solution (the best iterate when not converged).
	W []float64
	// Objective is the primal objective at W; Gap the duality gap and KKT
	// the KKT violation (see [Lasso.DualityGap]).
	Objective, Gap, KKT float64
	// Epochs counts coordinate updates divided by d; Checks counts
	// convergence checks (each costs one product Xᵀr); Screened counts
	// the features eliminated by Gap Safe screening.
	Epochs   float64
	Checks   int
	Screened int
	// Converged reports that both stopping criteria were met.
	Converged bool
}

// Support returns the indices j with W[j] ≠ 0.
func (r *LassoResult) Support() []int {
	if r == nil {
		return nil
	}
	return support(r.W)
}

func support(w []float64) []int {
	var s []int
	for j, v := range w {
		if v != 0 {
			s = append(s, j)
		}
	}
	return s
}
