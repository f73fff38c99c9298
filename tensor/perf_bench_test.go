package tensor_test

import (
	"testing"

	"github.com/emberml/ember/tensor"
)

// BenchmarkPerfElementwise reports ns per element of the float32 fast paths
// on 1M-element tensors (one thread's worth of work, memory bound).
func BenchmarkPerfElementwise(b *testing.B) {
	const n = 1 << 20
	x := tensor.FromSlice(perfVals(1, n), 1024, 1024)
	y := tensor.FromSlice(perfVals(2, n), 1024, 1024)
	row := tensor.FromSlice(perfVals(3, 1024), 1024)
	g := tensor.FromSlice(perfVals(4, n), 1024, 1024)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Add", func() { x.Add(y) }},
		{"AddRow", func() { x.Add(row) }},
		{"AddScalar", func() { x.AddScalar(1.5) }},
		{"Add_", func() { x.Add_(y) }},
		{"MulScalar_", func() { x.Mul_(tensor.Scalar(0.5)) }},
		{"AddScaled_", func() { x.AddScaled_(y, -0.01) }},
		{"ReLU", func() { x.ReLU() }},
		{"ReLU_", func() { x.ReLU_() }},
		{"Exp", func() { x.Exp() }},
		{"SumDims0", func() { x.SumDims([]int{0}, false) }},
		{"ReLUBackward", func() {
			p := x.Detach().SetRequiresGrad(true)
			p.ReLU().BackwardWith(tensor.BackwardOptions{Grad: g})
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.f()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
		})
	}
}
