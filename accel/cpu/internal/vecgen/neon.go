package main

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// NEON (arm64) kernels. Go's arm64 assembler lacks most floating-point
// vector instructions, so they are emitted as WORD encodings (with the
// instruction in a comment). Registers V0..V15 hold temporaries; constants
// are loaded once into V16..V31 before the loop.

type ng struct {
	b      *bytes.Buffer
	consts map[string]int // constant name -> register
	order  []string
	floor  int  // lowest register constants may take
	pd     bool // current element type: float64 (2D) rather than float32 (4S)
}

func (g *ng) p(format string, args ...any) { fmt.Fprintf(g.b, "\t"+format+"\n", args...) }

func (g *ng) w(enc uint32, format string, args ...any) {
	g.p("WORD $0x%08x // %s", enc, sprintf(format, args...))
}

// k returns the register holding constant name, allocating it.
func (g *ng) k(name string) int {
	if r, ok := g.consts[name]; ok {
		return r
	}
	r := 31 - len(g.consts)
	if r < g.floor {
		panic("neon: out of constant registers")
	}
	g.consts[name] = r
	g.order = append(g.order, name)
	return r
}

func (g *ng) arr() string {
	if g.pd {
		return "2D"
	}
	return "4S"
}

func rdm(d, n, m int) uint32 { return uint32(m)<<16 | uint32(n)<<5 | uint32(d) }

func (g *ng) sz() uint32 {
	if g.pd {
		return 1 << 22
	}
	return 0
}

func (g *ng) three(base uint32, name string, d, n, m int) {
	g.w(base|g.sz()|rdm(d, n, m), "%s V%d.%s, V%d.%s, V%d.%s", name, d, g.arr(), n, g.arr(), m, g.arr())
}

func (g *ng) fadd(d, n, m int)  { g.three(0x4E20D400, "FADD", d, n, m) }
func (g *ng) fsub(d, n, m int)  { g.three(0x4EA0D400, "FSUB", d, n, m) }
func (g *ng) fmul(d, n, m int)  { g.three(0x6E20DC00, "FMUL", d, n, m) }
func (g *ng) fdiv(d, n, m int)  { g.three(0x6E20FC00, "FDIV", d, n, m) }
func (g *ng) fmla(d, n, m int)  { g.three(0x4E20CC00, "FMLA", d, n, m) } // d += n·m
func (g *ng) fmls(d, n, m int)  { g.three(0x4EA0CC00, "FMLS", d, n, m) } // d -= n·m
func (g *ng) fcmgt(d, n, m int) { g.three(0x6EA0E400, "FCMGT", d, n, m) }
func (g *ng) fcmge(d, n, m int) { g.three(0x6E20E400, "FCMGE", d, n, m) }
func (g *ng) fcmeq(d, n, m int) { g.three(0x4E20E400, "FCMEQ", d, n, m) }

// Integer lane ops on 32-bit (or, with pd, 64-bit) elements.
func (g *ng) iadd(d, n, m int) {
	enc := uint32(0x4EA08400)
	if g.pd {
		enc = 0x4EE08400
	}
	g.w(enc|rdm(d, n, m), "ADD V%d.%s, V%d.%s, V%d.%s", d, g.arr(), n, g.arr(), m, g.arr())
}

func (g *ng) isub(d, n, m int) {
	enc := uint32(0x6EA08400)
	if g.pd {
		enc = 0x6EE08400
	}
	g.w(enc|rdm(d, n, m), "SUB V%d.%s, V%d.%s, V%d.%s", d, g.arr(), n, g.arr(), m, g.arr())
}

func (g *ng) smax(d, n, m int) { g.w(0x4EA06400|rdm(d, n, m), "SMAX V%d.4S, V%d.4S, V%d.4S", d, n, m) }
func (g *ng) cmgt(d, n, m int) { g.w(0x4EA03400|rdm(d, n, m), "CMGT V%d.4S, V%d.4S, V%d.4S", d, n, m) }

func (g *ng) logic(base uint32, name string, d, n, m int) {
	g.w(base|rdm(d, n, m), "%s V%d.16B, V%d.16B, V%d.16B", name, d, n, m)
}

