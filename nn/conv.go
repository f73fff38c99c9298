package nn

import (
	"fmt"
	"strings"

	"github.com/emberml/ember/tensor"
)

// Conv2dOptions configure NewConv2d, as the keyword arguments of
// torch.nn.Conv2d. Each []int is PyTorch's "int or tuple": one value for both
// dimensions or [height, width]; the zero value is PyTorch's default.
type Conv2dOptions struct {
	// Kernel overrides the square kernel size given to NewConv2d with
	// [height, width].
	Kernel []int
	// Stride, Padding and Dilation default to 1, 0 and 1.
	Stride, Padding, Dilation []int
	// PaddingString is PyTorch's string padding, "same" or "valid"; leave
	// Padding nil when it is set.
	PaddingString string
	// Groups defaults to 1; Groups equal to the input channels is a
	// depthwise convolution.
	Groups int
	// NoBias leaves the bias out (bias=False).
	NoBias bool
	// PaddingMode is "zeros" (the default, also ""), "reflect",
	// "replicate" or "circular", as PyTorch's padding_mode.
	PaddingMode string
}

// Conv2d is a 2-D convolution layer, as torch.nn.Conv2d: Weight has shape
// [OutChannels, InChannels/Groups, KH, KW], Bias [OutChannels] (nil without
// bias), both initialised uniform in ±1/√fan_in as PyTorch does.
type Conv2d struct {
	Base
	InChannels, OutChannels int
	KernelSize              []int
	Options                 Conv2dOptions
	Weight, Bias            *tensor.Tensor
}

// NewConv2d returns a Conv2d from in to out channels with a kernel×kernel
// kernel (see Conv2dOptions.Kernel for other shapes).
func NewConv2d(in, out, kernel int, opts ...Conv2dOptions) *Conv2d {
	var o Conv2dOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	k := pair("nn.NewConv2d", "kernel", o.Kernel, kernel)
	g := o.Groups
	if g == 0 {
		g = 1
	}
	if in <= 0 || out <= 0 || in%g != 0 || out%g != 0 {
		panic(fmt.Sprintf("nn.NewConv2d: in_channels %d and out_channels %d must be positive and divisible by groups %d", in, out, g))
	}
	checkPaddingMode("nn.NewConv2d", o.PaddingMode)
	bound := fanInBound(in / g * k[0] * k[1])
	c := &Conv2d{InChannels: in, OutChannels: out, KernelSize: k, Options: o,
		Weight: uniformParam(bound, out, in/g, k[0], k[1])}
	if !o.NoBias {
		c.Bias = uniformParam(bound, out)
	}
	return c
}

// Forward convolves x ([N, C, H, W] or [C, H, W]).
func (c *Conv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(c, x, func(x *tensor.Tensor) *tensor.Tensor {
		o := c.Options
		to := tensor.Conv2dOptions{Stride: o.Stride, Padding: o.Padding, PaddingMode: o.PaddingString, Dilation: o.Dilation, Groups: o.Groups}
		if m := o.PaddingMode; m != "" && m != "zeros" {
			p := pair("Conv2d", "padding", o.Padding, 0)
			x = tensor.Pad(x, []int{p[1], p[1], p[0], p[0]}, m, 0)
			to.Padding = nil
		}
		return tensor.Conv2d(x, c.Weight, c.Bias, to)
	})
}

func (c *Conv2d) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (c *Conv2d) ExtraRepr() string {
	o := c.Options
	s := fmt.Sprintf("%d, %d, kernel_size=%s, stride=%s", c.InChannels, c.OutChannels,
		tuple(c.KernelSize), tuple(pair("", "", o.Stride, 1)))
	if o.PaddingString != "" {
		s += ", padding=" + o.PaddingString
	} else if p := pair("", "", o.Padding, 0); p[0] != 0 || p[1] != 0 {
		s += ", padding=" + tuple(p)
	}
	if d := pair("", "", o.Dilation, 1); d[0] != 1 || d[1] != 1 {
		s += ", dilation=" + tuple(d)
	}
	if o.Groups > 1 {
		s += fmt.Sprintf(", groups=%d", o.Groups)
	}
	if c.Bias == nil {
		s += ", bias=False"
	}
	if o.PaddingMode != "" && o.PaddingMode != "zeros" {
		s += ", padding_mode=" + o.PaddingMode
	}
	return s
}

// Conv1dOptions configure NewConv1d, as the keyword arguments of
// torch.nn.Conv1d; the zero value is PyTorch's default.
type Conv1dOptions struct {
	// Stride, Padding and Dilation default to 1, 0 and 1.
	Stride, Padding, Dilation int
	// PaddingString is "same" or "valid" (leave Padding zero).
	PaddingString string
	// Groups defaults to 1.
	Groups int
	// NoBias leaves the bias out.
	NoBias bool
	// PaddingMode is "zeros" (default), "reflect", "replicate" or
	// "circular".
	PaddingMode string
}

// Conv1d is a 1-D convolution layer, as torch.nn.Conv1d: Weight has shape
// [OutChannels, InChannels/Groups, KernelSize].
type Conv1d struct {
	Base
	InChannels, OutChannels, KernelSize int
	Options                             Conv1dOptions
	Weight, Bias                        *tensor.Tensor
}

