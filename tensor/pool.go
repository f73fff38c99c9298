package tensor

import (
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// MaxPool2dOptions configure MaxPool2d and MaxPool2dWithIndices, as the
// arguments of PyTorch's F.max_pool2d. Each []int option is PyTorch's "int
// or tuple": one value, used for both spatial dimensions, or two
// ([height, width]); nil or empty takes PyTorch's default.
type MaxPool2dOptions struct {
	// KernelSize is the size of the pooling window; every value must be
	// positive. Required, as PyTorch's kernel_size (no default).
	KernelSize []int
	// Stride is the step between windows; every value must be positive.
	// Default (nil): KernelSize, as PyTorch's stride=None.
	Stride []int
	// Padding is the implicit -inf padding added on both sides of each
	// dimension; each value must be between 0 and half the kernel size.
	// Default (nil): 0, as PyTorch's padding=0.
	Padding []int
	// Dilation is the spacing between window elements; every value must be
	// positive. Default (nil): 1, as PyTorch's dilation=1.
	Dilation []int
	// CeilMode rounds the output size up instead of down; a window that
	// would start in the right or bottom padding is still dropped, as in
	// PyTorch. Default (false): round down, as PyTorch's ceil_mode=False.
	CeilMode bool
}

// AvgPool2dOptions configure AvgPool2d, as the arguments of PyTorch's
// F.avg_pool2d. Each []int option is PyTorch's "int or tuple": one value,
// used for both spatial dimensions, or two ([height, width]); nil or empty
// takes PyTorch's default.
//
// Note ExcludePad: it is the negation of PyTorch's count_include_pad, so
// that the zero value keeps PyTorch's default (padding counted in the
// divisor). count_include_pad=False is ExcludePad: true.
type AvgPool2dOptions struct {
	// KernelSize is the size of the pooling window; every value must be
	// positive. Required, as PyTorch's kernel_size (no default).
	KernelSize []int
	// Stride is the step between windows; every value must be positive.
	// Default (nil): KernelSize, as PyTorch's stride=None.
	Stride []int
	// Padding is the implicit zero padding added on both sides of each
	// dimension; each value must be between 0 and half the kernel size.
	// Default (nil): 0, as PyTorch's padding=0.
	Padding []int
	// CeilMode rounds the output size up instead of down. Default (false):
	// round down, as PyTorch's ceil_mode=False.
	CeilMode bool
	// ExcludePad leaves the padded positions out of each window's divisor.
	// It is the NEGATION of PyTorch's count_include_pad: ExcludePad: true
	// is count_include_pad=False. Default (false): padding is counted, as
	// PyTorch's count_include_pad=True. (Positions past the padding that
	// CeilMode adds are never counted, as in PyTorch.)
	ExcludePad bool
	// DivisorOverride, when positive, divides every window sum instead of
	// the window's size; negative values panic. Default (0): no override,
	// as PyTorch's divisor_override=None.
	DivisorOverride int
}

// MaxPool1dOptions configure MaxPool1d and MaxPool1dWithIndices, as the
// arguments of PyTorch's F.max_pool1d. Each option is a plain int, and zero
// means PyTorch's default.
type MaxPool1dOptions struct {
	// KernelSize is the size of the pooling window. Required and positive,
	// as PyTorch's kernel_size (no default).
	KernelSize int
	// Stride is the step between windows. Default (0): KernelSize, as
	// PyTorch's stride=None; negative values panic.
	Stride int
	// Padding is the implicit -inf padding added on both sides, at most
	// half the kernel size. Default (0): 0, as PyTorch's padding=0.
	Padding int
	// Dilation is the spacing between window elements. Default (0): 1, as
	// PyTorch's dilation=1; negative values panic.
	Dilation int
	// CeilMode rounds the output size up instead of down. Default (false):
	// round down, as PyTorch's ceil_mode=False.
	CeilMode bool
}

// AvgPool1dOptions configure AvgPool1d, as the arguments of PyTorch's
// F.avg_pool1d. Each option is a plain int, and zero means PyTorch's
// default.
//
// Note ExcludePad: it is the negation of PyTorch's count_include_pad, so
// that the zero value keeps PyTorch's default (padding counted in the
// divisor). count_include_pad=False is ExcludePad: true.
type AvgPool1dOptions struct {
	// KernelSize is the size of the pooling window. Required and positive,
	// as PyTorch's kernel_size (no default).
	KernelSize int
	// Stride is the step between windows. Default (0): KernelSize, as
	// PyTorch's stride=None; negative values panic.
	Stride int
	// Padding is the implicit zero padding added on both sides, at most
	// half the kernel size. Default (0): 0, as PyTorch's padding=0.
	Padding int
	// CeilMode rounds the output size up instead of down. Default (false):
	// round down, as PyTorch's ceil_mode=False.
	CeilMode bool
	// ExcludePad leaves the padded positions out of each window's divisor.
	// It is the NEGATION of PyTorch's count_include_pad: ExcludePad: true
	// is count_include_pad=False. Default (false): padding is counted, as
	// PyTorch's count_include_pad=True.
	ExcludePad bool
}

// nnfPoolOpts is a pooling op's options as per-dimension (height, width)
// values; 1-D pools use a height of 1.
type nnfPoolOpts struct {
	k, s, p, d []int
	ceil       bool
	nd         int // spatial dims the caller has (1 or 2), for messages
}

// nnfPool2dOpts checks the options of a 2-D pool (nil dilation for
// average pooling) and expands them.
func nnfPool2dOpts(op string, kernel, stride, padding, dilation []int, ceil bool) nnfPoolOpts {
	k := apiDims(op, "KernelSize", kernel, 2, 1)
	return nnfPoolOpts{
		k:    k,
		s:    apiDims(op, "Stride", stride, 2, 1, k...),
		p:    apiDims(op, "Padding", padding, 2, 0, 0),
		d:    apiDims(op, "Dilation", dilation, 2, 1, 1),
		ceil: ceil, nd: 2,
	}
}

// nnfPool1dOpts checks the options of a 1-D pool and expands them to a
// 2-D pool's with a height of 1.
func nnfPool1dOpts(op string, kernel, stride, padding, dilation int, ceil bool) nnfPoolOpts {
	k := apiDim(op, "KernelSize", kernel, 1)
	return nnfPoolOpts{
		k:    []int{1, k},
		s:    []int{1, apiDim(op, "Stride", stride, 1, k)},
		p:    []int{0, apiDim(op, "Padding", padding, 0, 0)},
		d:    []int{1, apiDim(op, "Dilation", dilation, 1, 1)},
		ceil: ceil, nd: 1,
	}
}

// nnfFloatInput returns x detached, contiguous and in its compute dtype
// (float32 for float16). It panics for non-floating-point inputs.
func nnfFloatInput(op string, x *Tensor) *Tensor {
	if !x.dtype.IsFloat() {
		panicf(op, "expected a floating-point input, got %v", x.dtype)
	}
	xd := x.Detach()
	if xd.dtype == Float16 {
		return castTo(xd, Float32)
	}
	return xd.Contiguous()
}

// nnfData returns the elements of a contiguous tensor as its storage slice
// type.
func nnfData(t *Tensor) any { return sliceData(t.st.data, t.offset, t.offset+t.Numel()) }

// nnfKernel adapts a pair of instantiations of a generic kernel taking
// (dst, src) slices into a function of the storage slices.
func nnfKernel(f32 func(dst, src []float32), f64 func(dst, src []float64)) func(dst, src any) {
	return func(dst, src any) {
		switch d := dst.(type) {
		case []float32:
			f32(d, src.([]float32))
		case []float64:
			f64(d, src.([]float64))
		default:
			panic("tensor: nnf kernel on a non-float buffer")
		}
	}
}

// nnfLinear is a linear map between float tensors given by two kernels, the
// map and its adjoint (transpose). Each direction records the other as its
// backward, so gradients of any order flow through pools, resizes and
// embedding lookups.
type nnfLinear struct {
	op, adjOp string
	in, out   []int
	fwd, adj  func(dst, src any) // dst is zeroed and contiguous
}

// nnfRun applies the kernel k to x, giving a tensor of shape, and records
// back as its backward.
func nnfRun(op string, x *Tensor, shape []int, k func(dst, src any), back func(*Tensor) *Tensor) *Tensor {
	xc := nnfFloatInput(op, x)
	out := newTensor(xc.dtype, shape)
	k(nnfData(out), nnfData(xc))
	out = castTo(out, x.dtype)
	return record(op, out, []*Tensor{x}, func(g *Tensor) []*Tensor { return []*Tensor{back(g)} })
}

// apply maps x (of shape in) to a tensor of shape out.
func (l *nnfLinear) apply(x *Tensor) *Tensor { return nnfRun(l.op, x, l.out, l.fwd, l.applyAdj) }

// applyAdj maps g (of shape out) to a tensor of shape in.
func (l *nnfLinear) applyAdj(g *Tensor) *Tensor { return nnfRun(l.adjOp, g, l.in, l.adj, l.apply) }

// nnfPoolInput checks that x is a non-empty 3-D or 4-D (batched) input and
// returns its number of planes, height and width.
func nnfPoolInput(op string, x *Tensor) (planes, h, w int) {
	nd := len(x.shape)
	if nd != 3 && nd != 4 {
		panicf(op, "expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape %v", x.shape)
	}
	for _, d := range x.shape[nd-3:] {
		if d == 0 {
			panicf(op, "expected non-empty channel and spatial dimensions, got shape %v", x.shape)
		}
	}
	if !x.dtype.IsFloat() {
		panicf(op, "expected a floating-point input, got %v", x.dtype)
	}
	return cpu.Numel(x.shape[:nd-2]), x.shape[nd-2], x.shape[nd-1]
}

// nnfPoolGeom checks a pool's options against x and computes the output
// size.
func nnfPoolGeom(op string, x *Tensor, o nnfPoolOpts) cpu.Pool2d {
	_, h, w := nnfPoolInput(op, x)
	k, s, p, d := o.k, o.s, o.p, o.d
	if p[0] > k[0]/2 || p[1] > k[1]/2 {
		lo := 2 - o.nd
		panicf(op, "pad should be at most half of kernel size, but got Padding %v and KernelSize %v", p[lo:], k[lo:])
	}
	g := cpu.Pool2d{H: h, W: w, KH: k[0], KW: k[1], SH: s[0], SW: s[1], PH: p[0], PW: p[1], DH: d[0], DW: d[1]}
	g.OH = cpu.PoolOutSize(h, k[0], s[0], p[0], d[0], o.ceil)
	g.OW = cpu.PoolOutSize(w, k[1], s[1], p[1], d[1], o.ceil)
	if g.OH < 1 || g.OW < 1 {
		panicf(op, "input of shape %v gives output size %dx%d, which is too small", x.shape, g.OH, g.OW)
	}
	return g
}

// nnfOutShape is x's shape with the last two dimensions replaced.
func nnfOutShape(x *Tensor, oh, ow int) []int {
	s := slices.Clone(x.shape)
	s[len(s)-2], s[len(s)-1] = oh, ow
	return s
}

// MaxPool2d applies 2-D max pooling to x ([N, C, H, W] or unbatched
// [C, H, W]), as F.max_pool2d. The gradient flows to the position of each
// window's maximum (the first one, in row-major order, on ties; NaN wins).
func MaxPool2d(x *Tensor, o MaxPool2dOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceMaxPool2d(x, o)
	}
	const op = "max_pool2d"
	v, _ := nnfMaxPool(op, x, nnfPool2dOpts(op, o.KernelSize, o.Stride, o.Padding, o.Dilation, o.CeilMode), false)
	return v
}

