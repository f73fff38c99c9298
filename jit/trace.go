package jit

import (
	"errors"
	"fmt"
	"log"
	"math"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// TraceOptions are the options of Trace; the zero value is the default.
type TraceOptions struct {
	// Method is the Go method that Trace calls, "Forward" when empty
	// ("ForwardState" traces an LSTM's state outputs too). The IR method is
	// always "forward".
	Method string

	// AllowReads accepts reads of tensor values or shapes by Go code
	// during the trace (Item, At, Data, To*s, Equal, AllClose, Size, Shape,
	// Numel, Set, Backward): the graph bakes in what was read, and each
	// read becomes a warning instead of an error (see ReadError).
	AllowReads bool

	// Warnings receives each warning of the trace: reads accepted with
	// AllowReads, tensors that enter the graph as constants, and layers
	// that read the values of constants. Nil writes them with the standard
	// logger (package log); pass func(string) {} to drop them.
	Warnings func(msg string)

	// DynamicBatch makes dim 0 of every input of rank 1 or more symbolic
	// ("N"), so that the traced module runs other batch sizes, even when
	// layers read sizes during the trace (Linear checking its features).
	// Trace then traces again with dim 0 one larger and fails unless both
	// graphs have the same ops and attributes; it also fails when your
	// code read a shape (accepted by AllowReads), since a branch on the
	// batch size may take the same way for both batches. Without it, dim 0 is symbolic only when nothing read a
	// size or value during the trace (not even a layer's own checks) and
	// that second trace agrees; otherwise the inputs keep their concrete
	// shapes, and the traced module refuses others.
	DynamicBatch bool

	// CheckInputs are more input sets: each is traced too, and its graph
	// must have the same ops and attributes as the example's (shapes are
	// not compared), and the traced module's outputs on it must equal
	// eager's bit for bit. Buffers (running statistics) and the default
	// random generator are restored after the checks.
	CheckInputs [][]*tensor.Tensor
}

// TraceRead is one read of tensor values or shapes by Go code during a
// trace, at one source position.
type TraceRead struct {
	// Kind is the tensor.Tracer read kind: "item", "at", "to_float32s",
	// "to_float64s", "to_int64s", "to_bools", "data", "equal",
	// "all_close", "size", "shape", "numel", "set" or "backward".
	Kind string
	// Pos is "file.go:123" of the Go code that read.
	Pos string
	// Type is the type of the tensor read (of the first read at Pos),
	// "float32[2, 3]".
	Type string
	// Count is how many times Pos read Kind during the trace.
	Count int
	// Library reports a read inside package nn or nn/functional of values
	// computed from the inputs: a layer that computes in Go rather than
	// with tensor ops, whose result the trace would bake in.
	Library bool
}

func (r TraceRead) String() string {
	s := r.Pos + ": " + r.Kind + " of " + r.Type
	if r.Count > 1 {
		s += " (" + strconv.Itoa(r.Count) + " times)"
	}
	if r.Library {
		s += " inside a library layer that computes in Go"
	}
	return s
}

// readAdvice ends the messages about reads.
const readAdvice = "the trace would bake in this value; use jit.Script to keep the decision, or set TraceOptions.AllowReads to accept it"

// ReadError is the error of a trace during which Go code read tensor
// values or shapes to decide something (a branch on x.Size(0), a loop
// bound from Item, ...): a graph records only the ops that ran, so it would
// bake in what was read.
type ReadError struct {
	Reads []TraceRead
}

func (e *ReadError) Error() string {
	var sb strings.Builder
	sb.WriteString("jit.Trace: Go code read tensor values or shapes during the trace:")
	for _, r := range e.Reads {
		sb.WriteString("\n\t" + r.String())
	}
	sb.WriteString("\n" + readAdvice)
	return sb.String()
}

// Trace runs m's Forward method (see TraceOptions.Method) on inputs with a
// tensor.Tracer installed and returns what ran as a Module whose method
// "forward" takes tensors of the inputs' types. Forward may take any
// number of *tensor.Tensor arguments (a final variadic parameter of
// another type gets no arguments) and return one or more *tensor.Tensor,
// or a []*tensor.Tensor.
//
// Each tensor op that ran outside other ops becomes a node with its
// attributes, result types and the source line that called it (the first
// frame outside packages tensor, nn, nn/functional and jit, or else the
// layer's). The parameters and buffers of m become the module's constants
// under their dotted names (nn.NamedParameters, nn.NamedBuffers), shared
// with m, not copied; a tensor that comes from outside the trace (made by
// FromSlice or a Generator, or a captured Go variable) is copied into an
// inline constant, with a warning. An in-place op's result replaces its
// input for later uses. An op that returns its input (Contiguous of a
// contiguous tensor, Dropout in evaluation mode, To the same dtype) still
// gets its node, so that passes see it; the mobile passes remove them.
//
// Tracing records what happened: Go control flow is baked in. So Trace
// fails with a *ReadError when Go code outside packages tensor, nn and jit
// read tensor values or shapes, naming each read's file:line; with
// TraceOptions.AllowReads the reads become warnings. Reads inside nn (a
// layer checking its input's channels, an LSTM looping over the sequence)
// are the layer's business, but a layer that computes its result from the
// values of its inputs in Go is a read too (nn/functional's losses that
// need their targets' values, CrossEntropy with class indices, NLLLoss and
// BCELoss, do not: they are the tensor ops CrossEntropyIndices, NLLLoss
// and BinaryCrossEntropy). The graph's input shapes
// stay concrete unless nothing read a shape or value during the trace (see
// TraceOptions.DynamicBatch), and the traced module refuses inputs of
// other shapes: an LSTM traced on sequences of length 5 runs only those.
//
// Modes are as eager: a module in training mode traces dropout with
// training true and batch norm with batch statistics whose running
// averages update each time the traced module runs, as PyTorch's traced
// modules do; grad mode is left as it is, and running the traced module
// records autograd as eager does. A *Module used inside m (a traced or
// scripted part) is inlined with its control flow, its constants named
// under its path in m.
//
// The tracer is process-wide (see tensor.SetTracer): no other goroutine
// may run tensor ops during Trace, and Traces do not nest.
func Trace(m nn.Module, inputs []*tensor.Tensor, opts ...TraceOptions) (*Module, error) {
	var o TraceOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if m == nil || (reflect.ValueOf(m).Kind() == reflect.Pointer && reflect.ValueOf(m).IsNil()) {
		return nil, errors.New("jit.Trace: the module is nil")
	}
	if o.Method == "" {
		o.Method = "Forward"
	}
	warn := o.Warnings
	if warn == nil {
		warn = func(msg string) { log.Print("jit.Trace: warning: " + msg) }
	}
	run, err := traceOnce(m, o.Method, inputs)
	if err != nil {
		return nil, err
	}
	if len(run.reads) > 0 {
		if !o.AllowReads {
			return nil, &ReadError{Reads: run.reads}
		}
		for _, r := range run.reads {
			warn(r.String() + ": the trace bakes in this value (AllowReads)")
		}
	}
	for _, w := range run.warnings {
		warn(w)
	}
	if o.DynamicBatch {
		// A second trace cannot tell a branch on the batch size from a
		// batch-generic graph when both batches take the same branch.
		for _, r := range run.reads {
			if shapeReads[r.Kind] {
				return nil, fmt.Errorf("jit.Trace: DynamicBatch: Go code read a shape (%s), so the graph may depend on the batch size; use jit.Script", r)
			}
		}
	}
	if o.DynamicBatch || !run.anyRead {
		if err := dynamicBatch(m, o, run, inputs); err != nil {
			return nil, err
		}
	}
	tm, err := NewModule(run.mod)
	if err != nil {
		return nil, fmt.Errorf("jit.Trace: the traced graph does not verify: %w", err)
	}
	if len(o.CheckInputs) > 0 {
		if err := checkInputs(m, o, run, tm); err != nil {
			return nil, err
		}
	}
	return tm, nil
}

// traceRun is the outcome of one trace.
type traceRun struct {
	mod      *ir.Module
	outputs  []*tensor.Tensor // eager's results
	reads    []TraceRead      // the reads that bake decisions
	warnings []string
	anyRead  bool // any read at all, the layers' own checks included
}

// activeTracer is the tracer of the running Trace, nil when none runs:
// Module.Run inlines its graph into it.
var activeTracer atomic.Pointer[tracer]

// traceOnce traces m's method on inputs.
func traceOnce(m nn.Module, method string, inputs []*tensor.Tensor) (run *traceRun, err error) {
	fn := reflect.ValueOf(m).MethodByName(method)
	if !fn.IsValid() {
		return nil, fmt.Errorf("jit.Trace: %T has no method %s", m, method)
	}
	if err := checkSignature(fn.Type(), len(inputs)); err != nil {
		return nil, fmt.Errorf("jit.Trace: %T.%s: %w", m, method, err)
	}
	for i, x := range inputs {
		if x == nil {
			return nil, fmt.Errorf("jit.Trace: input %d is nil", i)
		}
	}
	tr := newTracer(m, inputs)
	if !activeTracer.CompareAndSwap(nil, tr) {
		return nil, errors.New("jit.Trace: another trace is running (traces do not nest)")
	}
	restore := tensor.SetTracer(tr)
	out, perr := callForward(fn, inputs)
	restore()
	activeTracer.Store(nil)
	if perr != nil {
		return nil, fmt.Errorf("jit.Trace: %T.%s: %w", m, method, perr)
	}
	if tr.err != nil {
		return nil, tr.err
	}
	rets := make([]*ir.Value, len(out))
	for i, t := range out {
		if t == nil {
			rets[i] = tr.b.Constant(nil)
			continue
		}
		rets[i] = tr.value(t, "")
	}
	tr.g.Return(rets...)
	return &traceRun{mod: tr.mod, outputs: out, reads: tr.reads, warnings: tr.warnings, anyRead: tr.anyRead}, nil
}

var tensorPtrType = reflect.TypeFor[*tensor.Tensor]()

// checkSignature checks that a method of type t takes n tensors (a final
// variadic parameter of another type gets no arguments) and returns
// tensors.
func checkSignature(t reflect.Type, n int) error {
	fixed := t.NumIn()
	tensorVariadic := false
	if t.IsVariadic() {
		fixed--
		tensorVariadic = t.In(fixed).Elem() == tensorPtrType
	}
	for i := 0; i < fixed; i++ {
		if in := t.In(i); in != tensorPtrType {
			return fmt.Errorf("parameter %d is a %v, not a *tensor.Tensor", i, in)
		}
	}
	if tensorVariadic && n < fixed {
		return fmt.Errorf("takes at least %d tensors, got %d inputs", fixed, n)
	}
	if !tensorVariadic && n != fixed {
		return fmt.Errorf("takes %d tensors, got %d inputs", fixed, n)
	}
	if t.NumOut() == 0 {
		return errors.New("returns nothing")
	}
	if t.NumOut() == 1 && t.Out(0) == tensorSliceType {
		return nil
	}
	for i := 0; i < t.NumOut(); i++ {
		if t.Out(i) != tensorPtrType {
			return fmt.Errorf("result %d is a %v, not a *tensor.Tensor", i, t.Out(i))
		}
	}
	return nil
}

var tensorSliceType = reflect.TypeFor[[]*tensor.Tensor]()

// callForward calls fn on inputs and returns its tensor results; a panic
// becomes an error.
func callForward(fn reflect.Value, inputs []*tensor.Tensor) (out []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	args := make([]reflect.Value, len(inputs))
	for i, x := range inputs {
		args[i] = reflect.ValueOf(x)
	}
	res := fn.Call(args)
	if len(res) == 1 && res[0].Type() == tensorSliceType {
		return res[0].Interface().([]*tensor.Tensor), nil
	}
	for _, r := range res {
		out = append(out, r.Interface().(*tensor.Tensor))
	}
	return out, nil
}

// tracer implements tensor.Tracer: it builds the graph of one trace.
type tracer struct {
	root     nn.Module
	mod      *ir.Module
	g        *ir.Graph
	b        *ir.Builder
	vals     map[*tensor.Tensor]*ir.Value // the current value of each tensor
	dep      map[*ir.Value]bool           // values computed from the inputs
	consts   map[*tensor.Tensor]*ir.Const // module constants by tensor
	paths    map[nn.Module]string         // submodule paths, for inlining
	reads    []TraceRead
	readAt   map[string]int // index in reads by pos and kind
	warnings []string
	warned   map[string]bool
	anyRead  bool
	err      error
}

func newTracer(root nn.Module, inputs []*tensor.Tensor) *tracer {
	mod := ir.NewModule()
	mod.Metadata["producer"] = "ember jit.Trace"
	mod.Metadata["source"] = fmt.Sprintf("%T", root)
	g := mod.NewMethod("forward")
	tr := &tracer{
		root: root, mod: mod, g: g, b: ir.NewBuilder(g.Body),
		vals:   map[*tensor.Tensor]*ir.Value{},
		dep:    map[*ir.Value]bool{},
		consts: map[*tensor.Tensor]*ir.Const{},
		readAt: map[string]int{},
		warned: map[string]bool{},
	}
	for _, p := range nn.NamedParameters(root) {
		tr.addConst(p.Name, ir.Param, p.Tensor)
	}
	for _, p := range nn.NamedBuffers(root) {
		tr.addConst(p.Name, ir.Buffer, p.Tensor)
	}
	for i, x := range inputs {
		name := "x"
		if len(inputs) > 1 {
			name = "x" + strconv.Itoa(i)
		}
		v := g.AddInput(name, ir.TypeOf(x))
		tr.vals[x] = v
		tr.dep[v] = true
	}
	return tr
}

func (tr *tracer) addConst(name string, kind ir.ConstKind, t *tensor.Tensor) {
	if t == nil || tr.consts[t] != nil || tr.mod.Const(name) != nil {
		return
	}
	tr.consts[t] = tr.mod.AddTensor(name, kind, t)
}

// value returns the graph value of t: its current value, a prim.param
// reading the constant it is, or a new inline constant holding a copy.
func (tr *tracer) value(t *tensor.Tensor, pos string) *ir.Value {
	if t == nil {
		return nil
	}
	if v, ok := tr.vals[t]; ok {
		return v
	}
	tr.b.Pos = pos
	if c := tr.consts[t]; c != nil {
		v := tr.b.Param(c)
		tr.vals[t] = v
		return v
	}
	// A tensor from outside the trace: freeze a copy. (Ops run here are
	// not reported: the tracer is inside an op or a read, or no longer
	// installed.)
	restore := tensor.SetGradEnabled(false)
	cp := t.Detach().Clone()
	restore()
	v := tr.b.TensorConstant(tr.mod, cp)
	tr.vals[t] = v
	where := pos
	if where == "" {
		where = "a result"
	}
	name, _ := v.Def.Attrs.Str("tensor")
	tr.warn(where + ": a tensor made outside the trace (by FromSlice, a Generator or a captured variable) enters the graph as the constant " + name + " : " + v.Type.String())
	return v
}

func (tr *tracer) warn(msg string) {
	if !tr.warned[msg] {
		tr.warned[msg] = true
		tr.warnings = append(tr.warnings, msg)
	}
}

// Op records one op (tensor.Tracer).
func (tr *tracer) Op(def *tensor.OpDef, in []*tensor.Tensor, attrs tensor.Attrs, out []*tensor.Tensor) {
	pos := opPos()
	ins := make([]*ir.Value, len(in))
	dep := false
	for i, t := range in {
		ins[i] = tr.value(t, pos)
		if ins[i] != nil && tr.dep[ins[i]] {
			dep = true
		}
	}
	types := make([]ir.Type, len(out))
	for i, o := range out {
		if o == nil {
			types[i] = ir.NoneType()
		} else {
			types[i] = ir.TypeOf(o)
		}
	}
	tr.b.Pos = pos
	n := tr.b.Add(def.Name, ins, ir.Attrs(attrs), types...)
	for i, o := range out {
		if o != nil {
			tr.vals[o] = n.Outputs[i]
			if dep {
				tr.dep[n.Outputs[i]] = true
			}
		}
	}
}

// shapeReads are the read kinds that read shapes, not values.
var shapeReads = map[string]bool{"size": true, "shape": true, "numel": true}

// Read records a read of values or shapes (tensor.Tracer).
func (tr *tracer) Read(kind string, t *tensor.Tensor, pos string) {
	tr.anyRead = true
	lib := readerIsLibrary()
	if lib {
		if shapeReads[kind] {
			return // a layer's own check or bookkeeping
		}
		if v := tr.vals[t]; v == nil || !tr.dep[v] {
			tr.warn(pos + ": a library layer read the values (" + kind + ") of a tensor not computed from the inputs; the graph bakes in what it read")
			return
		}
	}
	key := pos + "\x00" + kind
	if i, ok := tr.readAt[key]; ok {
		tr.reads[i].Count++
		return
	}
	tr.readAt[key] = len(tr.reads)
	tr.reads = append(tr.reads, TraceRead{Kind: kind, Pos: pos, Type: ir.TypeOf(t).String(), Count: 1, Library: lib})
}

// rootDir is the directory of Ember's source (as runtime frames name
// files): frames are told apart by their files, since the names of
// closures inlined into other packages' functions carry those packages'
// names.
var rootDir = func() string {
	_, file, _, _ := runtime.Caller(0)
	return strings.TrimSuffix(file, "/jit/trace.go")
}()

// Where a frame's code lives.
const (
	frameUser   = iota // user code: not in Ember's library packages (tests and models count as user code)
	frameTensor        // package tensor (and below)
	frameNN            // package nn (and below: nn/functional, ...)
	frameJit           // package jit (and below)
	frameSkip          // runtime, reflect and compiler-made wrappers
)

func frameKind(f runtime.Frame) int {
	if f.File == "<autogenerated>" || strings.HasSuffix(f.Function, "-fm") {
		return frameSkip
	}
	if pkg := funcPkg(f.Function); pkg == "runtime" || pkg == "reflect" {
		return frameSkip
	}
	if strings.HasSuffix(f.File, "_test.go") {
		return frameUser
	}
	rel, ok := strings.CutPrefix(f.File, rootDir+"/")
	if !ok {
		return frameUser
	}
	dir := ""
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		dir = rel[:i]
	}
	under := func(p string) bool { return dir == p || strings.HasPrefix(dir, p+"/") }
	switch {
	case under("tensor"):
		return frameTensor
	case under("nn"):
		return frameNN
	case under("jit"):
		return frameJit
	}
	return frameUser
}

