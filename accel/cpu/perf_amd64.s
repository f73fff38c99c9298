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

DATA ·perfPoolLanes+0(SB)/4, $0
DATA ·perfPoolLanes+4(SB)/4, $2
DATA ·perfPoolLanes+8(SB)/4, $4
DATA ·perfPoolLanes+12(SB)/4, $6
DATA ·perfPoolLanes+16(SB)/4, $8
DATA ·perfPoolLanes+20(SB)/4, $10
DATA ·perfPoolLanes+24(SB)/4, $12
DATA ·perfPoolLanes+28(SB)/4, $14
GLOBL ·perfPoolLanes(SB), RODATA|NOPTR, $32

// func perfMaxPoolS2AVX2(dst *float32, idx *int64, src *float32, n, w, rows, kw, base int)
//
// Max pooling with horizontal stride 2 and windows of rows x kw (kw 2 or
// 3) lying inside the plane: output j (of n, a multiple of 8) takes the
// window whose top-left element is src[2j], rows w elements apart. The
// candidates are visited in row-major window order and candidate c
// replaces the best so far when c > best or c is NaN, exactly as the Go
// loop does. Eight outputs at a time: a row's 16 inputs are split into
// even and odd columns (VSHUFPS), which leaves the lanes in the order
// 0,1,4,5,2,3,6,7, undone by VPERMPD at the end. When idx is not nil it
// receives base + 2j + the offset of the winning element (as int64).
TEXT ·perfMaxPoolS2AVX2(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ idx+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ w+32(FP), DX
	MOVQ rows+40(FP), R9
	MOVQ kw+48(FP), R10
	MOVQ base+56(FP), AX
	VMOVDQU ·perfPoolLanes(SB), Y15
	VMOVD AX, X14
	VPBROADCASTD X14, Y14
	MOVL $16, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13
mpblock:
	CMPQ CX, $8
	JLT mpdone
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y8
	VPXOR Y9, Y9, Y9
	XORQ R12, R12
	MOVQ SI, R13
mprow:
	XORQ R14, R14
mpcol:
	MOVQ R12, AX
	ORQ R14, AX
	JZ mpnext
	CMPQ R14, $1
	JEQ mpodd
	JGT mpshift
	VMOVUPS 0(R13), Y0
	VMOVUPS 32(R13), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	JMP mpcand
mpodd:
	VMOVUPS 0(R13), Y0
	VMOVUPS 32(R13), Y1
	VSHUFPS $0xDD, Y1, Y0, Y2
	JMP mpcand
mpshift:
	VMOVUPS 8(R13), Y0
	VMOVUPS 40(R13), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
mpcand:
	VCMPPS $0x1E, Y8, Y2, Y3
	VCMPPS $0x03, Y2, Y2, Y4
	VORPS Y4, Y3, Y3
	VBLENDVPS Y3, Y2, Y8, Y8
	TESTQ R8, R8
	JZ mpnext
	MOVQ R12, AX
	IMULQ DX, AX
	ADDQ R14, AX
	VMOVD AX, X5
	VPBROADCASTD X5, Y5
	VBLENDVPS Y3, Y5, Y9, Y9
mpnext:
	INCQ R14
	CMPQ R14, R10
	JLT mpcol
	LEAQ (R13)(DX*4), R13
	INCQ R12
	CMPQ R12, R9
	JLT mprow
	VPERMPD $0xD8, Y8, Y8
	VMOVUPS Y8, 0(DI)
	TESTQ R8, R8
	JZ mpadvance
	VPERMQ $0xD8, Y9, Y9
	VPADDD Y15, Y9, Y9
	VPADDD Y14, Y9, Y9
	VPMOVSXDQ X9, Y10
	VEXTRACTI128 $1, Y9, X11
	VPMOVSXDQ X11, Y11
	VMOVDQU Y10, 0(R8)
	VMOVDQU Y11, 32(R8)
	ADDQ $64, R8
mpadvance:
	VPADDD Y13, Y14, Y14
	ADDQ $64, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP mpblock
mpdone:
	VZEROUPPER
	RET
