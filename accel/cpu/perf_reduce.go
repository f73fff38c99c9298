package cpu

// SumDimsF32 sums the contiguous float32 src of the given shape over the
// dimensions marked in reduced and writes the result, the kept dimensions
// in row-major order, to dst. It accumulates in float64 and reads src in
// place, in memory order, with no permuted copy: runs of reduced elements
// go through VecSum, runs of kept elements are added into the float64
// accumulators of their outputs (in order, as SumRows over a permuted copy
// would add them).
func SumDimsF32(dst, src []float32, shape []int, reduced []bool) {
	validLen("SumDimsF32", "reduced", len(reduced), len(shape))
	validShape("SumDimsF32", shape)
	validLen("SumDimsF32", "src", len(src), validProd("SumDimsF32", "shape", shape...))
	kept := 1
	for i, d := range shape {
		if !reduced[i] {
			kept *= d
		}
	}
	validLen("SumDimsF32", "dst", len(dst), kept)
	// Merge neighbouring dimensions of the same kind; drop size-1 ones.
	var sizes []int
	var red []bool
	for i, d := range shape {
		switch {
		case d == 1:
		case len(sizes) > 0 && red[len(red)-1] == reduced[i]:
			sizes[len(sizes)-1] *= d
		default:
			sizes = append(sizes, d)
			red = append(red, reduced[i])
		}
	}
	n := Numel(shape)
	if n == 0 || len(sizes) == 0 {
		// No elements (sums are 0), or a single one.
		for i := range dst {
			dst[i] = 0
		}
		if n == 1 {
			dst[0] = src[0]
		}
		return
	}
	k := len(sizes) - 1
	l := sizes[k]
	accBuf := convGetWS[float64](len(dst))
	defer convPutWS(accBuf)
	acc := *accBuf
	clear(acc)
	var strideArr, idxArr [16]int
	var outStride, idx []int
	if k <= len(strideArr) {
		outStride, idx = strideArr[:k], idxArr[:k]
	} else {
		outStride, idx = make([]int, k), make([]int, k)
	}
	s := 1
	if !red[k] {
		s = l
	}
	for i := k - 1; i >= 0; i-- {
		if !red[i] {
			outStride[i] = s
			s *= sizes[i]
		}
	}
	o := 0
	for off := 0; off < n; off += l {
		row := src[off : off+l]
		if red[k] {
			acc[o] += VecSum(row)
		} else {
			a := acc[o : o+l]
			for j, v := range row {
				a[j] += float64(v)
			}
		}
		for d := k - 1; d >= 0; d-- {
			idx[d]++
			o += outStride[d]
			if idx[d] < sizes[d] {
				break
			}
			o -= outStride[d] * sizes[d]
			idx[d] = 0
		}
	}
	for i, v := range acc {
		dst[i] = float32(v)
	}
}
