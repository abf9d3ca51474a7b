//go:build !purego

#include "textflag.h"

// func cauchyAVX(alpha, dalpha, d *float64, n int, beta float64, k *[21][4]float64)
// Constants at k (32 bytes each): 0 one, 32 0.66, 64 tan(3π/8), 96 π/2,
// 128 π/4, 160 low bits of π/2, 192 half of them, 224 π, 256 1/2,
// 288 sign bit, 320–448 P0–P4, 480–608 Q0–Q4, 640 −1.
// Per four lanes: v = βd, x = |v|; big = x > tan(3π/8), mid = x > 0.66;
// r = num/den with (num, den) = (x, 1), (x − 1, x + 1) or (−1, x);
// atan|v| = (add + (r·(z·P(z)/Q(z)) + r)) + low, z = r², (add, low) = (0, 0),
// (π/4, half), (π/2, low bits); the sign of v is put back;
// α = 1/2 + atan(v)/π, dα = β/(π(1 + v²)). Every operation is the one
// math.Atan and the formula do, in the same order (no fused multiply-add),
// so the results are the same bits.
TEXT ·cauchyAVX(SB), NOSPLIT, $0-48
	MOVQ         alpha+0(FP), DI
	MOVQ         dalpha+8(FP), DX
	MOVQ         d+16(FP), SI
	MOVQ         n+24(FP), CX
	VBROADCASTSD beta+32(FP), Y15
	MOVQ         k+40(FP), R8
	VMOVUPD      (R8), Y13
	VMOVUPD      288(R8), Y14
	XORQ         AX, AX

ca_loop:
	VMOVUPD      (SI)(AX*8), Y0
	VMULPD       Y15, Y0, Y0             // v = β d
	VANDNPD      Y0, Y14, Y1             // x = |v|
	VANDPD       Y14, Y0, Y2             // sign of v
	VCMPPD       $0x1e, 64(R8), Y1, Y3   // big: x > tan(3π/8)
	VCMPPD       $0x1e, 32(R8), Y1, Y4   // mid: x > 0.66 (big lanes too)
	VSUBPD       Y13, Y1, Y5             // x − 1
	VBLENDVPD    Y4, Y5, Y1, Y6
	VBLENDVPD    Y3, 640(R8), Y6, Y6     // num: x, x − 1, −1
	VADDPD       Y13, Y1, Y7             // x + 1
	VBLENDVPD    Y4, Y7, Y13, Y8
	VBLENDVPD    Y3, Y1, Y8, Y8          // den: 1, x + 1, x
	VDIVPD       Y8, Y6, Y9              // r
	VMULPD       Y9, Y9, Y10             // z = r²
	VMOVUPD      320(R8), Y11            // P(z), Horner
	VMULPD       Y10, Y11, Y11
	VADDPD       352(R8), Y11, Y11
	VMULPD       Y10, Y11, Y11
	VADDPD       384(R8), Y11, Y11
	VMULPD       Y10, Y11, Y11
	VADDPD       416(R8), Y11, Y11
	VMULPD       Y10, Y11, Y11
	VADDPD       448(R8), Y11, Y11
	VADDPD       480(R8), Y10, Y12       // Q(z), monic, Horner
	VMULPD       Y10, Y12, Y12
	VADDPD       512(R8), Y12, Y12
	VMULPD       Y10, Y12, Y12
	VADDPD       544(R8), Y12, Y12
	VMULPD       Y10, Y12, Y12
	VADDPD       576(R8), Y12, Y12
	VMULPD       Y10, Y12, Y12
	VADDPD       608(R8), Y12, Y12
	VMULPD       Y11, Y10, Y11           // z·P
	VDIVPD       Y12, Y11, Y11           // z·P/Q
	VMULPD       Y9, Y11, Y11
	VADDPD       Y9, Y11, Y11            // r·(z·P/Q) + r
	VANDPD       128(R8), Y4, Y12
	VBLENDVPD    Y3, 96(R8), Y12, Y12    // add: 0, π/4, π/2
	VANDPD       192(R8), Y4, Y10
	VBLENDVPD    Y3, 160(R8), Y10, Y10   // low: 0, half, low bits
	VADDPD       Y11, Y12, Y12
	VADDPD       Y10, Y12, Y12
	VXORPD       Y2, Y12, Y12            // atan(v)
	VDIVPD       224(R8), Y12, Y12
	VADDPD       256(R8), Y12, Y12       // α
	VMOVUPD      Y12, (DI)(AX*8)
	VMULPD       Y0, Y0, Y5
	VADDPD       Y13, Y5, Y5
	VMULPD       224(R8), Y5, Y5         // π(1 + v²)
	VDIVPD       Y5, Y15, Y5             // dα
	VMOVUPD      Y5, (DX)(AX*8)
	ADDQ         $4, AX
	CMPQ         AX, CX
	JLT          ca_loop
	VZEROUPPER
	RET
