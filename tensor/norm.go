package tensor

import (
	"math"
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// BatchNorm normalises x ([N, C], [N, C, L], [N, C, H, W] or any [N, C,
// ...]) per channel, as F.batch_norm: y = (x - mean) / sqrt(var + eps) *
// weight + bias.
//
// In training the statistics are the batch's (the biased variance
// normalises), and runningMean and runningVar, when given, are updated in
// place without autograd: running = (1-momentum)*running + momentum*batch,
// with the unbiased batch variance for runningVar. In evaluation the running
// statistics normalise and must be given. weight and bias ([C]) may be nil.
// Gradients flow to x, weight and bias, never to the running statistics.
func BatchNorm(x, runningMean, runningVar, weight, bias *Tensor, training bool, momentum, eps float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceBatchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps)
	}
	validNotNil("batch_norm", "input", x)
	const op = "batch_norm"
	if len(x.shape) < 2 {
		panicf(op, "expected an input of at least 2 dimensions [N, C, ...], got shape %v", x.shape)
	}
	c := x.shape[1]
	for _, p := range []struct {
		name string
		t    *Tensor
	}{{"weight", weight}, {"bias", bias}, {"running_mean", runningMean}, {"running_var", runningVar}} {
		if p.t != nil && (len(p.t.shape) != 1 || p.t.shape[0] != c || !p.t.dtype.IsFloat()) {
			panicf(op, "%s must be a floating-point tensor of shape [%d] for input of shape %v, got %v %v", p.name, c, x.shape, p.t.dtype, p.t.shape)
		}
	}
	if (runningMean == nil) != (runningVar == nil) {
		panicf(op, "running_mean and running_var must be given together")
	}
	outer, inner := x.shape[0], cpu.Numel(x.shape[2:])
	n := outer * inner
	if training && n <= 1 {
		panicf(op, "expected more than 1 value per channel when training, got input of shape %v", x.shape)
	}
	if !training && runningMean == nil {
		panicf(op, "running_mean and running_var must be defined in evaluation mode")
	}
	xc := nnfFloatInput(op, x)
	mean, rstd := make([]float64, c), make([]float64, c)
	if training {
		variance := make([]float64, c)
		switch d := nnfData(xc).(type) {
		case []float32:
			cpu.ChannelMoments(mean, variance, d, outer, c, inner)
		case []float64:
			cpu.ChannelMoments(mean, variance, d, outer, c, inner)
		}
		for ch, v := range variance {
			rstd[ch] = 1 / math.Sqrt(v+eps)
		}
		if runningMean != nil {
			for ch := range c {
				im := runningMean.offset + ch*runningMean.strides[0]
				iv := runningVar.offset + ch*runningVar.strides[0]
				setF64(runningMean.st.data, im, (1-momentum)*getF64(runningMean.st.data, im)+momentum*mean[ch])
				unbiased := variance[ch] * float64(n) / float64(n-1)
				setF64(runningVar.st.data, iv, (1-momentum)*getF64(runningVar.st.data, iv)+momentum*unbiased)
			}
		}
	} else {
		copy(mean, perfVector(runningMean))
		for ch, v := range perfVector(runningVar) {
			rstd[ch] = 1 / math.Sqrt(v+eps)
		}
	}
	scale, shift := make([]float64, c), make([]float64, c)
	wv, bv := perfVector(weight), perfVector(bias)
	for ch := range c {
		scale[ch] = rstd[ch]
		if weight != nil {
			scale[ch] *= wv[ch]
		}
		if bias != nil {
			shift[ch] = bv[ch]
		}
		shift[ch] -= mean[ch] * scale[ch]
	}
	out := newTensor(xc.dtype, x.shape)
	switch d := nnfData(out).(type) {
	case []float32:
		cpu.ChannelAffine(d, nnfData(xc).([]float32), nnfConv[float32](scale), nnfConv[float32](shift), outer, c, inner)
	case []float64:
		cpu.ChannelAffine(d, nnfData(xc).([]float64), scale, shift, outer, c, inner)
	}
	out = castTo(out, x.dtype)
	if !GradEnabled() || !(x.requiresGrad || weight != nil && weight.requiresGrad || bias != nil && bias.requiresGrad) {
		return out // nothing to record (record would drop the closure)
	}
	spec := nnfNormSpec{
		shape: []int{outer, c, inner}, dims: []int{0, 2}, wShape: []int{1, c, 1}, n: n, eps: eps,
	}
	if !training {
		spec.mean, spec.rstd = mean, rstd
	}
	return record(op, out, []*Tensor{x, weight, bias}, func(g *Tensor) []*Tensor {
		if ovhNeedGraph(g) {
			return spec.backward(g, x, weight, bias)
		}
		gc := nnfFloatInput(op, g)
		dx, dw, db := nnfGradBufs(x, weight, bias, xc.dtype, c)
		switch gd := nnfData(gc).(type) {
		case []float32:
			cpu.BatchNormBackward(nnfBuf[float32](dx), nnfBuf[float32](dw), nnfBuf[float32](db), gd,
				nnfData(xc).([]float32), nnfParam[float32](weight), mean, rstd, outer, c, inner, training)
		case []float64:
			cpu.BatchNormBackward(nnfBuf[float64](dx), nnfBuf[float64](dw), nnfBuf[float64](db), gd,
				nnfData(xc).([]float64), nnfParam[float64](weight), mean, rstd, outer, c, inner, training)
		}
		return []*Tensor{dx, dw, db}
	})
}

