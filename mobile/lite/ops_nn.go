package lite

import (
	"math"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/mobile/format"
)

// The neural-network ops: convolution, linear and matrix products,
// pooling, normalisation, softmax, embedding. Each runs the accel/cpu
// kernel package tensor runs for the same op, so results are eager's bit
// for bit.

var convAttrs = []string{"stride", "padding", "padding_mode", "dilation", "groups"}
var actAttrs = []string{"act", "act_min", "act_max"}

func init() {
	register("conv2d", &opDef{version: 1, attrs: convAttrs, minIn: 2, maxIn: 3, nOut: 1,
		compile: func(c *cc) error { return compileConv(c, false) }})
	register("conv2d_act", &opDef{version: 1, attrs: append(append([]string{}, convAttrs...), actAttrs...), minIn: 2, maxIn: 3, nOut: 1,
		compile: func(c *cc) error { return compileConv(c, true) }})
	register("linear", &opDef{version: 1, minIn: 2, maxIn: 3, nOut: 1,
		compile: func(c *cc) error { return compileLinear(c, false) }})
	register("linear_act", &opDef{version: 1, attrs: actAttrs, minIn: 2, maxIn: 3, nOut: 1,
		compile: func(c *cc) error { return compileLinear(c, true) }})
	register("matmul", &opDef{version: 1, minIn: 2, maxIn: 2, nOut: 1, compile: compileMatmul})
	register("max_pool2d", &opDef{version: 1, attrs: []string{"kernel_size", "stride", "padding", "dilation", "ceil_mode"},
		minIn: 1, maxIn: 1, nOut: 1, compile: compileMaxPool})
	register("avg_pool2d", &opDef{version: 1, attrs: []string{"kernel_size", "stride", "padding", "ceil_mode", "exclude_pad", "divisor_override"},
		minIn: 1, maxIn: 1, nOut: 1, compile: compileAvgPool})
	register("adaptive_avg_pool2d", &opDef{version: 1, attrs: []string{"out_h", "out_w"},
		minIn: 1, maxIn: 1, nOut: 1, compile: compileAdaptiveAvgPool})
	register("batch_norm", &opDef{version: 1, attrs: []string{"training", "momentum", "eps"},
		minIn: 3, maxIn: 5, nOut: 1, alias: true, compile: compileBatchNorm})
	register("layer_norm", &opDef{version: 1, attrs: []string{"normalized_shape", "eps"},
		minIn: 1, maxIn: 3, nOut: 1, compile: compileLayerNorm})
	register("softmax", &opDef{version: 1, attrs: []string{"dim"}, minIn: 1, maxIn: 1, nOut: 1,
		compile: func(c *cc) error { return compileSoftmax(c, false) }})
	register("log_softmax", &opDef{version: 1, attrs: []string{"dim"}, minIn: 1, maxIn: 1, nOut: 1,
		compile: func(c *cc) error { return compileSoftmax(c, true) }})
	register("embedding", &opDef{version: 1, attrs: []string{"padding_idx"}, minIn: 2, maxIn: 2, nOut: 1, compile: compileEmbedding})
}

// dims2 reads a 2-D "int or tuple" attribute: none or empty gives def
// (one value for both dimensions, or two), one value is used for both, and
// every value must be at least lo.
func (c *cc) dims2(name string, lo int, def ...int) ([2]int, error) {
	v, err := c.attrInts(name, nil)
	if err != nil {
		return [2]int{}, err
	}
	if len(v) == 0 {
		v = def
	}
	var out [2]int
	switch len(v) {
	case 1:
		out = [2]int{v[0], v[0]}
	case 2:
		out = [2]int{v[0], v[1]}
	default:
		return out, c.errf("attribute %s = %v: want one or two values", name, v)
	}
	if out[0] < lo || out[1] < lo {
		return out, c.errf("attribute %s = %v: values must be at least %d", name, v, lo)
	}
	return out, nil
}

