package project

import (
	"fmt"
	"math"
	"slices"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Parametric is a Set whose projection can also be differentiated with
// respect to the set's own parameters θ (a radius, bounds, a normal
// vector, a right-hand side), for example to learn the radius of an l1
// constraint or the bounds of a box. The layout of θ is documented on each
// type's Params method; it has a fixed length for the set (independent of
// n for sets with scalar or broadcast parameters).
//
// ParamJVP sets dst (length n) to ∂P/∂θ · dθ and ParamVJP sets dst
// (length len(θ)) to (∂P/∂θ)ᵀ u, at x = P(y). WithParams returns the set
// of the same kind with parameters θ (validated by the next Project).
type Parametric interface {
	Set
	Params() []float64
	WithParams(theta []float64) (Parametric, error)
	ParamJVP(dst, x, y, dtheta []float64) error
	ParamVJP(dst, x, y, u []float64) error
}

func checkParamProduct(x, y, dtheta []float64, p int) error {
	if len(x) == 0 || len(x) != len(y) {
		return fmt.Errorf("%w: len(x) = %d, len(y) = %d", ErrDims, len(x), len(y))
	}
	if len(dtheta) != p {
		return fmt.Errorf("%w: %d parameters, want %d", ErrDims, len(dtheta), p)
	}
	if !finite(dtheta) || !finite(x) || !finite(y) {
		return fmt.Errorf("%w: x, y or parameter vector", ErrNaN)
	}
	return nil
}

func checkParamVJP(dst, x, y, u []float64, p int) error {
	if len(x) == 0 || len(x) != len(y) || len(u) != len(x) {
		return fmt.Errorf("%w: len(x) = %d, len(y) = %d, len(u) = %d", ErrDims, len(x), len(y), len(u))
	}
	if len(dst) != p {
		return fmt.Errorf("%w: len(dst) = %d, %d parameters", ErrDims, len(dst), p)
	}
	if !finite(u) || !finite(x) || !finite(y) {
		return fmt.Errorf("%w: x, y or cotangent", ErrNaN)
	}
	return nil
}

func checkLen(dst []float64, n int) error {
	if len(dst) != n {
		return fmt.Errorf("%w: len(dst) = %d, want %d", ErrDims, len(dst), n)
	}
	return nil
}

func paramsLen(theta []float64, p int) error {
	if len(theta) != p {
		return fmt.Errorf("%w: %d parameters, want %d", ErrDims, len(theta), p)
	}
	return nil
}

// Params returns θ = (r).
func (s Simplex) Params() []float64 { return []float64{s.Radius} }

// WithParams returns Simplex{θ₀}.
func (s Simplex) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, 1); err != nil {
		return nil, err
	}
	return Simplex{theta[0]}, nil
}

// ParamJVP sets dst = dr·1_S/|S|: the radius is shared by the support.
func (s Simplex) ParamJVP(dst, x, y, dtheta []float64) error {
	if err := checkParamProduct(x, y, dtheta, 1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	k := 0
	for _, xi := range x {
		if xi > 0 {
			k++
		}
	}
	for i, xi := range x {
		dst[i] = 0
		if xi > 0 {
			dst[i] = dtheta[0] / float64(k)
		}
	}
	return checkOutput(dst)
}

// ParamVJP sets dst = (Σ_S uᵢ/|S|).
func (s Simplex) ParamVJP(dst, x, y, u []float64) error {
	if err := checkParamVJP(dst, x, y, u, 1); err != nil {
		return err
	}
	sum, k := 0.0, 0
	for i, xi := range x {
		if xi > 0 {
			sum += u[i]
			k++
		}
	}
	dst[0] = 0
	if k > 0 {
		dst[0] = sum / float64(k)
	}
	return checkOutput(dst)
}

// Params returns θ = (r).
func (b L1Ball) Params() []float64 { return []float64{b.Radius} }

// WithParams returns L1Ball{θ₀}.
func (b L1Ball) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, 1); err != nil {
		return nil, err
	}
	return L1Ball{theta[0]}, nil
}

