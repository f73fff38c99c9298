package main

import (
	"bytes"
	"fmt"
	"strings"
)

// A kernel: its Go name stem, the vecKernels field it fills, its shape
// (argument list and tail handling) and its body.
type kernel struct {
	name  string
	field string
	shape string // un, unF (float32 scalars), unD (float64 scalars), bin, axpy, sum, dot, max
	scal  []string
	emit  func(g *gen)
}

var kernels = []*kernel{
	{name: "Exp", field: "exp", shape: "un", emit: (*gen).kExp},
	{name: "Tanh", field: "tanh", shape: "un", emit: (*gen).kTanh},
	{name: "Log", field: "log", shape: "un", emit: (*gen).kLog},
	{name: "ReLU", field: "relu", shape: "un", emit: (*gen).kReLU},
	{name: "Sigmoid", field: "sigmoid", shape: "un", emit: func(g *gen) { g.kSig64("Sigmoid") }},
	{name: "SiLU", field: "silu", shape: "un", emit: func(g *gen) { g.kSig64("SiLU") }},
	{name: "GELUTanh", field: "geluTanh", shape: "un", emit: func(g *gen) { g.kSig64("GELUTanh") }},
	{name: "GELU", field: "gelu", shape: "un", emit: (*gen).kGELU},
	{name: "Affine", field: "affine", shape: "unF", scal: []string{"a", "b"}, emit: (*gen).kAffine},
	{name: "Scale", field: "scale", shape: "unF", scal: []string{"a"}, emit: (*gen).kScale},
	{name: "ExpShift", field: "expShift", shape: "unF", scal: []string{"m"}, emit: (*gen).kExpShift},
	{name: "LogSoftmaxFinish", field: "lsFinish", shape: "unD", scal: []string{"m", "ls"}, emit: (*gen).kLSFinish},
	{name: "Add", field: "add", shape: "bin", emit: func(g *gen) { g.kBin("Add", "VADDPS") }},
	{name: "Sub", field: "sub", shape: "bin", emit: func(g *gen) { g.kBin("Sub", "VSUBPS") }},
	{name: "Mul", field: "mul", shape: "bin", emit: func(g *gen) { g.kBin("Mul", "VMULPS") }},
	{name: "Div", field: "div", shape: "bin", emit: func(g *gen) { g.kBin("Div", "VDIVPS") }},
	{name: "Axpy", field: "axpy", shape: "axpy", emit: (*gen).kAxpy},
	{name: "Clamp", field: "clamp", shape: "unF", scal: []string{"lo", "hi"}, emit: (*gen).kClamp},
	{name: "Sqrt", field: "sqrt", shape: "un", emit: (*gen).kSqrt},
	{name: "Abs", field: "abs", shape: "un", emit: (*gen).kAbs},
	{name: "Maximum", field: "maximum", shape: "bin", emit: func(g *gen) { g.kMinMax("Maximum", "VMAXPS") }},
	{name: "Minimum", field: "minimum", shape: "bin", emit: func(g *gen) { g.kMinMax("Minimum", "VMINPS") }},
	{name: "Sum", field: "sum", shape: "sum", emit: func(g *gen) { g.kSum(false) }},
	{name: "Dot", field: "dot", shape: "dot", emit: func(g *gen) { g.kSum(true) }},
	{name: "Max", field: "max", shape: "max", emit: (*gen).kMax},
}

func (g *gen) kernel(k *kernel) { k.emit(g) }

// header emits a TEXT line with the Go signature as a comment.
func (g *gen) header(name, sig string, args int) {
	if !strings.Contains(sig, ")") {
		sig += ")"
	}
	fmt.Fprintf(g.b, "\n// func vec%s%s(%s\nTEXT ·vec%s%s(SB), NOSPLIT, $0-%d\n", name, g.name, sig, name, g.name, args)
}

