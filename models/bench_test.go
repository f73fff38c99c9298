package models

import (
	"runtime"
	"testing"
	"time"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/nn"
	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/nn/optim"
	"github.com/emberml/ember/tensor"
)

// The benchmarks run on one thread, as the PyTorch references do
// (torch.set_num_threads(1)):
//
//	go test -run '^$' -bench . -benchtime 10x ./models/
//	/usr/bin/python3 shared/bench/pytorch/torch_mnist.py 1   # BenchmarkTrainStep
//	/usr/bin/python3 models/testdata/torch_forward.py 1       # BenchmarkForward

// modelsBenchOneThread pins the kernels and GOMAXPROCS to one thread, so
// that the garbage collector's work shares it and counts in Ember's time.
func modelsBenchOneThread(b *testing.B) {
	prevThreads := cpu.SetNumThreads(1)
	prevProcs := runtime.GOMAXPROCS(1)
	b.Cleanup(func() {
		runtime.GOMAXPROCS(prevProcs)
		cpu.SetNumThreads(prevThreads)
	})
}

func modelsBenchReport(b *testing.B, start time.Time) {
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/1e6/float64(b.N), "ms/op")
}

// BenchmarkForward times eval-mode inference under NoGrad at batch 1 on a
// 224×224 image, as torch_eager.py does with torchvision's models.
func BenchmarkForward(b *testing.B) {
	for _, c := range []struct {
		name string
		make func() nn.Forwarder
	}{
		{"MobileNetV2", func() nn.Forwarder { return NewMobileNetV2(1000) }},
		{"ResNet18", func() nn.Forwarder { return NewResNet18(1000) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			modelsBenchOneThread(b)
			m := c.make()
			nn.Eval(m)
			x := tensor.NewGenerator(0).Randn(1, 3, 224, 224)
			autograd.NoGrad(func() {
				m.Forward(x) // warm-up
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					m.Forward(x)
				}
				modelsBenchReport(b, start)
			})
		})
	}
}

// BenchmarkTrainStep times a training step at batch 64 on 28×28 images,
// as torch_mnist.py does: zero the gradients, forward, F.CrossEntropy
// (applied to ExamplesNet's log-probabilities too, as F.cross_entropy is
// there), backward, and optim.SGD with momentum 0.9.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		name string
		make func() nn.Forwarder
	}{
		{"MLP", func() nn.Forwarder { return NewMLP() }},
		{"SmallCNN", func() nn.Forwarder { return NewSmallCNN() }},
		{"ExamplesNet", func() nn.Forwarder { return NewExamplesNet() }},
	} {
		b.Run(c.name, func(b *testing.B) {
			modelsBenchOneThread(b)
			g := tensor.NewGenerator(0)
			m := c.make()
			x, y := g.Randn(64, 1, 28, 28), g.RandInt(0, 10, 64)
			opt := optim.NewSGD(nn.Parameters(m), optim.SGDOptions{LR: 0.01, Momentum: 0.9})
			step := func() {
				opt.ZeroGrad()
				F.CrossEntropy(m.Forward(x), y).Backward()
				opt.Step()
			}
			step() // warm-up (allocates the momentum buffers)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				step()
			}
			modelsBenchReport(b, start)
		})
	}
}
