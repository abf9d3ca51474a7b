package sorting

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/isotonic"
)

var _ implicit.Differentiable = (*Soft)(nil)

// softEta is the step η of the permutahedron fixed-point map behind the
// condition of a Soft result (isotonic.PermutahedronMap): any η ∈ (0, 1]
// has the projection as its fixed point; η < 1 makes ∂ₓF = η-weighted
// projection Jacobian − I depend on the point, not the constant −I.
const softEta = 0.5

// Condition returns the optimality condition of the soft sort, rank or
// top-k with z = the output (length n) and θ = x (length n), as fresh
// copies. Each operator is out = a(μ) with μ = P(z', w') a permutahedron
// projection whose arguments (z', w') are affine in x (see the package
// documentation): μ is the fixed point of T(μ) = P((1−η)μ + ηz', w') with
// η = 1/2 (isotonic.PermutahedronMap), so
//
//	F(out, x) = T(a⁻¹(out), (z'(x), w'(x))) − a⁻¹(out),
//
// with a⁻¹(out) = ±(out − c) for the sort (c the shift of clusterShift,
// a constant near x), out for the l2 rank and the top-k, log(out) for
// the KL rank. Its linearization is that of the projection map composed
// with these diagonal changes of variables: the engine solves with it,
// independently of the O(n) block averages of VJP and JVP.
func (s *Soft) Condition() (implicit.Condition, []float64, []float64) {
	if s.check() != nil || s.x == nil {
		return nil, nil, nil
	}
	n := s.Len()
	out := make([]float64, n)
	if err := s.forward(out); err != nil {
		// The input was valid when s was computed; the same call
		// cannot fail.
		for i := range out {
			out[i] = math.NaN()
		}
	}
	return &softCondition{s: s, n: n}, out, slices.Clone(s.x)
}

// forward recomputes the output of s from its input.
func (s *Soft) forward(dst []float64) error {
	set := &SoftSettings{Regularization: s.reg}
	var err error
	switch s.kind {
	case kindSort:
		set.Descending = s.sign > 0
		_, err = SoftSort(dst, s.x, s.eps, set)
	case kindRank:
		set.Descending = s.sign < 0
		_, err = SoftRank(dst, s.x, s.eps, set)
	default:
		set.Descending = s.sign < 0
		_, err = SoftTopK(dst, s.x, s.k, s.eps, set)
	}
	return err
}

// softCondition is the condition of Soft.Condition.
type softCondition struct {
	s *Soft
	n int
}

func (c *softCondition) Dims() (int, int) { return c.n, c.n }

// inner returns the fixed-point condition of the projection, on (μ, (z', w')).
func (c *softCondition) inner() (implicit.Condition, error) {
	m, err := isotonic.PermutahedronMap(c.n, c.s.reg, softEta)
	if err != nil {
		return nil, err
	}
	return implicit.FixedPoint(m), nil
}

// mu sets μ = a⁻¹(out).
func (c *softCondition) mu(mu, out []float64) {
	s := c.s
	for i, o := range out {
		switch {
		case s.kind == kindSort:
			mu[i] = s.sign * (o - s.shift)
		case s.kind == kindRank && s.reg == isotonic.KL:
			mu[i] = math.Log(o)
		default:
			mu[i] = o
		}
	}
}

// dmu returns the diagonal of ∂μ/∂out at out.
func (c *softCondition) dmu(out []float64) []float64 {
	s := c.s
	d := make([]float64, c.n)
	for i, o := range out {
		switch {
		case s.kind == kindSort:
			d[i] = s.sign
		case s.kind == kindRank && s.reg == isotonic.KL:
			d[i] = 1 / o
		default:
			d[i] = 1
		}
	}
	return d
}

// args sets (z', w') from x, and returns the offset of the block of
// (z', w') that depends on x and the scale of that dependence.
func (c *softCondition) args(zw, x []float64) (off int, scale float64) {
	s, n := c.s, c.n
	z, w := zw[:n], zw[n:]
	switch s.kind {
	case kindSort:
		ranksTarget(z, false)
		for i := range n {
			z[i] /= s.eps
			w[i] = s.sign * (x[i] - s.shift)
		}
		return n, s.sign
	case kindRank:
		ranksTarget(w, s.reg == isotonic.KL)
	default:
		for i := range w {
			w[i] = 0
			if i < s.k {
				w[i] = 1
			}
		}
	}
	for i := range n {
		z[i] = s.sign * (x[i] - s.shift) / s.eps
	}
	return 0, s.sign / s.eps
}

