package cone

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkProjKKT checks the optimality conditions of x = Π_K(y), recomputed
// with the test-side membership tests: x ∈ K, x − y ∈ K* (y − x lies in
// the polar), ⟨x, x − y⟩ = 0. These characterize the projection.
func checkProjKKT(t *testing.T, k Cone, y, x []float64, what string) {
	t.Helper()
	require.True(t, finite(x), "%s: non-finite projection %v of %v", what, x, y)
	// The projection is positively homogeneous: check at unit scale.
	if c := maxAbs(y); c > 0 {
		y, x = divided(y, c), divided(x, c)
	}
	const sc, tol = 1.0, 1e-9
	assert.True(t, inConeT(k, x, tol), "%s: Π(y) = %v not in K (y = %v)", what, x, y)
	r := make([]float64, len(y))
	for i := range r {
		r[i] = x[i] - y[i]
	}
	assert.True(t, inConeT(k.Dual(), r, tol), "%s: Π(y) − y = %v not in K* (y = %v)", what, r, y)
	assert.InDelta(t, 0, dot(x, r), 1e-9*sc*sc, "%s: ⟨Π(y), Π(y) − y⟩ (y = %v)", what, y)
}

// hardPoints are inputs of every scale plus points on the boundary.
func hardPoints(rng *rand.Rand, k Cone) [][]float64 {
	d := k.Dim()
	var out [][]float64
	for _, sc := range []float64{1, 1e-150, 1e-8, 1e8, 1e150} {
		for range 20 {
			out = append(out, randVec(rng, d, sc))
		}
	}
	// Boundary points: projections of random points, and of their negatives.
	for range 20 {
		y := randVec(rng, d, 3)
		x := make([]float64, d)
		if err := k.Project(x, y); err == nil {
			out = append(out, x, neg(x))
		}
	}
	out = append(out, make([]float64, d))
	return out
}

func scaled(v []float64, c float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * c
	}
	return out
}

func TestProjectionKKT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range testCones() {
		t.Run(coneName(k), func(t *testing.T) {
			for i, y := range hardPoints(rng, k) {
				x := make([]float64, k.Dim())
				require.NoError(t, k.Project(x, y))
				checkProjKKT(t, k, y, x, coneName(k)+"#"+string(rune('a'+i%26)))
				// Idempotent, and the distance agrees.
				x2 := make([]float64, k.Dim())
				require.NoError(t, k.Project(x2, x))
				for j := range x {
					assert.InDelta(t, x[j], x2[j], 1e-9*max(1, maxAbs(y)))
				}
				d, err := k.Dist(y)
				require.NoError(t, err)
				r := make([]float64, len(y))
				for j := range r {
					r[j] = y[j] - x[j]
				}
				assert.InDelta(t, nrm2(r), d, 1e-9*max(1, maxAbs(y)))
			}
		})
	}
}

// Moreau: y = Π_K(y) − Π_{K*}(−y), with the two projections computed by
// the cone and by its dual (independent code for the self-dual cones, whose
// dual is the same value; for Exp/Power the dual's projection is Moreau's
// formula, so this checks the dual's JVP sign and the wiring).
func TestMoreau(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range testCones() {
		kd := k.Dual()
		for range 30 {
			y := randVec(rng, k.Dim(), 2)
			p := make([]float64, len(y))
			q := make([]float64, len(y))
			require.NoError(t, k.Project(p, y))
			require.NoError(t, kd.Project(q, neg(y)))
			for i := range y {
				assert.InDelta(t, y[i], p[i]-q[i], 1e-10*max(1, maxAbs(y)), coneName(k))
			}
			assert.InDelta(t, 0, dot(p, q), 1e-9, coneName(k))
		}
	}
}

