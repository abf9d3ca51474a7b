package sinkhorn

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Grad holds a gradient with respect to the inputs of a problem: C for a
// cost-matrix problem, X and Y for a point-cloud problem, and the marginal
// weights A and B. ε is held fixed (a relative ε is frozen at its solved
// absolute value).
type Grad struct {
	C    *mat.Dense
	X, Y *mat.Dense
	A, B []float64
}

// weightedCost turns a cost cotangent W (n×m, row-major) into a Grad: W
// itself for a cost-matrix problem, Σ_j W_ij ∇ₓc(x_i, y_j) and
// Σ_i W_ij ∇ᵧc(x_i, y_j) for point clouds.
func weightedCost(p *prepared, w []float64, out *Grad) {
	n, m := p.n, p.m
	g := p.geom
	if !p.points {
		out.C = mat.NewDense(n, m, w)
		return
	}
	d := g.d
	dx, dy := make([]float64, n*d), make([]float64, m*d)
	if g.sq {
		// Σ_j W_ij 2(x_i − y_j) = 2(r_i x_i − (W Y)_i); similarly for y.
		for i := range n {
			xi := g.x[i*d : (i+1)*d]
			gi := dx[i*d : (i+1)*d]
			var ri float64
			for j := range m {
				wij := w[i*m+j]
				if wij == 0 {
					continue
				}
				ri += wij
				yj := g.y[j*d : (j+1)*d]
				gj := dy[j*d : (j+1)*d]
				for k := range d {
					gi[k] -= 2 * wij * yj[k]
					gj[k] += 2 * wij * (yj[k] - xi[k])
				}
			}
			for k := range d {
				gi[k] += 2 * ri * xi[k]
			}
		}
	} else {
		gx, gy := make([]float64, d), make([]float64, d)
		for i := range n {
			xi := g.x[i*d : (i+1)*d]
			for j := range m {
				wij := w[i*m+j]
				if wij == 0 {
					continue
				}
				yj := g.y[j*d : (j+1)*d]
				g.pc.Grad(gx, gy, xi, yj)
				for k := range d {
					dx[i*d+k] += wij * gx[k]
					dy[j*d+k] += wij * gy[k]
				}
			}
		}
	}
	out.X, out.Y = mat.NewDense(n, d, dx), mat.NewDense(m, d, dy)
}

// costValues returns the n×m cost matrix (stored or computed).
func costValues(p *prepared) []float64 {
	if p.geom.c != nil {
		return p.geom.c
	}
	c := make([]float64, p.n*p.m)
	for i0 := 0; i0 < p.n; i0 += blockRows {
		i1 := min(i0+blockRows, p.n)
		copy(c[i0*p.m:i1*p.m], p.geom.rows(i0, i1, c[i0*p.m:i1*p.m]))
	}
	return c
}

// target returns t(f) = 1 for a hard constraint and e^{−f/τ} for a KL
// penalty, and its derivative.
func target(f, tau float64) (t, dt float64) {
	if math.IsInf(tau, 1) {
		return 1, 0
	}
	t = math.Exp(-f / tau)
	return t, -t / tau
}

