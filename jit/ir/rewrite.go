package ir

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Use is one use of a value: input Index of Node, or, when Node is nil,
// return Index of Block.
type Use struct {
	Node  *Node
	Block *Block
	Index int
}

// forEachBlock calls fn for b and every block nested in it.
func forEachBlock(b *Block, fn func(*Block)) {
	fn(b)
	for _, n := range b.Nodes {
		if n == nil {
			continue
		}
		for _, sub := range n.Blocks {
			if sub != nil {
				forEachBlock(sub, fn)
			}
		}
	}
}

// Uses returns every use of v in g, in print order.
func Uses(g *Graph, v *Value) []Use {
	var uses []Use
	forEachBlock(g.Body, func(b *Block) {
		for _, n := range b.Nodes {
			if n == nil {
				continue
			}
			for i, in := range n.Inputs {
				if in == v {
					uses = append(uses, Use{Node: n, Index: i})
				}
			}
		}
		for i, r := range b.Returns {
			if r == v {
				uses = append(uses, Use{Block: b, Index: i})
			}
		}
	})
	return uses
}

// ReplaceAllUsesWith makes every node input and block return of g that is
// old use repl instead, and returns how many it changed. The caller makes
// sure repl is defined where old was used (Verify checks).
func ReplaceAllUsesWith(g *Graph, old, repl *Value) int {
	count := 0
	forEachBlock(g.Body, func(b *Block) {
		for _, n := range b.Nodes {
			if n == nil {
				continue
			}
			for i, in := range n.Inputs {
				if in == old {
					n.Inputs[i] = repl
					count++
				}
			}
		}
		for i, r := range b.Returns {
			if r == old {
				b.Returns[i] = repl
				count++
			}
		}
	})
	return count
}

// RemoveNode removes n from its block. It fails when an output of n is
// still used (replace the uses first) or n is in no block.
func RemoveNode(n *Node) error {
	b := n.Parent
	if b == nil {
		return errors.New("ir: remove node: the node is in no block")
	}
	i := b.Index(n)
	if i < 0 {
		return fmt.Errorf("ir: remove node %s: not in its Parent block", n.Op)
	}
	if b.Graph != nil {
		for _, v := range n.Outputs {
			if u := Uses(b.Graph, v); len(u) > 0 {
				return fmt.Errorf("ir: remove node %s: its output %s still has %d uses", n.Op, newNamer(b.Graph).name(v), len(u))
			}
		}
	}
	b.Nodes = slices.Delete(b.Nodes, i, i+1)
	n.Parent = nil
	return nil
}

// cloner copies nodes and blocks into graph g, mapping old values to new.
type cloner struct {
	g       *Graph
	vmap    map[*Value]*Value
	keepIDs bool
}

func (c *cloner) value(v *Value) *Value {
	if v == nil {
		return nil
	}
	if w, ok := c.vmap[v]; ok {
		return w
	}
	return v // defined outside what is cloned
}

func (c *cloner) newValue(v *Value) *Value {
	w := c.g.NewValue(v.Type.Clone())
	if c.keepIDs {
		w.ID = v.ID
	}
	w.Name = v.Name
	c.vmap[v] = w
	return w
}

// nodes clones src's nodes into dst, before position at (-1: the end).
func (c *cloner) nodes(dst *Block, src []*Node, at int) {
	bl := &Builder{block: dst, at: at}
	for _, n := range src {
		if n == nil {
			continue
		}
		m := &Node{Op: n.Op, Attrs: n.Attrs.Clone(), Pos: n.Pos}
		m.Inputs = make([]*Value, len(n.Inputs))
		for i, v := range n.Inputs {
			m.Inputs[i] = c.value(v)
		}
		for _, v := range n.Outputs {
			if v == nil {
				m.Outputs = append(m.Outputs, nil)
				continue
			}
			w := c.newValue(v)
			w.Def = m
			m.Outputs = append(m.Outputs, w)
		}
		for _, sub := range n.Blocks {
			if sub == nil {
				m.Blocks = append(m.Blocks, nil)
				continue
			}
			nb := &Block{Owner: m, Graph: c.g}
			c.params(nb, sub)
			c.nodes(nb, sub.Nodes, -1)
			nb.Returns = c.values(sub.Returns)
			m.Blocks = append(m.Blocks, nb)
		}
		bl.Insert(m)
	}
}

func (c *cloner) params(dst, src *Block) {
	for _, v := range src.Params {
		if v == nil {
			dst.Params = append(dst.Params, nil)
			continue
		}
		w := c.newValue(v)
		w.Block = dst
		dst.Params = append(dst.Params, w)
	}
}

