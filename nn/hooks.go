package nn

import (
	"slices"
	"strconv"

	"github.com/emberml/ember/tensor"
)

// ForwardPreHook runs before a module's forward computation with its inputs.
// It may return replacement inputs, or nil to keep them.
type ForwardPreHook func(m Module, inputs []*tensor.Tensor) []*tensor.Tensor

// ForwardHook runs after a module's forward computation with its inputs and
// outputs. It may return replacement outputs, or nil to keep them.
type ForwardHook func(m Module, inputs, outputs []*tensor.Tensor) []*tensor.Tensor

type hookEntry[H any] struct {
	id int
	h  H
}

// HookHandle removes the hook it was returned for.
type HookHandle struct {
	remove func()
}

// Remove unregisters the hook. Calling it again does nothing.
func (h *HookHandle) Remove() {
	if h.remove != nil {
		h.remove()
		h.remove = nil
	}
}

// RegisterForwardPreHook adds a hook that runs before the module's forward
// computation, as PyTorch's register_forward_pre_hook. Ember's layers run
// their hooks whenever Forward is called; a user's module runs them when it
// is called through [Call] or its Forward uses [CallHooks].
func (b *Base) RegisterForwardPreHook(h ForwardPreHook) *HookHandle {
	b.nextHook++
	id := b.nextHook
	b.preHooks = append(b.preHooks, hookEntry[ForwardPreHook]{id, h})
	return &HookHandle{remove: func() {
		for i, e := range b.preHooks {
			if e.id == id {
				b.preHooks = append(b.preHooks[:i:i], b.preHooks[i+1:]...)
				return
			}
		}
	}}
}

// RegisterForwardHook adds a hook that runs after the module's forward
// computation, as PyTorch's register_forward_hook (see
// [Base.RegisterForwardPreHook] for when hooks run).
func (b *Base) RegisterForwardHook(h ForwardHook) *HookHandle {
	b.nextHook++
	id := b.nextHook
	b.hooks = append(b.hooks, hookEntry[ForwardHook]{id, h})
	return &HookHandle{remove: func() {
		for i, e := range b.hooks {
			if e.id == id {
				b.hooks = append(b.hooks[:i:i], b.hooks[i+1:]...)
				return
			}
		}
	}}
}

// CallHooks runs f on inputs between m's forward pre-hooks and forward
// hooks and returns its (possibly replaced) outputs. Ember's layers call it
// from Forward; a user's module with several inputs or outputs may do the
// same so that hooks registered on it run.
func CallHooks(m Module, inputs []*tensor.Tensor, f func(inputs []*tensor.Tensor) []*tensor.Tensor) []*tensor.Tensor {
	b := m.base()
	if len(b.preHooks) == 0 && len(b.hooks) == 0 {
		return f(inputs)
	}
	for _, e := range slices.Clone(b.preHooks) {
		if r := e.h(m, inputs); r != nil {
			inputs = r
		}
	}
	out := f(inputs)
	for _, e := range slices.Clone(b.hooks) {
		if r := e.h(m, inputs, out); r != nil {
			out = r
		}
	}
	return out
}

// CallHooks1 is [CallHooks] for a forward computation with one input and
// one output.
func CallHooks1(m Module, x *tensor.Tensor, f func(x *tensor.Tensor) *tensor.Tensor) *tensor.Tensor {
	b := m.base()
	if len(b.preHooks) == 0 && len(b.hooks) == 0 {
		return f(x)
	}
	out := CallHooks(m, []*tensor.Tensor{x}, func(in []*tensor.Tensor) []*tensor.Tensor {
		if len(in) != 1 {
			panic("nn: a forward pre-hook of a one-input module returned " + strconv.Itoa(len(in)) + " inputs")
		}
		return []*tensor.Tensor{f(in[0])}
	})
	if len(out) != 1 {
		panic("nn: a forward hook of a one-output module returned " + strconv.Itoa(len(out)) + " outputs")
	}
	return out[0]
}

// selfHooked marks Ember's layers, whose Forward runs their hooks itself.
type selfHooked interface {
	hooksInForward()
}

// Call runs m's Forward on x with m's forward hooks, like calling module(x)
// in PyTorch. For Ember's layers it is the same as m.Forward(x), which runs
// hooks itself; for a user's module it adds the hooks around Forward.
func Call(m Forwarder, x *tensor.Tensor) *tensor.Tensor {
	if _, ok := m.(selfHooked); ok {
		return m.Forward(x)
	}
	return CallHooks1(m, x, m.Forward)
}
