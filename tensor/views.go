package tensor

import (
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// asView returns a tensor that shares t's storage with a new layout.
func (t *Tensor) asView(shape, strides []int, offset int) *Tensor {
	return &Tensor{st: t.st, dtype: t.dtype, shape: shape, strides: strides, offset: offset}
}

// inferShape resolves one -1 entry in shape for n elements.
func inferShape(op string, shape []int, n int) []int {
	out := slices.Clone(shape)
	neg := -1
	prod := 1
	for i, d := range out {
		switch {
		case d == -1:
			if neg >= 0 {
				panicf(op, "only one dimension can be -1 in %v", shape)
			}
			neg = i
		case d < 0:
			panicf(op, "invalid dimension %d in %v", d, shape)
		default:
			prod *= d
		}
	}
	if neg >= 0 {
		if prod == 0 || n%prod != 0 {
			panicf(op, "shape %v is invalid for input of size %d", shape, n)
		}
		out[neg] = n / prod
	} else if prod != n {
		panicf(op, "shape %v is invalid for input of size %d", shape, n)
	}
	return out
}

// viewStrides computes strides that let a tensor of oldShape/oldStrides be
// seen as newShape without copying, or nil when that is impossible (as
// PyTorch's computeStride).
func viewStrides(oldShape, oldStrides, newShape []int) []int {
	if cpu.Numel(oldShape) == 0 || len(oldShape) == 0 {
		return cpu.Contiguous(newShape)
	}
	newStrides := make([]int, len(newShape))
	viewD := len(newShape) - 1
	chunkBase := oldStrides[len(oldStrides)-1]
	tensorNumel, viewNumel := 1, 1
	for d := len(oldShape) - 1; d >= 0; d-- {
		tensorNumel *= oldShape[d]
		if d == 0 || (oldShape[d-1] != 1 && oldStrides[d-1] != tensorNumel*chunkBase) {
			for viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1) {
				newStrides[viewD] = viewNumel * chunkBase
				viewNumel *= newShape[viewD]
				viewD--
			}
			if viewNumel != tensorNumel {
				return nil
			}
			if d > 0 {
				chunkBase = oldStrides[d-1]
				tensorNumel, viewNumel = 1, 1
			}
		}
	}
	if viewD != -1 {
		return nil
	}
	return newStrides
}

// View returns a tensor with the given shape sharing t's storage (one entry
// may be -1). It panics when the layout makes a view impossible; Reshape
// copies instead.
func (t *Tensor) View(shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceView(t, shape)
	}
	ns := inferShape("view", shape, t.Numel())
	st := viewStrides(t.shape, t.strides, ns)
	if st == nil {
		panicf("view", "size %v is not compatible with input tensor's size %v and strides %v; use Reshape", ns, t.shape, t.strides)
	}
	return t.reshapeRecord("view", t.asView(ns, st, t.offset))
}

// Reshape returns t with the given shape (one entry may be -1): a view when
// the layout allows it, a copy otherwise.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceReshape(t, shape)
	}
	ns := inferShape("reshape", shape, t.Numel())
	if st := viewStrides(t.shape, t.strides, ns); st != nil {
		return t.reshapeRecord("reshape", t.asView(ns, st, t.offset))
	}
	c := t.Detach().Clone()
	return t.reshapeRecord("reshape", c.asView(ns, cpu.Contiguous(ns), 0))
}

func (t *Tensor) reshapeRecord(op string, out *Tensor) *Tensor {
	in := t.shape
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor { return []*Tensor{g.Reshape(in...)} })
}

// Flatten merges dimensions start..end (inclusive, negative counts from the
// end) into one.
func (t *Tensor) Flatten(start, end int) *Tensor {
	if tracing.Load() && outermost() {
		return traceFlatten(t, start, end)
	}
	if len(t.shape) == 0 {
		return t.Reshape(1)
	}
	s := normDim("flatten", start, len(t.shape))
	e := normDim("flatten", end, len(t.shape))
	if s > e {
		panicf("flatten", "start dim %d comes after end dim %d", start, end)
	}
	ns := slices.Clone(t.shape[:s])
	ns = append(ns, cpu.Numel(t.shape[s:e+1]))
	ns = append(ns, t.shape[e+1:]...)
	return t.Reshape(ns...)
}

