package benchnets

import (
	"math"

	"github.com/emberml/ember/tensor"
)

// Net is a network: a forward function and the parameters it trains.
type Net interface {
	// Forward maps a batch of inputs to a batch of outputs (logits, or
	// log-probabilities for ExamplesNet).
	Forward(x *tensor.Tensor) *tensor.Tensor
	// Parameters lists the trainable tensors, in creation order.
	Parameters() []*tensor.Tensor
}

// benchParams creates and remembers parameters. Values come from its own
// splitmix64 stream, inlined in the fill loop: per-element Generator or
// math/rand calls made building ResNet18's 11.7M values take over a second
// under -race.
type benchParams struct {
	state uint64
	list  []*tensor.Tensor
}

func newBenchParams(seed uint64) *benchParams { return &benchParams{state: seed} }

// uniform draws U(-bound, bound).
func (p *benchParams) uniform(bound float64, shape ...int) *tensor.Tensor {
	v := make([]float32, benchNumel(shape))
	s := p.state
	for i := range v {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		v[i] = float32(bound * (float64(z>>11)*0x1p-52 - 1)) // [0, 2) - 1
	}
	p.state = s
	return p.add(tensor.FromSlice(v, shape...))
}

// normal draws values of mean 0 and standard deviation std for the
// initialisers that PyTorch draws from N(0, std²); they are drawn uniform
// in ±√3·std, which has that deviation: the benchmark needs the scale, not
// the distribution's shape.
func (p *benchParams) normal(std float64, shape ...int) *tensor.Tensor {
	return p.uniform(math.Sqrt(3)*std, shape...)
}

func benchNumel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func (p *benchParams) add(t *tensor.Tensor) *tensor.Tensor {
	t.SetRequiresGrad(true)
	p.list = append(p.list, t)
	return t
}

func (p *benchParams) full(v float64, shape ...int) *tensor.Tensor {
	return p.add(tensor.Full(v, shape...))
}

// benchLinear is an affine layer, weight [out, in] and bias [out].
type benchLinear struct{ w, b *tensor.Tensor }

// linear creates nn.Linear's parameters with its default init, which for
// weight (kaiming_uniform with a=√5) and bias alike is U(±1/√in).
func (p *benchParams) linear(in, out int) benchLinear {
	bound := 1 / math.Sqrt(float64(in))
	return benchLinear{w: p.uniform(bound, out, in), b: p.uniform(bound, out)}
}

func (l benchLinear) apply(x *tensor.Tensor) *tensor.Tensor { return tensor.Linear(x, l.w, l.b) }

// benchConv is a 2-D convolution layer; b may be nil.
type benchConv struct {
	w, b                   *tensor.Tensor
	stride, padding, group int
}

// conv creates nn.Conv2d's parameters with its default init, U(±1/√fanIn)
// for weight and bias.
func (p *benchParams) conv(in, out, k, stride, padding int) benchConv {
	bound := 1 / math.Sqrt(float64(in*k*k))
	return benchConv{w: p.uniform(bound, out, in, k, k), b: p.uniform(bound, out), stride: stride, padding: padding, group: 1}
}

// convFanOut creates a bias-free convolution at the scale of torchvision's
// ResNet and MobileNetV2 init, kaiming_normal(mode="fan_out") for ReLU: std
// √(2/(out·k·k)) (PyTorch's fan_out ignores groups), padding (k-1)/2.
func (p *benchParams) convFanOut(in, out, k, stride, groups int) benchConv {
	std := math.Sqrt(2 / float64(out*k*k))
	return benchConv{w: p.normal(std, out, in/groups, k, k), stride: stride, padding: (k - 1) / 2, group: groups}
}

func (c benchConv) apply(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Conv2d(x, c.w, c.b, tensor.Conv2dOptions{Stride: []int{c.stride}, Padding: []int{c.padding}, Groups: c.group})
}

// benchBN is an eval-mode BatchNorm2d: affine parameters and running
// statistics as a freshly built torch module has them (weight 1, bias 0,
// mean 0, variance 1).
type benchBN struct{ w, b, mean, vr *tensor.Tensor }

