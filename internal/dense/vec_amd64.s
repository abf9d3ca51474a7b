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

// func axpbyAVX(dst *float64, a float64, x *float64, b float64, y *float64, n int)
// dst[i] = a·x[i] + b·y[i] for i < n (n a positive multiple of 4), with
// two roundings of the products and one of the sum (no fused operation).
TEXT ·axpbyAVX(SB), NOSPLIT, $0-48
	MOVQ         dst+0(FP), DI
	VBROADCASTSD a+8(FP), Y0
	MOVQ         x+16(FP), SI
	VBROADCASTSD b+24(FP), Y1
	MOVQ         y+32(FP), DX
	MOVQ         n+40(FP), CX
	SHRQ         $2, CX
	XORQ         AX, AX

axpby_loop:
	VMULPD  (SI)(AX*1), Y0, Y2
	VMULPD  (DX)(AX*1), Y1, Y3
	VADDPD  Y3, Y2, Y2
	VMOVUPD Y2, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    CX
	JNZ     axpby_loop
	VZEROUPPER
	RET