// Unflatten expands dimension dim into sizes (one may be -1).
func (t *Tensor) Unflatten(dim int, sizes ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceUnflatten(t, dim, sizes)
	}
	d := normDim("unflatten", dim, len(t.shape))
	sz := inferShape("unflatten", sizes, t.shape[d])
	ns := slices.Concat(t.shape[:d], sz, t.shape[d+1:])
	return t.Reshape(ns...)
}

// Permute returns a view with the dimensions reordered: dimension i of the
// result is dimension dims[i] of t.
func (t *Tensor) Permute(dims ...int) *Tensor {
	if tracing.Load() && outermost() {
		return tracePermute(t, dims)
	}
	n := len(t.shape)
	if len(dims) != n {
		panicf("permute", "%d dims given for a tensor of shape %v", len(dims), t.shape)
	}
	seen := make([]bool, n)
	shape := make([]int, n)
	strides := make([]int, n)
	inv := make([]int, n)
	for i, d := range dims {
		d = normDim("permute", d, n)
		if seen[d] {
			panicf("permute", "repeated dim in %v", dims)
		}
		seen[d] = true
		shape[i], strides[i] = t.shape[d], t.strides[d]
		inv[d] = i
	}
	out := t.asView(shape, strides, t.offset)
	return record("permute", out, []*Tensor{t}, func(g *Tensor) []*Tensor { return []*Tensor{g.Permute(inv...)} })
}

// Transpose returns a view with dimensions d0 and d1 swapped.
func (t *Tensor) Transpose(d0, d1 int) *Tensor {
	if tracing.Load() && outermost() {
		return traceTranspose(t, d0, d1)
	}
	n := len(t.shape)
	if n == 0 {
		normDim("transpose", d0, 1)
		normDim("transpose", d1, 1)
		return t
	}
	d0, d1 = normDim("transpose", d0, n), normDim("transpose", d1, n)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	perm[d0], perm[d1] = d1, d0
	return t.Permute(perm...)
}

// T returns t with its dimensions reversed (the matrix transpose for 2-D),
// like PyTorch's .T.
func (t *Tensor) T() *Tensor {
	if tracing.Load() && outermost() {
		return traceT(t)
	}
	n := len(t.shape)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = n - 1 - i
	}
	return t.Permute(perm...)
}

// MT returns t with its last two dimensions swapped (PyTorch's .mT).
func (t *Tensor) MT() *Tensor {
	if tracing.Load() && outermost() {
		return traceMT(t)
	}
	if len(t.shape) < 2 {
		panicf("mT", "tensor of shape %v has fewer than 2 dimensions", t.shape)
	}
	return t.Transpose(-2, -1)
}

// Slice returns the view t[start:end:step] along dim, with Python's rules
// for negative and out-of-range bounds (step must be positive).
func (t *Tensor) Slice(dim, start, end, step int) *Tensor {
	if tracing.Load() && outermost() {
		return traceSlice(t, dim, start, end, step)
	}
	d := normDim("slice", dim, len(t.shape))
	if step <= 0 {
		panicf("slice", "step must be positive, got %d", step)
	}
	n := t.shape[d]
	clampIdx := func(i int) int {
		if i < 0 {
			i += n
		}
		return min(max(i, 0), n)
	}
	start, end = clampIdx(start), clampIdx(end)
	length := 0
	if end > start {
		length = (end - start + step - 1) / step
	}
	shape, strides := slices.Clone(t.shape), slices.Clone(t.strides)
	shape[d] = length
	strides[d] *= step
	out := t.asView(shape, strides, t.offset+start*t.strides[d])
	in := t.shape
	return record("slice", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		z := newTensor(g.dtype, in)
		z.Slice(d, start, end, step).Copy_(g)
		// Recorded, so that CreateGraph can differentiate the backward.
		return []*Tensor{record("slice_backward", z, []*Tensor{g}, func(gg *Tensor) []*Tensor {
			return []*Tensor{gg.Slice(d, start, end, step)}
		})}
	})
}

