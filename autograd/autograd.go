package autograd

import "github.com/emberml/ember/tensor"

// NoGrad runs f with gradient recording turned off, like `with
// torch.no_grad()`. Scopes nest.
func NoGrad(f func()) {
	restore := tensor.SetGradEnabled(false)
	defer restore()
	f()
}

// EnableGrad runs f with gradient recording turned on, even inside a NoGrad
// scope, like `with torch.enable_grad()`.
func EnableGrad(f func()) {
	restore := tensor.SetGradEnabled(true)
	defer restore()
	f()
}

// IsGradEnabled reports whether operations are being recorded.
func IsGradEnabled() bool { return tensor.GradEnabled() }

// Backward computes the gradients of several outputs at once and
// accumulates them into the leaves' Grad; grads holds one gradient per
// output (nil for a one-element output means 1).
func Backward(outputs, grads []*tensor.Tensor, retainGraph bool) {
	if grads == nil {
		grads = make([]*tensor.Tensor, len(outputs))
	}
	tensor.RunBackward(outputs, grads, retainGraph, false, nil)
}

// GradOptions tune Grad.
type GradOptions struct {
	// GradOutputs holds the gradient of each output (nil entries mean 1 for
	// one-element outputs).
	GradOutputs []*tensor.Tensor
	// RetainGraph keeps the graph for another backward pass.
	RetainGraph bool
	// CreateGraph records the backward pass so the returned gradients can
	// be differentiated again.
	CreateGraph bool
	// AllowUnused returns nil for an input the outputs do not depend on;
	// without it that is a panic, as in PyTorch.
	AllowUnused bool
}

// Grad returns the gradients of outputs with respect to inputs without
// touching any tensor's Grad, as torch.autograd.grad.
func Grad(outputs, inputs []*tensor.Tensor, o GradOptions) []*tensor.Tensor {
	gos := o.GradOutputs
	if gos == nil {
		gos = make([]*tensor.Tensor, len(outputs))
	}
	for i, in := range inputs {
		if !in.RequiresGrad() {
			panic("autograd.Grad: input " + itoa(i) + " does not require grad")
		}
	}
	gs := tensor.RunBackward(outputs, gos, o.RetainGraph || o.CreateGraph, o.CreateGraph, inputs)
	for i, g := range gs {
		if g == nil && !o.AllowUnused {
			panic("autograd.Grad: input " + itoa(i) + " was not used in the graph; set AllowUnused")
		}
	}
	return gs
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
