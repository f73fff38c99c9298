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
	t := newTensor(dtypeOf[T](), shape)
	if t.Numel() != len(data) {
		panicf("from_slice", "%d values cannot fill shape %v (%d elements)", len(data), shape, t.Numel())
	}
	copy(t.st.data.([]T), data)
	return t
}

// Scalar returns a 0-dimensional tensor of the default dtype holding v.
func Scalar(v float64) *Tensor { return Full(v) }

// Empty returns a tensor of dtype dt and the given shape. Unlike PyTorch's
// empty, its elements are zero.
func Empty(dt DType, shape ...int) *Tensor { return newTensor(dt, shape) }

// Zeros returns a tensor of zeros of the default dtype.
func Zeros(shape ...int) *Tensor { return newTensor(defaultDType, shape) }

// Ones returns a tensor of ones of the default dtype.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Full returns a tensor of the default dtype filled with v.
func Full(v float64, shape ...int) *Tensor { return newTensor(defaultDType, shape).Fill_(v) }

// ZerosLike returns zeros with the shape and dtype of t.
func ZerosLike(t *Tensor) *Tensor { return newTensor(t.dtype, t.shape) }

// OnesLike returns ones with the shape and dtype of t.
func OnesLike(t *Tensor) *Tensor { return newTensor(t.dtype, t.shape).Fill_(1) }

// FullLike returns a tensor with the shape and dtype of t filled with v.
func FullLike(t *Tensor, v float64) *Tensor { return newTensor(t.dtype, t.shape).Fill_(v) }

// Fill_ sets every element of t to v in place and returns t.
func (t *Tensor) Fill_(v float64) *Tensor {
	checkInPlace("fill_", t)
	src := newTensor(t.dtype, nil)
	setF64(src.st.data, 0, v)
	zero := make([]int, len(t.shape))
	copyData(t.shape, t.st.data, t.view(), src.st.data, src.viewAs(zero))
	return t
}

func (t *Tensor) viewAs(strides []int) cpu.View { return cpu.View{Offset: t.offset, Strides: strides} }

// Arange returns the default-dtype values start, start+step, ... below end
// (above end for a negative step), like torch.arange with float arguments.
func Arange(start, end, step float64) *Tensor {
	if step == 0 || math.IsNaN(step) {
		panicf("arange", "step must be nonzero, got %v", step)
	}
	n := int(math.Ceil((end - start) / step))
	if n < 0 {
		panicf("arange", "upper bound %v and step %v are inconsistent with start %v", end, step, start)
	}
	t := newTensor(defaultDType, []int{n})
	for i := range n {
		setF64(t.st.data, i, start+float64(i)*step)
	}
	return t
}

// ArangeInt returns the int64 values start, start+step, ... below end, like
// torch.arange with integer arguments.
func ArangeInt(start, end, step int) *Tensor {
	if step == 0 {
		panicf("arange", "step must be nonzero")
	}
	var n int
	if step > 0 {
		n = (end - start + step - 1) / step
	} else {
		n = (start - end - step - 1) / -step
	}
	n = max(n, 0)
	t := newTensor(Int64, []int{n})
	d := t.st.data.([]int64)
	for i := range n {
		d[i] = int64(start + i*step)
	}
	return t
}

// Linspace returns steps values evenly spaced from start to end inclusive.
func Linspace(start, end float64, steps int) *Tensor {
	if steps < 0 {
		panicf("linspace", "number of steps must be non-negative, got %d", steps)
	}
	t := newTensor(defaultDType, []int{steps})
	if steps == 1 {
		setF64(t.st.data, 0, start)
		return t
	}
	step := (end - start) / float64(steps-1)
	// Like PyTorch, fill the first half from start and the second from end.
	half := steps / 2
	for i := range steps {
		if i < half {
			setF64(t.st.data, i, start+step*float64(i))
		} else {
			setF64(t.st.data, i, end-step*float64(steps-1-i))
		}
	}
	return t
}

// Eye returns the n×m identity matrix of the default dtype (m = n when
// omitted).
func Eye(n int, m ...int) *Tensor {
	cols := n
	if len(m) > 0 {
		cols = m[0]
	}
	t := newTensor(defaultDType, []int{n, cols})
	for i := range min(n, cols) {
		setF64(t.st.data, i*cols+i, 1)
	}
	return t
}

// checkInPlace panics when an in-place op would modify a tensor that
// autograd tracks, which Ember does not support (PyTorch allows some such
// cases through version counters).
func checkInPlace(op string, t *Tensor) {
	if t.requiresGrad && GradEnabled() {
		panicf(op, "in-place operation on a tensor of shape %v that requires grad; use NoGrad or an out-of-place op", t.shape)
	}
}
