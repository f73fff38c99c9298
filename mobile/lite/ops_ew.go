package lite

import (
	"math"

	"github.com/emberml/ember/accel/cpu"
)

// The elementwise ops: arithmetic with broadcasting, arithmetic with a
// scalar, activations. Float32, on the kernels package tensor uses for
// contiguous float32 tensors.

func init() {
	bin := func(op cpu.BinOp, relu bool) func(c *cc) error {
		return func(c *cc) error { return compileBinary(c, op, relu) }
	}
	register("add", &opDef{version: 1, minIn: 2, maxIn: 2, nOut: 1, alias: true, compile: bin(cpu.BinAdd, false)})
	register("sub", &opDef{version: 1, minIn: 2, maxIn: 2, nOut: 1, alias: true, compile: bin(cpu.BinSub, false)})
	register("mul", &opDef{version: 1, minIn: 2, maxIn: 2, nOut: 1, alias: true, compile: bin(cpu.BinMul, false)})
	register("div", &opDef{version: 1, minIn: 2, maxIn: 2, nOut: 1, alias: true, compile: bin(cpu.BinDiv, false)})
	register("add_relu", &opDef{version: 1, minIn: 2, maxIn: 2, nOut: 1, alias: true, compile: bin(cpu.BinAdd, true)})
	scalar := func(op cpu.BinOp) func(c *cc) error {
		return func(c *cc) error { return compileScalar(c, op) }
	}
	for name, op := range map[string]cpu.BinOp{"add_scalar": cpu.BinAdd, "sub_scalar": cpu.BinSub, "mul_scalar": cpu.BinMul, "div_scalar": cpu.BinDiv} {
		register(name, &opDef{version: 1, attrs: []string{"s"}, minIn: 1, maxIn: 1, nOut: 1, alias: true, compile: scalar(op)})
	}
	vec := func(f func(dst, src []float32)) func(c *cc) error {
		return func(c *cc) error { return compileUnary(c, &unaryOp{vec: f}) }
	}
	un := func(name string, attrs []string, f func(c *cc) error) {
		register(name, &opDef{version: 1, attrs: attrs, minIn: 1, maxIn: 1, nOut: 1, alias: true, compile: f})
	}
	un("relu", nil, vec(cpu.VecReLU))
	un("sigmoid", nil, vec(cpu.VecSigmoid))
	un("tanh", nil, vec(cpu.VecTanh))
	un("silu", nil, vec(cpu.VecSiLU))
	un("relu6", nil, func(c *cc) error { return compileUnary(c, &unaryOp{clamp: true, lo: 0, hi: 6}) })
	clamp := func(c *cc) error {
		lo, err := c.attrFloat("lo", -1)
		if err != nil {
			return err
		}
		hi, err := c.attrFloat("hi", 1)
		if err != nil {
			return err
		}
		if math.IsNaN(lo) || math.IsNaN(hi) {
			return compileUnary(c, &unaryOp{nan: true})
		}
		return compileUnary(c, &unaryOp{clamp: true, lo: float32(lo), hi: float32(hi)})
	}
	un("hardtanh", []string{"lo", "hi"}, clamp)
	un("clamp", []string{"lo", "hi"}, clamp)
	un("gelu", []string{"approximate"}, func(c *cc) error {
		a, err := c.attrStr("approximate", "none")
		if err != nil {
			return err
		}
		switch a {
		case "none", "":
			return compileUnary(c, &unaryOp{vec: cpu.VecGELU})
		case "tanh":
			return compileUnary(c, &unaryOp{vec: cpu.VecGELUTanh})
		}
		return c.errf("approximate must be \"none\" or \"tanh\", got %q", a)
	})
	fn := func(f func(x, a float64) float64, attr string, def float64) func(c *cc) error {
		return func(c *cc) error {
			a := def
			if attr != "" {
				var err error
				if a, err = c.attrFloat(attr, def); err != nil {
					return err
				}
			}
			return compileUnary(c, &unaryOp{fn: f, arg: a})
		}
	}
	un("hardswish", nil, fn(func(x, _ float64) float64 { return cpu.Hardswish(x) }, "", 0))
	un("hardsigmoid", nil, fn(func(x, _ float64) float64 { return cpu.Hardsigmoid(x) }, "", 0))
	un("leaky_relu", []string{"slope"}, fn(cpu.LeakyReLU, "slope", 0.01))
	un("elu", []string{"alpha"}, fn(cpu.ELU, "alpha", 1))
}

