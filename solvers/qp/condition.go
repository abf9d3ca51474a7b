package qp

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/optlayers/optlayers/implicit"
	"github.com/optlayers/optlayers/implicit/linsolve"
)

// Layout is the flat parameter layout of a QP with N variables, NEq
// equality and M inequality constraints:
//
//	θ = (vec Q, p, vec A, b, vec G, h),
//
// matrices row-major, of length N² + N + NEq·N + NEq + M·N + M, one
// accessor per block (Q, P, A, B, G, H). Use them rather than indexing θ
// by hand; like gonum's accessors they panic when θ does not have length
// Len() (a programming error, not a data error). The variable of the KKT
// condition is z = (x, ν, λ) of length N + NEq + M.
type Layout struct{ N, NEq, M int }

// LayoutOf returns the layout of pb.
func LayoutOf(pb *Problem) Layout { n, p, m := pb.Dims(); return Layout{n, p, m} }

// Len returns the length of θ.
func (l Layout) Len() int { return l.N*l.N + l.N + l.NEq*l.N + l.NEq + l.M*l.N + l.M }

// LenZ returns the length of z = (x, ν, λ).
func (l Layout) LenZ() int { return l.N + l.NEq + l.M }

func (l Layout) offsets() (q, p, a, b, g, h, end int) {
	q = 0
	p = q + l.N*l.N
	a = p + l.N
	b = a + l.NEq*l.N
	g = b + l.NEq
	h = g + l.M*l.N
	end = h + l.M
	return
}

func (l Layout) check(theta []float64) {
	if len(theta) != l.Len() {
		panic(fmt.Sprintf("qp: θ has length %d, layout %+v needs %d", len(theta), l, l.Len()))
	}
}

// Q returns the n×n matrix Q stored in θ (a view: writes change θ).
func (l Layout) Q(theta []float64) *mat.Dense {
	l.check(theta)
	q, p, _, _, _, _, _ := l.offsets()
	return viewDense(theta[q:p], l.N, l.N)
}

// P returns p stored in θ (a view).
func (l Layout) P(theta []float64) []float64 {
	l.check(theta)
	_, p, a, _, _, _, _ := l.offsets()
	return theta[p:a:a]
}

// A returns A stored in θ (a view), nil when P = 0.
func (l Layout) A(theta []float64) *mat.Dense {
	l.check(theta)
	_, _, a, b, _, _, _ := l.offsets()
	return viewDense(theta[a:b], l.NEq, l.N)
}

// B returns b stored in θ (a view).
func (l Layout) B(theta []float64) []float64 {
	l.check(theta)
	_, _, _, b, g, _, _ := l.offsets()
	return theta[b:g:g]
}

// G returns G stored in θ (a view), nil when M = 0.
func (l Layout) G(theta []float64) *mat.Dense {
	l.check(theta)
	_, _, _, _, g, h, _ := l.offsets()
	return viewDense(theta[g:h], l.M, l.N)
}

// H returns h stored in θ (a view).
func (l Layout) H(theta []float64) []float64 {
	l.check(theta)
	_, _, _, _, _, h, e := l.offsets()
	return theta[h:e:e]
}

func viewDense(data []float64, r, c int) *mat.Dense {
	if r == 0 || c == 0 {
		return nil
	}
	return mat.NewDense(r, c, data)
}

// Pack writes the parameters of pb into dst (allocated when nil) and
// returns it. A nil Q is packed as zeros.
func (l Layout) Pack(dst []float64, pb *Problem) ([]float64, error) {
	if LayoutOf(pb) != l {
		return nil, fmt.Errorf("%w: problem has layout %+v, want %+v", ErrDims, LayoutOf(pb), l)
	}
	d, err := newData(pb)
	if err != nil {
		return nil, err
	}
	if dst == nil {
		dst = make([]float64, l.Len())
	}
	l.check(dst)
	q, p, a, b, g, h, _ := l.offsets()
	if d.q != nil {
		copy(dst[q:p], d.q)
	} else {
		clear(dst[q:p])
	}
	copy(dst[p:a], d.p)
	copy(dst[a:b], d.a)
	copy(dst[b:g], d.b)
	copy(dst[g:h], d.g)
	copy(dst[h:], d.h)
	return dst, nil
}

