package tensor

import (
	"fmt"
	"slices"
	"sync/atomic"
)

// node is one recorded operation of the autograd tape: the op's name, its
// inputs, and the function that maps the gradient of its output to the
// gradients of its inputs (nil entries for inputs that need none).
type node struct {
	op       string
	inputs   []*Tensor
	backward func(g *Tensor) []*Tensor
	freed    bool
	// versions holds the storage versions of the inputs and, last, of the
	// output when the op ran; Backward refuses to use them if an in-place
	// write changed one since.
	versions []uint64
	// user marks a node recorded through the exported Record (a custom
	// function), whose backward may return tensors it keeps.
	user bool
}

// gradDisabled counts active NoGrad scopes. Grad mode is process-wide (Go has
// no goroutine-local storage); see autograd.NoGrad.
var gradDisabled atomic.Int32

// GradEnabled reports whether operations are being recorded for autograd.
func GradEnabled() bool { return gradDisabled.Load() == 0 }

// SetGradEnabled turns recording on or off and returns a function that
// restores the previous mode. Most code wants autograd.NoGrad instead.
func SetGradEnabled(on bool) (restore func()) {
	if on {
		prev := gradDisabled.Swap(0)
		return func() { gradDisabled.Add(prev) }
	}
	gradDisabled.Add(1)
	return func() { gradDisabled.Add(-1) }
}

// BackwardFunc maps the gradient of an op's output to the gradients of its
// inputs, one per input, in order; an entry may be nil when that input needs
// no gradient.
type BackwardFunc func(grad *Tensor) []*Tensor

// Record attaches an autograd node to out, the result of op applied to
// inputs, when grad mode is on and some input requires grad. It returns out.
// Every differentiable op of this package calls it; autograd.Function uses
// it to add user-defined ops.
func Record(op string, out *Tensor, inputs []*Tensor, backward BackwardFunc) *Tensor {
	out = record(op, out, inputs, backward)
	if out.gradFn != nil {
		out.gradFn.user = true
	}
	return out
}

func record(op string, out *Tensor, inputs []*Tensor, backward func(g *Tensor) []*Tensor) *Tensor {
	if !GradEnabled() {
		return out
	}
	need := false
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			need = true
			break
		}
	}
	if !need {
		return out
	}
	if !out.dtype.IsFloat() {
		return out
	}
	versions := make([]uint64, len(inputs)+1)
	for i, in := range inputs {
		if in != nil {
			versions[i] = in.st.version
		}
	}
	versions[len(inputs)] = out.st.version
	out.requiresGrad = true
	out.gradFn = &node{op: op, inputs: inputs, backward: backward, versions: versions}
	return out
}

// RequiresGrad reports whether autograd tracks t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks a leaf tensor as one whose gradient Backward
// accumulates (PyTorch's requires_grad_). It returns t. Only floating-point
// tensors can require grad.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	if t.gradFn != nil && !on {
		panicf("requires_grad_", "cannot turn off requires_grad on a non-leaf tensor; use Detach")
	}
	if on && !t.dtype.IsFloat() {
		panicf("requires_grad_", "only floating-point tensors can require gradients, got %v", t.dtype)
	}
	t.requiresGrad = on
	return t
}

// IsLeaf reports whether t was created by the user rather than by a recorded
// op.
func (t *Tensor) IsLeaf() bool { return t.gradFn == nil }

// GradFn returns the name of the op that produced t, or "" for a leaf.
func (t *Tensor) GradFn() string {
	if t.gradFn == nil {
		return ""
	}
	return t.gradFn.op
}

// Grad returns the gradient accumulated by Backward, or nil.
func (t *Tensor) Grad() *Tensor { return t.grad }

// SetGrad replaces the accumulated gradient (nil clears it).
func (t *Tensor) SetGrad(g *Tensor) {
	if g != nil && !slices.Equal(g.shape, t.shape) {
		panicf("set_grad", "gradient of shape %v for a tensor of shape %v", g.shape, t.shape)
	}
	t.grad = g
}

