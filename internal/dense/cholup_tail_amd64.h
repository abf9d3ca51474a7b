// The end of cholUpperAVX and cholUpperAVX512, included into both
// functions (Go assembler labels are local to their TEXT block): the
// four-row groups' failure exits, the two-row step and the one-row step
// in YMM registers, and the returns. It expects the registers and frame
// of those functions: DI = a, SI = row j of a, R9 = n, R10 = j, R11 =
// lda in bytes, and the strict-lower entries of a four-row group saved
// at s0..s5 (see C4RESTORE in cholup_amd64.h).

c4_fail0:
	C4RESTORE
	ADDQ $0, R10
	JMP  cu_fail

c4_fail1:
	C4RESTORE
	ADDQ $1, R10
	JMP  cu_fail

c4_fail2:
	C4RESTORE
	ADDQ $2, R10
	JMP  cu_fail

c4_fail3:
	C4RESTORE
	ADDQ $3, R10
	JMP  cu_fail

cu_two:
	LEAQ 1(R10), AX
	CMPQ AX, R9
	JGE  cu_col

	// Rows j and j+1 together: each row l < j of U is loaded once for
	// both. Their groups start at column j, so the update also runs over
	// the strict-lower entry (j+1, j), which is saved in X15 and put back.
	MOVQ    R9, BX
	SUBQ    R10, BX
	SHLQ    $3, BX
	LEAQ    (SI)(R10*8), R13
	ADDQ    R11, R13
	VMOVSD  (R13), X15
	XORQ    R12, R12

cp_grp:
	CMPQ   R12, BX
	JGE    cp_tri
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
	JZ     cp_sum

cp_l:
	VBROADCASTSD (AX), Y8
	VBROADCASTSD 8(AX), Y9
	VMOVUPD      (AX)(R12*1), Y10
	VMOVUPD      32(AX)(R12*1), Y11
	VMOVUPD      64(AX)(R12*1), Y12
	VMOVUPD      96(AX)(R12*1), Y13
	VFMADD231PD  Y10, Y8, Y0
	VFMADD231PD  Y11, Y8, Y1
	VFMADD231PD  Y12, Y8, Y2
	VFMADD231PD  Y13, Y8, Y3
	VFMADD231PD  Y10, Y9, Y4
	VFMADD231PD  Y11, Y9, Y5
	VFMADD231PD  Y12, Y9, Y6
	VFMADD231PD  Y13, Y9, Y7
	ADDQ         R11, AX
	DECQ         CX
	JNZ          cp_l

cp_sum:
	LEAQ    (SI)(R10*8), DX
	ADDQ    R12, DX
	VMOVUPD (DX), Y8
	VSUBPD  Y0, Y8, Y8
	VMOVUPD Y8, (DX)
	VMOVUPD 32(DX), Y9
	VSUBPD  Y1, Y9, Y9
	VMOVUPD Y9, 32(DX)
	VMOVUPD 64(DX), Y10
	VSUBPD  Y2, Y10, Y10
	VMOVUPD Y10, 64(DX)
	VMOVUPD 96(DX), Y11
	VSUBPD  Y3, Y11, Y11
	VMOVUPD Y11, 96(DX)
	ADDQ    R11, DX
	VMOVUPD (DX), Y8
	VSUBPD  Y4, Y8, Y8
	VMOVUPD Y8, (DX)
	VMOVUPD 32(DX), Y9
	VSUBPD  Y5, Y9, Y9
	VMOVUPD Y9, 32(DX)
	VMOVUPD 64(DX), Y10
	VSUBPD  Y6, Y10, Y10
	VMOVUPD Y10, 64(DX)
	VMOVUPD 96(DX), Y11
	VSUBPD  Y7, Y11, Y11
	VMOVUPD Y11, 96(DX)
	ADDQ    $128, R12
	JMP     cp_grp

cp_tri:
	// Row j: pivot, scale.
	LEAQ        (SI)(R10*8), DX
	VMOVSD      (DX), X0
	CUPIVOT(cp_fail0)
	CUBCAST4
	XORQ        R12, R12

cp_scale0:
	CMPQ    R12, BX
	JGE     cp_upd
	CUSCALE16(DX)
	ADDQ    $128, R12
	JMP     cp_scale0

