package tensor

import (
	"math"
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// This file holds the reductions beyond Sum: mean, prod, max/min (with and
// without indices), amax/amin, argmax/argmin, var/std, logsumexp and norms.
// Each follows torch 1.13: dtypes, NaN propagation, tie-breaking and the
// gradients' handling of ties and zeros.

// redDimList returns the indices of the reduced dimensions of r.
func redDimList(r *reduction) []int {
	var d []int
	for i, m := range r.reduced {
		if m {
			d = append(d, i)
		}
	}
	return d
}

// redExpand reads g, a gradient of a reduction's result, in the input's
// rank: reduced dims of size 1, ready to broadcast against the input.
func redExpand(g *Tensor, r *reduction) *Tensor { return g.Reshape(r.keepShape...) }

// redUnpermute turns x, contiguous data laid out as prepReduce lays out the
// input of shape (kept dims first, then reduced dims), back into a tensor of
// shape (a permuted view).
func redUnpermute(x *Tensor, shape []int, mask []bool) *Tensor {
	var perm []int
	for i := range shape {
		if !mask[i] {
			perm = append(perm, i)
		}
	}
	for i := range shape {
		if mask[i] {
			perm = append(perm, i)
		}
	}
	pshape := make([]int, len(perm))
	inv := make([]int, len(perm))
	for i, p := range perm {
		pshape[i] = shape[p]
		inv[p] = i
	}
	return x.Reshape(pshape...).Permute(inv...)
}

// redFloatCompute returns the dtype a float reduction computes in and the
// dtype of its result, for input dtype dt. Integer inputs panic unless
// promote is set, when they compute in the default float dtype.
func redFloatCompute(op string, dt DType, promote bool) (compute, result DType) {
	if !dt.IsFloat() {
		if !promote {
			panicf(op, "input dtype must be floating point, got %v; convert it first (e.g. Float())", dt)
		}
		dt = DefaultDType()
	}
	compute = dt
	if compute == Float16 {
		compute = Float32
	}
	return compute, dt
}

// redFloatRows runs a float row kernel over the prepared reduction r of an
// input of dtype dt and returns the result.
func redFloatRows(op string, r *reduction, dt DType, promote bool,
	k32 func(dst, src []float32, outer, inner int), k64 func(dst, src []float64, outer, inner int)) *Tensor {
	ct, rt := redFloatCompute(op, dt, promote)
	r.x = castTo(r.x, ct)
	out := newTensor(ct, r.outShape)
	if ct == Float32 {
		k32(out.st.data.([]float32), rows[float32](r), r.outer, r.inner)
	} else {
		k64(out.st.data.([]float64), rows[float64](r), r.outer, r.inner)
	}
	return castTo(out, rt)
}

// ---- private differentiable helpers used by the backward formulas ----

// redMaskFns builds binFuncs that compare two float operands and give 1
// where pred holds, 0 elsewhere.
func redMaskFns(pred func(a, b float64) bool) *binFuncs {
	return &binFuncs{
		f32: func(a, b float32) float32 {
			if pred(float64(a), float64(b)) {
				return 1
			}
			return 0
		},
		f64: func(a, b float64) float64 {
			if pred(a, b) {
				return 1
			}
			return 0
		},
	}
}

var (
	// redEqNaNFns: a == b, or both NaN (PyTorch's evenly_distribute mask).
	redEqNaNFns = redMaskFns(func(a, b float64) bool { return a == b || (a != a && b != b) })
	// redEqFns: a == b (NaN never equal).
	redEqFns = redMaskFns(func(a, b float64) bool { return a == b })
	// redAbsEqOrNaNFns: |a| == b, or |a| is NaN (the inf-norm gradient mask).
	redAbsEqOrNaNFns = redMaskFns(func(a, b float64) bool { return math.Abs(a) == b || a != a })
	// redNonZeroFns: a != 0 (b ignored).
	redNonZeroFns = redMaskFns(func(a, _ float64) bool { return a != 0 })
	// redWhereFns: a where b is non-zero, else 0.
	redWhereFns = &binFuncs{
		f32: func(a, m float32) float32 {
			if m != 0 {
				return a
			}
			return 0
		},
		f64: func(a, m float64) float64 {
			if m != 0 {
				return a
			}
			return 0
		},
	}
	redExpFns = floatUn(math.Exp)
	redAbsFns = floatUn(math.Abs)
	redSgnFns = floatUn(func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x // 0 and NaN
	})
)

