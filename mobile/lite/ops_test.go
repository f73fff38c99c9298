package lite_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/tensor"
)

// opCase is one op of the tensor op table run by the lite runtime and by
// the table's Run (eager), which must agree bit for bit.
type opCase struct {
	op     string
	inputs []*tensor.Tensor // nil: an absent optional input
	attrs  tensor.Attrs
}

// formatAttrs converts op-table attributes into the file's.
func formatAttrs(t testing.TB, a tensor.Attrs) []format.Attr {
	var out []format.Attr
	for name, v := range a {
		switch x := v.(type) {
		case int64:
			out = append(out, format.IntAttr(name, x))
		case float64:
			out = append(out, format.FloatAttr(name, x))
		case bool:
			out = append(out, format.BoolAttr(name, x))
		case string:
			out = append(out, format.StringAttr(name, x))
		case []int64:
			out = append(out, format.IntsAttr(name, x...))
		case []float64:
			out = append(out, format.FloatsAttr(name, x...))
		case nil:
			out = append(out, format.NoneAttr(name))
		default:
			t.Fatalf("attribute %s: %T", name, v)
		}
	}
	return out
}

func fdtype(t testing.TB, d tensor.DType) format.DType {
	dt, ok := format.ParseDType(d.String())
	if !ok {
		t.Fatalf("dtype %v", d)
	}
	return dt
}

// tensorBytes returns a tensor's elements as little-endian bytes.
func tensorBytes(t testing.TB, x *tensor.Tensor) []byte {
	switch x.DType() {
	case tensor.Float32:
		return format.Float32Bytes(x.ToFloat32s())
	case tensor.Float64:
		return format.Float64Bytes(x.ToFloat64s())
	case tensor.Int64:
		return format.Int64Bytes(x.ToInt64s())
	case tensor.Bool:
		return format.BoolBytes(x.ToBools())
	}
	t.Fatalf("dtype %v", x.DType())
	return nil
}

// runCase runs c both ways; with consts, every input but the first is a
// constant of the file (weights), else all are inputs of the method.
func runCase(t *testing.T, c opCase, consts bool) {
	t.Helper()
	file, data, want := caseFile(t, c, consts)
	m, err := lite.LoadBytes(file)
	if err != nil {
		t.Fatalf("%s %v: %v", c.op, c.attrs, err)
	}
	s := m.NewSession()
	fwd := m.Method("forward")
	if err := s.Run(fwd, data, nil); err != nil {
		t.Fatalf("%s: %v", c.op, err)
	}
	got := s.OutputBytes(fwd, 0)
	wb := tensorBytes(t, want)
	if string(got) != string(wb) {
		if want.DType() == tensor.Float32 {
			g := make([]float32, len(got)/4)
			for i := range g {
				g[i] = math.Float32frombits(uint32(got[4*i]) | uint32(got[4*i+1])<<8 | uint32(got[4*i+2])<<16 | uint32(got[4*i+3])<<24)
			}
			t.Errorf("%s %v (consts %v):\nlite  %v\neager %v", c.op, c.attrs, consts, g, want.ToFloat32s())
		} else {
			t.Errorf("%s %v (consts %v): lite and eager differ", c.op, c.attrs, consts)
		}
	}
}

// caseFile returns the model file of c, the method's inputs and eager's
// output.
func caseFile(t testing.TB, c opCase, consts bool) ([]byte, []lite.Tensor, *tensor.Tensor) {
	def, ok := tensor.LookupOp(c.op)
	if !ok {
		t.Fatalf("no op %s", c.op)
	}
	want := def.Run(c.inputs, c.attrs)[0]
	b := newMB("forward")
	var ins, methodIns []int
	var data []lite.Tensor
	for i, x := range c.inputs {
		if x == nil {
			ins = append(ins, format.NoValue)
			continue
		}
		if consts && i > 0 {
			ins = append(ins, b.konst(fmt.Sprint("c", i), fdtype(t, x.DType()), tensorBytes(t, x), x.Shape()...))
			continue
		}
		v := b.arena(fmt.Sprint("in", i), fdtype(t, x.DType()), x.Shape()...)
		ins, methodIns = append(ins, v), append(methodIns, v)
		switch x.DType() {
		case tensor.Float32:
			data = append(data, lite.Tensor{Data: x.ToFloat32s()})
		case tensor.Int64:
			data = append(data, lite.Tensor{Data: x.ToInt64s()})
		default:
			t.Fatalf("input dtype %v", x.DType())
		}
	}
	y := b.arena("y", fdtype(t, want.DType()), want.Shape()...)
	b.op(c.op, ins, ints(y), formatAttrs(t, c.attrs)...)
	b.io(methodIns, ints(y))
	return b.encode(t), data, want
}

