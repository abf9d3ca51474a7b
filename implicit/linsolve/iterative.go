package linsolve

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/optlayers/optlayers/internal/guard"
)

// Preconditioner approximates the inverse of an operator: Precondition sets
// dst = P r with P ≈ M⁻¹. For CG, P must be symmetric positive definite.
type Preconditioner interface {
	Precondition(dst, r []float64)
}

// Jacobi is the diagonal preconditioner P = diag(d)⁻¹, where d is the
// diagonal of M. Zero entries of d are treated as ones.
type Jacobi []float64

// Precondition sets dst = diag(d)⁻¹ r.
func (j Jacobi) Precondition(dst, r []float64) {
	for i, d := range j {
		if d == 0 {
			dst[i] = r[i]
		} else {
			dst[i] = r[i] / d
		}
	}
}

// Settings controls an iterative solve. The zero value (or nil) means the
// defaults documented on each field.
type Settings struct {
	// Tol is the relative residual ‖b − M x‖₂ / ‖b‖₂ at which to stop.
	// Default 1e-10.
	Tol float64
	// MaxIter caps the iterations (matrix-vector products for GMRES).
	// Default 10·n, at least 100.
	MaxIter int
	// Restart is the GMRES restart length. Default min(n, 50).
	Restart int
	// Precond is an optional preconditioner.
	Precond Preconditioner
	// WarmStart, if non-nil, starts the iteration from this vector
	// instead of zero (a warm start). It is not modified.
	WarmStart []float64
	// Terms is the number of terms of the Neumann series. Default 50.
	Terms int
	// Step is the scaling α of the Neumann series; it may be negative.
	// Default 1.
	Step float64
}

func (s *Settings) tol() float64 {
	if s == nil || s.Tol <= 0 {
		return 1e-10
	}
	return s.Tol
}

func (s *Settings) maxIter(n int) int {
	if s == nil || s.MaxIter <= 0 {
		return max(10*n, 100)
	}
	return s.MaxIter
}

func (s *Settings) precond() Preconditioner {
	if s == nil {
		return nil
	}
	return s.Precond
}

// Result reports how an iterative solve ended.
type Result struct {
	// Iterations is the number of iterations performed.
	Iterations int
	// Residual is the final relative residual ‖b − M x‖₂ / ‖b‖₂.
	Residual float64
}

func dot(x, y []float64) float64 {
	var s float64
	for i, xi := range x {
		s += xi * y[i]
	}
	return s
}

// norm is the overflow-safe Euclidean norm.
func norm(x []float64) float64 { return floats.Norm(x, 2) }

// axpy sets y += a x.
func axpy(a float64, x, y []float64) {
	for i, xi := range x {
		y[i] += a * xi
	}
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// stopped returns, without blocking, an error matching ctx.Err() when ctx
// is done: the iterative methods call it once per iteration, so that they
// stop within one iteration of a cancellation. done is ctx.Done(), nil for
// a context that is never done.
func stopped(ctx context.Context, done <-chan struct{}, name string, it int) error {
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return fmt.Errorf("linsolve: %s stopped at iteration %d: %w", name, it, ctx.Err())
	default:
		return nil
	}
}

// done returns ctx.Done(), nil for a nil ctx.
func done(ctx context.Context) <-chan struct{} {
	if ctx == nil {
		return nil
	}
	return ctx.Done()
}

// start validates shapes, initializes dst from the warm start (or zero) and
// returns r = b − M dst and ‖b‖. A zero b gives the solution zero.
func start(name string, dst []float64, a Operator, b []float64, s *Settings) (r []float64, bnorm float64, err error) {
	rows, cols := a.Dims()
	if rows != cols {
		return nil, 0, fmt.Errorf("%w: %s needs a square operator, have %d×%d", ErrDims, name, rows, cols)
	}
	if len(b) != rows || len(dst) != cols {
		return nil, 0, fmt.Errorf("%w: %s with %d×%d operator, len(b)=%d, len(dst)=%d", ErrDims, name, rows, cols, len(b), len(dst))
	}
	if !finite(b) {
		return nil, 0, fmt.Errorf("%w: right-hand side of %s", ErrNaN, name)
	}
	if s != nil && s.WarmStart != nil {
		if len(s.WarmStart) != cols {
			return nil, 0, fmt.Errorf("%w: %s initial guess has length %d, want %d", ErrDims, name, len(s.WarmStart), cols)
		}
		copy(dst, s.WarmStart)
	} else {
		clear(dst)
	}
	r = make([]float64, rows)
	a.Apply(r, dst)
	for i := range r {
		r[i] = b[i] - r[i]
	}
	if !finite(r) {
		return nil, 0, fmt.Errorf("%w: initial residual of %s (operator or warm start not finite)", ErrNaN, name)
	}
	return r, norm(b), nil
}

