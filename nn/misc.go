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
// (PyTorch's defaults are 1 and -1, which NewFlatten uses). Negative
// dimensions count from the end.
type Flatten struct {
	Base
	StartDim, EndDim int
}

// NewFlatten returns a Flatten of dimensions 1..-1, PyTorch's default, or
// of dims[0]..-1 with one argument and dims[0]..dims[1] with two (PyTorch's
// start_dim and end_dim).
func NewFlatten(dims ...int) *Flatten {
	f := &Flatten{StartDim: 1, EndDim: -1}
	switch len(dims) {
	case 0:
	case 1:
		f.StartDim = dims[0]
	case 2:
		f.StartDim, f.EndDim = dims[0], dims[1]
	default:
		panic(fmt.Sprintf("nn.NewFlatten: takes start_dim and end_dim, got %d values %v", len(dims), dims))
	}
	return f
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *Flatten) ExtraRepr() string {
	return fmt.Sprintf("start_dim=%d, end_dim=%d", m.StartDim, m.EndDim)
}

// Forward flattens x.
func (m *Flatten) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor { return x.Flatten(m.StartDim, m.EndDim) })
}

// Dropout zeroes each element with probability P in training mode and scales
// the rest by 1/(1-P), as torch.nn.Dropout; in evaluation mode it returns
// its input. Generator, when set, draws the masks (else the default
// generator). It never works in place (PyTorch's inplace=False).
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

// ExtraRepr describes the layer as PyTorch prints it.
func (m *Dropout) ExtraRepr() string { return dropoutRepr(m.P) }

func dropoutRepr(p float64) string { return "p=" + reprFloat(p) + ", inplace=False" }

func (m *Dropout) generator() *tensor.Generator {
	if m.Generator != nil {
		return m.Generator
	}
	return tensor.DefaultGenerator()
}

// Dropout2d zeroes whole channels ([N, C, H, W] or [C, H, W] inputs) with
// probability P in training mode and scales the rest by 1/(1-P), as
// torch.nn.Dropout2d; in evaluation mode it returns its input.
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

// ExtraRepr describes the layer as PyTorch prints it.
func (m *Dropout2d) ExtraRepr() string { return dropoutRepr(m.P) }

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

// Forward looks up the rows of Weight named by idx (int64 or int32, any
// shape); the result has idx's shape with EmbeddingDim appended. The
// padding row gets no gradient.
func (e *Embedding) Forward(idx *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(e, idx, func(idx *tensor.Tensor) *tensor.Tensor {
		if dt := idx.DType(); dt != tensor.Int64 && dt != tensor.Int32 {
			panic(fmt.Sprintf("nn.Embedding: expected int64 or int32 indices, got %v of shape %v", dt, idx.Shape()))
		}
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

// MaxPool2d takes the maximum over windows, as torch.nn.MaxPool2d; Options
// are F.max_pool2d's (KernelSize is required).
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
	poolCheckArgs("nn.NewMaxPool2d", o.KernelSize, o.Stride, o.Padding, o.Dilation)
	return &MaxPool2d{Options: o}
}

// Forward pools x ([N, C, H, W] or [C, H, W]).
func (m *MaxPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		poolCheckInput("nn.MaxPool2d", x)
		return tensor.MaxPool2d(x, m.Options)
	})
}

// ExtraRepr describes the layer as PyTorch prints it (an option given as
// one value prints as a number, as PyTorch keeps it).
func (m *MaxPool2d) ExtraRepr() string {
	o := m.Options
	return fmt.Sprintf("kernel_size=%s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s", poolArg(o.KernelSize, 0), poolStride(o.Stride, o.KernelSize),
		poolArg(o.Padding, 0), poolArg(o.Dilation, 1), pyBool(o.CeilMode))
}

// AvgPool2d averages over windows, as torch.nn.AvgPool2d; Options are
// F.avg_pool2d's (KernelSize is required; ExcludePad is the negation of
// count_include_pad).
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
	poolCheckArgs("nn.NewAvgPool2d", o.KernelSize, o.Stride, o.Padding, nil)
	if o.DivisorOverride < 0 {
		panic(fmt.Sprintf("nn.NewAvgPool2d: divisor_override must be positive, got %d", o.DivisorOverride))
	}
	return &AvgPool2d{Options: o}
}

