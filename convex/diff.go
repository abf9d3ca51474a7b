package convex

import (
	"context"
	"fmt"
	"math"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/solvers/cone"
)

// Derivatives. The solution z* = (x*, y*, s*) of the canonical cone
// program depends on its data d = Mθ + d₀, so by the chain rule
//
//	∂z*/∂θ = (∂z*/∂d) M,      (∂z*/∂θ)ᵀg = Mᵀ (∂z*/∂d)ᵀ g,
//
// where ∂z*/∂d is the cone solver's derivative (cone.Solution's VJP and
// JVP: the linearized KKT conditions in projection form, Agrawal et al.
// 2019) and M the canonicalization map, applied and transposed in O(nnz).
// The condition is the cone program's residual map composed with the map,
// F(z, θ) = F_cone(z, Mθ + d₀).

var (
	_ implicit.Differentiable        = (*Solution)(nil)
	_ implicit.ContextDifferentiable = (*Solution)(nil)
)

func (sol *Solution) diffReady() error {
	if sol == nil || sol.pb == nil {
		return fmt.Errorf("%w: Solution not returned by a solve", ErrInvalid)
	}
	if sol.cs == nil {
		return fmt.Errorf("%w: the solution has no cone-solver solution to differentiate", ErrInvalid)
	}
	return nil
}

// LenZ returns the length of z = (x*, y*, s*), n + 2m for the canonical
// program's n variables and m rows.
func (pb *Problem) LenZ() int {
	if pb == nil {
		return 0
	}
	return pb.canon.n + 2*pb.canon.m
}

// Z returns a copy of z = (x*, y*, s*), the point of the derivatives: x*
// starts with the problem's variables (each variable's entries in order,
// column-major; a Symmetric variable by its lower triangle by columns),
// followed by the canonicalization's auxiliary variables; y* holds the
// constraints' duals at the offsets of Problem.DualOffset.
func (sol *Solution) Z() []float64 {
	if sol == nil {
		return nil
	}
	z := make([]float64, 0, len(sol.x)+2*len(sol.y))
	z = append(z, sol.x...)
	z = append(z, sol.y...)
	return append(z, sol.s...)
}

// DualOffset returns the offset and length of constraint c's rows in y*
// (for a Succeq constraint, the svec of its dual matrix), or (−1, 0).
func (pb *Problem) DualOffset(c *Constraint) (off, n int) {
	if pb.valid() != nil {
		return -1, 0
	}
	for i, d := range pb.cons {
		if d == c {
			r := pb.canon.conRows[i]
			return r[0], r[1]
		}
	}
	return -1, 0
}

// Condition returns F(z, θ) = F_cone(z, Mθ + d₀), the point z and θ (the
// module's contract).
func (sol *Solution) Condition() (implicit.Condition, []float64, []float64) {
	if err := sol.diffReady(); err != nil {
		return &condition{}, nil, nil
	}
	c, z, _ := sol.cs.Condition()
	return &condition{inner: c, pb: sol.pb}, z, sol.Theta()
}

// VJP sets dst (length NumParams) to (∂z*/∂θ)ᵀg for g of length LenZ.
func (sol *Solution) VJP(dst, g []float64) error {
	return sol.VJPContext(context.Background(), dst, g)
}

// VJPContext is VJP stopping with ctx.Err() when ctx is done.
func (sol *Solution) VJPContext(ctx context.Context, dst, g []float64) error {
	if err := sol.diffReady(); err != nil {
		return err
	}
	pb := sol.pb
	if len(dst) != pb.np || len(g) != pb.LenZ() {
		return fmt.Errorf("%w: VJP with dst %d (want %d), g %d (want %d)", ErrDims, len(dst), pb.np, len(g), pb.LenZ())
	}
	if !finite(g) {
		return fmt.Errorf("%w: the cotangent g", ErrNaN)
	}
	gd := make([]float64, pb.canon.nd)
	if err := sol.cs.VJPContext(ctx, gd, g); err != nil {
		return wrapCone(err)
	}
	clear(dst)
	pb.canon.applyT(dst, gd)
	if !finite(dst) {
		return fmt.Errorf("%w: the gradient overflowed", ErrNaN)
	}
	return nil
}

// JVP sets dst (length LenZ) to (∂z*/∂θ)dθ.
func (sol *Solution) JVP(dst, dtheta []float64) error {
	return sol.JVPContext(context.Background(), dst, dtheta)
}