// Narrow returns the view of length elements of dim starting at start.
func (t *Tensor) Narrow(dim, start, length int) *Tensor {
	if tracing.Load() && outermost() {
		return traceNarrow(t, dim, start, length)
	}
	d := normDim("narrow", dim, len(t.shape))
	if start < 0 {
		start += t.shape[d]
	}
	if start < 0 || length < 0 || start+length > t.shape[d] {
		panicf("narrow", "start %d and length %d out of range for dim %d of size %d", start, length, dim, t.shape[d])
	}
	return t.Slice(d, start, start+length, 1)
}

// Select returns the view of index along dim, with that dimension removed.
func (t *Tensor) Select(dim, index int) *Tensor {
	if tracing.Load() && outermost() {
		return traceSelect(t, dim, index)
	}
	d := normDim("select", dim, len(t.shape))
	n := t.shape[d]
	if index < -n || index >= n {
		panicf("select", "index %d out of range for dim %d of size %d", index, dim, n)
	}
	if index < 0 {
		index += n
	}
	shape := slices.Delete(slices.Clone(t.shape), d, d+1)
	strides := slices.Delete(slices.Clone(t.strides), d, d+1)
	out := t.asView(shape, strides, t.offset+index*t.strides[d])
	in := t.shape
	return record("select", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		z := newTensor(g.dtype, in)
		z.Select(d, index).Copy_(g)
		return []*Tensor{record("select_backward", z, []*Tensor{g}, func(gg *Tensor) []*Tensor {
			return []*Tensor{gg.Select(d, index)}
		})}
	})
}

// Expand returns a view of t broadcast to shape (-1 keeps a dimension);
// new leading dimensions may be added. No data is copied.
func (t *Tensor) Expand(shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceExpand(t, shape)
	}
	if len(shape) < len(t.shape) {
		panicf("expand", "the number of sizes %v must be at least the number of dimensions of %v", shape, t.shape)
	}
	off := len(shape) - len(t.shape)
	ns := slices.Clone(shape)
	st := make([]int, len(shape))
	for i := range ns {
		if i < off {
			if ns[i] < 0 {
				panicf("expand", "-1 is not allowed for a new leading dimension in %v", shape)
			}
			continue
		}
		od := t.shape[i-off]
		if ns[i] == -1 {
			ns[i] = od
		}
		switch {
		case ns[i] == od:
			st[i] = t.strides[i-off]
		case od == 1:
			st[i] = 0
		default:
			panicf("expand", "size %v cannot be expanded to %v", t.shape, shape)
		}
	}
	out := t.asView(ns, st, t.offset)
	in := t.shape
	return record("expand", out, []*Tensor{t}, func(g *Tensor) []*Tensor { return []*Tensor{sumToShape(g, in)} })
}

// ExpandAs expands t to the shape of u.
func (t *Tensor) ExpandAs(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceExpandAs(t, u)
	}
	return t.Expand(u.shape...)
}

// BroadcastTo is Expand with NumPy's name.
func (t *Tensor) BroadcastTo(shape ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceBroadcastTo(t, shape)
	}
	return t.Expand(shape...)
}

// Squeeze removes the given size-1 dimensions (all size-1 dimensions when
// none are given); dimensions of another size are left, as in PyTorch.
func (t *Tensor) Squeeze(dims ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceSqueeze(t, dims)
	}
	drop := make([]bool, len(t.shape))
	if len(dims) == 0 {
		for i, d := range t.shape {
			drop[i] = d == 1
		}
	}
	for _, d := range dims {
		if len(t.shape) == 0 {
			normDim("squeeze", d, 1)
			continue
		}
		d = normDim("squeeze", d, len(t.shape))
		drop[d] = t.shape[d] == 1
	}
	var shape []int
	for i, d := range t.shape {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	return t.Reshape(shape...)
}

// Unsqueeze inserts a size-1 dimension at dim (negative counts from the
// end of the result).
func (t *Tensor) Unsqueeze(dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceUnsqueeze(t, dim)
	}
	d := normDim("unsqueeze", dim, len(t.shape)+1)
	shape := slices.Insert(slices.Clone(t.shape), d, 1)
	return t.Reshape(shape...)
}
