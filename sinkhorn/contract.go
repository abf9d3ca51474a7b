package sinkhorn

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

var _ implicit.Differentiable = (*Result)(nil)

// Condition returns the optimality condition of r's problem (see the type
// Condition) with its point z = (f, g) ∈ R^{n+m}, the gauge-fixed
// potentials of Potentials, and θ in the condition's layout: (C row-major,
// a, b) for a cost-matrix problem, (X row-major, Y row-major, a, b) for a
// point-cloud problem, ε fixed; fresh copies. It is the module's contract
// (implicit.Differentiable); ConditionWith gives the typed condition with
// chosen DiffSettings.
func (r *Result) Condition() (implicit.Condition, []float64, []float64) {
	if r == nil || r.p == nil {
		return nil, nil, nil
	}
	c := r.ConditionWith(nil)
	return c, r.Potentials(), c.Theta()
}

// flat checks the arguments of VJP (jvp false: dst of length len(θ), v of
// length n + m) and of JVP (the reverse).
func (r *Result) flat(dst, v []float64, jvp bool) (c *Condition, err error) {
	if r == nil || r.p == nil {
		return nil, fmt.Errorf("%w: nil or empty Result", ErrDims)
	}
	c = r.ConditionWith(nil)
	nz, np := c.Dims()
	nd, nv := np, nz // VJP
	if jvp {
		nd, nv = nz, np
	}
	if len(dst) != nd || len(v) != nv {
		return nil, fmt.Errorf("%w: %d entries from %d, want %d from %d", ErrDims, len(dst), len(v), nd, nv)
	}
	for _, e := range v {
		if !finite(e) {
			if jvp {
				return nil, fmt.Errorf("%w: in the direction", ErrNaN)
			}
			return nil, fmt.Errorf("%w: in the cotangent", ErrNaN)
		}
	}
	return c, nil
}

// VJP sets dst (length len(θ), the layout of Condition) to the gradient
// with respect to θ of ⟨g, (f, g)⟩, for a cotangent g = (gf, gg) of
// length n + m: implicit differentiation with the Schur-complement solve,
// as Backward, which returns the same gradient as a typed Grad.
func (r *Result) VJP(dst, g []float64) (err error) {
	defer recoverPanic(&err, nil)
	c, err := r.flat(dst, g, false)
	if err != nil {
		return err
	}
	dth, err := implicit.VJP(context.Background(), c, r.Potentials(), c.Theta(), g, nil)
	if err != nil {
		return err
	}
	copy(dst, dth)
	return nil
}

// JVP sets dst (length n + m) to the derivative of the potentials (f, g)
// in the direction dθ (the layout of Condition): −(∂ₓF)⁻¹ ∂θF dθ with the
// Schur-complement solve of ∂ₓF. For a balanced problem only
// mass-preserving directions (Σda = Σdb) stay in the problem's domain.
func (r *Result) JVP(dst, dtheta []float64) (err error) {
	defer recoverPanic(&err, nil)
	c, err := r.flat(dst, dtheta, true)
	if err != nil {
		return err
	}
	dz, err := implicit.JVP(context.Background(), c, r.Potentials(), c.Theta(), dtheta, nil)
	if err != nil {
		return err
	}
	copy(dst, dz)
	return nil
}

var _ implicit.Differentiable = (*Unrolled)(nil)

// packGrad writes a Grad into the flat θ layout of Condition.
func packGrad(p *prepared, g *Grad, dst []float64) {
	off := 0
	put := func(m *mat.Dense) {
		r, c := m.Dims()
		for i := range r {
			copy(dst[off:off+c], m.RawRowView(i)[:c])
			off += c
		}
	}
	if p.points {
		put(g.X)
		put(g.Y)
	} else {
		put(g.C)
	}
	off += copy(dst[off:], g.A)
	copy(dst[off:], g.B)
}