// redMask compares a and b (broadcasting) with fs, giving a constant 0/1
// tensor (not recorded by autograd).
func redMask(fs *binFuncs, a, b *Tensor) *Tensor { return binary("mask", fs, a.Detach(), b.Detach()) }

// redWhere returns x where mask is non-zero and 0 elsewhere (broadcasting),
// without the NaN that multiplying by a 0/1 mask would give for infinite x.
// It is differentiable in x.
func redWhere(mask, x *Tensor) *Tensor {
	out := binary("where", redWhereFns, x, mask)
	return record("where", out, []*Tensor{x}, func(g *Tensor) []*Tensor {
		return []*Tensor{sumToShape(redWhere(mask, g), x.shape)}
	})
}

// redExp is exp(x), differentiable.
func redExp(x *Tensor) *Tensor {
	out := unary("exp", redExpFns, x)
	return record("exp", out, []*Tensor{x}, func(g *Tensor) []*Tensor { return []*Tensor{g.Mul(out)} })
}

// redSgn is the sign of x (0 at 0, NaN at NaN); its derivative is zero, so
// it is not recorded.
func redSgn(x *Tensor) *Tensor { return unary("sgn", redSgnFns, x.Detach()) }

// redAbs is |x|, differentiable (gradient sgn(x)).
func redAbs(x *Tensor) *Tensor {
	out := unary("abs", redAbsFns, x)
	return record("abs", out, []*Tensor{x}, func(g *Tensor) []*Tensor { return []*Tensor{g.Mul(redSgn(x))} })
}

// redPow is x^p for a constant p, differentiable.
func redPow(x *Tensor, p float64) *Tensor {
	out := unary("pow", floatUn(func(v float64) float64 { return math.Pow(v, p) }), x)
	return record("pow", out, []*Tensor{x}, func(g *Tensor) []*Tensor {
		return []*Tensor{g.Mul(redPow(x, p-1)).MulScalar(p)}
	})
}

// ---- mean and prod ----

// Mean returns the mean of all elements as a 0-d tensor. The input must be
// floating point, as in PyTorch; the mean of no elements is NaN.
func (t *Tensor) Mean() *Tensor {
	if tracing.Load() && outermost() {
		return traceMean(t)
	}
	return t.MeanDims(nil, false)
}

// MeanDims averages over dims (all when empty; negative dims count from the
// end), keeping them as size 1 when keepdim is set. Integer and bool inputs
// panic, as torch.mean does; convert them with Float first.
func (t *Tensor) MeanDims(dims []int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceMeanDims(t, dims, keepdim)
	}
	redFloatCompute("mean", t.dtype, false)
	r := prepReduce("mean", t, dims, keepdim)
	out := redFloatRows("mean", r, t.dtype, false, cpu.MeanRows[float32], cpu.MeanRows[float64])
	in, n := t.shape, r.inner
	return record("mean", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{redExpand(g, r).Expand(in...).DivScalar(float64(n))}
	})
}

// Prod returns the product of all elements as a 0-d tensor.
func (t *Tensor) Prod() *Tensor {
	if tracing.Load() && outermost() {
		return traceProd(t)
	}
	return t.ProdDims(nil, false)
}

