package optim

import (
	"fmt"
	"testing"

	"github.com/emberml/ember/tensor"
)

// benchParams returns n parameters of size each, with gradients.
func benchParams(n, size int) []*tensor.Tensor {
	gen := tensor.NewGenerator(1)
	ps := make([]*tensor.Tensor, n)
	for i := range ps {
		ps[i] = gen.Randn(size).SetRequiresGrad(true)
		ps[i].SetGrad(gen.Randn(size))
	}
	return ps
}

func benchStep(b *testing.B, mk func([]*tensor.Tensor) Optimizer) {
	for _, c := range []struct{ n, size int }{{1, 1 << 20}, {100, 10000}, {1, 1 << 24}} {
		b.Run(fmt.Sprintf("%dx%d", c.n, c.size), func(b *testing.B) {
			ps := benchParams(c.n, c.size)
			opt := mk(ps)
			opt.Step()
			b.SetBytes(int64(4 * c.n * c.size))
			b.ResetTimer()
			for range b.N {
				opt.Step()
			}
		})
	}
}

func BenchmarkSGDStep(b *testing.B) {
	benchStep(b, func(ps []*tensor.Tensor) Optimizer { return NewSGD(ps, SGDOptions{LR: 1e-3}) })
}

func BenchmarkSGDMomentumStep(b *testing.B) {
	benchStep(b, func(ps []*tensor.Tensor) Optimizer { return NewSGD(ps, SGDOptions{LR: 1e-3, Momentum: 0.9}) })
}

func BenchmarkSGDMomentumWDStep(b *testing.B) {
	benchStep(b, func(ps []*tensor.Tensor) Optimizer {
		return NewSGD(ps, SGDOptions{LR: 1e-3, Momentum: 0.9, WeightDecay: 1e-4, Nesterov: true})
	})
}

func BenchmarkAdamStep(b *testing.B) {
	benchStep(b, func(ps []*tensor.Tensor) Optimizer { return NewAdam(ps) })
}

func BenchmarkAdamWStep(b *testing.B) {
	benchStep(b, func(ps []*tensor.Tensor) Optimizer { return NewAdamW(ps) })
}

// BenchmarkSGDSmallParams measures the per-parameter overhead of a step.
func BenchmarkSGDSmallParams(b *testing.B) {
	ps := benchParams(200, 64)
	opt := NewSGD(ps, SGDOptions{LR: 1e-3, Momentum: 0.9})
	opt.Step()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		opt.Step()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/param")
}
