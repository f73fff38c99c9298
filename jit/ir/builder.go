package ir

import (
	"slices"

	"github.com/emberml/ember/tensor"
)

// Builder appends nodes to a block at an insert point: the end of a block,
// or before a given position in it. The tracer and the script compiler build
// methods with it.
type Builder struct {
	block *Block
	at    int // insert position in block.Nodes; -1: the end
	// Pos is the source position given to the nodes the builder adds.
	Pos string
}

// NewBuilder returns a builder that appends to the end of b.
func NewBuilder(b *Block) *Builder { return &Builder{block: b, at: -1} }

// Block returns the block the builder inserts into.
func (b *Builder) Block() *Block { return b.block }

// Graph returns the graph the builder inserts into.
func (b *Builder) Graph() *Graph { return b.block.Graph }

// SetInsertAtEnd makes the builder append to the end of blk.
func (b *Builder) SetInsertAtEnd(blk *Block) { b.block, b.at = blk, -1 }

// SetInsertBefore makes the builder insert before n, in n's block; nodes
// added one after another keep their order.
func (b *Builder) SetInsertBefore(n *Node) {
	b.block = n.Parent
	b.at = n.Parent.Index(n)
}

// SetInsertAfter makes the builder insert right after n, in n's block.
func (b *Builder) SetInsertAfter(n *Node) {
	b.block = n.Parent
	b.at = n.Parent.Index(n) + 1
}

// Insert puts a node built elsewhere at the insert point and sets its
// Parent.
func (b *Builder) Insert(n *Node) {
	n.Parent = b.block
	if b.at < 0 || b.at >= len(b.block.Nodes) {
		b.block.Nodes = append(b.block.Nodes, n)
		if b.at >= 0 {
			b.at = len(b.block.Nodes)
		}
		return
	}
	b.block.Nodes = slices.Insert(b.block.Nodes, b.at, n)
	b.at++
}

// Add inserts a node for op with the given inputs (nil: an absent optional
// input) and attributes (normalized with NormalizeAttr; values that do not
// normalize are kept and Verify reports them), with one new output value per
// type in outTypes, and returns it.
func (b *Builder) Add(op string, inputs []*Value, attrs Attrs, outTypes ...Type) *Node {
	n := &Node{Op: op, Inputs: slices.Clone(inputs), Pos: b.Pos}
	if len(attrs) > 0 {
		n.Attrs = make(Attrs, len(attrs))
		for k, v := range attrs {
			n.Attrs[k], _ = NormalizeAttr(v)
		}
	}
	g := b.block.Graph
	for _, t := range outTypes {
		v := g.NewValue(t)
		v.Def = n
		n.Outputs = append(n.Outputs, v)
	}
	b.Insert(n)
	return n
}

// Op adds a node with one output of type t and returns that output.
func (b *Builder) Op(op string, inputs []*Value, attrs Attrs, t Type) *Value {
	return b.Add(op, inputs, attrs, t).Outputs[0]
}

// Param adds prim.param reading module constant c; the output is named
// after it.
func (b *Builder) Param(c *Const) *Value {
	v := b.Op(OpParam, nil, Attrs{"name": c.Name}, c.Type.Clone())
	v.Name = c.Name
	return v
}

// Constant adds prim.constant for a scalar or list value: an int, int64,
// float64, bool, string, nil, []int64 or []float64 (Go ints and float32
// normalized). It returns nil for a value of another type.
func (b *Builder) Constant(value any) *Value {
	v, ok := NormalizeAttr(value)
	if !ok {
		return nil
	}
	var t Type
	switch v.(type) {
	case nil:
		t = NoneType()
	case int64:
		t = IntType()
	case float64:
		t = FloatType()
	case bool:
		t = BoolType()
	case string:
		t = StrType()
	case []int64:
		t = ListType(IntType())
	case []float64:
		t = ListType(FloatType())
	default:
		return nil
	}
	return b.Op(OpConstant, nil, Attrs{"value": v}, t)
}

// TensorConstant stores t in m under a generated name (Module.AddInlineTensor)
// and adds a prim.constant reading it.
func (b *Builder) TensorConstant(m *Module, t *tensor.Tensor) *Value {
	name := m.AddInlineTensor(t)
	return b.Op(OpConstant, nil, Attrs{"tensor": name}, TypeOf(t))
}

// If adds a prim.if on cond with outputs of the given types and two empty
// blocks: fill them (NewBuilder(then)...) and set their Returns.
func (b *Builder) If(cond *Value, outTypes ...Type) (n *Node, then, els *Block) {
	n = b.Add(OpIf, []*Value{cond}, nil, outTypes...)
	g := b.block.Graph
	then, els = &Block{Owner: n, Graph: g}, &Block{Owner: n, Graph: g}
	n.Blocks = []*Block{then, els}
	return n, then, els
}

// Loop adds a prim.loop with the given trip count, initial condition and
// initial carried values. Its block has the parameters (iteration int,
// carried...) typed as the carried values; its outputs have the same
// types. Fill the block and set its Returns to (condition, carried...).
func (b *Builder) Loop(maxTripCount, cond *Value, carried ...*Value) (n *Node, body *Block) {
	types := make([]Type, len(carried))
	for i, v := range carried {
		types[i] = v.Type.Clone()
	}
	n = b.Add(OpLoop, append([]*Value{maxTripCount, cond}, carried...), nil, types...)
	body = &Block{Owner: n, Graph: b.block.Graph}
	n.Blocks = []*Block{body}
	body.AddParam("", IntType())
	for i, v := range carried {
		body.AddParam(v.Name, types[i].Clone())
	}
	return n, body
}

// Call adds a prim.call of the module's method named method.
func (b *Builder) Call(method string, inputs []*Value, outTypes ...Type) *Node {
	return b.Add(OpCall, inputs, Attrs{"method": method}, outTypes...)
}

// Raise adds a prim.raise failing with msg.
func (b *Builder) Raise(msg string) *Node { return b.Add(OpRaise, nil, Attrs{"msg": msg}) }
