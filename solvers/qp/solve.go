package qp

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"github.com/optlayers/optlayers/internal/dense"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Status is the outcome of a solve.
type Status int

const (
	// Optimal: the recomputed primal residual, dual residual and duality
	// gap of the returned point passed the acceptance test (Settings.Tol).
	Optimal Status = iota
	// Infeasible: a checked Farkas certificate shows that the constraints
	// have no solution of any reasonable size (see the package doc).
	Infeasible
	// Unbounded: a checked ray decreases the objective without bound.
	Unbounded
	// NotConverged: no point passed the acceptance test (iteration limit,
	// stalled progress, accuracy beyond what the data allow) and no
	// certificate of infeasibility or unboundedness passed its check; the
	// best iterate is returned.
	NotConverged
	// Canceled: the context was canceled; best iterate so far.
	Canceled
)

var statusNames = [...]string{"Optimal", "Infeasible", "Unbounded", "NotConverged", "Canceled"}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Settings controls Solve. A nil *Settings or the zero value means the
// defaults documented on each field; a negative or NaN Tol or Barrier,
// a negative MaxIter or Workers is an error matching ErrInvalid.
type Settings struct {
	// Tol is the accuracy a solution must reach for Status Optimal, tested
	// on the residuals recomputed from the returned x, ν, λ and the user's
	// data (never on the solver's internal, scaled quantities):
	//
	//	primal = max(‖Ax − b‖∞, max(Gx − h)₊) ≤ Tol·sₚ
	//	dual   = ‖Qx + p + Aᵀν + Gᵀλ‖∞       ≤ Tol·s_d
	//	gap    = |xᵀQx + pᵀx + bᵀν + hᵀλ|    ≤ Tol·s_g
	//
	// With Absolute set, sₚ = s_d = s_g = 1 (the rule of the public QP
	// benchmark and OSQP's eps_abs with eps_rel = 0). Otherwise each scale
	// is the largest of 1 and the ∞-norms of the terms of its residual
	// (sₚ: b, h, Ax, Gx; s_d: Qx, p, Aᵀν, Gᵀλ; s_g: xᵀQx, pᵀx, bᵀν, hᵀλ),
	// as in PIQP and Clarabel. Default 1e-9.
	Tol float64
	// Absolute makes Tol an absolute tolerance (see Tol).
	Absolute bool
	// MaxIter caps the iterations of each interior point. Default 100 for
	// the first path and 250 for the proximal path (see the package
	// documentation).
	MaxIter int
	// Barrier, when positive, stops the interior point on the central
	// path at barrier weight μ = Barrier instead of at the optimum: the
	// solution is then that of the log-barrier problem
	//	minimize ½xᵀQx + pᵀx − μ Σᵢ log(hᵢ − gᵢᵀx)  s.t. Ax = b,
	// a smooth function of the data (Mandi & Guns 2020). Backward and
	// Tangent differentiate it exactly. The gap test is then replaced by
	// maxᵢ |λᵢsᵢ − μ| ≤ Tol·max(μ, 10⁻³).
	Barrier float64
	// WarmStart, if non-nil, is the starting point of the interior point.
	// Its X must have length n; nil Nu, Lambda or Slack are filled in.
	// Points on the boundary are pushed into the interior.
	WarmStart *Start
	// Workers is the number of goroutines of SolveBatch and BackwardBatch;
	// 0 means runtime.GOMAXPROCS(0). Results do not depend on it.
	Workers int
	// Logger, if non-nil, receives one Debug record per iteration.
	Logger *slog.Logger
}

// Start is a starting point for the interior point.
type Start struct {
	X, Nu, Lambda, Slack []float64
}

func (s *Settings) orDefault() (Settings, error) {
	var out Settings
	if s != nil {
		out = *s
	}
	switch {
	case out.Tol < 0 || math.IsNaN(out.Tol) || math.IsInf(out.Tol, 0):
		return out, fmt.Errorf("%w: Tol = %v (want a finite Tol ≥ 0; 0 means 1e-9)", ErrInvalid, out.Tol)
	case out.MaxIter < 0:
		return out, fmt.Errorf("%w: MaxIter = %d (want ≥ 0; 0 means the default)", ErrInvalid, out.MaxIter)
	case out.Barrier < 0 || math.IsNaN(out.Barrier) || math.IsInf(out.Barrier, 0):
		return out, fmt.Errorf("%w: Barrier = %v (want a finite Barrier ≥ 0)", ErrInvalid, out.Barrier)
	case out.Workers < 0:
		return out, fmt.Errorf("%w: Workers = %d (want ≥ 0; 0 means GOMAXPROCS)", ErrInvalid, out.Workers)
	}
	if out.Tol == 0 {
		out.Tol = 1e-9
	}
	return out, nil
}

// maxIter returns the iteration cap of the first path.
func (s *Settings) maxIter() int {
	if s.MaxIter > 0 {
		return s.MaxIter
	}
	return 100
}

// maxIterProximal returns the iteration cap of the proximal path.
func (s *Settings) maxIterProximal() int {
	if s.MaxIter > 0 {
		return s.MaxIter
	}
	return 250
}

