package main

// The amd64 depthwise 3x3 convolution kernels of package cpu
// (conv_dw_amd64.s), generated with -mode dw. Each kernel convolves
// `planes` consecutive [H, W] float32 planes, each with its own 3x3 kernel
// and bias, into [OH, OW] planes, then clamps the result to [lo, hi] (the
// fused activation: ±Inf for none).
//
// Vectors run along the output width: a block is V = 16 (AVX-512) or 8
// (AVX2) adjacent outputs of R adjacent output rows, whose R*V
// accumulators stay in registers while the (R-1)*stride+3 input rows the
// block reads are loaded once each, three taps per row, and fed to every
// output row that uses them. The nine weights live in registers.
//
// Stride 1: tap kw of output column ow reads input column ow - padW + kw,
// three overlapping loads. Stride 2: two loads of 2V columns are split into
// their even and odd columns (taps 0 and 1); tap 2 is the even columns
// shifted by one (AVX-512: valignd with the next column, AVX2: a second
// pair of loads).
//
// Borders: input rows outside the plane read a zero row (the caller's
// zero buffer). Columns: the caller passes a table with one record per
// column block. AVX-512 loads every tap with a zeroing mask from the record
// (all ones inside the plane), and stores with a mask. AVX2 has no cheap
// masked loads into FMAs, so blocks [full0, full1), which lie wholly
// inside, load directly, and the others first copy their input through
// vmaskmovps (masks from the record) into a zero-padded scratch area on the
// stack, then run the same arithmetic on it and store with vmaskmovps.

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

type dwKernel struct {
	name   string
	avx512 bool
	stride int
	rows   int // R: output rows per block
}

func (k dwKernel) lanes() int {
	if k.avx512 {
		return 16
	}
	return 8
}

// inRows is the number of input rows a block of r output rows reads.
func (k dwKernel) inRows(r int) int { return (r-1)*k.stride + 3 }

// avx2Chunks is the number of 8-float chunks an AVX2 block reads per row:
// columns c0 .. c0+V*stride+1.
func (k dwKernel) avx2Chunks() int { return (8*k.stride + 2 + 7) / 8 }

// dwState holds the registers and stack slots shared by a kernel's parts.
type dwState struct {
	k                 dwKernel
	wts               []VecPhysical // the nine weights
	bias, lo, hi      VecPhysical   // AVX-512 only
	acc               []VecPhysical
	tmp               []VecPhysical
	evenIdx, oddIdx   VecPhysical // AVX-512 stride 2
	lx, ly, loh, lpl  Mem         // locals: x plane, y row block, oh, planes left
	lw, lb, lldx      Mem         // locals: weights, bias pointers, input row bytes
	scratch           Mem         // AVX2: padded copies of a border block's rows
	rp                []GPVirtual // input row pointers of the current block
	col, yp, mp, ldy  GPVirtual
	cnt               GPVirtual
	ntmp              int
	evenData, oddData Mem
}

func (s *dwState) nextTmp() VecPhysical {
	t := s.tmp[s.ntmp%len(s.tmp)]
	s.ntmp++
	return t
}

