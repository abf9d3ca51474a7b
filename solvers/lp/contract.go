package lp

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
	"github.com/optlayers/optlayers/solvers/qp"
)

var _ implicit.Differentiable = (*Solution)(nil)

// Layout is the flat parameter layout of an LP with N variables, NEq
// equality and M inequality constraints, and finite bounds on the
// variables listed in Upper and Lower (indices in increasing order):
//
//	θ = (c, vec A, b, vec G, h, u_Upper, l_Lower),
//
// matrices row-major, u_Upper the finite upper bounds and l_Lower the
// finite lower bounds in the order of their indices. The variable of the
// condition is
//
//	z = (x, ν, λ, μ_u, μ_l)
//
// with μ_u and μ_l the multipliers of those finite bounds (the nonzero
// entries of Solution.UpperDual and LowerDual), the order in which
// Solution.QP appends the bounds to G. Use the accessors rather than
// indexing θ by hand; like gonum's accessors they panic when θ does not
// have length Len() (a programming error, not a data error).
type Layout struct {
	N, NEq, M    int
	Upper, Lower []int
}

// LayoutOf returns the layout of pb (nil bounds: none finite). A problem
// that Solve would reject for its shapes gives ErrDims.
func LayoutOf(pb *Problem) (Layout, error) {
	q, lo, up, err := toQP(pb, 0)
	if err != nil {
		return Layout{}, err
	}
	n, neq, _ := q.Dims()
	return Layout{N: n, NEq: neq, M: len(pb.H), Upper: up, Lower: lo}, nil
}

// Len returns the length of θ.
func (l Layout) Len() int {
	return l.N + l.NEq*l.N + l.NEq + l.M*l.N + l.M + len(l.Upper) + len(l.Lower)
}

// LenZ returns the length of z = (x, ν, λ, μ_u, μ_l).
func (l Layout) LenZ() int { return l.N + l.NEq + l.M + len(l.Upper) + len(l.Lower) }

func (l Layout) offsets() (c, a, b, g, h, u, lo, end int) {
	c = 0
	a = c + l.N
	b = a + l.NEq*l.N
	g = b + l.NEq
	h = g + l.M*l.N
	u = h + l.M
	lo = u + len(l.Upper)
	end = lo + len(l.Lower)
	return
}

func (l Layout) check(theta []float64) {
	if len(theta) != l.Len() {
		panic(fmt.Sprintf("lp: θ has length %d, layout %+v needs %d", len(theta), l, l.Len()))
	}
}

// C returns c stored in θ (a view: writes change θ).
func (l Layout) C(theta []float64) []float64 {
	l.check(theta)
	_, a, _, _, _, _, _, _ := l.offsets()
	return theta[:a:a]
}

// A returns A stored in θ (a view), nil when NEq = 0.
func (l Layout) A(theta []float64) *mat.Dense {
	l.check(theta)
	_, a, b, _, _, _, _, _ := l.offsets()
	return view(theta[a:b:b], l.NEq, l.N)
}

// B returns b stored in θ (a view).
func (l Layout) B(theta []float64) []float64 {
	l.check(theta)
	_, _, b, g, _, _, _, _ := l.offsets()
	return theta[b:g:g]
}

// G returns G stored in θ (a view), nil when M = 0.
func (l Layout) G(theta []float64) *mat.Dense {
	l.check(theta)
	_, _, _, g, h, _, _, _ := l.offsets()
	return view(theta[g:h:h], l.M, l.N)
}

// H returns h stored in θ (a view).
func (l Layout) H(theta []float64) []float64 {
	l.check(theta)
	_, _, _, _, h, u, _, _ := l.offsets()
	return theta[h:u:u]
}

// UpperBounds returns the finite upper bounds u_Upper stored in θ (a view).
func (l Layout) UpperBounds(theta []float64) []float64 {
	l.check(theta)
	_, _, _, _, _, u, lo, _ := l.offsets()
	return theta[u:lo:lo]
}

// LowerBounds returns the finite lower bounds l_Lower stored in θ (a view).
func (l Layout) LowerBounds(theta []float64) []float64 {
	l.check(theta)
	_, _, _, _, _, _, lo, end := l.offsets()
	return theta[lo:end:end]
}

func view(data []float64, r, c int) *mat.Dense {
	if r == 0 || c == 0 {
		return nil
	}
	return mat.NewDense(r, c, data)
}

