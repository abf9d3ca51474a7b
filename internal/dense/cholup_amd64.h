// Definitions shared by cholup_amd64.s (cholUpperAVX) and
// kernel512_amd64.s (cholUpperAVX512); each file gets its own copy of
// the constants.

DATA cuone<>+0(SB)/8, $1.0
GLOBL cuone<>(SB), RODATA|NOPTR, $8
DATA cuinf<>+0(SB)/8, $0x7FF0000000000000
GLOBL cuinf<>(SB), RODATA|NOPTR, $8

// CUFMA4 accumulates the broadcast coefficient yc times the sixteen
// doubles at R12 bytes past AX into acc0..acc3.
#define CUFMA4(yc, acc0, acc1, acc2, acc3) \
	VFMADD231PD (AX)(R12*1), yc, acc0   \
	VFMADD231PD 32(AX)(R12*1), yc, acc1 \
	VFMADD231PD 64(AX)(R12*1), yc, acc2 \
	VFMADD231PD 96(AX)(R12*1), yc, acc3

// C4RESTORE puts back the six strict-lower entries of a four-row group
// (rows R13, R8, CX below the group's first row), saved at s0..s5 in
// the frame before the group's update ran over them.
#define C4RESTORE \
	MOVQ s0-8(SP), AX   \
	MOVQ AX, (R13)      \
	MOVQ s1-16(SP), AX  \
	MOVQ AX, (R8)       \
	MOVQ s2-24(SP), AX  \
	MOVQ AX, 8(R8)      \
	MOVQ s3-32(SP), AX  \
	MOVQ AX, (CX)       \
	MOVQ s4-40(SP), AX  \
	MOVQ AX, 8(CX)      \
	MOVQ s5-48(SP), AX  \
	MOVQ AX, 16(CX)

// CUPIVOT takes the pivot s in X0 and jumps to fail unless 0 < s < +Inf
// (a NaN fails too); otherwise it leaves √s in X0 and 1/√s in X1.
#define CUPIVOT(fail) \
	VXORPD   X1, X1, X1       \
	VUCOMISD X1, X0           \
	JLS      fail             \
	VUCOMISD cuinf<>(SB), X0  \
	JEQ      fail             \
	VSQRTSD  X0, X0, X0       \
	VMOVSD   cuone<>(SB), X1  \
	VDIVSD   X0, X1, X1

// CUBCAST4 broadcasts the low double of X1 to the four lanes of Y1.
#define CUBCAST4 \
	VMOVDDUP    X1, X1 \
	VINSERTF128 $1, X1, Y1, Y1

// CUSCALE16 multiplies the sixteen doubles at R12 bytes past row by the
// four lanes of Y1, in place; uses Y2..Y5.
#define CUSCALE16(row) \
	VMULPD  (row)(R12*1), Y1, Y2   \
	VMOVUPD Y2, (row)(R12*1)       \
	VMULPD  32(row)(R12*1), Y1, Y3 \
	VMOVUPD Y3, 32(row)(R12*1)     \
	VMULPD  64(row)(R12*1), Y1, Y4 \
	VMOVUPD Y4, 64(row)(R12*1)     \
	VMULPD  96(row)(R12*1), Y1, Y5 \
	VMOVUPD Y5, 96(row)(R12*1)
