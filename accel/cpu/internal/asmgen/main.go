// Command asmgen writes the amd64 GEMM micro-kernels of package cpu
// (gemm_kern_amd64.s and its Go declarations) with avo. It is a separate
// module so that avo stays out of Ember's own dependencies. Run it through
// go generate in accel/cpu:
//
//	//go:generate sh -c "cd internal/asmgen && go run . -out ../../gemm_kern_amd64.s -stubs ../../gemm_kern_amd64.go -pkg cpu -table ../../gemm_edge_amd64.go -neon ../../gemm_kern_arm64.s -neonstubs ../../gemm_kern_arm64.go"
//
// Each kernel computes one mr×nr tile of C = alpha*Ap*Bp + beta*C from
// packed panels: Ap holds kc steps of mr elements (the tile's rows), Bp kc
// steps of nr elements (its columns). The nr columns are nv vectors, and
// the tile's mr*nv accumulators stay in registers for the whole loop over
// kc: each step loads nv vectors of Bp, broadcasts each of the mr elements
// of Ap, and does mr*nv fused multiply-adds. When beta is zero, C is not
// read.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

var (
	zregs = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
	yregs = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
)

// kernel describes one micro-kernel to generate.
type kernel struct {
	name   string
	double bool // float64 elements, else float32
	avx512 bool // zmm registers (32 of them), else ymm (16)
	mr, nv int  // A panel height (elements per step of Ap), and vectors per tile row
	rows   int  // tile rows computed, <= mr; 0 means mr (edge kernels use fewer)
	unroll int  // steps of kc per loop iteration
}

func (k kernel) esize() int { return map[bool]int{false: 4, true: 8}[k.double] }
func (k kernel) vbytes() int {
	if k.avx512 {
		return 64
	}
	return 32
}
func (k kernel) nr() int { return k.nv * k.vbytes() / k.esize() }

func (k kernel) vregs() []VecPhysical {
	if k.avx512 {
		return zregs
	}
	return yregs
}

func (k kernel) fma(a, b, acc Op) {
	if k.double {
		VFMADD231PD(a, b, acc)
	} else {
		VFMADD231PS(a, b, acc)
	}
}

func (k kernel) bcast(m, r Op) {
	if k.double {
		VBROADCASTSD(m, r)
	} else {
		VBROADCASTSS(m, r)
	}
}

func (k kernel) mul(a, b, dst Op) {
	if k.double {
		VMULPD(a, b, dst)
	} else {
		VMULPS(a, b, dst)
	}
}

