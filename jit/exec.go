package jit

import (
	"errors"
	"fmt"
	"math"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/tensor"
)

// RunError is a failure while running a method of the IR: the method, the
// node (its op and source position when known; no op for bad arguments)
// and the cause.
type RunError struct {
	Method string
	Op     string
	Pos    string
	Err    error
}

func (e *RunError) Error() string {
	s := "jit: " + e.Method
	if e.Op != "" {
		s += ": " + e.Op
	}
	if e.Pos != "" {
		s += " (" + e.Pos + ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *RunError) Unwrap() error { return e.Err }

// errRaise is the error of a prim.raise node.
type errRaise struct{ msg string }

func (e errRaise) Error() string { return e.msg }

// executor runs the methods of one IR module. Values at run time are
// *tensor.Tensor, int64, float64, bool, string, nil and []any (lists).
type executor struct {
	m      *ir.Module
	consts map[string]*tensor.Tensor
	depth  int
	// observe, when not nil, sees every value as the executor sets it
	// (Module.RunObserved).
	observe func(v *ir.Value, x any)
}

// set binds v to x in env, reporting it to the observer.
func (ex *executor) set(env map[*ir.Value]any, v *ir.Value, x any) {
	env[v] = x
	if ex.observe != nil && v != nil {
		ex.observe(v, x)
	}
}

const maxCallDepth = 256

// call runs method name with args and returns its results.
func (ex *executor) call(name string, args []any) (out []any, err error) {
	g := ex.m.Method(name)
	if g == nil {
		return nil, fmt.Errorf("jit: the module has no method %q", name)
	}
	in := g.Inputs()
	if len(args) != len(in) {
		return nil, &RunError{Method: name, Err: fmt.Errorf("takes %d inputs, got %d", len(in), len(args))}
	}
	ex.depth++
	defer func() { ex.depth-- }()
	if ex.depth > maxCallDepth {
		return nil, fmt.Errorf("jit: method %s: calls nested deeper than %d", name, maxCallDepth)
	}
	env := make(map[*ir.Value]any, 64)
	for i, v := range in {
		if err := checkArg(i, v.Type, args[i]); err != nil {
			return nil, &RunError{Method: name, Err: err}
		}
		ex.set(env, v, args[i])
	}
	return ex.block(name, g.Body, env)
}

func checkArg(i int, t ir.Type, a any) error {
	switch t.Kind {
	case ir.KindTensor:
		x, ok := a.(*tensor.Tensor)
		if !ok || x == nil {
			return fmt.Errorf("input %d must be a tensor, got %T", i, a)
		}
		if t.DType != ir.UnknownDType && x.DType() != t.DType {
			return fmt.Errorf("input %d must be %v, got %v", i, t.DType, x.DType())
		}
		if t.Shape != nil && len(t.Shape) != x.Dim() {
			return fmt.Errorf("input %d must have %d dimensions, got shape %v", i, len(t.Shape), x.Shape())
		}
		for d, dim := range t.Shape {
			if dim.Name == "" && dim.Size != x.Size(d) {
				return fmt.Errorf("input %d has shape %v; the graph fixes dimension %d to %d", i, x.Shape(), d, dim.Size)
			}
		}
	case ir.KindInt:
		if _, ok := a.(int64); !ok {
			return fmt.Errorf("input %d must be an int64, got %T", i, a)
		}
	case ir.KindFloat:
		if _, ok := a.(float64); !ok {
			return fmt.Errorf("input %d must be a float64, got %T", i, a)
		}
	case ir.KindBool:
		if _, ok := a.(bool); !ok {
			return fmt.Errorf("input %d must be a bool, got %T", i, a)
		}
	}
	return nil
}

func (ex *executor) block(method string, b *ir.Block, env map[*ir.Value]any) ([]any, error) {
	for _, n := range b.Nodes {
		if err := ex.node(method, n, env); err != nil {
			var re *RunError
			if errors.As(err, &re) {
				return nil, err
			}
			return nil, &RunError{Method: method, Op: n.Op, Pos: n.Pos, Err: err}
		}
	}
	out := make([]any, len(b.Returns))
	for i, v := range b.Returns {
		out[i] = env[v]
	}
	return out, nil
}

func (ex *executor) node(method string, n *ir.Node, env map[*ir.Value]any) (err error) {
	in := make([]any, len(n.Inputs))
	for i, v := range n.Inputs {
		if v != nil {
			in[i] = env[v]
		}
	}
	var out []any
	if ir.IsPrim(n.Op) {
		out, err = ex.prim(method, n, in, env)
		if err != nil {
			return err
		}
	} else {
		out, err = runTensorOp(n, in)
		if err != nil {
			return err
		}
	}
	if len(out) != len(n.Outputs) {
		return fmt.Errorf("%d results, the graph has %d outputs (the graph was traced with other shapes?)", len(out), len(n.Outputs))
	}
	for i, v := range n.Outputs {
		ex.set(env, v, out[i])
	}
	return nil
}

// runTensorOp runs a tensor op through the op table (or an op added with
// RegisterOp): the same Go function, so the same kernels and bits as eager
// execution. A panic of the op becomes an error.
func runTensorOp(n *ir.Node, in []any) (out []any, err error) {
	def, ok := LookupOp(n.Op)
	if !ok {
		return nil, fmt.Errorf("unknown op %q", n.Op)
	}
	ts := make([]*tensor.Tensor, len(in))
	for i, a := range in {
		if a == nil {
			continue
		}
		t, ok := a.(*tensor.Tensor)
		if !ok {
			return nil, fmt.Errorf("input %d is a %T, not a tensor", i, a)
		}
		ts[i] = t
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	res := def.Run(ts, tensor.Attrs(n.Attrs))
	out = make([]any, len(res))
	for i, t := range res {
		out[i] = t
	}
	return out, nil
}

func (ex *executor) prim(method string, n *ir.Node, in []any, env map[*ir.Value]any) ([]any, error) {
	one := func(v any) ([]any, error) { return []any{v}, nil }
	switch n.Op {
	case ir.OpParam:
		name, _ := n.Attrs.Str("name")
		t, ok := ex.consts[name]
		if !ok {
			return nil, fmt.Errorf("no constant %q", name)
		}
		return one(t)
	case ir.OpConstant:
		if name, ok := n.Attrs.Str("tensor"); ok {
			t, ok := ex.consts[name]
			if !ok {
				return nil, fmt.Errorf("no constant %q", name)
			}
			return one(t)
		}
		return one(n.Attrs["value"])
	case ir.OpIf:
		c, ok := in[0].(bool)
		if !ok {
			return nil, fmt.Errorf("condition is a %T, not a bool", in[0])
		}
		b := n.Blocks[1]
		if c {
			b = n.Blocks[0]
		}
		return ex.block(method, b, env)
	case ir.OpLoop:
		max, ok1 := in[0].(int64)
		cond, ok2 := in[1].(bool)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("loop takes (int, bool, ...), got (%T, %T)", in[0], in[1])
		}
		carried := append([]any(nil), in[2:]...)
		body := n.Blocks[0]
		for i := int64(0); i < max && cond; i++ {
			ex.set(env, body.Params[0], i)
			for j, p := range body.Params[1:] {
				ex.set(env, p, carried[j])
			}
			res, err := ex.block(method, body, env)
			if err != nil {
				return nil, err
			}
			c, ok := res[0].(bool)
			if !ok {
				return nil, fmt.Errorf("loop condition is a %T, not a bool", res[0])
			}
			cond, carried = c, res[1:]
		}
		return carried, nil
	case ir.OpCall:
		name, _ := n.Attrs.Str("method")
		return ex.call(name, in)
	case ir.OpRaise:
		msg, _ := n.Attrs.Str("msg")
		return nil, errRaise{msg}
	case ir.OpSize:
		t, err := tensorIn(in, 0)
		if err != nil {
			return nil, err
		}
		d, ok := n.Attrs.Int("dim")
		if !ok {
			if len(in) < 2 {
				return nil, errors.New("prim.size needs a dim")
			}
			d, ok = in[1].(int64)
			if !ok {
				return nil, fmt.Errorf("dim is a %T", in[1])
			}
		}
		if d < 0 {
			d += int64(t.Dim())
		}
		if d < 0 || d >= int64(t.Dim()) {
			return nil, fmt.Errorf("dimension %d out of range for shape %v", d, t.Shape())
		}
		return one(int64(t.Size(int(d))))
	case ir.OpDim:
		t, err := tensorIn(in, 0)
		if err != nil {
			return nil, err
		}
		return one(int64(t.Dim()))
	case ir.OpNumel:
		t, err := tensorIn(in, 0)
		if err != nil {
			return nil, err
		}
		return one(int64(t.Numel()))
	case ir.OpItem, ir.OpTensorToBool:
		t, err := tensorIn(in, 0)
		if err != nil {
			return nil, err
		}
		if t.Numel() != 1 {
			return nil, fmt.Errorf("a tensor of shape %v has %d elements, not one", t.Shape(), t.Numel())
		}
		v := t.Detach().Reshape().Double().Item()
		if n.Op == ir.OpItem {
			return one(v)
		}
		return one(v != 0)
	case ir.OpListConstruct:
		return one(append([]any(nil), in...))
	case ir.OpListUnpack:
		l, ok := in[0].([]any)
		if !ok {
			return nil, fmt.Errorf("input is a %T, not a list", in[0])
		}
		if len(l) != len(n.Outputs) {
			return nil, fmt.Errorf("the list has %d elements, %d expected", len(l), len(n.Outputs))
		}
		return l, nil
	case ir.OpNot:
		b, ok := in[0].(bool)
		if !ok {
			return nil, fmt.Errorf("not of a %T", in[0])
		}
		return one(!b)
	case ir.OpAnd, ir.OpOr:
		a, ok1 := in[0].(bool)
		b, ok2 := in[1].(bool)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s of %T and %T", n.Op, in[0], in[1])
		}
		if n.Op == ir.OpAnd {
			return one(a && b)
		}
		return one(a || b)
	case ir.OpInt, ir.OpFloat, ir.OpBool:
		return one(convert(n.Op, in[0]))
	case ir.OpNeg:
		switch x := in[0].(type) {
		case int64:
			return one(-x)
		case float64:
			return one(-x)
		}
		return nil, fmt.Errorf("neg of a %T", in[0])
	}
	return scalarBinary(n.Op, in)
}