func (k dwKernel) gen(even, odd Mem) {
	TEXT(k.name, NOSPLIT, "func(x, y, w, b, zero *float32, masks *int32, planes, H, W, OH, OW, padH, padW, nblk, full0, full1 int, lo, hi float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes planes depthwise 3x3 stride-%d convolutions (see asmgen).", k.name, k.stride))
	s := &dwState{k: k, evenData: even, oddData: odd}
	if k.avx512 {
		s.wts = zregs[0:9]
		s.bias, s.lo, s.hi = Z9, Z10, Z11
		s.acc = zregs[12 : 12+k.rows]
		s.tmp = zregs[12+k.rows : 30]
		s.evenIdx, s.oddIdx = Z30, Z31
	} else {
		s.wts = yregs[0:9]
		s.acc = yregs[9 : 9+k.rows]
		s.tmp = yregs[9+k.rows:]
		need := 3
		if k.stride == 2 {
			need = 5
		}
		if len(s.tmp) < need {
			panic(k.name + ": not enough registers")
		}
	}
	s.lx, s.ly, s.loh, s.lpl = AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8)
	s.lw, s.lb, s.lldx = AllocLocal(8), AllocLocal(8), AllocLocal(8)
	if !k.avx512 {
		s.scratch = AllocLocal(k.inRows(k.rows) * k.avx2Chunks() * 32)
	}

	{
		t := GP64()
		for _, c := range []struct {
			p string
			m Mem
		}{{"x", s.lx}, {"y", s.ly}, {"w", s.lw}, {"b", s.lb}, {"planes", s.lpl}} {
			Load(Param(c.p), t)
			MOVQ(t, c.m)
		}
		Load(Param("W"), t)
		SHLQ(U8(2), t)
		MOVQ(t, s.lldx)
	}
	if k.avx512 {
		VBROADCASTSS(paramAddr("lo"), s.lo)
		VBROADCASTSS(paramAddr("hi"), s.hi)
		if k.stride == 2 {
			VMOVUPS(even, s.evenIdx)
			VMOVUPS(odd, s.oddIdx)
		}
	}

	Label(k.name + "_plane")
	{
		t := GP64()
		MOVQ(s.lw, t)
		for i, r := range s.wts {
			VBROADCASTSS(Mem{Base: t, Disp: 4 * i}, r)
		}
		if k.avx512 {
			MOVQ(s.lb, t)
			VBROADCASTSS(Mem{Base: t}, s.bias)
		}
		MOVQ(U32(0), s.loh)
	}
	// Full blocks of R rows.
	Label(k.name + "_rows")
	{
		t := GP64()
		Load(Param("OH"), t)
		SUBQ(s.loh, t)
		CMPQ(t, U32(k.rows))
		JL(LabelRef(k.name + "_rem"))
	}
	k.rowBlock(s, k.rows)
	JMP(LabelRef(k.name + "_rows"))
	// The remaining 0 < r < R rows.
	Label(k.name + "_rem")
	{
		t := GP64()
		Load(Param("OH"), t)
		SUBQ(s.loh, t)
		for r := 1; r < k.rows; r++ {
			CMPQ(t, U32(r))
			JE(LabelRef(fmt.Sprintf("%s_rem%d", k.name, r)))
		}
		JMP(LabelRef(k.name + "_next"))
	}
	for r := 1; r < k.rows; r++ {
		Label(fmt.Sprintf("%s_rem%d", k.name, r))
		k.rowBlock(s, r)
		JMP(LabelRef(k.name + "_next"))
	}
	Label(k.name + "_next")
	{
		t := GP64()
		Load(Param("H"), t)
		IMULQ(s.lldx, t)
		ADDQ(t, s.lx)
		ADDQ(U32(36), s.lw)
		ADDQ(U32(4), s.lb)
		DECQ(s.lpl)
		JNZ(LabelRef(k.name + "_plane"))
	}
	VZEROUPPER()
	RET()
}

