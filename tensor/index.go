package tensor

import (
	"slices"

	"github.com/emberml/ember/accel/cpu"
	"github.com/x448/float16"
)

// Indexing ops: gather/scatter along a dimension, index_select/index_add/
// index_copy/index_put, tril/triu and masked_select. Index tensors hold int64
// (int32 is accepted and widened). Out-of-range indices panic with a message
// naming the op, the index value and the size of the dimension.

// idxLong checks that index holds integer indices and returns it as int64.
func idxLong(op string, index *Tensor) *Tensor {
	if index.dtype != Int64 && index.dtype != Int32 {
		panicf(op, "index must be an int64 or int32 tensor, got %v", index.dtype)
	}
	return castTo(index, Int64)
}

func idxOutOfRange(op string, i int64, dim, size int) {
	panicf(op, "index %d is out of bounds for dimension %d with size %d", i, dim, size)
}

// idxKind selects the kernel idxKernel runs.
type idxKind int

const (
	idxGatherK idxKind = iota
	idxScatterK
	idxRemapK
	idxRemapAddK
	idxTriK
	idxMaskedSelectK
	idxMaskedScatterK
)

// idxKernel holds the arguments of one kernel call; run dispatches it on the
// element type of dst.
type idxKernel struct {
	kind      idxKind
	shape     []int
	dst       *Tensor
	dv        cpu.View
	src       *Tensor
	sv        cpu.View
	index     *Tensor // int64
	iv        cpu.View
	mask      *Tensor // bool
	mv        cpu.View
	dim, size int
	maps      [][]int
	fill      float64
	add       bool // combine with addition instead of assigning
	// tril/triu
	batch, rows, cols, k int
	upper                bool
}

func (k *idxKernel) run() (int64, bool) {
	switch k.dst.dtype {
	case Float32:
		return idxRun[float32](k)
	case Float64:
		return idxRun[float64](k)
	case Int64:
		return idxRun[int64](k)
	case Int32:
		return idxRun[int32](k)
	case Int8:
		return idxRun[int8](k)
	case Uint8:
		return idxRun[uint8](k)
	case Bool:
		return idxRun[bool](k)
	case Float16:
		return idxRun[float16.Float16](k)
	}
	panic("tensor: bad dtype")
}

func idxRun[T Elem](k *idxKernel) (int64, bool) {
	dst := k.dst.st.data.([]T)
	var src []T
	if k.src != nil {
		src = k.src.st.data.([]T)
	}
	var index []int64
	if k.index != nil {
		index = k.index.st.data.([]int64)
	}
	var mask []bool
	if k.mask != nil {
		mask = k.mask.st.data.([]bool)
	}
	var f func(a, b T) T
	if k.add {
		f = idxAddFn[T]()
	}
	switch k.kind {
	case idxGatherK:
		return cpu.Gather(k.shape, dst, k.dv, src, k.sv, index, k.iv, k.dim, k.size)
	case idxScatterK:
		return cpu.Scatter(k.shape, dst, k.dv, src, k.sv, index, k.iv, k.dim, k.size, f)
	case idxRemapK:
		fill := make([]T, 1)
		setF64(fill, 0, k.fill)
		cpu.Remap(k.shape, dst, k.dv, src, k.sv, k.maps, fill[0])
	case idxRemapAddK:
		cpu.RemapAdd(k.shape, dst, k.dv, src, k.sv, k.maps, f)
	case idxTriK:
		cpu.Tri(dst[k.dst.offset:k.dst.offset+k.dst.Numel()], k.batch, k.rows, k.cols, k.k, k.upper)
	case idxMaskedSelectK:
		cpu.MaskedSelect(k.shape, dst[k.dst.offset:k.dst.offset], src, k.sv, mask, k.mv)
	case idxMaskedScatterK:
		cpu.MaskedScatter(k.shape, dst, k.dv, mask, k.mv, src[k.src.offset:])
	}
	return 0, true
}

