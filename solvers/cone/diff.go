package cone

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/sparse"
)

// Tangent is a directional derivative of the solution (x*, y*, s*).
type Tangent struct {
	X, Y, S []float64
}

// diffFactor is the factored K of a solution.
type diffFactor struct {
	l     *Layout
	x, yp []float64 // the solution's x and Π_{K*}(y − s)
	a     []float64 // A's stored values
	// Directions: per block of K, either diagonal (vec nil) or the
	// eigenvectors (column t of vec[b] is the direction off[b] + t).
	off  []int
	vec  []*mat.Dense
	c, e []float64 // per direction
	ldl  *sparse.LDL
	rhs  []float64
	sol  []float64
}

func (s *Solution) validDiff() error {
	switch {
	case s == nil || s.pb == nil:
		return fmt.Errorf("%w: nil Solution or one not returned by Solve: no derivative", ErrInvalid)
	case s.Status != Optimal:
		return fmt.Errorf("%w: the solution is %v, not Optimal: it has no derivative", ErrSingular, s.Status)
	}
	n, m := s.pb.Dims()
	if len(s.X) != n || len(s.Y) != m || len(s.S) != m {
		return fmt.Errorf("%w: solution of lengths %d, %d, %d for a problem with n = %d, m = %d", ErrDims, len(s.X), len(s.Y), len(s.S), n, m)
	}
	if !finite(s.X) || !finite(s.Y) || !finite(s.S) {
		return fmt.Errorf("%w: in the solution", ErrNaN)
	}
	return nil
}

// factor returns the solution's factored K, built on first use.
func (s *Solution) factor() (*diffFactor, error) {
	if s.diff != nil {
		return s.diff, nil
	}
	l, err := NewLayout(s.pb)
	if err != nil {
		return nil, err
	}
	theta, err := l.Theta(s.pb)
	if err != nil {
		return nil, err
	}
	if !finite(theta) {
		return nil, fmt.Errorf("%w: in the problem data", ErrNaN)
	}
	f, err := newDiffFactor(l, s.X, s.Y, s.S, theta)
	if err != nil {
		return nil, err
	}
	s.diff = f
	return f, nil
}

// blockEigen sets dstar to the eigenvalues of D* = DΠ_K(v) (K a block of
// the dual cone, yp = Π_K(v)) and returns its eigenvectors as the columns
// of a matrix, or nil when D* is diagonal (dstar is then its diagonal):
// in closed form for the orthant, zero, free and second-order cones and
// the PSD cone (one eigendecomposition of v), from D*'s columns (JVPs of
// unit vectors, symmetrized) and a dense eigendecomposition otherwise.
func blockEigen(k Cone, dstar, yp, v []float64) (*mat.Dense, error) {
	d := len(v)
	switch c := k.(type) {
	case Zero, Free, Nonnegative:
		one := make([]float64, d)
		for i := range one {
			one[i] = 1
		}
		return nil, k.JVP(dstar, yp, v, one)
	case SecondOrder:
		return socEigen(dstar, v), nil
	case PSD:
		return psdEigen(c, dstar, v)
	}
	dm := mat.NewSymDense(d, nil)
	unit := make([]float64, d)
	cols := make([][]float64, d)
	for t := range d {
		clear(unit)
		unit[t] = 1
		cols[t] = make([]float64, d)
		if err := k.JVP(cols[t], yp, v, unit); err != nil {
			return nil, err
		}
	}
	for i := range d {
		for j := i; j < d; j++ {
			dm.SetSym(i, j, 0.5*(cols[j][i]+cols[i][j]))
		}
	}
	lam, vecs, err := eigSym(dm, true)
	if err != nil {
		return nil, err
	}
	copy(dstar, lam)
	return vecs, nil
}

