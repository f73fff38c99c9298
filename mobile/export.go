package mobile

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/tensor"
	"github.com/x448/float16"
)

// ExportOptions are the options of Export and Save.
type ExportOptions struct {
	// ExampleInputs are input sets for the exported methods (each method
	// runs on every set). A .ember file has static shapes, and the exporter
	// learns the dtype and shape of every value by running the module once
	// per set (jit.Module.RunObserved): at least one set is required, every
	// value must have the same dtype and shape in all of them (and in every
	// iteration of a loop), and every node must run in at least one (a
	// branch of an if that no set takes cannot be exported). The methods'
	// inputs are tensors.
	ExampleInputs [][]*tensor.Tensor

	// InputNames and OutputNames name the inputs and outputs of every
	// exported method, the names lite callers use. Nil: the inputs keep the
	// names of the IR's parameters ("input0", ... where these are missing
	// or repeated), and the outputs are "output" (one) or "output0", ...
	InputNames, OutputNames []string

	// Methods are the methods to export, in order (nil: "forward").
	Methods []string

	// Metadata describes the model (name, labels, preprocessing); its
	// Producer defaults to the exporter's name.
	Metadata *format.Metadata

	// ExtraFiles are named blobs stored in the file (lite.Model.ExtraFile).
	ExtraFiles map[string][]byte

	// BundleTests stores each example input set, with the module's outputs
	// on it, as a test case of each method, which lite.Model.Verify runs.
	BundleTests bool

	// TestTolerance is the largest absolute difference per element that the
	// bundled tests allow. Zero picks 1e-4 × (1 + the largest magnitude of
	// the expected outputs): the lite runtime computes the module's bits on
	// the machine that exported it, but another machine's GEMM kernel
	// (AVX2, NEON, the generic one) rounds differently. A negative value
	// asks for exact equality.
	TestTolerance float32
}

// ExportError is a part of a module that cannot be exported: the method,
// the node (its op and source position) when there is one, and why.
type ExportError struct {
	Method, Op, Pos string
	Err             error
}

func (e *ExportError) Error() string {
	s := "mobile: export"
	if e.Method != "" {
		s += ": method " + e.Method
	}
	if e.Op != "" {
		s += ": " + e.Op
		if e.Pos != "" {
			s += " (" + e.Pos + ")"
		}
	}
	return s + ": " + e.Err.Error()
}

func (e *ExportError) Unwrap() error { return e.Err }

// Producer is the Metadata.Producer that Export writes by default.
const Producer = "ember mobile.Export"