// JVPContext is JVP stopping with ctx.Err() when ctx is done.
func (sol *Solution) JVPContext(ctx context.Context, dst, dtheta []float64) error {
	if err := sol.diffReady(); err != nil {
		return err
	}
	pb := sol.pb
	if len(dst) != pb.LenZ() || len(dtheta) != pb.np {
		return fmt.Errorf("%w: JVP with dst %d (want %d), dθ %d (want %d)", ErrDims, len(dst), pb.LenZ(), len(dtheta), pb.np)
	}
	if !finite(dtheta) {
		return fmt.Errorf("%w: the direction dθ", ErrNaN)
	}
	dd := make([]float64, pb.canon.nd)
	pb.canon.apply(dd, dtheta)
	if err := sol.cs.JVPContext(ctx, dst, dd); err != nil {
		return wrapCone(err)
	}
	return nil
}

func finite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// Gradient is the gradient of a loss with respect to the parameters.
type Gradient struct {
	pb    *Problem
	theta []float64
}

// Theta returns the gradient as a flat vector in the order of θ.
func (g *Gradient) Theta() []float64 {
	if g == nil {
		return nil
	}
	return append([]float64(nil), g.theta...)
}

// Of returns the gradient with respect to parameter p (column-major), nil
// if p is not a parameter of the problem.
func (g *Gradient) Of(p *Parameter) []float64 {
	if g == nil || g.pb == nil {
		return nil
	}
	off := g.pb.ParamOffset(p)
	if off < 0 || p == nil {
		return nil
	}
	return append([]float64(nil), g.theta[off:off+p.rows*p.cols]...)
}