// Residuals are the KKT residuals of a returned point (x, ν, λ), computed
// from the data, not from the solver's internal slacks:
//
//	Primal          = max(‖Ax − b‖∞, max(Gx − h)₊)
//	Dual            = ‖Qx + p + Aᵀν + Gᵀλ‖∞
//	Complementarity = maxᵢ |λᵢ (hᵢ − gᵢᵀx)|
//
//	Gap             = |xᵀQx + pᵀx + bᵀν + hᵀλ|
//
// Gap is the difference of the primal and dual objectives at (x, ν, λ)
// (zero at a KKT point; it equals Σᵢ λᵢ(hᵢ − gᵢᵀx) up to the primal and
// dual residuals). With Settings.Barrier = μ > 0, Complementarity is
// maxᵢ |λᵢ sᵢ − μ|.
type Residuals struct {
	Primal, Dual, Complementarity, Gap float64
}

// Max returns the largest of Primal, Dual and Complementarity (not Gap,
// whose scale is that of the objective).
func (r Residuals) Max() float64 {
	return math.Max(r.Primal, math.Max(r.Dual, r.Complementarity))
}

// Solution is the result of Solve. X is the primal solution, Nu (length p)
// the multipliers of Ax = b, Lambda (length m, ≥ 0) those of Gx ≤ h and
// Slack = h − Gx as tracked by the solver (≥ 0). The solution keeps the
// problem data and the KKT factorization at the returned point for
// Backward and Tangent; it is not safe for concurrent use.
type Solution struct {
	X, Nu, Lambda, Slack []float64
	Status               Status
	Iterations           int
	Residuals            Residuals
	Objective            float64 // ½xᵀQx + pᵀx

	d       *data
	kkt     *kkt
	barrier float64
	// factAt reports whether kkt is factorized at the returned point.
	factAt bool
	// ar holds the arrays of the solve (nil for a zero Solution).
	ar *arena
}

// Release gives the memory of s — its problem data, factorization and
// vectors, X, Nu, Lambda and Slack among them — back to the solver, for
// the next solves to reuse, and empties s: Backward and Tangent then
// report ErrInvalid. A training loop that releases each step's Solutions
// (and Gradients, see Gradient.Release) once it is done with them solves
// the next batch without asking the garbage collector for new memory:
// at B = 16, n = 200 that is 22 MB a step (BENCHMARKS.md, P-QP). Copy any
// slice of s to be kept beyond the call first: the arrays are reused.
// Gradients already computed from s are not affected. Release of a nil
// or released Solution does nothing; s must not be in use by another
// goroutine.
func (s *Solution) Release() {
	if s == nil {
		return
	}
	ar := s.ar
	*s = Solution{}
	ar.free()
}

// Dims returns the number of variables, equality and inequality
// constraints of the solved problem.
// A nil or zero Solution has no dimensions.
func (s *Solution) Dims() (n, p, m int) {
	if s == nil || s.d == nil {
		return 0, 0, 0
	}
	return s.d.n, s.d.neq, s.d.m
}

// Solve solves the convex QP pb by a primal-dual interior point with
// Mehrotra's predictor-corrector and, when its result does not pass the
// acceptance test, by a proximal interior point on the equilibrated
// problem (see the package documentation). s may be nil.
//
// On success the error is nil and Status is Optimal: the residuals and
// gap recomputed from the returned point passed the test of Settings.Tol;
// the error of any other outcome names the failed tests. An infeasible or
// unbounded problem returns an error matching ErrInfeasible or
// ErrUnbounded (with a non-nil Solution holding the last iterate and the
// status); iteration limits and stalls return the best iterate with
// ErrNotConverged; a canceled ctx returns the best iterate and an error
// wrapping ctx.Err(). Invalid data (shapes, NaN/Inf, Q not PSD) or
// settings (ErrInvalid) return a nil Solution and an error.
func Solve(ctx context.Context, pb *Problem, s *Settings) (*Solution, error) {
	set, err := s.orDefault()
	if err != nil {
		return nil, err
	}
	return solveDefaulted(ctx, pb, &set)
}

// solveDefaulted is Solve with the settings already checked and
// defaulted (set is only read: SolveBatch shares one among its workers).
func solveDefaulted(ctx context.Context, pb *Problem, set *Settings) (*Solution, error) {
	d, err := newData(pb)
	if err != nil {
		return nil, err
	}
	return solveData(ctx, d, set, true)
}

