package tensor

import (
	"math"
	"slices"

	"github.com/emberml/ember/accel/cpu"
)

// lossIdx is one call of the fused class-index loss (cross entropy on
// logits, or NLL on log-probabilities). The input is viewed as rows of C
// classes: [N, C] as it is, [C] as one row, [N, C, d1, ...] permuted to
// [N, d1, ..., C], so that row i belongs to target element i.
type lossIdx struct {
	op     string
	shape  []int // input shape
	cd     int   // class dimension
	rows   int
	c      int
	tgt    []int64   // one target per row
	w      []float64 // class weights, nil for ones
	wsum   float64   // Σ w (C without weights)
	eps    float64   // label smoothing (logits only)
	red    int
	logits bool
	keep   []bool    // false where the target is ignored
	wt     []float64 // weight of each row's target, 0 where ignored
	denom  float64   // Σ wt: the mean's denominator
}

// lossParallelMin is the number of input elements from which the fused
// kernels split rows across threads.
const lossParallelMin = 1 << 15

// lossClassDim is the class dimension of input: 0 for an unbatched 1-D
// input, else 1.
func lossClassDim(input *Tensor) int {
	if len(input.shape) == 1 {
		return 0
	}
	return 1
}

// lossIndexShape is the shape of class-index targets for input, whose
// class dimension is cd.
func lossIndexShape(input *Tensor, cd int) []int {
	s := slices.Clone(input.shape)
	return append(s[:cd:cd], s[cd+1:]...)
}

// lossWeights checks class weights and returns them as float64 (nil for
// none).
func lossWeights(op string, w *Tensor, c int) []float64 {
	if w == nil {
		return nil
	}
	if !w.dtype.IsFloat() {
		panicf(op, "weight of shape %s has dtype %v; it must be floating point", lossShape(w.shape), w.dtype)
	}
	if len(w.shape) != 1 || w.shape[0] != c {
		panicf(op, "weight of shape %s does not fit input with %d classes; it must have shape [%d]", lossShape(w.shape), c, c)
	}
	return toSlice[float64](w, Float64)
}

// lossIndexLoss checks the target and the weights and runs the fused op.
func lossIndexLoss(op string, input, target, weight *Tensor, ignore int64, eps float64, red int, logits bool) *Tensor {
	cd := lossClassDim(input)
	want := lossIndexShape(input, cd)
	if !slices.Equal(target.shape, want) {
		panicf(op, "target of shape %s does not match input %s; class indices need shape %s",
			lossShape(target.shape), lossShape(input.shape), lossShape(want))
	}
	if dt := target.dtype; dt != Int64 && dt != Int32 {
		panicf(op, "target of shape %s has dtype %v; class indices must be int64 (or int32)", lossShape(target.shape), dt)
	}
	p := &lossIdx{op: op, shape: slices.Clone(input.shape), cd: cd, c: input.shape[cd], eps: eps, red: red, logits: logits}
	p.rows = 1
	for _, d := range want {
		p.rows *= d
	}
	p.w = lossWeights(op, weight, p.c)
	p.wsum = float64(p.c)
	if p.w != nil {
		p.wsum = 0
		for _, v := range p.w {
			p.wsum += v
		}
	}
	p.tgt = toSlice[int64](target, Int64)
	p.wt = make([]float64, p.rows)
	p.keep = make([]bool, p.rows)
	for i, t := range p.tgt {
		if t == ignore {
			continue
		}
		if t < 0 || t >= int64(p.c) {
			panicf(op, "target %d is out of bounds for %d classes (input %s)", t, p.c, lossShape(p.shape))
		}
		p.keep[i] = true
		p.wt[i] = 1
		if p.w != nil {
			p.wt[i] = p.w[t]
		}
		p.denom += p.wt[i]
	}
	x := input
	dt := input.dtype
	if dt != Float32 && dt != Float64 {
		x = input.To(Float32) // float16: compute in float32
	}
	var out *Tensor
	if x.dtype == Float32 {
		out = lossIndexRun[float32](p, x)
	} else {
		out = lossIndexRun[float64](p, x)
	}
	return out.To(dt)
}

