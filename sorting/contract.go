package sorting

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/sinkhorn"
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
	net, set, wantP := r.net, r.s, r.P != nil
	solve := func(x []float64) (implicit.Differentiable, []float64, error) {
		o, err := net.Sort(x, wantP, &set)
		if err != nil {
			return nil, nil, err
		}
		return o, o.z(), nil
	}
	return &closedForm{nz: r.zLen(), n: net.n, solve: solve}, r.z(), slices.Clone(r.x)
}

// z returns (Values, vec(P)).
func (r *NetworkResult) z() []float64 {
	z := make([]float64, 0, r.zLen())
	z = append(z, r.Values...)
	if r.P != nil {
		n := r.net.n
		for i := range n {
			z = append(z, r.P.RawRowView(i)[:n]...)
		}
	}
	return z
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
	dv, dp, err := r.Tangent(dx)
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
	tau, sgn, noise := r.tau, r.sign, slices.Clone(r.Noise)
	solve := func(x []float64) (implicit.Differentiable, []float64, error) {
		o := &NeuralSortResult{tau: tau, sign: sgn, s: make([]float64, n), x: slices.Clone(x), Noise: noise}
		for i, v := range x {
			o.s[i] = sgn * v
			if noise != nil {
				o.s[i] += noise[i]
			}
		}
		p, err := relaxScores(o.s, tau)
		if err != nil {
			return nil, nil, err
		}
		o.P = mat.NewDense(n, n, p)
		return o, slices.Clone(p), nil
	}
	return &closedForm{nz: n * n, n: n, solve: solve}, slices.Clone(r.P.RawMatrix().Data[:n*n]), slices.Clone(r.x)
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

var (
	_ implicit.Differentiable = (*OTResult)(nil)
	_ implicit.Differentiable = (*OTTopKResult)(nil)
)

// input returns the original inputs (c.x holds sign·x, exactly).
func (c *otCore) input() []float64 {
	x := make([]float64, c.n)
	for i, v := range c.x {
		x[i] = c.sign * v
	}
	return x
}

// tangent returns the derivative of the plan (n×m, row-major) in the
// direction dx of the original inputs: the standardization and the
// sigmoid move the squashed inputs g by dg, the cost by dC_ij = 2(g_i −
// y_j)dg_i, the potentials by the JVP of the Sinkhorn condition along
// (dC, 0, 0), and dP_ij = P_ij (df_i + dg_j − dC_ij)/ε. A failed solve of
// ∂ₓF is retried with a small ridge when Diff is nil, as in Backward.
func (c *otCore) tangent(dx []float64) ([]float64, error) {
	n, m := c.n, c.m
	var dmu float64
	ds := make([]float64, n)
	for i, v := range dx {
		ds[i] = c.sign * v
		dmu += ds[i]
	}
	dmu /= float64(n)
	var dsd float64
	for i := range n {
		dsd += (c.x[i] - c.mu) * (ds[i] - dmu)
	}
	dsd /= float64(n) * c.sd
	dth := make([]float64, n*m+n+m)
	for i := range n {
		dz := (ds[i]-dmu)/c.sd - (c.x[i]-c.mu)*dsd/(c.sd*c.sd)
		dg := c.g[i] * (1 - c.g[i]) * dz
		for j, yj := range c.anchors {
			dth[i*m+j] = 2 * (c.g[i] - yj) * dg
		}
	}
	jvp := func(d *sinkhorn.DiffSettings) ([]float64, error) {
		cond := c.res.ConditionWith(d)
		var es *implicit.Settings
		if d != nil {
			es = d.Implicit
		}
		return implicit.JVP(context.Background(), cond, c.res.Potentials(), cond.Theta(), dth, es)
	}
	dpot, err := jvp(c.s.Diff)
	if err != nil && c.s.Diff == nil {
		for _, ridge := range []float64{1e-10, 1e-8} {
			if dpot, err = jvp(&sinkhorn.DiffSettings{Ridge: ridge}); err == nil {
				break
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sorting: optimal transport JVP: %w", err)
	}
	dp := make([]float64, n*m)
	for i := range n {
		prow := c.plan.RawRowView(i)
		for j := range m {
			dp[i*m+j] = prow[j] * (dpot[i] + dpot[n+j] - dth[i*m+j]) / c.eps
		}
	}
	return dp, nil
}

// The OT operators expose a genuine condition in their outputs and the
// plan, z = (outputs, vec(P)) (P row-major, n×m), θ = x:
//
//	F_out(z, x) = outputs − L(P, x),
//	F_P(z, x)   = D(log P + C(x)/ε) + ((P1 − a)1ᵀ/m + 1(Pᵀ1 − b)ᵀ/n),
//
// where L is the linear read-out (Sorted_j = Σᵢ P_ij xᵢ/b_j, Ranks_i =
// n² Σⱼ P_ij b̄ⱼ; Mask_i = n P_i1), C(x) the squared distances of the
// squashed inputs to the anchors and D the double centering M ↦ M −
// (M1)1ᵀ/m − 1(1ᵀM)/n + (1ᵀM1)11ᵀ/(nm). The entropic plan has log P =
// log(a⊗b) + (f⊕g − C)/ε, so log P + C/ε is of the form α1ᵀ + 1βᵀ, which
// D removes exactly; the marginal term lies in the orthogonal complement
// and vanishes only when both marginals hold (its two residuals have the
// same sum). So F = 0 characterizes (outputs, P) without the potentials,
// and the engine solves with its linearization, independently of the
// Schur complement of the potentials that VJP and JVP use.
type otCondition struct {
	n, m    int
	topK    bool
	sign    float64
	eps     float64
	anchors []float64
	b, cumB []float64
}

func (c *otCore) condition(topK bool) *otCondition {
	return &otCondition{n: c.n, m: c.m, topK: topK, sign: c.sign, eps: c.eps, anchors: c.anchors, b: c.massB, cumB: c.cumB}
}

// nout is the length of the outputs block of z.
func (c *otCondition) nout() int {
	if c.topK {
		return c.n
	}
	return c.m + c.n
}

func (c *otCondition) Dims() (int, int) { return c.nout() + c.n*c.m, c.n }

// squash is the standardization and sigmoid of the inputs at x.
type squash struct {
	xs, g   []float64 // signed inputs, squashed values
	mu, sd  float64
	sign    float64
	invSize float64
}

func (c *otCondition) squashAt(x []float64) squash {
	n := len(x)
	q := squash{xs: make([]float64, n), g: make([]float64, n), sign: c.sign, invSize: 1 / float64(n)}
	for i, v := range x {
		q.xs[i] = c.sign * v
		q.mu += q.xs[i]
	}
	q.mu *= q.invSize
	var v2 float64
	for _, v := range q.xs {
		v2 += (v - q.mu) * (v - q.mu)
	}
	q.sd = math.Sqrt(v2*q.invSize + 1e-12)
	for i, v := range q.xs {
		q.g[i] = logistic((v - q.mu) / q.sd)
	}
	return q
}

// tangent returns dg along dx.
func (q squash) tangent(dx []float64) []float64 {
	n := len(dx)
	ds := make([]float64, n)
	var dmu, dsd float64
	for i, v := range dx {
		ds[i] = q.sign * v
		dmu += ds[i]
	}
	dmu *= q.invSize
	for i := range n {
		dsd += (q.xs[i] - q.mu) * (ds[i] - dmu)
	}
	dsd *= q.invSize / q.sd
	dg := make([]float64, n)
	for i := range n {
		dz := (ds[i]-dmu)/q.sd - (q.xs[i]-q.mu)*dsd/(q.sd*q.sd)
		dg[i] = q.g[i] * (1 - q.g[i]) * dz
	}
	return dg
}

// adjoint returns the gradient with respect to x of ⟨gg, g⟩.
func (q squash) adjoint(gg []float64) []float64 {
	n := len(gg)
	gz := make([]float64, n)
	var mean, dot float64
	for i := range n {
		gz[i] = gg[i] * q.g[i] * (1 - q.g[i])
		mean += gz[i]
		dot += gz[i] * (q.xs[i] - q.mu)
	}
	mean *= q.invSize
	gx := make([]float64, n)
	for k := range n {
		gx[k] = q.sign * ((gz[k]-mean)/q.sd - (q.xs[k]-q.mu)*dot*q.invSize/(q.sd*q.sd*q.sd))
	}
	return gx
}

// center sets the n×m matrix v to D(v) in place.
func (c *otCondition) center(v []float64) {
	n, m := c.n, c.m
	row, col := make([]float64, n), make([]float64, m)
	all := 0.0
	for i := range n {
		for j := range m {
			row[i] += v[i*m+j]
			col[j] += v[i*m+j]
			all += v[i*m+j]
		}
	}
	for i := range n {
		for j := range m {
			v[i*m+j] += -row[i]/float64(m) - col[j]/float64(n) + all/float64(n*m)
		}
	}
}

// marginals adds ((v1 − a)1ᵀ/m + 1(vᵀ1 − b)ᵀ/n) to dst, with a = 1/n and
// b the anchors' weights when shift, without them (the linear part) when
// not.
func (c *otCondition) marginals(dst, v []float64, shift bool) {
	n, m := c.n, c.m
	row, col := make([]float64, n), make([]float64, m)
	for i := range n {
		for j := range m {
			row[i] += v[i*m+j]
			col[j] += v[i*m+j]
		}
	}
	if shift {
		for i := range row {
			row[i] -= 1 / float64(n)
		}
		for j := range col {
			col[j] -= c.b[j]
		}
	}
	for i := range n {
		for j := range m {
			dst[i*m+j] += row[i]/float64(m) + col[j]/float64(n)
		}
	}
}

// readout adds scale·L(P, x) to dst (the outputs block).
func (c *otCondition) readout(dst, p, x []float64, scale float64) {
	n, m := c.n, c.m
	if c.topK {
		for i := range n {
			dst[i] += scale * float64(n) * p[i*m+1]
		}
		return
	}
	nn := float64(n) * float64(n)
	for i := range n {
		var rk float64
		for j := range m {
			dst[j] += scale * p[i*m+j] * x[i] / c.b[j]
			rk += p[i*m+j] * c.cumB[j]
		}
		dst[m+i] += scale * nn * rk
	}
}

// readoutT adds scale·L(·, x)ᵀ u (an n×m plan cotangent) to dst.
func (c *otCondition) readoutT(dst, u, x []float64, scale float64) {
	n, m := c.n, c.m
	if c.topK {
		for i := range n {
			dst[i*m+1] += scale * float64(n) * u[i]
		}
		return
	}
	nn := float64(n) * float64(n)
	for i := range n {
		for j := range m {
			dst[i*m+j] += scale * (u[j]*x[i]/c.b[j] + u[m+i]*nn*c.cumB[j])
		}
	}
}

func (c *otCondition) Residual(dst, z, x []float64) {
	nz, _ := c.Dims()
	if len(dst) != nz || len(z) != nz || len(x) != c.n {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	k := c.nout()
	p := z[k:]
	copy(dst[:k], z[:k])
	c.readout(dst[:k], p, x, -1)
	q := c.squashAt(x)
	fp := dst[k:]
	for i := range c.n {
		for j, yj := range c.anchors {
			d := q.g[i] - yj
			fp[i*c.m+j] = math.Log(p[i*c.m+j]) + d*d/c.eps
		}
	}
	c.center(fp)
	c.marginals(fp, p, true)
}

func (c *otCondition) Linearize(z, x []float64) (implicit.Operator, implicit.Operator, error) {
	nz, _ := c.Dims()
	if len(z) != nz || len(x) != c.n {
		return nil, nil, fmt.Errorf("%w: condition %d×%d at len(z) = %d, len(θ) = %d", ErrDims, nz, c.n, len(z), len(x))
	}
	k, n, m := c.nout(), c.n, c.m
	p := z[k:]
	for _, v := range p {
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, nil, fmt.Errorf("%w: a plan entry %v is not positive and finite", ErrNaN, v)
		}
	}
	q := c.squashAt(x)
	dz := linsolve.NewFunc(nz, nz, func(dst, v []float64) {
		copy(dst[:k], v[:k])
		c.readout(dst[:k], v[k:], x, -1)
		dp := dst[k:]
		for i := range dp {
			dp[i] = v[k+i] / p[i]
		}
		c.center(dp)
		c.marginals(dp, v[k:], false)
	}, func(dst, u []float64) {
		copy(dst[:k], u[:k])
		dp := dst[k:]
		copy(dp, u[k:])
		c.center(dp)
		for i := range dp {
			dp[i] /= p[i]
		}
		c.marginals(dp, u[k:], false)
		c.readoutT(dp, u[:k], x, -1)
	})
	dx := linsolve.NewFunc(nz, n, func(dst, v []float64) {
		clear(dst)
		if !c.topK { // Sorted is linear in x: −Σᵢ P_ij vᵢ/b_j
			for i := range n {
				for j := range m {
					dst[j] -= p[i*m+j] * v[i] / c.b[j]
				}
			}
		}
		dg := q.tangent(v)
		dp := dst[k:]
		for i := range n {
			for j, yj := range c.anchors {
				dp[i*m+j] = 2 * (q.g[i] - yj) * dg[i] / c.eps
			}
		}
		c.center(dp)
	}, func(dst, u []float64) {
		w := append([]float64(nil), u[k:]...)
		c.center(w)
		gg := make([]float64, n)
		for i := range n {
			for j, yj := range c.anchors {
				gg[i] += w[i*m+j] * 2 * (q.g[i] - yj) / c.eps
			}
		}
		copy(dst, q.adjoint(gg))
		if !c.topK {
			for i := range n {
				for j := range m {
					dst[i] -= p[i*m+j] * u[j] / c.b[j]
				}
			}
		}
	})
	return dz, dx, nil
}

// planVec returns vec(P), row-major.
func (c *otCore) planVec() []float64 {
	out := make([]float64, 0, c.n*c.m)
	for i := range c.n {
		out = append(out, c.plan.RawRowView(i)[:c.m]...)
	}
	return out
}

// Condition returns the condition of the soft sort and ranks (see
// otCondition) with z = (Sorted, Ranks, vec(Plan)) (m + n + nm) and θ = x
// (n), as fresh copies.
func (r *OTResult) Condition() (implicit.Condition, []float64, []float64) {
	if r == nil || r.c == nil {
		return nil, nil, nil
	}
	z := slices.Concat(r.Sorted, r.Ranks, r.c.planVec())
	return r.c.condition(false), z, r.c.input()
}

// VJP sets dst (length n) to the gradient with respect to x of ⟨g, z⟩,
// z = (Sorted, Ranks, vec(Plan)): Backward with the plan's cotangent
// added.
func (r *OTResult) VJP(dst, g []float64) error {
	if r == nil || r.c == nil {
		return fmt.Errorf("%w: nil or zero *OTResult", ErrDims)
	}
	c := r.c
	n, m := c.n, c.m
	if len(dst) != n || len(g) != m+n+n*m {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d, want %d and %d", ErrDims, len(dst), len(g), n, m+n+n*m)
	}
	if err := checkFinite("cotangent", g); err != nil {
		return err
	}
	gp := mat.NewDense(n, m, slices.Clone(g[m+n:]))
	direct := make([]float64, n)
	c.condition(false).readoutT(gp.RawMatrix().Data, g[:m+n], c.input(), 1)
	for i := range n {
		prow := c.plan.RawRowView(i)
		for j := range m {
			direct[i] += c.sign * prow[j] * g[j] / c.massB[j]
		}
	}
	gx, err := c.backward(gp, direct)
	if err != nil {
		return err
	}
	copy(dst, gx)
	return nil
}

// JVP sets dst (length m + n + nm) to the derivative of (Sorted, Ranks,
// vec(Plan)) in the direction dx: dSorted_j = Σᵢ (dP_ij xᵢ + P_ij dxᵢ)/b_j,
// dRanks_i = n² Σⱼ dP_ij b̄ⱼ, with dP from the implicit JVP of the
// transport.
func (r *OTResult) JVP(dst, dx []float64) error {
	if r == nil || r.c == nil {
		return fmt.Errorf("%w: nil or zero *OTResult", ErrDims)
	}
	c := r.c
	n, m := c.n, c.m
	if len(dst) != m+n+n*m || len(dx) != n {
		return fmt.Errorf("%w: JVP into %d entries along %d, want %d and %d", ErrDims, len(dst), len(dx), m+n+n*m, n)
	}
	if err := checkFinite("direction", dx); err != nil {
		return err
	}
	dp, err := c.tangent(dx)
	if err != nil {
		return err
	}
	clear(dst)
	c.condition(false).readout(dst[:m+n], dp, c.input(), 1)
	for i := range n {
		prow := c.plan.RawRowView(i)
		for j := range m {
			dst[j] += prow[j] * dx[i] / c.massB[j]
		}
	}
	copy(dst[m+n:], dp)
	if !allFinite(dst) {
		return fmt.Errorf("%w: tangent", ErrNaN)
	}
	return nil
}

// Condition returns the condition of the soft top-k (see otCondition)
// with z = (Mask, vec(P)) (n + 2n, P the n×2 plan) and θ = x (n), as
// fresh copies.
func (r *OTTopKResult) Condition() (implicit.Condition, []float64, []float64) {
	if r == nil || r.c == nil {
		return nil, nil, nil
	}
	return r.c.condition(true), slices.Concat(r.Mask, r.c.planVec()), r.c.input()
}

// VJP sets dst (length n) to the gradient with respect to x of ⟨g, z⟩,
// z = (Mask, vec(P)): Backward with the plan's cotangent added.
func (r *OTTopKResult) VJP(dst, g []float64) error {
	if r == nil || r.c == nil {
		return fmt.Errorf("%w: nil or zero *OTTopKResult", ErrDims)
	}
	n := r.c.n
	if len(dst) != n || len(g) != 3*n {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d, want %d and %d", ErrDims, len(dst), len(g), n, 3*n)
	}
	if err := checkFinite("cotangent", g); err != nil {
		return err
	}
	gp := mat.NewDense(n, 2, slices.Clone(g[n:]))
	r.c.condition(true).readoutT(gp.RawMatrix().Data, g[:n], nil, 1)
	gx, err := r.c.backward(gp, nil)
	if err != nil {
		return err
	}
	copy(dst, gx)
	return nil
}

// JVP sets dst (length 3n) to the derivative of (Mask, vec(P)) in the
// direction dx: dMask_i = n dP_i1.
func (r *OTTopKResult) JVP(dst, dx []float64) error {
	if r == nil || r.c == nil {
		return fmt.Errorf("%w: nil or zero *OTTopKResult", ErrDims)
	}
	n := r.c.n
	if len(dst) != 3*n || len(dx) != n {
		return fmt.Errorf("%w: JVP into %d entries along %d, want %d and %d", ErrDims, len(dst), len(dx), 3*n, n)
	}
	if err := checkFinite("direction", dx); err != nil {
		return err
	}
	dp, err := r.c.tangent(dx)
	if err != nil {
		return err
	}
	for i := range n {
		dst[i] = float64(n) * dp[i*2+1]
	}
	copy(dst[n:], dp)
	return nil
}

// closedForm is F(z, x) = z − h(x) for a result h computed by solve, with
// ∂zF = I and ∂xF = −∂h from the result's own JVP and VJP.
type closedForm struct {
	nz, n int
	solve func(x []float64) (implicit.Differentiable, []float64, error)
}

func (c *closedForm) Dims() (int, int) { return c.nz, c.n }

func (c *closedForm) Residual(dst, z, x []float64) {
	var h []float64
	var err error
	if len(x) == c.n {
		_, h, err = c.solve(x)
	}
	if len(x) != c.n || err != nil || len(dst) != c.nz || len(z) != c.nz {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	for i := range dst {
		dst[i] = z[i] - h[i]
	}
}

func (c *closedForm) Linearize(z, x []float64) (implicit.Operator, implicit.Operator, error) {
	if len(z) != c.nz || len(x) != c.n {
		return nil, nil, fmt.Errorf("%w: condition %d×%d at len(z) = %d, len(θ) = %d", ErrDims, c.nz, c.n, len(z), len(x))
	}
	r, _, err := c.solve(x)
	if err != nil {
		return nil, nil, err
	}
	return identity(c.nz), negated(c.nz, c.n, r), nil
}