// Unpack returns the Problem stored in θ. Q is the symmetric part
// ½(Q + Qᵀ) of the stored matrix (a copy); the other fields are views of θ.
func (l Layout) Unpack(theta []float64) *Problem {
	l.check(theta)
	n := l.N
	qd := l.Q(theta).RawMatrix().Data
	q := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			q.SetSym(i, j, 0.5*(qd[i*n+j]+qd[j*n+i]))
		}
	}
	pb := &Problem{Q: q, P: l.P(theta), B: l.B(theta), H: l.H(theta)}
	if a := l.A(theta); a != nil {
		pb.A = a
	}
	if g := l.G(theta); g != nil {
		pb.G = g
	}
	return pb
}

// PackGradient writes g into dst (allocated when nil) in the layout of θ
// and returns it.
func (l Layout) PackGradient(dst []float64, g *Gradient) []float64 {
	if dst == nil {
		dst = make([]float64, l.Len())
	}
	l.check(dst)
	q, p, a, b, gg, h, _ := l.offsets()
	copy(dst[q:p], g.Q.RawMatrix().Data)
	copy(dst[p:a], g.P)
	if g.A != nil {
		copy(dst[a:b], g.A.RawMatrix().Data)
	}
	copy(dst[b:gg], g.B)
	if g.G != nil {
		copy(dst[gg:h], g.G.RawMatrix().Data)
	}
	copy(dst[h:], g.H)
	return dst
}

// Z returns z = (x, ν, λ) of the solution, the variable of the KKT
// condition.
func (s *Solution) Z() []float64 {
	z := append([]float64(nil), s.X...)
	z = append(z, s.Nu...)
	return append(z, s.Lambda...)
}

// Layout returns the parameter layout of the solved problem.
func (s *Solution) Layout() Layout { n, p, m := s.Dims(); return Layout{n, p, m} }

// Theta returns the packed parameters θ of the solved problem.
func (s *Solution) Theta() []float64 {
	l := s.Layout()
	out := make([]float64, l.Len())
	q, p, a, b, g, h, _ := l.offsets()
	if s.d.q != nil {
		copy(out[q:p], s.d.fullQ())
	}
	copy(out[p:a], s.d.p)
	copy(out[a:b], s.d.a)
	copy(out[b:g], s.d.b)
	copy(out[g:h], s.d.g)
	copy(out[h:], s.d.h)
	return out
}

// Condition returns the KKT condition of the solved problem (a
// *KKTCondition, with the solve's barrier weight) together with its
// variable z and parameter θ, ready for the implicit package:
// implicit.VJP(ctx, c, z, θ, g, nil). It is the Condition of the module's
// contract, implicit.Differentiable.
func (s *Solution) Condition() (c implicit.Condition, z, theta []float64) {
	return &KKTCondition{Layout: s.Layout(), Barrier: s.barrier}, s.Z(), s.Theta()
}

// KKTCondition is the KKT system of a QP as an implicit.Condition
// F(z, θ) = 0 with z = (x, ν, λ) and θ in the order of Layout:
//
//	F₁ = Qₛx + p + Aᵀν + Gᵀλ,   Qₛ = ½(Q + Qᵀ)
//	F₂ = Ax − b
//	F₃ = λ ∘ (Gx − h) + μ
//
// (μ = Barrier, zero for the QP itself). ∂zF is nonsingular at a unique,
// strictly complementary solution with linearly independent active
// constraint gradients. ∂zF is returned as a dense matrix and ∂θF
// matrix-free.
type KKTCondition struct {
	Layout
	Barrier float64
}

var _ implicit.Condition = (*KKTCondition)(nil)

// Dims returns (N+P+M, Len()).
func (c *KKTCondition) Dims() (int, int) { return c.LenZ(), c.Len() }

