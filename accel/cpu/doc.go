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
package cpu
