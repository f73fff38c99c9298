// Package autograd is Ember's user-facing API to reverse-mode automatic
// differentiation. Operations on tensors that require grad are recorded on a
// define-by-run tape as they execute (the tape lives with the ops in package
// tensor, so each op's derivative is defined next to its forward);
// Tensor.Backward walks it in reverse topological order and accumulates
// gradients into the leaves' Grad. This package adds what sits above single
// tensors: NoGrad and EnableGrad scopes, Grad (gradients of outputs with
// respect to chosen inputs, as torch.autograd.grad), custom Functions with
// a user-written backward, and Gradcheck, which compares analytic gradients
// with central finite differences in float64.
//
// Grad mode is process-wide, not per goroutine (Go has no goroutine-local
// storage): a NoGrad scope turns recording off for every goroutine until it
// ends. Use it around evaluation and optimizer steps, as in PyTorch.
package autograd
