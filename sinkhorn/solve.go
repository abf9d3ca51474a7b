package sinkhorn

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"

	"gonum.org/v1/gonum/mat"
)

// Mode selects how the iterations are computed.
type Mode int

const (
	// Auto uses Kernel when the cost matrix is stored (always for a
	// cost-matrix problem; for point clouds when n·m ≤ StoreLimit) and
	// LogDomain otherwise.
	Auto Mode = iota
	// LogDomain updates the potentials by log-sum-exp passes over the cost:
	// exact at any ε, one exponential per entry and pass.
	LogDomain
	// Kernel iterates on scalings with a stored kernel
	// K̃ = exp((f̂ ⊕ ĝ − C)/ε) and absorbs the scalings into (f̂, ĝ) when they
	// grow (Schmitzer 2019): matrix–vector products per pass, exponentials
	// only at absorptions, stable at any ε. Needs n·m stored values.
	Kernel
)

func (m Mode) String() string {
	switch m {
	case Auto:
		return "Auto"
	case LogDomain:
		return "LogDomain"
	case Kernel:
		return "Kernel"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Norm is the norm of the marginal error used to stop.
type Norm int

const (
	// L2 is the Euclidean norm (the default, as in POT).
	L2 Norm = iota
	// L1 is the sum of absolute values (total variation ×2).
	L1
	// LInf is the largest absolute value.
	LInf
)

// Start is a starting point of the iterations: dual potentials F (length
// n) and G (length m), either of which may be nil.
type Start struct {
	F, G []float64
}

// Settings controls a solve. A nil *Settings or the zero value means the
// defaults documented on each field: a zero field means its default, and
// a negative, NaN or infinite tolerance, threshold or count is an error
// matching ErrInvalid.
type Settings struct {
	// Mode is the iteration; default Auto.
	Mode Mode
	// Tol is the stopping tolerance on the marginal error (see Norm).
	// Default 1e-9.
	Tol float64
	// Norm is the norm of the marginal error; default L2.
	Norm Norm
	// CheckEvery is the number of iterations between error checks (each
	// check is cheap: the column pass it needs is reused by the next
	// iteration). Default 1.
	CheckEvery int
	// MaxIter caps the total number of iterations over all ε stages.
	// Default 10000.
	MaxIter int

	// EpsilonScaling, if in (0, 1), solves a sequence of problems with
	// ε_k = max(ε, ε₀·q^k), q = EpsilonScaling, each warm-started from the
	// previous one (ε-scaling). 0 disables it.
	EpsilonScaling float64
	// EpsilonStart is ε₀ in absolute units; default the mean cost.
	EpsilonStart float64
	// StageTol is the marginal error at which an intermediate ε stage
	// stops; default 1e-4 times the mass.
	StageTol float64

	// Momentum is a fixed over-relaxation ω in (0, 2): each potential is
	// updated to (1−ω)·old + ω·new (Thibault et al. 2017). 0 or 1 means
	// none. Over-relaxation converges only near the solution: if the error
	// grows 100-fold above the best one of the ε stage, ω falls back to 1.
	Momentum float64
	// AdaptiveMomentum estimates the convergence rate ρ of plain Sinkhorn
	// from the error decay of the first AdaptiveStart iterations of each ε
	// stage, then sets ω = 2/(1+√(1−ρ)) (Lehmann et al. 2021). Overrides
	// Momentum.
	AdaptiveMomentum bool
	// AdaptiveStart is the number of plain iterations used by
	// AdaptiveMomentum; default 20.
	AdaptiveStart int
	// Anderson, if positive, is the memory of Anderson acceleration of the
	// map f ↦ row(col(f)). It cannot be combined with momentum.
	Anderson int
	// Newton switches to Sinkhorn–Newton steps once the
	// marginal error is below NewtonStart: each step solves the Newton
	// system of the dual by conjugate gradients on its Schur complement
	// (one plan product and one transposed product per CG iteration, the
	// cost of a Sinkhorn iteration) and is followed by a Sinkhorn
	// iteration (Brauer et al. 2017). Quadratic local convergence where
	// Sinkhorn is slow (small ε).
	Newton bool
	// NewtonStart is the error below which Newton steps start; default
	// 1e-3 times the mass.
	NewtonStart float64
	// NewtonCGTol is the relative residual of each Newton step's CG;
	// default 1e-3.
	NewtonCGTol float64

	// WarmStart, if non-nil, holds dual potentials to start from (for
	// instance the F and G of a previous, nearby problem); a nil F or G
	// is zero.
	WarmStart *Start

	// AbsorbThreshold (Kernel mode) is the largest |f − f̂|/ε and |g − ĝ|/ε
	// tolerated before the scalings are absorbed into the kernel; default
	// 50.
	AbsorbThreshold float64
	// Workers is the number of goroutines of one solve's passes; 0 means
	// min(2, GOMAXPROCS) when n and m are at least 1000 and 1 otherwise.
	// Results do not depend on it. In the Kernel mode, when GOMAXPROCS ≥
	// Workers, the helpers are kept for the whole solve and poll for up to
	// 200 µs between passes (a sweep takes 0.1–0.2 ms at n = 1000), and a
	// solve runs its passes alone for a while whenever the helpers did not
	// make a pass faster (another process holding a core).
	Workers int
	// StoreLimit is the largest n·m for which the cost of a point-cloud
	// problem is computed once and stored; default 1<<23 (64 MiB per copy).
	StoreLimit int
	// Logger, if non-nil, receives a record per ε stage.
	Logger *slog.Logger
}

func (s *Settings) orDefault() Settings {
	var o Settings
	if s != nil {
		o = *s
	}
	if o.Tol <= 0 {
		o.Tol = 1e-9
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = 1
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 10000
	}
	if o.AdaptiveStart <= 0 {
		o.AdaptiveStart = 20
	}
	if o.AbsorbThreshold <= 0 {
		o.AbsorbThreshold = 50
	}
	if o.StoreLimit <= 0 {
		o.StoreLimit = 1 << 23
	}
	return o
}

// check rejects settings that no default replaces: negative, NaN or
// infinite tolerances and thresholds, negative counts (zero means the
// default everywhere). A nil s is valid.
func (s *Settings) check() error {
	if s == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"Tol", s.Tol}, {"StageTol", s.StageTol}, {"NewtonStart", s.NewtonStart}, {"NewtonCGTol", s.NewtonCGTol}, {"AbsorbThreshold", s.AbsorbThreshold}} {
		if !(f.v >= 0) || math.IsInf(f.v, 1) {
			return fmt.Errorf("%w: %s = %v must be a finite number ≥ 0 (0: default)", ErrInvalid, f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxIter", s.MaxIter}, {"CheckEvery", s.CheckEvery}, {"AdaptiveStart", s.AdaptiveStart}, {"StoreLimit", s.StoreLimit}, {"Workers", s.Workers}} {
		if f.v < 0 {
			return fmt.Errorf("%w: %s = %d must be ≥ 0 (0: default)", ErrInvalid, f.name, f.v)
		}
	}
	return s.validate()
}

func (s *Settings) validate() error {
	if s.Momentum != 0 && !(s.Momentum > 0 && s.Momentum < 2) {
		return fmt.Errorf("%w: Momentum %v outside (0, 2)", ErrInvalid, s.Momentum)
	}
	if s.EpsilonScaling != 0 && !(s.EpsilonScaling > 0 && s.EpsilonScaling < 1) {
		return fmt.Errorf("%w: EpsilonScaling %v outside (0, 1)", ErrInvalid, s.EpsilonScaling)
	}
	if s.Anderson < 0 || (s.Anderson > 0 && (s.AdaptiveMomentum || (s.Momentum != 0 && s.Momentum != 1))) {
		return fmt.Errorf("%w: Anderson %d cannot be combined with momentum", ErrInvalid, s.Anderson)
	}
	if s.Mode < Auto || s.Mode > Kernel || s.Norm < L2 || s.Norm > LInf {
		return fmt.Errorf("%w: Mode %v, Norm %d", ErrInvalid, s.Mode, s.Norm)
	}
	if math.IsNaN(s.EpsilonStart) || s.EpsilonStart < 0 || math.IsInf(s.EpsilonStart, 0) {
		return fmt.Errorf("%w: EpsilonStart %v", ErrInvalid, s.EpsilonStart)
	}
	return nil
}

// Result is the solution of a problem: dual potentials and what derives
// from them. The plan is P_ij = a_i b_j exp((f_i + g_j − C_ij)/ε); it is
// never stored, use [Result.Plan], [Result.PlanRow] or [Result.ApplyPlan].
//
// The methods with an error return (VJP, PlanVJP) report a nil or zero
// Result and bad cotangents as errors. Those without one (Dims, Plan,
// PlanRow, ApplyPlan, ApplyPlanT, Marginals, TransportCost, CostGrad,
// Potentials, Condition) need a Result returned by this package and
// buffers of the documented lengths: like an out-of-range slice index,
// they panic otherwise. A Result is read-only and safe for concurrent use.
type Result struct {
	// F (length n) and G (length m) are the dual potentials. For a
	// balanced problem they are defined up to f + c, g − c; they are
	// returned with mean(F) = mean(G).
	F, G []float64
	// Cost is the regularized OT cost, the value of the dual objective
	//
	//	⟨a, φ_a(f)⟩ + ⟨b, φ_b(g)⟩ − ε(⟨P, 1⟩ − ⟨a,1⟩⟨b,1⟩),
	//
	// φ(f) = f for a hard constraint, τ(1 − e^{−f/τ}) for a KL penalty;
	// it equals the primal value at the optimum.
	Cost float64
	// Epsilon is the absolute ε of the problem.
	Epsilon float64
	// Iterations is the total number of iterations (all ε stages).
	Iterations int
	// Converged reports that the marginal error fell below Tol.
	Converged bool
	// Error is the last marginal error; Errors holds the error at every
	// check (all stages).
	Error  float64
	Errors []float64
	// Mode is the iteration used (never Auto).
	Mode Mode
	// Absorptions counts kernel recomputations (Kernel mode).
	Absorptions int

	p       *prepared
	workers int
}

// state is the work memory of a solve.
type state struct {
	reverseSweep   bool // the next fused kernel pass visits the chunks backwards
	p              *prepared
	s              Settings
	pool           pool
	eps            float64
	kappaA         float64
	kappaB         float64
	f, g           []float64
	hf, hg         []float64
	scratch        [][]float64
	tmpN, tmpM     []float64
	tmpM2          []float64
	kernel         bool
	kern           []float64
	fh, gh         []float64
	kernEps        float64
	partials       []float64
	fnew           []float64 // kernelFusedPass's row update
	absorptions    int
	newtonFailures int
	momentumResets int
	errors         []float64
}

func defaultWorkers(n, m, w int) int {
	if w > 0 {
		return w
	}
	if n >= 1000 && m >= 1000 {
		return min(2, runtime.GOMAXPROCS(0))
	}
	return 1
}

// Solve solves pb. On ErrNotConverged the result holds the last iterate
// and is usable. When ctx is cancelled, Solve stops within one iteration
// and returns the current iterate with ctx.Err() (a Newton step finishes
// its conjugate gradients first, at most 500 products). pb and s are not
// modified; the result keeps its own copy of the cost.
func Solve(ctx context.Context, pb *Problem, s *Settings) (res *Result, err error) {
	defer recoverPanic(&err, func() { res = nil })
	if err := s.check(); err != nil {
		return nil, err
	}
	set := s.orDefault()
	if err := set.validate(); err != nil {
		return nil, err
	}
	p, err := prepareWorkers(pb, set.StoreLimit, set.Workers)
	if err != nil {
		return nil, err
	}
	return solvePrepared(ctx, p, set)
}

// recoverPanic turns a panic of the calling function (in practice one of
// a user's PointCost, raised again on the caller's goroutine by the
// parallel passes) into an error matching ErrInvalid; reset clears the
// function's other results.
func recoverPanic(err *error, reset func()) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: panic during the computation (in a PointCost?): %v", ErrInvalid, v)
		if reset != nil {
			reset()
		}
	}
}

