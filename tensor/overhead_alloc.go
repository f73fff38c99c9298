package tensor

import (
	"slices"
	"unsafe"

	"github.com/emberml/ember/accel/cpu"
)

// ovhMallocgc is the Go runtime's allocator. It is reached through
// linkname (the runtime keeps its signature for the packages that use it
// so) to allocate float32 buffers without zeroing them: Go's make clears
// every large allocation that reuses freed memory, which costs as much as
// a pass of a simple kernel, and the kernels that fill a fresh output
// overwrite every element anyway.
//
//go:linkname ovhMallocgc runtime.mallocgc
func ovhMallocgc(size uintptr, typ unsafe.Pointer, needzero bool) unsafe.Pointer

// ovhUninitMin is the size (in elements) from which ovhNewF32 skips
// zeroing; smaller buffers come from make (the runtime's small-object
// path zeroes cheaply).
const ovhUninitMin = 8192

// ovhNewF32 returns a contiguous float32 tensor of the given shape whose
// elements are unspecified: the caller must write every one of them before
// the tensor is read or escapes.
func ovhNewF32(shape []int) *Tensor {
	sh := slices.Clone(shape)
	n := cpu.Numel(sh)
	var d []float32
	if n < ovhUninitMin {
		d = make([]float32, n)
	} else {
		// float32 holds no pointers: a nil type allocates pointer-free
		// (noscan) memory, as make([]float32, n) does.
		d = unsafe.Slice((*float32)(ovhMallocgc(uintptr(n)*4, nil, false)), n)
	}
	return &Tensor{st: &storage{data: d}, dtype: Float32, shape: sh, strides: cpu.Contiguous(sh)}
}

// ovhNewOut is newTensor for a kernel output that the caller overwrites
// entirely: float32 outputs skip zeroing (ovhNewF32).
func ovhNewOut(dt DType, shape []int) *Tensor {
	if dt == Float32 {
		return ovhNewF32(shape)
	}
	return newTensor(dt, shape)
}