// funcPkg returns the import path of the package of a function as
// runtime.Frame.Function names it ("github.com/a/b.(*T).M.func1").
func funcPkg(fn string) string {
	i := strings.LastIndexByte(fn, '/')
	j := strings.IndexByte(fn[i+1:], '.')
	if j < 0 {
		return fn
	}
	return fn[:i+1+j]
}

func framePos(f runtime.Frame) string {
	file := f.File
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		file = file[i+1:]
	}
	return file + ":" + strconv.Itoa(f.Line)
}

// opPos returns the source position of the op being reported: the first
// frame outside packages tensor, nn (and below) and jit, which is the
// user's Forward, or else the first frame outside tensor and jit (an nn
// layer). The walk stops at Trace's own frames.
func opPos() string {
	var pcs [128]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	fallback := ""
	outside := false
	for {
		f, more := frames.Next()
		switch frameKind(f) {
		case frameJit:
			if outside {
				return fallback
			}
		case frameNN:
			outside = true
			if fallback == "" {
				fallback = framePos(f)
			}
		case frameUser:
			if f.Function != "" {
				return framePos(f)
			}
		}
		if !more {
			return fallback
		}
	}
}

// readerIsLibrary reports whether the code that made the read being
// reported, the first frame outside package tensor below the tracer's
// Read, is in package nn (or below it) or jit.
func readerIsLibrary() bool {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	inTensor := false
	for {
		f, more := frames.Next()
		switch k := frameKind(f); {
		case k == frameSkip:
		case k == frameTensor:
			inTensor = true
		case inTensor:
			return k == frameNN || k == frameJit
		}
		if !more {
			return false
		}
	}
}