// toRows returns x's values laid out as rows of C classes.
func (p *lossIdx) toRows(x *Tensor) *Tensor {
	x = x.Detach()
	if len(p.shape) > 2 {
		n := len(p.shape)
		perm := []int{0}
		for i := 2; i < n; i++ {
			perm = append(perm, i)
		}
		perm = append(perm, 1)
		x = x.Permute(perm...)
	}
	return x.Contiguous()
}

// fromRows turns a rows-layout tensor (rows·C elements) back into the
// input's layout.
func (p *lossIdx) fromRows(t *Tensor) *Tensor {
	if len(p.shape) <= 2 {
		return t.Reshape(p.shape...)
	}
	n := len(p.shape)
	rs := append([]int{p.shape[0]}, p.shape[2:]...)
	rs = append(rs, p.shape[1])
	inv := []int{0, n - 1}
	for i := 1; i < n-1; i++ {
		inv = append(inv, i)
	}
	return t.Reshape(rs...).Permute(inv...).Contiguous()
}

// lossIndexRun computes the loss in T and records the backward.
func lossIndexRun[T float32 | float64](p *lossIdx, input *Tensor) *Tensor {
	xr := p.toRows(input)
	x := nnfData(xr).([]T)
	loss := make([]float64, p.rows)
	var lse []float64
	if p.logits {
		lse = make([]float64, p.rows)
	}
	p.parallel(func(lo, hi int) {
		if p.logits {
			lossLSERows(x, p.c, lse, lo, hi)
		}
		for i := lo; i < hi; i++ {
			if !p.keep[i] {
				continue
			}
			row := x[i*p.c : (i+1)*p.c]
			t := p.tgt[i]
			if !p.logits {
				loss[i] = -p.wt[i] * float64(row[t])
				continue
			}
			l := lse[i]
			v := (1 - p.eps) * p.wt[i] * (l - float64(row[t]))
			if p.eps > 0 {
				v += p.eps / float64(p.c) * (p.wsum*l - lossDot(row, p.w))
			}
			loss[i] = v
		}
	})
	var out *Tensor
	switch p.red {
	case lossRedNone:
		out = FromSlice(loss).Reshape(lossIndexShape(input, p.cd)...)
	case lossRedSum:
		out = lossScalar(lossSum(loss))
	default:
		out = lossScalar(lossSum(loss) / p.denom)
	}
	out = out.To(input.dtype)
	return record(p.op, out, []*Tensor{input}, func(g *Tensor) []*Tensor {
		if NeedsGraph(g) {
			return []*Tensor{p.backwardGraph(input, g)}
		}
		return []*Tensor{p.fromRows(lossIndexGrad(p, x, lse, toSlice[float64](g, Float64)))}
	})
}

// parallel runs fn over row ranges, on several threads for large inputs.
func (p *lossIdx) parallel(fn func(lo, hi int)) {
	if p.rows*p.c < lossParallelMin || p.rows < 2 {
		fn(0, p.rows)
		return
	}
	cpu.ParallelFor(p.rows, fn)
}

// gscale is the factor of row i's loss in the gradient: the output's
// gradient, divided by the denominator for the mean.
func (p *lossIdx) gscale(g []float64, i int) float64 {
	switch p.red {
	case lossRedNone:
		return g[i]
	case lossRedSum:
		return g[0]
	}
	return g[0] / p.denom
}

