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

// layersNet is the network gen_layers.py calls layersNet.
type layersNet struct {
	nn.Base
	Features *nn.Sequential
	Flatten  *nn.Flatten
	Drop     *nn.Dropout
	FC       *nn.Linear
}

func newLayersNet() *layersNet {
	return &layersNet{
		Features: nn.NewSequential(nn.NewConv2d(1, 4, 3, nn.Conv2dOptions{Padding: []int{1}}), nn.NewBatchNorm2d(4), nn.NewReLU(), nn.NewMaxPool2d(2)),
		Flatten:  nn.NewFlatten(),
		Drop:     nn.NewDropout(0.1),
		FC:       nn.NewLinear(16, 3),
	}
}

func (n *layersNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	return n.FC.Forward(n.Drop.Forward(n.Flatten.Forward(n.Features.Forward(x))))
}

func layersInts(v ...int) []int { return v }

func layersSeq(ms ...nn.Forwarder) nn.Module { return nn.NewSequential(ms...) }

// layersBuilders builds the Ember layer of each golden case, with the same
// arguments gen_layers.py gives PyTorch.
var layersBuilders = map[string]func() nn.Module{
	"linear":        func() nn.Module { return nn.NewLinear(4, 3) },
	"linear_nobias": func() nn.Module { return nn.NewLinear(4, 3, nn.LinearOptions{NoBias: true}) },
	"linear_1d":     func() nn.Module { return nn.NewLinear(3, 2) },
	"linear_f32":    func() nn.Module { return nn.NewLinear(5, 3) },

	"conv1d": func() nn.Module { return nn.NewConv1d(2, 3, 3) },
	"conv1d_opts": func() nn.Module {
		return nn.NewConv1d(4, 4, 3, nn.Conv1dOptions{Stride: 2, Padding: 2, Dilation: 2, Groups: 2, NoBias: true})
	},
	"conv1d_same_reflect": func() nn.Module {
		return nn.NewConv1d(2, 3, 4, nn.Conv1dOptions{PaddingString: "same", PaddingMode: "reflect"})
	},
	"conv1d_circular":  func() nn.Module { return nn.NewConv1d(2, 2, 3, nn.Conv1dOptions{Padding: 2, PaddingMode: "circular"}) },
	"conv1d_unbatched": func() nn.Module { return nn.NewConv1d(2, 2, 2) },

	"conv2d":     func() nn.Module { return nn.NewConv2d(3, 4, 3) },
	"conv2d_f32": func() nn.Module { return nn.NewConv2d(3, 2, 3, nn.Conv2dOptions{Padding: layersInts(1)}) },
	"conv2d_stride_pad": func() nn.Module {
		return nn.NewConv2d(2, 3, 0, nn.Conv2dOptions{Kernel: layersInts(3, 2), Stride: layersInts(2, 1), Padding: layersInts(1, 2)})
	},
	"conv2d_dilation": func() nn.Module {
		return nn.NewConv2d(2, 2, 3, nn.Conv2dOptions{Dilation: layersInts(2), Padding: layersInts(1), Stride: layersInts(2)})
	},
	"conv2d_groups":    func() nn.Module { return nn.NewConv2d(4, 6, 3, nn.Conv2dOptions{Groups: 2, NoBias: true}) },
	"conv2d_depthwise": func() nn.Module { return nn.NewConv2d(3, 3, 3, nn.Conv2dOptions{Groups: 3, Padding: layersInts(1)}) },
	"conv2d_reflect": func() nn.Module {
		return nn.NewConv2d(2, 2, 3, nn.Conv2dOptions{Padding: layersInts(1), PaddingMode: "reflect"})
	},
	"conv2d_replicate": func() nn.Module {
		return nn.NewConv2d(2, 2, 3, nn.Conv2dOptions{Padding: layersInts(1, 2), PaddingMode: "replicate"})
	},
	"conv2d_circular": func() nn.Module {
		return nn.NewConv2d(2, 2, 3, nn.Conv2dOptions{Padding: layersInts(2), Stride: layersInts(2), PaddingMode: "circular"})
	},
	"conv2d_same": func() nn.Module {
		return nn.NewConv2d(2, 2, 3, nn.Conv2dOptions{Kernel: layersInts(3, 4), PaddingString: "same"})
	},
	"conv2d_same_reflect": func() nn.Module {
		return nn.NewConv2d(2, 2, 4, nn.Conv2dOptions{PaddingString: "same", Dilation: layersInts(1, 2), PaddingMode: "reflect"})
	},
	"conv2d_valid": func() nn.Module {
		return nn.NewConv2d(2, 2, 2, nn.Conv2dOptions{PaddingString: "valid", PaddingMode: "replicate", NoBias: true})
	},
	"conv2d_unbatched": func() nn.Module { return nn.NewConv2d(2, 2, 3) },

	"convT": func() nn.Module { return nn.NewConvTranspose2d(3, 2, 3) },
	"convT_stride": func() nn.Module {
		return nn.NewConvTranspose2d(2, 3, 3, nn.ConvTranspose2dOptions{Stride: layersInts(2), Padding: layersInts(1), OutputPadding: layersInts(1)})
	},
	"convT_groups": func() nn.Module {
		return nn.NewConvTranspose2d(4, 2, 0, nn.ConvTranspose2dOptions{Kernel: layersInts(3, 2), Stride: layersInts(2, 1), Groups: 2, Dilation: layersInts(1, 2), NoBias: true})
	},
	"convT_unbatched": func() nn.Module {
		return nn.NewConvTranspose2d(2, 2, 2, nn.ConvTranspose2dOptions{Stride: layersInts(2)})
	},

	"bn1d_2d":       func() nn.Module { return nn.NewBatchNorm1d(3) },
	"bn1d_3d":       func() nn.Module { return nn.NewBatchNorm1d(3) },
	"bn2d":          func() nn.Module { return nn.NewBatchNorm2d(3) },
	"bn2d_cma":      func() nn.Module { return nn.NewBatchNorm2d(2, nn.BatchNormOptions{CumulativeAverage: true}) },
	"bn2d_momentum": func() nn.Module { return nn.NewBatchNorm2d(2, nn.BatchNormOptions{Momentum: 0.3, Eps: 1e-3}) },
	"bn2d_noaffine": func() nn.Module { return nn.NewBatchNorm2d(2, nn.BatchNormOptions{NoAffine: true}) },
	"bn2d_nostats":  func() nn.Module { return nn.NewBatchNorm2d(2, nn.BatchNormOptions{NoRunningStats: true}) },

	"layernorm":          func() nn.Module { return nn.NewLayerNorm(layersInts(4)) },
	"layernorm_2d":       func() nn.Module { return nn.NewLayerNorm(layersInts(3, 4), nn.LayerNormOptions{Eps: 1e-3}) },
	"layernorm_noaffine": func() nn.Module { return nn.NewLayerNorm(layersInts(5), nn.LayerNormOptions{NoAffine: true}) },
	"groupnorm":          func() nn.Module { return nn.NewGroupNorm(2, 4) },
	"groupnorm_3d":       func() nn.Module { return nn.NewGroupNorm(3, 6, nn.GroupNormOptions{Eps: 1e-3}) },
	"groupnorm_noaffine": func() nn.Module { return nn.NewGroupNorm(1, 3, nn.GroupNormOptions{NoAffine: true}) },

	"embedding":         func() nn.Module { return nn.NewEmbedding(6, 3) },
	"embedding_pad":     func() nn.Module { return nn.NewEmbedding(6, 3, nn.EmbeddingOptions{PaddingIdx: 2, HasPadding: true}) },
	"embedding_pad_neg": func() nn.Module { return nn.NewEmbedding(6, 3, nn.EmbeddingOptions{PaddingIdx: -1, HasPadding: true}) },

	"maxpool": func() nn.Module { return nn.NewMaxPool2d(2) },
	"maxpool_opts": func() nn.Module {
		return nn.NewMaxPool2d(3, tensor.MaxPool2dOptions{Stride: layersInts(2), Padding: layersInts(1), CeilMode: true})
	},
	"maxpool_dilation": func() nn.Module {
		return nn.NewMaxPool2d(0, tensor.MaxPool2dOptions{KernelSize: layersInts(2, 3), Stride: layersInts(1, 2), Dilation: layersInts(2)})
	},
	"maxpool_unbatched": func() nn.Module { return nn.NewMaxPool2d(2, tensor.MaxPool2dOptions{Stride: layersInts(1)}) },
	"avgpool":           func() nn.Module { return nn.NewAvgPool2d(2) },
	"avgpool_opts": func() nn.Module {
		return nn.NewAvgPool2d(3, tensor.AvgPool2dOptions{Stride: layersInts(2), Padding: layersInts(1), CeilMode: true, ExcludePad: true})
	},
	"avgpool_divisor": func() nn.Module {
		return nn.NewAvgPool2d(0, tensor.AvgPool2dOptions{KernelSize: layersInts(2, 3), Stride: layersInts(1), DivisorOverride: 4})
	},
	"adaptive":       func() nn.Module { return nn.NewAdaptiveAvgPool2d(2, 3) },
	"adaptive1":      func() nn.Module { return nn.NewAdaptiveAvgPool2d(1) },
	"flatten":        func() nn.Module { return nn.NewFlatten() },
	"flatten_dims":   func() nn.Module { return nn.NewFlatten(0, 1) },
	"identity":       func() nn.Module { return nn.NewIdentity() },
	"dropout_eval":   func() nn.Module { return nn.NewDropout(0.3) },
	"dropout2d_eval": func() nn.Module { return nn.NewDropout2d(0.5) },

	"act_relu":               func() nn.Module { return nn.NewReLU() },
	"act_relu_inplace":       func() nn.Module { return &nn.ReLU{Inplace: true} },
	"act_relu6":              func() nn.Module { return nn.NewReLU6() },
	"act_relu6_inplace":      func() nn.Module { return &nn.ReLU6{Inplace: true} },
	"act_leaky_relu":         func() nn.Module { return nn.NewLeakyReLU(0.01) },
	"act_leaky_relu_02":      func() nn.Module { return nn.NewLeakyReLU(0.2) },
	"act_elu":                func() nn.Module { return nn.NewELU(1) },
	"act_elu_05":             func() nn.Module { return nn.NewELU(0.5) },
	"act_gelu":               func() nn.Module { return nn.NewGELU() },
	"act_gelu_tanh":          func() nn.Module { return &nn.GELU{Approximate: "tanh"} },
	"act_hardtanh":           func() nn.Module { return nn.NewHardtanh(-1, 1) },
	"act_hardtanh_range":     func() nn.Module { return nn.NewHardtanh(-0.5, 2) },
	"act_hardtanh_inplace":   func() nn.Module { return &nn.Hardtanh{Min: -1, Max: 1, Inplace: true} },
	"act_softplus":           func() nn.Module { return nn.NewSoftplus() },
	"act_softplus_beta":      func() nn.Module { return &nn.Softplus{Beta: 2, Threshold: 1.5} },
	"act_softplus_threshold": func() nn.Module { return &nn.Softplus{Beta: 1, Threshold: 2} },
	"act_softmax":            func() nn.Module { return nn.NewSoftmax(1) },
	"act_softmax_0":          func() nn.Module { return nn.NewSoftmax(0) },
	"act_log_softmax":        func() nn.Module { return nn.NewLogSoftmax(-1) },
	"act_sigmoid":            func() nn.Module { return nn.NewSigmoid() },
	"act_tanh":               func() nn.Module { return nn.NewTanh() },
	"act_silu":               func() nn.Module { return nn.NewSiLU() },
	"act_mish":               func() nn.Module { return nn.NewMish() },
	"act_hardswish":          func() nn.Module { return nn.NewHardswish() },
	"act_hardsigmoid":        func() nn.Module { return nn.NewHardsigmoid() },

	"net_eval": func() nn.Module { return newLayersNet() },

	"init_linear": func() nn.Module { return nn.NewLinear(64, 32) },
	"init_conv1d": func() nn.Module { return nn.NewConv1d(6, 8, 5) },
	"init_conv2d": func() nn.Module { return nn.NewConv2d(8, 16, 3, nn.Conv2dOptions{Groups: 2}) },
	"init_convT":  func() nn.Module { return nn.NewConvTranspose2d(8, 12, 3, nn.ConvTranspose2dOptions{Groups: 2}) },

	"repr_sequential": func() nn.Module {
		return layersSeq(nn.NewConv2d(1, 16, 3, nn.Conv2dOptions{Padding: layersInts(1)}), nn.NewReLU())
	},
	"repr_nested": func() nn.Module {
		return nn.NewModuleList(nn.NewLinear(2, 3), nn.NewSequential(nn.NewTanh(), nn.NewDropout(0.25)),
			nn.NewModuleList(&nn.ReLU{Inplace: true}, nn.NewIdentity()))
	},
	"repr_empty": func() nn.Module { return nn.NewSequential() },
	"repr_dict": func() nn.Module {
		return nn.NewModuleDict().Set("b", nn.NewELU(0.1)).Set("a", nn.NewLayerNorm(layersInts(2, 3), nn.LayerNormOptions{Eps: 1e-6}))
	},
	"repr_convs": func() nn.Module {
		return layersSeq(
			nn.NewConv1d(2, 4, 3, nn.Conv1dOptions{Stride: 2, Padding: 1, Dilation: 2, Groups: 2, NoBias: true, PaddingMode: "reflect"}),
			nn.NewConv2d(4, 4, 0, nn.Conv2dOptions{Kernel: layersInts(3, 2), Stride: layersInts(2, 1), PaddingString: "valid", Groups: 4, PaddingMode: "circular"}),
			nn.NewConvTranspose2d(4, 2, 3, nn.ConvTranspose2dOptions{Stride: layersInts(2), OutputPadding: layersInts(1), Groups: 2, Dilation: layersInts(2), Padding: layersInts(1)}))
	},
	"repr_norms": func() nn.Module {
		return layersSeq(nn.NewBatchNorm1d(3), nn.NewBatchNorm2d(3, nn.BatchNormOptions{CumulativeAverage: true, NoAffine: true, Eps: 1e-3}),
			nn.NewBatchNorm2d(3, nn.BatchNormOptions{NoRunningStats: true, Momentum: 1}), nn.NewGroupNorm(2, 4))
	},
	"repr_pools": func() nn.Module {
		return layersSeq(nn.NewMaxPool2d(0, tensor.MaxPool2dOptions{KernelSize: layersInts(3, 2), Stride: layersInts(1), Padding: layersInts(1), CeilMode: true}),
			nn.NewAvgPool2d(3, tensor.AvgPool2dOptions{Stride: layersInts(2), Padding: layersInts(1)}),
			nn.NewAdaptiveAvgPool2d(2, 3), nn.NewEmbedding(10, 3, nn.EmbeddingOptions{PaddingIdx: -1, HasPadding: true}))
	},
}

