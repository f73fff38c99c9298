package jit_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/tensor"
)

// eager calls m's method (Forward when empty) on inputs by reflection.
func eager(t *testing.T, m nn.Module, method string, in []*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	if method == "" {
		method = "Forward"
	}
	fn := reflect.ValueOf(m).MethodByName(method)
	args := make([]reflect.Value, len(in))
	for i, x := range in {
		args[i] = reflect.ValueOf(x)
	}
	var out []*tensor.Tensor
	for _, r := range fn.Call(args) {
		if ts, ok := r.Interface().([]*tensor.Tensor); ok {
			return ts
		}
		out = append(out, r.Interface().(*tensor.Tensor))
	}
	return out
}

// sameTensors fails unless got and want are equal bit for bit (same dtype,
// shape and elements; nil where nil).
func sameTensors(t *testing.T, what string, got, want []*tensor.Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, eager has %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g == nil || w == nil {
			if g != w {
				t.Errorf("%s: result %d is %v, eager's %v", what, i, g, w)
			}
			continue
		}
		if g.DType() != w.DType() || !slices.Equal(g.Shape(), w.Shape()) || !tensor.Equal(g, w) {
			t.Errorf("%s: result %d differs from eager:\n got %v\nwant %v", what, i, g, w)
		}
	}
}

// collect returns TraceOptions whose warnings go to *ws.
func collect(ws *[]string, o ...jit.TraceOptions) jit.TraceOptions {
	var opts jit.TraceOptions
	if len(o) > 0 {
		opts = o[0]
	}
	opts.Warnings = func(s string) { *ws = append(*ws, s) }
	return opts
}

// roundTrip prints tm's IR, parses it back with its constants, checks that
// it prints the same and returns the new module; and the same through
// Bytes and LoadBytes.
func roundTrip(t *testing.T, tm *jit.Module) []*jit.Module {
	t.Helper()
	text := tm.Graph()
	mod, err := ir.Parse(text, tm.StateDict())
	if err != nil {
		t.Fatalf("parse the traced graph: %v\n%s", err, text)
	}
	if again := mod.String(); again != text {
		t.Fatalf("the traced graph does not print the same after parsing:\n%s\n---\n%s", text, again)
	}
	pm, err := jit.NewModule(mod)
	if err != nil {
		t.Fatalf("NewModule of the parsed graph: %v", err)
	}
	n := 0
	for _, c := range tm.StateDict() {
		n += c.Numel()
	}
	if n > 4<<20 {
		return []*jit.Module{pm} // saving large models is slow under -race; save_test covers Save
	}
	b, err := tm.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	lm, err := jit.LoadBytes(b)
	if err != nil {
		t.Fatalf("LoadBytes: %v", err)
	}
	if lm.Graph() != text {
		t.Fatalf("Load changed the graph:\n%s\n---\n%s", text, lm.Graph())
	}
	return []*jit.Module{pm, lm}
}

// checkTrace traces m on in, checks that the traced module, its text round
// trip and its saved copy give eager's results bit for bit on in and on
// each of more, and returns it. Eager runs after the trace and the traced
// module after eager: for modules whose state changes when they run, use
// separate tests.
func checkTrace(t *testing.T, m nn.Module, in []*tensor.Tensor, opts jit.TraceOptions, more ...[]*tensor.Tensor) *jit.Module {
	t.Helper()
	var ws []string
	if opts.Warnings == nil {
		opts.Warnings = func(s string) { ws = append(ws, s) }
	}
	tm, err := jit.Trace(m, in, opts)
	if err != nil {
		t.Fatalf("Trace: %v", err)
	}
	copies := roundTrip(t, tm)
	for k, x := range append([][]*tensor.Tensor{in}, more...) {
		want := eager(t, m, opts.Method, x)
		got, err := tm.Call(x...)
		if err != nil {
			t.Fatalf("input set %d: Call: %v\n%s", k, err, tm.Graph())
		}
		sameTensors(t, fmt.Sprintf("input set %d: traced", k), got, want)
		for i, c := range copies {
			got, err := c.Call(x...)
			if err != nil {
				t.Fatalf("input set %d: copy %d: %v", k, i, err)
			}
			sameTensors(t, fmt.Sprintf("input set %d: copy %d", k, i), got, want)
		}
	}
	return tm
}

func randn(shape ...int) *tensor.Tensor { return tensor.Randn(shape...) }

func ins(ts ...*tensor.Tensor) []*tensor.Tensor { return ts }

// layerCase is an nn layer with inputs, traced in evaluation mode.
type layerCase struct {
	name   string
	m      nn.Module
	in     []*tensor.Tensor
	method string
	// reads: tracing fails with a ReadError whose reads are in the
	// layer's library code; the test then traces with AllowReads.
	reads bool
}

