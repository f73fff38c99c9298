// Package format is the .ember model file: its FlatBuffers schema
// (ember.fbs), the Go code flatc generates from it (package fb), and the
// constants the writer and the lite runtime agree on. See docs/format.md.
package format

//go:generate flatc --go -o . ember.fbs
