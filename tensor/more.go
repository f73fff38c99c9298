package tensor

import (
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// This file holds the reordering ops (flip, roll, repeat, tile,
// repeat_interleave), the scans (cumsum, cumprod, diff), the nonzero tests
// (any, all, count_nonzero, nonzero) and the diagonal ops (diagonal, diag,
// trace, outer), with torch 1.13's semantics. Flip, Roll, Repeat and
// RepeatInterleave copy from strided views of the input (negative strides
// walk a flipped dim backwards, zero strides repeat); their gradients are
// built from differentiable ops, so they can be differentiated again.

// moreNormDims normalises a list of dims that must be distinct (empty is
// allowed). A 0-d tensor accepts dim 0 and -1, as PyTorch.
func moreNormDims(op string, dims []int, nd int) []int {
	seen := make([]bool, max(nd, 1))
	out := make([]int, len(dims))
	for i, d := range dims {
		d = normDim(op, d, max(nd, 1))
		if seen[d] {
			panicf(op, "dim %d appears multiple times in the list of dims %v", d, dims)
		}
		seen[d] = true
		out[i] = d
	}
	return out
}

// moreAround returns the (outer, n, inner) factorisation of shape around
// dimension d: the product of the sizes before d, the size of d and the
// product of the sizes after it. A 0-d shape is (1, 1, 1).
func moreAround(shape []int, d int) (outer, n, inner int) {
	if len(shape) == 0 {
		return 1, 1, 1
	}
	return cpu.Numel(shape[:d]), shape[d], cpu.Numel(shape[d+1:])
}

// moreData returns the elements of a contiguous tensor.
func moreData[T Elem](x *Tensor) []T {
	return x.st.data.([]T)[x.offset : x.offset+x.Numel()]
}

// ---- flip, roll, repeat, tile, repeat_interleave ----

// Flip returns a copy of t with the order of the elements reversed along
// each of dims (torch.flip). No dims gives a plain copy; a dim given twice
// panics. The gradient is the flipped gradient.
func (t *Tensor) Flip(dims ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceFlip(t, dims)
	}
	const op = "flip"
	nd := len(t.shape)
	ds := moreNormDims(op, dims, nd)
	// Copy from a view that walks the flipped dims backwards.
	st, off := slices.Clone(t.strides), t.offset
	for _, d := range ds {
		if nd > 0 && t.shape[d] > 0 {
			off += (t.shape[d] - 1) * st[d]
			st[d] = -st[d]
		}
	}
	out := newTensor(t.dtype, t.shape)
	copyData(t.shape, out.st.data, out.view(), t.st.data, cpu.View{Offset: off, Strides: st})
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{g.Flip(ds...)}
	})
}

// Roll returns a copy of t with the elements shifted along dims, shifts[i]
// places along dims[i], wrapping around (torch.roll): element i of a
// dimension of size n moves to (i + shift) mod n. Negative shifts go the
// other way. With dims empty, t is rolled as if flattened and shifts must
// hold one shift. A dim may appear more than once; its shifts add up. The
// gradient is the gradient rolled back.
func (t *Tensor) Roll(shifts, dims []int) *Tensor {
	if tracing.Load() && outermost() {
		return traceRoll(t, shifts, dims)
	}
	const op = "roll"
	if len(dims) == 0 {
		if len(shifts) != 1 {
			panicf(op, "shifts and dimensions must align: %d shifts and no dims (a flattened roll takes one shift)", len(shifts))
		}
		return t.Reshape(-1).Roll(shifts, []int{0}).Reshape(t.shape...)
	}
	if len(shifts) != len(dims) {
		panicf(op, "shifts and dimensions must align: %d shifts and %d dims", len(shifts), len(dims))
	}
	nd := len(t.shape)
	total := make([]int, max(nd, 1))
	for i, d := range dims {
		total[normDim(op, d, max(nd, 1))] += shifts[i]
	}
	// Each rolled dim splits into two blocks that swap places: copy the
	// 2^k combinations of blocks.
	var rd, rs []int
	for d := range nd {
		if n := t.shape[d]; n > 0 {
			if s := (total[d]%n + n) % n; s != 0 {
				rd, rs = append(rd, d), append(rs, s)
			}
		}
	}
	out := newTensor(t.dtype, t.shape)
	for mask := range 1 << len(rd) {
		shape := slices.Clone(t.shape)
		so, do := t.offset, 0
		for b, d := range rd {
			n, s := t.shape[d], rs[b]
			if mask>>b&1 == 1 { // out[:s] = t[n-s:]
				shape[d] = s
				so += (n - s) * t.strides[d]
			} else { // out[s:] = t[:n-s]
				shape[d] = n - s
				do += s * out.strides[d]
			}
		}
		copyData(shape, out.st.data, cpu.View{Offset: do, Strides: out.strides}, t.st.data, cpu.View{Offset: so, Strides: t.strides})
	}
	back := make([]int, len(rd))
	for i, s := range rs {
		back[i] = -s
	}
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		if len(rd) == 0 {
			return []*Tensor{g}
		}
		return []*Tensor{g.Roll(back, rd)}
	})
}

