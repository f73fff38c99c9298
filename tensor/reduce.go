package tensor

import (
	"github.com/emberml/ember/accel/cpu"
)

// reduction describes a reduction over some dimensions of a tensor, after
// the input has been permuted so the reduced dimensions come last and made
// contiguous: outer rows of inner elements each.
type reduction struct {
	x         *Tensor // contiguous, reduced dims last
	outer     int
	inner     int
	outShape  []int // result shape (keepdim applied)
	keepShape []int // result shape with reduced dims kept as 1
	reduced   []bool
}

// reduceDims normalises dims (empty means all) into a mask.
func reduceDims(op string, dims []int, nd int) []bool {
	mask := make([]bool, nd)
	if len(dims) == 0 {
		for i := range mask {
			mask[i] = true
		}
		return mask
	}
	for _, d := range dims {
		d = normDim(op, d, max(nd, 1))
		if nd == 0 {
			continue
		}
		if mask[d] {
			panicf(op, "dim %d appears multiple times in %v", d, dims)
		}
		mask[d] = true
	}
	return mask
}

func prepReduce(op string, t *Tensor, dims []int, keepdim bool) *reduction {
	nd := len(t.shape)
	mask := reduceDims(op, dims, nd)
	var perm []int
	var outShape, keepShape []int
	outer, inner := 1, 1
	for i := range nd {
		if !mask[i] {
			perm = append(perm, i)
			outShape = append(outShape, t.shape[i])
			keepShape = append(keepShape, t.shape[i])
			outer *= t.shape[i]
		} else {
			keepShape = append(keepShape, 1)
			if keepdim {
				outShape = append(outShape, 1)
			}
		}
	}
	for i := range nd {
		if mask[i] {
			perm = append(perm, i)
			inner *= t.shape[i]
		}
	}
	x := t.Detach()
	if nd > 0 {
		x = x.Permute(perm...)
	}
	x = x.Contiguous()
	return &reduction{x: x, outer: outer, inner: inner, outShape: outShape, keepShape: keepShape, reduced: mask}
}

// rows returns the contiguous data of the prepared input.
func rows[T Elem](r *reduction) []T {
	return r.x.st.data.([]T)[r.x.offset : r.x.offset+r.outer*r.inner]
}

// Sum returns the sum of all elements as a 0-d tensor.
func (t *Tensor) Sum() *Tensor {
	if tracing.Load() && outermost() {
		return traceSum(t)
	}
	return t.SumDims(nil, false)
}

// SumDims sums over dims (all when empty), keeping them as size 1 when
// keepdim is set. Integer and bool inputs sum to int64, as in PyTorch.
func (t *Tensor) SumDims(dims []int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceSumDims(t, dims, keepdim)
	}
	if out, keep := perfSumF32(t, dims, keepdim); out != nil {
		in := t.shape
		return record("sum", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
			return []*Tensor{g.Reshape(keep...).Expand(in...)}
		})
	}
	r := prepReduce("sum", t, dims, keepdim)
	var out *Tensor
	switch t.dtype {
	case Float32:
		out = newTensor(Float32, r.outShape)
		cpu.SumRows[float32, float64](out.st.data.([]float32), rows[float32](r), r.outer, r.inner)
	case Float64:
		out = newTensor(Float64, r.outShape)
		cpu.SumRows[float64, float64](out.st.data.([]float64), rows[float64](r), r.outer, r.inner)
	case Float16:
		r.x = castTo(r.x, Float32)
		out = newTensor(Float32, r.outShape)
		cpu.SumRows[float32, float64](out.st.data.([]float32), rows[float32](r), r.outer, r.inner)
		out = castTo(out, Float16)
	default:
		r.x = castTo(r.x, Int64)
		out = newTensor(Int64, r.outShape)
		cpu.SumRows[int64, int64](out.st.data.([]int64), rows[int64](r), r.outer, r.inner)
	}
	in := t.shape
	keep := r.keepShape
	return record("sum", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{g.Reshape(keep...).Expand(in...)}
	})
}
