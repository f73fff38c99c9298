//go:build !purego

package cpu

//go:generate sh -c "cd internal/asmgen && go run . -mode dw -out ../../conv_dw_amd64.s -stubs ../../conv_dw_amd64.go -pkg cpu"

// dwAsmFunc is the signature of the generated depthwise 3x3 kernels (see
// internal/asmgen/dwconv.go).
type dwAsmFunc = func(x, y, w, b, zero *float32, masks *int32, planes, H, W, OH, OW, padH, padW, nblk, full0, full1 int, lo, hi float32)

// dwSIMD3x3 returns the assembly depthwise 3x3 kernel for the given stride
// that goes with the selected kernel set (SetKernel), its vector width and
// whether it masks with AVX-512 mask registers; nil when there is none.
func dwSIMD3x3(stride int) (fn dwAsmFunc, lanes int, avx512 bool) {
	switch Kernel() {
	case "avx512":
		if stride == 1 {
			return dwConv3x3s1AVX512, 16, true
		}
		return dwConv3x3s2AVX512, 16, true
	case "avx2":
		if stride == 1 {
			return dwConv3x3s1AVX2, 8, false
		}
		return dwConv3x3s2AVX2, 8, false
	}
	return nil, 0, false
}

// dwBwdWAsmFunc is the signature of the generated depthwise 3x3 weight
// gradient kernels.
type dwBwdWAsmFunc = func(x, dy, dw, zero *float32, masks *int32, planes, H, W, OH, OW, padH, padW, nblk int)

// dwSIMDBwdW3x3 returns the assembly depthwise 3x3 weight-gradient kernel
// for the stride when the selected kernel set has one (AVX-512 only; it
// uses the AVX-512 column masks of dwMasks).
func dwSIMDBwdW3x3(stride int) dwBwdWAsmFunc {
	if Kernel() != "avx512" {
		return nil
	}
	if stride == 1 {
		return dwBwdW3x3s1AVX512
	}
	return dwBwdW3x3s2AVX512
}

// convBiasActRows sets y[r*ldy+j] = clamp(y[r*ldy+j] + b[r], lo, hi) for
// r < len(b), j < n, with the selected kernel set's vectors.
func convBiasActRows(y []float32, n, ldy int, b []float32, lo, hi float32) {
	if len(b) == 0 || n == 0 {
		return
	}
	_ = y[(len(b)-1)*ldy+n-1]
	switch Kernel() {
	case "avx512":
		convBiasActAVX512(&y[0], len(b), n, ldy, &b[0], lo, hi)
		return
	case "avx2":
		convBiasActAVX2(&y[0], len(b), n, ldy, &b[0], lo, hi)
		if t := n % 8; t > 0 {
			for r, bv := range b {
				convBiasActGo(y[r*ldy+n-t:r*ldy+n], bv, lo, hi)
			}
		}
		return
	}
	for r, bv := range b {
		convBiasActGo(y[r*ldy:r*ldy+n], bv, lo, hi)
	}
}

// convGather2Func returns a function that sets dst[i] = src[2*i] for
// i < len(dst), with the selected kernel set's vectors.
func convGather2Func() func(dst, src []float32) {
	switch Kernel() {
	case "avx512":
		return convGather2512
	case "avx2":
		return convGather2256
	}
	return convGather2Go
}

func convGather2512(dst, src []float32) {
	if n := len(dst); n > 0 {
		_ = src[2*n-2]
		convGather2AVX512(&dst[0], &src[0], n)
	}
}

func convGather2256(dst, src []float32) {
	n := len(dst)
	if n == 0 {
		return
	}
	_ = src[2*n-2]
	// The vector loop reads src[2*i+1] too, which must be in the slice.
	full := n
	if len(src) < 2*n {
		full = n - 1
	}
	done := full &^ 7
	if done > 0 {
		convGather2AVX2(&dst[0], &src[0], done)
	}
	for i := done; i < n; i++ {
		dst[i] = src[2*i]
	}
}

// convAddFunc returns a function that sets d[i] += s[i] for i < len(s)
// (len(d) >= len(s)) with the selected kernel set's vectors: whole vectors
// by the vector add kernel, the few remaining elements in Go (the add
// kernel's own tail handling costs more than a short col2im row).
func convAddFunc() func(d, s []float32) {
	switch Kernel() {
	case "avx512":
		return convAdd512
	case "avx2":
		return convAdd256
	}
	return convAddTo[float32]
}

func convAdd512(d, s []float32) {
	n := len(s)
	d = d[:n]
	full := n &^ 15
	if full > 0 {
		vecAddAVX512(&d[0], &d[0], &s[0], full)
	}
	for i := full; i < n; i++ {
		d[i] += s[i]
	}
}

func convAdd256(d, s []float32) {
	n := len(s)
	d = d[:n]
	full := n &^ 7
	if full > 0 {
		vecAddAVX2(&d[0], &d[0], &s[0], full)
	}
	for i := full; i < n; i++ {
		d[i] += s[i]
	}
}