// socEigen: DΠ of the second-order cone at v = (t, x) (the cases of
// SecondOrder.JVP) is I for ‖x‖ ≤ t, 0 for ‖x‖ ≤ −t, and otherwise has
// the eigenvectors (1, x̄)/√2 (eigenvalue 1), (−1, x̄)/√2 (0) and (0, u),
// u ⊥ x̄ ((1 + t/‖x‖)/2), with x̄ = x/‖x‖ and the u from the Householder
// reflection that maps e₁ to x̄.
func socEigen(dstar, v []float64) *mat.Dense {
	d := len(v)
	t, nx := v[0], nrm2(v[1:])
	switch {
	case nx <= t:
		for i := range dstar {
			dstar[i] = 1
		}
		return nil
	case nx <= -t:
		clear(dstar)
		return nil
	}
	vec := mat.NewDense(d, d, nil)
	xb := make([]float64, d-1)
	for i := range xb {
		xb[i] = v[1+i] / nx
	}
	inv := 1 / math.Sqrt2
	vec.Set(0, 0, inv)
	vec.Set(0, 1, -inv)
	for i, x := range xb {
		vec.Set(1+i, 0, inv*x)
		vec.Set(1+i, 1, inv*x)
	}
	dstar[0], dstar[1] = 1, 0
	// H = I − 2wwᵀ/⟨w, w⟩, w = x̄ − σe₁ with σ = −sign(x̄₁) (no
	// cancellation): H e₁ = σ x̄, so H's columns 2… span x̄⊥.
	w := append([]float64(nil), xb...)
	sg := -1.0
	if w[0] < 0 {
		sg = 1
	}
	w[0] -= sg
	ww := dot(w, w)
	rho := 0.5 * (1 + t/nx)
	for c := 1; c < d-1; c++ {
		for i := range d - 1 {
			h := -2 * w[i] * w[c] / ww
			if i == c {
				h++
			}
			vec.Set(1+i, 1+c, h)
		}
		dstar[1+c] = rho
	}
	return vec
}

// psdEigen: with smat(v) = QΛQᵀ, DΠ[V] = Q(B ⊙ QᵀVQ)Qᵀ (PSD.JVP) has the
// eigenvectors svec(qᵢqᵢᵀ) and svec((qᵢqⱼᵀ + qⱼqᵢᵀ)/√2) (i < j) with the
// eigenvalues Bᵢⱼ.
func psdEigen(k PSD, dstar, v []float64) (*mat.Dense, error) {
	lam, q, err := k.eig(v)
	if err != nil {
		return nil, err
	}
	n := k.N
	d := len(v)
	vec := mat.NewDense(d, d, nil)
	col := 0
	for j := range n {
		for i := j; i < n; i++ {
			li, lj := lam[i], lam[j]
			switch {
			case li > 0 && lj > 0:
				dstar[col] = 1
			case li <= 0 && lj <= 0:
				dstar[col] = 0
			default:
				dstar[col] = (max(li, 0) - max(lj, 0)) / (li - lj)
			}
			sc := 1 / math.Sqrt2
			if i == j {
				sc = 0.5
			}
			// svec entry (r, c), r ≥ c, of sc·(qᵢqⱼᵀ + qⱼqᵢᵀ).
			p := 0
			for c := range n {
				for r := c; r < n; r++ {
					e := sc * (q.At(r, i)*q.At(c, j) + q.At(r, j)*q.At(c, i))
					if r != c {
						e *= math.Sqrt2
					}
					vec.Set(p, col, e)
					p++
				}
			}
			col++
		}
	}
	return vec, nil
}

func newDiffFactor(l *Layout, x, y, s, theta []float64) (*diffFactor, error) {
	n, m := l.N, l.M
	c, err := l.Condition()
	if err != nil {
		return nil, err
	}
	rm := c.(*residualMap)
	z := make([]float64, 0, n+2*m)
	z = append(append(append(z, x...), y...), s...)
	pt, err := rm.at(z, theta)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSingular, err)
	}
	q, _, a, _, _ := l.Parts(theta)
	f := &diffFactor{l: l, x: pt.x, yp: pt.yp, a: a, off: rm.dual.Offsets(),
		c: make([]float64, m), e: make([]float64, m)}
	cones := rm.dual.Cones()
	f.vec = make([]*mat.Dense, len(cones))
	dstar := make([]float64, m) // eigenvalues of D*
	for b, k := range cones {
		lo, hi := f.off[b], f.off[b+1]
		vec, err := blockEigen(k, dstar[lo:hi], pt.yp[lo:hi], pt.v[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("%w: block %d: %v", ErrSingular, b, err)
		}
		f.vec[b] = vec
	}
	for i, ds := range dstar {
		ds = math.Min(1, math.Max(0, ds))
		switch {
		case ds == 0:
			f.c[i], f.e[i] = 0, 1 // dyᵢ = 0: a decoupled row
		case 1-ds <= ds: // hᵢ ≤ 1
			f.c[i], f.e[i] = 1, (1-ds)/ds
		default: // hᵢ > 1: cᵢ = 1/√hᵢ
			f.c[i], f.e[i] = math.Sqrt(ds/(1-ds)), 1
		}
	}
	if err := f.assemble(q, a); err != nil {
		return nil, err
	}
	f.rhs, f.sol = make([]float64, n+m), make([]float64, n+m)
	return f, nil
}