func (g *ng) and(d, n, m int) { g.logic(0x4E201C00, "AND", d, n, m) }
func (g *ng) orr(d, n, m int) { g.logic(0x4EA01C00, "ORR", d, n, m) }
func (g *ng) eor(d, n, m int) { g.logic(0x6E201C00, "EOR", d, n, m) }
func (g *ng) mov(d, n int) {
	if d != n {
		g.orr(d, n, n)
	}
}

// blend sets d = mask ? t : f.
func (g *ng) blend(d, mask, f, t int) {
	switch d {
	case f:
		g.logic(0x6EA01C00, "BIT", d, t, mask) // d = d&^m | t&m
	case t:
		g.logic(0x6EE01C00, "BIF", d, f, mask) // d = d&m | f&^m
	default:
		g.mov(d, f)
		g.logic(0x6EA01C00, "BIT", d, t, mask)
	}
}

func (g *ng) shift(base uint32, name string, d, n, immhb, sh int) {
	g.w(base|uint32(immhb)<<16|rdm(d, n, 0), "%s V%d.%s, V%d.%s, #%d", name, d, g.arr(), n, g.arr(), sh)
}

func (g *ng) esize() int {
	if g.pd {
		return 64
	}
	return 32
}

func (g *ng) sshr(d, n, sh int) { g.shift(0x4F000400, "SSHR", d, n, 2*g.esize()-sh, sh) }
func (g *ng) ushr(d, n, sh int) { g.shift(0x6F000400, "USHR", d, n, 2*g.esize()-sh, sh) }
func (g *ng) shl(d, n, sh int)  { g.shift(0x4F005400, "SHL", d, n, g.esize()+sh, sh) }

func (g *ng) misc(enc uint32, name string, d, n int, da, na string) {
	g.w(enc|rdm(d, n, 0), "%s V%d.%s, V%d.%s", name, d, da, n, na)
}

func (g *ng) scvtf(d, n int)  { g.misc(0x4E21D800, "SCVTF", d, n, "4S", "4S") }
func (g *ng) fcvtl(d, n int)  { g.misc(0x0E617800, "FCVTL", d, n, "2D", "2S") }
func (g *ng) fcvtl2(d, n int) { g.misc(0x4E617800, "FCVTL2", d, n, "2D", "4S") }
func (g *ng) fcvtn(d, n int)  { g.misc(0x0E616800, "FCVTN", d, n, "2S", "2D") }
func (g *ng) fcvtn2(d, n int) { g.misc(0x4E616800, "FCVTN2", d, n, "4S", "2D") }
func (g *ng) fsqrt(d, n int)  { g.misc(0x6EA1F800|g.sz(), "FSQRT", d, n, g.arr(), g.arr()) }
func (g *ng) fabs(d, n int)   { g.misc(0x4EA0F800|g.sz(), "FABS", d, n, g.arr(), g.arr()) }
func (g *ng) fneg(d, n int)   { g.misc(0x6EA0F800|g.sz(), "FNEG", d, n, g.arr(), g.arr()) }

func (g *ng) ld(d int, off int, base string) { g.p("FMOVQ %d(%s), F%d", off, base, d) }
func (g *ng) st(d int, off int, base string) { g.p("FMOVQ F%d, %d(%s)", d, off, base) }

// clampLo sets x = lo > x ? lo : x (Go's `if x < lo { x = lo }`), clampHi
// x = x > hi ? hi : x; NaN stays.
func (g *ng) clampLo(x, lo, t int) { g.fcmgt(t, lo, x); g.blend(x, t, x, lo) }
func (g *ng) clampHi(x, hi, t int) { g.fcmgt(t, x, hi); g.blend(x, t, x, hi) }

// horner steps p = p·r + c for each constant in cs (FMLA accumulates into
// its destination, so results alternate between p and t); it returns the
// register holding the result.
func (g *ng) horner(p, t, r int, cs ...string) int {
	for _, c := range cs {
		g.mov(t, g.k(c))
		g.fmla(t, p, r)
		p, t = t, p
	}
	return p
}

