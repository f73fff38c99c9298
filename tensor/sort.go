package tensor

import (
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// Sorting and selection along a dimension: sort, argsort, topk, kthvalue.
// One order serves them all: ascending or descending by value, NaN larger
// than every number, and equal values in the order of their positions (a
// stable sort, torch.sort(stable=True)). The values' gradient scatters the
// output gradient back to the positions the indices name.

// Sort sorts t along dim, ascending or, with descending, descending, and
// returns the sorted values and their positions along dim (int64) in the
// input, as torch.sort(t, dim, descending, stable=True): equal elements
// keep their order in both directions, and NaN sorts as the largest value
// (last ascending, first descending).
func (t *Tensor) Sort(dim int, descending bool) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceSort(t, dim, descending)
	}
	const op = "sort"
	d := normDim(op, dim, max(len(t.shape), 1))
	_, n, _ := moreAround(t.shape, d)
	return t.moreSortK(op, d, n, !descending)
}

// Argsort returns the indices Sort would return (torch.argsort with
// stable=True).
func (t *Tensor) Argsort(dim int, descending bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceArgsort(t, dim, descending)
	}
	const op = "argsort"
	d := normDim(op, dim, max(len(t.shape), 1))
	_, n, _ := moreAround(t.shape, d)
	_, idx := t.Detach().moreSortK(op, d, n, !descending)
	return idx
}

// TopK returns the k largest elements of t along dim (the k smallest when
// largest is false) and their positions (int64), as torch.topk. The
// elements come in sorted order (largest first, or smallest first), also
// when sorted is false, where PyTorch leaves the order unspecified. The
// order is Sort's, so NaN counts as the largest value and among equal
// values the one at the lower position comes first; PyTorch gives the same
// values but may order the positions of ties differently. k must lie in
// [0, t.Size(dim)].
func (t *Tensor) TopK(k, dim int, largest, sorted bool) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceTopK(t, k, dim, largest, sorted)
	}
	const op = "topk"
	d := normDim(op, dim, max(len(t.shape), 1))
	_, n, _ := moreAround(t.shape, d)
	if k < 0 || k > n {
		panicf(op, "k (%d) is out of range for dimension %d of size %d", k, d, n)
	}
	return t.moreSortK(op, d, k, !largest)
}

// Kthvalue returns the k-th smallest element (k counts from 1) of t along
// dim and its position, as torch.kthvalue, keeping dim as size 1 when
// keepdim is set. NaN counts as the largest value; among equal values the
// position is the one Sort gives the k-th element.
func (t *Tensor) Kthvalue(k, dim int, keepdim bool) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceKthvalue(t, k, dim, keepdim)
	}
	const op = "kthvalue"
	nd := len(t.shape)
	d := normDim(op, dim, max(nd, 1))
	_, n, _ := moreAround(t.shape, d)
	if k < 1 || k > n {
		panicf(op, "k (%d) is out of range for dimension %d of size %d", k, d, n)
	}
	x := t
	if nd == 0 {
		x = t.Reshape(1)
	}
	v, i := x.moreSortK(op, d, k, true)
	v, i = v.Narrow(d, k-1, 1), i.Narrow(d, k-1, 1)
	switch {
	case nd == 0:
		v, i = v.Reshape(), i.Reshape()
	case !keepdim:
		v, i = v.Squeeze(d), i.Squeeze(d)
	}
	return v, i.Contiguous()
}

// moreSortK returns the first k elements of every line of t along d, in
// the order smallest-first (smallest) or largest-first, and their
// positions.
func (t *Tensor) moreSortK(op string, d, k int, smallest bool) (values, indices *Tensor) {
	outer, n, inner := moreAround(t.shape, d)
	ct := t.dtype
	switch ct {
	case Float16:
		ct = Float32
	case Bool:
		ct = Uint8
	}
	x := castTo(t.Detach(), ct).Contiguous()
	shape := slices.Clone(t.shape)
	if len(shape) > 0 {
		shape[d] = k
	}
	vals := newTensor(ct, shape)
	idx := newTensor(Int64, shape)
	ix := idx.st.data.([]int64)
	switch ct {
	case Float32:
		cpu.TopKLines(moreData[float32](vals), ix, moreData[float32](x), outer, n, inner, k, smallest)
	case Float64:
		cpu.TopKLines(moreData[float64](vals), ix, moreData[float64](x), outer, n, inner, k, smallest)
	case Int64:
		cpu.TopKLines(moreData[int64](vals), ix, moreData[int64](x), outer, n, inner, k, smallest)
	case Int32:
		cpu.TopKLines(moreData[int32](vals), ix, moreData[int32](x), outer, n, inner, k, smallest)
	case Int8:
		cpu.TopKLines(moreData[int8](vals), ix, moreData[int8](x), outer, n, inner, k, smallest)
	case Uint8:
		cpu.TopKLines(moreData[uint8](vals), ix, moreData[uint8](x), outer, n, inner, k, smallest)
	}
	vals = castTo(vals, t.dtype)
	if !t.dtype.IsFloat() {
		return vals, idx
	}
	in := t.shape
	vals = record(op, vals, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{newTensor(g.dtype, in).ScatterAdd(d, idx, g)}
	})
	return vals, idx
}
