package cone

import (
	"context"
	"fmt"
	"math"
)

// Refine polishes an Optimal solution by Newton steps on the residual map
// of Layout.Condition (the solution refinement of Busseti, Moursi & Boyd,
// "Solution refinement at regular points of conic problems", Comput.
// Optim. Appl. 74, 2019, which diffcp applies before differentiating).
// An interior-point solution stops at a duality measure μ > 0, and
// determines y only to about √Tol along directions where K* curves away
// from y; at a regular (unique, strictly complementary) solution the
// zeros of F are the exact solutions and Newton's method converges
// quadratically from there. Each step solves ∂zF Δz = −F with the direct
// route's factorization at the current point, then restores exact
// complementarity by Moreau's decomposition (y = Π_{K*}(y − s),
// s = y − (y − s)); a step that does not reduce ‖F‖∞ is not taken. It
// stops after steps steps (0 means 3) or when ‖F‖∞ reaches 1e-15 of the
// data's scale, updates X, Y, S, Residuals and Objective, and returns the
// final ‖F(z, θ)‖∞.
//
// Refine returns ErrSingular for a Solution that is not Optimal or whose
// linearization is singular (a degenerate solution: the point is left as
// it is), and ctx.Err() when ctx is done between steps.
func (s *Solution) Refine(ctx context.Context, steps int) (float64, error) {
	if err := s.validDiff(); err != nil {
		return 0, err
	}
	if steps < 0 {
		return 0, fmt.Errorf("%w: %d refinement steps", ErrInvalid, steps)
	}
	if steps == 0 {
		steps = 3
	}
	l, err := NewLayout(s.pb)
	if err != nil {
		return 0, err
	}
	theta, err := l.Theta(s.pb)
	if err != nil {
		return 0, err
	}
	if !finite(theta) {
		return 0, fmt.Errorf("%w: in the problem data", ErrNaN)
	}
	c, err := l.Condition()
	if err != nil {
		return 0, err
	}
	n, m := l.N, l.M
	z := s.Point()
	r := make([]float64, len(z))
	c.Residual(r, z, theta)
	res := diffNormInf(r)
	floor := 1e-15 * math.Max(1, diffNormInf(theta))
	for range steps {
		if !(res > floor) {
			break
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		f, err := newDiffFactor(l, z[:n], z[n:n+m], z[n+m:], theta)
		if err != nil {
			return res, err
		}
		// ∂zF dz = −r: with dy′ = dy + r_s, ds′ = ds + r_s the system is
		// the direct route's with (r_x, r_y) = (r₁, r₂).
		for j := range n {
			f.rhs[j] = -r[j]
		}
		ry := r[n : n+m]
		f.toDirections(f.rhs[n:], ry)
		for i := range m {
			f.rhs[n+i] = -f.rhs[n+i]
		}
		if err := f.solve(); err != nil {
			return res, err
		}
		zn := make([]float64, len(z))
		dx := f.sol[:n]
		dy := make([]float64, m)
		f.fromDirections(dy, f.sol[n:])
		ds := make([]float64, m)
		for i := range m {
			ds[i] = -ry[i]
		}
		neg := make([]float64, n)
		for j := range n {
			neg[j] = -dx[j]
		}
		l.mulA(ds, f.a, neg)
		rs := r[n+m:]
		for j := range n {
			zn[j] = z[j] + dx[j]
		}
		v := make([]float64, m)
		for i := range m {
			yi := z[n+i] + dy[i] - rs[i]
			si := z[n+m+i] + ds[i] - rs[i]
			v[i] = yi - si
		}
		// Exact complementarity: y = Π_{K*}(v), s = y − v.
		yp := zn[n : n+m]
		if err := f.dual().Project(yp, v); err != nil {
			return res, fmt.Errorf("%w: %v", ErrSingular, err)
		}
		for i := range m {
			zn[n+m+i] = yp[i] - v[i]
		}
		rn := make([]float64, len(z))
		c.Residual(rn, zn, theta)
		if !(diffNormInf(rn) < res) {
			break
		}
		z, r, res = zn, rn, diffNormInf(rn)
	}
	copy(s.X, z[:n])
	copy(s.Y, z[n:n+m])
	copy(s.S, z[n+m:])
	s.diff = nil // the factorization was at the old point
	s.userResiduals(l, theta)
	return res, nil
}

// dual returns the dual cone of the factor's layout.
func (f *diffFactor) dual() *Product {
	d, _ := f.l.K.Dual().(*Product)
	return d
}

// userResiduals recomputes Residuals and Objective (see Residuals) at the
// solution's point.
func (s *Solution) userResiduals(l *Layout, theta []float64) {
	n, m := l.N, l.M
	q, p, a, b, _ := l.Parts(theta)
	qx := make([]float64, n)
	l.mulQ(qx, q, s.X)
	rd := make([]float64, n)
	copy(rd, qx)
	for j := range n {
		rd[j] += p[j]
	}
	l.mulAT(rd, a, s.Y)
	rp := make([]float64, m)
	for i := range m {
		rp[i] = s.S[i] - b[i]
	}
	l.mulA(rp, a, s.X)
	xqx, px, by := dot(s.X, qx), dot(p, s.X), dot(b, s.Y)
	s.Residuals = Residuals{Primal: diffNormInf(rp), Dual: diffNormInf(rd), Gap: math.Abs(xqx + px + by)}
	s.Objective = 0.5*xqx + px
}