// rowBlock emits the code for r output rows starting at row loh of the
// current plane, all column blocks, and advances loh and ly.
func (k dwKernel) rowBlock(s *dwState, r int) {
	id := fmt.Sprintf("%s_r%d", k.name, r)
	nin := k.inRows(r)
	// Input row pointers; rows outside [0, H) read the zero row.
	s.rp = make([]GPVirtual, nin)
	{
		t, p := GP64(), GP64()
		MOVQ(s.loh, t)
		if k.stride == 2 {
			SHLQ(U8(1), t)
		}
		SUBQ(paramAddr("padH"), t)
		MOVQ(t, p)
		IMULQ(s.lldx, p)
		ADDQ(s.lx, p)
		for j := range nin {
			s.rp[j] = GP64()
			MOVQ(p, s.rp[j])
			CMPQ(t, paramAddr("H"))
			CMOVQCC(paramAddr("zero"), s.rp[j])
			if j < nin-1 {
				INCQ(t)
				ADDQ(s.lldx, p)
			}
		}
	}
	s.col, s.yp, s.mp, s.ldy, s.cnt = GP64(), GP64(), GP64(), GP64(), GP64()
	Load(Param("padW"), s.col)
	NEGQ(s.col)
	SHLQ(U8(2), s.col)
	MOVQ(s.ly, s.yp)
	Load(Param("masks"), s.mp)
	Load(Param("OW"), s.ldy)
	SHLQ(U8(2), s.ldy)
	XORQ(s.cnt, s.cnt)

	V := k.lanes()
	Label(id + "_blk")
	if k.avx512 {
		k.block512(s, r)
	} else {
		CMPQ(s.cnt, paramAddr("full0"))
		JL(LabelRef(id + "_edge"))
		CMPQ(s.cnt, paramAddr("full1"))
		JGE(LabelRef(id + "_edge"))
		k.block2(s, r, false)
		JMP(LabelRef(id + "_adv"))
		Label(id + "_edge")
		k.block2(s, r, true)
		Label(id + "_adv")
	}
	ADDQ(U32(V*4*k.stride), s.col)
	ADDQ(U32(V*4), s.yp)
	if k.avx512 {
		ADDQ(U32(16), s.mp)
	} else {
		ADDQ(U32(32*(k.avx2Chunks()+1)), s.mp)
	}
	INCQ(s.cnt)
	CMPQ(s.cnt, paramAddr("nblk"))
	JL(LabelRef(id + "_blk"))

	// Next rows.
	{
		t := GP64()
		Load(Param("OW"), t)
		IMUL3Q(U32(4*r), t, t)
		ADDQ(t, s.ly)
		ADDQ(U32(r), s.loh)
	}
}

// storeAddr returns the address of output row i of the block.
func (k dwKernel) storeAddr(s *dwState, i int) Mem {
	switch i {
	case 0:
		return Mem{Base: s.yp}
	case 1, 2, 4:
		return Mem{Base: s.yp, Index: s.ldy, Scale: uint8(i)}
	}
	t := GP64()
	switch i {
	case 3, 5:
		LEAQ(Mem{Base: s.yp, Index: s.ldy, Scale: uint8(i - 1)}, t)
		return Mem{Base: t, Index: s.ldy, Scale: 1}
	}
	MOVQ(s.ldy, t)
	IMUL3Q(U32(i), t, t)
	ADDQ(s.yp, t)
	return Mem{Base: t}
}

// taps emits, for each input row j, the three tap vectors and the FMAs
// into the accumulators of the output rows that read row j.
func (k dwKernel) fmas(s *dwState, r, j int, taps [3]VecPhysical) {
	for i := range r {
		kh := j - i*k.stride
		if kh < 0 || kh > 2 {
			continue
		}
		for kw := range 3 {
			VFMADD231PS(taps[kw], s.wts[kh*3+kw], s.acc[i])
		}
	}
}

// block512 emits one AVX-512 column block of r rows.
func (k dwKernel) block512(s *dwState, r int) {
	KMOVW(Mem{Base: s.mp}, K1)
	KMOVW(Mem{Base: s.mp, Disp: 4}, K2)
	KMOVW(Mem{Base: s.mp, Disp: 8}, K3)
	KMOVW(Mem{Base: s.mp, Disp: 12}, K4)
	for i := range r {
		VMOVAPS(s.bias, s.acc[i])
	}
	for j := range k.inRows(r) {
		at := func(disp int) Mem { return Mem{Base: s.rp[j], Index: s.col, Scale: 1, Disp: disp} }
		var taps [3]VecPhysical
		if k.stride == 1 {
			for kw, m := range []Register{K1, K2, K3} {
				taps[kw] = s.nextTmp()
				VMOVUPS_Z(at(4*kw), m, taps[kw])
			}
		} else {
			a, b, c := s.nextTmp(), s.nextTmp(), s.nextTmp()
			VMOVUPS_Z(at(0), K1, a)
			VMOVUPS_Z(at(64), K2, b)
			VMOVUPS_Z(at(128), K3, c)
			e, o := s.nextTmp(), s.nextTmp()
			VMOVAPS(s.evenIdx, e)
			VPERMI2PS(b, a, e)
			VMOVAPS(s.oddIdx, o)
			VPERMI2PS(b, a, o)
			VALIGND(U8(1), e, c, a) // [e1 .. e15, c0]
			taps = [3]VecPhysical{e, o, a}
		}
		k.fmas(s, r, j, taps)
	}
	for i := range r {
		VMAXPS(s.acc[i], s.lo, s.acc[i]) // NaN in acc stays NaN
		VMINPS(s.acc[i], s.hi, s.acc[i])
		VMOVUPS(s.acc[i], K4, k.storeAddr(s, i))
	}
}

