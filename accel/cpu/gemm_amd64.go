//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// The amd64 micro-kernels (generated into gemm_kern_amd64.s by
// internal/asmgen) and their blocking. Zen 5 has a 48 KiB L1 and a 1 MiB L2
// per core: a kc×nr panel of B (kc=256: 32 KiB for AVX-512 float32) stays in
// L1, an mc×kc block of A (336×256: 336 KiB) in L2.

func init() {
	x := cpu.X86
	var sets []*gemmKernelSet
	if x.HasAVX512F {
		sets = append(sets, &gemmKernelSet{
			name: "avx512",
			s: &gemmKernel[float32]{name: "avx512", mr: 14, nr: 32, mc: 112, kc: 256, nc: 1024, fn: sgemmAVX512,
				packAN: sgemmPackAN14, packAT: gemmPackNWrap(14, sgemmPackN14AVX512), packBT: sgemmPackBT32, packBN: gemmPackNWrap(32, sgemmPackN32AVX),
				fnRows: gemmRowsWrap(14, 32, sgemmKernAVX512Edge[:])},
			d: &gemmKernel[float64]{name: "avx512", mr: 14, nr: 16, mc: 168, kc: 256, nc: 4096, fn: dgemmAVX512,
				packBN: gemmPackNWrap(16, dgemmPackN16AVX),
				fnRows: gemmRowsWrap(14, 16, dgemmKernAVX512Edge[:])},
		})
	}
	if x.HasAVX2 && x.HasFMA {
		sets = append(sets, &gemmKernelSet{
			name: "avx2",
			s: &gemmKernel[float32]{name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4096, fn: sgemmAVX2,
				packBN: gemmPackNWrap(16, sgemmPackN16AVX),
				fnRows: gemmRowsWrap(6, 16, sgemmKernAVX2Edge[:])},
			d: &gemmKernel[float64]{name: "avx2", mr: 6, nr: 8, mc: 96, kc: 256, nc: 4096, fn: dgemmAVX2,
				packBN: gemmPackNWrap(8, dgemmPackN8AVX),
				fnRows: gemmRowsWrap(6, 8, dgemmKernAVX2Edge[:])},
		})
	}
	gemmSets = append(sets, gemmSets...)
}

// The wrappers check that the panels and the C tile lie inside their
// slices, since the assembly does not.

func sgemmAVX512(kc int, ap, bp, c []float32, ldc int, alpha, beta float32) {
	_, _, _ = ap[kc*14-1], bp[kc*32-1], c[13*ldc+31]
	sgemmKernAVX512(kc, &ap[0], &bp[0], &c[0], ldc, alpha, beta)
}

func dgemmAVX512(kc int, ap, bp, c []float64, ldc int, alpha, beta float64) {
	_, _, _ = ap[kc*14-1], bp[kc*16-1], c[13*ldc+15]
	dgemmKernAVX512(kc, &ap[0], &bp[0], &c[0], ldc, alpha, beta)
}

func sgemmAVX2(kc int, ap, bp, c []float32, ldc int, alpha, beta float32) {
	_, _, _ = ap[kc*6-1], bp[kc*16-1], c[5*ldc+15]
	sgemmKernAVX2(kc, &ap[0], &bp[0], &c[0], ldc, alpha, beta)
}

func dgemmAVX2(kc int, ap, bp, c []float64, ldc int, alpha, beta float64) {
	_, _, _ = ap[kc*6-1], bp[kc*8-1], c[5*ldc+7]
	dgemmKernAVX2(kc, &ap[0], &bp[0], &c[0], ldc, alpha, beta)
}

// sgemmPackAN14 packs a 14-row panel of a non-transposed A for the AVX-512
// kernel: dst[p*14+i] = a[i*lda+p], for p < kb.
func sgemmPackAN14(dst, a []float32, lda, kb int) {
	kb16 := kb / 16
	if kb16 > 0 {
		_, _ = a[13*lda+kb16*16-1], dst[(kb16*16-1)*14+13]
		sgemmPackT14AVX512(kb16, &a[0], lda, &dst[0], 14)
	}
	for p := kb16 * 16; p < kb; p++ {
		d := dst[p*14 : p*14+14]
		for i := range d {
			d[i] = a[i*lda+p]
		}
	}
}

// sgemmPackBT32 packs a 32-column panel of a transposed B for the AVX-512
// kernel: dst[p*32+j] = b[j*ldb+p], for p < kb.
func sgemmPackBT32(dst, b []float32, ldb, kb int) {
	kb16 := kb / 16
	if kb16 > 0 {
		_, _ = b[31*ldb+kb16*16-1], dst[(kb16*16-1)*32+31]
		sgemmPackT16AVX512(kb16, &b[0], ldb, &dst[0], 32)
		sgemmPackT16AVX512(kb16, &b[16*ldb], ldb, &dst[16], 32)
	}
	for p := kb16 * 16; p < kb; p++ {
		d := dst[p*32 : p*32+32]
		for j := range d {
			d[j] = b[j*ldb+p]
		}
	}
}

// gemmPackNWrap makes a packBN from an assembly row copier for panels nr
// elements wide.
func gemmPackNWrap[T Float](nr int, f func(kb int, src *T, lds int, dst *T)) func(dst, b []T, ldb, kb int) {
	return func(dst, b []T, ldb, kb int) {
		if kb == 0 {
			return
		}
		_, _ = b[(kb-1)*ldb+nr-1], dst[kb*nr-1]
		f(kb, &b[0], ldb, &dst[0])
	}
}

// gemmRowsWrap makes a fnRows from a table of assembly edge kernels
// indexed by the number of rows.
func gemmRowsWrap[T Float](mr, nr int, table []func(kc int, a, b, c *T, ldc int, alpha, beta T)) func(rows, kc int, ap, bp, c []T, ldc int, alpha, beta T) {
	return func(rows, kc int, ap, bp, c []T, ldc int, alpha, beta T) {
		_, _, _ = ap[kc*mr-1], bp[kc*nr-1], c[(rows-1)*ldc+nr-1]
		table[rows](kc, &ap[0], &bp[0], &c[0], ldc, alpha, beta)
	}
}
