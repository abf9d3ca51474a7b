//go:build !purego

#include "textflag.h"

#include "cholup_amd64.h"

// func cholUpperAVX(a *float64, lda, n int) int
// Overwrites the upper triangle of the symmetric n×n matrix a (leading
// dimension lda ≥ n+16, columns [n, lda) of every row zero) with U,
// A = UᵀU, row by row: Uⱼᵢ = (Aⱼᵢ − Σ_{l<j} Uₗⱼ Uₗᵢ)/Uⱼⱼ for i ≥ j, the
// sums taken sixteen columns i at a time (two chains over l, even and
// odd, added at the end) with the broadcast coefficient Uₗⱼ. Columns ≥ n
// of the padding are read and written back as zeros. Returns n, or the
// first j whose pivot is not positive and finite.
TEXT ·cholUpperAVX(SB), NOSPLIT, $48-32
	MOVQ a+0(FP), DI
	MOVQ lda+8(FP), R11
	SHLQ $3, R11
	MOVQ n+16(FP), R9
	XORQ R10, R10
	MOVQ DI, SI

cu_top:
	CMPQ R10, R9
	JGE  cu_ok
	LEAQ 3(R10), AX
	CMPQ AX, R9
	JGE  cu_two
	// Rows j..j+3 together: each row l < j of U is loaded once for all
	// four (8 columns at a time, eight accumulators). The groups start at
	// column j, so the updates also run over the six strict-lower entries
	// of the diagonal block, which are saved on the stack and put back.
	MOVQ    R9, BX
	SUBQ    R10, BX
	SHLQ    $3, BX
	LEAQ    (SI)(R10*8), DX
	LEAQ    (DX)(R11*1), R13
	LEAQ    (R13)(R11*1), R8
	LEAQ    (R8)(R11*1), CX
	MOVQ    (R13), AX
	MOVQ    AX, s0-8(SP)
	MOVQ    (R8), AX
	MOVQ    AX, s1-16(SP)
	MOVQ    8(R8), AX
	MOVQ    AX, s2-24(SP)
	MOVQ    (CX), AX
	MOVQ    AX, s3-32(SP)
	MOVQ    8(CX), AX
	MOVQ    AX, s4-40(SP)
	MOVQ    16(CX), AX
	MOVQ    AX, s5-48(SP)
	XORQ    R12, R12

c4_grp:
	CMPQ   R12, BX
	JGE    c4_tri
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	LEAQ   (DI)(R10*8), AX
	MOVQ   R10, CX
	TESTQ  CX, CX
	JZ     c4_sum

c4_l:
	VMOVUPD      (AX)(R12*1), Y12
	VMOVUPD      32(AX)(R12*1), Y13
	VBROADCASTSD (AX), Y8
	VBROADCASTSD 8(AX), Y9
	VBROADCASTSD 16(AX), Y10
	VBROADCASTSD 24(AX), Y11
	VFMADD231PD  Y12, Y8, Y0
	VFMADD231PD  Y13, Y8, Y1
	VFMADD231PD  Y12, Y9, Y2
	VFMADD231PD  Y13, Y9, Y3
	VFMADD231PD  Y12, Y10, Y4
	VFMADD231PD  Y13, Y10, Y5
	VFMADD231PD  Y12, Y11, Y6
	VFMADD231PD  Y13, Y11, Y7
	ADDQ         R11, AX
	DECQ         CX
	JNZ          c4_l

c4_sum:
	LEAQ    (SI)(R10*8), AX
	ADDQ    R12, AX
	VMOVUPD (AX), Y8
	VSUBPD  Y0, Y8, Y8
	VMOVUPD Y8, (AX)
	VMOVUPD 32(AX), Y9
	VSUBPD  Y1, Y9, Y9
	VMOVUPD Y9, 32(AX)
	ADDQ    R11, AX
	VMOVUPD (AX), Y8
	VSUBPD  Y2, Y8, Y8
	VMOVUPD Y8, (AX)
	VMOVUPD 32(AX), Y9
	VSUBPD  Y3, Y9, Y9
	VMOVUPD Y9, 32(AX)
	ADDQ    R11, AX
	VMOVUPD (AX), Y8
	VSUBPD  Y4, Y8, Y8
	VMOVUPD Y8, (AX)
	VMOVUPD 32(AX), Y9
	VSUBPD  Y5, Y9, Y9
	VMOVUPD Y9, 32(AX)
	ADDQ    R11, AX
	VMOVUPD (AX), Y8
	VSUBPD  Y6, Y8, Y8
	VMOVUPD Y8, (AX)
	VMOVUPD 32(AX), Y9
	VSUBPD  Y7, Y9, Y9
	VMOVUPD Y9, 32(AX)
	ADDQ    $64, R12
	JMP     c4_grp

c4_tri:
	// The 4×4 diagonal block and the rows' tails: row j+r takes off the
	// finished rows j..j+r−1 (one fused axpy each), then its pivot.
	LEAQ    (SI)(R10*8), DX
	LEAQ    (DX)(R11*1), R13
	LEAQ    (R13)(R11*1), R8
	LEAQ    (R8)(R11*1), CX
	VMOVSD      0(DX), X0
	CUPIVOT(c4_fail0)
	CUBCAST4
	XORQ        R12, R12
c4s0:
	CMPQ    R12, BX
	JGE     c4s0_done
	CUSCALE16(DX)
	ADDQ    $128, R12
	JMP     c4s0