// loop emits the element loop: CX counts elements left, each body call
// handles step elements at byte offset off, using register bank u.
func (g *gen) loop(step, unroll int, ptrs []string, body func(u, off int)) {
	if unroll > 1 {
		g.b.WriteString("loopU:\n")
		g.p("CMPQ CX, $%d", step*unroll)
		g.p("JLT loop1")
		for u := 0; u < unroll; u++ {
			body(u, u*step*4)
		}
		for _, p := range ptrs {
			g.p("ADDQ $%d, %s", step*unroll*4, p)
		}
		g.p("SUBQ $%d, CX", step*unroll)
		g.p("JMP loopU")
	}
	g.b.WriteString("loop1:\n")
	g.p("CMPQ CX, $%d", step)
	g.p("JLT done")
	body(0, 0)
	for _, p := range ptrs {
		g.p("ADDQ $%d, %s", step*4, p)
	}
	g.p("SUBQ $%d, CX", step)
	g.p("JMP loop1")
	g.b.WriteString("done:\n")
	g.p("VZEROUPPER")
	g.p("RET")
}

func (g *gen) unaryHead(name string, extra string, args int) {
	sig := "dst, src *float32, n int" + extra
	g.header(name, sig, args)
	g.p("MOVQ dst+0(FP), DI")
	g.p("MOVQ src+8(FP), SI")
	g.p("MOVQ n+16(FP), CX")
}

func mem(off int, reg string) string { return sprintf("%d(%s)", off, reg) }

// clamp32 clamps x to [lo, hi] (registers), keeping NaN: Go's
// `if x < lo { x = lo }; if x > hi { x = hi }`.
func (g *gen) clamp(pd bool, x, lo, hi string) {
	g.op(sfx("VMAXP", pd), x, lo, x) // lo > x ? lo : x
	if hi != "" {
		g.op(sfx("VMINP", pd), x, hi, x) // hi < x ? hi : x
	}
}

// expCore32 turns the clamped lanes of x (destroyed) into exp(x+lo) in p,
// exactly as vecExpCore followed by the two-step vecScale32.
func (g *gen) expCore32(x, lo, p, t1, t2 string) {
	g.bcast(t1, "log2e")
	g.op("VFMADD213PS", t1, x, c("magic")) // t = x·log2e + magic
	g.op("VSUBPS", t2, t1, c("magic"))     // kf
	g.op("VPSUBD", t1, t1, c("magic"))     // n
	g.op("VFNMADD231PS", x, t2, c("ln2hi"))
	g.op("VFNMADD231PS", x, t2, c("ln2lo"))
	if lo != "" {
		g.op("VADDPS", x, x, lo)
	}
	g.bcast(p, "expc6")
	for _, k := range []string{"expc5", "expc4", "expc3", "expc2", "one", "one"} {
		g.op("VFMADD213PS", p, x, c(k))
	}
	g.imm("VPSRAD", 1, t2, t1)
	g.op("VPSUBD", t1, t1, t2)
	g.op("VPADDD", t2, t2, c("i127"))
	g.imm("VPSLLD", 23, t2, t2)
	g.op("VPADDD", t1, t1, c("i127"))
	g.imm("VPSLLD", 23, t1, t1)
	g.op("VMULPS", p, p, t2)
	g.op("VMULPS", p, p, t1)
}

// expCore64 is the float64 exp of vecExp64 for lanes of x (destroyed),
// already clamped to [-1000, 0] or NaN.
func (g *gen) expCore64(x, p, t1, t2 string) {
	g.bcast(t1, "log2e64")
	g.op("VFMADD213PD", t1, x, c("magic64"))
	g.op("VSUBPD", t2, t1, c("magic64"))
	g.op("VPSUBQ", t1, t1, c("magic64"))
	g.op("VFNMADD231PD", x, t2, c("ln2hi64"))
	g.op("VFNMADD231PD", x, t2, c("ln2lo64"))
	g.bcast(p, "exp64c7")
	for _, k := range []string{"exp64c6", "exp64c5", "exp64c4", "exp64c3", "exp64c2", "one64", "one64"} {
		g.op("VFMADD213PD", p, x, c(k))
	}
	// n is small, so 32-bit lane arithmetic on the low halves is exact and
	// the shift by 52 drops the high halves.
	g.imm("VPSRAD", 1, t2, t1)
	g.op("VPSUBD", t1, t1, t2)
	g.op("VPADDD", t2, t2, c("i1023"))
	g.imm("VPSLLQ", 52, t2, t2)
	g.op("VPADDD", t1, t1, c("i1023"))
	g.imm("VPSLLQ", 52, t1, t1)
	g.op("VMULPD", p, p, t2)
	g.op("VMULPD", p, p, t1)
}

