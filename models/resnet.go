package models

import (
	"fmt"

	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// BasicBlock is ResNet's basic block, as torchvision's BasicBlock: two 3×3
// convolutions with BatchNorm, a ReLU between them, and the input (through
// Downsample, a 1×1 convolution and BatchNorm, when the shape changes)
// added before the last ReLU. Relu is one in-place ReLU used twice, as in
// torchvision.
type BasicBlock struct {
	nn.Base
	Conv1 *nn.Conv2d
	Bn1   *nn.BatchNorm2d
	Relu  *nn.ReLU
	Conv2 *nn.Conv2d
	Bn2   *nn.BatchNorm2d
	// Downsample is nil when the block keeps the input's shape.
	Downsample *nn.Sequential
	// Stride is the first convolution's stride.
	Stride int
}

// NewBasicBlock returns a BasicBlock from inplanes to planes channels with
// the given stride; it has a Downsample when stride is not 1 or the channel
// counts differ.
func NewBasicBlock(inplanes, planes, stride int) *BasicBlock {
	if inplanes <= 0 || planes <= 0 || stride <= 0 {
		panic(fmt.Sprintf("models.NewBasicBlock: inplanes %d, planes %d and stride %d must be positive", inplanes, planes, stride))
	}
	b := &BasicBlock{
		Conv1:  modelsConv2d(inplanes, planes, 3, stride, 1),
		Bn1:    nn.NewBatchNorm2d(planes),
		Relu:   &nn.ReLU{Inplace: true},
		Conv2:  modelsConv2d(planes, planes, 3, 1, 1),
		Bn2:    nn.NewBatchNorm2d(planes),
		Stride: stride,
	}
	if stride != 1 || inplanes != planes {
		b.Downsample = nn.NewSequential(modelsConv2d(inplanes, planes, 1, stride, 1), nn.NewBatchNorm2d(planes))
	}
	return b
}

// Forward applies the block to x ([N, C, H, W]).
func (b *BasicBlock) Forward(x *tensor.Tensor) *tensor.Tensor {
	out := b.Relu.Forward(b.Bn1.Forward(b.Conv1.Forward(x)))
	out = b.Bn2.Forward(b.Conv2.Forward(out))
	identity := x
	if b.Downsample != nil {
		identity = b.Downsample.Forward(x)
	}
	if modelsCanInPlace(out) {
		out.Add_(identity) // out += identity, as torchvision writes it
	} else {
		out = out.Add(identity)
	}
	return b.Relu.Forward(out)
}

// ResNet is torchvision.models.ResNet with basic blocks (ResNet18 and
// ResNet34): a 7×7 stride-2 convolution, BatchNorm, ReLU and 3×3 stride-2
// max pooling, four stages of BasicBlocks (Layer1 to Layer4, 64 to 512
// channels, stride 2 from the second on), global average pooling and the
// Linear layer Fc.
type ResNet struct {
	nn.Base
	Conv1   *nn.Conv2d
	Bn1     *nn.BatchNorm2d
	Relu    *nn.ReLU
	Maxpool *nn.MaxPool2d
	Layer1  *nn.Sequential
	Layer2  *nn.Sequential
	Layer3  *nn.Sequential
	Layer4  *nn.Sequential
	Avgpool *nn.AdaptiveAvgPool2d
	Fc      *nn.Linear
}

// NewResNet18 returns torchvision's resnet18(num_classes=numClasses) with
// its default initialisation from the default generator: convolution
// weights from kaiming_normal_(mode="fan_out", nonlinearity="relu"),
// BatchNorm weights 1 and biases 0, and nn.Linear's default for Fc. It has
// 11,689,512 parameters for 1000 classes.
func NewResNet18(numClasses int) *ResNet {
	modelsCheckClasses("NewResNet18", numClasses)
	return newResNetBasic([4]int{2, 2, 2, 2}, numClasses)
}

// newResNetBasic builds a ResNet of BasicBlocks with the given number of
// blocks per stage, in torchvision's construction order.
func newResNetBasic(blocks [4]int, numClasses int) *ResNet {
	m := &ResNet{
		Conv1: nn.NewConv2d(3, 64, 7, nn.Conv2dOptions{Stride: []int{2}, Padding: []int{3}, NoBias: true}),
		Bn1:   nn.NewBatchNorm2d(64),
		Relu:  &nn.ReLU{Inplace: true},
		Maxpool: nn.NewMaxPool2d(3, tensor.MaxPool2dOptions{
			KernelSize: []int{3}, Stride: []int{2}, Padding: []int{1}}),
	}
	in := 64
	layers := [4]*nn.Sequential{}
	for li, planes := range []int{64, 128, 256, 512} {
		stride := 1
		if li > 0 {
			stride = 2
		}
		s := nn.NewSequential(NewBasicBlock(in, planes, stride))
		in = planes
		for range blocks[li] - 1 {
			s.Append(NewBasicBlock(in, planes, 1))
		}
		layers[li] = s
	}
	m.Layer1, m.Layer2, m.Layer3, m.Layer4 = layers[0], layers[1], layers[2], layers[3]
	m.Avgpool = nn.NewAdaptiveAvgPool2d(1)
	m.Fc = nn.NewLinear(512, numClasses)
	modelsInitConvs(m)
	return m
}

// Forward maps images x ([N, 3, H, W], 224×224 for ImageNet weights) to
// logits [N, numClasses].
func (m *ResNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.Relu.Forward(m.Bn1.Forward(m.Conv1.Forward(x)))
	x = m.Maxpool.Forward(x)
	x = m.Layer1.Forward(x)
	x = m.Layer2.Forward(x)
	x = m.Layer3.Forward(x)
	x = m.Layer4.Forward(x)
	x = m.Avgpool.Forward(x).Flatten(1, -1)
	return m.Fc.Forward(x)
}
