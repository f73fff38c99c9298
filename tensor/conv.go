package tensor

import (
	"fmt"
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// Conv2dOptions are Conv2d's arguments besides its tensors, as in
// torch.nn.functional.conv2d. Each []int option is PyTorch's "int or tuple":
// one value, used for both spatial dimensions, or two ([height, width]);
// nil or empty takes PyTorch's default. The zero value is F.conv2d's
// defaults.
type Conv2dOptions struct {
	// Stride is the step between kernel positions; every value must be
	// positive. Default (nil): 1, as PyTorch's stride=1.
	Stride []int
	// Padding is the implicit zero padding added on both sides of each
	// dimension; values must not be negative. Default (nil): 0, as
	// PyTorch's padding=0. Leave it nil when PaddingMode is set.
	Padding []int
	// PaddingMode, when not empty, chooses the padding by name, as
	// PyTorch's string padding: "valid" is no padding; "same" pads so the
	// output has the input's size (Stride must be 1). When the total
	// padding of a dimension, dilation*(k-1), is odd, the extra element goes
	// after (bottom or right), as in PyTorch. Default (""): use Padding.
	PaddingMode string
	// Dilation is the spacing between kernel taps; every value must be
	// positive. Default (nil): 1, as PyTorch's dilation=1.
	Dilation []int
	// Groups splits the channels into that many independent convolutions;
	// Groups equal to the input channels is a depthwise convolution.
	// Default (0): 1, as PyTorch's groups=1.
	Groups int
}

// Conv1dOptions are Conv1d's arguments besides its tensors, as in
// torch.nn.functional.conv1d. Each option is a plain int, and its zero
// value is PyTorch's default, so the zero value is F.conv1d's defaults.
type Conv1dOptions struct {
	// Stride is the step between kernel positions. Default (0): 1, as
	// PyTorch's stride=1; negative values panic.
	Stride int
	// Padding is the implicit zero padding added on both sides. Default
	// (0): 0, as PyTorch's padding=0; negative values panic. Leave it zero
	// when PaddingMode is set.
	Padding int
	// PaddingMode, when not empty, chooses the padding by name: "valid" or
	// "same", as for Conv2dOptions. Default (""): use Padding.
	PaddingMode string
	// Dilation is the spacing between kernel taps. Default (0): 1, as
	// PyTorch's dilation=1; negative values panic.
	Dilation int
	// Groups splits the channels into that many independent convolutions.
	// Default (0): 1, as PyTorch's groups=1.
	Groups int
}

// ConvTranspose2dOptions are ConvTranspose2d's arguments besides its
// tensors, as in torch.nn.functional.conv_transpose2d. Each []int option is
// PyTorch's "int or tuple": one value, used for both spatial dimensions, or
// two ([height, width]); nil or empty takes PyTorch's default. The zero
// value is F.conv_transpose2d's defaults.
type ConvTranspose2dOptions struct {
	// Stride is the step of the convolution this transposes; every value
	// must be positive. Default (nil): 1, as PyTorch's stride=1.
	Stride []int
	// Padding is that convolution's padding: dilation*(k-1)-padding zeros
	// are added on both sides of the transposed input; values must not be
	// negative. Default (nil): 0, as PyTorch's padding=0.
	Padding []int
	// OutputPadding is added to one side (bottom or right) of the output
	// to pick among the output sizes that a strided convolution maps to
	// the same input size; each must be smaller than the stride or the
	// dilation. Default (nil): 0, as PyTorch's output_padding=0.
	OutputPadding []int
	// Dilation is the spacing between kernel taps; every value must be
	// positive. Default (nil): 1, as PyTorch's dilation=1.
	Dilation []int
	// Groups splits the channels into independent groups. Default (0): 1,
	// as PyTorch's groups=1.
	Groups int
}

// ConvTranspose1dOptions are ConvTranspose1d's arguments besides its
// tensors, as in torch.nn.functional.conv_transpose1d. Each option is a
// plain int, and its zero value is PyTorch's default; the fields mean what
// they mean for ConvTranspose2dOptions.
type ConvTranspose1dOptions struct {
	// Stride is the step of the convolution this transposes. Default (0):
	// 1, as PyTorch's stride=1; negative values panic.
	Stride int
	// Padding is that convolution's padding. Default (0): 0, as PyTorch's
	// padding=0; negative values panic.
	Padding int
	// OutputPadding is added to the end of the output; it must be smaller
	// than the stride or the dilation. Default (0): 0, as PyTorch's
	// output_padding=0.
	OutputPadding int
	// Dilation is the spacing between kernel taps. Default (0): 1, as
	// PyTorch's dilation=1; negative values panic.
	Dilation int
	// Groups splits the channels into independent groups. Default (0): 1,
	// as PyTorch's groups=1.
	Groups int
}

// convResolved is a convolution's options as per-dimension values.
type convResolved struct {
	stride, pad, outPad, dil []int
	mode                     string // "", "valid" or "same"; pad is nil unless ""
	groups                   int
}

// resolve checks o and expands it to per-dimension values.
func (o Conv2dOptions) resolve(op string) convResolved {
	r := convResolved{
		stride: apiDims(op, "Stride", o.Stride, 2, 1, 1),
		dil:    apiDims(op, "Dilation", o.Dilation, 2, 1, 1),
		mode:   o.PaddingMode,
		groups: apiDim(op, "Groups", o.Groups, 1, 1),
	}
	if o.PaddingMode == "" {
		r.pad = apiDims(op, "Padding", o.Padding, 2, 0, 0)
	} else if len(o.Padding) != 0 {
		panicf(op, "set Padding or PaddingMode, not both (got Padding %v and PaddingMode %q)", o.Padding, o.PaddingMode)
	}
	return r
}

// resolve checks o and expands it to per-dimension values.
func (o Conv1dOptions) resolve(op string) convResolved {
	r := convResolved{
		stride: []int{apiDim(op, "Stride", o.Stride, 1, 1)},
		dil:    []int{apiDim(op, "Dilation", o.Dilation, 1, 1)},
		mode:   o.PaddingMode,
		groups: apiDim(op, "Groups", o.Groups, 1, 1),
	}
	if o.PaddingMode == "" {
		r.pad = []int{apiDim(op, "Padding", o.Padding, 0, 0)}
	} else if o.Padding != 0 {
		panicf(op, "set Padding or PaddingMode, not both (got Padding %d and PaddingMode %q)", o.Padding, o.PaddingMode)
	}
	return r
}

// resolve checks o and expands it to per-dimension values.
func (o ConvTranspose2dOptions) resolve(op string) convResolved {
	return convResolved{
		stride: apiDims(op, "Stride", o.Stride, 2, 1, 1),
		pad:    apiDims(op, "Padding", o.Padding, 2, 0, 0),
		outPad: apiDims(op, "OutputPadding", o.OutputPadding, 2, 0, 0),
		dil:    apiDims(op, "Dilation", o.Dilation, 2, 1, 1),
		groups: apiDim(op, "Groups", o.Groups, 1, 1),
	}
}

// resolve checks o and expands it to per-dimension values.
func (o ConvTranspose1dOptions) resolve(op string) convResolved {
	return convResolved{
		stride: []int{apiDim(op, "Stride", o.Stride, 1, 1)},
		pad:    []int{apiDim(op, "Padding", o.Padding, 0, 0)},
		outPad: []int{apiDim(op, "OutputPadding", o.OutputPadding, 0, 0)},
		dil:    []int{apiDim(op, "Dilation", o.Dilation, 1, 1)},
		groups: apiDim(op, "Groups", o.Groups, 1, 1),
	}
}

// Conv2d applies a 2-D convolution (PyTorch's cross-correlation) over x, of
// shape [N, C, H, W] or unbatched [C, H, W], with weight w of shape
// [OC, C/Groups, KH, KW] and bias b of shape [OC] (nil for none), like
// torch.nn.functional.conv2d. The result has shape [N, OC, OH, OW]
// ([OC, OH, OW] for an unbatched x). Float32 and float64 are supported
// (float16 computes in float32); x, w and b must share the dtype.
//
// General convolutions unfold the input with im2col and multiply by the
// weight with a GEMM, 1x1 stride-1 unpadded ones run a GEMM on the input
// directly, and depthwise ones (Groups == C) a direct kernel; the bias is
// added in the output pass. Gradients flow to x, w and b.
func Conv2d(x, w, b *Tensor, o Conv2dOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceConv2d(x, w, b, o)
	}
	validNotNil("conv2d", "input", x)
	validNotNil("conv2d", "weight", w)
	const op = "conv2d"
	return convNd(convSpec{op: op, nd: 2}, x, w, b, o.resolve(op))
}

