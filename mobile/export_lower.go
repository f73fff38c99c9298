package mobile

import (
	"fmt"
	"math"
	"slices"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/tensor"
)

// vtype is the observed type of an IR value: a tensor's dtype and shape,
// a scalar as a 0-d tensor, none, or something the format has no value for.
type vtype struct {
	none  bool
	bad   string // not a tensor or scalar: what it is
	dt    format.DType
	shape []int
}

func (t *vtype) String() string {
	switch {
	case t.none:
		return "none"
	case t.bad != "":
		return t.bad
	}
	return fmt.Sprintf("%v%v", t.dt, t.shape)
}

func (t *vtype) equal(u *vtype) bool {
	return t.none == u.none && t.bad == u.bad && t.dt == u.dt && slices.Equal(t.shape, u.shape)
}

func typeOf(x any) *vtype {
	switch v := x.(type) {
	case nil:
		return &vtype{none: true}
	case *tensor.Tensor:
		if v == nil {
			return &vtype{none: true}
		}
		dt, ok := formatDType(v.DType())
		if !ok {
			return &vtype{bad: "a " + v.DType().String() + " tensor"}
		}
		return &vtype{dt: dt, shape: slices.Clone(v.Shape())}
	case int64:
		return &vtype{dt: format.Int64, shape: []int{}}
	case float64:
		return &vtype{dt: format.Float64, shape: []int{}}
	case bool:
		return &vtype{dt: format.Bool, shape: []int{}}
	}
	return &vtype{bad: fmt.Sprintf("a %T", x)}
}

// lval is a value of the lowered method.
type lval struct {
	name  string
	dt    format.DType
	shape []int
	konst int // constant index, or -1 for an arena value
	// move: the value is written by Move instructions (an if's output, a
	// loop's carried value or counter), possibly several times.
	move bool
}

func (v *lval) bytes() int64 { return int64(format.Numel(v.shape)) * int64(v.dt.Size()) }

// lowerer lowers one method.
type lowerer struct {
	ex     *exporter
	g      *ir.Graph
	types  map[*ir.Value]*vtype
	vals   []lval
	vmap   map[*ir.Value]int // IR value -> lval, or format.NoValue for none
	cvals  map[int]int       // constant -> its lval
	code   []format.Instruction
	inputs []int
	// outs are the method's outputs.
	outs []int
}

func (l *lowerer) errAt(n *ir.Node, format string, args ...any) error {
	e := &ExportError{Method: l.g.Name, Err: fmt.Errorf(format, args...)}
	if n != nil {
		e.Op, e.Pos = n.Op, n.Pos
	}
	return e
}

// describe names a value for errors: the node that defines it, or the
// block parameter it is.
func describe(v *ir.Value) (n *ir.Node, what string) {
	name := v.Name
	if name == "" {
		name = fmt.Sprintf("%%%d", v.ID)
	}
	switch {
	case v.Def != nil:
		return v.Def, fmt.Sprintf("output %d (%s)", slices.Index(v.Def.Outputs, v), name)
	case v.Block != nil && v.Block.Owner != nil:
		return v.Block.Owner, fmt.Sprintf("block parameter %s", name)
	}
	return nil, "input " + name
}

// method exports method g: observes its values on the example inputs,
// lowers it, plans its arena and adds it (and its tests) to the model.
func (ex *exporter) method(g *ir.Graph) error {
	l := &lowerer{ex: ex, g: g, types: map[*ir.Value]*vtype{}, vmap: map[*ir.Value]int{}, cvals: map[int]int{}}
	var obsErr error
	observe := func(v *ir.Value, x any) {
		t := typeOf(x)
		old, ok := l.types[v]
		if !ok {
			l.types[v] = t
			return
		}
		if obsErr == nil && !old.equal(t) {
			n, what := describe(v)
			obsErr = l.errAt(n, "%s is %v in one run and %v in another: a .ember file has static shapes (export one file per shape)", what, old, t)
		}
	}
	var results [][]any
	for k, set := range ex.opts.ExampleInputs {
		args := make([]any, len(set))
		for i, t := range set {
			args[i] = t
		}
		out, err := ex.run.RunObserved(g.Name, observe, args...)
		if err != nil {
			return &ExportError{Method: g.Name, Err: fmt.Errorf("example input set %d: %w", k, err)}
		}
		if obsErr != nil {
			return obsErr
		}
		results = append(results, out)
	}
	if err := l.lower(); err != nil {
		return err
	}
	fmeth, err := l.finish()
	if err != nil {
		return err
	}
	ex.fm.Methods = append(ex.fm.Methods, *fmeth)
	if ex.opts.BundleTests {
		return ex.tests(fmeth, results)
	}
	return nil
}