// LayerNorm normalises x over its last len(normalizedShape) dimensions,
// which must equal normalizedShape, as F.layer_norm: y = (x - mean) /
// sqrt(var + eps) * weight + bias with the biased variance. weight and bias
// have shape normalizedShape and may be nil.
func LayerNorm(x *Tensor, normalizedShape []int, weight, bias *Tensor, eps float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceLayerNorm(x, normalizedShape, weight, bias, eps)
	}
	validNotNil("layer_norm", "input", x)
	const op = "layer_norm"
	k := len(normalizedShape)
	if k == 0 {
		panicf(op, "normalized_shape must have at least one dimension")
	}
	if len(x.shape) < k || !slices.Equal(x.shape[len(x.shape)-k:], normalizedShape) {
		panicf(op, "normalized_shape %v does not match the last dimensions of input of shape %v", normalizedShape, x.shape)
	}
	for _, p := range []*Tensor{weight, bias} {
		if p != nil && (!slices.Equal(p.shape, normalizedShape) || !p.dtype.IsFloat()) {
			panicf(op, "weight and bias must be floating-point tensors of shape %v, got %v %v", normalizedShape, p.dtype, p.shape)
		}
	}
	m := cpu.Numel(normalizedShape)
	rows := cpu.Numel(x.shape[:len(x.shape)-k])
	spec := nnfNormSpec{shape: []int{rows, m}, dims: []int{1}, wShape: []int{1, m}, n: m, eps: eps}
	return nnfNormRows(op, x, weight, bias, eps, rows, m, 1, 1, spec)
}

// GroupNorm normalises x ([N, C, ...]) over groups of C/numGroups
// consecutive channels (and all positions) per sample, as F.group_norm,
// then applies the per-channel weight and bias ([C], may be nil).
func GroupNorm(x *Tensor, numGroups int, weight, bias *Tensor, eps float64) *Tensor {
	if tracing.Load() && outermost() {
		return traceGroupNorm(x, numGroups, weight, bias, eps)
	}
	validNotNil("group_norm", "input", x)
	const op = "group_norm"
	if len(x.shape) < 2 {
		panicf(op, "expected an input of at least 2 dimensions [N, C, ...], got shape %v", x.shape)
	}
	c := x.shape[1]
	if numGroups <= 0 || c%numGroups != 0 {
		panicf(op, "expected the number of channels of input of shape %v to be divisible by num_groups=%d", x.shape, numGroups)
	}
	for _, p := range []*Tensor{weight, bias} {
		if p != nil && (len(p.shape) != 1 || p.shape[0] != c || !p.dtype.IsFloat()) {
			panicf(op, "weight and bias must be floating-point tensors of shape [%d], got %v %v", c, p.dtype, p.shape)
		}
	}
	nb, s, cg := x.shape[0], cpu.Numel(x.shape[2:]), c/numGroups
	spec := nnfNormSpec{
		shape: []int{nb, numGroups, cg, s}, dims: []int{2, 3}, wShape: []int{1, numGroups, cg, 1}, n: cg * s, eps: eps,
	}
	return nnfNormRows(op, x, weight, bias, eps, nb*numGroups, cg*s, numGroups, s, spec)
}

// nnfNormRows runs cpu.NormalizeRows (see there for groups and span) and records
// its backward.
func nnfNormRows(op string, x, weight, bias *Tensor, eps float64, rows, n, groups, span int, spec nnfNormSpec) *Tensor {
	xc := nnfFloatInput(op, x)
	out := newTensor(xc.dtype, x.shape)
	mean, rstd := make([]float64, rows), make([]float64, rows)
	switch d := nnfData(out).(type) {
	case []float32:
		cpu.NormalizeRows(d, nnfData(xc).([]float32), rows, n, eps, nnfParam[float32](weight), nnfParam[float32](bias), groups, span, mean, rstd)
	case []float64:
		cpu.NormalizeRows(d, nnfData(xc).([]float64), rows, n, eps, nnfParam[float64](weight), nnfParam[float64](bias), groups, span, mean, rstd)
	}
	out = castTo(out, x.dtype)
	return record(op, out, []*Tensor{x, weight, bias}, func(g *Tensor) []*Tensor {
		if ovhNeedGraph(g) {
			return spec.backward(g, x, weight, bias)
		}
		gc := nnfFloatInput(op, g)
		dx, _, _ := nnfGradBufs(x, nil, nil, xc.dtype, 0)
		var dw, db []float64
		if weight != nil && weight.requiresGrad {
			dw = make([]float64, weight.Numel())
		}
		if bias != nil && bias.requiresGrad {
			db = make([]float64, bias.Numel())
		}
		switch gd := nnfData(gc).(type) {
		case []float32:
			cpu.NormalizeRowsBackward(nnfBuf[float32](dx), dw, db, gd, nnfData(xc).([]float32), nnfParam[float32](weight), rows, n, groups, span, mean, rstd)
		case []float64:
			cpu.NormalizeRowsBackward(nnfBuf[float64](dx), dw, db, gd, nnfData(xc).([]float64), nnfParam[float64](weight), rows, n, groups, span, mean, rstd)
		}
		return []*Tensor{dx, nnfFromF64(dw, weight), nnfFromF64(db, bias)}
	})
}

