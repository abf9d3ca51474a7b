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
