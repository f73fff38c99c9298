//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// The elementwise kernels of perf_ew.go run in AVX2 assembly when the CPU
// has it (eight elements at a time, the tail in Go); they do one IEEE
// operation or comparison per element, so the result does not depend on
// the path.
var perfAVX2 = cpu.X86.HasAVX2

//go:noescape
func perfDivScalarAVX2(dst, src *float32, n int, s float32)

//go:noescape
func perfRDivScalarAVX2(dst, src *float32, n int, s float32)

//go:noescape
func perfReLUGradAVX2(dst, gr, y *float32, n int)

//go:noescape
func perfRangeGradAVX2(dst, gr, x *float32, n int, lo, hi float32)

func perfDivScalar(dst, src []float32, s float32) {
	if full := len(dst) &^ 7; perfAVX2 && full > 0 {
		perfDivScalarAVX2(&dst[0], &src[0], full, s)
		dst, src = dst[full:], src[full:]
	}
	perfDivScalarGo(dst, src, s)
}

func perfRDivScalar(dst []float32, s float32, src []float32) {
	if full := len(dst) &^ 7; perfAVX2 && full > 0 {
		perfRDivScalarAVX2(&dst[0], &src[0], full, s)
		dst, src = dst[full:], src[full:]
	}
	perfRDivScalarGo(dst, s, src)
}

func perfReLUGrad(dst, g, y []float32) {
	if full := len(dst) &^ 7; perfAVX2 && full > 0 {
		perfReLUGradAVX2(&dst[0], &g[0], &y[0], full)
		dst, g, y = dst[full:], g[full:], y[full:]
	}
	perfReLUGradGo(dst, g, y)
}

func perfRangeGrad(dst, g, x []float32, lo, hi float32) {
	if full := len(dst) &^ 7; perfAVX2 && full > 0 {
		perfRangeGradAVX2(&dst[0], &g[0], &x[0], full, lo, hi)
		dst, g, x = dst[full:], g[full:], x[full:]
	}
	perfRangeGradGo(dst, g, x, lo, hi)
}