// expCore32 mirrors gen.expCore32: exp(x+lo) of clamped x into the returned
// register (p or t3); x, t1, t2, t3 are clobbered.
func (g *ng) expCore32(x, lo, p, t1, t2, t3 int) int {
	g.mov(t1, g.k("magic"))
	g.fmla(t1, x, g.k("log2e"))  // t = x·log2e + magic
	g.fsub(t2, t1, g.k("magic")) // kf
	g.isub(t1, t1, g.k("magic")) // n
	g.fmls(x, t2, g.k("ln2hi"))
	g.fmls(x, t2, g.k("ln2lo"))
	if lo >= 0 {
		g.fadd(x, x, lo)
	}
	g.mov(p, g.k("expc6"))
	p = g.horner(p, t3, x, "expc5", "expc4", "expc3", "expc2", "one", "one")
	g.sshr(t2, t1, 1)
	g.isub(t1, t1, t2)
	g.iadd(t2, t2, g.k("i127"))
	g.shl(t2, t2, 23)
	g.iadd(t1, t1, g.k("i127"))
	g.shl(t1, t1, 23)
	g.fmul(p, p, t2)
	g.fmul(p, p, t1)
	return p
}

// expCore64 mirrors gen.expCore64 on 2D lanes (64-bit integer steps give
// the same 2^n factors).
func (g *ng) expCore64(x, p, t1, t2, t3 int) int {
	g.mov(t1, g.k("magic64"))
	g.fmla(t1, x, g.k("log2e64"))
	g.fsub(t2, t1, g.k("magic64"))
	g.isub(t1, t1, g.k("magic64"))
	g.fmls(x, t2, g.k("ln2hi64"))
	g.fmls(x, t2, g.k("ln2lo64"))
	g.mov(p, g.k("exp64c7"))
	p = g.horner(p, t3, x, "exp64c6", "exp64c5", "exp64c4", "exp64c3", "exp64c2", "one64", "one64")
	g.sshr(t2, t1, 1)
	g.isub(t1, t1, t2)
	g.iadd(t2, t2, g.k("i1023"))
	g.shl(t2, t2, 52)
	g.iadd(t1, t1, g.k("i1023"))
	g.shl(t1, t1, 52)
	g.fmul(p, p, t2)
	g.fmul(p, p, t1)
	return p
}

// sigmoid64 mirrors gen.sigmoid64: r = vecSigmoid64(x); x is kept. Returns
// the register holding r (r or t3).
func (g *ng) sigmoid64(x, r, t1, t2, t3, t4 int) int {
	g.fabs(t4, x)
	g.fneg(t4, t4) // -|x|
	g.clampLo(t4, g.k("exp64lo"), t1)
	r = g.expCore64(t4, r, t1, t2, t3)
	// num = x < 0 ? e : 1
	g.fcmgt(t1, g.k("zero64"), x)
	g.mov(t2, g.k("one64"))
	g.blend(t2, t1, t2, r)
	g.fadd(r, r, g.k("one64"))
	g.fdiv(r, t2, r)
	return r
}

// minmax sets d = b > a ? b : a (b < a for the minimum), NaN if a or b is
// NaN. It uses V8..V10 as temporaries (the binary kernels keep a, b below).
func (g *ng) minmax(d, a, b int, isMax bool) {
	m, s, o := 8, 9, 10
	if isMax {
		g.fcmgt(m, b, a)
	} else {
		g.fcmgt(m, a, b)
	}
	g.fadd(s, a, b)
	g.blend(d, m, a, b)
	g.fcmeq(o, a, a)
	g.fcmeq(m, b, b)
	g.and(o, o, m)
	g.blend(d, o, s, d)
}

type neonKernel struct {
	name  string
	floor int         // first register free for constants (temporaries lie below)
	body  func(g *ng) // emits the whole function after the header
	sig   string
	args  int
}

