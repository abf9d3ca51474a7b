package smooth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/optlayers/optlayers/implicit"
)

// Method selects the algorithm used by [Minimize].
type Method int

const (
	// LBFGS is limited-memory BFGS with a strong-Wolfe line search (the
	// default).
	LBFGS Method = iota
	// BFGS keeps a dense N×N inverse-Hessian approximation; O(N²) memory
	// and work per iteration, fewer iterations than LBFGS on small N.
	BFGS
	// NewtonCG is the truncated Newton method: each step solves
	// ∇²f d = −∇f by conjugate gradients on Hessian-vector products (from
	// Problem.HessVec, Problem.Hessian or finite differences of Grad),
	// stopping early on negative curvature, then line-searches along d.
	NewtonCG
	// GradientDescent is steepest descent with a strong-Wolfe line search.
	GradientDescent
	// NonlinearCG is nonlinear conjugate gradients (Polak–Ribière+,
	// restarted on loss of descent): O(N) memory like gradient descent,
	// much faster on ill-conditioned problems.
	NonlinearCG
	// GonumLBFGS runs gonum's optimize.LBFGS (with its default bisection
	// line search) through optimize.Minimize instead of this package's
	// L-BFGS: an independent implementation, useful as a cross-check.
	// See [Minimize] for how its statuses map to this package's results.
	GonumLBFGS
	// GonumBFGS runs gonum's optimize.BFGS the same way.
	GonumBFGS
)

var methodNames = [...]string{"LBFGS", "BFGS", "NewtonCG", "GradientDescent", "NonlinearCG", "GonumLBFGS", "GonumBFGS"}

