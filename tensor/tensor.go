package tensor

import (
	"fmt"
	"slices"

	"github.com/emberml/ember/accel/cpu"
	"github.com/x448/float16"
)

// Tensor is an n-dimensional array: a dtype, a shape, strides and an offset
// into a storage buffer that views share. Tensors are created by the
// functions of this package and by the operations on other tensors; the zero
// value is not usable.
//
// A tensor that requires grad records the operations applied to it, and
// Backward computes gradients through them (see the autograd package).
type Tensor struct {
	st      *storage
	dtype   DType
	shape   []int
	strides []int
	offset  int

	requiresGrad bool
	grad         *Tensor
	gradFn       *node
	retainsGrad  bool
	hooks        []func(*Tensor) *Tensor
	// ovhNoGraph marks the gradient the engine hands a backward function
	// in a pass that records nothing (no CreateGraph); see ovhNeedGraph.
	ovhNoGraph bool
}

// panicf panics with a message that starts with the op's name.
func panicf(op, format string, args ...any) {
	panic(op + ": " + fmt.Sprintf(format, args...))
}

// newTensor allocates a contiguous tensor of the given dtype and shape.
func newTensor(dt DType, shape []int) *Tensor {
	for _, d := range shape {
		if d < 0 {
			panicf("tensor", "negative dimension in shape %v", shape)
		}
	}
	sh := slices.Clone(shape)
	return &Tensor{st: newStorage(dt, cpu.Numel(sh)), dtype: dt, shape: sh, strides: cpu.Contiguous(sh)}
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns a copy of the shape.
func (t *Tensor) Shape() []int {
	if tracing.Load() {
		readNow("shape", t)
	}
	return slices.Clone(t.shape)
}

// Strides returns a copy of the strides, in elements.
func (t *Tensor) Strides() []int { return slices.Clone(t.strides) }

// Offset returns the offset of the first element in the storage, in elements.
func (t *Tensor) Offset() int { return t.offset }

// Dim returns the number of dimensions.
func (t *Tensor) Dim() int { return len(t.shape) }

// Size returns the size of dimension d (negative d counts from the end).
func (t *Tensor) Size(d int) int {
	if tracing.Load() {
		readNow("size", t)
	}
	return t.shape[normDim("size", d, len(t.shape))]
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int {
	if tracing.Load() {
		readNow("numel", t)
	}
	return cpu.Numel(t.shape)
}

// IsContiguous reports whether the elements are laid out in row-major order
// without gaps, as PyTorch's is_contiguous.
func (t *Tensor) IsContiguous() bool {
	if t.Numel() == 0 {
		return true
	}
	s := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] != 1 && t.strides[i] != s {
			return false
		}
		s *= t.shape[i]
	}
	return true
}

// SharesStorage reports whether t and u view the same buffer.
func (t *Tensor) SharesStorage(u *Tensor) bool { return t.st == u.st }

// view returns the cpu.View of t.
func (t *Tensor) view() cpu.View { return cpu.View{Offset: t.offset, Strides: t.strides} }

// normDim turns a possibly negative dimension into an index in [0, n).
func normDim(op string, d, n int) int {
	if d < -n || d >= n || (n == 0 && d != 0 && d != -1) {
		panicf(op, "dimension %d out of range for a tensor of %d dimensions", d, n)
	}
	if d < 0 {
		d += n
	}
	return d
}

