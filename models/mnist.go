package models

import (
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// MLP is the 784-256-10 perceptron of Ember's MNIST benchmarks
// (torch_models.py's MLP): Forward flattens [N, 1, 28, 28] images and
// applies L1, ReLU and L2, returning logits [N, 10].
type MLP struct {
	nn.Base
	L1, L2 *nn.Linear
}

// NewMLP returns an MLP with nn.Linear's default initialisation.
func NewMLP() *MLP {
	return &MLP{L1: nn.NewLinear(784, 256), L2: nn.NewLinear(256, 10)}
}

// Forward maps x ([N, 1, 28, 28] or any [N, ...] of 784 values per sample)
// to logits [N, 10].
func (m *MLP) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.L2.Forward(modelsReLU(m.L1.Forward(x.Flatten(1, -1))))
}

// SmallCNN is the small convolutional network of PyTorch Mobile's
// introductory example (torch_models.py's SmallCNN): Features is
// Conv2d(1, 16, 3, padding=1), ReLU, MaxPool2d(2), Conv2d(16, 32, 3,
// padding=1), ReLU, AdaptiveAvgPool2d(1); Classifier is Linear(32, 10).
type SmallCNN struct {
	nn.Base
	Features   *nn.Sequential
	Classifier *nn.Linear
}

// NewSmallCNN returns a SmallCNN with nn's default initialisation.
func NewSmallCNN() *SmallCNN {
	pad1 := nn.Conv2dOptions{Padding: []int{1}}
	return &SmallCNN{
		Features: nn.NewSequential(
			nn.NewConv2d(1, 16, 3, pad1), nn.NewReLU(), nn.NewMaxPool2d(2),
			nn.NewConv2d(16, 32, 3, pad1), nn.NewReLU(), nn.NewAdaptiveAvgPool2d(1)),
		Classifier: nn.NewLinear(32, 10),
	}
}

// Forward maps x ([N, 1, H, W], 28×28 for MNIST) to logits [N, 10].
func (m *SmallCNN) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Classifier.Forward(m.Features.Forward(x).Flatten(1, -1))
}

// ExamplesNet is the network of PyTorch's examples/mnist without dropout
// (torch_models.py's ExamplesNet): Conv1 (1→32, 3×3), ReLU, Conv2 (32→64,
// 3×3), ReLU, 2×2 max pooling, flatten, Fc1 (9216→128), ReLU, Fc2
// (128→10) and log_softmax.
type ExamplesNet struct {
	nn.Base
	Conv1, Conv2 *nn.Conv2d
	Fc1, Fc2     *nn.Linear
}

// NewExamplesNet returns an ExamplesNet with nn's default initialisation.
func NewExamplesNet() *ExamplesNet {
	return &ExamplesNet{
		Conv1: nn.NewConv2d(1, 32, 3), Conv2: nn.NewConv2d(32, 64, 3),
		Fc1: nn.NewLinear(9216, 128), Fc2: nn.NewLinear(128, 10),
	}
}

// Forward maps x ([N, 1, 28, 28]) to log-probabilities [N, 10].
func (m *ExamplesNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = modelsReLU(m.Conv1.Forward(x))
	x = modelsReLU(m.Conv2.Forward(x))
	x = tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{2}})
	x = modelsReLU(m.Fc1.Forward(x.Flatten(1, -1)))
	return m.Fc2.Forward(x).LogSoftmax(1)
}

// modelsReLU is F.relu: in place when autograd does not need x (the result
// is the same).
func modelsReLU(x *tensor.Tensor) *tensor.Tensor {
	if modelsCanInPlace(x) {
		return x.ReLU_()
	}
	return x.ReLU()
}
