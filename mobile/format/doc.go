// Package format is the .ember model file: its FlatBuffers schema
// (ember.fbs), the Go code flatc generates from it (package fb), a plain-Go
// description of a file (Model) with its writer (Encode, Save) and its
// verifying reader (Decode). docs/format.md documents every field.
//
// A file is the FlatBuffer, with file identifier "EMBR", followed by
// constant segments, each starting at a multiple of 64 bytes from the start
// of the file, so that a runtime can map the file and use the weights in
// place. Encode writes one segment holding every constant, each starting at
// a multiple of 64 too.
//
// # Writing
//
// An exporter fills a Model: OpCode numbers the ops it uses, AddConstant
// appends weights (little-endian bytes: Float32Bytes and friends), and
// each Method lists its values (ArenaValue for intermediate tensors at an
// offset the memory planner chose, ConstantValue for weights), which of
// them are the inputs and outputs, and its instructions (ops, jumps,
// moves). Model.Check reports what would make the file invalid; Encode and
// Save run it. See the package example.
//
// # Reading
//
// A model file is untrusted input, and FlatBuffers' Go runtime has no
// verifier: its accessors panic or read garbage on a malformed buffer.
// Decode therefore reads the FlatBuffer with its own verifying reader
// (verify.go), following the checks of the C++ Verifier: the buffer size
// and identifier, the root offset, each table's vtable (inside the buffer,
// aligned, a size of at least 4 bytes and even, the table's inline size
// inside the buffer), each field inside its table and aligned, each vector
// and string inside the buffer (strings zero-terminated; UTF-8 is not
// required), every nested table likewise, and a budget on the number of
// objects read so that a small file cannot make the reader loop or
// allocate without bound. Then come the semantic checks of Model.Check
// and the places of the constants in the file. Any failure is an *Error
// wrapping ErrMalformed; Decode never panics on bad input.
//
// The decoded File holds the small parts of the model as Go values, built
// once, and the constants' data as sub-slices of the file's bytes (no
// copy), so a runtime can use them in place.
//
// This package imports only the standard library, package fb, the
// FlatBuffers runtime and internal/atomicfile (Save's atomic write), so that the embeddable runtime (mobile/lite) can
// share it.
package format

//go:generate flatc --go -o . ember.fbs
