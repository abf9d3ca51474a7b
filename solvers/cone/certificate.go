package cone

import "math"

// Certificates of infeasibility, checked on the user's data.
//
// Primal infeasibility (no x has Ax + s = b with s ∈ K): a y with
//
//	Aᵀy = 0,  y ∈ K*,  bᵀy < 0,
//
// since then 0 > bᵀy = yᵀ(Ax + s) = yᵀs ≥ 0 for any feasible (x, s).
// Dual infeasibility (the objective is unbounded below when the problem
// is feasible): an x with
//
//	Qx = 0,  −Ax ∈ K,  pᵀx < 0.
//
// In the homogeneous embedding they appear as τ → 0 with κ > 0: the
// direction z (resp. x) of the iterate, unscaled, is the candidate. It is
// normalized to bᵀy = −1 (resp. pᵀx = −1) and accepted when the
// violations of the other conditions are at most ε·max(1, ‖y‖∞) (resp.
// ε·max(1, ‖x‖∞, ‖Ax‖∞)), with ε = max(Settings.Tol, 1e-9).

// infeasTol is ε of the certificates.
func (w *ipm) infeasTol() float64 { return math.Max(w.set.Tol, 1e-9) }

// infeasibility returns a checked certificate of primal infeasibility
// built from the current z, if there is one.
func (w *ipm) infeasibility() ([]float64, bool) {
	eq := w.eq
	y := make([]float64, w.m)
	for i := range y {
		y[i] = eq.e[i] * w.z[i]
	}
	by := dot(w.pb.B, y)
	if !(by < 0) {
		return nil, false
	}
	for i := range y {
		y[i] /= -by
	}
	if !finite(y) {
		return nil, false
	}
	if ok, _ := checkInfeasibleCert(w.pb, y, w.infeasTol()); !ok {
		return nil, false
	}
	return y, true
}

// unboundedness returns a checked ray of dual infeasibility built from the
// current x, if there is one.
func (w *ipm) unboundedness() ([]float64, bool) {
	eq := w.eq
	x := make([]float64, w.n)
	for j := range x {
		x[j] = eq.d[j] * w.x[j]
	}
	px := dot(w.pb.P, x)
	if !(px < 0) {
		return nil, false
	}
	for j := range x {
		x[j] /= -px
	}
	if !finite(x) {
		return nil, false
	}
	if rayFailsCheaply(w.pb, w.blocks, x, w.infeasTol()) {
		return nil, false
	}
	if ok, _ := checkUnboundedCert(w.pb, x, w.infeasTol()); !ok {
		return nil, false
	}
	return x, true
}

// rayFailsCheaply reports that x (with pᵀx = −1) is certainly not accepted
// by checkUnboundedCert with tolerance eps (blocks: those of pb.K), from a lower bound of the distance of −Ax to K
// that costs no eigenvalues: the distance of a vector to R₊ is at least
// its most negative entry, and that of a symmetric matrix to the PSD cone
// at least its most negative diagonal entry (λ_min ≤ X_ii), while the
// product's distance is at least each block's. The check of the
// certificate (an eigen-decomposition per PSD block) runs only when this
// bound does not already exceed the tolerance.
func rayFailsCheaply(pb *Problem, blocks []block, x []float64, eps float64) bool {
	_, m := pb.Dims()
	ax := make([]float64, m)
	if err := pb.A.MulVec(ax, x); err != nil {
		return false
	}
	lb := 0.0 // the largest entry of Ax that −Ax needs non-negative
	for _, bk := range blocks {
		v := ax[bk.lo:bk.hi]
		switch bk.kind {
		case bkNonneg:
			for _, t := range v {
				lb = max(lb, t)
			}
		case bkPSD:
			n, p := bk.c.(PSD).N, 0
			for j := range n {
				lb = max(lb, v[p])
				p += n - j
			}
		}
	}
	scale := math.Max(1, math.Max(normInf(x), normInf(ax)))
	return lb/scale > eps
}

// checkInfeasibleCert checks y (normalized or not) as a certificate of
// primal infeasibility with tolerance eps; it returns the largest
// relative violation.
func checkInfeasibleCert(pb *Problem, y []float64, eps float64) (bool, float64) {
	by := dot(pb.B, y)
	if !(by < 0) {
		return false, math.Inf(1)
	}
	yn := make([]float64, len(y))
	for i := range y {
		yn[i] = y[i] / -by
	}
	n, _ := pb.Dims()
	aty := make([]float64, n)
	if err := pb.A.MulTransVec(aty, yn); err != nil {
		return false, math.Inf(1)
	}
	scale := math.Max(1, normInf(yn))
	v := normInf(aty) / scale
	d, err := pb.K.Dual().Dist(yn)
	if err != nil {
		return false, math.Inf(1)
	}
	v = math.Max(v, d/scale)
	return v <= eps, v
}

// checkUnboundedCert checks x as a ray of dual infeasibility.
func checkUnboundedCert(pb *Problem, x []float64, eps float64) (bool, float64) {
	px := dot(pb.P, x)
	if !(px < 0) {
		return false, math.Inf(1)
	}
	n, m := pb.Dims()
	xn := make([]float64, n)
	for j := range x {
		xn[j] = x[j] / -px
	}
	qx := make([]float64, n)
	if pb.Q != nil {
		if err := pb.Q.MulVec(qx, xn); err != nil {
			return false, math.Inf(1)
		}
	}
	ax := make([]float64, m)
	if err := pb.A.MulVec(ax, xn); err != nil {
		return false, math.Inf(1)
	}
	for i := range ax {
		ax[i] = -ax[i]
	}
	scale := math.Max(1, math.Max(normInf(xn), normInf(ax)))
	v := normInf(qx) / scale
	d, err := pb.K.Dist(ax)
	if err != nil {
		return false, math.Inf(1)
	}
	v = math.Max(v, d/scale)
	return v <= eps, v
}
