package nn_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// rnnAttrStrings returns a list attribute of strings.
func rnnAttrStrings(c golden.Case, k string) []string {
	v, _ := c.Attrs[k].([]any)
	out := make([]string, len(v))
	for i, x := range v {
		out[i], _ = x.(string)
	}
	return out
}

// rnnRunner is any of the three recurrent layers, run with states.
type rnnRunner struct {
	m   nn.Module
	run func(x, h0, c0 *tensor.Tensor) (out, hN, cN *tensor.Tensor)
}

func rnnFromCase(c golden.Case) rnnRunner {
	o := nn.RNNOptions{
		NumLayers: c.Int("num_layers"), NoBias: !c.Bool("bias"), BatchFirst: c.Bool("batch_first"),
		Bidirectional: c.Bool("bidirectional"), ProjSize: c.Int("proj_size"),
	}
	in, hid := c.Int("input_size"), c.Int("hidden_size")
	switch c.String("kind") {
	case "LSTM":
		m := nn.NewLSTM(in, hid, o)
		return rnnRunner{m, m.ForwardState}
	case "GRU":
		m := nn.NewGRU(in, hid, o)
		return rnnRunner{m, func(x, h0, _ *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor, *tensor.Tensor) {
			out, h := m.ForwardState(x, h0)
			return out, h, nil
		}}
	default:
		o.Nonlinearity = c.String("nonlinearity")
		m := nn.NewRNN(in, hid, o)
		return rnnRunner{m, func(x, h0, _ *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor, *tensor.Tensor) {
			out, h := m.ForwardState(x, h0)
			return out, h, nil
		}}
	}
}

func TestRNNGolden(t *testing.T) {
	for _, c := range golden.Load(t, "testdata/rnn.json") {
		t.Run(c.Name, func(t *testing.T) {
			r := rnnFromCase(c)
			if got, want := nn.StateKeys(r.m), rnnAttrStrings(c, "keys"); !slices.Equal(got, want) {
				t.Fatalf("state dict keys\n got %v\nwant %v", got, want)
			}
			rtol, atol := 1e-4, 2e-5
			if c.String("dtype") == "float64" {
				nn.To(r.m, tensor.Float64)
				rtol, atol = 1e-10, 1e-12
			}
			if _, err := nn.LoadStateDict(r.m, c.Prefixed("param."), true); err != nil {
				t.Fatal(err)
			}
			x := c.T("x").SetRequiresGrad(true)
			var h0, c0 *tensor.Tensor
			if c.Has("h0") {
				h0 = c.T("h0").SetRequiresGrad(true)
			}
			if c.Has("c0") {
				c0 = c.T("c0").SetRequiresGrad(true)
			}
			out, hN, cN := r.run(x, h0, c0)
			outs := map[string]*tensor.Tensor{"out": out, "hn": hN, "cn": cN}
			var loss *tensor.Tensor
			for _, k := range []string{"out", "hn", "cn"} {
				if !c.Has(k) {
					if outs[k] != nil {
						t.Errorf("%s: got a tensor, want none", k)
					}
					continue
				}
				golden.Close(t, k, outs[k], c.T(k), rtol, atol)
				term := outs[k].Mul(c.T("g." + k)).Sum()
				if loss == nil {
					loss = term
				} else {
					loss = loss.Add(term)
				}
			}
			loss.Backward()
			golden.Close(t, "grad.x", x.Grad(), c.T("grad.x"), rtol, atol)
			if h0 != nil {
				golden.Close(t, "grad.h0", h0.Grad(), c.T("grad.h0"), rtol, atol)
			}
			if c0 != nil {
				golden.Close(t, "grad.c0", c0.Grad(), c.T("grad.c0"), rtol, atol)
			}
			for _, p := range nn.NamedParameters(r.m) {
				golden.Close(t, "grad."+p.Name, p.Tensor.Grad(), c.T("grad."+p.Name), rtol, atol)
			}
		})
	}
}

func rnnExpectPanic(t *testing.T, f func(), parts ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", parts)
		}
		msg := fmt.Sprint(r)
		for _, p := range parts {
			if !strings.Contains(msg, p) {
				t.Errorf("panic %q does not mention %q", msg, p)
			}
		}
	}()
	f()
}