func solvePrepared(ctx context.Context, p *prepared, set Settings) (*Result, error) {
	n, m := p.n, p.m
	var initF, initG []float64
	if set.WarmStart != nil {
		initF, initG = set.WarmStart.F, set.WarmStart.G
	}
	if initF != nil && len(initF) != n || initG != nil && len(initG) != m {
		return nil, fmt.Errorf("%w: WarmStart F/G have lengths %d, %d, want %d, %d", ErrDims, len(initF), len(initG), n, m)
	}
	for _, v := range append(append([]float64(nil), initF...), initG...) {
		if !finite(v) {
			return nil, fmt.Errorf("%w: in WarmStart", ErrNaN)
		}
	}
	st := &state{p: p, s: set}
	defer st.releaseKernel()
	st.pool = pool{workers: defaultWorkers(n, m, set.Workers)}
	mode := set.Mode
	if mode == Auto {
		mode = LogDomain
		if p.geom.c != nil {
			mode = Kernel
		}
	}
	if mode == Kernel && p.geom.c == nil {
		return nil, fmt.Errorf("%w: Kernel mode needs the stored cost (raise StoreLimit)", ErrInvalid)
	}
	st.kernel = mode == Kernel
	if st.kernel {
		// The kernel mode's passes are short (a sweep of a 1000×1000
		// kernel takes 0.1–0.2 ms): hand them to helpers kept for the
		// solve. The log domain's take milliseconds each, a goroutine
		// started per pass costs nothing there.
		defer st.pool.startTeam()()
	}
	width := max(n, m)
	st.scratch = make([][]float64, st.pool.workers)
	for w := range st.scratch {
		st.scratch[w] = make([]float64, (blockRows+1)*width)
	}
	st.f, st.g = make([]float64, n), make([]float64, m)
	st.hf, st.hg = make([]float64, n), make([]float64, m)
	st.tmpN, st.tmpM, st.tmpM2 = make([]float64, n), make([]float64, m), make([]float64, m)
	if st.kernel {
		st.fh, st.gh = make([]float64, n), make([]float64, m)
	}

	// ε schedule.
	eps := p.eps
	var stages []float64
	if q := set.EpsilonScaling; q > 0 {
		e0 := set.EpsilonStart
		if e0 == 0 {
			e0 = p.mean()
		}
		for e := e0; e > eps; e *= q {
			stages = append(stages, e)
		}
	}
	stages = append(stages, eps)

	haveInit := false
	if initF != nil {
		copy(st.f, initF)
		haveInit = true
	}
	if initG != nil {
		copy(st.g, initG)
		if initF == nil {
			st.setEps(stages[0])
			st.logPass(st.hf, st.g, p.logb, st.tmpM2, true)
			for i, v := range st.hf {
				st.f[i] = st.kappaA * v
			}
		}
		haveInit = true
	}
	res := &Result{Epsilon: eps, Mode: mode, p: p, workers: st.pool.workers}
	stageTol := set.StageTol
	if stageTol <= 0 {
		stageTol = 1e-4 * math.Sqrt(p.massA*p.massB)
	}
	stageTol = max(stageTol, set.Tol)
	var runErr error
	iters := 0
	for k, e := range stages {
		final := k == len(stages)-1
		st.setEps(e)
		tol := set.Tol
		if !final {
			tol = stageTol
		}
		it, conv, err := st.run(ctx, tol, set.MaxIter-iters, !haveInit && k == 0)
		iters += it
		if set.Logger != nil {
			set.Logger.Debug("sinkhorn stage", "eps", e, "iterations", it, "error", st.lastErr(), "converged", conv)
		}
		if err != nil {
			runErr = err
			break
		}
		if final {
			res.Converged = conv
		}
	}
	res.Iterations = iters
	res.Errors = st.errors
	res.Error = st.lastErr()
	res.Absorptions = st.absorptions
	if runErr != nil {
		if !finiteSlice(st.f) || !finiteSlice(st.g) {
			return nil, runErr
		}
	}
	st.finish(res)
	if runErr != nil {
		return res, runErr
	}
	if !finiteSlice(res.F) || !finiteSlice(res.G) || !finite(res.Cost) {
		return nil, fmt.Errorf("%w: non-finite potentials", ErrNumerical)
	}
	if !res.Converged {
		return res, fmt.Errorf("%w: marginal error %.3g > %.3g after %d iterations", ErrNotConverged, res.Error, set.Tol, iters)
	}
	return res, nil
}