func layerCases() []layerCase {
	tensor.ManualSeed(1)
	lstm2 := nn.NewLSTM(4, 5, nn.RNNOptions{NumLayers: 2, Bidirectional: true})
	bn1, bn2 := nn.NewBatchNorm1d(4), nn.NewBatchNorm2d(3)
	// Running statistics away from 0 and 1.
	bn1.Forward(randn(6, 4).MulScalar(3).AddScalar(1))
	bn2.Forward(randn(4, 3, 2, 2).MulScalar(2).AddScalar(-1))
	probs := randn(3, 5).Softmax(1)
	logp := randn(3, 5).LogSoftmax(1)
	idx := tensor.FromSlice([]int64{1, 0, 4}, 3)
	sig := randn(3, 4).Sigmoid()
	bits := tensor.Rand(3, 4).GtScalar(0.5).Float()
	return []layerCase{
		{name: "Linear", m: nn.NewLinear(4, 3), in: ins(randn(2, 4))},
		{name: "Linear/3d/NoBias", m: nn.NewLinear(4, 3, nn.LinearOptions{NoBias: true}), in: ins(randn(2, 5, 4))},
		{name: "Conv1d", m: nn.NewConv1d(2, 3, 3, nn.Conv1dOptions{Stride: 2, Padding: 1}), in: ins(randn(2, 2, 9))},
		{name: "Conv2d", m: nn.NewConv2d(2, 4, 3, nn.Conv2dOptions{Padding: []int{1}, Stride: []int{2}, Groups: 2}), in: ins(randn(2, 2, 7, 7))},
		{name: "Conv2d/dilated", m: nn.NewConv2d(2, 3, 3, nn.Conv2dOptions{Dilation: []int{2}, NoBias: true, PaddingString: "same"}), in: ins(randn(1, 2, 8, 8))},
		{name: "ConvTranspose2d", m: nn.NewConvTranspose2d(2, 3, 3, nn.ConvTranspose2dOptions{Stride: []int{2}, OutputPadding: []int{1}}), in: ins(randn(1, 2, 4, 4))},
		{name: "BatchNorm1d", m: bn1, in: ins(randn(3, 4))},
		{name: "BatchNorm2d", m: bn2, in: ins(randn(2, 3, 4, 4))},
		{name: "LayerNorm", m: nn.NewLayerNorm([]int{4}), in: ins(randn(2, 3, 4))},
		{name: "LayerNorm/2d/NoAffine", m: nn.NewLayerNorm([]int{3, 4}, nn.LayerNormOptions{NoAffine: true}), in: ins(randn(2, 3, 4))},
		{name: "GroupNorm", m: nn.NewGroupNorm(2, 4), in: ins(randn(2, 4, 3, 3))},
		{name: "Dropout", m: nn.NewDropout(0.5), in: ins(randn(3, 4))},
		{name: "Dropout2d", m: nn.NewDropout2d(0.5), in: ins(randn(2, 3, 4, 4))},
		{name: "Embedding", m: nn.NewEmbedding(10, 4, nn.EmbeddingOptions{PaddingIdx: 0, HasPadding: true}), in: ins(tensor.FromSlice([]int64{1, 0, 9, 3, 3, 7}, 2, 3))},
		{name: "MaxPool2d", m: nn.NewMaxPool2d(2), in: ins(randn(2, 3, 6, 6))},
		{name: "AvgPool2d", m: nn.NewAvgPool2d(3, tensor.AvgPool2dOptions{Stride: []int{2}, Padding: []int{1}}), in: ins(randn(2, 3, 7, 7))},
		{name: "AdaptiveAvgPool2d", m: nn.NewAdaptiveAvgPool2d(2, 3), in: ins(randn(2, 3, 7, 8))},
		{name: "Flatten", m: nn.NewFlatten(), in: ins(randn(2, 3, 4))},
		{name: "Identity", m: nn.NewIdentity(), in: ins(randn(2, 3))},
		{name: "ReLU", m: nn.NewReLU(), in: ins(randn(2, 5))},
		{name: "ReLU6", m: nn.NewReLU6(), in: ins(randn(2, 5).MulScalar(5))},
		{name: "LeakyReLU", m: nn.NewLeakyReLU(0.1), in: ins(randn(2, 5))},
		{name: "ELU", m: nn.NewELU(0.7), in: ins(randn(2, 5))},
		{name: "GELU", m: nn.NewGELU(), in: ins(randn(2, 5))},
		{name: "Hardtanh", m: nn.NewHardtanh(-0.5, 0.5), in: ins(randn(2, 5))},
		{name: "Softplus", m: nn.NewSoftplus(), in: ins(randn(2, 5))},
		{name: "Softmax", m: nn.NewSoftmax(1), in: ins(randn(2, 5))},
		{name: "LogSoftmax", m: nn.NewLogSoftmax(-1), in: ins(randn(2, 5))},
		{name: "Sigmoid", m: nn.NewSigmoid(), in: ins(randn(2, 5))},
		{name: "Tanh", m: nn.NewTanh(), in: ins(randn(2, 5))},
		{name: "SiLU", m: nn.NewSiLU(), in: ins(randn(2, 5))},
		{name: "Mish", m: nn.NewMish(), in: ins(randn(2, 5))},
		{name: "Hardswish", m: nn.NewHardswish(), in: ins(randn(2, 5).MulScalar(4))},
		{name: "Hardsigmoid", m: nn.NewHardsigmoid(), in: ins(randn(2, 5).MulScalar(4))},
		{name: "Sequential", m: nn.NewSequential(nn.NewLinear(4, 8), nn.NewReLU(), nn.NewDropout(0.1), nn.NewLinear(8, 2)), in: ins(randn(3, 4))},
		{name: "LSTM", m: nn.NewLSTM(4, 5), in: ins(randn(6, 2, 4))},
		{name: "LSTM/2layers/bidirectional", m: lstm2, in: ins(randn(3, 2, 4))},
		{name: "LSTM/ForwardState/proj/batch_first", m: nn.NewLSTM(4, 5, nn.RNNOptions{ProjSize: 3, BatchFirst: true}), in: ins(randn(2, 4, 4), randn(1, 2, 3), randn(1, 2, 5)), method: "ForwardState"},
		{name: "GRU", m: nn.NewGRU(4, 5, nn.RNNOptions{NumLayers: 2}), in: ins(randn(5, 2, 4))},
		{name: "GRU/ForwardState/unbatched", m: nn.NewGRU(4, 5), in: ins(randn(5, 4), randn(1, 5)), method: "ForwardState"},
		{name: "RNN", m: nn.NewRNN(4, 5), in: ins(randn(5, 2, 4))},
		{name: "RNN/relu/ForwardState", m: nn.NewRNN(4, 5, nn.RNNOptions{Nonlinearity: "relu", Bidirectional: true}), in: ins(randn(5, 2, 4), randn(2, 2, 5)), method: "ForwardState"},
		{name: "MultiheadAttention", m: nn.NewMultiheadAttention(8, 2), in: ins(randn(4, 2, 8), randn(5, 2, 8), randn(5, 2, 8))},
		{name: "MultiheadAttention/batch_first/kdim", m: nn.NewMultiheadAttention(8, 4, nn.MultiheadAttentionOptions{BatchFirst: true, KDim: 6, VDim: 5, AddBiasKV: true, AddZeroAttn: true}), in: ins(randn(2, 3, 8), randn(2, 4, 6), randn(2, 4, 5))},
		{name: "MSELoss", m: nn.NewMSELoss(), in: ins(randn(3, 4), randn(3, 4))},
		{name: "L1Loss/sum", m: nn.NewL1Loss(functional.ReductionOptions{Reduction: "sum"}), in: ins(randn(3, 4), randn(3, 4))},
		{name: "SmoothL1Loss", m: nn.NewSmoothL1Loss(), in: ins(randn(3, 4), randn(3, 4))},
		{name: "HuberLoss", m: nn.NewHuberLoss(), in: ins(randn(3, 4).MulScalar(3), randn(3, 4))},
		{name: "BCEWithLogitsLoss", m: nn.NewBCEWithLogitsLoss(), in: ins(randn(3, 4), bits)},
		{name: "KLDivLoss", m: nn.NewKLDivLoss(), in: ins(logp, probs)},
		{name: "CrossEntropyLoss/probabilities", m: nn.NewCrossEntropyLoss(), in: ins(randn(3, 5), probs)},
		{name: "CrossEntropyLoss/indices", m: nn.NewCrossEntropyLoss(), in: ins(randn(3, 5), idx)},
		{name: "NLLLoss", m: nn.NewNLLLoss(), in: ins(logp, idx)},
		{name: "BCELoss", m: nn.NewBCELoss(), in: ins(sig, bits)},
	}
}