func TestRNNMisusePanics(t *testing.T) {
	lstm := nn.NewLSTM(4, 3)
	rnnExpectPanic(t, func() { lstm.Forward(tensor.Randn(5, 2, 7)) },
		"nn.LSTM", "input_size", "expected 4, got 7", "[5 2 7]")
	rnnExpectPanic(t, func() { lstm.Forward(tensor.Randn(1, 5, 2, 4)) },
		"nn.LSTM", "2-D or 3-D", "4-D", "[1 5 2 4]")
	rnnExpectPanic(t, func() { lstm.ForwardState(tensor.Randn(5, 2, 4), tensor.Randn(1, 3, 3), nil) },
		"nn.LSTM", "hidden[0]", "[1 2 3]", "[1 3 3]")
	rnnExpectPanic(t, func() { lstm.ForwardState(tensor.Randn(5, 2, 4), nil, tensor.Randn(1, 2, 4)) },
		"nn.LSTM", "hidden[1]", "[1 2 3]", "[1 2 4]")
	rnnExpectPanic(t, func() { lstm.ForwardState(tensor.Randn(5, 4), tensor.Randn(1, 1, 3), nil) },
		"nn.LSTM", "unbatched 2-D input", "3-D", "[1 1 3]")
	rnnExpectPanic(t, func() { lstm.ForwardState(tensor.Randn(5, 2, 4), tensor.Randn(1, 3), nil) },
		"nn.LSTM", "batched 3-D input", "2-D")
	rnnExpectPanic(t, func() { lstm.Forward(tensor.Randn(5, 2, 4).Double()) },
		"nn.LSTM", "float64", "float32")
	gru := nn.NewGRU(4, 3, nn.RNNOptions{NumLayers: 2, Bidirectional: true})
	rnnExpectPanic(t, func() { gru.ForwardState(tensor.Randn(5, 2, 4), tensor.Randn(2, 2, 3)) },
		"nn.GRU", "expected hx size [4 2 3], got [2 2 3]")
	rnnExpectPanic(t, func() { nn.NewRNN(4, 3).Forward(tensor.Randn(5, 3)) }, "nn.RNN", "expected 4, got 3")

	rnnExpectPanic(t, func() { nn.NewGRU(4, 3, nn.RNNOptions{ProjSize: 2}) }, "nn.NewGRU", "proj_size", "only supported for LSTM")
	rnnExpectPanic(t, func() { nn.NewLSTM(4, 3, nn.RNNOptions{ProjSize: 3}) }, "nn.NewLSTM", "proj_size has to be smaller than hidden_size")
	rnnExpectPanic(t, func() { nn.NewLSTM(4, 3, nn.RNNOptions{ProjSize: -1}) }, "nn.NewLSTM", "proj_size")
	rnnExpectPanic(t, func() { nn.NewLSTM(4, 3, nn.RNNOptions{Dropout: 1.5}) }, "nn.NewLSTM", "dropout", "1.5")
	rnnExpectPanic(t, func() { nn.NewLSTM(4, 0) }, "nn.NewLSTM", "hidden_size")
	rnnExpectPanic(t, func() { nn.NewLSTM(4, 3, nn.RNNOptions{NumLayers: -2}) }, "nn.NewLSTM", "num_layers", "-2")
	rnnExpectPanic(t, func() { nn.NewRNN(4, 3, nn.RNNOptions{Nonlinearity: "sigmoid"}) }, "nn.NewRNN", "sigmoid")
	rnnExpectPanic(t, func() { nn.NewLSTM(4, 3, nn.RNNOptions{Nonlinearity: "relu"}) }, "nn.NewLSTM", "nonlinearity")
}