// ProdDims multiplies over dims (all when empty), keeping them as size 1
// when keepdim is set. Integer and bool inputs give int64, as in PyTorch;
// float16 multiplies in float32. The gradient is the product of the other
// elements, exact when the input holds zeros.
func (t *Tensor) ProdDims(dims []int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceProdDims(t, dims, keepdim)
	}
	r := prepReduce("prod", t, dims, keepdim)
	var out *Tensor
	switch t.dtype {
	case Float32, Float16:
		r.x = castTo(r.x, Float32)
		out = newTensor(Float32, r.outShape)
		cpu.ProdRows[float32, float32](out.st.data.([]float32), rows[float32](r), r.outer, r.inner)
		out = castTo(out, t.dtype)
	case Float64:
		out = newTensor(Float64, r.outShape)
		cpu.ProdRows[float64, float64](out.st.data.([]float64), rows[float64](r), r.outer, r.inner)
	default:
		r.x = castTo(r.x, Int64)
		out = newTensor(Int64, r.outShape)
		cpu.ProdRows[int64, int64](out.st.data.([]int64), rows[int64](r), r.outer, r.inner)
	}
	if !t.dtype.IsFloat() {
		return out
	}
	return record("prod", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		gk := redExpand(g, r)
		if len(t.shape) == 0 {
			return []*Tensor{gk}
		}
		if !redHasZero(r) {
			// As PyTorch: grad * (result / input), differentiable.
			return []*Tensor{gk.Mul(redExpand(out, r).Div(t))}
		}
		return []*Tensor{gk.Mul(redProdExclusive(r, t))}
	})
}

// redHasZero reports whether the prepared input holds a zero.
func redHasZero(r *reduction) bool {
	switch r.x.dtype {
	case Float32:
		return slices.Contains(rows[float32](r), 0)
	case Float64:
		return slices.Contains(rows[float64](r), 0)
	}
	return false
}

// redProdExclusive returns, in the input's shape and dtype, the product of
// the other elements of each element's reduced group (a constant: second
// derivatives through it are not tracked).
func redProdExclusive(r *reduction, t *Tensor) *Tensor {
	ex := newTensor(r.x.dtype, []int{r.outer * r.inner})
	switch r.x.dtype {
	case Float32:
		cpu.ProdExclusiveRows(ex.st.data.([]float32), rows[float32](r), r.outer, r.inner)
	case Float64:
		cpu.ProdExclusiveRows(ex.st.data.([]float64), rows[float64](r), r.outer, r.inner)
	}
	return castTo(redUnpermute(ex, t.shape, r.reduced), t.dtype)
}

// ---- max, min, amax, amin, argmax, argmin ----

// redExtremeRows runs cpu.MaxRows (isMax) or cpu.MinRows on the prepared
// rows of an input of dtype dt. It returns the values (dtype dt, shape
// r.outShape; nil unless wantVals) and the indices (int64, r.outShape).
func redExtremeRows(r *reduction, dt DType, isMax, wantVals bool) (vals, idx *Tensor) {
	ct := dt
	switch dt {
	case Float16:
		ct = Float32
	case Bool:
		ct = Uint8
	}
	r.x = castTo(r.x, ct)
	idx = newTensor(Int64, r.outShape)
	if wantVals {
		vals = newTensor(ct, r.outShape)
	}
	switch ct {
	case Float32:
		redExtremeT[float32](r, vals, idx, isMax)
	case Float64:
		redExtremeT[float64](r, vals, idx, isMax)
	case Int64:
		redExtremeT[int64](r, vals, idx, isMax)
	case Int32:
		redExtremeT[int32](r, vals, idx, isMax)
	case Int8:
		redExtremeT[int8](r, vals, idx, isMax)
	case Uint8:
		redExtremeT[uint8](r, vals, idx, isMax)
	}
	if vals != nil {
		vals = castTo(vals, dt)
	}
	return vals, idx
}

func redExtremeT[T number](r *reduction, vals, idx *Tensor, isMax bool) {
	var v []T
	if vals != nil {
		v = vals.st.data.([]T)
	}
	ix := idx.st.data.([]int64)
	if isMax {
		cpu.MaxRows(v, ix, rows[T](r), r.outer, r.inner)
	} else {
		cpu.MinRows(v, ix, rows[T](r), r.outer, r.inner)
	}
}

// redCheckNonEmpty panics when a dim about to be reduced has size 0.
func redCheckNonEmpty(op string, t *Tensor, r *reduction) {
	for i, m := range r.reduced {
		if m && t.shape[i] == 0 {
			panicf(op, "expected reduction dim %d to have non-zero size (input shape %v)", i, t.shape)
		}
	}
}