// tests bundles one test case per example input set.
func (ex *exporter) tests(m *format.Method, results [][]any) error {
	for k, set := range ex.opts.ExampleInputs {
		tc := format.TestCase{Method: m.Name}
		for i, t := range set {
			c, err := ex.valueConstant(fmt.Sprintf("test%d.%s", k, m.Values[m.Inputs[i]].Name), t)
			if err != nil {
				return &ExportError{Method: m.Name, Err: err}
			}
			tc.Inputs = append(tc.Inputs, c)
		}
		scale := 0.0
		for i, x := range results[k] {
			c, err := ex.valueConstant(fmt.Sprintf("test%d.%s", k, m.Values[m.Outputs[i]].Name), x)
			if err != nil {
				return &ExportError{Method: m.Name, Err: err}
			}
			tc.Expected = append(tc.Expected, c)
			scale = max(scale, maxAbs(x))
		}
		switch tol := ex.opts.TestTolerance; {
		case tol > 0:
			tc.Tolerance = tol
		case tol == 0:
			tc.Tolerance = float32(1e-4 * (1 + scale))
		}
		ex.fm.Tests = append(ex.fm.Tests, tc)
	}
	return nil
}

// newVal appends a value and returns its index.
func (l *lowerer) newVal(v lval) int {
	l.vals = append(l.vals, v)
	return len(l.vals) - 1
}

// arenaOf returns a new arena value typed as IR value v was observed.
func (l *lowerer) arenaOf(v *ir.Value) (int, error) {
	t, ok := l.types[v]
	n, what := describe(v)
	if !ok {
		return 0, l.errAt(n, "%s was never computed on the example inputs, so its shape is unknown: give example inputs that run this code, or fix the input shapes so that OptimizeForMobile folds the branch away (jit.ScriptOptions.Inputs)", what)
	}
	if t.none || t.bad != "" {
		return 0, l.errAt(n, "%s is %v: a .ember value is a tensor or a scalar", what, t)
	}
	name := v.Name
	if name == "" {
		name = fmt.Sprintf("%%%d", v.ID)
	}
	return l.newVal(lval{name: name, dt: t.dt, shape: t.shape, konst: format.NoConstant}), nil
}

// constVal returns the value reading constant c.
func (l *lowerer) constVal(c int) int {
	if i, ok := l.cvals[c]; ok {
		return i
	}
	fc := &l.ex.fm.Constants[c]
	i := l.newVal(lval{name: fc.Name, dt: fc.DType, shape: fc.Shape, konst: c})
	l.cvals[c] = i
	return i
}

// use returns the value of IR value v as an instruction input.
func (l *lowerer) use(v *ir.Value, at *ir.Node) (int, error) {
	if v == nil {
		return format.NoValue, nil
	}
	i, ok := l.vmap[v]
	if !ok {
		n, what := describe(v)
		if n == nil {
			n = at
		}
		return 0, l.errAt(n, "%s has no value here", what)
	}
	if i == errValue {
		_, what := describe(v)
		return 0, l.errAt(at, "an input, %s, is %v: a .ember value is a tensor or a scalar", what, l.types[v])
	}
	return i, nil
}

// errValue marks an IR value that has no .ember value (a string, a list):
// an error when an instruction uses it.
const errValue = -2

func (l *lowerer) emit(in format.Instruction) int {
	l.code = append(l.code, in)
	return len(l.code) - 1
}

// lower lowers the method's body.
func (l *lowerer) lower() error {
	for _, p := range l.g.Inputs() {
		i, err := l.arenaOf(p)
		if err != nil {
			return err
		}
		l.vmap[p] = i
		l.inputs = append(l.inputs, i)
	}
	ended, err := l.block(l.g.Body)
	if err != nil {
		return err
	}
	if ended {
		return nil // the method always raises: no outputs are computed
	}
	for _, r := range l.g.Body.Returns {
		i, err := l.use(r, nil)
		if err != nil {
			return err
		}
		if i == format.NoValue {
			return l.errAt(nil, "an output is none")
		}
		l.outs = append(l.outs, i)
	}
	return nil
}