func TestRNNParameters(t *testing.T) {
	tensor.ManualSeed(1)
	m := nn.NewLSTM(5, 16, nn.RNNOptions{NumLayers: 2, Bidirectional: true, ProjSize: 3})
	want := []string{}
	for l := 0; l < 2; l++ {
		for _, suf := range []string{"", "_reverse"} {
			for _, n := range []string{"weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"} {
				want = append(want, fmt.Sprintf("%s_l%d%s", n, l, suf))
			}
		}
	}
	if got := m.FlatWeightsNames(); !slices.Equal(got, want) {
		t.Fatalf("names\n got %v\nwant %v", got, want)
	}
	shapes := map[string][]int{
		"weight_ih_l0": {64, 5}, "weight_hh_l0": {64, 3}, "bias_ih_l0": {64}, "bias_hh_l0": {64},
		"weight_hr_l0": {3, 16}, "weight_ih_l1_reverse": {64, 6}, "weight_hh_l1_reverse": {64, 3},
	}
	for n, s := range shapes {
		if got := m.Param(n).Shape(); !slices.Equal(got, s) {
			t.Errorf("%s: shape %v, want %v", n, got, s)
		}
	}
	if m.Param("weight_ih_l2") != nil {
		t.Error("Param of a missing name is not nil")
	}
	bound := 1 / math.Sqrt(16)
	for _, p := range nn.NamedParameters(m) {
		if !p.Tensor.RequiresGrad() {
			t.Errorf("%s does not require grad", p.Name)
		}
		lo, hi := p.Tensor.Min().Item(), p.Tensor.Max().Item()
		if lo < -bound || hi > bound {
			t.Errorf("%s: values in [%g, %g], want within ±%g", p.Name, lo, hi, bound)
		}
		if p.Tensor.Numel() >= 48 && (hi < 0.8*bound || lo > -0.8*bound) {
			t.Errorf("%s: values in [%g, %g] do not spread over ±%g", p.Name, lo, hi, bound)
		}
	}
	if got := len(nn.Parameters(m)); got != 20 {
		t.Errorf("%d parameters, want 20", got)
	}
	if got := m.ExtraRepr(); got != "5, 16, proj_size=3, num_layers=2, bidirectional=True" {
		t.Errorf("ExtraRepr %q", got)
	}
	g := nn.NewGRU(2, 3, nn.RNNOptions{NoBias: true})
	if got := g.FlatWeightsNames(); !slices.Equal(got, []string{"weight_ih_l0", "weight_hh_l0"}) {
		t.Errorf("GRU without bias: %v", got)
	}

	// To replaces the tensors where the layer keeps them.
	nn.To(m, tensor.Float64)
	for i, w := range m.FlatWeights() {
		if w.DType() != tensor.Float64 || !w.RequiresGrad() {
			t.Fatalf("%s after To: %v, requires grad %v", m.FlatWeightsNames()[i], w.DType(), w.RequiresGrad())
		}
	}
	if m.Param("weight_hr_l1_reverse").DType() != tensor.Float64 {
		t.Fatal("Param after To is not float64")
	}
	out, hN, cN := m.ForwardState(tensor.Randn(4, 2, 5).Double(), nil, nil)
	if !slices.Equal(out.Shape(), []int{4, 2, 6}) || !slices.Equal(hN.Shape(), []int{4, 2, 3}) || !slices.Equal(cN.Shape(), []int{4, 2, 16}) {
		t.Fatalf("shapes %v %v %v", out.Shape(), hN.Shape(), cN.Shape())
	}
}

func TestRNNGradcheck(t *testing.T) {
	tensor.ManualSeed(3)
	for _, mk := range []func() (nn.Module, func(x, h *tensor.Tensor) *tensor.Tensor){
		func() (nn.Module, func(x, h *tensor.Tensor) *tensor.Tensor) {
			m := nn.NewLSTM(2, 3, nn.RNNOptions{Bidirectional: true, ProjSize: 2})
			return m, func(x, h *tensor.Tensor) *tensor.Tensor {
				out, hN, cN := m.ForwardState(x, h, nil)
				return tensor.Cat([]*tensor.Tensor{out.Flatten(0, -1), hN.Flatten(0, -1), cN.Flatten(0, -1)}, 0)
			}
		},
		func() (nn.Module, func(x, h *tensor.Tensor) *tensor.Tensor) {
			m := nn.NewGRU(2, 3, nn.RNNOptions{NumLayers: 2})
			return m, func(x, h *tensor.Tensor) *tensor.Tensor {
				out, hN := m.ForwardState(x, h)
				return tensor.Cat([]*tensor.Tensor{out.Flatten(0, -1), hN.Flatten(0, -1)}, 0)
			}
		},
	} {
		m, f := mk()
		nn.To(m, tensor.Float64)
		x := tensor.Randn(3, 2, 2).Double().SetRequiresGrad(true)
		shape := []int{2, 2, 2}
		if _, ok := m.(*nn.GRU); ok {
			shape = []int{2, 2, 3}
		}
		h := tensor.Randn(shape...).Double().SetRequiresGrad(true)
		w := nn.Parameters(m)
		inputs := append([]*tensor.Tensor{x, h}, w[:3]...)
		err := autograd.Gradcheck(func(in ...*tensor.Tensor) *tensor.Tensor { return f(in[0], in[1]) }, inputs, autograd.GradcheckOptions{})
		if err != nil {
			t.Errorf("%T: %v", m, err)
		}
	}
}

