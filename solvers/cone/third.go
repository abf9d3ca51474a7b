package cone

import (
	"gonum.org/v1/gonum/mat"
)

// The third derivative of the barriers, as the bilinear map
// (u, v) ↦ ∇³f(s)[u, v] = Σⱼₖ ∂³f/∂sᵢ∂sⱼ∂sₖ uⱼvₖ, which the corrector of a
// non-symmetric interior-point method needs (Dahl & Andersen 2022,
// Clarabel). For the conjugate barrier, with x = −∇f*(z) and H = ∇²f(x),
// ∇³f*(z)[u, v] = H⁻¹ ∇³f(x)[H⁻¹u, H⁻¹v] (differentiate ∇²f* = H⁻¹ along
// dx = −H⁻¹dz).

// logThird returns the third derivative tensor of −log ψ from ψ's
// gradient g, Hessian h and third derivative t, at ψ = p:
//
//	−2gᵢgⱼgₖ/ψ³ + (hᵢⱼgₖ + hᵢₖgⱼ + hⱼₖgᵢ)/ψ² − tᵢⱼₖ/ψ.
func logThird(p float64, g [3]float64, h [3][3]float64, t [3][3][3]float64) [3][3][3]float64 {
	var r [3][3][3]float64
	p2, p3 := p*p, p*p*p
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				r[i][j][k] = -2*g[i]*g[j]*g[k]/p3 + (h[i][j]*g[k]+h[i][k]*g[j]+h[j][k]*g[i])/p2 - t[i][j][k]/p
			}
		}
	}
	return r
}

func contract3(dst []float64, t [3][3][3]float64, u, v []float64) {
	var r [3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				r[i] += t[i][j][k] * u[j] * v[k]
			}
		}
	}
	copy(dst, r[:])
}

// third of the exponential-cone barrier.
func (expBarrier) third(s []float64) [3][3][3]float64 {
	y, z := s[1], s[2]
	l := mathLog(z) - mathLog(y)
	psi := y*l - s[0]
	g := [3]float64{-1, l - 1, y / z}
	var h [3][3]float64
	h[1][1] = -1 / y
	h[1][2], h[2][1] = 1/z, 1/z
	h[2][2] = -y / (z * z)
	var t [3][3][3]float64
	t[1][1][1] = 1 / (y * y)
	// ψ_yzz = −1/z² (all orderings), ψ_zzz = 2y/z³.
	t[1][2][2], t[2][1][2], t[2][2][1] = -1/(z*z), -1/(z*z), -1/(z*z)
	t[2][2][2] = 2 * y / (z * z * z)
	r := logThird(psi, g, h, t)
	r[1][1][1] -= 2 / (y * y * y)
	r[2][2][2] -= 2 / (z * z * z)
	return r
}

// third of the power-cone barrier.
func (b powBarrier) third(s []float64) [3][3][3]float64 {
	a := b.a
	x, y, z := s[0], s[1], s[2]
	p2 := mathExp(2*a*mathLog(x) + 2*(1-a)*mathLog(y))
	phi := p2 - z*z
	// φ = x^{2a} y^{2b} − z² with b = 1 − a: derivatives of the monomial
	// by exponents (2a, 2b).
	ex := [2]float64{2 * a, 2 * (1 - a)}
	xs := [2]float64{x, y}
	g := [3]float64{ex[0] * p2 / x, ex[1] * p2 / y, -2 * z}
	var h [3][3]float64
	var t [3][3][3]float64
	// ∂ᵢ∂ⱼ of the monomial over x, y: p2 · Π over the index multiset.
	for i := range 2 {
		for j := range 2 {
			c := ex[i] * ex[j]
			if i == j {
				c = ex[i] * (ex[i] - 1)
			}
			h[i][j] = c * p2 / (xs[i] * xs[j])
			for k := range 2 {
				// falling-factorial coefficient of the multiset {i, j, k}
				var n [2]int
				n[i]++
				n[j]++
				n[k]++
				cc := 1.0
				for m := range 2 {
					for q := range n[m] {
						cc *= ex[m] - float64(q)
					}
				}
				t[i][j][k] = cc * p2 / (xs[i] * xs[j] * xs[k])
			}
		}
	}
	h[2][2] = -2
	r := logThird(phi, g, h, t)
	r[0][0][0] -= 2 * (1 - a) / (x * x * x)
	r[1][1][1] -= 2 * a / (y * y * y)
	return r
}

// thirdMapped is ∇³(f∘D)(s)[·,·] = Dᵀ∇³f(Ds)[D·, D·] for a linear map D.
func thirdMapped(t [3][3][3]float64, d [3][3]float64) [3][3][3]float64 {
	var r [3][3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				v := 0.0
				for a := range 3 {
					for b := range 3 {
						for c := range 3 {
							v += d[a][i] * d[b][j] * d[c][k] * t[a][b][c]
						}
					}
				}
				r[i][j][k] = v
			}
		}
	}
	return r
}

func (expDualBarrier) third(s []float64) [3][3][3]float64 {
	return thirdMapped(expBarrier{}.third(expDualMap(s)), expDualM)
}

func (b powDualBarrier) third(s []float64) [3][3][3]float64 {
	d := b.d()
	return thirdMapped(powBarrier(b).third(b.mapped(s)), [3][3]float64{{d[0], 0, 0}, {0, d[1], 0}, {0, 0, d[2]}})
}