// MaxPool2dWithIndices is MaxPool2d that also returns, as int64, the
// position h*W+w within its input plane of each maximum, as
// F.max_pool2d(..., return_indices=True).
func MaxPool2dWithIndices(x *Tensor, o MaxPool2dOptions) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceMaxPool2dWithIndices(x, o)
	}
	const op = "max_pool2d"
	return nnfMaxPool(op, x, nnfPool2dOpts(op, o.KernelSize, o.Stride, o.Padding, o.Dilation, o.CeilMode), true)
}

// nnfMaxPool runs max pooling. The indices are computed only when the
// caller wants them (wantIdx) or autograd will need them for the backward
// pass; otherwise the second result is nil.
func nnfMaxPool(op string, x *Tensor, o nnfPoolOpts, wantIdx bool) (*Tensor, *Tensor) {
	g := nnfPoolGeom(op, x, o)
	planes := cpu.Numel(x.shape[:len(x.shape)-2])
	shape := nnfOutShape(x, g.OH, g.OW)
	xc := nnfFloatInput(op, x)
	out := newTensor(xc.dtype, shape)
	var idx *Tensor
	var id []int64
	needGrad := GradEnabled() && x.requiresGrad
	if wantIdx || needGrad {
		idx = newTensor(Int64, shape)
		id = idx.st.data.([]int64)
	}
	switch d := nnfData(out).(type) {
	case []float32:
		cpu.MaxPool2d(d, id, nnfData(xc).([]float32), planes, g)
	case []float64:
		cpu.MaxPool2d(d, id, nnfData(xc).([]float64), planes, g)
	}
	out = castTo(out, x.dtype)
	if !needGrad {
		return out, idx
	}
	return nnfRecordArgmax(op, x, out, idx, planes, g.H*g.W, wantIdx), idx
}

