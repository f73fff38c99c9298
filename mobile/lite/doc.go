// Package lite is Ember's embeddable runtime: it loads a .ember model file
// (see package mobile/format and docs/format.md) and runs its methods on
// the CPU kernels of accel/cpu.
//
// It imports only accel/..., mobile/format (which imports only the
// standard library, the generated package fb, the FlatBuffers runtime and
// internal/atomicfile, its atomic file writer) and the standard library, never tensor, autograd, nn or jit: a test
// holds it to that with go list -deps. An app embedding it pays for the
// kernels and nothing else.
//
// Loading maps the file read-only (Load; LoadBytes takes bytes) and
// verifies all of it before use: the FlatBuffer structure, every index,
// shape, offset, alignment and version (format.Decode), then every
// instruction (the op exists at the file's version or newer, its inputs'
// dtypes and shapes fit, its attributes are known, its output has the
// shape and dtype the op computes, outputs do not overlap inputs in the
// arena). A malformed file is an error, never a panic. A newer op version
// than this runtime has is an error naming the op and both versions.
//
// Compilation resolves everything a run needs once: the kernel of each
// instruction with its parameters (convolution geometry, broadcast
// strides, pool windows), packed weights, the scratch sizes. A run is a
// switch over the compact instruction array.
//
// A Model is read-only and may be shared by any number of goroutines; each
// runs it through its own Session, which owns the arena (the memory of the
// method's values, laid out by the exporter's planner) and the kernels'
// scratch memory. After its first run, a session runs a method without
// allocating. Results are those of eager execution in package tensor bit
// for bit, since the kernels are the same.
package lite