// broadcastShapes returns the broadcast of shapes a and b, as PyTorch's.
func broadcastShapes(a, b []int) ([]int, bool) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// contiguousStrides returns the row-major strides of shape.
func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// broadcastView returns the view of a contiguous tensor of shape s read as
// shape out (which s broadcasts to): zero strides on broadcast dimensions.
func broadcastView(s, out []int) cpu.View {
	st := make([]int, len(out))
	cs := contiguousStrides(s)
	off := len(out) - len(s)
	for i := range s {
		if s[i] != 1 || out[off+i] == 1 {
			st[off+i] = cs[i]
		}
	}
	return cpu.View{Strides: st}
}

type binaryOp struct {
	op         cpu.BinOp
	shape      []int
	dv, av, bv cpu.View
	scalar     []float32 // the second operand of a scalar op
	relu       bool
}

func compileBinary(c *cc, op cpu.BinOp, relu bool) error {
	a, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	b, err := c.input(1, Float32)
	if err != nil {
		return err
	}
	shape, ok := broadcastShapes(a.shape, b.shape)
	if !ok {
		return c.errf("shapes %v and %v cannot be broadcast", a.shape, b.shape)
	}
	if err := c.output(0, Float32, shape); err != nil {
		return err
	}
	c.ins.op = opBinary
	c.ins.p = &binaryOp{op: op, shape: shape, relu: relu, dv: cpu.View{Strides: contiguousStrides(shape)},
		av: broadcastView(a.shape, shape), bv: broadcastView(b.shape, shape)}
	return nil
}

func compileScalar(c *cc, op cpu.BinOp) error {
	a, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	s, err := c.attrFloat("s", 0)
	if err != nil {
		return err
	}
	if err := c.output(0, Float32, a.shape); err != nil {
		return err
	}
	st := contiguousStrides(a.shape)
	c.ins.op = opBinary
	c.ins.p = &binaryOp{op: op, shape: a.shape, dv: cpu.View{Strides: st}, av: cpu.View{Strides: st},
		bv: cpu.View{Strides: make([]int, len(a.shape))}, scalar: []float32{float32(s)}}
	return nil
}

func (s *Session) binary(ins *instr, v []buf) {
	p := ins.p.(*binaryOp)
	y := v[ins.out[0]].f32
	b := p.scalar
	if b == nil {
		b = v[ins.in[1]].f32
	}
	if len(y) == 0 {
		return
	}
	cpu.BinaryF32(p.op, p.shape, y, p.dv, v[ins.in[0]].f32, p.av, b, p.bv)
	if p.relu {
		cpu.VecReLU(y, y)
	}
}

// unaryOp is one of: a Vec kernel, a clamp, a float64 function of the
// element and one parameter (rounded to float32), or NaN everywhere (a
// clamp with a NaN bound).
type unaryOp struct {
	vec    func(dst, src []float32)
	clamp  bool
	lo, hi float32
	fn     func(x, a float64) float64
	arg    float64
	nan    bool
}

func compileUnary(c *cc, p *unaryOp) error {
	x, err := c.input(0, Float32)
	if err != nil {
		return err
	}
	if err := c.output(0, Float32, x.shape); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opUnary, p
	return nil
}

func (s *Session) unary(ins *instr, v []buf) {
	p := ins.p.(*unaryOp)
	x, y := v[ins.in[0]].f32, v[ins.out[0]].f32
	switch {
	case p.vec != nil:
		p.vec(y, x)
	case p.clamp:
		cpu.VecClamp(y, x, p.lo, p.hi)
	case p.fn != nil:
		for i, e := range x {
			y[i] = float32(p.fn(float64(e), p.arg))
		}
	case p.nan:
		nan := float32(math.NaN())
		for i := range y {
			y[i] = nan
		}
	}
}
