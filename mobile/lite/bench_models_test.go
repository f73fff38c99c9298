package lite_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// zooModel is a network of package models as ember zoo writes it: seeded
// random weights (tensor.ManualSeed(0)), evaluation mode, traced at batch
// 1, mobile.OptimizeForMobile, exported with a bundled test. These are
// the models of ../shared/bench/pytorch/torch_lite.py.
type zooModel struct {
	name  string
	net   func() nn.Module
	shape []int
	bn    bool // has batch norm (folded into the convolutions)
}

var zooModels = []zooModel{
	{"SmallCNN", func() nn.Module { return models.NewSmallCNN() }, []int{1, 1, 28, 28}, false},
	{"ExamplesNet", func() nn.Module { return models.NewExamplesNet() }, []int{1, 1, 28, 28}, false},
	{"MobileNetV2", func() nn.Module { return models.NewMobileNetV2(1000) }, []int{1, 3, 224, 224}, true},
	{"ResNet18", func() nn.Module { return models.NewResNet18(1000) }, []int{1, 3, 224, 224}, true},
}

var (
	zooMu    sync.Mutex
	zooFiles = map[string][]byte{}
)

// file returns the model's .ember file, exported once per process.
func (z zooModel) file(tb testing.TB) []byte {
	tb.Helper()
	zooMu.Lock()
	defer zooMu.Unlock()
	if b, ok := zooFiles[z.name]; ok {
		return b
	}
	tensor.ManualSeed(0)
	net := z.net()
	nn.Eval(net)
	x := tensor.Randn(z.shape...)
	traced, err := jit.Trace(net, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		tb.Fatal(err)
	}
	opt, err := mobile.OptimizeForMobile(traced)
	if err != nil {
		tb.Fatal(err)
	}
	fm, err := mobile.Export(opt, mobile.ExportOptions{ExampleInputs: [][]*tensor.Tensor{{x}}, BundleTests: true})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := format.Encode(fm)
	if err != nil {
		tb.Fatal(err)
	}
	zooFiles[z.name] = b
	return b
}

// load writes the model's file into a temporary folder and loads it as an
// app does (lite.Load maps it).
func (z zooModel) load(tb testing.TB) *lite.Model {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), z.name+".ember")
	if err := os.WriteFile(p, z.file(tb), 0o644); err != nil {
		tb.Fatal(err)
	}
	m, err := lite.Load(p)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// BenchmarkLite runs the models of PyTorch's lite-interpreter benchmark
// (torch_lite.py) at batch 1 on one thread (cpu.SetNumThreads(1),
// GOMAXPROCS 1), reporting ms/op. Compare with
//
//	/usr/bin/python3 ../shared/bench/pytorch/torch_lite.py
//
// run on the same machine at the same time.
func BenchmarkLite(b *testing.B) {
	defer cpu.SetNumThreads(cpu.SetNumThreads(1))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, z := range zooModels {
		b.Run(z.name, func(b *testing.B) {
			m := z.load(b)
			s := m.NewSession()
			fwd := m.Method("forward")
			x := randn(rand.New(rand.NewPCG(1, 2)), fwd.Inputs()[0].Numel(), 1)
			in := []lite.Tensor{{Data: x}}
			if err := s.Run(fwd, in, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Run(fwd, in, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/op")
		})
	}
}

// closeTo reports whether |a-b| <= tol*(1+|b|) elementwise.
func closeTo(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol*(1+math.Abs(float64(b[i]))) {
			return false
		}
	}
	return true
}

// TestZooModels exports the MNIST-sized models of the benchmark and checks
// them in the lite runtime: the bundled test (the traced module's outputs)
// passes, the result equals eager execution's (bit for bit unless batch norm was folded), and a run
// allocates nothing once warm. The vision models are checked under
// -short=false only (they take seconds to export).
func TestZooModels(t *testing.T) {
	for _, z := range zooModels {
		if testing.Short() && z.shape[2] > 28 || raceEnabled && z.shape[2] > 28 {
			continue
		}
		t.Run(z.name, func(t *testing.T) {
			m := z.load(t)
			if err := m.Verify(); err != nil {
				t.Fatal(err)
			}
			tensor.ManualSeed(0)
			net := z.net()
			nn.Eval(net)
			x := randn(rand.New(rand.NewPCG(3, 3)), format.Numel(z.shape), 1)
			var want []float32
			autograd.NoGrad(func() { want = net.(nn.Forwarder).Forward(tensor.FromSlice(x, z.shape...)).ToFloat32s() })
			s := m.NewSession()
			fwd := m.Method("forward")
			y := make([]float32, len(want))
			in, out := []lite.Tensor{{Data: x}}, []lite.Tensor{{Data: y}}
			if err := s.Run(fwd, in, out); err != nil {
				t.Fatal(err)
			}
			// Bit for bit where the optimizer only fused activations (the
			// kernels are eager's); folded batch norm rounds differently.
			if z.bn && !closeTo(y, want, 1e-4) || !z.bn && !sameBits(y, want) {
				t.Errorf("lite %v\neager %v", y[:min(10, len(y))], want[:min(10, len(want))])
			}
			if raceEnabled {
				return
			}
			if a := testing.AllocsPerRun(5, func() { s.Run(fwd, in, out) }); a != 0 {
				t.Errorf("%v allocations per run", a)
			}
		})
	}
}
