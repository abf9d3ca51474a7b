//go:build !purego

#include "textflag.h"

// EXPTERMS sets F to the four terms exp(h − shift − alpha·c) of the
// doubles at byte offset off of SI (c) and DI (h), zero where the exponent
// is below the cut or NaN, and ORs into Y1 the lanes whose exponent
// exceeds 709. Y15 holds alpha, Y14 shift, R9 the constants, R8 the
// table, 0(SP) the cut; A–E are scratch. The steps: x as above; keep =
// x ≥ cut; t = x·2048/ln2 + shifter, kf = t − shifter, k = bits(t) −
// bits(shifter); r = x − kf·ln2Hi − kf·ln2Lo; p = ((r/6 + 1/2)·r + 1)·r + 1;
// F = 2^((k&2047)/2048)·p (gathered from the table) with (k>>11)<<52 =
// (k&^2047)<<41 added to its bits, and the lanes not kept cleared.
#define EXPTERMS(off, A, B, C, D, E, F) \
	VMOVUPD      off(SI), A          \
	VMOVUPD      off(DI), B          \
	VSUBPD       Y14, B, B           \
	VFNMADD231PD Y15, A, B           \
	VCMPPD       $0x1d, 0(SP), B, A \
	VCMPPD       $0x1e, 64(R9), B, C \
	VORPD        C, Y1, Y1           \
	VMOVUPD      (R9), C             \
	VFMADD231PD  32(R9), B, C        \
	VSUBPD       (R9), C, D          \
	VPSUBQ       (R9), C, C          \
	VFNMADD231PD 96(R9), D, B        \
	VFNMADD231PD 128(R9), D, B       \
	VMOVUPD      160(R9), D          \
	VFMADD213PD  192(R9), B, D       \
	VFMADD213PD  224(R9), B, D       \
	VFMADD213PD  224(R9), B, D       \
	VPAND        256(R9), C, B       \
	VPCMPEQQ     E, E, E             \
	VGATHERQPD   E, (R8)(B*8), F     \
	VMULPD       D, F, F             \
	VPAND        288(R9), C, C       \
	VPSLLQ       $41, C, C           \
	VPADDQ       C, F, F             \
	VANDPD       A, F, F

// func expSumAVX2(c, h *float64, n int, alpha, shift, cut float64, tab *float64, k *[10][4]uint64) (s float64, over bool)
//
// k holds the constants, four copies each (expConsts): the shifter 0x1.8p52,
// 2048/ln2, 709, ln2Hi, ln2Lo, 1/6, 1/2, 1, the index mask 2047 and its
// complement (as integers). The cut, four copies, is kept at 0(SP). n is a
// positive multiple of 4. The terms are summed in four lanes, eight
// terms (two vectors) at a time and then one vector for an odd count.
TEXT ·expSumAVX2(SB), NOSPLIT, $32-73
	MOVQ c+0(FP), SI
	MOVQ h+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ tab+48(FP), R8
	MOVQ k+56(FP), R9
	VBROADCASTSD alpha+24(FP), Y15
	VBROADCASTSD shift+32(FP), Y14
	VBROADCASTSD cut+40(FP), Y2
	VMOVUPD Y2, 0(SP)
	VXORPD  Y0, Y0, Y0            // sum
	VXORPD  Y1, Y1, Y1            // overflow lanes
	SHRQ    $2, CX
	MOVQ    CX, DX
	SHRQ    $1, CX
	JZ      tail

loop:
	EXPTERMS(0, Y2, Y3, Y4, Y5, Y6, Y7)
	EXPTERMS(32, Y8, Y9, Y10, Y11, Y12, Y13)
	VADDPD Y13, Y7, Y7
	VADDPD Y7, Y0, Y0
	ADDQ   $64, SI
	ADDQ   $64, DI
	DECQ   CX
	JNZ    loop

tail:
	ANDQ $1, DX
	JZ   done
	EXPTERMS(0, Y2, Y3, Y4, Y5, Y6, Y7)
	VADDPD Y7, Y0, Y0

done:
	VEXTRACTF128 $1, Y0, X2
	VADDPD       X2, X0, X0
	VHADDPD      X0, X0, X0
	VMOVSD       X0, s+64(FP)
	VMOVMSKPD    Y1, AX
	TESTQ        AX, AX
	SETNE        over+72(FP)
	VZEROUPPER
	RET
