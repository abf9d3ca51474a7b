package dense

import "math"

// CauchySigmoid sets, for each i, with v = β·dᵢ,
//
//	alphaᵢ  = 1/2 + arctan(v)/π,   dalphaᵢ = β/(π(1 + v²)),
//
// the Cauchy relaxation of a conditional swap and its derivative with
// respect to dᵢ (Petersen et al., Monotonic differentiable sorting
// networks, ICLR 2022). The assembly kernel (AVX/FMA) evaluates four
// arctangents at a time with the rational approximation of Cephes
// (S. L. Moshier: the argument reduced to [0, 0.66] by
// arctan x = π/2 − arctan(1/x) above tan(3π/8) and
// π/4 + arctan((x−1)/(x+1)) between, coefficients P0–P4, Q0–Q4 of
// atan.c, which math.Atan also uses), the reductions chosen by blends
// instead of branches and every operation done as math.Atan does it, so
// that both paths return the same bits. The pure-Go path is the formula
// above with math.Atan. alpha and dalpha need len(d)
// entries and may alias d (each dᵢ is read before alphaᵢ and dalphaᵢ are
// written); d must be finite.
func CauchySigmoid(alpha, dalpha, d []float64, beta float64) {
	n := len(d)
	alpha, dalpha = alpha[:n], dalpha[:n]
	i := 0
	if useAsm && n >= 4 {
		i = n &^ 3
		cauchyAVX(&alpha[0], &dalpha[0], &d[0], i, beta, &cauchyConsts)
	}
	for ; i < n; i++ {
		v := beta * d[i]
		alpha[i] = 0.5 + math.Atan(v)/math.Pi
		dalpha[i] = beta / (math.Pi * (1 + v*v))
	}
}

// cauchyConsts are the four-lane constants of cauchyAVX, in the order of
// its offsets: 1, 0.66, tan(3π/8), π/2, π/4, the low part of π/2 and half
// of it, π, 1/2, the sign bit, P0–P4, Q0–Q4 (Cephes atan.c), −1.
var cauchyConsts = func() (k [21][4]float64) {
	vals := []float64{
		1, 0.66, 2.41421356237309504880, math.Pi / 2, math.Pi / 4,
		6.123233995736765886130e-17, 0.5 * 6.123233995736765886130e-17, math.Pi, 0.5,
		math.Copysign(0, -1),
		-8.750608600031904122785e-01, -1.615753718733365076637e+01, -7.500855792314704667340e+01,
		-1.228866684490136173410e+02, -6.485021904942025371773e+01,
		+2.485846490142306297962e+01, +1.650270098316988542046e+02, +4.328810604912902668951e+02,
		+4.853903996359136964868e+02, +1.945506571482613964425e+02,
		-1,
	}
	for i, v := range vals {
		k[i] = [4]float64{v, v, v, v}
	}
	return k
}()