// CostGrad returns the gradient of the regularized OT cost with respect to
// the cost (or the points) and the weights by the envelope theorem
// (Danskin): at optimal potentials, ∂OT_ε/∂C = P and
// ∂OT_ε/∂a_i = φ_a(f_i) − ε(Σ_j b_j e^{(f_i+g_j−C_ij)/ε} − ⟨b,1⟩),
// and similarly for b. It costs one pass over the plan and is exact up to
// the solve's tolerance (the error is of the order of the marginal error).
// For a balanced problem only mass-preserving changes of a and b are
// meaningful: the gradients are determined up to adding the same constant
// to both. At a point of zero mass (aᵢ = 0) the entry is the derivative of
// adding mass there, taken at the potential that maximizes the dual for
// that point (its c-transform against the other side), whatever potential
// the solve returned for it.
func (r *Result) CostGrad() *Grad {
	p := r.p
	g := p.geom
	n, m, d := p.n, p.m, g.d
	out := &Grad{A: make([]float64, n), B: make([]float64, m)}
	rowSum := make([]float64, n)
	colAcc := make([][]float64, planChunks(n))
	dyAcc := make([][]float64, planChunks(n))
	for w := range colAcc {
		colAcc[w] = make([]float64, m)
		if p.points {
			dyAcc[w] = make([]float64, m*d)
		}
	}
	var dx []float64
	if p.points {
		dx = make([]float64, n*d)
	} else {
		out.C = mat.NewDense(n, m, nil)
	}
	gradBufs := make([][]float64, planChunks(n))
	for w := range gradBufs {
		gradBufs[w] = make([]float64, 2*d)
	}
	// One pass over the plan, row by row: the plan is never stored for
	// point clouds.
	r.planRows(func(w, i int, row []float64) {
		var s float64
		ca := colAcc[w]
		for j, pij := range row {
			s += pij
			ca[j] += pij
		}
		rowSum[i] = s
		if !p.points {
			copy(out.C.RawRowView(i), row)
			return
		}
		xi := g.x[i*d : (i+1)*d]
		gi := dx[i*d : (i+1)*d]
		dy := dyAcc[w]
		if g.sq {
			// Σ_j P_ij 2(x_i − y_j) = 2(r_i x_i − (P Y)_i).
			for j, pij := range row {
				if pij == 0 {
					continue
				}
				yj := g.y[j*d : (j+1)*d]
				gj := dy[j*d : (j+1)*d]
				for k := range d {
					gi[k] -= 2 * pij * yj[k]
					gj[k] += 2 * pij * (yj[k] - xi[k])
				}
			}
			for k := range d {
				gi[k] += 2 * s * xi[k]
			}
			return
		}
		gx, gy := gradBufs[w][:d], gradBufs[w][d:]
		for j, pij := range row {
			if pij == 0 {
				continue
			}
			yj := g.y[j*d : (j+1)*d]
			g.pc.Grad(gx, gy, xi, yj)
			for k := range d {
				gi[k] += pij * gx[k]
				dy[j*d+k] += pij * gy[k]
			}
		}
	})
	colSum := colAcc[0]
	for _, ca := range colAcc[1:] {
		for j := range colSum {
			colSum[j] += ca[j]
		}
	}
	for i := range n {
		if p.a[i] == 0 {
			out.A[i] = zeroMassGrad(p.eps, p.tauA, p.massB, m, func(j int) (float64, float64) { return p.b[j], r.G[j] - g.at(i, j) })
			continue
		}
		// Σ_j b_j e^{(f_i+g_j−C_ij)/ε} = (P1)_i / a_i.
		out.A[i] = phi(r.F[i], p.tauA) - p.eps*(rowSum[i]/p.a[i]-p.massB)
	}
	for j := range m {
		if p.b[j] == 0 {
			out.B[j] = zeroMassGrad(p.eps, p.tauB, p.massA, n, func(i int) (float64, float64) { return p.a[i], r.F[i] - g.at(i, j) })
			continue
		}
		out.B[j] = phi(r.G[j], p.tauB) - p.eps*(colSum[j]/p.b[j]-p.massA)
	}
	if p.points {
		dy := dyAcc[0]
		for _, a := range dyAcc[1:] {
			for k := range dy {
				dy[k] += a[k]
			}
		}
		out.X, out.Y = mat.NewDense(n, d, dx), mat.NewDense(m, d, dy)
	}
	return out
}

// zeroMassGrad is ∂OT_ε/∂a_i at a point of zero mass a_i = 0 (or the same
// for b_j): the derivative of adding mass there. OT_ε does not depend on
// f_i when a_i = 0, so the potential the solve returns for it is
// arbitrary, and by Danskin's theorem the right derivative takes the f_i
// that maximizes φ(f_i) − ε Σ_j b_j e^{(f_i+g_j−C_ij)/ε}: with the
// c-transform h = −ε log Σ_j b_j e^{(g_j−C_ij)/ε} it is f̂ = h (hard
// marginal) or f̂ = τh/(τ+ε) (KL penalty τ), where the sum is
// s = e^{(f̂−h)/ε} = 1 or e^{−h/(τ+ε)}, so
//
//	∂OT_ε/∂a_i = φ(f̂) − ε(s − ⟨b,1⟩).
//
// Computing s from the returned f_i instead divides that potential's
// rounding error by ε (an overflow at small ε) and multiplies zero
// weights by it (NaN). term(j) returns (b_j, g_j − C_ij); the log-sum is
// taken over the b_j > 0 only.
func zeroMassGrad(eps, tau, mass float64, k int, term func(j int) (w, v float64)) float64 {
	// h = −v̄ − ε log Σ_j b_j e^{(v_j−v̄)/ε}, v̄ = max v_j: no exponent is
	// positive and the largest term is b_j > 0, whatever ε.
	top := math.Inf(-1)
	for j := range k {
		if w, v := term(j); w > 0 {
			top = max(top, v)
		}
	}
	var sum float64
	for j := range k {
		if w, v := term(j); w > 0 {
			sum += w * math.Exp((v-top)/eps)
		}
	}
	h := -top - eps*math.Log(sum)
	if math.IsInf(tau, 1) {
		return h - eps*(1-mass)
	}
	return phi(tau*h/(tau+eps), tau) - eps*(math.Exp(-h/(tau+eps))-mass)
}
