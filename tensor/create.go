package tensor

import (
	"github.com/emberml/ember/accel/cpu"
	"math"
)

// FromSlice returns a tensor holding a copy of data with the given shape (a
// 1-D tensor of len(data) elements when no shape is given). The dtype
// follows the Go element type.
func FromSlice[T Elem](data []T, shape ...int) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	validShape("from_slice", shape)
	t := newTensor(dtypeOf[T](), shape)
	if t.Numel() != len(data) {
		panicf("from_slice", "%d values cannot fill shape %v (%d elements)", len(data), shape, t.Numel())
	}
	copy(t.st.data.([]T), data)
	return t
}

// Scalar returns a 0-dimensional tensor of the default dtype holding v.
func Scalar(v float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceScalar(v)
	}
	return Full(v)
}

// Empty returns a tensor of dtype dt and the given shape. Unlike PyTorch's
// empty, its elements are zero.
func Empty(dt DType, shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceEmpty(dt, shape)
	}
	validShape("empty", shape)
	return newTensor(dt, shape)
}

// Zeros returns a tensor of zeros of the default dtype.
func Zeros(shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceZeros(shape)
	}
	validShape("zeros", shape)
	return newTensor(DefaultDType(), shape)
}

// Ones returns a tensor of ones of the default dtype.
func Ones(shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceOnes(shape)
	}
	validShape("ones", shape)
	return Full(1, shape...)
}

// Full returns a tensor of the default dtype filled with v.
func Full(v float64, shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceFull(v, shape)
	}
	validShape("full", shape)
	return newTensor(DefaultDType(), shape).Fill_(v)
}

// ZerosLike returns zeros with the shape and dtype of t.
func ZerosLike(t *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceZerosLike(t)
	}
	return newTensor(t.dtype, t.shape)
}

// OnesLike returns ones with the shape and dtype of t.
func OnesLike(t *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceOnesLike(t)
	}
	return newTensor(t.dtype, t.shape).Fill_(1)
}

// FullLike returns a tensor with the shape and dtype of t filled with v.
func FullLike(t *Tensor, v float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceFullLike(t, v)
	}
	return newTensor(t.dtype, t.shape).Fill_(v)
}

// Fill_ sets every element of t to v in place and returns t.
func (t *Tensor) Fill_(v float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceFill_(t, v)
	}
	ewCheckFits("fill_", t.dtype, v)
	checkInPlace("fill_", t)
	src := newTensor(t.dtype, nil)
	setF64(src.st.data, 0, v)
	zero := make([]int, len(t.shape))
	copyData(t.shape, t.st.data, t.view(), src.st.data, src.viewAs(zero))
	return t
}

func (t *Tensor) viewAs(strides []int) cpu.View { return cpu.View{Offset: t.offset, Strides: strides} }

// Arange returns the default-dtype values start, start+step, ... below end
// (above end for a negative step), like torch.arange with float arguments:
// the length is ceil((end-start)/step) computed in float64, and element i is
// start + i*step computed with one rounding in float64 (a fused
// multiply-add, as PyTorch's scalar CPU kernel) and then rounded to the
// dtype. PyTorch's AVX2 kernel computes blocks of 16 float32 (8 float64)
// elements as base + k*step instead, so long ranges can differ from it in
// the last bit.
func Arange(start, end, step float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceArange(start, end, step)
	}
	if step == 0 || math.IsNaN(step) {
		panicf("arange", "step must be nonzero, got %v", step)
	}
	if math.IsNaN(start) || math.IsInf(start, 0) || math.IsNaN(end) || math.IsInf(end, 0) {
		panicf("arange", "unsupported range: %v -> %v", start, end)
	}
	if (step > 0 && end < start) || (step < 0 && end > start) {
		panicf("arange", "upper bound %v and step %v are inconsistent with start %v", end, step, start)
	}
	nf := math.Ceil((end - start) / step)
	if nf >= 1<<62 {
		panicf("arange", "invalid size %v for start %v, end %v and step %v", nf, start, end, step)
	}
	n := int(nf)
	t := newTensor(DefaultDType(), []int{n})
	for i := range n {
		setF64(t.st.data, i, math.FMA(float64(i), step, start))
	}
	return t
}