// Export lowers a captured module to a .ember model for the lite runtime
// (package mobile/lite): each method becomes an instruction list over
// values that are either constants (the module's parameters and folded
// tensors, stored once each) or places in the method's arena, laid out by
// the memory planner (PlanArena).
//
// Export does not optimize: run OptimizeForMobile first, which folds batch
// norm, fuses activations, freezes the parameters and marks the linear
// weights that Export stores pre-packed in the layout of the lite
// runtime's GEMM (accel/cpu.PackB, for the kernel of this machine; another
// machine's runtime repacks them at load). A module that was not optimized
// exports too (its parameters are stored as constants), as long as every
// op is one the lite runtime runs; a module holding dropout or batch norm
// in training mode is refused (trace or script it after nn.Eval), as is any
// op the runtime lacks, named with its source position.
//
// The lowering: calls of other methods are inlined; tensor ops and the
// scalar prim ops become Op instructions, with the op's version from the op
// table (jit.LookupOp) and the node's attributes; prim.if becomes
// JumpIfFalse/Jump with a Move of each branch's results into the if's
// outputs; prim.loop becomes a counter, a test at its head, the body, one
// parallel Move of the carried values and a Jump back; prim.raise becomes
// Raise. Copies (reshape, flatten, ...) share their input's bytes, and an
// elementwise op writes over an input that dies there, so both cost no
// arena memory.
func Export(m *jit.Module, opts ExportOptions) (*format.Model, error) {
	if m == nil {
		return nil, errors.New("mobile: export: nil module")
	}
	methods := opts.Methods
	if len(methods) == 0 {
		methods = []string{"forward"}
	}
	if len(opts.ExampleInputs) == 0 {
		return nil, errors.New("mobile: export: no example inputs (ExportOptions.ExampleInputs): the exporter learns every value's shape by running the module")
	}
	mod := m.IR().Clone()
	for i, name := range methods {
		if mod.Method(name) == nil {
			return nil, fmt.Errorf("mobile: export: the module has no method %q", name)
		}
		if slices.Contains(methods[:i], name) {
			return nil, fmt.Errorf("mobile: export: method %q listed twice", name)
		}
	}
	// Only the exported methods and those they call are inlined.
	called := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		g := mod.Method(name)
		if called[name] || g == nil {
			return
		}
		called[name] = true
		g.Walk(func(n *ir.Node) bool {
			if n.Op == ir.OpCall {
				callee, _ := n.Attrs.Str("method")
				visit(callee)
			}
			return true
		})
	}
	for _, name := range methods {
		visit(name)
	}
	mod.Methods = slices.DeleteFunc(mod.Methods, func(g *ir.Graph) bool { return g == nil || !called[g.Name] })
	if err := ir.InlineCalls(mod); err != nil {
		return nil, fmt.Errorf("mobile: export: %w", err)
	}
	if err := exportLints(mod); err != nil {
		return nil, err
	}
	run, err := jit.NewModule(mod)
	if err != nil {
		return nil, fmt.Errorf("mobile: export: %w", err)
	}
	packed, err := PrepackedWeights(mod)
	if err != nil {
		return nil, fmt.Errorf("mobile: export: %w", err)
	}
	ex := &exporter{
		opts:   opts,
		mod:    mod,
		run:    run,
		fm:     &format.Model{FormatVersion: format.FormatVersion, MinRuntimeVersion: lite.RuntimeVersion},
		consts: map[string][]int{},
		named:  map[string]int{},
		packed: map[string]bool{},
	}
	for _, name := range packed {
		ex.packed[name] = true
	}
	for _, name := range methods {
		if err := ex.method(mod.Method(name)); err != nil {
			return nil, err
		}
	}
	ex.metadata()
	if err := ex.fm.Check(); err != nil {
		return nil, fmt.Errorf("mobile: export: internal error: %w", err)
	}
	return ex.fm, nil
}

// Save exports m (see Export) and writes the .ember file to path
// atomically (format.Save).
func Save(path string, m *jit.Module, opts ExportOptions) error {
	fm, err := Export(m, opts)
	if err != nil {
		return err
	}
	return format.Save(path, fm)
}

