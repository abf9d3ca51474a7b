package dense

import "math"

// Log is math.Log, correct on subnormal inputs too. On amd64 (and s390x)
// the standard library's assembly logarithm does not normalize a
// subnormal argument (golang/go#56600, open in Go 1.26): it returns
// −709.078 for log(2.6177e-310), whose logarithm is −712.839, so a test
// such as x ≤ y log(z/y) near the origin lands on the wrong side. Log
// scales a positive subnormal by 2⁵² first, which is exact, and
// subtracts 52 log 2; every other input goes to math.Log unchanged.
func Log(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log(x*0x1p52) - 52*math.Ln2
	}
	return math.Log(x)
}