func (m Method) String() string {
	if m >= 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Settings controls [Minimize]. A nil *Settings or the zero value means the
// defaults documented on each field; values outside the documented ranges
// (an unknown Method, a negative, NaN or infinite Tol, a negative
// MaxIter or Memory) give ErrInvalid.
type Settings struct {
	// Method is the optimization method. Default LBFGS.
	Method Method
	// Tol stops the run when ‖∇ₓf‖∞ ≤ Tol. Default 1e-8.
	Tol float64
	// MaxIter caps the number of major iterations. Default 1000.
	MaxIter int
	// Memory is the number of L-BFGS correction pairs (LBFGS, and the
	// Store of GonumLBFGS). Default 10.
	Memory int
	// Logger, if non-nil, receives one debug record per major iteration
	// and an info record at the end.
	Logger *slog.Logger
}

// check rejects settings outside their documented ranges (zero means the
// default).
func (s *Settings) check() error {
	if s == nil {
		return nil
	}
	if s.Method < 0 || int(s.Method) >= len(methodNames) {
		return fmt.Errorf("%w: unknown method %v", ErrInvalid, s.Method)
	}
	if math.IsNaN(s.Tol) || s.Tol < 0 || math.IsInf(s.Tol, 0) {
		return fmt.Errorf("%w: Tol = %v (want a finite value ≥ 0; 0 means the default)", ErrInvalid, s.Tol)
	}
	if s.MaxIter < 0 {
		return fmt.Errorf("%w: MaxIter = %d (want ≥ 0; 0 means the default)", ErrInvalid, s.MaxIter)
	}
	if s.Memory < 0 {
		return fmt.Errorf("%w: Memory = %d (want ≥ 0; 0 means the default)", ErrInvalid, s.Memory)
	}
	return nil
}

func (s *Settings) orDefault() Settings {
	var out Settings
	if s != nil {
		out = *s
	}
	if out.Tol <= 0 {
		out.Tol = 1e-8
	}
	if out.MaxIter <= 0 {
		out.MaxIter = 1000
	}
	if out.Memory <= 0 {
		out.Memory = 10
	}
	return out
}

// Result is the outcome of [Minimize].
type Result struct {
	// X is the best point found and F = f(X, θ).
	X []float64
	F float64
	// Grad is ∇ₓf(X, θ) and GradNorm its ∞-norm.
	Grad     []float64
	GradNorm float64
	// Iterations counts major iterations; FuncEvals and GradEvals count
	// evaluations of Func and Grad; HessVecs counts Hessian-vector
	// products (NewtonCG).
	Iterations, FuncEvals, GradEvals, HessVecs int
	// Converged reports ‖∇ₓf(X)‖∞ ≤ Tol.
	Converged bool

	// The problem and θ of the run, for the derivatives (contract.go).
	pb    *Problem
	theta []float64
	sol   *implicit.Solution
}

// Minimize minimizes x ↦ f(x, θ) from x0.
//
// It returns when ‖∇ₓf‖∞ ≤ Tol. Otherwise it returns the best iterate
// with an error wrapping ErrNotConverged (and ctx.Err() when ctx was
// cancelled: the context is checked at every iteration and every
// line-search trial, so a cancelled run stops within one iteration). Bad
// inputs (shape mismatch, NaN in x0 or θ, an objective that is not finite
// at x0) return an error and a nil result. θ and x0 are not modified.
//
// All methods use a line search satisfying the strong Wolfe conditions
// (sufficient decrease c₁ = 1e-4, curvature c₂ = 0.9), by bracketing and
// cubic interpolation (Nocedal & Wright, Numerical Optimization, 2006,
// Algorithms 3.5–3.6). A step that fails to reduce f ends the run with
// ErrNotConverged: this happens when Tol is below what floating point
// allows for the problem.
//
// GonumLBFGS and GonumBFGS hand the run to gonum's optimize.Minimize
// (optimize.LBFGS or optimize.BFGS, gonum's default bisection line
// search, one evaluation at a time) with GradientThreshold = Tol,
// MaxIter major iterations and no function-value convergence test. Gonum
// measures the gradient in the same ∞-norm (strictly: ‖∇f‖∞ < Tol),
// and Converged keeps its meaning ‖∇ₓf(X)‖∞ ≤ Tol. The context is
// checked after every evaluation. When gonum stops for any other reason
// (its line search fails or makes no progress, typically when Tol is
// below the rounding floor of the problem; a non-finite gradient at an
// accepted point) the result is the last finite iterate with an error
// wrapping ErrNotConverged and gonum's error (or ErrNaN); it is not
// polished by this package's methods.
//
// A panic in one of the problem's functions (with either backend: gonum
// calls Func and Grad from a goroutine of its own, where this package
// recovers it) ends the run with a nil result and an error wrapping
// ErrCallback.
func Minimize(ctx context.Context, pb *Problem, theta, x0 []float64, s *Settings) (res *Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, callbackPanic("Minimize", v)
		}
	}()
	if err := pb.check(x0, theta); err != nil {
		return nil, err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	set := s.orDefault()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotConverged, err)
	}
	n := pb.N
	m := &minimizer{pb: pb, theta: append([]float64(nil), theta...), set: set, ctx: ctx}
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	f := m.eval(x, g)
	if math.IsNaN(f) || math.IsInf(f, 0) || !finite(g) {
		return nil, fmt.Errorf("%w: f(x0) = %v or its gradient is not finite", ErrNaN, f)
	}
	res = &Result{}
	if maxAbs(g) > set.Tol {
		if set.Method == GonumLBFGS || set.Method == GonumBFGS {
			x, f, g, err = m.runGonum(x, f, g, res)
			if errors.Is(err, ErrCallback) {
				return nil, err
			}
		} else {
			x, f, g, err = m.run(x, f, g, res)
		}
	}
	res.X, res.F, res.Grad = x, f, g
	res.GradNorm = maxAbs(g)
	res.FuncEvals, res.GradEvals, res.HessVecs = m.nf, m.ng, m.nhv
	res.Converged = res.GradNorm <= set.Tol
	res.pb, res.theta = pb, m.theta
	if set.Logger != nil {
		set.Logger.Info("smooth: done", "method", set.Method, "iter", res.Iterations, "f", f, "grad", res.GradNorm, "converged", res.Converged)
	}
	if res.Converged {
		return res, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return res, fmt.Errorf("%w: %w", ErrNotConverged, cerr)
	}
	if err != nil {
		return res, fmt.Errorf("%w: ‖∇f‖∞ = %.3g > %.3g after %d iterations: %w", ErrNotConverged, res.GradNorm, set.Tol, res.Iterations, err)
	}
	return res, fmt.Errorf("%w: ‖∇f‖∞ = %.3g > %.3g after %d iterations", ErrNotConverged, res.GradNorm, set.Tol, res.Iterations)
}

type minimizer struct {
	pb          *Problem
	theta       []float64
	set         Settings
	ctx         context.Context
	nf, ng, nhv int
}

func (m *minimizer) eval(x, g []float64) float64 {
	m.nf++
	m.ng++
	f := m.pb.Func(x, m.theta)
	m.pb.Grad(g, x, m.theta)
	return f
}

