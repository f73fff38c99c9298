package cpu

import (
	"fmt"
	"math"
	"math/bits"
)

// Argument validation shared by the kernels. Kernels check their sizes and
// slice lengths once, at entry, so that a malformed call (shapes read from an
// untrusted model file, say) panics with a message naming the kernel, the
// argument and the sizes instead of a runtime "index out of range" from deep
// inside a loop. The checks cost O(1) per slice (O(ndim) per strided view).

// validSize panics unless every size is non-negative, naming the kernel and
// the size.
func validSize(kernel, arg string, n int) {
	if n < 0 {
		panic(fmt.Sprintf("cpu.%s: negative size %s = %d", kernel, arg, n))
	}
}

// validProd returns the product of sizes, which must all be non-negative,
// panicking on a negative size or an overflowing product (named by names,
// a comma-separated list of the sizes' names).
func validProd(kernel, names string, sizes ...int) int {
	p := 1
	for _, s := range sizes {
		if s < 0 {
			panic(fmt.Sprintf("cpu.%s: negative size in (%s) = %v", kernel, names, validClone(sizes)))
		}
		hi, lo := bits.Mul64(uint64(p), uint64(s))
		if hi != 0 || lo > math.MaxInt {
			panic(fmt.Sprintf("cpu.%s: size (%s) = %v overflows", kernel, names, validClone(sizes)))
		}
		p = int(lo)
	}
	return p
}

// validLen panics unless a slice argument of have elements holds at least
// need.
func validLen(kernel, arg string, have, need int) {
	if have < need {
		panic(fmt.Sprintf("cpu.%s: %s has %d elements, need %d", kernel, arg, have, need))
	}
}

// validShape panics on a negative dimension of shape and returns whether
// shape holds no element.
func validShape(kernel string, shape []int) (empty bool) {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("cpu.%s: negative dimension %d in shape %v", kernel, d, validClone(shape)))
		}
		if d == 0 {
			empty = true
		}
	}
	return empty
}

// validView panics unless the strided view v of shape (whose dimensions are
// already known non-negative and non-zero) stays inside a slice of have
// elements: the lowest and highest offsets it reaches must lie in [0, have).
// The arithmetic is kept small so that it costs a few nanoseconds; the
// message is built by validViewFail.
func validView(kernel, arg string, shape []int, v View, have int) {
	if len(v.Strides) < len(shape) {
		validViewFail(kernel, arg, shape, v, have)
	}
	lo, hi := v.Offset, v.Offset
	for i, d := range shape {
		st := v.Strides[i]
		// |st| and d below 2^31 keep every product and sum far from
		// overflow (at most 2^62 per dimension, which the bound on hi and
		// lo then stops); larger ones go through the exact check.
		if uint(st+1<<31) >= 1<<32 || uint(d) >= 1<<31 {
			validViewBig(kernel, arg, shape, v, have)
			return
		}
		span := st * (d - 1)
		if span > 0 {
			hi += span
		} else {
			lo += span
		}
		if hi >= have || lo < 0 {
			validViewFail(kernel, arg, shape, v, have)
		}
	}
	if lo < 0 || hi >= have {
		validViewFail(kernel, arg, shape, v, have)
	}
}

// validViewBig is validView's exact check for views with huge strides or
// dimensions, with overflow detection.
func validViewBig(kernel, arg string, shape []int, v View, have int) {
	if lo, hi, ok := validSpan(shape, v); !ok || lo < 0 || hi >= have {
		validViewFail(kernel, arg, shape, v, have)
	}
}

// validSpan returns the lowest and highest element offsets the view v of
// shape reaches, computed without overflow; ok is false when they do not fit
// comfortably in an int.
func validSpan(shape []int, v View) (lo, hi int, ok bool) {
	lo, hi = v.Offset, v.Offset
	for i, d := range shape {
		st := v.Strides[i]
		if d <= 1 || st == 0 {
			continue
		}
		a := st
		if a < 0 {
			a = -a
		}
		h, l := bits.Mul64(uint64(a), uint64(d-1))
		if h != 0 || l > math.MaxInt/4 || hi > math.MaxInt/2 || lo < math.MinInt/2 {
			return lo, hi, false
		}
		if st > 0 {
			hi += int(l)
		} else {
			lo -= int(l)
		}
	}
	return lo, hi, true
}

// validViewFail panics with the message of a view that does not fit its
// slice.
func validViewFail(kernel, arg string, shape []int, v View, have int) {
	if len(v.Strides) < len(shape) {
		panic(fmt.Sprintf("cpu.%s: %s has %d strides for shape %v", kernel, arg, len(v.Strides), validClone(shape)))
	}
	lo, hi, ok := validSpan(shape, v)
	if !ok {
		panic(fmt.Sprintf("cpu.%s: %s strides %v over shape %v overflow", kernel, arg, validClone(v.Strides), validClone(shape)))
	}
	panic(fmt.Sprintf("cpu.%s: %s (offset %d, strides %v) over shape %v reaches elements [%d, %d], outside its %d elements",
		kernel, arg, v.Offset, validClone(v.Strides[:len(shape)]), validClone(shape), lo, hi, have))
}

