package tensor

import "github.com/emberml/ember/accel/cpu"

// perfSumF32 sums a contiguous float32 tensor over dims without the
// permuted copy prepReduce makes (a bias gradient sums [N, C, H, W] over
// 0, 2 and 3). It returns the result and the shape with the reduced dims
// kept as 1, or nil when t is not a contiguous float32 tensor.
func perfSumF32(t *Tensor, dims []int, keepdim bool) (out *Tensor, keepShape []int) {
	if t.dtype != Float32 || !t.IsContiguous() {
		return nil, nil
	}
	mask := reduceDims("sum", dims, len(t.shape))
	var outShape []int
	for i, d := range t.shape {
		switch {
		case !mask[i]:
			outShape = append(outShape, d)
			keepShape = append(keepShape, d)
		case keepdim:
			outShape = append(outShape, 1)
			keepShape = append(keepShape, 1)
		default:
			keepShape = append(keepShape, 1)
		}
	}
	out = newTensor(Float32, outShape)
	n := t.Numel()
	cpu.SumDimsF32(out.st.data.([]float32), t.st.data.([]float32)[t.offset:t.offset+n], t.shape, mask)
	return out, keepShape
}