// moreRepeatCopy copies the view of t with the given shape and strides
// (zero strides repeat) into a new contiguous tensor of shape outShape,
// which has as many elements. The gradient reshapes the output gradient to
// shape and sums it over sumDims, the repeated dims, into t's shape.
func (t *Tensor) moreRepeatCopy(op string, shape, strides, outShape, sumDims []int) *Tensor {
	out := newTensor(t.dtype, shape)
	copyData(shape, out.st.data, out.view(), t.st.data, cpu.View{Offset: t.offset, Strides: strides})
	out = out.asView(slices.Clone(outShape), cpu.Contiguous(outShape), 0)
	in := t.shape
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{g.Reshape(shape...).SumDims(sumDims, false).Reshape(in...)}
	})
}

// Repeat returns t repeated sizes[i] times along each dimension
// (torch.Tensor.repeat): the result has shape t.Size(i)*sizes[i], and
// where sizes has more entries than t has dimensions, t is first viewed
// with leading dimensions of size 1. Fewer sizes than dimensions, or a
// negative size, panics. Unlike Expand it copies. The gradient sums the
// copies.
func (t *Tensor) Repeat(sizes ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceRepeat(t, sizes)
	}
	const op = "repeat"
	nd := len(t.shape)
	if len(sizes) < nd {
		panicf(op, "number of repeat dims (%d) cannot be smaller than the number of dimensions of the tensor of shape %v", len(sizes), t.shape)
	}
	for _, s := range sizes {
		if s < 0 {
			panicf(op, "repeats cannot be negative, got %v", sizes)
		}
	}
	// Copy the view of shape (s0, n0, s1, n1, ...) whose s dims have
	// stride 0, then read it as (s0*n0, s1*n1, ...).
	lead := len(sizes) - nd
	shape := make([]int, 0, 2*len(sizes))
	strides := make([]int, 0, 2*len(sizes))
	outShape := make([]int, len(sizes))
	sumDims := make([]int, len(sizes))
	for i, s := range sizes {
		n, st := 1, 0
		if i >= lead {
			n, st = t.shape[i-lead], t.strides[i-lead]
		}
		shape = append(shape, s, n)
		strides = append(strides, 0, st)
		outShape[i] = s * n
		sumDims[i] = 2 * i
	}
	return t.moreRepeatCopy(op, shape, strides, outShape, sumDims)
}

// Tile repeats t as torch.tile: like Repeat, except that when dims has
// fewer entries than t has dimensions it is padded with leading ones.
func (t *Tensor) Tile(dims ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceTile(t, dims)
	}
	if nd := len(t.shape); len(dims) < nd {
		pad := make([]int, nd-len(dims), nd)
		for i := range pad {
			pad[i] = 1
		}
		dims = append(pad, dims...)
	}
	return t.Repeat(dims...)
}

// RepeatInterleave repeats each element of t repeats times along dim
// (torch.repeat_interleave with an integer repeats and a dim): [a b] gives
// [a a b b] for 2. Flatten t first for PyTorch's form without a dim. The
// gradient sums the copies.
func (t *Tensor) RepeatInterleave(repeats, dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceRepeatInterleave(t, repeats, dim)
	}
	const op = "repeat_interleave"
	if repeats < 0 {
		panicf(op, "repeats cannot be negative, got %d", repeats)
	}
	d := normDim(op, dim, len(t.shape))
	// Copy the view with a dim of size repeats and stride 0 after d.
	shape := slices.Insert(slices.Clone(t.shape), d+1, repeats)
	strides := slices.Insert(slices.Clone(t.strides), d+1, 0)
	outShape := slices.Clone(t.shape)
	outShape[d] *= repeats
	return t.moreRepeatCopy(op, shape, strides, outShape, []int{d + 1})
}

