package nn

import (
	"fmt"
	"slices"

	"github.com/emberml/ember/tensor"
)

// BatchNormOptions configure NewBatchNorm1d and NewBatchNorm2d, as the
// keyword arguments of torch.nn.BatchNorm2d; the zero value is PyTorch's
// default (eps 1e-5, momentum 0.1, affine, tracking running statistics).
type BatchNormOptions struct {
	// Eps is added to the variance; 0 means PyTorch's 1e-5.
	Eps float64
	// Momentum weighs each batch in the running statistics; 0 means
	// PyTorch's 0.1.
	Momentum float64
	// CumulativeAverage makes the running statistics a plain average over
	// all batches seen (PyTorch's momentum=None).
	CumulativeAverage bool
	// NoAffine leaves out the learnable weight and bias (affine=False).
	NoAffine bool
	// NoRunningStats keeps no running statistics, so batch statistics
	// normalise in evaluation too (track_running_stats=False).
	NoRunningStats bool
}

// BatchNorm normalises each channel over the batch, as torch.nn.BatchNorm1d,
// BatchNorm2d and BatchNorm3d (which differ only in the input ranks they
// accept). In training mode it uses the batch's statistics and updates
// RunningMean and RunningVar; in evaluation mode it uses them.
type BatchNorm struct {
	Base
	NumFeatures int
	Eps         float64
	// Momentum is the weight of each batch in the running statistics; 0
	// with CumulativeAverage set averages all batches (momentum=None).
	Momentum          float64
	CumulativeAverage bool
	// Weight and Bias ([NumFeatures]) start as ones and zeros; nil when not
	// affine.
	Weight, Bias *tensor.Tensor
	// RunningMean and RunningVar start as zeros and ones;
	// NumBatchesTracked (int64, shape []) counts training batches. All nil
	// without running statistics.
	RunningMean       *tensor.Tensor `nn:",buffer"`
	RunningVar        *tensor.Tensor `nn:",buffer"`
	NumBatchesTracked *tensor.Tensor `nn:",buffer"`
	ranks             []int
	name              string
}

// BatchNorm1d is BatchNorm for [N, C] or [N, C, L] inputs.
type BatchNorm1d = BatchNorm

// BatchNorm2d is BatchNorm for [N, C, H, W] inputs.
type BatchNorm2d = BatchNorm

// NewBatchNorm1d returns a batch norm over numFeatures channels of [N, C] or
// [N, C, L] inputs.
func NewBatchNorm1d(numFeatures int, opts ...BatchNormOptions) *BatchNorm {
	return newBatchNorm("BatchNorm1d", []int{2, 3}, numFeatures, opts)
}

// NewBatchNorm2d returns a batch norm over numFeatures channels of [N, C, H,
// W] inputs.
func NewBatchNorm2d(numFeatures int, opts ...BatchNormOptions) *BatchNorm {
	return newBatchNorm("BatchNorm2d", []int{4}, numFeatures, opts)
}

func newBatchNorm(name string, ranks []int, n int, opts []BatchNormOptions) *BatchNorm {
	if n <= 0 {
		panic(fmt.Sprintf("nn.New%s: num_features must be positive, got %d", name, n))
	}
	var o BatchNormOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	b := &BatchNorm{NumFeatures: n, Eps: o.Eps, Momentum: o.Momentum, CumulativeAverage: o.CumulativeAverage, ranks: ranks, name: name}
	if b.Eps == 0 {
		b.Eps = 1e-5
	}
	if b.Momentum == 0 && !o.CumulativeAverage {
		b.Momentum = 0.1
	}
	if !o.NoAffine {
		b.Weight = param(tensor.Ones(n))
		b.Bias = param(tensor.Zeros(n))
	}
	if !o.NoRunningStats {
		b.RunningMean = tensor.Zeros(n)
		b.RunningVar = tensor.Ones(n)
		b.NumBatchesTracked = tensor.FromSlice([]int64{0}).Reshape()
	}
	return b
}

// Forward normalises x. In training mode it also counts the batch in
// NumBatchesTracked and updates the running statistics (with momentum
// 1/NumBatchesTracked under CumulativeAverage), as PyTorch does.
func (b *BatchNorm) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(b, x, func(x *tensor.Tensor) *tensor.Tensor {
		name := b.className()
		ok := len(b.ranks) == 0 && x.Dim() >= 2
		for _, r := range b.ranks {
			ok = ok || x.Dim() == r
		}
		if !ok {
			panic(fmt.Sprintf("nn.%s: expected a %s input, got shape %v", name, rankWords(b.ranks), x.Shape()))
		}
		if x.Size(1) != b.NumFeatures {
			panic(fmt.Sprintf("nn.%s: expected input of shape %v to have %d channels (num_features), got %d", name, x.Shape(), b.NumFeatures, x.Size(1)))
		}
		momentum := b.Momentum
		if b.Training() && b.NumBatchesTracked != nil {
			restore := tensor.SetGradEnabled(false)
			b.NumBatchesTracked.Add_(tensor.OnesLike(b.NumBatchesTracked))
			restore()
			if b.CumulativeAverage {
				momentum = 1 / b.NumBatchesTracked.Item()
			}
		}
		// Batch statistics normalise in training and whenever there are no
		// running statistics (PyTorch's bn_training).
		useBatch := b.Training() || b.RunningMean == nil || b.RunningVar == nil
		return tensor.BatchNorm(x, b.RunningMean, b.RunningVar, b.Weight, b.Bias, useBatch, momentum, b.Eps)
	})
}

