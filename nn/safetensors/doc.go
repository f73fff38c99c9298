// Package safetensors reads and writes the safetensors format
// (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header mapping each tensor's name to its dtype, shape and byte range, and
// the raw little-endian tensor data. PyTorch writes it with
// safetensors.torch.save_file, so state dicts move between PyTorch and Ember
// both ways with PyTorch's names and layouts.
//
// Loading validates the whole header before it trusts it (sizes, offsets
// inside the file, ranges that neither overlap nor leave gaps, dtypes and
// shapes that match the byte counts): a malformed file is an error, never a
// panic. Saving writes to a temporary file in the destination's folder and
// renames it, so an interrupted save never leaves a half-written file under
// the real name.
package safetensors