// ParamJVP sets dst = dr·sign(x)/|S| on the support outside the ball, 0
// inside.
func (b L1Ball) ParamJVP(dst, x, y, dtheta []float64) error {
	if err := checkParamProduct(x, y, dtheta, 1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	clear(dst)
	if norm1(y) <= b.Radius {
		return nil
	}
	k := 0
	for _, xi := range x {
		if xi != 0 {
			k++
		}
	}
	for i, xi := range x {
		switch {
		case xi > 0:
			dst[i] = dtheta[0] / float64(k)
		case xi < 0:
			dst[i] = -dtheta[0] / float64(k)
		}
	}
	return checkOutput(dst)
}

// ParamVJP sets dst = (Σ_S sign(xᵢ)uᵢ/|S|) outside the ball, 0 inside.
func (b L1Ball) ParamVJP(dst, x, y, u []float64) error {
	if err := checkParamVJP(dst, x, y, u, 1); err != nil {
		return err
	}
	dst[0] = 0
	if norm1(y) <= b.Radius {
		return nil
	}
	sum, k := 0.0, 0
	for i, xi := range x {
		switch {
		case xi > 0:
			sum += u[i]
			k++
		case xi < 0:
			sum -= u[i]
			k++
		}
	}
	if k > 0 {
		dst[0] = sum / float64(k)
	}
	return checkOutput(dst)
}

// Params returns θ = (r).
func (b L2Ball) Params() []float64 { return []float64{b.Radius} }

// WithParams returns L2Ball{θ₀}.
func (b L2Ball) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, 1); err != nil {
		return nil, err
	}
	return L2Ball{theta[0]}, nil
}

// ParamJVP sets dst = dr·y/‖y‖ outside the ball, 0 inside.
func (b L2Ball) ParamJVP(dst, x, y, dtheta []float64) error {
	if err := checkParamProduct(x, y, dtheta, 1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	nrm := norm2(y)
	if nrm <= b.Radius {
		clear(dst)
		return nil
	}
	for i := range dst {
		dst[i] = dtheta[0] * (y[i] / nrm)
	}
	return checkOutput(dst)
}

// ParamVJP sets dst = (⟨u, y⟩/‖y‖) outside the ball, 0 inside.
func (b L2Ball) ParamVJP(dst, x, y, u []float64) error {
	if err := checkParamVJP(dst, x, y, u, 1); err != nil {
		return err
	}
	nrm := norm2(y)
	dst[0] = 0
	if nrm > b.Radius {
		for i := range u {
			dst[0] += u[i] * (y[i] / nrm)
		}
	}
	return checkOutput(dst)
}

// Params returns θ = (r).
func (b LInfBall) Params() []float64 { return []float64{b.Radius} }

// WithParams returns LInfBall{θ₀}.
func (b LInfBall) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, 1); err != nil {
		return nil, err
	}
	return LInfBall{theta[0]}, nil
}

// ParamJVP sets dstᵢ = dr·sign(yᵢ) where |yᵢ| ≥ r (clipped), 0 elsewhere.
func (b LInfBall) ParamJVP(dst, x, y, dtheta []float64) error {
	if err := checkParamProduct(x, y, dtheta, 1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = 0
		if !(math.Abs(x[i]) < b.Radius) {
			dst[i] = math.Copysign(1, y[i]) * dtheta[0]
		}
	}
	return nil
}

// ParamVJP sets dst = (Σ_{clipped} sign(yᵢ)uᵢ).
func (b LInfBall) ParamVJP(dst, x, y, u []float64) error {
	if err := checkParamVJP(dst, x, y, u, 1); err != nil {
		return err
	}
	dst[0] = 0
	for i := range u {
		if !(math.Abs(x[i]) < b.Radius) {
			dst[0] += math.Copysign(1, y[i]) * u[i]
		}
	}
	return checkOutput(dst)
}

