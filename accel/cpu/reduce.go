package cpu

// Number is the set of element types with Go arithmetic.
type Number interface {
	~float32 | ~float64 | ~int64 | ~int32 | ~int8 | ~uint8
}

// SumRows sums each of the outer rows of inner contiguous elements of src
// into dst[i], accumulating in the type A (float64 for float32 input keeps
// long sums accurate; int64 for integer input).
func SumRows[T, A Number, O Number](dst []O, src []T, outer, inner int) {
	validRows("SumRows", len(dst), len(src), outer, inner)
	for i := range outer {
		row := src[i*inner : (i+1)*inner]
		var s A
		for _, v := range row {
			s += A(v)
		}
		dst[i] = O(s)
	}
}
