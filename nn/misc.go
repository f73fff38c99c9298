package nn

import (
	"fmt"

	"github.com/emberml/ember/tensor"
)

// Identity returns its input, as torch.nn.Identity (a placeholder where a
// layer is optional).
type Identity struct{ Base }

// NewIdentity returns an Identity module.
func NewIdentity() *Identity { return &Identity{} }

// Forward returns x.
func (m *Identity) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return x })
}

// Flatten flattens dimensions StartDim..EndDim into one, as torch.nn.Flatten
// (PyTorch's defaults are 1 and -1, which NewFlatten uses).
type Flatten struct {
	Base
	StartDim, EndDim int
}

// NewFlatten returns a Flatten of dimensions 1..-1, PyTorch's default.
func NewFlatten() *Flatten { return &Flatten{StartDim: 1, EndDim: -1} }

// Forward flattens x.
func (m *Flatten) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return x.Flatten(m.StartDim, m.EndDim) })
}

// Dropout zeroes each element with probability P in training mode and scales
// the rest by 1/(1-P), as torch.nn.Dropout; in evaluation mode it returns
// its input. Generator, when set, draws the masks (else the default
// generator).
type Dropout struct {
	Base
	P         float64
	Generator *tensor.Generator
}

// NewDropout returns a Dropout with probability p (PyTorch's default is 0.5).
func NewDropout(p float64) *Dropout {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("nn.NewDropout: probability must be between 0 and 1, got %g", p))
	}
	return &Dropout{P: p}
}

// Forward applies dropout.
func (m *Dropout) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		return tensor.Dropout(x, m.P, m.Training(), m.generator())
	})
}

func (m *Dropout) generator() *tensor.Generator {
	if m.Generator != nil {
		return m.Generator
	}
	return tensor.DefaultGenerator()
}

// Dropout2d zeroes whole channels, as torch.nn.Dropout2d.
type Dropout2d struct {
	Base
	P         float64
	Generator *tensor.Generator
}

// NewDropout2d returns a Dropout2d with probability p.
func NewDropout2d(p float64) *Dropout2d {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("nn.NewDropout2d: probability must be between 0 and 1, got %g", p))
	}
	return &Dropout2d{P: p}
}

// Forward applies channel dropout.
func (m *Dropout2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		g := m.Generator
		if g == nil {
			g = tensor.DefaultGenerator()
		}
		return tensor.Dropout2d(x, m.P, m.Training(), g)
	})
}

// EmbeddingOptions configure NewEmbedding.
type EmbeddingOptions struct {
	// PaddingIdx, when HasPadding is set, names a row that starts as zeros
	// and gets no gradient (PyTorch's padding_idx; negative counts from the
	// end).
	PaddingIdx int
	HasPadding bool
}

// Embedding is a lookup table of NumEmbeddings vectors of size
// EmbeddingDim, as torch.nn.Embedding; Weight starts from N(0, 1).
type Embedding struct {
	Base
	NumEmbeddings, EmbeddingDim int
	// PaddingIdx is the padding row, or -1 for none.
	PaddingIdx int
	Weight     *tensor.Tensor
}

// NewEmbedding returns an Embedding of num vectors of size dim.
func NewEmbedding(num, dim int, opts ...EmbeddingOptions) *Embedding {
	if num <= 0 || dim <= 0 {
		panic(fmt.Sprintf("nn.NewEmbedding: sizes must be positive, got %d and %d", num, dim))
	}
	e := &Embedding{NumEmbeddings: num, EmbeddingDim: dim, PaddingIdx: -1}
	w := tensor.DefaultGenerator().Normal(0, 1, num, dim)
	if len(opts) > 0 && opts[0].HasPadding {
		p := opts[0].PaddingIdx
		if p < 0 {
			p += num
		}
		if p < 0 || p >= num {
			panic(fmt.Sprintf("nn.NewEmbedding: padding_idx %d out of range for %d embeddings", opts[0].PaddingIdx, num))
		}
		e.PaddingIdx = p
		w.Select(0, p).Fill_(0)
	}
	e.Weight = param(w)
	return e
}

// Forward looks up the rows of Weight named by idx (int64 or int32).
func (e *Embedding) Forward(idx *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(e, idx, func(idx *tensor.Tensor) *tensor.Tensor {
		return tensor.Embedding(idx, e.Weight, e.PaddingIdx)
	})
}

// ExtraRepr describes the layer as PyTorch prints it.
func (e *Embedding) ExtraRepr() string {
	s := fmt.Sprintf("%d, %d", e.NumEmbeddings, e.EmbeddingDim)
	if e.PaddingIdx >= 0 {
		s += fmt.Sprintf(", padding_idx=%d", e.PaddingIdx)
	}
	return s
}

// MaxPool2d takes the maximum over windows, as torch.nn.MaxPool2d.
type MaxPool2d struct {
	Base
	Options tensor.MaxPool2dOptions
}

// NewMaxPool2d returns a MaxPool2d with a kernel×kernel window and stride
// kernel (PyTorch's default stride); opts replaces all options when given.
func NewMaxPool2d(kernel int, opts ...tensor.MaxPool2dOptions) *MaxPool2d {
	o := tensor.MaxPool2dOptions{KernelSize: []int{kernel}}
	if len(opts) > 0 {
		o = opts[0]
		if len(o.KernelSize) == 0 {
			o.KernelSize = []int{kernel}
		}
	}
	return &MaxPool2d{Options: o}
}

// Forward pools x ([N, C, H, W] or [C, H, W]).
func (m *MaxPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return tensor.MaxPool2d(x, m.Options) })
}

// AvgPool2d averages over windows, as torch.nn.AvgPool2d.
type AvgPool2d struct {
	Base
	Options tensor.AvgPool2dOptions
}

// NewAvgPool2d returns an AvgPool2d with a kernel×kernel window and stride
// kernel; opts replaces all options when given.
func NewAvgPool2d(kernel int, opts ...tensor.AvgPool2dOptions) *AvgPool2d {
	o := tensor.AvgPool2dOptions{KernelSize: []int{kernel}}
	if len(opts) > 0 {
		o = opts[0]
		if len(o.KernelSize) == 0 {
			o.KernelSize = []int{kernel}
		}
	}
	return &AvgPool2d{Options: o}
}

// Forward pools x.
func (m *AvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(x, m.Options) })
}

// AdaptiveAvgPool2d averages down to an output of OutputSize ([H, W]), as
// torch.nn.AdaptiveAvgPool2d.
type AdaptiveAvgPool2d struct {
	Base
	OutputSize []int
}

// NewAdaptiveAvgPool2d returns an AdaptiveAvgPool2d to h×w (one value: a
// square output).
func NewAdaptiveAvgPool2d(size ...int) *AdaptiveAvgPool2d {
	return &AdaptiveAvgPool2d{OutputSize: pair("nn.NewAdaptiveAvgPool2d", "output_size", size, 1)}
}

// Forward pools x.
func (m *AdaptiveAvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		return tensor.AdaptiveAvgPool2d(x, m.OutputSize[0], m.OutputSize[1])
	})
}

func (m *Identity) hooksInForward()          {}
func (m *Flatten) hooksInForward()           {}
func (m *Dropout) hooksInForward()           {}
func (m *Dropout2d) hooksInForward()         {}
func (e *Embedding) hooksInForward()         {}
func (m *MaxPool2d) hooksInForward()         {}
func (m *AvgPool2d) hooksInForward()         {}
func (m *AdaptiveAvgPool2d) hooksInForward() {}