// Params returns θ = (Lower..., Upper...), each part of the length stored
// in the Box (0 for an absent bound, 1 for a broadcast one, n otherwise).
func (b Box) Params() []float64 { return slices.Concat(b.Lower, b.Upper) }

// WithParams returns the box with the bounds taken from θ, split as in
// Params.
func (b Box) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, len(b.Lower)+len(b.Upper)); err != nil {
		return nil, err
	}
	nl := len(b.Lower)
	return Box{Lower: slices.Clone(theta[:nl:nl]), Upper: slices.Clone(theta[nl:])}, nil
}

// boxSide returns −1 where xᵢ sits at its lower bound, +1 at its upper
// bound and 0 where it is free (yᵢ = lᵢ counts as the lower bound, as in
// JVP).
func (b Box) boxSide(x []float64, i int) int {
	switch {
	case !(x[i] > bound(b.Lower, i, math.Inf(-1))):
		return -1
	case !(x[i] < bound(b.Upper, i, math.Inf(1))):
		return 1
	}
	return 0
}

// paramIndex maps coordinate i to its parameter in a slice of stored
// length m (broadcast when m = 1).
func paramIndex(m, i int) int {
	if m == 1 {
		return 0
	}
	return i
}

// ParamJVP sets dstᵢ = dlᵢ at the lower bound, duᵢ at the upper bound, 0
// for free coordinates.
func (b Box) ParamJVP(dst, x, y, dtheta []float64) error {
	nl := len(b.Lower)
	if err := checkParamProduct(x, y, dtheta, nl+len(b.Upper)); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	if err := b.check(len(x)); err != nil {
		return err
	}
	for i := range dst {
		switch b.boxSide(x, i) {
		case -1:
			dst[i] = dtheta[paramIndex(nl, i)]
		case 1:
			dst[i] = dtheta[nl+paramIndex(len(b.Upper), i)]
		default:
			dst[i] = 0
		}
	}
	return nil
}

// ParamVJP sets dst to the gradient with respect to (Lower, Upper) of
// ⟨u, P(y)⟩ (broadcast bounds receive the sum over their coordinates).
func (b Box) ParamVJP(dst, x, y, u []float64) error {
	nl := len(b.Lower)
	if err := checkParamVJP(dst, x, y, u, nl+len(b.Upper)); err != nil {
		return err
	}
	if err := b.check(len(x)); err != nil {
		return err
	}
	clear(dst)
	for i := range u {
		switch b.boxSide(x, i) {
		case -1:
			dst[paramIndex(nl, i)] += u[i]
		case 1:
			dst[nl+paramIndex(len(b.Upper), i)] += u[i]
		}
	}
	return checkOutput(dst)
}

// Params returns θ = (a..., b): the normal then the offset.
func (h Hyperplane) Params() []float64 { return append(slices.Clone(h.Normal), h.Offset) }

// WithParams returns the hyperplane with normal θ[:n] and offset θ[n].
func (h Hyperplane) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, len(h.Normal)+1); err != nil {
		return nil, err
	}
	n := len(h.Normal)
	return Hyperplane{Normal: slices.Clone(theta[:n]), Offset: theta[n]}, nil
}

// hyperplaneParamJVP: with c = (⟨a, y⟩ − b)/‖a‖², x = y − c a and
// dx = −c da − a (⟨y − 2c a, da⟩ − db)/‖a‖².
func hyperplaneParamJVP(dst, a []float64, b float64, y, dtheta []float64) error {
	n := len(a)
	aa := dot(a, a)
	c := (dot(a, y) - b) / aa
	da, db := dtheta[:n], dtheta[n]
	s := 0.0
	for i := range n {
		s += (y[i] - 2*c*a[i]) * da[i]
	}
	s = (s - db) / aa
	for i := range n {
		dst[i] = -c*da[i] - a[i]*s
	}
	return checkOutput(dst)
}