type stopError string

func (e stopError) Error() string { return string(e) }

// run iterates from (x, f, g) and returns the last (best) point. Every
// accepted step decreases f, so the last point is the best one.
func (m *minimizer) run(x []float64, f float64, g []float64, res *Result) ([]float64, float64, []float64, error) {
	n := len(x)
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	// L-BFGS memory.
	mem := m.set.Memory
	var sHist, yHist [][]float64
	var rho []float64
	alpha := make([]float64, mem)
	// BFGS dense inverse Hessian.
	var hinv []float64
	if m.set.Method == BFGS {
		hinv = make([]float64, n*n)
	}
	var hop interface{ Apply(dst, v []float64) }
	var cg *newtonCG
	if m.set.Method == NewtonCG {
		cg = newNewtonCG(n)
	}
	firstStep := true
	var hd, gPrev []float64
	lastStep, lastSlope := 1.0, -1.0
	for it := 0; it < m.set.MaxIter; it++ {
		if err := m.ctx.Err(); err != nil {
			return x, f, g, err
		}
		// Search direction.
		switch m.set.Method {
		case LBFGS:
			copy(d, g)
			k := len(sHist)
			for i := k - 1; i >= 0; i-- {
				alpha[i] = rho[i] * dot(sHist[i], d)
				axpy(-alpha[i], yHist[i], d)
			}
			if k > 0 {
				gamma := dot(sHist[k-1], yHist[k-1]) / dot(yHist[k-1], yHist[k-1])
				scale(gamma, d)
			}
			for i := 0; i < k; i++ {
				b := rho[i] * dot(yHist[i], d)
				axpy(alpha[i]-b, sHist[i], d)
			}
			scale(-1, d)
		case BFGS:
			if firstStep {
				copy(d, g)
			} else {
				for i := range n {
					d[i] = dot(hinv[i*n:(i+1)*n], g)
				}
			}
			scale(-1, d)
		case GradientDescent:
			copy(d, g)
			scale(-1, d)
		case NonlinearCG:
			beta := 0.0
			if !firstStep {
				var num float64
				for i := range g {
					num += g[i] * (g[i] - gPrev[i])
				}
				beta = math.Max(0, num/dot(gPrev, gPrev))
			}
			for i := range d {
				d[i] = -g[i] + beta*d[i]
			}
		case NewtonCG:
			hop = m.pb.HessianOperator(x, m.theta)
			m.nhv += cg.direction(d, hop, g)
		}
		slope := dot(g, d)
		if !(slope < 0) {
			// Not a descent direction (lost curvature information): restart
			// from steepest descent.
			copy(d, g)
			scale(-1, d)
			slope = dot(g, d)
			sHist, yHist, rho = sHist[:0], yHist[:0], rho[:0]
			firstStep = true
		}
		step := 1.0
		if !firstStep && (m.set.Method == NonlinearCG || m.set.Method == GradientDescent) {
			// Directions of first-order methods are not scaled: assume the
			// first-order change along d matches the last step's.
			step = math.Min(1e10, lastStep*lastSlope/slope)
		}
		if firstStep && m.set.Method != NewtonCG {
			step = math.Min(1, 1/norm2(g))
			// With exact second-order products, start from the minimizer of
			// the quadratic model along d: dᵀg / dᵀHd (one Hessian-vector
			// product), which matters on warm starts near the solution.
			if m.pb.HessVec != nil {
				if hd == nil {
					hd = make([]float64, n)
				}
				m.pb.HessVec(hd, x, m.theta, d)
				m.nhv++
				if dhd := dot(d, hd); dhd > 0 && !math.IsInf(dhd, 0) {
					step = -slope / dhd
				}
			}
		}
		c2 := 0.9
		if m.set.Method == NonlinearCG {
			c2 = 0.1 // conjugacy needs a more exact line search
		}
		fn, ok, err := m.lineSearch(x, f, g, d, slope, step, c2, xn, gn)
		if err != nil {
			return x, f, g, err
		}
		if !ok {
			if firstStep {
				return x, f, g, stopError("line search failed along steepest descent")
			}
			// Retry once from steepest descent.
			sHist, yHist, rho = sHist[:0], yHist[:0], rho[:0]
			firstStep = true
			if m.set.Method == BFGS {
				clear(hinv)
			}
			continue
		}
		res.Iterations++
		lastSlope = slope
		if dn := norm2(d); dn > 0 {
			var dx float64
			for i := range x {
				t := xn[i] - x[i]
				dx += t * t
			}
			lastStep = math.Sqrt(dx) / dn
		}
		// Update curvature pairs: s = xn − x, y = gn − g.
		// Reuse the oldest pair's storage once the memory is full.
		var sv, yv []float64
		if m.set.Method == LBFGS && len(sHist) == mem {
			sv, yv = sHist[0], yHist[0]
		} else {
			sv, yv = make([]float64, n), make([]float64, n)
		}
		for i := range n {
			sv[i] = xn[i] - x[i]
			yv[i] = gn[i] - g[i]
		}
		sy := dot(sv, yv)
		switch m.set.Method {
		case LBFGS:
			if sy > 1e-12*norm2(sv)*norm2(yv) {
				if len(sHist) == mem {
					// Rotate: drop the oldest pair (whose storage sv, yv
					// now hold the newest).
					copy(sHist, sHist[1:])
					copy(yHist, yHist[1:])
					copy(rho, rho[1:])
					sHist[mem-1], yHist[mem-1], rho[mem-1] = sv, yv, 1/sy
				} else {
					sHist = append(sHist, sv)
					yHist = append(yHist, yv)
					rho = append(rho, 1/sy)
				}
			} else if len(sHist) == mem {
				// The pair is rejected but the oldest pair's storage was
				// overwritten: drop that pair.
				sHist, yHist, rho = sHist[1:], yHist[1:], rho[1:]
			}
		case BFGS:
			if sy > 1e-12*norm2(sv)*norm2(yv) {
				if firstStep {
					gamma := sy / dot(yv, yv)
					clear(hinv)
					for i := range n {
						hinv[i*n+i] = gamma
					}
				}
				bfgsUpdate(hinv, sv, yv, sy)
			}
		}
		firstStep = false
		if m.set.Method == NonlinearCG {
			if gPrev == nil {
				gPrev = make([]float64, n)
			}
			copy(gPrev, g)
		}
		copy(x, xn)
		copy(g, gn)
		f = fn
		if m.set.Logger != nil {
			m.set.Logger.Debug("smooth: iteration", "iter", res.Iterations, "f", f, "grad", maxAbs(g))
		}
		if maxAbs(g) <= m.set.Tol {
			return x, f, g, nil
		}
	}
	return x, f, g, nil
}