// idxAddFn returns the addition of T; it panics for bool and float16, which
// callers compute as uint8 and float32.
func idxAddFn[T Elem]() func(a, b T) T {
	var f any
	switch any(*new(T)).(type) {
	case float32:
		f = addT[float32]
	case float64:
		f = addT[float64]
	case int64:
		f = addT[int64]
	case int32:
		f = addT[int32]
	case int8:
		f = addT[int8]
	case uint8:
		f = addT[uint8]
	default:
		panic("tensor: no addition kernel for " + dtypeOf[T]().String())
	}
	return f.(func(a, b T) T)
}

// Gather collects values along dim at the positions index holds, as
// torch.gather: out[i][j][k] = t[index[i][j][k]][j][k] for dim 0, and so on.
// index has as many dimensions as t and is no larger than t in the other
// dimensions; the result has index's shape and t's dtype. The gradient
// scatter-adds into t's shape.
func (t *Tensor) Gather(dim int, index *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceGather(t, dim, index)
	}
	validNotNil("gather", "input", t)
	validNotNil("gather", "index", index)
	const op = "gather"
	idx := idxLong(op, index)
	nd := len(t.shape)
	if len(idx.shape) != nd {
		panicf(op, "index of shape %v must have as many dimensions as the input of shape %v", index.shape, t.shape)
	}
	d := normDim(op, dim, max(nd, 1))
	size := 1
	if nd > 0 {
		size = t.shape[d]
	}
	for i := range nd {
		if i != d && idx.shape[i] > t.shape[i] {
			panicf(op, "index of shape %v is larger than the input of shape %v in dimension %d", index.shape, t.shape, i)
		}
	}
	out := newTensor(t.dtype, idx.shape)
	k := &idxKernel{kind: idxGatherK, shape: idx.shape, dst: out, dv: out.view(), src: t, sv: t.view(), index: idx, iv: idx.view(), dim: d, size: size}
	if bad, ok := k.run(); !ok {
		idxOutOfRange(op, bad, d, size)
	}
	inShape := t.shape
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{newTensor(g.dtype, inShape).ScatterAdd(d, idx, g)}
	})
}

// Scatter returns a copy of t with the values of src written at the
// positions index holds along dim, as torch.Tensor.scatter: out[index[i][j]][j]
// = src[i][j] for dim 0. index has as many dimensions as t and src, is no
// larger than src in any dimension and no larger than t outside dim; src must
// have t's dtype. With repeated indices the last write (in row-major order)
// wins. Gradients follow PyTorch: t's gradient is zero where values were
// overwritten, src's is the gradient gathered at index.
func (t *Tensor) Scatter(dim int, index, src *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceScatter(t, dim, index, src)
	}
	validNotNil("scatter", "src", src)
	return t.idxScatter("scatter", dim, index, src, 0, false)
}

// ScatterAdd returns a copy of t with the values of src added at the
// positions index holds along dim (repeated positions add up), as
// torch.Tensor.scatter_add. The shape rules are Scatter's.
func (t *Tensor) ScatterAdd(dim int, index, src *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceScatterAdd(t, dim, index, src)
	}
	validNotNil("scatter_add", "src", src)
	return t.idxScatter("scatter_add", dim, index, src, 0, true)
}

// ScatterValue returns a copy of t with value written at the positions index
// holds along dim, as torch.Tensor.scatter with a scalar value.
func (t *Tensor) ScatterValue(dim int, index *Tensor, value float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceScatterValue(t, dim, index, value)
	}
	return t.idxScatter("scatter", dim, index, nil, value, false)
}

