package pto

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/solvers/qp"
)

// Portfolio is PyEPO's mean-variance portfolio problem with a risk budget:
//
//	maximize rᵀx  subject to  1ᵀx = 1,  x ≥ 0,  xᵀΣx ≤ R,
//
// where r are the (predicted) returns and R = γ·mean(Σᵢⱼ). Solve uses the
// Lagrangian of the risk constraint: for a multiplier λ ≥ 0 the
// mean-variance QP x(λ) = argmax_{x∈Δ} rᵀx − λ xᵀΣx is solved by
// package solvers/qp, and λ is found by a safeguarded secant search in
// log λ on the risk x(λ)ᵀΣx(λ) = R (monotone in λ), warm-starting each
// QP; when the best single asset already meets the budget, λ = 0. The
// returned x meets the budget within a relative 1e-7.
type Portfolio struct {
	cov  *mat.SymDense // Σ / R
	Risk float64       // R
}

// NewPortfolio returns the oracle for covariance Σ (positive definite) and
// risk level γ > 0 (PyEPO's default is 2.25).
func NewPortfolio(cov mat.Symmetric, gamma float64) (*Portfolio, error) {
	if isNil(cov) {
		return nil, fmt.Errorf("%w: nil covariance", ErrInvalid)
	}
	n := cov.SymmetricDim()
	if n == 0 || !(gamma > 0) || math.IsInf(gamma, 0) {
		return nil, fmt.Errorf("%w: %d assets, gamma %v", ErrInvalid, n, gamma)
	}
	mean := 0.0
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := cov.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, ErrNaN
			}
			mean += v / float64(n*n)
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return nil, fmt.Errorf("%w: covariance is not positive definite", ErrInvalid)
	}
	R := gamma * mean
	if !(R > 0) {
		return nil, fmt.Errorf("%w: risk level γ·mean(Σ) = %v", ErrInvalid, R)
	}
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			s.SetSym(i, j, cov.At(i, j)/R)
		}
	}
	return &Portfolio{cov: s, Risk: R}, nil
}

// Dim returns the number of assets.
func (p *Portfolio) Dim() int { return p.cov.SymmetricDim() }

// Sense returns Maximize.
func (p *Portfolio) Sense() Sense { return Maximize }

// risk returns xᵀ(Σ/R)x.
func (p *Portfolio) risk(x []float64) float64 {
	v := mat.NewVecDense(len(x), x)
	return mat.Inner(v, p.cov, v)
}

// meanVariance solves max_{x∈Δ} r̂ᵀx − λ xᵀ(Σ/R)x.
func (p *Portfolio) meanVariance(ctx context.Context, r []float64, lambda float64, warm []float64) ([]float64, error) {
	n := len(r)
	Q := mat.NewSymDense(n, nil)
	Q.ScaleSym(2*lambda, p.cov)
	neg := make([]float64, n)
	for i, v := range r {
		neg[i] = -v
	}
	G := mat.NewDiagDense(n, nil)
	for i := 0; i < n; i++ {
		G.SetDiag(i, -1)
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	set := &qp.Settings{}
	if warm != nil {
		set.WarmStart = &qp.Start{X: warm}
	}
	sol, err := qp.Solve(ctx, &qp.Problem{
		Q: Q, P: neg, A: mat.NewDense(1, n, ones), B: []float64{1}, G: G, H: make([]float64, n),
	}, set)
	if err != nil {
		return nil, err
	}
	x := sol.X
	for i := range x { // clean the interior-point solution onto the simplex
		x[i] = max(x[i], 0)
	}
	s := 0.0
	for _, v := range x {
		s += v
	}
	for i := range x {
		x[i] /= s
	}
	return x, nil
}

// Solve implements [Oracle].
func (p *Portfolio) Solve(ctx context.Context, dst, r []float64) (float64, error) {
	n := p.Dim()
	if err := checkCost(r, n); err != nil {
		return 0, err
	}
	if len(dst) != n {
		return 0, fmt.Errorf("%w: dst has length %d, want %d", ErrDims, len(dst), n)
	}
	const tol = 1e-7
	k := 0
	for i, v := range r {
		if v > r[k] {
			k = i
		}
	}
	if p.cov.At(k, k) <= 1+tol {
		for i := range dst {
			dst[i] = 0
		}
		dst[k] = 1
		return r[k], nil
	}
	scale := 0.0
	for _, v := range r {
		scale = max(scale, math.Abs(v))
	}
	rs := make([]float64, n)
	for i, v := range r {
		rs[i] = v / scale
	}
	// φ(t) = log risk(x(e^t)) decreases in t; bracket its root.
	phi := func(t float64, warm []float64) (float64, []float64, error) {
		x, err := p.meanVariance(ctx, rs, math.Exp(t), warm)
		if err != nil {
			return 0, nil, err
		}
		return math.Log(p.risk(x)), x, nil
	}
	lo, hi := 0.0, 0.0
	flo, xlo, err := phi(lo, nil)
	if err != nil {
		return 0, err
	}
	fhi, xhi := flo, xlo
	for step := 0; flo < 0; step++ { // too much risk aversion: decrease t
		if step > 40 {
			return 0, fmt.Errorf("%w: portfolio multiplier search failed", ErrInfeasible)
		}
		hi, fhi, xhi = lo, flo, xlo
		lo -= 2
		if flo, xlo, err = phi(lo, xhi); err != nil {
			return 0, err
		}
	}
	for step := 0; fhi > 0; step++ { // not enough: increase t
		if step > 40 {
			return 0, fmt.Errorf("%w: risk budget below the minimum-variance portfolio", ErrInfeasible)
		}
		lo, flo, xlo = hi, fhi, xhi
		hi += 2
		if fhi, xhi, err = phi(hi, xlo); err != nil {
			return 0, err
		}
	}
	// Illinois regula falsi on [lo, hi] with φ(lo) ≥ 0 ≥ φ(hi); ga and gb
	// are the (possibly halved) end values used by the secant step.
	ga, gb, side := flo, fhi, 0
	best := xhi
	for it := 0; it < 100 && math.Abs(fhi) > tol; it++ {
		t := hi - gb*(hi-lo)/(gb-ga)
		if !(t > lo && t < hi) {
			t = (lo + hi) / 2
		}
		ft, xt, err := phi(t, xhi)
		if err != nil {
			return 0, err
		}
		if math.Abs(ft) <= tol {
			best = xt
			break
		}
		if ft > 0 {
			lo, ga = t, ft
			if side == -1 {
				gb /= 2
			}
			side = -1
		} else {
			hi, fhi, xhi, gb = t, ft, xt, ft
			best = xhi
			if side == 1 {
				ga /= 2
			}
			side = 1
		}
		if hi-lo < 1e-13 {
			break
		}
	}
	copy(dst, best)
	return dot(r, dst), nil
}
