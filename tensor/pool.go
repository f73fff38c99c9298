package tensor

import (
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// MaxPool2dOptions configure MaxPool2d, as the arguments of PyTorch's
// F.max_pool2d. Pairs are (height, width).
type MaxPool2dOptions struct {
	KernelSize [2]int
	Stride     [2]int // zero means the kernel size
	Padding    [2]int // implicit -inf padding on both sides, at most half the kernel
	Dilation   [2]int // zero means 1
	CeilMode   bool   // round the output size up instead of down
}

// AvgPool2dOptions configure AvgPool2d, as F.avg_pool2d. Pairs are
// (height, width).
type AvgPool2dOptions struct {
	KernelSize [2]int
	Stride     [2]int // zero means the kernel size
	Padding    [2]int // implicit zero padding on both sides, at most half the kernel
	CeilMode   bool
	// ExcludePad leaves the padded positions out of the divisor. PyTorch's
	// count_include_pad (default true) is its negation, so the zero value
	// matches PyTorch's default.
	ExcludePad bool
	// DivisorOverride, when non-zero, divides every window sum instead of
	// the window's size.
	DivisorOverride int
}

// MaxPool1dOptions configure MaxPool1d, as F.max_pool1d.
type MaxPool1dOptions struct {
	KernelSize int
	Stride     int // zero means the kernel size
	Padding    int
	Dilation   int // zero means 1
	CeilMode   bool
}

// AvgPool1dOptions configure AvgPool1d, as F.avg_pool1d.
type AvgPool1dOptions struct {
	KernelSize int
	Stride     int // zero means the kernel size
	Padding    int
	CeilMode   bool
	ExcludePad bool // the negation of PyTorch's count_include_pad
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

// nnfPoolGeom validates pooling options and computes the output size.
func nnfPoolGeom(op string, x *Tensor, k, s, p, d [2]int, ceil bool) cpu.Pool2d {
	_, h, w := nnfPoolInput(op, x)
	if s == [2]int{} {
		s = k
	}
	if d == [2]int{} {
		d = [2]int{1, 1}
	}
	if k[0] <= 0 || k[1] <= 0 {
		panicf(op, "kernel size should be greater than zero, got %v", k)
	}
	if s[0] <= 0 || s[1] <= 0 {
		panicf(op, "stride should be greater than zero, got %v", s)
	}
	if d[0] <= 0 || d[1] <= 0 {
		panicf(op, "dilation should be greater than zero, got %v", d)
	}
	if p[0] < 0 || p[1] < 0 || p[0] > k[0]/2 || p[1] > k[1]/2 {
		panicf(op, "pad should be at most half of kernel size, but got padding %v and kernel size %v", p, k)
	}
	g := cpu.Pool2d{H: h, W: w, KH: k[0], KW: k[1], SH: s[0], SW: s[1], PH: p[0], PW: p[1], DH: d[0], DW: d[1]}
	g.OH = cpu.PoolOutSize(h, k[0], s[0], p[0], d[0], ceil)
	g.OW = cpu.PoolOutSize(w, k[1], s[1], p[1], d[1], ceil)
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
	v, _ := nnfMaxPool("max_pool2d", x, o)
	return v
}

// MaxPool2dWithIndices is MaxPool2d that also returns, as int64, the
// position h*W+w within its input plane of each maximum, as
// F.max_pool2d(..., return_indices=True).
func MaxPool2dWithIndices(x *Tensor, o MaxPool2dOptions) (values, indices *Tensor) {
	return nnfMaxPool("max_pool2d", x, o)
}

func nnfMaxPool(op string, x *Tensor, o MaxPool2dOptions) (*Tensor, *Tensor) {
	g := nnfPoolGeom(op, x, o.KernelSize, o.Stride, o.Padding, o.Dilation, o.CeilMode)
	planes := cpu.Numel(x.shape[:len(x.shape)-2])
	shape := nnfOutShape(x, g.OH, g.OW)
	xc := nnfFloatInput(op, x)
	out := newTensor(xc.dtype, shape)
	idx := newTensor(Int64, shape)
	id := idx.st.data.([]int64)
	switch d := nnfData(out).(type) {
	case []float32:
		cpu.MaxPool2d(d, id, nnfData(xc).([]float32), planes, g)
	case []float64:
		cpu.MaxPool2d(d, id, nnfData(xc).([]float64), planes, g)
	}
	return nnfRecordArgmax(op, x, castTo(out, x.dtype), idx, planes, g.H*g.W), idx
}

// nnfRecordArgmax records out, a selection of x's elements at the plane
// positions idx, so that the gradient scatters back to those positions.
func nnfRecordArgmax(op string, x, out, idx *Tensor, planes, inSize int) *Tensor {
	outSize := 0
	if planes > 0 {
		outSize = out.Numel() / planes
	}
	id := slices.Clone(idx.st.data.([]int64)) // the caller may write to idx
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
	return nnfAvgPool("avg_pool2d", x, o)
}

func nnfAvgPool(op string, x *Tensor, o AvgPool2dOptions) *Tensor {
	g := nnfPoolGeom(op, x, o.KernelSize, o.Stride, o.Padding, [2]int{1, 1}, o.CeilMode)
	if o.DivisorOverride < 0 {
		panicf(op, "divisor must be positive, got %d", o.DivisorOverride)
	}
	planes := cpu.Numel(x.shape[:len(x.shape)-2])
	cip, div := !o.ExcludePad, o.DivisorOverride
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
	return nnfRecordArgmax(op, x, castTo(out, x.dtype), idx, planes, h*w), idx
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
	v, _ := MaxPool1dWithIndices(x, o)
	return v
}

// MaxPool1dWithIndices is MaxPool1d that also returns the int64 position
// of each maximum along L.
func MaxPool1dWithIndices(x *Tensor, o MaxPool1dOptions) (values, indices *Tensor) {
	v, i := nnfMaxPool("max_pool1d", nnfAs2d("max_pool1d", x), MaxPool2dOptions{
		KernelSize: [2]int{1, o.KernelSize}, Stride: [2]int{1, nnfOr(o.Stride, o.KernelSize)},
		Padding: [2]int{0, o.Padding}, Dilation: [2]int{1, nnfOr(o.Dilation, 1)}, CeilMode: o.CeilMode,
	})
	return v.Squeeze(-2), i.Squeeze(-2)
}

// AvgPool1d applies 1-D average pooling to x ([N, C, L] or [C, L]), as
// F.avg_pool1d.
func AvgPool1d(x *Tensor, o AvgPool1dOptions) *Tensor {
	return nnfAvgPool("avg_pool1d", nnfAs2d("avg_pool1d", x), AvgPool2dOptions{
		KernelSize: [2]int{1, o.KernelSize}, Stride: [2]int{1, nnfOr(o.Stride, o.KernelSize)},
		Padding: [2]int{0, o.Padding}, CeilMode: o.CeilMode, ExcludePad: o.ExcludePad,
	}).Squeeze(-2)
}

// AdaptiveAvgPool1d is AdaptiveAvgPool2d along the last dimension of a
// [N, C, L] or [C, L] input.
func AdaptiveAvgPool1d(x *Tensor, outL int) *Tensor {
	if outL < 0 {
		panicf("adaptive_avg_pool1d", "output size must be positive, got %d", outL)
	}
	return nnfAdaptiveAvg("adaptive_avg_pool1d", nnfAs2d("adaptive_avg_pool1d", x), 1, outL).Squeeze(-2)
}

// AdaptiveMaxPool1d is AdaptiveMaxPool2d along the last dimension of a
// [N, C, L] or [C, L] input.
func AdaptiveMaxPool1d(x *Tensor, outL int) (values, indices *Tensor) {
	if outL < 0 {
		panicf("adaptive_max_pool1d", "output size must be positive, got %d", outL)
	}
	v, i := nnfAdaptiveMax("adaptive_max_pool1d", nnfAs2d("adaptive_max_pool1d", x), 1, outL)
	return v.Squeeze(-2), i.Squeeze(-2)
}

// nnfOr returns v, or def when v is zero.
func nnfOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