// CG solves M x = b for a symmetric positive definite M by (preconditioned)
// conjugate gradients, writing x into dst. On failure dst holds the best
// iterate found. It stops within one iteration of ctx being done, with
// an error matching ctx.Err() and the last iterate in dst; a nil ctx is
// never done.
func CG(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (Result, error) {
	return iterate(ctx, "CG", cgImpl, dst, a, b, s)
}

func cgImpl(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (Result, error) {
	r, bnorm, err := start("CG", dst, a, b, s)
	if err != nil {
		return Result{}, err
	}
	if bnorm == 0 {
		clear(dst)
		return Result{}, nil
	}
	n := len(b)
	tol := s.tol() * bnorm
	pc := s.precond()
	z := r
	if pc != nil {
		z = make([]float64, n)
		pc.Precondition(z, r)
	}
	p := append([]float64(nil), z...)
	ap := make([]float64, n)
	rz := dot(r, z)
	res := norm(r)
	maxIter := s.maxIter(n)
	dn := done(ctx)
	for it := 0; it < maxIter; it++ {
		if res <= tol {
			return Result{Iterations: it, Residual: res / bnorm}, nil
		}
		if err := stopped(ctx, dn, "CG", it); err != nil {
			return Result{Iterations: it, Residual: res / bnorm}, err
		}
		a.Apply(ap, p)
		pap := dot(p, ap)
		if !(pap > 0) {
			if math.IsNaN(pap) {
				return Result{Iterations: it, Residual: res / bnorm}, fmt.Errorf("%w: CG produced NaN", ErrNaN)
			}
			return Result{Iterations: it, Residual: res / bnorm}, fmt.Errorf("%w: CG found pᵀMp = %g ≤ 0 (operator not positive definite)", ErrBreakdown, pap)
		}
		alpha := rz / pap
		axpy(alpha, p, dst)
		axpy(-alpha, ap, r)
		res = norm(r)
		if pc != nil {
			pc.Precondition(z, r)
		}
		rzNew := dot(r, z)
		beta := rzNew / rz
		rz = rzNew
		for i := range p {
			p[i] = z[i] + beta*p[i]
		}
	}
	if res <= tol {
		return Result{Iterations: maxIter, Residual: res / bnorm}, nil
	}
	return Result{Iterations: maxIter, Residual: res / bnorm}, fmt.Errorf("%w: CG residual %.3g after %d iterations", ErrNotConverged, res/bnorm, maxIter)
}

type normalOp struct {
	a   Operator
	buf []float64
}

func (o *normalOp) Dims() (int, int) { _, c := o.a.Dims(); return c, c }
func (o *normalOp) Apply(dst, v []float64) {
	o.a.Apply(o.buf, v)
	o.a.ApplyT(dst, o.buf)
}
func (o *normalOp) ApplyT(dst, u []float64) { o.Apply(dst, u) }

// NormalCG solves M x = b in the least-squares sense by conjugate gradients
// on the normal equations MᵀM x = Mᵀb (CGNR). M may be rectangular with
// full column rank. The reported residual is that of the normal equations,
// ‖Mᵀ(b − M x)‖/‖Mᵀb‖. It stops as CG does when ctx is done.
func NormalCG(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (res Result, err error) {
	if err := precheck("NormalCG", a, s); err != nil {
		return Result{}, err
	}
	defer guard.Recover(&err, ErrCallback)
	rows, cols := a.Dims()
	if len(b) != rows || len(dst) != cols {
		return Result{}, fmt.Errorf("%w: NormalCG with %d×%d operator, len(b)=%d, len(dst)=%d", ErrDims, rows, cols, len(b), len(dst))
	}
	atb := make([]float64, cols)
	a.ApplyT(atb, b)
	var ns *Settings
	if s != nil {
		c := *s
		c.Precond = nil
		ns = &c
	}
	return CG(ctx, dst, &normalOp{a: a, buf: make([]float64, rows)}, atb, ns)
}

// BiCGSTAB solves M x = b for a nonsingular M by van der Vorst's stabilized
// bi-conjugate gradient method with optional right preconditioning. It
// stops within one iteration of ctx being done, with an error matching
// ctx.Err() and the best iterate in dst; a nil ctx is never done.
func BiCGSTAB(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (Result, error) {
	return iterate(ctx, "BiCGSTAB", bicgstabImpl, dst, a, b, s)
}

func bicgstabImpl(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (Result, error) {
	r, bnorm, err := start("BiCGSTAB", dst, a, b, s)
	if err != nil {
		return Result{}, err
	}
	if bnorm == 0 {
		clear(dst)
		return Result{}, nil
	}
	n := len(b)
	tol := s.tol() * bnorm
	pc := s.precond()
	rhat := append([]float64(nil), r...)
	p := make([]float64, n)
	v := make([]float64, n)
	ph := make([]float64, n)
	sv := make([]float64, n)
	sh := make([]float64, n)
	t := make([]float64, n)
	best := append([]float64(nil), dst...)
	res := norm(r)
	bestRes := res
	rho, alpha, omega := 1.0, 1.0, 1.0
	maxIter := s.maxIter(n)
	it := 0
	fail := func(err error) (Result, error) {
		copy(dst, best)
		return Result{Iterations: it, Residual: bestRes / bnorm}, err
	}
	dn := done(ctx)
	for ; it < maxIter; it++ {
		if res <= tol {
			return Result{Iterations: it, Residual: res / bnorm}, nil
		}
		if err := stopped(ctx, dn, "BiCGSTAB", it); err != nil {
			return fail(err)
		}
		rhoNew := dot(rhat, r)
		if rhoNew == 0 || omega == 0 {
			return fail(fmt.Errorf("%w: BiCGSTAB ρ=%g ω=%g at iteration %d", ErrBreakdown, rhoNew, omega, it))
		}
		beta := (rhoNew / rho) * (alpha / omega)
		rho = rhoNew
		for i := range p {
			p[i] = r[i] + beta*(p[i]-omega*v[i])
		}
		if pc != nil {
			pc.Precondition(ph, p)
		} else {
			copy(ph, p)
		}
		a.Apply(v, ph)
		rv := dot(rhat, v)
		if rv == 0 {
			return fail(fmt.Errorf("%w: BiCGSTAB r̂ᵀv = 0 at iteration %d", ErrBreakdown, it))
		}
		alpha = rho / rv
		for i := range sv {
			sv[i] = r[i] - alpha*v[i]
		}
		if norm(sv) <= tol {
			axpy(alpha, ph, dst)
			copy(r, sv)
			res = norm(r)
			it++
			break
		}
		if pc != nil {
			pc.Precondition(sh, sv)
		} else {
			copy(sh, sv)
		}
		a.Apply(t, sh)
		tt := dot(t, t)
		if tt == 0 {
			return fail(fmt.Errorf("%w: BiCGSTAB tᵀt = 0 at iteration %d", ErrBreakdown, it))
		}
		omega = dot(t, sv) / tt
		for i := range dst {
			dst[i] += alpha*ph[i] + omega*sh[i]
			r[i] = sv[i] - omega*t[i]
		}
		res = norm(r)
		if math.IsNaN(res) {
			return fail(fmt.Errorf("%w: BiCGSTAB produced NaN", ErrNaN))
		}
		if res < bestRes {
			bestRes = res
			copy(best, dst)
		}
	}
	if res <= tol {
		return Result{Iterations: it, Residual: res / bnorm}, nil
	}
	return fail(fmt.Errorf("%w: BiCGSTAB residual %.3g after %d iterations", ErrNotConverged, bestRes/bnorm, it))
}

// GMRES solves M x = b for a nonsingular M by restarted GMRES(k) with
// modified Gram–Schmidt Arnoldi, Givens rotations and optional right
// preconditioning (so the monitored residual is the true one). It stops
// within one iteration (one product with M) of ctx being done, with an
// error matching ctx.Err() and the iterate of the last restart in dst; a
// nil ctx is never done.
func GMRES(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (Result, error) {
	return iterate(ctx, "GMRES", gmresImpl, dst, a, b, s)
}

func gmresImpl(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (Result, error) {
	r, bnorm, err := start("GMRES", dst, a, b, s)
	if err != nil {
		return Result{}, err
	}
	if bnorm == 0 {
		clear(dst)
		return Result{}, nil
	}
	n := len(b)
	k := min(n, 50)
	if s != nil && s.Restart > 0 {
		k = min(s.Restart, n)
	}
	tol := s.tol() * bnorm
	pc := s.precond()
	maxIter := s.maxIter(n)
	// Krylov basis V (k+1 vectors), Hessenberg H ((k+1)×k, column major),
	// rotations (cs, sn) and the rotated residual vector g.
	v := make([][]float64, k+1)
	for i := range v {
		v[i] = make([]float64, n)
	}
	var z [][]float64
	if pc != nil {
		z = make([][]float64, k)
		for i := range z {
			z[i] = make([]float64, n)
		}
	}
	h := make([]float64, (k+1)*k)
	cs := make([]float64, k)
	sn := make([]float64, k)
	g := make([]float64, k+1)
	y := make([]float64, k)
	w := make([]float64, n)
	res := norm(r)
	it := 0
	dn := done(ctx)
	for it < maxIter {
		if res <= tol {
			return Result{Iterations: it, Residual: res / bnorm}, nil
		}
		beta := res
		for i := range r {
			v[0][i] = r[i] / beta
		}
		clear(g)
		g[0] = beta
		j := 0
		for ; j < k && it < maxIter; j++ {
			if err := stopped(ctx, dn, "GMRES", it); err != nil {
				return Result{Iterations: it, Residual: res / bnorm}, err
			}
			it++
			vin := v[j]
			if pc != nil {
				pc.Precondition(z[j], v[j])
				vin = z[j]
			}
			a.Apply(w, vin)
			col := h[j*(k+1) : (j+1)*(k+1)]
			for i := 0; i <= j; i++ {
				col[i] = dot(w, v[i])
				axpy(-col[i], v[i], w)
			}
			col[j+1] = norm(w)
			if math.IsNaN(col[j+1]) {
				return Result{Iterations: it, Residual: res / bnorm}, fmt.Errorf("%w: GMRES produced NaN", ErrNaN)
			}
			if col[j+1] != 0 {
				for i := range w {
					v[j+1][i] = w[i] / col[j+1]
				}
			}
			for i := 0; i < j; i++ {
				t := cs[i]*col[i] + sn[i]*col[i+1]
				col[i+1] = -sn[i]*col[i] + cs[i]*col[i+1]
				col[i] = t
			}
			d := math.Hypot(col[j], col[j+1])
			if d == 0 {
				return Result{Iterations: it, Residual: res / bnorm}, fmt.Errorf("%w: GMRES Hessenberg column is zero (singular operator)", ErrBreakdown)
			}
			cs[j], sn[j] = col[j]/d, col[j+1]/d
			col[j], col[j+1] = d, 0
			g[j+1] = -sn[j] * g[j]
			g[j] = cs[j] * g[j]
			if math.Abs(g[j+1]) <= tol {
				j++
				break
			}
		}
		// Back-substitute the j×j triangular system and update x.
		for i := j - 1; i >= 0; i-- {
			t := g[i]
			for l := i + 1; l < j; l++ {
				t -= h[l*(k+1)+i] * y[l]
			}
			y[i] = t / h[i*(k+1)+i]
		}
		for i := 0; i < j; i++ {
			if pc != nil {
				axpy(y[i], z[i], dst)
			} else {
				axpy(y[i], v[i], dst)
			}
		}
		a.Apply(r, dst)
		for i := range r {
			r[i] = b[i] - r[i]
		}
		newRes := norm(r)
		if math.IsNaN(newRes) {
			return Result{Iterations: it, Residual: res / bnorm}, fmt.Errorf("%w: GMRES produced NaN", ErrNaN)
		}
		res = newRes
	}
	if res <= tol {
		return Result{Iterations: it, Residual: res / bnorm}, nil
	}
	return Result{Iterations: it, Residual: res / bnorm}, fmt.Errorf("%w: GMRES residual %.3g after %d iterations", ErrNotConverged, res/bnorm, it)
}

// iterate runs the method impl after the checks the iterative methods
// share (the operator and the settings), returning a panic of the
// operator or preconditioner as an error matching ErrCallback and a
// non-finite result reported as a success as ErrNaN.
func iterate(ctx context.Context, name string, impl func(context.Context, []float64, Operator, []float64, *Settings) (Result, error), dst []float64, a Operator, b []float64, s *Settings) (res Result, err error) {
	if err := precheck(name, a, s); err != nil {
		return Result{}, err
	}
	defer guard.Recover(&err, ErrCallback)
	res, err = impl(ctx, dst, a, b, s)
	return checkIterates(name, dst, res, err)
}

// checkIterates turns a non-finite result reported as a success into ErrNaN.
func checkIterates(name string, dst []float64, res Result, err error) (Result, error) {
	if err == nil && (!finite(dst) || math.IsNaN(res.Residual)) {
		return res, fmt.Errorf("%w: %s iterates overflowed", ErrNaN, name)
	}
	return res, err
}

// Neumann approximates x = M⁻¹ b by the truncated series
// x ≈ α Σₖ₌₀ᴷ⁻¹ (I − αM)ᵏ b with K = Settings.Terms (default 50) and
// α = Settings.Step (default 1). The series converges when the spectral
// radius of I − αM is below one; the result reports the relative residual
// of the approximation and the error is ErrNotConverged when it exceeds
// Settings.Tol. An approximation that diverges (residual growing past
// 1e8·‖b‖) is reported as ErrNotConverged as well. It stops within one
// term of ctx being done, with an error matching ctx.Err(); a nil ctx is
// never done.
func Neumann(ctx context.Context, dst []float64, a Operator, b []float64, s *Settings) (out Result, err error) {
	if err := precheck("Neumann", a, s); err != nil {
		return Result{}, err
	}
	defer guard.Recover(&err, ErrCallback)
	rows, cols := a.Dims()
	if rows != cols || len(b) != rows || len(dst) != cols {
		return Result{}, fmt.Errorf("%w: Neumann with %d×%d operator, len(b)=%d, len(dst)=%d", ErrDims, rows, cols, len(b), len(dst))
	}
	if !finite(b) {
		return Result{}, fmt.Errorf("%w: right-hand side of Neumann", ErrNaN)
	}
	terms, alpha := 50, 1.0
	if s != nil && s.Terms > 0 {
		terms = s.Terms
	}
	if s != nil && s.Step != 0 {
		alpha = s.Step
	}
	n := len(b)
	term := make([]float64, n)
	mv := make([]float64, n)
	for i := range b {
		term[i] = alpha * b[i]
	}
	copy(dst, term)
	dn := done(ctx)
	for k := 1; k < terms; k++ {
		if err := stopped(ctx, dn, "Neumann", k); err != nil {
			return Result{Iterations: k}, err
		}
		a.Apply(mv, term)
		for i := range term {
			term[i] -= alpha * mv[i]
			dst[i] += term[i]
		}
	}
	a.Apply(mv, dst)
	for i := range mv {
		mv[i] = b[i] - mv[i]
	}
	bnorm := norm(b)
	res := 0.0
	if bnorm > 0 {
		res = norm(mv) / bnorm
	}
	out = Result{Iterations: terms, Residual: res}
	if math.IsNaN(res) || !finite(dst) {
		return out, fmt.Errorf("%w: Neumann series diverged", ErrNotConverged)
	}
	if res > s.tol() {
		return out, fmt.Errorf("%w: Neumann series residual %.3g after %d terms", ErrNotConverged, res, terms)
	}
	return out, nil
}
