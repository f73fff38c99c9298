package cpu

// MaxRows finds the largest element of each of the outer rows of inner
// contiguous elements of src. It writes the value to vals[i] and its index
// in the row to idx[i]; either may be nil when not wanted. Ties resolve to
// the first occurrence and NaN propagates (the first NaN of a row wins), as
// PyTorch's max(dim) and argmax. inner must be positive.
func MaxRows[T Number](vals []T, idx []int64, src []T, outer, inner int) {
	validRows("MaxRows", outer, len(src), outer, inner)
	if vals != nil {
		validLen("MaxRows", "vals", len(vals), outer)
	}
	if idx != nil {
		validLen("MaxRows", "idx", len(idx), outer)
	}
	if outer > 0 && inner == 0 {
		panic("cpu.MaxRows: inner must be positive, got 0")
	}
	for i := range outer {
		row := src[i*inner : (i+1)*inner]
		best, bi := row[0], 0
		if best == best {
			for j := 1; j < len(row); j++ {
				v := row[j]
				if v != v {
					best, bi = v, j
					break
				}
				if v > best {
					best, bi = v, j
				}
			}
		}
		if vals != nil {
			vals[i] = best
		}
		if idx != nil {
			idx[i] = int64(bi)
		}
	}
}

// MinRows is MaxRows for the smallest element.
func MinRows[T Number](vals []T, idx []int64, src []T, outer, inner int) {
	validRows("MinRows", outer, len(src), outer, inner)
	if vals != nil {
		validLen("MinRows", "vals", len(vals), outer)
	}
	if idx != nil {
		validLen("MinRows", "idx", len(idx), outer)
	}
	if outer > 0 && inner == 0 {
		panic("cpu.MinRows: inner must be positive, got 0")
	}
	for i := range outer {
		row := src[i*inner : (i+1)*inner]
		best, bi := row[0], 0
		if best == best {
			for j := 1; j < len(row); j++ {
				v := row[j]
				if v != v {
					best, bi = v, j
					break
				}
				if v < best {
					best, bi = v, j
				}
			}
		}
		if vals != nil {
			vals[i] = best
		}
		if idx != nil {
			idx[i] = int64(bi)
		}
	}
}

// maxNaN returns the largest element of a non-empty row, or NaN if the row
// holds one.
func maxNaN[T ~float32 | ~float64](row []T) T {
	m := row[0]
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