// costTangent returns the n×m cost tangent dC (row-major) of the θ-tangent
// dθ (layout of Condition): dθ's C block, or ∇ₓc·dx_i + ∇ᵧc·dy_j for
// point clouds.
func costTangent(p *prepared, dtheta []float64) []float64 {
	n, m := p.n, p.m
	if !p.points {
		return dtheta[:n*m]
	}
	g := p.geom
	d := g.d
	dx, dy := dtheta[:n*d], dtheta[n*d:(n+m)*d]
	dc := make([]float64, n*m)
	gx, gy := make([]float64, d), make([]float64, d)
	for i := range n {
		xi := g.x[i*d : (i+1)*d]
		for j := range m {
			yj := g.y[j*d : (j+1)*d]
			if g.sq || g.pc == nil {
				for k := range d {
					gx[k], gy[k] = 2*(xi[k]-yj[k]), -2*(xi[k]-yj[k])
				}
			} else {
				g.pc.Grad(gx, gy, xi, yj)
			}
			s := 0.0
			for k := range d {
				s += gx[k]*dx[i*d+k] + gy[k]*dy[j*d+k]
			}
			dc[i*m+j] = s
		}
	}
	return dc
}

// Condition returns the closed-form "condition" of the unrolled
// iterations, F(z, θ) = z − Φ_T(θ): z = (F, G), the last iterates (not
// gauge-fixed), θ in the layout of the type Condition ((C, a, b) or
// (X, Y, a, b)), and Φ_T the T recorded iterations from f = 0, as fresh
// copies. T iterations solve nothing, so ∂zF = I and ∂θF = −∂Φ_T is the
// recursion's own forward and reverse mode (JVP and VJP) at θ: the
// engine's VJP on it checks the layout and the plumbing, not an
// independent derivation; ε stays fixed at its absolute value.
func (u *Unrolled) Condition() (implicit.Condition, []float64, []float64) {
	if u == nil || u.p == nil {
		return nil, nil, nil
	}
	c := &Condition{p: u.p}
	z := append(append([]float64(nil), u.F...), u.G...)
	return &unrolledCondition{c: c, iters: u.Iterations}, z, c.Theta()
}

// Backward returns the gradient of ⟨gf, F⟩ + ⟨gg, G⟩ (the last iterates)
// with respect to the inputs, by reverse-mode differentiation through the
// iterations, as a typed Grad: VJP with the cotangent split by potential.
func (u *Unrolled) Backward(gf, gg []float64) (g *Grad, err error) {
	defer recoverPanic(&err, func() { g = nil })
	if u == nil || u.p == nil {
		return nil, fmt.Errorf("%w: nil or empty Unrolled (use SolveUnrolled)", ErrDims)
	}
	p := u.p
	if len(gf) != p.n || len(gg) != p.m {
		return nil, fmt.Errorf("%w: cotangents of lengths %d, %d", ErrDims, len(gf), len(gg))
	}
	if !finiteSlice(gf) || !finiteSlice(gg) {
		return nil, fmt.Errorf("%w: in the cotangent", ErrNaN)
	}
	return u.reverse(append([]float64(nil), gf...), append([]float64(nil), gg...),
		make([]float64, p.n*p.m), make([]float64, p.n), make([]float64, p.m)), nil
}

// VJP sets dst (length len(θ), the layout of Condition) to the gradient of
// ⟨g, (F, G)⟩ for g of length n + m, by reverse mode through the
// iterations (Backward on the flat layout).
func (u *Unrolled) VJP(dst, g []float64) (err error) {
	defer recoverPanic(&err, nil)
	if u == nil || u.p == nil {
		return fmt.Errorf("%w: nil or empty Unrolled (use SolveUnrolled)", ErrDims)
	}
	p := u.p
	_, np := (&Condition{p: p}).Dims()
	if len(dst) != np || len(g) != p.n+p.m {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d, want %d and %d", ErrDims, len(dst), len(g), np, p.n+p.m)
	}
	gr, err := u.Backward(g[:p.n], g[p.n:])
	if err != nil {
		return err
	}
	packGrad(p, gr, dst)
	return nil
}

