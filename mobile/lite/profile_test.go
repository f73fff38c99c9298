package lite_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/emberml/ember/mobile/lite"
)

func TestProfiler(t *testing.T) {
	n := newConvNet(1)
	m := loadT(t, n.file(t, false, false))
	defer m.Close()
	s := m.NewSession()
	fwd := m.Method("forward")
	x := randn(rand.New(rand.NewPCG(1, 2)), 3*256, 1)
	y := make([]float32, 10)
	in, out := []lite.Tensor{{Data: x}}, []lite.Tensor{{Data: y}}
	var ops []string
	var pcs []int
	var total time.Duration
	s.SetProfiler(func(mt *lite.Method, pc int, op string, d time.Duration) {
		if mt != fwd {
			t.Errorf("profiler got method %q", mt.Name())
		}
		if d < 0 {
			t.Errorf("instruction %d: negative time %v", pc, d)
		}
		ops, pcs, total = append(ops, op), append(pcs, pc), total+d
	})
	if err := s.Run(fwd, in, out); err != nil {
		t.Fatal(err)
	}
	want := []string{"conv2d", "relu", "max_pool2d", "flatten", "linear"}
	if !slices.Equal(ops, want) || !slices.Equal(pcs, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("profiled %v at %v, want %v at 0..4", ops, pcs, want)
	}
	if total <= 0 {
		t.Errorf("total time %v", total)
	}
	want0 := slices.Clone(y)
	s.SetProfiler(nil)
	ops = nil
	if err := s.Run(fwd, in, out); err != nil {
		t.Fatal(err)
	}
	if ops != nil || !slices.Equal(y, want0) {
		t.Fatalf("after SetProfiler(nil): profiled %v, output changed %v", ops, !slices.Equal(y, want0))
	}
	if raceEnabled {
		return
	}
	if a := testing.AllocsPerRun(20, func() { s.Run(fwd, in, out) }); a != 0 {
		t.Errorf("%v allocations per run without a profiler", a)
	}
	s.SetProfiler(func(*lite.Method, int, string, time.Duration) {})
	if a := testing.AllocsPerRun(20, func() { s.Run(fwd, in, out) }); a != 0 {
		t.Errorf("%v allocations per run with a profiler", a)
	}
}
