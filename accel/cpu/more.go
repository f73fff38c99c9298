package cpu

// Scans, sorting and selection, and the nonzero tests (any, all,
// count_nonzero, nonzero) along one axis of a contiguous buffer.
//
// The scan, sort and top-k kernels see their input as a contiguous
// (outer, n, inner) block: outer independent blocks, each holding inner
// lines of n elements at stride inner. That is the layout of a contiguous
// tensor viewed around the dimension being scanned or sorted, so no
// transposition is needed.

import (
	"cmp"
	"slices"
)

// moreSerialWork is the number of elements below which the kernels of this
// file run on the calling goroutine.
const moreSerialWork = 1 << 15

// moreLines calls fn for every line (o, j) of an (outer, n, inner) block,
// with base the offset of the line's first element, in parallel when the
// block is large.
func moreLines(outer, n, inner int, fn func(base int)) {
	lines := outer * inner
	body := func(lo, hi int) {
		for l := lo; l < hi; l++ {
			o, j := l/inner, l%inner
			fn(o*n*inner + j)
		}
	}
	if lines*n < moreSerialWork || lines < 2 {
		body(0, lines)
		return
	}
	ParallelFor(lines, body)
}

// moreBlocks calls fn for every block o of an (outer, n, inner) layout, in
// parallel when the block is large.
func moreBlocks(outer, n, inner int, fn func(o int)) {
	body := func(lo, hi int) {
		for o := lo; o < hi; o++ {
			fn(o)
		}
	}
	if outer*n*inner < moreSerialWork || outer < 2 {
		body(0, outer)
		return
	}
	ParallelFor(outer, body)
}

// Cumsum writes into dst the running sums of src along the middle axis of a
// contiguous (outer, n, inner) layout (torch.cumsum), accumulating in A
// (float64 for float32 input, as PyTorch's CPU kernel).
func Cumsum[T, A Number](dst, src []T, outer, n, inner int) {
	moreScan[T, A](dst, src, outer, n, inner, false)
}

// Cumprod is Cumsum for running products (torch.cumprod).
func Cumprod[T, A Number](dst, src []T, outer, n, inner int) {
	moreScan[T, A](dst, src, outer, n, inner, true)
}

func moreScan[T, A Number](dst, src []T, outer, n, inner int, prod bool) {
	moreBlocks(outer, n, inner, func(o int) {
		acc := make([]A, inner)
		if prod {
			for j := range acc {
				acc[j] = 1
			}
		}
		base := o * n * inner
		for i := range n {
			s := src[base+i*inner : base+(i+1)*inner]
			d := dst[base+i*inner : base+(i+1)*inner]
			if prod {
				for j, v := range s {
					acc[j] *= A(v)
					d[j] = T(acc[j])
				}
			} else {
				for j, v := range s {
					acc[j] += A(v)
					d[j] = T(acc[j])
				}
			}
		}
	})
}

// CumprodBackward writes into dx the gradient of y = cumprod(x) along the
// middle axis of an (outer, n, inner) layout for the output gradient g, in
// O(n) per line and exact when x holds zeros: before a line's first zero z,
// dx[i] = sum_{j>=i} g[j]*y[j] / x[i] (the terms j >= z are zero); at z, dx[z]
// = sum_{j>=z} g[j] * prod_{m<=j, m!=z} x[m]; after z, dx is zero.
func CumprodBackward[T Float](dx, g, x, y []T, outer, n, inner int) {
	moreLines(outer, n, inner, func(base int) {
		z := n
		for i := range n {
			if x[base+i*inner] == 0 {
				z = i
				break
			}
		}
		var acc float64
		for i := z - 1; i >= 0; i-- {
			p := base + i*inner
			acc += float64(g[p]) * float64(y[p])
			dx[p] = T(acc / float64(x[p]))
		}
		if z == n {
			return
		}
		q := 1.0 // prod_{m<z} x[m], then times x[m] for z < m <= j
		if z > 0 {
			q = float64(y[base+(z-1)*inner])
		}
		acc = 0
		for j := z; j < n; j++ {
			p := base + j*inner
			if j > z {
				q *= float64(x[p])
				dx[p] = 0
			}
			acc += float64(g[p]) * q
		}
		dx[base+z*inner] = T(acc)
	})
}

// moreKV is an element of a line being sorted: its value and its position.
type moreKV[T Number] struct {
	v T
	i int64
}

// moreOrder returns the comparison of a sort: ascending or descending by
// value, NaN above every number (first when descending, last otherwise),
// equal values (and NaNs) by position, so the result is that of a stable
// sort (torch.sort with stable=True).
func moreOrder[T Number](descending bool) func(a, b moreKV[T]) int {
	if descending {
		return func(a, b moreKV[T]) int {
			an, bn := a.v != a.v, b.v != b.v
			switch {
			case an && !bn:
				return -1
			case bn && !an:
				return 1
			case !an && a.v > b.v:
				return -1
			case !an && a.v < b.v:
				return 1
			}
			return cmp.Compare(a.i, b.i)
		}
	}
	return func(a, b moreKV[T]) int {
		an, bn := a.v != a.v, b.v != b.v
		switch {
		case an && !bn:
			return 1
		case bn && !an:
			return -1
		case !an && a.v < b.v:
			return -1
		case !an && a.v > b.v:
			return 1
		}
		return cmp.Compare(a.i, b.i)
	}
}

