package cpu

//go:generate sh -c "cd internal/asmgen && go run . -out ../../gemm_kern_amd64.s -stubs ../../gemm_kern_amd64.go -pkg cpu -table ../../gemm_edge_amd64.go -neon ../../gemm_kern_arm64.s -neonstubs ../../gemm_kern_arm64.go"

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// gemmKernelSet is one selectable GEMM implementation: its float32 and
// float64 micro-kernels.
type gemmKernelSet struct {
	name string
	s    *gemmKernel[float32]
	d    *gemmKernel[float64]
}

var (
	// gemmSets lists the implementations this CPU can run, best first.
	// Architecture files prepend theirs in init.
	gemmSets = []*gemmKernelSet{{name: "generic", s: gemmGoKernel[float32](), d: gemmGoKernel[float64]()}}
	gemmCur  atomic.Pointer[gemmKernelSet]
)

func sgemmKernel() *gemmKernel[float32] { return gemmSetCur().s }
func dgemmKernel() *gemmKernel[float64] { return gemmSetCur().d }

func gemmSetCur() *gemmKernelSet {
	if k := gemmCur.Load(); k != nil {
		return k
	}
	return gemmSets[0]
}

// Kernels lists the GEMM micro-kernel implementations available on this
// CPU, fastest first, e.g. ["avx512" "avx2" "generic"] on a recent x86-64.
// "generic" (portable Go) is always present, and is the only one when the
// package is built with the purego tag.
func Kernels() []string {
	names := make([]string, len(gemmSets))
	for i, k := range gemmSets {
		names[i] = k.name
	}
	return names
}

// Kernel returns the name of the GEMM micro-kernel in use.
func Kernel() string { return gemmSetCur().name }

// SetKernel selects the GEMM micro-kernel by name (one of Kernels()); the
// empty name restores the default, the fastest available. It exists for
// tests and benchmarks, which compare every path: programs have no reason
// to call it. It returns an error for a name this CPU cannot run.
func SetKernel(name string) error {
	if name == "" {
		gemmCur.Store(nil)
		return nil
	}
	for _, k := range gemmSets {
		if k.name == name {
			gemmCur.Store(k)
			return nil
		}
	}
	return fmt.Errorf("cpu.SetKernel: kernel %q is not available here (have %s)", name, strings.Join(Kernels(), ", "))
}
