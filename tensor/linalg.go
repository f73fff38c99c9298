package tensor

import (
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// MatMul returns the matrix product of a and b with torch.matmul's rules
// (see (*Tensor).MatMul).
func MatMul(a, b *Tensor) *Tensor { return a.MatMul(b) }

// MatMul returns the matrix product of t and u with torch.matmul's rules:
// two 1-D tensors give their dot product (a 0-d tensor); two 2-D tensors
// their matrix product; a 1-D first operand is treated as a row vector and
// a 1-D second operand as a column vector, the added dimension being
// removed from the result; with more dimensions, the last two are the
// matrices and the leading (batch) dimensions broadcast. Both operands must
// have the same dtype. Float32 and float64 use the GEMM kernels (float16
// computes in float32); integer dtypes use a plain loop (with wrap-around,
// as in PyTorch); bool is not supported.
func (t *Tensor) MatMul(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceMatMul(t, u)
	}
	return linMatMul("matmul", t, u)
}

// Mm returns the product of two 2-D tensors (torch.mm); unlike MatMul it
// accepts nothing else.
func (t *Tensor) Mm(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceMm(t, u)
	}
	validNotNil2("mm", t, u)
	if t.Dim() != 2 || u.Dim() != 2 {
		panicf("mm", "expected two 2-D tensors, got shapes %v and %v", t.shape, u.shape)
	}
	return linMatMul("mm", t, u)
}

// Bmm returns the batched product of two 3-D tensors [B, n, m] and
// [B, m, p] (torch.bmm); the batch sizes must be equal (no broadcasting).
func (t *Tensor) Bmm(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceBmm(t, u)
	}
	validNotNil2("bmm", t, u)
	if t.Dim() != 3 || u.Dim() != 3 {
		panicf("bmm", "expected two 3-D tensors, got shapes %v and %v", t.shape, u.shape)
	}
	if t.shape[0] != u.shape[0] {
		panicf("bmm", "batch sizes of shapes %v and %v differ", t.shape, u.shape)
	}
	return linMatMul("bmm", t, u)
}

// Dot returns the dot product of two 1-D tensors of the same length as a
// 0-d tensor (torch.dot).
func (t *Tensor) Dot(u *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceDot(t, u)
	}
	validNotNil2("dot", t, u)
	if t.Dim() != 1 || u.Dim() != 1 {
		panicf("dot", "expected two 1-D tensors, got shapes %v and %v", t.shape, u.shape)
	}
	if t.shape[0] != u.shape[0] {
		panicf("dot", "shapes %v and %v have different lengths", t.shape, u.shape)
	}
	return linMatMul("dot", t, u)
}