// RepeatInterleaveTensor repeats element i of t along dim repeats[i] times
// (torch.repeat_interleave with a tensor of repeats): repeats is an int64
// or int32 tensor with one non-negative entry per element of dim, or a
// single entry used for all of them.
func (t *Tensor) RepeatInterleaveTensor(repeats *Tensor, dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceRepeatInterleaveTensor(t, repeats, dim)
	}
	validNotNil("repeat_interleave", "input", t)
	validNotNil("repeat_interleave", "repeats", repeats)
	const op = "repeat_interleave"
	if repeats.dtype != Int64 && repeats.dtype != Int32 {
		panicf(op, "repeats must be an int64 or int32 tensor, got %v", repeats.dtype)
	}
	if repeats.Dim() > 1 {
		panicf(op, "repeats must be 0-d or 1-d, got shape %v", repeats.shape)
	}
	d := normDim(op, dim, len(t.shape))
	n := t.shape[d]
	r := repeats.ToInt64s()
	if len(r) == 1 && n != 1 {
		r = slices.Repeat(r, n)
	}
	if len(r) != n {
		panicf(op, "repeats of shape %v must have one entry per element of dimension %d of size %d", repeats.shape, d, n)
	}
	var m []int
	for i, c := range r {
		if c < 0 {
			panicf(op, "repeats cannot be negative, got %d", c)
		}
		for range c {
			m = append(m, i)
		}
	}
	return t.moreRemapDim(op, d, m)
}

// moreRemapDim gathers t along d through the index map m.
func (t *Tensor) moreRemapDim(op string, d int, m []int) *Tensor {
	outShape := slices.Clone(t.shape)
	outShape[d] = len(m)
	maps := make([][]int, len(t.shape))
	maps[d] = m
	return idxRemap(op, t, outShape, maps, 0)
}

// ---- cumsum, cumprod, diff ----

// Cumsum returns the running sums of t along dim (torch.cumsum). Integer
// and bool inputs give int64, as PyTorch; float32 accumulates in float64
// and float16 in float32. The gradient is the reversed running sum of the
// gradient.
func (t *Tensor) Cumsum(dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceCumsum(t, dim)
	}
	return t.moreScan("cumsum", dim, false)
}

// Cumprod returns the running products of t along dim (torch.cumprod),
// with Cumsum's dtypes. Its gradient is exact where t holds zeros, as
// PyTorch's: where t has no zeros it is the reversed running sum of
// grad*out divided by t; otherwise an O(n) kernel computes it, or, while
// recording a graph for higher derivatives, an O(n^2) composition of
// differentiable ops.
func (t *Tensor) Cumprod(dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceCumprod(t, dim)
	}
	return t.moreScan("cumprod", dim, true)
}

func (t *Tensor) moreScan(op string, dim int, prod bool) *Tensor {
	d := normDim(op, dim, max(len(t.shape), 1))
	outer, n, inner := moreAround(t.shape, d)
	rt := t.dtype
	if !rt.IsFloat() {
		rt = Int64
	}
	ct := rt
	if ct == Float16 {
		ct = Float32
	}
	x := castTo(t.Detach(), ct).Contiguous()
	out := newTensor(ct, t.shape)
	switch {
	case ct == Float64:
		moreScanT[float64, float64](out, x, outer, n, inner, prod)
	case ct == Float32 && t.dtype == Float16:
		moreScanT[float32, float32](out, x, outer, n, inner, prod)
	case ct == Float32:
		moreScanT[float32, float64](out, x, outer, n, inner, prod)
	default:
		moreScanT[int64, int64](out, x, outer, n, inner, prod)
	}
	out = castTo(out, rt)
	if !rt.IsFloat() {
		return out
	}
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		if !prod {
			return []*Tensor{moreRevCumsum(g, d)}
		}
		return []*Tensor{moreCumprodGrad(t, out, g, d)}
	})
}

func moreScanT[T float32 | float64 | int64, A cpu.Number](out, x *Tensor, outer, n, inner int, prod bool) {
	if prod {
		cpu.Cumprod[T, A](moreData[T](out), moreData[T](x), outer, n, inner)
	} else {
		cpu.Cumsum[T, A](moreData[T](out), moreData[T](x), outer, n, inner)
	}
}

// moreRevCumsum returns the running sums of g along d taken from the end.
func moreRevCumsum(g *Tensor, d int) *Tensor { return g.Flip(d).Cumsum(d).Flip(d) }

