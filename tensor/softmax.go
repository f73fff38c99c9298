package tensor

import (
	"github.com/emberml/ember/accel/cpu"
)

// Softmax returns exp(x) / sum(exp(x)) along dim (negative counts from the
// end), as torch.softmax(x, dim). Each slice is shifted by its maximum so
// large inputs do not overflow; a slice holding +inf or only -inf gives
// NaN, as in PyTorch. The input must be floating point; float16 computes in
// float32.
func (t *Tensor) Softmax(dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceSoftmax(t, dim)
	}
	return t.redSoftmax("softmax", dim, false)
}

// LogSoftmax returns log(Softmax(x)) along dim, computed as
// (x - max) - log(sum(exp(x - max))) so it stays finite where the softmax
// underflows to 0, as torch.log_softmax.
func (t *Tensor) LogSoftmax(dim int) *Tensor {
	if tracing.Load() && outermost() {
		return traceLogSoftmax(t, dim)
	}
	return t.redSoftmax("log_softmax", dim, true)
}

func (t *Tensor) redSoftmax(op string, dim int, log bool) *Tensor {
	if !t.dtype.IsFloat() {
		panicf(op, "not implemented for dtype %v; convert the input to a floating-point dtype first", t.dtype)
	}
	nd := len(t.shape)
	d := normDim(op, dim, max(nd, 1))
	outer, n, inner := 1, 1, 1
	if nd > 0 {
		for _, s := range t.shape[:d] {
			outer *= s
		}
		n = t.shape[d]
		for _, s := range t.shape[d+1:] {
			inner *= s
		}
	}
	ct := t.dtype
	if ct == Float16 {
		ct = Float32
	}
	x := castTo(t.Detach().Contiguous(), ct)
	out := newTensor(ct, t.shape)
	switch ct {
	case Float32:
		src := x.st.data.([]float32)[x.offset : x.offset+x.Numel()]
		if inner == 1 && n > 0 {
			// Rows of n contiguous elements: the Vec kernels (within 2 ulp).
			if log {
				cpu.VecLogSoftmax(out.st.data.([]float32), src, n)
			} else {
				cpu.VecSoftmax(out.st.data.([]float32), src, n)
			}
			break
		}
		if log {
			cpu.LogSoftmax(out.st.data.([]float32), src, outer, n, inner)
		} else {
			cpu.Softmax(out.st.data.([]float32), src, outer, n, inner)
		}
	case Float64:
		src := x.st.data.([]float64)[x.offset : x.offset+x.Numel()]
		if log {
			cpu.LogSoftmax(out.st.data.([]float64), src, outer, n, inner)
		} else {
			cpu.Softmax(out.st.data.([]float64), src, outer, n, inner)
		}
	}
	out = castTo(out, t.dtype)
	dims := []int{d}
	if nd == 0 {
		dims = nil
	}
	return record(op, out, []*Tensor{t}, func(g *Tensor) []*Tensor {
		if log {
			// g - softmax * sum(g)
			return []*Tensor{g.Sub(redExp(out).Mul(g.SumDims(dims, true)))}
		}
		// softmax * (g - sum(g * softmax))
		return []*Tensor{out.Mul(g.Sub(g.Mul(out).SumDims(dims, true)))}
	})
}
