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
	"fmt"
	"math"
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
	n3 := validLines("Cumsum", outer, n, inner)
	validLen("Cumsum", "src", len(src), n3)
	validLen("Cumsum", "dst", len(dst), n3)
	moreScan[T, A](dst, src, outer, n, inner, false)
}

// Cumprod is Cumsum for running products (torch.cumprod).
func Cumprod[T, A Number](dst, src []T, outer, n, inner int) {
	n3 := validLines("Cumprod", outer, n, inner)
	validLen("Cumprod", "src", len(src), n3)
	validLen("Cumprod", "dst", len(dst), n3)
	moreScan[T, A](dst, src, outer, n, inner, true)
}

func moreScan[T, A Number](dst, src []T, outer, n, inner int, prod bool) {
	moreBlocks(outer, n, inner, func(o int) {
		base := o * n * inner
		if inner == 1 {
			var a A = 0
			if prod {
				a = 1
			}
			s, d := src[base:base+n], dst[base:base+n]
			if prod {
				for i, v := range s {
					a *= A(v)
					d[i] = T(a)
				}
			} else {
				for i, v := range s {
					a += A(v)
					d[i] = T(a)
				}
			}
			return
		}
		acc := make([]A, inner)
		if prod {
			for j := range acc {
				acc[j] = 1
			}
		}
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
	n3 := validLines("CumprodBackward", outer, n, inner)
	validLen("CumprodBackward", "dx", len(dx), n3)
	validLen("CumprodBackward", "g", len(g), n3)
	validLen("CumprodBackward", "x", len(x), n3)
	validLen("CumprodBackward", "y", len(y), n3)
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

// The sort order is encoded in integer keys whose unsigned order is the
// order of the values: NaN above +Inf (every NaN the same key), -0 equal to
// +0, and for a descending sort the keys complemented. Ties are broken by
// position, which makes the order total, so any sort gives the result of a
// stable one. Elements of up to 32 bits pack key and position into one
// uint64 and sort as plain integers; 64-bit elements sort (key, position)
// pairs.

// moreF32Key and moreF64Key return the keys of floats.
func moreF32Key(f float32) uint32 {
	switch {
	case f != f:
		return 0xFFC00000 // the key of the canonical NaN 0x7FC00000
	case f == 0:
		return 1 << 31
	}
	b := math.Float32bits(f)
	return b ^ (uint32(int32(b)>>31) | 1<<31) // negative: all bits flipped; else the sign bit set
}

func moreF64Key(f float64) uint64 {
	switch {
	case f != f:
		return 0xFFF8000000000000
	case f == 0:
		return 1 << 63
	}
	b := math.Float64bits(f)
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}

// moreKeys32 fills dst with key<<32 | position for len(dst) elements of a
// line (at base, stride inner) of src, an element type of at most 32 bits,
// the first of which has position pos0; flip complements the keys.
func moreKeys32[T Number](dst []uint64, src []T, base, inner, pos0 int, flip uint32) {
	switch s := any(src).(type) {
	case []float32:
		for i := range dst {
			dst[i] = uint64(moreF32Key(s[base+i*inner])^flip)<<32 | uint64(pos0+i)
		}
	case []int32:
		for i := range dst {
			dst[i] = uint64(uint32(s[base+i*inner])^(1<<31)^flip)<<32 | uint64(pos0+i)
		}
	case []int8:
		for i := range dst {
			dst[i] = uint64(uint32(uint8(s[base+i*inner])^0x80)^flip)<<32 | uint64(pos0+i)
		}
	case []uint8:
		for i := range dst {
			dst[i] = uint64(uint32(s[base+i*inner])^flip)<<32 | uint64(pos0+i)
		}
	default:
		panic("cpu: no 32-bit sort key for this type")
	}
}

// moreKeys64 is moreKeys32 for 64-bit elements.
func moreKeys64[T Number](dst []moreKeyPos, src []T, base, inner int, flip uint64) {
	switch s := any(src).(type) {
	case []float64:
		for i := range dst {
			dst[i] = moreKeyPos{moreF64Key(s[base+i*inner]) ^ flip, int64(i)}
		}
	case []int64:
		for i := range dst {
			dst[i] = moreKeyPos{uint64(s[base+i*inner]) ^ (1 << 63) ^ flip, int64(i)}
		}
	default:
		panic("cpu: no 64-bit sort key for this type")
	}
}

// moreKeyPos is a 64-bit key with the position it came from.
type moreKeyPos struct {
	k uint64
	i int64
}

func moreKeyPosCmp(a, b moreKeyPos) int {
	if c := cmp.Compare(a.k, b.k); c != 0 {
		return c
	}
	return cmp.Compare(a.i, b.i)
}

// SortLines sorts every line of the (outer, n, inner) layout of src and
// writes the sorted values to vals and their positions along the line to idx
// (both in the same layout). The sort is stable: equal values keep their
// order, in both directions. NaN counts as larger than every number and -0
// as equal to +0, as in PyTorch.
func SortLines[T Number](vals []T, idx []int64, src []T, outer, n, inner int, descending bool) {
	n3 := validLines("SortLines", outer, n, inner)
	validLen("SortLines", "src", len(src), n3)
	validLen("SortLines", "vals", len(vals), n3)
	validLen("SortLines", "idx", len(idx), n3)
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
	n3 := validLines("TopKLines", outer, n, inner)
	validSize("TopKLines", "k", k)
	if k > n {
		panic(fmt.Sprintf("cpu.TopKLines: k = %d is larger than the line length n = %d", k, n))
	}
	validLen("TopKLines", "src", len(src), n3)
	k3 := validLines("TopKLines", outer, k, inner)
	validLen("TopKLines", "vals", len(vals), k3)
	validLen("TopKLines", "idx", len(idx), k3)
	if k == 0 || n == 0 {
		return
	}
	var zero T
	wide := false
	switch any(zero).(type) {
	case float64, int64:
		wide = true
	}
	heap := k*4 < n
	var flip uint64
	if !smallest {
		flip = math.MaxUint64
	}
	moreLines(outer, n, inner, func(base int) {
		o, j := base/(n*inner), base%(n*inner)
		out := o*k*inner + j
		if !wide && n <= math.MaxUint32 {
			var buf []uint64
			if heap {
				buf = moreSelect32(src, base, n, inner, k, uint32(flip))
			} else {
				buf = make([]uint64, n)
				moreKeys32(buf, src, base, inner, 0, uint32(flip))
			}
			slices.Sort(buf)
			for i, e := range buf[:k] {
				p := int(uint32(e))
				vals[out+i*inner] = src[base+p*inner]
				idx[out+i*inner] = int64(p)
			}
			return
		}
		buf := make([]moreKeyPos, n)
		moreKeys64(buf, src, base, inner, flip)
		if heap {
			buf = moreSelect(buf, k, moreKeyPosCmp)
		}
		slices.SortFunc(buf, moreKeyPosCmp)
		for i, e := range buf[:k] {
			vals[out+i*inner] = src[base+int(e.i)*inner]
			idx[out+i*inner] = e.i
		}
	})
}

// moreSelect32 returns the k smallest packed keys (see moreKeys32) of a
// line, in no particular order, keeping them in a binary max-heap while the
// keys are made a chunk at a time.
func moreSelect32[T Number](src []T, base, n, inner, k int, flip uint32) []uint64 {
	h := make([]uint64, 0, k)
	var chunk [256]uint64
	for lo := 0; lo < n; lo += len(chunk) {
		c := chunk[:min(len(chunk), n-lo)]
		moreKeys32(c, src, base+lo*inner, inner, lo, flip)
		for _, e := range c {
			if len(h) < k {
				h = append(h, e)
				for i := len(h) - 1; i > 0; { // sift up
					p := (i - 1) / 2
					if h[p] >= h[i] {
						break
					}
					h[p], h[i] = h[i], h[p]
					i = p
				}
				continue
			}
			if e >= h[0] {
				continue
			}
			h[0] = e
			for i := 0; ; { // sift down
				ch := 2*i + 1
				if ch >= k {
					break
				}
				if ch+1 < k && h[ch+1] > h[ch] {
					ch++
				}
				if h[ch] <= h[i] {
					break
				}
				h[i], h[ch] = h[ch], h[i]
				i = ch
			}
		}
	}
	return h
}

// moreSelect returns the k smallest elements of buf under the total order
// c (in no particular order), found with a binary heap whose root is the
// largest of those kept; it reuses buf's storage.
func moreSelect[E any](buf []E, k int, c func(a, b E) int) []E {
	h := buf[:k]
	down := func(i int) {
		for {
			ch := 2*i + 1
			if ch >= k {
				return
			}
			if ch+1 < k && c(h[ch+1], h[ch]) > 0 {
				ch++
			}
			if c(h[ch], h[i]) <= 0 {
				return
			}
			h[i], h[ch] = h[ch], h[i]
			i = ch
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, e := range buf[k:] {
		if c(e, h[0]) < 0 {
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
	validRows("AnyRows", len(dst), len(src), outer, inner)
	var zero T
	for i := range outer {
		dst[i] = slices.ContainsFunc(src[i*inner:(i+1)*inner], func(v T) bool { return v != zero })
	}
}

// AllRows sets dst[i] to whether every element of row i is nonzero (true
// for an empty row).
func AllRows[T comparable](dst []bool, src []T, outer, inner int) {
	validRows("AllRows", len(dst), len(src), outer, inner)
	var zero T
	for i := range outer {
		dst[i] = !slices.Contains(src[i*inner:(i+1)*inner], zero)
	}
}

// CountNonzeroRows sets dst[i] to the number of nonzero elements of row i.
func CountNonzeroRows[T comparable](dst []int64, src []T, outer, inner int) {
	validRows("CountNonzeroRows", len(dst), len(src), outer, inner)
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
	validShape("Nonzero", shape)
	validLen("Nonzero", "src", len(src), validProd("Nonzero", "shape", shape...))
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
