package mobile_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/emberml/ember/mobile"
)

// checkArena checks a plan exhaustively: at every instruction, the blocks
// live there occupy disjoint bytes; offsets are aligned; the arena is the
// end of the last block and no larger than the sum of the aligned sizes.
func checkArena(t *testing.T, blocks []mobile.Lifetime, offs []int64, size, align int64) {
	t.Helper()
	if len(offs) != len(blocks) {
		t.Fatalf("%d offsets for %d blocks", len(offs), len(blocks))
	}
	lo, hi := 0, 0
	var end, sum int64
	for i, b := range blocks {
		lo, hi = min(lo, b.First), max(hi, b.Last)
		if offs[i]%align != 0 || offs[i] < 0 {
			t.Fatalf("block %d at %d: not a multiple of %d", i, offs[i], align)
		}
		if b.Size > 0 {
			end = max(end, offs[i]+b.Size)
		}
		sum += (b.Size + align - 1) / align * align
	}
	if size != end {
		t.Fatalf("arena %d, but the blocks end at %d", size, end)
	}
	if size > sum {
		t.Fatalf("arena %d larger than the sum of the aligned sizes %d", size, sum)
	}
	for p := lo; p <= hi; p++ {
		var live []int
		for i, b := range blocks {
			if b.Size > 0 && b.First <= p && p <= b.Last {
				live = append(live, i)
			}
		}
		for x, i := range live {
			for _, j := range live[:x] {
				if offs[i] < offs[j]+blocks[j].Size && offs[j] < offs[i]+blocks[i].Size {
					t.Fatalf("at %d: blocks %d %+v at %d and %d %+v at %d share bytes", p, j, blocks[j], offs[j], i, blocks[i], offs[i])
				}
			}
		}
	}
}

func TestPlanArenaRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	trials := 2000
	if raceEnabled || testing.Short() {
		trials = 200
	}
	for trial := range trials {
		n := 1 + r.IntN(40)
		steps := 1 + r.IntN(30)
		blocks := make([]mobile.Lifetime, n)
		for i := range blocks {
			a, b := r.IntN(steps+2)-1, r.IntN(steps+2)-1
			size := int64(r.IntN(5000))
			switch r.IntN(8) {
			case 0:
				size = 0
			case 1:
				size = int64(64 * (1 + r.IntN(8))) // equal sizes, ties
			}
			blocks[i] = mobile.Lifetime{Size: size, First: min(a, b), Last: max(a, b)}
		}
		align := []int64{1, 4, 64}[r.IntN(3)]
		offs, size := mobile.PlanArena(blocks, align)
		t.Run(fmt.Sprint(trial), func(t *testing.T) { checkArena(t, blocks, offs, size, align) })
		if t.Failed() {
			return
		}
	}
}

func TestPlanArenaCases(t *testing.T) {
	L := func(size int64, first, last int) mobile.Lifetime {
		return mobile.Lifetime{Size: size, First: first, Last: last}
	}
	cases := []struct {
		name   string
		blocks []mobile.Lifetime
		align  int64
		offs   []int64
		size   int64
	}{
		{"empty", nil, 64, []int64{}, 0},
		{"one", []mobile.Lifetime{L(100, 0, 3)}, 64, []int64{0}, 100},
		{"disjoint lifetimes share offset 0", []mobile.Lifetime{L(100, 0, 1), L(200, 2, 3), L(50, 4, 5)}, 64, []int64{0, 0, 0}, 200},
		// The largest goes first, at 0; each neighbour in time goes after
		// it, aligned; A and C do not overlap in time and share bytes.
		{"chain", []mobile.Lifetime{L(100, 0, 1), L(200, 1, 2), L(100, 2, 3)}, 64, []int64{256, 0, 256}, 356},
		{"chain, byte alignment", []mobile.Lifetime{L(100, 0, 1), L(200, 1, 2), L(100, 2, 3)}, 1, []int64{200, 0, 200}, 300},
		// The bytes of blocks that are dead are reused at the lowest
		// offset: below a live block, or where a dead one was.
		{"gap below", []mobile.Lifetime{L(256, 0, 1), L(256, 0, 5), L(128, 2, 5)}, 64, []int64{0, 256, 0}, 512},
		{"reuse", []mobile.Lifetime{L(256, 0, 4), L(128, 0, 1), L(512, 2, 3), L(64, 2, 4)}, 64,
			[]int64{512, 0, 0, 768}, 832},
		{"all live", []mobile.Lifetime{L(64, -1, 9), L(128, -1, 9), L(192, -1, 9)}, 64, []int64{320, 192, 0}, 384},
		// Size zero takes no room; ties keep the earlier first.
		{"zero and ties", []mobile.Lifetime{L(0, 0, 5), L(64, 1, 2), L(64, 0, 2)}, 64, []int64{0, 64, 0}, 128},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			offs, size := mobile.PlanArena(c.blocks, c.align)
			if !slices.Equal(offs, c.offs) || size != c.size {
				t.Errorf("offsets %v, arena %d; want %v, %d", offs, size, c.offs, c.size)
			}
			checkArena(t, c.blocks, offs, size, c.align)
		})
	}
}

func ExamplePlanArena() {
	// Three tensors of a chain a -> b -> c: a is dead when c is written.
	blocks := []mobile.Lifetime{
		{Size: 4096, First: 0, Last: 1}, // a, written by instruction 0, read by 1
		{Size: 8192, First: 1, Last: 2}, // b
		{Size: 4096, First: 2, Last: 3}, // c
	}
	offsets, size := mobile.PlanArena(blocks, 64)
	fmt.Println(offsets, size)
	// Output: [8192 0 8192] 12288
}
