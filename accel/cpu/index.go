package cpu

// Indexing kernels: gather/scatter along one dimension, per-dimension index
// maps (index_select, index_add, index_copy and every padding mode), triangle
// masks and boolean-mask selection. Index values are int64; the kernels that
// read user indices check them and report the first one out of range instead
// of panicking, so callers can word the error (or return it, in the lite
// runtime).

// NoSource marks an entry of a Remap index map that has no source element:
// the output there takes the fill value.
const NoSource = -1

// gatherStrides returns the strides of v with the one of dim set to zero, and
// the stride that was removed.
func gatherStrides(v View, dim int) ([]int, int) {
	st := make([]int, len(v.Strides))
	copy(st, v.Strides)
	s := st[dim]
	st[dim] = 0
	return st, s
}

// Gather sets dst[p] = src[p with coordinate dim replaced by index[p]] for
// every position p of shape (the index's shape), as torch.gather. sv holds
// src's strides; size is src's extent along dim. It returns (bad, false) for
// the first index value outside [0, size), after which dst is incomplete.
func Gather[T any](shape []int, dst []T, dv View, src []T, sv View, index []int64, iv View, dim, size int) (int64, bool) {
	if !validShape("Gather", shape) {
		validView("Gather", "index", shape, iv, len(index))
		validView("Gather", "dst", shape, dv, len(dst))
		if len(shape) > 0 {
			validDim("Gather", dim, len(shape))
			validAlong("Gather", "src", shape, dim, size, sv, len(src))
		} else {
			validView("Gather", "src", shape, sv, len(src))
		}
	}
	if len(shape) == 0 {
		i := index[iv.Offset]
		if i < 0 || i >= int64(size) {
			return i, false
		}
		dst[dv.Offset] = src[sv.Offset]
		return 0, true
	}
	sst, ds := gatherStrides(sv, dim)
	var bad int64
	ok := true
	walk(shape, []int{dv.Offset, sv.Offset, iv.Offset}, [][]int{dv.Strides, sst, iv.Strides}, func(o []int, n int, st []int) {
		if !ok {
			return
		}
		d, s, x := o[0], o[1], o[2]
		for range n {
			i := index[x]
			if i < 0 || i >= int64(size) {
				bad, ok = i, false
				return
			}
			dst[d] = src[s+int(i)*ds]
			d += st[0]
			s += st[1]
			x += st[2]
		}
	})
	return bad, ok
}

// Scatter is the inverse of Gather: for every position p of shape (the
// index's shape) it sets dst[q] = f(dst[q], src[p]) where q is p with
// coordinate dim replaced by index[p]; a nil f assigns src[p]. Positions are
// visited in row-major order, so with repeated indices the last write wins.
// size is dst's extent along dim. It returns (bad, false) for the first index
// value outside [0, size).
func Scatter[T any](shape []int, dst []T, dv View, src []T, sv View, index []int64, iv View, dim, size int, f func(old, v T) T) (int64, bool) {
	if !validShape("Scatter", shape) {
		validView("Scatter", "index", shape, iv, len(index))
		validView("Scatter", "src", shape, sv, len(src))
		if len(shape) > 0 {
			validDim("Scatter", dim, len(shape))
			validAlong("Scatter", "dst", shape, dim, size, dv, len(dst))
		} else {
			validView("Scatter", "dst", shape, dv, len(dst))
		}
	}
	if len(shape) == 0 {
		i := index[iv.Offset]
		if i < 0 || i >= int64(size) {
			return i, false
		}
		if f == nil {
			dst[dv.Offset] = src[sv.Offset]
		} else {
			dst[dv.Offset] = f(dst[dv.Offset], src[sv.Offset])
		}
		return 0, true
	}
	dst2, ds := gatherStrides(dv, dim)
	var bad int64
	ok := true
	walk(shape, []int{dv.Offset, sv.Offset, iv.Offset}, [][]int{dst2, sv.Strides, iv.Strides}, func(o []int, n int, st []int) {
		if !ok {
			return
		}
		d, s, x := o[0], o[1], o[2]
		for range n {
			i := index[x]
			if i < 0 || i >= int64(size) {
				bad, ok = i, false
				return
			}
			q := d + int(i)*ds
			if f == nil {
				dst[q] = src[s]
			} else {
				dst[q] = f(dst[q], src[s])
			}
			d += st[0]
			s += st[1]
			x += st[2]
		}
	})
	return bad, ok
}

// remapTables turns per-dimension index maps into offset tables: tab[d][i] is
// the offset contribution of coordinate i along d, or NoSource.
func remapTables(shape, strides []int, maps [][]int) [][]int {
	tabs := make([][]int, len(shape))
	for d, n := range shape {
		t := make([]int, n)
		var m []int
		if d < len(maps) {
			m = maps[d]
		}
		for i := range t {
			j := i
			if m != nil {
				j = m[i]
			}
			if j < 0 {
				t[i] = NoSource
			} else {
				t[i] = j * strides[d]
			}
		}
		tabs[d] = t
	}
	return tabs
}

// remapRows walks shape in row-major order and calls row once per innermost
// row: o is the row's start offset in the identity-mapped view ov, os its
// stride there, m the offset through the maps in the mapped view mv, tab the
// offset table of the last dimension (entries cpu.NoSource where there is no
// source element); valid is false when an outer map entry was NoSource.
func remapRows(shape []int, ov, mv View, maps [][]int, row func(o, os, m int, tab []int, valid bool)) {
	if Numel(shape) == 0 {
		return
	}
	n := len(shape)
	if n == 0 {
		row(ov.Offset, 0, mv.Offset, []int{0}, true)
		return
	}
	tabs := remapTables(shape, mv.Strides, maps)
	var rec func(d, o, m int, valid bool)
	rec = func(d, o, m int, valid bool) {
		if d == n-1 {
			row(o, ov.Strides[d], m, tabs[d], valid)
			return
		}
		os := ov.Strides[d]
		for i, t := range tabs[d] {
			if t == NoSource {
				rec(d+1, o+i*os, m, false)
			} else {
				rec(d+1, o+i*os, m+t, valid)
			}
		}
	}
	rec(0, ov.Offset, mv.Offset, true)
}