func TestOpsMatchEager(t *testing.T) {
	for _, c := range opCases() {
		for _, consts := range []bool{false, true} {
			runCase(t, c, consts)
		}
	}
}

// opCases lists the op-table ops of the runtime with inputs and
// attributes covering their paths.
func opCases() []opCase {
	r := rand.New(rand.NewPCG(5, 6))
	f := func(shape ...int) *tensor.Tensor {
		return tensor.FromSlice(randn(r, format.Numel(shape), 1), shape...)
	}
	pos := func(shape ...int) *tensor.Tensor { return f(shape...).Abs().AddScalar(0.5) }
	i64 := func(v ...int64) []int64 { return v }
	conv := func(stride, padding []int64, mode string, dil []int64, groups int64) tensor.Attrs {
		a := tensor.Attrs{"stride": stride, "padding": padding, "padding_mode": mode, "dilation": dil, "groups": groups}
		for k, v := range a {
			if s, ok := v.([]int64); ok && s == nil {
				a[k] = nil
			}
		}
		return a
	}
	none := tensor.Attrs{}
	x4 := f(2, 4, 9, 9)
	cases := []opCase{
		{"conv2d", []*tensor.Tensor{x4, f(6, 2, 3, 3), f(6)}, conv(i64(2), i64(1), "", i64(1), 2)},
		{"conv2d", []*tensor.Tensor{x4, f(5, 4, 3, 2), nil}, conv(nil, nil, "same", i64(2), 1)},
		{"conv2d", []*tensor.Tensor{x4, f(3, 4, 3, 3), f(3)}, conv(i64(1, 2), nil, "valid", nil, 0)},
		{"conv2d", []*tensor.Tensor{f(1, 8, 10, 10), f(8, 1, 3, 3), nil}, conv(i64(1), i64(1), "", nil, 8)},
		{"conv2d", []*tensor.Tensor{f(1, 8, 10, 10), f(8, 1, 3, 3), f(8)}, conv(i64(2), i64(1), "", nil, 8)},
		{"conv2d", []*tensor.Tensor{f(3, 8, 8), f(4, 3, 1, 1), f(4)}, conv(nil, nil, "", nil, 1)},
		{"conv2d", []*tensor.Tensor{f(1, 16, 20, 20), f(32, 16, 3, 3), f(32)}, conv(i64(1), i64(1), "", nil, 1)},
		{"linear", []*tensor.Tensor{f(3, 5, 7), f(4, 7), f(4)}, none},
		{"linear", []*tensor.Tensor{f(2, 300), f(33, 300), nil}, none},
		{"matmul", []*tensor.Tensor{f(2, 3, 4), f(4, 5)}, none},
		{"matmul", []*tensor.Tensor{f(3, 4), f(4)}, none},
		{"matmul", []*tensor.Tensor{f(4), f(4, 5)}, none},
		{"matmul", []*tensor.Tensor{f(2, 1, 3, 4), f(3, 4, 2)}, none},
		{"add", []*tensor.Tensor{f(2, 3, 4), f(3, 1)}, none},
		{"sub", []*tensor.Tensor{f(1), f(2, 3)}, none},
		{"mul", []*tensor.Tensor{f(2, 3), f(2, 3)}, none},
		{"div", []*tensor.Tensor{f(4, 1, 5), pos(3, 1)}, none},
		{"add_scalar", []*tensor.Tensor{f(3, 4)}, tensor.Attrs{"s": 1.5}},
		{"sub_scalar", []*tensor.Tensor{f(3, 4)}, tensor.Attrs{"s": 0.1}},
		{"mul_scalar", []*tensor.Tensor{f(3, 4)}, tensor.Attrs{"s": -3.0}},
		{"div_scalar", []*tensor.Tensor{f(3, 4)}, tensor.Attrs{"s": 7.0}},
		{"relu", []*tensor.Tensor{f(5, 7)}, none},
		{"relu6", []*tensor.Tensor{f(5, 7).MulScalar(5)}, none},
		{"sigmoid", []*tensor.Tensor{f(5, 7)}, none},
		{"tanh", []*tensor.Tensor{f(5, 7)}, none},
		{"silu", []*tensor.Tensor{f(5, 7)}, none},
		{"hardswish", []*tensor.Tensor{f(5, 7).MulScalar(4)}, none},
		{"hardsigmoid", []*tensor.Tensor{f(5, 7).MulScalar(4)}, none},
		{"hardtanh", []*tensor.Tensor{f(5, 7)}, tensor.Attrs{"lo": -0.5, "hi": 0.7}},
		{"clamp", []*tensor.Tensor{f(5, 7)}, tensor.Attrs{"lo": -0.2, "hi": 0.3}},
		{"clamp", []*tensor.Tensor{f(5, 7)}, tensor.Attrs{"lo": math.NaN(), "hi": 0.3}},
		{"gelu", []*tensor.Tensor{f(5, 7)}, tensor.Attrs{"approximate": "none"}},
		{"gelu", []*tensor.Tensor{f(5, 7)}, tensor.Attrs{"approximate": "tanh"}},
		{"leaky_relu", []*tensor.Tensor{f(5, 7)}, tensor.Attrs{"slope": 0.1}},
		{"elu", []*tensor.Tensor{f(5, 7)}, tensor.Attrs{"alpha": 0.7}},
		{"max_pool2d", []*tensor.Tensor{f(2, 3, 9, 8)}, tensor.Attrs{"kernel_size": i64(3), "stride": i64(2), "padding": i64(1), "dilation": i64(1), "ceil_mode": true}},
		{"max_pool2d", []*tensor.Tensor{f(3, 9, 8)}, tensor.Attrs{"kernel_size": i64(2, 3), "stride": nil, "padding": nil, "dilation": i64(2), "ceil_mode": false}},
		{"avg_pool2d", []*tensor.Tensor{f(2, 3, 9, 8)}, tensor.Attrs{"kernel_size": i64(3), "stride": nil, "padding": i64(1), "ceil_mode": false, "exclude_pad": true, "divisor_override": int64(0)}},
		{"avg_pool2d", []*tensor.Tensor{f(2, 3, 9, 8)}, tensor.Attrs{"kernel_size": i64(2), "stride": i64(1), "padding": nil, "ceil_mode": true, "exclude_pad": false, "divisor_override": int64(3)}},
		{"adaptive_avg_pool2d", []*tensor.Tensor{f(2, 3, 7, 5)}, tensor.Attrs{"out_h": int64(3), "out_w": int64(2)}},
		{"adaptive_avg_pool2d", []*tensor.Tensor{f(2, 3, 7, 5)}, tensor.Attrs{"out_h": int64(1), "out_w": int64(-1)}},
		{"flatten", []*tensor.Tensor{f(2, 3, 4, 5)}, tensor.Attrs{"start": int64(1), "end": int64(-1)}},
		{"reshape", []*tensor.Tensor{f(2, 3, 4)}, tensor.Attrs{"shape": i64(-1, 6)}},
		{"view", []*tensor.Tensor{f(2, 3, 4)}, tensor.Attrs{"shape": i64(4, 6)}},
		{"squeeze", []*tensor.Tensor{f(2, 1, 4, 1)}, tensor.Attrs{"dims": nil}},
		{"squeeze", []*tensor.Tensor{f(2, 1, 4, 1)}, tensor.Attrs{"dims": i64(1)}},
		{"unsqueeze", []*tensor.Tensor{f(2, 4)}, tensor.Attrs{"dim": int64(-1)}},
		{"transpose", []*tensor.Tensor{f(2, 3, 4)}, tensor.Attrs{"d0": int64(0), "d1": int64(2)}},
		{"permute", []*tensor.Tensor{f(2, 3, 4)}, tensor.Attrs{"dims": i64(2, 0, 1)}},
		{"contiguous", []*tensor.Tensor{f(2, 3)}, none},
		{"clone", []*tensor.Tensor{f(2, 3)}, none},
		{"detach", []*tensor.Tensor{f(2, 3)}, none},
		{"dropout", []*tensor.Tensor{f(2, 3)}, tensor.Attrs{"p": 0.5, "training": false}},
		{"cat", []*tensor.Tensor{f(2, 3, 2), f(2, 1, 2), f(2, 4, 2)}, tensor.Attrs{"dim": int64(1)}},
		{"cat", []*tensor.Tensor{f(2, 3), f(1, 3)}, tensor.Attrs{"dim": int64(-2)}},
		{"softmax", []*tensor.Tensor{f(3, 5, 4)}, tensor.Attrs{"dim": int64(1)}},
		{"softmax", []*tensor.Tensor{f(3, 17)}, tensor.Attrs{"dim": int64(-1)}},
		{"log_softmax", []*tensor.Tensor{f(3, 5, 4)}, tensor.Attrs{"dim": int64(1)}},
		{"log_softmax", []*tensor.Tensor{f(3, 17)}, tensor.Attrs{"dim": int64(1)}},
		{"batch_norm", []*tensor.Tensor{f(2, 3, 4, 4), f(3), pos(3), f(3), f(3)}, tensor.Attrs{"training": false, "momentum": 0.1, "eps": 1e-5}},
		{"batch_norm", []*tensor.Tensor{f(2, 3), f(3), pos(3), nil, nil}, tensor.Attrs{"training": false, "momentum": 0.1, "eps": 1e-3}},
		{"layer_norm", []*tensor.Tensor{f(2, 3, 8), f(8), f(8)}, tensor.Attrs{"normalized_shape": i64(8), "eps": 1e-5}},
		{"layer_norm", []*tensor.Tensor{f(2, 3, 8), nil, nil}, tensor.Attrs{"normalized_shape": i64(3, 8), "eps": 1e-5}},
		{"mean_dims", []*tensor.Tensor{f(2, 3, 4, 5)}, tensor.Attrs{"dims": i64(2, 3), "keepdim": true}},
		{"mean_dims", []*tensor.Tensor{f(2, 3, 4)}, tensor.Attrs{"dims": i64(0, 2), "keepdim": false}},
		{"mean_dims", []*tensor.Tensor{f(2, 3, 4)}, tensor.Attrs{"dims": nil, "keepdim": false}},
		{"sum_dims", []*tensor.Tensor{f(2, 3, 4)}, tensor.Attrs{"dims": i64(0, 2), "keepdim": true}},
		{"sum_dims", []*tensor.Tensor{f(2, 3, 4)}, tensor.Attrs{"dims": i64(-1), "keepdim": false}},
		{"embedding", []*tensor.Tensor{tensor.FromSlice([]int64{0, 9, 3, 3, 1, 2}, 2, 3), f(10, 4)}, tensor.Attrs{"padding_idx": int64(-1)}},
	}
	return cases
}

