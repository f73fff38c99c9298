package cpu

import "math"

// MeanRows writes the mean of each of the outer rows of inner contiguous
// elements of src to dst[i], accumulating in float64. An empty row gives
// NaN, as PyTorch.
func MeanRows[T ~float32 | ~float64](dst, src []T, outer, inner int) {
	validRows("MeanRows", len(dst), len(src), outer, inner)
	for i := range outer {
		var s float64
		for _, v := range src[i*inner : (i+1)*inner] {
			s += float64(v)
		}
		dst[i] = T(s / float64(inner))
	}
}

// ProdRows writes the product of each row to dst[i], multiplying in the
// type A. An empty row gives 1.
func ProdRows[T, A, O Number](dst []O, src []T, outer, inner int) {
	validRows("ProdRows", len(dst), len(src), outer, inner)
	for i := range outer {
		p := A(1)
		for _, v := range src[i*inner : (i+1)*inner] {
			p *= A(v)
		}
		dst[i] = O(p)
	}
}

// ProdExclusiveRows writes to dst[i*inner+j] the product of all elements of
// row i of src except element j (prefix times suffix products, no division,
// so it is exact when the row holds zeros). It is the gradient of a product.
func ProdExclusiveRows[T Number](dst, src []T, outer, inner int) {
	validRows("ProdExclusiveRows", outer, len(src), outer, inner)
	validLen("ProdExclusiveRows", "dst", len(dst), outer*inner)
	for i := range outer {
		row := src[i*inner : (i+1)*inner]
		out := dst[i*inner : (i+1)*inner]
		p := T(1)
		for j, v := range row {
			out[j] = p
			p *= v
		}
		p = 1
		for j := len(row) - 1; j >= 0; j-- {
			out[j] *= p
			p *= row[j]
		}
	}
}

// VarRows writes the variance of each row to dst[i] (its square root when
// std is set), dividing the sum of squared deviations by
// max(0, inner-correction) as PyTorch's var(correction=...): correction 1 is
// the unbiased estimate, 0 the population variance. It computes in float64
// with two passes.
func VarRows[T ~float32 | ~float64](dst, src []T, outer, inner, correction int, std bool) {
	validRows("VarRows", len(dst), len(src), outer, inner)
	div := float64(max(0, inner-correction))
	for i := range outer {
		row := src[i*inner : (i+1)*inner]
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		mean := s / float64(inner)
		var ss float64
		for _, v := range row {
			d := float64(v) - mean
			ss += d * d
		}
		r := ss / div
		if std {
			r = math.Sqrt(r)
		}
		dst[i] = T(r)
	}
}

// LogSumExpRows writes log(sum(exp(row))) of each row to dst[i], shifting
// by the row's maximum for stability (a maximum of ±inf is not subtracted,
// so a row of -inf gives -inf and one holding +inf gives +inf). NaN
// propagates; an empty row gives -inf.
func LogSumExpRows[T ~float32 | ~float64](dst, src []T, outer, inner int) {
	validRows("LogSumExpRows", len(dst), len(src), outer, inner)
	for i := range outer {
		row := src[i*inner : (i+1)*inner]
		if len(row) == 0 {
			dst[i] = T(math.Inf(-1))
			continue
		}
		m := float64(maxNaN(row))
		if math.IsInf(m, 0) {
			m = 0
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		dst[i] = T(math.Log(s) + m)
	}
}

// NormRows writes the p-norm of each row to dst[i]: (sum |x|^p)^(1/p) for
// finite p other than 0, 1 and 2 (negative p included), the maximum |x| for
// p=+inf, the minimum for p=-inf, and the count of non-zero elements for
// p=0. NaN propagates (except for p=0, where NaN counts as non-zero). An
// empty row gives 0, as PyTorch. Sums accumulate in float64.
func NormRows[T ~float32 | ~float64](dst, src []T, outer, inner int, p float64) {
	validRows("NormRows", len(dst), len(src), outer, inner)
	for i := range outer {
		row := src[i*inner : (i+1)*inner]
		if len(row) == 0 {
			dst[i] = 0
			continue
		}
		var r float64
		switch {
		case p == 2:
			for _, v := range row {
				r += float64(v) * float64(v)
			}
			r = math.Sqrt(r)
		case p == 1:
			for _, v := range row {
				r += math.Abs(float64(v))
			}
		case p == 0:
			for _, v := range row {
				if v != 0 {
					r++
				}
			}
		case math.IsInf(p, 1):
			r = math.Abs(float64(row[0]))
			for _, v := range row {
				a := math.Abs(float64(v))
				if a != a {
					r = a
					break
				}
				r = max(r, a)
			}
		case math.IsInf(p, -1):
			r = math.Abs(float64(row[0]))
			for _, v := range row {
				a := math.Abs(float64(v))
				if a != a {
					r = a
					break
				}
				r = min(r, a)
			}
		default:
			for _, v := range row {
				r += math.Pow(math.Abs(float64(v)), p)
			}
			r = math.Pow(r, 1/p)
		}
		dst[i] = T(r)
	}
}