// ZeroGrad clears the accumulated gradient (sets it to nil, as PyTorch's
// zero_grad(set_to_none=True) does).
func (t *Tensor) ZeroGrad() { t.grad = nil }

// RetainGrad makes Backward keep the gradient of a non-leaf tensor in Grad.
func (t *Tensor) RetainGrad() {
	if t.requiresGrad && t.gradFn != nil {
		t.retainsGrad = true
	}
}

// RegisterHook adds a function called with t's gradient each time one is
// computed; if it returns a non-nil tensor, that replaces the gradient.
// Hooks run in the order they were added.
func (t *Tensor) RegisterHook(h func(grad *Tensor) *Tensor) {
	if !t.requiresGrad {
		panicf("register_hook", "cannot register a hook on a tensor that does not require grad")
	}
	t.hooks = append(t.hooks, h)
}

// Detach returns a tensor that shares t's storage but is cut off from the
// graph.
func (t *Tensor) Detach() *Tensor {
	if tracing.Load() && outermost() {
		return traceDetach(t)
	}
	return &Tensor{st: t.st, dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset}
}

// BackwardOptions tune a backward pass.
type BackwardOptions struct {
	// Grad is the gradient of the output; it may be nil only for a
	// one-element output, where it defaults to 1.
	Grad *Tensor
	// RetainGraph keeps the recorded graph so Backward can run through it
	// again; by default it is freed.
	RetainGraph bool
	// CreateGraph records the backward computation itself, for higher-order
	// derivatives. It implies RetainGraph.
	CreateGraph bool
}

// Backward computes the gradient of t with respect to every leaf that
// requires grad and accumulates it into their Grad. t must hold one element
// (use BackwardWith for others).
func (t *Tensor) Backward() {
	if tracing.Load() {
		defer traceRead("backward", t)()
	}
	t.BackwardWith(BackwardOptions{})
}

// BackwardWith is Backward with options (an explicit output gradient,
// retain-graph, create-graph).
func (t *Tensor) BackwardWith(o BackwardOptions) {
	if tracing.Load() {
		defer traceRead("backward", t)()
	}
	RunBackward([]*Tensor{t}, []*Tensor{o.Grad}, o.RetainGraph || o.CreateGraph, o.CreateGraph, nil)
}