// TestFusedOpsMatchEager checks the lite-only fused ops against the eager
// composition they replace, bit for bit.
func TestFusedOpsMatchEager(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	f := func(shape ...int) *tensor.Tensor {
		return tensor.FromSlice(randn(r, format.Numel(shape), 1), shape...)
	}
	acts := []struct {
		attrs []format.Attr
		eager func(*tensor.Tensor) *tensor.Tensor
	}{
		{[]format.Attr{format.StringAttr("act", "relu")}, (*tensor.Tensor).ReLU},
		{[]format.Attr{format.StringAttr("act", "relu"), format.FloatAttr("act_min", 0), format.FloatAttr("act_max", math.Inf(1))}, (*tensor.Tensor).ReLU},
		{[]format.Attr{format.StringAttr("act", "relu6"), format.FloatAttr("act_min", 0), format.FloatAttr("act_max", 6)}, (*tensor.Tensor).ReLU6},
		{[]format.Attr{format.StringAttr("act", "clamp"), format.FloatAttr("act_min", -0.3), format.FloatAttr("act_max", 0.4)},
			func(x *tensor.Tensor) *tensor.Tensor { return x.Hardtanh(-0.3, 0.4) }},
		{[]format.Attr{format.StringAttr("act", "clamp"), format.FloatAttr("act_min", 0.1), format.FloatAttr("act_max", 2)},
			func(x *tensor.Tensor) *tensor.Tensor { return x.Clamp(0.1, 2) }},
	}
	run := func(name string, op string, ins []*tensor.Tensor, attrs []format.Attr, want *tensor.Tensor) {
		t.Helper()
		b := newMB("forward")
		var vs []int
		var data []lite.Tensor
		for i, x := range ins {
			if x == nil {
				vs = append(vs, format.NoValue)
				continue
			}
			if i == 0 {
				v := b.arena("x", format.Float32, x.Shape()...)
				vs = append(vs, v)
				data = append(data, lite.Tensor{Data: x.ToFloat32s()})
				continue
			}
			vs = append(vs, b.f32(fmt.Sprint("w", i), x.ToFloat32s(), x.Shape()...))
		}
		y := b.arena("y", format.Float32, want.Shape()...)
		b.op(op, vs, ints(y), attrs...)
		b.io(ints(vs[0]), ints(y))
		m := loadT(t, b.encode(t))
		s := m.NewSession()
		got := make([]float32, want.Numel())
		if err := s.Run(m.Method("forward"), data, []lite.Tensor{{Data: got}}); err != nil {
			t.Fatal(err)
		}
		if !sameBits(got, want.ToFloat32s()) {
			t.Errorf("%s: lite %v\neager %v", name, got, want.ToFloat32s())
		}
	}
	for ai, a := range acts {
		for _, dw := range []bool{false, true} {
			x, w, bias := f(1, 4, 7, 7), f(6, 4, 3, 3), f(6)
			o := tensor.Conv2dOptions{Padding: []int{1}}
			conv := append([]format.Attr{format.IntsAttr("padding", 1)}, a.attrs...)
			if dw {
				w, bias = f(4, 1, 3, 3), f(4)
				o.Groups = 4
				conv = append(conv, format.IntAttr("groups", 4))
			}
			run(fmt.Sprint("conv2d_act ", ai), "conv2d_act", []*tensor.Tensor{x, w, bias}, conv, a.eager(tensor.Conv2d(x, w, bias, o)))
		}
		x, w, bias := f(3, 20), f(7, 20), f(7)
		run(fmt.Sprint("linear_act ", ai), "linear_act", []*tensor.Tensor{x, w, bias}, a.attrs, a.eager(tensor.Linear(x, w, bias)))
		run(fmt.Sprint("linear_act nobias ", ai), "linear_act", []*tensor.Tensor{x, w, nil}, a.attrs, a.eager(tensor.Linear(x, w, nil)))
	}
	x, u := f(2, 3, 4), f(3, 4)
	run("add_relu", "add_relu", []*tensor.Tensor{x, u}, nil, x.Add(u).ReLU())
	for _, bad := range [][]format.Attr{
		{format.StringAttr("act", "relu"), format.FloatAttr("act_min", 1), format.FloatAttr("act_max", 2)},
		{format.StringAttr("act", "clamp")},
		{format.StringAttr("act", "clamp"), format.FloatAttr("act_min", 2), format.FloatAttr("act_max", 1)},
		{format.StringAttr("act", "clamp"), format.FloatAttr("act_min", math.NaN()), format.FloatAttr("act_max", 1)},
		{format.StringAttr("act", "gelu")},
		{format.StringAttr("act", "relu"), format.FloatAttr("lo", 0)},
	} {
		b := newMB("forward")
		xv := b.arena("x", format.Float32, 2, 3)
		w := b.f32("w", make([]float32, 6), 2, 3)
		y := b.arena("y", format.Float32, 2, 2)
		b.op("linear_act", ints(xv, w), ints(y), bad...)
		b.io(ints(xv), ints(y))
		if _, err := lite.LoadBytes(b.encode(t)); err == nil {
			t.Errorf("linear_act %v loaded", bad)
		}
	}
}