func layersStrings(c golden.Case, k string) []string {
	v, ok := c.Attrs[k].([]any)
	if !ok && c.Attrs[k] != nil {
		panic(fmt.Sprintf("case %s: attribute %s is %T", c.Name, k, c.Attrs[k]))
	}
	out := []string{}
	for _, x := range v {
		out = append(out, x.(string))
	}
	return out
}

// layersTol gives the tolerances of a case's dtype.
func layersTol(c golden.Case) (rtol, atol float64) {
	rtol, atol = 1e-10, 1e-12
	if c.String("dtype") == "float32" {
		rtol, atol = 1e-5, 1e-6
	}
	if _, ok := c.Attrs["rtol"]; ok {
		rtol = c.Float("rtol")
	}
	return rtol, atol
}

func TestLayersGolden(t *testing.T) {
	cases := golden.Load(t, "testdata/layers.json")
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			build, ok := layersBuilders[c.Name]
			if !ok {
				t.Fatalf("no Ember builder for case %s", c.Name)
			}
			m := build()
			if got, want := nn.Repr(m), c.String("repr"); got != want {
				t.Errorf("Repr:\n got %s\nwant %s", got, want)
			}
			if got, want := nn.StateKeys(m), layersStrings(c, "keys"); !slices.Equal(got, want) {
				t.Errorf("state dict keys %v, want %v", got, want)
			}
			switch c.String("kind") {
			case "layer":
				layersCheckLayer(t, c, m)
			case "bn":
				layersCheckBatchNorm(t, c, m.(*nn.BatchNorm))
			case "init":
				layersCheckInit(t, c, m)
			case "repr":
			default:
				t.Fatalf("unknown kind %q", c.String("kind"))
			}
		})
	}
	for name := range layersBuilders {
		if !seen[name] {
			t.Errorf("builder %s has no golden case", name)
		}
	}
}

