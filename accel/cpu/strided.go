package cpu

// View describes a strided window of a buffer: element Offset, and per
// dimension Strides, for a shape that is passed separately (all operands of
// one map share the iteration shape).
type View struct {
	Offset  int
	Strides []int
}

// Contiguous returns the row-major strides of shape.
func Contiguous(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// Numel returns the number of elements of shape.
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// coalesce merges adjacent dimensions that are laid out contiguously in every
// operand, so that the innermost loop is as long as possible. It returns the
// new shape and strides (one stride slice per operand).
func coalesce(shape []int, strides ...[]int) ([]int, [][]int) {
	nd := len(shape)
	outShape := make([]int, 0, nd)
	outStr := make([][]int, len(strides))
	for k := range strides {
		outStr[k] = make([]int, 0, nd)
	}
	for i := 0; i < nd; i++ {
		if shape[i] == 1 {
			continue
		}
		if len(outShape) > 0 {
			last := len(outShape) - 1
			ok := true
			for k := range strides {
				if outStr[k][last] != strides[k][i]*shape[i] {
					ok = false
					break
				}
			}
			if ok {
				outShape[last] *= shape[i]
				for k := range strides {
					outStr[k][last] = strides[k][i]
				}
				continue
			}
		}
		outShape = append(outShape, shape[i])
		for k := range strides {
			outStr[k] = append(outStr[k], strides[k][i])
		}
	}
	if len(outShape) == 0 {
		outShape = append(outShape, 1)
		for k := range strides {
			outStr[k] = append(outStr[k], 0)
		}
	}
	return outShape, outStr
}

// walk calls inner for each innermost row of the iteration space: offs holds
// the start offset of every operand, n the row length and st the innermost
// stride of every operand.
func walk(shape []int, offsets []int, strides [][]int, inner func(offs []int, n int, st []int)) {
	if Numel(shape) == 0 {
		return
	}
	shape, strides = coalesce(shape, strides...)
	nd := len(shape)
	nops := len(offsets)
	last := make([]int, nops)
	for k := range nops {
		last[k] = strides[k][nd-1]
	}
	offs := make([]int, nops)
	copy(offs, offsets)
	if nd == 1 {
		inner(offs, shape[0], last)
		return
	}
	idx := make([]int, nd-1)
	for {
		inner(offs, shape[nd-1], last)
		// advance the outer index
		d := nd - 2
		for ; d >= 0; d-- {
			idx[d]++
			for k := range nops {
				offs[k] += strides[k][d]
			}
			if idx[d] < shape[d] {
				break
			}
			for k := range nops {
				offs[k] -= strides[k][d] * shape[d]
			}
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// walk3MaxRank is the largest rank walk3 handles without allocating.
const walk3MaxRank = 16

// walk3 is walk for three operands, without allocating for shapes of rank
// up to walk3MaxRank: it calls inner with the three start offsets, the row
// length and the three innermost strides of each innermost row.
func walk3(shape []int, offsets [3]int, strides [3][]int, inner func(o0, o1, o2, n, s0, s1, s2 int)) {
	if Numel(shape) == 0 {
		return
	}
	if len(shape) > walk3MaxRank {
		walk(shape, offsets[:], strides[:], func(o []int, n int, st []int) { inner(o[0], o[1], o[2], n, st[0], st[1], st[2]) })
		return
	}
	// Coalesce as walk does, into arrays on the stack.
	var shp [walk3MaxRank]int
	var str [3][walk3MaxRank]int
	nd := 0
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if nd > 0 {
			last := nd - 1
			if str[0][last] == strides[0][i]*d && str[1][last] == strides[1][i]*d && str[2][last] == strides[2][i]*d {
				shp[last] *= d
				for k := range 3 {
					str[k][last] = strides[k][i]
				}
				continue
			}
		}
		shp[nd] = d
		for k := range 3 {
			str[k][nd] = strides[k][i]
		}
		nd++
	}
	if nd == 0 {
		shp[0], nd = 1, 1
		for k := range 3 {
			str[k][0] = 0
		}
	}
	o := offsets
	n, l0, l1, l2 := shp[nd-1], str[0][nd-1], str[1][nd-1], str[2][nd-1]
	var idx [walk3MaxRank]int
	for {
		inner(o[0], o[1], o[2], n, l0, l1, l2)
		d := nd - 2
		for ; d >= 0; d-- {
			idx[d]++
			for k := range 3 {
				o[k] += str[k][d]
			}
			if idx[d] < shp[d] {
				break
			}
			for k := range 3 {
				o[k] -= str[k][d] * shp[d]
			}
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

// Map1 writes f(src) into dst elementwise over shape.
func Map1[T, U any](shape []int, dst []U, dv View, src []T, sv View, f func(T) U) {
	if !validShape("Map1", shape) {
		validView("Map1", "dst", shape, dv, len(dst))
		validView("Map1", "src", shape, sv, len(src))
	}
	walk(shape, []int{dv.Offset, sv.Offset}, [][]int{dv.Strides, sv.Strides}, func(o []int, n int, st []int) {
		d, s := o[0], o[1]
		ds, ss := st[0], st[1]
		if ds == 1 && ss == 1 {
			dd := dst[d : d+n]
			sd := src[s : s+n]
			for i := range dd {
				dd[i] = f(sd[i])
			}
			return
		}
		for range n {
			dst[d] = f(src[s])
			d += ds
			s += ss
		}
	})
}

// Map2 writes f(a, b) into dst elementwise over shape. Broadcasting is
// expressed with zero strides in av or bv.
func Map2[A, B, C any](shape []int, dst []C, dv View, a []A, av View, b []B, bv View, f func(A, B) C) {
	if !validShape("Map2", shape) {
		validView("Map2", "dst", shape, dv, len(dst))
		validView("Map2", "a", shape, av, len(a))
		validView("Map2", "b", shape, bv, len(b))
	}
	walk(shape, []int{dv.Offset, av.Offset, bv.Offset}, [][]int{dv.Strides, av.Strides, bv.Strides}, func(o []int, n int, st []int) {
		d, x, y := o[0], o[1], o[2]
		ds, xs, ys := st[0], st[1], st[2]
		if ds == 1 && xs == 1 && ys == 1 {
			dd := dst[d : d+n]
			ad := a[x : x+n]
			bd := b[y : y+n]
			for i := range dd {
				dd[i] = f(ad[i], bd[i])
			}
			return
		}
		for range n {
			dst[d] = f(a[x], b[y])
			d += ds
			x += xs
			y += ys
		}
	})
}

// Map3 writes f(a, b, c) into dst elementwise over shape.
func Map3[A, B, C, D any](shape []int, dst []D, dv View, a []A, av View, b []B, bv View, c []C, cv View, f func(A, B, C) D) {
	if !validShape("Map3", shape) {
		validView("Map3", "dst", shape, dv, len(dst))
		validView("Map3", "a", shape, av, len(a))
		validView("Map3", "b", shape, bv, len(b))
		validView("Map3", "c", shape, cv, len(c))
	}
	walk(shape, []int{dv.Offset, av.Offset, bv.Offset, cv.Offset}, [][]int{dv.Strides, av.Strides, bv.Strides, cv.Strides}, func(o []int, n int, st []int) {
		d, x, y, z := o[0], o[1], o[2], o[3]
		for range n {
			dst[d] = f(a[x], b[y], c[z])
			d += st[0]
			x += st[1]
			y += st[2]
			z += st[3]
		}
	})
}

// Copy copies src into dst over shape (both strided, same element type).
func Copy[T any](shape []int, dst []T, dv View, src []T, sv View) {
	if !validShape("Copy", shape) {
		validView("Copy", "dst", shape, dv, len(dst))
		validView("Copy", "src", shape, sv, len(src))
	}
	walk(shape, []int{dv.Offset, sv.Offset}, [][]int{dv.Strides, sv.Strides}, func(o []int, n int, st []int) {
		d, s := o[0], o[1]
		if st[0] == 1 && st[1] == 1 {
			copy(dst[d:d+n], src[s:s+n])
			return
		}
		for range n {
			dst[d] = src[s]
			d += st[0]
			s += st[1]
		}
	})
}