// assemble builds and factors K.
func (f *diffFactor) assemble(q, a []float64) error {
	l := f.l
	n, m := l.N, l.M
	var ri, ci []int
	var vals []float64
	add := func(i, j int, v float64) {
		ri, ci, vals = append(ri, i), append(ci, j), append(vals, v)
	}
	big := 0.0
	if cp := l.QPattern[0]; cp != nil {
		rq := l.QPattern[1]
		for j := range n {
			for k := cp[j]; k < cp[j+1]; k++ {
				add(rq[k], j, q[k])
				big = math.Max(big, math.Abs(q[k]))
			}
		}
	}
	for j := range n {
		add(j, j, 0) // every diagonal entry present
	}
	for r := range m {
		add(n+r, n+r, -f.e[r])
		big = math.Max(big, f.e[r])
	}
	// Rows CVᵀA: column by column of A, block by block.
	blockOf := make([]int, m)
	for b := range f.vec {
		for i := f.off[b]; i < f.off[b+1]; i++ {
			blockOf[i] = b
		}
	}
	if cp := l.APattern[0]; cp != nil {
		ra := l.APattern[1]
		acc := make([][]float64, len(f.vec)) // dense block parts of column j
		touched := make([]bool, len(f.vec))
		var list []int
		for j := range n {
			list = list[:0]
			for k := cp[j]; k < cp[j+1]; k++ {
				i, v := ra[k], a[k]
				big = math.Max(big, math.Abs(v))
				b := blockOf[i]
				if f.vec[b] == nil {
					if f.c[i] != 0 && v != 0 {
						add(j, n+i, f.c[i]*v)
					}
					continue
				}
				if !touched[b] {
					touched[b] = true
					list = append(list, b)
					if acc[b] == nil {
						acc[b] = make([]float64, f.off[b+1]-f.off[b])
					}
					clear(acc[b])
				}
				acc[b][i-f.off[b]] += v
			}
			for _, b := range list {
				touched[b] = false
				vb := f.vec[b]
				d := f.off[b+1] - f.off[b]
				for t := range d {
					r := f.off[b] + t
					if f.c[r] == 0 {
						continue
					}
					sum := 0.0
					for i, v := range acc[b] {
						if v != 0 {
							sum += vb.At(i, t) * v
						}
					}
					if sum != 0 {
						add(j, n+r, f.c[r]*sum)
					}
				}
			}
		}
	}
	k, err := sparse.SymFromTriplets(n+m, ri, ci, vals, nil)
	if err != nil {
		return fmt.Errorf("%w: building the derivative's KKT matrix: %v", ErrNaN, err)
	}
	signs := make([]int8, n+m)
	for i := range signs {
		signs[i] = -1
		if i < n {
			signs[i] = 1
		}
	}
	ldl, err := sparse.NewLDL(k, signs, &sparse.LDLSettings{StaticReg: 1e-8 * math.Max(big, 1e-300), MaxIter: 50, Workers: 1})
	if err != nil {
		return fmt.Errorf("%w: the derivative's KKT matrix: %v", ErrSingular, err)
	}
	f.ldl = ldl
	return nil
}

// solve solves K sol = rhs (rhs is overwritten) and checks the refined
// residual. The right-hand side is scaled to unit ∞-norm first, so that
// cotangents near the limits of float64 neither overflow inside the
// factors nor underflow below the residual test; an overflow of the
// scaled-back solution is ErrNaN.
func (f *diffFactor) solve() error {
	sc := diffNormInf(f.rhs)
	if sc == 0 {
		clear(f.sol)
		return nil
	}
	for i := range f.rhs {
		f.rhs[i] /= sc
	}
	if err := f.ldl.Solve(f.sol, f.rhs); err != nil {
		return fmt.Errorf("%w: %v", ErrSingular, err)
	}
	if res := f.ldl.Stats().Residual; !(res <= 1e-8) {
		return fmt.Errorf("%w: the derivative's KKT matrix is singular or too ill-conditioned (refined residual %.3g of a unit right-hand side): a degenerate or non-unique solution", ErrSingular, res)
	}
	for i := range f.sol {
		f.sol[i] *= sc
	}
	if !finite(f.sol) {
		return fmt.Errorf("%w: the derivative overflowed", ErrNaN)
	}
	return nil
}

