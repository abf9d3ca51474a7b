package sinkhorn

import (
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
	dth, err := implicit.VJP(c, r.Potentials(), c.Theta(), g, nil)
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
	dz, err := implicit.JVP(c, r.Potentials(), c.Theta(), dtheta, nil)
	if err != nil {
		return err
	}
	copy(dst, dz)
	return nil
}

var _ implicit.Differentiable = (*BirkhoffOutput)(nil)

// Condition returns an optimality condition of the layer in the plan
// itself, with z = vec(P) and θ = vec(S) (both n² long, row-major), as
// fresh copies. The entropic projection P(S) satisfies τ log P = S + α1ᵀ +
// 1βᵀ for some multipliers α, β, and P1 = 1, Pᵀ1 = 1; with D the double
// centering M ↦ M − (M1)1ᵀ/n − 1(1ᵀM)/n + (1ᵀM1)11ᵀ/n², which removes
// exactly the matrices α1ᵀ + 1βᵀ, and the marginal residuals r = P1 − 1,
// c = Pᵀ1 − 1,
//
//	F(P, S) = D(log P − S/τ) + (r1ᵀ + 1cᵀ)/n.
//
// The two terms lie in orthogonal subspaces and r1ᵀ + 1cᵀ = 0 forces
// r = c = 0 (Σr = Σc), so F = 0 exactly at P(S), and ∂_PF v =
// D(v⊘P) + ((v1)1ᵀ + 1(1ᵀv))/n, ∂_SF = −D/τ. The engine solves with this
// n²×n² linearization, independently of the potentials' Schur complement
// that VJP and JVP use.
func (o *BirkhoffOutput) Condition() (implicit.Condition, []float64, []float64) {
	if o == nil || o.res == nil || o.l == nil {
		return nil, nil, nil
	}
	n := o.res.p.n
	z := make([]float64, 0, n*n)
	for i := range n {
		z = append(z, o.P.RawRowView(i)[:n]...)
	}
	s := o.res.p.geom.c // the cost −S, row-major
	th := make([]float64, n*n)
	for k, v := range s {
		th[k] = -v
	}
	return &birkhoffCondition{n: n, tau: o.l.Tau}, z, th
}

// VJP sets dst (n², row-major) to the gradient with respect to S of
// ⟨g, vec(P)⟩: Backward on the flat layout of Condition.
func (o *BirkhoffOutput) VJP(dst, g []float64) error {
	if o == nil || o.res == nil || o.l == nil {
		return fmt.Errorf("%w: nil or empty BirkhoffOutput (use Forward)", ErrDims)
	}
	n := o.res.p.n
	if len(dst) != n*n || len(g) != n*n {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d, want %d and %d", ErrDims, len(dst), len(g), n*n, n*n)
	}
	gs, err := o.Backward(mat.NewDense(n, n, append([]float64(nil), g...)))
	if err != nil {
		return err
	}
	for i := range n {
		copy(dst[i*n:(i+1)*n], gs.RawRowView(i)[:n])
	}
	return nil
}

// JVP sets dst (n², row-major) to the derivative of vec(P) in the
// direction dS (n², row-major): the potentials move by the JVP of the
// Sinkhorn condition along dC = −dS, and dP_ij = P_ij (df_i + dg_j +
// dS_ij)/τ.
func (o *BirkhoffOutput) JVP(dst, dtheta []float64) (err error) {
	defer recoverPanic(&err, nil)
	if o == nil || o.res == nil || o.l == nil {
		return fmt.Errorf("%w: nil or empty BirkhoffOutput (use Forward)", ErrDims)
	}
	r := o.res
	n := r.p.n
	if len(dst) != n*n || len(dtheta) != n*n {
		return fmt.Errorf("%w: JVP into %d entries along %d, want %d and %d", ErrDims, len(dst), len(dtheta), n*n, n*n)
	}
	for _, v := range dtheta {
		if !finite(v) {
			return fmt.Errorf("%w: in the direction", ErrNaN)
		}
	}
	if err := o.l.Diff.check(); err != nil {
		return err
	}
	c := r.ConditionWith(o.l.Diff)
	var es *implicit.Settings
	if o.l.Diff != nil {
		es = o.l.Diff.Engine
	}
	dth := make([]float64, n*n+2*n)
	for k, v := range dtheta {
		dth[k] = -v
	}
	dz, err := implicit.JVP(c, r.Potentials(), c.Theta(), dth, es)
	if err != nil {
		return err
	}
	eps := r.p.eps
	for i := range n {
		for j := range n {
			k := i*n + j
			dst[k] = o.P.At(i, j) * (dz[i] + dz[n+j] + dtheta[k]) / eps
		}
	}
	return nil
}

