// Package safetensors reads and writes the safetensors format
// (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header mapping each tensor's name to its dtype, shape and byte range (plus
// an optional "__metadata__" map of strings), and the raw little-endian
// tensor data. PyTorch writes it with safetensors.torch.save_file, so state
// dicts move between PyTorch and Ember both ways with PyTorch's names and
// layouts: [LoadFile] reads what PyTorch saved (BF16 as float32, F16 as
// float16, int64 counters such as BatchNorm's num_batches_tracked as int64),
// and [SaveFile] writes files that safetensors.torch.load_file reads.
//
// Loading validates the whole header before it trusts it or allocates a
// tensor (sizes, offsets inside the file, byte ranges that neither overlap
// nor leave gaps, dtypes and shapes that match the byte counts, bool bytes
// of 0 or 1): a malformed file is an error, never a panic. The tensors may
// be stored in any order. Saving writes to a temporary file in the
// destination's folder and renames it, so an interrupted save never leaves
// a half-written file under the real name (see [WriteFileAtomic]).
//
// testdata/st_writer.py is the PyTorch side of the interop tests: it writes
// testdata/torch_small.safetensors by hand (struct and json, as Debian's
// Python lacks the safetensors package) and verifies files Ember wrote.
package safetensors
