//go:build !purego

#include "textflag.h"
#include "kernel_amd64.h"

// The AVX-512 kernels of kernel512_amd64.go. Z16..Z21 hold the twelve
// four-lane accumulators of the AVX2 kernels two to a register: Z(16+k)
// has accumulator 2k (row i = k/2, column j = 2(k%2)) in its low half and
// accumulator 2k+1 in its high half. Every lane sees the same FMAs in the
// same order as in the AVX2 kernel, and the halves are then reduced
// exactly as there.

// DOTS3X4STEP512 accumulates, for the four doubles at byte offset off of
// the three rows at SI, R8, R9 and the four rows at b0..b3, the 3×4
// products into Z16..Z21: each row's four doubles are broadcast to both
// halves of Z22..Z24, the column pairs (b0, b1) and (b2, b3) are loaded
// into the halves of Z25 and Z26.
#define DOTS3X4STEP512(off, b0, b1, b2, b3) \
	VBROADCASTF64X4 (SI)(off*1), Z22           \
	VBROADCASTF64X4 (R8)(off*1), Z23           \
	VBROADCASTF64X4 (R9)(off*1), Z24           \
	VMOVUPD         (b0)(off*1), Y25           \
	VINSERTF64X4    $1, (b1)(off*1), Z25, Z25  \
	VMOVUPD         (b2)(off*1), Y26           \
	VINSERTF64X4    $1, (b3)(off*1), Z26, Z26  \
	VFMADD231PD     Z25, Z22, Z16              \
	VFMADD231PD     Z26, Z22, Z17              \
	VFMADD231PD     Z25, Z23, Z18              \
	VFMADD231PD     Z26, Z23, Z19              \
	VFMADD231PD     Z25, Z24, Z20              \
	VFMADD231PD     Z26, Z24, Z21

// ZERO6 clears the accumulators Z16..Z21.
#define ZERO6 \
	VPXORQ Z16, Z16, Z16 \
	VPXORQ Z17, Z17, Z17 \
	VPXORQ Z18, Z18, Z18 \
	VPXORQ Z19, Z19, Z19 \
	VPXORQ Z20, Z20, Z20 \
	VPXORQ Z21, Z21, Z21

// SPLIT6 copies the halves of Z16..Z21 into Y0..Y11, the AVX2 kernels'
// accumulator registers: Y(2k) = low half of Z(16+k), Y(2k+1) = high.
#define SPLIT6 \
	VEXTRACTF64X4 $0, Z16, Y0  \
	VEXTRACTF64X4 $1, Z16, Y1  \
	VEXTRACTF64X4 $0, Z17, Y2  \
	VEXTRACTF64X4 $1, Z17, Y3  \
	VEXTRACTF64X4 $0, Z18, Y4  \
	VEXTRACTF64X4 $1, Z18, Y5  \
	VEXTRACTF64X4 $0, Z19, Y6  \
	VEXTRACTF64X4 $1, Z19, Y7  \
	VEXTRACTF64X4 $0, Z20, Y8  \
	VEXTRACTF64X4 $1, Z20, Y9  \
	VEXTRACTF64X4 $0, Z21, Y10 \
	VEXTRACTF64X4 $1, Z21, Y11

// func dots3x4AVX512(a *float64, lda int, b *float64, ldb int, k int, c *[12]float64)
// c[4i+j] = Σ_{l<k} a[i·lda+l]·b[j·ldb+l] for i < 3, j < 4; k must be a
// multiple of 4. The same bits as dots3x4AVX.
TEXT ·dots3x4AVX512(SB), NOSPLIT, $0-48
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
	ZERO6
	XORQ   R13, R13
	SHRQ   $2, CX
	JZ     d34z_done

d34z_loop:
	DOTS3X4STEP512(R13, DI, R10, R11, R12)
	ADDQ        $32, R13
	DECQ        CX
	JNZ         d34z_loop

d34z_done:
	SPLIT6
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