// The exponential cone's projection against an independent method: a
// direct minimization of the distance over the boundary rays
// a(ρ) = (ρ, 1, e^ρ) (dense grid, then golden section) and over the face
// {y = 0, x ≤ 0, z ≥ 0}, on points of each of Friberg's four cases.
func TestExpProjectionBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	brute := func(v []float64) float64 {
		if inExpT(v, 0) {
			return 0
		}
		best := math.Hypot(math.Hypot(min(v[0], 0)-v[0], v[1]), max(v[2], 0)-v[2])
		best = min(best, nrm2(v))
		f := func(rho float64) float64 {
			a := []float64{rho, 1, math.Exp(rho)}
			va := max(dot(v, a), 0)
			aa := dot(a, a)
			return math.Sqrt(math.Max(0, dot(v, v)-va*va/aa))
		}
		lo, bestR := -30.0, 0.0
		bf := math.Inf(1)
		for r := lo; r <= 30; r += 0.01 {
			if fv := f(r); fv < bf {
				bf, bestR = fv, r
			}
		}
		a, b := bestR-0.01, bestR+0.01
		g := (math.Sqrt(5) - 1) / 2
		for range 200 {
			c, d := b-g*(b-a), a+g*(b-a)
			if f(c) < f(d) {
				b = d
			} else {
				a = c
			}
		}
		return min(best, f(0.5*(a+b)))
	}
	cases := map[string]func() []float64{
		"in": func() []float64 {
			y := 0.5 + rng.Float64()
			x := rng.NormFloat64()
			return []float64{x, y, y*math.Exp(x/y) + rng.Float64()}
		},
		"polar": func() []float64 {
			u := -0.5 - rng.Float64()
			v := rng.NormFloat64()
			return neg([]float64{u, v, -u*math.Exp(v/u)/math.E + rng.Float64()})
		},
		"face": func() []float64 { return []float64{-rng.Float64(), -rng.Float64(), rng.NormFloat64()} },
		"root": func() []float64 { return []float64{rng.Float64() + 0.1, rng.NormFloat64(), -rng.Float64()} },
		"any":  func() []float64 { return randVec(rng, 3, 1) },
	}
	for name, gen := range cases {
		for range 40 {
			v := gen()
			d, err := Exp{}.Dist(v)
			require.NoError(t, err)
			assert.InDelta(t, brute(v), d, 1e-7, "%s %v", name, v)
		}
	}
}

// Every projection derivative against central differences, and VJP as
// the transpose of JVP (⟨u, DΠ v⟩ = ⟨DΠᵀu, v⟩), at random points away from
// the kinks.
func TestProjectionDerivativeFD(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, k := range testCones() {
		t.Run(coneName(k), func(t *testing.T) {
			d := k.Dim()
			for range 25 {
				y := randVec(rng, d, 1.5)
				x := make([]float64, d)
				require.NoError(t, k.Project(x, y))
				v := randVec(rng, d, 1)
				u := randVec(rng, d, 1)
				jv := make([]float64, d)
				require.NoError(t, k.JVP(jv, x, y, v))
				ju := make([]float64, d)
				require.NoError(t, k.VJP(ju, x, y, u))
				assert.InDelta(t, dot(u, jv), dot(ju, v), 1e-10*max(1, math.Abs(dot(u, jv))), "adjoint")
				const h = 1e-6
				yp, ym := make([]float64, d), make([]float64, d)
				for i := range y {
					yp[i] = y[i] + h*v[i]
					ym[i] = y[i] - h*v[i]
				}
				xp, xm := make([]float64, d), make([]float64, d)
				require.NoError(t, k.Project(xp, yp))
				require.NoError(t, k.Project(xm, ym))
				for i := range jv {
					fd := (xp[i] - xm[i]) / (2 * h)
					assert.InDelta(t, fd, jv[i], 2e-6*max(1, math.Abs(fd)), "component %d at y = %v", i, y)
				}
			}
		})
	}
}

