package ir_test

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

var update = flag.Bool("update", false, "rewrite testdata/*.ir golden files")

// negNaN is a NaN with the sign bit and another payload than math.NaN's.
var negNaN = math.Float64frombits(0xfff8000000000042)

func tt(dt tensor.DType, dims ...ir.Dim) ir.Type { return ir.TensorType(dt, dims...) }

var (
	N   = ir.SymDim("N")
	unk = ir.UnknownDim()
	f32 = tensor.Float32
)

func d(n int) ir.Dim { return ir.FixedDim(n) }

// buildFull builds a module using every construct of the IR: metadata,
// every constant kind, quantized, symbolic, unknown and rank-0 types,
// every attribute kind (NaN, infinities, negative zero), none inputs,
// multiple outputs, a prim.if nested in a prim.loop, prim.call, lists,
// name hints that collide or are not identifiers, several methods.
func buildFull() *ir.Module {
	m := ir.NewModule()
	m.Metadata["producer"] = "ember test"
	m.Metadata["labels"] = "cat\ndog \"quoted\" ü"
	w := m.AddTensor("features.0.weight", ir.Param, tensor.Zeros(16, 1, 3, 3))
	m.AddTensor("features.0.bias", ir.Param, tensor.Zeros(16))
	rm := m.AddTensor("bn.running_mean", ir.Buffer, tensor.Zeros(16))
	top := m.AddTensor("0.weight", ir.Param, tensor.Zeros(10, 16))
	qw := m.AddConst("q.weight", ir.Constant, ir.Type{
		Kind: ir.KindTensor, DType: f32, Shape: ir.Dims(4, 2),
		Quant: &ir.QuantParams{Scheme: ir.PerChannel, Axis: 0, Scales: []float64{0.5, 0.25, 1e-3, 0.1}, ZeroPoints: []int64{0, 1, -2, 127}, StorageDType: tensor.Int8},
	}, nil)

	// helper(%a: float32[N, 16], %s: float) -> (float32[N, 16], int)
	h := m.NewMethod("helper")
	a := h.AddInput("a", tt(f32, N, d(16)))
	s := h.AddInput("s", ir.FloatType())
	hb := ir.NewBuilder(h.Body)
	scaled := hb.Op("mul_scalar", []*ir.Value{a}, ir.Attrs{"other": 2.5}, tt(f32, N, d(16)))
	_ = s
	n0 := hb.Op(ir.OpSize, []*ir.Value{scaled}, ir.Attrs{"dim": -2}, ir.IntType())
	h.Return(scaled, n0)

	g := m.NewMethod("forward")
	x := g.AddInput("x", tt(f32, N, d(1), d(28), d(28)))
	flag := g.AddInput("flag", ir.BoolType())
	b := ir.NewBuilder(g.Body)
	b.Pos = "model.go:31"
	wv := b.Param(w)
	conv := b.Add("conv2d", []*ir.Value{x, wv, nil}, ir.Attrs{
		"stride": []int{1, 1}, "padding": []int64{1, 1}, "groups": 1,
	}, tt(f32, N, d(16), d(28), d(28)))
	b.Pos = ""
	every := b.Add("every_attr", []*ir.Value{conv.Output()}, ir.Attrs{
		"i": int64(-7), "big": int64(math.MinInt64), "f": 0.1, "f32": float32(0.1), "one": 1.0,
		"negzero": math.Copysign(0, -1), "zero": 0.0, "nan": math.NaN(), "negnan": negNaN,
		"inf": math.Inf(1), "ninf": math.Inf(-1), "huge": 1e21, "tiny": 5e-324, "max": math.MaxFloat64,
		"t": true, "fl": false, "s": "tab\there \"q\" \\ ü\n", "empty": "", "dt": tensor.Int64,
		"none": nil, "ints": []int64{3, -1, 0}, "noints": []int64{}, "floats": []float64{1, math.Inf(-1), math.NaN(), -0.5},
		"nofloats": []float64{},
	}, tt(f32, N, d(16), d(28), d(28)), tt(ir.UnknownDType, unk, d(16)), ir.UnrankedTensorType(f32), tt(tensor.Int64))
	every.Outputs[1].Name = "x" // collides with the input %x
	every.Outputs[2].Name = "x"
	every.Outputs[3].Name = "3 weird-name"
	b.Pos = "model.go:40\nsecond line"
	pooled := b.Op("flatten", []*ir.Value{every.Outputs[0]}, ir.Attrs{"start_dim": 1}, tt(f32, N, unk))
	b.Pos = ""
	rmv := b.Param(rm)
	qv := b.Param(qw)
	_ = qv
	mean := b.Op("add", []*ir.Value{pooled, rmv}, nil, tt(f32, N, d(16)))

	// A loop: for i < 3 (while cond), carried h; an if nested inside.
	trip := b.Constant(int64(math.MaxInt64))
	loop, body := b.Loop(trip, flag, mean)
	bb := ir.NewBuilder(body)
	iter, hcur := body.Params[0], body.Params[1]
	three := bb.Constant(3)
	more := bb.Op(ir.OpLt, []*ir.Value{iter, three}, nil, ir.BoolType())
	call := bb.Call("helper", []*ir.Value{hcur, bb.Constant(0.5)}, tt(f32, N, d(16)), ir.IntType())
	ifn, then, els := bb.If(more, tt(f32, N, d(16)))
	tb := ir.NewBuilder(then)
	tb.Pos = "model.go:50"
	then.Returns = []*ir.Value{tb.Op("relu", []*ir.Value{call.Outputs[0]}, nil, tt(f32, N, d(16)))}
	eb := ir.NewBuilder(els)
	eb.Raise("unreachable: i >= 3")
	els.Returns = []*ir.Value{hcur}
	body.Returns = []*ir.Value{more, ifn.Output()}

	// Scalar arithmetic and conversions.
	sz := b.Op(ir.OpSize, []*ir.Value{x, b.Constant(0)}, nil, ir.IntType())
	half := b.Op(ir.OpFloorDiv, []*ir.Value{sz, b.Constant(2)}, nil, ir.IntType())
	fl := b.Op(ir.OpFloat, []*ir.Value{half}, nil, ir.FloatType())
	item := b.Op(ir.OpItem, []*ir.Value{b.TensorConstant(m, tensor.FromSlice([]float32{1.5}))}, nil, ir.FloatType())
	sum := b.Op(ir.OpAdd, []*ir.Value{fl, item}, nil, ir.FloatType())
	neg := b.Op(ir.OpNeg, []*ir.Value{sum}, nil, ir.FloatType())
	ne := b.Op(ir.OpNe, []*ir.Value{b.Constant("a"), b.Constant("b")}, nil, ir.BoolType())
	not := b.Op(ir.OpNot, []*ir.Value{ne}, nil, ir.BoolType())
	lst := b.Op(ir.OpListConstruct, []*ir.Value{sz, half}, nil, ir.ListType(ir.IntType()))
	unp := b.Add(ir.OpListUnpack, []*ir.Value{lst}, nil, ir.IntType(), ir.IntType())
	cl := b.Constant([]float64{0.5, -1})
	_ = b.Constant(nil)
	_ = b.Constant([]int64{})
	sc := b.Op(ir.OpTensorToBool, []*ir.Value{b.Param(top)}, nil, ir.BoolType())
	_ = sc
	out := b.Op("linear", []*ir.Value{loop.Output(), b.Param(top), nil}, nil, tt(f32, N, d(10)))
	g.Return(out, neg, not, unp.Outputs[1], cl)

	// A method with no inputs and no results.
	e := m.NewMethod("noop")
	e.Return()
	return m
}