func layersLoad(t *testing.T, c golden.Case, m nn.Module) {
	t.Helper()
	if c.String("dtype") != "float32" {
		nn.To(m, tensor.Float64)
	}
	if _, err := nn.LoadStateDict(m, c.Prefixed("param."), true); err != nil {
		t.Fatal(err)
	}
}

func layersCheckLayer(t *testing.T, c golden.Case, m nn.Module) {
	rtol, atol := layersTol(c)
	layersLoad(t, c, m)
	nn.SetTraining(m, c.Bool("train"))
	x := c.T("x")
	if x.DType().IsFloat() {
		x.SetRequiresGrad(true)
	}
	in := x
	if c.Bool("inplace") {
		in = x.MulScalar(1)
	}
	out := m.(nn.Forwarder).Forward(in)
	golden.Close(t, "output", out, c.T("out"), rtol, atol)
	if c.Bool("inplace") {
		// Without autograd the layer overwrites its input.
		restore := tensor.SetGradEnabled(false)
		y := c.T("x")
		m.(nn.Forwarder).Forward(y)
		restore()
		golden.Close(t, "overwritten input", y, c.T("out"), rtol, atol)
	}
	out.Mul(c.T("g")).Sum().Backward()
	if c.Has("grad.x") {
		golden.Close(t, "grad x", x.Grad(), c.T("grad.x"), rtol, atol)
	}
	params := nn.NamedParameters(m)
	for _, p := range params {
		golden.Close(t, "grad "+p.Name, p.Tensor.Grad(), c.T("grad."+p.Name), rtol, atol)
	}
	if n := len(c.Prefixed("grad.")) - len(params); c.Has("grad.x") && n != 1 || !c.Has("grad.x") && n != 0 {
		t.Errorf("PyTorch's layer has %d gradients, Ember's %d parameters", len(c.Prefixed("grad.")), len(params))
	}
}