func finiteSlice(x []float64) bool {
	for _, v := range x {
		if !finite(v) {
			return false
		}
	}
	return true
}

func (st *state) lastErr() float64 {
	if len(st.errors) == 0 {
		return math.Inf(1)
	}
	return st.errors[len(st.errors)-1]
}

func (st *state) setEps(e float64) {
	st.eps = e
	st.kappaA, st.kappaB = 1, 1
	if !math.IsInf(st.p.tauA, 1) {
		st.kappaA = st.p.tauA / (st.p.tauA + e)
	}
	if !math.IsInf(st.p.tauB, 1) {
		st.kappaB = st.p.tauB / (st.p.tauB + e)
	}
}

// rowPass sets dst to the balanced-form row update from g.
func (st *state) rowPass(dst, g []float64) {
	if st.kernel {
		if st.kernEps != st.eps || st.drift(st.f, st.fh) || st.drift(g, st.gh) {
			st.absorb(st.f, g)
		}
		if st.kernelRowPass(dst, g) {
			return
		}
	}
	st.logPass(dst, g, st.p.logb, st.tmpM2, true)
}

// colPass sets dst to the balanced-form column update from f.
func (st *state) colPass(dst, f []float64) {
	if st.kernel {
		if st.kernEps != st.eps || st.drift(f, st.fh) || st.drift(st.g, st.gh) {
			st.absorb(f, st.g)
		}
		if st.kernelColPass(dst, f) {
			return
		}
	}
	st.logPass(dst, f, st.p.loga, st.tmpN, false)
}

