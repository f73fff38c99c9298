package tensor

import (
	"fmt"
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// Conv2dOptions are Conv2d's arguments besides its tensors, as in
// torch.nn.functional.conv2d. Each []int holds one value for both spatial
// dimensions or one per dimension ([height, width]); nil takes the default.
type Conv2dOptions struct {
	// Stride is the step between kernel positions (default 1).
	Stride []int
	// Padding is the implicit zero padding added on both sides of each
	// dimension (default 0). Leave it nil when PaddingMode is set.
	Padding []int
	// PaddingMode, when not empty, chooses the padding by name: "valid" is
	// no padding; "same" pads so the output has the input's size (stride
	// must be 1). When the total padding of a dimension, dilation*(k-1), is
	// odd, the extra element goes after (bottom or right), as in PyTorch.
	PaddingMode string
	// Dilation is the spacing between kernel taps (default 1).
	Dilation []int
	// Groups splits the channels into that many independent convolutions
	// (default 1); Groups equal to the input channels is a depthwise
	// convolution.
	Groups int
}

// Conv1dOptions are Conv1d's arguments besides its tensors, as in
// torch.nn.functional.conv1d; the fields mean what they mean for
// Conv2dOptions, with one spatial dimension.
type Conv1dOptions struct {
	Stride      []int
	Padding     []int
	PaddingMode string
	Dilation    []int
	Groups      int
}

// ConvTranspose2dOptions are ConvTranspose2d's arguments besides its
// tensors, as in torch.nn.functional.conv_transpose2d. Each []int holds one
// value or one per spatial dimension; nil takes the default.
type ConvTranspose2dOptions struct {
	// Stride is the step of the convolution this transposes (default 1).
	Stride []int
	// Padding is that convolution's padding: dilation*(k-1)-padding zeros
	// are added on both sides of the transposed input (default 0).
	Padding []int
	// OutputPadding is added to one side (bottom or right) of the output
	// to pick among the output sizes that a strided convolution maps to
	// the same input size (default 0); each must be smaller than the
	// stride or the dilation.
	OutputPadding []int
	// Dilation is the spacing between kernel taps (default 1).
	Dilation []int
	// Groups splits the channels into independent groups (default 1).
	Groups int
}

// ConvTranspose1dOptions are ConvTranspose1d's arguments besides its
// tensors; the fields mean what they mean for ConvTranspose2dOptions.
type ConvTranspose1dOptions struct {
	Stride        []int
	Padding       []int
	OutputPadding []int
	Dilation      []int
	Groups        int
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
	return convNd(convSpec{op: "conv2d", nd: 2}, x, w, b, o.Stride, o.Padding, o.PaddingMode, o.Dilation, o.Groups)
}

// Conv1d applies a 1-D convolution over x, of shape [N, C, L] or unbatched
// [C, L], with weight w of shape [OC, C/Groups, K] and bias b of shape
// [OC] (nil for none), like torch.nn.functional.conv1d. It runs the kernels
// of Conv2d with a height of 1.
func Conv1d(x, w, b *Tensor, o Conv1dOptions) *Tensor {
	return convNd(convSpec{op: "conv1d", nd: 1}, x, w, b, o.Stride, o.Padding, o.PaddingMode, o.Dilation, o.Groups)
}

// ConvTranspose2d applies a 2-D transposed convolution (the gradient of
// Conv2d with respect to its input, sometimes called deconvolution) over x,
// of shape [N, Cin, H, W] or unbatched [Cin, H, W], with weight w of shape
// [Cin, Cout/Groups, KH, KW] and bias b of shape [Cout] (nil for none), like
// torch.nn.functional.conv_transpose2d. The output height is
// (H-1)*stride - 2*padding + dilation*(KH-1) + output_padding + 1, and
// likewise the width. It runs as a GEMM followed by col2im.
func ConvTranspose2d(x, w, b *Tensor, o ConvTranspose2dOptions) *Tensor {
	return convTransposeNd(convSpec{op: "conv_transpose2d", nd: 2}, x, w, b, o.Stride, o.Padding, o.OutputPadding, o.Dilation, o.Groups)
}

// ConvTranspose1d applies a 1-D transposed convolution over x, of shape
// [N, Cin, L] or unbatched [Cin, L], with weight w of shape
// [Cin, Cout/Groups, K] and bias b of shape [Cout] (nil for none), like
// torch.nn.functional.conv_transpose1d.
func ConvTranspose1d(x, w, b *Tensor, o ConvTranspose1dOptions) *Tensor {
	return convTransposeNd(convSpec{op: "conv_transpose1d", nd: 1}, x, w, b, o.Stride, o.Padding, o.OutputPadding, o.Dilation, o.Groups)
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

// convInts expands an option given as nil, one value or one per spatial
// dimension into nd values, each of which must be at least lo.
func convInts(op, name string, v []int, nd, def, lo int) []int {
	for _, d := range v {
		if d < lo {
			if lo == 0 {
				panicf(op, "%s %v must not be negative", name, v)
			}
			panicf(op, "%s %v must be positive", name, v)
		}
	}
	switch len(v) {
	case 0:
		v = []int{def}
		fallthrough
	case 1:
		out := make([]int, nd)
		for i := range out {
			out[i] = v[0]
		}
		return out
	case nd:
		return slices.Clone(v)
	}
	panicf(op, "%s %v must have 1 or %d values", name, v, nd)
	return nil
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

func convNd(s convSpec, x, w, b *Tensor, strideOpt, padOpt []int, mode string, dilOpt []int, groups int) *Tensor {
	op := s.op
	x, unbatched := convCheckTensors(s, x, w, b)
	if groups == 0 {
		groups = 1
	}
	stride := convInts(op, "stride", strideOpt, s.nd, 1, 1)
	dil := convInts(op, "dilation", dilOpt, s.nd, 1, 1)
	ks := w.shape[2:]
	var padLo, padHi []int
	switch mode {
	case "":
		padLo = convInts(op, "padding", padOpt, s.nd, 0, 0)
		padHi = padLo
	case "valid", "same":
		if padOpt != nil {
			panicf(op, "set Padding or PaddingMode, not both")
		}
		padLo, padHi = make([]int, s.nd), make([]int, s.nd)
		if mode == "same" {
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
		panicf(op, "unknown padding mode %q; want \"valid\" or \"same\"", mode)
	}
	c, oc := x.shape[1], w.shape[0]
	if groups < 0 {
		panicf(op, "groups must be positive, got %d", groups)
	}
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

func convTransposeNd(s convSpec, x, w, b *Tensor, strideOpt, padOpt, outPadOpt, dilOpt []int, groups int) *Tensor {
	op := s.op
	x, unbatched := convCheckTensors(s, x, w, b)
	if groups == 0 {
		groups = 1
	}
	stride := convInts(op, "stride", strideOpt, s.nd, 1, 1)
	dil := convInts(op, "dilation", dilOpt, s.nd, 1, 1)
	pad := convInts(op, "padding", padOpt, s.nd, 0, 0)
	outPad := convInts(op, "output_padding", outPadOpt, s.nd, 0, 0)
	for i := range s.nd {
		if outPad[i] >= stride[i] && outPad[i] >= dil[i] {
			panicf(op, "output padding %v must be smaller than either stride %v or dilation %v", outPad, stride, dil)
		}
	}
	cin := x.shape[1]
	if groups < 0 {
		panicf(op, "groups must be positive, got %d", groups)
	}
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
