package lite_test

import (
	"math/rand/v2"
	"testing"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/mobile/lite"
)

func TestConvNetAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	for _, nt := range []int{1, 2, 4} {
		prev := cpu.SetNumThreads(nt)
		n := newConvNet(1)
		for _, fused := range []bool{false, true} {
			m := loadT(t, n.file(t, fused, false))
			s := m.NewSession()
			fwd := m.Method("forward")
			x := randn(rand.New(rand.NewPCG(1, 2)), 3*256, 1)
			y := make([]float32, 10)
			in, out := []lite.Tensor{{Data: x}}, []lite.Tensor{{Data: y}}
			if err := s.Run(fwd, in, out); err != nil {
				t.Fatal(err)
			}
			if a := testing.AllocsPerRun(50, func() { s.Run(fwd, in, out) }); a != 0 {
				t.Errorf("threads %d fused %v: %v allocations per run", nt, fused, a)
			}
		}
		cpu.SetNumThreads(prev)
	}
}