// Remap fills dst (a view of shape) from src through per-dimension index
// maps: the element at (o_0, ..., o_{n-1}) is src at coordinates
// (m_0(o_0), ..., m_{n-1}(o_{n-1})), where m_d(i) is maps[d][i], or i when
// maps[d] is nil or missing. Where some m_d(i) is NoSource the element is
// fill. Index maps must already be in range for src. This one kernel does
// index_select and every padding mode (constant, reflect, replicate,
// circular).
func Remap[T any](shape []int, dst []T, dv View, src []T, sv View, maps [][]int, fill T) {
	if !validShape("Remap", shape) {
		validView("Remap", "dst", shape, dv, len(dst))
		validRemap("Remap", "src", shape, maps, sv, len(src))
	}
	remapRows(shape, dv, sv, maps, func(o, os, m int, tab []int, valid bool) {
		if !valid {
			for range tab {
				dst[o] = fill
				o += os
			}
			return
		}
		for _, t := range tab {
			if t == NoSource {
				dst[o] = fill
			} else {
				dst[o] = src[m+t]
			}
			o += os
		}
	})
}

// RemapAdd is the adjoint of Remap: for every position o of shape it sets
// dst[m(o)] = f(dst[m(o)], src[o]), skipping positions where a map entry is
// NoSource; a nil f assigns. With f an addition it does index_add and the
// backward of every padding mode; with nil f, index_copy.
func RemapAdd[T any](shape []int, dst []T, dv View, src []T, sv View, maps [][]int, f func(old, v T) T) {
	if !validShape("RemapAdd", shape) {
		validView("RemapAdd", "src", shape, sv, len(src))
		validRemap("RemapAdd", "dst", shape, maps, dv, len(dst))
	}
	remapRows(shape, sv, dv, maps, func(s, ss, m int, tab []int, valid bool) {
		if !valid {
			return
		}
		for _, t := range tab {
			if t != NoSource {
				if f == nil {
					dst[m+t] = src[s]
				} else {
					dst[m+t] = f(dst[m+t], src[s])
				}
			}
			s += ss
		}
	})
}

// Tri zeroes in place, in the contiguous batch of rows×cols matrices held by
// data, the elements outside a triangle: with upper false it keeps those with
// col-row <= k (torch.tril), with upper true those with col-row >= k
// (torch.triu).
func Tri[T any](data []T, batch, rows, cols, k int, upper bool) {
	validLen("Tri", "data", len(data), validProd("Tri", "batch, rows, cols", batch, rows, cols))
	var zero T
	for b := range batch {
		m := data[b*rows*cols : (b+1)*rows*cols]
		for i := range rows {
			row := m[i*cols : (i+1)*cols]
			if upper {
				// zero columns j < i+k
				for j := 0; j < min(max(i+k, 0), cols); j++ {
					row[j] = zero
				}
			} else {
				// zero columns j > i+k
				for j := max(i+k+1, 0); j < cols; j++ {
					row[j] = zero
				}
			}
		}
	}
}

// CountTrue returns the number of true elements of the strided mask view.
func CountTrue(shape []int, mask []bool, mv View) int {
	if !validShape("CountTrue", shape) {
		validView("CountTrue", "mask", shape, mv, len(mask))
	}
	n := 0
	walk(shape, []int{mv.Offset}, [][]int{mv.Strides}, func(o []int, cnt int, st []int) {
		m := o[0]
		for range cnt {
			if mask[m] {
				n++
			}
			m += st[0]
		}
	})
	return n
}

// MaskedSelect appends to dst, in row-major order of shape, the elements of
// the src view where the mask view is true, and returns the extended slice
// (torch.masked_select; broadcasting is expressed by zero strides).
func MaskedSelect[T any](shape []int, dst []T, src []T, sv View, mask []bool, mv View) []T {
	if !validShape("MaskedSelect", shape) {
		validView("MaskedSelect", "src", shape, sv, len(src))
		validView("MaskedSelect", "mask", shape, mv, len(mask))
	}
	walk(shape, []int{sv.Offset, mv.Offset}, [][]int{sv.Strides, mv.Strides}, func(o []int, n int, st []int) {
		s, m := o[0], o[1]
		for range n {
			if mask[m] {
				dst = append(dst, src[s])
			}
			s += st[0]
			m += st[1]
		}
	})
	return dst
}

// MaskedScatter writes consecutive elements of src into the dst view where
// the mask view is true, in row-major order of shape (the adjoint of
// MaskedSelect), and returns how many it wrote. src must hold at least
// CountTrue elements.
func MaskedScatter[T any](shape []int, dst []T, dv View, mask []bool, mv View, src []T) int {
	if !validShape("MaskedScatter", shape) {
		validView("MaskedScatter", "dst", shape, dv, len(dst))
		validView("MaskedScatter", "mask", shape, mv, len(mask))
		if len(src) < Numel(shape) {
			validLen("MaskedScatter", "src", len(src), CountTrue(shape, mask, mv))
		}
	}
	k := 0
	walk(shape, []int{dv.Offset, mv.Offset}, [][]int{dv.Strides, mv.Strides}, func(o []int, n int, st []int) {
		d, m := o[0], o[1]
		for range n {
			if mask[m] {
				dst[d] = src[k]
				k++
			}
			d += st[0]
			m += st[1]
		}
	})
	return k
}