// TestTraceLayers traces every nn layer in evaluation mode: the traced
// module (and its text and saved copies) equals eager bit for bit.
func TestTraceLayers(t *testing.T) {
	for _, c := range layerCases() {
		t.Run(c.name, func(t *testing.T) {
			nn.Eval(c.m)
			opts := jit.TraceOptions{Method: c.method}
			if c.reads {
				var ws []string
				_, err := jit.Trace(c.m, c.in, collect(&ws, opts))
				var re *jit.ReadError
				if !errors.As(err, &re) || !re.Reads[0].Library || !strings.Contains(err.Error(), "inside a library layer") {
					t.Fatalf("a layer computing in Go: Trace gave %v, want a ReadError of a library read", err)
				}
				opts.AllowReads = true
			}
			checkTrace(t, c.m, c.in, opts)
		})
	}
}

// TestTraceCoversEveryLayer checks that layerCases has every type of
// package nn with a Forward method.
func TestTraceCoversEveryLayer(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("../nn/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no nn sources: %v", err)
	}
	have := map[string]bool{}
	for _, c := range layerCases() {
		have[reflect.TypeOf(c.m).Elem().Name()] = true
	}
	var missing []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "Forward" {
				continue
			}
			rt := fd.Recv.List[0].Type
			if s, ok := rt.(*ast.StarExpr); ok {
				rt = s.X
			}
			if name := rt.(*ast.Ident).Name; !have[name] {
				missing = append(missing, name)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("layers without a trace test: %v", missing)
	}
}

// ifModel branches on the batch size in Go.
type ifModel struct {
	nn.Base
	L *nn.Linear
}

func (m *ifModel) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := m.L.Forward(x)
	if x.Size(0) > 1 { // the size read
		return y.ReLU()
	}
	return y.Neg()
}

// lineOf returns "file:line" of the first line of file containing marker.
func lineOf(t *testing.T, file, marker string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, marker) {
			return file + ":" + strconv.Itoa(i+1)
		}
	}
	t.Fatalf("no %q in %s", marker, file)
	return ""
}

