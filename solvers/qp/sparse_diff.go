package qp

import (
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/sparse"
)

// Derivatives of SolveSparse's solution. At a solution with the active
// set S (the rows and bounds whose multiplier is nonzero, equalities
// included), the point z = (x, y, z_B) satisfies
//
//	F_x = Qx + p + Aᵀy + z_B = 0
//	F_i = a_iᵀx − t_i = 0     (i ∈ S; t_i = U_i when y_i > 0 or L_i = U_i, L_i when y_i < 0)
//	F_i = y_i = 0             (i ∉ S)
//	F_j = x_j − t_j = 0       (bound j ∈ S; t_j = UB_j or LB_j likewise)
//	F_j = z_j = 0             (j ∉ S)
//
// a smooth condition where the active set is locally constant (strict
// complementarity). Its Jacobian reduces, on S, to the symmetric
// quasi-definite
//
//	K_S = ⎡Q    A_Sᵀ  E_Sᵀ⎤
//	      ⎢A_S  0     0   ⎥
//	      ⎣E_S  0     0   ⎦
//
// (E_S the unit rows of the active bounds), factored once by sparse.LDL
// with a static regularization 1e-12·max|K_S| and iterative refinement
// against K_S itself, and reused by every VJP and JVP. The gradients with
// respect to Q and A live on the sparsity patterns of the data (see
// SparseLayout). Nonsingular K_S requires linearly independent active
// constraint gradients and Q positive definite on their null space; a
// solve whose refined residual stays above 1e-8 of its right-hand side
// returns ErrSingular.

// SparseLayout is the flat parameter vector θ of a SparseProblem with a
// fixed sparsity pattern and fixed sets of finite bounds:
//
//	θ = (Q's stored upper-triangle values, p, A's stored values,
//	     the finite L_i, the finite U_i, the finite LB_j, the finite UB_j)
//
// with Q and A in their CSC storage order and the bounds in increasing
// index (L[LIndex[k]] is entry k of its block). Infinite bounds are not
// parameters.
type SparseLayout struct {
	N, M     int
	QPattern [2][]int // column pointers and row indices of Q's upper triangle (nil: Q = 0)
	APattern [2][]int // column pointers and row indices of A (nil: no A)
	// Indices of the finite bounds.
	LIndex, UIndex, LBIndex, UBIndex []int
}

func (l *SparseLayout) nq() int {
	if l.QPattern[0] == nil {
		return 0
	}
	return len(l.QPattern[1])
}

func (l *SparseLayout) na() int {
	if l.APattern[0] == nil {
		return 0
	}
	return len(l.APattern[1])
}

// Len returns the length of θ.
func (l *SparseLayout) Len() int {
	return l.nq() + l.N + l.na() + len(l.LIndex) + len(l.UIndex) + len(l.LBIndex) + len(l.UBIndex)
}

// LenZ returns the length of z = (x, y, z_B): n + m + n.
func (l *SparseLayout) LenZ() int { return 2*l.N + l.M }

// offsets of the blocks of θ.
func (l *SparseLayout) offsets() (p, a, lo, up, lb, ub int) {
	p = l.nq()
	a = p + l.N
	lo = a + l.na()
	up = lo + len(l.LIndex)
	lb = up + len(l.UIndex)
	ub = lb + len(l.LBIndex)
	return
}

// position maps (row i, upper?) to the index of that bound in θ, −1 when
// it is infinite (not a parameter); likewise for variable bounds.
func (l *SparseLayout) positions() (pl, pu, plb, pub []int) {
	_, _, lo, up, lb, ub := l.offsets()
	mk := func(n, off int, idx []int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = -1
		}
		for k, i := range idx {
			out[i] = off + k
		}
		return out
	}
	return mk(l.M, lo, l.LIndex), mk(l.M, up, l.UIndex), mk(l.N, lb, l.LBIndex), mk(l.N, ub, l.UBIndex)
}

// Pack writes d's data into θ (d must have the layout's patterns).
func (l *SparseLayout) Pack(theta []float64, d *sparseData) {
	p, a, lo, up, lb, ub := l.offsets()
	if d.q != nil {
		_, _, v := d.q.Upper().Raw()
		copy(theta[:p], v)
	}
	copy(theta[p:a], d.p)
	if d.a != nil {
		_, _, v := d.a.Raw()
		copy(theta[a:lo], v)
	}
	for k, i := range l.LIndex {
		theta[lo+k] = d.l[i]
	}
	for k, i := range l.UIndex {
		theta[up+k] = d.u[i]
	}
	for k, j := range l.LBIndex {
		theta[lb+k] = d.lb[j]
	}
	for k, j := range l.UBIndex {
		theta[ub+k] = d.ub[j]
	}
}