func (c *softCondition) Residual(dst, out, x []float64) {
	n := c.n
	in, err := c.inner()
	if err != nil || len(dst) != n || len(out) != n || len(x) != n {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	mu, zw := make([]float64, n), make([]float64, 2*n)
	c.mu(mu, out)
	c.args(zw, x)
	in.Residual(dst, mu, zw)
}

func (c *softCondition) Linearize(out, x []float64) (implicit.Operator, implicit.Operator, error) {
	n := c.n
	if len(out) != n || len(x) != n {
		return nil, nil, fmt.Errorf("%w: condition of n = %d at len(z) = %d, len(θ) = %d", ErrDims, n, len(out), len(x))
	}
	in, err := c.inner()
	if err != nil {
		return nil, nil, err
	}
	mu, zw := make([]float64, n), make([]float64, 2*n)
	c.mu(mu, out)
	off, scale := c.args(zw, x)
	dmu, dzw, err := in.Linearize(mu, zw)
	if err != nil {
		return nil, nil, err
	}
	d := c.dmu(out)
	tmp, big := make([]float64, n), make([]float64, 2*n)
	// ∂F/∂out = ∂F/∂μ · diag(d).
	dOut := linsolve.NewFunc(n, n, func(dst, v []float64) {
		for i := range tmp {
			tmp[i] = d[i] * v[i]
		}
		dmu.Apply(dst, tmp)
	}, func(dst, u []float64) {
		dmu.ApplyT(dst, u)
		for i := range dst {
			dst[i] *= d[i]
		}
	})
	// ∂F/∂x = scale · (the x-dependent block of ∂F/∂(z', w')).
	dX := linsolve.NewFunc(n, n, func(dst, v []float64) {
		clear(big)
		for i := range n {
			big[off+i] = scale * v[i]
		}
		dzw.Apply(dst, big)
	}, func(dst, u []float64) {
		dzw.ApplyT(big, u)
		for i := range dst {
			dst[i] = scale * big[off+i]
		}
	})
	return dOut, dX, nil
}

var _ implicit.Differentiable = (*NetworkResult)(nil)

// zLen is the length of z = (Values, vec(P)) of Condition, VJP and JVP.
func (r *NetworkResult) zLen() int {
	n := r.net.n
	if r.P != nil {
		return n + n*n
	}
	return n
}

// Condition returns the condition of the relaxed network as the closed-form
// composition it is: F(z, x) = z − f(x), with z = (Values, vec(P)) (P
// row-major, present only for a result computed with wantP) and θ = x, and
// f the relaxed network. A sorting network solves nothing, so this is not an
// optimality condition in the strict sense: ∂zF = I, and ∂xF = −∂f(x) is
// the network's own forward and reverse mode (Forward and Backward) at x,
// so the engine's VJP on it checks the layout and the plumbing, not an
// independent derivation. With StraightThrough, f's values are the exact
// sort while ∂xF is the relaxed network's derivative: the surrogate
// gradient by design, which central differences do not reproduce.
func (r *NetworkResult) Condition() (implicit.Condition, []float64, []float64) {
	if r == nil || r.net == nil {
		return nil, nil, nil
	}
	z := make([]float64, 0, r.zLen())
	z = append(z, r.Values...)
	if r.P != nil {
		n := r.net.n
		for i := range n {
			z = append(z, r.P.RawRowView(i)[:n]...)
		}
	}
	return &networkCondition{net: r.net, s: r.s, wantP: r.P != nil, nz: len(z)}, z, slices.Clone(r.x)
}

// VJP sets dst (length n) to the gradient with respect to x of ⟨g, z⟩,
// z = (Values, vec(P)): Backward on the flat layout of Condition.
func (r *NetworkResult) VJP(dst, g []float64) error {
	if r == nil || r.net == nil {
		return fmt.Errorf("%w: nil or zero *NetworkResult", ErrDims)
	}
	n := r.net.n
	if len(dst) != n || len(g) != r.zLen() {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d (want %d and %d)", ErrDims, len(dst), len(g), n, r.zLen())
	}
	if err := checkFinite("cotangent", g); err != nil {
		return err
	}
	var gP mat.Matrix
	if r.P != nil {
		gP = mat.NewDense(n, n, slices.Clone(g[n:]))
	}
	gx, err := r.Backward(g[:n], gP)
	if err != nil {
		return err
	}
	copy(dst, gx)
	return nil
}

// JVP sets dst (length len(z)) to the derivative of z = (Values, vec(P))
// in the direction dx: Forward on the flat layout of Condition.
func (r *NetworkResult) JVP(dst, dx []float64) error {
	if r == nil || r.net == nil {
		return fmt.Errorf("%w: nil or zero *NetworkResult", ErrDims)
	}
	n := r.net.n
	if len(dst) != r.zLen() || len(dx) != n {
		return fmt.Errorf("%w: JVP into %d entries along %d (want %d and %d)", ErrDims, len(dst), len(dx), r.zLen(), n)
	}
	dv, dp, err := r.Forward(dx)
	if err != nil {
		return err
	}
	copy(dst, dv)
	if dp != nil {
		for i := range n {
			copy(dst[n+i*n:n+(i+1)*n], dp.RawRowView(i)[:n])
		}
	}
	return nil
}

// networkCondition is F(z, x) = z − f(x) of NetworkResult.Condition.
type networkCondition struct {
	net   *Network
	s     NetworkSettings
	wantP bool
	nz    int
}

func (c *networkCondition) Dims() (int, int) { return c.nz, c.net.n }

func (c *networkCondition) Residual(dst, z, x []float64) {
	r, err := c.net.Sort(x, c.wantP, &c.s)
	if err != nil || len(dst) != c.nz || len(z) != c.nz {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	_, f, _ := r.Condition()
	for i := range dst {
		dst[i] = z[i] - f[i]
	}
}

func (c *networkCondition) Linearize(z, x []float64) (implicit.Operator, implicit.Operator, error) {
	if len(z) != c.nz || len(x) != c.net.n {
		return nil, nil, fmt.Errorf("%w: condition %d×%d at len(z) = %d, len(θ) = %d", ErrDims, c.nz, c.net.n, len(z), len(x))
	}
	r, err := c.net.Sort(x, c.wantP, &c.s)
	if err != nil {
		return nil, nil, err
	}
	return identity(c.nz), negated(c.nz, c.net.n, r), nil
}

var _ implicit.Differentiable = (*NeuralSortResult)(nil)

// Condition returns the closed-form condition of the relaxation,
// F(z, s) = z − vec(P̂(s)), with z = vec(P̂) (row-major, n²) and θ = s the
// scores as given (n), the Gumbel noise of a stochastic relaxation held
// fixed; fresh copies. P̂ solves nothing: ∂zF = I and ∂sF = −∂P̂ is the
// relaxation's own forward and reverse mode (JVP and VJP), so the engine's
// VJP on it checks the layout and the plumbing, not an independent
// derivation.
func (r *NeuralSortResult) Condition() (implicit.Condition, []float64, []float64) {
	if r == nil || r.P == nil || r.x == nil {
		return nil, nil, nil
	}
	n := len(r.s)
	return &neuralSortCondition{n: n, tau: r.tau, sign: r.sign, noise: slices.Clone(r.Noise)},
		slices.Clone(r.P.RawMatrix().Data[:n*n]), slices.Clone(r.x)
}

// VJP sets dst (length n) to the gradient with respect to the scores of
// ⟨g, vec(P̂)⟩, g of length n² (row-major): Backward on the flat layout.
func (r *NeuralSortResult) VJP(dst, g []float64) error {
	if r == nil || r.P == nil {
		return fmt.Errorf("%w: nil or zero *NeuralSortResult", ErrDims)
	}
	n := len(r.s)
	if len(dst) != n || len(g) != n*n {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d, want %d and %d", ErrDims, len(dst), len(g), n, n*n)
	}
	if err := checkFinite("cotangent", g); err != nil {
		return err
	}
	ds, err := r.Backward(mat.NewDense(n, n, slices.Clone(g)))
	if err != nil {
		return err
	}
	copy(dst, ds)
	return nil
}

// JVP sets dst (length n², row-major) to the derivative of P̂ in the
// direction ds of the scores: with the logits lᵢⱼ = (cᵢ s′ⱼ − Σₖ |s′ⱼ −
// s′ₖ|)/τ of the signed scores s′, dlᵢⱼ = (cᵢ ds′ⱼ − Σₖ sign(s′ⱼ −
// s′ₖ)(ds′ⱼ − ds′ₖ))/τ and dP̂ᵢⱼ = P̂ᵢⱼ (dlᵢⱼ − Σₗ P̂ᵢₗ dlᵢₗ). Cost O(n²).
func (r *NeuralSortResult) JVP(dst, ds []float64) error {
	if r == nil || r.P == nil {
		return fmt.Errorf("%w: nil or zero *NeuralSortResult", ErrDims)
	}
	n := len(r.s)
	if len(dst) != n*n || len(ds) != n {
		return fmt.Errorf("%w: JVP into %d entries along %d, want %d and %d", ErrDims, len(dst), len(ds), n*n, n)
	}
	if err := checkFinite("direction", ds); err != nil {
		return err
	}
	d := make([]float64, n)  // ds′
	da := make([]float64, n) // d(Σₖ |s′ⱼ − s′ₖ|)
	for j := range n {
		d[j] = r.sign * ds[j]
	}
	for j := range n {
		for k := range n {
			da[j] += sign(r.s[j]-r.s[k]) * (d[j] - d[k])
		}
	}
	p := r.P.RawMatrix().Data
	for i := range n {
		c := float64(n - 1 - 2*i)
		row, out := p[i*n:i*n+n], dst[i*n:i*n+n]
		mean := 0.0
		for j := range n {
			out[j] = (c*d[j] - da[j]) / r.tau
			mean += row[j] * out[j]
		}
		for j := range n {
			out[j] = row[j] * (out[j] - mean)
		}
	}
	if !allFinite(dst) {
		return fmt.Errorf("%w: tangent", ErrNaN)
	}
	return nil
}

// neuralSortCondition is F(z, s) = z − vec(P̂(s)) of
// NeuralSortResult.Condition.
type neuralSortCondition struct {
	n         int
	tau, sign float64
	noise     []float64
}

func (c *neuralSortCondition) Dims() (int, int) { return c.n * c.n, c.n }

// at relaxes the scores s with the condition's order and noise.
func (c *neuralSortCondition) at(s []float64) (*NeuralSortResult, error) {
	if len(s) != c.n {
		return nil, fmt.Errorf("%w: len(s) = %d, want %d", ErrDims, len(s), c.n)
	}
	r := &NeuralSortResult{tau: c.tau, sign: c.sign, s: make([]float64, c.n), x: slices.Clone(s), Noise: c.noise}
	for i, v := range s {
		r.s[i] = c.sign * v
		if c.noise != nil {
			r.s[i] += c.noise[i]
		}
	}
	p, err := relaxScores(r.s, c.tau)
	if err != nil {
		return nil, err
	}
	r.P = mat.NewDense(c.n, c.n, p)
	return r, nil
}

func (c *neuralSortCondition) Residual(dst, z, s []float64) {
	r, err := c.at(s)
	if err != nil || len(dst) != c.n*c.n || len(z) != c.n*c.n {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	p := r.P.RawMatrix().Data
	for i := range dst {
		dst[i] = z[i] - p[i]
	}
}

func (c *neuralSortCondition) Linearize(z, s []float64) (implicit.Operator, implicit.Operator, error) {
	nz := c.n * c.n
	if len(z) != nz {
		return nil, nil, fmt.Errorf("%w: len(z) = %d, want %d", ErrDims, len(z), nz)
	}
	r, err := c.at(s)
	if err != nil {
		return nil, nil, err
	}
	return identity(nz), negated(nz, c.n, r), nil
}

// identity is the n×n identity operator.
func identity(n int) implicit.Operator {
	return linsolve.NewFunc(n, n, func(dst, v []float64) { copy(dst, v) }, func(dst, u []float64) { copy(dst, u) })
}

// negated is −J for the Jacobian J (rows×cols) of a differentiable result;
// it writes NaN when a product fails (operators cannot return errors).
func negated(rows, cols int, d implicit.Differentiable) implicit.Operator {
	neg := func(dst []float64, err error) {
		for i := range dst {
			if err != nil {
				dst[i] = math.NaN()
			} else {
				dst[i] = -dst[i]
			}
		}
	}
	return linsolve.NewFunc(rows, cols,
		func(dst, v []float64) { neg(dst, d.JVP(dst, v)) },
		func(dst, u []float64) { neg(dst, d.VJP(dst, u)) })
}