func (c *cloner) values(vs []*Value) []*Value {
	out := make([]*Value, len(vs))
	for i, v := range vs {
		out[i] = c.value(v)
	}
	return out
}

// Clone returns a deep copy of the method, with the same value IDs.
func (g *Graph) Clone() *Graph {
	h := &Graph{Name: g.Name, nextID: g.nextID}
	h.Body = &Block{Graph: h}
	for _, t := range g.Results {
		h.Results = append(h.Results, t.Clone())
	}
	if g.Results != nil && h.Results == nil {
		h.Results = []Type{}
	}
	if g.Body == nil {
		h.Body = nil
		return h
	}
	c := &cloner{g: h, vmap: map[*Value]*Value{}, keepIDs: true}
	c.params(h.Body, g.Body)
	c.nodes(h.Body, g.Body.Nodes, -1)
	h.Body.Returns = c.values(g.Body.Returns)
	h.nextID = g.nextID
	return h
}

// Clone returns a deep copy of m: methods, constant declarations and
// metadata are copied, constant tensors are shared.
func (m *Module) Clone() *Module {
	c := &Module{Metadata: maps.Clone(m.Metadata)}
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	for _, k := range m.Consts {
		if k == nil {
			c.Consts = append(c.Consts, nil)
			continue
		}
		kc := *k
		kc.Type = k.Type.Clone()
		c.Consts = append(c.Consts, &kc)
	}
	for _, g := range m.Methods {
		if g == nil {
			c.Methods = append(c.Methods, nil)
			continue
		}
		c.Methods = append(c.Methods, g.Clone())
	}
	return c
}

// InlineCall replaces the prim.call node n with a copy of the called
// method's body: the copy's parameters are n's inputs and the uses of n's
// outputs become uses of the copy's returns. A method calling itself is an
// error.
func InlineCall(m *Module, n *Node) error {
	if n.Op != OpCall {
		return fmt.Errorf("ir: inline: node %s is not %s", n.Op, OpCall)
	}
	name, _ := n.Attrs.Str("method")
	callee := m.Method(name)
	if callee == nil || callee.Body == nil {
		return fmt.Errorf("ir: inline: no method %q", name)
	}
	b := n.Parent
	if b == nil || b.Graph == nil {
		return errors.New("ir: inline: the call is in no graph")
	}
	g := b.Graph
	if callee == g {
		return fmt.Errorf("ir: inline: method %s calls itself", name)
	}
	if len(n.Inputs) != len(callee.Body.Params) || len(n.Outputs) != len(callee.Body.Returns) {
		return fmt.Errorf("ir: inline: call of %s with %d inputs and %d outputs, it takes %d and returns %d",
			name, len(n.Inputs), len(n.Outputs), len(callee.Body.Params), len(callee.Body.Returns))
	}
	at := b.Index(n)
	if at < 0 {
		return errors.New("ir: inline: the call is not in its Parent block")
	}
	c := &cloner{g: g, vmap: map[*Value]*Value{}}
	for i, p := range callee.Body.Params {
		c.vmap[p] = n.Inputs[i]
	}
	c.nodes(b, callee.Body.Nodes, at)
	for i, out := range n.Outputs {
		ReplaceAllUsesWith(g, out, c.value(callee.Body.Returns[i]))
	}
	return RemoveNode(n)
}

// InlineCalls inlines every prim.call in every method of m, including the
// calls that inlining brings in. Recursive calls are an error (m is then
// unchanged).
func InlineCalls(m *Module) error {
	// Reject call cycles first, so that inlining terminates.
	calls := map[string][]string{}
	for _, g := range m.Methods {
		if g == nil || g.Body == nil {
			continue
		}
		g.Walk(func(n *Node) bool {
			if n.Op == OpCall {
				name, _ := n.Attrs.Str("method")
				calls[g.Name] = append(calls[g.Name], name)
			}
			return true
		})
	}
	state := map[string]int{} // 1: on the stack, 2: done
	var visit func(string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("ir: inline: method %s calls itself (recursion)", name)
		case 2:
			return nil
		}
		state[name] = 1
		for _, c := range calls[name] {
			if err := visit(c); err != nil {
				return err
			}
		}
		state[name] = 2
		return nil
	}
	for _, g := range m.Methods {
		if g != nil {
			if err := visit(g.Name); err != nil {
				return err
			}
		}
	}
	for _, g := range m.Methods {
		if g == nil || g.Body == nil {
			continue
		}
		for {
			var call *Node
			g.Walk(func(n *Node) bool {
				if n.Op == OpCall {
					call = n
					return false
				}
				return true
			})
			if call == nil {
				break
			}
			if err := InlineCall(m, call); err != nil {
				return err
			}
		}
	}
	return nil
}
