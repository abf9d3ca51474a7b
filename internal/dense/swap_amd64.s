//go:build !purego

#include "textflag.h"

// func swapMixAVX(p, q, d *float64, n int, alpha float64)
// For l < n (a positive multiple of 4): d = p − q, p ← q + α d,
// q ← p − α d, four entries per step.
TEXT ·swapMixAVX(SB), NOSPLIT, $0-40
	MOVQ         p+0(FP), SI
	MOVQ         q+8(FP), DI
	MOVQ         d+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD alpha+32(FP), Y0
	XORQ         AX, AX

sm_loop:
	VMOVUPD      (SI)(AX*8), Y1
	VMOVUPD      (DI)(AX*8), Y2
	VSUBPD       Y2, Y1, Y3
	VMOVUPD      Y3, (DX)(AX*8)
	VMULPD       Y3, Y0, Y5
	VADDPD       Y5, Y2, Y2
	VSUBPD       Y5, Y1, Y1
	VMOVUPD      Y2, (SI)(AX*8)
	VMOVUPD      Y1, (DI)(AX*8)
	ADDQ         $4, AX
	CMPQ         AX, CX
	JLT          sm_loop
	VZEROUPPER
	RET

// func swapUnmixAVX(gp, gq, d *float64, n int, alpha float64) float64
// For l < n (a positive multiple of 4): h = gp − gq, Σ h·d into four lanes,
// gp ← gq + α h, gq ← gp − α h; returns the sum of the lanes.
TEXT ·swapUnmixAVX(SB), NOSPLIT, $0-48
	MOVQ         gp+0(FP), SI
	MOVQ         gq+8(FP), DI
	MOVQ         d+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD alpha+32(FP), Y0
	VXORPD       Y4, Y4, Y4
	XORQ         AX, AX

su_loop:
	VMOVUPD      (SI)(AX*8), Y1
	VMOVUPD      (DI)(AX*8), Y2
	VSUBPD       Y2, Y1, Y3
	VFMADD231PD  (DX)(AX*8), Y3, Y4
	VMULPD       Y3, Y0, Y5
	VADDPD       Y5, Y2, Y2
	VSUBPD       Y5, Y1, Y1
	VMOVUPD      Y2, (SI)(AX*8)
	VMOVUPD      Y1, (DI)(AX*8)
	ADDQ         $4, AX
	CMPQ         AX, CX
	JLT          su_loop
	VEXTRACTF128 $1, Y4, X5
	VADDPD       X5, X4, X4
	VHADDPD      X4, X4, X4
	VMOVSD       X4, ret+40(FP)
	VZEROUPPER
	RET

// func negLog1mAVX(p, dst *float64, n int, scale, lo float64, k *[12][4]float64, out *[8]float64) bool
// Constants at k: 0 one, 32·j the coefficient 1/(j+1) (j = 1…8), 288 1/64,
// 352 2⁻⁶⁰⁰. Registers: Y0 scale, Y1 one, Y2 1/64, Y3 lo,
// Y4 2⁻⁶⁰⁰, Y5 series, Y6 products; Y7–Y15 temporaries.
TEXT ·negLog1mAVX(SB), NOSPLIT, $0-57
	MOVQ         p+0(FP), SI
	MOVQ         dst+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD scale+24(FP), Y0
	VBROADCASTSD lo+32(FP), Y3
	MOVQ         k+40(FP), R8
	VMOVUPD      (R8), Y1
	VMOVUPD      288(R8), Y2
	VMOVUPD      352(R8), Y4
	VXORPD       Y5, Y5, Y5
	VMOVAPD      Y1, Y6
	XORQ         AX, AX