// act reads the fused activation of conv2d_act and linear_act, as
// package mobile's passes write it: attribute act ("relu", "relu6" or
// "clamp") and the bounds act_min and act_max (for relu 0 and +Inf, for
// relu6 0 and 6 when given; for clamp required, not NaN, act_min <=
// act_max). It is min(max(y, act_min), act_max), NaN staying NaN.
func (c *cc) act() (cpu.Act, error) {
	name, err := c.attrStr("act", "")
	if err != nil {
		return cpu.Act{}, err
	}
	lo, err := c.attrFloat("act_min", math.NaN())
	if err != nil {
		return cpu.Act{}, err
	}
	hi, err := c.attrFloat("act_max", math.NaN())
	if err != nil {
		return cpu.Act{}, err
	}
	given := c.attr("act_min") != nil || c.attr("act_max") != nil
	switch {
	case name == "relu" && (!given || lo == 0 && math.IsInf(hi, 1)):
		return cpu.Act{Kind: cpu.ActReLU}, nil
	case name == "relu6" && (!given || lo == 0 && hi == 6):
		return cpu.Act{Kind: cpu.ActReLU6}, nil
	case name == "clamp" && lo <= hi: // false for NaN (or absent) bounds
		return cpu.Act{Kind: cpu.ActClamp, Lo: float64(float32(lo)), Hi: float64(float32(hi))}, nil
	}
	return cpu.Act{}, c.errf("invalid activation act=%q act_min=%v act_max=%v (want relu, relu6, or clamp with act_min <= act_max)", name, lo, hi)
}

type convOp struct {
	p cpu.ConvParams
}

func compileConv(c *cc, fused bool) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	w, err := c.input(1, Float32)
	if err != nil {
		return err
	}
	b, err := c.optInput(2, Float32)
	if err != nil {
		return err
	}
	if len(x.shape) != 3 && len(x.shape) != 4 {
		return c.errf("input %v: want [C, H, W] or [N, C, H, W]", x)
	}
	if len(w.shape) != 4 {
		return c.errf("weight %v: want [OC, C/groups, KH, KW]", w)
	}
	stride, err := c.dims2("stride", 1, 1)
	if err != nil {
		return err
	}
	dil, err := c.dims2("dilation", 1, 1)
	if err != nil {
		return err
	}
	groups, err := c.attrInt("groups", 1)
	if err != nil {
		return err
	}
	if groups == 0 {
		groups = 1
	}
	if groups < 0 {
		return c.errf("groups %d must be positive", groups)
	}
	mode, err := c.attrStr("padding_mode", "")
	if err != nil {
		return err
	}
	ks := w.shape[2:]
	var padLo, padHi [2]int
	switch mode {
	case "":
		if padLo, err = c.dims2("padding", 0, 0); err != nil {
			return err
		}
		padHi = padLo
	case "valid", "same":
		if pv, _ := c.attrInts("padding", nil); len(pv) != 0 {
			return c.errf("padding %v and padding_mode %q: set one", pv, mode)
		}
		if mode == "same" {
			for i := range 2 {
				if stride[i] != 1 {
					return c.errf("padding_mode same is not supported for strided convolutions (stride %v)", stride)
				}
				total := dil[i] * (ks[i] - 1)
				padLo[i] = total / 2
				padHi[i] = total - padLo[i]
			}
		}
	default:
		return c.errf("unknown padding_mode %q; want \"valid\" or \"same\"", mode)
	}
	unbatched := len(x.shape) == 3
	n, xs := 1, x.shape
	if !unbatched {
		n, xs = x.shape[0], x.shape[1:]
	}
	ch, oc := xs[0], w.shape[0]
	if ch%groups != 0 || oc%groups != 0 || w.shape[1]*groups != ch {
		return c.errf("input %v, weight %v and groups=%d do not fit", x, w, groups)
	}
	if b != nil && (len(b.shape) != 1 || b.shape[0] != oc) {
		return c.errf("bias %v does not match %d output channels", b, oc)
	}
	var out [2]int
	for i := range 2 {
		out[i] = cpu.ConvOutSize(xs[1+i], ks[i], stride[i], padLo[i], padHi[i], dil[i])
		if out[i] <= 0 || ks[i] <= 0 {
			return c.errf("kernel %v (dilation %v) does not fit the padded input %v", ks, dil, xs)
		}
	}
	p := cpu.ConvParams{N: n, C: ch, H: xs[1], W: xs[2], OC: oc, KH: ks[0], KW: ks[1],
		StrideH: stride[0], StrideW: stride[1], PadH: padLo[0], PadW: padLo[1],
		DilH: dil[0], DilW: dil[1], Groups: groups, OutH: out[0], OutW: out[1]}
	if fused {
		if p.Act, err = c.act(); err != nil {
			return err
		}
	}
	if err := p.Validate(); err != nil && n > 0 {
		return c.errf("%v", err)
	}
	shape := []int{n, oc, out[0], out[1]}
	if unbatched {
		shape = shape[1:]
	}
	if err := c.output(0, Float32, shape); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opConv, &convOp{p: p}
	if c.out[0].n > 0 {
		c.mt.convs = append(c.mt.convs, p)
	}
	return nil
}