func neonKernels() (ks []neonKernel) {
	un := func(name string, step, unroll int, body func(g *ng, u, off int)) neonKernel {
		return neonKernel{name: name, floor: 16, sig: "dst, src *float32, n int", args: 24, body: func(g *ng) {
			g.p("MOVD dst+0(FP), R0")
			g.p("MOVD src+8(FP), R1")
			g.p("MOVD n+16(FP), R2")
			g.loop(step, unroll, []string{"R0", "R1"}, body)
		}}
	}
	unF := func(name, scal string, args int, body func(g *ng, u, off int)) neonKernel {
		return neonKernel{name: name, floor: 16, sig: "dst, src *float32, n int, " + scal, args: args, body: func(g *ng) {
			g.p("MOVD dst+0(FP), R0")
			g.p("MOVD src+8(FP), R1")
			g.p("MOVD n+16(FP), R2")
			g.loop(4, 2, []string{"R0", "R1"}, body)
		}}
	}
	bin := func(name string, op func(g *ng, d, n, m int)) neonKernel {
		return neonKernel{name: name, floor: 16, sig: "dst, a, b *float32, n int", args: 32, body: func(g *ng) {
			g.p("MOVD dst+0(FP), R0")
			g.p("MOVD a+8(FP), R1")
			g.p("MOVD b+16(FP), R3")
			g.p("MOVD n+24(FP), R2")
			g.loop(4, 4, []string{"R0", "R1", "R3"}, func(g *ng, u, off int) {
				g.ld(u, off, "R1")
				g.ld(u+4, off, "R3")
				op(g, u, u, u+4)
				g.st(u, off, "R0")
			})
		}}
	}
	// f64 kernels: each step converts 4 floats into two 2D halves.
	f64 := func(g *ng, off int, f func(x, r int) int) {
		g.ld(0, off, "R1")
		g.fcvtl(1, 0)
		g.fcvtl2(2, 0)
		g.pd = true
		r1 := f(1, 3)
		r2 := f(2, 9)
		g.pd = false
		g.fcvtn(0, r1)
		g.fcvtn2(0, r2)
		g.st(0, off, "R0")
	}
	floors := map[string]int{"Exp": 11, "ExpShift": 13, "Tanh": 8, "Log": 8, "Sigmoid": 15, "SiLU": 15, "GELUTanh": 15, "GELU": 15}
	defer func() {
		for i := range ks {
			if f, ok := floors[ks[i].name]; ok {
				ks[i].floor = f
			}
		}
	}()
	return []neonKernel{
		un("Exp", 4, 2, func(g *ng, u, off int) {
			b := u * 6
			x := b
			g.ld(x, off, "R1")
			g.clampLo(x, g.k("explo"), b+1)
			g.clampHi(x, g.k("exphi"), b+1)
			p := g.expCore32(x, -1, b+1, b+2, b+3, b+4)
			g.st(p, off, "R0")
		}),
		unF("ExpShift", "m float32", 28, func(g *ng, u, off int) {
			b := u * 7
			x, d, bb, t := b, b+1, b+2, b+3
			m, negm := g.k("m"), g.k("negm")
			g.ld(x, off, "R1")
			g.fsub(d, x, m)
			g.fsub(bb, d, x)
			g.fsub(t, d, bb)
			g.fsub(t, x, t)
			g.fsub(bb, negm, bb)
			g.fadd(t, t, bb)
			// t = t > -1 ? t : -1 (NaN -> -1); t = t < 1 ? t : 1
			g.fcmgt(bb, t, g.k("minus1"))
			g.blend(t, bb, g.k("minus1"), t)
			g.fcmgt(bb, g.k("one"), t)
			g.blend(t, bb, g.k("one"), t)
			g.clampLo(d, g.k("explo"), bb)
			g.clampHi(d, g.k("exphi"), bb)
			p := g.expCore32(d, t, b+4, x, bb, b+5)
			g.st(p, off, "R0")
		}),
		un("Tanh", 4, 1, func(g *ng, u, off int) {
			x, a, z := 0, 1, 2
			g.ld(x, off, "R1")
			g.fabs(a, x)
			g.fmul(z, x, x)
			g.mov(3, g.k("tanhc13"))
			q := g.horner(3, 4, z, "tanhc11", "tanhc9", "tanhc7", "tanhc5", "tanhc3")
			g.fmul(5, x, z)
			g.mov(6, x)
			g.fmla(6, 5, q) // (x·z)·q + x
			g.fadd(z, a, a)
			g.clampLo(z, g.k("explo"), 3)
			g.clampHi(z, g.k("exphi"), 3)
			e := g.expCore32(z, -1, 3, 4, 5, 7)
			g.fadd(e, e, g.k("one"))
			g.fdiv(4, g.k("two"), e)
			g.fsub(5, g.k("one"), 4) // 1 - 2/(e+1)
			g.fcmgt(4, g.k("tanhsmall"), a)
			g.blend(5, 4, 5, 6)
			g.and(4, x, g.k("sign"))
			g.orr(5, 5, 4)
			g.st(5, off, "R0")
		}),
		un("Log", 4, 1, func(g *ng, u, off int) {
			x, y, kk, t, q, f2, m := 0, 1, 2, 3, 4, 5, 6
			g.ld(x, off, "R1")
			g.cmgt(m, g.k("minnorm"), x) // 0x00800000 > bits(x), signed
			g.fmul(y, x, g.k("p2to23"))
			g.blend(y, m, x, y)
			g.and(kk, m, g.k("im23"))
			g.isub(y, y, g.k("sqrthalf"))
			g.sshr(t, y, 23)
			g.iadd(kk, kk, t)
			g.and(y, y, g.k("mant"))
			g.iadd(y, y, g.k("sqrthalf"))
			g.fsub(y, y, g.k("one")) // f
			g.mov(q, g.k("logc10"))
			q = g.horner(q, 7, y, "logc9", "logc8", "logc7", "logc6", "logc5", "logc4", "logc3", "logc2")
			g.fmul(f2, y, y)
			g.mov(t, y)
			g.fmla(t, f2, q) // lp = f^2·q + f
			g.scvtf(kk, kk)
			g.fmla(t, kk, g.k("ln2lo"))
			g.fmla(t, kk, g.k("ln2hi"))
			// x <= 0, +Inf, NaN
			norm, m2, sp := 1, 4, 5
			g.fcmgt(norm, x, g.k("zero"))
			g.fcmgt(m2, g.k("inf"), x)
			g.and(norm, norm, m2)
			g.fcmgt(m2, g.k("zero"), x)
			g.blend(sp, m2, x, g.k("nan"))
			g.fcmeq(m2, x, g.k("zero"))
			g.blend(sp, m2, sp, g.k("neginf"))
			g.blend(t, norm, sp, t)
			g.st(t, off, "R0")
		}),
		un("ReLU", 4, 4, func(g *ng, u, off int) {
			g.ld(u, off, "R1")
			g.fcmgt(u+4, g.k("zero"), u)
			g.blend(u, u+4, u, g.k("zero"))
			g.st(u, off, "R0")
		}),
		unF("Affine", "a, b float32", 32, func(g *ng, u, off int) {
			g.ld(u, off, "R1")
			g.mov(u+4, g.k("b"))
			g.fmla(u+4, g.k("a"), u) // a·x + b
			g.st(u+4, off, "R0")
		}),
		unF("Scale", "a float32", 28, func(g *ng, u, off int) {
			g.ld(u, off, "R1")
			g.fmul(u, g.k("a"), u)
			g.st(u, off, "R0")
		}),
		{name: "Axpy", floor: 16, sig: "y, x *float32, n int, alpha float32", args: 28, body: func(g *ng) {
			g.p("MOVD y+0(FP), R0")
			g.p("MOVD x+8(FP), R1")
			g.p("MOVD n+16(FP), R2")
			g.loop(4, 4, []string{"R0", "R1"}, func(g *ng, u, off int) {
				g.ld(u, off, "R0")
				g.ld(u+4, off, "R1")
				g.fmla(u, g.k("alpha"), u+4) // alpha·x + y
				g.st(u, off, "R0")
			})
		}},
		unF("Clamp", "lo, hi float32", 32, func(g *ng, u, off int) {
			g.ld(u, off, "R1")
			g.clampLo(u, g.k("lo"), u+4)
			g.clampHi(u, g.k("hi"), u+4)
			g.st(u, off, "R0")
		}),
		un("Sqrt", 4, 4, func(g *ng, u, off int) {
			g.ld(u, off, "R1")
			g.fsqrt(u, u)
			g.st(u, off, "R0")
		}),
		un("Abs", 4, 4, func(g *ng, u, off int) {
			g.ld(u, off, "R1")
			g.fabs(u, u)
			g.st(u, off, "R0")
		}),
		bin("Maximum", func(g *ng, d, a, b int) { g.minmax(d, a, b, true) }),
		bin("Minimum", func(g *ng, d, a, b int) { g.minmax(d, a, b, false) }),
		bin("Add", (*ng).fadd),
		bin("Sub", (*ng).fsub),
		bin("Mul", (*ng).fmul),
		bin("Div", (*ng).fdiv),
		un("Sigmoid", 4, 1, func(g *ng, u, off int) {
			f64(g, off, func(x, r int) int { return g.sigmoid64(x, r, r+1, r+2, r+3, r+4) })
		}),
		un("SiLU", 4, 1, func(g *ng, u, off int) {
			f64(g, off, func(x, r int) int {
				r = g.sigmoid64(x, r, r+1, r+2, r+3, r+4)
				g.fmul(r, x, r)
				return r
			})
		}),
		un("GELUTanh", 4, 1, func(g *ng, u, off int) {
			f64(g, off, func(x, r int) int {
				w, q := r+5, r+1
				g.fmul(w, x, x)
				g.mov(q, g.k("gelua"))
				g.fmla(q, w, g.k("gelub")) // xx·B + A
				g.fmul(w, x, q)
				r = g.sigmoid64(w, r, r+1, r+2, r+3, r+4)
				g.fmul(r, x, r)
				return r
			})
		}),
		un("GELU", 4, 1, func(g *ng, u, off int) {
			g.ld(0, off, "R1")
			g.fcvtl(1, 0)
			g.fcvtl2(2, 0)
			g.pd = true
			for h, x := range []int{1, 2} {
				uu, t, s, tmp, a, k := 3, 4, 5, 6, 7, 8
				g.fabs(uu, x)
				g.fadd(t, uu, g.k("geluk"))
				g.fdiv(t, g.k("geluk"), t) // t = 4/(4+u)
				g.p("MOVD $veccs<>+%d(SB), R9", lookup("gelur0").soff)
				g.p("VLD1R.P 8(R9), [V%d.D2]", s)
				for i := 1; i <= 12; i++ {
					g.p("VLD1R.P 8(R9), [V%d.D2]", tmp)
					g.fmla(tmp, s, t)
					s, tmp = tmp, s
				}
				g.fmul(a, uu, uu)
				g.fmul(a, a, g.k("mhalf64"))
				g.clampLo(a, g.k("exp64lo"), k)
				e := g.expCore64(a, 9, 10, 11, 12)
				g.fmul(t, t, s)
				g.fmul(t, t, e) // q = Phi(-|x|)
				g.fsub(s, g.k("one64"), t)
				g.fmul(s, x, s) // x·(1-q)
				g.fmul(t, x, t) // x·q
				g.fcmge(k, x, g.k("zero64"))
				g.blend(13+h, k, t, s)
			}
			g.pd = false
			g.fcvtn(0, 13)
			g.fcvtn2(0, 14)
			g.st(0, off, "R0")
		}),
		unF("LogSoftmaxFinish", "m, ls float64", 40, func(g *ng, u, off int) {
			b := u * 4
			g.ld(b, off, "R1")
			g.fcvtl(b+1, b)
			g.fcvtl2(b+2, b)
			g.pd = true
			for _, h := range []int{b + 1, b + 2} {
				g.fsub(h, h, g.k("m64"))
				g.fsub(h, h, g.k("ls64"))
			}
			g.pd = false
			g.fcvtn(b, b+1)
			g.fcvtn2(b, b+2)
			g.st(b, off, "R0")
		}),
		{name: "Sum", floor: 32, sig: "x *float32, n int) float64", args: 24, body: func(g *ng) { g.sum(false) }},
		{name: "Dot", floor: 32, sig: "a, b *float32, n int) float64", args: 32, body: func(g *ng) { g.sum(true) }},
		{name: "Max", floor: 13, sig: "x *float32, n int) float32", args: 20, body: (*ng).max},
	}
}

