// Package mobile prepares models for devices: OptimizeForMobile rewrites a
// captured model (a jit.Module from jit.Trace or jit.Script) for inference,
// as PyTorch's optimize_for_mobile does, and Lints reports what a deployed
// model should not hold.
//
// The optimization is a pipeline of named passes on the IR (package
// jit/ir), run by an ir.PassManager that verifies the module after each
// one:
//
//	inline           calls of other methods are inlined (ir.InlinePass)
//	remove_dropout   dropout in evaluation mode is removed
//	freeze           parameters and buffers that no op writes become constants
//	fold_constants   nodes whose inputs are all constants are computed once
//	fold_batch_norm  batch_norm is folded into the conv2d, conv1d or linear before it
//	fuse_activation  relu, relu6, hardtanh and clamp fuse into the conv2d or linear before them
//	fuse_add_relu    add (or add_) then relu becomes add_relu
//	cse              duplicate nodes are merged
//	dce              dead nodes and unused constants are removed
//	prepack          linear weights are marked for pre-packing at export
//
// Each pass is also exported (FoldBatchNormPass, ...) to run on its own,
// and OptimizeOptions.Blocklist skips passes by name.
//
// The fusions introduce three ops that package tensor does not have:
// conv2d_act, linear_act and add_relu (OpConv2dAct, OpLinearAct,
// OpAddReLU). This package registers them with jit.RegisterOp, so the jit
// executor runs an optimized module (each fused op as the tensor ops it
// replaces); a program that loads a saved optimized module with jit.Load
// must import this package. The lite runtime runs them with fused kernels.
// docs/optimize.md documents the passes, the fused ops and their
// attributes, and the pre-packing contract with the exporter.
//
// Export and Save then write the optimized module as a .ember file (package
// mobile/format, docs/format.md) for the embeddable lite runtime (package
// mobile/lite). The exporter runs the module on example inputs to learn the
// dtype and shape of every value (a file has static shapes), lowers each
// method to the runtime's instructions (ops, jumps for prim.if and
// prim.loop, parallel moves of loop-carried values, raise), stores each
// constant once (linear weights pre-packed for the GEMM), plans the arena
// with a lifetime-aware greedy planner (PlanArena: liveness over the jumps,
// largest first, lowest offset, 64-byte aligned) and can bundle the example
// inputs with the module's outputs as self-checks (lite.Model.Verify).
package mobile