// block2 emits one AVX2 column block of r rows, reading the rows directly
// or, for a border block, through the zero-padded scratch copy.
func (k dwKernel) block2(s *dwState, r int, edge bool) {
	nch := k.avx2Chunks()
	nin := k.inRows(r)
	if edge {
		m, d := s.acc[0], s.tmp[0]
		for c := range nch {
			VMOVUPS(Mem{Base: s.mp, Disp: 32 * c}, m)
			for j := range nin {
				VMASKMOVPS(Mem{Base: s.rp[j], Index: s.col, Scale: 1, Disp: 32 * c}, m, d)
				VMOVUPS(d, s.scratch.Offset((j*nch+c)*32))
			}
		}
	}
	for i := range r {
		VBROADCASTSS(Mem{Base: GP64FromMem(s.lb)}, s.acc[i])
	}
	for j := range nin {
		at := func(disp int) Mem {
			if edge {
				return s.scratch.Offset(j*nch*32 + disp)
			}
			return Mem{Base: s.rp[j], Index: s.col, Scale: 1, Disp: disp}
		}
		var taps [3]VecPhysical
		if k.stride == 1 {
			for kw := range 3 {
				taps[kw] = s.tmp[kw]
				VMOVUPS(at(4*kw), taps[kw])
			}
		} else {
			a, b, e, o, e2 := s.tmp[0], s.tmp[1], s.tmp[2], s.tmp[3], s.tmp[4]
			VMOVUPS(at(0), a)
			VMOVUPS(at(32), b)
			VSHUFPS(U8(0x88), b, a, e)
			VPERMPD(U8(0xD8), e, e)
			VSHUFPS(U8(0xDD), b, a, o)
			VPERMPD(U8(0xD8), o, o)
			VMOVUPS(at(8), a)
			VMOVUPS(at(40), b)
			VSHUFPS(U8(0x88), b, a, e2)
			VPERMPD(U8(0xD8), e2, e2)
			taps = [3]VecPhysical{e, o, e2}
		}
		k.fmas(s, r, j, taps)
	}
	lo, hi := s.tmp[0], s.tmp[1]
	VBROADCASTSS(paramAddr("lo"), lo)
	VBROADCASTSS(paramAddr("hi"), hi)
	for i := range r {
		VMAXPS(s.acc[i], lo, s.acc[i])
		VMINPS(s.acc[i], hi, s.acc[i])
	}
	if edge {
		m := s.tmp[2]
		VMOVUPS(Mem{Base: s.mp, Disp: 32 * nch}, m)
		for i := range r {
			VMASKMOVPS(s.acc[i], m, k.storeAddr(s, i))
		}
		return
	}
	for i := range r {
		VMOVUPS(s.acc[i], k.storeAddr(s, i))
	}
}

// GP64FromMem loads a pointer held in a stack slot into a new register.
func GP64FromMem(m Mem) GPVirtual {
	t := GP64()
	MOVQ(m, t)
	return t
}

// genDW writes the depthwise kernels.
func genDW() {
	even := GLOBL("dwEvenIdx", RODATA|NOPTR)
	for i := range 16 {
		DATA(4*i, U32(2*i))
	}
	odd := GLOBL("dwOddIdx", RODATA|NOPTR)
	for i := range 16 {
		DATA(4*i, U32(2*i+1))
	}
	for _, k := range []dwKernel{
		{name: "dwConv3x3s1AVX512", avx512: true, stride: 1, rows: 6},
		{name: "dwConv3x3s2AVX512", avx512: true, stride: 2, rows: 4},
		{name: "dwConv3x3s1AVX2", stride: 1, rows: 4},
		{name: "dwConv3x3s2AVX2", stride: 2, rows: 2},
	} {
		k.gen(even, odd)
	}
	genDWBwdW("dwBwdW3x3s1AVX512", 1, even, odd)
	genDWBwdW("dwBwdW3x3s2AVX512", 2, even, odd)
	genBiasAct("convBiasActAVX512", true)
	genBiasAct("convBiasActAVX2", false)
	genGather2("convGather2AVX512", true, even)
	genGather2("convGather2AVX2", false, even)
}