// Contiguous returns t if it is contiguous, else a contiguous copy.
func (t *Tensor) Contiguous() *Tensor {
	if tracing.Load() && outermost() {
		return traceContiguous(t)
	}
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// Clone returns a contiguous copy of t. The copy is part of the graph: its
// gradient flows back to t.
func (t *Tensor) Clone() *Tensor {
	if tracing.Load() && outermost() {
		return traceClone(t)
	}
	out := newTensor(t.dtype, t.shape)
	copyStrided(out, t)
	return record("clone", out, []*Tensor{t}, func(g *Tensor) []*Tensor { return []*Tensor{g} })
}

// copyStrided copies src's elements into dst (same shape), casting if the
// dtypes differ.
func copyStrided(dst, src *Tensor) {
	if dst.dtype == src.dtype {
		copyData(dst.shape, dst.st.data, dst.view(), src.st.data, src.view())
		return
	}
	castInto(dst.shape, dst.st.data, dst.view(), src.st.data, src.view())
}

func copyData(shape []int, dst any, dv cpu.View, src any, sv cpu.View) {
	switch d := dst.(type) {
	case []float32:
		cpu.Copy(shape, d, dv, src.([]float32), sv)
	case []float64:
		cpu.Copy(shape, d, dv, src.([]float64), sv)
	default:
		castInto(shape, dst, dv, src, sv)
	}
}

// To returns t converted to dtype dt (t itself when it already has it).
// Casts between floating types are differentiable.
func (t *Tensor) To(dt DType) *Tensor {
	if tracing.Load() && outermost() {
		return traceTo(t, dt)
	}
	if t.dtype == dt {
		return t
	}
	out := newTensor(dt, t.shape)
	copyStrided(out, t)
	if !dt.IsFloat() || !t.dtype.IsFloat() {
		return out
	}
	src := t.dtype
	return record("to", out, []*Tensor{t}, func(g *Tensor) []*Tensor { return []*Tensor{g.To(src)} })
}

// Float returns t as float32; Double as float64; Long as int64.
func (t *Tensor) Float() *Tensor {
	if tracing.Load() && outermost() {
		return traceFloat(t)
	}
	return t.To(Float32)
}

// Double returns t converted to float64.
func (t *Tensor) Double() *Tensor {
	if tracing.Load() && outermost() {
		return traceDouble(t)
	}
	return t.To(Float64)
}

// Long returns t converted to int64.
func (t *Tensor) Long() *Tensor {
	if tracing.Load() && outermost() {
		return traceLong(t)
	}
	return t.To(Int64)
}

// Item returns the value of a one-element tensor as float64, like
// PyTorch's item().
func (t *Tensor) Item() float64 {
	if tracing.Load() {
		defer traceRead("item", t)()
	}
	if t.Numel() != 1 {
		panicf("item", "a tensor with %d elements (shape %v) cannot be converted to a scalar", t.Numel(), t.shape)
	}
	return getF64(t.st.data, t.offset)
}

// At returns the element at the given index as float64.
func (t *Tensor) At(idx ...int) float64 {
	if tracing.Load() {
		defer traceRead("at", t)()
	}
	return getF64(t.st.data, t.index("at", idx))
}

// Set writes v (converted to the dtype) at the given index. It is an
// in-place write to the storage, not recorded by autograd.
func (t *Tensor) Set(v float64, idx ...int) {
	if tracing.Load() {
		defer traceRead("set", t)()
	}
	i := t.index("set", idx)
	checkInPlace("set", t)
	setF64(t.st.data, i, v)
}

func (t *Tensor) index(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		panicf(op, "index %v has %d entries for a tensor of shape %v", idx, len(idx), t.shape)
	}
	off := t.offset
	for i, x := range idx {
		if x < 0 {
			x += t.shape[i]
		}
		if x < 0 || x >= t.shape[i] {
			panicf(op, "index %v out of range for shape %v", idx, t.shape)
		}
		off += x * t.strides[i]
	}
	return off
}

// ToFloat32s returns the elements, in row-major order, as a new []float32.
func (t *Tensor) ToFloat32s() []float32 {
	if tracing.Load() {
		defer traceRead("to_float32s", t)()
	}
	return toSlice[float32](t, Float32)
}

// ToFloat64s returns the elements, in row-major order, as a new []float64.
func (t *Tensor) ToFloat64s() []float64 {
	if tracing.Load() {
		defer traceRead("to_float64s", t)()
	}
	return toSlice[float64](t, Float64)
}

// ToInt64s returns the elements, in row-major order, as a new []int64.
func (t *Tensor) ToInt64s() []int64 {
	if tracing.Load() {
		defer traceRead("to_int64s", t)()
	}
	return toSlice[int64](t, Int64)
}

// ToBools returns the elements, in row-major order, as a new []bool.
func (t *Tensor) ToBools() []bool {
	if tracing.Load() {
		defer traceRead("to_bools", t)()
	}
	return toSlice[bool](t, Bool)
}

func toSlice[T Elem](t *Tensor, dt DType) []T {
	out := newTensor(dt, t.shape)
	copyStrided(out, t)
	return out.st.data.([]T)
}

// Data returns the storage slice of a contiguous tensor without copying
// ([]float32 for a float32 tensor, and so on), starting at its first element.
// Writes through it change the tensor. It panics if t is not contiguous.
func (t *Tensor) Data() any {
	if tracing.Load() {
		defer traceRead("data", t)()
	}
	if !t.IsContiguous() {
		panicf("data", "tensor of shape %v and strides %v is not contiguous", t.shape, t.strides)
	}
	return sliceData(t.st.data, t.offset, t.offset+t.Numel())
}

func sliceData(data any, lo, hi int) any {
	switch d := data.(type) {
	case []float32:
		return d[lo:hi]
	case []float64:
		return d[lo:hi]
	case []int64:
		return d[lo:hi]
	case []int32:
		return d[lo:hi]
	case []int8:
		return d[lo:hi]
	case []uint8:
		return d[lo:hi]
	case []bool:
		return d[lo:hi]
	case []float16.Float16:
		return d[lo:hi]
	}
	return nil
}