// block lowers the nodes of b; it reports whether b ends in a raise (the
// rest of the block is then unreachable and not lowered).
func (l *lowerer) block(b *ir.Block) (bool, error) {
	for _, n := range b.Nodes {
		if n.Op == ir.OpRaise {
			msg, _ := n.Attrs.Str("msg")
			l.emit(format.Instruction{Kind: format.InstrRaise, Attrs: []format.Attr{format.StringAttr("msg", msg)}, Pos: n.Pos})
			return true, nil
		}
		if err := l.node(n); err != nil {
			return false, err
		}
	}
	return false, nil
}

func (l *lowerer) node(n *ir.Node) error {
	switch n.Op {
	case ir.OpParam:
		name, _ := n.Attrs.Str("name")
		return l.constNode(n, name)
	case ir.OpConstant:
		if name, ok := n.Attrs.Str("tensor"); ok {
			return l.constNode(n, name)
		}
		v := n.Attrs["value"]
		switch {
		case v == nil:
			l.vmap[n.Output()] = format.NoValue
		default:
			c, ok := l.ex.scalarConstant(v)
			if !ok {
				l.vmap[n.Output()] = errValue
				l.types[n.Output()] = typeOf(v)
				return nil
			}
			l.vmap[n.Output()] = l.constVal(c)
		}
		return nil
	case ir.OpIf:
		return l.ifNode(n)
	case ir.OpLoop:
		return l.loopNode(n)
	case ir.OpCall:
		return l.errAt(n, "a call left after inlining")
	}
	return l.opNode(n)
}

func (l *lowerer) constNode(n *ir.Node, name string) error {
	c, err := l.ex.moduleConstant(name)
	if err != nil {
		return l.errAt(n, "%v", err)
	}
	l.vmap[n.Output()] = l.constVal(c)
	return nil
}

// opNode lowers a tensor op or a scalar prim op to an Op instruction.
func (l *lowerer) opNode(n *ir.Node) error {
	liteVersion, ok := lite.OpVersion(n.Op)
	if !ok {
		return l.errAt(n, "the lite runtime does not implement %s", n.Op)
	}
	version := 1
	if !ir.IsPrim(n.Op) {
		def, ok := jit.LookupOp(n.Op)
		if !ok {
			return l.errAt(n, "unknown op %s", n.Op)
		}
		version = max(def.Version, 1)
	}
	if version > liteVersion {
		return l.errAt(n, "op %s version %d: the lite runtime supports up to %d", n.Op, version, liteVersion)
	}
	ins := format.Instruction{Kind: format.InstrOp, Op: l.ex.fm.OpCode(n.Op, version), Pos: n.Pos}
	for _, v := range n.Inputs {
		i, err := l.use(v, n)
		if err != nil {
			return err
		}
		ins.Inputs = append(ins.Inputs, i)
	}
	for _, name := range n.Attrs.Names() {
		if !slices.Contains(liteAttrs[n.Op], name) {
			return l.errAt(n, "attribute %s is not one the lite runtime's %s takes (%v)", name, n.Op, liteAttrs[n.Op])
		}
		a, err := convertAttr(name, n.Attrs[name])
		if err != nil {
			return l.errAt(n, "%v", err)
		}
		ins.Attrs = append(ins.Attrs, a)
	}
	for _, v := range n.Outputs {
		if v == nil {
			return l.errAt(n, "an absent output")
		}
		i, err := l.arenaOf(v)
		if err != nil {
			return err
		}
		l.vmap[v] = i
		ins.Outputs = append(ins.Outputs, i)
	}
	l.emit(ins)
	return nil
}

// convertAttr converts an IR attribute to the format's.
func convertAttr(name string, v any) (format.Attr, error) {
	switch v := v.(type) {
	case nil:
		return format.NoneAttr(name), nil
	case int64:
		return format.IntAttr(name, v), nil
	case float64:
		return format.FloatAttr(name, v), nil
	case bool:
		return format.BoolAttr(name, v), nil
	case string:
		return format.StringAttr(name, v), nil
	case []int64:
		return format.IntsAttr(name, slices.Clone(v)...), nil
	case []float64:
		return format.FloatsAttr(name, slices.Clone(v)...), nil
	case tensor.DType:
		dt, ok := formatDType(v)
		if !ok {
			return format.Attr{}, fmt.Errorf("attribute %s: dtype %v has no .ember dtype", name, v)
		}
		return format.DTypeAttr(name, dt), nil
	}
	return format.Attr{}, fmt.Errorf("attribute %s is a %T", name, v)
}