// Conv1d applies a 1-D convolution over x, of shape [N, C, L] or unbatched
// [C, L], with weight w of shape [OC, C/Groups, K] and bias b of shape
// [OC] (nil for none), like torch.nn.functional.conv1d. It runs the kernels
// of Conv2d with a height of 1.
func Conv1d(x, w, b *Tensor, o Conv1dOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceConv1d(x, w, b, o)
	}
	validNotNil("conv1d", "input", x)
	validNotNil("conv1d", "weight", w)
	const op = "conv1d"
	return convNd(convSpec{op: op, nd: 1}, x, w, b, o.resolve(op))
}

// ConvTranspose2d applies a 2-D transposed convolution (the gradient of
// Conv2d with respect to its input, sometimes called deconvolution) over x,
// of shape [N, Cin, H, W] or unbatched [Cin, H, W], with weight w of shape
// [Cin, Cout/Groups, KH, KW] and bias b of shape [Cout] (nil for none), like
// torch.nn.functional.conv_transpose2d. The output height is
// (H-1)*stride - 2*padding + dilation*(KH-1) + output_padding + 1, and
// likewise the width. It runs as a GEMM followed by col2im.
func ConvTranspose2d(x, w, b *Tensor, o ConvTranspose2dOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceConvTranspose2d(x, w, b, o)
	}
	validNotNil("conv_transpose2d", "input", x)
	validNotNil("conv_transpose2d", "weight", w)
	const op = "conv_transpose2d"
	return convTransposeNd(convSpec{op: op, nd: 2}, x, w, b, o.resolve(op))
}