// loop mirrors gen.loop: R2 counts elements left; ptrs advance.
func (g *ng) loop(step, unroll int, ptrs []string, body func(g *ng, u, off int)) {
	if unroll > 1 {
		g.b.WriteString("loopU:\n")
		g.p("CMP $%d, R2", step*unroll)
		g.p("BLT loop1")
		for u := 0; u < unroll; u++ {
			body(g, u, u*step*4)
		}
		for _, p := range ptrs {
			g.p("ADD $%d, %s", step*unroll*4, p)
		}
		g.p("SUB $%d, R2", step*unroll)
		g.p("B loopU")
	}
	g.b.WriteString("loop1:\n")
	g.p("CMP $%d, R2", step)
	g.p("BLT done")
	body(g, 0, 0)
	for _, p := range ptrs {
		g.p("ADD $%d, %s", step*4, p)
	}
	g.p("SUB $%d, R2", step)
	g.p("B loop1")
	g.b.WriteString("done:\n")
	g.p("RET")
}

// sum: 32 float64 lanes in 16 2D accumulators V16..V31 (lanes 2j, 2j+1 in
// accumulator j), then the tree of vecTree32.
func (g *ng) sum(dot bool) {
	if dot {
		g.p("MOVD a+0(FP), R1")
		g.p("MOVD b+8(FP), R3")
		g.p("MOVD n+16(FP), R2")
	} else {
		g.p("MOVD x+0(FP), R1")
		g.p("MOVD n+8(FP), R2")
	}
	for j := 16; j < 32; j++ {
		g.eor(j, j, j)
	}
	g.b.WriteString("loop:\n")
	g.p("CMP $32, R2")
	g.p("BLT tree")
	for q := 0; q < 8; q++ {
		a := q % 2 * 6 // temporaries V0..V5 or V6..V11
		g.ld(a, q*16, "R1")
		g.fcvtl(a+1, a)
		g.fcvtl2(a+2, a)
		g.pd = true
		if dot {
			g.pd = false
			g.ld(a+3, q*16, "R3")
			g.fcvtl(a+4, a+3)
			g.fcvtl2(a+5, a+3)
			g.pd = true
			g.fmla(16+2*q, a+1, a+4)
			g.fmla(17+2*q, a+2, a+5)
		} else {
			g.fadd(16+2*q, 16+2*q, a+1)
			g.fadd(17+2*q, 17+2*q, a+2)
		}
		g.pd = false
	}
	g.p("ADD $128, R1")
	if dot {
		g.p("ADD $128, R3")
	}
	g.p("SUB $32, R2")
	g.p("B loop")
	g.b.WriteString("tree:\n")
	g.pd = true
	for w := 8; w >= 1; w /= 2 {
		for j := 0; j < w; j++ {
			g.fadd(16+j, 16+j, 16+j+w)
		}
	}
	g.pd = false
	g.w(0x7E70D800|rdm(0, 16, 0), "FADDP D0, V16.2D")
	if dot {
		g.p("FMOVD F0, ret+24(FP)")
	} else {
		g.p("FMOVD F0, ret+16(FP)")
	}
	g.p("RET")
}

