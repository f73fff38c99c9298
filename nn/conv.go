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
	g := convCheckArgs("nn.NewConv2d", in, out, k, o.Groups, o.Stride, o.Padding, o.Dilation, o.PaddingString)
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
		convCheckInput("nn.Conv2d", x, 2, c.InChannels)
		o := c.Options
		to := tensor.Conv2dOptions{Stride: o.Stride, Padding: o.Padding, PaddingMode: o.PaddingString, Dilation: o.Dilation, Groups: o.Groups}
		if m := o.PaddingMode; m != "" && m != "zeros" {
			// PyTorch pads explicitly (F.pad) and convolves without padding.
			if pads := convExplicitPads(c.KernelSize, o.Dilation, o.Padding, o.PaddingString); !convAll(pads, 0) {
				x = tensor.Pad(x, pads, m, 0)
			}
			to.Padding, to.PaddingMode = nil, ""
		}
		return tensor.Conv2d(x, c.Weight, c.Bias, to)
	})
}

func (c *Conv2d) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (c *Conv2d) ExtraRepr() string {
	o := c.Options
	return convRepr(c.InChannels, c.OutChannels, c.KernelSize, o.Stride, o.Padding, o.PaddingString, o.Dilation, nil, o.Groups, c.Bias != nil, o.PaddingMode)
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
	g := convCheckArgs("nn.NewConv1d", in, out, []int{kernel}, o.Groups, convOne(o.Stride), convOne(o.Padding), convOne(o.Dilation), o.PaddingString)
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
		convCheckInput("nn.Conv1d", x, 1, c.InChannels)
		o := c.Options
		to := tensor.Conv1dOptions{Stride: o.Stride, Padding: o.Padding, PaddingMode: o.PaddingString, Dilation: o.Dilation, Groups: o.Groups}
		if m := o.PaddingMode; m != "" && m != "zeros" {
			if pads := convExplicitPads([]int{c.KernelSize}, convOne(o.Dilation), convOne(o.Padding), o.PaddingString); !convAll(pads, 0) {
				x = tensor.Pad(x, pads, m, 0)
			}
			to.Padding, to.PaddingMode = 0, ""
		}
		return tensor.Conv1d(x, c.Weight, c.Bias, to)
	})
}

func (c *Conv1d) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (c *Conv1d) ExtraRepr() string {
	o := c.Options
	return convRepr(c.InChannels, c.OutChannels, []int{c.KernelSize}, convOne(o.Stride), convOne(o.Padding), o.PaddingString,
		convOne(o.Dilation), nil, o.Groups, c.Bias != nil, o.PaddingMode)
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
	g := convCheckArgs("nn.NewConvTranspose2d", in, out, k, o.Groups, o.Stride, o.Padding, o.Dilation, "")
	op := pair("nn.NewConvTranspose2d", "output_padding", o.OutputPadding, 0)
	st, dil := pair("", "", o.Stride, 1), pair("", "", o.Dilation, 1)
	for i := range op {
		if op[i] < 0 || (op[i] >= st[i] && op[i] >= dil[i]) {
			panic(fmt.Sprintf("nn.NewConvTranspose2d: output_padding %v must be non-negative and smaller than either stride %v or dilation %v", op, st, dil))
		}
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
		convCheckInput("nn.ConvTranspose2d", x, 2, c.InChannels)
		o := c.Options
		return tensor.ConvTranspose2d(x, c.Weight, c.Bias, tensor.ConvTranspose2dOptions{
			Stride: o.Stride, Padding: o.Padding, OutputPadding: o.OutputPadding, Dilation: o.Dilation, Groups: o.Groups})
	})
}

func (c *ConvTranspose2d) hooksInForward() {}