// ConvTranspose1d applies a 1-D transposed convolution over x, of shape
// [N, Cin, L] or unbatched [Cin, L], with weight w of shape
// [Cin, Cout/Groups, K] and bias b of shape [Cout] (nil for none), like
// torch.nn.functional.conv_transpose1d.
func ConvTranspose1d(x, w, b *Tensor, o ConvTranspose1dOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceConvTranspose1d(x, w, b, o)
	}
	validNotNil("conv_transpose1d", "input", x)
	validNotNil("conv_transpose1d", "weight", w)
	const op = "conv_transpose1d"
	return convTransposeNd(convSpec{op: op, nd: 1}, x, w, b, o.resolve(op))
}

// convSpec names a public convolution op and its number of spatial dims.
type convSpec struct {
	op string
	nd int
}

// convGeom is one convolution's geometry, shared by the three primitive
// ops below: the forward convolution, its input gradient (the transposed
// convolution) and its weight gradient. Each is differentiable, its
// derivatives being the other two, so gradients of any order work.
type convGeom struct {
	p                cpu.ConvParams
	xShape           []int // the convolution's input [N, C, (H,) W]
	wShape           []int // weight [OC, C/Groups, (KH,) KW]
	yShape           []int // output [N, OC, (OH,) OW]
	fwd, data, wgrad string
}

func (g *convGeom) spatialDims() []int {
	dims := []int{0}
	for i := 2; i < len(g.yShape); i++ {
		dims = append(dims, i)
	}
	return dims
}

// convCheckTensors validates the ranks and dtypes common to convolutions
// and returns x with a batch dimension and whether it lacked one.
func convCheckTensors(s convSpec, x, w, b *Tensor) (*Tensor, bool) {
	if x.Dim() != s.nd+1 && x.Dim() != s.nd+2 {
		panicf(s.op, "expected a %d-D (unbatched) or %d-D (batched) input, got shape %v", s.nd+1, s.nd+2, x.shape)
	}
	if w.Dim() != s.nd+2 {
		panicf(s.op, "expected a %d-D weight, got shape %v", s.nd+2, w.shape)
	}
	if x.dtype != w.dtype || (b != nil && b.dtype != x.dtype) {
		panicf(s.op, "expected input, weight and bias of the same dtype, got %v, %v and %v", x.dtype, w.dtype, dtypeOrNone(b))
	}
	if !x.dtype.IsFloat() {
		panicf(s.op, "not supported for dtype %v", x.dtype)
	}
	if x.Dim() == s.nd+1 {
		return x.Unsqueeze(0), true
	}
	return x, false
}

// convParams builds the kernel parameters for an input of shape xs, a
// weight of shape ws and per-dimension options (1 or 2 spatial dims; 1-D
// maps to a height of 1).
func convParams(xs, ws []int, stride, padLo, dil, out []int, groups int) cpu.ConvParams {
	p := cpu.ConvParams{N: xs[0], C: xs[1], OC: ws[0], Groups: groups,
		H: 1, KH: 1, StrideH: 1, DilH: 1, OutH: 1}
	nd := len(xs) - 2
	p.W, p.KW, p.StrideW, p.PadW, p.DilW, p.OutW = xs[nd+1], ws[nd+1], stride[nd-1], padLo[nd-1], dil[nd-1], out[nd-1]
	if nd == 2 {
		p.H, p.KH, p.StrideH, p.PadH, p.DilH, p.OutH = xs[2], ws[2], stride[0], padLo[0], dil[0], out[0]
	}
	return p
}