func layersCheckBatchNorm(t *testing.T, c golden.Case, b *nn.BatchNorm) {
	rtol, atol := layersTol(c)
	layersLoad(t, c, b)
	nn.Train(b)
	x1, x2 := c.T("x1").SetRequiresGrad(true), c.T("x2").SetRequiresGrad(true)
	out1 := b.Forward(x1)
	out2 := b.Forward(x2)
	golden.Close(t, "out1", out1, c.T("out1"), rtol, atol)
	golden.Close(t, "out2", out2, c.T("out2"), rtol, atol)
	out1.Mul(c.T("g1")).Sum().Add(out2.Mul(c.T("g2")).Sum()).Backward()
	golden.Close(t, "grad x1", x1.Grad(), c.T("grad.x1"), rtol, atol)
	golden.Close(t, "grad x2", x2.Grad(), c.T("grad.x2"), rtol, atol)
	for _, p := range nn.NamedParameters(b) {
		golden.Close(t, "grad "+p.Name, p.Tensor.Grad(), c.T("grad."+p.Name), rtol, atol)
	}
	post := c.Prefixed("post.")
	sd := nn.StateDict(b)
	if len(post) != len(sd) {
		t.Errorf("state dict has %d entries, PyTorch's %d", len(sd), len(post))
	}
	for k, want := range post {
		golden.Close(t, "after two batches, "+k, sd[k], want, rtol, atol)
	}
	if nbt := b.NumBatchesTracked; nbt != nil && nbt.DType() != tensor.Int64 {
		t.Errorf("num_batches_tracked is %v", nbt.DType())
	}

	nn.Eval(b)
	nn.ZeroGrad(b)
	x3 := c.T("x3").SetRequiresGrad(true)
	out3 := b.Forward(x3)
	golden.Close(t, "eval out", out3, c.T("out3"), rtol, atol)
	out3.Mul(c.T("g3")).Sum().Backward()
	golden.Close(t, "eval grad x", x3.Grad(), c.T("grad.x3"), rtol, atol)
	for _, p := range nn.NamedParameters(b) {
		golden.Close(t, "eval grad "+p.Name, p.Tensor.Grad(), c.T("evalgrad."+p.Name), rtol, atol)
	}
	for k, want := range post {
		golden.Close(t, "after evaluation, "+k, nn.StateDict(b)[k], want, 0, 0)
	}
}

// layersCheckInit checks a default-initialised weight and bias against the
// bound PyTorch's init code computes (kaiming_uniform_(a=√5) is uniform in
// ±1/√fan_in): all within it, spread over it, and with a uniform
// distribution's standard deviation bound/√3.
func layersCheckInit(t *testing.T, c golden.Case, m nn.Module) {
	bound := c.Float("bound")
	for _, p := range nn.NamedParameters(m) {
		v := p.Tensor.Detach().Double().ToFloat64s()
		maxAbs, sum, sq := 0.0, 0.0, 0.0
		for _, x := range v {
			maxAbs = math.Max(maxAbs, math.Abs(x))
			sum += x
		}
		mean := sum / float64(len(v))
		for _, x := range v {
			sq += (x - mean) * (x - mean)
		}
		std := math.Sqrt(sq / float64(len(v)-1))
		if maxAbs > bound {
			t.Errorf("%s: |value| %g exceeds PyTorch's bound %g", p.Name, maxAbs, bound)
		}
		if p.Name != "weight" {
			continue
		}
		n := float64(len(v))
		wantStd := bound / math.Sqrt(3)
		if maxAbs < bound*0.95 {
			t.Errorf("%s: largest |value| %g of %d is far inside the bound %g", p.Name, maxAbs, len(v), bound)
		}
		// Standard errors of a uniform sample's mean and standard deviation.
		if math.Abs(mean) > 5*wantStd/math.Sqrt(n) {
			t.Errorf("%s: mean %g, want about 0", p.Name, mean)
		}
		if math.Abs(std-wantStd) > 5*wantStd*math.Sqrt(0.8/n)/2+1e-12 {
			t.Errorf("%s: standard deviation %g, want about %g (PyTorch's sample: %g)", p.Name, std, wantStd, c.Float("torch_std"))
		}
		if math.Abs(c.Float("torch_std")-wantStd) > 5*wantStd*math.Sqrt(0.8/n)/2 {
			t.Errorf("the test's formula is off: PyTorch's sample has standard deviation %g, formula %g", c.Float("torch_std"), wantStd)
		}
	}
}