func TestFullModuleVerifies(t *testing.T) {
	m := buildFull()
	if err := ir.Verify(m, nil); err != nil {
		t.Fatalf("Verify: %v\n%s", err, m)
	}
}

func TestRoundTrip(t *testing.T) {
	m := buildFull()
	text := m.String()
	m2, err := ir.Parse(text, nil)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	if err := ir.Verify(m2, nil); err != nil {
		t.Fatalf("Verify after Parse: %v", err)
	}
	if got := m2.String(); got != text {
		t.Fatalf("print(parse(print(m))) differs:\n%s", diff(text, got))
	}
	compareModules(t, m, m2)
}

func TestGolden(t *testing.T) {
	text := buildFull().String()
	path := filepath.Join("testdata", "full.ir")
	if *update {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if text != string(want) {
		t.Fatalf("printed module differs from %s (go test -update to accept):\n%s", path, diff(string(want), text))
	}
	// The golden file itself round-trips.
	m, err := ir.Parse(string(want), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != string(want) {
		t.Fatal("golden file does not round-trip")
	}
}

// TestPrintStable builds the same module several times (map iteration order
// differs from run to run) and prints each several times.
func TestPrintStable(t *testing.T) {
	want := buildFull().String()
	for range 20 {
		m := buildFull()
		for range 3 {
			if got := m.String(); got != want {
				t.Fatalf("unstable printing:\n%s", diff(want, got))
			}
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	m := buildFull()
	text := m.String()
	c := m.Clone()
	if c.String() != text {
		t.Fatalf("clone prints differently:\n%s", diff(text, c.String()))
	}
	if err := ir.Verify(c, nil); err != nil {
		t.Fatal(err)
	}
	compareModules(t, m, c)
	// Mutating the clone leaves m alone.
	fwd := c.Method("forward")
	fwd.Body.Nodes[1].Attrs["stride"].([]int64)[0] = 99
	fwd.Body.Nodes = fwd.Body.Nodes[:1]
	c.Consts[0].Type.Shape[0] = ir.FixedDim(1)
	c.Metadata["producer"] = "other"
	if m.String() != text {
		t.Fatal("mutating the clone changed the original")
	}
}

func TestParseAttachesTensors(t *testing.T) {
	text := buildFull().String()
	w := tensor.Ones(16, 1, 3, 3)
	q := tensor.Zeros(4, 2).To(tensor.Int8)
	m, err := ir.Parse(text, map[string]*tensor.Tensor{"features.0.weight": w, "q.weight": q, "not.declared": w})
	if err != nil {
		t.Fatal(err)
	}
	if m.Const("features.0.weight").Tensor != w || m.Const("q.weight").Tensor != q {
		t.Fatal("tensors not attached")
	}
	if m.Const("features.0.bias").Tensor != nil {
		t.Fatal("a tensor not given should stay nil")
	}
	if err := ir.Verify(m, nil); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]*tensor.Tensor{
		"features.0.weight": tensor.Ones(16, 1, 3),
		"features.0.bias":   tensor.Ones(16).To(tensor.Float64),
		"q.weight":          tensor.Zeros(4, 2), // float32, storage is int8
	} {
		_, err := ir.Parse(text, map[string]*tensor.Tensor{name: bad})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: want an error naming the constant, got %v", name, err)
		}
	}
}

func TestFloatAttrsBitExact(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 0.1, 1.0 / 3, 1e21, 1e-7, 5e-324, math.MaxFloat64, -math.SmallestNonzeroFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(), negNaN, math.Float64frombits(0x7ff0000000000001), float64(float32(0.1)), 123456789012345680, -2.5}
	for _, v := range vals {
		m := ir.NewModule()
		g := m.NewMethod("f")
		b := ir.NewBuilder(g.Body)
		c := b.Constant(v)
		l := b.Op("op", nil, ir.Attrs{"l": []float64{v, v}}, ir.IntType())
		g.Return(c, l)
		text := m.String()
		m2, err := ir.Parse(text, nil)
		if err != nil {
			t.Fatalf("%v: %v\n%s", v, err, text)
		}
		nodes := m2.Method("f").Body.Nodes
		got, _ := nodes[0].Attrs.Float("value")
		gotl, _ := nodes[1].Attrs.Floats("l")
		for _, x := range append([]float64{got}, gotl...) {
			if math.Float64bits(x) != math.Float64bits(v) {
				t.Errorf("%v (%#x) came back as %v (%#x) from\n%s", v, math.Float64bits(v), x, math.Float64bits(x), text)
			}
		}
	}
}

func TestTypeStringParse(t *testing.T) {
	cases := []struct {
		typ  ir.Type
		text string
	}{
		{ir.IntType(), "int"},
		{ir.FloatType(), "float"},
		{ir.BoolType(), "bool"},
		{ir.StrType(), "str"},
		{ir.NoneType(), "none"},
		{ir.ListType(ir.IntType()), "list<int>"},
		{ir.ListType(tt(f32, N)), "list<float32[N]>"},
		{tt(f32), "float32[]"},
		{tt(tensor.Bool, d(2)), "bool[2]"},
		{ir.UnrankedTensorType(f32), "float32[...]"},
		{ir.UnrankedTensorType(ir.UnknownDType), "tensor[...]"},
		{tt(ir.UnknownDType, N, unk, d(0)), "tensor[N, ?, 0]"},
		{ir.Type{Kind: ir.KindTensor, DType: f32, Shape: ir.Dims(3), Quant: &ir.QuantParams{Scales: []float64{0.1}, ZeroPoints: []int64{128}, StorageDType: tensor.Uint8}},
			"float32[3] quant<uint8, per_tensor, scales=[0.1], zero_points=[128]>"},
		{ir.Type{Kind: ir.KindTensor, DType: f32, Shape: []ir.Dim{d(2), N}, Quant: &ir.QuantParams{Scheme: ir.PerChannel, Axis: 0, Scales: []float64{1, 2}, ZeroPoints: []int64{0, 0}, StorageDType: tensor.Int8}},
			"float32[2, N] quant<int8, per_channel, axis=0, scales=[1.0, 2.0], zero_points=[0, 0]>"},
	}
	for _, c := range cases {
		if got := c.typ.String(); got != c.text {
			t.Errorf("String: got %q, want %q", got, c.text)
		}
		back, err := ir.ParseType(c.text)
		if err != nil {
			t.Errorf("ParseType(%q): %v", c.text, err)
			continue
		}
		if !back.Equal(c.typ) {
			t.Errorf("ParseType(%q) = %v, not equal", c.text, back)
		}
	}
	for _, bad := range []string{"", "int8", "float32[", "float32[-1]", "float32[1.5]", "list<>", "float[3]", "float32[3] quant<uint8, per_tensor, scales=[1.0]>", "float32[3] quant<uint8, per_tensor, scales=[1.0], zero_points=[0.5]>", "int int"} {
		if _, err := ir.ParseType(bad); err == nil {
			t.Errorf("ParseType(%q): no error", bad)
		}
	}
}

func TestAssignable(t *testing.T) {
	q := &ir.QuantParams{Scales: []float64{0.1}, ZeroPoints: []int64{0}, StorageDType: tensor.Uint8}
	cases := []struct {
		from, to ir.Type
		want     bool
	}{
		{tt(f32, d(2), d(3)), tt(f32, d(2), d(3)), true},
		{tt(f32, d(2), d(3)), tt(f32, unk, d(3)), true},
		{tt(f32, d(2), d(3)), ir.UnrankedTensorType(f32), true},
		{tt(f32, d(2), d(3)), ir.UnrankedTensorType(ir.UnknownDType), true},
		{tt(f32, N, d(3)), tt(f32, N, d(3)), true},
		{tt(f32, N, d(3)), tt(f32, unk, d(3)), true},
		{tt(f32, d(2), d(3)), tt(f32, N, d(3)), false},
		{tt(f32, unk, d(3)), tt(f32, d(2), d(3)), false},
		{ir.UnrankedTensorType(f32), tt(f32, d(2)), false},
		{tt(f32, d(2)), tt(tensor.Float64, d(2)), false},
		{tt(f32, d(2)), tt(f32, d(2), d(1)), false},
		{tt(f32), tt(f32, d(1)), false},
		{ir.Type{Kind: ir.KindTensor, DType: f32, Shape: ir.Dims(2), Quant: q}, tt(f32, d(2)), false},
		{ir.Type{Kind: ir.KindTensor, DType: f32, Shape: ir.Dims(2), Quant: q}, ir.Type{Kind: ir.KindTensor, DType: f32, Quant: q}, true},
		{ir.IntType(), ir.IntType(), true},
		{ir.IntType(), ir.FloatType(), false},
		{ir.ListType(tt(f32, d(2))), ir.ListType(ir.UnrankedTensorType(f32)), true},
		{ir.ListType(ir.IntType()), ir.ListType(ir.FloatType()), false},
	}
	for _, c := range cases {
		if got := c.from.AssignableTo(c.to); got != c.want {
			t.Errorf("%v assignable to %v: got %v, want %v", c.from, c.to, got, c.want)
		}
	}
}

// compareModules checks two modules node by node: ops, attributes (floats
// bit for bit), types, positions, names and the wiring of values.
func compareModules(t *testing.T, a, b *ir.Module) {
	t.Helper()
	if !reflect.DeepEqual(a.Metadata, b.Metadata) {
		t.Errorf("metadata %v != %v", a.Metadata, b.Metadata)
	}
	if len(a.Consts) != len(b.Consts) {
		t.Fatalf("%d constants != %d", len(a.Consts), len(b.Consts))
	}
	for i, c := range a.Consts {
		e := b.Consts[i]
		if c.Name != e.Name || c.Kind != e.Kind || !c.Type.Equal(e.Type) {
			t.Errorf("constant %d: %s %v %v != %s %v %v", i, c.Name, c.Kind, c.Type, e.Name, e.Kind, e.Type)
		}
	}
	if len(a.Methods) != len(b.Methods) {
		t.Fatalf("%d methods != %d", len(a.Methods), len(b.Methods))
	}
	for i, g := range a.Methods {
		h := b.Methods[i]
		if g.Name != h.Name || len(g.Results) != len(h.Results) {
			t.Fatalf("method %d: %s != %s", i, g.Name, h.Name)
		}
		for j := range g.Results {
			if !g.Results[j].Equal(h.Results[j]) {
				t.Errorf("%s result %d: %v != %v", g.Name, j, g.Results[j], h.Results[j])
			}
		}
		vm := map[*ir.Value]*ir.Value{}
		compareBlocks(t, g.Name, g.Body, h.Body, vm)
	}
}

func compareValues(t *testing.T, where string, a, b []*ir.Value, vm map[*ir.Value]*ir.Value, define bool) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("%s: %d values != %d", where, len(a), len(b))
		return
	}
	for i, v := range a {
		w := b[i]
		if (v == nil) != (w == nil) {
			t.Errorf("%s: value %d nil mismatch", where, i)
			continue
		}
		if v == nil {
			continue
		}
		if define {
			vm[v] = w
			if !v.Type.Equal(w.Type) {
				t.Errorf("%s: value %d type %v != %v", where, i, v.Type, w.Type)
			}
			continue
		}
		if vm[v] != w {
			t.Errorf("%s: value %d is wired differently", where, i)
		}
	}
}