c4s0_done:
	VMOVSD      X0, (DX)
	VBROADCASTSD 8(DX), Y8
	XORQ         R12, R12
c4a1:
	CMPQ         R12, BX
	JGE          c4a1_done
	VMOVUPD      0(R13)(R12*1), Y4
	VFNMADD231PD 0(DX)(R12*1), Y8, Y4
	VMOVUPD      Y4, 0(R13)(R12*1)
	VMOVUPD      32(R13)(R12*1), Y5
	VFNMADD231PD 32(DX)(R12*1), Y8, Y5
	VMOVUPD      Y5, 32(R13)(R12*1)
	VMOVUPD      64(R13)(R12*1), Y6
	VFNMADD231PD 64(DX)(R12*1), Y8, Y6
	VMOVUPD      Y6, 64(R13)(R12*1)
	VMOVUPD      96(R13)(R12*1), Y7
	VFNMADD231PD 96(DX)(R12*1), Y8, Y7
	VMOVUPD      Y7, 96(R13)(R12*1)
	ADDQ         $128, R12
	JMP          c4a1
c4a1_done:
	VMOVSD      8(R13), X0
	CUPIVOT(c4_fail1)
	CUBCAST4
	XORQ        R12, R12
c4s1:
	CMPQ    R12, BX
	JGE     c4s1_done
	CUSCALE16(R13)
	ADDQ    $128, R12
	JMP     c4s1
c4s1_done:
	VMOVSD      X0, 8(R13)
	VBROADCASTSD 16(DX), Y8
	VBROADCASTSD 16(R13), Y9
	XORQ         R12, R12
c4a2:
	CMPQ         R12, BX
	JGE          c4a2_done
	VMOVUPD      0(R8)(R12*1), Y4
	VFNMADD231PD 0(DX)(R12*1), Y8, Y4
	VFNMADD231PD 0(R13)(R12*1), Y9, Y4
	VMOVUPD      Y4, 0(R8)(R12*1)
	VMOVUPD      32(R8)(R12*1), Y5
	VFNMADD231PD 32(DX)(R12*1), Y8, Y5
	VFNMADD231PD 32(R13)(R12*1), Y9, Y5
	VMOVUPD      Y5, 32(R8)(R12*1)
	VMOVUPD      64(R8)(R12*1), Y6
	VFNMADD231PD 64(DX)(R12*1), Y8, Y6
	VFNMADD231PD 64(R13)(R12*1), Y9, Y6
	VMOVUPD      Y6, 64(R8)(R12*1)
	VMOVUPD      96(R8)(R12*1), Y7
	VFNMADD231PD 96(DX)(R12*1), Y8, Y7
	VFNMADD231PD 96(R13)(R12*1), Y9, Y7
	VMOVUPD      Y7, 96(R8)(R12*1)
	ADDQ         $128, R12
	JMP          c4a2
c4a2_done:
	VMOVSD      16(R8), X0
	CUPIVOT(c4_fail2)
	CUBCAST4
	XORQ        R12, R12
c4s2:
	CMPQ    R12, BX
	JGE     c4s2_done
	CUSCALE16(R8)
	ADDQ    $128, R12
	JMP     c4s2
c4s2_done:
	VMOVSD      X0, 16(R8)
	VBROADCASTSD 24(DX), Y8
	VBROADCASTSD 24(R13), Y9
	VBROADCASTSD 24(R8), Y10
	XORQ         R12, R12
c4a3:
	CMPQ         R12, BX
	JGE          c4a3_done
	VMOVUPD      0(CX)(R12*1), Y4
	VFNMADD231PD 0(DX)(R12*1), Y8, Y4
	VFNMADD231PD 0(R13)(R12*1), Y9, Y4
	VFNMADD231PD 0(R8)(R12*1), Y10, Y4
	VMOVUPD      Y4, 0(CX)(R12*1)
	VMOVUPD      32(CX)(R12*1), Y5
	VFNMADD231PD 32(DX)(R12*1), Y8, Y5
	VFNMADD231PD 32(R13)(R12*1), Y9, Y5
	VFNMADD231PD 32(R8)(R12*1), Y10, Y5
	VMOVUPD      Y5, 32(CX)(R12*1)
	VMOVUPD      64(CX)(R12*1), Y6
	VFNMADD231PD 64(DX)(R12*1), Y8, Y6
	VFNMADD231PD 64(R13)(R12*1), Y9, Y6
	VFNMADD231PD 64(R8)(R12*1), Y10, Y6
	VMOVUPD      Y6, 64(CX)(R12*1)
	VMOVUPD      96(CX)(R12*1), Y7
	VFNMADD231PD 96(DX)(R12*1), Y8, Y7
	VFNMADD231PD 96(R13)(R12*1), Y9, Y7
	VFNMADD231PD 96(R8)(R12*1), Y10, Y7
	VMOVUPD      Y7, 96(CX)(R12*1)
	ADDQ         $128, R12
	JMP          c4a3
c4a3_done:
	VMOVSD      24(CX), X0
	CUPIVOT(c4_fail3)
	CUBCAST4
	XORQ        R12, R12
c4s3:
	CMPQ    R12, BX
	JGE     c4s3_done
	CUSCALE16(CX)
	ADDQ    $128, R12
	JMP     c4s3
c4s3_done:
	VMOVSD      X0, 24(CX)
	C4RESTORE
	ADDQ $4, R10
	LEAQ (SI)(R11*4), SI
	JMP  cu_top

#include "cholup_tail_amd64.h"