// linMatMul implements MatMul and its restricted forms, recording op.
func linMatMul(op string, a, b *Tensor) *Tensor {
	validNotNil2(op, a, b)
	if a.Dim() == 0 || b.Dim() == 0 {
		panicf(op, "both arguments need at least 1 dimension, got shapes %v and %v", a.shape, b.shape)
	}
	if a.dtype != b.dtype {
		panicf(op, "expected operands of the same dtype, got %v and %v", a.dtype, b.dtype)
	}
	if a.dtype == Bool {
		panicf(op, "not supported for dtype bool")
	}
	// a2 and b2 are the operands with at least two dimensions.
	a2, b2 := a.Detach(), b.Detach()
	if a.Dim() == 1 {
		a2 = a2.Unsqueeze(0)
	}
	if b.Dim() == 1 {
		b2 = b2.Unsqueeze(-1)
	}
	na, nb := a2.Dim(), b2.Dim()
	m, k, n := a2.shape[na-2], a2.shape[na-1], b2.shape[nb-1]
	if b2.shape[nb-2] != k {
		panicf(op, "shapes %v and %v cannot be multiplied", a.shape, b.shape)
	}
	batch, ok := BroadcastShapes(a2.shape[:na-2], b2.shape[:nb-2])
	if !ok {
		panicf(op, "batch dimensions of shapes %v and %v cannot be broadcast", a.shape, b.shape)
	}
	shape2 := slices.Concat(batch, []int{m, n})
	var shape []int // the result's shape: shape2 without the added dims
	shape = append(shape, batch...)
	if a.Dim() > 1 {
		shape = append(shape, m)
	}
	if b.Dim() > 1 {
		shape = append(shape, n)
	}

	ct, dt := a.dtype, a.dtype
	if ct == Float16 {
		ct = Float32
		a2, b2 = castTo(a2, ct), castTo(b2, ct)
	}
	out := newTensor(ct, shape2)
	switch ct {
	case Float32:
		linMatMulFloat[float32](a2, b2, batch, m, n, k, out.st.data.([]float32))
	case Float64:
		linMatMulFloat[float64](a2, b2, batch, m, n, k, out.st.data.([]float64))
	case Int64:
		linMatMulLoop[int64](a2, b2, batch, m, n, k, out.st.data.([]int64))
	case Int32:
		linMatMulLoop[int32](a2, b2, batch, m, n, k, out.st.data.([]int32))
	case Int8:
		linMatMulLoop[int8](a2, b2, batch, m, n, k, out.st.data.([]int8))
	case Uint8:
		linMatMulLoop[uint8](a2, b2, batch, m, n, k, out.st.data.([]uint8))
	}
	out = castTo(out, dt)
	out = out.asView(shape, cpu.Contiguous(shape), 0)
	return record(op, out, []*Tensor{a, b}, func(g *Tensor) []*Tensor {
		return linMatMulBackward(a, b, g, shape2)
	})
}

// linMatMulBackward returns the gradients of MatMul(a, b) for the output
// gradient g; shape2 is the output shape with the dimensions that 1-D
// operands add kept. It uses MatMul itself, so it is differentiable again.
func linMatMulBackward(a, b, g *Tensor, shape2 []int) []*Tensor {
	a2, b2 := a, b
	if a.Dim() == 1 {
		a2 = a.Unsqueeze(0)
	}
	if b.Dim() == 1 {
		b2 = b.Unsqueeze(-1)
	}
	g2 := g.Reshape(shape2...)
	var ga, gb *Tensor
	if a.requiresGrad {
		ga = sumToShape(g2.MatMul(b2.MT()), a2.shape).Reshape(a.shape...)
	}
	if b.requiresGrad {
		if b2.Dim() == 2 && a2.Dim() > 2 {
			// Fold a's batch into its rows: one GEMM instead of a batch
			// of products summed afterwards.
			rows := cpu.Numel(a2.shape[:a2.Dim()-1])
			gb = a2.Reshape(rows, b2.shape[0]).MT().MatMul(g2.Reshape(rows, b2.shape[1]))
		} else {
			gb = sumToShape(a2.MT().MatMul(g2), b2.shape)
		}
		gb = gb.Reshape(b.shape...)
	}
	return []*Tensor{ga, gb}
}

// linLayout returns how a GEMM can read an r×c matrix whose rows and
// columns are sr and sc elements apart: stored row-major (trans false) or
// column-major (trans true) with leading dimension ld. ok is false when
// neither holds and the matrix must be copied.
func linLayout(r, c, sr, sc int) (trans bool, ld int, ok bool) {
	if c == 1 || sc == 1 {
		if r == 1 {
			return false, max(c, 1), true
		}
		if sr >= max(c, 1) {
			return false, sr, true
		}
	}
	if r == 1 || sr == 1 {
		if c == 1 {
			return true, max(r, 1), true
		}
		if sc >= max(r, 1) {
			return true, sc, true
		}
	}
	return false, 0, false
}

// linMatrixLayout returns t (a tensor of at least 2 dimensions) or a
// contiguous copy of it, such that its last two dimensions are a matrix a
// GEMM can read in place, with that layout.
func linMatrixLayout(t *Tensor) (*Tensor, bool, int) {
	nd := t.Dim()
	r, c := t.shape[nd-2], t.shape[nd-1]
	if tr, ld, ok := linLayout(r, c, t.strides[nd-2], t.strides[nd-1]); ok {
		return t, tr, ld
	}
	t = t.Contiguous()
	tr, ld, _ := linLayout(r, c, t.strides[nd-2], t.strides[nd-1])
	return t, tr, ld
}