// nnfNormSpec describes a normalisation for its composite backward: x seen
// as shape, statistics over dims (n elements each), the weight seen as
// wShape. mean and rstd hold constant statistics (evaluation-mode batch
// norm), per channel; nil means the statistics are x's own.
type nnfNormSpec struct {
	shape, dims, wShape []int
	n                   int
	eps                 float64
	mean, rstd          []float64
}

// backward computes the gradients of a normalisation with tensor ops, so
// that they can be differentiated again (CreateGraph). The fast path in the
// callers uses the cpu kernels instead.
func (s nnfNormSpec) backward(g, x, weight, bias *Tensor) []*Tensor {
	X, G := x.Reshape(s.shape...), g.Reshape(s.shape...)
	var xhat, rstd *Tensor
	if s.mean == nil {
		mean := X.SumDims(s.dims, true).DivScalar(float64(s.n))
		xc := X.Sub(mean)
		variance := xc.Mul(xc).SumDims(s.dims, true).DivScalar(float64(s.n))
		rstd = nnfRsqrt(variance.AddScalar(s.eps))
		xhat = xc.Mul(rstd)
	} else {
		mean := FromSlice(s.mean, s.wShape...).To(x.dtype)
		rstd = FromSlice(s.rstd, s.wShape...).To(x.dtype)
		xhat = X.Sub(mean).Mul(rstd)
	}
	dxhat := G
	if weight != nil {
		dxhat = G.Mul(weight.Reshape(s.wShape...))
	}
	var dx, dw, db *Tensor
	if x.requiresGrad {
		if s.mean == nil {
			n := float64(s.n)
			md := dxhat.SumDims(s.dims, true).DivScalar(n)
			mdx := dxhat.Mul(xhat).SumDims(s.dims, true).DivScalar(n)
			dx = rstd.Mul(dxhat.Sub(md).Sub(xhat.Mul(mdx)))
		} else {
			dx = dxhat.Mul(rstd)
		}
		dx = dx.Reshape(x.shape...)
	}
	var wdims []int // the dimensions the weight is broadcast over
	for i, d := range s.wShape {
		if d == 1 {
			wdims = append(wdims, i)
		}
	}
	if weight != nil && weight.requiresGrad {
		dw = G.Mul(xhat).SumDims(wdims, false).Reshape(weight.shape...)
	}
	if bias != nil && bias.requiresGrad {
		db = G.SumDims(wdims, false).Reshape(bias.shape...)
	}
	return []*Tensor{dx, dw, db}
}

// nnfRsqrt returns 1/sqrt(v), recorded so that it can be differentiated to
// any order.
func nnfRsqrt(v *Tensor) *Tensor {
	out := unary("rsqrt", floatUn(func(x float64) float64 { return 1 / math.Sqrt(x) }), v)
	return record("rsqrt", out, []*Tensor{v}, func(g *Tensor) []*Tensor {
		return []*Tensor{g.Mul(out).Mul(out).Mul(out).MulScalar(-0.5)}
	})
}

// nnfConv converts float64 values to T.
func nnfConv[T cpu.Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// nnfParam returns an optional parameter as a contiguous []T (nil for nil).
func nnfParam[T cpu.Float](p *Tensor) []T {
	if p == nil {
		return nil
	}
	var z T
	dt := Float32
	if any(z) == any(float64(0)) {
		dt = Float64
	}
	return nnfData(castTo(p.Detach(), dt).Contiguous()).([]T)
}

// nnfGradBufs allocates zeroed gradient buffers in dtype dt for x and for
// the [c] weight and bias, nil for those that need no gradient.
func nnfGradBufs(x, weight, bias *Tensor, dt DType, c int) (dx, dw, db *Tensor) {
	if x.requiresGrad {
		dx = newTensor(dt, x.shape)
	}
	if weight != nil && weight.requiresGrad {
		dw = newTensor(dt, []int{c})
	}
	if bias != nil && bias.requiresGrad {
		db = newTensor(dt, []int{c})
	}
	return
}

// nnfBuf returns the data of an optional gradient buffer (nil for nil).
func nnfBuf[T cpu.Float](t *Tensor) []T {
	if t == nil {
		return nil
	}
	return nnfData(t).([]T)
}

// nnfFromF64 returns float64 gradient sums as a tensor shaped and typed like
// p (nil for nil sums).
func nnfFromF64(v []float64, p *Tensor) *Tensor {
	if v == nil {
		return nil
	}
	return castTo(FromSlice(v, p.shape...), p.dtype)
}