// NewConv1d returns a Conv1d from in to out channels with the given kernel
// size.
func NewConv1d(in, out, kernel int, opts ...Conv1dOptions) *Conv1d {
	var o Conv1dOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	g := max(o.Groups, 1)
	if in <= 0 || out <= 0 || kernel <= 0 || in%g != 0 || out%g != 0 {
		panic(fmt.Sprintf("nn.NewConv1d: in_channels %d, out_channels %d and kernel %d must be positive, channels divisible by groups %d", in, out, kernel, g))
	}
	checkPaddingMode("nn.NewConv1d", o.PaddingMode)
	bound := fanInBound(in / g * kernel)
	c := &Conv1d{InChannels: in, OutChannels: out, KernelSize: kernel, Options: o,
		Weight: uniformParam(bound, out, in/g, kernel)}
	if !o.NoBias {
		c.Bias = uniformParam(bound, out)
	}
	return c
}

// Forward convolves x ([N, C, L] or [C, L]).
func (c *Conv1d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(c, x, func(x *tensor.Tensor) *tensor.Tensor {
		o := c.Options
		to := tensor.Conv1dOptions{Stride: o.Stride, Padding: o.Padding, PaddingMode: o.PaddingString, Dilation: o.Dilation, Groups: o.Groups}
		if m := o.PaddingMode; m != "" && m != "zeros" {
			x = tensor.Pad(x, []int{o.Padding, o.Padding}, m, 0)
			to.Padding = 0
		}
		return tensor.Conv1d(x, c.Weight, c.Bias, to)
	})
}

func (c *Conv1d) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (c *Conv1d) ExtraRepr() string {
	o := c.Options
	s := fmt.Sprintf("%d, %d, kernel_size=(%d,), stride=(%d,)", c.InChannels, c.OutChannels, c.KernelSize, max(o.Stride, 1))
	if o.Padding != 0 {
		s += fmt.Sprintf(", padding=(%d,)", o.Padding)
	}
	if c.Bias == nil {
		s += ", bias=False"
	}
	return s
}

// ConvTranspose2dOptions configure NewConvTranspose2d, as the keyword
// arguments of torch.nn.ConvTranspose2d; the zero value is PyTorch's
// default.
type ConvTranspose2dOptions struct {
	// Kernel overrides the square kernel size with [height, width].
	Kernel []int
	// Stride, Padding, OutputPadding and Dilation default to 1, 0, 0, 1.
	Stride, Padding, OutputPadding, Dilation []int
	// Groups defaults to 1.
	Groups int
	// NoBias leaves the bias out.
	NoBias bool
}

// ConvTranspose2d is a 2-D transposed convolution layer, as
// torch.nn.ConvTranspose2d: Weight has shape [InChannels,
// OutChannels/Groups, KH, KW].
type ConvTranspose2d struct {
	Base
	InChannels, OutChannels int
	KernelSize              []int
	Options                 ConvTranspose2dOptions
	Weight, Bias            *tensor.Tensor
}

// NewConvTranspose2d returns a ConvTranspose2d from in to out channels.
func NewConvTranspose2d(in, out, kernel int, opts ...ConvTranspose2dOptions) *ConvTranspose2d {
	var o ConvTranspose2dOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	k := pair("nn.NewConvTranspose2d", "kernel", o.Kernel, kernel)
	g := max(o.Groups, 1)
	if in <= 0 || out <= 0 || in%g != 0 || out%g != 0 {
		panic(fmt.Sprintf("nn.NewConvTranspose2d: in_channels %d and out_channels %d must be positive and divisible by groups %d", in, out, g))
	}
	// PyTorch computes fan_in from the weight's dimension 1 (out/groups).
	bound := fanInBound(out / g * k[0] * k[1])
	c := &ConvTranspose2d{InChannels: in, OutChannels: out, KernelSize: k, Options: o,
		Weight: uniformParam(bound, in, out/g, k[0], k[1])}
	if !o.NoBias {
		c.Bias = uniformParam(bound, out)
	}
	return c
}

// Forward applies the transposed convolution to x ([N, C, H, W] or [C, H,
// W]).
func (c *ConvTranspose2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return CallHooks1(c, x, func(x *tensor.Tensor) *tensor.Tensor {
		o := c.Options
		return tensor.ConvTranspose2d(x, c.Weight, c.Bias, tensor.ConvTranspose2dOptions{
			Stride: o.Stride, Padding: o.Padding, OutputPadding: o.OutputPadding, Dilation: o.Dilation, Groups: o.Groups})
	})
}

func (c *ConvTranspose2d) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (c *ConvTranspose2d) ExtraRepr() string {
	o := c.Options
	s := fmt.Sprintf("%d, %d, kernel_size=%s, stride=%s", c.InChannels, c.OutChannels, tuple(c.KernelSize), tuple(pair("", "", o.Stride, 1)))
	if p := pair("", "", o.Padding, 0); p[0] != 0 || p[1] != 0 {
		s += ", padding=" + tuple(p)
	}
	if c.Bias == nil {
		s += ", bias=False"
	}
	return s
}

// pair expands PyTorch's "int or tuple" to two values; def is used for
// nil.
func pair(op, what string, v []int, def int) []int {
	switch len(v) {
	case 0:
		return []int{def, def}
	case 1:
		return []int{v[0], v[0]}
	case 2:
		return []int{v[0], v[1]}
	}
	panic(fmt.Sprintf("%s: %s takes one or two values, got %v", op, what, v))
}

func tuple(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	if len(v) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func checkPaddingMode(op, m string) {
	switch m {
	case "", "zeros", "reflect", "replicate", "circular":
		return
	}
	panic(fmt.Sprintf("%s: padding_mode must be zeros, reflect, replicate or circular, got %q", op, m))
}