// SortLines sorts every line of the (outer, n, inner) layout of src and
// writes the sorted values to vals and their positions along the line to idx
// (both in the same layout). The sort is stable: equal values keep their
// order, in both directions. NaN counts as larger than every number, as in
// PyTorch.
func SortLines[T Number](vals []T, idx []int64, src []T, outer, n, inner int, descending bool) {
	TopKLines(vals, idx, src, outer, n, inner, n, !descending)
}

// TopKLines writes the k first elements of every sorted line of the
// (outer, n, inner) layout of src to vals and their positions to idx, in an
// (outer, k, inner) layout: the k smallest in ascending order when smallest
// is set, else the k largest in descending order. The order is SortLines':
// NaN is the largest value and ties keep their positions' order. When k is
// small next to n it selects with a heap (O(n log k)) instead of sorting
// the whole line.
func TopKLines[T Number](vals []T, idx []int64, src []T, outer, n, inner, k int, smallest bool) {
	if k == 0 || n == 0 {
		return
	}
	order := moreOrder[T](!smallest)
	moreLines(outer, n, inner, func(base int) {
		o := base / (n * inner)
		j := base % (n * inner)
		obase := o*k*inner + j
		var buf []moreKV[T]
		if k*4 >= n {
			buf = make([]moreKV[T], n)
			for i := range buf {
				buf[i] = moreKV[T]{src[base+i*inner], int64(i)}
			}
			slices.SortFunc(buf, order)
		} else {
			buf = moreSelect(src, base, n, inner, k, order)
			slices.SortFunc(buf, order)
		}
		for i := range k {
			vals[obase+i*inner] = buf[i].v
			idx[obase+i*inner] = buf[i].i
		}
	})
}

// moreSelect returns the k elements of a line that come first in order (in
// no particular order), keeping them in a binary heap whose root is the one
// that comes last.
func moreSelect[T Number](src []T, base, n, inner, k int, order func(a, b moreKV[T]) int) []moreKV[T] {
	h := make([]moreKV[T], k)
	for i := range h {
		h[i] = moreKV[T]{src[base+i*inner], int64(i)}
	}
	down := func(i int) {
		for {
			c := 2*i + 1
			if c >= k {
				return
			}
			if c+1 < k && order(h[c+1], h[c]) > 0 {
				c++
			}
			if order(h[c], h[i]) <= 0 {
				return
			}
			h[i], h[c] = h[c], h[i]
			i = c
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for i := k; i < n; i++ {
		e := moreKV[T]{src[base+i*inner], int64(i)}
		if order(e, h[0]) < 0 {
			h[0] = e
			down(0)
		}
	}
	return h
}

// AnyRows sets dst[i] to whether row i of the outer rows of inner
// contiguous elements of src holds a nonzero element (NaN is nonzero). An
// empty row gives false. Float16 data must be widened first, so that -0 is
// zero.
func AnyRows[T comparable](dst []bool, src []T, outer, inner int) {
	var zero T
	for i := range outer {
		dst[i] = slices.ContainsFunc(src[i*inner:(i+1)*inner], func(v T) bool { return v != zero })
	}
}

// AllRows sets dst[i] to whether every element of row i is nonzero (true
// for an empty row).
func AllRows[T comparable](dst []bool, src []T, outer, inner int) {
	var zero T
	for i := range outer {
		dst[i] = !slices.Contains(src[i*inner:(i+1)*inner], zero)
	}
}

// CountNonzeroRows sets dst[i] to the number of nonzero elements of row i.
func CountNonzeroRows[T comparable](dst []int64, src []T, outer, inner int) {
	var zero T
	for i := range outer {
		c := int64(0)
		for _, v := range src[i*inner : (i+1)*inner] {
			if v != zero {
				c++
			}
		}
		dst[i] = c
	}
}

// Nonzero returns the coordinates of the nonzero elements of src, a
// contiguous row-major buffer of the given shape, in row-major order: one
// row of len(shape) coordinates per element, flattened (torch.nonzero),
// and their number (which a 0-d shape needs, having no coordinates).
func Nonzero[T comparable](src []T, shape []int) (coords []int64, count int) {
	var zero T
	nd := len(shape)
	coord := make([]int64, nd)
	for _, v := range src {
		if v != zero {
			coords = append(coords, coord...)
			count++
		}
		for d := nd - 1; d >= 0; d-- {
			coord[d]++
			if coord[d] < int64(shape[d]) {
				break
			}
			coord[d] = 0
		}
	}
	return coords, count
}