// ipm holds the iterate and scratch of one solve.
type ipm struct {
	d        *data // the problem solved (transformed in the dual mode)
	orig     *data // the user's problem
	acc      *acceptance
	k        *kkt
	set      *Settings
	x, nu    []float64
	lam, s   []float64
	rd, re   []float64
	ri       []float64
	rhs, dir []float64 // n+neq+m
	aff      []float64
	dsA, ds  []float64
	w        []float64
	tmp      []float64 // n
	tries    int       // polishing attempts
	// lastActive is the active set of the last polishing attempt;
	// activeBuf the storage of it and of the next attempt's (2m, made on
	// the first attempt).
	lastActive, activeBuf []bool
	// cand is the storage of polish's candidate point (n+neq+2m, from the
	// ipm's allocation): at most one candidate is ever kept (a polish that
	// passes ends the iteration), so one buffer serves every attempt.
	cand []float64
	// factEnd reports that k is factorized at the returned point.
	factEnd bool
	// passed reports that the last acceptance test on an iterate passed,
	// with passedRes the residuals of its verdict.
	passed    bool
	passedRes Residuals
	// passedX and passedObj are that point's x in the user's variables
	// and its objective (the returned X and Objective, bit for bit).
	passedX   []float64
	passedObj float64
	// gx is G x of the last call of residuals (before the slacks are
	// added into ri), for polish.
	gx []float64
	// bestX … bestS are the storage of run's best-iterate snapshot;
	// accX that of the x of acceptedResiduals (passedX is accX after a
	// passing test).
	bestX, bestNu, bestLam, bestS []float64
	accX                          []float64
	// evScratch is the scratch of the acceptance test's evaluation;
	// solBuf the storage of the returned X, Nu, Lambda and Slack.
	evScratch, solBuf []float64
	// accVal is the storage acc points to.
	accVal acceptance
	// solVal, when set, is the storage of run's Solution.
	solVal *Solution
}

// solveState is the storage of one solve: the ipm, the kkt and the
// returned Solution, allocated together.
type solveState struct {
	it  ipm
	kb  kktBox
	sol Solution
}

func solveData(ctx context.Context, d *data, set *Settings, diagnose bool) (*Solution, error) {
	p, err := prepare(d)
	if err != nil {
		return nil, err
	}
	return solvePrepared(ctx, d, p, set, diagnose)
}

func solvePrepared(ctx context.Context, d *data, p *prep, set *Settings, diagnose bool) (*Solution, error) {
	orig := d
	// The ipm, the kkt (with the transformed problem) and the returned
	// Solution in one allocation: they live as long as the Solution.
	st := new(solveState)
	d, k := p.instantiateIn(orig, &st.kb)
	n, neq, m := d.n, d.neq, d.m
	tot := n + neq + m
	// The iterate, its scratch, the best iterate's snapshot and the
	// acceptance test's x in one allocation; the acceptance test in the
	// ipm itself.
	sl := orig.ar.slab(6*n + 4*neq + 11*m + 3*tot + evalScratch(orig) + tot + m)
	it := &st.it
	*it = ipm{d: d, orig: orig, k: k, set: set,
		x: sl.take(n), nu: sl.take(neq), lam: sl.take(m), s: sl.take(m),
		rd: sl.take(n), re: sl.take(neq), ri: sl.take(m),
		rhs: sl.take(tot), dir: sl.take(tot), aff: sl.take(tot),
		dsA: sl.take(m), ds: sl.take(m), w: sl.take(m)}
	it.tmp = sl.take(n)
	it.gx = sl.take(m)
	it.bestX, it.bestNu, it.bestLam, it.bestS = sl.take(n), sl.take(neq), sl.take(m), sl.take(m)
	it.accX = sl.take(n)
	it.evScratch = sl.take(evalScratch(orig))
	it.solBuf = sl.take(n + neq + 2*m)
	it.cand = sl.take(n + neq + 2*m)
	it.accVal = acceptance{tol: set.Tol, absolute: set.Absolute, barrier: set.Barrier}
	it.solVal = &st.sol
	acc := &it.accVal
	it.acc = acc
	if err := it.start(set.WarmStart); err != nil {
		return nil, err
	}
	sol, status, iters := it.run(ctx)
	sol.ar = orig.ar
	sol.Iterations = iters
	sol.Status = status
	if status == Canceled {
		return sol, fmt.Errorf("qp: canceled after %d iterations: %w", iters, ctx.Err())
	}
	// Whatever the iteration concluded, Optimal is granted only by the
	// acceptance test on the recomputed residuals.
	if status == Optimal && solutionFinite(sol) && (it.passed || acc.ok(sol)) && !forceProximal {
		return sol, nil
	}
	sol.Status = NotConverged
	// Second path: the proximal interior point on the equilibrated
	// problem (not for the central-path solutions of Barrier > 0).
	if set.Barrier == 0 {
		px := newProxIPM(orig, acc)
		px.logger = set.Logger
		if px.logger == nil {
			px.logger = debugLogger
		}
		pr := px.run(ctx, set.maxIterProximal())
		if pr.x != nil {
			alt := &Solution{X: pr.x, Nu: pr.nu, Lambda: pr.lam, Slack: pr.s, Residuals: pr.res,
				Objective: objective(orig, pr.x), Iterations: iters + pr.iters, Status: NotConverged,
				d: orig, kkt: k, ar: orig.ar}
			if pr.ok && solutionFinite(alt) {
				alt.Status = Optimal
				return alt, nil
			}
			// Return the better of the two best iterates.
			if first, _ := acc.merit(orig, sol.X, sol.Nu, sol.Lambda); !solutionFinite(sol) || pr.merit < first {
				sol = alt
			} else {
				sol.Iterations = alt.Iterations
			}
		}
		if pr.canceled {
			sol.Status = Canceled
			return sol, fmt.Errorf("qp: canceled after %d iterations: %w", sol.Iterations, ctx.Err())
		}
	}
	// Diagnose a failure: infeasible, unbounded or merely not converged;
	// each claim rests on a certificate that passed its own check.
	// A best iterate that is nearly primal (dual) feasible makes a
	// certificate of infeasibility (unboundedness) implausible: the
	// diagnosis is skipped, which can only turn a claim into
	// NotConverged, never the reverse.
	scale := math.Max(1, math.Max(normInf(orig.p), math.Max(normInf(orig.b), normInf(orig.h))))
	nearPrimal := sol.Residuals.Primal <= 1e-6*scale
	nearDual := sol.Residuals.Dual <= 1e-6*scale
	if diagnose && ctx.Err() == nil && !nearPrimal {
		if ok, why := diagInfeasible(ctx, orig, set); ok {
			sol.Status = Infeasible
			return sol, fmt.Errorf("%w: %s (after %d iterations)", ErrInfeasible, why, sol.Iterations)
		}
	}
	if diagnose && ctx.Err() == nil && !nearDual {
		if ok, why := diagUnbounded(ctx, orig, set); ok {
			sol.Status = Unbounded
			return sol, fmt.Errorf("%w: %s (after %d iterations)", ErrUnbounded, why, sol.Iterations)
		}
	}
	if !solutionFinite(sol) {
		return sol, fmt.Errorf("%w: overflow (data of extreme magnitude?) after %d iterations", ErrNotConverged, sol.Iterations)
	}
	return sol, fmt.Errorf("%w: after %d iterations: %s", ErrNotConverged, sol.Iterations, acc.describe(sol))
}