// className is the PyTorch class the layer was made as.
func (b *BatchNorm) className() string {
	if b.name == "" {
		return "BatchNorm"
	}
	return b.name
}

func (b *BatchNorm) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (b *BatchNorm) ExtraRepr() string {
	m := reprFloat(b.Momentum)
	if b.CumulativeAverage {
		m = "None"
	}
	return fmt.Sprintf("%d, eps=%s, momentum=%s, affine=%s, track_running_stats=%s", b.NumFeatures, reprFloat(b.Eps), m,
		pyBool(b.Weight != nil), pyBool(b.RunningMean != nil))
}

func rankWords(r []int) string {
	if len(r) == 0 {
		return "2-D or higher"
	}
	if len(r) == 1 {
		return fmt.Sprintf("%d-D", r[0])
	}
	return fmt.Sprintf("%d-D or %d-D", r[0], r[1])
}

// LayerNormOptions configure NewLayerNorm; the zero value is PyTorch's
// default (eps 1e-5, elementwise affine).
type LayerNormOptions struct {
	// Eps is added to the variance; 0 means 1e-5.
	Eps float64
	// NoAffine leaves out weight and bias (elementwise_affine=False).
	NoAffine bool
}

// LayerNorm normalises over the last dimensions (NormalizedShape), as
// torch.nn.LayerNorm. Weight and Bias have shape NormalizedShape and start
// as ones and zeros.
type LayerNorm struct {
	Base
	NormalizedShape []int
	Eps             float64
	Weight, Bias    *tensor.Tensor
}

// NewLayerNorm returns a LayerNorm over the trailing dimensions shape.
func NewLayerNorm(shape []int, opts ...LayerNormOptions) *LayerNorm {
	if len(shape) == 0 {
		panic("nn.NewLayerNorm: normalized_shape must name at least one dimension")
	}
	for _, d := range shape {
		if d <= 0 {
			panic(fmt.Sprintf("nn.NewLayerNorm: normalized_shape %v must be positive", shape))
		}
	}
	var o LayerNormOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	l := &LayerNorm{NormalizedShape: append([]int(nil), shape...), Eps: o.Eps}
	if l.Eps == 0 {
		l.Eps = 1e-5
	}
	if !o.NoAffine {
		l.Weight = param(tensor.Ones(shape...))
		l.Bias = param(tensor.Zeros(shape...))
	}
	return l
}

// Forward normalises x.
func (l *LayerNorm) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(l, x, func(x *tensor.Tensor) *tensor.Tensor {
		n := len(l.NormalizedShape)
		if x.Dim() < n || !slices.Equal(x.Shape()[x.Dim()-n:], l.NormalizedShape) {
			panic(fmt.Sprintf("nn.LayerNorm: expected input with trailing dimensions %v (normalized_shape), got shape %v", l.NormalizedShape, x.Shape()))
		}
		return tensor.LayerNorm(x, l.NormalizedShape, l.Weight, l.Bias, l.Eps)
	})
}

func (l *LayerNorm) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (l *LayerNorm) ExtraRepr() string {
	return fmt.Sprintf("%s, eps=%s, elementwise_affine=%s", tuple(l.NormalizedShape), reprFloat(l.Eps), pyBool(l.Weight != nil))
}

// GroupNormOptions configure NewGroupNorm; the zero value is PyTorch's
// default (eps 1e-5, affine).
type GroupNormOptions struct {
	// Eps is added to the variance; 0 means 1e-5.
	Eps float64
	// NoAffine leaves out weight and bias (affine=False).
	NoAffine bool
}

// GroupNorm normalises groups of channels per sample, as torch.nn.GroupNorm.
type GroupNorm struct {
	Base
	NumGroups, NumChannels int
	Eps                    float64
	Weight, Bias           *tensor.Tensor
}

// NewGroupNorm returns a GroupNorm of numChannels channels in numGroups
// groups.
func NewGroupNorm(numGroups, numChannels int, opts ...GroupNormOptions) *GroupNorm {
	if numGroups <= 0 || numChannels <= 0 || numChannels%numGroups != 0 {
		panic(fmt.Sprintf("nn.NewGroupNorm: num_groups %d and num_channels %d must be positive, num_channels divisible by num_groups", numGroups, numChannels))
	}
	var o GroupNormOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	g := &GroupNorm{NumGroups: numGroups, NumChannels: numChannels, Eps: o.Eps}
	if g.Eps == 0 {
		g.Eps = 1e-5
	}
	if !o.NoAffine {
		g.Weight = param(tensor.Ones(numChannels))
		g.Bias = param(tensor.Zeros(numChannels))
	}
	return g
}

// Forward normalises x ([N, C, ...]).
func (g *GroupNorm) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(g, x, func(x *tensor.Tensor) *tensor.Tensor {
		if x.Dim() < 2 || x.Size(1) != g.NumChannels {
			panic(fmt.Sprintf("nn.GroupNorm: expected an input [N, %d, ...] (num_channels %d), got shape %v", g.NumChannels, g.NumChannels, x.Shape()))
		}
		return tensor.GroupNorm(x, g.NumGroups, g.Weight, g.Bias, g.Eps)
	})
}

func (g *GroupNorm) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (g *GroupNorm) ExtraRepr() string {
	return fmt.Sprintf("%d, %d, eps=%s, affine=%s", g.NumGroups, g.NumChannels, reprFloat(g.Eps), pyBool(g.Weight != nil))
}
