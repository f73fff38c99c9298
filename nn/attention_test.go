package nn_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

func TestMultiheadAttentionGolden(t *testing.T) {
	for _, c := range golden.Load(t, "testdata/attention.json") {
		if strings.HasPrefix(c.Name, "sdpa_") {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			m := nn.NewMultiheadAttention(c.Int("embed_dim"), c.Int("num_heads"), nn.MultiheadAttentionOptions{
				NoBias: !c.Bool("bias"), AddBiasKV: c.Bool("add_bias_kv"), AddZeroAttn: c.Bool("add_zero_attn"),
				KDim: c.Int("kdim"), VDim: c.Int("vdim"), BatchFirst: c.Bool("batch_first"),
			})
			if got, want := nn.StateKeys(m), rnnAttrStrings(c, "keys"); !slices.Equal(got, want) {
				t.Fatalf("state dict keys\n got %v\nwant %v", got, want)
			}
			if _, err := nn.LoadStateDict(m, c.Prefixed("param."), true); err != nil {
				t.Fatal(err)
			}
			q := c.T("q").SetRequiresGrad(true)
			k, v := q, q
			if !c.Bool("self_attn") {
				k = c.T("k").SetRequiresGrad(true)
				v = k
				if !c.Bool("kv_same") {
					v = c.T("v").SetRequiresGrad(true)
				}
			}
			o := nn.AttentionOptions{NoWeights: !c.Bool("need_weights"), NoAverageWeights: !c.Bool("average")}
			if c.Has("key_padding_mask") {
				o.KeyPaddingMask = c.T("key_padding_mask")
			}
			if c.Has("attn_mask") {
				o.AttnMask = c.T("attn_mask")
			}
			out, w := m.Forward(q, k, v, o)
			const rtol, atol = 1e-4, 1e-5
			golden.Close(t, "out", out, c.T("out"), rtol, atol)
			loss := out.Mul(c.T("g.out")).Sum()
			if c.Has("weights") {
				golden.Close(t, "weights", w, c.T("weights"), rtol, atol)
				loss = loss.Add(w.Mul(c.T("g.weights")).Sum())
			} else if w != nil {
				t.Errorf("weights of shape %v, want none", w.Shape())
			}
			loss.Backward()
			for name, x := range map[string]*tensor.Tensor{"q": q, "k": k, "v": v} {
				if c.Has("grad." + name) {
					golden.Close(t, "grad."+name, x.Grad(), c.T("grad."+name), rtol, atol)
				}
			}
			for _, p := range nn.NamedParameters(m) {
				golden.Close(t, "grad."+p.Name, p.Tensor.Grad(), c.T("grad."+p.Name), rtol, atol)
			}
		})
	}
}

func TestScaledDotProductAttentionGolden(t *testing.T) {
	n := 0
	for _, c := range golden.Load(t, "testdata/attention.json") {
		if !strings.HasPrefix(c.Name, "sdpa_") {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			q := c.T("q").SetRequiresGrad(true)
			k := c.T("k").SetRequiresGrad(true)
			v := c.T("v").SetRequiresGrad(true)
			var mask *tensor.Tensor
			if c.Has("mask") {
				mask = c.T("mask")
			}
			out := nn.ScaledDotProductAttention(q, k, v, mask, 0, c.Bool("causal"))
			golden.Close(t, "out", out, c.T("out"), 1e-10, 1e-12)
			out.Mul(c.T("g.out")).Sum().Backward()
			golden.Close(t, "grad.q", q.Grad(), c.T("grad.q"), 1e-10, 1e-12)
			golden.Close(t, "grad.k", k.Grad(), c.T("grad.k"), 1e-10, 1e-12)
			golden.Close(t, "grad.v", v.Grad(), c.T("grad.v"), 1e-10, 1e-12)
		})
	}
	if n == 0 {
		t.Fatal("no sdpa cases")
	}
}