func (s *Session) conv(ins *instr, v []buf) {
	p := ins.p.(*convOp)
	if p.p.N == 0 {
		return
	}
	var bias []float32
	if ins.in[2] >= 0 {
		bias = v[ins.in[2]].f32
	}
	cpu.Conv2d(p.p, v[ins.in[0]].f32, v[ins.in[1]].f32, bias, v[ins.out[0]].f32, s.ws32)
}

type linearOp struct {
	rows, k, n int
	packed     *cpu.PackedB // the weight, packed; nil: w is an arena value
	act        cpu.Act
}

func compileLinear(c *cc, fused bool) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	w, err := c.input(1, Float32)
	if err != nil {
		return err
	}
	b, err := c.optInput(2, Float32)
	if err != nil {
		return err
	}
	if len(w.shape) != 2 || len(x.shape) == 0 {
		return c.errf("input %v and weight %v: want a 2-D weight and an input with at least one dimension", x, w)
	}
	out, in := w.shape[0], w.shape[1]
	if x.shape[len(x.shape)-1] != in {
		return c.errf("input %v and weight %v cannot be multiplied", x, w)
	}
	if b != nil && (len(b.shape) != 1 || b.shape[0] != out) {
		return c.errf("bias %v does not match weight %v", b, w)
	}
	shape := append(append([]int{}, x.shape[:len(x.shape)-1]...), out)
	if err := c.output(0, Float32, shape); err != nil {
		return err
	}
	p := &linearOp{rows: format.Numel(x.shape[:len(x.shape)-1]), k: in, n: out}
	if fused {
		if p.act, err = c.act(); err != nil {
			return err
		}
	}
	if w.konst >= 0 && in > 0 && out > 0 {
		if p.packed, err = c.m.packedWeight(w.konst); err != nil {
			return c.errf("weight %v: %v", w, err)
		}
	} else if w.konst >= 0 && c.m.file.Constants[w.konst].Packing != format.PackNone {
		return c.errf("weight %v: an empty packed weight", w)
	}
	c.ins.op, c.ins.p = opLinear, p
	return nil
}

// packedWeight returns constant k, a linear weight [N, K], as a packed GEMM
// operand [K, N]: the file's packed data in place when it was packed for
// this machine's kernel layout, else packed (or repacked) once here.
func (m *Model) packedWeight(k int) (*cpu.PackedB, error) {
	cs := &m.consts[k]
	if cs.packed != nil {
		return cs.packed, nil
	}
	fc := &m.file.Constants[k]
	var err error
	switch fc.Packing {
	case format.PackGemmB:
		if fc.PackedShape[0] != fc.Shape[1] || fc.PackedShape[1] != fc.Shape[0] {
			return nil, errf("packed shape %v is not the transpose of %v", fc.PackedShape, fc.Shape)
		}
		cs.packed, err = cpu.PackedBFrom(fc.PackedKernel, fc.PackedShape[0], fc.PackedShape[1], f32view(cs.b))
	default:
		cs.packed = cpu.PackB(true, fc.Shape[1], fc.Shape[0], f32view(cs.b), fc.Shape[1])
	}
	return cs.packed, err
}

func (s *Session) linear(ins *instr, v []buf) {
	p := ins.p.(*linearOp)
	x, y := v[ins.in[0]].f32, v[ins.out[0]].f32
	var beta float32
	if ins.in[2] >= 0 {
		bias := v[ins.in[2]].f32
		for r := range p.rows {
			copy(y[r*p.n:(r+1)*p.n], bias)
		}
		beta = 1
	} else if p.k == 0 {
		clear(y)
	}
	if p.rows == 0 || p.n == 0 || p.k == 0 {
		return
	}
	if p.packed != nil {
		cpu.SgemmPacked(false, p.rows, 1, x, p.k, p.packed, beta, y, p.n)
	} else {
		cpu.Sgemm(false, true, p.rows, p.n, p.k, 1, x, p.k, v[ins.in[1]].f32, p.k, beta, y, p.n)
	}
	applyAct(p.act, y)
}