// Problem returns the SparseProblem of θ (its matrices copy θ's values;
// the patterns are shared with the layout).
func (l *SparseLayout) Problem(theta []float64) (*SparseProblem, error) {
	if len(theta) != l.Len() {
		return nil, fmt.Errorf("%w: len(θ) = %d, want %d", ErrDims, len(theta), l.Len())
	}
	p, a, lo, up, lb, ub := l.offsets()
	pb := &SparseProblem{P: append([]float64(nil), theta[p:a]...)}
	if l.QPattern[0] != nil {
		q, err := sparse.NewSymCSC(l.N, l.QPattern[0], l.QPattern[1], append([]float64(nil), theta[:p]...))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		pb.Q = q
	}
	if l.APattern[0] != nil {
		am, err := sparse.NewCSC(l.M, l.N, l.APattern[0], l.APattern[1], append([]float64(nil), theta[a:lo]...))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		pb.A = am
	}
	pb.L, pb.U = fill(l.M, math.Inf(-1)), fill(l.M, math.Inf(1))
	pb.LB, pb.UB = fill(l.N, math.Inf(-1)), fill(l.N, math.Inf(1))
	for k, i := range l.LIndex {
		pb.L[i] = theta[lo+k]
	}
	for k, i := range l.UIndex {
		pb.U[i] = theta[up+k]
	}
	for k, j := range l.LBIndex {
		pb.LB[j] = theta[lb+k]
	}
	for k, j := range l.UBIndex {
		pb.UB[j] = theta[ub+k]
	}
	return pb, nil
}

// Layout returns the layout of the solution's problem.
func (s *SparseSolution) Layout() *SparseLayout {
	if s == nil || s.pb == nil {
		return &SparseLayout{}
	}
	d := s.pb
	l := &SparseLayout{N: d.n, M: d.m}
	for i := range d.m {
		if !math.IsInf(d.l[i], 0) {
			l.LIndex = append(l.LIndex, i)
		}
		if !math.IsInf(d.u[i], 0) {
			l.UIndex = append(l.UIndex, i)
		}
	}
	for j := range d.n {
		if !math.IsInf(d.lb[j], 0) {
			l.LBIndex = append(l.LBIndex, j)
		}
		if !math.IsInf(d.ub[j], 0) {
			l.UBIndex = append(l.UBIndex, j)
		}
	}
	if d.q != nil {
		cp, ri, _ := d.q.Upper().Raw()
		l.QPattern = [2][]int{cp, ri}
	}
	if d.a != nil {
		cp, ri, _ := d.a.Raw()
		l.APattern = [2][]int{cp, ri}
	}
	return l
}

// Theta returns the flat parameters of the solved problem.
func (s *SparseSolution) Theta() []float64 {
	l := s.Layout()
	theta := make([]float64, l.Len())
	if s != nil && s.pb != nil {
		l.Pack(theta, s.pb)
	}
	return theta
}

// Point returns z = (x, y, z_B).
func (s *SparseSolution) Point() []float64 {
	out := make([]float64, 0, len(s.X)+len(s.Y)+len(s.Z))
	return append(append(append(out, s.X...), s.Y...), s.Z...)
}

var _ implicit.Differentiable = (*SparseSolution)(nil)

func (s *SparseSolution) validDiff() error {
	switch {
	case s == nil || s.pb == nil:
		return fmt.Errorf("%w: nil or zero SparseSolution", ErrInvalid)
	case s.Status != Optimal:
		return fmt.Errorf("%w: the solution is not Optimal (%v): it has no derivative", ErrInvalid, s.Status)
	}
	return nil
}

// Condition returns the active-set condition of the solution (see the
// derivatives' documentation above), the point z = (x, y, z_B) and θ.
func (s *SparseSolution) Condition() (implicit.Condition, []float64, []float64) {
	l := s.Layout()
	c := &sparseCondition{l: l, actRow: s.actRow, actVar: s.actVar}
	c.pos[0], c.pos[1], c.pos[2], c.pos[3] = l.positions()
	return c, s.Point(), s.Theta()
}

// sparseCondition is the active-set condition as an implicit.Condition.
type sparseCondition struct {
	l      *SparseLayout
	pos    [4][]int // positions of L, U, LB, UB entries in θ (−1: infinite)
	actRow []int8   // per row: +1 upper (or equality), −1 lower, 0 inactive
	actVar []int8
}

func (c *sparseCondition) Dims() (int, int) { return c.l.LenZ(), c.l.Len() }