// solutionFinite reports whether every number of sol is finite.
func solutionFinite(sol *Solution) bool {
	return finite(sol.X) && finite(sol.Nu) && finite(sol.Lambda) &&
		finite([]float64{sol.Objective, sol.Residuals.Max(), sol.Residuals.Gap})
}

// start sets the initial iterate: the user's warm start pushed into the
// interior, or the solution of the KKT system with W = I shifted into the
// interior (Vandenberghe's CVXOPT initialization).
func (it *ipm) start(ws *Start) error {
	d := it.d
	n, neq, m := d.n, d.neq, d.m
	if ws != nil {
		if len(ws.X) != n || (ws.Nu != nil && len(ws.Nu) != neq) ||
			(ws.Lambda != nil && len(ws.Lambda) != m) || (ws.Slack != nil && len(ws.Slack) != m) {
			return fmt.Errorf("%w: warm start shapes do not match the problem", ErrDims)
		}
		if !finite(ws.X) || !finite(ws.Nu) || !finite(ws.Lambda) || !finite(ws.Slack) {
			return fmt.Errorf("%w: in the warm start", ErrNaN)
		}
		copy(it.x, ws.X)
		if it.k.l != nil {
			// a = Lᵀx
			blas64.Trmv(blas.Trans, blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: n, Data: it.k.l, Stride: n}, vec(it.x))
		}
		copy(it.nu, ws.Nu)
		e := it.k.rowScale
		for i := range e[:min(len(e), neq)] {
			it.nu[i] /= e[i]
		}
		if ws.Slack != nil {
			copy(it.s, ws.Slack)
			for i := range e[min(len(e), neq):] {
				it.s[i] *= e[neq+i]
			}
		} else {
			copy(it.s, d.h)
			d.mulG(-1, it.x, 1, it.s)
		}
		if ws.Lambda != nil {
			copy(it.lam, ws.Lambda)
			for i := range e[min(len(e), neq):] {
				it.lam[i] /= e[neq+i]
			}
		} else {
			for i := range it.lam {
				it.lam[i] = 1
			}
		}
		floor := 1e-2
		if it.set.Barrier > 0 {
			floor = math.Min(floor, math.Sqrt(it.set.Barrier))
		}
		for i := range m {
			it.s[i] = math.Max(it.s[i], floor)
			it.lam[i] = math.Max(it.lam[i], floor)
		}
		return nil
	}
	for i := range it.w {
		it.w[i] = 1
	}
	if !it.k.factor(it.w) {
		return fmt.Errorf("%w: initial KKT system", ErrSingular)
	}
	copy(it.rhs[:n], d.p)
	for i := range n {
		it.rhs[i] = -it.rhs[i]
	}
	copy(it.rhs[n:], d.b)
	copy(it.rhs[n+neq:], d.h)
	it.k.solve(it.dir, it.rhs, 3, 1e-13)
	copy(it.x, it.dir[:n])
	copy(it.nu, it.dir[n:n+neq])
	if !finite(it.x) || !finite(it.nu) {
		clear(it.x)
		clear(it.nu)
	}
	if m == 0 {
		return nil
	}
	z := it.dir[n+neq:]
	// s = h − Gx (= −z in exact arithmetic), λ = z; shift both inside.
	copy(it.s, d.h)
	d.mulG(-1, it.x, 1, it.s)
	copy(it.lam, z)
	shift := func(v []float64) {
		lo := math.Inf(1)
		for _, e := range v {
			lo = math.Min(lo, e)
		}
		if !(lo > 1e-8) || math.IsNaN(lo) {
			add := 1.0
			if !math.IsNaN(lo) && !math.IsInf(lo, 0) {
				add = 1 - lo
			}
			for i := range v {
				if math.IsNaN(v[i]) || math.IsInf(v[i], 0) {
					v[i] = 1
				} else {
					v[i] += add
				}
			}
		}
	}
	shift(it.s)
	shift(it.lam)
	if it.set.Barrier > 0 {
		for i := range m {
			it.lam[i] = math.Max(it.lam[i], it.set.Barrier/it.s[i])
		}
	}
	return nil
}

