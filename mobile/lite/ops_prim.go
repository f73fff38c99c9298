package lite

import (
	"errors"
	"fmt"
	"math"
)

// The prim ops: scalar arithmetic, comparisons and logic for control flow,
// on 0-d (one-element) values. Integers are int64, floats float64, as in
// the IR's scalars; a condition for jump_if_false is a bool value. The
// integer division and remainder are Go's (truncating), floordiv rounds
// down, as the IR executor computes them.

type primKind uint8

const (
	primConst   primKind = iota // write a value known at load (size with a dim attribute, dim, numel)
	primSize                    // size of input 0 along the int input 1
	primConvert                 // item, tensor_to_bool, int, float, bool
	primAdd
	primSub
	primMul
	primDiv
	primFloorDiv
	primMod
	primNeg
	primLt
	primLe
	primGt
	primGe
	primEq
	primNe
	primAnd
	primOr
	primNot
)

type primOp struct {
	kind  primKind
	konst int64
	shape []int // primSize: the input's shape
}

var errDivZero = errors.New("integer division by zero")

func init() {
	reg := func(name string, minIn, maxIn int, attrs []string, f func(c *cc) error) {
		register("prim."+name, &opDef{version: 1, attrs: attrs, minIn: minIn, maxIn: maxIn, nOut: 1, compile: f})
	}
	reg("size", 1, 2, []string{"dim"}, compilePrimSize)
	reg("dim", 1, 1, nil, func(c *cc) error {
		x, err := c.input(0)
		if err != nil {
			return err
		}
		return c.primConst(int64(len(x.shape)))
	})
	reg("numel", 1, 1, nil, func(c *cc) error {
		x, err := c.input(0)
		if err != nil {
			return err
		}
		return c.primConst(int64(x.n))
	})
	for name, dt := range map[string]DType{"item": 0, "tensor_to_bool": Bool, "int": Int64, "float": Float64, "bool": Bool} {
		reg(name, 1, 1, nil, func(c *cc) error { return compileConvert(c, name, dt) })
	}
	arith := map[string]primKind{"add": primAdd, "sub": primSub, "mul": primMul, "div": primDiv, "floordiv": primFloorDiv, "mod": primMod}
	for name, k := range arith {
		reg(name, 2, 2, nil, func(c *cc) error { return compilePrimBinary(c, k, []DType{Int64, Float64}, false) })
	}
	cmp := map[string]primKind{"lt": primLt, "le": primLe, "gt": primGt, "ge": primGe}
	for name, k := range cmp {
		reg(name, 2, 2, nil, func(c *cc) error { return compilePrimBinary(c, k, []DType{Int64, Float64}, true) })
	}
	for name, k := range map[string]primKind{"eq": primEq, "ne": primNe} {
		reg(name, 2, 2, nil, func(c *cc) error { return compilePrimBinary(c, k, []DType{Int64, Float64, Bool}, true) })
	}
	for name, k := range map[string]primKind{"and": primAnd, "or": primOr} {
		reg(name, 2, 2, nil, func(c *cc) error { return compilePrimBinary(c, k, []DType{Bool}, true) })
	}
	reg("not", 1, 1, nil, func(c *cc) error { return compilePrimUnary(c, primNot, Bool) })
	reg("neg", 1, 1, nil, func(c *cc) error {
		x, err := c.input(0, Int64, Float64)
		if err != nil {
			return err
		}
		return compilePrimUnary(c, primNeg, x.dt)
	})
}

// scalarOut checks that output 0 is a one-element value of dtype dt.
func (c *cc) scalarOut(dt DType) error {
	o := c.out[0]
	if o.dt != dt || o.n != 1 {
		return c.errf("output %v: want a %v scalar", o, dt)
	}
	return nil
}

// scalarIn returns input i, which must hold one element of one of dts.
func (c *cc) scalarIn(i int, dts ...DType) (*val, error) {
	x, err := c.input(i, dts...)
	if err != nil {
		return nil, err
	}
	if x.n != 1 {
		return nil, c.errf("input %d %v: want a scalar", i, x)
	}
	return x, nil
}

