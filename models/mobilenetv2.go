package models

import (
	"fmt"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// NewConvBNActivation returns torchvision's Conv2dNormActivation with
// BatchNorm2d and an in-place ReLU6 (act false leaves the activation out):
// a Sequential of a bias-free k×k Conv2d with padding (k-1)/2, a
// BatchNorm2d and a ReLU6, named 0, 1 and 2.
func NewConvBNActivation(in, out, k, stride, groups int, act bool) *nn.Sequential {
	s := nn.NewSequential(modelsConv2d(in, out, k, stride, groups), nn.NewBatchNorm2d(out))
	if act {
		s.Append(&nn.ReLU6{Inplace: true})
	}
	return s
}

// InvertedResidual is MobileNetV2's block, as torchvision's
// InvertedResidual: Conv is a Sequential of an optional 1×1 expansion
// (Conv2dNormActivation with ReLU6, left out when the expansion ratio is
// 1), a 3×3 depthwise Conv2dNormActivation with ReLU6, and a linear 1×1
// projection (Conv2d and BatchNorm2d). The input is added to the result
// when the block keeps the shape (stride 1, as many output channels as
// input channels).
type InvertedResidual struct {
	nn.Base
	Conv *nn.Sequential
	// Stride is the depthwise convolution's stride (1 or 2).
	Stride int
	// UseResConnect reports whether the input is added to the output.
	UseResConnect bool
	// OutChannels is the number of output channels.
	OutChannels int
}

// NewInvertedResidual returns an InvertedResidual from inp to oup channels
// with the given stride (1 or 2) and expansion ratio.
func NewInvertedResidual(inp, oup, stride, expandRatio int) *InvertedResidual {
	if stride != 1 && stride != 2 {
		panic(fmt.Sprintf("models.NewInvertedResidual: stride must be 1 or 2, got %d", stride))
	}
	if inp <= 0 || oup <= 0 || expandRatio <= 0 {
		panic(fmt.Sprintf("models.NewInvertedResidual: channels %d, %d and expansion ratio %d must be positive", inp, oup, expandRatio))
	}
	hidden := inp * expandRatio
	conv := nn.NewSequential()
	if expandRatio != 1 {
		conv.Append(NewConvBNActivation(inp, hidden, 1, 1, 1, true))
	}
	conv.Append(NewConvBNActivation(hidden, hidden, 3, stride, hidden, true)).
		Append(modelsConv2d(hidden, oup, 1, 1, 1)).
		Append(nn.NewBatchNorm2d(oup))
	return &InvertedResidual{Conv: conv, Stride: stride, UseResConnect: stride == 1 && inp == oup, OutChannels: oup}
}

// Forward applies the block to x ([N, C, H, W]).
func (b *InvertedResidual) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := b.Conv.Forward(x)
	if !b.UseResConnect {
		return y
	}
	if modelsCanInPlace(y) {
		return y.Add_(x) // x + conv(x), written into conv(x)'s fresh buffer
	}
	return x.Add(y)
}

// MobileNetV2 is torchvision.models.MobileNetV2 (width multiplier 1.0):
// Features is a Sequential of a stride-2 3×3 Conv2dNormActivation (index
// 0), 17 InvertedResidual blocks (1 to 17) and a 1×1 Conv2dNormActivation
// to 1280 channels (18); the classifier is Dropout(0.2) and
// Linear(1280, numClasses). Forward averages the features over space
// before the classifier.
type MobileNetV2 struct {
	nn.Base
	Features   *nn.Sequential
	Classifier *nn.Sequential
	// LastChannel is the number of features the classifier takes (1280).
	LastChannel int
}

// mobileNetV2Setting is torchvision's inverted_residual_setting: expansion
// t, output channels c, repeats n, first stride s.
var mobileNetV2Setting = [][4]int{
	{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
	{6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
}

// NewMobileNetV2 returns torchvision's mobilenet_v2(num_classes=numClasses)
// with its default initialisation from the default generator: convolution
// weights from kaiming_normal_(mode="fan_out"), BatchNorm weights 1 and
// biases 0, the classifier's Linear weight from N(0, 0.01²) and bias 0. It
// has 3,504,872 parameters for 1000 classes.
func NewMobileNetV2(numClasses int) *MobileNetV2 {
	modelsCheckClasses("NewMobileNetV2", numClasses)
	const lastChannel = 1280
	in := 32
	features := nn.NewSequential(NewConvBNActivation(3, in, 3, 2, 1, true))
	for _, s := range mobileNetV2Setting {
		t, c, n, stride := s[0], s[1], s[2], s[3]
		for i := range n {
			if i > 0 {
				stride = 1
			}
			features.Append(NewInvertedResidual(in, c, stride, t))
			in = c
		}
	}
	features.Append(NewConvBNActivation(in, lastChannel, 1, 1, 1, true))
	fc := nn.NewLinear(lastChannel, numClasses)
	fc.Weight = modelsParam(tensor.DefaultGenerator().Normal(0, 0.01, numClasses, lastChannel))
	fc.Bias = modelsParam(tensor.Zeros(numClasses))
	m := &MobileNetV2{Features: features, Classifier: nn.NewSequential(nn.NewDropout(0.2), fc), LastChannel: lastChannel}
	modelsInitConvs(m)
	return m
}

// Forward maps images x ([N, 3, H, W], 224×224 for ImageNet weights) to
// logits [N, numClasses].
func (m *MobileNetV2) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.Features.Forward(x)
	x = tensor.AdaptiveAvgPool2d(x, 1, 1).Flatten(1, -1)
	return m.Classifier.Forward(x)
}