func (p *benchParams) bn(c int) benchBN {
	return benchBN{w: p.full(1, c), b: p.full(0, c), mean: tensor.Zeros(c), vr: tensor.Ones(c)}
}

func (n benchBN) apply(x *tensor.Tensor) *tensor.Tensor {
	return tensor.BatchNorm(x, n.mean, n.vr, n.w, n.b, false, 0.1, 1e-5)
}

// MLP is torch_models.py's MLP: flatten, Linear(784, 256), ReLU,
// Linear(256, 10).
type MLP struct {
	params []*tensor.Tensor
	l1, l2 benchLinear
}

// NewMLP creates an MLP with parameters drawn from a stream seeded with
// seed.
func NewMLP(seed uint64) *MLP {
	p := newBenchParams(seed)
	m := &MLP{l1: p.linear(784, 256), l2: p.linear(256, 10)}
	m.params = p.list
	return m
}

// Forward maps [N, 1, 28, 28] images to [N, 10] logits.
func (m *MLP) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.l2.apply(m.l1.apply(x.Flatten(1, -1)).ReLU())
}

// Parameters returns the weights and biases of both layers.
func (m *MLP) Parameters() []*tensor.Tensor { return m.params }

// SmallCNN is torch_models.py's SmallCNN: Conv2d(1, 16, 3, padding=1),
// ReLU, MaxPool2d(2), Conv2d(16, 32, 3, padding=1), ReLU,
// AdaptiveAvgPool2d(1), flatten, Linear(32, 10).
type SmallCNN struct {
	params       []*tensor.Tensor
	conv1, conv2 benchConv
	fc           benchLinear
}

// NewSmallCNN creates a SmallCNN with parameters drawn from a stream seeded
// with seed.
func NewSmallCNN(seed uint64) *SmallCNN {
	p := newBenchParams(seed)
	m := &SmallCNN{conv1: p.conv(1, 16, 3, 1, 1), conv2: p.conv(16, 32, 3, 1, 1), fc: p.linear(32, 10)}
	m.params = p.list
	return m
}

// Forward maps [N, 1, H, W] images to [N, 10] logits.
func (m *SmallCNN) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.conv1.apply(x).ReLU()
	x = tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{2}})
	x = m.conv2.apply(x).ReLU()
	x = tensor.AdaptiveAvgPool2d(x, 1, 1)
	return m.fc.apply(x.Flatten(1, -1))
}

// Parameters returns the convolution and linear weights and biases.
func (m *SmallCNN) Parameters() []*tensor.Tensor { return m.params }

// ExamplesNet is torch_models.py's ExamplesNet (PyTorch's MNIST example
// without dropout): Conv2d(1, 32, 3), ReLU, Conv2d(32, 64, 3), ReLU,
// max_pool2d(2), flatten, Linear(9216, 128), ReLU, Linear(128, 10),
// log_softmax.
type ExamplesNet struct {
	params       []*tensor.Tensor
	conv1, conv2 benchConv
	fc1, fc2     benchLinear
}

// NewExamplesNet creates an ExamplesNet with parameters drawn from a stream
// seeded with seed.
func NewExamplesNet(seed uint64) *ExamplesNet {
	p := newBenchParams(seed)
	m := &ExamplesNet{
		conv1: p.conv(1, 32, 3, 1, 0), conv2: p.conv(32, 64, 3, 1, 0),
		fc1: p.linear(9216, 128), fc2: p.linear(128, 10),
	}
	m.params = p.list
	return m
}

// Forward maps [N, 1, 28, 28] images to [N, 10] log-probabilities.
func (m *ExamplesNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.conv1.apply(x).ReLU()
	x = m.conv2.apply(x).ReLU()
	x = tensor.MaxPool2d(x, tensor.MaxPool2dOptions{KernelSize: []int{2}})
	x = m.fc1.apply(x.Flatten(1, -1)).ReLU()
	return m.fc2.apply(x).LogSoftmax(1)
}

// Parameters returns the convolution and linear weights and biases.
func (m *ExamplesNet) Parameters() []*tensor.Tensor { return m.params }