// DOTS3X8STEP512 is DOTS3X4STEP512 for two blocks of four L rows at
// once, the rows j..j+3 at R10..R13 into Z16..Z21 and the rows j+4..j+7
// at R14, R15, DI, BX into Z22..Z27 (the same layout, six registers on),
// with the three broadcast rows of x shared. Uses Z28..Z31, Z12..Z14.
#define DOTS3X8STEP512(off) \
	VBROADCASTF64X4 (SI)(off*1), Z28           \
	VBROADCASTF64X4 (R8)(off*1), Z29           \
	VBROADCASTF64X4 (R9)(off*1), Z30           \
	VMOVUPD         (R10)(off*1), Y31          \
	VINSERTF64X4    $1, (R11)(off*1), Z31, Z31 \
	VMOVUPD         (R12)(off*1), Y12          \
	VINSERTF64X4    $1, (R13)(off*1), Z12, Z12 \
	VMOVUPD         (R14)(off*1), Y13          \
	VINSERTF64X4    $1, (R15)(off*1), Z13, Z13 \
	VMOVUPD         (DI)(off*1), Y14           \
	VINSERTF64X4    $1, (BX)(off*1), Z14, Z14  \
	VFMADD231PD     Z31, Z28, Z16              \
	VFMADD231PD     Z12, Z28, Z17              \
	VFMADD231PD     Z31, Z29, Z18              \
	VFMADD231PD     Z12, Z29, Z19              \
	VFMADD231PD     Z31, Z30, Z20              \
	VFMADD231PD     Z12, Z30, Z21              \
	VFMADD231PD     Z13, Z28, Z22              \
	VFMADD231PD     Z14, Z28, Z23              \
	VFMADD231PD     Z13, Z29, Z24              \
	VFMADD231PD     Z14, Z29, Z25              \
	VFMADD231PD     Z13, Z30, Z26              \
	VFMADD231PD     Z14, Z30, Z27

// SPLIT6B is SPLIT6 for the second block's accumulators Z22..Z27.
#define SPLIT6B \
	VEXTRACTF64X4 $0, Z22, Y0  \
	VEXTRACTF64X4 $1, Z22, Y1  \
	VEXTRACTF64X4 $0, Z23, Y2  \
	VEXTRACTF64X4 $1, Z23, Y3  \
	VEXTRACTF64X4 $0, Z24, Y4  \
	VEXTRACTF64X4 $1, Z24, Y5  \
	VEXTRACTF64X4 $0, Z25, Y6  \
	VEXTRACTF64X4 $1, Z25, Y7  \
	VEXTRACTF64X4 $0, Z26, Y8  \
	VEXTRACTF64X4 $1, Z26, Y9  \
	VEXTRACTF64X4 $0, Z27, Y10 \
	VEXTRACTF64X4 $1, Z27, Y11

// HSUM12 reduces Y0..Y11 into the low lanes of X0..X11.
#define HSUM12 \
	HSUM(Y0, X0)   \
	HSUM(Y1, X1)   \
	HSUM(Y2, X2)   \
	HSUM(Y3, X3)   \
	HSUM(Y4, X4)   \
	HSUM(Y5, X5)   \
	HSUM(Y6, X6)   \
	HSUM(Y7, X7)   \
	HSUM(Y8, X8)   \
	HSUM(Y9, X9)   \
	HSUM(Y10, X10) \
	HSUM(Y11, X11)

// PACKROW gathers the four solved values TRI leaves in the low lanes of
// X12..X15 into both halves of zdst, using X registers xa, xb (of the Y
// and Z registers ya and za) as scratch.
#define PACKROW(xa, xb, ya, za, zdst) \
	VUNPCKLPD    X13, X12, xa \
	VUNPCKLPD    X15, X14, xb \
	VINSERTF128  $1, xb, ya, ya \
	VINSERTF64X4 $1, ya, za, zdst