// exportLints refuses what the lite runtime cannot run: dropout and batch
// norm in training mode, and ops it does not have (the unsupported_op
// lint, one per op with its first node). Dropout in evaluation mode stays:
// the runtime runs it as a copy.
func exportLints(mod *ir.Module) error {
	var msgs []string
	for _, g := range mod.Methods {
		g.Walk(func(n *ir.Node) bool {
			at := Lint{Method: g.Name, Op: n.Op, Pos: n.Pos}
			switch {
			case (n.Op == "dropout" || n.Op == "dropout2d") && !attrFalse(n, "training"):
				at.Kind, at.Msg = LintDropout, "dropout in training mode draws random numbers; trace or script the model in evaluation mode (nn.Eval)"
			case n.Op == "batch_norm" && !attrFalse(n, "training"):
				at.Kind, at.Msg = LintTrainingBatchNorm, "batch_norm in training mode uses batch statistics and updates the running ones; trace or script the model in evaluation mode (nn.Eval)"
			default:
				return true
			}
			msgs = append(msgs, at.String())
			return true
		})
	}
	for _, l := range lintIR(mod, liteSupports) {
		if l.Kind == LintUnsupportedOp {
			msgs = append(msgs, l.String())
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("mobile: export: the lite runtime cannot run this module:\n\t%s", strings.Join(msgs, "\n\t"))
	}
	return nil
}

// liteSupports reports whether the exporter can lower op for the lite
// runtime: the runtime's ops and the control flow the exporter turns into
// jumps.
func liteSupports(op string) bool {
	switch op {
	case ir.OpIf, ir.OpLoop, ir.OpRaise, ir.OpCall, ir.OpParam, ir.OpConstant:
		return true
	}
	_, ok := lite.OpVersion(op)
	return ok
}

// liteAttrs are the attribute names of the lite runtime's ops.
var liteAttrs = func() map[string][]string {
	m := map[string][]string{}
	for _, o := range lite.Ops() {
		m[o.Name] = o.Attrs
	}
	return m
}()

// The ops whose output the lite runtime lets share its input's bytes: the
// copies, which then do nothing, and the elementwise ops, which may write
// over an input of the output's dtype and shape.
var (
	copyOps = map[string]bool{"reshape": true, "view": true, "flatten": true, "squeeze": true, "unsqueeze": true,
		"contiguous": true, "clone": true, "detach": true, "identity": true, "dropout": true}
	inPlaceOps = map[string]bool{"add": true, "sub": true, "mul": true, "div": true, "add_relu": true,
		"add_scalar": true, "sub_scalar": true, "mul_scalar": true, "div_scalar": true,
		"relu": true, "relu6": true, "sigmoid": true, "tanh": true, "silu": true, "hardswish": true, "hardsigmoid": true,
		"hardtanh": true, "clamp": true, "gelu": true, "leaky_relu": true, "elu": true, "batch_norm": true}
)

// exporter builds one model.
type exporter struct {
	opts   ExportOptions
	mod    *ir.Module
	run    *jit.Module
	fm     *format.Model
	consts map[string][]int // a hash of a constant's content -> constants with it
	named  map[string]int   // module constant name -> constant index
	packed map[string]bool  // module constants stored pre-packed
}

// metadata fills the file's metadata and extra files.
func (ex *exporter) metadata() {
	md := format.Metadata{Producer: Producer}
	if ex.opts.Metadata != nil {
		md = *ex.opts.Metadata
		md.Labels = slices.Clone(md.Labels)
		md.Mean, md.Std = slices.Clone(md.Mean), slices.Clone(md.Std)
		if md.Producer == "" {
			md.Producer = Producer
		}
	}
	ex.fm.Metadata = &md
	keys := make([]string, 0, len(ex.opts.ExtraFiles))
	for k := range ex.opts.ExtraFiles {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ex.fm.ExtraFiles = append(ex.fm.ExtraFiles, format.ExtraFile{Key: k, Data: slices.Clone(ex.opts.ExtraFiles[k])})
	}
}

// constant adds c to the model unless a constant with the same content is
// there already, and returns its index.
func (ex *exporter) constant(c format.Constant) int {
	key := constKey(&c)
	for _, i := range ex.consts[key] {
		o := &ex.fm.Constants[i]
		if o.DType == c.DType && slices.Equal(o.Shape, c.Shape) && o.Packing == c.Packing &&
			slices.Equal(o.PackedShape, c.PackedShape) && o.PackedKernel == c.PackedKernel &&
			quantEqual(o.Quant, c.Quant) && string(o.Data) == string(c.Data) {
			return i
		}
	}
	i := ex.fm.AddConstant(c)
	ex.consts[key] = append(ex.consts[key], i)
	return i
}

// constKey is a cheap hash of a constant's content (FNV-1a over its
// description and up to 4 KiB of samples of its data).
func constKey(c *format.Constant) string {
	h := uint64(14695981039346656037)
	add := func(b byte) { h = (h ^ uint64(b)) * 1099511628211 }
	d := c.Data
	step := max(1, len(d)/4096)
	for i := 0; i < len(d); i += step {
		add(d[i])
	}
	return fmt.Sprintf("%v%v%d%d/%x", c.DType, c.Shape, c.Packing, len(d), h)
}

func quantEqual(a, b *format.Quant) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Scheme == b.Scheme && a.Axis == b.Axis && slices.Equal(a.Scales, b.Scales) && slices.Equal(a.ZeroPoints, b.ZeroPoints)
}

