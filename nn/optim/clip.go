package optim

import (
	"fmt"
	"math"

	"github.com/emberml/ember/tensor"
)

// ClipGradNorm scales the gradients of params in place so that their
// total norm (the normType-norm of all gradients concatenated; math.Inf(1)
// for the largest absolute value) is at most maxNorm, and returns the
// total norm before clipping, as torch.nn.utils.clip_grad_norm_.
// Parameters without a gradient are skipped; with none it returns 0.
//
// As in PyTorch the gradients are multiplied by min(1, maxNorm/(norm+1e-6))
// even when that is 1, and a non-finite norm is used as it is (an infinite
// norm zeroes the finite gradients); use [ClipGradNormFinite] to get an
// error instead (PyTorch's error_if_nonfinite=True). The norms are computed
// as PyTorch does, per gradient and then over the per-gradient norms, in
// the gradients' dtype (accumulated in float64).
func ClipGradNorm(params []*tensor.Tensor, maxNorm, normType float64) float64 {
	total, _ := clipGradNorm(params, maxNorm, normType, false)
	return total
}

// ClipGradNormFinite is [ClipGradNorm] with PyTorch's
// error_if_nonfinite=True: when the total norm is NaN or infinite it
// returns the norm and an error and leaves the gradients unchanged.
func ClipGradNormFinite(params []*tensor.Tensor, maxNorm, normType float64) (float64, error) {
	return clipGradNorm(params, maxNorm, normType, true)
}

func clipGradNorm(params []*tensor.Tensor, maxNorm, normType float64, errNonfinite bool) (float64, error) {
	var grads []*tensor.Tensor
	for _, p := range params {
		if g := p.Grad(); g != nil {
			if !g.DType().IsFloat() {
				panic(fmt.Sprintf("optim.ClipGradNorm: gradient of dtype %v", g.DType()))
			}
			grads = append(grads, g)
		}
	}
	if len(grads) == 0 {
		return 0, nil
	}
	// PyTorch stacks the per-gradient norms on the first gradient's device
	// and computes in their dtype (after promotion).
	dt := grads[0].DType()
	for _, g := range grads[1:] {
		dt = tensor.PromoteTypes(dt, g.DType())
	}
	round := func(v float64) float64 {
		if dt == tensor.Float64 {
			return v
		}
		if dt == tensor.Float32 {
			return float64(float32(v))
		}
		return v
	}
	norms := make([]float64, len(grads))
	for i, g := range grads {
		norms[i] = round(clipNorm(clipValues(g), normType))
	}
	total := round(clipNorm(norms, normType))
	if errNonfinite && (math.IsNaN(total) || math.IsInf(total, 0)) {
		return total, fmt.Errorf("optim: the total norm of order %v for gradients from `parameters` is non-finite, so it cannot be clipped (use ClipGradNorm to scale the gradients by the non-finite norm anyway)", normType)
	}
	// clip_coef = max_norm / (total_norm + 1e-6), in the norm's dtype;
	// PyTorch's scalar / tensor is tensor.reciprocal() * scalar.
	coef := round(round(1/round(total+round(1e-6))) * round(maxNorm))
	if coef > 1 {
		coef = 1
	}
	for _, g := range grads {
		clipScale(g, coef)
	}
	return total, nil
}

// clipValues returns g's elements as float64.
func clipValues(g *tensor.Tensor) []float64 {
	g = g.Detach()
	if g.DType() == tensor.Float32 && g.IsContiguous() {
		d := g.Data().([]float32)
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	}
	return g.ToFloat64s()
}

// clipNorm is torch.norm(x, p) of a flat vector, accumulated in float64.
func clipNorm(x []float64, p float64) float64 {
	switch {
	case math.IsInf(p, 1):
		m := 0.0
		for _, v := range x {
			a := math.Abs(v)
			if a > m || a != a {
				m = a
				if a != a {
					return a
				}
			}
		}
		return m
	case math.IsInf(p, -1):
		if len(x) == 0 {
			return math.Inf(1)
		}
		m := math.Inf(1)
		for _, v := range x {
			a := math.Abs(v)
			if a < m || a != a {
				m = a
				if a != a {
					return a
				}
			}
		}
		return m
	case p == 0:
		n := 0.0
		for _, v := range x {
			if v != 0 {
				n++
			}
		}
		return n
	case p == 1:
		s := 0.0
		for _, v := range x {
			s += math.Abs(v)
		}
		return s
	case p == 2:
		s := 0.0
		for _, v := range x {
			s += v * v
		}
		return math.Sqrt(s)
	}
	s := 0.0
	for _, v := range x {
		s += math.Pow(math.Abs(v), p)
	}
	return math.Pow(s, 1/p)
}

// clipScale multiplies g by c in place (PyTorch's g.mul_(clip_coef)).
func clipScale(g *tensor.Tensor, c float64) {
	g = g.Detach()
	switch {
	case g.DType() == tensor.Float32 && g.IsContiguous():
		d := g.Data().([]float32)
		f := float32(c)
		for i := range d {
			d[i] *= f
		}
		optimMarkWritten(g)
	case g.DType() == tensor.Float64 && g.IsContiguous():
		d := g.Data().([]float64)
		for i := range d {
			d[i] *= c
		}
		optimMarkWritten(g)
	default:
		g.Copy_(g.MulScalar(c))
	}
}

// ClipGradValue clamps every gradient of params to [-clip, clip] in place,
// as torch.nn.utils.clip_grad_value_. Parameters without a gradient are
// skipped.
func ClipGradValue(params []*tensor.Tensor, clip float64) {
	for _, p := range params {
		g := p.Grad()
		if g == nil {
			continue
		}
		g = g.Detach()
		g.Copy_(g.Clamp(-clip, clip))
	}
}