// residuals computes rd, re, ri and μ at the current iterate.
func (it *ipm) residuals() (pres, dres, mu, compl, scaleP, scaleD float64) {
	d := it.d
	d.mulQ(it.rd, it.x)
	dn := d.consts()
	scaleD = max(1, normInf(it.rd), dn.infP)
	for i, v := range d.p {
		it.rd[i] += v
	}
	if d.neq > 0 {
		d.mulAT(1, it.nu, 0, it.tmp)
		scaleD = max(scaleD, normInf(it.tmp))
		for i, v := range it.tmp {
			it.rd[i] += v
		}
	}
	if d.m > 0 {
		// G x (for ri below) and Gᵀλ in one sweep over G.
		clear(it.tmp)
		d.mulGAndGT(it.x, it.ri, it.lam, it.tmp)
		scaleD = max(scaleD, normInf(it.tmp))
		for i, v := range it.tmp {
			it.rd[i] += v
		}
	}
	scaleP = max(1, dn.infB, dn.infH)
	d.mulA(1, it.x, 0, it.re)
	scaleP = max(scaleP, normInf(it.re))
	for i, v := range d.b {
		it.re[i] -= v
	}
	scaleP = max(scaleP, normInf(it.ri))
	copy(it.gx, it.ri)
	for i, v := range d.h {
		it.ri[i] += it.s[i] - v
	}
	pres = max(normInf(it.re), normInf(it.ri))
	dres = normInf(it.rd)
	if m := len(it.s); m > 0 {
		mu = dot(it.s, it.lam) / float64(m)
		target := it.set.Barrier
		for i := range it.s {
			if c := math.Abs(it.s[i]*it.lam[i] - target); c > compl || c != c {
				compl = c
			}
		}
	}
	return
}

// accepted reports whether the current iterate, mapped back to the
// user's variables, passes the acceptance test on the user's data (in the
// dual mode and with row equilibration the iteration measures residuals
// in transformed coordinates).
func (it *ipm) accepted() bool {
	ok, _ := it.acceptedResiduals()
	return ok
}

// acceptedResiduals is accepted with the residuals of the verdict.
func (it *ipm) acceptedResiduals() (bool, Residuals) {
	x := it.accX
	copy(x, it.x)
	if it.k.l != nil {
		dense.SolveLowerT(it.k.l, it.d.n, it.d.n, x)
	}
	nu, lam, _ := it.userMultipliers()
	ev := evaluateWith(it.orig, x, nu, lam, it.acc.barrier, it.evScratch)
	m := it.acc.judge(it.orig, x, nu, lam, &ev)
	r := ev.r
	// A passing verdict is kept: the returned point is this one, whose
	// residuals, x and objective then need no second evaluation.
	it.passed = m <= 1
	it.passedRes = r
	it.passedX, it.passedObj = x, ev.obj
	return m <= 1, r
}

// slackStep sets ds to the slack step of a direction (dx, dλ). In the
// primal reduction it is −r_i − G dx (one product with G); in the dual
// reduction, whose directions satisfy the third block row
// G dx − W dλ = r₃ up to rounding, it is −r_i − r₃ − W dλ, the same
// vector without the product (r3 nil means the predictor's r₃ = −r_i + s).
func (it *ipm) slackStep(ds, dx, dl, r3 []float64) {
	if it.k.mode != modeDual {
		copy(ds, it.ri)
		for i := range ds {
			ds[i] = -ds[i]
		}
		it.d.mulG(-1, dx, 1, ds)
		return
	}
	for i := range ds {
		r := it.s[i] - it.ri[i]
		if r3 != nil {
			r = r3[i]
		}
		ds[i] = -it.ri[i] - r - it.k.w[i]*dl[i]
	}
}

// refine returns the number of refinement steps for the search
// directions: none in the dual mode, whose Cholesky factorization of a
// positive definite matrix is accurate enough for the interior point (the
// final accuracy comes from polishing), k otherwise.
func (it *ipm) refine(k int) int {
	if it.k.mode == modeDual {
		return 0
	}
	return k
}

// stepTo returns the largest α ≤ 1 with v + α dv ≥ 0 (v > 0). Each
// candidate v/(−dvᵢ) is computed for every i, +Inf where dvᵢ ≥ 0 (v > 0
// divided by +0), so that the loop has no unpredictable branch; the
// quotients are those of −vᵢ/dvᵢ bit for bit.
func stepTo(v, dv []float64) float64 {
	a := 1.0
	v = v[:len(dv)]
	for i, e := range dv {
		if t := v[i] / max(-e, 0); t < a {
			a = t
		}
	}
	return a
}

type snapshot struct {
	x, nu, lam, s []float64
	merit         float64
}

func (it *ipm) snapshot(dst *snapshot, merit float64) {
	dst.x = append(dst.x[:0], it.x...)
	dst.nu = append(dst.nu[:0], it.nu...)
	dst.lam = append(dst.lam[:0], it.lam...)
	dst.s = append(dst.s[:0], it.s...)
	dst.merit = merit
}

