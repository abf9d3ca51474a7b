//go:build !purego

#include "textflag.h"
#include "kernel_amd64.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// DOTS3X4STEP accumulates, for the four doubles at byte offset off of the
// three rows at SI, R8, R9 and the four rows at b0..b3, the 3×4 products
// into Y0..Y11 (row i, column j in Y(4i+j)). Uses Y12..Y15.
#define DOTS3X4STEP(off, b0, b1, b2, b3) \
	VMOVUPD     (SI)(off*1), Y12 \
	VMOVUPD     (R8)(off*1), Y13 \
	VMOVUPD     (R9)(off*1), Y14 \
	VMOVUPD     (b0)(off*1), Y15 \
	VFMADD231PD Y15, Y12, Y0     \
	VFMADD231PD Y15, Y13, Y4     \
	VFMADD231PD Y15, Y14, Y8     \
	VMOVUPD     (b1)(off*1), Y15 \
	VFMADD231PD Y15, Y12, Y1     \
	VFMADD231PD Y15, Y13, Y5     \
	VFMADD231PD Y15, Y14, Y9     \
	VMOVUPD     (b2)(off*1), Y15 \
	VFMADD231PD Y15, Y12, Y2     \
	VFMADD231PD Y15, Y13, Y6     \
	VFMADD231PD Y15, Y14, Y10    \
	VMOVUPD     (b3)(off*1), Y15 \
	VFMADD231PD Y15, Y12, Y3     \
	VFMADD231PD Y15, Y13, Y7     \
	VFMADD231PD Y15, Y14, Y11

// ZERO12 clears the accumulators Y0..Y11.
#define ZERO12 \
	VXORPD Y0, Y0, Y0    \
	VXORPD Y1, Y1, Y1    \
	VXORPD Y2, Y2, Y2    \
	VXORPD Y3, Y3, Y3    \
	VXORPD Y4, Y4, Y4    \
	VXORPD Y5, Y5, Y5    \
	VXORPD Y6, Y6, Y6    \
	VXORPD Y7, Y7, Y7    \
	VXORPD Y8, Y8, Y8    \
	VXORPD Y9, Y9, Y9    \
	VXORPD Y10, Y10, Y10 \
	VXORPD Y11, Y11, Y11

// func dotAVX(x, y *float64, n int) float64
// n must be a multiple of 4.
TEXT ·dotAVX(SB), NOSPLIT, $0-32
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   R8, R8
	MOVQ   CX, R9
	SHRQ   $4, R9
	JZ     dot_tail4

dot_loop16:
	VMOVUPD     (SI)(R8*1), Y4
	VMOVUPD     32(SI)(R8*1), Y5
	VMOVUPD     64(SI)(R8*1), Y6
	VMOVUPD     96(SI)(R8*1), Y7
	VFMADD231PD (DI)(R8*1), Y4, Y0
	VFMADD231PD 32(DI)(R8*1), Y5, Y1
	VFMADD231PD 64(DI)(R8*1), Y6, Y2
	VFMADD231PD 96(DI)(R8*1), Y7, Y3
	ADDQ        $128, R8
	DECQ        R9
	JNZ         dot_loop16

dot_tail4:
	ANDQ $15, CX
	SHRQ $2, CX
	JZ   dot_done

dot_loop4:
	VMOVUPD     (SI)(R8*1), Y4
	VFMADD231PD (DI)(R8*1), Y4, Y0
	ADDQ        $32, R8
	DECQ        CX
	JNZ         dot_loop4

dot_done:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	REDUCE(Y0, X0, X4, ret+24(FP))
	VZEROUPPER
	RET

// func dots3x4AVX(a *float64, lda int, b *float64, ldb int, k int, c *[12]float64)
// c[4i+j] = Σ_{l<k} a[i·lda+l]·b[j·ldb+l] for i < 3, j < 4; k must be a
// multiple of 4.
TEXT ·dots3x4AVX(SB), NOSPLIT, $0-48
	MOVQ   a+0(FP), SI
	MOVQ   lda+8(FP), AX
	SHLQ   $3, AX
	MOVQ   b+16(FP), DI
	MOVQ   ldb+24(FP), BX
	SHLQ   $3, BX
	MOVQ   k+32(FP), CX
	MOVQ   c+40(FP), DX
	LEAQ   (SI)(AX*1), R8
	LEAQ   (R8)(AX*1), R9
	LEAQ   (DI)(BX*1), R10
	LEAQ   (R10)(BX*1), R11
	LEAQ   (R11)(BX*1), R12
	ZERO12
	XORQ   R13, R13
	SHRQ   $2, CX
	JZ     d34_done

