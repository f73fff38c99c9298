// Command opgen generates package tensor's op table (ops_gen.go) from the
// package's source. It is run by go generate in the tensor directory:
//
//	//go:generate go run ./internal/opgen
//
// Every exported function and method of package tensor is either an op or
// listed, with the reason, in the exclusion list (exclude.go); opgen fails
// on one that is neither, or on an op whose signature it cannot describe.
// For each op it writes an OpDef (name: the snake_case of the Go name;
// tensor inputs; attributes: the other arguments, an option struct giving
// one per exported field; outputs), the op's Run function, which calls the
// Go function with arguments rebuilt from inputs and attributes, and the
// op's tracing hook, traceXxx, which the op function calls first:
//
//	func Conv2d(x, w, b *Tensor, o Conv2dOptions) *Tensor {
//		if tracing.Load() && outermost() {
//			return traceConv2d(x, w, b, o)
//		}
//		...
//
// traceConv2d counts the op as running, calls Conv2d again (which now runs
// its body) and reports the call to the tracer.
//
// Flags:
//
//	-dir d     the package directory (default ".")
//	-out f     the output file, in dir (default "ops_gen.go")
//	-check     fail if the output file is not up to date instead of writing it
//	-hooks     insert the hook into every op function that lacks it, then
//	           generate
package main