// toDirections sets dst (length m) to CVᵀu.
func (f *diffFactor) toDirections(dst, u []float64) {
	for b, vb := range f.vec {
		lo, hi := f.off[b], f.off[b+1]
		if vb == nil {
			for i := lo; i < hi; i++ {
				dst[i] = f.c[i] * u[i]
			}
			continue
		}
		d := hi - lo
		for t := range d {
			sum := 0.0
			for i := range d {
				sum += vb.At(i, t) * u[lo+i]
			}
			dst[lo+t] = f.c[lo+t] * sum
		}
	}
}

// fromDirections sets dst (length m) to VCω.
func (f *diffFactor) fromDirections(dst, w []float64) {
	for b, vb := range f.vec {
		lo, hi := f.off[b], f.off[b+1]
		if vb == nil {
			for i := lo; i < hi; i++ {
				dst[i] = f.c[i] * w[i]
			}
			continue
		}
		d := hi - lo
		for i := range d {
			sum := 0.0
			for t := range d {
				sum += vb.At(i, t) * f.c[lo+t] * w[lo+t]
			}
			dst[lo+i] = sum
		}
	}
}

// VJP sets dst (length Layout().Len()) to the gradient with respect to θ
// of ⟨g, z*⟩, z* = (x*, y*, s*), for g of length n + 2m: the module's
// contract (implicit.Differentiable). It solves once with the solution's
// factored KKT matrix (factored on the first call and kept). A Solution
// that is not Optimal has no derivative (ErrSingular); wrong lengths are
// ErrDims and NaN or ±Inf in g ErrNaN. The derivative methods of one
// Solution are not safe for concurrent use.
//
// # The direct route
//
// Solution's VJP and JVP differentiate the linearized optimality
// conditions
//
//	Q dx + Aᵀ dy = −(dQ x + dp + dAᵀ y),   A dx + ds = −(dA x − db),
//
// with the complementarity (s, y) ∈ K × K*, ⟨s, y⟩ = 0 linearized in the
// projection form s = Π_K(s − y), y = Π_{K*}(y − s): with v = y − s and
// D* = DΠ_{K*}(v) (the element documented on each dual cone; see the
// residual map in condition.go), dy = D* dv and ds = −(I − D*) dv. This is
// the linearization of the residual-map condition, solved in a different
// way: D* is symmetric with eigenvalues d*ᵢ ∈ [0, 1] (the derivative of a
// projection onto a convex set), and in its eigenbasis, block by block
// (orthant and zero blocks are diagonal; the other blocks are
// eigendecomposed densely), complementarity reads dsᵢ = −hᵢ dyᵢ with
// hᵢ = (1 − d*ᵢ)/d*ᵢ ∈ [0, ∞]. Each direction i gets a row of the
// symmetric quasi-definite
//
//	K = ⎡Q      AᵀVC⎤      (V the eigenvectors, C = diag(cᵢ), E = diag(eᵢ))
//	    ⎣CVᵀA   −E  ⎦
//
// with (cᵢ, eᵢ) = (1, hᵢ) when hᵢ ≤ 1 (the unknown is Vᵢᵀdy) and
// (cᵢ, eᵢ) = (1/√hᵢ, 1) when hᵢ > 1 (the unknown is Vᵢᵀdy/cᵢ), so that no
// entry is larger than the data: K (dx, ω) = −(r_x, CVᵀr_y), then
// dy = VCω and ds = −r_y − A dx. On an LP, hᵢ is 0 on the active rows and
// ∞ (cᵢ = 0, a decoupled row) on the inactive ones, and K is the
// active-set KKT matrix of qp.SparseSolution. For the symmetric cones at a
// strictly complementary solution this is the same tangent space as the
// linearization of s ∘ y = 0 in the Jordan algebra (y ∘ ds + s ∘ dy = 0,
// tested); the projection form is used because it gives a symmetric
// system for sparse.LDL and is defined at degenerate points too.
//
// K is factored once per Solution by sparse.NewLDL (signs +1 on x, −1 on
// the directions, static regularization 1e-12·max|K| and iterative
// refinement against K itself) and reused by every VJP and JVP; a solve
// whose refined residual stays above 1e-8 of its right-hand side is
// ErrSingular. K is nonsingular when the solution is unique and
// nondegenerate (Q plus the contribution of the active directions positive
// definite on the null space of the active constraints, whose gradients
// are linearly independent).
//
// The reverse mode solves K w = (g_x − Aᵀg_s, CVᵀg_y) for a cotangent
// g = (g_x, g_y, g_s) and, with w_y = VCw_ω + g_s, returns
//
//	∂/∂Qᵢⱼ = −(w_xᵢ xⱼ + w_xⱼ xᵢ) (i < j),  −w_xᵢ xᵢ (i = j),   ∂/∂p = −w_x,
//	∂/∂Aᵢⱼ = −(yᵢ w_xⱼ + w_yᵢ xⱼ),                               ∂/∂b = w_y,
//
// on the stored entries of Q (upper triangle) and A only, where y is
// Π_{K*}(y − s) (= y at an exact solution): sparse data give sparse
// gradients, never a dense n×m.
func (s *Solution) VJP(dst, g []float64) error {
	return s.VJPContext(context.Background(), dst, g)
}