// lossIndexGrad is the fused backward, in the rows layout: for logits
// gs·(softmax·A - B) with A = (1-ε)·w[t] + ε·Σw/C and B[c] = (1-ε)·w[t]·[c=t]
// + ε·w[c]/C; for NLL -gs·w[t] at the target. Ignored rows get zeros.
func lossIndexGrad[T float32 | float64](p *lossIdx, x []T, lse []float64, g []float64) *Tensor {
	dt := Float64
	if _, ok := any(x).([]float32); ok {
		dt = Float32
	}
	gt := newTensor(dt, []int{p.rows * p.c})
	grad := gt.st.data.([]T)
	eps, c := p.eps, float64(p.c)
	p.parallel(func(lo, hi int) {
		if !p.logits {
			for i := lo; i < hi; i++ {
				if p.keep[i] {
					grad[i*p.c+int(p.tgt[i])] = T(-p.wt[i] * p.gscale(g, i))
				}
			}
			return
		}
		// dst = |A·gs|·softmax for the whole range first (one exp call),
		// then the sign and the target terms row by row.
		a := make([]float64, hi-lo)
		for i := lo; i < hi; i++ {
			if p.keep[i] {
				a[i-lo] = ((1-eps)*p.wt[i] + eps*p.wsum/c) * p.gscale(g, i)
			}
		}
		lossSoftmaxRows(grad, x, p.c, lse, a, lo, hi)
		for i := lo; i < hi; i++ {
			if !p.keep[i] {
				continue
			}
			gs := p.gscale(g, i)
			dst := grad[i*p.c : (i+1)*p.c]
			dst[p.tgt[i]] -= T((1 - eps) * p.wt[i] * gs)
			if eps > 0 {
				s := eps / c * gs
				for j := range dst {
					wj := 1.0
					if p.w != nil {
						wj = p.w[j]
					}
					dst[j] -= T(s * wj)
				}
			}
		}
	})
	return gt
}

// backwardGraph is the backward written with differentiable tensor ops,
// for a pass that records the graph (higher-order derivatives).
func (p *lossIdx) backwardGraph(input, g *Tensor) *Tensor {
	dt := input.dtype
	c := float64(p.c)
	b := make([]float64, p.rows*p.c)
	a := make([]float64, p.rows)
	for i, t := range p.tgt {
		if !p.keep[i] {
			continue
		}
		row := b[i*p.c : (i+1)*p.c]
		row[t] = (1 - p.eps) * p.wt[i]
		if p.eps > 0 {
			for j := range row {
				wj := 1.0
				if p.w != nil {
					wj = p.w[j]
				}
				row[j] += p.eps * wj / c
			}
		}
		a[i] = (1-p.eps)*p.wt[i] + p.eps*p.wsum/c
	}
	bt := p.fromRows(FromSlice(b)).To(dt)
	gs := g
	switch p.red {
	case lossRedNone:
		gs = g.Unsqueeze(p.cd)
	case lossRedMean:
		gs = g.DivScalar(p.denom)
	}
	if !p.logits {
		return bt.Neg().Mul(gs)
	}
	at := FromSlice(a).Reshape(lossIndexShape(input, p.cd)...).Unsqueeze(p.cd).To(dt)
	return input.Softmax(p.cd).Mul(at).Sub(bt).Mul(gs)
}

// lossVecMin is the row length from which the row helpers call the
// vector kernels; shorter rows are cheaper in a plain loop.
const lossVecMin = 16

// lossBlock is the number of elements the float32 kernels exponentiate
// per call, so that small rows share one vector call.
const lossBlock = 4096

// lossLSERows sets lse[i] = log Σ exp(row i) for rows [lo, hi): NaN for a
// row holding NaN or +Inf, or only -Inf, as PyTorch's log_softmax.
func lossLSERows[T float32 | float64](x []T, c int, lse []float64, lo, hi int) {
	x32, ok := any(x).([]float32)
	if !ok {
		for i := lo; i < hi; i++ {
			lse[i] = lossLogSumExpSlow(x[i*c : (i+1)*c])
		}
		return
	}
	rb := max(1, lossBlock/max(c, 1))
	tmp := make([]float32, min(rb, hi-lo)*c)
	m := make([]float32, min(rb, hi-lo))
	for b := lo; b < hi; b += rb {
		e := min(hi, b+rb)
		for i := b; i < e; i++ {
			row := x32[i*c : (i+1)*c]
			mi := lossRowMax(row)
			if math.IsInf(float64(mi), 0) || mi != mi {
				mi = float32(math.NaN())
			}
			m[i-b] = mi
			lossRowAdd(tmp[(i-b)*c:(i-b+1)*c], row, -mi)
		}
		cpu.VecExp(tmp[:(e-b)*c], tmp[:(e-b)*c])
		for i := b; i < e; i++ {
			if mi := m[i-b]; mi != mi {
				lse[i] = lossLogSumExpSlow(x32[i*c : (i+1)*c])
			} else {
				lse[i] = float64(mi) + math.Log(lossRowSum(tmp[(i-b)*c:(i-b+1)*c]))
			}
		}
	}
}