// Pack writes the parameters of pb into dst (allocated when nil) and
// returns it; pb must have layout l (ErrDims otherwise).
func (l Layout) Pack(dst []float64, pb *Problem) ([]float64, error) {
	pl, err := LayoutOf(pb)
	if err != nil {
		return nil, err
	}
	if !l.equal(pl) {
		return nil, fmt.Errorf("%w: problem has layout %+v, want %+v", ErrDims, pl, l)
	}
	if dst == nil {
		dst = make([]float64, l.Len())
	}
	copy(l.C(dst), pb.C)
	if a := l.A(dst); a != nil {
		a.Copy(pb.A)
	}
	copy(l.B(dst), pb.B)
	if g := l.G(dst); g != nil {
		g.Copy(pb.G)
	}
	copy(l.H(dst), pb.H)
	for k, i := range l.Upper {
		l.UpperBounds(dst)[k] = pb.Upper[i]
	}
	for k, i := range l.Lower {
		l.LowerBounds(dst)[k] = pb.Lower[i]
	}
	return dst, nil
}

func (l Layout) equal(o Layout) bool {
	if l.N != o.N || l.NEq != o.NEq || l.M != o.M || len(l.Upper) != len(o.Upper) || len(l.Lower) != len(o.Lower) {
		return false
	}
	for k := range l.Upper {
		if l.Upper[k] != o.Upper[k] {
			return false
		}
	}
	for k := range l.Lower {
		if l.Lower[k] != o.Lower[k] {
			return false
		}
	}
	return true
}

// Unpack returns the Problem stored in θ: the vectors and matrices are
// views of θ, the bounds fresh vectors with ±Inf outside Upper and Lower
// (nil when there are none).
func (l Layout) Unpack(theta []float64) *Problem {
	pb := &Problem{C: l.C(theta), B: l.B(theta), H: l.H(theta)}
	if a := l.A(theta); a != nil {
		pb.A = a
	}
	if g := l.G(theta); g != nil {
		pb.G = g
	}
	if len(l.Upper) > 0 {
		pb.Upper = make([]float64, l.N)
		for i := range pb.Upper {
			pb.Upper[i] = math.Inf(1)
		}
		for k, i := range l.Upper {
			pb.Upper[i] = l.UpperBounds(theta)[k]
		}
	}
	if len(l.Lower) > 0 {
		pb.Lower = make([]float64, l.N)
		for i := range pb.Lower {
			pb.Lower[i] = math.Inf(-1)
		}
		for k, i := range l.Lower {
			pb.Lower[i] = l.LowerBounds(theta)[k]
		}
	}
	return pb
}

// PackGradient writes g into dst (allocated when nil) in the layout of θ
// and returns it.
func (l Layout) PackGradient(dst []float64, g *Gradient) []float64 {
	if dst == nil {
		dst = make([]float64, l.Len())
	}
	copy(l.C(dst), g.C)
	if a := l.A(dst); a != nil && g.A != nil {
		a.Copy(g.A)
	}
	copy(l.B(dst), g.B)
	if gg := l.G(dst); gg != nil && g.G != nil {
		gg.Copy(g.G)
	}
	copy(l.H(dst), g.H)
	for k, i := range l.Upper {
		l.UpperBounds(dst)[k] = g.Upper[i]
	}
	for k, i := range l.Lower {
		l.LowerBounds(dst)[k] = g.Lower[i]
	}
	return dst
}

// Layout returns the parameter layout of the solved problem (the zero
// Layout for a Solution not returned by Solve).
func (s *Solution) Layout() Layout {
	if s == nil || s.qp == nil {
		return Layout{}
	}
	return Layout{N: len(s.X), NEq: len(s.Nu), M: s.m,
		Upper: append([]int(nil), s.upperIdx...), Lower: append([]int(nil), s.lowerIdx...)}
}

// cs returns the cost scale of the QP (1 without scaling).
func (s *Solution) cs() float64 {
	if s.costScale != 0 {
		return s.costScale
	}
	return 1
}

// Z returns z = (x, ν, λ, μ_u, μ_l) in the layout of Layout.
func (s *Solution) Z() []float64 {
	z := make([]float64, 0, s.Layout().LenZ())
	z = append(z, s.X...)
	z = append(z, s.Nu...)
	z = append(z, s.Lambda...)
	for _, i := range s.upperIdx {
		z = append(z, s.UpperDual[i])
	}
	for _, i := range s.lowerIdx {
		z = append(z, s.LowerDual[i])
	}
	return z
}

// Theta returns the packed parameters θ of the solved problem.
func (s *Solution) Theta() []float64 {
	l := s.Layout()
	th := make([]float64, l.Len())
	_, _, qth := s.qp.Condition()
	cs := s.cs()
	fromQP(l, th, qth, func(v float64) float64 { return v * cs })
	return th
}