// max mirrors gen.kMax with SMAX on the order-preserving keys.
func (g *ng) max() {
	g.p("MOVD x+0(FP), R1")
	g.p("MOVD n+8(FP), R2")
	for i := 0; i < 4; i++ {
		g.mov(8+i, g.k("keyneginf"))
	}
	g.fcmeq(12, g.k("zero"), g.k("zero")) // all ones: no NaN seen yet
	g.loop(4, 4, []string{"R1"}, func(g *ng, u, off int) {
		x, s := u*2, u*2+1
		g.ld(x, off, "R1")
		g.fcmeq(s, x, x)
		g.and(12, 12, s)
		g.sshr(s, x, 31)
		g.ushr(s, s, 1)
		g.eor(x, x, s)
		g.smax(8+u, 8+u, x)
	})
	out := g.b.Bytes()
	tail := "\tRET\n"
	if !bytes.HasSuffix(out, []byte(tail)) {
		panic("neon max: unexpected loop tail")
	}
	g.b.Truncate(len(out) - len(tail))
	g.smax(8, 8, 9)
	g.smax(10, 10, 11)
	g.smax(8, 8, 10)
	g.w(0x4EB0A800|rdm(0, 8, 0), "SMAXV S0, V8.4S")
	g.sshr(1, 0, 31)
	g.ushr(1, 1, 1)
	g.eor(0, 0, 1)
	g.w(0x6EB1A800|rdm(1, 12, 0), "UMINV S1, V12.4S")
	g.p("FMOVS F1, R4")
	g.p("CBZW R4, isnan")
	g.p("FMOVS F0, ret+16(FP)")
	g.p("RET")
	g.b.WriteString("isnan:\n")
	g.p("MOVW $0x7fc00000, R4")
	g.p("MOVW R4, ret+16(FP)")
	g.p("RET")
}