func (it *ipm) run(ctx context.Context) (*Solution, Status, int) {
	d, set := it.d, it.set
	n, neq, m := d.n, d.neq, d.m
	tol := set.Tol
	mub := set.Barrier
	// The best iterate's storage, preallocated (snapshot appends into it
	// without growing).
	best := snapshot{merit: math.Inf(1), x: it.bestX[:0], nu: it.bestNu[:0], lam: it.bestLam[:0], s: it.bestS[:0]}
	dataScale := max(1, it.orig.consts().infP, d.consts().infB, d.consts().infH)
	lastImprove := 0
	status := NotConverged
	polished := false
	iter := 0
	// Polishing costs one factorization in the dual mode but a dense LU
	// of the whole KKT matrix in the primal mode: try it early and often
	// only in the former.
	polishAt, maxPolish := 1e-4, set.maxIter()
	if it.k.mode == modePrimal {
		polishAt, maxPolish = 1e-7, 2
	}
	for ; ; iter++ {
		pres, dres, mu, compl, scaleP, scaleD := it.residuals()
		complTol := tol
		if mub > 0 {
			complTol = tol * max(mub, 1e-3)
		}
		merit := max(pres/scaleP, max(dres/scaleD, compl))
		if !(merit < math.Inf(1)) {
			break
		}
		if merit < 0.9*best.merit || len(best.x) == 0 {
			if merit < 0.9*best.merit {
				lastImprove = iter
			}
			it.snapshot(&best, merit)
		} else if merit < best.merit {
			it.snapshot(&best, merit)
		}
		if set.Logger != nil {
			set.Logger.Debug("qp", "iter", iter, "primal", pres, "dual", dres, "mu", mu)
		}
		if pres <= tol*scaleP && dres <= tol*scaleD && compl <= complTol && it.accepted() {
			status = Optimal
			break
		}
		// Close to the solution the active set is usually identified:
		// jump to the exact solution of the equality-constrained problem.
		if mub == 0 && m > 0 && merit < polishAt && it.tries < maxPolish && it.polish(true) {
			status = Optimal
			polished = true
			break
		}
		if iter >= set.maxIter() || iter-lastImprove > 20 {
			break
		}
		if big := 1e12 * dataScale; normInf(it.x) > big || normInf(it.lam) > big || normInf(it.nu) > big {
			break
		}
		if ctx.Err() != nil {
			status = Canceled
			break
		}
		for i := range m {
			it.w[i] = it.s[i] / it.lam[i]
		}
		if !it.k.factor(it.w) {
			break
		}
		// Right-hand side common to predictor and corrector.
		rhs := it.rhs
		for i := range n {
			rhs[i] = -it.rd[i]
		}
		for i := range neq {
			rhs[n+i] = -it.re[i]
		}
		centering := mub > 0 && mu <= 10*mub
		sigmaMu := 0.0
		// In the dual reduction (no refinement) the two solves share Z r₁.
		shared := it.k.sharesZ() && it.refine(3) == 0
		if shared {
			dense.MulVec(it.k.zt, 1, it.k.z, n, rhs[:n], 0)
		}
		if m > 0 && !centering {
			// Predictor (affine scaling): r_c = s∘λ.
			for i := range m {
				rhs[n+neq+i] = -it.ri[i] + it.s[i]
			}
			if shared {
				it.k.solveRegZ(it.aff, rhs, it.k.zt, false)
			} else {
				it.k.solve(it.aff, rhs, it.refine(2), 1e-11)
			}
			dlA := it.aff[n+neq:]
			it.slackStep(it.dsA, it.aff[:n], dlA, nil)
			a := min(stepTo(it.s, it.dsA), stepTo(it.lam, dlA))
			muAff := 0.0
			for i := range m {
				muAff += (it.s[i] + a*it.dsA[i]) * (it.lam[i] + a*dlA[i])
			}
			muAff /= float64(m)
			sigma := math.Pow(max(0, muAff)/mu, 3)
			sigmaMu = max(sigma*mu, mub)
			// Corrector: r_c = s∘λ + Δs_a∘Δλ_a − σμ.
			for i := range m {
				rc := it.s[i]*it.lam[i] + it.dsA[i]*dlA[i] - sigmaMu
				rhs[n+neq+i] = -it.ri[i] + rc/it.lam[i]
			}
		} else if m > 0 {
			for i := range m {
				rc := it.s[i]*it.lam[i] - mub
				rhs[n+neq+i] = -it.ri[i] + rc/it.lam[i]
			}
		}
		if shared {
			it.k.solveRegZ(it.dir, rhs, it.k.zt, true)
		} else {
			it.k.solve(it.dir, rhs, it.refine(3), 1e-12)
		}
		if !finite(it.dir) {
			break
		}
		dx, dnu, dl := it.dir[:n], it.dir[n:n+neq], it.dir[n+neq:]
		it.slackStep(it.ds, dx, dl, rhs[n+neq:])
		alpha := 1.0
		if m > 0 {
			amax := min(stepTo(it.s, it.ds), stepTo(it.lam, dl))
			frac := 0.995
			if centering {
				frac = 0.95
			}
			alpha = min(1, frac*amax)
		}
		for i := range n {
			it.x[i] += alpha * dx[i]
		}
		for i := range neq {
			it.nu[i] += alpha * dnu[i]
		}
		for i := range m {
			it.s[i] += alpha * it.ds[i]
			it.lam[i] += alpha * dl[i]
			// Guard against underflow to exactly zero.
			it.s[i] = max(it.s[i], 1e-300)
			it.lam[i] = max(it.lam[i], 1e-300)
		}
	}
	if mub == 0 && m > 0 && status != Canceled && !polished {
		if status != Optimal && len(best.x) > 0 {
			copy(it.x, best.x)
			copy(it.nu, best.nu)
			copy(it.lam, best.lam)
			copy(it.s, best.s)
		}
		if it.polish(false) {
			status = Optimal
		}
	}
	if status != Optimal && len(best.x) > 0 {
		copy(it.x, best.x)
		copy(it.nu, best.nu)
		copy(it.lam, best.lam)
		copy(it.s, best.s)
	}
	unu, ulam, us := it.userMultipliers()
	sl := slab(it.solBuf) // X, Nu, Lambda, Slack (zeros, from the ipm's allocation)
	sol := it.solVal
	if sol == nil {
		sol = new(Solution)
	}
	*sol = Solution{
		X: sl.take(n), Nu: sl.take(neq), Lambda: sl.take(m), Slack: sl.take(m),
		d: it.orig, kkt: it.k, barrier: mub, factAt: status == Optimal && it.factEnd,
	}
	copy(sol.Nu, unu)
	copy(sol.Lambda, ulam)
	copy(sol.Slack, us)
	if status == Optimal && it.passed {
		// The point the acceptance test evaluated: its x (L⁻ᵀa in the
		// dual mode), residuals and objective.
		copy(sol.X, it.passedX)
		sol.Residuals = it.passedRes
		sol.Objective = it.passedObj
	} else {
		copy(sol.X, it.x)
		if it.k.l != nil {
			dense.SolveLowerT(it.k.l, n, n, sol.X)
		}
		it.passed = false
		sol.Residuals = kktResiduals(it.orig, sol.X, sol.Nu, sol.Lambda, mub)
		sol.Objective = objective(it.orig, sol.X)
	}
	return sol, status, iter
}