// birkhoffCondition is the condition of BirkhoffOutput.Condition.
type birkhoffCondition struct {
	n   int
	tau float64
}

func (c *birkhoffCondition) Dims() (int, int) { return c.n * c.n, c.n * c.n }

// center sets m to D(m) in place.
func (c *birkhoffCondition) center(m []float64) {
	n := c.n
	row, col := make([]float64, n), make([]float64, n)
	all := 0.0
	for i := range n {
		for j := range n {
			v := m[i*n+j]
			row[i] += v
			col[j] += v
			all += v
		}
	}
	nn := float64(n)
	for i := range n {
		for j := range n {
			m[i*n+j] += -row[i]/nn - col[j]/nn + all/(nn*nn)
		}
	}
}

// addMarginals adds ((v1)1ᵀ + 1(1ᵀv) − shift)/n to dst, shift = 1 for the
// residual (P1 − 1, Pᵀ1 − 1), 0 for the linearization.
func (c *birkhoffCondition) addMarginals(dst, v []float64, shift float64) {
	n := c.n
	row, col := make([]float64, n), make([]float64, n)
	for i := range n {
		for j := range n {
			row[i] += v[i*n+j]
			col[j] += v[i*n+j]
		}
	}
	nn := float64(n)
	for i := range n {
		for j := range n {
			dst[i*n+j] += (row[i] - shift + col[j] - shift) / nn
		}
	}
}

func (c *birkhoffCondition) Residual(dst, p, s []float64) {
	nn := c.n * c.n
	if len(dst) != nn || len(p) != nn || len(s) != nn {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	for k := range dst {
		dst[k] = math.Log(p[k]) - s[k]/c.tau
	}
	c.center(dst)
	c.addMarginals(dst, p, 1)
}

func (c *birkhoffCondition) Linearize(p, s []float64) (implicit.Operator, implicit.Operator, error) {
	nn := c.n * c.n
	if len(p) != nn || len(s) != nn {
		return nil, nil, fmt.Errorf("%w: condition of %d entries at len(z) = %d, len(θ) = %d", ErrDims, nn, len(p), len(s))
	}
	for _, v := range p {
		if !(v > 0) || !finite(v) {
			return nil, nil, fmt.Errorf("%w: a plan entry %v is not positive and finite", ErrNaN, v)
		}
	}
	dp := linsolve.NewFunc(nn, nn, func(dst, v []float64) {
		for k := range dst {
			dst[k] = v[k] / p[k]
		}
		c.center(dst)
		c.addMarginals(dst, v, 0)
	}, func(dst, u []float64) {
		copy(dst, u)
		c.center(dst)
		for k := range dst {
			dst[k] /= p[k]
		}
		c.addMarginals(dst, u, 0)
	})
	ds := linsolve.NewFunc(nn, nn, func(dst, v []float64) {
		for k := range dst {
			dst[k] = -v[k] / c.tau
		}
		c.center(dst)
	}, func(dst, u []float64) {
		for k := range dst {
			dst[k] = -u[k] / c.tau
		}
		c.center(dst)
	})
	return dp, ds, nil
}