// Residual sets dst = F(z, θ).
func (c *KKTCondition) Residual(dst, z, theta []float64) {
	n, p, m := c.N, c.NEq, c.M
	x, nu, lam := z[:n], z[n:n+p], z[n+p:]
	q := c.Q(theta).RawMatrix().Data
	f1, f2, f3 := dst[:n], dst[n:n+p], dst[n+p:]
	copy(f1, c.P(theta))
	for i := range n {
		for j := range n {
			f1[i] += 0.5 * (q[i*n+j] + q[j*n+i]) * x[j]
		}
	}
	a, b := theta[n*n+n:n*n+n+p*n], c.B(theta)
	for i := range p {
		s := -b[i]
		for j := range n {
			s += a[i*n+j] * x[j]
			f1[j] += a[i*n+j] * nu[i]
		}
		f2[i] = s
	}
	_, _, _, _, go_, _, _ := c.offsets()
	g, h := theta[go_:go_+m*n], c.H(theta)
	for i := range m {
		s := -h[i]
		for j := range n {
			s += g[i*n+j] * x[j]
			f1[j] += g[i*n+j] * lam[i]
		}
		f3[i] = lam[i]*s + c.Barrier
	}
}

// Linearize returns ∂zF (dense) and ∂θF (matrix-free) at (z, θ).
func (c *KKTCondition) Linearize(z, theta []float64) (implicit.Operator, implicit.Operator, error) {
	n, p, m := c.N, c.NEq, c.M
	if len(z) != c.LenZ() || len(theta) != c.Len() {
		return nil, nil, fmt.Errorf("%w: z or θ does not match layout %+v", ErrDims, c.Layout)
	}
	x, nu, lam := z[:n], z[n:n+p], z[n+p:]
	N := c.LenZ()
	j := mat.NewDense(N, N, nil)
	q := c.Q(theta).RawMatrix().Data
	_, _, ao, _, go_, _, _ := c.offsets()
	a, g, h := theta[ao:ao+p*n], theta[go_:go_+m*n], c.H(theta)
	for i := range n {
		for k := range n {
			j.Set(i, k, 0.5*(q[i*n+k]+q[k*n+i]))
		}
	}
	for i := range p {
		for k := range n {
			j.Set(i+n, k, a[i*n+k])
			j.Set(k, n+i, a[i*n+k])
		}
	}
	for i := range m {
		s := -h[i]
		for k := range n {
			s += g[i*n+k] * x[k]
			j.Set(n+p+i, k, lam[i]*g[i*n+k])
			j.Set(k, n+p+i, g[i*n+k])
		}
		j.Set(n+p+i, n+p+i, s)
	}
	xs := append([]float64(nil), x...)
	nus := append([]float64(nil), nu...)
	lams := append([]float64(nil), lam...)
	apply := func(dst, v []float64) {
		// dst = ∂θF · v, v laid out like θ.
		l := c.Layout
		dq := l.Q(v).RawMatrix().Data
		d1, d2, d3 := dst[:n], dst[n:n+p], dst[n+p:]
		copy(d1, l.P(v))
		for i := range n {
			for k := range n {
				d1[i] += 0.5 * (dq[i*n+k] + dq[k*n+i]) * xs[k]
			}
		}
		da, db := v[ao:ao+p*n], l.B(v)
		for i := range p {
			s := -db[i]
			for k := range n {
				s += da[i*n+k] * xs[k]
				d1[k] += da[i*n+k] * nus[i]
			}
			d2[i] = s
		}
		dg, dh := v[go_:go_+m*n], l.H(v)
		for i := range m {
			s := -dh[i]
			for k := range n {
				s += dg[i*n+k] * xs[k]
				d1[k] += dg[i*n+k] * lams[i]
			}
			d3[i] = lams[i] * s
		}
	}
	applyT := func(dst, u []float64) {
		l := c.Layout
		u1, u2, u3 := u[:n], u[n:n+p], u[n+p:]
		dq := l.Q(dst).RawMatrix().Data
		for i := range n {
			for k := range n {
				dq[i*n+k] = 0.5 * (u1[i]*xs[k] + xs[i]*u1[k])
			}
		}
		copy(l.P(dst), u1)
		da, db := dst[ao:ao+p*n], l.B(dst)
		for i := range p {
			for k := range n {
				da[i*n+k] = nus[i]*u1[k] + u2[i]*xs[k]
			}
			db[i] = -u2[i]
		}
		dg, dh := dst[go_:go_+m*n], l.H(dst)
		for i := range m {
			for k := range n {
				dg[i*n+k] = lams[i]*u1[k] + lams[i]*u3[i]*xs[k]
			}
			dh[i] = -lams[i] * u3[i]
		}
	}
	return linsolve.NewMatrix(j), linsolve.NewFunc(N, c.Len(), apply, applyT), nil
}