// linBatchStrides returns the strides of t's batch dimensions (all but the
// last two) broadcast to batch.
func linBatchStrides(t *Tensor, batch []int) []int {
	nb := t.Dim() - 2
	st := make([]int, len(batch))
	off := len(batch) - nb
	for i := range nb {
		if t.shape[i] != 1 {
			st[off+i] = t.strides[i]
		}
	}
	return st
}

// linBatches calls f(i, offA, offB) for every matrix i of the broadcast
// batch, with the storage offsets of the matching matrices of a and b.
func linBatches(batch []int, a, b *Tensor, f func(i, offA, offB int)) {
	nb := cpu.Numel(batch)
	sa, sb := linBatchStrides(a, batch), linBatchStrides(b, batch)
	idx := make([]int, len(batch))
	oa, ob := a.offset, b.offset
	for i := range nb {
		f(i, oa, ob)
		for d := len(batch) - 1; d >= 0; d-- {
			idx[d]++
			oa += sa[d]
			ob += sb[d]
			if idx[d] < batch[d] {
				break
			}
			oa -= sa[d] * batch[d]
			ob -= sb[d] * batch[d]
			idx[d] = 0
		}
	}
}

// linGemm calls Sgemm or Dgemm for the element type (alpha 1).
func linGemm[T cpu.Float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch av := any(a).(type) {
	case []float32:
		cpu.Sgemm(transA, transB, m, n, k, 1, av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		cpu.Dgemm(transA, transB, m, n, k, 1, av, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// linMatMulFloat writes the batched product of a ([..., m, k]) and b
// ([..., k, n]) into c ([batch..., m, n], contiguous, zero), passing
// transposed layouts to the GEMM without copying.
func linMatMulFloat[T float32 | float64](a, b *Tensor, batch []int, m, n, k int, c []T) {
	if m == 0 || n == 0 || k == 0 || cpu.Numel(batch) == 0 {
		return // c is already zero
	}
	a, tA, lda := linMatrixLayout(a)
	b, tB, ldb := linMatrixLayout(b)
	ad, bd := a.st.data.([]T), b.st.data.([]T)
	if b.Dim() == 2 && a.Dim() > 2 {
		// [batch..., m, k] x [k, n]: one GEMM with batch*m rows when a's
		// batch and row dimensions merge into one.
		rows := cpu.Numel(batch) * m
		if st := viewStrides(a.shape, a.strides, []int{rows, k}); st != nil {
			if tr, ld, ok := linLayout(rows, k, st[0], st[1]); ok {
				linGemm(tr, tB, rows, n, k, ad[a.offset:], ld, bd[b.offset:], ldb, 0, c, n)
				return
			}
		}
	}
	linBatches(batch, a, b, func(i, oa, ob int) {
		linGemm(tA, tB, m, n, k, ad[oa:], lda, bd[ob:], ldb, 0, c[i*m*n:(i+1)*m*n], n)
	})
}

// linMatMulLoop is the integer matmul: a plain triple loop over strides.
func linMatMulLoop[T int64 | int32 | int8 | uint8](a, b *Tensor, batch []int, m, n, k int, c []T) {
	ad, bd := a.st.data.([]T), b.st.data.([]T)
	na, nb := a.Dim(), b.Dim()
	ar, ac := a.strides[na-2], a.strides[na-1]
	br, bc := b.strides[nb-2], b.strides[nb-1]
	linBatches(batch, a, b, func(i, oa, ob int) {
		ci := c[i*m*n : (i+1)*m*n]
		for r := range m {
			for j := range n {
				var s T
				for p := range k {
					s += ad[oa+r*ar+p*ac] * bd[ob+p*br+j*bc]
				}
				ci[r*n+j] = s
			}
		}
	})
}

// Linear applies the affine map x·wᵀ + b (torch.nn.functional.linear): x
// has shape [..., in], w [out, in] and b [out] or nil; the result has shape
// [..., out]. The leading dimensions of x fold into one GEMM, and the bias
// is written into the output before the GEMM accumulates onto it.
func Linear(x, w, b *Tensor) *Tensor {
	if tracing.Load() && outermost() {
		return traceLinear(x, w, b)
	}
	validNotNil("linear", "input", x)
	validNotNil("linear", "weight", w)
	if w.Dim() != 2 || x.Dim() == 0 {
		panicf("linear", "expected a 2-D weight and an input with at least 1 dimension, got shapes %v and %v", x.shape, w.shape)
	}
	in, outF := w.shape[1], w.shape[0]
	if x.shape[x.Dim()-1] != in {
		panicf("linear", "input shape %v and weight shape %v cannot be multiplied", x.shape, w.shape)
	}
	if b != nil && (b.Dim() != 1 || b.shape[0] != outF) {
		panicf("linear", "bias of shape %v does not match weight shape %v", b.shape, w.shape)
	}
	if x.dtype != w.dtype || (b != nil && b.dtype != x.dtype) {
		panicf("linear", "expected input, weight and bias of the same dtype, got %v, %v and %v", x.dtype, w.dtype, dtypeOrNone(b))
	}
	if !x.dtype.IsFloat() {
		out := x.MatMul(w.T())
		if b != nil {
			out = out.Add(b)
		}
		return out
	}
	shape := slices.Clone(x.shape)
	shape[len(shape)-1] = outF
	rows := cpu.Numel(x.shape[:x.Dim()-1])
	x2 := x.Detach().Reshape(rows, in)
	wt := w.Detach().T()
	var bd *Tensor
	if b != nil {
		bd = b.Detach()
	}
	ct, dt := x.dtype, x.dtype
	if ct == Float16 {
		ct = Float32
		x2, wt = castTo(x2, ct), castTo(wt, ct)
		if bd != nil {
			bd = castTo(bd, ct)
		}
	}
	out := newTensor(ct, []int{rows, outF})
	switch ct {
	case Float32:
		linLinear[float32](x2, wt, bd, out.st.data.([]float32))
	case Float64:
		linLinear[float64](x2, wt, bd, out.st.data.([]float64))
	}
	out = castTo(out, dt)
	out = out.asView(shape, cpu.Contiguous(shape), 0)
	return record("linear", out, []*Tensor{x, w, b}, func(g *Tensor) []*Tensor {
		g2 := g.Reshape(rows, outF)
		var gx, gw, gb *Tensor
		if x.requiresGrad {
			gx = g2.MatMul(w).Reshape(x.shape...)
		}
		if w.requiresGrad {
			gw = g2.MT().MatMul(x.Reshape(rows, in))
		}
		if b != nil && b.requiresGrad {
			gb = g2.SumDims([]int{0}, false)
		}
		return []*Tensor{gx, gw, gb}
	})
}

func dtypeOrNone(t *Tensor) any {
	if t == nil {
		return "none"
	}
	return t.dtype
}

// linLinear writes x ([rows, in]) times wt ([in, out]) plus bias into c
// ([rows, out], contiguous).
func linLinear[T float32 | float64](x, wt, bias *Tensor, c []T) {
	rows, in, outF := x.shape[0], x.shape[1], wt.shape[1]
	var beta T
	if bias != nil {
		bv := bias.Contiguous()
		row := bv.st.data.([]T)[bv.offset : bv.offset+outF]
		for r := range rows {
			copy(c[r*outF:(r+1)*outF], row)
		}
		beta = 1
	}
	if rows == 0 || outF == 0 || in == 0 {
		return
	}
	x, tA, lda := linMatrixLayout(x)
	wt, tB, ldb := linMatrixLayout(wt)
	linGemm(tA, tB, rows, outF, in, x.st.data.([]T)[x.offset:], lda, wt.st.data.([]T)[wt.offset:], ldb, beta, c, outF)
}