// genBiasAct writes convBiasAct{AVX512,AVX2}(y, rows, n, ldy, b, lo, hi):
// for each of rows rows of n elements (row stride ldy elements) and its
// bias b[r], y = min(max(y + b[r], lo), hi), the output pass of the GEMM
// convolutions. AVX-512 handles the n%16 tail with a mask; AVX2 leaves the
// last n%8 elements of each row to the caller.
func genBiasAct(name string, avx512 bool) {
	TEXT(name, NOSPLIT, "func(y *float32, rows, n, ldy int, b *float32, lo, hi float32)")
	Pragma("noescape")
	Doc(name + " adds a bias per row and clamps (see asmgen).")
	regs, V := yregs, 8
	if avx512 {
		regs, V = zregs, 16
	}
	vlo, vhi, vb := regs[0], regs[1], regs[2]
	y := Load(Param("y"), GP64())
	rows := Load(Param("rows"), GP64())
	ldy := Load(Param("ldy"), GP64())
	SHLQ(U8(2), ldy)
	pb := Load(Param("b"), GP64())
	VBROADCASTSS(paramAddr("lo"), vlo)
	VBROADCASTSS(paramAddr("hi"), vhi)
	if avx512 {
		// K1: the tail mask, the low n%16 bits.
		t, m := GP64(), GP64()
		Load(Param("n"), t)
		ANDQ(U32(15), t)
		MOVQ(U32(1), m)
		SHLXQ(t, m, m)
		DECQ(m)
		KMOVW(m.As32(), K1)
	}
	Label(name + "_row")
	TESTQ(rows, rows)
	JE(LabelRef(name + "_done"))
	VBROADCASTSS(Mem{Base: pb}, vb)
	i := GP64()
	Load(Param("n"), i)
	p := GP64()
	MOVQ(y, p)
	op := func(src Op, v VecPhysical) {
		VADDPS(src, vb, v)
		VMAXPS(v, vlo, v)
		VMINPS(v, vhi, v)
	}
	Label(name + "_x4")
	CMPQ(i, U32(4*V))
	JL(LabelRef(name + "_x1"))
	for u := range 4 {
		op(Mem{Base: p, Disp: u * V * 4}, regs[3+u])
	}
	for u := range 4 {
		VMOVUPS(regs[3+u], Mem{Base: p, Disp: u * V * 4})
	}
	ADDQ(U32(4*V*4), p)
	SUBQ(U32(4*V), i)
	JMP(LabelRef(name + "_x4"))
	Label(name + "_x1")
	CMPQ(i, U32(V))
	JL(LabelRef(name + "_tail"))
	op(Mem{Base: p}, regs[3])
	VMOVUPS(regs[3], Mem{Base: p})
	ADDQ(U32(V*4), p)
	SUBQ(U32(V), i)
	JMP(LabelRef(name + "_x1"))
	Label(name + "_tail")
	if avx512 {
		TESTQ(i, i)
		JE(LabelRef(name + "_next"))
		VMOVUPS_Z(Mem{Base: p}, K1, regs[3])
		op(regs[3], regs[3])
		VMOVUPS(regs[3], K1, Mem{Base: p})
	}
	Label(name + "_next")
	ADDQ(ldy, y)
	ADDQ(U32(4), pb)
	DECQ(rows)
	JMP(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// genGather2 writes convGather2{AVX512,AVX2}(dst, src, n): dst[i] =
// src[2*i], the stride-2 rows of im2col. Each step loads 2V source
// elements and keeps the even ones. AVX-512 does the last n%16 with masks
// that read no further than src[2*n-2]; AVX2 leaves them to the caller.
func genGather2(name string, avx512 bool, even Mem) {
	TEXT(name, NOSPLIT, "func(dst, src *float32, n int)")
	Pragma("noescape")
	Doc(name + " copies every other element (see asmgen).")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := GP64()
	Load(Param("n"), n)
	V := 8
	if avx512 {
		V = 16
		VMOVUPS(even, Z31)
	}
	Label(name + "_loop")
	CMPQ(n, U32(V))
	JL(LabelRef(name + "_done"))
	if avx512 {
		VMOVUPS(Mem{Base: src}, Z0)
		VMOVAPS(Z31, Z2)
		VPERMI2PS(Mem{Base: src, Disp: 64}, Z0, Z2)
		VMOVUPS(Z2, Mem{Base: dst})
	} else {
		VMOVUPS(Mem{Base: src}, Y0)
		VSHUFPS(U8(0x88), Mem{Base: src, Disp: 32}, Y0, Y1)
		VPERMPD(U8(0xD8), Y1, Y1)
		VMOVUPS(Y1, Mem{Base: dst})
	}
	ADDQ(U32(2*V*4), src)
	ADDQ(U32(V*4), dst)
	SUBQ(U32(V), n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	if avx512 {
		// 0 <= n < 16 left: the loads take source elements [0, 2n-1),
		// the store n elements.
		TESTQ(n, n)
		JE(LabelRef(name + "_ret"))
		t, ones, m := GP64(), GP64(), GP64()
		MOVL(U32(0xFFFFFFFF), ones.As32())
		BZHIL(n.As32(), ones.As32(), m.As32())
		KMOVW(m.As32(), K3)
		LEAQ(Mem{Base: n, Index: n, Scale: 1, Disp: -1}, t)
		BZHIL(t.As32(), ones.As32(), m.As32())
		KMOVW(m.As32(), K1)
		SHRL(U8(16), m.As32())
		KMOVW(m.As32(), K2)
		VMOVUPS_Z(Mem{Base: src}, K1, Z0)
		VMOVUPS_Z(Mem{Base: src, Disp: 64}, K2, Z1)
		VMOVAPS(Z31, Z2)
		VPERMI2PS(Z1, Z0, Z2)
		VMOVUPS(Z2, K3, Mem{Base: dst})
		Label(name + "_ret")
	}
	VZEROUPPER()
	RET()
}

// genDWBwdW writes dwBwdW3x3s{1,2}AVX512, the weight gradient of the
// depthwise 3x3 convolution of one image: for each of planes channels,
// dw[kh*3+kw] += sum over output pixels of dy * (the input tap kh, kw
// reads), with the forward kernel's arguments and column-block masks. The
// nine sums are vectors along the output width (Z0-Z8), reduced at the end
// of each plane; each step loads one vector of dy (with the store mask)
// and the three input rows' taps as the forward kernel does.
func genDWBwdW(name string, stride int, even, odd Mem) {
	TEXT(name, NOSPLIT, "func(x, dy, dw, zero *float32, masks *int32, planes, H, W, OH, OW, padH, padW, nblk int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s accumulates the weight gradients of planes depthwise 3x3 stride-%d convolutions (see asmgen).", name, stride))
	acc := zregs[0:9]
	tmp := zregs[9:30]
	ntmp := 0
	next := func() VecPhysical { t := tmp[ntmp%len(tmp)]; ntmp++; return t }
	evenIdx, oddIdx := Z30, Z31
	if stride == 2 {
		VMOVUPS(even, evenIdx)
		VMOVUPS(odd, oddIdx)
	}
	lx, ldy, lw, lpl, loh, lldx := AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8)
	{
		t := GP64()
		for _, c := range []struct {
			p string
			m Mem
		}{{"x", lx}, {"dy", ldy}, {"dw", lw}, {"planes", lpl}} {
			Load(Param(c.p), t)
			MOVQ(t, c.m)
		}
		Load(Param("W"), t)
		SHLQ(U8(2), t)
		MOVQ(t, lldx)
	}
	Label(name + "_plane")
	for _, a := range acc {
		VPXORD(a, a, a)
	}
	MOVQ(U32(0), loh)
	Label(name + "_row")
	{
		t := GP64()
		MOVQ(loh, t)
		CMPQ(t, paramAddr("OH"))
		JGE(LabelRef(name + "_reduce"))
	}
	rp := make([]GPVirtual, 3)
	{
		t, p := GP64(), GP64()
		MOVQ(loh, t)
		if stride == 2 {
			SHLQ(U8(1), t)
		}
		SUBQ(paramAddr("padH"), t)
		MOVQ(t, p)
		IMULQ(lldx, p)
		ADDQ(lx, p)
		for j := range 3 {
			rp[j] = GP64()
			MOVQ(p, rp[j])
			CMPQ(t, paramAddr("H"))
			CMOVQCC(paramAddr("zero"), rp[j])
			if j < 2 {
				INCQ(t)
				ADDQ(lldx, p)
			}
		}
	}
	col, yp, mp, cnt := GP64(), GP64(), GP64(), GP64()
	Load(Param("padW"), col)
	NEGQ(col)
	SHLQ(U8(2), col)
	MOVQ(ldy, yp)
	Load(Param("masks"), mp)
	Load(Param("nblk"), cnt)
	Label(name + "_blk")
	KMOVW(Mem{Base: mp}, K1)
	KMOVW(Mem{Base: mp, Disp: 4}, K2)
	KMOVW(Mem{Base: mp, Disp: 8}, K3)
	KMOVW(Mem{Base: mp, Disp: 12}, K4)
	g := next()
	VMOVUPS_Z(Mem{Base: yp}, K4, g)
	for j := range 3 {
		at := func(disp int) Mem { return Mem{Base: rp[j], Index: col, Scale: 1, Disp: disp} }
		var taps [3]VecPhysical
		if stride == 1 {
			for kw, m := range []Register{K1, K2, K3} {
				taps[kw] = next()
				VMOVUPS_Z(at(4*kw), m, taps[kw])
			}
		} else {
			a, b, c := next(), next(), next()
			VMOVUPS_Z(at(0), K1, a)
			VMOVUPS_Z(at(64), K2, b)
			VMOVUPS_Z(at(128), K3, c)
			e, o := next(), next()
			VMOVAPS(evenIdx, e)
			VPERMI2PS(b, a, e)
			VMOVAPS(oddIdx, o)
			VPERMI2PS(b, a, o)
			VALIGND(U8(1), e, c, a)
			taps = [3]VecPhysical{e, o, a}
		}
		for kw := range 3 {
			VFMADD231PS(taps[kw], g, acc[j*3+kw])
		}
	}
	ADDQ(U32(64*stride), col)
	ADDQ(U32(64), yp)
	ADDQ(U32(16), mp)
	DECQ(cnt)
	JNZ(LabelRef(name + "_blk"))
	{
		t := GP64()
		Load(Param("OW"), t)
		SHLQ(U8(2), t)
		ADDQ(t, ldy)
		INCQ(loh)
	}
	JMP(LabelRef(name + "_row"))

	Label(name + "_reduce")
	{
		pw := GP64()
		MOVQ(lw, pw)
		t := Y9 // free after the loop; VEX-encodable
		for i, a := range acc {
			y, x := yregs[i], []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8}[i]
			VEXTRACTF64X4(U8(1), a, t)
			VADDPS(t, y, y)
			VEXTRACTF128(U8(1), y, t.AsX())
			VADDPS(t.AsX(), x, x)
			VHADDPS(x, x, x)
			VHADDPS(x, x, x)
			VADDSS(Mem{Base: pw, Disp: 4 * i}, x, x)
			VMOVSS(x, Mem{Base: pw, Disp: 4 * i})
		}
		ADDQ(U32(36), lw)
		t2 := GP64()
		Load(Param("H"), t2)
		IMULQ(lldx, t2)
		ADDQ(t2, lx)
		DECQ(lpl)
		JNZ(LabelRef(name + "_plane"))
	}
	VZEROUPPER()
	RET()
}