func (st *state) drift(x, xh []float64) bool {
	lim := st.s.AbsorbThreshold * st.eps
	for i, v := range x {
		if math.Abs(v-xh[i]) > lim {
			return true
		}
	}
	return false
}

// residual returns the norm of the column optimality residual
// b_j (e^{(g_j − h_j)/ε} − e^{−g_j/τ_b}) (the column marginal error when
// balanced), with h = col(f).
func (st *state) residual(g, h []float64) float64 {
	invEps := 1 / st.eps
	tau := st.p.tauB
	var acc float64
	for j, bj := range st.p.b {
		if bj == 0 {
			continue
		}
		target := 1.0
		if !math.IsInf(tau, 1) {
			target = math.Exp(-g[j] / tau)
		}
		r := math.Abs(bj * (math.Exp((g[j]-h[j])*invEps) - target))
		switch st.s.Norm {
		case L1:
			acc += r
		case LInf:
			acc = max(acc, r)
		default:
			acc += r * r
		}
	}
	if st.s.Norm == L2 {
		acc = math.Sqrt(acc)
	}
	if math.IsNaN(acc) {
		return math.Inf(1)
	}
	return acc
}

// run iterates at the current ε until the error is below tol or maxIter
// iterations. fresh means that f holds no information (start from f = 0
// and take the first updates without relaxation).
func (st *state) run(ctx context.Context, tol float64, maxIter int, fresh bool) (int, bool, error) {
	s := &st.s
	omega := 1.0
	if s.Momentum != 0 && !s.AdaptiveMomentum {
		omega = s.Momentum
	}
	var aa *anderson
	if s.Anderson > 0 {
		aa = newAnderson(s.Anderson)
	}
	st.colPass(st.hg, st.f)
	startErrIdx := len(st.errors)
	best := math.Inf(1)
	it := 0
	for it < maxIter {
		if err := ctx.Err(); err != nil {
			return it, false, err
		}
		it++
		w := omega
		if fresh && it == 1 {
			w = 1
		}
		for j, h := range st.hg {
			st.g[j] = (1-w)*st.g[j] + w*st.kappaB*h
		}
		switch {
		case aa == nil && st.kernel && fuseKernelPasses && st.kernelFusedPass(w):
			// Row update, relaxation and column update in one sweep
			// over the kernel.
		case aa != nil:
			st.rowPass(st.hf, st.g)
			for i, h := range st.hf {
				st.tmpN[i] = st.kappaA * h
			}
			aa.step(st.f, st.tmpN)
			st.colPass(st.hg, st.f)
		default:
			st.rowPass(st.hf, st.g)
			for i, h := range st.hf {
				st.f[i] = (1-w)*st.f[i] + w*st.kappaA*h
			}
			st.colPass(st.hg, st.f)
		}
		if it%s.CheckEvery != 0 && it != maxIter {
			continue
		}
		e := st.residual(st.g, st.hg)
		st.errors = append(st.errors, e)
		if math.IsInf(e, 1) && !finiteSlice(st.f) {
			return it, false, fmt.Errorf("%w: NaN in the potentials at iteration %d", ErrNumerical, it)
		}
		if e <= tol {
			if w == 1 && aa == nil {
				return it, true, nil
			}
			// Relaxed or extrapolated f: make the rows exact and check
			// again.
			st.rowPass(st.hf, st.g)
			for i, h := range st.hf {
				st.f[i] = st.kappaA * h
			}
			st.colPass(st.hg, st.f)
			e = st.residual(st.g, st.hg)
			st.errors[len(st.errors)-1] = e
			if e <= tol {
				return it, true, nil
			}
		}
		// Safeguard: over-relaxation is only locally convergent; if the
		// error grew far above the best one seen, fall back to ω = 1.
		best = min(best, e)
		if omega != 1 && e > 100*best {
			omega = 1
			st.momentumResets++
		}
		if s.Newton && st.newtonFailures < 3 && e < st.newtonStart() {
			it += st.newtonStep()
			continue
		}
		if s.AdaptiveMomentum && omega == 1 && st.momentumResets == 0 && it >= s.AdaptiveStart {
			omega = adaptiveOmega(st.errors[startErrIdx:], s.CheckEvery)
		}
		if aa != nil && len(st.errors) >= 2 && e > 2*st.errors[len(st.errors)-2] {
			aa.reset()
		}
	}
	return it, false, nil
}