// lossSoftmaxRows sets row i of dst (rows [lo, hi)) to a[i-lo]·exp(x - lse[i]).
func lossSoftmaxRows[T float32 | float64](dst, x []T, c int, lse, a []float64, lo, hi int) {
	d32, ok := any(dst).([]float32)
	if !ok {
		for i := lo; i < hi; i++ {
			if ai := a[i-lo]; ai != 0 {
				for j, v := range x[i*c : (i+1)*c] {
					dst[i*c+j] = T(ai * math.Exp(float64(v)-lse[i]))
				}
			}
		}
		return
	}
	// |a|·exp(x - lse) = exp(x - lse + log|a|): one exponential call over
	// the range, then rows with a < 0 are negated and rows with a = 0
	// cleared.
	x32 := any(x).([]float32)
	for i := lo; i < hi; i++ {
		shift := -lse[i]
		if ai := a[i-lo]; ai != 0 {
			shift += math.Log(math.Abs(ai))
		}
		lossRowAdd(d32[i*c:(i+1)*c], x32[i*c:(i+1)*c], float32(shift))
	}
	cpu.VecExp(d32[lo*c:hi*c], d32[lo*c:hi*c])
	for i := lo; i < hi; i++ {
		row := d32[i*c : (i+1)*c]
		switch ai := a[i-lo]; {
		case ai == 0:
			clear(row)
		case ai < 0:
			for j := range row {
				row[j] = -row[j]
			}
		}
	}
}

// lossRowMax is the largest element of row, NaN if any is NaN, -Inf for
// an empty row (cpu.VecMax's contract).
func lossRowMax(row []float32) float32 {
	if len(row) >= lossVecMin {
		return cpu.VecMax(row)
	}
	m := float32(math.Inf(-1))
	for _, v := range row {
		if v != v {
			return v
		}
		if v > m {
			m = v
		}
	}
	return m
}

// lossRowAdd sets dst = src + b.
func lossRowAdd(dst, src []float32, b float32) {
	if len(src) >= lossVecMin {
		cpu.VecAffine(dst, src, 1, b)
		return
	}
	for j, v := range src {
		dst[j] = v + b
	}
}

// lossRowSum sums row in float64.
func lossRowSum(row []float32) float64 {
	if len(row) >= lossVecMin {
		return cpu.VecSum(row)
	}
	var s float64
	for _, v := range row {
		s += float64(v)
	}
	return s
}

// lossLogSumExpSlow is log Σ exp in float64, shifted by the maximum: NaN
// for a row holding NaN or +Inf, or only -Inf, as PyTorch's log_softmax.
func lossLogSumExpSlow[T float32 | float64](row []T) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		f := float64(v)
		if f != f {
			return math.NaN()
		}
		m = math.Max(m, f)
	}
	if math.IsInf(m, 0) {
		return math.NaN()
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// lossDot returns Σ w[c]·row[c] (Σ row[c] when w is nil).
func lossDot[T float32 | float64](row []T, w []float64) float64 {
	var s float64
	if w == nil {
		if r, ok := any(row).([]float32); ok {
			return lossRowSum(r)
		}
		for _, v := range row {
			s += float64(v)
		}
		return s
	}
	for j, v := range row {
		s += w[j] * float64(v)
	}
	return s
}

// lossScalar is a 0-D float64 tensor (Scalar has the default dtype).
func lossScalar(v float64) *Tensor { return FromSlice([]float64{v}).Reshape() }

// lossSum sums in float64, in order (deterministic).
func lossSum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}