// bfgsUpdate applies H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ with ρ = 1/sᵀy.
func bfgsUpdate(h, s, y []float64, sy float64) {
	n := len(s)
	rho := 1 / sy
	hy := make([]float64, n)
	for i := range n {
		hy[i] = dot(h[i*n:(i+1)*n], y)
	}
	yhy := dot(y, hy)
	c := (1 + rho*yhy) * rho
	for i := range n {
		row := h[i*n : (i+1)*n]
		for j := range n {
			row[j] += c*s[i]*s[j] - rho*(hy[i]*s[j]+s[i]*hy[j])
		}
	}
}

// lineSearch finds a step satisfying the strong Wolfe conditions along d;
// on success xn, gn hold the new point and gradient. ok is false when no
// step decreasing f was found.
func (m *minimizer) lineSearch(x []float64, f0 float64, g0, d []float64, slope0, step, c2 float64, xn, gn []float64) (float64, bool, error) {
	const (
		c1      = 1e-4
		maxEval = 40
	)
	phi := func(a float64) (float64, float64) {
		for i := range x {
			xn[i] = x[i] + a*d[i]
		}
		f := m.eval(xn, gn)
		if math.IsNaN(f) || !finite(gn) {
			return math.Inf(1), math.NaN()
		}
		return f, dot(gn, d)
	}
	// Near a minimizer f changes by less than its rounding error, and the
	// sufficient-decrease test cannot be decided from f values. Within
	// that noise level the search relies on the slope, as in the
	// approximate Wolfe conditions of Hager & Zhang (SIAM J. Optim. 2005).
	epsF := 1e-11 * math.Max(math.Abs(f0), 1e-300)
	suff := func(a, fa, da float64) bool {
		if fa <= f0+c1*a*slope0 {
			return true
		}
		return fa <= f0+epsF && da <= (1-2*c1)*(-slope0)
	}
	aPrev, fPrev, dPrev := 0.0, f0, slope0
	a := step
	var lo, hi, flo, fhi, dlo, dhi float64
	zoom := false
	for k := 0; k < maxEval; k++ {
		if err := m.ctx.Err(); err != nil {
			return 0, false, err
		}
		fa, da := phi(a)
		if math.IsInf(fa, 1) || !suff(a, fa, da) || (k > 0 && fa > fPrev+epsF) {
			lo, flo, dlo = aPrev, fPrev, dPrev
			hi, fhi, dhi = a, fa, da
			zoom = true
			break
		}
		if math.Abs(da) <= -c2*slope0 {
			return fa, true, nil
		}
		if da >= 0 {
			lo, flo, dlo = a, fa, da
			hi, fhi, dhi = aPrev, fPrev, dPrev
			zoom = true
			break
		}
		aPrev, fPrev, dPrev = a, fa, da
		a *= 4
	}
	if !zoom {
		// Ran out of expansions with f still decreasing: accept the last point.
		fa, _ := phi(aPrev)
		return fa, fa < f0, nil
	}
	for k := 0; k < maxEval; k++ {
		if err := m.ctx.Err(); err != nil {
			return 0, false, err
		}
		if math.Abs(hi-lo) <= 1e-16*math.Max(1, math.Abs(lo)) {
			break
		}
		a := cubicMin(lo, flo, dlo, hi, fhi, dhi)
		lw, hg := math.Min(lo, hi), math.Max(lo, hi)
		if w := hg - lw; !(a > lw+0.1*w && a < hg-0.1*w) {
			a = 0.5 * (lo + hi)
		}
		fa, da := phi(a)
		if math.IsInf(fa, 1) || !suff(a, fa, da) || fa > flo+epsF {
			hi, fhi, dhi = a, fa, da
			continue
		}
		if math.Abs(da) <= -c2*slope0 {
			return fa, true, nil
		}
		if da*(hi-lo) >= 0 {
			hi, fhi, dhi = lo, flo, dlo
		}
		lo, flo, dlo = a, fa, da
	}
	// Zoom did not meet the curvature condition: accept the best point with
	// sufficient decrease, if any.
	if lo > 0 && flo <= f0 {
		fa, _ := phi(lo)
		return fa, true, nil
	}
	return f0, false, nil
}