func (g *gen) kExp() {
	g.unaryHead("Exp", "", 24)
	lo, hi := g.v(14), g.v(15)
	g.bcast(lo, "explo")
	g.bcast(hi, "exphi")
	g.loop(g.w, 2, []string{"SI", "DI"}, func(u, off int) {
		b := u * 5
		x, p := g.v(b), g.v(b+1)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		g.clamp(false, x, lo, hi)
		g.expCore32(x, "", p, g.v(b+2), g.v(b+3))
		g.p("VMOVUPS %s, %s", p, mem(off, "DI"))
	})
}

func (g *gen) kExpShift() {
	g.unaryHead("ExpShift", ", m float32", 28)
	lo, hi, m, negm := g.v(12), g.v(13), g.v(14), g.v(15)
	g.bcast(lo, "explo")
	g.bcast(hi, "exphi")
	g.p("VBROADCASTSS m+24(FP), %s", m)
	g.xor(negm, m, c("sign"))
	g.loop(g.w, 2, []string{"SI", "DI"}, func(u, off int) {
		b := u * 6
		x, d, bb, t, p := g.v(b), g.v(b+1), g.v(b+2), g.v(b+3), g.v(b+4)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		// TwoSum: d + t == x - m exactly.
		g.op("VSUBPS", d, x, m)
		g.op("VSUBPS", bb, d, x)
		g.op("VSUBPS", t, d, bb)
		g.op("VSUBPS", t, x, t)
		g.op("VSUBPS", bb, negm, bb)
		g.op("VADDPS", t, t, bb)
		g.op("VMAXPS", t, t, c("minus1")) // NaN -> -1
		g.op("VMINPS", t, t, c("one"))
		g.clamp(false, d, lo, hi)
		g.expCore32(d, t, p, x, bb)
		g.p("VMOVUPS %s, %s", p, mem(off, "DI"))
	})
}

func (g *gen) kTanh() {
	g.unaryHead("Tanh", "", 24)
	lo, hi := g.v(14), g.v(15)
	g.bcast(lo, "explo")
	g.bcast(hi, "exphi")
	g.loop(g.w, 1, []string{"SI", "DI"}, func(u, off int) {
		x, a, z, q, s := g.v(0), g.v(1), g.v(2), g.v(3), g.v(4)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		g.and(a, x, c("abs"))
		// small |x|: x + x^3·P(x^2)
		g.op("VMULPS", z, x, x)
		g.bcast(q, "tanhc13")
		for _, k := range []string{"tanhc11", "tanhc9", "tanhc7", "tanhc5", "tanhc3"} {
			g.op("VFMADD213PS", q, z, c(k))
		}
		g.op("VMULPS", s, x, z)
		g.op("VFMADD213PS", s, q, x) // s = (x·z)·q + x
		// large |x|: 1 - 2/(exp(2|x|)+1), sign of x
		e, t1, t2 := g.v(5), g.v(6), g.v(7)
		g.op("VADDPS", z, a, a)
		g.clamp(false, z, lo, hi)
		g.expCore32(z, "", e, t1, t2)
		g.op("VADDPS", e, e, c("one"))
		g.bcast(t1, "two")
		g.op("VDIVPS", t1, t1, e)
		g.bcast(t2, "one")
		g.op("VSUBPS", t2, t2, t1)
		k := g.k(8)
		g.cmp(false, cmpLT, k, a, c("tanhsmall"))
		g.blend(false, t2, k, t2, s)
		g.and(t1, x, c("sign")) // the sign of x (also for -0)
		g.or(t2, t2, t1)
		g.p("VMOVUPS %s, %s", t2, mem(off, "DI"))
	})
}