// Cotangent gathers the cotangents of a loss with respect to variable
// values (∂ℓ/∂v, column-major, the shape of v) and to constraint duals
// (∂ℓ/∂dual, the shape Dual returns) into g over z (length LenZ). Nil maps
// are empty.
func (pb *Problem) Cotangent(gVars map[*Variable][]float64, gDuals map[*Constraint][]float64) ([]float64, error) {
	if err := pb.valid(); err != nil {
		return nil, err
	}
	g := make([]float64, pb.LenZ())
	n := pb.canon.n
	for v, gv := range gVars {
		i := -1
		for k, w := range pb.vars {
			if w == v {
				i = k
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("%w: %s is not a variable of the problem", ErrInvalid, v.Name())
		}
		l := pb.vlin[i]
		if len(gv) != len(l) {
			return nil, fmt.Errorf("%w: cotangent of %s has %d entries, want %d", ErrDims, v.name, len(gv), len(l))
		}
		if !finite(gv) {
			return nil, fmt.Errorf("%w: cotangent of %s", ErrNaN, v.name)
		}
		for q, t := range l {
			for k, c := range t {
				g[k.j] += c * gv[q]
			}
		}
	}
	for c, gc := range gDuals {
		i := -1
		for k, d := range pb.cons {
			if d == c {
				i = k
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("%w: %v is not a constraint of the problem", ErrInvalid, c)
		}
		if len(gc) != pb.dualLen(i) {
			return nil, fmt.Errorf("%w: cotangent of the dual of %v has %d entries, want %d", ErrDims, c, len(gc), pb.dualLen(i))
		}
		if !finite(gc) {
			return nil, fmt.Errorf("%w: cotangent of the dual of %v", ErrNaN, c)
		}
		r := pb.canon.conRows[i]
		gy := g[n+r[0] : n+r[0]+r[1]]
		if m := pb.canon.conPSD[i]; m > 0 {
			q := 0
			for j := range m {
				for k := j; k < m; k++ {
					if k == j {
						gy[q] += gc[k+j*m]
					} else {
						gy[q] += (gc[k+j*m] + gc[j+k*m]) / math.Sqrt2
					}
					q++
				}
			}
			continue
		}
		for q := range gy {
			gy[q] += gc[q]
		}
	}
	return g, nil
}

// Backward returns the gradient with respect to the parameters of a loss
// ℓ whose cotangents are ∂ℓ/∂v for variables v and ∂ℓ/∂dual for
// constraints (either map may be nil): VJP in typed form.
func (sol *Solution) Backward(gVars map[*Variable][]float64, gDuals map[*Constraint][]float64) (*Gradient, error) {
	if err := sol.diffReady(); err != nil {
		return nil, err
	}
	g, err := sol.pb.Cotangent(gVars, gDuals)
	if err != nil {
		return nil, err
	}
	out := make([]float64, sol.pb.np)
	if err := sol.VJP(out, g); err != nil {
		return nil, err
	}
	return &Gradient{pb: sol.pb, theta: out}, nil
}

// Tangent is the derivative of a solution in a direction of the
// parameters.
type Tangent struct {
	sol *Solution
	dz  []float64
}

// Tangent returns the derivative of the solution when the parameters move
// along dParams (entries column-major; a parameter left out does not
// move): JVP in typed form.
func (sol *Solution) Tangent(dParams map[*Parameter][]float64) (*Tangent, error) {
	if err := sol.diffReady(); err != nil {
		return nil, err
	}
	pb := sol.pb
	dth := make([]float64, pb.np)
	for p, d := range dParams {
		off := pb.ParamOffset(p)
		if off < 0 {
			return nil, fmt.Errorf("%w: %s is not a parameter of the problem", ErrInvalid, p.Name())
		}
		if len(d) != p.rows*p.cols {
			return nil, fmt.Errorf("%w: direction of %s has %d entries, want %d", ErrDims, p.name, len(d), p.rows*p.cols)
		}
		copy(dth[off:], d)
	}
	dz := make([]float64, pb.LenZ())
	if err := sol.JVP(dz, dth); err != nil {
		return nil, err
	}
	return &Tangent{sol: sol, dz: dz}, nil
}

// Var returns the derivative of variable v's value.
func (t *Tangent) Var(v *Variable) ([]float64, error) {
	if t == nil || t.sol == nil {
		return nil, fmt.Errorf("%w: Tangent not returned by Solution.Tangent", ErrInvalid)
	}
	i := t.sol.varIndex(v)
	if i < 0 {
		return nil, fmt.Errorf("%w: %s is not a variable of the problem", ErrInvalid, v.Name())
	}
	l := t.sol.pb.vlin[i]
	out := make([]float64, len(l))
	for q, tm := range l {
		for k, c := range tm {
			out[q] += c * t.dz[k.j]
		}
	}
	return out, nil
}

// Dual returns the derivative of constraint c's dual.
func (t *Tangent) Dual(c *Constraint) ([]float64, error) {
	if t == nil || t.sol == nil {
		return nil, fmt.Errorf("%w: Tangent not returned by Solution.Tangent", ErrInvalid)
	}
	i := t.sol.conIndex(c)
	if i < 0 {
		return nil, fmt.Errorf("%w: %v is not a constraint of the problem", ErrInvalid, c)
	}
	n := t.sol.pb.canon.n
	return t.sol.pb.dualOf(i, t.dz[n:n+t.sol.pb.canon.m]), nil
}

// condition is F_cone(z, Mθ + d₀).
type condition struct {
	inner implicit.Condition
	pb    *Problem
}

func (c *condition) Dims() (int, int) {
	if c.inner == nil {
		return 0, 0
	}
	n, _ := c.inner.Dims()
	return n, c.pb.np
}

func (c *condition) data(theta []float64) []float64 {
	d := make([]float64, c.pb.canon.nd)
	if len(theta) == c.pb.np {
		c.pb.canon.eval(d, theta)
	} else {
		for i := range d {
			d[i] = math.NaN()
		}
	}
	return d
}

func (c *condition) Residual(dst, z, theta []float64) {
	if c.inner == nil {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	c.inner.Residual(dst, z, c.data(theta))
}

func (c *condition) Linearize(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
	if c.inner == nil {
		return nil, nil, fmt.Errorf("%w: empty condition", ErrInvalid)
	}
	if len(theta) != c.pb.np {
		return nil, nil, fmt.Errorf("%w: θ has %d entries, want %d", ErrDims, len(theta), c.pb.np)
	}
	dz, dd, err := c.inner.Linearize(z, c.data(theta))
	if err != nil {
		return nil, nil, err
	}
	return dz, &composed{dd: dd, c: &c.pb.canon, np: c.pb.np}, nil
}

// composed is (∂F_cone/∂d)·M.
type composed struct {
	dd implicit.Operator
	c  *canonical
	np int
}

func (o *composed) Dims() (int, int) {
	r, _ := o.dd.Dims()
	return r, o.np
}

func (o *composed) Apply(dst, v []float64) {
	t := make([]float64, o.c.nd)
	o.c.apply(t, v)
	o.dd.Apply(dst, t)
}

func (o *composed) ApplyT(dst, u []float64) {
	t := make([]float64, o.c.nd)
	o.dd.ApplyT(t, u)
	clear(dst)
	o.c.applyT(dst, t)
}

// wrapCone maps the cone solver's errors to the package's sentinels,
// keeping the original in the chain.
func wrapCone(err error) error {
	if err == nil {
		return nil
	}
	var s error
	switch {
	case isErr(err, cone.ErrInfeasible):
		s = ErrInfeasible
	case isErr(err, cone.ErrUnbounded):
		s = ErrUnbounded
	case isErr(err, cone.ErrNotConverged):
		s = ErrNotConverged
	case isErr(err, cone.ErrDims):
		s = ErrDims
	case isErr(err, cone.ErrNaN):
		s = ErrNaN
	case isErr(err, cone.ErrSingular):
		s = ErrSingular
	default:
		return err
	}
	return fmt.Errorf("%w: %w", s, err)
}
