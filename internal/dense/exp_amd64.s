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

// func expSumAVX2(c, h *float64, n int, alpha, shift, cut float64, tab *float64, k *[11][4]uint64) (s float64, over bool)
//
// k holds the constants, four copies each (expConsts): the shifter 0x1.8p52,
// 2048/ln2, 709, ln2Hi, ln2Lo, 1/6, 1/2, 1, the index mask 2047 and its
// complement (as integers), −700. The cut, four copies, is kept at 0(SP). n is a
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

// func expAffineAVX2(dst, c, h *float64, n int, alpha, beta float64, tab *float64, k *[11][4]uint64) (done int)
//
// dst[j] = exp(beta + h[j] − alpha·c[j]) for j < n (a positive multiple of
// 4), four at a time, with the table method of expSumAVX2. It stops before
// the first block of four with an exponent outside [−700, 709] or NaN, and
// returns the number of entries done (n when there was none).
TEXT ·expAffineAVX2(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DX
	MOVQ c+8(FP), SI
	MOVQ h+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ tab+48(FP), R8
	MOVQ k+56(FP), R9
	VBROADCASTSD alpha+32(FP), Y15
	VBROADCASTSD beta+40(FP), Y14
	XORQ AX, AX

affloop:
	VMOVUPD      (SI)(AX*8), Y2
	VMOVUPD      (DI)(AX*8), Y3
	VADDPD       Y14, Y3, Y3          // beta + h
	VFNMADD231PD Y15, Y2, Y3          // x = beta + h − alpha·c
	VCMPPD       $0x1d, 320(R9), Y3, Y2 // x ≥ −700
	VCMPPD       $0x12, 64(R9), Y3, Y4  // x ≤ 709
	VANDPD       Y4, Y2, Y2
	VMOVMSKPD    Y2, BX
	CMPQ         BX, $15
	JNE          affout
	VMOVUPD      (R9), Y4
	VFMADD231PD  32(R9), Y3, Y4       // t = x·2048/ln2 + shifter
	VSUBPD       (R9), Y4, Y5         // kf = t − shifter
	VPSUBQ       (R9), Y4, Y4         // k = bits(t) − bits(shifter)
	VFNMADD231PD 96(R9), Y5, Y3       // r = x − kf·ln2Hi
	VFNMADD231PD 128(R9), Y5, Y3      //     − kf·ln2Lo
	VMOVUPD      160(R9), Y6          // p = 1/6
	VFMADD213PD  192(R9), Y3, Y6      // p = p·r + 1/2
	VFMADD213PD  224(R9), Y3, Y6      // p = p·r + 1
	VFMADD213PD  224(R9), Y3, Y6      // p = p·r + 1
	VPAND        256(R9), Y4, Y7      // table index k & 2047
	VPCMPEQQ     Y8, Y8, Y8
	VGATHERQPD   Y8, (R8)(Y7*8), Y9   // 2^(i/2048)
	VMULPD       Y6, Y9, Y9
	VPAND        288(R9), Y4, Y4      // k with the index bits cleared
	VPSLLQ       $41, Y4, Y4          // = (k>>11)<<52
	VPADDQ       Y4, Y9, Y9           // scale by 2^(k>>11)
	VMOVUPD      Y9, (DX)(AX*8)
	ADDQ         $4, AX
	CMPQ         AX, CX
	JLT          affloop

affout:
	MOVQ AX, done+64(FP)
	VZEROUPPER
	RET