func (g *gen) kLog() {
	g.unaryHead("Log", "", 24)
	g.loop(g.w, 1, []string{"SI", "DI"}, func(u, off int) {
		x, y, kk, t, q, f2 := g.v(0), g.v(1), g.v(2), g.v(3), g.v(4), g.v(5)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		// subnormals: scale by 2^23, k = -23
		m := g.k(6)
		g.bcast(t, "minnorm")
		g.op("VPCMPGTD", m, t, x) // 0x00800000 > bits(x), signed
		g.op("VMULPS", y, x, c("p2to23"))
		g.blend(false, y, m, x, y)
		g.op(g.pick("VPXOR", "VPXORD"), kk, kk, kk)
		g.bcast(t, "im23")
		g.blend(false, kk, m, kk, t)
		g.op("VPSUBD", y, y, c("sqrthalf"))
		g.imm("VPSRAD", 23, t, y)
		g.op("VPADDD", kk, kk, t)
		g.and(y, y, c("mant"))
		g.op("VPADDD", y, y, c("sqrthalf"))
		g.op("VSUBPS", y, y, c("one")) // f
		g.bcast(q, "logc10")
		for _, k := range []string{"logc9", "logc8", "logc7", "logc6", "logc5", "logc4", "logc3", "logc2"} {
			g.op("VFMADD213PS", q, y, c(k))
		}
		g.op("VMULPS", f2, y, y)
		g.op("VFMADD213PS", f2, q, y) // lp = f^2·q + f
		g.p("VCVTDQ2PS %s, %s", kk, kk)
		g.op("VFMADD231PS", f2, kk, c("ln2lo"))
		g.op("VFMADD231PS", f2, kk, c("ln2hi"))
		// x <= 0, +Inf, NaN
		norm, m2 := g.k(7), g.k(8)
		g.cmp(false, cmpGT, norm, x, c("zero"))
		g.cmp(false, cmpLT, m2, x, c("inf"))
		g.kand(norm, norm, m2)
		g.bcast(t, "nan")
		g.cmp(false, cmpLT, m2, x, c("zero"))
		g.blend(false, y, m2, x, t)
		g.bcast(t, "neginf")
		g.cmp(false, cmpEQ, m2, x, c("zero"))
		g.blend(false, y, m2, y, t)
		g.blend(false, f2, norm, y, f2)
		g.p("VMOVUPS %s, %s", f2, mem(off, "DI"))
	})
}

func (g *gen) kReLU() {
	g.unaryHead("ReLU", "", 24)
	zero := g.v(15)
	g.p("VXORPS %s, %s, %s", zero, zero, zero)
	g.loop(g.w, 4, []string{"SI", "DI"}, func(u, off int) {
		x := g.v(u)
		g.op("VMAXPS", x, zero, mem(off, "SI")) // 0 > x ? 0 : x
		g.p("VMOVUPS %s, %s", x, mem(off, "DI"))
	})
}

func (g *gen) kAffine() {
	g.unaryHead("Affine", ", a, b float32", 32)
	a, b := g.v(14), g.v(15)
	g.p("VBROADCASTSS a+24(FP), %s", a)
	g.p("VBROADCASTSS b+28(FP), %s", b)
	g.loop(g.w, 4, []string{"SI", "DI"}, func(u, off int) {
		x := g.v(u)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		g.op("VFMADD213PS", x, a, b) // a·x + b
		g.p("VMOVUPS %s, %s", x, mem(off, "DI"))
	})
}

func (g *gen) kScale() {
	g.unaryHead("Scale", ", a float32", 28)
	a := g.v(15)
	g.p("VBROADCASTSS a+24(FP), %s", a)
	g.loop(g.w, 4, []string{"SI", "DI"}, func(u, off int) {
		x := g.v(u)
		g.op("VMULPS", x, a, mem(off, "SI"))
		g.p("VMOVUPS %s, %s", x, mem(off, "DI"))
	})
}

func (g *gen) kClamp() {
	g.unaryHead("Clamp", ", lo, hi float32", 32)
	lo, hi := g.v(14), g.v(15)
	g.p("VBROADCASTSS lo+24(FP), %s", lo)
	g.p("VBROADCASTSS hi+28(FP), %s", hi)
	g.loop(g.w, 4, []string{"SI", "DI"}, func(u, off int) {
		x := g.v(u)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		g.clamp(false, x, lo, hi)
		g.p("VMOVUPS %s, %s", x, mem(off, "DI"))
	})
}

func (g *gen) kSqrt() {
	g.unaryHead("Sqrt", "", 24)
	g.loop(g.w, 4, []string{"SI", "DI"}, func(u, off int) {
		x := g.v(u)
		g.p("VSQRTPS %s, %s", mem(off, "SI"), x)
		g.p("VMOVUPS %s, %s", x, mem(off, "DI"))
	})
}