// runInline runs method of m for Module.Run while a trace is active: it
// runs the graph with no tensor tracer (so that its prim.if and prim.loop
// are not baked) and inserts the graph into the trace.
func (tr *tracer) runInline(m *Module, method string, args []any) ([]any, error) {
	pos := opPos()
	restore := tensor.SetTracer(nil)
	ex := &executor{m: m.ir, consts: m.consts}
	out, err := ex.call(method, args)
	restore()
	if err != nil {
		return nil, err
	}
	if err := tr.inline(m, method, args, out, pos); err != nil && tr.err == nil {
		tr.err = fmt.Errorf("jit.Trace: inlining a jit.Module: %w", err)
	}
	return out, nil
}

// pathOf returns the dotted path of sub in the traced module, or a
// generated prefix when it is not a submodule.
func (tr *tracer) pathOf(sub nn.Module) string {
	if tr.paths == nil {
		tr.paths = map[nn.Module]string{}
		for _, nm := range nn.NamedModules(tr.root) {
			tr.paths[nm.Module] = nm.Name
		}
	}
	if p, ok := tr.paths[sub]; ok {
		return p
	}
	p := "_jit" + strconv.Itoa(len(tr.paths))
	tr.paths[sub] = p
	return p
}

// inline copies method of m, with its calls inlined, into the trace: its
// inputs are the values of args, its constants become the trace's under
// m's path, and the tensors it returned get its returns' values.
func (tr *tracer) inline(m *Module, method string, args, out []any, pos string) error {
	callee := m.ir.Clone()
	if err := ir.InlineCalls(callee); err != nil {
		return err
	}
	g := callee.Method(method)
	if g == nil || len(g.Inputs()) != len(args) || len(g.Body.Returns) != len(out) {
		return fmt.Errorf("method %s does not fit its call", method)
	}
	c := &inliner{tr: tr, callee: callee, prefix: tr.pathOf(m), vm: map[*ir.Value]*ir.Value{}, names: map[string]string{}}
	dep := false
	argOf := map[*ir.Value]int{} // the callee's tensor inputs, by value
	for i, p := range g.Inputs() {
		var v *ir.Value
		if t, ok := args[i].(*tensor.Tensor); ok {
			v = tr.value(t, pos)
			argOf[p] = i
		} else {
			tr.b.Pos = pos
			v = tr.b.Constant(args[i])
		}
		if v == nil {
			return fmt.Errorf("argument %d is a %T", i, args[i])
		}
		dep = dep || tr.dep[v]
		c.vm[p] = v
	}
	for _, n := range g.Body.Nodes {
		cn, err := c.node(n)
		if err != nil {
			return err
		}
		tr.b.Insert(cn)
		// An in-place op on an input changes the caller's tensor.
		if strings.HasSuffix(n.Op, "_") && !ir.IsPrim(n.Op) && len(n.Inputs) > 0 && len(n.Outputs) > 0 {
			if i, ok := argOf[n.Inputs[0]]; ok {
				argOf[n.Outputs[0]] = i
				tr.vals[args[i].(*tensor.Tensor)] = c.vm[n.Outputs[0]]
			}
		}
	}
	for i, r := range g.Body.Returns {
		v := c.vm[r]
		if t, ok := out[i].(*tensor.Tensor); ok && t != nil && v != nil {
			tr.vals[t] = v
			if dep {
				tr.dep[v] = true
			}
		}
	}
	return nil
}

