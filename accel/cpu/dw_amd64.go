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