func (g *gen) kAbs() {
	g.unaryHead("Abs", "", 24)
	g.loop(g.w, 4, []string{"SI", "DI"}, func(u, off int) {
		x := g.v(u)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		g.and(x, x, c("abs"))
		g.p("VMOVUPS %s, %s", x, mem(off, "DI"))
	})
}

// kMinMax: b > a ? b : a (b < a for the minimum), NaN if either is NaN:
// vecMaximum1 / vecMinimum1.
func (g *gen) kMinMax(name, mn string) {
	g.header(name, "dst, a, b *float32, n int", 32)
	g.p("MOVQ dst+0(FP), DI")
	g.p("MOVQ a+8(FP), SI")
	g.p("MOVQ b+16(FP), DX")
	g.p("MOVQ n+24(FP), CX")
	g.loop(g.w, 2, []string{"SI", "DX", "DI"}, func(u, off int) {
		a, b, r, s := g.v(u*5), g.v(u*5+1), g.v(u*5+2), g.v(u*5+3)
		k := g.k(u*5 + 4)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), a)
		g.p("VMOVUPS %s, %s", mem(off, "DX"), b)
		g.op(mn, r, b, a) // Intel MAXPS(b, a) = b > a ? b : a
		g.op("VADDPS", s, a, b)
		g.cmp(false, cmpUnord, k, a, b)
		g.blend(false, r, k, r, s)
		g.p("VMOVUPS %s, %s", r, mem(off, "DI"))
	})
}

func (g *gen) kAxpy() {
	g.header("Axpy", "y, x *float32, n int, alpha float32", 28)
	g.p("MOVQ y+0(FP), DI")
	g.p("MOVQ x+8(FP), SI")
	g.p("MOVQ n+16(FP), CX")
	a := g.v(15)
	g.p("VBROADCASTSS alpha+24(FP), %s", a)
	g.loop(g.w, 4, []string{"SI", "DI"}, func(u, off int) {
		y := g.v(u)
		g.p("VMOVUPS %s, %s", mem(off, "DI"), y)
		g.op("VFMADD231PS", y, a, mem(off, "SI")) // alpha·x + y
		g.p("VMOVUPS %s, %s", y, mem(off, "DI"))
	})
}

func (g *gen) kBin(name, mn string) {
	g.header(name, "dst, a, b *float32, n int", 32)
	g.p("MOVQ dst+0(FP), DI")
	g.p("MOVQ a+8(FP), SI")
	g.p("MOVQ b+16(FP), DX")
	g.p("MOVQ n+24(FP), CX")
	g.loop(g.w, 4, []string{"SI", "DX", "DI"}, func(u, off int) {
		x := g.v(u)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		g.op(mn, x, x, mem(off, "DX"))
		g.p("VMOVUPS %s, %s", x, mem(off, "DI"))
	})
}

// Float64 kernels work on half a register's worth of float32 at a time.
func (g *gen) load64(x string, off int) { g.p("VCVTPS2PD %s, %s", mem(off, "SI"), x) }
func (g *gen) store64(x, h string, off int) {
	g.p("%s %s, %s", g.pick("VCVTPD2PSY", "VCVTPD2PS"), x, h)
	g.p("VMOVUPS %s, %s", h, mem(off, "DI"))
}

// sigmoid64 computes vecSigmoid64(x) into r; x is kept.
func (g *gen) sigmoid64(x, r, t1, t2, t3, t4 string, k string) {
	g.or64(t3, x, c("sign64")) // -|x|
	g.bcast(t4, "exp64lo")
	g.clamp(true, t3, t4, "")
	g.expCore64(t3, r, t1, t2) // e
	g.cmp(true, cmpLT, k, x, c("zero64"))
	g.bcast(t4, "one64")
	g.blend(true, t4, k, t4, r) // num
	g.op("VADDPD", r, r, c("one64"))
	g.op("VDIVPD", r, t4, r)
}

