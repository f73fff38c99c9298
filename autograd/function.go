package autograd

import "github.com/emberml/ember/tensor"

// Function is a user-defined differentiable operation, like a subclass of
// torch.autograd.Function. Forward computes the outputs from the inputs (it
// receives them detached, so nothing it does with them is recorded; grad
// mode itself is left as it is, since it is process-wide); Backward receives
// the context Forward filled and the gradient of the output, and returns one
// gradient per input (nil for inputs that need none).
type Function interface {
	Forward(ctx *Context, inputs ...*tensor.Tensor) *tensor.Tensor
	Backward(ctx *Context, grad *tensor.Tensor) []*tensor.Tensor
}

// Context carries what Forward saves for Backward.
type Context struct {
	saved []*tensor.Tensor
	// attached maps the detached inputs Forward saw to the caller's
	// tensors while a CreateGraph pass runs Backward, so saved inputs carry
	// their graph for higher-order gradients.
	attached map[*tensor.Tensor]*tensor.Tensor
	// Values holds any other data Forward wants Backward to see.
	Values map[string]any
}

// SaveForBackward stores tensors for Backward (PyTorch's
// ctx.save_for_backward).
func (c *Context) SaveForBackward(ts ...*tensor.Tensor) { c.saved = append(c.saved, ts...) }

// Saved returns the tensors stored by SaveForBackward. In an ordinary
// backward pass they are constants (cut off from the graph, so Backward may
// use them freely, in-place ops included); in a CreateGraph pass, saved
// inputs are the caller's tensors, so the gradient Backward computes from
// them can be differentiated again.
func (c *Context) Saved() []*tensor.Tensor {
	if c.attached == nil {
		return c.saved
	}
	out := make([]*tensor.Tensor, len(c.saved))
	for i, s := range c.saved {
		if a, ok := c.attached[s]; ok {
			s = a
		}
		out[i] = s
	}
	return out
}

// Apply runs f on inputs and records it on the tape so that Backward calls
// f.Backward, like Function.apply.
func Apply(name string, f Function, inputs ...*tensor.Tensor) *tensor.Tensor {
	ctx := &Context{Values: map[string]any{}}
	// Forward sees detached inputs, so nothing it does is recorded; the
	// process-wide grad mode is left alone (other goroutines may be
	// recording).
	detached := make([]*tensor.Tensor, len(inputs))
	for i, in := range inputs {
		detached[i] = in.Detach()
	}
	out := f.Forward(ctx, detached...).Detach()
	return tensor.Record(name, out, inputs, func(g *tensor.Tensor) []*tensor.Tensor {
		ctx.attached = nil
		if tensor.NeedsGraph(g) {
			ctx.attached = make(map[*tensor.Tensor]*tensor.Tensor, len(inputs))
			for i, d := range detached {
				ctx.attached[d] = inputs[i]
			}
		}
		gs := f.Backward(ctx, g)
		if len(gs) != len(inputs) {
			panic("autograd." + name + ": Backward returned " + itoa(len(gs)) + " gradients for " + itoa(len(inputs)) + " inputs")
		}
		return gs
	})
}
