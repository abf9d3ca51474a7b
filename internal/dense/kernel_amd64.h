// Macros shared by kernel_amd64.s (AVX2) and kernel512_amd64.s
// (AVX-512).

// REDUCE stores the sum of the four lanes of Y register y into the
// float64 at address dst, using X register tmp.
#define REDUCE(y, x, tmp, dst) \
	VEXTRACTF128 $1, y, tmp \
	VADDPD       tmp, x, x  \
	VHADDPD      x, x, x    \
	VMOVSD       x, dst

// HSUM leaves the sum of the four lanes of y in the low lane of x; uses
// X12.
#define HSUM(y, x) \
	VEXTRACTF128 $1, y, X12 \
	VADDPD       X12, x, x  \
	VHADDPD      x, x, x

// TRI solves one row of the 4×4 triangle of solveRows3AVX and
// solveRows3AVX512: the row's pointer is in xp, its four dots in the low
// lanes of c0..c3. Uses X12..X15; expects AX = j·8, DX = inv, R11..R13 =
// rows j+1..j+3 of L.
#define TRI(xp, c0, c1, c2, c3) \
	VMOVSD       (xp)(AX*1), X12           \
	VSUBSD       c0, X12, X12              \
	VMULSD       (DX)(AX*1), X12, X12      \
	VMOVSD       X12, (xp)(AX*1)           \
	VMOVSD       8(xp)(AX*1), X13          \
	VSUBSD       c1, X13, X13              \
	VFNMADD231SD (R11)(AX*1), X12, X13     \
	VMULSD       8(DX)(AX*1), X13, X13     \
	VMOVSD       X13, 8(xp)(AX*1)          \
	VMOVSD       16(xp)(AX*1), X14         \
	VSUBSD       c2, X14, X14              \
	VFNMADD231SD (R12)(AX*1), X12, X14     \
	VFNMADD231SD 8(R12)(AX*1), X13, X14    \
	VMULSD       16(DX)(AX*1), X14, X14    \
	VMOVSD       X14, 16(xp)(AX*1)         \
	VMOVSD       24(xp)(AX*1), X15         \
	VSUBSD       c3, X15, X15              \
	VFNMADD231SD (R13)(AX*1), X12, X15     \
	VFNMADD231SD 8(R13)(AX*1), X13, X15    \
	VFNMADD231SD 16(R13)(AX*1), X14, X15   \
	VMULSD       24(DX)(AX*1), X15, X15    \
	VMOVSD       X15, 24(xp)(AX*1)
