package benchnets

import (
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/tensor"
)

type benchNetCase struct {
	name string
	make func(seed uint64) Net
}

var benchTrainNets = []benchNetCase{
	{"MLP", func(s uint64) Net { return NewMLP(s) }},
	{"SmallCNN", func(s uint64) Net { return NewSmallCNN(s) }},
	{"ExamplesNet", func(s uint64) Net { return NewExamplesNet(s) }},
}

var benchVisionNets = []benchNetCase{
	{"MobileNetV2", func(s uint64) Net { return NewMobileNetV2(s) }},
	{"ResNet18", func(s uint64) Net { return NewResNet18(s) }},
}

// mnistBatch is a seeded batch of n 1x28x28 images and n labels in [0, 10).
func mnistBatch(g *tensor.Generator, n int) (x, y *tensor.Tensor) {
	return g.Randn(n, 1, 28, 28), g.RandInt(0, 10, n)
}

func numelOf(ts []*tensor.Tensor) int {
	n := 0
	for _, t := range ts {
		n += t.Numel()
	}
	return n
}

// benchParamCounts are PyTorch's parameter totals
// (sum(p.numel() for p in m.parameters())).
var benchParamCounts = map[string]int{
	"MLP": 203530, "SmallCNN": 5130, "ExamplesNet": 1199882,
	"MobileNetV2": 3504872, "ResNet18": 11689512,
}

func checkParamCount(t *testing.T, name string, net Net) {
	t.Helper()
	if got := numelOf(net.Parameters()); got != benchParamCounts[name] {
		t.Errorf("%s: %d parameters, want %d", name, got, benchParamCounts[name])
	}
}

func TestTrainStepLowersLoss(t *testing.T) {
	for _, c := range benchTrainNets {
		t.Run(c.name, func(t *testing.T) {
			g := tensor.NewGenerator(7)
			net := c.make(7)
			checkParamCount(t, c.name, net)
			x, y := mnistBatch(g, 2)
			var out *tensor.Tensor
			autograd.NoGrad(func() { out = net.Forward(x) })
			if s := out.Shape(); !slices.Equal(s, []int{2, 10}) {
				t.Fatalf("forward shape %v, want [2 10]", s)
			}
			opt := NewSGD(net.Parameters(), 0.05, 0.9)
			l0 := TrainStep(net, opt, x, y)
			for i, p := range net.Parameters() {
				if gr := p.Grad(); gr == nil || !slices.Equal(gr.Shape(), p.Shape()) {
					t.Fatalf("parameter %d %v: gradient %v after the step", i, p.Shape(), gr)
				}
			}
			l1 := TrainStep(net, opt, x, y)
			if math.IsNaN(l0) || math.IsNaN(l1) || l1 >= l0 {
				t.Fatalf("loss %v after one step, %v before: want lower", l1, l0)
			}
			// A 10-class cross-entropy at init is near ln 10.
			if l0 < 1 || l0 > 5 {
				t.Errorf("initial loss %v, want about ln 10", l0)
			}
		})
	}
}

func TestCrossEntropyValue(t *testing.T) {
	logits := tensor.FromSlice([]float32{1, 2, 3, 0, 0, 0}, 2, 3)
	y := tensor.FromSlice([]int64{2, 0}, 2)
	// -(log_softmax([1,2,3])[2] + log_softmax([0,0,0])[0]) / 2
	want := (math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3)) - 3 + math.Log(3)) / 2
	if got := CrossEntropy(logits, y).Item(); math.Abs(got-want) > 1e-5 {
		t.Fatalf("cross-entropy %v, want %v", got, want)
	}
}

func TestSGDMomentum(t *testing.T) {
	p := tensor.FromSlice([]float32{1, 2}, 2).SetRequiresGrad(true)
	opt := NewSGD([]*tensor.Tensor{p}, 0.1, 0.9)
	for range 2 {
		opt.ZeroGrad()
		p.Mul(tensor.FromSlice([]float32{3, -1}, 2)).Sum().Backward() // grad (3, -1)
		opt.Step()
	}
	// buffer: g, then 0.9g+g = 1.9g; p = p0 - 0.1*(g + 1.9g) = p0 - 0.29g
	want := []float64{1 - 0.29*3, 2 + 0.29}
	for i, w := range want {
		if got := p.Select(0, i).Item(); math.Abs(got-w) > 1e-6 {
			t.Fatalf("p[%d] = %v, want %v", i, got, w)
		}
	}
}

// TestVisionForwardShape runs MobileNetV2 and ResNet18 at 32x32 (their
// smallest input; the benchmark uses 224x224) to keep the test fast.
func TestVisionForwardShape(t *testing.T) {
	for _, c := range benchVisionNets {
		t.Run(c.name, func(t *testing.T) {
			g := tensor.NewGenerator(3)
			net := c.make(3)
			checkParamCount(t, c.name, net)
			var out *tensor.Tensor
			autograd.NoGrad(func() { out = net.Forward(g.Randn(1, 3, 32, 32)) })
			if s := out.Shape(); !slices.Equal(s, []int{1, 1000}) {
				t.Fatalf("forward shape %v, want [1 1000]", s)
			}
			if out.RequiresGrad() {
				t.Errorf("output under NoGrad requires grad")
			}
			if v := out.Abs().Sum().Item(); math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
				t.Errorf("output sum of |x| = %v, want finite and non-zero", v)
			}
		})
	}
}

// benchOneThread pins the benchmark to one thread, as PyTorch's reference
// runs with torch.set_num_threads(1): the kernels' thread count, and
// GOMAXPROCS too, so that the garbage collector's background work shares
// that one thread (its cost is part of Ember's time).
func benchOneThread(b *testing.B) {
	prevThreads := cpu.SetNumThreads(1)
	prevProcs := runtime.GOMAXPROCS(1)
	b.Cleanup(func() {
		runtime.GOMAXPROCS(prevProcs)
		cpu.SetNumThreads(prevThreads)
	})
}

// benchReport reports the mean wall time per op in milliseconds.
func benchReport(b *testing.B, start time.Time) {
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/1e6/float64(b.N), "ms/op")
}

// BenchmarkTrainStep times one training step (forward, cross-entropy,
// backward, SGD with momentum 0.9) at batch 64, as torch_mnist.py does.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range benchTrainNets {
		b.Run(c.name, func(b *testing.B) {
			benchOneThread(b)
			g := tensor.NewGenerator(0)
			net := c.make(0)
			x, y := mnistBatch(g, 64)
			opt := NewSGD(net.Parameters(), 0.01, 0.9)
			TrainStep(net, opt, x, y) // warm-up (allocates the momentum buffers)
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				TrainStep(net, opt, x, y)
			}
			benchReport(b, start)
		})
	}
}

// BenchmarkForward times eager inference at batch 1 on a 224x224 image.
func BenchmarkForward(b *testing.B) {
	for _, c := range benchVisionNets {
		b.Run(c.name, func(b *testing.B) {
			benchOneThread(b)
			g := tensor.NewGenerator(0)
			net := c.make(0)
			x := g.Randn(1, 3, 224, 224)
			autograd.NoGrad(func() {
				net.Forward(x) // warm-up
				b.ResetTimer()
				start := time.Now()
				for range b.N {
					net.Forward(x)
				}
				benchReport(b, start)
			})
		})
	}
}