// applyAct applies a fused activation after a product, with the kernels
// the unfused relu, relu6 and hardtanh ops use.
func applyAct(a cpu.Act, y []float32) {
	switch a.Kind {
	case cpu.ActReLU:
		cpu.VecReLU(y, y)
	case cpu.ActReLU6:
		cpu.VecClamp(y, y, 0, 6)
	case cpu.ActClamp:
		cpu.VecClamp(y, y, float32(a.Lo), float32(a.Hi))
	}
}

type matmulOp struct {
	m, k, n   int
	batch     int   // matrices in the broadcast batch
	rowsMerge bool  // one GEMM with batch*m rows ([..., m, k] x [k, n])
	offA      []int // per batch matrix: element offset of a and b
	offB      []int
}

func compileMatmul(c *cc) error {
	a, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	b, err := c.input(1, Float32)
	if err != nil {
		return err
	}
	if len(a.shape) == 0 || len(b.shape) == 0 {
		return c.errf("both arguments need at least one dimension, got %v and %v", a, b)
	}
	as, bs := a.shape, b.shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	na, nb := len(as), len(bs)
	m, k, n := as[na-2], as[na-1], bs[nb-1]
	if bs[nb-2] != k {
		return c.errf("%v and %v cannot be multiplied", a, b)
	}
	batch, ok := broadcastShapes(as[:na-2], bs[:nb-2])
	if !ok {
		return c.errf("batch dimensions of %v and %v cannot be broadcast", a, b)
	}
	shape := append([]int{}, batch...)
	if len(a.shape) > 1 {
		shape = append(shape, m)
	}
	if len(b.shape) > 1 {
		shape = append(shape, n)
	}
	if err := c.output(0, Float32, shape); err != nil {
		return err
	}
	p := &matmulOp{m: m, k: k, n: n, batch: format.Numel(batch)}
	if c.out[0].n == 0 {
		p.batch = 0 // nothing to compute (compiled as a no-op)
	}
	if nb == 2 && na > 2 {
		p.rowsMerge = true
	} else {
		// Element offsets of each matrix of the broadcast batch.
		sa := batchStrides(as, batch, m*k)
		sb := batchStrides(bs, batch, k*n)
		idx := make([]int, len(batch))
		oa, ob := 0, 0
		for range p.batch {
			p.offA = append(p.offA, oa)
			p.offB = append(p.offB, ob)
			for d := len(batch) - 1; d >= 0; d-- {
				idx[d]++
				oa += sa[d]
				ob += sb[d]
				if idx[d] < batch[d] {
					break
				}
				oa -= sa[d] * batch[d]
				ob -= sb[d] * batch[d]
				idx[d] = 0
			}
		}
	}
	c.ins.op, c.ins.p = opMatmul, p
	return nil
}

// batchStrides returns the element strides of the batch dimensions of a
// contiguous tensor of shape s (its last two dimensions a matrix of size
// elements) broadcast to batch.
func batchStrides(s, batch []int, size int) []int {
	nb := len(s) - 2
	st := make([]int, len(batch))
	stride := size
	off := len(batch) - nb
	for i := nb - 1; i >= 0; i-- {
		if s[i] != 1 {
			st[off+i] = stride
		}
		stride *= s[i]
	}
	return st
}

func (s *Session) matmul(ins *instr, v []buf) {
	p := ins.p.(*matmulOp)
	a, b, y := v[ins.in[0]].f32, v[ins.in[1]].f32, v[ins.out[0]].f32
	if p.m == 0 || p.n == 0 || p.k == 0 || p.batch == 0 {
		clear(y)
		return
	}
	if p.rowsMerge {
		cpu.Sgemm(false, false, p.batch*p.m, p.n, p.k, 1, a, p.k, b, p.n, 0, y, p.n)
		return
	}
	mn := p.m * p.n
	for i := range p.batch {
		cpu.Sgemm(false, false, p.m, p.n, p.k, 1, a[p.offA[i]:], p.k, b[p.offB[i]:], p.n, 0, y[i*mn:(i+1)*mn], p.n)
	}
}

