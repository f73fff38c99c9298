//go:build !purego

package cpu

import (
	"slices"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestGemmDispatchAMD64 checks that every kernel this CPU can run is
// offered, fastest first.
func TestGemmDispatchAMD64(t *testing.T) {
	want := []string{}
	if cpu.X86.HasAVX512F {
		want = append(want, "avx512")
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		want = append(want, "avx2")
	}
	want = append(want, "generic")
	if got := Kernels(); !slices.Equal(got, want) {
		t.Errorf("Kernels() = %v, want %v", got, want)
	}
}