// moduleConstant returns the constant of the module constant name, adding
// it (packed when the prepack pass listed it) the first time.
func (ex *exporter) moduleConstant(name string) (int, error) {
	if i, ok := ex.named[name]; ok {
		return i, nil
	}
	c := ex.mod.Const(name)
	if c == nil || c.Tensor == nil {
		return 0, fmt.Errorf("no constant %q", name)
	}
	fc, err := tensorConstant(name, c.Tensor)
	if err != nil {
		return 0, err
	}
	if q := c.Type.Quant; q != nil {
		fc.Quant = &format.Quant{Scheme: format.QuantPerTensor, Axis: q.Axis, ZeroPoints: slices.Clone(q.ZeroPoints)}
		if q.Scheme == ir.PerChannel {
			fc.Quant.Scheme = format.QuantPerChannel
		}
		for _, s := range q.Scales {
			fc.Quant.Scales = append(fc.Quant.Scales, float32(s))
		}
	}
	if ex.packed[name] {
		if fc.DType != format.Float32 || len(fc.Shape) != 2 {
			return 0, fmt.Errorf("constant %q is listed for pre-packing but is %v %v, not a float32 matrix", name, fc.DType, fc.Shape)
		}
		out, in := fc.Shape[0], fc.Shape[1]
		if out > 0 && in > 0 {
			w := c.Tensor.Contiguous().ToFloat32s()
			p := cpu.PackB(true, in, out, w, in)
			fc.Data = format.Float32Bytes(p.Data())
			fc.Packing, fc.PackedShape, fc.PackedKernel = format.PackGemmB, []int{in, out}, p.Kernel()
		}
	}
	i := ex.constant(fc)
	ex.named[name] = i
	return i, nil
}

// tensorConstant returns t's elements as a dense constant.
func tensorConstant(name string, t *tensor.Tensor) (format.Constant, error) {
	dt, ok := formatDType(t.DType())
	if !ok {
		return format.Constant{}, fmt.Errorf("tensor %q: dtype %v has no .ember dtype", name, t.DType())
	}
	return format.Constant{Name: name, DType: dt, Shape: slices.Clone(t.Shape()), Data: tensorBytes(t)}, nil
}

func formatDType(dt tensor.DType) (format.DType, bool) { return format.ParseDType(dt.String()) }

// tensorBytes returns t's elements, row-major, little-endian.
func tensorBytes(t *tensor.Tensor) []byte {
	t = t.Detach().Contiguous()
	switch d := t.Data().(type) {
	case []float32:
		return format.Float32Bytes(d)
	case []float64:
		return format.Float64Bytes(d)
	case []int64:
		return format.Int64Bytes(d)
	case []bool:
		return format.BoolBytes(d)
	case []int32:
		b := make([]byte, 4*len(d))
		for i, v := range d {
			u := uint32(v)
			b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		}
		return b
	case []int8:
		b := make([]byte, len(d))
		for i, v := range d {
			b[i] = byte(v)
		}
		return b
	case []uint8:
		return slices.Clone(d)
	}
	// float16: its bits.
	f := t.ToFloat32s()
	b := make([]byte, 2*len(f))
	for i, v := range f {
		u := float16.Fromfloat32(v).Bits()
		b[2*i], b[2*i+1] = byte(u), byte(u>>8)
	}
	return b
}

// scalarConstant returns the constant of a scalar (int64, float64, bool)
// as a 0-d tensor.
func (ex *exporter) scalarConstant(x any) (int, bool) {
	var c format.Constant
	switch v := x.(type) {
	case int64:
		c = format.Constant{Name: fmt.Sprint(v), DType: format.Int64, Shape: []int{}, Data: format.Int64Bytes([]int64{v})}
	case float64:
		c = format.Constant{Name: fmt.Sprint(v), DType: format.Float64, Shape: []int{}, Data: format.Float64Bytes([]float64{v})}
	case bool:
		c = format.Constant{Name: fmt.Sprint(v), DType: format.Bool, Shape: []int{}, Data: format.BoolBytes([]bool{v})}
	default:
		return 0, false
	}
	return ex.constant(c), true
}

// valueConstant returns a run-time value (a method's input or output) as a
// constant, for the bundled tests.
func (ex *exporter) valueConstant(name string, x any) (int, error) {
	if t, ok := x.(*tensor.Tensor); ok && t != nil {
		c, err := tensorConstant(name, t)
		if err != nil {
			return 0, err
		}
		return ex.constant(c), nil
	}
	if i, ok := ex.scalarConstant(x); ok {
		return i, nil
	}
	return 0, fmt.Errorf("%s is a %T", name, x)
}

// maxAbs returns the largest magnitude of the float elements of a value
// (0 for others).
func maxAbs(x any) float64 {
	switch v := x.(type) {
	case *tensor.Tensor:
		if v == nil || (v.DType() != tensor.Float32 && v.DType() != tensor.Float64 && v.DType() != tensor.Float16) {
			return 0
		}
		m := 0.0
		for _, f := range v.Detach().ToFloat64s() {
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				m = max(m, math.Abs(f))
			}
		}
		return m
	case float64:
		return math.Abs(v)
	}
	return 0
}