func TestTraceSizeBranchIsAnError(t *testing.T) {
	m := &ifModel{L: nn.NewLinear(3, 2)}
	x := randn(2, 3)
	pos := lineOf(t, "trace_test.go", "// the size read")
	_, err := jit.Trace(m, ins(x))
	var re *jit.ReadError
	if !errors.As(err, &re) {
		t.Fatalf("Trace = %v, want a *jit.ReadError", err)
	}
	if len(re.Reads) != 1 || re.Reads[0].Pos != pos || re.Reads[0].Kind != "size" || re.Reads[0].Library {
		t.Fatalf("reads = %+v, want one size read at %s", re.Reads, pos)
	}
	msg := err.Error()
	for _, s := range []string{pos, "size", "use jit.Script", "TraceOptions.AllowReads"} {
		if !strings.Contains(msg, s) {
			t.Errorf("the error does not mention %q:\n%s", s, msg)
		}
	}
	// With AllowReads the read is a warning, the branch is baked, and the
	// traced module keeps the example's shapes, refusing other batches.
	var ws []string
	tm, err := jit.Trace(m, ins(x), collect(&ws, jit.TraceOptions{AllowReads: true}))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || !strings.Contains(ws[0], pos) || !strings.Contains(ws[0], "bakes") {
		t.Errorf("warnings = %q", ws)
	}
	got, err := tm.Call(x)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, "batch 2", got, eager(t, m, "", ins(x)))
	if !strings.Contains(tm.Graph(), "relu") || strings.Contains(tm.Graph(), "neg") {
		t.Errorf("the graph should hold the branch taken:\n%s", tm.Graph())
	}
	if _, err := tm.Call(randn(1, 3)); err == nil || !strings.Contains(err.Error(), "fixes dimension 0 to 2") {
		t.Errorf("batch 1 on a graph traced with batch 2: %v", err)
	}
	// DynamicBatch refuses a graph that read a shape: batches 2 and 3 take
	// the same branch.
	_, err = jit.Trace(m, ins(x), collect(&ws, jit.TraceOptions{AllowReads: true, DynamicBatch: true}))
	if err == nil || !strings.Contains(err.Error(), "DynamicBatch: Go code read a shape") || !strings.Contains(err.Error(), pos) {
		t.Errorf("DynamicBatch with a size read: %v", err)
	}
	// CheckInputs with a batch of 1 reports the other branch.
	_, err = jit.Trace(m, ins(x), collect(&ws, jit.TraceOptions{AllowReads: true, CheckInputs: [][]*tensor.Tensor{{randn(1, 3)}}}))
	if err == nil || !strings.Contains(err.Error(), "CheckInputs[0]") || !strings.Contains(err.Error(), "relu") {
		t.Errorf("CheckInputs with the other branch: %v", err)
	}
}

// valueReader reads values in Go: an Item, a To*s and an Equal.
type valueReader struct{ nn.Base }

func (valueReader) Forward(x *tensor.Tensor) *tensor.Tensor {
	s := x.Sum().Item()              // read 1
	_ = x.ToFloat32s()               // read 2
	if tensor.Equal(x, x.Detach()) { // read 3
		return x.MulScalar(s)
	}
	return x
}

func TestTraceValueReads(t *testing.T) {
	x := randn(2, 2)
	_, err := jit.Trace(&valueReader{}, ins(x))
	var re *jit.ReadError
	if !errors.As(err, &re) || len(re.Reads) != 3 {
		t.Fatalf("Trace = %v, want 3 reads", err)
	}
	want := []struct{ kind, marker string }{{"item", "// read 1"}, {"to_float32s", "// read 2"}, {"equal", "// read 3"}}
	for i, w := range want {
		r := re.Reads[i]
		if r.Kind != w.kind || r.Pos != lineOf(t, "trace_test.go", w.marker) {
			t.Errorf("read %d = %+v, want %s at %s", i, r, w.kind, w.marker)
		}
	}
	// Equal reads both tensors: one entry, counted twice.
	if re.Reads[2].Count != 2 {
		t.Errorf("Equal's read count = %d, want 2", re.Reads[2].Count)
	}
}

// opPositions makes ops on two lines of its own.
type opPositions struct {
	nn.Base
	L *nn.Linear
}

func (m *opPositions) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := m.L.Forward(x) // op line 1
	return y.Tanh()     // op line 2
}

func TestTracePositions(t *testing.T) {
	m := &opPositions{L: nn.NewLinear(3, 3)}
	tm := checkTrace(t, m, ins(randn(2, 3)), jit.TraceOptions{})
	want := map[string]string{
		"linear":   lineOf(t, "trace_test.go", "// op line 1"),
		"tanh":     lineOf(t, "trace_test.go", "// op line 2"),
		ir.OpParam: lineOf(t, "trace_test.go", "// op line 1"),
	}
	n := 0
	tm.IR().Method("forward").Walk(func(nd *ir.Node) bool {
		n++
		if p, ok := want[nd.Op]; ok && nd.Pos != p {
			t.Errorf("%s at %q, want %q", nd.Op, nd.Pos, p)
		}
		return true
	})
	if n != 4 {
		t.Errorf("%d nodes, want 4 (two params, linear, tanh):\n%s", n, tm.Graph())
	}
	// An nn layer traced by itself points at the layer's source.
	tl := checkTrace(t, nn.NewLinear(3, 3), ins(randn(2, 3)), jit.TraceOptions{})
	tl.IR().Method("forward").Walk(func(nd *ir.Node) bool {
		if nd.Op == "linear" && !strings.HasPrefix(nd.Pos, "linear.go:") {
			t.Errorf("linear of a bare Linear at %q", nd.Pos)
		}
		return true
	})
}

// constModel uses a tensor made outside the trace, and a captured one.
type constModel struct {
	nn.Base
	scale *tensor.Tensor `nn:"-"`
}

func (m *constModel) Forward(x *tensor.Tensor) *tensor.Tensor {
	offset := tensor.FromSlice([]float32{1, 2, 3})
	return x.Add(offset).Mul(m.scale) // the constants' first use
}

