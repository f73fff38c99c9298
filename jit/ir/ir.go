package ir

import (
	"slices"
	"sort"
	"strings"

	"github.com/emberml/ember/tensor"
)

// Value is an SSA value: defined once, by a node (an output) or by a block
// (a parameter), and used by any number of nodes and block returns that
// its definition reaches.
type Value struct {
	// ID is unique among the values of one Graph (Graph.NewValue assigns it).
	ID int
	// Name is an optional hint for printing ("x", "conv1.weight"); the
	// printer makes printed names unique and numbers unnamed values.
	Name string
	// Type is the value's type.
	Type Type
	// Def is the node whose output this is; nil for a block parameter.
	Def *Node
	// Block is the block whose parameter this is; nil for a node output.
	Block *Block
}

// Attrs are a node's attributes: non-tensor arguments known when the graph
// is built. A value is one of int64, float64, bool, string, []int64,
// []float64, tensor.DType or nil; Verify reports others. Printing sorts the
// names.
type Attrs map[string]any

// Int returns attribute name as an int64, and whether it is one.
func (a Attrs) Int(name string) (int64, bool) { v, ok := a[name].(int64); return v, ok }

// Float returns attribute name as a float64, and whether it is one.
func (a Attrs) Float(name string) (float64, bool) { v, ok := a[name].(float64); return v, ok }

// Bool returns attribute name as a bool, and whether it is one.
func (a Attrs) Bool(name string) (bool, bool) { v, ok := a[name].(bool); return v, ok }

// Str returns attribute name as a string, and whether it is one.
func (a Attrs) Str(name string) (string, bool) { v, ok := a[name].(string); return v, ok }

// Ints returns attribute name as an []int64, and whether it is one.
func (a Attrs) Ints(name string) ([]int64, bool) { v, ok := a[name].([]int64); return v, ok }

// Floats returns attribute name as a []float64, and whether it is one.
func (a Attrs) Floats(name string) ([]float64, bool) { v, ok := a[name].([]float64); return v, ok }

// DType returns attribute name as a tensor.DType, and whether it is one.
func (a Attrs) DType(name string) (tensor.DType, bool) {
	v, ok := a[name].(tensor.DType)
	return v, ok
}