// ExtraRepr describes the layer as PyTorch prints it.
func (c *ConvTranspose2d) ExtraRepr() string {
	o := c.Options
	return convRepr(c.InChannels, c.OutChannels, c.KernelSize, o.Stride, o.Padding, "", o.Dilation, o.OutputPadding, o.Groups, c.Bias != nil, "")
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

// convOne turns a 1-D option (0 for PyTorch's default) into the []int form
// of the 2-D options (nil for the default).
func convOne(v int) []int {
	if v == 0 {
		return nil
	}
	return []int{v}
}

// convExpand expands an "int or tuple" option to n values; def is used for
// nil.
func convExpand(op, what string, v []int, def, n int) []int {
	out := make([]int, n)
	switch len(v) {
	case 0:
		for i := range out {
			out[i] = def
		}
	case 1:
		for i := range out {
			out[i] = v[0]
		}
	case n:
		copy(out, v)
	default:
		panic(fmt.Sprintf("%s: %s takes one or %d values, got %v", op, what, n, v))
	}
	return out
}

// convCheckArgs checks a convolution layer's constructor arguments as
// PyTorch's _ConvNd does and returns the number of groups.
func convCheckArgs(op string, in, out int, kernel []int, groups int, stride, padding, dilation []int, paddingString string) int {
	n := len(kernel)
	if groups < 0 {
		panic(fmt.Sprintf("%s: groups must be positive, got %d", op, groups))
	}
	g := max(groups, 1)
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("%s: in_channels %d and out_channels %d must be positive", op, in, out))
	}
	if in%g != 0 || out%g != 0 {
		panic(fmt.Sprintf("%s: in_channels %d and out_channels %d must be divisible by groups %d", op, in, out, g))
	}
	for _, k := range kernel {
		if k <= 0 {
			panic(fmt.Sprintf("%s: kernel_size must be positive, got %v", op, kernel))
		}
	}
	st := convExpand(op, "stride", stride, 1, n)
	for _, v := range st {
		if v <= 0 {
			panic(fmt.Sprintf("%s: stride must be positive, got %v", op, stride))
		}
	}
	for _, v := range convExpand(op, "dilation", dilation, 1, n) {
		if v <= 0 {
			panic(fmt.Sprintf("%s: dilation must be positive, got %v", op, dilation))
		}
	}
	for _, v := range convExpand(op, "padding", padding, 0, n) {
		if v < 0 {
			panic(fmt.Sprintf("%s: padding must not be negative, got %v", op, padding))
		}
	}
	switch paddingString {
	case "":
	case "valid", "same":
		if len(padding) > 0 {
			panic(fmt.Sprintf("%s: set either Padding %v or PaddingString %q, not both", op, padding, paddingString))
		}
		if paddingString == "same" {
			for _, v := range st {
				if v != 1 {
					panic(fmt.Sprintf("%s: padding='same' is not supported for strided convolutions (stride %v)", op, stride))
				}
			}
		}
	default:
		panic(fmt.Sprintf("%s: PaddingString must be \"same\" or \"valid\", got %q", op, paddingString))
	}
	return g
}

// convExplicitPads returns the F.pad amounts (last dimension first) that a
// convolution with a non-zeros padding_mode applies before convolving, as
// PyTorch's _reversed_padding_repeated_twice: padding on both sides, or
// for "same" dilation*(kernel-1) split with the odd element after.
func convExplicitPads(kernel, dilation, padding []int, paddingString string) []int {
	n := len(kernel)
	dil := convExpand("", "dilation", dilation, 1, n)
	pad := convExpand("", "padding", padding, 0, n)
	out := make([]int, 0, 2*n)
	for i := n - 1; i >= 0; i-- {
		switch paddingString {
		case "same":
			total := dil[i] * (kernel[i] - 1)
			out = append(out, total/2, total-total/2)
		case "valid":
			out = append(out, 0, 0)
		default:
			out = append(out, pad[i], pad[i])
		}
	}
	return out
}

// convCheckInput panics unless x is an unbatched or batched input of a
// d-D convolution layer with in channels.
func convCheckInput(layer string, x *tensor.Tensor, d, in int) {
	if x.Dim() != d+1 && x.Dim() != d+2 {
		panic(fmt.Sprintf("%s: expected a %d-D (unbatched) or %d-D (batched) input, got shape %v", layer, d+1, d+2, x.Shape()))
	}
	if c := x.Size(x.Dim() - d - 1); c != in {
		panic(fmt.Sprintf("%s: expected input of shape %v to have %d channels (in_channels), got %d", layer, x.Shape(), in, c))
	}
}

// convRepr is PyTorch's _ConvNd.extra_repr.
func convRepr(in, out int, kernel, stride, padding []int, paddingString string, dilation, outputPadding []int, groups int, bias bool, paddingMode string) string {
	n := len(kernel)
	s := fmt.Sprintf("%d, %d, kernel_size=%s, stride=%s", in, out, tuple(kernel), tuple(convExpand("", "", stride, 1, n)))
	if paddingString != "" {
		s += ", padding=" + paddingString
	} else if p := convExpand("", "", padding, 0, n); !convAll(p, 0) {
		s += ", padding=" + tuple(p)
	}
	if d := convExpand("", "", dilation, 1, n); !convAll(d, 1) {
		s += ", dilation=" + tuple(d)
	}
	if p := convExpand("", "", outputPadding, 0, n); !convAll(p, 0) {
		s += ", output_padding=" + tuple(p)
	}
	if groups > 1 {
		s += fmt.Sprintf(", groups=%d", groups)
	}
	if !bias {
		s += ", bias=False"
	}
	if paddingMode != "" && paddingMode != "zeros" {
		s += ", padding_mode=" + paddingMode
	}
	return s
}

func convAll(v []int, x int) bool {
	for _, e := range v {
		if e != x {
			return false
		}
	}
	return true
}