// JVP sets dst (length n + m) to the derivative of (F, G) in the
// direction dθ (the layout of Condition), by forward mode through the
// iterations: with the softmax weights s of each log-sum-exp,
//
//	dg_j = −κ_b Σ_i s_ij (df_i − dC_ij + ε da_i/a_i),
//	df_i = −κ_a Σ_j s_ij (dg_j − dC_ij + ε db_j/b_j).
func (u *Unrolled) JVP(dst, dtheta []float64) (err error) {
	defer recoverPanic(&err, nil)
	if u == nil || u.p == nil {
		return fmt.Errorf("%w: nil or empty Unrolled (use SolveUnrolled)", ErrDims)
	}
	p := u.p
	n, m := p.n, p.m
	_, np := (&Condition{p: p}).Dims()
	if len(dst) != n+m || len(dtheta) != np {
		return fmt.Errorf("%w: JVP into %d entries along %d, want %d and %d", ErrDims, len(dst), len(dtheta), n+m, np)
	}
	if !finiteSlice(dtheta) {
		return fmt.Errorf("%w: in the direction", ErrNaN)
	}
	dc := costTangent(p, dtheta)
	da, db := dtheta[np-n-m:np-m], dtheta[np-m:]
	ra, rb := make([]float64, n), make([]float64, m) // ε da/a, ε db/b
	for i := range n {
		if p.a[i] > 0 {
			ra[i] = p.eps * da[i] / p.a[i]
		}
	}
	for j := range m {
		if p.b[j] > 0 {
			rb[j] = p.eps * db[j] / p.b[j]
		}
	}
	invEps := 1 / p.eps
	w := make([]float64, max(n, m))
	df, dg := make([]float64, n), make([]float64, m)
	for t := 1; t <= u.Iterations; t++ {
		g, fPrev := u.gs[t-1], u.fs[t-1]
		for j := range m {
			softmax(w[:n], u.ct[j*n:(j+1)*n], fPrev, p.loga, invEps)
			s := 0.0
			for i, wi := range w[:n] {
				s += wi * (df[i] - dc[i*m+j] + ra[i])
			}
			dg[j] = -p.kappaB * s
		}
		for i := range n {
			softmax(w[:m], u.cost[i*m:(i+1)*m], g, p.logb, invEps)
			s := 0.0
			for j, wj := range w[:m] {
				s += wj * (dg[j] - dc[i*m+j] + rb[j])
			}
			df[i] = -p.kappaA * s
		}
	}
	copy(dst, df)
	copy(dst[n:], dg)
	if !finiteSlice(dst) {
		return fmt.Errorf("%w: in the tangent", ErrNumerical)
	}
	return nil
}

// unrolledCondition is F(z, θ) = z − Φ_T(θ) of Unrolled.Condition.
type unrolledCondition struct {
	c     *Condition
	iters int
}

func (c *unrolledCondition) Dims() (int, int) { return c.c.Dims() }

// at runs the T iterations on the problem of the same kind at θ.
func (c *unrolledCondition) at(theta []float64) (*Unrolled, error) {
	p := c.c.p
	n, m := p.n, p.m
	_, np := c.c.Dims()
	if len(theta) != np {
		return nil, fmt.Errorf("%w: len(θ) = %d, want %d", ErrDims, len(theta), np)
	}
	th := append([]float64(nil), theta...)
	pb := &Problem{A: th[np-n-m : np-m], B: th[np-m:], Epsilon: p.eps, TauA: p.tauA, TauB: p.tauB}
	if p.points {
		d := p.geom.d
		pb.X, pb.Y = mat.NewDense(n, d, th[:n*d]), mat.NewDense(m, d, th[n*d:(n+m)*d])
		pb.PointCost = p.geom.pc
	} else {
		pb.Cost = mat.NewDense(n, m, th[:n*m])
	}
	return SolveUnrolled(context.Background(), pb, c.iters)
}

