package autograd

import "github.com/emberml/ember/tensor"

// Function is a user-defined differentiable operation, like a subclass of
// torch.autograd.Function. Forward computes the outputs from the inputs (it
// runs with recording off, so it may use any tensor op); Backward receives
// the context Forward filled and the gradient of the output, and returns one
// gradient per input (nil for inputs that need none).
type Function interface {
	Forward(ctx *Context, inputs ...*tensor.Tensor) *tensor.Tensor
	Backward(ctx *Context, grad *tensor.Tensor) []*tensor.Tensor
}

// Context carries what Forward saves for Backward.
type Context struct {
	saved []*tensor.Tensor
	// Values holds any other data Forward wants Backward to see.
	Values map[string]any
}

// SaveForBackward stores tensors for Backward (PyTorch's
// ctx.save_for_backward).
func (c *Context) SaveForBackward(ts ...*tensor.Tensor) { c.saved = append(c.saved, ts...) }

// Saved returns the tensors stored by SaveForBackward.
func (c *Context) Saved() []*tensor.Tensor { return c.saved }

// Apply runs f on inputs and records it on the tape so that Backward calls
// f.Backward, like Function.apply.
func Apply(name string, f Function, inputs ...*tensor.Tensor) *tensor.Tensor {
	ctx := &Context{Values: map[string]any{}}
	var out *tensor.Tensor
	NoGrad(func() {
		detached := make([]*tensor.Tensor, len(inputs))
		for i, in := range inputs {
			detached[i] = in.Detach()
		}
		out = f.Forward(ctx, detached...)
	})
	out = out.Detach()
	return tensor.Record(name, out, inputs, func(g *tensor.Tensor) []*tensor.Tensor {
		gs := f.Backward(ctx, g)
		if len(gs) != len(inputs) {
			panic("autograd." + name + ": Backward returned " + itoa(len(gs)) + " gradients for " + itoa(len(inputs)) + " inputs")
		}
		return gs
	})
}