// Forward pools x.
func (m *AvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		poolCheckInput("nn.AvgPool2d", x)
		return tensor.AvgPool2d(x, m.Options)
	})
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *AvgPool2d) ExtraRepr() string {
	o := m.Options
	return fmt.Sprintf("kernel_size=%s, stride=%s, padding=%s", poolArg(o.KernelSize, 0), poolStride(o.Stride, o.KernelSize), poolArg(o.Padding, 0))
}

// AdaptiveAvgPool2d averages down to an output of OutputSize, as
// torch.nn.AdaptiveAvgPool2d: one value (a square output) or [H, W].
type AdaptiveAvgPool2d struct {
	Base
	OutputSize []int
}

// NewAdaptiveAvgPool2d returns an AdaptiveAvgPool2d to size×size (one
// value) or h×w (two values).
func NewAdaptiveAvgPool2d(size ...int) *AdaptiveAvgPool2d {
	if len(size) == 0 || len(size) > 2 || size[0] <= 0 || size[len(size)-1] <= 0 {
		panic(fmt.Sprintf("nn.NewAdaptiveAvgPool2d: output_size takes one or two positive values, got %v", size))
	}
	return &AdaptiveAvgPool2d{OutputSize: append([]int(nil), size...)}
}

// Forward pools x ([N, C, H, W] or [C, H, W]).
func (m *AdaptiveAvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(m, x, func(x *tensor.Tensor) *tensor.Tensor {
		poolCheckInput("nn.AdaptiveAvgPool2d", x)
		s := pair("nn.AdaptiveAvgPool2d", "output_size", m.OutputSize, 1)
		return tensor.AdaptiveAvgPool2d(x, s[0], s[1])
	})
}

// ExtraRepr describes the layer as PyTorch prints it.
func (m *AdaptiveAvgPool2d) ExtraRepr() string { return "output_size=" + poolArg(m.OutputSize, 1) }

// poolCheckArgs checks a pooling layer's window options.
func poolCheckArgs(op string, kernel, stride, padding, dilation []int) {
	k := pair(op, "kernel_size", kernel, 0)
	s := pair(op, "stride", stride, 1)
	p := pair(op, "padding", padding, 0)
	d := pair(op, "dilation", dilation, 1)
	for i := range k {
		if k[i] <= 0 || s[i] <= 0 || d[i] <= 0 || p[i] < 0 {
			panic(fmt.Sprintf("%s: kernel_size %v, stride %v and dilation %v must be positive, padding %v not negative", op, kernel, stride, dilation, padding))
		}
		if 2*p[i] > k[i] {
			panic(fmt.Sprintf("%s: padding %v should be at most half of kernel_size %v", op, padding, kernel))
		}
	}
}

// poolCheckInput panics unless x is a [C, H, W] or [N, C, H, W] input.
func poolCheckInput(layer string, x *tensor.Tensor) {
	if x.Dim() != 3 && x.Dim() != 4 {
		panic(fmt.Sprintf("%s: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape %v", layer, x.Shape()))
	}
}

// poolArg prints an "int or tuple" option as PyTorch keeps it: one value
// as a number, two as a tuple, none as the default.
func poolArg(v []int, def int) string {
	switch len(v) {
	case 0:
		return fmt.Sprint(def)
	case 1:
		return fmt.Sprint(v[0])
	}
	return tuple(v)
}

// poolStride prints the stride, which defaults to the kernel size.
func poolStride(stride, kernel []int) string {
	if len(stride) == 0 {
		return poolArg(kernel, 0)
	}
	return poolArg(stride, 1)
}

func (m *Identity) hooksInForward()          {}
func (m *Flatten) hooksInForward()           {}
func (m *Dropout) hooksInForward()           {}
func (m *Dropout2d) hooksInForward()         {}
func (e *Embedding) hooksInForward()         {}
func (m *MaxPool2d) hooksInForward()         {}
func (m *AvgPool2d) hooksInForward()         {}
func (m *AdaptiveAvgPool2d) hooksInForward() {}