func (c *cc) primConst(v int64) error {
	if err := c.scalarOut(Int64); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opPrim, &primOp{kind: primConst, konst: v}
	return nil
}

func compilePrimSize(c *cc) error {
	x, err := c.input(0)
	if err != nil {
		return err
	}
	if len(c.in) == 2 && c.in[1] != nil {
		if _, err := c.scalarIn(1, Int64); err != nil {
			return err
		}
		if c.fi.Attr("dim") != nil {
			return c.errf("a dim input and a dim attribute")
		}
		if err := c.scalarOut(Int64); err != nil {
			return err
		}
		c.ins.op, c.ins.p = opPrim, &primOp{kind: primSize, shape: x.shape}
		return nil
	}
	if c.attr("dim") == nil {
		return c.errf("needs a dim")
	}
	d, err := c.attrInt("dim", 0)
	if err != nil {
		return err
	}
	if d, err = c.normDim(d, len(x.shape)); err != nil {
		return err
	}
	if len(x.shape) == 0 {
		return c.errf("a 0-d tensor has no size")
	}
	return c.primConst(int64(x.shape[d]))
}

// scalarDTypes are the dtypes the conversions read and write.
var scalarDTypes = []DType{Int64, Int32, Int8, UInt8, Float64, Float32, Bool}

func compileConvert(c *cc, name string, dt DType) error {
	if _, err := c.scalarIn(0, scalarDTypes...); err != nil {
		return err
	}
	if name == "item" {
		dt = c.out[0].dt
		if !containsDType(scalarDTypes, dt) {
			return c.errf("output %v: dtype not supported", c.out[0])
		}
	}
	if err := c.scalarOut(dt); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opPrim, &primOp{kind: primConvert}
	return nil
}

func containsDType(s []DType, d DType) bool {
	for _, x := range s {
		if x == d {
			return true
		}
	}
	return false
}

func compilePrimBinary(c *cc, k primKind, dts []DType, boolOut bool) error {
	a, err := c.scalarIn(0, dts...)
	if err != nil {
		return err
	}
	if _, err := c.scalarIn(1, a.dt); err != nil {
		return err
	}
	out := a.dt
	if boolOut {
		out = Bool
	}
	if err := c.scalarOut(out); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opPrim, &primOp{kind: k}
	return nil
}

func compilePrimUnary(c *cc, k primKind, dt DType) error {
	if _, err := c.scalarIn(0, dt); err != nil {
		return err
	}
	if err := c.scalarOut(dt); err != nil {
		return err
	}
	c.ins.op, c.ins.p = opPrim, &primOp{kind: k}
	return nil
}

// scalar is a one-element value read as an integer or a float.
type scalar struct {
	i       int64
	f       float64
	isFloat bool
}

func loadScalar(b buf, dt DType) scalar {
	switch dt {
	case Float32:
		return scalar{f: float64(b.f32[0]), isFloat: true}
	case Float64:
		return scalar{f: b.f64[0], isFloat: true}
	case Int64:
		return scalar{i: b.i64[0]}
	case Int32:
		return scalar{i: int64(b.i32[0])}
	case Int8:
		return scalar{i: int64(int8(b.b[0]))}
	case UInt8:
		return scalar{i: int64(b.b[0])}
	case Bool:
		if b.b[0] != 0 {
			return scalar{i: 1}
		}
	}
	return scalar{}
}

func (s scalar) float() float64 {
	if s.isFloat {
		return s.f
	}
	return float64(s.i)
}

func (s scalar) int() int64 {
	if s.isFloat {
		if math.IsNaN(s.f) {
			return 0
		}
		return int64(s.f)
	}
	return s.i
}

func (s scalar) truth() bool {
	if s.isFloat {
		return s.f != 0
	}
	return s.i != 0
}

