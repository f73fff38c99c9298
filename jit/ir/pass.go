package ir

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Pass is a named transformation of a module.
type Pass struct {
	// Name identifies the pass: in errors, in dumps, and to disable it.
	Name string
	// Run transforms the module in place.
	Run func(*Module) error
}

// PassManager runs passes in order, skipping the disabled ones, and verifies
// the module before the first pass and after every pass.
type PassManager struct {
	Passes []Pass
	// Disabled holds the names of passes not to run.
	Disabled map[string]bool
	// Schema is given to Verify.
	Schema Schema
	// Dump, when not nil, receives the module's text before the passes and
	// after each pass.
	Dump io.Writer
}

// NewPassManager returns a pass manager running passes.
func NewPassManager(passes ...Pass) *PassManager {
	return &PassManager{Passes: passes, Disabled: map[string]bool{}}
}

// Add appends passes.
func (pm *PassManager) Add(passes ...Pass) { pm.Passes = append(pm.Passes, passes...) }

// Disable blocks the passes with these names.
func (pm *PassManager) Disable(names ...string) {
	if pm.Disabled == nil {
		pm.Disabled = map[string]bool{}
	}
	for _, n := range names {
		pm.Disabled[n] = true
	}
}

// Run verifies m, then runs each pass that is not disabled and verifies m
// after it. It stops at the first error: a pass's own error, or the
// verifier's, naming the pass that left the module invalid. Disabling a name
// no pass has is an error (a misspelt name would otherwise be ignored).
func (pm *PassManager) Run(m *Module) error {
	var unknown []string
	for name, off := range pm.Disabled {
		if off && !slices.ContainsFunc(pm.Passes, func(p Pass) bool { return p.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("ir: disabled passes that do not exist: %s", strings.Join(unknown, ", "))
	}
	if err := Verify(m, pm.Schema); err != nil {
		return fmt.Errorf("ir: the module is invalid before the passes: %w", err)
	}
	if err := pm.dump("# before the passes\n", m); err != nil {
		return err
	}
	for _, p := range pm.Passes {
		if pm.Disabled[p.Name] {
			if err := pm.dump("# pass "+p.Name+" disabled\n", nil); err != nil {
				return err
			}
			continue
		}
		if err := p.Run(m); err != nil {
			return fmt.Errorf("ir: pass %s: %w", p.Name, err)
		}
		if err := Verify(m, pm.Schema); err != nil {
			return fmt.Errorf("ir: pass %s left an invalid module: %w", p.Name, err)
		}
		if err := pm.dump("# after pass "+p.Name+"\n", m); err != nil {
			return err
		}
	}
	return nil
}

func (pm *PassManager) dump(header string, m *Module) error {
	if pm.Dump == nil {
		return nil
	}
	text := header
	if m != nil {
		text += m.String()
	}
	if _, err := io.WriteString(pm.Dump, text); err != nil {
		return fmt.Errorf("ir: dumping the module: %w", err)
	}
	return nil
}

// effects decides which nodes have side effects: those the predicate
// names, those holding such a node in a block, and prim.calls of methods
// holding one (or of unknown methods).
type effects struct {
	pred    func(*Node) bool
	m       *Module
	methods map[string]bool
}

func newEffects(m *Module, pred func(*Node) bool) *effects {
	if pred == nil {
		pred = DefaultSideEffects
	}
	e := &effects{pred: pred, m: m, methods: map[string]bool{}}
	for changed := true; changed; {
		changed = false
		for _, g := range m.Methods {
			if g == nil || g.Body == nil || e.methods[g.Name] {
				continue
			}
			if !g.Body.Walk(func(n *Node) bool { return !e.local(n) }) {
				e.methods[g.Name] = true
				changed = true
			}
		}
	}
	return e
}

// local reports a node's own effect, not looking into its blocks.
func (e *effects) local(n *Node) bool {
	if e.pred(n) {
		return true
	}
	if n.Op == OpCall {
		name, _ := n.Attrs.Str("method")
		return e.methods[name] || e.m.Method(name) == nil
	}
	return false
}

func (e *effects) has(n *Node) bool {
	if e.local(n) {
		return true
	}
	for _, b := range n.Blocks {
		if b != nil && !b.Walk(func(n *Node) bool { return !e.local(n) }) {
			return true
		}
	}
	return false
}

// EliminateDeadCode removes the nodes of every method of m whose outputs
// are unused and that have no side effect, and the unused outputs of
// prim.if nodes (with the values their blocks return for them). A node has
// side effects when sideEffects says so (nil: DefaultSideEffects), when a
// node in its blocks has, or when it is a prim.call of a method that has.
// Pass a predicate that also names random ops to keep the random number
// stream of eager execution. It returns the number of nodes removed,
// counting those in the blocks of removed nodes.
func EliminateDeadCode(m *Module, sideEffects func(*Node) bool) int {
	e := newEffects(m, sideEffects)
	removed := 0
	for _, g := range m.Methods {
		if g == nil || g.Body == nil {
			continue
		}
		for {
			uses := countUses(g)
			r := dceBlock(g.Body, uses, e)
			removed += r
			if r == 0 && !prunedIf(g.Body, uses) {
				break
			}
		}
	}
	return removed
}

func countUses(g *Graph) map[*Value]int {
	uses := map[*Value]int{}
	forEachBlock(g.Body, func(b *Block) {
		for _, n := range b.Nodes {
			if n == nil {
				continue
			}
			for _, v := range n.Inputs {
				if v != nil {
					uses[v]++
				}
			}
		}
		for _, v := range b.Returns {
			if v != nil {
				uses[v]++
			}
		}
	})
	return uses
}

// dceBlock removes dead nodes of b, last first, so that chains go in one
// sweep; nested blocks are swept too.
func dceBlock(b *Block, uses map[*Value]int, e *effects) int {
	removed := 0
	keep := make([]bool, len(b.Nodes))
	for i := len(b.Nodes) - 1; i >= 0; i-- {
		n := b.Nodes[i]
		if n == nil {
			keep[i] = true
			continue
		}
		used := false
		for _, v := range n.Outputs {
			if v != nil && uses[v] > 0 {
				used = true
			}
		}
		if used || e.has(n) {
			keep[i] = true
			for _, sub := range n.Blocks {
				if sub != nil {
					removed += dceBlock(sub, uses, e)
				}
			}
			continue
		}
		for _, v := range n.Inputs {
			if v != nil {
				uses[v]--
			}
		}
		n.Parent = nil
		removed++
		for _, sub := range n.Blocks {
			if sub != nil {
				sub.Walk(func(*Node) bool { removed++; return true })
			}
		}
	}
	nodes := b.Nodes[:0]
	for i, n := range b.Nodes {
		if keep[i] {
			nodes = append(nodes, n)
		}
	}
	clear(b.Nodes[len(nodes):])
	b.Nodes = nodes
	return removed
}

// prunedIf drops the unused outputs of prim.if nodes (and the values their
// blocks return for them); it reports whether it dropped any.
func prunedIf(b *Block, uses map[*Value]int) bool {
	pruned := false
	for _, n := range b.Nodes {
		if n == nil {
			continue
		}
		if n.Op == OpIf && len(n.Blocks) == 2 && n.Blocks[0] != nil && n.Blocks[1] != nil &&
			len(n.Blocks[0].Returns) == len(n.Outputs) && len(n.Blocks[1].Returns) == len(n.Outputs) {
			for i := len(n.Outputs) - 1; i >= 0; i-- {
				if v := n.Outputs[i]; v != nil && uses[v] == 0 {
					n.Outputs = slices.Delete(n.Outputs, i, i+1)
					for _, sub := range n.Blocks {
						sub.Returns = slices.Delete(sub.Returns, i, i+1)
					}
					pruned = true
				}
			}
		}
		for _, sub := range n.Blocks {
			if sub != nil && prunedIf(sub, uses) {
				pruned = true
			}
		}
	}
	return pruned
}

// EliminateCommonSubexpressions replaces each node that repeats an earlier
// node reaching it (same op, attributes, inputs and output types, defined
// before it in its block or in an enclosing block) with that node's
// outputs. Nodes with blocks, without outputs, with side effects (as in
// EliminateDeadCode) and those skip names are left alone; skip nil means
// DefaultSideEffects. Pass a skip that also names random ops: two draws are
// not one. It returns the number of nodes removed.
func EliminateCommonSubexpressions(m *Module, skip func(*Node) bool) int {
	e := newEffects(m, skip)
	removed := 0
	for _, g := range m.Methods {
		if g == nil || g.Body == nil {
			continue
		}
		c := &cse{e: e, subst: map[*Value]*Value{}, ids: map[*Value]int{}}
		removed += c.block(g.Body)
	}
	return removed
}

type cse struct {
	e      *effects
	subst  map[*Value]*Value
	ids    map[*Value]int
	scopes []map[string]*Node
}

func (c *cse) id(v *Value) int {
	if v == nil {
		return -1
	}
	if i, ok := c.ids[v]; ok {
		return i
	}
	c.ids[v] = len(c.ids)
	return c.ids[v]
}

func (c *cse) sub(v *Value) *Value {
	if w, ok := c.subst[v]; ok {
		return w
	}
	return v
}

func (c *cse) key(n *Node) string {
	var sb strings.Builder
	sb.WriteString(n.Op)
	sb.WriteByte(0)
	for _, k := range n.Attrs.Names() {
		sb.WriteString(k)
		sb.WriteByte('=')
		writeAttr(&sb, n.Attrs[k])
		fmt.Fprintf(&sb, "%T", n.Attrs[k])
		sb.WriteByte(0)
	}
	for _, v := range n.Inputs {
		fmt.Fprintf(&sb, "%d,", c.id(v))
	}
	sb.WriteByte(0)
	for _, v := range n.Outputs {
		if v == nil {
			sb.WriteString("nil")
		} else {
			writeType(&sb, v.Type)
		}
		sb.WriteByte(',')
	}
	return sb.String()
}

func (c *cse) block(b *Block) int {
	c.scopes = append(c.scopes, map[string]*Node{})
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	removed := 0
	nodes := b.Nodes[:0]
	for _, n := range b.Nodes {
		if n == nil {
			nodes = append(nodes, n)
			continue
		}
		for i, v := range n.Inputs {
			n.Inputs[i] = c.sub(v)
		}
		for _, sub := range n.Blocks {
			if sub != nil {
				removed += c.block(sub)
			}
		}
		if len(n.Blocks) > 0 || len(n.Outputs) == 0 || slices.Contains(n.Outputs, nil) || c.e.has(n) {
			nodes = append(nodes, n)
			continue
		}
		k := c.key(n)
		var prev *Node
		for i := len(c.scopes) - 1; i >= 0 && prev == nil; i-- {
			prev = c.scopes[i][k]
		}
		if prev == nil {
			c.scopes[len(c.scopes)-1][k] = n
			nodes = append(nodes, n)
			continue
		}
		for i, v := range n.Outputs {
			c.subst[v] = prev.Outputs[i]
		}
		n.Parent = nil
		removed++
	}
	clear(b.Nodes[len(nodes):])
	b.Nodes = nodes
	for i, v := range b.Returns {
		b.Returns[i] = c.sub(v)
	}
	return removed
}

// DeadCodePass returns the pass "dce" running EliminateDeadCode.
func DeadCodePass(sideEffects func(*Node) bool) Pass {
	return Pass{Name: "dce", Run: func(m *Module) error { EliminateDeadCode(m, sideEffects); return nil }}
}

// CSEPass returns the pass "cse" running EliminateCommonSubexpressions.
func CSEPass(skip func(*Node) bool) Pass {
	return Pass{Name: "cse", Run: func(m *Module) error { EliminateCommonSubexpressions(m, skip); return nil }}
}

// InlinePass returns the pass "inline" running InlineCalls.
func InlinePass() Pass { return Pass{Name: "inline", Run: InlineCalls} }