cp_upd:
	VMOVSD       X0, (DX)
	// Row j+1 −= U[j][j+1]·(row j of U).
	VBROADCASTSD 8(DX), Y2
	XORQ         R12, R12

cp_axpy:
	CMPQ         R12, BX
	JGE          cp_piv1
	VMOVUPD      (R13)(R12*1), Y4
	VFNMADD231PD (DX)(R12*1), Y2, Y4
	VMOVUPD      Y4, (R13)(R12*1)
	VMOVUPD      32(R13)(R12*1), Y5
	VFNMADD231PD 32(DX)(R12*1), Y2, Y5
	VMOVUPD      Y5, 32(R13)(R12*1)
	VMOVUPD      64(R13)(R12*1), Y6
	VFNMADD231PD 64(DX)(R12*1), Y2, Y6
	VMOVUPD      Y6, 64(R13)(R12*1)
	VMOVUPD      96(R13)(R12*1), Y7
	VFNMADD231PD 96(DX)(R12*1), Y2, Y7
	VMOVUPD      Y7, 96(R13)(R12*1)
	ADDQ         $128, R12
	JMP          cp_axpy

cp_piv1:
	// Row j+1: pivot at column j+1, scale.
	VMOVSD      8(R13), X0
	CUPIVOT(cp_fail1)
	CUBCAST4
	XORQ        R12, R12

cp_scale1:
	CMPQ    R12, BX
	JGE     cp_next
	CUSCALE16(R13)
	ADDQ    $128, R12
	JMP     cp_scale1

cp_next:
	VMOVSD X0, 8(R13)
	VMOVSD X15, (R13)
	ADDQ   $2, R10
	LEAQ   (SI)(R11*2), SI
	JMP    cu_top

cp_fail0:
	VMOVSD X15, (R13)
	JMP    cu_fail

cp_fail1:
	VMOVSD X15, (R13)
	INCQ   R10
	JMP    cu_fail

cu_col:
	MOVQ R9, BX
	SUBQ R10, BX
	SHLQ $3, BX
	XORQ R12, R12

cu_grp:
	CMPQ   R12, BX
	JGE    cu_pivot
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
	SHRQ   $1, CX
	JZ     cu_single

cu_pair:
	VBROADCASTSD (AX), Y8
	CUFMA4(Y8, Y0, Y1, Y2, Y3)
	ADDQ         R11, AX
	VBROADCASTSD (AX), Y9
	CUFMA4(Y9, Y4, Y5, Y6, Y7)
	ADDQ         R11, AX
	DECQ         CX
	JNZ          cu_pair

cu_single:
	TESTQ        $1, R10
	JZ           cu_sum
	VBROADCASTSD (AX), Y8
	CUFMA4(Y8, Y0, Y1, Y2, Y3)

cu_sum:
	VADDPD  Y4, Y0, Y0
	VADDPD  Y5, Y1, Y1
	VADDPD  Y6, Y2, Y2
	VADDPD  Y7, Y3, Y3
	LEAQ    (SI)(R10*8), DX
	ADDQ    R12, DX
	VMOVUPD (DX), Y4
	VSUBPD  Y0, Y4, Y4
	VMOVUPD Y4, (DX)
	VMOVUPD 32(DX), Y5
	VSUBPD  Y1, Y5, Y5
	VMOVUPD Y5, 32(DX)
	VMOVUPD 64(DX), Y6
	VSUBPD  Y2, Y6, Y6
	VMOVUPD Y6, 64(DX)
	VMOVUPD 96(DX), Y7
	VSUBPD  Y3, Y7, Y7
	VMOVUPD Y7, 96(DX)
	ADDQ    $128, R12
	JMP     cu_grp

cu_pivot:
	LEAQ        (SI)(R10*8), DX
	VMOVSD      (DX), X0
	CUPIVOT(cu_fail)
	CUBCAST4
	XORQ        R12, R12

cu_scale:
	CMPQ    R12, BX
	JGE     cu_next
	CUSCALE16(DX)
	ADDQ    $128, R12
	JMP     cu_scale

cu_next:
	// The diagonal is the square root itself, not s·(1/√s).
	VMOVSD X0, (DX)
	INCQ   R10
	ADDQ   R11, SI
	JMP    cu_top

cu_ok:
	MOVQ R9, ret+24(FP)
	VZEROUPPER
	RET

cu_fail:
	MOVQ R10, ret+24(FP)
	VZEROUPPER
	RET