d34_loop:
	DOTS3X4STEP(R13, DI, R10, R11, R12)
	ADDQ        $32, R13
	DECQ        CX
	JNZ         d34_loop

d34_done:
	REDUCE(Y0, X0, X12, 0(DX))
	REDUCE(Y1, X1, X12, 8(DX))
	REDUCE(Y2, X2, X12, 16(DX))
	REDUCE(Y3, X3, X12, 24(DX))
	REDUCE(Y4, X4, X12, 32(DX))
	REDUCE(Y5, X5, X12, 40(DX))
	REDUCE(Y6, X6, X12, 48(DX))
	REDUCE(Y7, X7, X12, 56(DX))
	REDUCE(Y8, X8, X12, 64(DX))
	REDUCE(Y9, X9, X12, 72(DX))
	REDUCE(Y10, X10, X12, 80(DX))
	REDUCE(Y11, X11, X12, 88(DX))
	VZEROUPPER
	RET

// func dots4x1AVX(a *float64, lda int, x *float64, k int, c *[4]float64)
// c[i] = Σ_{l<k} a[i·lda+l]·x[l] for i < 4; k must be a multiple of 8.
TEXT ·dots4x1AVX(SB), NOSPLIT, $0-40
	MOVQ   a+0(FP), SI
	MOVQ   lda+8(FP), AX
	SHLQ   $3, AX
	MOVQ   x+16(FP), DI
	MOVQ   k+24(FP), CX
	MOVQ   c+32(FP), DX
	LEAQ   (SI)(AX*1), R8
	LEAQ   (R8)(AX*1), R9
	LEAQ   (R9)(AX*1), R10
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ   R13, R13
	SHRQ   $3, CX
	JZ     d41_done

d41_loop:
	VMOVUPD     (DI)(R13*1), Y14
	VMOVUPD     32(DI)(R13*1), Y15
	VFMADD231PD (SI)(R13*1), Y14, Y0
	VFMADD231PD (R8)(R13*1), Y14, Y1
	VFMADD231PD (R9)(R13*1), Y14, Y2
	VFMADD231PD (R10)(R13*1), Y14, Y3
	VFMADD231PD 32(SI)(R13*1), Y15, Y4
	VFMADD231PD 32(R8)(R13*1), Y15, Y5
	VFMADD231PD 32(R9)(R13*1), Y15, Y6
	VFMADD231PD 32(R10)(R13*1), Y15, Y7
	ADDQ        $64, R13
	DECQ        CX
	JNZ         d41_loop

d41_done:
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	REDUCE(Y0, X0, X12, 0(DX))
	REDUCE(Y1, X1, X12, 8(DX))
	REDUCE(Y2, X2, X12, 16(DX))
	REDUCE(Y3, X3, X12, 24(DX))
	VZEROUPPER
	RET

// func axpy4AVX(c *[4]float64, a *float64, lda int, y *float64, n int)
// y[l] += Σ_{i<4} c[i]·a[i·lda+l] for l < n; n must be a multiple of 8.
TEXT ·axpy4AVX(SB), NOSPLIT, $0-40
	MOVQ         c+0(FP), DX
	MOVQ         a+8(FP), SI
	MOVQ         lda+16(FP), AX
	SHLQ         $3, AX
	MOVQ         y+24(FP), DI
	MOVQ         n+32(FP), CX
	LEAQ         (SI)(AX*1), R8
	LEAQ         (R8)(AX*1), R9
	LEAQ         (R9)(AX*1), R10
	VBROADCASTSD 0(DX), Y12
	VBROADCASTSD 8(DX), Y13
	VBROADCASTSD 16(DX), Y14
	VBROADCASTSD 24(DX), Y15
	XORQ         R13, R13
	SHRQ         $3, CX
	JZ           a4_done