// RunBackward is the autograd engine. It propagates grads (nil entries mean
// ones, for one-element roots) from roots through the recorded graph. When
// inputs is nil, gradients of leaves are accumulated into their Grad and nil
// is returned; otherwise the gradients with respect to inputs are returned
// (nil where an input is unreachable) and no Grad is changed, as
// torch.autograd.grad.
func RunBackward(roots, grads []*Tensor, retainGraph, createGraph bool, inputs []*Tensor) []*Tensor {
	if tracing.Load() {
		defer traceRead("backward", roots...)()
	}
	if len(grads) != len(roots) {
		panicf("backward", "%d gradients for %d outputs", len(grads), len(roots))
	}
	// The engine leaves the process-wide grad mode alone (other goroutines
	// may be recording their own graphs); without CreateGraph, what the
	// backward functions record is simply dropped by detaching their
	// results. Only CreateGraph inside a NoGrad scope turns recording on for
	// the pass, as PyTorch's engine does.
	if createGraph && !GradEnabled() {
		restore := SetGradEnabled(true)
		defer restore()
	}
	want := map[*Tensor]int{}
	for i, in := range inputs {
		want[in] = i
	}
	acc := map[*Tensor]*Tensor{}
	own := perfGradOwnership{foreign: map[*storage]bool{}, adopted: map[*storage]bool{}, pending: map[*storage]int{}}
	for i, r := range roots {
		if !r.requiresGrad {
			panicf("backward", "tensor of shape %v does not require grad and has no grad_fn", r.shape)
		}
		g := grads[i]
		if g == nil {
			if r.Numel() != 1 {
				panicf("backward", "grad can be implicitly created only for one-element outputs, got shape %v", r.shape)
			}
			g = OnesLike(r.Detach())
		} else if !slices.Equal(g.shape, r.shape) {
			panicf("backward", "gradient of shape %v for an output of shape %v", g.shape, r.shape)
		}
		own.foreign[g.st] = true
		own.accumulate(acc, r, g)
	}
	order := topoOrder(roots)
	results := make([]*Tensor, len(inputs))
	for _, t := range order {
		g, ok := acc[t]
		if !ok {
			continue
		}
		delete(acc, t)
		own.pending[g.st]--
		for _, h := range t.hooks {
			own.foreign[g.st] = true // the hook may keep it
			if r := h(g); r != nil {
				g = r
			}
			own.foreign[g.st] = true
		}
		if !createGraph {
			g = g.Detach()
		}
		if i, ok := want[t]; ok {
			results[i] = g
		}
		if t.gradFn == nil {
			if inputs == nil && t.requiresGrad {
				if t.grad == nil && !createGraph && own.steal(g) {
					t.grad = g.Detach() // a fresh gradient nothing else holds
				} else {
					accumulateGrad(t, g, createGraph)
				}
			}
			continue
		}
		if t.retainsGrad && inputs == nil {
			accumulateGrad(t, g, createGraph)
		}
		n := t.gradFn
		if n.freed {
			panicf("backward", "trying to backward through the graph a second time (op %s); set RetainGraph on the first call", n.op)
		}
		n.checkVersions(t)
		if !createGraph {
			// Tell the backward function that nothing it computes is
			// recorded (ovhNeedGraph), on a tensor of its own: g may
			// have gone to results.
			if _, ok := want[t]; ok {
				g = g.Detach()
			}
			g.ovhNoGraph = true
		}
		if n.user {
			own.foreign[g.st] = true // a custom backward may keep it
		}
		gs := n.backward(g)
		if n.user {
			for _, gi := range gs {
				if gi != nil {
					own.foreign[gi.st] = true
				}
			}
		}
		if !retainGraph {
			n.freed = true
			n.backward = nil
		}
		for i, in := range n.inputs {
			if in == nil || !in.requiresGrad || i >= len(gs) || gs[i] == nil {
				continue
			}
			gi := gs[i]
			if !slices.Equal(gi.shape, in.shape) {
				panicf("backward", "op %s produced a gradient of shape %v for input %d of shape %v", n.op, gi.shape, i, in.shape)
			}
			if gi.dtype != in.dtype {
				gi = gi.To(in.dtype)
			}
			if !createGraph {
				gi = gi.Detach()
			}
			own.accumulate(acc, in, gi)
		}
		if !retainGraph {
			n.inputs = nil
		}
	}
	if inputs == nil {
		return nil
	}
	return results
}

// perfGradOwnership decides, during one backward pass, when a leaf may take
// a gradient as its Grad without the copy accumulateGrad makes (PyTorch's
// AccumulateGrad steals a gradient nobody else references; Go has no
// reference counts, so the pass tracks what could be shared). foreign
// holds the storages of tensors the caller or user code may keep: the
// output gradients passed in, tensors seen by hooks, and whatever custom
// (Record) backward functions receive or return. adopted holds the
// storages already taken as a Grad in this pass. pending counts, per
// storage, the gradients still waiting in the pass that view it: a leaf may
// not take a storage another pending gradient still shares.
type perfGradOwnership struct {
	foreign, adopted map[*storage]bool
	pending          map[*storage]int
}

// steal reports whether g may become a leaf's Grad as it is: its storage
// is dense, its own (contiguous, starting at 0, no other elements), not
// foreign and not adopted already; it then records the adoption. Backward
// functions only read their incoming gradients, so other gradients of the
// pass that share g's storage leave it untouched.
func (o perfGradOwnership) steal(g *Tensor) bool {
	if o.foreign[g.st] || o.adopted[g.st] || o.pending[g.st] > 0 || g.offset != 0 || !g.IsContiguous() ||
		g.Numel() != perfStorageLen(g.st) {
		return false
	}
	o.adopted[g.st] = true
	return true
}