// The exponential and power cones' derivatives in each case and at hard
// parameters, including the cases' closed-form elements.
func TestNonsymDerivativeCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	type pt struct {
		k Cone
		y []float64
	}
	var pts []pt
	for range 30 {
		pts = append(pts,
			pt{Exp{}, []float64{rng.Float64() + 0.1, rng.NormFloat64(), -rng.Float64()}},                 // root
			pt{Exp{}, []float64{-rng.Float64() - 0.1, -rng.Float64() - 0.1, rng.NormFloat64()}},          // face
			pt{Exp{}, []float64{rng.NormFloat64(), 1 + rng.Float64(), 10 + rng.Float64()}},               // in
			pt{Exp{}, []float64{1 + rng.Float64(), rng.NormFloat64() * 0.1, -10 - rng.Float64()}},        // polar
			pt{Power{0.01 + 0.98*rng.Float64()}, randVec(rng, 3, 1)},                                     // any
			pt{Power{1e-3}, []float64{rng.Float64(), rng.Float64(), 2 + rng.Float64()}},                  // α near 0
			pt{Power{1 - 1e-3}, []float64{rng.Float64(), rng.Float64(), 2 + rng.Float64()}},              // α near 1
			pt{Power{0.3}, []float64{-rng.Float64() - 0.1, -rng.Float64() - 0.1, rng.NormFloat64() * 3}}, // x, y < 0
			pt{PowerDual{0.6}, randVec(rng, 3, 1)},
		)
	}
	for _, p := range pts {
		d := 3
		x := make([]float64, d)
		require.NoError(t, p.k.Project(x, p.y))
		checkProjKKT(t, p.k, p.y, x, coneName(p.k))
		for j := range 3 {
			v := make([]float64, 3)
			v[j] = 1
			jv := make([]float64, 3)
			require.NoError(t, p.k.JVP(jv, x, p.y, v))
			const h = 1e-7
			yp, ym := append([]float64(nil), p.y...), append([]float64(nil), p.y...)
			yp[j] += h
			ym[j] -= h
			xp, xm := make([]float64, 3), make([]float64, 3)
			require.NoError(t, p.k.Project(xp, yp))
			require.NoError(t, p.k.Project(xm, ym))
			for i := range 3 {
				fd := (xp[i] - xm[i]) / (2 * h)
				assert.InDelta(t, fd, jv[i], 1e-5*max(1, math.Abs(fd)), "%s ∂%d/∂%d at %v", coneName(p.k), i, j, p.y)
			}
		}
	}
}

// Barrier gradients and Hessians against central differences, the
// logarithmic homogeneity ⟨∇f(s), s⟩ = −ν and ∇²f(s)s = −∇f(s), and the
// central point e = −∇f(e).
func TestBarrier(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, k := range testCones() {
		if _, ok := k.(Zero); ok {
			continue
		}
		if _, ok := k.(Free); ok {
			continue
		}
		t.Run(coneName(k), func(t *testing.T) {
			d := k.Dim()
			nu := float64(k.Degree())
			e := make([]float64, d)
			require.NoError(t, k.Identity(e))
			ge := make([]float64, d)
			require.NoError(t, k.BarrierGrad(ge, e))
			if _, ok := k.(*Product); !ok {
				for i := range e {
					assert.InDelta(t, -e[i], ge[i], 1e-10, "e = −∇f(e)")
				}
			}
			for range 10 {
				s := interiorPoint(rng, k)
				g := make([]float64, d)
				require.NoError(t, k.BarrierGrad(g, s))
				assert.InDelta(t, -nu, dot(g, s), 1e-9*max(1, nu), "⟨∇f(s), s⟩ = −ν")
				hs := make([]float64, d)
				require.NoError(t, k.BarrierHess(hs, s, s))
				for i := range hs {
					assert.InDelta(t, -g[i], hs[i], 1e-8*max(1, math.Abs(g[i])), "∇²f(s)s = −∇f(s)")
				}
				v := randVec(rng, d, 1)
				a, _ := k.MaxStep(s, v, 1)
				h := 1e-6 * min(1, a)
				sp, sm := make([]float64, d), make([]float64, d)
				for i := range s {
					sp[i] = s[i] + h*v[i]
					sm[i] = s[i] - h*v[i]
				}
				fp, err := k.Barrier(sp)
				require.NoError(t, err)
				fm, err := k.Barrier(sm)
				require.NoError(t, err)
				assert.InDelta(t, (fp-fm)/(2*h), dot(g, v), 1e-5*max(1, math.Abs(dot(g, v))), "gradient")
				gp, gm := make([]float64, d), make([]float64, d)
				require.NoError(t, k.BarrierGrad(gp, sp))
				require.NoError(t, k.BarrierGrad(gm, sm))
				hv := make([]float64, d)
				require.NoError(t, k.BarrierHess(hv, s, v))
				for i := range hv {
					fd := (gp[i] - gm[i]) / (2 * h)
					assert.InDelta(t, fd, hv[i], 1e-5*max(1, math.Abs(fd)), "Hessian")
				}
				// Hessian positive definite along v.
				assert.Greater(t, dot(v, hv), 0.0)
			}
		})
	}
}

