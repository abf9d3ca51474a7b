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
	VFMADD231PD  Y3, Y0, Y2
	VFNMADD231PD Y3, Y0, Y1
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
	VFMADD231PD  Y3, Y0, Y2
	VFNMADD231PD Y3, Y0, Y1
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
