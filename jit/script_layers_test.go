package jit

import (
	"testing"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

type layerCase struct {
	name  string
	make  func() nn.Forwarder
	input func() *tensor.Tensor
	opts  []ScriptOptions
	train bool
}

func randn(shape ...int) func() *tensor.Tensor {
	return func() *tensor.Tensor { return tensor.Randn(shape...) }
}

func layerCases() []layerCase {
	bn := func(make func() *nn.BatchNorm) func() nn.Forwarder {
		return func() nn.Forwarder {
			b := make()
			b.RunningMean = tensor.Randn(b.NumFeatures)
			b.RunningVar = tensor.Rand(b.NumFeatures).AddScalar(0.5)
			b.Weight = tensor.Randn(b.NumFeatures).SetRequiresGrad(true)
			b.Bias = tensor.Randn(b.NumFeatures).SetRequiresGrad(true)
			return b
		}
	}
	return []layerCase{
		{name: "Linear", make: func() nn.Forwarder { return nn.NewLinear(6, 4) }, input: randn(3, 6)},
		{name: "LinearNoBias", make: func() nn.Forwarder { return nn.NewLinear(6, 4, nn.LinearOptions{NoBias: true}) }, input: randn(2, 5, 6)},
		{name: "Conv1d", make: func() nn.Forwarder { return nn.NewConv1d(3, 5, 3, nn.Conv1dOptions{Padding: 1, Stride: 2}) }, input: randn(2, 3, 9)},
		{name: "Conv1dReflect", make: func() nn.Forwarder {
			return nn.NewConv1d(3, 5, 3, nn.Conv1dOptions{Padding: 1, PaddingMode: "reflect"})
		}, input: randn(2, 3, 9)},
		{name: "Conv2d", make: func() nn.Forwarder {
			return nn.NewConv2d(3, 4, 3, nn.Conv2dOptions{Stride: []int{2}, Padding: []int{1}})
		}, input: randn(2, 3, 8, 8)},
		{name: "Conv2dGroupsCircular", make: func() nn.Forwarder {
			return nn.NewConv2d(4, 4, 3, nn.Conv2dOptions{Groups: 2, Padding: []int{1, 2}, PaddingMode: "circular"})
		}, input: randn(1, 4, 6, 7)},
		{name: "Conv2dSame", make: func() nn.Forwarder {
			return nn.NewConv2d(2, 3, 3, nn.Conv2dOptions{PaddingString: "same", Dilation: []int{2}})
		}, input: randn(2, 7, 7)},
		{name: "ConvTranspose2d", make: func() nn.Forwarder {
			return nn.NewConvTranspose2d(3, 2, 3, nn.ConvTranspose2dOptions{Stride: []int{2}, Padding: []int{1}, OutputPadding: []int{1}})
		}, input: randn(2, 3, 5, 5)},
		{name: "BatchNorm1d", make: bn(func() *nn.BatchNorm { return nn.NewBatchNorm1d(5) }), input: randn(4, 5)},
		{name: "BatchNorm1d3D", make: bn(func() *nn.BatchNorm { return nn.NewBatchNorm1d(5) }), input: randn(4, 5, 3)},
		{name: "BatchNorm2d", make: bn(func() *nn.BatchNorm { return nn.NewBatchNorm2d(3) }), input: randn(2, 3, 4, 4)},
		{name: "BatchNorm2dTrain", make: bn(func() *nn.BatchNorm { return nn.NewBatchNorm2d(3) }), input: randn(2, 3, 4, 4), train: true},
		{name: "LayerNorm", make: func() nn.Forwarder {
			l := nn.NewLayerNorm([]int{4, 5})
			l.Weight = tensor.Randn(4, 5)
			return l
		}, input: randn(3, 4, 5)},
		{name: "GroupNorm", make: func() nn.Forwarder { return nn.NewGroupNorm(2, 6) }, input: randn(2, 6, 3, 3)},
		{name: "DropoutEval", make: func() nn.Forwarder { return nn.NewDropout(0.3) }, input: randn(4, 8)},
		{name: "DropoutTrain", make: func() nn.Forwarder { return nn.NewDropout(0.3) }, input: randn(4, 8), train: true},
		{name: "Dropout2dTrain", make: func() nn.Forwarder { return nn.NewDropout2d(0.5) }, input: randn(2, 4, 3, 3), train: true},
		{name: "Embedding", make: func() nn.Forwarder {
			return nn.NewEmbedding(10, 3, nn.EmbeddingOptions{PaddingIdx: 0, HasPadding: true})
		},
			input: func() *tensor.Tensor { return tensor.FromSlice([]int64{1, 0, 9, 4, 4, 2}, 2, 3) },
			opts:  []ScriptOptions{{Inputs: []ir.Type{ir.UnrankedTensorType(tensor.Int64)}}}},
		{name: "MaxPool2d", make: func() nn.Forwarder {
			return nn.NewMaxPool2d(3, tensor.MaxPool2dOptions{Stride: []int{2}, Padding: []int{1}, CeilMode: true})
		}, input: randn(2, 3, 7, 7)},
		{name: "AvgPool2d", make: func() nn.Forwarder {
			return nn.NewAvgPool2d(2, tensor.AvgPool2dOptions{Padding: []int{1}, ExcludePad: true})
		}, input: randn(1, 2, 5, 5)},
		{name: "AdaptiveAvgPool2d", make: func() nn.Forwarder { return nn.NewAdaptiveAvgPool2d(3, 2) }, input: randn(2, 3, 7, 5)},
		{name: "Flatten", make: func() nn.Forwarder { return nn.NewFlatten() }, input: randn(2, 3, 4)},
		{name: "Identity", make: func() nn.Forwarder { return nn.NewIdentity() }, input: randn(3)},
		{name: "ReLU", make: func() nn.Forwarder { return nn.NewReLU() }, input: randn(3, 4)},
		{name: "ReLUInplace", make: func() nn.Forwarder { return &nn.ReLU{Inplace: true} }, input: randn(3, 4)},
		{name: "ReLU6", make: func() nn.Forwarder { return nn.NewReLU6() }, input: func() *tensor.Tensor { return tensor.Randn(3, 4).MulScalar(5) }},
		{name: "LeakyReLU", make: func() nn.Forwarder { return nn.NewLeakyReLU(0.2) }, input: randn(3, 4)},
		{name: "ELU", make: func() nn.Forwarder { return nn.NewELU(0.7) }, input: randn(3, 4)},
		{name: "GELU", make: func() nn.Forwarder { return nn.NewGELU() }, input: randn(3, 4)},
		{name: "GELUTanh", make: func() nn.Forwarder { return &nn.GELU{Approximate: "tanh"} }, input: randn(3, 4)},
		{name: "Hardtanh", make: func() nn.Forwarder { return nn.NewHardtanh(-0.5, 0.5) }, input: randn(3, 4)},
		{name: "Softplus", make: func() nn.Forwarder { return nn.NewSoftplus() }, input: randn(3, 4)},
		{name: "Softmax", make: func() nn.Forwarder { return nn.NewSoftmax(1) }, input: randn(3, 4)},
		{name: "LogSoftmax", make: func() nn.Forwarder { return nn.NewLogSoftmax(-1) }, input: randn(3, 4)},
		{name: "Sigmoid", make: func() nn.Forwarder { return nn.NewSigmoid() }, input: randn(3, 4)},
		{name: "Tanh", make: func() nn.Forwarder { return nn.NewTanh() }, input: randn(3, 4)},
		{name: "SiLU", make: func() nn.Forwarder { return nn.NewSiLU() }, input: randn(3, 4)},
		{name: "Mish", make: func() nn.Forwarder { return nn.NewMish() }, input: randn(3, 4)},
		{name: "Hardswish", make: func() nn.Forwarder { return nn.NewHardswish() }, input: randn(3, 4)},
		{name: "Hardsigmoid", make: func() nn.Forwarder { return nn.NewHardsigmoid() }, input: randn(3, 4)},
		{name: "Sequential", make: func() nn.Forwarder {
			return nn.NewSequential(nn.NewLinear(4, 8), nn.NewReLU(), nn.NewSequential(nn.NewLinear(8, 8), nn.NewTanh()), nn.NewLinear(8, 2))
		}, input: randn(5, 4)},
	}
}

// checkLayer scripts m and compares it with eager on x, with the default
// generator seeded the same way before each run (for dropout in training
// mode).
func checkLayer(t *testing.T, m nn.Forwarder, x *tensor.Tensor, opts ...ScriptOptions) *Module {
	t.Helper()
	sm := mustScript(t, m, opts...)
	rm := roundTrip(t, sm)
	tensor.ManualSeed(77)
	want := m.Forward(x.Clone())
	for i, mod := range []*Module{sm, rm} {
		tensor.ManualSeed(77)
		got, err := mod.Call(x.Clone())
		if err != nil {
			t.Fatalf("module %d: %v\n%s", i, err, sm.Graph())
		}
		if len(got) != 1 || !tensor.Equal(got[0], want) {
			t.Fatalf("module %d: scripted output differs from eager:\n%v\nvs\n%v\n%s", i, got, want, sm.Graph())
		}
	}
	return sm
}

func TestScriptLayers(t *testing.T) {
	for _, lc := range layerCases() {
		t.Run(lc.name, func(t *testing.T) {
			tensor.ManualSeed(5)
			m := lc.make()
			if lc.train {
				nn.Train(m)
			} else {
				nn.Eval(m)
			}
			checkLayer(t, m, lc.input(), lc.opts...)
		})
	}
}

// A layer's shape checks stay in the graph: a bad input raises the
// layer's error when the graph runs.
func TestScriptLayerChecks(t *testing.T) {
	tensor.ManualSeed(3)
	m := nn.NewLinear(6, 4)
	sm := mustScript(t, m)
	_, err := sm.Call(tensor.Randn(2, 5))
	if err == nil || !stringsContains(err.Error(), "nn.Linear: expected input") {
		t.Fatalf("want the layer's check to fail, got %v", err)
	}
	c := nn.NewConv2d(3, 4, 3)
	sc := mustScript(t, c)
	if _, err := sc.Call(tensor.Randn(2, 2, 8, 8)); err == nil {
		t.Fatalf("a convolution with the wrong number of channels ran")
	}
}

func TestScriptModels(t *testing.T) {
	cases := []struct {
		name  string
		make  func() nn.Forwarder
		input []int
	}{
		{"MLP", func() nn.Forwarder { return models.NewMLP() }, []int{3, 1, 28, 28}},
		{"SmallCNN", func() nn.Forwarder { return models.NewSmallCNN() }, []int{2, 1, 28, 28}},
		{"ExamplesNet", func() nn.Forwarder { return models.NewExamplesNet() }, []int{2, 1, 28, 28}},
		{"ResNet18", func() nn.Forwarder { return models.NewResNet18(10) }, []int{2, 3, 32, 32}},
		{"MobileNetV2", func() nn.Forwarder { return models.NewMobileNetV2(10) }, []int{1, 3, 32, 32}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tensor.ManualSeed(11)
			m := tc.make()
			nn.Eval(m)
			checkLayer(t, m, tensor.Randn(tc.input...))
		})
	}
}