// The scaling identities W s = W⁻ᵀ z = λ, W W⁻¹ = I, ⟨Wu, v⟩ = ⟨u, Wᵀv⟩;
// for the symmetric cones the Nesterov–Todd property WᵀW∇f(z) = ∇f(s)
// and λ ∈ int K; for the non-symmetric ones the second secant condition
// H z̃ = s̃ (H = (WᵀW)⁻¹, z̃ = −∇f(s), s̃ = −∇f*(z) checked by −∇f*... of
// the dual barrier's conjugate: ∇f(s̃) = −z).
func TestScaling(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, k := range testCones() {
		if _, ok := k.(Zero); ok {
			continue
		}
		if _, ok := k.(Free); ok {
			continue
		}
		t.Run(coneName(k), func(t *testing.T) {
			d := k.Dim()
			_, sym := k.(Symmetric)
			if p, ok := k.(*Product); ok {
				_, err := p.symmetric()
				sym = err == nil
			}
			for range 10 {
				s := interiorPoint(rng, k)
				z := interiorPoint(rng, k.Dual())
				sc, err := k.Scaling(s, z)
				require.NoError(t, err)
				ws, wz := make([]float64, d), make([]float64, d)
				sc.Apply(ws, s)
				sc.ApplyInvT(wz, z)
				lam := sc.Lambda()
				tol := 1e-9 * max(1, maxAbs(lam))
				lin := linearMask(k)
				for i := range ws {
					if lin[i] { // W = I, λ = 0 on Zero and Free blocks
						assert.Equal(t, 0.0, lam[i])
						assert.Equal(t, s[i], ws[i])
						s[i], z[i], ws[i], wz[i] = 0, 0, 0, 0
						continue
					}
					assert.InDelta(t, lam[i], ws[i], tol, "W s = λ")
					assert.InDelta(t, lam[i], wz[i], tol, "W⁻ᵀ z = λ")
				}
				assert.InDelta(t, dot(s, z), dot(lam, lam), 1e-9*dot(s, z))
				u, v := randVec(rng, d, 1), randVec(rng, d, 1)
				wu, wtv, back := make([]float64, d), make([]float64, d), make([]float64, d)
				sc.Apply(wu, u)
				sc.ApplyT(wtv, v)
				assert.InDelta(t, dot(wu, v), dot(u, wtv), 1e-9*(1+math.Abs(dot(wu, v))))
				sc.ApplyInv(back, wu)
				for i := range u {
					assert.InDelta(t, u[i], back[i], 1e-8*max(1, maxAbs(u)))
				}
				sc.ApplyInvT(back, wtv)
				for i := range v {
					assert.InDelta(t, v[i], back[i], 1e-8*max(1, maxAbs(v)))
				}
				// WᵀW as a map: WᵀW x.
				wtw := func(x []float64) []float64 {
					a, b := make([]float64, d), make([]float64, d)
					sc.Apply(a, x)
					sc.ApplyT(b, a)
					return b
				}
				if sym {
					gs, gz := make([]float64, d), make([]float64, d)
					require.NoError(t, k.BarrierGrad(gs, s))
					require.NoError(t, k.BarrierGrad(gz, z))
					r := wtw(gz)
					for i := range r {
						assert.InDelta(t, gs[i], r[i], 1e-7*max(1, maxAbs(gs)), "NT: WᵀW∇f(z) = ∇f(s)")
					}
					if p, ok := k.(*Product); ok {
						// λ inside each non-linear block.
						_, err := p.Barrier(lam)
						assert.NoError(t, err, "λ ∈ int K")
					} else {
						_, err := k.Barrier(lam)
						assert.NoError(t, err, "λ ∈ int K")
					}
				} else if _, ok := k.(*Product); !ok {
					// Second secant: WᵀW s̃ = z̃, with s̃ recomputed by the
					// test as the point where −∇f(s̃) = z (Newton's result
					// checked here, not trusted).
					st, _, err := conjugateGrad(k, z)
					require.NoError(t, err)
					g := make([]float64, d)
					require.NoError(t, k.BarrierGrad(g, st))
					for i := range g {
						assert.InDelta(t, z[i], -g[i], 1e-8*max(1, maxAbs(z)), "−∇f(s̃) = z")
					}
					zt := make([]float64, d)
					require.NoError(t, k.BarrierGrad(zt, s))
					r := wtw(st)
					for i := range r {
						assert.InDelta(t, -zt[i], r[i], 1e-6*max(1, maxAbs(zt)), "WᵀW s̃ = z̃")
					}
				}
			}
		})
	}
}