// moreCumprodGrad is the gradient of out = x.Cumprod(d) for the output
// gradient g.
func moreCumprodGrad(x, out, g *Tensor, d int) *Tensor {
	if x.Dim() == 0 || x.Numel() == 0 {
		return g
	}
	if x.Detach().All().ToBools()[0] { // no zeros: PyTorch's formula
		return moreRevCumsum(g.Mul(out), d).Div(x)
	}
	if ovhNeedGraph(g) {
		return moreCumprodGradZeros(x, g, d)
	}
	ct := x.dtype
	if ct == Float16 {
		ct = Float32
	}
	outer, n, inner := moreAround(x.shape, d)
	xc := castTo(x.Detach(), ct).Contiguous()
	gc := castTo(g.Detach(), ct).Contiguous()
	yc := castTo(out.Detach(), ct).Contiguous()
	dx := newTensor(ct, x.shape)
	if ct == Float64 {
		cpu.CumprodBackward(moreData[float64](dx), moreData[float64](gc), moreData[float64](xc), moreData[float64](yc), outer, n, inner)
	} else {
		cpu.CumprodBackward(moreData[float32](dx), moreData[float32](gc), moreData[float32](xc), moreData[float32](yc), outer, n, inner)
	}
	return castTo(dx, x.dtype)
}

// moreCumprodGradZeros is moreCumprodGrad for an x with zeros, built from
// differentiable ops: with x along the last axis, dx[i] = P[i] *
// sum_{j>=i} g[j]*C[i,j], where P[i] is the product of x[m] for m < i and
// C[i,j] that of x[m] for i < m <= j.
func moreCumprodGradZeros(x, g *Tensor, d int) *Tensor {
	xt, gt := x.Transpose(d, -1), g.Transpose(d, -1)
	n := xt.Size(-1)
	sq := append(xt.Shape(), n)
	ar := ArangeInt(0, n, 1)
	row, col := ar.Unsqueeze(1), ar.Unsqueeze(0) // i, j
	one, zero := scalarFor(x, 1), scalarFor(x, 0)
	c := Where(col.Gt(row), xt.Unsqueeze(-2).Expand(sq...), one).Cumprod(-1)
	s := Where(col.Ge(row), gt.Unsqueeze(-2).Mul(c), zero).SumDims([]int{-1}, false)
	lead := xt.Shape()
	lead[len(lead)-1] = 1
	p := newTensor(x.dtype, lead).Fill_(1)
	if n > 1 {
		p = Cat([]*Tensor{p, xt.Narrow(-1, 0, n-1)}, -1).Cumprod(-1)
	}
	return p.Mul(s).Transpose(d, -1)
}

// Diff returns the n-th forward difference of t along dim (torch.diff):
// out[i] = t[i+1] - t[i] along dim, applied n times; each pass shortens dim
// by one, down to size 0. Bool tensors use logical xor, as PyTorch. n = 0
// returns t. t must have at least one dimension.
func (t *Tensor) Diff(n, dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceDiff(t, n, dim)
	}
	const op = "diff"
	if len(t.shape) == 0 {
		panicf(op, "expected a tensor of at least one dimension, got a 0-d tensor")
	}
	if n < 0 {
		panicf(op, "order must be non-negative, got %d", n)
	}
	d := normDim(op, dim, len(t.shape))
	x := t
	for range n {
		l := x.shape[d]
		if l == 0 {
			break
		}
		a, b := x.Narrow(d, 1, l-1), x.Narrow(d, 0, l-1)
		if x.dtype == Bool {
			x = a.LogicalXor(b)
		} else {
			x = a.Sub(b)
		}
	}
	return x
}

// ---- any, all, count_nonzero, nonzero ----

// Any reports, as a 0-d tensor, whether some element of t is nonzero (NaN
// is nonzero; an empty tensor gives false). The result is bool, except for
// uint8 input, where it is uint8 as in PyTorch.
func (t *Tensor) Any() *Tensor {
	if tracing.Load() && outermost() {
		return traceAny(t)
	}
	return t.moreAnyAll("any", nil, false, true)
}

// All reports, as a 0-d tensor, whether every element of t is nonzero (an
// empty tensor gives true); dtypes as Any.
func (t *Tensor) All() *Tensor {
	if tracing.Load() && outermost() {
		return traceAll(t)
	}
	return t.moreAnyAll("all", nil, false, false)
}