// fromQP sets dst (LP layout l) from w (the layout of the QP the LP is
// solved as: bounds appended to the inequalities, a lower bound as
// −x ≤ −l), mapping the cost entries by cost (a rescaling of c).
func fromQP(l Layout, dst, w []float64, cost func(float64) float64) {
	ql := qp.Layout{N: l.N, NEq: l.NEq, M: l.M + len(l.Upper) + len(l.Lower)}
	for i, v := range ql.P(w) {
		l.C(dst)[i] = cost(v)
	}
	if a := l.A(dst); a != nil {
		a.Copy(ql.A(w))
	}
	copy(l.B(dst), ql.B(w))
	if g := l.G(dst); g != nil {
		g.Copy(ql.G(w).Slice(0, l.M, 0, l.N))
	}
	h := ql.H(w)
	copy(l.H(dst), h[:l.M])
	copy(l.UpperBounds(dst), h[l.M:l.M+len(l.Upper)])
	for k, v := range h[l.M+len(l.Upper):] {
		l.LowerBounds(dst)[k] = -v
	}
}

// Condition returns the KKT condition of the solved LP (with its
// regularization γ and barrier μ) with z = (x, ν, λ, μ_u, μ_l) and θ in
// the order of Layout, as fresh copies:
//
//	F₁ = γx + c + Aᵀν + Gᵀλ + μ_u − μ_l
//	F₂ = Ax − b
//	F₃ = λ ∘ (Gx − h) + μ,  μ_u ∘ (x − u) + μ,  μ_l ∘ (l − x) + μ
//
// It is the qp.KKTCondition of Solution.QP composed with the linear map
// from θ to that QP's parameters (c into p, the bounds into h, the
// constant γI and bound rows of G fixed); when the QP was solved at cost
// scale s = ‖c‖∞ > 1e12, F₁ and F₃ are divided by s, which does not
// change its solution. The engine differentiates it through the KKT
// matrix it assembles, not through the factorization VJP and JVP reuse.
// A Solution not returned by Solve gives a nil condition.
func (s *Solution) Condition() (implicit.Condition, []float64, []float64) {
	if s == nil || s.qp == nil {
		return nil, nil, nil
	}
	kc, _, qth := s.qp.Condition()
	return &condition{l: s.Layout(), kkt: kc, qth: qth, cs: s.cs()}, s.Z(), s.Theta()
}

// condition is the condition of Solution.Condition.
type condition struct {
	l   Layout
	kkt implicit.Condition
	qth []float64 // the QP's θ: Q and the bound rows of G are read here
	cs  float64
}

func (c *condition) Dims() (int, int) { return c.l.LenZ(), c.l.Len() }

// toQP maps (z, θ) to the QP's (z̃, θ̃): duals divided by the cost scale,
// θ written into a copy of the QP's parameters.
func (c *condition) toQP(z, theta []float64) ([]float64, []float64) {
	l, n := c.l, c.l.N
	zq := append([]float64(nil), z...)
	for i := n; i < len(zq); i++ {
		zq[i] /= c.cs
	}
	tq := append([]float64(nil), c.qth...)
	c.mapTheta(tq, theta)
	_ = l
	return zq, tq
}

// mapTheta writes the image of θ (or of a direction, with the affine
// part left to tq) into the QP parameter vector tq.
func (c *condition) mapTheta(tq, theta []float64) {
	l := c.l
	ql := qp.Layout{N: l.N, NEq: l.NEq, M: l.M + len(l.Upper) + len(l.Lower)}
	for i, v := range l.C(theta) {
		ql.P(tq)[i] = v / c.cs
	}
	if a := l.A(theta); a != nil {
		ql.A(tq).Copy(a)
	}
	copy(ql.B(tq), l.B(theta))
	if g := l.G(theta); g != nil {
		ql.G(tq).Slice(0, l.M, 0, l.N).(*mat.Dense).Copy(g)
	}
	h := ql.H(tq)
	copy(h, l.H(theta))
	copy(h[l.M:], l.UpperBounds(theta))
	for k, v := range l.LowerBounds(theta) {
		h[l.M+len(l.Upper)+k] = -v
	}
}

// unmapTheta is the transpose of the linear part of mapTheta: it sets
// dst (LP layout) from w (QP layout).
func (c *condition) unmapTheta(dst, w []float64) {
	fromQP(c.l, dst, w, func(v float64) float64 { return v / c.cs })
}

