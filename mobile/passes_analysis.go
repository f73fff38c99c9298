package mobile

import (
	"strconv"
	"strings"

	"github.com/emberml/ember/jit/ir"
)

// aliasOps are the tensor ops whose results may share storage with their
// first input (views, and ops that may return their input), so that
// writing the result writes the input. In-place ops alias too.
var aliasOps = map[string]bool{
	"view": true, "reshape": true, "flatten": true, "unflatten": true,
	"squeeze": true, "unsqueeze": true, "transpose": true, "permute": true,
	"t": true, "mt": true, "expand": true, "expand_as": true,
	"broadcast_to": true, "narrow": true, "select": true, "slice": true,
	"diagonal": true, "chunk": true, "split": true, "split_sizes": true,
	"unbind": true, "contiguous": true, "detach": true, "to": true,
	"float": true, "double": true, "long": true, "dropout": true,
	"dropout2d": true,
}

// randomOps draw from the default random generator (dropout and dropout2d
// only in training mode, see isRandom), or, for empty, give values that no
// one chose: two are not one, and none is a constant.
var randomOps = map[string]bool{
	"rand": true, "rand_like": true, "randint": true, "randn": true,
	"randn_like": true, "randperm": true, "dropout": true, "dropout2d": true,
	"empty": true,
}

// isInPlace reports whether op writes its first input, by the IR's naming
// convention.
func isInPlace(op string) bool { return !ir.IsPrim(op) && strings.HasSuffix(op, "_") }

// attrFalse reports whether n has the bool attribute name set to false.
func attrFalse(n *ir.Node, name string) bool {
	b, ok := n.Attrs.Bool(name)
	return ok && !b
}

// isRandom reports whether n draws random numbers (or is empty): the
// random ops, and dropout in training mode.
func isRandom(n *ir.Node) bool {
	if n.Op == "dropout" || n.Op == "dropout2d" {
		return !attrFalse(n, "training")
	}
	return randomOps[n.Op]
}

// HasSideEffects reports whether a node does more than compute its
// outputs, so that the dead code and common subexpression passes keep it:
// the IR's default (in-place ops, prim.raise), the random ops of package
// tensor (rand, randn, ..., and dropout in training mode: each draw
// advances the generator, and two draws are not one), and batch_norm in
// training mode, which updates its running statistics.
func HasSideEffects(n *ir.Node) bool {
	if ir.DefaultSideEffects(n) || isRandom(n) {
		return true
	}
	return n.Op == "batch_norm" && !attrFalse(n, "training")
}

// mutation is what the ops of a module may write: values whose tensors
// an in-place op (or batch_norm in training mode) writes, directly or
// through a view, and the module constants among them.
type mutation struct {
	vals   map[*ir.Value]bool
	consts map[string]bool
}

// analyzeMutation finds the values and constants that a module's ops may
// write. It follows storage backwards: from the first input of each
// in-place op through the ops that alias (views, in-place ops), control
// flow and lists, to the constants read. It is conservative: a prim.call
// may write all its inputs.
func analyzeMutation(m *ir.Module) *mutation {
	mu := &mutation{vals: map[*ir.Value]bool{}, consts: map[string]bool{}}
	var work []*ir.Value
	mark := func(v *ir.Value) {
		if v != nil && !mu.vals[v] {
			mu.vals[v] = true
			work = append(work, v)
		}
	}
	for _, g := range m.Methods {
		g.Walk(func(n *ir.Node) bool {
			switch {
			case isInPlace(n.Op) && len(n.Inputs) > 0:
				mark(n.Inputs[0])
			case n.Op == "batch_norm" && !attrFalse(n, "training") && len(n.Inputs) >= 3:
				mark(n.Inputs[1])
				mark(n.Inputs[2])
			case n.Op == ir.OpCall:
				for _, v := range n.Inputs {
					mark(v)
				}
			}
			return true
		})
	}
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		if n := v.Def; n != nil {
			out := indexOf(n.Outputs, v)
			switch {
			case n.Op == ir.OpParam:
				name, _ := n.Attrs.Str("name")
				mu.consts[name] = true
			case n.Op == ir.OpConstant:
				if name, ok := n.Attrs.Str("tensor"); ok {
					mu.consts[name] = true
				}
			case aliasOps[n.Op] || isInPlace(n.Op):
				if len(n.Inputs) > 0 {
					mark(n.Inputs[0])
				}
			case n.Op == ir.OpIf:
				for _, b := range n.Blocks {
					if b != nil && out < len(b.Returns) {
						mark(b.Returns[out])
					}
				}
			case n.Op == ir.OpLoop:
				if body := n.Blocks[0]; out >= 0 {
					mark(at(n.Inputs, out+2))
					mark(at(body.Returns, out+1))
					mark(at(body.Params, out+1))
				}
			case n.Op == ir.OpListUnpack, n.Op == ir.OpListConstruct, n.Op == ir.OpCall:
				for _, in := range n.Inputs {
					mark(in)
				}
			}
			continue
		}
		// A parameter of a loop body: a carried value.
		if b := v.Block; b != nil && b.Owner != nil && b.Owner.Op == ir.OpLoop {
			if k := indexOf(b.Params, v); k >= 1 {
				mark(at(b.Owner.Inputs, k+1))
				mark(at(b.Returns, k))
			}
		}
	}
	return mu
}

// touches reports whether any of vs may be written.
func (mu *mutation) touches(vs []*ir.Value) bool {
	for _, v := range vs {
		if mu.vals[v] {
			return true
		}
	}
	return false
}

func indexOf(vs []*ir.Value, v *ir.Value) int {
	for i, w := range vs {
		if w == v {
			return i
		}
	}
	return -1
}

func at(vs []*ir.Value, i int) *ir.Value {
	if i < 0 || i >= len(vs) {
		return nil
	}
	return vs[i]
}

// constOf returns the module constant that v reads (prim.constant of a
// tensor, or prim.param of a constant of kind Constant) when no op
// writes it, or nil.
func constOf(m *ir.Module, mu *mutation, v *ir.Value) *ir.Const {
	if v == nil || v.Def == nil {
		return nil
	}
	var name string
	switch v.Def.Op {
	case ir.OpConstant:
		name, _ = v.Def.Attrs.Str("tensor")
	case ir.OpParam:
		name, _ = v.Def.Attrs.Str("name")
	default:
		return nil
	}
	c := m.Const(name)
	if c == nil || c.Kind != ir.Constant || c.Tensor == nil || mu.consts[name] {
		return nil
	}
	return c
}

// nodes returns the nodes of g in order, nested blocks included, so that a
// pass can rewrite the graph while it goes through them.
func nodes(g *ir.Graph) []*ir.Node {
	var ns []*ir.Node
	g.Walk(func(n *ir.Node) bool {
		ns = append(ns, n)
		return true
	})
	return ns
}

// soleUse reports whether the only use of v in g is input idx of n.
func soleUse(g *ir.Graph, v *ir.Value, n *ir.Node, idx int) bool {
	u := ir.Uses(g, v)
	return len(u) == 1 && u[0].Node == n && u[0].Index == idx
}

// uniqueConstName returns base, or base followed by ".1", ".2", ..., the
// first that names no constant of m.
func uniqueConstName(m *ir.Module, base string) string {
	name := base
	for i := 1; m.Const(name) != nil; i++ {
		name = base + "." + strconv.Itoa(i)
	}
	return name
}
