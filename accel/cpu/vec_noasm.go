//go:build !(amd64 || arm64) || purego

package cpu

// vecPlatformKernels returns no SIMD paths: only the portable Go kernels
// are built here.
func vecPlatformKernels() []*vecKernels { return nil }