// adaptiveOmega estimates the per-iteration contraction ρ of plain
// Sinkhorn from the last errors and returns 2/(1+√(1−ρ)), clamped to
// [1, 1.95].
func adaptiveOmega(errs []float64, every int) float64 {
	k := len(errs)
	if k < 4 {
		return 1
	}
	span := min(k-1, 5)
	a, b := errs[k-1-span], errs[k-1]
	if !(a > 0) || !(b > 0) || b >= a {
		return 1
	}
	rho := math.Pow(b/a, 1/float64(span*every))
	w := 2 / (1 + math.Sqrt(1-rho))
	return min(max(w, 1), 1.95)
}

// finish fixes the gauge, computes the cost and fills res.
func (st *state) finish(res *Result) {
	p := st.p
	f, g := st.f, st.g
	if p.balanced {
		var mf, mg float64
		for _, v := range f {
			mf += v
		}
		for _, v := range g {
			mg += v
		}
		c := (mg/float64(p.m) - mf/float64(p.n)) / 2
		for i := range f {
			f[i] += c
		}
		for j := range g {
			g[j] -= c
		}
	}
	res.F, res.G = f, g
	st.setEps(p.eps)
	// Plan mass from a column pass: Σ_j (Pᵀ1)_j = Σ_j b_j e^{(g_j − h_j)/ε}.
	h := make([]float64, p.m)
	st.colPass(h, f)
	invEps := 1 / p.eps
	var mass float64
	for j, bj := range p.b {
		if bj > 0 {
			mass += bj * math.Exp((g[j]-h[j])*invEps)
		}
	}
	res.Cost = dualValue(p, f, g, mass)
}