a4_loop:
	VMOVUPD     (SI)(R13*1), Y0
	VMOVUPD     32(SI)(R13*1), Y1
	VMULPD      Y12, Y0, Y0
	VMULPD      Y12, Y1, Y1
	VMOVUPD     (R8)(R13*1), Y2
	VMOVUPD     32(R8)(R13*1), Y3
	VMULPD      Y13, Y2, Y2
	VMULPD      Y13, Y3, Y3
	VFMADD231PD (R9)(R13*1), Y14, Y0
	VFMADD231PD 32(R9)(R13*1), Y14, Y1
	VFMADD231PD (R10)(R13*1), Y15, Y2
	VFMADD231PD 32(R10)(R13*1), Y15, Y3
	VADDPD      Y2, Y0, Y0
	VADDPD      Y3, Y1, Y1
	VADDPD      (DI)(R13*1), Y0, Y0
	VADDPD      32(DI)(R13*1), Y1, Y1
	VMOVUPD     Y0, (DI)(R13*1)
	VMOVUPD     Y1, 32(DI)(R13*1)
	ADDQ        $64, R13
	DECQ        CX
	JNZ         a4_loop

a4_done:
	VZEROUPPER
	RET

// func axpyAVX(alpha float64, x, y *float64, n int)
// y[l] += alpha·x[l] for l < n; n must be a multiple of 8.
TEXT ·axpyAVX(SB), NOSPLIT, $0-32
	VBROADCASTSD alpha+0(FP), Y15
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	XORQ         R13, R13
	SHRQ         $3, CX
	JZ           ax_done

ax_loop:
	VMOVUPD     (DI)(R13*1), Y0
	VMOVUPD     32(DI)(R13*1), Y1
	VFMADD231PD (SI)(R13*1), Y15, Y0
	VFMADD231PD 32(SI)(R13*1), Y15, Y1
	VMOVUPD     Y0, (DI)(R13*1)
	VMOVUPD     Y1, 32(DI)(R13*1)
	ADDQ        $64, R13
	DECQ        CX
	JNZ         ax_loop

ax_done:
	VZEROUPPER
	RET

// func solveRows3AVX(x *float64, ldx int, l *float64, ldl int, ncol int, inv *float64)
// Overwrites columns [0, ncol) of the three rows of x with the solution of
// X Lᵀ = X, four columns at a time (ncol must be a multiple of 4): for
// each block, the 3×4 dots of the rows' finished prefix with rows j..j+3
// of L, then the 4×4 triangle, with inv holding 1/Lⱼⱼ.
TEXT ·solveRows3AVX(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ ldx+8(FP), AX
	SHLQ $3, AX
	LEAQ (SI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	MOVQ l+16(FP), R10
	MOVQ ldl+24(FP), BX
	SHLQ $3, BX
	MOVQ ncol+32(FP), DI
	SHLQ $3, DI
	MOVQ inv+40(FP), DX
	XORQ AX, AX

sr_block:
	CMPQ   AX, DI
	JGE    sr_done
	LEAQ   (R10)(BX*1), R11
	LEAQ   (R11)(BX*1), R12
	LEAQ   (R12)(BX*1), R13
	ZERO12
	XORQ   CX, CX

sr_inner:
	CMPQ        CX, AX
	JGE         sr_tri
	DOTS3X4STEP(CX, R10, R11, R12, R13)
	ADDQ        $32, CX
	JMP         sr_inner

sr_tri:
	HSUM(Y0, X0)
	HSUM(Y1, X1)
	HSUM(Y2, X2)
	HSUM(Y3, X3)
	HSUM(Y4, X4)
	HSUM(Y5, X5)
	HSUM(Y6, X6)
	HSUM(Y7, X7)
	HSUM(Y8, X8)
	HSUM(Y9, X9)
	HSUM(Y10, X10)
	HSUM(Y11, X11)
	TRI(SI, X0, X1, X2, X3)
	TRI(R8, X4, X5, X6, X7)
	TRI(R9, X8, X9, X10, X11)
	ADDQ $32, AX
	LEAQ (R10)(BX*4), R10
	JMP  sr_block

sr_done:
	VZEROUPPER
	RET
