package mobile

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/emberml/ember/mobile/format"
)

// The memory plan of a lowered method: liveness of its arena values over
// the instruction graph (jumps included), values grouped where they may
// share bytes (a copy and its input; an elementwise op's output and an
// input that dies there), one lifetime per group, PlanArena, and a check
// of the result at every instruction.

// bitset is a set of value indices.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (s bitset) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }
func (s bitset) add(i int)      { s[i/64] |= 1 << (i % 64) }
func (s bitset) remove(i int)   { s[i/64] &^= 1 << (i % 64) }
func (s bitset) union(t bitset) {
	for k := range s {
		s[k] |= t[k]
	}
}
func (s bitset) equal(t bitset) bool { return slices.Equal(s, t) }

// each calls fn for each member, in increasing order.
func (s bitset) each(fn func(int)) {
	for k, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			fn(k*64 + b)
			w &^= 1 << b
		}
	}
}

// liveness is the result of the dataflow analysis of a method.
type liveness struct {
	n            int      // instructions
	use, def     [][]int  // arena values each instruction reads and writes
	liveIn       []bitset // live before instruction p (index n: at the end)
	liveOut      []bitset // live after instruction p
	inputs       bitset   // the method's inputs: live throughout
	pinned       bitset   // the inputs and outputs: their lifetimes span the method
	first, final []int    // each value's lifetime hull (-1 and n: throughout)
}

// succs returns the instructions that may run after instruction p (n is
// the end of the method).
func succs(code []format.Instruction, p int) []int {
	in := &code[p]
	switch in.Kind {
	case format.InstrJump:
		return []int{in.Target}
	case format.InstrJumpIfFalse:
		return []int{p + 1, in.Target}
	case format.InstrRaise:
		return nil
	}
	return []int{p + 1}
}

// analyze computes liveness: a value is live at a point when some path
// from there reads it before writing it, so a value read in a loop and
// written before it is live through the whole loop (the back edge), and a
// value written in a branch and read after the if is live from the branch
// to the read. The method's inputs are live throughout, and the lifetimes
// of its inputs and outputs span the whole method.
func (l *lowerer) analyze() *liveness {
	n, nv := len(l.code), len(l.vals)
	arena := func(i int) bool { return i >= 0 && l.vals[i].konst < 0 }
	lv := &liveness{n: n, use: make([][]int, n), def: make([][]int, n),
		liveIn: make([]bitset, n+1), liveOut: make([]bitset, n), inputs: newBitset(nv), pinned: newBitset(nv)}
	for p := range l.code {
		for _, i := range l.code[p].Inputs {
			if arena(i) {
				lv.use[p] = append(lv.use[p], i)
			}
		}
		for _, i := range l.code[p].Outputs {
			if arena(i) {
				lv.def[p] = append(lv.def[p], i)
			}
		}
		lv.liveIn[p], lv.liveOut[p] = newBitset(nv), newBitset(nv)
	}
	for _, i := range l.inputs {
		lv.inputs.add(i)
		lv.pinned.add(i)
	}
	for _, i := range l.outs {
		lv.pinned.add(i)
	}
	lv.liveIn[n] = newBitset(nv)
	lv.liveIn[n].union(lv.pinned)
	in := newBitset(nv)
	for changed := true; changed; {
		changed = false
		for p := n - 1; p >= 0; p-- {
			out := lv.liveOut[p]
			for _, s := range succs(l.code, p) {
				out.union(lv.liveIn[s])
			}
			copy(in, out)
			for _, i := range lv.def[p] {
				in.remove(i)
			}
			for _, i := range lv.use[p] {
				in.add(i)
			}
			if !in.equal(lv.liveIn[p]) {
				copy(lv.liveIn[p], in)
				changed = true
			}
		}
	}
	// The inputs stay; an output is live from where it is written (the
	// dataflow says so), but the planner reserves its bytes throughout.
	for p := range n {
		lv.liveOut[p].union(lv.inputs)
	}
	lv.first, lv.final = make([]int, nv), make([]int, nv)
	for i := range nv {
		lv.first[i], lv.final[i] = n+1, -2
	}
	mark := func(i, p int) {
		lv.first[i], lv.final[i] = min(lv.first[i], p), max(lv.final[i], p)
	}
	for p := range n {
		lv.liveIn[p].each(func(i int) { mark(i, p) })
		lv.liveOut[p].each(func(i int) { mark(i, p) })
		for _, i := range lv.def[p] {
			mark(i, p)
		}
	}
	for i := range nv {
		switch {
		case lv.pinned.has(i):
			lv.first[i], lv.final[i] = -1, n
		case lv.first[i] > lv.final[i]:
			lv.first[i], lv.final[i] = 0, 0 // never written nor read
		}
	}
	return lv
}