// moveTo returns a new arena value of the type of lval src for an if's
// output or a loop's carried value, written by Move instructions.
func (l *lowerer) moveTarget(v *ir.Value, at *ir.Node) (int, error) {
	i, err := l.arenaOf(v)
	if err != nil {
		return 0, err
	}
	l.vals[i].move = true
	return i, nil
}

// movePairs returns the pairs of a parallel Move of srcs into dsts,
// leaving out those that are the same value; at names the node for errors.
func (l *lowerer) movePairs(srcs []*ir.Value, dsts []int, at *ir.Node, what string) (in, out []int, err error) {
	for k, s := range srcs {
		i, err := l.use(s, at)
		if err != nil {
			return nil, nil, err
		}
		if i == format.NoValue {
			return nil, nil, l.errAt(at, "%s %d is none", what, k)
		}
		d := dsts[k]
		a, b := &l.vals[i], &l.vals[d]
		if a.dt != b.dt || !slices.Equal(a.shape, b.shape) {
			return nil, nil, l.errAt(at, "%s %d is %v%v here and %v%v elsewhere: a .ember file has static shapes", what, k, a.dt, a.shape, b.dt, b.shape)
		}
		if i != d {
			in, out = append(in, i), append(out, d)
		}
	}
	return in, out, nil
}

// move emits one parallel Move of srcs into dsts (see movePairs).
func (l *lowerer) move(srcs []*ir.Value, dsts []int, at *ir.Node, what string) error {
	in, out, err := l.movePairs(srcs, dsts, at, what)
	if err != nil {
		return err
	}
	if len(in) > 0 {
		l.emit(format.Instruction{Kind: format.InstrMove, Inputs: in, Outputs: out, Pos: at.Pos})
	}
	return nil
}

// ifNode lowers prim.if:
//
//	JumpIfFalse cond, else
//	then...; Move then's results -> outputs; Jump end
//	else: else...; Move else's results -> outputs
//	end:
func (l *lowerer) ifNode(n *ir.Node) error {
	cond, err := l.use(n.Inputs[0], n)
	if err != nil {
		return err
	}
	outs := make([]int, len(n.Outputs))
	for k, v := range n.Outputs {
		if outs[k], err = l.moveTarget(v, n); err != nil {
			return err
		}
	}
	jif := l.emit(format.Instruction{Kind: format.InstrJumpIfFalse, Inputs: []int{cond}, Pos: n.Pos})
	ended, err := l.block(n.Blocks[0])
	if err != nil {
		return err
	}
	if !ended {
		if err := l.move(n.Blocks[0].Returns, outs, n, "the then branch's result"); err != nil {
			return err
		}
	}
	jmp := -1
	if !ended {
		jmp = l.emit(format.Instruction{Kind: format.InstrJump, Pos: n.Pos})
	}
	l.code[jif].Target = len(l.code)
	ended, err = l.block(n.Blocks[1])
	if err != nil {
		return err
	}
	if !ended {
		if err := l.move(n.Blocks[1].Returns, outs, n, "the else branch's result"); err != nil {
			return err
		}
	}
	if jmp >= 0 {
		if len(l.code) == jmp+1 {
			// Nothing in the else branch: no jump over it.
			l.code = l.code[:jmp]
			l.code[jif].Target = jmp
		} else {
			l.code[jmp].Target = len(l.code)
		}
	}
	for k, v := range n.Outputs {
		l.vmap[v] = outs[k]
	}
	return nil
}