// validClone copies s for a panic message, so that formatting it does not
// make the caller's slice escape to the heap.
func validClone(s []int) []int { return append([]int(nil), s...) }

// validRows checks an (outer, inner) row kernel: dst needs outer elements,
// src outer*inner.
func validRows(kernel string, dstLen, srcLen, outer, inner int) {
	n := validProd(kernel, "outer, inner", outer, inner)
	validLen(kernel, "src", srcLen, n)
	validLen(kernel, "dst", dstLen, outer)
}

// validLines checks the sizes of an (outer, n, inner) layout and returns its
// number of elements.
func validLines(kernel string, outer, n, inner int) int {
	return validProd(kernel, "outer, n, inner", outer, n, inner)
}

// validDim panics unless dim indexes a shape of nd dimensions.
func validDim(kernel string, dim, nd int) {
	if dim < 0 || dim >= nd {
		panic(fmt.Sprintf("cpu.%s: dim %d out of range for %d dimensions", kernel, dim, nd))
	}
}

// validAlong checks the view v of shape with dimension dim resized to size
// (the operand a gather reads or a scatter writes through its index).
func validAlong(kernel, arg string, shape []int, dim, size int, v View, have int) {
	validSize(kernel, "size", size)
	s := validClone(shape)
	s[dim] = size
	if !validShape(kernel, s) {
		validView(kernel, arg, s, v, have)
	}
}

// validRemap checks the index maps of Remap and RemapAdd and the view v they
// address, of extent along each dimension one more than the largest map
// entry (its size where the map is the identity). Negative entries mean
// NoSource.
func validRemap(kernel, arg string, shape []int, maps [][]int, v View, have int) {
	if len(maps) > len(shape) {
		panic(fmt.Sprintf("cpu.%s: %d index maps for %d dimensions", kernel, len(maps), len(shape)))
	}
	ext := validClone(shape)
	for d, m := range maps {
		if m == nil {
			continue
		}
		if len(m) < shape[d] {
			panic(fmt.Sprintf("cpu.%s: index map %d has %d entries, need %d", kernel, d, len(m), shape[d]))
		}
		e := 0
		for _, j := range m[:shape[d]] {
			e = max(e, j+1)
		}
		ext[d] = e
	}
	if !validShape(kernel, ext) {
		validView(kernel, arg, ext, v, have)
	}
}

// validOpt checks an optional slice argument: nil, or at least need long.
func validOpt(kernel, arg string, have int, isNil bool, need int) {
	if !isNil {
		validLen(kernel, arg, have, need)
	}
}

// validNorm checks the layout of NormalizeRows and its backward and returns
// rows*n and the number of affine weights the rows address.
func validNorm(kernel string, rows, n, groups, span int) (total, weights int) {
	total = validProd(kernel, "rows, n", rows, n)
	if groups <= 0 || span <= 0 {
		panic(fmt.Sprintf("cpu.%s: groups = %d and span = %d must be positive", kernel, groups, span))
	}
	if rows > 0 && n > 0 {
		weights = (min(rows, groups)-1)*(n/span) + (n-1)/span + 1
	}
	return total, weights
}

// validPool checks a pooling geometry over planes and returns planes*H*W
// and planes*OH*OW. Every window must start inside the (padded) input and
// reach into it, as PyTorch's output sizes guarantee.
func validPool(kernel string, planes int, g Pool2d) (in, out int) {
	in = validProd(kernel, "planes, H, W", planes, g.H, g.W)
	out = validProd(kernel, "planes, OH, OW", planes, g.OH, g.OW)
	if g.KH < 1 || g.KW < 1 || g.SH < 1 || g.SW < 1 || g.DH < 1 || g.DW < 1 || g.PH < 0 || g.PW < 0 {
		panic(fmt.Sprintf("cpu.%s: bad window: kernel %dx%d, stride %dx%d, padding %dx%d, dilation %dx%d",
			kernel, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW))
	}
	if out == 0 {
		return in, out
	}
	if g.H == 0 || g.W == 0 ||
		g.PH > (g.KH-1)*g.DH || g.PW > (g.KW-1)*g.DW ||
		validProd(kernel, "OH-1, SH", g.OH-1, g.SH)-g.PH >= g.H || validProd(kernel, "OW-1, SW", g.OW-1, g.SW)-g.PW >= g.W {
		panic(fmt.Sprintf("cpu.%s: output %dx%d does not fit input %dx%d with kernel %dx%d, stride %dx%d, padding %dx%d, dilation %dx%d",
			kernel, g.OH, g.OW, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW))
	}
	return in, out
}

// validIndices panics unless every entry of idx lies in [0, n).
func validIndices(kernel, arg string, idx []int, n int) {
	for i, j := range idx {
		if j < 0 || j >= n {
			panic(fmt.Sprintf("cpu.%s: %s[%d] = %d out of range [0, %d)", kernel, arg, i, j, n))
		}
	}
}