// polish guesses the active set from the iterate (λᵢ > sᵢ), takes the
// Newton step to the solution of the KKT system with those constraints as
// equalities and the others dropped, and keeps the result if it is
// primal and dual feasible with smaller residuals (OSQP's "solution
// polishing" done with the interior point's own factorization). It
// removes the O(μ) bias of the interior point: derivatives become exact
// to rounding when the active set is right.
//
// fresh reports that residuals was called on the current iterate (the
// call in run's loop): its results are then reused, not recomputed.
func (it *ipm) polish(fresh bool) bool {
	d := it.d
	n, neq, m := d.n, d.neq, d.m
	// The two halves of activeBuf alternate between this attempt's active
	// set and the last one's.
	if it.activeBuf == nil {
		it.activeBuf = make([]bool, 2*m)
	}
	active := it.activeBuf[:m:m]
	if len(it.lastActive) > 0 && &it.lastActive[0] == &active[0] {
		active = it.activeBuf[m:]
	}
	same := len(it.lastActive) == m
	for i := range m {
		active[i] = it.lam[i] > it.s[i]
		if same && active[i] != it.lastActive[i] {
			same = false
		}
	}
	if same {
		return false // this active set already failed
	}
	it.lastActive = active
	it.tries++
	w := it.w
	for i := range m {
		if active[i] {
			w[i] = 0
		} else {
			w[i] = math.Inf(1)
		}
	}
	if it.k.mode == modeDual {
		if !it.k.factor(w) {
			return false
		}
	}
	if !fresh {
		it.residuals()
	}
	gx := it.gx // G x of the iterate
	if it.k.mode == modeDual {
		rhs := it.rhs
		for i := range n {
			rhs[i] = -it.rd[i]
		}
		for i := range neq {
			rhs[n+i] = -it.re[i]
		}
		for i := range m {
			if active[i] {
				rhs[n+neq+i] = d.h[i] - gx[i]
			} else {
				rhs[n+neq+i] = it.k.w[i] * it.lam[i]
			}
		}
		it.k.solve(it.dir, rhs, 5, 1e-15)
	} else if !it.polishPrimal(active, gx) {
		return false
	}
	if !finite(it.dir) {
		return false
	}
	// The candidate point in the ipm's buffer (a fresh one should the
	// iterate already live there, which a passing polish never leaves
	// for another attempt).
	sl := slab(it.cand)
	if &it.x[0] == &it.cand[0] {
		sl = newSlab(n + neq + 2*m)
	}
	x, nu, lam, s := sl.take(n), sl.take(neq), sl.take(m), sl.take(m)
	copy(x, it.x)
	copy(nu, it.nu)
	copy(lam, it.lam)
	for i := range n {
		x[i] += it.dir[i]
	}
	for i := range neq {
		nu[i] += it.dir[n+i]
	}
	d.mulG(-1, x, 0, s)
	for i := range m {
		s[i] += d.h[i]
		if active[i] {
			lam[i] += it.dir[n+neq+i]
			if lam[i] <= 0 {
				if debugLogger != nil {
					debugLogger.Debug("polish: negative multiplier", "i", i, "lam", lam[i])
				}
				return false
			}
			s[i] = math.Max(s[i], 1e-300)
		} else {
			lam[i] = 1e-300
			if s[i] <= 0 {
				if debugLogger != nil {
					debugLogger.Debug("polish: negative slack", "i", i, "s", s[i])
				}
				return false
			}
		}
	}
	saved := [4][]float64{it.x, it.nu, it.lam, it.s}
	it.x, it.nu, it.lam, it.s = x, nu, lam, s
	ok, after := it.acceptedResiduals()
	if debugLogger != nil {
		debugLogger.Debug("polish", "after", after)
	}
	if ok {
		// In the dual mode the factorization just used, with W = 0 on the
		// active and W = ∞ on the inactive rows (both clamped), is the KKT
		// matrix at the polished point: keep it for the backward pass.
		it.factEnd = it.k.mode == modeDual
		return true
	}
	it.x, it.nu, it.lam, it.s = saved[0], saved[1], saved[2], saved[3]
	return false
}

