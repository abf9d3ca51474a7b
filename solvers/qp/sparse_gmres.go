package qp

import "math"

// gmresRight improves x towards the solution of A x = b by restarted
// GMRES with right preconditioning (Saad and Schultz 1986; Saad,
// "Iterative Methods for Sparse Linear Systems", 2nd ed., §9.3.2):
// apply sets dst = A v and prec sets dst ≈ A⁻¹ r (it reports false on
// failure). The preconditioned directions are stored (flexible form), so
// prec is applied once per iteration. It stops when ‖b − Ax‖₂ ≤ tol,
// after maxIter iterations in all, or when a step is not finite, and
// returns the 2-norm of the last true residual.
//
// The polish uses it as the inner solver of an iterative refinement whose
// residuals are computed in double-double arithmetic (GMRES-based
// iterative refinement, Carson and Higham, "A new analysis of iterative
// refinement and its application to accurate solution of ill-conditioned
// sparse linear systems", SIAM J. Sci. Comput. 39 (2017) A2834–A2856):
// with the regularized factorization as the preconditioner, the
// preconditioned matrix has its eigenvalues λ/(λ + δ) in (0, 1], and
// GMRES resolves the few small ones of an ill-conditioned active set in
// a few iterations where plain refinement contracts by 1 − λ/δ per step.
func gmresRight(apply func(dst, v []float64), prec func(dst, r []float64) bool, x, b []float64, restart, maxIter int, tol float64) float64 {
	n := len(x)
	r := make([]float64, n)
	residual := func() float64 {
		apply(r, x)
		for i := range r {
			r[i] = b[i] - r[i]
		}
		return norm2(r)
	}
	beta := residual()
	if !(beta > tol) || restart < 1 || maxIter < 1 {
		return beta
	}
	v := make([][]float64, restart+1)
	for i := range v {
		v[i] = make([]float64, n)
	}
	z := make([][]float64, restart)
	for i := range z {
		z[i] = make([]float64, n)
	}
	h := make([][]float64, restart+1) // h[i][j], column j of the Hessenberg matrix
	for i := range h {
		h[i] = make([]float64, restart)
	}
	cs, sn := make([]float64, restart), make([]float64, restart)
	g := make([]float64, restart+1)
	y := make([]float64, restart)
	xSave := make([]float64, n)
	iters := 0
	for iters < maxIter && beta > tol {
		for i := range r {
			v[0][i] = r[i] / beta
		}
		clear(g)
		g[0] = beta
		k := 0 // columns built
		for j := 0; j < restart && iters < maxIter; j++ {
			iters++
			if !prec(z[j], v[j]) || !finite(z[j]) {
				break
			}
			w := v[j+1]
			apply(w, z[j])
			for i := 0; i <= j; i++ {
				hij := dot(w, v[i])
				h[i][j] = hij
				for t := range w {
					w[t] -= hij * v[i][t]
				}
			}
			hn := norm2(w)
			for i := 0; i < j; i++ { // the earlier rotations
				a, c := h[i][j], h[i+1][j]
				h[i][j] = cs[i]*a + sn[i]*c
				h[i+1][j] = -sn[i]*a + cs[i]*c
			}
			den := math.Hypot(h[j][j], hn)
			if !(den > 0) || math.IsInf(den, 0) {
				break
			}
			cs[j], sn[j] = h[j][j]/den, hn/den
			h[j][j] = den
			g[j+1] = -sn[j] * g[j]
			g[j] *= cs[j]
			k = j + 1
			if math.Abs(g[j+1]) <= tol || hn == 0 {
				break
			}
			for t := range w {
				w[t] /= hn
			}
		}
		if k == 0 {
			break
		}
		for i := k - 1; i >= 0; i-- { // back substitution
			s := g[i]
			for t := i + 1; t < k; t++ {
				s -= h[i][t] * y[t]
			}
			y[i] = s / h[i][i]
		}
		copy(xSave, x)
		for i := range k {
			for t := range x {
				x[t] += y[i] * z[i][t]
			}
		}
		nb := residual()
		if !(nb < beta) { // no progress (or not finite): keep the last x
			copy(x, xSave)
			return residual()
		}
		beta = nb
	}
	return beta
}

// norm2 returns the Euclidean norm of v, scaled against overflow.
func norm2(v []float64) float64 {
	scale := normInf(v)
	if scale == 0 || math.IsInf(scale, 0) || math.IsNaN(scale) {
		return scale
	}
	s := 0.0
	for _, e := range v {
		e /= scale
		s += e * e
	}
	return scale * math.Sqrt(s)
}
