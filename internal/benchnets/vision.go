package benchnets

import (
	"github.com/emberml/ember/tensor"
)

// benchConvBN is a bias-free convolution followed by eval-mode BatchNorm
// and an optional activation: torchvision's Conv2dNormActivation.
type benchConvBN struct {
	conv benchConv
	bn   benchBN
	act  func(*tensor.Tensor) *tensor.Tensor // nil for none
}

func (p *benchParams) convBN(in, out, k, stride, groups int, act func(*tensor.Tensor) *tensor.Tensor) benchConvBN {
	return benchConvBN{conv: p.convFanOut(in, out, k, stride, groups), bn: p.bn(out), act: act}
}

func (c benchConvBN) apply(x *tensor.Tensor) *tensor.Tensor {
	x = c.bn.apply(c.conv.apply(x))
	if c.act != nil {
		x = c.act(x)
	}
	return x
}

// benchInPlace reports whether an op may overwrite x, as torchvision's
// inplace=True activations and ResNet's `out += identity` do: Ember does
// not record in-place ops, so only when autograd will not need x (under
// NoGrad, as in the benchmark).
func benchInPlace(x *tensor.Tensor) bool { return !tensor.GradEnabled() || !x.RequiresGrad() }

func benchReLU(x *tensor.Tensor) *tensor.Tensor {
	if benchInPlace(x) {
		return x.ReLU_()
	}
	return x.ReLU()
}

func benchReLU6(x *tensor.Tensor) *tensor.Tensor {
	if benchInPlace(x) {
		return x.ReLU6_()
	}
	return x.ReLU6()
}

// benchInvRes is MobileNetV2's inverted residual block: an optional 1x1
// expansion with ReLU6, a 3x3 depthwise convolution with ReLU6, and a
// linear 1x1 projection, with a skip connection when the shape is kept.
type benchInvRes struct {
	layers []benchConvBN
	skip   bool
}

func (b benchInvRes) apply(x *tensor.Tensor) *tensor.Tensor {
	y := x
	for _, l := range b.layers {
		y = l.apply(y)
	}
	if b.skip {
		y = x.Add(y)
	}
	return y
}

// MobileNetV2 is torchvision.models.mobilenet_v2() (width 1.0, 1000
// classes) in evaluation mode: BatchNorm uses the running statistics and
// the classifier's dropout is off.
type MobileNetV2 struct {
	params []*tensor.Tensor
	stem   benchConvBN
	blocks []benchInvRes
	last   benchConvBN
	fc     benchLinear
}

// NewMobileNetV2 creates a MobileNetV2 with parameters drawn from a stream
// seeded with seed, at torchvision's scale (kaiming fan-out deviation for
// the convolutions, BatchNorm weight 1 and bias 0, classifier deviation 0.01
// and bias 0).
func NewMobileNetV2(seed uint64) *MobileNetV2 {
	p := newBenchParams(seed)
	m := &MobileNetV2{stem: p.convBN(3, 32, 3, 2, 1, benchReLU6)}
	in := 32
	for _, s := range [][4]int{ // expansion t, channels c, repeats n, stride s
		{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
		{6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
	} {
		t, c, n, stride := s[0], s[1], s[2], s[3]
		for i := range n {
			if i > 0 {
				stride = 1
			}
			hidden := in * t
			var b benchInvRes
			if t != 1 {
				b.layers = append(b.layers, p.convBN(in, hidden, 1, 1, 1, benchReLU6))
			}
			b.layers = append(b.layers,
				p.convBN(hidden, hidden, 3, stride, hidden, benchReLU6),
				p.convBN(hidden, c, 1, 1, 1, nil))
			b.skip = stride == 1 && in == c
			m.blocks = append(m.blocks, b)
			in = c
		}
	}
	m.last = p.convBN(in, 1280, 1, 1, 1, benchReLU6)
	m.fc = benchLinear{w: p.normal(0.01, 1000, 1280), b: p.full(0, 1000)}
	m.params = p.list
	return m
}

// Forward maps [N, 3, H, W] images (224x224 in the benchmark; any size
// of at least 32 works) to [N, 1000] logits.
func (m *MobileNetV2) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.stem.apply(x)
	for _, b := range m.blocks {
		x = b.apply(x)
	}
	x = m.last.apply(x)
	x = tensor.AdaptiveAvgPool2d(x, 1, 1).Flatten(1, -1)
	return m.fc.apply(x)
}

// Parameters returns the convolution, BatchNorm and classifier parameters.
func (m *MobileNetV2) Parameters() []*tensor.Tensor { return m.params }

// benchBasicBlock is ResNet's basic block: two 3x3 convolutions with
// BatchNorm, a ReLU between them, and a skip connection (a strided 1x1
// convolution with BatchNorm when the shape changes) before the last ReLU.
type benchBasicBlock struct {
	c1, c2 benchConvBN
	down   *benchConvBN
}

func (b benchBasicBlock) apply(x *tensor.Tensor) *tensor.Tensor {
	y := b.c2.apply(b.c1.apply(x))
	id := x
	if b.down != nil {
		id = b.down.apply(x)
	}
	if benchInPlace(y) {
		return y.Add_(id).ReLU_()
	}
	return y.Add(id).ReLU()
}

// ResNet18 is torchvision.models.resnet18() (1000 classes) in evaluation
// mode.
type ResNet18 struct {
	params []*tensor.Tensor
	stem   benchConvBN
	blocks []benchBasicBlock
	fc     benchLinear
}

// NewResNet18 creates a ResNet18 with parameters drawn from a stream seeded
// with seed, at torchvision's scale (kaiming fan-out deviation for the
// convolutions, BatchNorm weight 1 and bias 0, the fc layer nn.Linear's
// default).
func NewResNet18(seed uint64) *ResNet18 {
	p := newBenchParams(seed)
	m := &ResNet18{}
	m.stem = p.convBN(3, 64, 7, 2, 1, benchReLU)
	m.stem.conv.padding = 3
	in := 64
	for li, c := range []int{64, 128, 256, 512} {
		for i := range 2 {
			stride := 1
			if li > 0 && i == 0 {
				stride = 2
			}
			b := benchBasicBlock{
				c1: p.convBN(in, c, 3, stride, 1, benchReLU),
				c2: p.convBN(c, c, 3, 1, 1, nil),
			}
			if stride != 1 || in != c {
				d := p.convBN(in, c, 1, stride, 1, nil)
				b.down = &d
			}
			m.blocks = append(m.blocks, b)
			in = c
		}
	}
	m.fc = p.linear(512, 1000)
	m.params = p.list
	return m
}

// Forward maps [N, 3, H, W] images (224x224 in the benchmark; any size of
// at least 32 works) to [N, 1000] logits.
func (m *ResNet18) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.stem.apply(x)
	x = tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{3}, Stride: []int{2}, Padding: []int{1}})
	for _, b := range m.blocks {
		x = b.apply(x)
	}
	x = tensor.AdaptiveAvgPool2d(x, 1, 1).Flatten(1, -1)
	return m.fc.apply(x)
}

// Parameters returns the convolution, BatchNorm and fc parameters.
func (m *ResNet18) Parameters() []*tensor.Tensor { return m.params }
