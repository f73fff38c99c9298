package models

import (
	"runtime"
	"testing"
	"time"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// The benchmarks run on one thread, as the PyTorch references do
// (torch.set_num_threads(1)):
//
//	go test -run '^$' -bench . -benchtime 10x ./models/
//	/usr/bin/python3 shared/bench/pytorch/torch_mnist.py 1   # BenchmarkTrainStep
//	/usr/bin/python3 internal/benchnets/torch_eager.py 1     # BenchmarkForward

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

// modelsBenchSGD is torch.optim.SGD(lr, momentum) without dampening or
// weight decay, the optimiser of torch_mnist.py: b = μ·b + g (b = g at
// first), p -= lr·b.
type modelsBenchSGD struct {
	params   []*tensor.Tensor
	bufs     []*tensor.Tensor
	lr       float64
	momentum *tensor.Tensor
}

func (o *modelsBenchSGD) step() {
	autograd.NoGrad(func() {
		for i, p := range o.params {
			g := p.Grad()
			if g == nil {
				continue
			}
			if o.bufs[i] == nil {
				o.bufs[i] = g.Clone()
			} else {
				o.bufs[i].Mul_(o.momentum).Add_(g)
			}
			p.AddScaled_(o.bufs[i], -o.lr)
		}
	})
}

// BenchmarkTrainStep times a training step at batch 64 on 28×28 images,
// as torch_mnist.py does: zero the gradients, forward, cross-entropy
// (log_softmax and the negative mean of the target entries, applied to
// ExamplesNet's log-probabilities too, as F.cross_entropy is there),
// backward, and SGD with momentum 0.9.
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
			params := nn.Parameters(m)
			opt := &modelsBenchSGD{params: params, bufs: make([]*tensor.Tensor, len(params)), lr: 0.01, momentum: tensor.Scalar(0.9)}
			step := func() {
				nn.ZeroGrad(m)
				modelsNLL(m.Forward(x).LogSoftmax(1), y).Backward()
				opt.step()
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
