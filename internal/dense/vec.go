package dense

import "math"

// MaxAbs returns maxᵢ |x[i]| (0 for an empty x), or NaN when some x[i]
// is NaN: the ∞-norm, in one pass with eight lanes where the assembly
// kernels are in use.
func MaxAbs(x []float64) float64 {
	n := len(x)
	k := 0
	var m float64
	if useAsm && n >= 8 {
		k = n &^ 7
		var nan bool
		if m, nan = maxAbsAVX(&x[0], k); nan {
			return math.NaN()
		}
	}
	for _, e := range x[k:] {
		a := math.Abs(e)
		if a > m {
			m = a
		} else if a != a {
			return a
		}
	}
	return m
}

// Axpby sets dst[i] = a·x[i] + b·y[i] for i < len(dst): each product and
// the sum rounded once, as the plain Go loop computes it (no fused
// multiply-add), four lanes at a time where the assembly kernels are in
// use. x and y must be at least as long as dst; dst may be x or y itself
// (not a shifted overlap).
func Axpby(dst []float64, a float64, x []float64, b float64, y []float64) {
	n := len(dst)
	x, y = x[:n], y[:n]
	k := 0
	if useAsm && n >= 4 {
		k = n &^ 3
		axpbyAVX(&dst[0], a, &x[0], b, &y[0], k)
	}
	for i := k; i < n; i++ {
		dst[i] = a*x[i] + b*y[i]
	}
}