// poolInput checks a pooling input [C, H, W] or [N, C, H, W] and returns
// its plane count, height and width.
func (c *cc) poolInput(x *val) (planes, h, w int, err error) {
	nd := len(x.shape)
	if nd != 3 && nd != 4 {
		return 0, 0, 0, c.errf("input %v: want [C, H, W] or [N, C, H, W]", x)
	}
	for _, d := range x.shape[nd-3:] {
		if d == 0 {
			return 0, 0, 0, c.errf("input %v: empty channel or spatial dimension", x)
		}
	}
	return format.Numel(x.shape[:nd-2]), x.shape[nd-2], x.shape[nd-1], nil
}

func outShape2(x *val, oh, ow int) []int {
	s := append([]int{}, x.shape...)
	s[len(s)-2], s[len(s)-1] = oh, ow
	return s
}

type poolOp struct {
	g        cpu.Pool2d
	planes   int
	cip      bool
	divisor  int
	adaptive bool
}

// poolGeom reads the window attributes shared by the pools.
func (c *cc) poolGeom(x *val, dilation bool) (cpu.Pool2d, int, error) {
	planes, h, w, err := c.poolInput(x)
	if err != nil {
		return cpu.Pool2d{}, 0, err
	}
	k, err := c.dims2("kernel_size", 1)
	if err != nil {
		return cpu.Pool2d{}, 0, err
	}
	s, err := c.dims2("stride", 1, k[:]...)
	if err != nil {
		return cpu.Pool2d{}, 0, err
	}
	pd, err := c.dims2("padding", 0, 0)
	if err != nil {
		return cpu.Pool2d{}, 0, err
	}
	d := [2]int{1, 1}
	if dilation {
		if d, err = c.dims2("dilation", 1, 1); err != nil {
			return cpu.Pool2d{}, 0, err
		}
	}
	ceil, err := c.attrBool("ceil_mode", false)
	if err != nil {
		return cpu.Pool2d{}, 0, err
	}
	if pd[0] > k[0]/2 || pd[1] > k[1]/2 {
		return cpu.Pool2d{}, 0, c.errf("padding %v must be at most half the kernel size %v", pd, k)
	}
	g := cpu.Pool2d{H: h, W: w, KH: k[0], KW: k[1], SH: s[0], SW: s[1], PH: pd[0], PW: pd[1], DH: d[0], DW: d[1]}
	g.OH = cpu.PoolOutSize(h, k[0], s[0], pd[0], d[0], ceil)
	g.OW = cpu.PoolOutSize(w, k[1], s[1], pd[1], d[1], ceil)
	if g.OH < 1 || g.OW < 1 {
		return cpu.Pool2d{}, 0, c.errf("input %v gives output size %dx%d, which is too small", x, g.OH, g.OW)
	}
	return g, planes, nil
}

func compileMaxPool(c *cc) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	g, planes, err := c.poolGeom(x, true)
	if err != nil {
		return err
	}
	if err := c.output(0, Float32, outShape2(x, g.OH, g.OW)); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opMaxPool, &poolOp{g: g, planes: planes}
	return nil
}

func compileAvgPool(c *cc) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	g, planes, err := c.poolGeom(x, false)
	if err != nil {
		return err
	}
	excl, err := c.attrBool("exclude_pad", false)
	if err != nil {
		return err
	}
	div, err := c.attrInt("divisor_override", 0)
	if err != nil {
		return err
	}
	if div < 0 {
		return c.errf("divisor_override %d is negative", div)
	}
	if err := c.output(0, Float32, outShape2(x, g.OH, g.OW)); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opAvgPool, &poolOp{g: g, planes: planes, cip: !excl, divisor: div}
	return nil
}

