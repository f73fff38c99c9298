package jit

import (
	"fmt"
	"strings"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// Module is a captured model: an IR module (methods over named constants)
// that runs in Go on the same kernels as eager execution, so that its
// outputs equal eager's bit for bit for the same ops. Trace and Script make
// one; it is an nn.Module, so a traced or scripted part can sit inside an
// eager or scripted model. Its constants are the parameters and buffers of
// the module it was captured from, shared, not copied (as PyTorch's traced
// modules share them).
type Module struct {
	nn.Base
	ir     *ir.Module                `nn:"-"`
	consts map[string]*tensor.Tensor `nn:"-"`
}

// Schema is the op table of package tensor, with the ops added by
// RegisterOp, as the IR verifier's schema: an op's inputs (-1 for a list),
// outputs (-1 for a list) and attribute names.
func Schema(op string) (ir.OpSig, bool) {
	def, ok := LookupOp(op)
	if !ok {
		return ir.OpSig{}, false
	}
	sig := ir.OpSig{Inputs: len(def.Inputs), Outputs: def.Outputs, Attrs: []string{}}
	if n := len(def.Inputs); n > 0 && strings.HasSuffix(def.Inputs[n-1], "...") {
		sig.Inputs = -1
	}
	for _, a := range def.Attrs {
		sig.Attrs = append(sig.Attrs, a.Name)
	}
	return sig, true
}

// NewModule checks m with the verifier and the tensor op table and returns
// a Module that runs it. Every constant must hold its tensor.
func NewModule(m *ir.Module) (*Module, error) {
	if err := ir.Verify(m, Schema); err != nil {
		return nil, err
	}
	consts := make(map[string]*tensor.Tensor, len(m.Consts))
	for _, c := range m.Consts {
		if c.Tensor == nil {
			return nil, fmt.Errorf("jit: constant %s has no tensor", c.Name)
		}
		consts[c.Name] = c.Tensor
	}
	return &Module{ir: m, consts: consts}, nil
}

// IR returns the module's IR. Passes may transform it; call NewModule again
// on the result to run it.
func (m *Module) IR() *ir.Module { return m.ir }

// Graph returns the IR's text form (see package ir).
func (m *Module) Graph() string { return m.ir.String() }

// Methods returns the names of the module's methods.
func (m *Module) Methods() []string {
	var out []string
	for _, g := range m.ir.Methods {
		out = append(out, g.Name)
	}
	return out
}

// StateDict returns the module's constants by dotted name (the parameters
// and buffers of the captured module, and inline constants).
func (m *Module) StateDict() map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(m.consts))
	for k, v := range m.consts {
		out[k] = v
	}
	return out
}

// Run runs method with args (tensors, int64, float64, bool, string) and
// returns its results. Bad inputs, failing ops and prim.raise give an error
// naming the method, the op and its source position.
//
// While Trace runs, Run inserts the method's graph, with its control flow,
// into the trace (see Trace) instead of letting the tracer record the ops
// that happen to run.
func (m *Module) Run(method string, args ...any) ([]any, error) {
	if tr := activeTracer.Load(); tr != nil && tensor.Tracing() {
		return tr.runInline(m, method, args)
	}
	ex := &executor{m: m.ir, consts: m.consts}
	return ex.call(method, args)
}

// RunObserved runs method as Run does, outside any trace, and calls
// observe with every value the executor computes, each time it computes
// it: the method's inputs, the outputs of every node (in nested blocks too,
// once per loop iteration) and the parameters of loop bodies. Values of a
// branch that does not run are not observed. The exporter (package mobile)
// learns the dtype and shape of every value this way.
func (m *Module) RunObserved(method string, observe func(v *ir.Value, x any), args ...any) ([]any, error) {
	ex := &executor{m: m.ir, consts: m.consts, observe: observe}
	return ex.call(method, args)
}

// Call runs the forward method on tensor inputs and returns its tensor
// results (nil for a none result).
func (m *Module) Call(inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	args := make([]any, len(inputs))
	for i, t := range inputs {
		args[i] = t
	}
	res, err := m.Run("forward", args...)
	if err != nil {
		return nil, err
	}
	out := make([]*tensor.Tensor, len(res))
	for i, r := range res {
		if r == nil {
			continue
		}
		t, ok := r.(*tensor.Tensor)
		if !ok {
			return nil, fmt.Errorf("jit: forward result %d is a %T, not a tensor", i, r)
		}
		out[i] = t
	}
	return out, nil
}

// Forward runs the forward method of a module with one tensor input and one
// tensor result, so that a Module is an nn.Forwarder (nn.Call runs its
// hooks). It panics on error, as eager modules do; use Call or Run for an
// error.
func (m *Module) Forward(x *tensor.Tensor) *tensor.Tensor {
	out, err := m.Call(x)
	if err != nil {
		panic(err.Error())
	}
	if len(out) != 1 {
		panic(fmt.Sprintf("jit: Module.Forward: forward has %d results; use Call", len(out)))
	}
	return out[0]
}
