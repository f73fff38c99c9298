package lite

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emberml/ember/mobile/format"
)

// val is a value of a compiled method.
type val struct {
	name  string
	dt    DType
	shape []int
	n     int // elements
	size  int // bytes
	konst int // constant index, or -1
	off   int // arena offset in bytes, or -1 for a constant
}

// String describes v for error messages: its name, dtype and shape.
func (v *val) String() string { return fmt.Sprintf("%q (%v %v)", v.name, v.dt, v.shape) }

// opcode is what the run loop switches on.
type opcode uint8

const (
	opNop opcode = iota // an op whose outputs are empty: nothing to compute
	opJump
	opJumpIfFalse
	opMove
	opRaise
	opConv
	opLinear
	opMatmul
	opBinary
	opUnary
	opUnaryFunc
	opFill
	opMaxPool
	opAvgPool
	opAdaptiveAvgPool
	opCopy
	opPermute
	opCat
	opSoftmax
	opBatchNorm
	opLayerNorm
	opMeanDims
	opSumDims
	opEmbedding
	opPrim
)

// instr is one compiled instruction.
type instr struct {
	op     opcode
	target int32
	in     []int32 // value indices; -1 for an absent optional input
	out    []int32
	p      any    // the op's parameters: *convOp, *binaryOp, ...
	name   string // the op's name, for errors
	pos    string
}

// opDef is an op this runtime implements.
type opDef struct {
	version      int
	attrs        []string // the attribute names it accepts
	minIn, maxIn int      // input count; maxIn < 0: any number
	nOut         int
	// alias allows an output to be exactly an input (same arena bytes,
	// dtype and shape): elementwise ops, which read each element before
	// writing it. aliasBytes allows the same bytes whatever the shape: the
	// copies (reshape, flatten, ...), which then do nothing.
	alias, aliasBytes bool
	compile           func(c *cc) error
}

// ops is the op table of this runtime, by name.
var ops = map[string]*opDef{}

func register(name string, d *opDef) {
	if _, dup := ops[name]; dup {
		panic("lite: op registered twice: " + name)
	}
	ops[name] = d
}

// OpInfo describes an op this runtime implements.
type OpInfo struct {
	Name    string
	Version int
	Attrs   []string
}