func (g *gen) kSig64(name string) {
	g.unaryHead(name, "", 24)
	g.loop(g.w/2, 1, []string{"SI", "DI"}, func(u, off int) {
		x, r := g.v(0), g.v(1)
		g.load64(x, off)
		switch name {
		case "Sigmoid":
			g.sigmoid64(x, r, g.v(2), g.v(3), g.v(4), g.v(5), g.k(6))
		case "SiLU":
			g.sigmoid64(x, r, g.v(2), g.v(3), g.v(4), g.v(5), g.k(6))
			g.op("VMULPD", r, x, r)
		case "GELUTanh":
			w, q := g.v(7), g.v(8)
			g.op("VMULPD", w, x, x)
			g.bcast(q, "gelub")
			g.op("VFMADD213PD", q, w, c("gelua"))
			g.op("VMULPD", w, x, q)
			g.sigmoid64(w, r, g.v(2), g.v(3), g.v(4), g.v(5), g.k(6))
			g.op("VMULPD", r, x, r)
		}
		g.store64(r, g.h(1), off)
	})
}

func (g *gen) kGELU() {
	g.unaryHead("GELU", "", 24)
	g.loop(g.w/2, 1, []string{"SI", "DI"}, func(u, off int) {
		x, uu, t, s, a, e := g.v(0), g.v(1), g.v(2), g.v(3), g.v(4), g.v(5)
		g.load64(x, off)
		g.and64(uu, x, c("abs64"))
		g.op("VADDPD", t, uu, c("geluk"))
		g.bcast(s, "geluk")
		g.op("VDIVPD", t, s, t) // t = 4/(4+u)
		g.bcast(s, "gelus12")
		for i := 11; i >= 0; i-- {
			g.op("VFMADD213PD", s, t, c(sprintf("gelus%d", i)))
		}
		g.op("VMULPD", a, uu, uu)
		g.op("VMULPD", a, a, c("mhalf64"))
		g.bcast(uu, "exp64lo")
		g.clamp(true, a, uu, "")
		g.expCore64(a, e, g.v(6), g.v(7))
		g.op("VMULPD", t, t, s)
		g.op("VMULPD", t, t, e) // q = Phi(-|x|)
		g.bcast(s, "one64")
		g.op("VSUBPD", s, s, t)
		g.op("VMULPD", s, x, s) // x·(1-q)
		g.op("VMULPD", t, x, t) // x·q
		k := g.k(8)
		g.cmp(true, cmpGE, k, x, c("zero64"))
		g.blend(true, t, k, t, s)
		g.store64(t, g.h(2), off)
	})
}

func (g *gen) kLSFinish() {
	g.unaryHead("LogSoftmaxFinish", ", m, ls float64", 40)
	m, ls := g.v(14), g.v(15)
	g.p("VBROADCASTSD m+24(FP), %s", m)
	g.p("VBROADCASTSD ls+32(FP), %s", ls)
	g.loop(g.w/2, 2, []string{"SI", "DI"}, func(u, off int) {
		x := g.v(u)
		g.load64(x, off)
		g.op("VSUBPD", x, x, m)
		g.op("VSUBPD", x, x, ls)
		g.store64(x, g.h(u), off)
	})
}

// kSum: 32 float64 lanes; element i of each block of 32 goes to lane i.
func (g *gen) kSum(dot bool) {
	if dot {
		g.header("Dot", "a, b *float32, n int) float64", 32)
		g.p("MOVQ a+0(FP), SI")
		g.p("MOVQ b+8(FP), DX")
		g.p("MOVQ n+16(FP), CX")
	} else {
		g.header("Sum", "x *float32, n int) float64", 24)
		g.p("MOVQ x+0(FP), SI")
		g.p("MOVQ n+8(FP), CX")
	}
	nacc := 4 // float64 registers per block of 32
	if !g.z {
		nacc = 8
	}
	per := 32 / nacc // floats per register
	for i := 0; i < nacc; i++ {
		g.p("VXORPD %s, %s, %s", g.v(8+i), g.v(8+i), g.v(8+i))
	}
	ptrs := []string{"SI"}
	if dot {
		ptrs = append(ptrs, "DX")
	}
	g.b.WriteString("loop:\n")
	g.p("CMPQ CX, $32")
	g.p("JLT tree")
	half := nacc
	if dot && !g.z {
		half = 4
	}
	for h0 := 0; h0 < nacc; h0 += half {
		for i := h0; i < h0+half; i++ {
			g.p("VCVTPS2PD %s, %s", mem(i*per*4, "SI"), g.v(i-h0))
			if dot {
				g.p("VCVTPS2PD %s, %s", mem(i*per*4, "DX"), g.v(i-h0+half))
			}
		}
		for i := h0; i < h0+half; i++ {
			if dot {
				g.op("VFMADD231PD", g.v(8+i), g.v(i-h0), g.v(i-h0+half))
			} else {
				g.op("VADDPD", g.v(8+i), g.v(8+i), g.v(i-h0))
			}
		}
	}
	for _, p := range ptrs {
		g.p("ADDQ $128, %s", p)
	}
	g.p("SUBQ $32, CX")
	g.p("JMP loop")
	g.b.WriteString("tree:\n")
	for w := nacc / 2; w >= 1; w /= 2 {
		for i := 0; i < w; i++ {
			g.op("VADDPD", g.v(8+i), g.v(8+i), g.v(8+i+w))
		}
	}
	if g.z {
		g.p("VEXTRACTF64X4 $1, Z8, Y0")
		g.p("VADDPD Y0, Y8, Y8")
	}
	g.p("VEXTRACTF128 $1, Y8, X0")
	g.p("VADDPD X0, X8, X8")
	g.p("VUNPCKHPD X8, X8, X0")
	g.p("VADDSD X0, X8, X8")
	if dot {
		g.p("MOVSD X8, ret+24(FP)")
	} else {
		g.p("MOVSD X8, ret+16(FP)")
	}
	g.p("VZEROUPPER")
	g.p("RET")
}