// Max returns the largest element as a 0-d tensor; NaN propagates. An empty
// tensor panics (use MaxDim or Amax). The gradient is shared evenly among
// the elements equal to the maximum, as in PyTorch.
func (t *Tensor) Max() *Tensor {
	if tracing.Load() && outermost() {
		return traceMax(t)
	}
	return t.redExtremeAll("max", true)
}

// Min returns the smallest element as a 0-d tensor; see Max.
func (t *Tensor) Min() *Tensor {
	if tracing.Load() && outermost() {
		return traceMin(t)
	}
	return t.redExtremeAll("min", false)
}

func (t *Tensor) redExtremeAll(op string, isMax bool) *Tensor {
	if t.Numel() == 0 {
		panicf(op, "cannot reduce an empty tensor (shape %v) without a dim; use %sDim or A%s with dims", t.shape, redTitle(op), op)
	}
	r := prepReduce(op, t, nil, false)
	out, _ := redExtremeRows(r, t.dtype, isMax, true)
	if !t.dtype.IsFloat() {
		return out
	}
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		mask := redMask(redEqNaNFns, t, out)
		return []*Tensor{redWhere(mask, g.Div(mask.Sum()).Expand(t.shape...))}
	})
}

func redTitle(op string) string {
	if op == "max" {
		return "Max"
	}
	return "Min"
}

// MaxDim returns the largest elements along dim and their indices (int64),
// as torch.max(x, dim, keepdim): ties give the first index and NaN
// propagates (its index is returned). The gradient flows to the selected
// elements only. A dim of size 0 panics.
func (t *Tensor) MaxDim(dim int, keepdim bool) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceMaxDim(t, dim, keepdim)
	}
	return t.redExtremeDim("max", dim, keepdim, true)
}

// MinDim is MaxDim for the smallest elements.
func (t *Tensor) MinDim(dim int, keepdim bool) (values, indices *Tensor) {
	if tracing.Load() && outermost() {
		return traceMinDim(t, dim, keepdim)
	}
	return t.redExtremeDim("min", dim, keepdim, false)
}

func (t *Tensor) redExtremeDim(op string, dim int, keepdim, isMax bool) (*Tensor, *Tensor) {
	r := prepReduce(op, t, []int{dim}, keepdim)
	redCheckNonEmpty(op, t, r)
	vals, idx := redExtremeRows(r, t.dtype, isMax, true)
	if !t.dtype.IsFloat() {
		return vals, idx
	}
	vals = record(op, vals, []*Tensor{t}, func(g *Tensor) []*Tensor {
		oneHot := newTensor(t.dtype, []int{r.outer * r.inner})
		for i, j := range idx.st.data.([]int64) {
			setF64(oneHot.st.data, i*r.inner+int(j), 1)
		}
		mask := redUnpermute(oneHot, t.shape, r.reduced)
		return []*Tensor{redWhere(mask, redExpand(g, r).Expand(t.shape...))}
	})
	return vals, idx
}

// Amax returns the largest elements over dims (all when empty), keeping
// them as size 1 when keepdim is set; NaN propagates. Unlike MaxDim it
// gives no indices and reduces several dims at once, and its gradient is
// shared evenly among the tied maxima of each group, as torch.amax. A
// reduced dim of size 0 panics.
func (t *Tensor) Amax(dims []int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceAmax(t, dims, keepdim)
	}
	return t.redAextreme("amax", dims, keepdim, true)
}

// Amin is Amax for the smallest elements.
func (t *Tensor) Amin(dims []int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceAmin(t, dims, keepdim)
	}
	return t.redAextreme("amin", dims, keepdim, false)
}

func (t *Tensor) redAextreme(op string, dims []int, keepdim, isMax bool) *Tensor {
	r := prepReduce(op, t, dims, keepdim)
	redCheckNonEmpty(op, t, r)
	out, _ := redExtremeRows(r, t.dtype, isMax, true)
	if !t.dtype.IsFloat() {
		return out
	}
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		mask := redMask(redEqFns, t, redExpand(out, r))
		count := mask.SumDims(redDimList(r), true)
		// (grad / count) * mask, as PyTorch: a group whose result is NaN
		// has no match, so its gradient is NaN.
		return []*Tensor{redExpand(g, r).Div(count).Mul(mask)}
	})
}