// inliner copies the nodes of a callee into the trace's graph.
type inliner struct {
	tr     *tracer
	callee *ir.Module
	prefix string
	vm     map[*ir.Value]*ir.Value
	names  map[string]string // callee constant name -> trace's
}

func (c *inliner) node(n *ir.Node) (*ir.Node, error) {
	g := c.tr.g
	m := &ir.Node{Op: n.Op, Attrs: n.Attrs.Clone(), Pos: n.Pos}
	attr := "" // the attribute naming a module constant
	switch n.Op {
	case ir.OpParam:
		attr = "name"
	case ir.OpConstant:
		attr = "tensor"
	}
	if name, ok := n.Attrs.Str(attr); ok && attr != "" {
		nm, err := c.constName(name)
		if err != nil {
			return nil, err
		}
		m.Attrs[attr] = nm
	}
	for _, v := range n.Inputs {
		if v == nil {
			m.Inputs = append(m.Inputs, nil)
			continue
		}
		w, ok := c.vm[v]
		if !ok {
			return nil, fmt.Errorf("%s: input not defined", n.Op)
		}
		m.Inputs = append(m.Inputs, w)
	}
	for _, sub := range n.Blocks {
		nb := &ir.Block{Owner: m, Graph: g}
		for _, p := range sub.Params {
			w := g.NewValue(p.Type.Clone())
			w.Name, w.Block = p.Name, nb
			nb.Params = append(nb.Params, w)
			c.vm[p] = w
		}
		for _, sn := range sub.Nodes {
			cn, err := c.node(sn)
			if err != nil {
				return nil, err
			}
			cn.Parent = nb
			nb.Nodes = append(nb.Nodes, cn)
		}
		for _, r := range sub.Returns {
			w, ok := c.vm[r]
			if !ok {
				return nil, fmt.Errorf("%s: block return not defined", n.Op)
			}
			nb.Returns = append(nb.Returns, w)
		}
		m.Blocks = append(m.Blocks, nb)
	}
	for _, v := range n.Outputs {
		w := g.NewValue(v.Type.Clone())
		w.Name, w.Def = v.Name, m
		if n.Op == ir.OpParam {
			w.Name, _ = m.Attrs.Str("name")
		}
		m.Outputs = append(m.Outputs, w)
		c.vm[v] = w
	}
	return m, nil
}