// neonFile returns vec_arm64.s and the Go wrappers for the NEON kernels.
func neonFile() (asm, wrap []byte) {
	var a, w bytes.Buffer
	a.WriteString("// Code generated by vecgen (accel/cpu/internal/vecgen); DO NOT EDIT.\n\n")
	a.WriteString("//go:build arm64 && !purego\n\n#include \"textflag.h\"\n\n")
	w.WriteString("// Code generated by vecgen (accel/cpu/internal/vecgen); DO NOT EDIT.\n\n")
	w.WriteString("//go:build arm64 && !purego\n\npackage cpu\n\n")
	// scalar constant table (plus the f64 twin of i1023 for 64-bit lanes)
	off := 0
	for i, k := range konsts {
		if k.f64 {
			off = (off + 7) &^ 7
			fmt.Fprintf(&a, "DATA veccs<>+%d(SB)/8, $0x%016x\n", off, k.bits)
			konsts[i].soff = off
			off += 8
		} else {
			fmt.Fprintf(&a, "DATA veccs<>+%d(SB)/4, $0x%08x\n", off, k.bits)
			konsts[i].soff = off
			off += 4
		}
	}
	fmt.Fprintf(&a, "GLOBL veccs<>(SB), RODATA|NOPTR, $%d\n", (off+7)&^7)
	is := isa{name: "NEON", w: 4}
	done := map[string]bool{}
	for _, nk := range neonKernels() {
		var body bytes.Buffer
		g := &ng{b: &body, consts: map[string]int{}, floor: nk.floor}
		nk.body(g)
		sig := nk.sig
		if !strings.Contains(sig, ")") {
			sig += ")"
		}
		fmt.Fprintf(&a, "\n// func vec%sNEON(%s\nTEXT ·vec%sNEON(SB), NOSPLIT, $0-%d\n", nk.name, sig, nk.name, nk.args)
		// constants into their registers
		names := append([]string(nil), g.order...)
		sort.Strings(names)
		for _, name := range names {
			r := g.consts[name]
			switch name {
			case "m", "a", "alpha", "lo":
				fmt.Fprintf(&a, "\tFMOVS %s+%d(FP), F%d\n", name, scalOff(nk, name), r)
				fmt.Fprintf(&a, "\tWORD $0x%08x // DUP V%d.4S, V%d.S[0]\n", 0x4E040400|rdm(r, r, 0), r, r)
			case "b", "hi":
				fmt.Fprintf(&a, "\tFMOVS %s+28(FP), F%d\n", name, r)
				fmt.Fprintf(&a, "\tWORD $0x%08x // DUP V%d.4S, V%d.S[0]\n", 0x4E040400|rdm(r, r, 0), r, r)
			case "negm":
				fmt.Fprintf(&a, "\tFMOVS m+24(FP), F%d\n", r)
				fmt.Fprintf(&a, "\tWORD $0x%08x // DUP V%d.4S, V%d.S[0]\n", 0x4E040400|rdm(r, r, 0), r, r)
				fmt.Fprintf(&a, "\tWORD $0x%08x // FNEG V%d.4S, V%d.4S\n", 0x6EA0F800|rdm(r, r, 0), r, r)
			case "m64", "ls64":
				fmt.Fprintf(&a, "\tFMOVD %s+%d(FP), F%d\n", strings.TrimSuffix(name, "64"), map[string]int{"m64": 24, "ls64": 32}[name], r)
				fmt.Fprintf(&a, "\tWORD $0x%08x // DUP V%d.2D, V%d.D[0]\n", 0x4E080400|rdm(r, r, 0), r, r)
			default:
				k := lookup(name)
				fmt.Fprintf(&a, "\tMOVD $veccs<>+%d(SB), R9\n", k.soff)
				if k.f64 {
					fmt.Fprintf(&a, "\tVLD1R (R9), [V%d.D2]\n", r)
				} else {
					fmt.Fprintf(&a, "\tVLD1R (R9), [V%d.S4]\n", r)
				}
			}
		}
		a.Write(body.Bytes())
		done[nk.name] = true
		for _, k := range kernels {
			if k.name == nk.name {
				k.wrapper(&w, is)
			}
		}
	}
	fmt.Fprintf(&w, "var vecNEONKernels = vecKernels{\n\tname: \"neon\",\n")
	for _, k := range kernels {
		if done[k.name] {
			fmt.Fprintf(&w, "\t%s: vec%s_neon,\n", k.field, k.name)
		} else {
			fmt.Fprintf(&w, "\t%s: vec%sGeneric, // no NEON kernel yet\n", k.field, k.name)
		}
	}
	w.WriteString("}\n")
	return a.Bytes(), w.Bytes()
}

func scalOff(nk neonKernel, name string) int {
	switch name {
	case "alpha", "a", "m", "lo":
		return 24
	}
	return 28
}
