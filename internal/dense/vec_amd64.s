//go:build !purego

#include "textflag.h"

DATA absmask<>+0(SB)/8, $0x7FFFFFFFFFFFFFFF
DATA absmask<>+8(SB)/8, $0x7FFFFFFFFFFFFFFF
DATA absmask<>+16(SB)/8, $0x7FFFFFFFFFFFFFFF
DATA absmask<>+24(SB)/8, $0x7FFFFFFFFFFFFFFF
GLOBL absmask<>(SB), RODATA|NOPTR, $32

// func maxAbsAVX(x *float64, n int) (m float64, nan bool)
// m = max |x[i]| over i < n (n a positive multiple of 8); nan reports
// whether some x[i] is NaN (m is then meaningless).
TEXT ·maxAbsAVX(SB), NOSPLIT, $0-25
	MOVQ    x+0(FP), SI
	MOVQ    n+8(FP), CX
	SHRQ    $3, CX
	VMOVUPD absmask<>(SB), Y15
	VXORPD  Y0, Y0, Y0
	VXORPD  Y1, Y1, Y1
	VXORPD  Y2, Y2, Y2
	VXORPD  Y3, Y3, Y3

ma_loop:
	VANDPD  (SI), Y15, Y4
	VANDPD  32(SI), Y15, Y5
	VMAXPD  Y4, Y0, Y0
	VMAXPD  Y5, Y1, Y1
	VCMPPD  $3, Y4, Y4, Y6
	VCMPPD  $3, Y5, Y5, Y7
	VORPD   Y6, Y2, Y2
	VORPD   Y7, Y3, Y3
	ADDQ    $64, SI
	DECQ    CX
	JNZ     ma_loop

	VMAXPD       Y1, Y0, Y0
	VORPD        Y3, Y2, Y2
	VEXTRACTF128 $1, Y0, X1
	VMAXPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VMAXSD       X1, X0, X0
	VMOVSD       X0, m+16(FP)
	VMOVMSKPD    Y2, AX
	TESTL        AX, AX
	SETNE        nan+24(FP)
	VZEROUPPER
	RET