// kMax: maximum of order-preserving integer keys (vecMaxKey), NaN tracked
// apart; the result does not depend on the order of the elements.
func (g *gen) kMax() {
	g.header("Max", "x *float32, n int) float32", 20)
	g.p("MOVQ x+0(FP), SI")
	g.p("MOVQ n+8(FP), CX")
	for i := 0; i < 4; i++ {
		g.bcast(g.v(8+i), "keyneginf")
	}
	nan := g.v(12)
	if g.z {
		nan = "K1"
		g.p("KXORW K1, K1, K1")
	} else {
		g.p("VXORPS %s, %s, %s", nan, nan, nan)
	}
	g.loop(g.w, 4, []string{"SI"}, func(u, off int) {
		x, s := g.v(u*2), g.v(u*2+1)
		g.p("VMOVUPS %s, %s", mem(off, "SI"), x)
		if g.z {
			g.imm("VCMPPS", cmpUnord, "K2", x, x)
			g.p("KORW K2, K1, K1")
		} else {
			g.imm("VCMPPS", cmpUnord, s, x, x)
			g.p("VORPS %s, %s, %s", s, nan, nan)
		}
		g.imm("VPSRAD", 31, s, x)
		g.imm("VPSRLD", 1, s, s)
		g.xor(x, x, s)
		g.op("VPMAXSD", g.v(8+u), g.v(8+u), x)
	})
	// loop() ended with VZEROUPPER; RET: replace that tail.
	out := g.b.Bytes()
	tail := "\tVZEROUPPER\n\tRET\n"
	if !bytes.HasSuffix(out, []byte(tail)) {
		panic("kMax: unexpected loop tail")
	}
	g.b.Truncate(len(out) - len(tail))
	g.op("VPMAXSD", g.v(8), g.v(8), g.v(9))
	g.op("VPMAXSD", g.v(10), g.v(10), g.v(11))
	g.op("VPMAXSD", g.v(8), g.v(8), g.v(10))
	if g.z {
		g.p("VEXTRACTI64X4 $1, Z8, Y0")
		g.p("VPMAXSD Y0, Y8, Y8")
	}
	g.p("VEXTRACTI128 $1, Y8, X0")
	g.p("VPMAXSD X0, X8, X8")
	g.p("VPSHUFD $0x4e, X8, X0")
	g.p("VPMAXSD X0, X8, X8")
	g.p("VPSHUFD $0xb1, X8, X0")
	g.p("VPMAXSD X0, X8, X8")
	g.p("VPSRAD $31, X8, X0")
	g.p("VPSRLD $1, X0, X0")
	g.p("VPXOR X0, X8, X8")
	if g.z {
		g.p("KORTESTW K1, K1")
	} else {
		g.p("VMOVMSKPS %s, AX", nan)
		g.p("TESTL AX, AX")
	}
	g.p("JNZ isnan")
	g.p("MOVSS X8, ret+16(FP)")
	g.p("VZEROUPPER")
	g.p("RET")
	g.b.WriteString("isnan:\n")
	g.p("MOVL $0x7fc00000, ret+16(FP)")
	g.p("VZEROUPPER")
	g.p("RET")
}