// polishPrimal computes the polishing step in the primal mode, where
// eliminating λ would divide by W = 0: it factorizes (dense LU) the KKT
// matrix of the problem restricted to the guessed active constraints S,
//
//	⎡Q   Aᵀ  G_Sᵀ⎤ ⎡Δx ⎤   ⎡−(r_d − G_Iᵀλ_I)⎤
//	⎢A   0   0   ⎥ ⎢Δν ⎥ = ⎢b − Ax          ⎥
//	⎣G_S 0   0   ⎦ ⎣Δλ_S⎦   ⎣h_S − G_S x     ⎦
//
// and writes the step into it.dir (Δλ_I = −λ_I).
func (it *ipm) polishPrimal(active []bool, gx []float64) bool {
	d := it.d
	n, neq, m := d.n, d.neq, d.m
	var rows []int
	for i := range m {
		if active[i] {
			rows = append(rows, i)
		}
	}
	if n+neq+len(rows) > 600 {
		return false // a dense LU would cost more than it saves
	}
	sub := &data{n: n, neq: neq, m: len(rows), q: d.q, qdiag: d.qdiag, p: d.p, a: d.a, b: d.b,
		g: make([]float64, len(rows)*n), h: make([]float64, len(rows))}
	for k, i := range rows {
		copy(sub.g[k*n:(k+1)*n], d.g[i*n:(i+1)*n])
		sub.h[k] = d.h[i]
	}
	tot := n + neq + len(rows)
	ks := &kkt{d: sub, mode: modePrimal, n: n, neq: neq, m: len(rows), k: neq + len(rows),
		w: make([]float64, len(rows)), sol: make([]float64, tot), res: make([]float64, tot),
		corr: make([]float64, tot), t: make([]float64, n), y: make([]float64, neq+len(rows))}
	if !ks.factorAugmented(ks.w) {
		return false
	}
	rhs := make([]float64, tot)
	// r_d without the inactive multipliers: Qx + p + Aᵀν + G_Sᵀλ_S.
	lamS := make([]float64, m)
	for _, i := range rows {
		lamS[i] = it.lam[i]
	}
	r1 := rhs[:n]
	d.mulQ(r1, it.x)
	for i, v := range d.p {
		r1[i] += v
	}
	d.mulAT(1, it.nu, 1, r1)
	d.mulGT(1, lamS, 1, r1)
	for i := range r1 {
		r1[i] = -r1[i]
	}
	for i := range neq {
		rhs[n+i] = -it.re[i]
	}
	for k, i := range rows {
		rhs[n+neq+k] = d.h[i] - gx[i]
	}
	step := make([]float64, tot)
	ks.solve(step, rhs, 5, 1e-15)
	copy(it.dir[:n+neq], step[:n+neq])
	for i := range m {
		it.dir[n+neq+i] = -it.lam[i]
	}
	for k, i := range rows {
		it.dir[n+neq+i] = step[n+neq+k]
	}
	return true
}

// userMultipliers returns ν, λ and s in the user's units: copies mapped
// through the row equilibration when there is one, the iterate's own
// slices otherwise.
func (it *ipm) userMultipliers() (nu, lam, s []float64) {
	e := it.k.rowScale
	if e == nil {
		return it.nu, it.lam, it.s
	}
	neq := len(it.nu)
	nu = make([]float64, neq)
	lam = make([]float64, len(it.lam))
	s = make([]float64, len(it.s))
	for i := range nu {
		nu[i] = e[i] * it.nu[i]
	}
	for i := range lam {
		lam[i] = e[neq+i] * it.lam[i]
		s[i] = it.s[i] / e[neq+i]
	}
	return nu, lam, s
}

func objective(d *data, x []float64) float64 {
	q := make([]float64, d.n)
	d.mulQ(q, x)
	return 0.5*dot(q, x) + dot(d.p, x)
}

// kktResiduals computes the residuals of (x, ν, λ) in plain double
// precision (see acceptance.judge for when they are recomputed in
// double-double arithmetic).
func kktResiduals(d *data, x, nu, lam []float64, mub float64) Residuals {
	return evaluate(d, x, nu, lam, mub).r
}