// nnfRecordArgmax records out, a selection of x's elements at the plane
// positions idx, so that the gradient scatters back to those positions.
// shared says that idx goes back to the caller, who may write to it: the
// backward pass then keeps its own copy.
func nnfRecordArgmax(op string, x, out, idx *Tensor, planes, inSize int, shared bool) *Tensor {
	outSize := 0
	if planes > 0 {
		outSize = out.Numel() / planes
	}
	id := idx.st.data.([]int64)
	if shared {
		id = slices.Clone(id)
	}
	l := &nnfLinear{
		op: op + "_backward", adjOp: op + "_gather", in: out.shape, out: x.shape,
		fwd: nnfKernel(func(d, s []float32) { cpu.ScatterAddPlanes(d, inSize, s, id, outSize, planes) },
			func(d, s []float64) { cpu.ScatterAddPlanes(d, inSize, s, id, outSize, planes) }),
		adj: nnfKernel(func(d, s []float32) { cpu.GatherPlanes(d, outSize, s, id, inSize, planes) },
			func(d, s []float64) { cpu.GatherPlanes(d, outSize, s, id, inSize, planes) }),
	}
	return record(op, out, []*Tensor{x}, func(g *Tensor) []*Tensor { return []*Tensor{l.apply(g)} })
}

// AvgPool2d applies 2-D average pooling to x ([N, C, H, W] or [C, H, W]),
// as F.avg_pool2d.
func AvgPool2d(x *Tensor, o AvgPool2dOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceAvgPool2d(x, o)
	}
	const op = "avg_pool2d"
	div := apiDim(op, "DivisorOverride", o.DivisorOverride, 1, 0)
	return nnfAvgPool(op, x, nnfPool2dOpts(op, o.KernelSize, o.Stride, o.Padding, nil, o.CeilMode), o.ExcludePad, div)
}