func TestTraceInlineConstants(t *testing.T) {
	m := &constModel{scale: tensor.FromSlice([]float32{2, 2, 0.5})}
	var ws []string
	tm := checkTrace(t, m, ins(randn(2, 3)), collect(&ws), ins(randn(4, 3)))
	pos := lineOf(t, "trace_test.go", "// the constants' first use")
	if len(ws) != 2 || !strings.Contains(ws[0], pos) || !strings.Contains(ws[0], "constant _const.0 : float32[3]") {
		t.Errorf("warnings = %q, want two about constants, the first at %s", ws, pos)
	}
	sd := tm.StateDict()
	if len(sd) != 2 || sd["_const.0"] == nil || sd["_const.1"] == nil {
		t.Errorf("constants = %v", sd)
	}
	// The graph holds a copy: changing the captured tensor later does not
	// change the traced module.
	x := randn(2, 3)
	before, _ := tm.Call(x)
	m.scale.Fill_(7)
	after, _ := tm.Call(x)
	sameTensors(t, "after changing the captured tensor", after, before)
	// Batch-generic: nothing read a shape, so dim 0 is symbolic.
	if !strings.Contains(tm.Graph(), "%x: float32[N, 3]") {
		t.Errorf("expected a symbolic batch:\n%s", tm.Graph())
	}
}

func TestTraceDynamicBatch(t *testing.T) {
	// Activations read nothing: dim 0 is symbolic by default, and the
	// dims that follow it are too.
	seq := nn.NewSequential(nn.NewReLU(), nn.NewFlatten(), nn.NewSigmoid())
	tm := checkTrace(t, seq, ins(randn(2, 3, 4)), jit.TraceOptions{}, ins(randn(5, 3, 4)), ins(randn(1, 3, 4)))
	if !strings.Contains(tm.Graph(), "float32[N, 12]") {
		t.Errorf("expected symbolic dims:\n%s", tm.Graph())
	}
	// Linear checks its input's features (a size read): concrete by default.
	lin := nn.NewLinear(3, 2)
	tm = checkTrace(t, lin, ins(randn(2, 3)), jit.TraceOptions{})
	if _, err := tm.Call(randn(4, 3)); err == nil {
		t.Errorf("a Linear traced with concrete shapes ran another batch:\n%s", tm.Graph())
	}
	// DynamicBatch makes it generic.
	tm = checkTrace(t, lin, ins(randn(2, 3)), jit.TraceOptions{DynamicBatch: true}, ins(randn(4, 3)), ins(randn(1, 3)))
	if !strings.Contains(tm.Graph(), "forward(%x: float32[N, 3]) -> (float32[N, 2])") {
		t.Errorf("DynamicBatch:\n%s", tm.Graph())
	}
	// A graph that depends on the batch size: DynamicBatch is an error,
	// and without it the shapes stay concrete.
	_, err := jit.Trace(nn.NewLSTM(3, 4), ins(randn(5, 2, 3)), jit.TraceOptions{DynamicBatch: true})
	if err == nil || !strings.Contains(err.Error(), "DynamicBatch") {
		t.Errorf("DynamicBatch on an LSTM (steps baked): %v", err)
	}
	var ws []string
	tm, err = jit.Trace(&batchBaker{}, ins(randn(2, 3)), collect(&ws))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tm.Graph(), "N") {
		t.Errorf("a graph with the batch size in an attribute must keep concrete shapes:\n%s", tm.Graph())
	}
	if _, err := jit.Trace(&batchBaker{}, ins(randn(2, 3)), collect(&ws, jit.TraceOptions{DynamicBatch: true})); err == nil || !strings.Contains(err.Error(), "the graph depends on the size of dim 0") {
		t.Errorf("DynamicBatch with a baked batch size: %v", err)
	}
	// Several inputs: equal batch sizes share the symbol.
	tm = checkTrace(t, nn.NewMSELoss(functional.ReductionOptions{Reduction: "none"}), ins(randn(2, 3), randn(2, 3)), jit.TraceOptions{DynamicBatch: true}, ins(randn(3, 3), randn(3, 3)))
	if !strings.Contains(tm.Graph(), "forward(%x0: float32[N, 3], %x1: float32[N, 3])") {
		t.Errorf("two inputs:\n%s", tm.Graph())
	}
}

// batchBaker has the batch size of its example in an attribute.
type batchBaker struct{ nn.Base }

func (batchBaker) Forward(x *tensor.Tensor) *tensor.Tensor { return x.Reshape(2, -1).Sum() }

func TestTraceCheckInputs(t *testing.T) {
	lin := nn.NewSequential(nn.NewLinear(3, 4), nn.NewTanh())
	more := [][]*tensor.Tensor{{randn(2, 3)}, {randn(2, 3).MulScalar(100)}}
	if _, err := jit.Trace(lin, ins(randn(2, 3)), jit.TraceOptions{CheckInputs: more}); err != nil {
		t.Errorf("CheckInputs of the same shape: %v", err)
	}
	// Concrete shapes: another batch traces the same graph, but the traced
	// module refuses it.
	_, err := jit.Trace(lin, ins(randn(2, 3)), jit.TraceOptions{CheckInputs: [][]*tensor.Tensor{{randn(5, 3)}}})
	if err == nil || !strings.Contains(err.Error(), "CheckInputs[0]: the traced module fails") {
		t.Errorf("CheckInputs of another batch: %v", err)
	}
	// A decision on values, accepted with AllowReads, is caught.
	var ws []string
	_, err = jit.Trace(&valueBranch{}, ins(tensor.Ones(3)), collect(&ws, jit.TraceOptions{AllowReads: true, CheckInputs: [][]*tensor.Tensor{{tensor.Ones(3)}, {tensor.Ones(3).Neg()}}}))
	if err == nil || !strings.Contains(err.Error(), "CheckInputs[1]") || !strings.Contains(err.Error(), "the op is abs") {
		t.Errorf("CheckInputs with a value branch: %v", err)
	}
	// A constant made from the input's values differs.
	_, err = jit.Trace(&valueCopier{}, ins(tensor.Ones(3)), collect(&ws, jit.TraceOptions{AllowReads: true, CheckInputs: [][]*tensor.Tensor{{tensor.Ones(3).MulScalar(2)}}}))
	if err == nil || !strings.Contains(err.Error(), "the data of constant _const.0 differs") {
		t.Errorf("CheckInputs with a constant from values: %v", err)
	}
	// The checks restore the module's buffers and the random stream:
	// afterwards, both are as after one eager run.
	bn, twin := nn.NewBatchNorm1d(3), nn.NewBatchNorm1d(3)
	x := randn(4, 3)
	if _, err := jit.Trace(bn, ins(x), jit.TraceOptions{CheckInputs: [][]*tensor.Tensor{{randn(4, 3)}, {randn(4, 3)}}}); err != nil {
		t.Fatal(err)
	}
	twin.Forward(x)
	if !tensor.Equal(bn.RunningMean, twin.RunningMean) || !tensor.Equal(bn.NumBatchesTracked, twin.NumBatchesTracked) {
		t.Errorf("after the checks: running mean %v (%v batches), want %v (%v)", bn.RunningMean, bn.NumBatchesTracked, twin.RunningMean, twin.NumBatchesTracked)
	}
	drop := nn.NewDropout(0.5)
	check := [][]*tensor.Tensor{{randn(4, 3)}}
	tensor.ManualSeed(3)
	if _, err := jit.Trace(drop, ins(x), jit.TraceOptions{CheckInputs: check}); err != nil {
		t.Fatal(err)
	}
	state := tensor.DefaultGenerator().State()
	tensor.ManualSeed(3)
	drop.Forward(x)
	if !slices.Equal(tensor.DefaultGenerator().State(), state) {
		t.Error("the checks changed the random stream")
	}
}

