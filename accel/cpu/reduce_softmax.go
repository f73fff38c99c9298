package cpu

import "math"

// Softmax computes softmax along the middle axis of src seen as a
// contiguous [outer][n][inner] array, writing to dst (same layout; dst may
// alias src). Each line is shifted by its maximum so large inputs do not
// overflow; exponentials and sums are taken in float64. A line holding +inf,
// or only -inf, gives NaN, as PyTorch. It allocates nothing.
func Softmax[T ~float32 | ~float64](dst, src []T, outer, n, inner int) {
	n3 := validLines("Softmax", outer, n, inner)
	validLen("Softmax", "src", len(src), n3)
	validLen("Softmax", "dst", len(dst), n3)
	softmaxLines(dst, src, outer, n, inner, false)
}

// LogSoftmax is Softmax's logarithm, computed as (x - max) - log(sum exp(x -
// max)) so it stays finite where the softmax underflows.
func LogSoftmax[T ~float32 | ~float64](dst, src []T, outer, n, inner int) {
	n3 := validLines("LogSoftmax", outer, n, inner)
	validLen("LogSoftmax", "src", len(src), n3)
	validLen("LogSoftmax", "dst", len(dst), n3)
	softmaxLines(dst, src, outer, n, inner, true)
}

func softmaxLines[T ~float32 | ~float64](dst, src []T, outer, n, inner int, log bool) {
	if n == 0 {
		return
	}
	for o := range outer {
		base := o * n * inner
		for k := range inner {
			start := base + k
			end := start + (n-1)*inner + 1
			softmaxLine(dst[start:end], src[start:end], inner, log)
		}
	}
}

// softmaxLine handles one line of elements x[0], x[st], x[2*st], ...
func softmaxLine[T ~float32 | ~float64](dst, src []T, st int, log bool) {
	m := float64(src[0])
	for j := 0; j < len(src); j += st {
		if v := float64(src[j]); v > m {
			m = v
		}
	}
	var s float64
	if log {
		for j := 0; j < len(src); j += st {
			s += math.Exp(float64(src[j]) - m)
		}
		ls := math.Log(s)
		for j := 0; j < len(src); j += st {
			dst[j] = T((float64(src[j]) - m) - ls)
		}
		return
	}
	for j := 0; j < len(src); j += st {
		e := math.Exp(float64(src[j]) - m)
		s += e
		dst[j] = T(e)
	}
	inv := 1 / s
	for j := 0; j < len(src); j += st {
		dst[j] = T(float64(dst[j]) * inv)
	}
}