// groups assigns each arena value to a group of values that share bytes,
// and a content class: values of one class hold the same bytes when they
// are live (a copy and its input), values of one group but different
// classes are never live together (an elementwise op's output written over
// an input that dies there). With alias false every value is its own
// group.
func (l *lowerer) groups(lv *liveness, alias bool) (group, class []int) {
	nv := len(l.vals)
	group, class = make([]int, nv), make([]int, nv)
	members := make([][]int, nv)
	for i := range nv {
		group[i], class[i], members[i] = i, i, []int{i}
	}
	join := func(b, a int) { // b joins a's group
		g := group[a]
		group[b] = g
		members[g] = append(members[g], b)
		members[b] = nil
	}
	if !alias {
		return group, class
	}
	arena := func(i int) bool { return i >= 0 && l.vals[i].konst < 0 && !l.vals[i].move }
	for p := range l.code {
		ins := &l.code[p]
		if ins.Kind != format.InstrOp || len(ins.Outputs) != 1 || len(ins.Inputs) == 0 {
			continue
		}
		op := l.ex.fm.OpCodes[ins.Op].Name
		b := ins.Outputs[0]
		if !arena(b) || group[b] != b || len(members[b]) != 1 {
			continue
		}
		vb := &l.vals[b]
		switch {
		case copyOps[op]:
			a := ins.Inputs[0]
			if arena(a) && l.vals[a].bytes() == vb.bytes() {
				join(b, a)
				class[b] = class[a]
			}
		case inPlaceOps[op]:
		candidates:
			for k, a := range ins.Inputs {
				if !arena(a) || l.vals[a].dt != vb.dt || !slices.Equal(l.vals[a].shape, vb.shape) || slices.Contains(ins.Inputs[:k], a) {
					continue
				}
				g := group[a]
				for _, m := range members[g] {
					if lv.liveOut[p].has(m) {
						continue candidates
					}
				}
				// The other inputs may not overlap the output, unless
				// they are exactly it.
				for _, o := range ins.Inputs {
					if o >= 0 && o != a && group[o] == g && (l.vals[o].dt != vb.dt || !slices.Equal(l.vals[o].shape, vb.shape)) {
						continue candidates
					}
				}
				join(b, a)
				break
			}
		}
	}
	return group, class
}

// plan lays out the method's arena: the groups' lifetimes are planned
// with PlanArena and the result is checked instruction by instruction.
// Should sharing bytes between values ever fail the check, the method is
// planned again without it.
func (l *lowerer) plan() (offsets []int64, size int64, err error) {
	lv := l.analyze()
	for _, alias := range []bool{true, false} {
		group, class := l.groups(lv, alias)
		blockOf := map[int]int{}
		var blocks []Lifetime
		for i, v := range l.vals {
			if v.konst >= 0 {
				continue
			}
			g := group[i]
			k, ok := blockOf[g]
			if !ok {
				k = len(blocks)
				blockOf[g] = k
				blocks = append(blocks, Lifetime{First: lv.first[i], Last: lv.final[i]})
			}
			b := &blocks[k]
			b.Size = max(b.Size, v.bytes())
			b.First, b.Last = min(b.First, lv.first[i]), max(b.Last, lv.final[i])
		}
		offs, sz := PlanArena(blocks, format.SegmentAlign)
		if err := checkPlan(blocks, offs, sz, format.SegmentAlign); err != nil {
			return nil, 0, fmt.Errorf("internal error: %w", err)
		}
		offsets = make([]int64, len(l.vals))
		for i, v := range l.vals {
			offsets[i] = format.NoConstant
			if v.konst < 0 {
				offsets[i] = offs[blockOf[group[i]]]
			}
		}
		err = l.checkLayout(lv, offsets, class)
		if err == nil {
			return offsets, sz, nil
		}
	}
	return nil, 0, fmt.Errorf("internal error: %w", err)
}

// checkLayout checks a layout at every instruction: no two values that
// hold different contents after it (live after it, or written by it) share
// bytes, and the instruction's outputs overlap neither each other nor its
// inputs, except as the lite runtime allows (a copy over its input; an
// elementwise op over an input of its dtype and shape).
func (l *lowerer) checkLayout(lv *liveness, offsets []int64, class []int) error {
	overlap := func(a, b int) bool {
		if a < 0 || b < 0 || l.vals[a].konst >= 0 || l.vals[b].konst >= 0 {
			return false
		}
		sa, sb := l.vals[a].bytes(), l.vals[b].bytes()
		return sa > 0 && sb > 0 && offsets[a] < offsets[b]+sb && offsets[b] < offsets[a]+sa
	}
	exact := func(a, b int) bool {
		return offsets[a] == offsets[b] && l.vals[a].bytes() == l.vals[b].bytes()
	}
	check := func(set bitset, where string) error {
		var vs []int
		set.each(func(i int) { vs = append(vs, i) })
		for x, a := range vs {
			for _, b := range vs[:x] {
				if class[a] != class[b] && overlap(a, b) {
					return fmt.Errorf("%s: values %d (%s) and %d (%s) are live together and share bytes", where, b, l.vals[b].name, a, l.vals[a].name)
				}
			}
		}
		return nil
	}
	if err := check(lv.inputs, "at the start"); err != nil {
		return err
	}
	set := newBitset(len(l.vals))
	for p := range l.code {
		copy(set, lv.liveOut[p])
		for _, i := range lv.def[p] {
			set.add(i)
		}
		if err := check(set, fmt.Sprintf("instruction %d", p)); err != nil {
			return err
		}
		ins := &l.code[p]
		for k, o := range ins.Outputs {
			for _, o2 := range ins.Outputs[:k] {
				if overlap(o, o2) {
					return fmt.Errorf("instruction %d: two outputs share bytes", p)
				}
			}
			if ins.Kind != format.InstrOp {
				continue
			}
			op := l.ex.fm.OpCodes[ins.Op].Name
			for _, i := range ins.Inputs {
				if !overlap(o, i) {
					continue
				}
				ok := exact(o, i) && (copyOps[op] ||
					inPlaceOps[op] && l.vals[i].dt == l.vals[o].dt && slices.Equal(l.vals[i].shape, l.vals[o].shape))
				if !ok {
					return fmt.Errorf("instruction %d (%s): output %s shares bytes with input %s", p, op, l.vals[o].name, l.vals[i].name)
				}
			}
		}
	}
	return nil
}