// Jordan algebra: e ∘ v = v, λ ∘ (λ⁻¹ ∘ v) = v, commutativity.
func TestJordan(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	p, err := NewProduct(Nonnegative{2}, SecondOrder{3}, PSD{3})
	require.NoError(t, err)
	for _, k := range []Symmetric{Nonnegative{4}, SecondOrder{1}, SecondOrder{5}, PSD{1}, PSD{4}, p} {
		d := k.Dim()
		e := make([]float64, d)
		require.NoError(t, k.Identity(e))
		for range 10 {
			v := randVec(rng, d, 1)
			u := randVec(rng, d, 1)
			r := make([]float64, d)
			require.NoError(t, k.Jordan(r, e, v))
			for i := range v {
				assert.InDelta(t, v[i], r[i], 1e-12)
			}
			r2 := make([]float64, d)
			require.NoError(t, k.Jordan(r, u, v))
			require.NoError(t, k.Jordan(r2, v, u))
			for i := range r {
				assert.InDelta(t, r[i], r2[i], 1e-12)
			}
			lam := interiorPoint(rng, k)
			x := make([]float64, d)
			require.NoError(t, k.JordanDiv(x, lam, v))
			require.NoError(t, k.Jordan(r, lam, x))
			for i := range v {
				assert.InDelta(t, v[i], r[i], 1e-9*max(1, maxAbs(v)))
			}
		}
	}
	_, err = NewProduct(Exp{})
	require.NoError(t, err)
	q, _ := NewProduct(Exp{})
	assert.ErrorIs(t, q.Jordan(make([]float64, 3), make([]float64, 3), make([]float64, 3)), ErrInvalid)
}

// MaxStep against an independent bisection on the test-side membership.
func TestMaxStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, k := range testCones() {
		if _, ok := k.(Zero); ok {
			continue
		}
		if _, ok := k.(Free); ok {
			continue
		}
		t.Run(coneName(k), func(t *testing.T) {
			d := k.Dim()
			for range 20 {
				s := interiorPoint(rng, k)
				ds := randVec(rng, d, 1+5*rng.Float64())
				lin := linearMask(k)
				for i := range ds {
					if lin[i] {
						ds[i] = 0 // Product.MaxStep skips Zero and Free blocks
					}
				}
				const limit = 1e3
				a, err := k.MaxStep(s, ds, limit)
				require.NoError(t, err)
				in := func(al float64) bool {
					p := make([]float64, d)
					for i := range p {
						p[i] = s[i] + al*ds[i]
					}
					return inConeT(k, p, 1e-12)
				}
				lo, hi := 0.0, limit
				if in(limit) {
					lo = limit
				}
				for range 200 {
					if lo >= hi {
						break
					}
					mid := 0.5 * (lo + hi)
					if in(mid) {
						lo = mid
					} else {
						hi = mid
					}
				}
				assert.InDelta(t, lo, a, 1e-6*max(1, lo), "step")
				assert.LessOrEqual(t, a, limit)
			}
		})
	}
}

