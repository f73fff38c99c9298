//go:build !purego

package cpu

// The arm64 micro-kernels (NEON, which every arm64 CPU has), generated into
// gemm_kern_arm64.s by internal/asmgen. A 6×16 float32 tile keeps 24 of the
// 32 vector registers as accumulators.

func init() {
	gemmSets = append([]*gemmKernelSet{{
		name: "neon",
		s:    &gemmKernel[float32]{name: "neon", mr: 6, nr: 16, mc: 120, kc: 256, nc: 2048, fn: sgemmNEON},
		d:    &gemmKernel[float64]{name: "neon", mr: 6, nr: 8, mc: 120, kc: 256, nc: 2048, fn: dgemmNEON},
	}}, gemmSets...)
}

func sgemmNEON(kc int, ap, bp, c []float32, ldc int, alpha, beta float32) {
	_, _, _ = ap[kc*6-1], bp[kc*16-1], c[5*ldc+15]
	sgemmKernNEON(kc, &ap[0], &bp[0], &c[0], ldc, alpha, beta)
}

func dgemmNEON(kc int, ap, bp, c []float64, ldc int, alpha, beta float64) {
	_, _, _ = ap[kc*6-1], bp[kc*8-1], c[5*ldc+7]
	dgemmKernNEON(kc, &ap[0], &bp[0], &c[0], ldc, alpha, beta)
}