func compileAdaptiveAvgPool(c *cc) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	planes, h, w, err := c.poolInput(x)
	if err != nil {
		return err
	}
	oh, err := c.attrInt("out_h", -1)
	if err != nil {
		return err
	}
	ow, err := c.attrInt("out_w", -1)
	if err != nil {
		return err
	}
	if oh < 0 {
		oh = h
	}
	if ow < 0 {
		ow = w
	}
	if oh == 0 || ow == 0 || oh > format.MaxElements/max(ow, 1) {
		return c.errf("output size %dx%d must be positive", oh, ow)
	}
	if err := c.output(0, Float32, outShape2(x, oh, ow)); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opAdaptiveAvgPool, &poolOp{g: cpu.Pool2d{H: h, W: w, OH: oh, OW: ow}, planes: planes, adaptive: true}
	return nil
}

func (s *Session) pool(ins *instr, v []buf) {
	p := ins.p.(*poolOp)
	x, y := v[ins.in[0]].f32, v[ins.out[0]].f32
	switch ins.op {
	case opMaxPool:
		cpu.MaxPool2d(y, nil, x, p.planes, p.g)
	case opAvgPool:
		cpu.AvgPool2d(y, x, p.planes, p.g, p.cip, p.divisor)
	case opAdaptiveAvgPool:
		cpu.AdaptiveAvgPool2d(y, x, p.planes, p.g.H, p.g.W, p.g.OH, p.g.OW)
	}
}

type normOp struct {
	outer, c, inner int // batch norm: [outer, c, inner]
	rows, n         int // layer norm: rows of n
	eps             float64
}

func compileBatchNorm(c *cc) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	if len(x.shape) < 2 {
		return c.errf("input %v: want at least [N, C]", x)
	}
	ch := x.shape[1]
	for i := 1; i < 5; i++ {
		var p *val
		if i <= 2 {
			p, err = c.input(i, Float32)
		} else {
			p, err = c.optInput(i, Float32)
		}
		if err != nil {
			return err
		}
		if p != nil && (len(p.shape) != 1 || p.shape[0] != ch) {
			return c.errf("input %d %v: want [%d]", i, p, ch)
		}
	}
	training, err := c.attrBool("training", false)
	if err != nil {
		return err
	}
	if training {
		return c.errf("training-mode batch norm cannot run here (export the model in evaluation mode)")
	}
	if _, err := c.attrFloat("momentum", 0); err != nil {
		return err
	}
	eps, err := c.attrFloat("eps", 1e-5)
	if err != nil {
		return err
	}
	if err := c.output(0, Float32, x.shape); err != nil {
		return err
	}
	if x.n > 0 {
		c.mt.wsF32 = max(c.mt.wsF32, 2*ch)
	}
	c.ins.op, c.ins.p = opBatchNorm, &normOp{outer: x.shape[0], c: ch, inner: format.Numel(x.shape[2:]), eps: eps}
	return nil
}

func (s *Session) batchNorm(ins *instr, v []buf) {
	p := ins.p.(*normOp)
	mean, vr := v[ins.in[1]].f32, v[ins.in[2]].f32
	var w, b []float32
	if len(ins.in) > 3 && ins.in[3] >= 0 {
		w = v[ins.in[3]].f32
	}
	if len(ins.in) > 4 && ins.in[4] >= 0 {
		b = v[ins.in[4]].f32
	}
	// Fold the statistics into a scale and shift in float64, rounded
	// once, as package tensor does.
	scale, shift := s.ws32[:p.c], s.ws32[p.c:2*p.c]
	for ch := range p.c {
		sc := 1 / math.Sqrt(float64(vr[ch])+p.eps)
		if w != nil {
			sc *= float64(w[ch])
		}
		var sh float64
		if b != nil {
			sh = float64(b[ch])
		}
		sh -= float64(mean[ch]) * sc
		scale[ch], shift[ch] = float32(sc), float32(sh)
	}
	cpu.ChannelAffine(v[ins.out[0]].f32, v[ins.in[0]].f32, scale, shift, p.outer, p.c, p.inner)
}