// constName returns the trace's name for the callee's constant name,
// adding the constant to the trace (under the callee's path) the first
// time; a tensor the trace already has keeps its name.
func (c *inliner) constName(name string) (string, error) {
	if nm, ok := c.names[name]; ok {
		return nm, nil
	}
	k := c.callee.Const(name)
	if k == nil {
		return "", fmt.Errorf("no constant %q", name)
	}
	tr := c.tr
	if oc := tr.consts[k.Tensor]; oc != nil && k.Tensor != nil {
		c.names[name] = oc.Name
		return oc.Name, nil
	}
	nm := name
	if c.prefix != "" {
		nm = c.prefix + "." + name
	}
	for i := 1; tr.mod.Const(nm) != nil; i++ {
		nm = c.prefix + "." + name + "." + strconv.Itoa(i)
	}
	oc := tr.mod.AddConst(nm, k.Kind, k.Type.Clone(), k.Tensor)
	if k.Tensor != nil {
		tr.consts[k.Tensor] = oc
	}
	c.names[name] = nm
	return nm, nil
}

// saveState snapshots what a trace of m changes besides its results: the
// buffers among mod's constants (running statistics) and the default
// random generator. The returned function restores them.
func saveState(mod *ir.Module) (restore func()) {
	off := tensor.SetTracer(nil)
	defer off()
	gradOff := tensor.SetGradEnabled(false)
	defer gradOff()
	rng := tensor.DefaultGenerator().State()
	type saved struct{ t, copy *tensor.Tensor }
	var bufs []saved
	for _, c := range mod.Consts {
		if c.Kind == ir.Buffer && c.Tensor != nil {
			bufs = append(bufs, saved{c.Tensor, c.Tensor.Detach().Clone()})
		}
	}
	return func() {
		off := tensor.SetTracer(nil)
		defer off()
		gradOff := tensor.SetGradEnabled(false)
		defer gradOff()
		for _, b := range bufs {
			b.t.Copy_(b.copy)
		}
		_ = tensor.DefaultGenerator().SetState(rng)
	}
}