// Argmax returns the index of the largest element of the flattened tensor
// as a 0-d int64 tensor (the first one on ties; a NaN counts as largest).
// An empty tensor and bool tensors panic, as in PyTorch.
func (t *Tensor) Argmax() *Tensor {
	if tracing.Load() && outermost() {
		return traceArgmax(t)
	}
	return t.redArgAll("argmax", true)
}

// Argmin returns the index of the smallest element of the flattened tensor;
// see Argmax.
func (t *Tensor) Argmin() *Tensor {
	if tracing.Load() && outermost() {
		return traceArgmin(t)
	}
	return t.redArgAll("argmin", false)
}

func (t *Tensor) redArgAll(op string, isMax bool) *Tensor {
	if t.dtype == Bool {
		panicf(op, "not supported for dtype bool")
	}
	if t.Numel() == 0 {
		panicf(op, "cannot reduce an empty tensor (shape %v) without a dim", t.shape)
	}
	_, idx := redExtremeRows(prepReduce(op, t, nil, false), t.dtype, isMax, false)
	return idx
}

// ArgmaxDim returns the indices (int64) of the largest elements along dim,
// as torch.argmax(x, dim, keepdim).
func (t *Tensor) ArgmaxDim(dim int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceArgmaxDim(t, dim, keepdim)
	}
	return t.redArgDim("argmax", dim, keepdim, true)
}

// ArgminDim returns the indices of the smallest elements along dim.
func (t *Tensor) ArgminDim(dim int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceArgminDim(t, dim, keepdim)
	}
	return t.redArgDim("argmin", dim, keepdim, false)
}

func (t *Tensor) redArgDim(op string, dim int, keepdim, isMax bool) *Tensor {
	if t.dtype == Bool {
		panicf(op, "not supported for dtype bool")
	}
	r := prepReduce(op, t, []int{dim}, keepdim)
	redCheckNonEmpty(op, t, r)
	_, idx := redExtremeRows(r, t.dtype, isMax, false)
	return idx
}

// ---- var and std ----

// Var returns the unbiased variance (correction 1) of all elements as a 0-d
// tensor.
func (t *Tensor) Var() *Tensor {
	if tracing.Load() && outermost() {
		return traceVar(t)
	}
	return t.VarDims(nil, 1, false)
}

// VarDims returns the variance over dims (all when empty), dividing the sum
// of squared deviations by max(0, N-correction) where N is the number of
// elements reduced: correction 1 is the unbiased (Bessel) estimate, 0 the
// population variance, as torch.var(correction=...). The input must be
// floating point.
func (t *Tensor) VarDims(dims []int, correction int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceVarDims(t, dims, correction, keepdim)
	}
	return t.redVarStd("var", dims, correction, keepdim, false)
}

// Std returns the unbiased standard deviation of all elements.
func (t *Tensor) Std() *Tensor {
	if tracing.Load() && outermost() {
		return traceStd(t)
	}
	return t.StdDims(nil, 1, false)
}

// StdDims returns the standard deviation over dims, the square root of
// VarDims. Its gradient is 0 where the result is 0, as in PyTorch.
func (t *Tensor) StdDims(dims []int, correction int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceStdDims(t, dims, correction, keepdim)
	}
	return t.redVarStd("std", dims, correction, keepdim, true)
}

func (t *Tensor) redVarStd(op string, dims []int, correction int, keepdim, std bool) *Tensor {
	redFloatCompute(op, t.dtype, false)
	r := prepReduce(op, t, dims, keepdim)
	out := redFloatRows(op, r, t.dtype, false,
		func(dst, src []float32, outer, inner int) { cpu.VarRows(dst, src, outer, inner, correction, std) },
		func(dst, src []float64, outer, inner int) { cpu.VarRows(dst, src, outer, inner, correction, std) })
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		g = redExpand(g, r)
		if std {
			o := redExpand(out, r)
			g = redWhere(redMask(redNonZeroFns, o, o), g.Div(o.MulScalar(2)))
		}
		scale := math.Inf(1)
		if dof := r.inner - correction; dof > 0 {
			scale = 2 / float64(dof)
		}
		dev := t.Sub(t.MeanDims(redDimList(r), true))
		return []*Tensor{g.Mul(dev.MulScalar(scale))}
	})
}