func TestLayersInitNorms(t *testing.T) {
	tensor.ManualSeed(1)
	ones := func(n int) *tensor.Tensor { return tensor.Ones(n) }
	zeros := func(n int) *tensor.Tensor { return tensor.Zeros(n) }
	for _, b := range []*nn.BatchNorm{nn.NewBatchNorm1d(5), nn.NewBatchNorm2d(5)} {
		golden.Close(t, "bn weight", b.Weight, ones(5), 0, 0)
		golden.Close(t, "bn bias", b.Bias, zeros(5), 0, 0)
		golden.Close(t, "bn running_mean", b.RunningMean, zeros(5), 0, 0)
		golden.Close(t, "bn running_var", b.RunningVar, ones(5), 0, 0)
		if nbt := b.NumBatchesTracked; nbt.DType() != tensor.Int64 || nbt.Dim() != 0 || nbt.Item() != 0 {
			t.Errorf("num_batches_tracked %v", nbt)
		}
		if !b.Weight.RequiresGrad() || b.RunningMean.RequiresGrad() {
			t.Error("batch norm: the weight must require grad and the running mean must not")
		}
		if b.Eps != 1e-5 || b.Momentum != 0.1 {
			t.Errorf("batch norm eps %g momentum %g", b.Eps, b.Momentum)
		}
	}
	ln := nn.NewLayerNorm([]int{2, 3})
	golden.Close(t, "ln weight", ln.Weight, tensor.Ones(2, 3), 0, 0)
	golden.Close(t, "ln bias", ln.Bias, tensor.Zeros(2, 3), 0, 0)
	gn := nn.NewGroupNorm(2, 4)
	golden.Close(t, "gn weight", gn.Weight, ones(4), 0, 0)
	golden.Close(t, "gn bias", gn.Bias, zeros(4), 0, 0)

	// Embedding: N(0, 1), the padding row zero.
	e := nn.NewEmbedding(400, 10, nn.EmbeddingOptions{PaddingIdx: 3, HasPadding: true})
	golden.Close(t, "padding row", e.Weight.Select(0, 3), tensor.Zeros(10), 0, 0)
	v := e.Weight.Detach().Double().ToFloat64s()
	mean, sq := 0.0, 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		sq += (x - mean) * (x - mean)
	}
	std := math.Sqrt(sq / float64(len(v)))
	if math.Abs(mean) > 0.05 || math.Abs(std-1) > 0.05 {
		t.Errorf("embedding weight mean %g std %g, want N(0, 1)", mean, std)
	}
}

// Dropout in training: PyTorch's random stream cannot be reproduced, so
// compare what it guarantees: the share dropped, the scale of the rest, and
// a gradient through the same mask.
func TestLayersDropoutTrain(t *testing.T) {
	const n = 20000
	for _, p := range []float64{0.2, 0.5, 0.9} {
		d := nn.NewDropout(p)
		d.Generator = tensor.NewGenerator(7)
		x := tensor.Rand(n).AddScalar(1).Double().SetRequiresGrad(true)
		y := d.Forward(x)
		y.Sum().Backward()
		xs, ys, gs := x.Detach().ToFloat64s(), y.Detach().ToFloat64s(), x.Grad().ToFloat64s()
		zeros := 0
		for i := range ys {
			switch {
			case ys[i] == 0:
				zeros++
				if gs[i] != 0 {
					t.Fatalf("p=%g: dropped element %d has gradient %g", p, i, gs[i])
				}
			default:
				if math.Abs(ys[i]-xs[i]/(1-p)) > 1e-12 || math.Abs(gs[i]-1/(1-p)) > 1e-12 {
					t.Fatalf("p=%g: kept element %d is %g (grad %g), want %g (grad %g)", p, i, ys[i], gs[i], xs[i]/(1-p), 1/(1-p))
				}
			}
		}
		share := float64(zeros) / n
		if sd := math.Sqrt(p * (1 - p) / n); math.Abs(share-p) > 5*sd {
			t.Errorf("p=%g: dropped %g of the elements", p, share)
		}
	}
	// p = 0 keeps everything; p = 1 drops everything.
	x := tensor.Rand(100)
	golden.Close(t, "p=0", nn.NewDropout(0).Forward(x), x, 0, 0)
	golden.Close(t, "p=1", nn.NewDropout(1).Forward(x), tensor.Zeros(100), 0, 0)

	// Dropout2d drops whole channels.
	d2 := nn.NewDropout2d(0.5)
	d2.Generator = tensor.NewGenerator(3)
	y := d2.Forward(tensor.Ones(4, 50, 3, 3)).Reshape(200, 9).ToFloat64s()
	dropped := 0
	for ch := 0; ch < 200; ch++ {
		row := y[ch*9 : ch*9+9]
		for _, v := range row {
			if v != row[0] || (v != 0 && v != 2) {
				t.Fatalf("channel %d is not all dropped or all scaled by 2: %v", ch, row)
			}
		}
		if row[0] == 0 {
			dropped++
		}
	}
	if dropped < 60 || dropped > 140 {
		t.Errorf("Dropout2d dropped %d of 200 channels", dropped)
	}
	// Evaluation mode is the identity (the golden cases check values too).
	nn.Eval(d2)
	x4 := tensor.Randn(2, 3, 2, 2)
	if out := d2.Forward(x4); !tensor.Equal(out, x4) {
		t.Error("Dropout2d in evaluation mode changed its input")
	}
}