// loopNode lowers prim.loop(max_trip_count, cond, carried...) whose body
// takes (i, carried...) and returns (cond, carried...):
//
//	Move (0, cond, carried) -> (i, c, params)
//	head: more = i < max; more = more && c; JumpIfFalse more, exit
//	body...
//	i2 = i + 1
//	Move (body cond, body carried, i2) -> (c, params, i)
//	Jump head
//	exit:
//
// The loop's outputs are the carried parameters' values. The test of the
// trip count is left out when it is the largest int (a while loop), and
// that of the condition when it starts true and the body always returns
// true (a for loop).
func (l *lowerer) loopNode(n *ir.Node) error {
	body := n.Blocks[0]
	maxv, err := l.use(n.Inputs[0], n)
	if err != nil {
		return err
	}
	condIn, err := l.use(n.Inputs[1], n)
	if err != nil {
		return err
	}
	carried := n.Inputs[2:]
	// The counter, the condition and the carried values live in values
	// that Moves write.
	ctr := l.newVal(lval{name: "loop.i", dt: format.Int64, shape: []int{}, konst: format.NoConstant, move: true})
	l.vmap[body.Params[0]] = ctr
	params := make([]int, len(carried))
	for k, c := range carried {
		// A carried value's type is its initial value's; the observed
		// parameters and outputs must agree.
		src, err := l.use(c, n)
		if err != nil {
			return err
		}
		if src == format.NoValue {
			return l.errAt(n, "carried value %d is none", k)
		}
		sv := l.vals[src]
		p := body.Params[k+1]
		t := &vtype{dt: sv.dt, shape: sv.shape}
		for _, o := range []*ir.Value{p, n.Outputs[k]} {
			if ot, ok := l.types[o]; ok && !ot.equal(t) {
				return l.errAt(n, "carried value %d is %v before the loop and %v in it: a .ember file has static shapes", k, t, ot)
			}
		}
		name := p.Name
		if name == "" {
			name = fmt.Sprintf("%%%d", p.ID)
		}
		params[k] = l.newVal(lval{name: name, dt: sv.dt, shape: sv.shape, konst: format.NoConstant, move: true})
		l.vmap[p] = params[k]
	}
	testMax := !l.isConst(maxv, int64(math.MaxInt64))
	testCond := !(l.isConst(condIn, true) && constTrue(body.Returns[0]))
	c := format.NoValue
	var srcs []*ir.Value
	var dsts []int
	zero, _ := l.ex.scalarConstant(int64(0))
	first := format.Instruction{Kind: format.InstrMove, Inputs: []int{l.constVal(zero)}, Outputs: []int{ctr}, Pos: n.Pos}
	if testCond {
		c = l.newVal(lval{name: "loop.cond", dt: format.Bool, shape: []int{}, konst: format.NoConstant, move: true})
		first.Inputs, first.Outputs = append(first.Inputs, condIn), append(first.Outputs, c)
	}
	for k, cv := range carried {
		src, _ := l.use(cv, n)
		first.Inputs, first.Outputs = append(first.Inputs, src), append(first.Outputs, params[k])
	}
	l.emit(first)
	head := len(l.code)
	more := format.NoValue
	if testMax {
		more = l.newVal(lval{name: "loop.more", dt: format.Bool, shape: []int{}, konst: format.NoConstant})
		l.emit(format.Instruction{Kind: format.InstrOp, Op: l.ex.fm.OpCode(ir.OpLt, 1), Inputs: []int{ctr, maxv}, Outputs: []int{more}, Pos: n.Pos})
		if testCond {
			both := l.newVal(lval{name: "loop.more", dt: format.Bool, shape: []int{}, konst: format.NoConstant})
			l.emit(format.Instruction{Kind: format.InstrOp, Op: l.ex.fm.OpCode(ir.OpAnd, 1), Inputs: []int{more, c}, Outputs: []int{both}, Pos: n.Pos})
			more = both
		}
	} else if testCond {
		more = c
	}
	exit := -1
	if more != format.NoValue {
		exit = l.emit(format.Instruction{Kind: format.InstrJumpIfFalse, Inputs: []int{more}, Pos: n.Pos})
	}
	ended, err := l.block(body)
	if err != nil {
		return err
	}
	if !ended {
		one, _ := l.ex.scalarConstant(int64(1))
		next := l.newVal(lval{name: "loop.i", dt: format.Int64, shape: []int{}, konst: format.NoConstant})
		l.emit(format.Instruction{Kind: format.InstrOp, Op: l.ex.fm.OpCode(ir.OpAdd, 1), Inputs: []int{ctr, l.constVal(one)}, Outputs: []int{next}, Pos: n.Pos})
		if testCond {
			srcs, dsts = append(srcs, body.Returns[0]), append(dsts, c)
		}
		srcs, dsts = append(srcs, body.Returns[1:]...), append(dsts, params...)
		in, out, err := l.movePairs(srcs, dsts, n, "loop-carried value")
		if err != nil {
			return err
		}
		l.emit(format.Instruction{Kind: format.InstrMove, Inputs: append(in, next), Outputs: append(out, ctr), Pos: n.Pos})
		l.emit(format.Instruction{Kind: format.InstrJump, Target: head, Pos: n.Pos})
	}
	if exit >= 0 {
		l.code[exit].Target = len(l.code)
	}
	for k, o := range n.Outputs {
		l.vmap[o] = params[k]
	}
	return nil
}