// AnyDim is Any along dim, keeping it as size 1 when keepdim is set
// (torch.any(x, dim, keepdim)).
func (t *Tensor) AnyDim(dim int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceAnyDim(t, dim, keepdim)
	}
	return t.moreAnyAll("any", []int{dim}, keepdim, true)
}

// AllDim is All along dim, keeping it as size 1 when keepdim is set.
func (t *Tensor) AllDim(dim int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceAllDim(t, dim, keepdim)
	}
	return t.moreAnyAll("all", []int{dim}, keepdim, false)
}

func (t *Tensor) moreAnyAll(op string, dims []int, keepdim, isAny bool) *Tensor {
	r := prepReduce(op, t, dims, keepdim)
	if r.x.dtype == Float16 {
		r.x = castTo(r.x, Float32) // so that -0 is zero
	}
	out := newTensor(Bool, r.outShape)
	o := out.st.data.([]bool)
	switch r.x.dtype {
	case Float32:
		moreAnyAllT[float32](o, r, isAny)
	case Float64:
		moreAnyAllT[float64](o, r, isAny)
	case Int64:
		moreAnyAllT[int64](o, r, isAny)
	case Int32:
		moreAnyAllT[int32](o, r, isAny)
	case Int8:
		moreAnyAllT[int8](o, r, isAny)
	case Uint8:
		moreAnyAllT[uint8](o, r, isAny)
	case Bool:
		moreAnyAllT[bool](o, r, isAny)
	}
	if t.dtype == Uint8 {
		return castTo(out, Uint8)
	}
	return out
}

func moreAnyAllT[T Elem](o []bool, r *reduction, isAny bool) {
	if isAny {
		cpu.AnyRows(o, rows[T](r), r.outer, r.inner)
	} else {
		cpu.AllRows(o, rows[T](r), r.outer, r.inner)
	}
}

// CountNonzero returns the number of nonzero elements over dims (all when
// none are given) as an int64 tensor (torch.count_nonzero). NaN counts as
// nonzero.
func (t *Tensor) CountNonzero(dims ...int) *Tensor {
	if tracing.Load() && outermost() {
		return traceCountNonzero(t, dims)
	}
	r := prepReduce("count_nonzero", t, dims, false)
	if r.x.dtype == Float16 {
		r.x = castTo(r.x, Float32)
	}
	out := newTensor(Int64, r.outShape)
	o := out.st.data.([]int64)
	switch r.x.dtype {
	case Float32:
		cpu.CountNonzeroRows(o, rows[float32](r), r.outer, r.inner)
	case Float64:
		cpu.CountNonzeroRows(o, rows[float64](r), r.outer, r.inner)
	case Int64:
		cpu.CountNonzeroRows(o, rows[int64](r), r.outer, r.inner)
	case Int32:
		cpu.CountNonzeroRows(o, rows[int32](r), r.outer, r.inner)
	case Int8:
		cpu.CountNonzeroRows(o, rows[int8](r), r.outer, r.inner)
	case Uint8:
		cpu.CountNonzeroRows(o, rows[uint8](r), r.outer, r.inner)
	case Bool:
		cpu.CountNonzeroRows(o, rows[bool](r), r.outer, r.inner)
	}
	return out
}

// Nonzero returns the indices of the nonzero elements of t as an int64
// tensor of shape [count, t.Dim()], one row of coordinates per element in
// row-major order (torch.nonzero). NaN is nonzero.
func (t *Tensor) Nonzero() *Tensor {
	if tracing.Load() && outermost() {
		return traceNonzero(t)
	}
	x := t.Detach()
	if x.dtype == Float16 {
		x = castTo(x, Float32)
	}
	x = x.Contiguous()
	var coords []int64
	var count int
	switch x.dtype {
	case Float32:
		coords, count = cpu.Nonzero(moreData[float32](x), x.shape)
	case Float64:
		coords, count = cpu.Nonzero(moreData[float64](x), x.shape)
	case Int64:
		coords, count = cpu.Nonzero(moreData[int64](x), x.shape)
	case Int32:
		coords, count = cpu.Nonzero(moreData[int32](x), x.shape)
	case Int8:
		coords, count = cpu.Nonzero(moreData[int8](x), x.shape)
	case Uint8:
		coords, count = cpu.Nonzero(moreData[uint8](x), x.shape)
	case Bool:
		coords, count = cpu.Nonzero(moreData[bool](x), x.shape)
	}
	out := newTensor(Int64, []int{count, len(t.shape)})
	copy(out.st.data.([]int64), coords)
	return out
}

// ---- diagonal, diag, trace, outer ----

