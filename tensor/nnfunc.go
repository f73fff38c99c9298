package tensor

import (
	"math"
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// Dropout zeroes each element of x with probability p and scales the others
// by 1/(1-p), as F.dropout, drawing the mask from gen (nil means the default
// generator). When training is false or p is 0 it returns x itself; p = 1
// multiplies x by zero. The gradient is masked and scaled the same way.
func Dropout(x *Tensor, p float64, training bool, gen *Generator) *Tensor {
	if tracing.Load() && outermost() {
		return traceDropout(x, p, training, gen)
	}
	return nnfDropout("dropout", x, p, training, gen, x.shape)
}

// Dropout2d zeroes whole channels of x ([N, C, H, W], or unbatched
// [C, H, W]) with probability p and scales the others by 1/(1-p), as
// F.dropout2d. (PyTorch 1.13 reads a 3-D input as [N, C, L] with a
// deprecation warning; Ember reads it as [C, H, W], as later releases do.)
func Dropout2d(x *Tensor, p float64, training bool, gen *Generator) *Tensor {
	if tracing.Load() && outermost() {
		return traceDropout2d(x, p, training, gen)
	}
	const op = "dropout2d"
	nd := len(x.shape)
	if nd != 3 && nd != 4 {
		panicf(op, "expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape %v", x.shape)
	}
	mask := slices.Clone(x.shape)
	mask[nd-1], mask[nd-2] = 1, 1
	return nnfDropout(op, x, p, training, gen, mask)
}

// nnfDropout applies dropout with a mask of maskShape (broadcast to x).
func nnfDropout(op string, x *Tensor, p float64, training bool, gen *Generator, maskShape []int) *Tensor {
	if math.IsNaN(p) || p < 0 || p > 1 {
		panicf(op, "dropout probability has to be between 0 and 1, but got %v", p)
	}
	if !x.dtype.IsFloat() {
		panicf(op, "expected a floating-point input, got %v", x.dtype)
	}
	if !training || p == 0 || x.Numel() == 0 {
		return x
	}
	if gen == nil {
		gen = defaultGen
	}
	var mask *Tensor
	if p == 1 {
		mask = newTensor(x.dtype, maskShape)
	} else {
		mask = castTo(gen.Bernoulli(1-p, maskShape...), x.dtype).MulScalar(1 / (1 - p))
	}
	out := binary(op, mulFns, x, mask)
	return record(op, out, []*Tensor{x}, func(g *Tensor) []*Tensor { return []*Tensor{g.Mul(mask)} })
}

// Embedding looks up rows of weight ([num, dim]) by indices (int64 or
// int32, any shape) and returns a tensor of shape indices.shape + [dim], as
// F.embedding. The gradient with respect to weight adds up the output
// gradient of every lookup of a row, except for row paddingIdx, which gets
// none. A negative paddingIdx means no padding row (PyTorch's negative
// padding_idx, counted from the end, is written num+padding_idx here). An
// index outside [0, num) panics.
func Embedding(indices, weight *Tensor, paddingIdx int) *Tensor {
	if tracing.Load() && outermost() {
		return traceEmbedding(indices, weight, paddingIdx)
	}
	validNotNil("embedding", "indices", indices)
	validNotNil("embedding", "weight", weight)
	const op = "embedding"
	if indices.dtype != Int64 && indices.dtype != Int32 {
		panicf(op, "indices must be int64 or int32, got %v", indices.dtype)
	}
	if len(weight.shape) != 2 || !weight.dtype.IsFloat() {
		panicf(op, "weight must be a 2-D floating-point tensor [num, dim], got %v %v", weight.dtype, weight.shape)
	}
	num, dim := weight.shape[0], weight.shape[1]
	if paddingIdx >= num {
		panicf(op, "padding_idx %d out of range for %d embeddings", paddingIdx, num)
	}
	idx := castTo(indices, Int64).Contiguous()
	id := slices.Clone(nnfData(idx).([]int64))
	for _, i := range id {
		if i < 0 || i >= int64(num) {
			panicf(op, "index %d out of range for weight of %d rows", i, num)
		}
	}
	shape := append(slices.Clone(indices.shape), dim)
	gather := func(pad int) func(d, s any) {
		return nnfKernel(func(d, s []float32) { nnfGatherRows(d, s, id, dim, pad) },
			func(d, s []float64) { nnfGatherRows(d, s, id, dim, pad) })
	}
	// The backward scatters into every row but the padding row; its adjoint
	// gathers with the padding row read as zero.
	back := &nnfLinear{
		op: op + "_backward", adjOp: op + "_gather", in: shape, out: weight.shape,
		fwd: nnfKernel(func(d, s []float32) { nnfScatterRows(d, s, id, dim, paddingIdx) },
			func(d, s []float64) { nnfScatterRows(d, s, id, dim, paddingIdx) }),
		adj: gather(paddingIdx),
	}
	return nnfRun(op, weight, shape, gather(-1), back.apply)
}

// nnfGatherRows copies row id[k] of src into row k of dst (rows of dim
// elements); the row pad (if not negative) reads as zeros.
func nnfGatherRows[T cpu.Float](dst, src []T, id []int64, dim, pad int) {
	for k, i := range id {
		if int(i) == pad {
			clear(dst[k*dim : (k+1)*dim])
			continue
		}
		copy(dst[k*dim:(k+1)*dim], src[int(i)*dim:(int(i)+1)*dim])
	}
}

// nnfScatterRows adds row k of src into row id[k] of dst, skipping the row
// pad.
func nnfScatterRows[T cpu.Float](dst, src []T, id []int64, dim, pad int) {
	for k, i := range id {
		if int(i) == pad {
			continue
		}
		d, s := dst[int(i)*dim:(int(i)+1)*dim], src[k*dim:(k+1)*dim]
		for j, v := range s {
			d[j] += v
		}
	}
}

// InterpolateOptions configure Interpolate, as the arguments of PyTorch's
// F.interpolate. Size and ScaleFactor are PyTorch's "int or tuple" and
// "float or tuple": one value, used for both spatial dimensions, or two
// ([height, width]); nil or empty means not given (PyTorch's None).
// Exactly one of them must be set.
type InterpolateOptions struct {
	// Size is the output's spatial size; every value must be positive.
	// Default (nil): not given, as PyTorch's size=None.
	Size []int
	// ScaleFactor multiplies the input's spatial size (the output size is
	// floor(in*scale)); every value must be positive and finite. Default
	// (nil): not given, as PyTorch's scale_factor=None.
	ScaleFactor []float64
	// Mode is "nearest" or "bilinear". Default (""): "nearest", as
	// PyTorch's mode='nearest'.
	Mode string
	// AlignCorners aligns the corner pixels of input and output instead of
	// their edges; bilinear only. Default (false): as PyTorch's
	// align_corners=None, which means False.
	AlignCorners bool
	// RecomputeScaleFactor computes the source positions from the output
	// size derived from ScaleFactor rather than from ScaleFactor itself;
	// it needs ScaleFactor. Default (false): as PyTorch's recompute_scale_factor=None, which
	// means False.
	RecomputeScaleFactor bool
}

// Interpolate resizes the spatial dimensions of x ([N, C, H, W]), as
// F.interpolate with mode "nearest" or "bilinear" in PyTorch 1.13. With a
// scale factor the output size is floor(in*scale) and, unless
// RecomputeScaleFactor is set, source positions are computed from 1/scale;
// with a size they use in/out. Source positions and weights follow
// PyTorch's contiguous (channels-first) kernels bit for bit (see
// cpu.NearestIndices and cpu.LinearWeights). Two PyTorch quirks are not
// copied: its channels-last kernel, which it also uses for one-channel
// inputs, and its nearest backward both copy when out == in and read i/2
// when out == 2*in even when the scale factor says otherwise; Ember's
// gradient is always that of its forward.
func Interpolate(x *Tensor, o InterpolateOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceInterpolate(x, o)
	}
	const op = "interpolate"
	if len(x.shape) != 4 {
		panicf(op, "expected a 4-D input [N, C, H, W], got shape %v", x.shape)
	}
	if !x.dtype.IsFloat() {
		panicf(op, "expected a floating-point input, got %v", x.dtype)
	}
	mode := o.Mode
	if mode == "" {
		mode = "nearest"
	}
	if mode != "nearest" && mode != "bilinear" {
		panicf(op, "unsupported mode %q (want nearest or bilinear)", o.Mode)
	}
	if o.AlignCorners && mode == "nearest" {
		panicf(op, "align_corners option can only be set with the interpolating modes (bilinear)")
	}
	hasSize, hasScale := len(o.Size) != 0, len(o.ScaleFactor) != 0
	if hasSize == hasScale {
		panicf(op, "exactly one of Size or ScaleFactor should be set (size or scale_factor in PyTorch), got Size %v and ScaleFactor %v", o.Size, o.ScaleFactor)
	}
	planes, h, w := x.shape[0]*x.shape[1], x.shape[2], x.shape[3]
	var oh, ow int
	var sh, sw float64 // scale factors passed to the kernels; 0 means from the sizes
	if hasSize {
		if o.RecomputeScaleFactor {
			panicf(op, "RecomputeScaleFactor is not meaningful with an explicit Size")
		}
		size := apiDims(op, "Size", o.Size, 2, 1)
		oh, ow = size[0], size[1]
	} else {
		scale := apiScales(op, "ScaleFactor", o.ScaleFactor, 2)
		sh, sw = scale[0], scale[1]
		oh, ow = int(math.Floor(float64(h)*sh)), int(math.Floor(float64(w)*sw))
		if o.RecomputeScaleFactor {
			sh, sw = 0, 0
		}
	}
	if h <= 0 || w <= 0 || oh <= 0 || ow <= 0 {
		panicf(op, "input and output sizes should be greater than 0, but got input (H: %d, W: %d) output (H: %d, W: %d)", h, w, oh, ow)
	}
	l := &nnfLinear{in: x.shape, out: []int{x.shape[0], x.shape[1], oh, ow}}
	if mode == "nearest" {
		hi32, wi32 := cpu.NearestIndices[float32](h, oh, sh), cpu.NearestIndices[float32](w, ow, sw)
		hi64, wi64 := cpu.NearestIndices[float64](h, oh, sh), cpu.NearestIndices[float64](w, ow, sw)
		l.op, l.adjOp = "upsample_nearest2d", "upsample_nearest2d_backward"
		l.fwd = nnfKernel(func(d, s []float32) { cpu.UpsampleNearest2d(d, s, planes, h, w, hi32, wi32) },
			func(d, s []float64) { cpu.UpsampleNearest2d(d, s, planes, h, w, hi64, wi64) })
		l.adj = nnfKernel(func(d, s []float32) { cpu.UpsampleNearest2dBackward(d, s, planes, h, w, hi32, wi32) },
			func(d, s []float64) { cpu.UpsampleNearest2dBackward(d, s, planes, h, w, hi64, wi64) })
		return l.apply(x)
	}
	ac := o.AlignCorners
	h32, w32 := cpu.LinearWeights[float32](h, oh, ac, sh), cpu.LinearWeights[float32](w, ow, ac, sw)
	h64, w64 := cpu.LinearWeights[float64](h, oh, ac, sh), cpu.LinearWeights[float64](w, ow, ac, sw)
	l.op, l.adjOp = "upsample_bilinear2d", "upsample_bilinear2d_backward"
	l.fwd = nnfKernel(func(d, s []float32) { cpu.UpsampleBilinear2d(d, s, planes, h, w, h32, w32) },
		func(d, s []float64) { cpu.UpsampleBilinear2d(d, s, planes, h, w, h64, w64) })
	l.adj = nnfKernel(func(d, s []float32) { cpu.UpsampleBilinear2dBackward(d, s, planes, h, w, h32, w32) },
		func(d, s []float64) { cpu.UpsampleBilinear2dBackward(d, s, planes, h, w, h64, w64) })
	return l.apply(x)
}

// Upsample is Interpolate under the name of torch.nn.Upsample (and the
// deprecated F.upsample): it resizes x by Size or ScaleFactor with
// "nearest" or "bilinear" sampling.
func Upsample(x *Tensor, opts InterpolateOptions) *Tensor {
	if tracing.Load() && outermost() {
		return traceUpsample(x, opts)
	}
	return Interpolate(x, opts)
}
