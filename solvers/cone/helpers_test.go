package cone

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Test-side membership tests, written from the cones' definitions and
// independent of the package's code: each reports whether y lies in the
// cone up to an absolute tolerance tol.

func inOrthT(y []float64, tol float64) bool {
	for _, v := range y {
		if v < -tol {
			return false
		}
	}
	return true
}

func inSOCT(y []float64, tol float64) bool {
	s := 0.0
	for _, v := range y[1:] {
		s += v * v
	}
	return math.Sqrt(s)-y[0] <= tol
}

func inPSDT(n int, y []float64, tol float64) bool {
	// Unpack by hand (independent of smat).
	m := mat.NewSymDense(n, nil)
	p := 0
	for j := range n {
		for i := j; i < n; i++ {
			v := y[p]
			if i != j {
				v /= math.Sqrt2
			}
			m.SetSym(i, j, v)
			p++
		}
	}
	c := maxAbs(y)
	if c == 0 {
		return true
	}
	m.ScaleSym(1/c, m)
	for i := range n {
		for j := i; j < n; j++ {
			if math.Abs(m.At(i, j)) < 1e-30 { // see flushTiny
				m.SetSym(i, j, 0)
			}
		}
	}
	var e mat.EigenSym
	if !e.Factorize(m, true) { // values only (Dsterf) can panic in gonum v0.17
		return false
	}
	return e.Values(nil)[0]*c >= -tol
}

// inExpT reports a point of K_exp within about tol of v: K_exp is closed
// under decreasing x and increasing z, so (x − tol, y′, z + tol) is tried
// for y′ ∈ {y, y ± tol} ∩ [0, ∞) (y′ = 0 means x − tol ≤ 0, z + tol ≥ 0).
func inExpT(v []float64, tol float64) bool {
	x, y, z := v[0]-tol, v[1], v[2]+tol
	if y < -tol || z < 0 {
		return false
	}
	for _, yy := range []float64{y, y - tol, y + tol} {
		if yy < 0 {
			continue
		}
		if yy == 0 {
			if x <= 0 {
				return true
			}
			continue
		}
		if x/yy <= math.Log(z/yy) || (z > 0 && yy*math.Exp(x/yy) <= z) {
			return true
		}
		if x <= 0 && x/yy < -700 { // e^{x/y} underflows: y e^{x/y} = 0 ≤ z
			return true
		}
	}
	return false
}

// inExpDualT: K*_exp = cl{u < 0, −u e^{v/u} ≤ e w} is closed under
// increasing v and w; (u′, v + tol, w + tol) is tried for
// u′ ∈ {u, u ± tol} ∩ (−∞, 0].
func inExpDualT(v []float64, tol float64) bool {
	u, vv, w := v[0], v[1]+tol, v[2]+tol
	if u > tol || w < 0 {
		return false
	}
	for _, uu := range []float64{u, u - tol, u + tol} {
		if uu > 0 {
			continue
		}
		if uu == 0 {
			if vv >= 0 {
				return true
			}
			continue
		}
		// −u e^{v/u} ≤ e w ⇔ log(−u) + v/u ≤ 1 + log w.
		if w > 0 && math.Log(-uu)+vv/uu <= 1+math.Log(w) {
			return true
		}
	}
	return false
}

// inPowT: K_α is closed under increasing x, y and decreasing |z|.
func inPowT(a float64, v []float64, tol float64) bool {
	x, y, z := v[0]+tol, v[1]+tol, math.Abs(v[2])-tol
	if x < 0 || y < 0 {
		return false
	}
	if z <= 0 {
		return true
	}
	return a*math.Log(x)+(1-a)*math.Log(y) >= math.Log(z)
}

func inPowDualT(a float64, v []float64, tol float64) bool {
	return inPowT(a, []float64{v[0] / a, v[1] / (1 - a), v[2]}, tol/min(a, 1-a))
}

// inConeT dispatches on the cone type; for a Product, block by block.
func inConeT(k Cone, y []float64, tol float64) bool {
	switch c := k.(type) {
	case Zero:
		return inOrthT(y, tol) && inOrthT(neg(y), tol)
	case Free:
		return true
	case Nonnegative:
		return inOrthT(y, tol)
	case SecondOrder:
		return inSOCT(y, tol)
	case PSD:
		return inPSDT(c.N, y, tol)
	case Exp:
		return inExpT(y, tol)
	case ExpDual:
		return inExpDualT(y, tol)
	case Power:
		return inPowT(c.Alpha, y, tol)
	case PowerDual:
		return inPowDualT(c.Alpha, y, tol)
	case *Product:
		off := c.Offsets()
		for i, b := range c.Cones() {
			if !inConeT(b, y[off[i]:off[i+1]], tol) {
				return false
			}
		}
		return true
	}
	panic(fmt.Sprintf("no test membership for %T", k))
}

func neg(y []float64) []float64 {
	out := make([]float64, len(y))
	for i, v := range y {
		out[i] = -v
	}
	return out
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}

// testCones is the table of cones the generic tests run on.
func testCones() []Cone {
	p, err := NewProduct(Zero{2}, Nonnegative{3}, SecondOrder{4}, PSD{3}, Exp{}, Power{0.4}, ExpDual{}, PowerDual{0.25})
	if err != nil {
		panic(err)
	}
	return []Cone{
		Nonnegative{5}, SecondOrder{1}, SecondOrder{2}, SecondOrder{6}, PSD{1}, PSD{2}, PSD{4},
		Exp{}, ExpDual{}, Power{0.5}, Power{0.2}, Power{0.9}, Power{1e-3}, Power{0.999},
		PowerDual{0.3}, PowerDual{0.8}, Zero{3}, Free{2}, p,
	}
}

func coneName(k Cone) string {
	switch c := k.(type) {
	case *Product:
		return fmt.Sprintf("Product%d", c.Dim())
	case Exp, ExpDual:
		return fmt.Sprintf("%T", k)[5:]
	}
	return fmt.Sprintf("%T%v", k, k)[5:]
}

// interiorPoint returns a random point of int K (s = e + a small random
// perturbation pushed inside by projection).
func interiorPoint(rng *rand.Rand, k Cone) []float64 {
	d := k.Dim()
	e := make([]float64, d)
	if err := k.Identity(e); err != nil {
		panic(err)
	}
	for {
		y := randVec(rng, d, 1)
		x := make([]float64, d)
		if err := k.Project(x, y); err != nil {
			panic(err)
		}
		s := make([]float64, d)
		for i := range s {
			s[i] = e[i]*(0.3+rng.Float64()) + x[i]
		}
		if _, err := k.Barrier(s); err == nil {
			return s
		}
	}
}

// linearMask marks the coordinates of Zero and Free blocks.
func linearMask(k Cone) []bool {
	m := make([]bool, k.Dim())
	switch c := k.(type) {
	case Zero, Free:
		for i := range m {
			m[i] = true
		}
	case *Product:
		off := c.Offsets()
		for i, b := range c.Cones() {
			copy(m[off[i]:off[i+1]], linearMask(b))
		}
	}
	return m
}

// divided returns v/c entrywise (not v·(1/c), which overflows for a
// subnormal c).
func divided(v []float64, c float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / c
	}
	return out
}