nl_loop:
	VMOVUPD      (SI)(AX*8), Y7          // v
	VSUBPD       Y7, Y1, Y8              // f = 1 − v
	VCMPPD       $0x1e, Y3, Y8, Y9       // f > lo (ordered)
	VMOVMSKPD    Y9, BX
	CMPQ         BX, $15
	JNE          nl_bail
	VDIVPD       Y8, Y1, Y10             // 1/f
	VMULPD       Y0, Y10, Y10            // ·scale
	VMOVUPD      Y10, (DI)(AX*8)
	VCMPPD       $0x11, Y2, Y7, Y11      // v < 1/64 (ordered)
	VANDPD       Y11, Y7, Y12            // u = v or 0
	VBLENDVPD    Y11, Y1, Y8, Y13        // factor = 1 or f
	VMULPD       Y13, Y6, Y6
	VCMPPD       $0x11, Y4, Y6, Y14      // product < 2⁻⁶⁰⁰
	VMOVMSKPD    Y14, BX
	TESTQ        BX, BX
	JNZ          nl_bail
	VMULPD       Y12, Y12, Y13           // u²
	VMULPD       Y13, Y13, Y14           // u⁴
	VMOVUPD      32(R8), Y15
	VFMADD213PD  Y1, Y12, Y15            // A = 1 + u/2
	VMOVUPD      96(R8), Y9
	VFMADD213PD  64(R8), Y12, Y9         // B = 1/3 + u/4
	VFMADD231PD  Y9, Y13, Y15            // A + u²B
	VMOVUPD      160(R8), Y10
	VFMADD213PD  128(R8), Y12, Y10       // C = 1/5 + u/6
	VMOVUPD      224(R8), Y11
	VFMADD213PD  192(R8), Y12, Y11       // D = 1/7 + u/8
	VFMADD231PD  Y11, Y13, Y10           // C + u²D
	VFMADD231PD  256(R8), Y14, Y10       // + u⁴/9
	VFMADD231PD  Y10, Y14, Y15           // A + u²B + u⁴(C + u²D + u⁴/9)
	VFMADD231PD  Y15, Y12, Y5            // series += u·(…)
	ADDQ         $4, AX
	CMPQ         AX, CX
	JLT          nl_loop
	MOVQ         out+48(FP), R9
	VMOVUPD      Y5, (R9)
	VMOVUPD      Y6, 32(R9)
	VZEROUPPER
	MOVB         $1, ret+56(FP)
	RET

nl_bail:
	VZEROUPPER
	MOVB         $0, ret+56(FP)
	RET

// func swapMixListAVX(m, d, alpha *float64, list *SwapRec, cnt int)
// For each record {P, Q, N, K} (16 bytes) in order: SwapMix of the N
// entries at m+8P and m+8Q with weight alpha[K], differences to d, then
// d advances by N. Four entries per step, the N mod 4 tail one at a time,
// with the multiplications and additions of the pure-Go code.
TEXT ·swapMixListAVX(SB), NOSPLIT, $0-40
	MOVQ m+0(FP), R8
	MOVQ d+8(FP), DX
	MOVQ alpha+16(FP), R9
	MOVQ list+24(FP), R10
	MOVQ cnt+32(FP), R11

ml_rec:
	MOVLQSX      0(R10), SI
	MOVLQSX      4(R10), DI
	MOVLQSX      8(R10), CX
	MOVLQSX      12(R10), BX
	LEAQ         (R8)(SI*8), SI
	LEAQ         (R8)(DI*8), DI
	VBROADCASTSD (R9)(BX*8), Y0
	XORQ         AX, AX
	MOVQ         CX, R12
	ANDQ         $-4, R12
	JZ           ml_tail

ml_vec:
	VMOVUPD      (SI)(AX*8), Y1
	VMOVUPD      (DI)(AX*8), Y2
	VSUBPD       Y2, Y1, Y3
	VMOVUPD      Y3, (DX)(AX*8)
	VMULPD       Y3, Y0, Y5
	VADDPD       Y5, Y2, Y2
	VSUBPD       Y5, Y1, Y1
	VMOVUPD      Y2, (SI)(AX*8)
	VMOVUPD      Y1, (DI)(AX*8)
	ADDQ         $4, AX
	CMPQ         AX, R12
	JLT          ml_vec