func (c *condition) Residual(dst, z, theta []float64) {
	if len(dst) != c.l.LenZ() || len(z) != c.l.LenZ() || len(theta) != c.l.Len() {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return
	}
	zq, tq := c.toQP(z, theta)
	c.kkt.Residual(dst, zq, tq)
}

func (c *condition) Linearize(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
	nz, p := c.Dims()
	if len(z) != nz || len(theta) != p {
		return nil, nil, fmt.Errorf("%w: LP condition of %d×%d at len(z)=%d, len(θ)=%d", ErrDims, nz, p, len(z), len(theta))
	}
	zq, tq := c.toQP(z, theta)
	dz, dth, err := c.kkt.Linearize(zq, tq)
	if err != nil {
		return nil, nil, err
	}
	n := c.l.N
	tmp := make([]float64, nz)
	dZ := linsolve.NewFunc(nz, nz, func(dst, v []float64) {
		copy(tmp, v)
		for i := n; i < nz; i++ {
			tmp[i] /= c.cs
		}
		dz.Apply(dst, tmp)
	}, func(dst, u []float64) {
		dz.ApplyT(dst, u)
		for i := n; i < nz; i++ {
			dst[i] /= c.cs
		}
	})
	big := make([]float64, len(c.qth))
	dTh := linsolve.NewFunc(nz, p, func(dst, v []float64) {
		clear(big)
		c.mapTheta(big, v)
		dth.Apply(dst, big)
	}, func(dst, u []float64) {
		dth.ApplyT(big, u)
		c.unmapTheta(dst, big)
	})
	return dZ, dTh, nil
}

// VJP sets dst (length Layout().Len()) to the gradient with respect to θ
// (the flat parameters of Layout) of ⟨g, z*⟩, z* = (x*, ν*, λ*, μ_u, μ_l),
// for g of length Layout().LenZ(): the module's contract over the QP
// backward pass of Backward (which takes a cotangent of x* only and
// returns the gradient as a typed Gradient). Wrong lengths give ErrDims,
// NaN or Inf in g ErrNaN, a Solution not returned by Solve ErrInvalid.
func (s *Solution) VJP(dst, g []float64) error {
	if s == nil || s.qp == nil {
		return fmt.Errorf("%w: Solution not returned by Solve", ErrInvalid)
	}
	l := s.Layout()
	if len(dst) != l.Len() || len(g) != l.LenZ() {
		return fmt.Errorf("%w: VJP into %d entries with a cotangent of %d (want %d and %d)", ErrDims, len(dst), len(g), l.Len(), l.LenZ())
	}
	n, cs := l.N, s.cs()
	gd := make([]float64, len(g)-n)
	for i, v := range g[n:] {
		gd[i] = v * cs // z's duals are cs times the QP's
	}
	grad, err := s.backward(g[:n], gd[:l.NEq], gd[l.NEq:])
	if err != nil {
		return err
	}
	l.PackGradient(dst, grad)
	return nil
}

// JVP sets dst (length Layout().LenZ()) to the derivative of
// z* = (x*, ν*, λ*, μ_u, μ_l) in the direction dθ of the flat parameters
// of Layout, by the QP's forward mode on the KKT factorization kept from
// the solve. Wrong lengths give ErrDims, NaN or Inf in dθ ErrNaN, a
// Solution not returned by Solve ErrInvalid.
func (s *Solution) JVP(dst, dtheta []float64) error {
	if s == nil || s.qp == nil {
		return fmt.Errorf("%w: Solution not returned by Solve", ErrInvalid)
	}
	l := s.Layout()
	if len(dst) != l.LenZ() || len(dtheta) != l.Len() {
		return fmt.Errorf("%w: JVP into %d entries along %d (want %d and %d)", ErrDims, len(dst), len(dtheta), l.LenZ(), l.Len())
	}
	for i, v := range dtheta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: dθ[%d] = %v", ErrNaN, i, v)
		}
	}
	ql := s.qp.Layout()
	c := &condition{l: l, cs: s.cs()}
	dq := make([]float64, ql.Len())
	c.mapTheta(dq, dtheta)
	dp := ql.Unpack(dq)
	dp.Q = nil
	tan, err := s.qp.Tangent(dp)
	if err != nil {
		return err
	}
	n := l.N
	copy(dst, tan.X)
	copy(dst[n:], tan.Nu)
	copy(dst[n+l.NEq:], tan.Lambda)
	for i := n; i < len(dst); i++ {
		dst[i] *= c.cs
	}
	for i, v := range dst {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: JVP overflows at entry %d", ErrNaN, i)
		}
	}
	return nil
}
