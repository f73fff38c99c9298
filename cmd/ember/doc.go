// Command ember inspects, benchmarks, runs and checks .ember model files,
// the files the lite runtime (package mobile/lite) runs, and writes the
// model zoo's files. Like the go tool, it takes a subcommand:
//
//	ember inspect FILE [-json]
//	ember bench   FILE [-n 100] [-warmup 10] [-threads 1] [-method forward] [-input X] [-json] [-top N] [-cpuprofile F]
//	ember run     FILE -input X [-k 5] [-method forward]
//	ember verify  FILE
//	ember zoo     NAME -o FILE
//
// Flags may come before or after the file.
//
// inspect prints what a file holds: its format and runtime versions; the
// ops it uses with their versions and the runtime's; its constants (count,
// bytes, dtypes, packed, quantized and sparse ones, the largest); each
// method's inputs and outputs (names, dtypes, shapes), instruction count and
// memory plan (the arena's size, the bytes its values would take without
// reuse, the largest values); the metadata, the extra files and the
// bundled tests. It ends with whether this runtime loads the file.
//
// bench measures a method (-method, default forward) as TFLite's benchmark_model does: the load
// time, the first run, then the latency of -n runs after -warmup runs
// (p50, p90, p99, mean, min, max), the allocations per run
// (runtime.MemStats.Mallocs), the arena's size, the peak resident memory
// (VmHWM, or getrusage), and a per-op profile: the time of each op type
// summed over its instructions, from a second series of runs with the
// session's profiler set (lite.Session.SetProfiler; -profile=false skips it). -threads sets both
// the kernels' threads (cpu.SetNumThreads) and GOMAXPROCS. -top N lists
// the N slowest instructions of those runs with their shapes and, for
// convolutions and linear layers, their GFLOP/s. -cpuprofile writes a
// pprof profile of the timed runs. Inputs are a
// fixed pattern unless -input names a file. -json prints the results as
// one JSON object (p50_ms, allocs_per_run, arena_bytes, ...).
//
// run runs a method (-method, default forward) on an input and prints the top -k entries of its
// first output with the labels of the metadata. The input file is one of
// the following, told apart by its first bytes (not its extension):
//
//   - raw float32 little-endian numbers (anything that is not .npy, PNG or
//     JPEG): exactly the input's element count;
//   - a NumPy .npy file of dtype <f4, <f8 or |u1 (values used as they are),
//     in C order, whose shape is the input's once dimensions of size 1 are
//     dropped ([28 28] for an input [1 1 28 28], not [784]);
//   - a PNG or JPEG image, for an input [1, C, H, W] or [C, H, W] with C 1
//     (grayscale, ITU-R 601 luma) or 3 (RGB): resized to H×W with bilinear
//     interpolation (half-pixel centres, as torch.nn.functional.interpolate
//     with align_corners=False), scaled to [0, 1], then normalised with the
//     metadata's mean and std per channel, when it has them.
//
// verify runs the file's bundled tests and reports each output's largest
// difference from the expected values; it fails when one is outside its
// tolerance.
//
// zoo writes a model of the model zoo (mobilenet_v2, resnet18, smallcnn,
// examplesnet: package models' networks with seeded random weights,
// tensor.ManualSeed(0)) as an .ember file: traced at batch 1, optimized
// with mobile.OptimizeForMobile, saved with metadata and one bundled test.
//
// A file that does not load is reported with the loader's error and exit
// status 1; a usage error exits with status 2.
package main
