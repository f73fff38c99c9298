package cpu

// The portable micro-kernel, in plain Go. A 4×2 tile keeps its eight
// accumulators and six inputs in registers on amd64 and arm64; larger tiles
// spill in Go's register allocator and run slower (measured: 4×2 ≈ 7
// GFLOP/s, 4×4 ≈ 4 GFLOP/s on Zen 5).

const (
	gemmGoMR = 4
	gemmGoNR = 2
)

func gemmGoKernel[T Float]() *gemmKernel[T] {
	return &gemmKernel[T]{
		name: "generic",
		mr:   gemmGoMR, nr: gemmGoNR,
		mc: 128, kc: 256, nc: 4096,
		fn: gemmKernGo4x2[T],
	}
}

func gemmKernGo4x2[T Float](kc int, a, b, c []T, ldc int, alpha, beta T) {
	var c00, c01, c10, c11, c20, c21, c30, c31 T
	a = a[:kc*4]
	b = b[:kc*2]
	for len(a) >= 4 && len(b) >= 2 {
		b0, b1 := b[0], b[1]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		c30 += a3 * b0
		c31 += a3 * b1
		a = a[4:]
		b = b[2:]
	}
	r0 := c[0:2:2]
	r1 := c[ldc : ldc+2 : ldc+2]
	r2 := c[2*ldc : 2*ldc+2 : 2*ldc+2]
	r3 := c[3*ldc : 3*ldc+2 : 3*ldc+2]
	if beta == 0 {
		r0[0], r0[1] = alpha*c00, alpha*c01
		r1[0], r1[1] = alpha*c10, alpha*c11
		r2[0], r2[1] = alpha*c20, alpha*c21
		r3[0], r3[1] = alpha*c30, alpha*c31
		return
	}
	r0[0], r0[1] = alpha*c00+beta*r0[0], alpha*c01+beta*r0[1]
	r1[0], r1[1] = alpha*c10+beta*r1[0], alpha*c11+beta*r1[1]
	r2[0], r2[1] = alpha*c20+beta*r2[0], alpha*c21+beta*r2[1]
	r3[0], r3[1] = alpha*c30+beta*r3[0], alpha*c31+beta*r3[1]
}