func (k kernel) gen() {
	rows := k.rows
	if rows == 0 {
		rows = k.mr
	}
	typ := "float32"
	if k.double {
		typ = "float64"
	}
	TEXT(k.name, NOSPLIT, fmt.Sprintf("func(kc int, a, b, c *%s, ldc int, alpha, beta %s)", typ, typ))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C = alpha*Ap*Bp + beta*C (see asmgen).", k.name, rows, k.nr()))
	es, vb := k.esize(), k.vbytes()
	regs := k.vregs()
	mr, nv := k.mr, k.nv
	acc := func(i, v int) VecPhysical { return regs[i*nv+v] }
	nacc := rows * nv
	bv := regs[nacc : nacc+nv]
	tmp := regs[nacc+nv:]
	if len(tmp) < 1 {
		panic("not enough vector registers")
	}

	kc := Load(Param("kc"), GP64())
	pa := Load(Param("a"), GP64())
	pb := Load(Param("b"), GP64())

	for i := range rows {
		for v := range nv {
			if k.avx512 {
				VPXORD(acc(i, v), acc(i, v), acc(i, v)) // VXORPS on zmm needs AVX512DQ
			} else {
				VXORPS(acc(i, v), acc(i, v), acc(i, v))
			}
		}
	}

	// Prefetch the C tile now, so that it is in L1 when the loop is done.
	pc := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	if k.double {
		SHLQ(U8(3), ldc)
	} else {
		SHLQ(U8(2), ldc)
	}
	{
		row := GP64()
		MOVQ(pc, row)
		rowBytes := k.nr() * es
		for i := range rows {
			for off := 0; off < rowBytes; off += 64 {
				PREFETCHT0(Mem{Base: row, Disp: off})
			}
			PREFETCHT0(Mem{Base: row, Disp: rowBytes - es})
			if i < rows-1 {
				ADDQ(ldc, row)
			}
		}
	}

	nbcast := 0
	step := func(p int) {
		for v := range nv {
			VMOVUPS(Mem{Base: pb, Disp: (p*nv + v) * vb}, bv[v])
		}
		for i := range rows {
			am := Mem{Base: pa, Disp: (p*mr + i) * es}
			t := tmp[nbcast%len(tmp)]
			nbcast++
			k.bcast(am, t)
			for v := range nv {
				k.fma(t, bv[v], acc(i, v))
			}
		}
	}

	Comment("Main loop, unrolled.")
	Label(k.name + "_loop")
	CMPQ(kc, U32(k.unroll))
	JL(LabelRef(k.name + "_tail"))
	for p := range k.unroll {
		step(p)
	}
	ADDQ(U32(k.unroll*mr*es), pa)
	ADDQ(U32(k.unroll*nv*vb), pb)
	SUBQ(U32(k.unroll), kc)
	JMP(LabelRef(k.name + "_loop"))

	Label(k.name + "_tail")
	TESTQ(kc, kc)
	JE(LabelRef(k.name + "_store"))
	step(0)
	ADDQ(U32(mr*es), pa)
	ADDQ(U32(nv*vb), pb)
	DECQ(kc)
	JMP(LabelRef(k.name + "_tail"))

	Label(k.name + "_store")
	// alpha and beta, broadcast.
	valpha, vbeta := tmp[0], tmp[len(tmp)-1]
	if len(tmp) < 2 {
		// Not enough spare registers: reuse the B registers.
		valpha, vbeta = bv[0], bv[len(bv)-1]
	}
	k.bcast(paramAddr("alpha"), valpha)
	for i := range rows {
		for v := range nv {
			k.mul(valpha, acc(i, v), acc(i, v))
		}
	}
	// beta == 0 (either sign) means C is not read.
	bbits := GP64()
	if k.double {
		MOVQ(paramAddr("beta"), bbits)
		SHLQ(U8(1), bbits)
	} else {
		MOVL(paramAddr("beta"), bbits.As32())
		SHLL(U8(1), bbits.As32())
	}
	JE(LabelRef(k.name + "_nobeta"))
	k.bcast(paramAddr("beta"), vbeta)
	row := GP64()
	MOVQ(pc, row)
	for i := range rows {
		for v := range nv {
			k.fma(Mem{Base: row, Disp: v * vb}, vbeta, acc(i, v))
		}
		if i < rows-1 {
			ADDQ(ldc, row)
		}
	}
	Label(k.name + "_nobeta")
	for i := range rows {
		for v := range nv {
			VMOVUPS(acc(i, v), Mem{Base: pc, Disp: v * vb})
		}
		if i < rows-1 {
			ADDQ(ldc, pc)
		}
	}
	VZEROUPPER()
	RET()
}

