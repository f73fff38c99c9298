// Package jit captures models as graphs and runs them: Trace records what
// eager execution did on example inputs, Script compiles the Go source of a
// module's Forward (so if and for survive), and Module runs the resulting
// IR (package jit/ir) in Go on the very kernels eager execution uses, so
// outputs are bit-identical for the same ops. The IR is what the mobile,
// quant and prune packages transform and export.
//
// The op vocabulary is package tensor's exported API: tensor.LookupOp gives
// each op's definition, and the executor runs a node by calling it. The IR's
// own prim ops (control flow, scalar arithmetic, constants) run here. Ops
// that exist only in optimized graphs (package mobile's conv2d_act,
// linear_act, add_relu) join the vocabulary through RegisterOp, and
// LookupOp finds both kinds.
package jit