// wrapper writes the Go declaration of k's assembly for is and the slice
// function that runs it on whole vectors and pads the tail.
func (k *kernel) wrapper(b *bytes.Buffer, is isa) {
	asm := "vec" + k.name + is.name
	fn := "vec" + k.name + "_" + strings.ToLower(is.name)
	w := is.w
	sc := strings.Join(k.scal, ", ")
	scT := ""
	switch k.shape {
	case "unF", "axpy":
		scT = ", " + sc + " float32"
	case "unD":
		scT = ", " + sc + " float64"
	}
	scA := ""
	if sc != "" {
		scA = ", " + sc
	}
	fmt.Fprintf(b, "//go:noescape\n")
	switch k.shape {
	case "un", "unF", "unD":
		fmt.Fprintf(b, "func %s(dst, src *float32, n int%s)\n\n", asm, scT)
		fmt.Fprintf(b, `func %s(dst, src []float32%s) {
	n := len(dst)
	full := n &^ %d
	if full > 0 {
		%s(&dst[0], &src[0], full%s)
	}
	if full < n {
		var buf [%d]float32
		copy(buf[:], src[full:n])
		%s(&buf[0], &buf[0], %d%s)
		copy(dst[full:], buf[:n-full])
	}
}

`, fn, scT, w-1, asm, scA, w, asm, w, scA)
	case "bin":
		fmt.Fprintf(b, "func %s(dst, a, b *float32, n int)\n\n", asm)
		fmt.Fprintf(b, `func %s(dst, a, b []float32) {
	n := len(dst)
	full := n &^ %d
	if full > 0 {
		%s(&dst[0], &a[0], &b[0], full)
	}
	if full < n {
		var ba, bb [%d]float32
		copy(ba[:], a[full:n])
		copy(bb[:], b[full:n])
		%s(&ba[0], &ba[0], &bb[0], %d)
		copy(dst[full:], ba[:n-full])
	}
}

`, fn, w-1, asm, w, asm, w)
	case "axpy":
		fmt.Fprintf(b, "func %s(y, x *float32, n int, alpha float32)\n\n", asm)
		fmt.Fprintf(b, `func %s(alpha float32, x, y []float32) {
	n := len(y)
	full := n &^ %d
	if full > 0 {
		%s(&y[0], &x[0], full, alpha)
	}
	if full < n {
		var by, bx [%d]float32
		copy(by[:], y[full:n])
		copy(bx[:], x[full:n])
		%s(&by[0], &bx[0], %d, alpha)
		copy(y[full:], by[:n-full])
	}
}

`, fn, w-1, asm, w, asm, w)
	case "sum":
		fmt.Fprintf(b, "func %s(x *float32, n int) float64\n\n", asm)
		fmt.Fprintf(b, `func %s(x []float32) float64 {
	full := len(x) &^ 31
	var s float64
	if full > 0 {
		s = %s(&x[0], full)
	}
	for _, v := range x[full:] {
		s += float64(v)
	}
	return s
}

`, fn, asm)
	case "dot":
		fmt.Fprintf(b, "func %s(a, b *float32, n int) float64\n\n", asm)
		fmt.Fprintf(b, `func %s(a, b []float32) float64 {
	full := len(a) &^ 31
	var s float64
	if full > 0 {
		s = %s(&a[0], &b[0], full)
	}
	for i := full; i < len(a); i++ {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

`, fn, asm)
	case "max":
		fmt.Fprintf(b, "func %s(x *float32, n int) float32\n\n", asm)
		fmt.Fprintf(b, `func %s(x []float32) float32 {
	full := len(x) &^ %d
	if full == 0 {
		return vecMaxGeneric(x)
	}
	r := %s(&x[0], full)
	return vecMaxMerge(r, x[full:])
}

`, fn, w-1, asm)
	}
}

func tables(b *bytes.Buffer, is isa) {
	fmt.Fprintf(b, "var vec%sKernels = vecKernels{\n\tname: %q,\n", is.name, strings.ToLower(is.name))
	for _, k := range kernels {
		fmt.Fprintf(b, "\t%s: vec%s_%s,\n", k.field, k.name, strings.ToLower(is.name))
	}
	b.WriteString("}\n\n")
}
