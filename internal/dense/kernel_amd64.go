//go:build !purego

package dense

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

//go:noescape
func dotAVX(x, y *float64, n int) float64

//go:noescape
func dots3x4AVX(a *float64, lda int, b *float64, ldb int, k int, c *[12]float64)

//go:noescape
func dots4x1AVX(a *float64, lda int, x *float64, k int, c *[4]float64)

//go:noescape
func axpy4AVX(c *[4]float64, a *float64, lda int, y *float64, n int)

//go:noescape
func axpyAVX(alpha float64, x, y *float64, n int)

// hasAVXFMA reports whether the processor and the operating system
// support AVX (with the YMM state saved on context switches) and FMA3.
func hasAVXFMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 1 {
		return false
	}
	_, _, ecx, _ := cpuid(1, 0)
	const (
		fma     = 1 << 12
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if ecx&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	xcr0, _ := xgetbv()
	return xcr0&6 == 6 // XMM and YMM state enabled
}

// hasAVX512 reports whether, beyond hasAVXFMA, the processor supports
// AVX-512 F, DQ and VL (CPUID leaf 7, EBX bits 16, 17 and 31) and the
// operating system saves the opmask and the full ZMM state (XCR0 bits 5,
// 6 and 7, besides the XMM and YMM bits 1 and 2).
func hasAVX512() bool {
	if !hasAVXFMA() {
		return false
	}
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	const (
		avx512f  = 1 << 16
		avx512dq = 1 << 17
		avx512vl = 1 << 31
	)
	if ebx&(avx512f|avx512dq|avx512vl) != avx512f|avx512dq|avx512vl {
		return false
	}
	xcr0, _ := xgetbv()
	const state = 1<<1 | 1<<2 | 1<<5 | 1<<6 | 1<<7
	return xcr0&state == state
}

func init() {
	useAsm = hasAVXFMA()
	useAVX512 = useAsm && hasAVX512()
}

//go:noescape
func solveRows3AVX(x *float64, ldx int, l *float64, ldl int, ncol int, inv *float64)

//go:noescape
func maxAbsAVX(x *float64, n int) (m float64, nan bool)

//go:noescape
func axpbyAVX(dst *float64, a float64, x *float64, b float64, y *float64, n int)