func compareBlocks(t *testing.T, where string, a, b *ir.Block, vm map[*ir.Value]*ir.Value) {
	t.Helper()
	compareValues(t, where+" params", a.Params, b.Params, vm, true)
	if len(a.Nodes) != len(b.Nodes) {
		t.Errorf("%s: %d nodes != %d", where, len(a.Nodes), len(b.Nodes))
		return
	}
	for i, n := range a.Nodes {
		o := b.Nodes[i]
		w := fmt.Sprintf("%s node %d (%s)", where, i, n.Op)
		if n.Op != o.Op || strings.Join(strings.Fields(n.Pos), " ") != strings.Join(strings.Fields(o.Pos), " ") {
			t.Errorf("%s: op/pos %q %q != %q %q", w, n.Op, n.Pos, o.Op, o.Pos)
		}
		if !attrsEqual(n.Attrs, o.Attrs) {
			t.Errorf("%s: attrs %v != %v", w, n.Attrs, o.Attrs)
		}
		compareValues(t, w+" inputs", n.Inputs, o.Inputs, vm, false)
		compareValues(t, w+" outputs", n.Outputs, o.Outputs, vm, true)
		if len(n.Blocks) != len(o.Blocks) {
			t.Errorf("%s: %d blocks != %d", w, len(n.Blocks), len(o.Blocks))
			continue
		}
		for j := range n.Blocks {
			compareBlocks(t, fmt.Sprintf("%s block %d", w, j), n.Blocks[j], o.Blocks[j], vm)
		}
	}
	compareValues(t, where+" returns", a.Returns, b.Returns, vm, false)
}

func floatsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func attrsEqual(a, b ir.Attrs) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok {
			return false
		}
		switch v := v.(type) {
		case float64:
			x, ok := w.(float64)
			if !ok || math.Float64bits(v) != math.Float64bits(x) {
				return false
			}
		case []float64:
			x, ok := w.([]float64)
			if !ok || !floatsEqual(v, x) {
				return false
			}
		default:
			if !reflect.DeepEqual(v, w) {
				return false
			}
		}
	}
	return true
}

// diff shows the first differing line of two texts.
func diff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, w, g)
		}
	}
	return "(equal)"
}
