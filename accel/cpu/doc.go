// Package cpu holds Ember's CPU kernels: GEMM, convolution helpers,
// elementwise maps over broadcast strides, and reductions. Kernels work on
// raw Go slices together with shapes, strides and offsets; they know nothing
// of tensors, autograd or graphs, and the package imports nothing else of
// Ember's. Eager execution, the IR executor and the lite interpreter all call
// the same kernels, which is what makes an exported model reproduce eager
// results bit for bit.
//
// Element offsets and strides are counted in elements, not bytes. A stride
// of zero is how broadcasting is expressed: the same element is read again
// along that dimension.
//
// The kernels an inference runtime calls (Conv2d with its workspace, Sgemm,
// SgemmPacked, BinaryF32, SumDimsF32, the pools, norms, softmax and Vec
// kernels) allocate nothing once warm: the worker pool recycles its jobs,
// the parallel kernels pass their arguments in recycled task structs
// rather than closures, and scratch buffers come from size-classed pools
// (sync.Pools, which a garbage collection may empty: the next call then
// allocates them again).
package cpu