func TestMultiheadAttentionInit(t *testing.T) {
	tensor.ManualSeed(4)
	m := nn.NewMultiheadAttention(16, 4, nn.MultiheadAttentionOptions{AddBiasKV: true})
	want := []string{"in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"}
	if got := nn.StateKeys(m); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	bound := math.Sqrt(6.0 / (16 + 48))
	if lo, hi := m.InProjWeight.Min().Item(), m.InProjWeight.Max().Item(); lo < -bound || hi > bound || hi < 0.8*bound || lo > -0.8*bound {
		t.Errorf("in_proj_weight in [%g, %g], want spread over ±%g", lo, hi, bound)
	}
	if m.InProjBias.Abs().Max().Item() != 0 || m.OutProj.Bias.Abs().Max().Item() != 0 {
		t.Error("biases do not start at zero")
	}
	if !slices.Equal(m.BiasK.Shape(), []int{1, 1, 16}) || m.BiasK.Abs().Max().Item() == 0 {
		t.Errorf("bias_k %v", m.BiasK)
	}
	ob := 1 / math.Sqrt(16)
	if lo, hi := m.OutProj.Weight.Min().Item(), m.OutProj.Weight.Max().Item(); lo < -ob || hi > ob {
		t.Errorf("out_proj.weight in [%g, %g], want within ±%g", lo, hi, ob)
	}
	for _, p := range nn.Parameters(m) {
		if !p.RequiresGrad() {
			t.Error("a parameter does not require grad")
		}
	}
	s := nn.NewMultiheadAttention(6, 2, nn.MultiheadAttentionOptions{KDim: 3, NoBias: true})
	want = []string{"q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight"}
	if got := nn.StateKeys(s); !slices.Equal(got, want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	if !slices.Equal(s.KProjWeight.Shape(), []int{6, 3}) || !slices.Equal(s.VProjWeight.Shape(), []int{6, 6}) {
		t.Errorf("shapes %v %v", s.KProjWeight.Shape(), s.VProjWeight.Shape())
	}
}

func TestMultiheadAttentionDropout(t *testing.T) {
	tensor.ManualSeed(6)
	const p = 0.5
	m := nn.NewMultiheadAttention(8, 2, nn.MultiheadAttentionOptions{Dropout: p})
	q, k := tensor.Randn(16, 4, 8), tensor.Randn(24, 4, 8)
	per := nn.AttentionOptions{NoAverageWeights: true}
	nn.Eval(m)
	_, ev := m.Forward(q, k, k, per)
	nn.Train(m)
	m.Generator = tensor.NewGenerator(1)
	out, tr := m.Forward(q, k, k, per)
	if !slices.Equal(out.Shape(), []int{16, 4, 8}) || !slices.Equal(tr.Shape(), []int{4, 2, 16, 24}) {
		t.Fatalf("shapes %v %v", out.Shape(), tr.Shape())
	}
	// Each training weight is either dropped or the evaluation weight
	// scaled by 1/(1-p); about a fraction p are dropped.
	e, g := ev.ToFloat64s(), tr.ToFloat64s()
	zeros := 0
	for i := range g {
		if g[i] == 0 {
			zeros++
			continue
		}
		if math.Abs(g[i]-e[i]/(1-p)) > 1e-6 {
			t.Fatalf("weight %d is %g, evaluation %g", i, g[i], e[i])
		}
	}
	if frac := float64(zeros) / float64(len(g)); math.Abs(frac-p) > 0.05 {
		t.Errorf("dropped fraction %g, want about %g", frac, p)
	}
	m.Generator = tensor.NewGenerator(1)
	out2, _ := m.Forward(q, k, k, per)
	golden.Close(t, "same generator", out2, out, 0, 0)
}

func TestMultiheadAttentionCausal(t *testing.T) {
	tensor.ManualSeed(8)
	m := nn.NewMultiheadAttention(4, 2, nn.MultiheadAttentionOptions{BatchFirst: true})
	x := tensor.Randn(2, 5, 4)
	got, gw := m.Forward(x, x, x, nn.AttentionOptions{IsCausal: true})
	// The same mask spelled out: true above the diagonal is forbidden.
	mask := tensor.Ones(5, 5).Triu(1).To(tensor.Bool)
	want, ww := m.Forward(x, x, x, nn.AttentionOptions{AttnMask: mask})
	golden.Close(t, "causal", got, want, 0, 0)
	golden.Close(t, "causal weights", gw, ww, 0, 0)
	if gw.At(0, 0, 1) != 0 || gw.At(1, 2, 4) != 0 {
		t.Error("position 0 attends to position 1")
	}
	// SDPA's causal form agrees with its explicit bool mask (true = attend).
	q, k, v := tensor.Randn(2, 5, 3), tensor.Randn(2, 5, 3), tensor.Randn(2, 5, 3)
	a := nn.ScaledDotProductAttention(q, k, v, nil, 0, true)
	b := nn.ScaledDotProductAttention(q, k, v, tensor.Ones(5, 5).Tril(0).To(tensor.Bool), 0, false)
	golden.Close(t, "sdpa causal", a, b, 0, 0)
}

func TestMultiheadAttentionHooks(t *testing.T) {
	m := nn.NewMultiheadAttention(4, 1)
	var n []int
	m.RegisterForwardHook(func(_ nn.Module, in, out []*tensor.Tensor) []*tensor.Tensor {
		n = []int{len(in), len(out)}
		return nil
	})
	x := tensor.Randn(3, 4)
	out, w := m.Forward(x, x, x)
	if !slices.Equal(n, []int{5, 2}) || !slices.Equal(out.Shape(), []int{3, 4}) || !slices.Equal(w.Shape(), []int{3, 3}) {
		t.Fatalf("hook saw %v; shapes %v %v", n, out.Shape(), w.Shape())
	}
}

func TestMultiheadAttentionMisusePanics(t *testing.T) {
	m := nn.NewMultiheadAttention(4, 2)
	x := tensor.Randn(3, 2, 4)
	rnnExpectPanic(t, func() { m.Forward(tensor.Randn(3, 2, 6), x, x) },
		"nn.MultiheadAttention", "embedding dimension of 4, but got 6", "[3 2 6]")
	rnnExpectPanic(t, func() { m.Forward(x, tensor.Randn(3, 4), x) },
		"nn.MultiheadAttention", "3-D", "[3 4]")
	rnnExpectPanic(t, func() { m.Forward(tensor.Randn(1, 3, 2, 4), x, x) },
		"nn.MultiheadAttention", "4-D query", "[1 3 2 4]")
	rnnExpectPanic(t, func() { m.Forward(x, x, x, nn.AttentionOptions{AttnMask: tensor.Zeros(3, 4)}) },
		"nn.MultiheadAttention", "2-D attn_mask", "[3 4]", "[3 3]")
	rnnExpectPanic(t, func() { m.Forward(x, x, x, nn.AttentionOptions{AttnMask: tensor.Zeros(2, 3, 3)}) },
		"nn.MultiheadAttention", "3-D attn_mask", "[2 3 3]", "[4 3 3]")
	rnnExpectPanic(t, func() { m.Forward(x, x, x, nn.AttentionOptions{KeyPaddingMask: tensor.Zeros(2, 4).To(tensor.Bool)}) },
		"nn.MultiheadAttention", "key_padding_mask", "[2 3]", "[2 4]")
	rnnExpectPanic(t, func() { m.Forward(x, x, x, nn.AttentionOptions{KeyPaddingMask: tensor.Zeros(2, 3).Long()}) },
		"nn.MultiheadAttention", "int64")
	rnnExpectPanic(t, func() { m.Forward(x, tensor.Randn(5, 2, 4), x) },
		"nn.MultiheadAttention", "[5 2 4]", "[3 2 4]")
	rnnExpectPanic(t, func() { m.Forward(x, tensor.Randn(3, 2, 5), tensor.Randn(3, 2, 5)) },
		"nn.MultiheadAttention", "kdim", "[3 2 5]")
	rnnExpectPanic(t, func() { m.Forward(x.Double(), x.Double(), x.Double()) },
		"nn.MultiheadAttention", "float64", "float32")
	rnnExpectPanic(t, func() { nn.NewMultiheadAttention(6, 4) }, "nn.NewMultiheadAttention", "divisible", "6", "4")
	rnnExpectPanic(t, func() {
		nn.ScaledDotProductAttention(tensor.Randn(2, 3, 4), tensor.Randn(2, 5, 3), tensor.Randn(2, 5, 3), nil, 0, false)
	}, "nn.ScaledDotProductAttention", "[2 3 4]", "[2 5 3]")
	rnnExpectPanic(t, func() {
		q := tensor.Randn(3, 4)
		nn.ScaledDotProductAttention(q, q, q, tensor.Ones(3, 3).To(tensor.Bool), 0, true)
	}, "nn.ScaledDotProductAttention", "is_causal", "[3 3]")
}

// Self-attention over a batch of sequences with padded keys masked out.
func ExampleMultiheadAttention() {
	tensor.ManualSeed(0)
	mha := nn.NewMultiheadAttention(8, 2, nn.MultiheadAttentionOptions{BatchFirst: true})
	x := tensor.Randn(3, 5, 8) // 3 sequences of 5 tokens
	pad := tensor.FromSlice([]bool{
		false, false, false, false, false,
		false, false, false, true, true,
		false, false, true, true, true,
	}, 3, 5)
	out, w := mha.Forward(x, x, x, nn.AttentionOptions{KeyPaddingMask: pad})
	fmt.Println(out.Shape(), w.Shape())
	fmt.Printf("weight on a padded key: %g\n", w.At(2, 0, 4))
	// Output:
	// [3 5 8] [3 5 5]
	// weight on a padded key: 0
}

// BenchmarkMultiheadAttention times a forward and backward pass of
// self-attention over 64 tokens of a batch of 8 (256 features, 8 heads).
func BenchmarkMultiheadAttention(b *testing.B) {
	tensor.ManualSeed(0)
	m := nn.NewMultiheadAttention(256, 8)
	x := tensor.Randn(64, 8, 256).SetRequiresGrad(true)
	for b.Loop() {
		out, _ := m.Forward(x, x, x, nn.AttentionOptions{NoWeights: true})
		out.Sum().Backward()
		nn.ZeroGrad(m)
	}
}
