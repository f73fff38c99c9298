//go:build amd64 && !purego

#include "textflag.h"

// Each kernel handles n elements, n a multiple of 8, 32 per iteration
// while it can, then 8.

// func perfDivScalarAVX2(dst, src *float32, n int, s float32)
TEXT ·perfDivScalarAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y15
div4:
	CMPQ CX, $32
	JLT div1
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VDIVPS Y15, Y0, Y0
	VDIVPS Y15, Y1, Y1
	VDIVPS Y15, Y2, Y2
	VDIVPS Y15, Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP div4
div1:
	CMPQ CX, $8
	JLT divdone
	VMOVUPS 0(SI), Y0
	VDIVPS Y15, Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP div1
divdone:
	VZEROUPPER
	RET

// func perfRDivScalarAVX2(dst, src *float32, n int, s float32)
TEXT ·perfRDivScalarAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y15
rdiv4:
	CMPQ CX, $32
	JLT rdiv1
	VDIVPS 0(SI), Y15, Y0
	VDIVPS 32(SI), Y15, Y1
	VDIVPS 64(SI), Y15, Y2
	VDIVPS 96(SI), Y15, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP rdiv4
rdiv1:
	CMPQ CX, $8
	JLT rdivdone
	VDIVPS 0(SI), Y15, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP rdiv1
rdivdone:
	VZEROUPPER
	RET

// func perfReLUGradAVX2(dst, gr, y *float32, n int)
// dst = gr where !(0 >= y) (predicate NGE_UQ: true for NaN), else +0.
TEXT ·perfReLUGradAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y15, Y15, Y15
relu4:
	CMPQ CX, $32
	JLT relu1
	VCMPPS $0x19, 0(DX), Y15, Y0
	VCMPPS $0x19, 32(DX), Y15, Y1
	VCMPPS $0x19, 64(DX), Y15, Y2
	VCMPPS $0x19, 96(DX), Y15, Y3
	VANDPS 0(SI), Y0, Y0
	VANDPS 32(SI), Y1, Y1
	VANDPS 64(SI), Y2, Y2
	VANDPS 96(SI), Y3, Y3
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP relu4
relu1:
	CMPQ CX, $8
	JLT reludone
	VCMPPS $0x19, 0(DX), Y15, Y0
	VANDPS 0(SI), Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP relu1
reludone:
	VZEROUPPER
	RET

// func perfRangeGradAVX2(dst, gr, x *float32, n int, lo, hi float32)
// dst = gr where x > lo (GT_OQ) and x < hi (LT_OQ), else +0.
TEXT ·perfRangeGradAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS lo+32(FP), Y14
	VBROADCASTSS hi+36(FP), Y15
range4:
	CMPQ CX, $16
	JLT range1
	VMOVUPS 0(DX), Y0
	VMOVUPS 32(DX), Y1
	VCMPPS $0x1E, Y14, Y0, Y2
	VCMPPS $0x1E, Y14, Y1, Y3
	VCMPPS $0x11, Y15, Y0, Y0
	VCMPPS $0x11, Y15, Y1, Y1
	VANDPS Y2, Y0, Y0
	VANDPS Y3, Y1, Y1
	VANDPS 0(SI), Y0, Y0
	VANDPS 32(SI), Y1, Y1
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP range4
range1:
	CMPQ CX, $8
	JLT rangedone
	VMOVUPS 0(DX), Y0
	VCMPPS $0x1E, Y14, Y0, Y2
	VCMPPS $0x11, Y15, Y0, Y0
	VANDPS Y2, Y0, Y0
	VANDPS 0(SI), Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP range1
rangedone:
	VZEROUPPER
	RET