func (c *sparseCondition) Residual(dst, z, theta []float64) {
	n, m := c.l.N, c.l.M
	pb, err := c.l.Problem(theta)
	if err != nil || len(dst) != c.l.LenZ() || len(z) != c.l.LenZ() {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	x, y, zb := z[:n], z[n:n+m], z[n+m:]
	fx := dst[:n]
	clear(fx)
	if pb.Q != nil {
		_ = pb.Q.MulVec(fx, x)
	}
	for j := range n {
		fx[j] += pb.P[j] + zb[j]
	}
	if pb.A != nil {
		_ = pb.A.MulTransVecScaled(fx, 1, y, 1)
		ax := dst[n : n+m]
		_ = pb.A.MulVec(ax, x)
	}
	for i := range m {
		switch c.actRow[i] {
		case 0:
			dst[n+i] = y[i]
		case 1:
			dst[n+i] -= pb.U[i]
		default:
			dst[n+i] -= pb.L[i]
		}
	}
	for j := range n {
		switch c.actVar[j] {
		case 0:
			dst[n+m+j] = zb[j]
		case 1:
			dst[n+m+j] = x[j] - pb.UB[j]
		default:
			dst[n+m+j] = x[j] - pb.LB[j]
		}
	}
}

func (c *sparseCondition) Linearize(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
	pb, err := c.l.Problem(theta)
	if err != nil {
		return nil, nil, err
	}
	if len(z) != c.l.LenZ() {
		return nil, nil, fmt.Errorf("%w: len(z) = %d, want %d", ErrDims, len(z), c.l.LenZ())
	}
	return &sparseDz{c: c, pb: pb}, &sparseDtheta{c: c, pb: pb, z: z}, nil
}

// sparseDz is ∂F/∂z (matrix-free).
type sparseDz struct {
	c  *sparseCondition
	pb *SparseProblem
}

func (o *sparseDz) Dims() (int, int) { n := o.c.l.LenZ(); return n, n }

func (o *sparseDz) Apply(dst, v []float64) {
	n, m := o.c.l.N, o.c.l.M
	vx, vy, vz := v[:n], v[n:n+m], v[n+m:]
	fx := dst[:n]
	clear(fx)
	if o.pb.Q != nil {
		_ = o.pb.Q.MulVec(fx, vx)
	}
	for j := range n {
		fx[j] += vz[j]
	}
	if o.pb.A != nil {
		_ = o.pb.A.MulTransVecScaled(fx, 1, vy, 1)
		_ = o.pb.A.MulVec(dst[n:n+m], vx)
	}
	for i := range m {
		if o.c.actRow[i] == 0 {
			dst[n+i] = vy[i]
		}
	}
	for j := range n {
		dst[n+m+j] = vx[j]
		if o.c.actVar[j] == 0 {
			dst[n+m+j] = vz[j]
		}
	}
}

func (o *sparseDz) ApplyT(dst, u []float64) {
	n, m := o.c.l.N, o.c.l.M
	ux, uy, uz := u[:n], u[n:n+m], u[n+m:]
	dx := dst[:n]
	clear(dx)
	if o.pb.Q != nil {
		_ = o.pb.Q.MulVec(dx, ux)
	}
	act := make([]float64, m)
	for i := range m {
		if o.c.actRow[i] != 0 {
			act[i] = uy[i]
		}
	}
	if o.pb.A != nil {
		_ = o.pb.A.MulTransVecScaled(dx, 1, act, 1)
		_ = o.pb.A.MulVec(dst[n:n+m], ux)
	}
	for j := range n {
		if o.c.actVar[j] != 0 {
			dx[j] += uz[j]
		}
	}
	for i := range m {
		if o.c.actRow[i] == 0 {
			dst[n+i] += uy[i]
		}
	}
	for j := range n {
		dst[n+m+j] = ux[j]
		if o.c.actVar[j] == 0 {
			dst[n+m+j] += uz[j]
		}
	}
}

// sparseDtheta is ∂F/∂θ (matrix-free).
type sparseDtheta struct {
	c  *sparseCondition
	pb *SparseProblem
	z  []float64
}

func (o *sparseDtheta) Dims() (int, int) { return o.c.l.LenZ(), o.c.l.Len() }

// Apply sets dst = ∂F/∂θ · dθ.
func (o *sparseDtheta) Apply(dst, dth []float64) {
	l := o.c.l
	n, m := l.N, l.M
	x, y := o.z[:n], o.z[n:n+m]
	p, a, _, _, _, _ := l.offsets()
	clear(dst)
	fx := dst[:n]
	if l.QPattern[0] != nil {
		cp, ri := l.QPattern[0], l.QPattern[1]
		for j := range n {
			for k := cp[j]; k < cp[j+1]; k++ {
				i := ri[k]
				fx[i] += dth[k] * x[j]
				if i != j {
					fx[j] += dth[k] * x[i]
				}
			}
		}
	}
	for j := range n {
		fx[j] += dth[p+j]
	}
	if l.APattern[0] != nil {
		cp, ri := l.APattern[0], l.APattern[1]
		for j := range n {
			for k := cp[j]; k < cp[j+1]; k++ {
				i := ri[k]
				fx[j] += dth[a+k] * y[i]
				if o.c.actRow[i] != 0 {
					dst[n+i] += dth[a+k] * x[j]
				}
			}
		}
	}
	for i := range m {
		if k := o.c.target(i, o.c.actRow[i], 0); k >= 0 {
			dst[n+i] -= dth[k]
		}
	}
	for j := range n {
		if k := o.c.target(j, o.c.actVar[j], 2); k >= 0 {
			dst[n+m+j] = -dth[k]
		}
	}
}

// target returns the position in θ of the bound that an active row
// (block 0) or variable (block 2) is held at, −1 for none.
func (c *sparseCondition) target(i int, act int8, block int) int {
	switch act {
	case 1:
		return c.pos[block+1][i]
	case -1:
		return c.pos[block][i]
	}
	return -1
}

// ApplyT sets dst = (∂F/∂θ)ᵀ u.
func (o *sparseDtheta) ApplyT(dst, u []float64) {
	l := o.c.l
	n, m := l.N, l.M
	x, y := o.z[:n], o.z[n:n+m]
	p, a, _, _, _, _ := l.offsets()
	clear(dst)
	ux := u[:n]
	if l.QPattern[0] != nil {
		cp, ri := l.QPattern[0], l.QPattern[1]
		for j := range n {
			for k := cp[j]; k < cp[j+1]; k++ {
				i := ri[k]
				dst[k] = ux[i] * x[j]
				if i != j {
					dst[k] += ux[j] * x[i]
				}
			}
		}
	}
	copy(dst[p:a], ux)
	if l.APattern[0] != nil {
		cp, ri := l.APattern[0], l.APattern[1]
		for j := range n {
			for k := cp[j]; k < cp[j+1]; k++ {
				i := ri[k]
				v := ux[j] * y[i]
				if o.c.actRow[i] != 0 {
					v += u[n+i] * x[j]
				}
				dst[a+k] = v
			}
		}
	}
	for i := range m {
		if k := o.c.target(i, o.c.actRow[i], 0); k >= 0 {
			dst[k] = -u[n+i]
		}
	}
	for j := range n {
		if k := o.c.target(j, o.c.actVar[j], 2); k >= 0 {
			dst[k] = -u[n+m+j]
		}
	}
}

// activeKKT is the factored reduced Jacobian K_S.
type activeKKT struct {
	n, m     int
	rows     []int // active rows, in the order of K_S
	vars     []int // active bounds
	k        *sparse.SymCSC
	ldl      *sparse.LDL
	rhs, sol []float64
}

// factorActive builds and factors K_S (once per solution).
func (s *SparseSolution) factorActive() (*activeKKT, error) {
	if s.kktS != nil {
		return s.kktS, nil
	}
	d := s.pb
	n, m := d.n, d.m
	f := &activeKKT{n: n, m: m}
	for i, a := range s.actRow {
		if a != 0 {
			f.rows = append(f.rows, i)
		}
	}
	for j, a := range s.actVar {
		if a != 0 {
			f.vars = append(f.vars, j)
		}
	}
	N := n + len(f.rows) + len(f.vars)
	cp := make([]int, N+1)
	var ri []int
	var v []float64
	var qcp, qri []int
	var qv []float64
	if d.q != nil {
		qcp, qri, qv = d.q.Upper().Raw()
	}
	big := 0.0
	for j := range n {
		diag := 0.0
		if d.q != nil {
			for p := qcp[j]; p < qcp[j+1]; p++ {
				big = math.Max(big, math.Abs(qv[p]))
				if qri[p] == j {
					diag += qv[p]
					continue
				}
				ri = append(ri, qri[p])
				v = append(v, qv[p])
			}
		}
		ri = append(ri, j)
		v = append(v, diag)
		cp[j+1] = len(ri)
	}
	col := n
	for _, i := range f.rows {
		r, vals := d.at.Col(i)
		ri = append(ri, r...)
		v = append(v, vals...)
		for _, e := range vals {
			big = math.Max(big, math.Abs(e))
		}
		ri = append(ri, col)
		v = append(v, 0)
		col++
		cp[col] = len(ri)
	}
	for _, j := range f.vars {
		ri = append(ri, j, col)
		v = append(v, 1, 0)
		big = math.Max(big, 1)
		col++
		cp[col] = len(ri)
	}
	k, err := sparse.NewSymCSC(N, cp, ri, v)
	if err != nil {
		return nil, fmt.Errorf("qp: internal error building K_S: %v", err)
	}
	signs := make([]int8, N)
	for i := range signs {
		signs[i] = -1
		if i < n {
			signs[i] = 1
		}
	}
	ldl, err := sparse.NewLDL(k, signs, &sparse.LDLSettings{StaticReg: 1e-12 * math.Max(big, 1e-300), MaxIter: 20})
	if err != nil {
		return nil, fmt.Errorf("%w: the active-set KKT matrix: %v", ErrSingular, err)
	}
	f.k, f.ldl = k, ldl
	f.rhs, f.sol = make([]float64, N), make([]float64, N)
	s.kktS = f
	return f, nil
}

// solve solves K_S u = r in place of f.sol (r in f.rhs) and checks the
// refined residual.
func (f *activeKKT) solve() error {
	if err := f.ldl.Solve(f.sol, f.rhs); err != nil {
		return fmt.Errorf("%w: %v", ErrSingular, err)
	}
	st := f.ldl.Stats()
	if !(st.Residual <= 1e-8*math.Max(normInf(f.rhs), 1e-300)) {
		return fmt.Errorf("%w: the active-set KKT matrix is singular or too ill-conditioned (refined residual %.3g of %.3g): degenerate solution", ErrSingular, st.Residual, normInf(f.rhs))
	}
	return nil
}

// VJP sets dst (length Layout().Len()) to the gradient with respect to θ
// of ⟨g, z*⟩, z* = (x*, y*, z_B*) (g of length n + m + n): the module's
// contract. It solves K_S once with the solution's factorization.
func (s *SparseSolution) VJP(dst, g []float64) error {
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
	f, err := s.factorActive()
	if err != nil {
		return err
	}
	n, m := f.n, f.m
	// Jᵀλ = g on the active set: K_S (λ_x, λ_S, λ_B) = (g_x, g_S, g_B);
	// the inactive components of λ multiply rows of ∂F/∂θ that are zero.
	copy(f.rhs[:n], g[:n])
	for t, i := range f.rows {
		f.rhs[n+t] = g[n+i]
	}
	for t, j := range f.vars {
		f.rhs[n+len(f.rows)+t] = g[n+m+j]
	}
	if err := f.solve(); err != nil {
		return err
	}
	lam := make([]float64, l.LenZ())
	copy(lam[:n], f.sol[:n])
	for t, i := range f.rows {
		lam[n+i] = f.sol[n+t]
	}
	for t, j := range f.vars {
		lam[n+m+j] = f.sol[n+len(f.rows)+t]
	}
	c, z, _ := s.Condition()
	op := &sparseDtheta{c: c.(*sparseCondition), pb: nil, z: z}
	op.ApplyT(dst, lam)
	for i := range dst {
		dst[i] = -dst[i]
	}
	if !finite(dst) {
		return fmt.Errorf("%w: the gradient overflowed", ErrNaN)
	}
	return nil
}

// JVP sets dst (length n + m + n) to the derivative of z* = (x*, y*, z_B*)
// in the direction dθ (length Layout().Len()).
func (s *SparseSolution) JVP(dst, dtheta []float64) error {
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
	f, err := s.factorActive()
	if err != nil {
		return err
	}
	n, m := f.n, f.m
	c, z, _ := s.Condition()
	op := &sparseDtheta{c: c.(*sparseCondition), z: z}
	r := make([]float64, l.LenZ())
	op.Apply(r, dtheta)
	for i := range f.rhs {
		f.rhs[i] = 0
	}
	for j := range n {
		f.rhs[j] = -r[j]
	}
	for t, i := range f.rows {
		f.rhs[n+t] = -r[n+i]
	}
	for t, j := range f.vars {
		f.rhs[n+len(f.rows)+t] = -r[n+m+j]
	}
	if err := f.solve(); err != nil {
		return err
	}
	clear(dst)
	copy(dst[:n], f.sol[:n])
	for t, i := range f.rows {
		dst[n+i] = f.sol[n+t]
	}
	for t, j := range f.vars {
		dst[n+m+j] = f.sol[n+len(f.rows)+t]
	}
	if !finite(dst) {
		return fmt.Errorf("%w: the derivative overflowed", ErrNaN)
	}
	return nil
}