func stringsContains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// In training mode a scripted BatchNorm updates its running statistics as
// eager execution does.
func TestScriptBatchNormTrainingUpdatesStatistics(t *testing.T) {
	tensor.ManualSeed(8)
	mk := func() *nn.BatchNorm {
		b := nn.NewBatchNorm2d(3)
		b.RunningMean = tensor.FromSlice([]float32{0.1, -0.2, 0.3})
		b.RunningVar = tensor.FromSlice([]float32{1.5, 0.5, 2})
		return b
	}
	eager, scripted := mk(), mk()
	sm := mustScript(t, scripted)
	for i := 0; i < 3; i++ {
		x := tensor.Randn(4, 3, 2, 2)
		want := eager.Forward(x)
		got, err := sm.Call(x)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.Equal(got[0], want) {
			t.Fatalf("step %d: outputs differ", i)
		}
	}
	for _, name := range []string{"running_mean", "running_var", "num_batches_tracked"} {
		if !tensor.Equal(nn.StateDict(eager)[name], nn.StateDict(scripted)[name]) {
			t.Errorf("%s: scripted %v, eager %v", name, nn.StateDict(scripted)[name], nn.StateDict(eager)[name])
		}
	}
	if n := nn.StateDict(scripted)["num_batches_tracked"].Item(); n != 3 {
		t.Errorf("num_batches_tracked = %v after 3 scripted steps", n)
	}
}