// Product: blockwise results equal the blocks' own.
func TestProductBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	blocks := []Cone{SecondOrder{3}, Exp{}, PSD{2}, Nonnegative{2}}
	p, err := NewProduct(blocks...)
	require.NoError(t, err)
	assert.Equal(t, 3+3+3+2, p.Dim())
	assert.Equal(t, 1+3+2+2, p.Degree())
	y := randVec(rng, p.Dim(), 1)
	x := make([]float64, p.Dim())
	require.NoError(t, p.Project(x, y))
	off := p.Offsets()
	for i, b := range blocks {
		xb := make([]float64, b.Dim())
		require.NoError(t, b.Project(xb, y[off[i]:off[i+1]]))
		assert.Equal(t, xb, x[off[i]:off[i+1]])
	}
	_, err = NewProduct()
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewProduct(nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewProduct(Power{2})
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewProduct(PSD{0})
	assert.ErrorIs(t, err, ErrInvalid)
}

// Svec/Smat round trip and the trace inner product.
func TestSvec(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for n := 1; n <= 5; n++ {
		d := n * (n + 1) / 2
		a, b := randVec(rng, d, 1), randVec(rng, d, 1)
		ma, err := Smat(a)
		require.NoError(t, err)
		mb, _ := Smat(b)
		tr := 0.0
		for i := range n {
			for j := range n {
				tr += ma.At(i, j) * mb.At(j, i)
			}
		}
		assert.InDelta(t, tr, dot(a, b), 1e-12)
		back := make([]float64, d)
		require.NoError(t, Svec(back, ma))
		for i := range a {
			assert.InDelta(t, a[i], back[i], 1e-15)
		}
	}
	_, err := Smat(make([]float64, 4))
	assert.ErrorIs(t, err, ErrDims)
}

// Dual cones: K** = K, and ⟨s, z⟩ ≥ 0 for s ∈ K, z ∈ K* (points drawn as
// projections onto each), with ⟨s, z⟩ = 0 reached on complementary pairs
// (Π_K(y) and Π_K*(−y) of the Moreau decomposition).
func TestDuality(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, k := range testCones() {
		kd := k.Dual()
		assert.Equal(t, coneName(k), coneName(kd.Dual()), "K** = K")
		assert.Equal(t, k.Dim(), kd.Dim())
		assert.Equal(t, k.Degree(), kd.Degree())
		for range 30 {
			s, z := make([]float64, k.Dim()), make([]float64, k.Dim())
			require.NoError(t, k.Project(s, randVec(rng, k.Dim(), 1)))
			require.NoError(t, kd.Project(z, randVec(rng, k.Dim(), 1)))
			assert.GreaterOrEqual(t, dot(s, z), -1e-12, "%s: ⟨s, z⟩", coneName(k))
			in, err := k.Contains(s, 1e-12)
			require.NoError(t, err)
			assert.True(t, in, "%s: Π(y) = %v in K", coneName(k), s)
		}
	}
}

// The barriers' third derivatives against central differences of the
// Hessian, their symmetry in (u, v), and ∇³f(s)[s, v] = −2∇²f(s)v (from
// the logarithmic homogeneity ∇²f(ts) = t⁻²∇²f(s)).
func TestBarrierThird(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, k := range testCones() {
		if _, ok := k.(Zero); ok {
			continue
		}
		if _, ok := k.(Free); ok {
			continue
		}
		t.Run(coneName(k), func(t *testing.T) {
			d := k.Dim()
			for range 10 {
				s := interiorPoint(rng, k)
				u, v := randVec(rng, d, 1), randVec(rng, d, 1)
				tuv, tvu := make([]float64, d), make([]float64, d)
				require.NoError(t, k.BarrierThird(tuv, s, u, v))
				require.NoError(t, k.BarrierThird(tvu, s, v, u))
				a, _ := k.MaxStep(s, u, 1)
				h := 1e-5 * min(1, a)
				sp, sm := make([]float64, d), make([]float64, d)
				for i := range s {
					sp[i] = s[i] + h*u[i]
					sm[i] = s[i] - h*u[i]
				}
				hp, hm := make([]float64, d), make([]float64, d)
				require.NoError(t, k.BarrierHess(hp, sp, v))
				require.NoError(t, k.BarrierHess(hm, sm, v))
				ts, hs := make([]float64, d), make([]float64, d)
				require.NoError(t, k.BarrierThird(ts, s, s, v))
				require.NoError(t, k.BarrierHess(hs, s, v))
				for i := range tuv {
					fd := (hp[i] - hm[i]) / (2 * h)
					sc := max(1, math.Abs(fd))
					assert.InDelta(t, fd, tuv[i], 1e-5*sc, "∇³f[u, v] vs differences of ∇²f v")
					assert.InDelta(t, tuv[i], tvu[i], 1e-10*sc, "symmetry")
					assert.InDelta(t, -2*hs[i], ts[i], 1e-8*max(1, math.Abs(hs[i])), "∇³f[s, v] = −2∇²f v")
				}
			}
		})
	}
}

