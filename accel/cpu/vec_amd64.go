//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// vecPlatformKernels returns the SIMD paths this CPU (and OS) supports,
// fastest first.
func vecPlatformKernels() []*vecKernels {
	var ks []*vecKernels
	x := cpu.X86
	if !x.HasAVX2 || !x.HasFMA {
		return nil
	}
	if x.HasAVX512F {
		ks = append(ks, &vecAVX512Kernels)
	}
	return append(ks, &vecAVX2Kernels)
}