// genPackT writes a routine that transposes rows×16 blocks of float32
// (rows <= 16 rows of a row-major source, 16 columns at a time) into
// columns of a packed panel: dst[p*dstStride+i] = src[i*lds+p] for
// i < rows and p < 16*kb16. It packs the A panels of the AVX-512 kernel
// when A is not transposed (rows = 14, dstStride = 14), and the B panels
// when B is transposed (rows = 16, dstStride = 32, twice per panel).
// Loading whole rows and transposing in registers (unpcklps/unpckhps,
// unpcklpd/unpckhpd, then two rounds of vshuff32x4) reads every cache line
// of the source once, where an element-by-element copy would touch 14
// lines per column, all in one L1 set when the row stride is 4 KiB.
func genPackT(name string, rows int) {
	TEXT(name, NOSPLIT, "func(kb16 int, src *float32, lds int, dst *float32, dstStride int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s packs %d rows of src, transposed, into dst (see asmgen).", name, rows))
	n := Load(Param("kb16"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	dst := Load(Param("dst"), GP64())
	ds := Load(Param("dstStride"), GP64())
	SHLQ(U8(2), ds)
	if rows < 16 {
		m := GP32()
		MOVL(U32(1<<rows-1), m)
		KMOVW(m, K1)
	}
	r := zregs[:16]
	t := zregs[16:]
	for i := rows; i < 16; i++ {
		VPXORD(r[i], r[i], r[i])
	}
	Label(name + "_loop")
	TESTQ(n, n)
	JE(LabelRef(name + "_done"))
	row := GP64()
	MOVQ(src, row)
	for i := range rows {
		VMOVUPS(Mem{Base: row}, r[i])
		if i < rows-1 {
			ADDQ(lds, row)
		}
	}
	// Stage 1: interleave pairs of rows (per 128-bit lane: a0 b0 a1 b1, a2 b2 a3 b3).
	for i := range 8 {
		VUNPCKLPS(r[2*i+1], r[2*i], t[2*i])
		VUNPCKHPS(r[2*i+1], r[2*i], t[2*i+1])
	}
	// Stage 2: u[4i+j] holds, in lane L, rows 4i..4i+3 of column 4L+j.
	for i := range 4 {
		VUNPCKLPD(t[4*i+2], t[4*i], r[4*i])
		VUNPCKHPD(t[4*i+2], t[4*i], r[4*i+1])
		VUNPCKLPD(t[4*i+3], t[4*i+1], r[4*i+2])
		VUNPCKHPD(t[4*i+3], t[4*i+1], r[4*i+3])
	}
	// Stages 3 and 4: gather lane L of u[j], u[4+j], u[8+j], u[12+j].
	for j := range 4 {
		v1, v2, w1, w2 := t[4*j], t[4*j+1], t[4*j+2], t[4*j+3]
		VSHUFF32X4(U8(0x44), r[4+j], r[j], v1)
		VSHUFF32X4(U8(0xEE), r[4+j], r[j], v2)
		VSHUFF32X4(U8(0x44), r[12+j], r[8+j], w1)
		VSHUFF32X4(U8(0xEE), r[12+j], r[8+j], w2)
	}
	out := GP64()
	for j := range 4 {
		v1, v2, w1, w2 := t[4*j], t[4*j+1], t[4*j+2], t[4*j+3]
		VSHUFF32X4(U8(0x88), w1, v1, r[j])
		VSHUFF32X4(U8(0xDD), w1, v1, r[4+j])
		VSHUFF32X4(U8(0x88), w2, v2, r[8+j])
		VSHUFF32X4(U8(0xDD), w2, v2, r[12+j])
	}
	MOVQ(dst, out)
	for p := range 16 {
		if rows < 16 {
			VMOVUPS(r[p], K1, Mem{Base: out})
		} else {
			VMOVUPS(r[p], Mem{Base: out})
		}
		ADDQ(ds, out)
	}
	MOVQ(out, dst)
	ADDQ(U32(64), src)
	DECQ(n)
	if rows < 16 {
		for i := rows; i < 16; i++ {
			VPXORD(r[i], r[i], r[i])
		}
	}
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// genPackN writes a routine that copies kb rows of 32*nymm bytes, row
// stride lds elements of size es, into a contiguous panel: it packs the B
// panels of the kernels when B is not transposed, where Go's copy would
// cost a call per row.
func genPackN(name string, nymm, es int) {
	typ := map[int]string{4: "float32", 8: "float64"}[es]
	TEXT(name, NOSPLIT, fmt.Sprintf("func(kb int, src *%s, lds int, dst *%s)", typ, typ))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s copies kb rows of %d elements, row stride lds, to a dense panel.", name, 32*nymm/es))
	n := Load(Param("kb"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	if es == 8 {
		SHLQ(U8(3), lds)
	} else {
		SHLQ(U8(2), lds)
	}
	dst := Load(Param("dst"), GP64())
	Label(name + "_loop")
	TESTQ(n, n)
	JE(LabelRef(name + "_done"))
	for i := range nymm {
		VMOVUPS(Mem{Base: src, Disp: 32 * i}, yregs[i])
	}
	for i := range nymm {
		VMOVUPS(yregs[i], Mem{Base: dst, Disp: 32 * i})
	}
	ADDQ(lds, src)
	ADDQ(U32(32*nymm), dst)
	DECQ(n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// genPackN14 writes a routine that copies kb rows of 14 float32, row
// stride lds, into a dense panel (row stride 14), with masked AVX-512
// loads and stores: it packs the A panels of the AVX-512 kernel when A is
// transposed.
func genPackN14(name string) {
	TEXT(name, NOSPLIT, "func(kb int, src *float32, lds int, dst *float32)")
	Pragma("noescape")
	Doc(name + " copies kb rows of 14 elements, row stride lds, to a dense panel.")
	n := Load(Param("kb"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	dst := Load(Param("dst"), GP64())
	m := GP32()
	MOVL(U32(1<<14-1), m)
	KMOVW(m, K1)
	Label(name + "_loop")
	TESTQ(n, n)
	JE(LabelRef(name + "_done"))
	VMOVUPS_Z(Mem{Base: src}, K1, Z0)
	VMOVUPS(Z0, K1, Mem{Base: dst})
	ADDQ(lds, src)
	ADDQ(U32(56), dst)
	DECQ(n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// paramAddr is the stack address of the named argument.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

func main() {
	flag.Parse()
	ConstraintExpr("!purego")
	if *mode == "dw" {
		genDW()
		Generate()
		return
	}
	var tables []edgeTable
	for _, k := range []kernel{
		{name: "sgemmKernAVX512", avx512: true, mr: 14, nv: 2, unroll: 4},
		{name: "dgemmKernAVX512", double: true, avx512: true, mr: 14, nv: 2, unroll: 4},
		{name: "sgemmKernAVX2", mr: 6, nv: 2, unroll: 4},
		{name: "dgemmKernAVX2", double: true, mr: 6, nv: 2, unroll: 4},
	} {
		k.gen()
		// Edge kernels for the last, partial row panel: same panel
		// layout, fewer rows computed.
		t := edgeTable{name: k.name + "Edge", double: k.double}
		for r := 1; r < k.mr; r++ {
			e := k
			e.rows = r
			e.name = fmt.Sprintf("%sRows%d", k.name, r)
			e.gen()
			t.funcs = append(t.funcs, e.name)
		}
		tables = append(tables, t)
	}
	genPackT("sgemmPackT14AVX512", 14)
	genPackT("sgemmPackT16AVX512", 16)
	genPackN14("sgemmPackN14AVX512")
	genPackN("sgemmPackN16AVX", 2, 4)
	genPackN("sgemmPackN32AVX", 4, 4)
	genPackN("dgemmPackN8AVX", 2, 8)
	genPackN("dgemmPackN16AVX", 4, 8)
	Generate()
	if *tableOut != "" {
		writeTables(*tableOut, tables)
	}
	if *neonOut != "" {
		writeNEON(*neonOut, *neonStubs, []neonKernel{
			{name: "sgemmKernNEON", mr: 6},
			{name: "dgemmKernNEON", double: true, mr: 6},
		})
	}
}

var (
	neonOut   = flag.String("neon", "", "write the arm64 kernels to this file")
	neonStubs = flag.String("neonstubs", "", "write the Go declarations of the arm64 kernels to this file")
)

// mode picks the kernels to write: "gemm" (the default) or "dw", the
// depthwise convolution kernels of dwconv.go, which go to their own files.
var mode = flag.String("mode", "gemm", `kernels to generate: "gemm" or "dw"`)

var tableOut = flag.String("table", "", "write the Go tables of edge kernels to this file")

// edgeTable is a Go array of the edge kernels of one kernel, indexed by
// the number of rows.
type edgeTable struct {
	name   string
	double bool
	funcs  []string
}

func writeTables(path string, tables []edgeTable) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by command: go run . %s. DO NOT EDIT.\n\n", strings.Join(os.Args[1:], " "))
	b.WriteString("//go:build !purego\n\npackage cpu\n")
	for _, t := range tables {
		typ := map[bool]string{false: "float32", true: "float64"}[t.double]
		fmt.Fprintf(&b, "\n// %s[r] computes the first r rows of a tile (nil for r = 0).\n", t.name)
		fmt.Fprintf(&b, "var %s = [...]func(kc int, a, b, c *%s, ldc int, alpha, beta %s){\n\tnil,\n", t.name, typ, typ)
		for _, f := range t.funcs {
			fmt.Fprintf(&b, "\t%s,\n", f)
		}
		b.WriteString("}\n")
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