ml_tail:
	CMPQ AX, CX
	JGE  ml_next

ml_one:
	VMOVSD       (SI)(AX*8), X1
	VMOVSD       (DI)(AX*8), X2
	VSUBSD       X2, X1, X3
	VMOVSD       X3, (DX)(AX*8)
	VMULSD       X3, X0, X6
	VADDSD       X6, X2, X2
	VSUBSD       X6, X1, X1
	VMOVSD       X2, (SI)(AX*8)
	VMOVSD       X1, (DI)(AX*8)
	INCQ         AX
	CMPQ         AX, CX
	JLT          ml_one

ml_next:
	LEAQ (DX)(CX*8), DX
	ADDQ $16, R10
	DECQ R11
	JNZ  ml_rec
	VZEROUPPER
	RET

// func swapUnmixListAVX(gb, d, alpha, galpha *float64, list *SwapRec, cnt, total int)
// For each record from the last to the first: the differences are the N
// entries before the current end of d (which starts at d+8·total);
// SwapUnmix of the entries at g+8P and g+8Q with weight alpha[K], its
// derivative added to galpha[K].
TEXT ·swapUnmixListAVX(SB), NOSPLIT, $0-56
	MOVQ gb+0(FP), R8
	MOVQ d+8(FP), DX
	MOVQ alpha+16(FP), R9
	MOVQ galpha+24(FP), R13
	MOVQ list+32(FP), R10
	MOVQ cnt+40(FP), R11
	MOVQ total+48(FP), R12
	LEAQ (DX)(R12*8), DX
	MOVQ R11, R12
	SHLQ $4, R12
	ADDQ R12, R10

ul_rec:
	SUBQ         $16, R10
	MOVLQSX      0(R10), SI
	MOVLQSX      4(R10), DI
	MOVLQSX      8(R10), CX
	MOVLQSX      12(R10), BX
	MOVQ         CX, R12
	SHLQ         $3, R12
	SUBQ         R12, DX
	LEAQ         (R8)(SI*8), SI
	LEAQ         (R8)(DI*8), DI
	VBROADCASTSD (R9)(BX*8), Y0
	VXORPD       Y4, Y4, Y4
	XORQ         AX, AX
	MOVQ         CX, R12
	ANDQ         $-4, R12
	JZ           ul_reduce

ul_vec:
	VMOVUPD      (SI)(AX*8), Y1
	VMOVUPD      (DI)(AX*8), Y2
	VSUBPD       Y2, Y1, Y3
	VFMADD231PD  (DX)(AX*8), Y3, Y4
	VMULPD       Y3, Y0, Y5
	VADDPD       Y5, Y2, Y2
	VSUBPD       Y5, Y1, Y1
	VMOVUPD      Y2, (SI)(AX*8)
	VMOVUPD      Y1, (DI)(AX*8)
	ADDQ         $4, AX
	CMPQ         AX, R12
	JLT          ul_vec

ul_reduce:
	VEXTRACTF128 $1, Y4, X5
	VADDPD       X5, X4, X4
	VHADDPD      X4, X4, X4
	CMPQ         AX, CX
	JGE          ul_next

ul_one:
	VMOVSD       (SI)(AX*8), X1
	VMOVSD       (DI)(AX*8), X2
	VSUBSD       X2, X1, X3
	VFMADD231SD  (DX)(AX*8), X3, X4
	VMULSD       X3, X0, X6
	VADDSD       X6, X2, X2
	VSUBSD       X6, X1, X1
	VMOVSD       X2, (SI)(AX*8)
	VMOVSD       X1, (DI)(AX*8)
	INCQ         AX
	CMPQ         AX, CX
	JLT          ul_one

ul_next:
	VADDSD (R13)(BX*8), X4, X4
	VMOVSD X4, (R13)(BX*8)
	DECQ   R11
	JNZ    ul_rec
	VZEROUPPER
	RET