// func solveRows3AVX512(x *float64, ldx int, l *float64, ldl int, from, ncol int, inv *float64)
// solveRows3AVX with the block dots in ZMM registers, the same bits, for
// the blocks of columns [from, ncol) (both multiples of 4; the columns
// before from already solved). The blocks are taken in pairs: the dots
// of blocks j and j+4 with the prefix [0, j) in one loop (twelve
// independent FMA chains, where one block has only six), then block j's
// triangle, then block j+4's last step of dots (with the columns j..j+3
// just solved) and its triangle. Each lane of block j+4 still sums its
// products in the order of solveRows3AVX.
TEXT ·solveRows3AVX512(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ ldx+8(FP), AX
	SHLQ $3, AX
	LEAQ (SI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	MOVQ from+32(FP), AX
	MOVQ ldl+24(FP), CX
	IMULQ AX, CX
	MOVQ l+16(FP), R10
	LEAQ (R10)(CX*8), R10
	SHLQ $3, AX

srz_pair:
	// Two blocks left (j+8 ≤ ncol)? Then R10..R13 = rows j..j+3 of L,
	// R14, R15, DI, BX = rows j+4..j+7.
	MOVQ ncol+40(FP), CX
	SHLQ $3, CX
	LEAQ 32(AX), DI
	CMPQ DI, CX
	JGE  srz_single
	MOVQ ldl+24(FP), BX
	SHLQ $3, BX
	LEAQ (R10)(BX*1), R11
	LEAQ (R11)(BX*1), R12
	LEAQ (R12)(BX*1), R13
	LEAQ (R13)(BX*1), R14
	LEAQ (R14)(BX*1), R15
	LEAQ (R15)(BX*1), DI
	ADDQ DI, BX
	ZERO6
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23
	VPXORQ Z24, Z24, Z24
	VPXORQ Z25, Z25, Z25
	VPXORQ Z26, Z26, Z26
	VPXORQ Z27, Z27, Z27
	XORQ   CX, CX

srz_pinner:
	CMPQ           CX, AX
	JGE            srz_ptri
	DOTS3X8STEP512(CX)
	ADDQ           $32, CX
	JMP            srz_pinner

srz_ptri:
	// Block j.
	SPLIT6
	HSUM12
	MOVQ inv+48(FP), DX
	TRI(SI, X0, X1, X2, X3)
	PACKROW(X0, X1, Y0, Z0, Z28)
	TRI(R8, X4, X5, X6, X7)
	PACKROW(X4, X5, Y4, Z4, Z29)
	TRI(R9, X8, X9, X10, X11)
	PACKROW(X8, X9, Y8, Z8, Z30)
	// Block j+4: the step over columns j..j+3 (their values just solved,
	// from Z28..Z30 rather than through memory), then its triangle.
	VMOVUPD         (R14)(AX*1), Y13
	VINSERTF64X4    $1, (R15)(AX*1), Z13, Z13
	VMOVUPD         (DI)(AX*1), Y14
	VINSERTF64X4    $1, (BX)(AX*1), Z14, Z14
	VFMADD231PD     Z13, Z28, Z22
	VFMADD231PD     Z14, Z28, Z23
	VFMADD231PD     Z13, Z29, Z24
	VFMADD231PD     Z14, Z29, Z25
	VFMADD231PD     Z13, Z30, Z26
	VFMADD231PD     Z14, Z30, Z27
	SPLIT6B
	HSUM12
	ADDQ $32, AX
	MOVQ R15, R11
	MOVQ DI, R12
	MOVQ BX, R13
	TRI(SI, X0, X1, X2, X3)
	TRI(R8, X4, X5, X6, X7)
	TRI(R9, X8, X9, X10, X11)
	// On to the pair at j+8.
	ADDQ $32, AX
	MOVQ ldl+24(FP), CX
	SHLQ $3, CX
	LEAQ (BX)(CX*1), R10
	JMP  srz_pair

srz_single:
	// At most one block left: as solveRows3AVX.
	MOVQ ldl+24(FP), BX
	SHLQ $3, BX
	MOVQ ncol+40(FP), DI
	SHLQ $3, DI
	MOVQ inv+48(FP), DX

srz_block:
	CMPQ   AX, DI
	JGE    srz_done
	LEAQ   (R10)(BX*1), R11
	LEAQ   (R11)(BX*1), R12
	LEAQ   (R12)(BX*1), R13
	ZERO6
	XORQ   CX, CX

srz_inner:
	CMPQ        CX, AX
	JGE         srz_tri
	DOTS3X4STEP512(CX, R10, R11, R12, R13)
	ADDQ        $32, CX
	JMP         srz_inner

srz_tri:
	SPLIT6
	HSUM12
	TRI(SI, X0, X1, X2, X3)
	TRI(R8, X4, X5, X6, X7)
	TRI(R9, X8, X9, X10, X11)
	ADDQ $32, AX
	LEAQ (R10)(BX*4), R10
	JMP  srz_block

srz_done:
	VZEROUPPER
	RET

#include "cholup_amd64.h"


// func cholUpperAVX512(a *float64, lda, n int) int
// cholUpperAVX with the four-row groups in ZMM registers (sixteen
// columns per row and step, two registers per row): the same FMAs per
// entry in the same order, so the same bits; the two-row and one-row
// tails are those of cholUpperAVX. As there:
//
// Overwrites the upper triangle of the symmetric n×n matrix a (leading
// dimension lda ≥ n+16, columns [n, lda) of every row zero) with U,
// A = UᵀU, row by row: Uⱼᵢ = (Aⱼᵢ − Σ_{l<j} Uₗⱼ Uₗᵢ)/Uⱼⱼ for i ≥ j, the
// sums taken sixteen columns i at a time (two chains over l, even and
// odd, added at the end) with the broadcast coefficient Uₗⱼ. Columns ≥ n
// of the padding are read and written back as zeros. Returns n, or the
// first j whose pivot is not positive and finite.
TEXT ·cholUpperAVX512(SB), NOSPLIT, $48-32
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
	// four (16 columns at a time, eight ZMM accumulators). The groups start at
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
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	LEAQ   (DI)(R10*8), AX
	MOVQ   R10, CX
	TESTQ  CX, CX
	JZ     c4_sum

c4_l:
	VMOVUPD      (AX)(R12*1), Z12
	VMOVUPD      64(AX)(R12*1), Z13
	VBROADCASTSD (AX), Z8
	VBROADCASTSD 8(AX), Z9
	VBROADCASTSD 16(AX), Z10
	VBROADCASTSD 24(AX), Z11
	VFMADD231PD  Z12, Z8, Z0
	VFMADD231PD  Z13, Z8, Z1
	VFMADD231PD  Z12, Z9, Z2
	VFMADD231PD  Z13, Z9, Z3
	VFMADD231PD  Z12, Z10, Z4
	VFMADD231PD  Z13, Z10, Z5
	VFMADD231PD  Z12, Z11, Z6
	VFMADD231PD  Z13, Z11, Z7
	ADDQ         R11, AX
	DECQ         CX
	JNZ          c4_l

c4_sum:
	LEAQ    (SI)(R10*8), AX
	ADDQ    R12, AX
	VMOVUPD (AX), Z8
	VSUBPD  Z0, Z8, Z8
	VMOVUPD Z8, (AX)
	VMOVUPD 64(AX), Z9
	VSUBPD  Z1, Z9, Z9
	VMOVUPD Z9, 64(AX)
	ADDQ    R11, AX
	VMOVUPD (AX), Z8
	VSUBPD  Z2, Z8, Z8
	VMOVUPD Z8, (AX)
	VMOVUPD 64(AX), Z9
	VSUBPD  Z3, Z9, Z9
	VMOVUPD Z9, 64(AX)
	ADDQ    R11, AX
	VMOVUPD (AX), Z8
	VSUBPD  Z4, Z8, Z8
	VMOVUPD Z8, (AX)
	VMOVUPD 64(AX), Z9
	VSUBPD  Z5, Z9, Z9
	VMOVUPD Z9, 64(AX)
	ADDQ    R11, AX
	VMOVUPD (AX), Z8
	VSUBPD  Z6, Z8, Z8
	VMOVUPD Z8, (AX)
	VMOVUPD 64(AX), Z9
	VSUBPD  Z7, Z9, Z9
	VMOVUPD Z9, 64(AX)
	ADDQ    $128, R12
	JMP     c4_grp

c4_tri:
	// The 4×4 diagonal block and the rows' tails: row j+r takes off the
	// finished rows j..j+r−1 (one fused axpy each), then its pivot. The
	// block's upper entries are also carried in X16..X25 through the same
	// operations as their lanes, so that the pivots' chain needs no trip
	// through memory; the axpys' coefficients are broadcast from them.
	LEAQ    (SI)(R10*8), DX
	LEAQ    (DX)(R11*1), R13
	LEAQ    (R13)(R11*1), R8
	LEAQ    (R8)(R11*1), CX
	VMOVSD       0(DX), X16
	VMOVSD       8(DX), X17
	VMOVSD       16(DX), X18
	VMOVSD       24(DX), X19
	VMOVSD       8(R13), X20
	VMOVSD       16(R13), X21
	VMOVSD       24(R13), X22
	VMOVSD       16(R8), X23
	VMOVSD       24(R8), X24
	VMOVSD       24(CX), X25
	VMOVAPD      X16, X0
	CUPIVOT(c4_fail0)
	VMULSD       X1, X17, X17
	VMULSD       X1, X18, X18
	VMULSD       X1, X19, X19
	VFNMADD231SD X17, X17, X20
	VFNMADD231SD X18, X17, X21
	VFNMADD231SD X19, X17, X22
	VFNMADD231SD X18, X18, X23
	VFNMADD231SD X19, X18, X24
	VFNMADD231SD X19, X19, X25
	VBROADCASTSD X1, Z1
	XORQ         R12, R12
c4s0:
	CMPQ    R12, BX
	JGE     c4s0_done
	VMULPD  (DX)(R12*1), Z1, Z2
	VMOVUPD Z2, (DX)(R12*1)
	VMULPD  64(DX)(R12*1), Z1, Z3
	VMOVUPD Z3, 64(DX)(R12*1)
	ADDQ    $128, R12
	JMP     c4s0
c4s0_done:
	VMOVSD       X0, 0(DX)
	VBROADCASTSD X17, Z8
	XORQ         R12, R12
c4a1:
	CMPQ         R12, BX
	JGE          c4a1_done
	VMOVUPD      0(R13)(R12*1), Z4
	VFNMADD231PD 0(DX)(R12*1), Z8, Z4
	VMOVUPD      Z4, 0(R13)(R12*1)
	VMOVUPD      64(R13)(R12*1), Z5
	VFNMADD231PD 64(DX)(R12*1), Z8, Z5
	VMOVUPD      Z5, 64(R13)(R12*1)
	ADDQ         $128, R12
	JMP          c4a1
c4a1_done:
	VMOVAPD      X20, X0
	CUPIVOT(c4_fail1)
	VMULSD       X1, X21, X21
	VMULSD       X1, X22, X22
	VFNMADD231SD X21, X21, X23
	VFNMADD231SD X22, X21, X24
	VFNMADD231SD X22, X22, X25
	VBROADCASTSD X1, Z1
	XORQ         R12, R12
c4s1:
	CMPQ    R12, BX
	JGE     c4s1_done
	VMULPD  (R13)(R12*1), Z1, Z2
	VMOVUPD Z2, (R13)(R12*1)
	VMULPD  64(R13)(R12*1), Z1, Z3
	VMOVUPD Z3, 64(R13)(R12*1)
	ADDQ    $128, R12
	JMP     c4s1
c4s1_done:
	VMOVSD       X0, 8(R13)
	VBROADCASTSD X18, Z8
	VBROADCASTSD X21, Z9
	XORQ         R12, R12
c4a2:
	CMPQ         R12, BX
	JGE          c4a2_done
	VMOVUPD      0(R8)(R12*1), Z4
	VFNMADD231PD 0(DX)(R12*1), Z8, Z4
	VFNMADD231PD 0(R13)(R12*1), Z9, Z4
	VMOVUPD      Z4, 0(R8)(R12*1)
	VMOVUPD      64(R8)(R12*1), Z5
	VFNMADD231PD 64(DX)(R12*1), Z8, Z5
	VFNMADD231PD 64(R13)(R12*1), Z9, Z5
	VMOVUPD      Z5, 64(R8)(R12*1)
	ADDQ         $128, R12
	JMP          c4a2
c4a2_done:
	VMOVAPD      X23, X0
	CUPIVOT(c4_fail2)
	VMULSD       X1, X24, X24
	VFNMADD231SD X24, X24, X25
	VBROADCASTSD X1, Z1
	XORQ         R12, R12
c4s2:
	CMPQ    R12, BX
	JGE     c4s2_done
	VMULPD  (R8)(R12*1), Z1, Z2
	VMOVUPD Z2, (R8)(R12*1)
	VMULPD  64(R8)(R12*1), Z1, Z3
	VMOVUPD Z3, 64(R8)(R12*1)
	ADDQ    $128, R12
	JMP     c4s2
c4s2_done:
	VMOVSD       X0, 16(R8)
	VBROADCASTSD X19, Z8
	VBROADCASTSD X22, Z9
	VBROADCASTSD X24, Z10
	XORQ         R12, R12
c4a3:
	CMPQ         R12, BX
	JGE          c4a3_done
	VMOVUPD      0(CX)(R12*1), Z4
	VFNMADD231PD 0(DX)(R12*1), Z8, Z4
	VFNMADD231PD 0(R13)(R12*1), Z9, Z4
	VFNMADD231PD 0(R8)(R12*1), Z10, Z4
	VMOVUPD      Z4, 0(CX)(R12*1)
	VMOVUPD      64(CX)(R12*1), Z5
	VFNMADD231PD 64(DX)(R12*1), Z8, Z5
	VFNMADD231PD 64(R13)(R12*1), Z9, Z5
	VFNMADD231PD 64(R8)(R12*1), Z10, Z5
	VMOVUPD      Z5, 64(CX)(R12*1)
	ADDQ         $128, R12
	JMP          c4a3
c4a3_done:
	VMOVAPD      X25, X0
	CUPIVOT(c4_fail3)
	VBROADCASTSD X1, Z1
	XORQ         R12, R12
c4s3:
	CMPQ    R12, BX
	JGE     c4s3_done
	VMULPD  (CX)(R12*1), Z1, Z2
	VMOVUPD Z2, (CX)(R12*1)
	VMULPD  64(CX)(R12*1), Z1, Z3
	VMOVUPD Z3, 64(CX)(R12*1)
	ADDQ    $128, R12
	JMP     c4s3
c4s3_done:
	VMOVSD       X0, 24(CX)
	C4RESTORE
	ADDQ $4, R10
	LEAQ (SI)(R11*4), SI
	JMP  cu_top

#include "cholup_tail_amd64.h"

// DOTS6X4STEP512 accumulates, for the four doubles at byte offset off of
// the six rows of x at SI, R8, R9, R14, R15, DI and the four rows of L at
// R10..R13, the 6×4 products into Z16..Z27 (rows 0..2 as in
// DOTS3X4STEP512, rows 3..5 six registers on): the L row pairs in the
// halves of Z28 and Z29, each row of x broadcast to both halves.
#define DOTS6X4STEP512(off) \
	VMOVUPD         (R10)(off*1), Y28          \
	VINSERTF64X4    $1, (R11)(off*1), Z28, Z28 \
	VMOVUPD         (R12)(off*1), Y29          \
	VINSERTF64X4    $1, (R13)(off*1), Z29, Z29 \
	VBROADCASTF64X4 (SI)(off*1), Z30           \
	VBROADCASTF64X4 (R8)(off*1), Z31           \
	VFMADD231PD     Z28, Z30, Z16              \
	VFMADD231PD     Z29, Z30, Z17              \
	VFMADD231PD     Z28, Z31, Z18              \
	VFMADD231PD     Z29, Z31, Z19              \
	VBROADCASTF64X4 (R9)(off*1), Z30           \
	VBROADCASTF64X4 (R14)(off*1), Z31          \
	VFMADD231PD     Z28, Z30, Z20              \
	VFMADD231PD     Z29, Z30, Z21              \
	VFMADD231PD     Z28, Z31, Z22              \
	VFMADD231PD     Z29, Z31, Z23              \
	VBROADCASTF64X4 (R15)(off*1), Z30          \
	VBROADCASTF64X4 (DI)(off*1), Z31           \
	VFMADD231PD     Z28, Z30, Z24              \
	VFMADD231PD     Z29, Z30, Z25              \
	VFMADD231PD     Z28, Z31, Z26              \
	VFMADD231PD     Z29, Z31, Z27

// DOTS6X4STEPREG is DOTS6X4STEP512 with the six rows' four doubles taken
// from both halves of Z0..Z5 instead of memory.
#define DOTS6X4STEPREG(off) \
	VMOVUPD      (R10)(off*1), Y28          \
	VINSERTF64X4 $1, (R11)(off*1), Z28, Z28 \
	VMOVUPD      (R12)(off*1), Y29          \
	VINSERTF64X4 $1, (R13)(off*1), Z29, Z29 \
	VFMADD231PD  Z28, Z0, Z16               \
	VFMADD231PD  Z29, Z0, Z17               \
	VFMADD231PD  Z28, Z1, Z18               \
	VFMADD231PD  Z29, Z1, Z19               \
	VFMADD231PD  Z28, Z2, Z20               \
	VFMADD231PD  Z29, Z2, Z21               \
	VFMADD231PD  Z28, Z3, Z22               \
	VFMADD231PD  Z29, Z3, Z23               \
	VFMADD231PD  Z28, Z4, Z24               \
	VFMADD231PD  Z29, Z4, Z25               \
	VFMADD231PD  Z28, Z5, Z26               \
	VFMADD231PD  Z29, Z5, Z27

// func solveRows6AVX512(x *float64, ldx int, l *float64, ldl int, ncol int, inv *float64)
// solveRows3AVX512 for six rows of x, that is two triples of rows, each
// row solved with exactly the operations of solveRows3AVX (the rows are
// independent): every row of L loaded serves six rows of x, and the two
// triples' triangles overlap. The values a block solves are also kept in
// Z0..Z5 for the next block's last step of dots, which so does not wait
// for them to go through memory.
TEXT ·solveRows6AVX512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ ldx+8(FP), AX
	SHLQ $3, AX
	LEAQ (SI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R14
	LEAQ (R14)(AX*1), R15
	LEAQ (R15)(AX*1), DI
	MOVQ l+16(FP), R10
	MOVQ ldl+24(FP), BX
	SHLQ $3, BX
	MOVQ inv+40(FP), DX
	XORQ AX, AX

sr6_block:
	MOVQ ncol+32(FP), CX
	SHLQ $3, CX
	CMPQ AX, CX
	JGE  sr6_done
	LEAQ (R10)(BX*1), R11
	LEAQ (R11)(BX*1), R12
	LEAQ (R12)(BX*1), R13
	ZERO6
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23
	VPXORQ Z24, Z24, Z24
	VPXORQ Z25, Z25, Z25
	VPXORQ Z26, Z26, Z26
	VPXORQ Z27, Z27, Z27
	XORQ   CX, CX
	TESTQ  AX, AX
	JZ     sr6_tri
	// The steps over columns [0, j−4) from memory, then the last one,
	// over the columns j−4..j−1 the previous block solved, from Z0..Z5.
	SUBQ   $32, AX

sr6_inner:
	CMPQ           CX, AX
	JGE            sr6_last
	DOTS6X4STEP512(CX)
	ADDQ           $32, CX
	JMP            sr6_inner

sr6_last:
	DOTS6X4STEPREG(AX)
	ADDQ $32, AX

sr6_tri:
	SPLIT6
	HSUM12
	TRI(SI, X0, X1, X2, X3)
	PACKROW(X0, X1, Y0, Z0, Z16)
	TRI(R8, X4, X5, X6, X7)
	PACKROW(X4, X5, Y4, Z4, Z17)
	TRI(R9, X8, X9, X10, X11)
	PACKROW(X8, X9, Y8, Z8, Z18)
	SPLIT6B
	HSUM12
	TRI(R14, X0, X1, X2, X3)
	PACKROW(X0, X1, Y0, Z0, Z19)
	TRI(R15, X4, X5, X6, X7)
	PACKROW(X4, X5, Y4, Z4, Z20)
	TRI(DI, X8, X9, X10, X11)
	PACKROW(X8, X9, Y8, Z8, Z21)
	VMOVAPD Z16, Z0
	VMOVAPD Z17, Z1
	VMOVAPD Z18, Z2
	VMOVAPD Z19, Z3
	VMOVAPD Z20, Z4
	VMOVAPD Z21, Z5
	ADDQ $32, AX
	LEAQ (R10)(BX*4), R10
	JMP  sr6_block

sr6_done:
	VZEROUPPER
	RET

// REDUCE12 stores the lane sums of Y0..Y11 to the twelve float64 at
// off(DX) (as the end of dots3x4AVX).
#define REDUCE12(off) \
	REDUCE(Y0, X0, X12, off+0(DX))   \
	REDUCE(Y1, X1, X12, off+8(DX))   \
	REDUCE(Y2, X2, X12, off+16(DX))  \
	REDUCE(Y3, X3, X12, off+24(DX))  \
	REDUCE(Y4, X4, X12, off+32(DX))  \
	REDUCE(Y5, X5, X12, off+40(DX))  \
	REDUCE(Y6, X6, X12, off+48(DX))  \
	REDUCE(Y7, X7, X12, off+56(DX))  \
	REDUCE(Y8, X8, X12, off+64(DX))  \
	REDUCE(Y9, X9, X12, off+72(DX))  \
	REDUCE(Y10, X10, X12, off+80(DX)) \
	REDUCE(Y11, X11, X12, off+88(DX))

// func dots6x4AVX512(a *float64, lda int, b *float64, ldb int, k int, c *[24]float64)
// dots3x4AVX for the rows 0..2 and for the rows 3..5 of a (c[0:12] and
// c[12:24], each with the bits of dots3x4AVX; k a multiple of 4): every
// row of b loaded serves six rows of a, and the two blocks give twelve
// independent FMA chains where dots3x4AVX512 has six.
TEXT ·dots6x4AVX512(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), AX
	SHLQ $3, AX
	LEAQ (SI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R14
	LEAQ (R14)(AX*1), R15
	LEAQ (R15)(AX*1), DI
	MOVQ b+16(FP), R10
	MOVQ ldb+24(FP), AX
	SHLQ $3, AX
	LEAQ (R10)(AX*1), R11
	LEAQ (R11)(AX*1), R12
	LEAQ (R12)(AX*1), R13
	MOVQ k+32(FP), CX
	ZERO6
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23
	VPXORQ Z24, Z24, Z24
	VPXORQ Z25, Z25, Z25
	VPXORQ Z26, Z26, Z26
	VPXORQ Z27, Z27, Z27
	XORQ   AX, AX
	SHRQ   $2, CX
	JZ     d64_done

d64_loop:
	DOTS6X4STEP512(AX)
	ADDQ           $32, AX
	DECQ           CX
	JNZ            d64_loop

d64_done:
	MOVQ c+40(FP), DX
	SPLIT6
	REDUCE12(0)
	SPLIT6B
	REDUCE12(96)
	VZEROUPPER
	RET
