package lite_test

import (
	"math/rand/v2"
	"testing"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/tensor"
)

// BenchmarkConvNet runs the small conv net of the tests (conv 3->8 3x3,
// relu, max pool, flatten, linear 512->10) at batch 1 on one thread: the
// lite runtime, unfused and fused, and eager execution for comparison.
func BenchmarkConvNet(b *testing.B) {
	defer cpu.SetNumThreads(cpu.SetNumThreads(1))
	n := newConvNet(1)
	x := randn(rand.New(rand.NewPCG(1, 2)), 768, 1)
	for _, c := range []struct {
		name  string
		fused bool
	}{{"lite", false}, {"lite_fused", true}} {
		b.Run(c.name, func(b *testing.B) {
			m := loadT(b, n.file(b, c.fused, false))
			s := m.NewSession()
			fwd := m.Method("forward")
			y := make([]float32, 10)
			in, out := []lite.Tensor{{Data: x}}, []lite.Tensor{{Data: y}}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Run(fwd, in, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("eager", func(b *testing.B) {
		w1, b1 := tensor.FromSlice(n.w1, 8, 3, 3, 3), tensor.FromSlice(n.b1, 8)
		w2, b2 := tensor.FromSlice(n.w2, 10, 512), tensor.FromSlice(n.b2, 10)
		xt := tensor.FromSlice(x, 1, 3, 16, 16)
		b.ReportAllocs()
		for b.Loop() {
			h := tensor.Conv2d(xt, w1, b1, tensor.Conv2dOptions{Padding: []int{1}}).ReLU()
			h = tensor.MaxPool2d(h, tensor.MaxPool2dOptions{KernelSize: []int{2}}).Flatten(1, -1)
			tensor.Linear(h, w2, b2)
		}
	})
}
