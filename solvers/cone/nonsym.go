package cone

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// barrier3 is the barrier of a 3-d non-symmetric cone in closed form:
// ok reports s in the interior; f, g, h are f(s), ∇f(s), ∇²f(s).
type barrier3 interface {
	inInterior(s []float64) bool
	eval(s []float64) (f float64, g [3]float64, h [3][3]float64)
}

func barrierValue(b barrier3, name string, s []float64) (float64, error) {
	if !b.inInterior(s) {
		return 0, outOfInterior(name)
	}
	f, _, _ := b.eval(s)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, outOfInterior(name)
	}
	return f, nil
}

func barrierGrad(b barrier3, name string, dst, s []float64) error {
	if !b.inInterior(s) {
		return outOfInterior(name)
	}
	_, g, _ := b.eval(s)
	copy(dst, g[:])
	return checkOut(dst)
}

func barrierHess(b barrier3, name string, dst, s, v []float64) error {
	if !b.inInterior(s) {
		return outOfInterior(name)
	}
	_, _, h := b.eval(s)
	var r [3]float64
	for i := range 3 {
		r[i] = h[i][0]*v[0] + h[i][1]*v[1] + h[i][2]*v[2]
	}
	copy(dst, r[:])
	return checkOut(dst)
}

// centralPoint returns the e with e = −∇f(e), the minimizer of
// ½‖x‖² + f(x), by damped Newton from x0.
func centralPoint(b barrier3, x0 [3]float64) [3]float64 {
	x := x0
	for range 100 {
		_, g, h := b.eval(x[:])
		var r [3]float64
		for i := range 3 {
			r[i] = x[i] + g[i]
			h[i][i]++
		}
		hm := mat.NewDense(3, 3, []float64{h[0][0], h[0][1], h[0][2], h[1][0], h[1][1], h[1][2], h[2][0], h[2][1], h[2][2]})
		var dx mat.VecDense
		if err := dx.SolveVec(hm, mat.NewVecDense(3, r[:])); err != nil {
			return x
		}
		delta := math.Sqrt(math.Max(0, dot(r[:], dx.RawVector().Data)))
		step := 1.0
		if delta > 0.25 {
			step = 1 / (1 + delta)
		}
		var xn [3]float64
		for i := range 3 {
			xn[i] = x[i] - step*dx.AtVec(i)
		}
		if !b.inInterior(xn[:]) {
			return x
		}
		x = xn
		if delta < 1e-15 {
			break
		}
	}
	return x
}

// maxStepConvex returns the largest α ∈ [0, limit] with s + αds ∈ K for a
// closed convex K given by its membership test, s ∈ int K: the feasible
// steps form an interval [0, α*]; α* is bracketed by halving from limit
// and located by bisection to a relative 1e-15.
func maxStepConvex(in func(p []float64) bool, s, ds []float64, limit float64) float64 {
	p := make([]float64, len(s))
	at := func(a float64) bool {
		for i := range p {
			p[i] = s[i] + a*ds[i]
		}
		return in(p)
	}
	if at(limit) {
		return limit
	}
	hi := limit
	lo := limit / 2
	for !at(lo) {
		hi = lo
		lo /= 2
		if lo == 0 {
			return 0
		}
	}
	for range 200 {
		mid := 0.5 * (lo + hi)
		if mid <= lo || mid >= hi || hi-lo <= 1e-15*hi {
			break
		}
		if at(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// solve3 solves the 3×3 system a x = b by Gaussian elimination with
// partial pivoting; ok is false when a is singular to working precision.
func solve3(a [3][3]float64, b [3]float64) ([3]float64, bool) {
	scale := 0.0
	for i := range 3 {
		for j := range 3 {
			scale = max(scale, math.Abs(a[i][j]))
		}
	}
	if !(scale > 0) {
		return [3]float64{}, false
	}
	for c := range 3 {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if !(math.Abs(a[p][c]) > 1e-14*scale) {
			return [3]float64{}, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < 3; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < 3; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	var x [3]float64
	for r := 2; r >= 0; r-- {
		v := b[r]
		for k := r + 1; k < 3; k++ {
			v -= a[r][k] * x[k]
		}
		x[r] = v / a[r][r]
	}
	return x, true
}

// apply3 sets dst = M v or Mᵀ v.
func apply3(dst []float64, m [3][3]float64, v []float64, transpose bool) {
	var r [3]float64
	for i := range 3 {
		for j := range 3 {
			if transpose {
				r[i] += m[j][i] * v[j]
			} else {
				r[i] += m[i][j] * v[j]
			}
		}
	}
	copy(dst, r[:])
}

func check3(name string, dst []float64, vs ...[]float64) error {
	if dst != nil {
		if err := checkDst(3, dst); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := checkVecs(3, vs...); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// scaleOf returns ‖y‖∞ (the normalization of the 3-d projections, which
// are positively homogeneous of degree 1).
func scaleOf(y []float64) float64 {
	return max(math.Abs(y[0]), math.Abs(y[1]), math.Abs(y[2]))
}

func mathLog(x float64) float64 { return math.Log(x) }
func mathExp(x float64) float64 { return math.Exp(x) }