// Ops lists the ops this runtime implements, sorted by name.
func Ops() []OpInfo {
	out := make([]OpInfo, 0, len(ops))
	for name, d := range ops {
		out = append(out, OpInfo{Name: name, Version: d.version, Attrs: slices.Clone(d.attrs)})
	}
	slices.SortFunc(out, func(a, b OpInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// OpVersion returns the version of the op name this runtime implements
// (it runs files written for that version or older), and whether it has
// the op at all.
func OpVersion(name string) (int, bool) {
	d, ok := ops[name]
	if !ok {
		return 0, false
	}
	return d.version, true
}

// cc is the compilation context of one instruction.
type cc struct {
	m   *Model
	mt  *Method
	fi  *format.Instruction
	pc  int
	op  string
	in  []*val // nil for an absent input
	out []*val
	ins *instr
}

func (c *cc) errf(format string, args ...any) error {
	pos := ""
	if c.fi.Pos != "" {
		pos = " at " + c.fi.Pos
	}
	return fmt.Errorf("lite: method %q: instruction %d (%s%s): %s", c.mt.name, c.pc, c.op, pos, fmt.Sprintf(format, args...))
}

func (c *cc) attr(name string) *format.Attr {
	a := c.fi.Attr(name)
	if a != nil && a.Kind == format.AttrNone {
		return nil
	}
	return a
}

func (c *cc) attrInt(name string, def int) (int, error) {
	a := c.attr(name)
	switch {
	case a == nil:
		return def, nil
	case a.Kind == format.AttrInt || a.Kind == format.AttrBool:
		if a.Int < -1<<40 || a.Int > 1<<40 {
			return 0, c.errf("attribute %s = %d out of range", name, a.Int)
		}
		return int(a.Int), nil
	}
	return 0, c.errf("attribute %s is %v, want int", name, a.Kind)
}

// attrInts reads an int list; an absent, None or empty list gives def, and
// a single int is a list of one (PyTorch's "int or tuple").
func (c *cc) attrInts(name string, def []int) ([]int, error) {
	a := c.attr(name)
	switch {
	case a == nil:
		return def, nil
	case a.Kind == format.AttrInt:
		if a.Int < -1<<40 || a.Int > 1<<40 {
			return nil, c.errf("attribute %s = %d out of range", name, a.Int)
		}
		return []int{int(a.Int)}, nil
	case a.Kind == format.AttrInts:
		if len(a.Ints) == 0 {
			return def, nil
		}
		if len(a.Ints) > format.MaxRank {
			return nil, c.errf("attribute %s has %d values", name, len(a.Ints))
		}
		out := make([]int, len(a.Ints))
		for i, v := range a.Ints {
			if v < -1<<40 || v > 1<<40 {
				return nil, c.errf("attribute %s = %v out of range", name, a.Ints)
			}
			out[i] = int(v)
		}
		return out, nil
	}
	return nil, c.errf("attribute %s is %v, want ints", name, a.Kind)
}

func (c *cc) attrFloat(name string, def float64) (float64, error) {
	a := c.attr(name)
	switch {
	case a == nil:
		return def, nil
	case a.Kind == format.AttrFloat:
		return a.Float, nil
	case a.Kind == format.AttrInt:
		return float64(a.Int), nil
	}
	return 0, c.errf("attribute %s is %v, want float", name, a.Kind)
}

func (c *cc) attrBool(name string, def bool) (bool, error) {
	a := c.attr(name)
	switch {
	case a == nil:
		return def, nil
	case a.Kind == format.AttrBool || a.Kind == format.AttrInt && (a.Int == 0 || a.Int == 1):
		return a.Int != 0, nil
	}
	return false, c.errf("attribute %s is %v, want bool", name, a.Kind)
}

func (c *cc) attrStr(name, def string) (string, error) {
	a := c.attr(name)
	switch {
	case a == nil:
		return def, nil
	case a.Kind == format.AttrString:
		return a.Str, nil
	}
	return "", c.errf("attribute %s is %v, want string", name, a.Kind)
}

// input returns input i, which must be present and of one of dts (any
// dtype when none is given).
func (c *cc) input(i int, dts ...DType) (*val, error) {
	if i >= len(c.in) || c.in[i] == nil {
		return nil, c.errf("input %d is missing", i)
	}
	v := c.in[i]
	if len(dts) > 0 && !slices.Contains(dts, v.dt) {
		return nil, c.errf("input %d %v: dtype %v not supported (want %v)", i, v, v.dt, dts)
	}
	return v, nil
}

// optInput returns input i, or nil when it is absent.
func (c *cc) optInput(i int, dts ...DType) (*val, error) {
	if i >= len(c.in) || c.in[i] == nil {
		return nil, nil
	}
	return c.input(i, dts...)
}

// output checks that output i is a dt tensor of the given shape.
func (c *cc) output(i int, dt DType, shape []int) error {
	o := c.out[i]
	if o.dt != dt || !slices.Equal(o.shape, shape) {
		return c.errf("output %d %v: the op computes %v %v", i, o, dt, shape)
	}
	return nil
}

// normDim resolves a possibly negative dimension of a rank-n tensor, as
// package tensor does.
func (c *cc) normDim(d, n int) (int, error) {
	if d < -n || d >= n || (n == 0 && d != 0 && d != -1) {
		return 0, c.errf("dimension %d out of range for a tensor of %d dimensions", d, n)
	}
	if d < 0 {
		d += n
	}
	return d, nil
}

// compile builds method i of m's file.
func compile(m *Model, i int) (*Method, error) {
	fm := &m.file.Methods[i]
	mt := &Method{model: m, name: fm.Name, index: i, arena: fm.ArenaSize}
	mt.vals = make([]val, len(fm.Values))
	for j := range fm.Values {
		fv := &fm.Values[j]
		n := format.Numel(fv.Shape)
		v := val{name: fv.Name, dt: fv.DType, shape: fv.Shape, n: n, size: n * fv.DType.Size(), konst: fv.Constant, off: int(fv.ArenaOffset)}
		if v.name == "" {
			v.name = fmt.Sprintf("%%%d", j)
		}
		mt.vals[j] = v
	}
	info := func(idx []int) ([]int32, []TensorInfo) {
		is := make([]int32, len(idx))
		ts := make([]TensorInfo, len(idx))
		for k, v := range idx {
			is[k] = int32(v)
			vv := &mt.vals[v]
			ts[k] = TensorInfo{Name: vv.name, DType: vv.dt, Shape: vv.shape}
		}
		return is, ts
	}
	mt.inputs, mt.in = info(fm.Inputs)
	mt.outputs, mt.out = info(fm.Outputs)
	for _, v := range fm.Outputs {
		if err := m.denseConstant(&mt.vals[v], false); err != nil {
			return nil, fmt.Errorf("lite: method %q: output %v: %w", mt.name, &mt.vals[v], err)
		}
	}
	mt.code = make([]instr, len(fm.Instructions))
	for pc := range fm.Instructions {
		c := &cc{m: m, mt: mt, fi: &fm.Instructions[pc], pc: pc, ins: &mt.code[pc]}
		if err := c.compile(); err != nil {
			return nil, err
		}
	}
	// The scratch memory a session will allocate for the method is bounded
	// like its arena.
	scratch := int64(mt.wsF32)*4 + int64(mt.wsF64)*8 + int64(mt.wsBytes)
	for _, p := range mt.convs {
		scratch = max(scratch, int64(p.WorkspaceSize())*4)
	}
	if scratch > m.opts.MaxArenaBytes {
		return nil, fmt.Errorf("lite: method %q needs %d bytes of scratch memory, more than the limit of %d", mt.name, scratch, m.opts.MaxArenaBytes)
	}
	return mt, nil
}

func idx32(v []int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// denseConstant refuses a value that reads a constant whose data is not
// its plain elements (sparse; or packed, unless packed is allowed: the
// weight of a linear op).
func (m *Model) denseConstant(v *val, packed bool) error {
	if v.konst < 0 {
		return nil
	}
	fc := &m.file.Constants[v.konst]
	if fc.Sparse != nil && fc.Sparse.Format != format.SparseDense {
		return errors.New("sparse constants are not supported by this runtime")
	}
	if fc.Packing != format.PackNone && !packed {
		return errors.New("a packed constant can only be the weight of a linear op")
	}
	return nil
}

func (c *cc) compile() error {
	fi, ins := c.fi, c.ins
	ins.in, ins.out, ins.target, ins.pos = idx32(fi.Inputs), idx32(fi.Outputs), int32(fi.Target), fi.Pos
	c.in = make([]*val, len(fi.Inputs))
	for i, v := range fi.Inputs {
		if v >= 0 {
			c.in[i] = &c.mt.vals[v]
		}
	}
	for i, v := range c.in {
		if v == nil {
			continue
		}
		linearWeight := fi.Kind == format.InstrOp && i == 1 && strings.HasPrefix(c.m.file.OpCodes[fi.Op].Name, "linear")
		if err := c.m.denseConstant(v, linearWeight); err != nil {
			return fmt.Errorf("lite: method %q: instruction %d: input %d %v: %w", c.mt.name, c.pc, i, v, err)
		}
	}
	c.out = make([]*val, len(fi.Outputs))
	for i, v := range fi.Outputs {
		c.out[i] = &c.mt.vals[v]
	}
	switch fi.Kind {
	case format.InstrJump:
		c.op, ins.op, ins.name = "jump", opJump, "jump"
		return nil
	case format.InstrJumpIfFalse:
		c.op, ins.op, ins.name = "jump_if_false", opJumpIfFalse, "jump_if_false"
		return nil
	case format.InstrMove:
		c.op, ins.op, ins.name = "move", opMove, "move"
		return c.compileMove()
	case format.InstrRaise:
		c.op, ins.op, ins.name = "raise", opRaise, "raise"
		msg := "raise"
		if a := fi.Attr("msg"); a != nil && a.Kind == format.AttrString {
			msg = a.Str
		}
		ins.p = &raiseOp{msg: msg}
		return nil
	}
	oc := c.m.file.OpCodes[fi.Op]
	c.op, ins.name = oc.Name, oc.Name
	d := ops[oc.Name]
	if len(fi.Inputs) < d.minIn || d.maxIn >= 0 && len(fi.Inputs) > d.maxIn {
		if d.minIn == d.maxIn {
			return c.errf("%d inputs, want %d", len(fi.Inputs), d.minIn)
		}
		return c.errf("%d inputs, want %d to %d", len(fi.Inputs), d.minIn, d.maxIn)
	}
	if len(fi.Outputs) != d.nOut {
		return c.errf("%d outputs, want %d", len(fi.Outputs), d.nOut)
	}
	// Absent trailing optional inputs read as absent (-1) at run time.
	for d.maxIn > len(c.in) {
		c.in = append(c.in, nil)
		ins.in = append(ins.in, -1)
	}
	for _, a := range fi.Attrs {
		if !slices.Contains(d.attrs, a.Name) {
			return c.errf("unknown attribute %q (the op takes %s)", a.Name, strings.Join(d.attrs, ", "))
		}
	}
	if err := d.compile(c); err != nil {
		return err
	}
	empty := true
	for _, o := range c.out {
		empty = empty && o.n == 0
	}
	if empty {
		// Checked, but nothing to compute (and no kernel needs to see
		// empty shapes whose other dimensions may be huge).
		ins.op, ins.p = opNop, nil
	}
	return c.checkOverlap(d.alias, d.aliasBytes)
}

// overlaps reports whether two values share arena bytes.
func overlaps(a, b *val) bool {
	if a.konst >= 0 || b.konst >= 0 || a.size == 0 || b.size == 0 {
		return false
	}
	return a.off < b.off+b.size && b.off < a.off+a.size
}

// checkOverlap refuses outputs that share bytes with each other or with an
// input, except an output that is exactly an input of the same dtype and
// shape for ops that allow it (elementwise ops and copies).
func (c *cc) checkOverlap(alias, aliasBytes bool) error {
	for i, o := range c.out {
		for j := range i {
			if overlaps(o, c.out[j]) {
				return c.errf("outputs %d and %d overlap in the arena", j, i)
			}
		}
		for j, in := range c.in {
			if in == nil || !overlaps(o, in) {
				continue
			}
			if alias && in.off == o.off && in.size == o.size && in.dt == o.dt && slices.Equal(in.shape, o.shape) {
				continue
			}
			if aliasBytes && in.off == o.off && in.size == o.size {
				continue
			}
			return c.errf("output %d %v overlaps input %d %v in the arena", i, o, j, in)
		}
	}
	return nil
}

// moveOp is a Move: staged when an output overlaps another pair's input,
// so that the copies go through scratch memory as one parallel assignment.
type moveOp struct {
	staged bool
}

func (c *cc) compileMove() error {
	p := &moveOp{}
	total := 0
	for i, o := range c.out {
		for j := range i {
			if overlaps(o, c.out[j]) {
				return c.errf("outputs %d and %d overlap in the arena", j, i)
			}
		}
		for j, in := range c.in {
			if j != i && overlaps(o, in) {
				p.staged = true
			}
		}
		if in := c.in[i]; overlaps(o, in) && in.off != o.off {
			p.staged = true
		}
		total += o.size
	}
	if p.staged {
		c.mt.wsBytes = max(c.mt.wsBytes, total)
	}
	c.ins.p = p
	return nil
}

type raiseOp struct{ msg string }