// moreDiagLayout returns the shape, strides and offset shift of the
// diagonal view (offset, d1, d2) of a tensor of the given shape and
// strides: d1 and d2 are removed and a last dimension runs along the
// diagonal.
func moreDiagLayout(shape, strides []int, offset, d1, d2 int) ([]int, []int, int) {
	var l, off int
	if offset >= 0 {
		l = max(0, min(shape[d1], shape[d2]-offset))
		off = offset * strides[d2]
	} else {
		l = max(0, min(shape[d1]+offset, shape[d2]))
		off = -offset * strides[d1]
	}
	if l == 0 {
		off = 0
	}
	var sh, st []int
	for i := range shape {
		if i != d1 && i != d2 {
			sh = append(sh, shape[i])
			st = append(st, strides[i])
		}
	}
	return append(sh, l), append(st, strides[d1]+strides[d2]), off
}

// Diagonal returns a view of the diagonal of t with respect to dims dim1
// and dim2 (torch.diagonal): those dims are removed and a last dimension
// holds the elements t[..., i, ..., i+offset, ...] (offset > 0 is above the
// main diagonal, < 0 below). Like every view it shares t's storage. The
// gradient is zero off the diagonal.
func (t *Tensor) Diagonal(offset, dim1, dim2 int) *Tensor {
	if tracing.Load() && outermost() {
		return traceDiagonal(t, offset, dim1, dim2)
	}
	const op = "diagonal"
	nd := len(t.shape)
	if nd < 2 {
		panicf(op, "expected a tensor of at least 2 dimensions, got shape %v", t.shape)
	}
	d1, d2 := normDim(op, dim1, nd), normDim(op, dim2, nd)
	if d1 == d2 {
		panicf(op, "diagonal dimensions cannot be identical %d, %d", dim1, dim2)
	}
	sh, st, off := moreDiagLayout(t.shape, t.strides, offset, d1, d2)
	out := t.asView(sh, st, t.offset+off)
	in := t.shape
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{moreDiagEmbed("diagonal_backward", g, in, offset, d1, d2)}
	})
}

// moreDiagEmbed returns zeros of shape with g on the diagonal (offset, d1,
// d2); g has the shape of that diagonal. Its gradient is the diagonal of
// the output gradient.
func moreDiagEmbed(op string, g *Tensor, shape []int, offset, d1, d2 int) *Tensor {
	z := newTensor(g.dtype, shape)
	sh, st, off := moreDiagLayout(z.shape, z.strides, offset, d1, d2)
	copyStrided(z.asView(sh, st, off), g)
	return record(op, z, []*Tensor{g}, func(gg *Tensor) []*Tensor {
		return []*Tensor{gg.Diagonal(offset, d1, d2)}
	})
}

// Diag is torch.diag: for a 1-D t of n elements it returns the square
// matrix of size n+|diagonal| with t on the given diagonal and zeros
// elsewhere; for a 2-D t it returns a copy of that diagonal, as 1-D.
func (t *Tensor) Diag(diagonal int) *Tensor {
	if tracing.Load() && outermost() {
		return traceDiag(t, diagonal)
	}
	switch t.Dim() {
	case 1:
		n := t.shape[0] + max(diagonal, -diagonal)
		return moreDiagEmbed("diag", t, []int{n, n}, diagonal, 0, 1)
	case 2:
		return t.Diagonal(diagonal, 0, 1).Clone()
	}
	panicf("diag", "expected a 1-D or 2-D tensor, got shape %v", t.shape)
	return nil
}

// Trace returns the sum of the main diagonal of the 2-D tensor t as a 0-d
// tensor (torch.trace); integer and bool inputs give int64.
func (t *Tensor) Trace() *Tensor {
	if tracing.Load() && outermost() {
		return traceTrace(t)
	}
	if t.Dim() != 2 {
		panicf("trace", "expected a 2-D tensor, got shape %v", t.shape)
	}
	return t.Diagonal(0, 0, 1).Sum()
}

// Outer returns the outer product of the 1-D tensors t and u
// (torch.outer): out[i][j] = t[i]*u[j], with the promoted dtype.
func (t *Tensor) Outer(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceOuter(t, u)
	}
	validNotNil2("outer", t, u)
	if t.Dim() != 1 || u.Dim() != 1 {
		panicf("outer", "expected 1-D vectors, got shapes %v and %v", t.shape, u.shape)
	}
	return t.Unsqueeze(1).Mul(u.Unsqueeze(0))
}