func storeScalar(b buf, dt DType, s scalar) {
	switch dt {
	case Float32:
		b.f32[0] = float32(s.float())
	case Float64:
		b.f64[0] = s.float()
	case Int64:
		b.i64[0] = s.int()
	case Int32:
		b.i32[0] = int32(s.int())
	case Int8, UInt8:
		b.b[0] = byte(s.int())
	case Bool:
		b.b[0] = 0
		if s.truth() {
			b.b[0] = 1
		}
	}
}

func boolScalar(v bool) scalar {
	if v {
		return scalar{i: 1}
	}
	return scalar{}
}

func (s *Session) prim(ins *instr, mt *Method, v []buf) error {
	p := ins.p.(*primOp)
	ov := &mt.vals[ins.out[0]]
	out := v[ins.out[0]]
	switch p.kind {
	case primConst:
		out.i64[0] = p.konst
		return nil
	case primSize:
		d := v[ins.in[1]].i64[0]
		n := int64(len(p.shape))
		if d < 0 {
			d += n
		}
		if d < 0 || d >= n {
			return fmt.Errorf("dimension %d out of range for shape %v", v[ins.in[1]].i64[0], p.shape)
		}
		out.i64[0] = int64(p.shape[d])
		return nil
	}
	a := loadScalar(v[ins.in[0]], mt.vals[ins.in[0]].dt)
	var r scalar
	switch p.kind {
	case primConvert:
		r = a
	case primNeg:
		r = scalar{i: -a.i, f: -a.f, isFloat: a.isFloat}
	case primNot:
		r = boolScalar(!a.truth())
	default:
		b := loadScalar(v[ins.in[1]], mt.vals[ins.in[1]].dt)
		var err error
		if r, err = primBinary(p.kind, a, b); err != nil {
			return err
		}
	}
	storeScalar(out, ov.dt, r)
	return nil
}

func primBinary(k primKind, a, b scalar) (scalar, error) {
	if a.isFloat {
		x, y := a.f, b.f
		switch k {
		case primAdd:
			return scalar{f: x + y, isFloat: true}, nil
		case primSub:
			return scalar{f: x - y, isFloat: true}, nil
		case primMul:
			return scalar{f: x * y, isFloat: true}, nil
		case primDiv:
			return scalar{f: x / y, isFloat: true}, nil
		case primFloorDiv:
			return scalar{f: math.Floor(x / y), isFloat: true}, nil
		case primMod:
			return scalar{f: math.Mod(x, y), isFloat: true}, nil
		case primLt:
			return boolScalar(x < y), nil
		case primLe:
			return boolScalar(x <= y), nil
		case primGt:
			return boolScalar(x > y), nil
		case primGe:
			return boolScalar(x >= y), nil
		case primEq:
			return boolScalar(x == y), nil
		case primNe:
			return boolScalar(x != y), nil
		}
		return scalar{}, nil
	}
	x, y := a.i, b.i
	switch k {
	case primAdd:
		return scalar{i: x + y}, nil
	case primSub:
		return scalar{i: x - y}, nil
	case primMul:
		return scalar{i: x * y}, nil
	case primDiv, primMod, primFloorDiv:
		if y == 0 {
			return scalar{}, errDivZero
		}
		switch k {
		case primDiv:
			return scalar{i: x / y}, nil
		case primMod:
			return scalar{i: x % y}, nil
		}
		q := x / y
		if x%y != 0 && (x < 0) != (y < 0) {
			q--
		}
		return scalar{i: q}, nil
	case primLt:
		return boolScalar(x < y), nil
	case primLe:
		return boolScalar(x <= y), nil
	case primGt:
		return boolScalar(x > y), nil
	case primGe:
		return boolScalar(x >= y), nil
	case primEq:
		return boolScalar(x == y), nil
	case primNe:
		return boolScalar(x != y), nil
	case primAnd:
		return boolScalar(x != 0 && y != 0), nil
	case primOr:
		return boolScalar(x != 0 || y != 0), nil
	}
	return scalar{}, nil
}
