//go:build !purego

package dense

import "math"

//go:noescape
func expAffineAVX2(dst, c, h *float64, n int, alpha, beta float64, tab *float64, k *[11][4]uint64) (done int)

//go:noescape
func expSumAVX2(c, h *float64, n int, alpha, shift, cut float64, tab *float64, k *[11][4]uint64) (s float64, over bool)

// hasAVX2 reports whether the processor supports AVX2 (integer YMM
// operations and gathers), on top of hasAVXFMA.
func hasAVX2() bool {
	if !hasAVXFMA() {
		return false
	}
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&(1<<5) != 0
}

func init() { useAVX2 = hasAVX2() }

// expConsts are the constants of expSumAVX2, four copies each.
var expConsts = func() (k [11][4]uint64) {
	for i, v := range []uint64{
		math.Float64bits(expShifter),
		math.Float64bits(expScale),
		math.Float64bits(ExpSumMax),
		math.Float64bits(expLn2Hi),
		math.Float64bits(expLn2Lo),
		math.Float64bits(1.0 / 6),
		math.Float64bits(0.5),
		math.Float64bits(1),
		expTableSize - 1,
		^uint64(expTableSize - 1),
		math.Float64bits(-700),
	} {
		k[i] = [4]uint64{v, v, v, v}
	}
	return k
}()

func expSumAsm(c, h *float64, n int, alpha, shift, cut float64) (float64, bool) {
	return expSumAVX2(c, h, n, alpha, shift, cut, &expTable[0], &expConsts)
}

func expAffineAsm(dst, c, h *float64, n int, alpha, beta float64) int {
	return expAffineAVX2(dst, c, h, n, alpha, beta, &expTable[0], &expConsts)
}