type valueBranch struct{ nn.Base }

func (valueBranch) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Sum().Item() > 0 {
		return x.Exp()
	}
	return x.Abs()
}

type valueCopier struct{ nn.Base }

func (valueCopier) Forward(x *tensor.Tensor) *tensor.Tensor {
	return x.Add(tensor.FromSlice(x.ToFloat32s()))
}

func TestTraceTrainingMode(t *testing.T) {
	// Dropout in training mode: the node has training=true and draws from
	// the default generator as eager does.
	for _, d := range []nn.Module{nn.NewDropout(0.5), nn.NewDropout2d(0.5)} {
		x := randn(2, 3, 4, 4)
		var ws []string
		tm, err := jit.Trace(d, ins(x), collect(&ws))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tm.Graph(), "training=true") {
			t.Errorf("%T in training mode:\n%s", d, tm.Graph())
		}
		tensor.ManualSeed(42)
		want := eager(t, d, "", ins(x))
		tensor.ManualSeed(42)
		got, err := tm.Call(x)
		if err != nil {
			t.Fatal(err)
		}
		sameTensors(t, fmt.Sprintf("%T", d), got, want)
		if tensor.Equal(got[0], x) {
			t.Error("dropout in training mode changed nothing")
		}
	}
	// BatchNorm in training mode: batch statistics, and the running
	// statistics and the batch count update each time the traced module
	// runs, as for a twin run eagerly.
	for _, c := range []struct {
		mk    func() *nn.BatchNorm
		shape []int
	}{
		{func() *nn.BatchNorm { return nn.NewBatchNorm1d(3) }, []int{4, 3}},
		{func() *nn.BatchNorm { return nn.NewBatchNorm2d(3, nn.BatchNormOptions{Momentum: 0.3}) }, []int{2, 3, 2, 2}},
	} {
		a, b, shape := c.mk(), c.mk(), c.shape
		x0 := randn(shape...)
		tm, err := jit.Trace(a, ins(x0))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tm.Graph(), "batch_norm") || !strings.Contains(tm.Graph(), "training=true") || !strings.Contains(tm.Graph(), "add_(") {
			t.Errorf("batch norm in training mode:\n%s", tm.Graph())
		}
		eager(t, b, "", ins(x0)) // the twin's first run, as the trace's
		for i := 0; i < 3; i++ {
			x := randn(shape...).MulScalar(float64(i + 1)).AddScalar(float64(i))
			want := eager(t, b, "", ins(x))
			got, err := tm.Call(x)
			if err != nil {
				t.Fatal(err)
			}
			sameTensors(t, "batch norm output", got, want)
			for _, p := range [][2]*tensor.Tensor{{a.RunningMean, b.RunningMean}, {a.RunningVar, b.RunningVar}, {a.NumBatchesTracked, b.NumBatchesTracked}} {
				if !tensor.Equal(p[0], p[1]) {
					t.Errorf("run %d: running statistics differ: %v, eager %v", i, p[0], p[1])
				}
			}
		}
		if a.NumBatchesTracked.Item() != 4 {
			t.Errorf("num_batches_tracked = %v, want 4", a.NumBatchesTracked.Item())
		}
	}
}

// TestTraceGrad: running a traced module records autograd as eager does.
func TestTraceGrad(t *testing.T) {
	lin := nn.NewLinear(4, 3)
	x := randn(2, 4).SetRequiresGrad(true)
	tm, err := jit.Trace(lin, ins(x))
	if err != nil {
		t.Fatal(err)
	}
	nn.ZeroGrad(lin)
	out := lin.Forward(x)
	out.Mul(out).Sum().Backward()
	wantX, wantW, wantB := x.Grad().Clone(), lin.Weight.Grad().Clone(), lin.Bias.Grad().Clone()
	x.ZeroGrad()
	nn.ZeroGrad(lin)
	res, err := tm.Call(x)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].RequiresGrad() {
		t.Fatal("the traced module's output does not require grad")
	}
	res[0].Mul(res[0]).Sum().Backward()
	sameTensors(t, "grads", []*tensor.Tensor{x.Grad(), lin.Weight.Grad(), lin.Bias.Grad()}, []*tensor.Tensor{wantX, wantW, wantB})
}