// VJPContext is VJP stopping with ctx.Err() when ctx is done before the
// factorization or the solve.
func (s *Solution) VJPContext(ctx context.Context, dst, g []float64) error {
	if err := s.validDiff(); err != nil {
		return err
	}
	l := s.Layout()
	if len(dst) != l.Len() || len(g) != l.LenZ() {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d (want %d and %d)", ErrDims, len(dst), len(g), l.Len(), l.LenZ())
	}
	if !finite(g) {
		return fmt.Errorf("%w: in the cotangent", ErrNaN)
	}
	w, err := s.adjoint(ctx, g)
	if err != nil {
		return err
	}
	f := s.diff
	n, m := l.N, l.M
	gq, gp, ga, gb, _ := l.Parts(dst)
	wx, wy := w[:n], w[n:n+m]
	l.outerQ(gq, wx, f.x)
	l.outerA(ga, f.yp, wx, wy, f.x)
	for j := range n {
		gp[j] = -wx[j]
	}
	for k := range gq {
		gq[k] = -gq[k]
	}
	for k := range ga {
		ga[k] = -ga[k]
	}
	copy(gb, wy)
	if !finite(dst) {
		return fmt.Errorf("%w: the gradient overflowed", ErrNaN)
	}
	return nil
}

// adjoint returns (w_x, w_y) of the reverse mode for g = (g_x, g_y, g_s).
func (s *Solution) adjoint(ctx context.Context, g []float64) ([]float64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := s.factor()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := f.l
	n, m := l.N, l.M
	gx, gy, gs := g[:n], g[n:n+m], g[n+m:]
	copy(f.rhs[:n], gx)
	neg := make([]float64, m)
	for i := range m {
		neg[i] = -gs[i]
	}
	l.mulAT(f.rhs[:n], f.a, neg)
	f.toDirections(f.rhs[n:], gy)
	if err := f.solve(); err != nil {
		return nil, err
	}
	w := make([]float64, n+m)
	copy(w[:n], f.sol[:n])
	f.fromDirections(w[n:], f.sol[n:])
	for i := range m {
		w[n+i] += gs[i]
	}
	return w, nil
}

// JVP sets dst (length n + 2m) to the derivative of z* = (x*, y*, s*) in
// the direction dθ (length Layout().Len()): the module's contract. Errors
// as VJP's.
func (s *Solution) JVP(dst, dtheta []float64) error {
	return s.JVPContext(context.Background(), dst, dtheta)
}