// nnfAvgPool runs average pooling; div is the divisor override (0: none).
func nnfAvgPool(op string, x *Tensor, o nnfPoolOpts, excludePad bool, div int) *Tensor {
	g := nnfPoolGeom(op, x, o)
	planes := cpu.Numel(x.shape[:len(x.shape)-2])
	cip := !excludePad
	l := &nnfLinear{
		op: op, adjOp: op + "_backward", in: x.shape, out: nnfOutShape(x, g.OH, g.OW),
		fwd: nnfKernel(func(d, s []float32) { cpu.AvgPool2d(d, s, planes, g, cip, div) },
			func(d, s []float64) { cpu.AvgPool2d(d, s, planes, g, cip, div) }),
		adj: nnfKernel(func(d, s []float32) { cpu.AvgPool2dBackward(d, s, planes, g, cip, div) },
			func(d, s []float64) { cpu.AvgPool2dBackward(d, s, planes, g, cip, div) }),
	}
	return l.apply(x)
}

// nnfAdaptiveSize resolves an adaptive pool's output size (negative keeps
// the input's size, as Python's None).
func nnfAdaptiveSize(op string, x *Tensor, oh, ow int) (planes, h, w, outH, outW int) {
	planes, h, w = nnfPoolInput(op, x)
	if oh < 0 {
		oh = h
	}
	if ow < 0 {
		ow = w
	}
	if oh == 0 || ow == 0 {
		panicf(op, "output size must be positive, got %dx%d", oh, ow)
	}
	return planes, h, w, oh, ow
}

// AdaptiveAvgPool2d averages x ([N, C, H, W] or [C, H, W]) down (or up) to
// outH×outW with PyTorch's adaptive windows: output i covers input
// [floor(i*in/out), ceil((i+1)*in/out)). A negative size keeps that input
// dimension (Python's None).
func AdaptiveAvgPool2d(x *Tensor, outH, outW int) *Tensor {
	if tracing.Load() && outermost() {
		return traceAdaptiveAvgPool2d(x, outH, outW)
	}
	return nnfAdaptiveAvg("adaptive_avg_pool2d", x, outH, outW)
}

func nnfAdaptiveAvg(op string, x *Tensor, outH, outW int) *Tensor {
	planes, h, w, oh, ow := nnfAdaptiveSize(op, x, outH, outW)
	l := &nnfLinear{
		op: op, adjOp: op + "_backward", in: x.shape, out: nnfOutShape(x, oh, ow),
		fwd: nnfKernel(func(d, s []float32) { cpu.AdaptiveAvgPool2d(d, s, planes, h, w, oh, ow) },
			func(d, s []float64) { cpu.AdaptiveAvgPool2d(d, s, planes, h, w, oh, ow) }),
		adj: nnfKernel(func(d, s []float32) { cpu.AdaptiveAvgPool2dBackward(d, s, planes, h, w, oh, ow) },
			func(d, s []float64) { cpu.AdaptiveAvgPool2dBackward(d, s, planes, h, w, oh, ow) }),
	}
	return l.apply(x)
}