func layersPanics(t *testing.T, what string, f func(), wants ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic", what)
			return
		}
		msg := fmt.Sprint(r)
		for _, w := range wants {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: panic %q does not mention %q", what, msg, w)
			}
		}
	}()
	f()
}

func TestLayersInputErrors(t *testing.T) {
	x4 := tensor.Randn(1, 4, 5, 5)
	layersPanics(t, "Linear features", func() { nn.NewLinear(3, 2).Forward(tensor.Randn(2, 4)) }, "nn.Linear:", "[2 4]", "3")
	layersPanics(t, "Linear scalar", func() { nn.NewLinear(3, 2).Forward(tensor.Scalar(1.0)) }, "nn.Linear:", "[]")
	layersPanics(t, "Conv2d channels", func() { nn.NewConv2d(3, 2, 3).Forward(x4) }, "Conv2d:", "[1 4 5 5]", "3 channels", "got 4")
	layersPanics(t, "Conv2d rank", func() { nn.NewConv2d(3, 2, 3).Forward(tensor.Randn(5, 5)) }, "Conv2d:", "[5 5]", "4-D")
	layersPanics(t, "Conv2d too small", func() { nn.NewConv2d(4, 2, 3).Forward(tensor.Randn(1, 4, 2, 2)) }, "conv2d:", "[2 2]")
	layersPanics(t, "Conv1d channels", func() { nn.NewConv1d(3, 2, 3).Forward(tensor.Randn(2, 2, 5)) }, "Conv1d:", "[2 2 5]", "3 channels")
	layersPanics(t, "Conv1d rank", func() { nn.NewConv1d(3, 2, 3).Forward(x4) }, "Conv1d:", "[1 4 5 5]")
	layersPanics(t, "ConvTranspose2d channels", func() { nn.NewConvTranspose2d(3, 2, 3).Forward(x4) }, "ConvTranspose2d:", "[1 4 5 5]", "3 channels")
	layersPanics(t, "BatchNorm2d rank", func() { nn.NewBatchNorm2d(4).Forward(tensor.Randn(2, 4, 3)) }, "BatchNorm2d:", "4-D", "[2 4 3]")
	layersPanics(t, "BatchNorm1d rank", func() { nn.NewBatchNorm1d(4).Forward(x4) }, "BatchNorm1d:", "2-D or 3-D", "[1 4 5 5]")
	layersPanics(t, "BatchNorm2d channels", func() { nn.NewBatchNorm2d(3).Forward(x4) }, "BatchNorm2d:", "[1 4 5 5]", "3 channels")
	layersPanics(t, "BatchNorm one value", func() { nn.NewBatchNorm1d(4).Forward(tensor.Randn(1, 4)) }, "more than 1 value per channel", "[1 4]")
	layersPanics(t, "LayerNorm", func() { nn.NewLayerNorm([]int{4}).Forward(tensor.Randn(2, 5)) }, "LayerNorm:", "[4]", "[2 5]")
	layersPanics(t, "GroupNorm", func() { nn.NewGroupNorm(2, 6).Forward(x4) }, "GroupNorm:", "6", "[1 4 5 5]")
	layersPanics(t, "Embedding dtype", func() { nn.NewEmbedding(4, 2).Forward(tensor.Randn(3)) }, "Embedding:", "float32", "[3]")
	layersPanics(t, "Embedding range", func() { nn.NewEmbedding(4, 2).Forward(tensor.FromSlice([]int64{1, 4})) }, "embedding:", "index 4", "4 rows")
	layersPanics(t, "MaxPool2d rank", func() { nn.NewMaxPool2d(2).Forward(tensor.Randn(4, 4)) }, "MaxPool2d:", "[4 4]")
	layersPanics(t, "AvgPool2d rank", func() { nn.NewAvgPool2d(2).Forward(tensor.Randn(4)) }, "AvgPool2d:", "[4]")
	layersPanics(t, "AdaptiveAvgPool2d rank", func() { nn.NewAdaptiveAvgPool2d(2).Forward(tensor.Randn(1, 1, 1, 4, 4)) }, "AdaptiveAvgPool2d:", "[1 1 1 4 4]")
	layersPanics(t, "Flatten", func() { nn.NewFlatten(1, 3).Forward(tensor.Randn(2, 3)) }, "flatten", "3")
	layersPanics(t, "Softmax", func() { nn.NewSoftmax(2).Forward(tensor.Randn(2, 3)) }, "softmax", "2")
	layersPanics(t, "GELU", func() { (&nn.GELU{Approximate: "fast"}).Forward(tensor.Randn(2)) }, "gelu", "fast")
	layersPanics(t, "reflect padding too large", func() {
		nn.NewConv2d(1, 1, 3, nn.Conv2dOptions{Padding: layersInts(3), PaddingMode: "reflect"}).Forward(tensor.Randn(1, 1, 3, 3))
	}, "reflect", "[1 1 3 3]")
}