// Names returns the attribute names, sorted.
func (a Attrs) Names() []string {
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Clone returns a copy of a with its slices copied.
func (a Attrs) Clone() Attrs {
	if a == nil {
		return nil
	}
	c := make(Attrs, len(a))
	for k, v := range a {
		switch v := v.(type) {
		case []int64:
			c[k] = slices.Clone(v)
		case []float64:
			c[k] = slices.Clone(v)
		default:
			c[k] = v
		}
	}
	return c
}

// NormalizeAttr converts an attribute value to one of the canonical attribute
// types: Go ints of any size become int64, float32 becomes float64, []int,
// []int32 and []float32 become []int64 and []float64 (copied). It reports
// false for a value no attribute can hold.
func NormalizeAttr(v any) (any, bool) {
	switch v := v.(type) {
	case nil, int64, float64, bool, string, tensor.DType:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int16:
		return int64(v), true
	case int8:
		return int64(v), true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case float32:
		return float64(v), true
	case []int64:
		return slices.Clone(v), true
	case []float64:
		return slices.Clone(v), true
	case []int:
		return convSlice[int, int64](v), true
	case []int32:
		return convSlice[int32, int64](v), true
	case []float32:
		return convSlice[float32, float64](v), true
	}
	return v, false
}

func convSlice[S, D int | int32 | int64 | float32 | float64](s []S) []D {
	d := make([]D, len(s))
	for i, x := range s {
		d[i] = D(x)
	}
	return d
}

// Node is one operation: an op name from the tensor package's op table or
// one of the IR's own prim ops, its attributes, inputs (a nil input is an
// absent optional tensor, printed "none"), outputs, nested blocks (prim.if,
// prim.loop) and the source position that created it.
type Node struct {
	Op      string
	Attrs   Attrs
	Inputs  []*Value
	Outputs []*Value
	Blocks  []*Block
	// Pos is the source position, "model.go:31", or empty.
	Pos string
	// Parent is the block that holds the node.
	Parent *Block
}

// Output returns the node's only output; it panics when the node does not
// have exactly one.
func (n *Node) Output() *Value {
	if len(n.Outputs) != 1 {
		panic("ir: Output on node " + n.Op + " with " + itoa(len(n.Outputs)) + " outputs")
	}
	return n.Outputs[0]
}

// Graph returns the graph that holds the node, or nil when it is in none.
func (n *Node) Graph() *Graph {
	if n.Parent == nil {
		return nil
	}
	return n.Parent.Graph
}

// String returns the node's line in the text form (without nested blocks),
// naming values as its method prints them.
func (n *Node) String() string {
	var nm *namer
	if g := n.Graph(); g != nil {
		nm = newNamer(g)
	} else {
		nm = &namer{names: map[*Value]string{}}
	}
	return nodeHeader(nm, n)
}

// Block is a sequence of nodes with parameters and returned values: a
// method's body (parameters: the method's inputs), a branch of prim.if or
// the body of prim.loop.
type Block struct {
	Params  []*Value
	Nodes   []*Node
	Returns []*Value
	// Owner is the node that holds the block; nil for a method body.
	Owner *Node
	// Graph is the method the block belongs to.
	Graph *Graph
}

// AddParam appends a parameter of type t named name (may be empty).
func (b *Block) AddParam(name string, t Type) *Value {
	v := b.Graph.NewValue(t)
	v.Name = name
	v.Block = b
	b.Params = append(b.Params, v)
	return v
}

// Walk calls fn for each node of b and of its nested blocks, in order, a
// node before its blocks' nodes. It stops early when fn returns false.
func (b *Block) Walk(fn func(*Node) bool) bool {
	for _, n := range b.Nodes {
		if !fn(n) {
			return false
		}
		for _, sub := range n.Blocks {
			if sub != nil && !sub.Walk(fn) {
				return false
			}
		}
	}
	return true
}

// Index returns the position of n in b.Nodes, or -1.
func (b *Block) Index(n *Node) int { return slices.Index(b.Nodes, n) }

// Graph is one method of a module: a name, a body whose parameters are the
// inputs, and the declared result types that the body's returns must match.
type Graph struct {
	Name    string
	Body    *Block
	Results []Type
	nextID  int
}

// NewGraph returns an empty method named name, not part of any module.
func NewGraph(name string) *Graph {
	g := &Graph{Name: name}
	g.Body = &Block{Graph: g}
	return g
}

// NewValue returns a new value of type t with the next unused ID. It is not
// yet defined anywhere: make it a node output or a block parameter.
func (g *Graph) NewValue(t Type) *Value {
	v := &Value{ID: g.nextID, Type: t}
	g.nextID++
	return v
}

// NewBlock returns an empty block of g owned by no node yet.
func (g *Graph) NewBlock() *Block { return &Block{Graph: g} }

// AddInput appends an input (a body parameter) named name of type t.
func (g *Graph) AddInput(name string, t Type) *Value { return g.Body.AddParam(name, t) }

// Inputs returns the method's inputs (the body's parameters).
func (g *Graph) Inputs() []*Value { return g.Body.Params }

// Return sets the values the method returns; when Results is nil it also
// sets Results to their types.
func (g *Graph) Return(vs ...*Value) {
	g.Body.Returns = vs
	if g.Results == nil {
		g.Results = make([]Type, len(vs))
		for i, v := range vs {
			g.Results[i] = v.Type.Clone()
		}
	}
}

// Walk calls fn for each node of the method in order (see Block.Walk).
func (g *Graph) Walk(fn func(*Node) bool) { g.Body.Walk(fn) }

// String returns the method in the text form.
func (g *Graph) String() string {
	var sb strings.Builder
	printGraph(&sb, g, "")
	return sb.String()
}

// ConstKind says what a module constant is.
type ConstKind uint8

// The kinds of module constants.
const (
	// Param is a trainable parameter (nn.Parameter).
	Param ConstKind = iota
	// Buffer is a module buffer (running statistics, ...).
	Buffer
	// Constant is frozen data: an inline tensor of a prim.constant, or a
	// frozen parameter.
	Constant
)

var constKindNames = [...]string{"param", "buffer", "constant"}

// String returns "param", "buffer" or "constant".
func (k ConstKind) String() string {
	if int(k) < len(constKindNames) {
		return constKindNames[k]
	}
	return "ConstKind(" + itoa(int(k)) + ")"
}

// Const is a module constant: a tensor known by its dotted name.
type Const struct {
	Name string
	Kind ConstKind
	// Type is the tensor's type: a known dtype and fixed dims (quantized
	// constants carry Quant; their tensor holds the storage dtype).
	Type Type
	// Tensor is the data; nil when not loaded (the text form has no data).
	Tensor *tensor.Tensor
}

// Module is a set of methods over shared constants, with metadata.
type Module struct {
	Consts   []*Const
	Methods  []*Graph
	Metadata map[string]string
}

// NewModule returns an empty module.
func NewModule() *Module { return &Module{Metadata: map[string]string{}} }

// Const returns the constant named name, or nil.
func (m *Module) Const(name string) *Const {
	for _, c := range m.Consts {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// AddConst appends a constant with an explicit type (t may be nil).
func (m *Module) AddConst(name string, kind ConstKind, typ Type, t *tensor.Tensor) *Const {
	c := &Const{Name: name, Kind: kind, Type: typ, Tensor: t}
	m.Consts = append(m.Consts, c)
	return c
}

// AddTensor appends a constant holding t, typed TypeOf(t).
func (m *Module) AddTensor(name string, kind ConstKind, t *tensor.Tensor) *Const {
	return m.AddConst(name, kind, TypeOf(t), t)
}

// AddInlineTensor stores t as a Constant under a generated name not yet
// used ("_const.0", "_const.1", ...) and returns the name.
func (m *Module) AddInlineTensor(t *tensor.Tensor) string {
	for i := 0; ; i++ {
		name := "_const." + itoa(i)
		if m.Const(name) == nil {
			m.AddTensor(name, Constant, t)
			return name
		}
	}
}

// Method returns the method named name, or nil.
func (m *Module) Method(name string) *Graph {
	for _, g := range m.Methods {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// NewMethod appends an empty method named name and returns it.
func (m *Module) NewMethod(name string) *Graph {
	g := NewGraph(name)
	m.Methods = append(m.Methods, g)
	return g
}

// String returns the module in the text form.
func (m *Module) String() string {
	var sb strings.Builder
	printModule(&sb, m)
	return sb.String()
}