func TestRNNDropout(t *testing.T) {
	tensor.ManualSeed(5)
	x := tensor.Randn(6, 3, 4)
	// With p = 1 every output of the first layer is zeroed in training
	// mode, so the second layer sees zeros: it computes what a one-layer
	// LSTM with its weights computes from a zero input.
	m := nn.NewLSTM(4, 5, nn.RNNOptions{NumLayers: 2, Dropout: 1})
	one := nn.NewLSTM(5, 5)
	sd := nn.StateDict(m)
	_, err := nn.LoadStateDict(one, map[string]*tensor.Tensor{
		"weight_ih_l0": sd["weight_ih_l1"], "weight_hh_l0": sd["weight_hh_l1"],
		"bias_ih_l0": sd["bias_ih_l1"], "bias_hh_l0": sd["bias_hh_l1"],
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Forward(x)
	want := one.Forward(tensor.Zeros(6, 3, 5))
	golden.Close(t, "dropout 1", got, want, 1e-6, 1e-7)

	// In evaluation mode dropout does nothing: the same as p = 0.
	m.Dropout = 0.5
	nn.Eval(m)
	ev := m.Forward(x)
	m.Dropout = 0
	golden.Close(t, "eval", ev, m.Forward(x), 0, 0)
	m.Dropout = 0.5
	nn.Train(m)
	m.Generator = tensor.NewGenerator(7)
	a := m.Forward(x)
	m.Generator = tensor.NewGenerator(7)
	b := m.Forward(x)
	golden.Close(t, "same generator", a, b, 0, 0)
	if tensor.AllClose(a, ev, 1e-3, 1e-4) {
		t.Error("dropout 0.5 in training mode changed nothing")
	}
	if !slices.Equal(a.Shape(), []int{6, 3, 5}) {
		t.Errorf("shape %v", a.Shape())
	}
	// The last layer's output is not dropped: no exact zeros appear.
	if n := a.EqScalar(0).Long().Sum().Item(); n != 0 {
		t.Errorf("%v zeros in the output", n)
	}
}

func TestRNNHooksAndSequential(t *testing.T) {
	tensor.ManualSeed(2)
	m := nn.NewLSTM(3, 4)
	var seen []int
	h := m.RegisterForwardHook(func(_ nn.Module, in, out []*tensor.Tensor) []*tensor.Tensor {
		seen = []int{len(in), len(out)}
		return []*tensor.Tensor{out[0].MulScalar(2), out[1], out[2]}
	})
	x := tensor.Randn(5, 2, 3)
	y := nn.NewSequential(m, nn.NewLinear(4, 1)).Forward(x)
	if !slices.Equal(seen, []int{3, 3}) || !slices.Equal(y.Shape(), []int{5, 2, 1}) {
		t.Fatalf("hook saw %v, output shape %v", seen, y.Shape())
	}
	doubled := m.Forward(x)
	h.Remove()
	golden.Close(t, "hooked", doubled, m.Forward(x).MulScalar(2), 0, 0)

	g := nn.NewGRU(3, 4)
	g.RegisterForwardPreHook(func(_ nn.Module, in []*tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{in[0], tensor.Ones(1, 2, 4)}
	})
	_, hN := g.ForwardState(x, nil)
	g2 := nn.NewGRU(3, 4)
	if _, err := nn.LoadStateDict(g2, nn.StateDict(g), true); err != nil {
		t.Fatal(err)
	}
	_, want := g2.ForwardState(x, tensor.Ones(1, 2, 4))
	golden.Close(t, "pre-hook state", hN, want, 0, 0)
}

func TestRNNEmptySequence(t *testing.T) {
	m := nn.NewLSTM(3, 4, nn.RNNOptions{Bidirectional: true})
	out, hN, cN := m.ForwardState(tensor.Zeros(0, 2, 3), nil, nil)
	if !slices.Equal(out.Shape(), []int{0, 2, 8}) || !slices.Equal(hN.Shape(), []int{2, 2, 4}) || !slices.Equal(cN.Shape(), []int{2, 2, 4}) {
		t.Fatalf("shapes %v %v %v", out.Shape(), hN.Shape(), cN.Shape())
	}
}

// An LSTM reads a batch of sequences; its final hidden state feeds a
// classifier.
func ExampleLSTM() {
	tensor.ManualSeed(0)
	lstm := nn.NewLSTM(10, 20, nn.RNNOptions{NumLayers: 2, BatchFirst: true})
	x := tensor.Randn(3, 5, 10) // 3 sequences of 5 steps
	out, hN, cN := lstm.ForwardState(x, nil, nil)
	fmt.Println(out.Shape(), hN.Shape(), cN.Shape())
	fmt.Println(nn.StateKeys(lstm)[:4])
	// Output:
	// [3 5 20] [2 3 20] [2 3 20]
	// [weight_ih_l0 weight_hh_l0 bias_ih_l0 bias_hh_l0]
}

// BenchmarkLSTM times a forward and backward pass of a one-layer LSTM over
// 32 steps of a batch of 16 (64 → 128 features).
func BenchmarkLSTM(b *testing.B) {
	tensor.ManualSeed(0)
	m := nn.NewLSTM(64, 128)
	x := tensor.Randn(32, 16, 64)
	for b.Loop() {
		out := m.Forward(x)
		out.Sum().Backward()
		nn.ZeroGrad(m)
	}
}

// BenchmarkGRU is BenchmarkLSTM for a GRU.
func BenchmarkGRU(b *testing.B) {
	tensor.ManualSeed(0)
	m := nn.NewGRU(64, 128)
	x := tensor.Randn(32, 16, 64)
	for b.Loop() {
		out := m.Forward(x)
		out.Sum().Backward()
		nn.ZeroGrad(m)
	}
}
