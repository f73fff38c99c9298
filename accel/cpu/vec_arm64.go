//go:build arm64 && !purego

package cpu

// vecPlatformKernels returns the NEON path: Advanced SIMD is part of every
// ARMv8-A CPU.
func vecPlatformKernels() []*vecKernels { return []*vecKernels{&vecNEONKernels} }