// dynamicBatch makes dim 0 of the inputs of run symbolic when a second
// trace with dim 0 one larger gives the same graph: the dims that change
// with it become symbolic (or unknown) in every value's type. It fails only
// under TraceOptions.DynamicBatch.
func dynamicBatch(m nn.Module, o TraceOptions, run *traceRun, inputs []*tensor.Tensor) error {
	syms := map[int]string{}
	probe := make([]*tensor.Tensor, len(inputs))
	grown := false
	for i, x := range inputs {
		probe[i] = x
		if x.Dim() == 0 {
			continue
		}
		b := x.Size(0)
		if _, ok := syms[b]; !ok {
			s := "N"
			if len(syms) > 0 {
				s += strconv.Itoa(len(syms))
			}
			syms[b] = s
		}
		probe[i] = growDim0(x)
		grown = true
	}
	if !grown {
		return nil
	}
	restore := saveState(run.mod)
	prun, err := traceOnce(m, o.Method, probe)
	restore()
	var vm map[*ir.Value]*ir.Value
	if err == nil {
		var diff string
		vm, diff = compareGraphs(run.mod, prun.mod, "with dim 0 one larger")
		if diff != "" {
			err = errors.New(diff)
		}
	}
	if err != nil {
		if o.DynamicBatch {
			return fmt.Errorf("jit.Trace: DynamicBatch: the graph depends on the size of dim 0: %w", err)
		}
		return nil // keep the concrete shapes
	}
	g := run.mod.Method("forward")
	retype := func(v *ir.Value) {
		w := vm[v]
		if v == nil || w == nil || v.Type.Kind != ir.KindTensor || v.Type.Rank() != w.Type.Rank() || v.Type.Rank() < 0 {
			return
		}
		var shape []ir.Dim
		for d, a := range v.Type.Shape {
			b := w.Type.Shape[d]
			if !a.IsFixed() || !b.IsFixed() || a.Size == b.Size {
				continue
			}
			if shape == nil {
				shape = append([]ir.Dim{}, v.Type.Shape...)
			}
			if s, ok := syms[a.Size]; ok && b.Size == a.Size+1 {
				shape[d] = ir.SymDim(s)
			} else {
				shape[d] = ir.UnknownDim()
			}
		}
		if shape != nil {
			v.Type.Shape = shape
		}
	}
	var walk func(b *ir.Block)
	walk = func(b *ir.Block) {
		for _, p := range b.Params {
			retype(p)
		}
		for _, n := range b.Nodes {
			for _, sub := range n.Blocks {
				walk(sub)
			}
			for _, v := range n.Outputs {
				retype(v)
			}
		}
	}
	walk(g.Body)
	g.Results = nil
	g.Return(g.Body.Returns...)
	return nil
}