// The second-order scaling's expansion rebuilds WᵀW.
func TestSOCExpansion(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, n := range []int{1, 2, 5, 12} {
		k := SecondOrder{n}
		for range 5 {
			s, z := interiorPoint(rng, k), interiorPoint(rng, k)
			sc, err := k.Scaling(s, z)
			require.NoError(t, err)
			eta2, p, q, ok := SOCExpansion(sc)
			require.True(t, ok)
			w := ScalingMatrix(sc)
			for i := range n {
				for j := range n {
					want := 0.0
					for l := range n {
						want += w.At(l, i) * w.At(l, j)
					}
					got := eta2 * (p[i]*p[j] - q[i]*q[j])
					if i == j {
						got += eta2
					}
					assert.InDelta(t, want, got, 1e-9*max(1, math.Abs(want)))
				}
			}
		}
	}
	_, _, _, ok := SOCExpansion(&diagScaling{})
	assert.False(t, ok)
}

// Scalings of pairs near the boundary (s and z a boundary point plus a
// small multiple of the central point) still satisfy W s = W⁻ᵀ z = λ.
func TestScalingNearBoundary(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, k := range []Cone{SecondOrder{4}, PSD{3}, Exp{}, ExpDual{}, Power{0.3}, PowerDual{0.7}} {
		d := k.Dim()
		near := func(c Cone, eps float64) []float64 {
			x := make([]float64, d)
			require.NoError(t, c.Project(x, randVec(rng, d, 1)))
			e := make([]float64, d)
			require.NoError(t, c.Identity(e))
			for i := range x {
				x[i] += eps * e[i]
			}
			return x
		}
		_, sym := k.(Symmetric)
		for _, eps := range []float64{1e-3, 1e-6, 1e-9} {
			s, z := near(k, eps), near(k.Dual(), eps)
			sc, err := k.Scaling(s, z)
			// The non-symmetric H has condition ~ 1/ε² on such pairs (both
			// near the boundary, far from the central path): λ is accurate
			// to about cond·1e-16, and at ε = 1e-9 the factorization may
			// be refused (ErrNotConverged), never returned wrong.
			rel := 1e-6
			if !sym {
				rel = 1e-4
				if eps < 1e-6 {
					if err != nil {
						require.ErrorIs(t, err, ErrNotConverged)
						continue
					}
					rel = 1e-2
				}
			}
			require.NoError(t, err, "%s ε = %g", coneName(k), eps)
			ws, wz := make([]float64, d), make([]float64, d)
			sc.Apply(ws, s)
			sc.ApplyInvT(wz, z)
			lam := sc.Lambda()
			for i := range lam {
				tol := rel * max(nrm2(lam), 1e-300)
				assert.InDelta(t, lam[i], ws[i], tol, "%s ε = %g: W s = λ", coneName(k), eps)
				assert.InDelta(t, lam[i], wz[i], tol, "%s ε = %g: W⁻ᵀz = λ", coneName(k), eps)
			}
			assert.InDelta(t, dot(s, z), dot(lam, lam), rel*dot(s, z)+1e-300)
		}
	}
}