func dualValue(p *prepared, f, g []float64, mass float64) float64 {
	var v float64
	for i, ai := range p.a {
		v += ai * phi(f[i], p.tauA)
	}
	for j, bj := range p.b {
		v += bj * phi(g[j], p.tauB)
	}
	return v - p.eps*(mass-p.massA*p.massB)
}

// phi is the conjugate term of a marginal penalty: f for a hard
// constraint, τ(1 − e^{−f/τ}) for KL with weight τ.
func phi(f, tau float64) float64 {
	if math.IsInf(tau, 1) {
		return f
	}
	return -tau * math.Expm1(-f/tau)
}

// anderson is type-II Anderson acceleration with memory k of a fixed-point
// map x ↦ T(x) (Walker & Ni 2011), with a small ridge on the least-squares
// system and a reset on failure.
type anderson struct {
	k      int
	xs, ts [][]float64 // last iterates and their images
}

func newAnderson(k int) *anderson {
	return &anderson{k: k}
}

func (a *anderson) reset() { a.xs, a.ts = a.xs[:0], a.ts[:0] }

// step records (x, T(x)) = (x, tx) and overwrites x with the next iterate.
func (a *anderson) step(x, tx []float64) {
	a.xs = append(a.xs, append([]float64(nil), x...))
	a.ts = append(a.ts, append([]float64(nil), tx...))
	if len(a.xs) > a.k+1 {
		a.xs, a.ts = a.xs[1:], a.ts[1:]
	}
	h := len(a.xs)
	if h < 2 {
		copy(x, tx)
		return
	}
	// Residuals r_i = T(x_i) − x_i; minimize ‖Σ α_i r_i‖ subject to
	// Σ α_i = 1 through differences: α = e_last − Δγ.
	n := len(x)
	r := func(i, k int) float64 { return a.ts[i][k] - a.xs[i][k] }
	m := h - 1
	dr := mat.NewDense(n, m, nil)
	for c := range m {
		for k := range n {
			dr.Set(k, c, r(c+1, k)-r(c, k))
		}
	}
	var gram mat.Dense
	gram.Mul(dr.T(), dr)
	var scale float64
	for c := range m {
		scale = max(scale, gram.At(c, c))
	}
	if !(scale > 0) {
		copy(x, tx)
		return
	}
	for c := range m {
		gram.Set(c, c, gram.At(c, c)+1e-10*scale)
	}
	rl := make([]float64, n)
	for k := range n {
		rl[k] = r(h-1, k)
	}
	rhs := mat.NewVecDense(m, nil)
	rhs.MulVec(dr.T(), mat.NewVecDense(n, rl))
	var gamma mat.VecDense
	if err := gamma.SolveVec(&gram, rhs); err != nil || !finiteSlice(gamma.RawVector().Data) {
		a.reset()
		copy(x, tx)
		return
	}
	for k := range n {
		v := a.ts[h-1][k]
		for c := range m {
			// ΔT = ΔX + ΔR.
			v -= gamma.AtVec(c) * (a.ts[c+1][k] - a.ts[c][k])
		}
		x[k] = v
	}
}