func compileLayerNorm(c *cc) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	ns, err := c.attrInts("normalized_shape", nil)
	if err != nil {
		return err
	}
	k := len(ns)
	if k == 0 || len(x.shape) < k {
		return c.errf("normalized_shape %v does not fit input %v", ns, x)
	}
	for i, d := range ns {
		if x.shape[len(x.shape)-k+i] != d {
			return c.errf("normalized_shape %v does not match the last dimensions of input %v", ns, x)
		}
	}
	for i := 1; i < 3; i++ {
		p, err := c.optInput(i, Float32)
		if err != nil {
			return err
		}
		if p != nil && !equalInts(p.shape, ns) {
			return c.errf("input %d %v: want shape %v", i, p, ns)
		}
	}
	eps, err := c.attrFloat("eps", 1e-5)
	if err != nil {
		return err
	}
	if err := c.output(0, Float32, x.shape); err != nil {
		return err
	}
	p := &normOp{n: format.Numel(ns), rows: format.Numel(x.shape[:len(x.shape)-k]), eps: eps}
	if x.n > 0 {
		c.mt.wsF64 = max(c.mt.wsF64, 2*p.rows)
	}
	c.ins.op, c.ins.p = opLayerNorm, p
	return nil
}

func (s *Session) layerNorm(ins *instr, v []buf) {
	p := ins.p.(*normOp)
	var w, b []float32
	if len(ins.in) > 1 && ins.in[1] >= 0 {
		w = v[ins.in[1]].f32
	}
	if len(ins.in) > 2 && ins.in[2] >= 0 {
		b = v[ins.in[2]].f32
	}
	cpu.NormalizeRows(v[ins.out[0]].f32, v[ins.in[0]].f32, p.rows, p.n, p.eps, w, b, 1, 1, s.ws64[:p.rows], s.ws64[p.rows:2*p.rows])
}

type softmaxOp struct {
	outer, n, inner int
	log             bool
}

func compileSoftmax(c *cc, log bool) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	dim, err := c.attrInt("dim", -1)
	if err != nil {
		return err
	}
	nd := len(x.shape)
	d, err := c.normDim(dim, max(nd, 1))
	if err != nil {
		return err
	}
	p := &softmaxOp{outer: 1, n: 1, inner: 1, log: log}
	if nd > 0 {
		p.outer, p.n, p.inner = format.Numel(x.shape[:d]), x.shape[d], format.Numel(x.shape[d+1:])
	}
	if err := c.output(0, Float32, x.shape); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opSoftmax, p
	return nil
}

func (s *Session) softmax(ins *instr, v []buf) {
	p := ins.p.(*softmaxOp)
	x, y := v[ins.in[0]].f32, v[ins.out[0]].f32
	switch {
	case p.inner == 1 && p.n > 0 && p.log:
		cpu.VecLogSoftmax(y, x, p.n)
	case p.inner == 1 && p.n > 0:
		cpu.VecSoftmax(y, x, p.n)
	case p.log:
		cpu.LogSoftmax(y, x, p.outer, p.n, p.inner)
	default:
		cpu.Softmax(y, x, p.outer, p.n, p.inner)
	}
}

type embeddingOp struct {
	num, dim, count int
}

func compileEmbedding(c *cc) error {
	idx, err := c.input(0, Int64, Int32)
	if err != nil {
		return err
	}
	w, err := c.input(1, Float32)
	if err != nil {
		return err
	}
	if len(w.shape) != 2 {
		return c.errf("weight %v: want [num, dim]", w)
	}
	if len(idx.shape) >= format.MaxRank {
		return c.errf("indices %v: rank too large", idx)
	}
	pad, err := c.attrInt("padding_idx", -1)
	if err != nil {
		return err
	}
	if pad >= w.shape[0] {
		return c.errf("padding_idx %d out of range for %d embeddings", pad, w.shape[0])
	}
	if err := c.output(0, Float32, append(append([]int{}, idx.shape...), w.shape[1])); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opEmbedding, &embeddingOp{num: w.shape[0], dim: w.shape[1], count: idx.n}
	return nil
}

func (s *Session) embedding(ins *instr, v []buf) error {
	p := ins.p.(*embeddingOp)
	ib, w, y := v[ins.in[0]], v[ins.in[1]].f32, v[ins.out[0]].f32
	for k := range p.count {
		var i int64
		if ib.i64 != nil {
			i = ib.i64[k]
		} else {
			i = int64(ib.i32[k])
		}
		if i < 0 || i >= int64(p.num) {
			return indexError(i, p.num)
		}
		copy(y[k*p.dim:(k+1)*p.dim], w[int(i)*p.dim:(int(i)+1)*p.dim])
	}
	return nil
}
