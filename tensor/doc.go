// Package tensor is Ember's eager n-dimensional array: a dtype, a shape,
// strides and an offset over a shared storage buffer. Views (Reshape,
// Permute, Transpose, Slice, Select, Expand, Squeeze, ...) share storage and
// cost nothing; Contiguous copies only when it must. Elementwise operations
// broadcast with NumPy's rules and promote dtypes as PyTorch does. Every op
// is computed by the kernels of package accel/cpu, and every differentiable
// op records its derivative next to its forward, so operations on tensors
// that require grad build the define-by-run tape that Backward walks (the
// autograd package adds NoGrad, Grad, custom functions and Gradcheck).
//
// Misuse of the math API (shapes that do not broadcast, a dtype an op does
// not take) panics with a message that names the op and the shapes, as
// gonum/mat does; nothing here returns errors for programmer mistakes.
//
// Option structs (Conv2dOptions, MaxPool2dOptions, InterpolateOptions, ...)
// share one convention: an option PyTorch takes as "int or tuple" is a []int
// in the 2-D ops holding one value (for both spatial dimensions) or one per
// dimension, nil meaning PyTorch's default; in the 1-D ops it is an int,
// zero meaning PyTorch's default. The zero value of each struct is thus
// PyTorch's defaults, KernelSize aside. AvgPool's ExcludePad is the
// negation of count_include_pad, for the same reason.
//
// Two process-wide defaults exist and are documented where they are set:
// the default floating-point dtype (SetDefaultDType) and the default random
// generator (ManualSeed).
package tensor
