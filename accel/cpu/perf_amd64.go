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
// assembly and returns m (0 when the geometry or the type does not suit:
// horizontal stride 2 and windows 2 or 3 wide, float32). The windows must
// lie inside the plane s; h0 is their first row and rows their height.
//
// The kernel works in blocks of 8 outputs. A last, partial block is
// computed whole when the buffers extend far enough (their capacity: s, dr
// and ir are windows of the caller's whole buffers): the surplus outputs
// land on positions MaxPool2d writes later (the rest of this row, the
// next rows and planes), which overwrite them. Otherwise the partial
// block goes through a scratch buffer if its reads stay inside s, or is
// left to the caller.
func maxPoolFast[T Float](dr []T, ir []int64, s []T, g Pool2d, h0, rows, lo, hi int) int {
	if !perfAVX2 || g.SW != 2 || (g.KW != 2 && g.KW != 3) || hi-lo < 1 {
		return 0
	}
	d32, ok := any(dr).([]float32)
	if !ok {
		return 0
	}
	s32 := any(s).([]float32)
	start := h0*g.W + lo*g.SW - g.PW
	// A block of 8 outputs from column c reads 16 elements of each row
	// from c, and 3-wide windows 2 more.
	extra := 0
	if g.KW == 3 {
		extra = 2
	}
	reads := func(n, limit int) bool { return start+(rows-1)*g.W+2*n+extra <= limit }
	var ip *int64
	if ir != nil {
		ip = &ir[lo]
	}
	n := hi - lo
	if whole := (n + 7) &^ 7; reads(whole, cap(s32)) && lo+whole <= cap(d32) && (ir == nil || lo+whole <= cap(ir)) {
		perfMaxPoolS2AVX2(&d32[lo], ip, &s32[start], whole, g.W, rows, g.KW, start)
		return n
	}
	n &^= 7
	for n > 0 && !reads(n, len(s32)) {
		n -= 8
	}
	if n > 0 {
		perfMaxPoolS2AVX2(&d32[lo], ip, &s32[start], n, g.W, rows, g.KW, start)
	}
	if rem := hi - lo - n; rem > 0 && rem < 8 && reads(n+8, len(s32)) {
		var vb [8]float32
		var ib [8]int64
		var bp *int64
		if ir != nil {
			bp = &ib[0]
		}
		perfMaxPoolS2AVX2(&vb[0], bp, &s32[start+2*n], 8, g.W, rows, g.KW, start+2*n)
		copy(d32[lo+n:hi], vb[:rem])
		if ir != nil {
			copy(ir[lo+n:hi], ib[:rem])
		}
		n += rem
	}
	return n
}