func (t *Tensor) idxScatter(op string, dim int, index, src *Tensor, value float64, add bool) *Tensor {
	validNotNil(op, "input", t)
	validNotNil(op, "index", index)
	idx := idxLong(op, index)
	nd := len(t.shape)
	if len(idx.shape) != nd {
		panicf(op, "index of shape %v must have as many dimensions as the input of shape %v", index.shape, t.shape)
	}
	if src != nil {
		if len(src.shape) != nd {
			panicf(op, "src of shape %v must have as many dimensions as the input of shape %v", src.shape, t.shape)
		}
		if src.dtype != t.dtype {
			panicf(op, "expected self and src to have the same dtype, got %v and %v", t.dtype, src.dtype)
		}
	}
	d := normDim(op, dim, max(nd, 1))
	size := 1
	if nd > 0 {
		size = t.shape[d]
	}
	for i := range nd {
		if src != nil && idx.shape[i] > src.shape[i] {
			panicf(op, "index of shape %v is larger than src of shape %v in dimension %d", index.shape, src.shape, i)
		}
		if i != d && idx.shape[i] > t.shape[i] {
			panicf(op, "index of shape %v is larger than the input of shape %v in dimension %d", index.shape, t.shape, i)
		}
	}
	ct := t.dtype
	if add {
		ct, _ = computeType(t.dtype, false)
	}
	out := newTensor(ct, t.shape)
	copyStrided(out, t)
	var s *Tensor
	var sv cpu.View
	if src != nil {
		s = castTo(src, ct)
		sv = s.view()
	} else {
		s = newTensor(ct, nil)
		setF64(s.st.data, 0, value)
		sv = cpu.View{Strides: make([]int, nd)}
	}
	k := &idxKernel{kind: idxScatterK, shape: idx.shape, dst: out, dv: out.view(), src: s, sv: sv, index: idx, iv: idx.view(), dim: d, size: size, add: add}
	if bad, ok := k.run(); !ok {
		idxOutOfRange(op, bad, d, size)
	}
	out = castTo(out, t.dtype)
	inputs := []*Tensor{t}
	if src != nil {
		inputs = append(inputs, src)
	}
	return record(op, out, inputs, func(g *Tensor) []*Tensor {
		gs := make([]*Tensor, len(inputs))
		if t.requiresGrad {
			if add {
				gs[0] = g
			} else {
				gs[0] = g.ScatterValue(d, idx, 0)
			}
		}
		if src != nil && src.requiresGrad {
			gs[1] = idxPadTo(g.Gather(d, idx), src.shape)
		}
		return gs
	})
}

// idxPadTo pads x with zeros at the end of each dimension up to shape.
func idxPadTo(x *Tensor, shape []int) *Tensor {
	if slices.Equal(x.shape, shape) {
		return x
	}
	pads := make([]int, 2*len(shape))
	for i := range shape {
		pads[2*i+1] = shape[len(shape)-1-i] - x.shape[len(shape)-1-i]
	}
	return Pad(x, pads, "constant", 0)
}

// idxIndexList validates a 0-D or 1-D index against a dimension of the given
// size and returns its values.
func idxIndexList(op string, index *Tensor, dim, size int, wrap bool) []int {
	idx := idxLong(op, index)
	if idx.Dim() > 1 {
		panicf(op, "index must be 0-D or 1-D, got shape %v", index.shape)
	}
	vals := idx.ToInt64s()
	m := make([]int, len(vals))
	for i, v := range vals {
		if wrap && v < 0 {
			v += int64(size)
		}
		if v < 0 || v >= int64(size) {
			idxOutOfRange(op, vals[i], dim, size)
		}
		m[i] = int(v)
	}
	return m
}

