package tensor

import (
	"slices"
)

// Pad pads x as torch.nn.functional.pad. pads holds pairs (before, after)
// starting from the last dimension: {left, right} pads the last dimension,
// {left, right, top, bottom} the last two, and so on. mode is "constant"
// (fill with value; negative amounts crop), "reflect" (mirror without
// repeating the edge; each amount must be less than the dimension's size),
// "replicate" (repeat the edge) or "circular" (wrap around; with negative
// amounts the cropped tensor is wrapped, as PyTorch does, and each amount is
// at most the size of what remains). value is used by constant mode only.
//
// PyTorch limits the non-constant modes to the last 1–3 dimensions of inputs
// with one or two leading batch dimensions; Ember computes the same values
// and also accepts any number of padded and leading dimensions. The
// gradient sums the output gradient back onto the elements each output
// position was copied from.
func Pad(x *Tensor, pads []int, mode string, value float64) *Tensor {
	if tracing.Load() && outermost() {
		return tracePad(x, pads, mode, value)
	}
	const op = "pad"
	if len(pads)%2 != 0 {
		panicf(op, "padding length must be divisible by 2, got %v", pads)
	}
	nd := len(x.shape)
	k := len(pads) / 2
	if k > nd {
		panicf(op, "padding %v covers %d dimensions, more than the input of shape %v has", pads, k, x.shape)
	}
	switch mode {
	case "constant", "reflect", "replicate", "circular":
	default:
		panicf(op, "unknown mode %q (want constant, reflect, replicate or circular)", mode)
	}
	outShape := slices.Clone(x.shape)
	maps := make([][]int, nd)
	for i := range k {
		d := nd - 1 - i
		l, r, n := pads[2*i], pads[2*i+1], x.shape[d]
		o := n + l + r
		if o < 0 {
			panicf(op, "input size %d with padding (%d, %d) gives a negative output size at dimension %d of input %v", n, l, r, d, x.shape)
		}
		outShape[d] = o
		if l == 0 && r == 0 {
			continue
		}
		m := make([]int, o)
		switch mode {
		case "constant":
			for j := range m {
				if c := j - l; c >= 0 && c < n {
					m[j] = c
				} else {
					m[j] = -1
				}
			}
		case "reflect":
			if l >= n || r >= n {
				panicf(op, "reflect padding (%d, %d) must be less than the size %d of dimension %d of input %v", l, r, n, d, x.shape)
			}
			for j := range m {
				c := j - l
				if c < 0 {
					c = -c
				} else if c >= n {
					c = 2*(n-1) - c
				}
				m[j] = c
			}
		case "replicate":
			if n == 0 {
				panicf(op, "replicate padding of dimension %d of size 0 of input %v", d, x.shape)
			}
			for j := range m {
				m[j] = min(max(j-l, 0), n-1)
			}
		case "circular":
			// Negative amounts crop first; the cropped part is what wraps.
			lo, hi := max(-l, 0), n-max(-r, 0)
			w := hi - lo
			if l > w || r > w {
				panicf(op, "circular padding (%d, %d) wraps around more than once in dimension %d of size %d of input %v", l, r, d, n, x.shape)
			}
			if w <= 0 {
				// only reachable when both sides crop: o = w <= 0
				continue
			}
			for j := range m {
				c := (j - max(l, 0)) % w
				if c < 0 {
					c += w
				}
				m[j] = lo + c
			}
		}
		maps[d] = m
	}
	if mode != "constant" {
		value = 0
	}
	return idxRemap(op, x, outShape, maps, value)
}