func tensorIn(in []any, i int) (*tensor.Tensor, error) {
	t, ok := in[i].(*tensor.Tensor)
	if !ok || t == nil {
		return nil, fmt.Errorf("input %d is a %T, not a tensor", i, in[i])
	}
	return t, nil
}

func convert(op string, x any) any {
	var f float64
	var i int64
	switch v := x.(type) {
	case int64:
		f, i = float64(v), v
	case float64:
		f, i = v, int64(v)
	case bool:
		if v {
			f, i = 1, 1
		}
	default:
		return nil
	}
	switch op {
	case ir.OpInt:
		return i
	case ir.OpFloat:
		return f
	}
	return f != 0
}

func scalarBinary(op string, in []any) ([]any, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("%s takes two inputs", op)
	}
	switch a := in[0].(type) {
	case int64:
		b, ok := in[1].(int64)
		if !ok {
			return nil, fmt.Errorf("%s of int64 and %T", op, in[1])
		}
		switch op {
		case ir.OpDiv, ir.OpMod, ir.OpFloorDiv:
			if b == 0 {
				return nil, errors.New("integer division by zero")
			}
			switch op {
			case ir.OpDiv:
				return []any{a / b}, nil
			case ir.OpMod:
				return []any{a % b}, nil
			}
			q := a / b
			if (a%b != 0) && ((a < 0) != (b < 0)) {
				q--
			}
			return []any{q}, nil
		}
		if v, ok := scalarArith(op, a, b); ok {
			return []any{v}, nil
		}
	case float64:
		b, ok := in[1].(float64)
		if !ok {
			return nil, fmt.Errorf("%s of float64 and %T", op, in[1])
		}
		switch op {
		case ir.OpDiv:
			return []any{a / b}, nil
		case ir.OpFloorDiv:
			return []any{math.Floor(a / b)}, nil
		case ir.OpMod:
			return []any{math.Mod(a, b)}, nil
		}
		if v, ok := scalarArith(op, a, b); ok {
			return []any{v}, nil
		}
	case bool, string:
		switch op {
		case ir.OpEq:
			return []any{in[0] == in[1]}, nil
		case ir.OpNe:
			return []any{in[0] != in[1]}, nil
		}
	}
	return nil, fmt.Errorf("unsupported %s of %T and %T", op, in[0], in[1])
}

// scalarArith is what prim ops do alike on ints and floats: +, -, * and
// the comparisons.
func scalarArith[T int64 | float64](op string, a, b T) (any, bool) {
	switch op {
	case ir.OpAdd:
		return a + b, true
	case ir.OpSub:
		return a - b, true
	case ir.OpMul:
		return a * b, true
	case ir.OpLt:
		return a < b, true
	case ir.OpLe:
		return a <= b, true
	case ir.OpGt:
		return a > b, true
	case ir.OpGe:
		return a >= b, true
	case ir.OpEq:
		return a == b, true
	case ir.OpNe:
		return a != b, true
	}
	return nil, false
}