// IndexSelect returns the entries of t at the positions index (0-D or 1-D)
// holds along dim, as torch.index_select: the result has t's shape with dim
// resized to the number of indices. The gradient index-adds into t's shape.
func (t *Tensor) IndexSelect(dim int, index *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceIndexSelect(t, dim, index)
	}
	validNotNil("index_select", "input", t)
	validNotNil("index_select", "index", index)
	const op = "index_select"
	nd := len(t.shape)
	d := normDim(op, dim, max(nd, 1))
	if nd == 0 {
		// PyTorch returns the 0-d input itself for any valid index.
		idxIndexList(op, index, d, 1, false)
		return t.Clone()
	}
	m := idxIndexList(op, index, d, t.shape[d], false)
	outShape := slices.Clone(t.shape)
	outShape[d] = len(m)
	maps := make([][]int, nd)
	maps[d] = m
	return idxRemap(op, t, outShape, maps, 0)
}

// IndexAdd returns a copy of t with the slices of src added along dim at the
// positions index (0-D or 1-D) holds, as torch.index_add: out.select(dim,
// index[i]) += src.select(dim, i). src has t's dtype and shape except that
// dim has one entry per index; repeated indices add up.
func (t *Tensor) IndexAdd(dim int, index, src *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceIndexAdd(t, dim, index, src)
	}
	return t.idxIndexAdd("index_add", dim, index, src, false)
}

// IndexCopy returns a copy of t with the slices of src written along dim at
// the positions index holds, as torch.index_copy; with repeated indices the
// last one wins.
func (t *Tensor) IndexCopy(dim int, index, src *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceIndexCopy(t, dim, index, src)
	}
	return t.idxIndexAdd("index_copy", dim, index, src, true)
}

func (t *Tensor) idxIndexAdd(op string, dim int, index, src *Tensor, assign bool) *Tensor {
	validNotNil(op, "input", t)
	validNotNil(op, "index", index)
	validNotNil(op, "source", src)
	nd := len(t.shape)
	if nd == 0 {
		if src.Dim() > 1 {
			panicf(op, "source of shape %v does not match the 0-d input", src.shape)
		}
		return t.Reshape(1).idxIndexAdd(op, dim, index, src.Reshape(-1), assign).Reshape()
	}
	d := normDim(op, dim, nd)
	if src.dtype != t.dtype {
		panicf(op, "expected self and source to have the same dtype, got %v and %v", t.dtype, src.dtype)
	}
	m := idxIndexList(op, index, d, t.shape[d], false)
	want := slices.Clone(t.shape)
	want[d] = len(m)
	if !slices.Equal(src.shape, want) {
		panicf(op, "source of shape %v does not match the input of shape %v with %d indices along dimension %d (want %v)", src.shape, t.shape, len(m), d, want)
	}
	maps := make([][]int, nd)
	maps[d] = m
	return idxRemapAdd(op, t, src, t.shape, maps, assign)
}

// idxRemap gathers x through per-dimension index maps into outShape (see
// cpu.Remap); positions whose map entry is cpu.NoSource get fill. Its
// gradient is idxRemapAdd.
func idxRemap(op string, x *Tensor, outShape []int, maps [][]int, fill float64) *Tensor {
	out := newTensor(x.dtype, outShape)
	k := &idxKernel{kind: idxRemapK, shape: outShape, dst: out, dv: out.view(), src: x, sv: x.view(), maps: maps, fill: fill}
	k.run()
	inShape := x.shape
	return record(op, out, []*Tensor{x}, func(g *Tensor) []*Tensor {
		return []*Tensor{idxRemapAdd(op+"_backward", nil, g, inShape, maps, false)}
	})
}