func convNd(s convSpec, x, w, b *Tensor, r convResolved) *Tensor {
	op := s.op
	x, unbatched := convCheckTensors(s, x, w, b)
	stride, dil, groups := r.stride, r.dil, r.groups
	ks := w.shape[2:]
	var padLo, padHi []int
	switch r.mode {
	case "":
		padLo, padHi = r.pad, r.pad
	case "valid", "same":
		padLo, padHi = make([]int, s.nd), make([]int, s.nd)
		if r.mode == "same" {
			for i := range s.nd {
				if stride[i] != 1 {
					panicf(op, "padding='same' is not supported for strided convolutions (stride %v)", stride)
				}
				total := dil[i] * (ks[i] - 1)
				padLo[i] = total / 2
				padHi[i] = total - padLo[i]
			}
		}
	default:
		panicf(op, "unknown PaddingMode %q; want \"valid\" or \"same\"", r.mode)
	}
	c, oc := x.shape[1], w.shape[0]
	if c%groups != 0 {
		panicf(op, "input channels %d are not divisible by groups=%d", c, groups)
	}
	if oc%groups != 0 {
		panicf(op, "output channels %d (weight of shape %v) are not divisible by groups=%d", oc, w.shape, groups)
	}
	if w.shape[1]*groups != c {
		panicf(op, "given groups=%d, weight of shape %v, expected input %v to have %d channels, but got %d channels instead",
			groups, w.shape, x.shape, w.shape[1]*groups, c)
	}
	if b != nil && (b.Dim() != 1 || b.shape[0] != oc) {
		panicf(op, "bias of shape %v does not match %d output channels", b.shape, oc)
	}
	out := make([]int, s.nd)
	for i := range s.nd {
		in := x.shape[2+i]
		out[i] = cpu.ConvOutSize(in, ks[i], stride[i], padLo[i], padHi[i], dil[i])
		if out[i] <= 0 || ks[i] <= 0 {
			padded := make([]int, s.nd)
			for j := range padded {
				padded[j] = x.shape[2+j] + padLo[j] + padHi[j]
			}
			panicf(op, "kernel size %v (dilation %v) can't be greater than the padded input size %v", ks, dil, padded)
		}
	}
	g := &convGeom{
		p:      convParams(x.shape, w.shape, stride, padLo, dil, out, groups),
		xShape: slices.Clone(x.shape),
		wShape: slices.Clone(w.shape),
		yShape: slices.Concat([]int{x.shape[0], oc}, out),
		fwd:    op,
		data:   fmt.Sprintf("conv_transpose%dd", s.nd),
		wgrad:  op + "_weight_backward",
	}
	y := convForward(g, x, w, b)
	if unbatched {
		y = y.Squeeze(0)
	}
	return y
}

func convTransposeNd(s convSpec, x, w, b *Tensor, r convResolved) *Tensor {
	op := s.op
	x, unbatched := convCheckTensors(s, x, w, b)
	stride, pad, outPad, dil, groups := r.stride, r.pad, r.outPad, r.dil, r.groups
	for i := range s.nd {
		if outPad[i] >= stride[i] && outPad[i] >= dil[i] {
			panicf(op, "output padding %v must be smaller than either stride %v or dilation %v", outPad, stride, dil)
		}
	}
	cin := x.shape[1]
	if w.shape[0] != cin {
		panicf(op, "weight of shape %v expects input %v to have %d channels, but got %d channels instead", w.shape, x.shape, w.shape[0], cin)
	}
	if cin%groups != 0 {
		panicf(op, "input channels %d are not divisible by groups=%d", cin, groups)
	}
	cout := w.shape[1] * groups
	if b != nil && (b.Dim() != 1 || b.shape[0] != cout) {
		panicf(op, "bias of shape %v does not match %d output channels", b.shape, cout)
	}
	ks := w.shape[2:]
	in := x.shape[2:]
	full := make([]int, s.nd)
	for i := range s.nd {
		full[i] = (in[i]-1)*stride[i] - 2*pad[i] + dil[i]*(ks[i]-1) + outPad[i] + 1
		if full[i] <= 0 || ks[i] <= 0 {
			panicf(op, "input %v with kernel %v, stride %v, padding %v and dilation %v gives a non-positive output size", x.shape, w.shape, stride, pad, dil)
		}
	}
	// The convolution this transposes maps [N, Cout, full...] to
	// [N, Cin, in...] with weight w.
	xs := slices.Concat([]int{x.shape[0], cout}, full)
	g := &convGeom{
		p:      convParams(xs, w.shape, stride, pad, dil, in, groups),
		xShape: xs,
		wShape: slices.Clone(w.shape),
		yShape: slices.Clone(x.shape),
		fwd:    fmt.Sprintf("conv%dd", s.nd),
		data:   op,
		wgrad:  fmt.Sprintf("conv%dd_weight_backward", s.nd),
	}
	y := convBackwardData(g, x, w, b)
	if unbatched {
		y = y.Squeeze(0)
	}
	return y
}