func TestTraceErrors(t *testing.T) {
	cases := []struct {
		name string
		m    nn.Module
		in   []*tensor.Tensor
		opts jit.TraceOptions
		want string
	}{
		{"nil module", nil, ins(randn(2)), jit.TraceOptions{}, "nil"},
		{"nil input", nn.NewReLU(), ins(nil), jit.TraceOptions{}, "input 0 is nil"},
		{"too many inputs", nn.NewReLU(), ins(randn(2), randn(2)), jit.TraceOptions{}, "takes 1 tensors, got 2"},
		{"no such method", nn.NewReLU(), ins(randn(2)), jit.TraceOptions{Method: "Backward"}, "has no method Backward"},
		{"bad signature", &badSig{}, ins(randn(2)), jit.TraceOptions{}, "parameter 1 is a int"},
		{"bad result", &badResult{}, ins(randn(2)), jit.TraceOptions{}, "result 0 is a float64"},
		{"panic", nn.NewLinear(3, 2), ins(randn(2, 4)), jit.TraceOptions{}, "panic: nn.Linear: expected input"},
		{"nested", &nester{}, ins(randn(2)), jit.TraceOptions{}, "traces do not nest"},
	}
	for _, c := range cases {
		_, err := jit.Trace(c.m, c.in, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if tensor.Tracing() {
		t.Error("a failed trace left its tracer installed")
	}
	// A trace works after all that.
	checkTrace(t, nn.NewReLU(), ins(randn(3)), jit.TraceOptions{})
}

type badSig struct{ nn.Base }

func (badSig) Forward(x *tensor.Tensor, n int) *tensor.Tensor { return x }

type badResult struct{ nn.Base }

func (badResult) Forward(x *tensor.Tensor) float64 { return 0 }

type nester struct{ nn.Base }

func (nester) Forward(x *tensor.Tensor) *tensor.Tensor {
	if _, err := jit.Trace(nn.NewReLU(), ins(x)); err != nil {
		panic(err)
	}
	return x
}

// multi takes and returns several tensors, as a slice too.
type multi struct{ nn.Base }

func (multi) Forward(a, b *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor, *tensor.Tensor) {
	s := a.Add(b)
	return s, a, s // an input and a repeated result
}

type listOut struct{ nn.Base }

func (listOut) Forward(x *tensor.Tensor) []*tensor.Tensor { return x.Chunk(3, 1) }

type variadic struct{ nn.Base }

func (variadic) Forward(xs ...*tensor.Tensor) *tensor.Tensor { return tensor.Cat(xs, 0) }

func TestTraceSignatures(t *testing.T) {
	checkTrace(t, &multi{}, ins(randn(2, 2), randn(2, 2)), jit.TraceOptions{})
	tm := checkTrace(t, &listOut{}, ins(randn(2, 6)), jit.TraceOptions{})
	if !strings.Contains(tm.Graph(), "= chunk(%x)") {
		t.Errorf("chunk with three outputs:\n%s", tm.Graph())
	}
	checkTrace(t, &variadic{}, ins(randn(1, 2), randn(3, 2), randn(2, 2)), jit.TraceOptions{})
}

// inPlaceModel writes into a view of its input and into a fresh tensor.
type inPlaceModel struct{ nn.Base }

func (inPlaceModel) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := x.MulScalar(2)
	y.ReLU_()
	y.Narrow(1, 0, 1).Fill_(3)
	return y.Add(x).Contiguous()
}

func TestTraceInPlace(t *testing.T) {
	tm := checkTrace(t, &inPlaceModel{}, ins(randn(3, 4)), jit.TraceOptions{})
	// The in-place op's output replaces y: add uses relu_'s value.
	g := tm.IR().Method("forward")
	var relu, add *ir.Node
	g.Walk(func(n *ir.Node) bool {
		switch n.Op {
		case "relu_":
			relu = n
		case "add":
			add = n
		}
		return true
	})
	if relu == nil || add == nil || add.Inputs[0] != relu.Outputs[0] {
		t.Errorf("later uses must see the in-place op's value:\n%s", tm.Graph())
	}
}

// hybridIR is a hand-built module with a prim.if on the batch size: a
// stand-in for a scripted part.
const hybridIR = `module {
  const w : float32[4] param
  method forward(%x: float32[N, 4]) -> (float32[N, 4]) {
    %w = prim.param() {name="w"} : float32[4]
    %0 = mul(%x, %w) : float32[N, 4]  # part.go:3
    %n = prim.size(%x) {dim=0} : int
    %one = prim.constant() {value=1} : int
    %c = prim.gt(%n, %one) : bool
    %1 = prim.if(%c) : float32[N, 4] {  # part.go:5
      %2 = relu(%0) : float32[N, 4]  # part.go:6
      return %2
    } else {
      %3 = neg(%0) : float32[N, 4]  # part.go:8
      return %3
    }
    return %1
  }
}`

// outer is an eager module around a scripted-like part.
type outer struct {
	nn.Base
	Pre  *nn.Tanh
	Part *jit.Module
	W    *tensor.Tensor
}

func (m *outer) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Part.Forward(m.Pre.Forward(x)).Mul(m.W)
}