// JVPContext is JVP stopping with ctx.Err() when ctx is done before the
// factorization or the solve.
func (s *Solution) JVPContext(ctx context.Context, dst, dtheta []float64) error {
	if err := s.validDiff(); err != nil {
		return err
	}
	l := s.Layout()
	if len(dst) != l.LenZ() || len(dtheta) != l.Len() {
		return fmt.Errorf("%w: JVP into %d entries along %d (want %d and %d)", ErrDims, len(dst), len(dtheta), l.LenZ(), l.Len())
	}
	if !finite(dtheta) {
		return fmt.Errorf("%w: in the direction", ErrNaN)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := s.factor()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	n, m := l.N, l.M
	dq, dp, da, db, _ := l.Parts(dtheta)
	// r = (dQ x + dp + dAᵀ y, dA x − db).
	rx, ry := make([]float64, n), make([]float64, m)
	copy(rx, dp)
	l.mulQ(rx, dq, f.x)
	l.mulAT(rx, da, f.yp)
	for i := range m {
		ry[i] = -db[i]
	}
	l.mulA(ry, da, f.x)
	for j := range n {
		f.rhs[j] = -rx[j]
	}
	f.toDirections(f.rhs[n:], ry)
	for i := range m {
		f.rhs[n+i] = -f.rhs[n+i]
	}
	if err := f.solve(); err != nil {
		return err
	}
	dx, dy, ds := dst[:n], dst[n:n+m], dst[n+m:]
	copy(dx, f.sol[:n])
	f.fromDirections(dy, f.sol[n:])
	for i := range m {
		ds[i] = -ry[i]
	}
	neg := make([]float64, n)
	for j := range n {
		neg[j] = -dx[j]
	}
	l.mulA(ds, f.a, neg)
	if !finite(dst) {
		return fmt.Errorf("%w: the derivative overflowed", ErrNaN)
	}
	return nil
}

// Backward returns the gradient of a scalar loss ℓ(x*, y*, s*) with
// respect to the problem's data, given the cotangents gx = ∂ℓ/∂x* and,
// optionally (nil for zero), gy = ∂ℓ/∂y* and gs = ∂ℓ/∂s*: VJP in typed
// form, Q and A on the problem's sparsity patterns.
func (s *Solution) Backward(gx, gy, gs []float64) (*Gradient, error) {
	if err := s.validDiff(); err != nil {
		return nil, err
	}
	l := s.Layout()
	n, m := l.N, l.M
	if len(gx) != n || (gy != nil && len(gy) != m) || (gs != nil && len(gs) != m) {
		return nil, fmt.Errorf("%w: cotangents of lengths %d, %d, %d for n = %d, m = %d", ErrDims, len(gx), len(gy), len(gs), n, m)
	}
	g := make([]float64, l.LenZ())
	copy(g, gx)
	copy(g[n:], gy)
	copy(g[n+m:], gs)
	out := make([]float64, l.Len())
	if err := s.VJP(out, g); err != nil {
		return nil, err
	}
	return l.Gradient(out)
}

// Tangent returns the directional derivative of (x*, y*, s*) when the data
// move along d, a Problem of perturbations (dQ, dp, dA, db) on the solved
// problem's patterns; nil Q, A, P or B mean zero (K is ignored). A nil d
// is the zero direction.
func (s *Solution) Tangent(d *Problem) (*Tangent, error) {
	if err := s.validDiff(); err != nil {
		return nil, err
	}
	l := s.Layout()
	n, m := l.N, l.M
	dtheta := make([]float64, l.Len())
	if d != nil {
		dq, dp, da, db, _ := l.Parts(dtheta)
		if d.Q != nil {
			cp, ri, v := d.Q.Upper().Raw()
			if !samePattern(l.QPattern, cp, ri) || d.Q.SymmetricDim() != n {
				return nil, fmt.Errorf("%w: dQ's pattern differs from Q's", ErrDims)
			}
			copy(dq, v)
		}
		if d.A != nil {
			cp, ri, v := d.A.Raw()
			if r, c := d.A.Dims(); r != m || c != n || !samePattern(l.APattern, cp, ri) {
				return nil, fmt.Errorf("%w: dA's shape or pattern differs from A's", ErrDims)
			}
			copy(da, v)
		}
		if d.P != nil {
			if len(d.P) != n {
				return nil, fmt.Errorf("%w: len(dp) = %d, want %d", ErrDims, len(d.P), n)
			}
			copy(dp, d.P)
		}
		if d.B != nil {
			if len(d.B) != m {
				return nil, fmt.Errorf("%w: len(db) = %d, want %d", ErrDims, len(d.B), m)
			}
			copy(db, d.B)
		}
	}
	z := make([]float64, l.LenZ())
	if err := s.JVP(z, dtheta); err != nil {
		return nil, err
	}
	return &Tangent{X: z[:n:n], Y: z[n : n+m : n+m], S: z[n+m:]}, nil
}

var _ implicit.ContextDifferentiable = (*Solution)(nil)

func diffNormInf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