// idxRemapAdd is the adjoint of idxRemap: it adds (or, with assign, writes)
// the elements of src into a copy of base (zeros of baseShape when base is
// nil) at the positions the maps send them to.
func idxRemapAdd(op string, base, src *Tensor, baseShape []int, maps [][]int, assign bool) *Tensor {
	ct := src.dtype
	if !assign {
		ct, _ = computeType(src.dtype, false)
	}
	out := newTensor(ct, baseShape)
	if base != nil {
		copyStrided(out, base)
	}
	s := castTo(src, ct)
	k := &idxKernel{kind: idxRemapAddK, shape: s.shape, dst: out, dv: out.view(), src: s, sv: s.view(), maps: maps, add: !assign}
	k.run()
	out = castTo(out, src.dtype)
	srcShape := src.shape
	return record(op, out, []*Tensor{base, src}, func(g *Tensor) []*Tensor {
		var gb, gs *Tensor
		if base != nil && base.requiresGrad {
			gb = g
			if assign {
				gb = idxRemapAdd(op, g, newTensor(g.dtype, srcShape), g.shape, maps, true)
			}
		}
		if src.requiresGrad {
			gs = idxRemap(op+"_backward", g, srcShape, maps, 0)
		}
		return []*Tensor{gb, gs}
	})
}

// IndexPut returns a copy of t with values written at the positions indices
// select, as torch.index_put (t[indices] = values in Python). The index
// tensors (int64 or int32) address the leading len(indices) dimensions and
// broadcast together to a shape B; values broadcasts to B followed by the
// remaining dimensions of t and must have t's dtype. Negative indices count
// from the end. A single bool index is a mask over the leading dimensions,
// as t[mask] = values. With accumulate, values are added and repeated
// positions add up; otherwise the last write to a repeated position wins.
func (t *Tensor) IndexPut(indices []*Tensor, values *Tensor, accumulate bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceIndexPut(t, indices, values, accumulate)
	}
	validNotNil("index_put", "input", t)
	validList("index_put", "indices", indices)
	validNotNil("index_put", "values", values)
	const op = "index_put"
	if len(indices) == 1 && indices[0].dtype == Bool {
		indices = idxMaskIndices(op, indices[0], t.shape)
	}
	k := len(indices)
	if k == 0 || k > len(t.shape) {
		panicf(op, "%d index tensors for an input of shape %v", k, t.shape)
	}
	if values.dtype != t.dtype {
		panicf(op, "values of dtype %v for an input of dtype %v; the dtypes must match", values.dtype, t.dtype)
	}
	longs := make([]*Tensor, k)
	for i, ix := range indices {
		longs[i] = idxLong(op, ix)
	}
	bshape := broadcastShapes(op, longs...)
	nb := cpu.Numel(bshape)
	lin := newTensor(Int64, []int{nb})
	ld := lin.st.data.([]int64)
	mult := 1
	for j := k - 1; j >= 0; j-- {
		size := t.shape[j]
		vals := newTensor(Int64, bshape)
		copyStrided(vals, longs[j].asView(bshape, broadcastView(longs[j], bshape).Strides, longs[j].offset))
		for p, v := range vals.st.data.([]int64) {
			w := v
			if w < 0 {
				w += int64(size)
			}
			if w < 0 || w >= int64(size) {
				idxOutOfRange(op, v, j, size)
			}
			ld[p] += w * int64(mult)
		}
		mult *= size
	}
	rest := t.shape[k:]
	vshape := slices.Concat(bshape, rest)
	if s, ok := BroadcastShapes(values.shape, vshape); !ok || !slices.Equal(s, vshape) {
		panicf(op, "values of shape %v cannot be broadcast to the indexed shape %v", values.shape, vshape)
	}
	flatShape := slices.Concat([]int{mult}, rest)
	flat := t.Reshape(flatShape...)
	v := values.Expand(vshape...).Reshape(slices.Concat([]int{nb}, rest)...)
	var r *Tensor
	if accumulate {
		r = flat.IndexAdd(0, lin, v)
	} else {
		r = flat.IndexCopy(0, lin, v)
	}
	return r.Reshape(t.shape...)
}