func TestTraceHybrid(t *testing.T) {
	w := tensor.FromSlice([]float32{1, -2, 0.5, 3})
	part := parseModule(t, hybridIR, map[string]*tensor.Tensor{"w": w})
	m := &outer{Pre: nn.NewTanh(), Part: part, W: randn(4)}
	// Nothing reads a shape in Go: the batch stays symbolic, and the
	// prim.if keeps both branches.
	more := [][]*tensor.Tensor{{randn(1, 4)}, {randn(3, 4)}, {randn(4, 4)}}
	tm := checkTrace(t, m, ins(randn(2, 4)), jit.TraceOptions{}, more...)
	g := tm.Graph()
	for _, s := range []string{"prim.if", "relu(", "neg(", `prim.param() {name="part.w"}`, "const part.w : float32[4] param", "const w : float32[4] param", "# part.go:6"} {
		if !strings.Contains(g, s) {
			t.Errorf("the hybrid trace lacks %q:\n%s", s, g)
		}
	}
	if sd := tm.StateDict(); sd["part.w"] != w {
		t.Error("the part's constant must be shared under its path")
	}
	// With a layer that reads sizes (Linear), DynamicBatch keeps it
	// generic; and a traced module traces again.
	m2 := &outer2{L: nn.NewLinear(4, 4), Part: part}
	tm2 := checkTrace(t, m2, ins(randn(2, 4)), jit.TraceOptions{DynamicBatch: true}, more...)
	if !strings.Contains(tm2.Graph(), "prim.if") {
		t.Errorf("no prim.if:\n%s", tm2.Graph())
	}
	tm3 := checkTrace(t, tm2, ins(randn(2, 4)), jit.TraceOptions{DynamicBatch: true}, more...)
	if !strings.Contains(tm3.Graph(), "prim.if") || tm3.StateDict()["part.w"] != w {
		t.Errorf("re-tracing a traced module:\n%s", tm3.Graph())
	}
}

type outer2 struct {
	nn.Base
	L    *nn.Linear
	Part *jit.Module
}

func (m *outer2) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Part.Forward(m.L.Forward(x)).Sigmoid()
}

// inPlacePartIR writes into its input.
const inPlacePartIR = `module {
  method forward(%x: float32[N, 2]) -> (float32[N, 2]) {
    %0 = relu_(%x) : float32[N, 2]
    %1 = mul_scalar(%0) {s=3.0} : float32[N, 2]
    return %1
  }
}`

type inPlaceOuter struct {
	nn.Base
	Part *jit.Module
}

func (m *inPlaceOuter) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := x.AddScalar(-0.5)
	z := m.Part.Forward(y)
	return z.Add(y) // y was written by the part
}

func TestTraceHybridInPlace(t *testing.T) {
	m := &inPlaceOuter{Part: parseModule(t, inPlacePartIR, nil)}
	tm := checkTrace(t, m, ins(randn(3, 2)), jit.TraceOptions{}, ins(randn(5, 2)))
	var relu, add *ir.Node
	tm.IR().Method("forward").Walk(func(n *ir.Node) bool {
		switch n.Op {
		case "relu_":
			relu = n
		case "add":
			add = n
		}
		return true
	})
	if relu == nil || add == nil || add.Inputs[1] != relu.Outputs[0] {
		t.Errorf("the caller must see the part's in-place write:\n%s", tm.Graph())
	}
}

// TestTraceSpecialisedLayers: layers whose ops depend on sizes they read
// (an LSTM steps over the sequence, attention reshapes by batch and heads)
// trace to graphs of the example's shapes, which refuse other shapes
// rather than compute something else.
func TestTraceSpecialisedLayers(t *testing.T) {
	lstm := nn.NewLSTM(3, 4)
	nn.Eval(lstm)
	tm := checkTrace(t, lstm, ins(randn(6, 2, 3)), jit.TraceOptions{})
	for _, shape := range [][]int{{5, 2, 3}, {6, 1, 3}, {7, 2, 3}} {
		if _, err := tm.Call(randn(shape...)); err == nil || !strings.Contains(err.Error(), "the graph fixes dimension") {
			t.Errorf("LSTM traced on [6 2 3] run on %v: %v", shape, err)
		}
	}
	mha := nn.NewMultiheadAttention(4, 2)
	nn.Eval(mha)
	tm = checkTrace(t, mha, ins(randn(3, 2, 4), randn(3, 2, 4), randn(3, 2, 4)), jit.TraceOptions{})
	if _, err := tm.Call(randn(4, 2, 4), randn(3, 2, 4), randn(3, 2, 4)); err == nil {
		t.Error("attention traced with L=3 ran L=4")
	}
	_, err := jit.Trace(mha, ins(randn(3, 2, 4), randn(3, 2, 4), randn(3, 2, 4)), jit.TraceOptions{DynamicBatch: true})
	if err == nil || !strings.Contains(err.Error(), "DynamicBatch") {
		t.Errorf("DynamicBatch on attention: %v", err)
	}
}

// TestTraceLibraryReadOfState: a layer reading the values of its own state
// (BatchNorm's batch count under CumulativeAverage) is a warning, not an
// error: the momentum of the trace's step is baked in.
func TestTraceLibraryReadOfState(t *testing.T) {
	bn := nn.NewBatchNorm1d(3, nn.BatchNormOptions{CumulativeAverage: true})
	var ws []string
	tm, err := jit.Trace(bn, ins(randn(4, 3)), collect(&ws))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || !strings.Contains(ws[0], "norm.go:") || !strings.Contains(ws[0], "(item)") {
		t.Errorf("warnings = %q", ws)
	}
	if !strings.Contains(tm.Graph(), "momentum=1.0") {
		t.Errorf("the first batch's momentum 1/1 should be baked in:\n%s", tm.Graph())
	}
}