// hyperplaneParamVJP is the transpose: ∇a = −c u − (⟨u, a⟩/‖a‖²)(y − 2c a),
// ∇b = ⟨u, a⟩/‖a‖².
func hyperplaneParamVJP(dst, a []float64, b float64, y, u []float64) error {
	n := len(a)
	aa := dot(a, a)
	c := (dot(a, y) - b) / aa
	ua := dot(u, a) / aa
	for i := range n {
		dst[i] = -c*u[i] - ua*(y[i]-2*c*a[i])
	}
	dst[n] = ua
	return checkOutput(dst)
}

// ParamJVP sets dst = ∂P/∂(a, b) · dθ.
func (h Hyperplane) ParamJVP(dst, x, y, dtheta []float64) error {
	if err := checkParamProduct(x, y, dtheta, len(h.Normal)+1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	if _, err := checkNormal(h.Normal, h.Offset, len(x)); err != nil {
		return err
	}
	return hyperplaneParamJVP(dst, h.Normal, h.Offset, y, dtheta)
}

// ParamVJP sets dst = (∂P/∂(a, b))ᵀ u.
func (h Hyperplane) ParamVJP(dst, x, y, u []float64) error {
	if err := checkParamVJP(dst, x, y, u, len(h.Normal)+1); err != nil {
		return err
	}
	if _, err := checkNormal(h.Normal, h.Offset, len(x)); err != nil {
		return err
	}
	return hyperplaneParamVJP(dst, h.Normal, h.Offset, y, u)
}

// Params returns θ = (a..., b): the normal then the offset.
func (h Halfspace) Params() []float64 { return append(slices.Clone(h.Normal), h.Offset) }

// WithParams returns the halfspace with normal θ[:n] and offset θ[n].
func (h Halfspace) WithParams(theta []float64) (Parametric, error) {
	if err := paramsLen(theta, len(h.Normal)+1); err != nil {
		return nil, err
	}
	n := len(h.Normal)
	return Halfspace{Normal: slices.Clone(theta[:n]), Offset: theta[n]}, nil
}

// ParamJVP is the hyperplane's outside the halfspace and 0 inside.
func (h Halfspace) ParamJVP(dst, x, y, dtheta []float64) error {
	if err := checkParamProduct(x, y, dtheta, len(h.Normal)+1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	nrm, err := checkNormal(h.Normal, h.Offset, len(x))
	if err != nil {
		return err
	}
	if !h.outside(y, nrm) {
		clear(dst)
		return nil
	}
	return hyperplaneParamJVP(dst, h.Normal, h.Offset, y, dtheta)
}

// ParamVJP is the hyperplane's outside the halfspace and 0 inside.
func (h Halfspace) ParamVJP(dst, x, y, u []float64) error {
	if err := checkParamVJP(dst, x, y, u, len(h.Normal)+1); err != nil {
		return err
	}
	nrm, err := checkNormal(h.Normal, h.Offset, len(x))
	if err != nil {
		return err
	}
	if !h.outside(y, nrm) {
		clear(dst)
		return nil
	}
	return hyperplaneParamVJP(dst, h.Normal, h.Offset, y, u)
}

// Params returns θ = (Lower..., Upper..., Weights..., Value), each slice
// with its stored length (Weights nil gives no weight parameters).
func (b BoxSection) Params() []float64 {
	return append(slices.Concat(b.Lower, b.Upper, b.Weights), b.Value)
}

// WithParams returns the box section with parameters θ split as in
// Params.
func (b BoxSection) WithParams(theta []float64) (Parametric, error) {
	nl, nu, nw := len(b.Lower), len(b.Upper), len(b.Weights)
	if err := paramsLen(theta, nl+nu+nw+1); err != nil {
		return nil, err
	}
	out := BoxSection{Lower: slices.Clone(theta[:nl]), Upper: slices.Clone(theta[nl : nl+nu]), Value: theta[nl+nu+nw]}
	if nw > 0 {
		out.Weights = slices.Clone(theta[nl+nu : nl+nu+nw])
	}
	return out, nil
}

// boxSectionState classifies coordinates (−1 lower, +1 upper, 0 free) and
// returns τ (from a free coordinate, 0 if none) and ‖w_F‖².
func (b BoxSection) boxSectionState(x, y []float64, side []int8) (tau, ww float64) {
	k := 0
	for i := range x {
		switch {
		case !(x[i] > bound(b.Lower, i, 0)):
			side[i] = -1
		case !(x[i] < bound(b.Upper, i, 0)):
			side[i] = 1
		default:
			side[i] = 0
			w := b.weight(i)
			tau += (y[i] - x[i]) / w
			ww += w * w
			k++
		}
	}
	if k > 0 {
		tau /= float64(k)
	}
	return tau, ww
}

// ParamJVP differentiates x = clip(y − τw, l, u) with ⟨w, x⟩ = c: on the
// free set F, dx_F = −dτ w_F − τ dw_F with
// dτ = (Σ_L wᵢdlᵢ + Σ_U wᵢduᵢ + Σ xᵢdwᵢ − τ Σ_F wᵢdwᵢ − dc)/‖w_F‖²; at a
// bound, dxᵢ = dlᵢ or duᵢ.
func (b BoxSection) ParamJVP(dst, x, y, dtheta []float64) error {
	nl, nu, nw := len(b.Lower), len(b.Upper), len(b.Weights)
	if err := checkParamProduct(x, y, dtheta, nl+nu+nw+1); err != nil {
		return err
	}
	if err := checkLen(dst, len(x)); err != nil {
		return err
	}
	if err := b.check(len(x)); err != nil {
		return err
	}
	n := len(x)
	side := make([]int8, n)
	tau, ww := b.boxSectionState(x, y, side)
	dl := func(i int) float64 { return dtheta[paramIndex(nl, i)] }
	du := func(i int) float64 { return dtheta[nl+paramIndex(nu, i)] }
	dw := func(i int) float64 {
		if nw == 0 {
			return 0
		}
		return dtheta[nl+nu+paramIndex(nw, i)]
	}
	dc := dtheta[nl+nu+nw]
	num := -dc
	for i := range n {
		num += x[i] * dw(i)
		switch side[i] {
		case -1:
			num += b.weight(i) * dl(i)
		case 1:
			num += b.weight(i) * du(i)
		default:
			num -= tau * b.weight(i) * dw(i)
		}
	}
	dtau := 0.0
	if ww > 0 {
		dtau = num / ww
	}
	for i := range n {
		switch side[i] {
		case -1:
			dst[i] = dl(i)
		case 1:
			dst[i] = du(i)
		default:
			dst[i] = -dtau*b.weight(i) - tau*dw(i)
		}
	}
	return checkOutput(dst)
}

// ParamVJP is the transpose of ParamJVP; with κ = ⟨u_F, w_F⟩/‖w_F‖²:
// ∇lᵢ = uᵢ − κwᵢ on L, ∇uᵢ = uᵢ − κwᵢ on U,
// ∇wᵢ = −κxᵢ + 1_F(i)·τ(κwᵢ − uᵢ), ∇c = κ.
func (b BoxSection) ParamVJP(dst, x, y, u []float64) error {
	nl, nu, nw := len(b.Lower), len(b.Upper), len(b.Weights)
	if err := checkParamVJP(dst, x, y, u, nl+nu+nw+1); err != nil {
		return err
	}
	if err := b.check(len(x)); err != nil {
		return err
	}
	n := len(x)
	side := make([]int8, n)
	tau, ww := b.boxSectionState(x, y, side)
	uw := 0.0
	for i := range n {
		if side[i] == 0 {
			uw += u[i] * b.weight(i)
		}
	}
	kappa := 0.0
	if ww > 0 {
		kappa = uw / ww
	}
	clear(dst)
	for i := range n {
		w := b.weight(i)
		switch side[i] {
		case -1:
			dst[paramIndex(nl, i)] += u[i] - kappa*w
		case 1:
			dst[nl+paramIndex(nu, i)] += u[i] - kappa*w
		}
		if nw > 0 {
			g := -kappa * x[i]
			if side[i] == 0 {
				g += tau * (kappa*w - u[i])
			}
			dst[nl+nu+paramIndex(nw, i)] += g
		}
	}
	dst[nl+nu+nw] = kappa
	return checkOutput(dst)
}

// ParamCondition is [Condition] with the set's parameters appended to θ:
//
//	F(x, (y, φ)) = P_φ(x − η(x − y)) − x,   θ = (y, φ) ∈ R^{n+len(φ)},
//
// with φ = c.Params(). Residual builds the set c.WithParams(φ) on each
// call. The engine then differentiates x* with respect to y and φ
// together; the closed forms are JVP/VJP and ParamJVP/ParamVJP.
func ParamCondition(c Parametric, n int, eta float64) (implicit.Condition, error) {
	if err := checkCondition(c == nil, n, eta); err != nil {
		return nil, err
	}
	sp := safeParam{safeSet{c}, c}
	th, err := sp.params()
	if err != nil {
		return nil, err
	}
	return &paramCondition{set: sp, n: n, p: len(th), eta: eta}, nil
}

type paramCondition struct {
	set  Parametric
	n, p int
	eta  float64
}

func (c *paramCondition) Dims() (int, int) { return c.n, c.n + c.p }

func (c *paramCondition) at(theta []float64) (Parametric, []float64, error) {
	if len(theta) != c.n+c.p {
		return nil, nil, fmt.Errorf("%w: len(theta) = %d, want %d", ErrDims, len(theta), c.n+c.p)
	}
	s, err := c.set.WithParams(theta[c.n:])
	return s, theta[:c.n], err
}

func (c *paramCondition) Residual(dst, x, theta []float64) {
	s, y, err := c.at(theta)
	if err != nil || len(x) != c.n {
		fillNaN(dst)
		return
	}
	(&condition{set: s, n: c.n, eta: c.eta}).Residual(dst, x, y)
}

func (c *paramCondition) Linearize(x, theta []float64) (implicit.Operator, implicit.Operator, error) {
	s, y, err := c.at(theta)
	if err != nil {
		return nil, nil, err
	}
	dx, dy, err := (&condition{set: s, n: c.n, eta: c.eta}).Linearize(x, y)
	if err != nil {
		return nil, nil, err
	}
	n, p := c.n, c.p
	z := make([]float64, n)
	for i := range z {
		z[i] = x[i] - c.eta*(x[i]-y[i])
	}
	pz := make([]float64, n)
	if err := s.Project(pz, z); err != nil {
		return nil, nil, err
	}
	apply := func(dst, v []float64) {
		dy.Apply(dst, v[:n])
		tmp := make([]float64, n)
		if err := s.ParamJVP(tmp, pz, z, v[n:]); err != nil {
			fillNaN(dst)
			return
		}
		for i := range dst {
			dst[i] += tmp[i]
		}
	}
	applyT := func(dst, u []float64) {
		dy.ApplyT(dst[:n], u)
		if err := s.ParamVJP(dst[n:], pz, z, u); err != nil {
			fillNaN(dst)
		}
	}
	return dx, linsolve.NewFunc(n, n+p, apply, applyT), nil
}

// The sets with parameters implement Parametric.
var (
	_ Parametric = Box{}
	_ Parametric = LInfBall{}
	_ Parametric = L2Ball{}
	_ Parametric = L1Ball{}
	_ Parametric = Simplex{}
	_ Parametric = Hyperplane{}
	_ Parametric = Halfspace{}
	_ Parametric = BoxSection{}
	_ Parametric = (*Affine)(nil)
	_ Parametric = (*Polyhedron)(nil)
	_ Set        = NonNegative{}
)