// constTrue reports whether IR value v is the constant true.
func constTrue(v *ir.Value) bool {
	if v == nil || v.Def == nil || v.Def.Op != ir.OpConstant {
		return false
	}
	b, ok := v.Def.Attrs.Bool("value")
	return ok && b
}

// isConst reports whether lval i is a constant holding the scalar x.
func (l *lowerer) isConst(i int, x any) bool {
	if i < 0 || l.vals[i].konst < 0 {
		return false
	}
	c := &l.ex.fm.Constants[l.vals[i].konst]
	if len(c.Shape) != 0 {
		return false
	}
	switch v := x.(type) {
	case int64:
		return c.DType == format.Int64 && string(c.Data) == string(format.Int64Bytes([]int64{v}))
	case bool:
		return c.DType == format.Bool && string(c.Data) == string(format.BoolBytes([]bool{v}))
	}
	return false
}

// finish names the inputs and outputs, plans the arena and returns the
// method.
func (l *lowerer) finish() (*format.Method, error) {
	opts := &l.ex.opts
	if opts.InputNames != nil && len(opts.InputNames) != len(l.inputs) {
		return nil, &ExportError{Method: l.g.Name, Err: fmt.Errorf("%d input names for %d inputs", len(opts.InputNames), len(l.inputs))}
	}
	if opts.OutputNames != nil && len(opts.OutputNames) != len(l.outs) {
		return nil, &ExportError{Method: l.g.Name, Err: fmt.Errorf("%d output names for %d outputs", len(opts.OutputNames), len(l.outs))}
	}
	// Each output gets a value of its own (a copy of an input, a constant
	// or a repeated output), so that outputs have names of their own.
	for k, o := range l.outs {
		if l.vals[o].konst < 0 && !slices.Contains(l.inputs, o) && !slices.Contains(l.outs[:k], o) {
			continue
		}
		v := l.vals[o]
		c := l.newVal(lval{dt: v.dt, shape: v.shape, konst: format.NoConstant})
		def, _ := jit.LookupOp("clone")
		l.emit(format.Instruction{Kind: format.InstrOp, Op: l.ex.fm.OpCode("clone", max(1, def.Version)), Inputs: []int{o}, Outputs: []int{c}})
		l.outs[k] = c
	}
	used := map[string]bool{}
	for k, i := range l.inputs {
		name := l.vals[i].name
		switch {
		case opts.InputNames != nil:
			name = opts.InputNames[k]
		case name == "" || name[0] == '%' || used[name]:
			name = fmt.Sprintf("input%d", k)
		}
		if used[name] {
			return nil, &ExportError{Method: l.g.Name, Err: fmt.Errorf("two inputs named %q", name)}
		}
		used[name] = true
		l.vals[i].name = name
	}
	used = map[string]bool{}
	for k, i := range l.outs {
		name := "output"
		switch {
		case opts.OutputNames != nil:
			name = opts.OutputNames[k]
		case len(l.outs) > 1:
			name = fmt.Sprintf("output%d", k)
		}
		if used[name] {
			return nil, &ExportError{Method: l.g.Name, Err: fmt.Errorf("two outputs named %q", name)}
		}
		used[name] = true
		l.vals[i].name = name
	}
	offsets, size, err := l.plan()
	if err != nil {
		return nil, &ExportError{Method: l.g.Name, Err: err}
	}
	m := &format.Method{Name: l.g.Name, Inputs: l.inputs, Outputs: l.outs, Instructions: l.code, ArenaSize: size}
	for i, v := range l.vals {
		if v.konst >= 0 {
			m.Values = append(m.Values, format.ConstantValue(l.ex.fm, v.konst))
			m.Values[i].Name = v.name
			continue
		}
		m.Values = append(m.Values, format.ArenaValue(v.name, v.dt, v.shape, offsets[i]))
	}
	return m, nil
}