// growDim0 returns x with one more row along dim 0 (a copy of its first,
// or zeros), requiring grad as x does.
func growDim0(x *tensor.Tensor) *tensor.Tensor {
	restore := tensor.SetGradEnabled(false)
	var y *tensor.Tensor
	if x.Size(0) > 0 {
		y = tensor.Cat([]*tensor.Tensor{x, x.Narrow(0, 0, 1)}, 0)
	} else {
		s := x.Shape()
		s[0] = 1
		y = tensor.Zeros(s...).To(x.DType())
	}
	restore()
	if x.RequiresGrad() {
		y = y.Detach().SetRequiresGrad(true)
	}
	return y
}

// checkInputs traces each of o.CheckInputs, compares its graph with run's
// and the traced module's outputs with eager's.
func checkInputs(m nn.Module, o TraceOptions, run *traceRun, tm *Module) error {
	restoreAll := saveState(run.mod)
	defer restoreAll()
	for i, in := range o.CheckInputs {
		where := fmt.Sprintf("CheckInputs[%d]", i)
		restore := saveState(run.mod)
		crun, err := traceOnce(m, o.Method, in)
		if err != nil {
			return fmt.Errorf("jit.Trace: %s: %w", where, err)
		}
		if len(crun.reads) > 0 && !o.AllowReads {
			return fmt.Errorf("jit.Trace: %s: %w", where, &ReadError{Reads: crun.reads})
		}
		if _, diff := compareGraphs(run.mod, crun.mod, "with "+where); diff != "" {
			return fmt.Errorf("jit.Trace: %s: the graph differs from the example inputs' graph: %s", where, diff)
		}
		restore() // run the traced module from eager's state and random stream
		got, err := tm.Call(in...)
		if err != nil {
			return fmt.Errorf("jit.Trace: %s: the traced module fails where eager ran: %w", where, err)
		}
		if len(got) != len(crun.outputs) {
			return fmt.Errorf("jit.Trace: %s: the traced module returns %d results, eager %d", where, len(got), len(crun.outputs))
		}
		for j, want := range crun.outputs {
			if d := describeMismatch(got[j], want); d != "" {
				return fmt.Errorf("jit.Trace: %s: result %d of the traced module differs from eager's: %s", where, j, d)
			}
		}
	}
	return nil
}