// accumulate adds g to the pending gradient of t, counting which storages
// pending gradients hold.
func (o perfGradOwnership) accumulate(acc map[*Tensor]*Tensor, t, g *Tensor) {
	if prev, ok := acc[t]; ok {
		sum := prev.Add(g)
		o.pending[prev.st]--
		o.pending[sum.st]++
		acc[t] = sum
	} else {
		acc[t] = g
		o.pending[g.st]++
	}
}

func accumulateGrad(t, g *Tensor, createGraph bool) {
	if !createGraph {
		g = g.Detach()
	}
	if t.grad == nil {
		if !createGraph {
			// Always a fresh copy: g may be the output gradient the caller
			// passed in, or the very tensor another input receives (add
			// passes its gradient to both), and Grad must alias neither.
			g = g.Clone()
		}
		t.grad = g
		return
	}
	t.grad = t.grad.Add(g)
}

// NeedsGraph reports whether a backward function that received grad must
// compute with recorded, differentiable tensor ops: the pass runs with
// CreateGraph (and grad mode is on). In an ordinary Backward it is false,
// and a backward function may use non-differentiable fast paths and treat
// the tensors it saved as constants (autograd.Apply does).
func NeedsGraph(grad *Tensor) bool { return ovhNeedGraph(grad) }

// ovhNeedGraph reports whether a backward function called with the
// gradient g must compute with recorded (differentiable) tensor ops: grad
// mode is on and the engine runs with CreateGraph. The engine leaves the
// process-wide grad mode alone, so GradEnabled alone cannot tell a
// CreateGraph pass from an ordinary one; without CreateGraph the engine
// marks g, and the fused kernels may be used.
func ovhNeedGraph(g *Tensor) bool { return GradEnabled() && !g.ovhNoGraph }

// topoOrder returns the tensors reachable from roots through recorded ops,
// every tensor before the inputs of its op (reverse post-order), without
// recursion so long graphs (RNNs) do not exhaust the stack.
func topoOrder(roots []*Tensor) []*Tensor {
	visited := map[*Tensor]bool{}
	var post []*Tensor
	type frame struct {
		t *Tensor
		i int
	}
	for _, r := range roots {
		if visited[r] {
			continue
		}
		visited[r] = true
		stack := []frame{{r, 0}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			var ins []*Tensor
			if f.t.gradFn != nil {
				ins = f.t.gradFn.inputs
			}
			if f.i < len(ins) {
				in := ins[f.i]
				f.i++
				if in != nil && in.requiresGrad && !visited[in] {
					visited[in] = true
					stack = append(stack, frame{in, 0})
				}
				continue
			}
			post = append(post, f.t)
			stack = stack[:len(stack)-1]
		}
	}
	slices.Reverse(post)
	return post
}

// checkVersions panics when an input or the output out of n was written in
// place after n was recorded: its gradient would silently use the new
// values. (PyTorch checks only the tensors an op saves; Ember checks every
// input, which is stricter for ops such as add that save none.)
func (n *node) checkVersions(out *Tensor) {
	for i, in := range n.inputs {
		if in != nil && in.st.version != n.versions[i] {
			panicf("backward", "input %d (shape %v) of %s was modified by an in-place operation after %s used it (version %d, expected %d); clone it before modifying it, or modify it after Backward",
				i, in.shape, n.op, n.op, in.st.version, n.versions[i])
		}
	}
	if v := n.versions[len(n.inputs)]; out.st.version != v {
		panicf("backward", "the output (shape %v) of %s was modified by an in-place operation (version %d, expected %d)", out.shape, n.op, out.st.version, v)
	}
}

// String for debugging a node.
func (n *node) String() string { return fmt.Sprintf("%sBackward", n.op) }