func TestLayersConstructorErrors(t *testing.T) {
	layersPanics(t, "Linear negative", func() { nn.NewLinear(-1, 2) }, "nn.NewLinear", "-1")
	layersPanics(t, "Conv2d kernel 0", func() { nn.NewConv2d(1, 2, 0) }, "nn.NewConv2d", "kernel_size", "[0 0]")
	layersPanics(t, "Conv2d kernel shape", func() { nn.NewConv2d(1, 2, 3, nn.Conv2dOptions{Kernel: layersInts(3, -1)}) }, "nn.NewConv2d", "kernel_size")
	layersPanics(t, "Conv2d kernel 3 values", func() { nn.NewConv2d(1, 2, 3, nn.Conv2dOptions{Kernel: layersInts(3, 3, 3)}) }, "nn.NewConv2d", "kernel")
	layersPanics(t, "Conv2d channels", func() { nn.NewConv2d(0, 2, 3) }, "nn.NewConv2d", "in_channels 0")
	layersPanics(t, "Conv2d groups", func() { nn.NewConv2d(4, 6, 3, nn.Conv2dOptions{Groups: 4}) }, "nn.NewConv2d", "groups 4")
	layersPanics(t, "Conv2d negative groups", func() { nn.NewConv2d(4, 6, 3, nn.Conv2dOptions{Groups: -2}) }, "nn.NewConv2d", "groups")
	layersPanics(t, "Conv2d stride", func() { nn.NewConv2d(1, 1, 3, nn.Conv2dOptions{Stride: layersInts(1, 0)}) }, "nn.NewConv2d", "stride")
	layersPanics(t, "Conv2d padding", func() { nn.NewConv2d(1, 1, 3, nn.Conv2dOptions{Padding: layersInts(-1)}) }, "nn.NewConv2d", "padding")
	layersPanics(t, "Conv2d dilation", func() { nn.NewConv2d(1, 1, 3, nn.Conv2dOptions{Dilation: layersInts(0)}) }, "nn.NewConv2d", "dilation")
	layersPanics(t, "Conv2d same strided", func() {
		nn.NewConv2d(1, 1, 3, nn.Conv2dOptions{PaddingString: "same", Stride: layersInts(2)})
	}, "nn.NewConv2d", "same", "strided")
	layersPanics(t, "Conv2d padding string", func() { nn.NewConv2d(1, 1, 3, nn.Conv2dOptions{PaddingString: "full"}) }, "nn.NewConv2d", "full")
	layersPanics(t, "Conv2d both paddings", func() {
		nn.NewConv2d(1, 1, 3, nn.Conv2dOptions{PaddingString: "same", Padding: layersInts(1)})
	}, "nn.NewConv2d", "same")
	layersPanics(t, "Conv2d padding mode", func() { nn.NewConv2d(1, 1, 3, nn.Conv2dOptions{PaddingMode: "mirror"}) }, "nn.NewConv2d", "mirror")
	layersPanics(t, "Conv1d kernel", func() { nn.NewConv1d(1, 1, 0) }, "nn.NewConv1d", "kernel_size")
	layersPanics(t, "Conv1d stride", func() { nn.NewConv1d(1, 1, 2, nn.Conv1dOptions{Stride: -1}) }, "nn.NewConv1d", "stride")
	layersPanics(t, "ConvTranspose2d kernel", func() { nn.NewConvTranspose2d(1, 1, -3) }, "nn.NewConvTranspose2d", "kernel_size")
	layersPanics(t, "ConvTranspose2d output padding", func() {
		nn.NewConvTranspose2d(1, 1, 3, nn.ConvTranspose2dOptions{Stride: layersInts(2), OutputPadding: layersInts(2)})
	}, "nn.NewConvTranspose2d", "output_padding")
	layersPanics(t, "BatchNorm2d features", func() { nn.NewBatchNorm2d(0) }, "nn.NewBatchNorm2d", "0")
	layersPanics(t, "LayerNorm shape", func() { nn.NewLayerNorm([]int{3, 0}) }, "nn.NewLayerNorm", "[3 0]")
	layersPanics(t, "LayerNorm empty", func() { nn.NewLayerNorm(nil) }, "nn.NewLayerNorm")
	layersPanics(t, "GroupNorm", func() { nn.NewGroupNorm(4, 6) }, "nn.NewGroupNorm", "4", "6")
	layersPanics(t, "Dropout", func() { nn.NewDropout(1.5) }, "nn.NewDropout", "1.5")
	layersPanics(t, "Dropout2d", func() { nn.NewDropout2d(-0.1) }, "nn.NewDropout2d", "-0.1")
	layersPanics(t, "Embedding size", func() { nn.NewEmbedding(0, 3) }, "nn.NewEmbedding", "0")
	layersPanics(t, "Embedding padding", func() { nn.NewEmbedding(4, 3, nn.EmbeddingOptions{PaddingIdx: 4, HasPadding: true}) }, "nn.NewEmbedding", "padding_idx 4")
	layersPanics(t, "MaxPool2d kernel", func() { nn.NewMaxPool2d(0) }, "nn.NewMaxPool2d", "kernel_size")
	layersPanics(t, "MaxPool2d padding", func() {
		nn.NewMaxPool2d(2, tensor.MaxPool2dOptions{Padding: layersInts(2)})
	}, "nn.NewMaxPool2d", "padding", "half")
	layersPanics(t, "AvgPool2d stride", func() { nn.NewAvgPool2d(2, tensor.AvgPool2dOptions{Stride: layersInts(0)}) }, "nn.NewAvgPool2d", "stride")
	layersPanics(t, "AvgPool2d divisor", func() { nn.NewAvgPool2d(2, tensor.AvgPool2dOptions{DivisorOverride: -1}) }, "nn.NewAvgPool2d", "divisor")
	layersPanics(t, "AdaptiveAvgPool2d", func() { nn.NewAdaptiveAvgPool2d(2, 0) }, "nn.NewAdaptiveAvgPool2d", "[2 0]")
	layersPanics(t, "AdaptiveAvgPool2d none", func() { nn.NewAdaptiveAvgPool2d() }, "nn.NewAdaptiveAvgPool2d")
	layersPanics(t, "Flatten", func() { nn.NewFlatten(1, 2, 3) }, "nn.NewFlatten")
	layersPanics(t, "Hardtanh", func() { nn.NewHardtanh(1, -1) }, "nn.NewHardtanh")
}