// describeMismatch says how got differs from want, or "" when they are
// equal (same dtype, shape and elements).
func describeMismatch(got, want *tensor.Tensor) string {
	if got == nil || want == nil {
		if got == want {
			return ""
		}
		return fmt.Sprintf("one of them is nil (%v, %v)", got == nil, want == nil)
	}
	if got.DType() != want.DType() || !equalInts(got.Shape(), want.Shape()) {
		return fmt.Sprintf("%v versus %v", ir.TypeOf(got), ir.TypeOf(want))
	}
	off := tensor.SetGradEnabled(false)
	defer off()
	if tensor.Equal(got, want) {
		return ""
	}
	g, w := got.Detach().ToFloat64s(), want.Detach().ToFloat64s()
	worst, at := 0.0, -1
	for i := range g {
		if g[i] == w[i] || (math.IsNaN(g[i]) && math.IsNaN(w[i])) {
			continue
		}
		if d := math.Abs(g[i] - w[i]); at < 0 || d > worst || math.IsNaN(d) {
			worst, at = d, i
		}
	}
	if at < 0 {
		return "" // equal but for NaNs in the same places
	}
	return fmt.Sprintf("element %d is %g, eager's %g (max abs difference %g)", at, g[at], w[at], worst)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// compareGraphs compares the forward methods of two traces: the same
// nodes (ops, attributes, inputs, blocks, inline constants' data) and
// returns, with the types' kinds, dtypes and ranks but not their shapes. It
// returns the map from a's values to b's and "" when they agree, or a
// description of the first difference (other describes b).
func compareGraphs(a, b *ir.Module, other string) (map[*ir.Value]*ir.Value, string) {
	c := &graphCmp{a: a, b: b, other: other, vm: map[*ir.Value]*ir.Value{}}
	ga, gb := a.Method("forward"), b.Method("forward")
	if ga == nil || gb == nil {
		return nil, "a trace has no forward method"
	}
	if d := c.block(ga.Body, gb.Body, "the method"); d != "" {
		return nil, d
	}
	return c.vm, ""
}

type graphCmp struct {
	a, b  *ir.Module
	other string
	vm    map[*ir.Value]*ir.Value
}

func describeNode(n *ir.Node) string {
	s := n.Op
	if n.Pos != "" {
		s += " at " + n.Pos
	}
	return s
}

func (c *graphCmp) block(a, b *ir.Block, where string) string {
	if len(a.Params) != len(b.Params) {
		return fmt.Sprintf("%s has %d parameters, %d %s", where, len(a.Params), len(b.Params), c.other)
	}
	for i, p := range a.Params {
		if !sameKind(p.Type, b.Params[i].Type) {
			return fmt.Sprintf("parameter %d of %s is %v, %v %s", i, where, p.Type, b.Params[i].Type, c.other)
		}
		c.vm[p] = b.Params[i]
	}
	for i, n := range a.Nodes {
		if i >= len(b.Nodes) {
			return fmt.Sprintf("%s ends before node %d (%s) %s", where, i, describeNode(n), c.other)
		}
		if d := c.node(n, b.Nodes[i]); d != "" {
			return fmt.Sprintf("node %d of %s (%s): %s", i, where, describeNode(n), d)
		}
	}
	if len(b.Nodes) > len(a.Nodes) {
		return fmt.Sprintf("%s has the extra node %d (%s) %s", where, len(a.Nodes), describeNode(b.Nodes[len(a.Nodes)]), c.other)
	}
	if len(a.Returns) != len(b.Returns) {
		return fmt.Sprintf("%s returns %d values, %d %s", where, len(a.Returns), len(b.Returns), c.other)
	}
	for i, r := range a.Returns {
		if c.vm[r] != b.Returns[i] {
			return fmt.Sprintf("%s returns another value as result %d %s", where, i, c.other)
		}
	}
	return ""
}

func (c *graphCmp) node(a, b *ir.Node) string {
	if a.Op != b.Op {
		return fmt.Sprintf("the op is %s %s", describeNode(b), c.other)
	}
	if d := c.attrs(a, b); d != "" {
		return d
	}
	if len(a.Inputs) != len(b.Inputs) {
		return fmt.Sprintf("%d inputs, %d %s", len(a.Inputs), len(b.Inputs), c.other)
	}
	for i, v := range a.Inputs {
		if (v == nil) != (b.Inputs[i] == nil) || (v != nil && c.vm[v] != b.Inputs[i]) {
			return fmt.Sprintf("input %d is another value %s", i, c.other)
		}
	}
	if len(a.Outputs) != len(b.Outputs) {
		return fmt.Sprintf("%d outputs, %d %s", len(a.Outputs), len(b.Outputs), c.other)
	}
	for i, v := range a.Outputs {
		if !sameKind(v.Type, b.Outputs[i].Type) {
			return fmt.Sprintf("output %d is %v, %v %s", i, v.Type, b.Outputs[i].Type, c.other)
		}
		c.vm[v] = b.Outputs[i]
	}
	if len(a.Blocks) != len(b.Blocks) {
		return fmt.Sprintf("%d blocks, %d %s", len(a.Blocks), len(b.Blocks), c.other)
	}
	for i, blk := range a.Blocks {
		if d := c.block(blk, b.Blocks[i], "block "+strconv.Itoa(i)); d != "" {
			return d
		}
	}
	return ""
}

func (c *graphCmp) attrs(a, b *ir.Node) string {
	for _, k := range b.Attrs.Names() {
		if _, ok := a.Attrs[k]; !ok {
			return fmt.Sprintf("attribute %s only %s", k, c.other)
		}
	}
	for _, k := range a.Attrs.Names() {
		x, ok := b.Attrs[k]
		if !ok {
			return fmt.Sprintf("no attribute %s %s", k, c.other)
		}
		if !attrEqual(a.Attrs[k], x) {
			return fmt.Sprintf("attribute %s is %s, %s %s", k, attrString(a.Attrs[k]), attrString(x), c.other)
		}
	}
	if a.Op == ir.OpConstant {
		if name, ok := a.Attrs.Str("tensor"); ok {
			ca, cb := c.a.Const(name), c.b.Const(name)
			if ca == nil || cb == nil || describeMismatch(ca.Tensor, cb.Tensor) != "" {
				return fmt.Sprintf("the data of constant %s differs %s (a tensor made outside the trace depends on the inputs)", name, c.other)
			}
		}
	}
	return ""
}

// attrString prints an attribute value as the IR's text does.
func attrString(v any) string {
	n := &ir.Node{Op: "x", Attrs: ir.Attrs{"v": v}}
	s := n.String()
	if i := strings.Index(s, "{v="); i >= 0 {
		return strings.TrimSuffix(s[i+3:], "}")
	}
	return fmt.Sprint(v)
}

// attrEqual compares attribute values exactly: floats bit for bit (NaNs
// equal), nil lists differ from empty ones.
func attrEqual(x, y any) bool {
	switch x := x.(type) {
	case float64:
		y, ok := y.(float64)
		return ok && (math.Float64bits(x) == math.Float64bits(y) || (math.IsNaN(x) && math.IsNaN(y)))
	case []int64:
		y, ok := y.([]int64)
		if !ok || (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	case []float64:
		y, ok := y.([]float64)
		if !ok || (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !attrEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return x == y
}

// sameKind reports whether two types agree but for their dims: kind,
// dtype, rank, quantization and list elements.
func sameKind(a, b ir.Type) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case ir.KindTensor:
		return a.DType == b.DType && a.Rank() == b.Rank() && a.Quant.Equal(b.Quant)
	case ir.KindList:
		return a.Elem != nil && b.Elem != nil && sameKind(*a.Elem, *b.Elem)
	}
	return true
}