type thirder interface {
	barrier3
	third(s []float64) [3][3][3]float64
}

func barrierThird(b thirder, name string, dst, s, u, v []float64) error {
	if !b.inInterior(s) {
		return outOfInterior(name)
	}
	contract3(dst, b.third(s), u, v)
	return checkOut(dst)
}

// BarrierThird sets dst to ∇³f(s)[u, v].
func (Exp) BarrierThird(dst, s, u, v []float64) error {
	if err := check3("exp", dst, s, u, v); err != nil {
		return err
	}
	return barrierThird(expBarrier{}, "exponential", dst, s, u, v)
}

// BarrierThird sets dst to ∇³f(s)[u, v].
func (ExpDual) BarrierThird(dst, s, u, v []float64) error {
	if err := check3("exp dual", dst, s, u, v); err != nil {
		return err
	}
	return barrierThird(expDualBarrier{}, "dual exponential", dst, s, u, v)
}

// BarrierThird sets dst to ∇³f(s)[u, v].
func (k Power) BarrierThird(dst, s, u, v []float64) error {
	if err := k.check(dst, s, u, v); err != nil {
		return err
	}
	return barrierThird(powBarrier{k.Alpha}, k.name(), dst, s, u, v)
}

// BarrierThird sets dst to ∇³f(s)[u, v].
func (k PowerDual) BarrierThird(dst, s, u, v []float64) error {
	if err := k.check(dst, s, u, v); err != nil {
		return err
	}
	return barrierThird(powDualBarrier{k.Alpha}, k.name(), dst, s, u, v)
}

// BarrierThird sets dst to ∇³f(s)[u, v] = −2 u⊙v/s³.
func (k Nonnegative) BarrierThird(dst, s, u, v []float64) error {
	if err := k.check(dst, s, u, v); err != nil {
		return err
	}
	if err := k.interior(s); err != nil {
		return err
	}
	for i := range dst {
		dst[i] = -2 * u[i] * v[i] / (s[i] * s[i] * s[i])
	}
	return checkOut(dst)
}

// BarrierThird sets dst to ∇³f(s)[u, v] for f = −½ log ψ, ψ = sᵀJs:
// with a = Js (ψ has gradient 2a, Hessian 2J, no third derivative),
//
//	½[−16a(aᵀu)(aᵀv)/ψ³ + 4((uᵀJv)a + (aᵀv)Ju + (aᵀu)Jv)/ψ²].
func (k SecondOrder) BarrierThird(dst, s, u, v []float64) error {
	if err := k.check(dst, s, u, v); err != nil {
		return err
	}
	if err := k.interior(s); err != nil {
		return err
	}
	n := len(s)
	psi, _ := socDet(s)
	j := func(w []float64, i int) float64 {
		if i == 0 {
			return w[0]
		}
		return -w[i]
	}
	au, av, ujv := 0.0, 0.0, 0.0
	for i := range n {
		au += j(s, i) * u[i]
		av += j(s, i) * v[i]
		ujv += u[i] * j(v, i)
	}
	p2, p3 := psi*psi, psi*psi*psi
	for i := range n {
		a := j(s, i)
		val := -16*a*au*av/p3 + 4*(ujv*a+av*j(u, i)+au*j(v, i))/p2
		dst[i] = 0.5 * val
	}
	return checkOut(dst)
}

// BarrierThird sets dst to svec(−(S⁻¹US⁻¹VS⁻¹ + S⁻¹VS⁻¹US⁻¹)).
func (k PSD) BarrierThird(dst, s, u, v []float64) error {
	if err := k.check(dst, s, u, v); err != nil {
		return err
	}
	inv, err := k.inverse(s)
	if err != nil {
		return err
	}
	n := k.N
	var a, b, c, d mat.Dense
	a.Mul(inv, smat(n, u))
	a.Mul(&a, inv) // S⁻¹US⁻¹
	b.Mul(inv, smat(n, v))
	b.Mul(&b, inv) // S⁻¹VS⁻¹
	c.Mul(&a, smat(n, v))
	c.Mul(&c, inv)
	d.Mul(&b, smat(n, u))
	d.Mul(&d, inv)
	c.Add(&c, &d)
	c.Scale(-1, &c)
	svecOf(dst, n, &c)
	return checkOut(dst)
}

// BarrierThird returns ErrInvalid after checking its arguments (no interior).
func (k Zero) BarrierThird(dst, s, u, v []float64) error {
	if err := k.check(dst, s, u, v); err != nil {
		return err
	}
	return k.noInterior()
}

// BarrierThird sets dst to 0.
func (k Free) BarrierThird(dst, s, u, v []float64) error {
	if err := k.check(dst, s, u, v); err != nil {
		return err
	}
	clear(dst)
	return nil
}

// BarrierThird is blockwise (zero on Zero and Free blocks).
func (p *Product) BarrierThird(dst, s, u, v []float64) error {
	if err := p.check(dst, s, u, v); err != nil {
		return err
	}
	return p.each(func(i int, c Cone) error {
		if isLinear(c) {
			clear(p.blk(i, dst))
			return nil
		}
		return c.BarrierThird(p.blk(i, dst), p.blk(i, s), p.blk(i, u), p.blk(i, v))
	})
}