// The same layer gives the same repr for float formats PyTorch prints
// differently from Go's %g.
func TestLayersReprFloats(t *testing.T) {
	for _, c := range []struct {
		m    nn.Module
		want string
	}{
		{nn.NewLeakyReLU(1), "LeakyReLU(negative_slope=1.0)"},
		{nn.NewELU(1e-7), "ELU(alpha=1e-07)"},
		{nn.NewELU(1e16), "ELU(alpha=1e+16)"},
		{nn.NewELU(123456789), "ELU(alpha=123456789.0)"},
		{nn.NewELU(0.0001), "ELU(alpha=0.0001)"},
		{nn.NewHardtanh(-2, 3), "Hardtanh(min_val=-2.0, max_val=3.0)"},
		{&nn.Softplus{Beta: 0.5}, "Softplus(beta=0.5, threshold=20)"},
		{nn.NewDropout(0), "Dropout(p=0.0, inplace=False)"},
		{nn.NewBatchNorm2d(2, nn.BatchNormOptions{Eps: 0.1, Momentum: 0.01}), "BatchNorm2d(2, eps=0.1, momentum=0.01, affine=True, track_running_stats=True)"},
		{&nn.BatchNorm{NumFeatures: 2, Eps: 1e-5, Momentum: 0.1}, "BatchNorm(2, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"},
		{&layersPlain{}, "layersPlain()"},
		{&layersMultiline{Lin: nn.NewLinear(1, 1)}, "layersMultiline(\n  first\n  second\n  (lin): Linear(in_features=1, out_features=1, bias=True)\n)"},
	} {
		if got := nn.Repr(c.m); got != c.want {
			t.Errorf("Repr = %q, want %q", got, c.want)
		}
	}
}

type layersPlain struct{ nn.Base }

type layersMultiline struct {
	nn.Base
	Lin *nn.Linear
}

func (*layersMultiline) ExtraRepr() string { return "first\nsecond" }

// A BatchNorm built as a literal (no constructor) accepts any input of rank
// 2 or more and normalises with batch statistics.
func TestLayersBatchNormLiteral(t *testing.T) {
	b := &nn.BatchNorm{NumFeatures: 2, Eps: 1e-5}
	x := tensor.Randn(3, 2, 4)
	want := tensor.BatchNorm(x, nil, nil, nil, nil, true, 0, 1e-5)
	golden.Close(t, "literal batch norm", b.Forward(x), want, 0, 0)
	layersPanics(t, "literal rank", func() { b.Forward(tensor.Randn(2)) }, "nn.BatchNorm:", "2-D or higher")
}

// Hooks run on every layer's Forward.
func TestLayersHooks(t *testing.T) {
	calls := 0
	for _, m := range []nn.Forwarder{nn.NewLinear(2, 2), nn.NewConv1d(2, 2, 1), nn.NewConv2d(2, 2, 1), nn.NewConvTranspose2d(2, 2, 1),
		nn.NewBatchNorm1d(2), nn.NewLayerNorm([]int{2}), nn.NewGroupNorm(1, 2), nn.NewDropout(0.5), nn.NewDropout2d(0.5),
		nn.NewIdentity(), nn.NewFlatten(), nn.NewReLU(), nn.NewReLU6(), nn.NewLeakyReLU(0.1), nn.NewELU(1), nn.NewGELU(),
		nn.NewHardtanh(-1, 1), nn.NewSoftplus(), nn.NewSoftmax(1), nn.NewLogSoftmax(1), nn.NewSigmoid(), nn.NewTanh(), nn.NewSiLU(),
		nn.NewMish(), nn.NewHardswish(), nn.NewHardsigmoid()} {
		calls = 0
		m.(interface {
			RegisterForwardHook(nn.ForwardHook) *nn.HookHandle
		}).RegisterForwardHook(func(nn.Module, []*tensor.Tensor, []*tensor.Tensor) []*tensor.Tensor { calls++; return nil })
		x := tensor.Randn(2, 2)
		switch m.(type) {
		case *nn.Conv1d:
			x = tensor.Randn(1, 2, 3)
		case *nn.Conv2d, *nn.ConvTranspose2d, *nn.Dropout2d:
			x = tensor.Randn(1, 2, 3, 3)
		}
		m.Forward(x)
		if calls != 1 {
			t.Errorf("%s: forward hook ran %d times", nn.Repr(m), calls)
		}
	}
	for _, m := range []nn.Forwarder{nn.NewMaxPool2d(2), nn.NewAvgPool2d(2), nn.NewAdaptiveAvgPool2d(1)} {
		calls = 0
		m.(interface {
			RegisterForwardHook(nn.ForwardHook) *nn.HookHandle
		}).RegisterForwardHook(func(nn.Module, []*tensor.Tensor, []*tensor.Tensor) []*tensor.Tensor { calls++; return nil })
		m.Forward(tensor.Randn(1, 2, 4, 4))
		if calls != 1 {
			t.Errorf("%s: forward hook ran %d times", nn.Repr(m), calls)
		}
	}
	e := nn.NewEmbedding(3, 2)
	calls = 0
	e.RegisterForwardHook(func(nn.Module, []*tensor.Tensor, []*tensor.Tensor) []*tensor.Tensor { calls++; return nil })
	e.Forward(tensor.FromSlice([]int64{0, 2}))
	if calls != 1 {
		t.Errorf("Embedding: forward hook ran %d times", calls)
	}
}