// convComputeType returns the dtype the kernels run in for dt.
func convComputeType(dt DType) DType {
	if dt == Float16 {
		return Float32
	}
	return dt
}

// convSlice returns t's elements as a contiguous []T of compute dtype ct
// (nil for a nil t), copying only when needed.
func convSlice[T float32 | float64](t *Tensor, ct DType) []T {
	if t == nil {
		return nil
	}
	c := castTo(t.Detach(), ct).Contiguous()
	return c.st.data.([]T)[c.offset : c.offset+c.Numel()]
}

// convForward is the forward convolution y = conv(x, w) + b.
func convForward(g *convGeom, x, w, b *Tensor) *Tensor {
	ct := convComputeType(x.dtype)
	y := newTensor(ct, g.yShape)
	switch ct {
	case Float32:
		cpu.Conv2d(g.p, convSlice[float32](x, ct), convSlice[float32](w, ct), convSlice[float32](b, ct), y.st.data.([]float32), nil)
	case Float64:
		cpu.Conv2d(g.p, convSlice[float64](x, ct), convSlice[float64](w, ct), convSlice[float64](b, ct), y.st.data.([]float64), nil)
	}
	y = castTo(y, x.dtype)
	return record(g.fwd, y, []*Tensor{x, w, b}, func(gy *Tensor) []*Tensor {
		var gx, gw, gb *Tensor
		if x.requiresGrad {
			gx = convBackwardData(g, gy, w, nil)
		}
		if w.requiresGrad {
			gw = convBackwardWeight(g, x, gy)
		}
		if b != nil && b.requiresGrad {
			gb = gy.SumDims(g.spatialDims(), false)
		}
		return []*Tensor{gx, gw, gb}
	})
}

// convBackwardData is the transposed convolution dx = conv^T(dy, w) + b,
// the gradient of convForward with respect to its input (b, of the input's
// channel count, may be nil).
func convBackwardData(g *convGeom, dy, w, b *Tensor) *Tensor {
	ct := convComputeType(dy.dtype)
	dx := newTensor(ct, g.xShape)
	switch ct {
	case Float32:
		cpu.Conv2dBackwardData(g.p, convSlice[float32](dy, ct), convSlice[float32](w, ct), convSlice[float32](b, ct), dx.st.data.([]float32), nil)
	case Float64:
		cpu.Conv2dBackwardData(g.p, convSlice[float64](dy, ct), convSlice[float64](w, ct), convSlice[float64](b, ct), dx.st.data.([]float64), nil)
	}
	dx = castTo(dx, dy.dtype)
	return record(g.data, dx, []*Tensor{dy, w, b}, func(h *Tensor) []*Tensor {
		var gdy, gw, gb *Tensor
		if dy.requiresGrad {
			gdy = convForward(g, h, w, nil)
		}
		if w.requiresGrad {
			gw = convBackwardWeight(g, h, dy)
		}
		if b != nil && b.requiresGrad {
			dims := []int{0}
			for i := 2; i < len(g.xShape); i++ {
				dims = append(dims, i)
			}
			gb = h.SumDims(dims, false)
		}
		return []*Tensor{gdy, gw, gb}
	})
}

// convBackwardWeight is the gradient of convForward with respect to its
// weight, for input x and output gradient dy.
func convBackwardWeight(g *convGeom, x, dy *Tensor) *Tensor {
	ct := convComputeType(x.dtype)
	dw := newTensor(ct, g.wShape)
	switch ct {
	case Float32:
		cpu.Conv2dBackwardWeight(g.p, convSlice[float32](x, ct), convSlice[float32](dy, ct), dw.st.data.([]float32), nil)
	case Float64:
		cpu.Conv2dBackwardWeight(g.p, convSlice[float64](x, ct), convSlice[float64](dy, ct), dw.st.data.([]float64), nil)
	}
	dw = castTo(dw, x.dtype)
	return record(g.wgrad, dw, []*Tensor{x, dy}, func(h *Tensor) []*Tensor {
		var gx, gdy *Tensor
		if x.requiresGrad {
			gx = convBackwardData(g, dy, h, nil)
		}
		if dy.requiresGrad {
			gdy = convForward(g, x, h, nil)
		}
		return []*Tensor{gx, gdy}
	})
}