func (c *unrolledCondition) Residual(dst, z, theta []float64) {
	u, err := c.at(theta)
	nz, _ := c.c.Dims()
	if err != nil || len(dst) != nz || len(z) != nz {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	n := len(u.F)
	for i := range dst {
		if i < n {
			dst[i] = z[i] - u.F[i]
		} else {
			dst[i] = z[i] - u.G[i-n]
		}
	}
}

func (c *unrolledCondition) Linearize(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
	nz, np := c.c.Dims()
	if len(z) != nz {
		return nil, nil, fmt.Errorf("%w: len(z) = %d, want %d", ErrDims, len(z), nz)
	}
	u, err := c.at(theta)
	if err != nil {
		return nil, nil, err
	}
	nan := func(dst []float64) {
		for i := range dst {
			dst[i] = math.NaN()
		}
	}
	id := linsolve.NewFunc(nz, nz, func(dst, v []float64) { copy(dst, v) }, func(dst, w []float64) { copy(dst, w) })
	dth := linsolve.NewFunc(nz, np, func(dst, v []float64) {
		if err := u.JVP(dst, v); err != nil {
			nan(dst)
			return
		}
		for i := range dst {
			dst[i] = -dst[i]
		}
	}, func(dst, w []float64) {
		if err := u.VJP(dst, w); err != nil {
			nan(dst)
			return
		}
		for i := range dst {
			dst[i] = -dst[i]
		}
	})
	return id, dth, nil
}

var _ implicit.Differentiable = (*DivergenceResult)(nil)

// divLayout returns the length of the θ of a DivergenceResult: (X, Y, a,
// b) for point clouds, (C, CostXX, CostYY, a, b) for cost matrices.
func (d *DivergenceResult) divLayout() (np int) {
	p := d.XY.p
	if p.points {
		return (p.n+p.m)*p.geom.d + p.n + p.m
	}
	return p.n*p.m + p.n*p.n + p.m*p.m + p.n + p.m
}

// flatGrad returns the gradient of the divergence in the layout of
// Condition.
func (d *DivergenceResult) flatGrad() []float64 {
	p := d.XY.p
	g := d.Grad()
	out := make([]float64, d.divLayout())
	if p.points {
		packGrad(p, g, out)
		return out
	}
	n, m := p.n, p.m
	off := 0
	for _, blk := range []struct {
		m     *mat.Dense
		scale float64
	}{{g.C, 1}, {d.XX.Plan(), -0.5}, {d.YY.Plan(), -0.5}} {
		r, c := blk.m.Dims()
		for i := range r {
			for j, v := range blk.m.RawRowView(i)[:c] {
				out[off+i*c+j] = blk.scale * v
			}
		}
		off += r * c
	}
	copy(out[off:off+n], g.A)
	copy(out[off+n:off+n+m], g.B)
	return out
}

// problemAt returns the problem of d with the inputs θ (the layout of
// Condition) and ε frozen at its absolute value.
func (d *DivergenceResult) problemAt(theta []float64) *Problem {
	p := d.XY.p
	n, m := p.n, p.m
	th := append([]float64(nil), theta...)
	pb := d.pb
	pb.Epsilon, pb.RelativeEpsilon = p.eps, false
	k := len(th) - n - m
	pb.A, pb.B = th[k:k+n], th[k+n:]
	if p.points {
		dd := p.geom.d
		pb.X, pb.Y = mat.NewDense(n, dd, th[:n*dd]), mat.NewDense(m, dd, th[n*dd:(n+m)*dd])
		return &pb
	}
	pb.Cost = mat.NewDense(n, m, th[:n*m])
	pb.CostXX = mat.NewDense(n, n, th[n*m:n*m+n*n])
	pb.CostYY = mat.NewDense(m, m, th[n*m+n*n:k])
	return &pb
}

// Condition returns the closed-form condition F(z, θ) = z − S_ε(θ) of the
// divergence, z = (S_ε) of length 1 and θ = (X row-major, Y row-major, a,
// b) for point clouds or (C, CostXX, CostYY row-major, a, b) for cost
// matrices (the self-costs must stay symmetric), ε frozen at its absolute
// value; fresh copies. The divergence is a value, not a solution: ∂zF = 1
// and ∂θF = −∇S_ε, the envelope gradient of Grad re-solved at θ (each of
// the three solves has its own condition, that of its Result).
func (d *DivergenceResult) Condition() (implicit.Condition, []float64, []float64) {
	if d.valid() != nil {
		return nil, nil, nil
	}
	p := d.XY.p
	th := make([]float64, 0, d.divLayout())
	if p.points {
		th = append(append(th, p.geom.x...), p.geom.y...)
	} else {
		th = append(th, p.geom.c...)
		for _, r := range []*Result{d.XX, d.YY} {
			th = append(th, r.p.geom.c...)
		}
	}
	th = append(append(th, p.a...), p.b...)
	return &divergenceCondition{d: d, np: len(th)}, []float64{d.d}, th
}

func (d *DivergenceResult) valid() error {
	if d == nil || d.XY == nil || d.XX == nil || d.YY == nil || d.XY.p == nil {
		return fmt.Errorf("%w: nil or empty DivergenceResult (use Divergence)", ErrDims)
	}
	return nil
}

func (d *DivergenceResult) check(nd, nv, wd, wv int) error {
	if nd != wd || nv != wv {
		return fmt.Errorf("%w: %d entries from %d, want %d from %d", ErrDims, nd, nv, wd, wv)
	}
	return nil
}

// VJP sets dst (the layout of Condition) to g[0]·∇S_ε, the envelope
// gradient of Grad (with −½ of the self-plans for CostXX and CostYY).
func (d *DivergenceResult) VJP(dst, g []float64) (err error) {
	defer recoverPanic(&err, nil)
	if err := d.valid(); err != nil {
		return err
	}
	if err := d.check(len(dst), len(g), d.divLayout(), 1); err != nil {
		return err
	}
	if !finite(g[0]) {
		return fmt.Errorf("%w: in the cotangent", ErrNaN)
	}
	for i, v := range d.flatGrad() {
		dst[i] = g[0] * v
	}
	return nil
}

// JVP sets dst[0] to ⟨∇S_ε, dθ⟩, the derivative of the divergence in the
// direction dθ (the layout of Condition).
func (d *DivergenceResult) JVP(dst, dtheta []float64) (err error) {
	defer recoverPanic(&err, nil)
	if err := d.valid(); err != nil {
		return err
	}
	if err := d.check(len(dst), len(dtheta), 1, d.divLayout()); err != nil {
		return err
	}
	if !finiteSlice(dtheta) {
		return fmt.Errorf("%w: in the direction", ErrNaN)
	}
	s := 0.0
	for i, v := range d.flatGrad() {
		s += v * dtheta[i]
	}
	dst[0] = s
	return nil
}

// divergenceCondition is F(z, θ) = z − S_ε(θ) of DivergenceResult.Condition.
type divergenceCondition struct {
	d  *DivergenceResult
	np int
}

func (c *divergenceCondition) Dims() (int, int) { return 1, c.np }

func (c *divergenceCondition) at(theta []float64) (float64, *DivergenceResult, error) {
	if len(theta) != c.np {
		return 0, nil, fmt.Errorf("%w: len(θ) = %d, want %d", ErrDims, len(theta), c.np)
	}
	s := c.d.set
	return Divergence(context.Background(), c.d.problemAt(theta), &s)
}

func (c *divergenceCondition) Residual(dst, z, theta []float64) {
	v, _, err := c.at(theta)
	if err != nil || len(dst) != 1 || len(z) != 1 {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	dst[0] = z[0] - v
}

func (c *divergenceCondition) Linearize(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
	if len(z) != 1 {
		return nil, nil, fmt.Errorf("%w: len(z) = %d, want 1", ErrDims, len(z))
	}
	_, d, err := c.at(theta)
	if err != nil {
		return nil, nil, err
	}
	g := d.flatGrad()
	one := linsolve.NewFunc(1, 1, func(dst, v []float64) { dst[0] = v[0] }, func(dst, u []float64) { dst[0] = u[0] })
	dth := linsolve.NewFunc(1, c.np, func(dst, v []float64) {
		s := 0.0
		for i, gi := range g {
			s += gi * v[i]
		}
		dst[0] = -s
	}, func(dst, u []float64) {
		for i, gi := range g {
			dst[i] = -u[0] * gi
		}
	})
	return one, dth, nil
}
