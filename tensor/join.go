package tensor

import (
	"slices"
)

// idxLegacyEmpty reports whether t is a 1-D tensor with no elements, which
// torch.cat skips whatever the shapes of the other inputs.
func idxLegacyEmpty(t *Tensor) bool { return len(t.shape) == 1 && t.shape[0] == 0 }

// Cat concatenates tensors along dim, as torch.cat. All tensors have the
// same number of dimensions and equal sizes outside dim (1-D empty tensors
// are skipped, as in PyTorch); the result has the promoted dtype of all
// inputs (PromoteTypes). Each input's gradient is its slice of the output's.
func Cat(ts []*Tensor, dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceCat(ts, dim)
	}
	validList("cat", "tensors", ts)
	const op = "cat"
	if len(ts) == 0 {
		panicf(op, "expected a non-empty list of tensors")
	}
	dt := ts[0].dtype
	var ref *Tensor
	for i, t := range ts {
		if len(t.shape) == 0 {
			panicf(op, "zero-dimensional tensor (at position %d) cannot be concatenated", i)
		}
		dt = PromoteTypes(dt, t.dtype)
		if ref == nil && !idxLegacyEmpty(t) {
			ref = t
		}
	}
	if ref == nil {
		return newTensor(dt, []int{0})
	}
	nd := len(ref.shape)
	d := normDim(op, dim, nd)
	shape := slices.Clone(ref.shape)
	shape[d] = 0
	skip := make([]bool, len(ts))
	for i, t := range ts {
		if idxLegacyEmpty(t) {
			skip[i] = true
			continue
		}
		if len(t.shape) != nd {
			panicf(op, "tensors must have the same number of dimensions: got shapes %v and %v (tensor %d)", ref.shape, t.shape, i)
		}
		for j := range nd {
			if j != d && t.shape[j] != ref.shape[j] {
				panicf(op, "sizes of tensors must match except in dimension %d: expected size %d but got size %d in dimension %d for tensor %d (shapes %v and %v)", d, ref.shape[j], t.shape[j], j, i, ref.shape, t.shape)
			}
		}
		shape[d] += t.shape[d]
	}
	out := newTensor(dt, shape)
	offs := make([]int, len(ts))
	off := 0
	for i, t := range ts {
		if skip[i] {
			continue
		}
		offs[i] = off
		copyStrided(out.asView(t.shape, out.strides, out.offset+off*out.strides[d]), t)
		off += t.shape[d]
	}
	inputs := slices.Clone(ts)
	return record(op, out, inputs, func(g *Tensor) []*Tensor {
		gs := make([]*Tensor, len(inputs))
		for i, t := range inputs {
			switch {
			case !t.requiresGrad:
			case skip[i]:
				gs[i] = newTensor(g.dtype, t.shape)
			default:
				gs[i] = g.Narrow(d, offs[i], t.shape[d])
			}
		}
		return gs
	})
}

// Stack joins tensors of equal shape along a new dimension dim (which may
// be -1 for a new last dimension), as torch.stack. Dtypes are promoted as in
// Cat.
func Stack(ts []*Tensor, dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceStack(ts, dim)
	}
	validList("stack", "tensors", ts)
	const op = "stack"
	if len(ts) == 0 {
		panicf(op, "expected a non-empty list of tensors")
	}
	ref := ts[0].shape
	for i, t := range ts {
		if !slices.Equal(t.shape, ref) {
			panicf(op, "expects each tensor to be equal size, but got %v at entry 0 and %v at entry %d", ref, t.shape, i)
		}
	}
	d := normDim(op, dim, len(ref)+1)
	us := make([]*Tensor, len(ts))
	for i, t := range ts {
		us[i] = t.Unsqueeze(d)
	}
	return Cat(us, d)
}

// Split splits t along dim into chunks of size elements (the last one is
// smaller when size does not divide the dimension), as torch.split with an
// int. The chunks are views that share t's storage.
func (t *Tensor) Split(size, dim int) []*Tensor {
	if tracing.Load() && outermost() {
		return traceSplit(t, size, dim)
	}
	const op = "split"
	if len(t.shape) == 0 {
		panicf(op, "cannot split a 0-dimensional tensor")
	}
	d := normDim(op, dim, len(t.shape))
	n := t.shape[d]
	if size < 0 || (size == 0 && n != 0) {
		panicf(op, "split size must be positive, got %d for dimension %d of size %d", size, d, n)
	}
	num := 1
	if size > 0 {
		num = max((n+size-1)/size, 1)
	}
	out := make([]*Tensor, num)
	for i := range out {
		start := i * size
		out[i] = t.Narrow(d, start, min(size, n-start))
	}
	return out
}

// SplitSizes splits t along dim into pieces of the given sizes, which must
// sum to the size of the dimension, as torch.split with a list. The pieces
// are views that share t's storage.
func (t *Tensor) SplitSizes(sizes []int, dim int) []*Tensor {
	if tracing.Load() && outermost() {
		return traceSplitSizes(t, sizes, dim)
	}
	const op = "split_with_sizes"
	if len(t.shape) == 0 {
		panicf(op, "cannot split a 0-dimensional tensor")
	}
	d := normDim(op, dim, len(t.shape))
	sum := 0
	for _, s := range sizes {
		if s < 0 {
			panicf(op, "split sizes %v contain a negative size", sizes)
		}
		sum += s
	}
	if sum != t.shape[d] {
		panicf(op, "split sizes %v sum to %d, not %d, the size of dimension %d of shape %v", sizes, sum, t.shape[d], d, t.shape)
	}
	out := make([]*Tensor, len(sizes))
	start := 0
	for i, s := range sizes {
		out[i] = t.Narrow(d, start, s)
		start += s
	}
	return out
}

// Chunk splits t along dim into at most n views of equal size (the last one
// smaller), with PyTorch's rule: each chunk holds ceil(size/n) elements, so
// fewer than n chunks may come back (6 elements in 4 chunks give 3 chunks
// of 2). An empty dimension gives n empty chunks.
func (t *Tensor) Chunk(n, dim int) []*Tensor {
	if tracing.Load() && outermost() {
		return traceChunk(t, n, dim)
	}
	const op = "chunk"
	if len(t.shape) == 0 {
		panicf(op, "cannot chunk a 0-dimensional tensor")
	}
	if n <= 0 {
		panicf(op, "number of chunks must be positive, got %d", n)
	}
	d := normDim(op, dim, len(t.shape))
	size := t.shape[d]
	if size == 0 {
		return t.SplitSizes(make([]int, n), d)
	}
	return t.Split((size+n-1)/n, d)
}

// Unbind returns the slices of t along dim, with that dimension removed,
// as views sharing t's storage (torch.unbind).
func (t *Tensor) Unbind(dim int) []*Tensor {
	if tracing.Load() && outermost() {
		return traceUnbind(t, dim)
	}
	if len(t.shape) == 0 {
		panicf("unbind", "cannot unbind a 0-dimensional tensor")
	}
	d := normDim("unbind", dim, len(t.shape))
	out := make([]*Tensor, t.shape[d])
	for i := range out {
		out[i] = t.Select(d, i)
	}
	return out
}