// ---- logsumexp ----

// LogSumExp returns log(sum(exp(x))) over dims (all when empty), keeping
// them as size 1 when keepdim is set. It shifts by the maximum, so large
// inputs do not overflow; a group of only -inf gives -inf. Integer inputs
// give the default float dtype, as in PyTorch.
func (t *Tensor) LogSumExp(dims []int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceLogSumExp(t, dims, keepdim)
	}
	r := prepReduce("logsumexp", t, dims, keepdim)
	out := redFloatRows("logsumexp", r, t.dtype, true, cpu.LogSumExpRows[float32], cpu.LogSumExpRows[float64])
	return record("logsumexp", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{redExpand(g, r).Mul(redExp(t.Sub(redExpand(out, r))))}
	})
}

// ---- norms ----

// Norm returns the p-norm over dims (all when empty), keeping them as size
// 1 when keepdim is set, as torch.linalg.vector_norm(x, p, dims): p=2 is the
// Euclidean norm, p=1 the sum of absolute values, p=math.Inf(1) the largest
// and math.Inf(-1) the smallest absolute value, p=0 the number of non-zero
// elements, and any other p (negative too) (sum |x|^p)^(1/p). The input must
// be floating point. Gradients follow PyTorch, including 0 at a zero norm.
func (t *Tensor) Norm(p float64, dims []int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceNorm(t, p, dims, keepdim)
	}
	redFloatCompute("norm", t.dtype, false)
	if math.IsNaN(p) {
		panicf("norm", "p must not be NaN")
	}
	r := prepReduce("norm", t, dims, keepdim)
	out := redFloatRows("norm", r, t.dtype, false,
		func(dst, src []float32, outer, inner int) { cpu.NormRows(dst, src, outer, inner, p) },
		func(dst, src []float64, outer, inner int) { cpu.NormRows(dst, src, outer, inner, p) })
	return record("norm", out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		return []*Tensor{redNormBackward(g, t, out, r, p)}
	})
}

// FrobeniusNorm returns the Frobenius norm over at most two dims (all
// elements when dims is empty), as torch.norm(x, "fro", dims): the square
// root of the sum of squares.
func (t *Tensor) FrobeniusNorm(dims []int, keepdim bool) *Tensor {
	if tracing.Load() && outermost() {
		return traceFrobeniusNorm(t, dims, keepdim)
	}
	if len(dims) > 2 {
		panicf("frobenius_norm", "expected at most 2 dims, got %v", dims)
	}
	return t.Norm(2, dims, keepdim)
}

// redNormBackward is PyTorch's norm_backward.
func redNormBackward(g, x, norm *Tensor, r *reduction, p float64) *Tensor {
	g, norm = redExpand(g, r), redExpand(norm, r)
	nonZero := redMask(redNonZeroFns, norm, norm)
	switch {
	case p == 0:
		return nil
	case p == 1:
		return redSgn(x).Mul(g)
	case p == 2:
		return redWhere(nonZero, x.Div(norm)).Mul(g)
	case math.IsInf(p, 0):
		mask := redMask(redAbsEqOrNaNFns, x, norm)
		count := mask.SumDims(redDimList(r), true)
		return redSgn(x).Mul(g.Div(count).Mul(mask))
	case p < 1:
		scaled := redSgn(x).Mul(redWhere(redMask(redNonZeroFns, x, x), redPow(redAbs(x), p-1)))
		return scaled.Mul(g).Mul(redPow(norm, 1-p))
	case p < 2:
		scaled := redSgn(x).Mul(redPow(redAbs(x), p-1))
		return scaled.Mul(redWhere(nonZero, g.Div(redPow(norm, p-1))))
	default:
		scaled := x.Mul(redPow(redAbs(x), p-2))
		return scaled.Mul(redWhere(nonZero, g.Div(redPow(norm, p-1))))
	}
}
