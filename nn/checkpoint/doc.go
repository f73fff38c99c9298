// Package checkpoint saves and restores training runs, so that a run
// stopped after any step resumes exactly: the same parameters, optimizer
// buffers, learning rates and random numbers, bit for bit, as if it had
// never stopped. [Save] writes a [State] (model, optimizer, scheduler,
// epoch and step counters, random generators, the caller's own strings) to
// one safetensors file, atomically; [Load] reads it back into freshly built
// objects, checking the whole file against them before it changes any.
//
// The file is an ordinary safetensors file that PyTorch can open: the
// model's state dict under "model.<name>", the optimizer's per-parameter
// buffers under "optimizer.state.<index>.<key>" (PyTorch's parameter
// indices and buffer names), and a JSON header in the safetensors metadata
// under [MetadataKey] holding the format version, the counters, the
// optimizer's parameter groups, the scheduler's state, the generators'
// states (base64) and the extra strings. A PyTorch user reads the weights
// with
//
//	sd = {k[6:]: v for k, v in load_file(path).items() if k.startswith("model.")}
//
// The optimizer's groups and the scheduler's state are maps of Go values
// whose types matter to the code that reads them back, so the header keeps
// them in a typed JSON form: finite float64s, strings, bools and null as
// plain JSON, every other type tagged with its Go type ({"int": 3},
// {"[]int": [0, 1]}, {"float64": "+Inf"}, {"map": {...}}). Load gives back
// the same types; Save refuses a type outside the documented set rather
// than convert it.
//
// [SaveModel] and [LoadModel] read and write plain state dicts, the
// safetensors files PyTorch users exchange (safetensors.torch.save_file of
// model.state_dict()); LoadModel also takes the model part of a checkpoint.
package checkpoint
