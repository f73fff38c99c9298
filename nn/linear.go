package nn

import (
	"fmt"

	"github.com/emberml/ember/tensor"
)

// Linear applies y = x·Wᵀ + b to the last dimension of its input, as
// torch.nn.Linear. Weight has shape [OutFeatures, InFeatures] and Bias
// [OutFeatures] (nil without bias); both start uniform in ±1/√InFeatures.
type Linear struct {
	Base
	InFeatures, OutFeatures int
	Weight, Bias            *tensor.Tensor
}

// LinearOptions configure NewLinear; the zero value is PyTorch's default.
type LinearOptions struct {
	// NoBias leaves the bias out (PyTorch's bias=False).
	NoBias bool
}

// NewLinear returns a Linear layer from in to out features.
func NewLinear(in, out int, opts ...LinearOptions) *Linear {
	if in < 0 || out < 0 {
		panic(fmt.Sprintf("nn.NewLinear: negative size (%d, %d)", in, out))
	}
	var o LinearOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	bound := fanInBound(in)
	l := &Linear{InFeatures: in, OutFeatures: out, Weight: uniformParam(bound, out, in)}
	if !o.NoBias {
		l.Bias = uniformParam(bound, out)
	}
	return l
}

// Forward returns x·Wᵀ + b for x of shape [..., InFeatures]; the result
// has shape [..., OutFeatures].
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(l, x, func(x *tensor.Tensor) *tensor.Tensor {
		if x.Dim() == 0 || x.Size(x.Dim()-1) != l.InFeatures {
			panic(fmt.Sprintf("nn.Linear: expected input [..., %d] (in_features %d), got shape %v", l.InFeatures, l.InFeatures, x.Shape()))
		}
		return tensor.Linear(x, l.Weight, l.Bias)
	})
}

func (l *Linear) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (l *Linear) ExtraRepr() string {
	return fmt.Sprintf("in_features=%d, out_features=%d, bias=%s", l.InFeatures, l.OutFeatures, pyBool(l.Bias != nil))
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