// cubicMin returns the minimizer of the cubic interpolating (a, fa, da) and
// (b, fb, db), or NaN when it does not exist.
func cubicMin(a, fa, da, b, fb, db float64) float64 {
	if math.IsInf(fb, 0) || math.IsNaN(db) {
		return math.NaN()
	}
	d1 := da + db - 3*(fa-fb)/(a-b)
	disc := d1*d1 - da*db
	if disc < 0 {
		return math.NaN()
	}
	d2 := math.Copysign(math.Sqrt(disc), b-a)
	return b - (b-a)*(db+d2-d1)/(db-da+2*d2)
}

// newtonCG holds the scratch vectors of the truncated-Newton inner solve.
type newtonCG struct{ r, p, hp []float64 }

func newNewtonCG(n int) *newtonCG {
	return &newtonCG{r: make([]float64, n), p: make([]float64, n), hp: make([]float64, n)}
}

// direction sets d ≈ −H⁻¹g by CG with the forcing term
// η = min(0.5, √‖g‖)‖g‖ and returns the number of Hessian products. On
// negative curvature it returns the current iterate (or −g at the start).
func (c *newtonCG) direction(d []float64, h interface{ Apply(dst, v []float64) }, g []float64) int {
	n := len(g)
	clear(d)
	copy(c.r, g)
	scale(-1, c.r)
	copy(c.p, c.r)
	gn := norm2(g)
	tol := math.Min(0.5, math.Sqrt(gn)) * gn
	rr := dot(c.r, c.r)
	var k int
	for k = 0; k < 2*n+10; k++ {
		h.Apply(c.hp, c.p)
		pHp := dot(c.p, c.hp)
		if !(pHp > 1e-14*dot(c.p, c.p)) {
			if k == 0 {
				copy(d, g)
				scale(-1, d)
			}
			return k + 1
		}
		a := rr / pHp
		axpy(a, c.p, d)
		axpy(-a, c.hp, c.r)
		rrNew := dot(c.r, c.r)
		if math.Sqrt(rrNew) <= tol {
			return k + 1
		}
		beta := rrNew / rr
		rr = rrNew
		for i := range c.p {
			c.p[i] = c.r[i] + beta*c.p[i]
		}
	}
	return k
}

func dot(x, y []float64) float64 {
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}

func scale(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}