// idxMaskIndices turns a bool mask over the leading dimensions of shape into
// one int64 index tensor per mask dimension (the coordinates of the true
// elements, as torch.nonzero).
func idxMaskIndices(op string, mask *Tensor, shape []int) []*Tensor {
	md := mask.Dim()
	if md == 0 || md > len(shape) || !slices.Equal(mask.shape, shape[:md]) {
		panicf(op, "mask of shape %v does not match the leading dimensions of the input of shape %v", mask.shape, shape)
	}
	bits := mask.ToBools()
	n := 0
	for _, b := range bits {
		if b {
			n++
		}
	}
	out := make([]*Tensor, md)
	data := make([][]int64, md)
	for j := range out {
		out[j] = newTensor(Int64, []int{n})
		data[j] = out[j].st.data.([]int64)
	}
	strides := cpu.Contiguous(mask.shape)
	k := 0
	for p, b := range bits {
		if !b {
			continue
		}
		for j := range md {
			data[j][k] = int64(p / strides[j] % mask.shape[j])
		}
		k++
	}
	return out
}

// Tril returns the lower triangle of the matrices in the last two dimensions
// of t (batched), the elements with col-row <= k; the others are zero, as
// torch.tril. k = 0 is the main diagonal, k > 0 above it, k < 0 below.
func (t *Tensor) Tril(k int) *Tensor {
	if tracing.Load() && outermost() {
		return traceTril(t, k)
	}
	return t.idxTri("tril", k, false)
}

// Triu returns the upper triangle of the matrices in the last two
// dimensions of t, the elements with col-row >= k, as torch.triu.
func (t *Tensor) Triu(k int) *Tensor {
	if tracing.Load() && outermost() {
		return traceTriu(t, k)
	}
	return t.idxTri("triu", k, true)
}

func (t *Tensor) idxTri(op string, k int, upper bool) *Tensor {
	nd := len(t.shape)
	if nd < 2 {
		panicf(op, "input must have at least 2 dimensions, got shape %v", t.shape)
	}
	out := newTensor(t.dtype, t.shape)
	copyStrided(out, t)
	rows, cols := t.shape[nd-2], t.shape[nd-1]
	if n := out.Numel(); n > 0 {
		kr := &idxKernel{kind: idxTriK, dst: out, batch: n / (rows * cols), rows: rows, cols: cols, k: k, upper: upper}
		kr.run()
	}
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{g.idxTri(op, k, upper)}
	})
}

// MaskedSelect returns a 1-D tensor of the elements of t where mask (a bool
// tensor broadcast with t) is true, in row-major order of the broadcast
// shape, as torch.masked_select.
func (t *Tensor) MaskedSelect(mask *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceMaskedSelect(t, mask)
	}
	validNotNil("masked_select", "input", t)
	validNotNil("masked_select", "mask", mask)
	const op = "masked_select"
	if mask.dtype != Bool {
		panicf(op, "mask must be a bool tensor, got %v", mask.dtype)
	}
	shape := broadcastShapes(op, t, mask)
	mv := broadcastView(mask, shape)
	n := cpu.CountTrue(shape, mask.st.data.([]bool), mv)
	out := newTensor(t.dtype, []int{n})
	k := &idxKernel{kind: idxMaskedSelectK, shape: shape, dst: out, src: t, sv: broadcastView(t, shape), mask: mask, mv: mv}
	k.run()
	inShape := t.shape
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{sumToShape(idxMaskedScatter(g, mask, shape), inShape)}
	})
}

// idxMaskedScatter places the elements of the 1-D g at the true positions of
// mask (broadcast to shape) in a zero tensor of that shape: the adjoint of
// MaskedSelect.
func idxMaskedScatter(g, mask *Tensor, shape []int) *Tensor {
	out := newTensor(g.dtype, shape)
	gc := g.Detach().Contiguous()
	k := &idxKernel{kind: idxMaskedScatterK, shape: shape, dst: out, dv: out.view(), src: gc, mask: mask, mv: broadcastView(mask, shape)}
	k.run()
	return record("masked_select_backward", out, []*Tensor{g}, func(gg *Tensor) []*Tensor {
		return []*Tensor{gg.MaskedSelect(mask)}
	})
}