// solveSymmetric solves a problem whose two sides are the same measure
// (C symmetric, a = b, τ_a = τ_b) with the averaged update
// f ← ½(f + κ·row(f)) of Feydy et al. (2019), which avoids the slow,
// oscillating convergence of alternate updates on such problems. The
// result has F = G.
func solveSymmetric(ctx context.Context, p *prepared, set Settings) (*Result, error) {
	n := p.n
	st := &state{p: p, s: set}
	defer st.releaseKernel()
	st.pool = pool{workers: defaultWorkers(n, n, set.Workers)}
	st.scratch = make([][]float64, st.pool.workers)
	for w := range st.scratch {
		st.scratch[w] = make([]float64, (blockRows+1)*n)
	}
	st.setEps(p.eps)
	f, h, tmp := make([]float64, n), make([]float64, n), make([]float64, n)
	st.tmpN = make([]float64, n)
	res := &Result{Epsilon: p.eps, Mode: LogDomain, p: p, workers: st.pool.workers}
	st.logPass(h, f, p.loga, tmp, true)
	for i := range f {
		f[i] = st.kappaA * h[i]
	}
	it := 0
	for it < set.MaxIter {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it++
		st.logPass(h, f, p.loga, tmp, true)
		for i := range f {
			f[i] = 0.5 * (f[i] + st.kappaA*h[i])
		}
		if it%set.CheckEvery != 0 && it != set.MaxIter {
			continue
		}
		st.logPass(h, f, p.loga, tmp, true)
		e := st.residual(f, h)
		st.errors = append(st.errors, e)
		if e <= set.Tol {
			res.Converged = true
			break
		}
	}
	st.f, st.g = f, append([]float64(nil), f...)
	res.Iterations, res.Errors, res.Error = it, st.errors, st.lastErr()
	st.finish(res)
	if !finiteSlice(res.F) || !finite(res.Cost) {
		return nil, fmt.Errorf("%w: non-finite potentials", ErrNumerical)
	}
	if !res.Converged {
		return res, fmt.Errorf("%w: symmetric problem, marginal error %.3g > %.3g after %d iterations", ErrNotConverged, res.Error, set.Tol, it)
	}
	return res, nil
}
