package mobile

import (
	"fmt"
	"slices"
	"sort"
)

// Lifetime is a block of memory for the arena planner: Size bytes, needed
// from instruction First to instruction Last, both included (instruction
// indices of a method's linear code; -1 and the instruction count stand
// for before the first and after the last).
type Lifetime struct {
	Size        int64
	First, Last int
}

// overlaps reports whether two lifetimes share an instruction.
func (l Lifetime) overlaps(m Lifetime) bool { return l.First <= m.Last && m.First <= l.Last }

// PlanArena is the exporter's memory planner, a lifetime-aware greedy
// planner in the manner of TFLite's arena planner (greedy by size): the
// blocks are placed largest first (ties: the earlier First, then the lower
// index), each at the lowest offset, a multiple of align, at which it
// overlaps no block already placed whose lifetime overlaps its own. Blocks
// of size zero get offset 0 and take no room. It returns each block's
// offset and the arena's size: the end of the block that ends last.
//
// Two blocks whose lifetimes overlap never share a byte; blocks whose
// lifetimes are disjoint may. The arena is never larger than the sum of
// the sizes rounded up to align.
func PlanArena(blocks []Lifetime, align int64) (offsets []int64, size int64) {
	if align < 1 {
		align = 1
	}
	offsets = make([]int64, len(blocks))
	order := make([]int, 0, len(blocks))
	for i, b := range blocks {
		if b.Size > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := blocks[order[a]], blocks[order[b]]
		if x.Size != y.Size {
			return x.Size > y.Size
		}
		return x.First < y.First
	})
	type placed struct{ off, end int64 }
	var done []int // placed blocks, by index
	var busy []placed
	for _, i := range order {
		b := blocks[i]
		busy = busy[:0]
		for _, j := range done {
			if b.overlaps(blocks[j]) {
				busy = append(busy, placed{offsets[j], offsets[j] + blocks[j].Size})
			}
		}
		slices.SortFunc(busy, func(x, y placed) int {
			switch {
			case x.off < y.off:
				return -1
			case x.off > y.off:
				return 1
			}
			return 0
		})
		// The lowest aligned offset before the first busy interval that
		// leaves room, scanning the intervals by start.
		off := int64(0)
		for _, p := range busy {
			if off+b.Size <= p.off {
				break
			}
			if p.end > off {
				off = (p.end + align - 1) / align * align
			}
		}
		offsets[i] = off
		size = max(size, off+b.Size)
		done = append(done, i)
	}
	return offsets, size
}

// checkPlan reports two blocks with overlapping lifetimes that share
// bytes, or a misaligned block: the planner's invariant, checked by the
// exporter on every plan it writes.
func checkPlan(blocks []Lifetime, offsets []int64, size, align int64) error {
	for i, a := range blocks {
		if a.Size == 0 {
			continue
		}
		if offsets[i]%align != 0 || offsets[i] < 0 || offsets[i]+a.Size > size {
			return fmt.Errorf("block %d at %d (%d bytes) is misaligned or outside the arena of %d bytes", i, offsets[i], a.Size, size)
		}
		for j := range i {
			b := blocks[j]
			if b.Size == 0 || !a.overlaps(b) {
				continue
			}
			if offsets[i] < offsets[j]+b.Size && offsets[j] < offsets[i]+a.Size {
				return fmt.Errorf("blocks %d and %d are live together and share bytes", j, i)
			}
		}
	}
	return nil
}