// ArangeInt returns the int64 values start, start+step, ... below end, like
// torch.arange with integer arguments.
func ArangeInt(start, end, step int) *Tensor {
	if tracing.Load() && outermost() {
		return traceArangeInt(start, end, step)
	}
	if step == 0 {
		panicf("arange", "step must be nonzero")
	}
	if (step > 0 && end < start) || (step < 0 && end > start) {
		panicf("arange", "upper bound %d and step %d are inconsistent with start %d", end, step, start)
	}
	var n int
	if step > 0 {
		n = (end - start + step - 1) / step
	} else {
		n = (start - end - step - 1) / -step
	}
	t := newTensor(Int64, []int{n})
	d := t.st.data.([]int64)
	for i := range n {
		d[i] = int64(start + i*step)
	}
	return t
}

// Linspace returns steps values evenly spaced from start to end inclusive,
// like torch.linspace: in the dtype's arithmetic, step = (end-start)/(steps-1),
// the first half of the elements is start + i*step and the second half
// end - (steps-1-i)*step, each with one rounding (a fused multiply-add, as
// PyTorch's CPU kernel is compiled).
func Linspace(start, end float64, steps int) *Tensor {
	if tracing.Load() && outermost() {
		return traceLinspace(start, end, steps)
	}
	if steps < 0 {
		panicf("linspace", "number of steps must be non-negative, got %d", steps)
	}
	t := newTensor(DefaultDType(), []int{steps})
	switch d := t.st.data.(type) {
	case []float32:
		linspaceFill(d, float32(start), float32(end), fma32)
	case []float64:
		linspaceFill(d, start, end, math.FMA)
	}
	return t
}

func linspaceFill[T float32 | float64](d []T, start, end T, fma func(x, y, z T) T) {
	n := len(d)
	if n == 1 {
		d[0] = start
		return
	}
	step := (end - start) / T(n-1)
	half := n / 2
	for i := range d {
		if i < half {
			d[i] = fma(step, T(i), start)
		} else {
			d[i] = fma(-step, T(n-1-i), end)
		}
	}
}

// fma32 returns x*y+z rounded once to float32.
func fma32(x, y, z float32) float32 {
	p := float64(x) * float64(y) // exact
	s := p + float64(z)
	r := float32(s)
	// s carries one float64 rounding; it can only change the float32 result
	// when s lies exactly halfway between two float32 values.
	var other float32
	switch {
	case float64(r) < s:
		other = math.Nextafter32(r, float32(math.Inf(1)))
	case float64(r) > s:
		other = math.Nextafter32(r, float32(math.Inf(-1)))
	default:
		return r
	}
	if (float64(r)+float64(other))/2 != s {
		return r
	}
	bb := s - p
	e := (p - (s - bb)) + (float64(z) - bb) // s + e == p + z exactly
	switch {
	case e > 0:
		return max(r, other)
	case e < 0:
		return min(r, other)
	}
	return r
}

// Eye returns the n×m identity matrix of the default dtype (m = n when
// omitted).
func Eye(n int, m ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceEye(n, m)
	}
	cols := n
	if len(m) > 0 {
		cols = m[0]
	}
	validShape("eye", []int{n, cols})
	t := newTensor(DefaultDType(), []int{n, cols})
	for i := range min(n, cols) {
		setF64(t.st.data, i*cols+i, 1)
	}
	return t
}

// checkInPlace panics when an in-place op would modify a tensor that
// autograd tracks, which Ember does not support (PyTorch allows some such
// cases through version counters).
//
// It also refuses to write into a tensor where several elements share one
// memory location (an expanded view), as PyTorch does, and counts the write
// in the storage's version so Backward can detect stale saved values.
func checkInPlace(op string, t *Tensor) {
	if t.requiresGrad && GradEnabled() {
		panicf(op, "in-place operation on a tensor of shape %v that requires grad; use NoGrad or an out-of-place op", t.shape)
	}
	for i, st := range t.strides {
		if st == 0 && t.shape[i] > 1 && t.Numel() > 0 {
			panicf(op, "unsupported operation: more than one element of the written-to tensor (shape %v, strides %v) refers to a single memory location; clone it first", t.shape, t.strides)
		}
	}
	t.st.version++
}