// AdaptiveMaxPool2d takes the maximum of PyTorch's adaptive windows (see
// AdaptiveAvgPool2d) and returns it with the int64 position h*W+w of each
// maximum in its input plane, as F.adaptive_max_pool2d(...,
// return_indices=True).
func AdaptiveMaxPool2d(x *Tensor, outH, outW int) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceAdaptiveMaxPool2d(x, outH, outW)
	}
	return nnfAdaptiveMax("adaptive_max_pool2d", x, outH, outW)
}

func nnfAdaptiveMax(op string, x *Tensor, outH, outW int) (*Tensor, *Tensor) {
	planes, h, w, oh, ow := nnfAdaptiveSize(op, x, outH, outW)
	shape := nnfOutShape(x, oh, ow)
	xc := nnfFloatInput(op, x)
	out := newTensor(xc.dtype, shape)
	idx := newTensor(Int64, shape)
	id := idx.st.data.([]int64)
	switch d := nnfData(out).(type) {
	case []float32:
		cpu.AdaptiveMaxPool2d(d, id, nnfData(xc).([]float32), planes, h, w, oh, ow)
	case []float64:
		cpu.AdaptiveMaxPool2d(d, id, nnfData(xc).([]float64), planes, h, w, oh, ow)
	}
	return nnfRecordArgmax(op, x, castTo(out, x.dtype), idx, planes, h*w, true), idx
}

// nnfAs2d views a [N, C, L] or [C, L] input of a 1-D pool as [.., 1, L].
func nnfAs2d(op string, x *Tensor) *Tensor {
	if len(x.shape) != 2 && len(x.shape) != 3 {
		panicf(op, "expected a 2-D [C, L] or 3-D [N, C, L] input, got shape %v", x.shape)
	}
	return x.Unsqueeze(-2)
}

// MaxPool1d applies 1-D max pooling to x ([N, C, L] or [C, L]), as
// F.max_pool1d.
func MaxPool1d(x *Tensor, o MaxPool1dOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceMaxPool1d(x, o)
	}
	const op = "max_pool1d"
	v, _ := nnfMaxPool(op, nnfAs2d(op, x), nnfPool1dOpts(op, o.KernelSize, o.Stride, o.Padding, o.Dilation, o.CeilMode), false)
	return v.Squeeze(-2)
}

// MaxPool1dWithIndices is MaxPool1d that also returns the int64 position
// of each maximum along L.
func MaxPool1dWithIndices(x *Tensor, o MaxPool1dOptions) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceMaxPool1dWithIndices(x, o)
	}
	const op = "max_pool1d"
	v, i := nnfMaxPool(op, nnfAs2d(op, x), nnfPool1dOpts(op, o.KernelSize, o.Stride, o.Padding, o.Dilation, o.CeilMode), true)
	return v.Squeeze(-2), i.Squeeze(-2)
}

// AvgPool1d applies 1-D average pooling to x ([N, C, L] or [C, L]), as
// F.avg_pool1d.
func AvgPool1d(x *Tensor, o AvgPool1dOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceAvgPool1d(x, o)
	}
	const op = "avg_pool1d"
	return nnfAvgPool(op, nnfAs2d(op, x), nnfPool1dOpts(op, o.KernelSize, o.Stride, o.Padding, 0, o.CeilMode), o.ExcludePad, 0).Squeeze(-2)
}

// AdaptiveAvgPool1d is AdaptiveAvgPool2d along the last dimension of a
// [N, C, L] or [C, L] input.
func AdaptiveAvgPool1d(x *Tensor, outL int) *Tensor {
	if tracing.Load() && outermost() {
		return traceAdaptiveAvgPool1d(x, outL)
	}
	if outL < 0 {
		panicf("adaptive_avg_pool1d", "output size must be positive, got %d", outL)
	}
	return nnfAdaptiveAvg("adaptive_avg_pool1d", nnfAs2d("adaptive_avg_pool1d", x), 1, outL).Squeeze(-2)
}

// AdaptiveMaxPool1d is AdaptiveMaxPool2d along the last dimension of a
// [N, C, L] or [C, L] input.
func AdaptiveMaxPool1d(x *Tensor, outL int) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceAdaptiveMaxPool1d(x, outL)
	}
	if outL < 0 {
		panicf("adaptive_max_pool1d", "output size must be positive, got %d", outL)
	}
	v, i := nnfAdaptiveMax("adaptive_max_pool1d", nnfAs2d("adaptive_max_pool1d", x), 1, outL)
	return v.Squeeze(-2), i.Squeeze(-2)
}
