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

//go:noescape
func perfMaxPoolS2AVX2(dst *float32, idx *int64, src *float32, n, w, rows, kw, base int)

// maxPoolFast pools output columns [lo, lo+m) of one output row in
// assembly and returns m, a multiple of 8 (0 when the geometry or the type
// does not suit: horizontal stride 2 and windows 2 or 3 wide, float32).
// The windows must lie inside the plane s; h0 is their first row and rows
// their height.
func maxPoolFast[T Float](dr []T, ir []int64, s []T, g Pool2d, h0, rows, lo, hi int) int {
	if !perfAVX2 || g.SW != 2 || (g.KW != 2 && g.KW != 3) || hi-lo < 8 {
		return 0
	}
	d32, ok := any(dr).([]float32)
	if !ok {
		return 0
	}
	s32 := any(s).([]float32)
	n := (hi - lo) &^ 7
	start := h0*g.W + lo*g.SW - g.PW
	// The last block reads 16 elements of each row from its first column,
	// and 3-wide windows 2 more.
	extra := 0
	if g.KW == 3 {
		extra = 2
	}
	for n > 0 && start+(rows-1)*g.W+2*n+extra > len(s32) {
		n -= 8
	}
	if n == 0 {
		return 0
	}
	var ip *int64
	if ir != nil {
		ip = &ir[lo]
	}
	perfMaxPoolS2AVX2(&d32[lo], ip, &s32[start], n, g.W, rows, g.KW, start)
	return n
}
