package mobile_test

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/accel/cpu"
	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/mobile/format"
	"github.com/emberml/ember/mobile/lite"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// export exports m on the example input sets and loads the file with the
// lite runtime.
func export(t *testing.T, m *jit.Module, o mobile.ExportOptions) (*format.Model, *lite.Model) {
	t.Helper()
	fm, err := mobile.Export(m, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := format.Encode(fm)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := lite.LoadBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lm.Close() })
	return fm, lm
}

func sets(inputs ...*tensor.Tensor) [][]*tensor.Tensor {
	var out [][]*tensor.Tensor
	for _, x := range inputs {
		out = append(out, []*tensor.Tensor{x})
	}
	return out
}

// liteRun runs method of lm on float32 inputs and returns its float32
// outputs.
func liteRun(t *testing.T, lm *lite.Model, method string, inputs ...*tensor.Tensor) [][]float32 {
	t.Helper()
	mt := lm.Method(method)
	if mt == nil {
		t.Fatalf("no method %s", method)
	}
	in := make([]lite.Tensor, len(inputs))
	for i, x := range inputs {
		in[i] = lite.Tensor{Shape: x.Shape(), Data: x.Detach().ToFloat32s()}
	}
	outs := mt.Outputs()
	res := make([][]float32, len(outs))
	out := make([]lite.Tensor, len(outs))
	for i, o := range outs {
		res[i] = make([]float32, o.Numel())
		out[i] = lite.Tensor{Data: res[i]}
	}
	if err := lm.NewSession().Run(mt, in, out); err != nil {
		t.Fatal(err)
	}
	return res
}

// compare compares lite's outputs with a jit module's (or eager's): the
// same bits when tol is 0, else within tol of their largest magnitude. It
// returns the largest difference relative to that magnitude.
func compare(t *testing.T, what string, want []*tensor.Tensor, got [][]float32, tol float64) float64 {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d outputs, want %d", what, len(got), len(want))
	}
	var diff, scale float64
	for i := range want {
		w := want[i].Detach().ToFloat32s()
		if len(w) != len(got[i]) {
			t.Fatalf("%s: output %d has %d elements, want %d", what, i, len(got[i]), len(w))
		}
		for j := range w {
			if tol == 0 && math.Float32bits(w[j]) != math.Float32bits(got[i][j]) {
				t.Fatalf("%s: output %d element %d is %v, want %v (the same bits)", what, i, j, got[i][j], w[j])
			}
			diff = max(diff, math.Abs(float64(w[j])-float64(got[i][j])))
			scale = max(scale, math.Abs(float64(w[j])))
		}
	}
	if scale == 0 {
		t.Fatalf("%s: the outputs are all zero: the comparison would prove nothing", what)
	}
	if diff > tol*scale {
		t.Errorf("%s: outputs differ by %g, more than %g of their magnitude %g", what, diff, tol, scale)
	}
	return diff / scale
}

func call(t *testing.T, m *jit.Module, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := m.Call(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// arenaStats returns the planned arena of method 0 and the sum of the
// sizes of its arena values.
func arenaStats(fm *format.Model) (arena, naive int64) {
	m := &fm.Methods[0]
	for i := range m.Values {
		if !m.Values[i].IsConstant() {
			naive += m.Values[i].Bytes()
		}
	}
	return m.ArenaSize, naive
}

// TestExportModels exports the networks of package models, traced in
// evaluation mode and optimized, runs the files with the lite runtime and
// compares: the same bits as the optimized module in the jit executor (the
// same kernels), within 1e-5 of eager (batch norm folding changes the
// rounding).
func TestExportModels(t *testing.T) {
	tensor.ManualSeed(7)
	cases := []struct {
		name  string
		m     func() nn.Module
		shape []int
		big   bool
	}{
		{"SmallCNN", func() nn.Module { return models.NewSmallCNN() }, []int{2, 1, 28, 28}, false},
		{"ExamplesNet", func() nn.Module { return models.NewExamplesNet() }, []int{1, 1, 28, 28}, false},
		{"MLP", func() nn.Module { return models.NewMLP() }, []int{3, 1, 28, 28}, false},
		{"MobileNetV2", func() nn.Module { return models.NewMobileNetV2(10) }, []int{1, 3, 64, 64}, true},
		{"ResNet18", func() nn.Module { return models.NewResNet18(10) }, []int{1, 3, 32, 32}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.big && (raceEnabled || testing.Short()) {
				t.Skip("large model: skipped with -race and -short")
			}
			net := c.m()
			randomizeBN(net)
			x := tensor.Randn(c.shape...)
			tm := trace(t, net, x)
			om := optimize(t, tm)
			fm, lm := export(t, om, mobile.ExportOptions{ExampleInputs: sets(x), BundleTests: true})
			if err := lm.Verify(); err != nil {
				t.Fatal(err)
			}
			for k, in := range []*tensor.Tensor{x, tensor.Randn(c.shape...)} {
				got := liteRun(t, lm, "forward", in)
				compare(t, fmt.Sprintf("input %d: lite vs optimized jit", k), call(t, om, in), got, 0)
				var want []*tensor.Tensor
				func() {
					defer tensor.SetGradEnabled(false)()
					want = []*tensor.Tensor{net.(nn.Forwarder).Forward(in)}
				}()
				rel := compare(t, fmt.Sprintf("input %d: lite vs eager", k), want, got, 1e-5)
				if k == 0 {
					arena, naive := arenaStats(fm)
					b, _ := format.Encode(fm)
					t.Logf("%d instructions, arena %d bytes (values: %d bytes, %.0f%%), file %d bytes, lite vs eager %.2g",
						len(fm.Methods[0].Instructions), arena, naive, 100*float64(arena)/float64(naive), len(b), rel)
					if arena > naive {
						t.Errorf("arena %d larger than the sum of the values %d", arena, naive)
					}
				}
			}
		})
	}
}

// TestExportUnoptimized exports traced modules as they are: the lite run
// gives eager's bits.
func TestExportUnoptimized(t *testing.T) {
	tensor.ManualSeed(8)
	for _, c := range []struct {
		name  string
		m     nn.Forwarder
		shape []int
	}{
		{"MLP", models.NewMLP(), []int{4, 1, 28, 28}},
		{"SmallCNN", models.NewSmallCNN(), []int{1, 1, 28, 28}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := tensor.Randn(c.shape...)
			tm := trace(t, c.m, x)
			fm, lm := export(t, tm, mobile.ExportOptions{ExampleInputs: sets(x)})
			for _, k := range fm.Constants {
				if k.Packing != format.PackNone {
					t.Errorf("constant %s is packed without the prepack pass", k.Name)
				}
			}
			got := liteRun(t, lm, "forward", x)
			compare(t, "lite vs jit", call(t, tm, x), got, 0)
			var want *tensor.Tensor
			func() {
				defer tensor.SetGradEnabled(false)()
				want = c.m.Forward(x)
			}()
			compare(t, "lite vs eager", []*tensor.Tensor{want}, got, 0)
		})
	}
}

// cfNet has an if and a loop that depend on the input's values: the
// number of steps is the sum of the input, truncated.
type cfNet struct {
	nn.Base
	Fc, Step, Head *nn.Linear
}

func (m *cfNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	h := m.Fc.Forward(x)
	n := int(x.SumDims(nil, false).Item())
	if n > 2 {
		h = h.ReLU()
	} else {
		h = h.Tanh().MulScalar(2)
	}
	for i := 0; i < n; i++ {
		h = m.Step.Forward(h).Tanh().AddScalar(0.5)
	}
	return m.Head.Forward(h)
}

// steps returns a [b, 4] input whose elements sum to about k + 0.5.
func steps(b, k int) *tensor.Tensor {
	v := tensor.Randn(b, 4).ToFloat32s()
	var s float32
	for _, x := range v {
		s += x
	}
	for i := range v {
		v[i] += (float32(k) + 0.5 - s) / float32(len(v))
	}
	return tensor.FromSlice(v, b, 4)
}

func newCFNet() *cfNet {
	return &cfNet{Fc: nn.NewLinear(4, 8), Step: nn.NewLinear(8, 8), Head: nn.NewLinear(8, 3)}
}

// TestExportControlFlow exports a scripted model with an if and a loop
// that depend on the input's values: the lite run takes the branch and the
// number of iterations the jit module does, for inputs beyond the examples
// too, with the same bits.
func TestExportControlFlow(t *testing.T) {
	tensor.ManualSeed(9)
	net := newCFNet()
	nn.Eval(net)
	sm, err := jit.Script(net)
	if err != nil {
		t.Fatal(err)
	}
	for _, optimized := range []bool{false, true} {
		m := sm
		if optimized {
			m = optimize(t, sm)
		}
		t.Run(fmt.Sprintf("optimized=%v", optimized), func(t *testing.T) {
			// Examples that take both branches and run the loop.
			fm, lm := export(t, m, mobile.ExportOptions{ExampleInputs: sets(steps(2, 1), steps(2, 4)), BundleTests: true})
			if err := lm.Verify(); err != nil {
				t.Fatal(err)
			}
			kinds := map[format.InstrKind]int{}
			for _, in := range fm.Methods[0].Instructions {
				kinds[in.Kind]++
			}
			if kinds[format.InstrJump] == 0 || kinds[format.InstrJumpIfFalse] == 0 || kinds[format.InstrMove] == 0 {
				t.Errorf("no jumps or moves: %v", kinds)
			}
			for k := range 8 {
				x := steps(2, k)
				compare(t, fmt.Sprintf("%d steps", k), call(t, m, x), liteRun(t, lm, "forward", x), 0)
			}
		})
	}
}

// bsNet branches on the batch size.
type bsNet struct {
	nn.Base
	Fc *nn.Linear
}

func (m *bsNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	h := m.Fc.Forward(x)
	if x.Size(0) > 1 {
		h = h.Softmax(0)
	} else {
		h = h.Sigmoid()
	}
	return h
}

// TestExportBatchSizes exports a model that branches on the batch size:
// a .ember file has static shapes, so it is scripted once per batch size
// with the input's shape fixed, which folds the branch; with the shape
// left open, the branch that the example does not take cannot be
// exported, and the error says what to do.
func TestExportBatchSizes(t *testing.T) {
	tensor.ManualSeed(10)
	net := &bsNet{Fc: nn.NewLinear(5, 3)}
	nn.Eval(net)
	for _, b := range []int{1, 2, 3} {
		sm, err := jit.Script(net, jit.ScriptOptions{Inputs: []ir.Type{ir.TensorType(tensor.Float32, ir.Dims(b, 5)...)}})
		if err != nil {
			t.Fatal(err)
		}
		om := optimize(t, sm)
		x := tensor.Randn(b, 5)
		_, lm := export(t, om, mobile.ExportOptions{ExampleInputs: sets(x)})
		compare(t, fmt.Sprintf("batch %d", b), call(t, om, x), liteRun(t, lm, "forward", x), 0)
	}
	sm, err := jit.Script(net)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mobile.Export(sm, mobile.ExportOptions{ExampleInputs: sets(tensor.Randn(2, 5))})
	var ee *mobile.ExportError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "never computed") || ee.Op != "sigmoid" || !strings.Contains(ee.Pos, "export_test.go") {
		t.Errorf("a branch no example takes: got %v", err)
	}
	// Two batch sizes in one file: shapes differ.
	_, err = mobile.Export(sm, mobile.ExportOptions{ExampleInputs: sets(tensor.Randn(2, 5), tensor.Randn(1, 5))})
	if err == nil || !strings.Contains(err.Error(), "static shapes") {
		t.Errorf("two batch sizes: got %v", err)
	}
}

// loopIR has a for loop whose carried values swap (a parallel move: a, b
// = b, a+b), a while loop, an if that returns an outer value in one branch
// and a check that raises.
const loopIR = `module {
  const w : float32[3, 3] constant
  method forward(%x: float32[1, 3], %n: float32[1]) -> (float32[1, 3], float32[1, 3], float32[1, 3]) {
    %f = prim.item(%n) : float
    %k = prim.int(%f) : int
    %zero = prim.constant() {value=0} : int
    %neg = prim.lt(%k, %zero) : bool
    prim.if(%neg) {
      prim.raise() {msg="n is negative"}  # loop.go:1
      return
    } else {
      return
    }
    %t = prim.constant() {value=true} : bool
    %w = prim.param() {name="w"} : float32[3, 3]
    %a, %b = prim.loop(%k, %t, %x, %x) : float32[1, 3], float32[1, 3] {
      block(%i: int, %p: float32[1, 3], %q: float32[1, 3]):
      %s = add(%p, %q) : float32[1, 3]  # loop.go:2
      %c = prim.constant() {value=true} : bool
      return %c, %q, %s
    }
    %max = prim.constant() {value=9223372036854775807} : int
    %lim = prim.constant() {value=100.0} : float
    %big = prim.constant() {value=4} : int
    %y = prim.loop(%max, %t, %x) : float32[1, 3] {
      block(%j: int, %h: float32[1, 3]):
      %h2 = linear(%h, %w, none) : float32[1, 3]  # loop.go:3
      %sq = mul(%h2, %h2) : float32[1, 3]
      %ss = sum_dims(%sq) {dims=none, keepdim=false} : float32[]
      %v = prim.item(%ss) : float
      %more = prim.lt(%v, %lim) : bool
      %few = prim.lt(%j, %big) : bool
      %go = prim.and(%more, %few) : bool
      return %go, %h2
    }
    %c2 = prim.gt(%k, %big) : bool
    %z = prim.if(%c2) : float32[1, 3] {
      return %a
    } else {
      %r = relu(%b) : float32[1, 3]
      return %r
    }
    return %b, %y, %z
  }
}`

// TestExportLoops exports hand-written IR with loops (a parallel move, a
// while loop) and ifs, and runs it for several trip counts.
func TestExportLoops(t *testing.T) {
	tensor.ManualSeed(11)
	w := tensor.Randn(3, 3).MulScalar(1.5)
	mod, err := ir.Parse(loopIR, map[string]*tensor.Tensor{"w": w})
	if err != nil {
		t.Fatal(err)
	}
	m, err := jit.NewModule(mod)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.FromSlice([]float32{0.5, -1, 2}, 1, 3)
	n := func(k float32) *tensor.Tensor { return tensor.FromSlice([]float32{k}, 1) }
	_, lm := export(t, m, mobile.ExportOptions{ExampleInputs: [][]*tensor.Tensor{{x, n(2)}, {x, n(6)}}, InputNames: []string{"x", "n"}})
	for _, k := range []float32{0, 1, 2, 3, 5, 6, 9} {
		compare(t, fmt.Sprintf("n=%v", k), call(t, m, x, n(k)), liteRun(t, lm, "forward", x, n(k)), 0)
	}
	// The raise.
	err = lm.NewSession().Run(lm.Method("forward"), []lite.Tensor{{Data: x.ToFloat32s()}, {Data: []float32{-3}}}, nil)
	if err == nil || !strings.Contains(err.Error(), "n is negative") {
		t.Errorf("negative n: got %v", err)
	}
}

// TestExportCalls exports two methods of a module whose forward calls
// another method: the calls are inlined.
func TestExportCalls(t *testing.T) {
	const src = `module {
  const w : float32[3, 3] constant
  method double(%a: float32[2, 3]) -> (float32[2, 3]) {
    %w = prim.param() {name="w"} : float32[3, 3]
    %0 = matmul(%a, %w) : float32[2, 3]
    %1 = mul_scalar(%0) {s=2.0} : float32[2, 3]
    return %1
  }
  method fact(%n: int) -> (int) {
    %r = prim.call(%n) {method="fact"} : int
    return %r
  }
  method forward(%x: float32[2, 3]) -> (float32[2, 3], float32[2, 3]) {
    %0 = prim.call(%x) {method="double"} : float32[2, 3]
    %1 = prim.call(%0) {method="double"} : float32[2, 3]
    return %0, %1
  }
}`
	w := tensor.Randn(3, 3)
	mod, err := ir.Parse(src, map[string]*tensor.Tensor{"w": w})
	if err != nil {
		t.Fatal(err)
	}
	m, err := jit.NewModule(mod)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Randn(2, 3)
	fm, lm := export(t, m, mobile.ExportOptions{ExampleInputs: sets(x), Methods: []string{"forward", "double"}})
	if len(fm.Methods) != 2 || len(fm.Constants) != 1 {
		t.Errorf("%d methods, %d constants; want 2 and 1 (w, shared by both)", len(fm.Methods), len(fm.Constants))
	}
	compare(t, "forward", call(t, m, x), liteRun(t, lm, "forward", x), 0)
	res, err := m.Run("double", x)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, "double", []*tensor.Tensor{res[0].(*tensor.Tensor)}, liteRun(t, lm, "double", x), 0)
	if names := fm.Methods[0].Values[fm.Methods[0].Outputs[1]].Name; names != "output1" {
		t.Errorf("output 1 is named %q", names)
	}
	// The recursive method is not exported, and is refused when asked for.
	if _, err := mobile.Export(m, mobile.ExportOptions{ExampleInputs: sets(x), Methods: []string{"fact"}}); err == nil || !strings.Contains(err.Error(), "itself") {
		t.Errorf("recursion: got %v", err)
	}
}

// TestExportBundledTests checks that Verify runs the bundled tests and
// fails when an expected value is corrupted.
func TestExportBundledTests(t *testing.T) {
	tensor.ManualSeed(12)
	net := models.NewSmallCNN()
	x1, x2 := tensor.Randn(1, 1, 28, 28), tensor.Randn(1, 1, 28, 28)
	om := optimize(t, trace(t, net, x1))
	for _, tol := range []float32{0, -1, 1e-3} {
		fm, lm := export(t, om, mobile.ExportOptions{ExampleInputs: sets(x1, x2), BundleTests: true, TestTolerance: tol})
		if len(fm.Tests) != 2 {
			t.Fatalf("%d tests, want 2", len(fm.Tests))
		}
		if err := lm.Verify(); err != nil {
			t.Fatalf("tolerance %v: %v", tol, err)
		}
		switch want := fm.Tests[0].Tolerance; {
		case tol < 0 && want != 0, tol > 0 && want != tol, tol == 0 && (want <= 1e-4 || want > 1e-2):
			t.Errorf("TestTolerance %v gives a tolerance of %v", tol, want)
		}
		// Corrupt an expected value by more than the tolerance.
		e := &fm.Constants[fm.Tests[1].Expected[0]]
		v := float32s(e.Data)
		v[3] += 1
		e.Data = format.Float32Bytes(v)
		b, err := format.Encode(fm)
		if err != nil {
			t.Fatal(err)
		}
		bad, err := lite.LoadBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := bad.Verify(); err == nil {
			t.Errorf("tolerance %v: a corrupted expected value passes Verify", tol)
		}
	}
	_, lm := export(t, om, mobile.ExportOptions{ExampleInputs: sets(x1)})
	if err := lm.Verify(); err == nil {
		t.Error("Verify passes without bundled tests")
	}
}

type expNet struct{ nn.Base }

func (expNet) Forward(x *tensor.Tensor) *tensor.Tensor { return x.Exp().ReLU() }

// TestExportErrors checks what cannot be exported, and that the errors
// say where.
func TestExportErrors(t *testing.T) {
	tensor.ManualSeed(13)
	x := tensor.Randn(2, 4)
	tm := trace(t, &expNet{}, x)
	_, err := mobile.Export(tm, mobile.ExportOptions{ExampleInputs: sets(x)})
	if err == nil || !strings.Contains(err.Error(), "exp") || !strings.Contains(err.Error(), "export_test.go") || !strings.Contains(err.Error(), "lite runtime") {
		t.Errorf("unsupported op: got %v", err)
	}
	// Training-mode dropout.
	drop := nn.NewSequential(nn.NewLinear(4, 4), nn.NewDropout(0.5))
	nn.Train(drop)
	dm, err := jit.Trace(drop, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mobile.Export(dm, mobile.ExportOptions{ExampleInputs: sets(x)}); err == nil || !strings.Contains(err.Error(), "mobile lint dropout") || !strings.Contains(err.Error(), "training mode") {
		t.Errorf("training-mode dropout: got %v", err)
	}
	// Training-mode batch norm; evaluation-mode dropout is a copy.
	bn := nn.NewSequential(nn.NewLinear(4, 4), nn.NewBatchNorm1d(4), nn.NewDropout(0.5))
	nn.Train(bn)
	nn.Eval(bn.At(2).(nn.Module))
	bm, err := jit.Trace(bn, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mobile.Export(bm, mobile.ExportOptions{ExampleInputs: sets(x)}); err == nil || !strings.Contains(err.Error(), "training_batch_norm") || strings.Contains(err.Error(), "dropout") {
		t.Errorf("training-mode batch norm: got %v", err)
	}
	nn.Eval(bn)
	bm = trace(t, bn, x)
	_, lm := export(t, bm, mobile.ExportOptions{ExampleInputs: sets(x)})
	compare(t, "evaluation-mode dropout", call(t, bm, x), liteRun(t, lm, "forward", x), 0)
	mlp := trace(t, models.NewMLP(), tensor.Randn(1, 784))
	for _, c := range []struct {
		o    mobile.ExportOptions
		want string
	}{
		{mobile.ExportOptions{}, "no example inputs"},
		{mobile.ExportOptions{ExampleInputs: sets(tensor.Randn(1, 784)), Methods: []string{"encode"}}, `no method "encode"`},
		{mobile.ExportOptions{ExampleInputs: sets(tensor.Randn(1, 784)), InputNames: []string{"a", "b"}}, "2 input names for 1 inputs"},
		{mobile.ExportOptions{ExampleInputs: sets(tensor.Randn(1, 784)), OutputNames: []string{"a", "b"}}, "2 output names for 1 outputs"},
		{mobile.ExportOptions{ExampleInputs: sets(tensor.Randn(1, 785))}, "example input set 0"},
		{mobile.ExportOptions{ExampleInputs: sets(tensor.Randn(1, 784), tensor.Randn(2, 784))}, "example input set 1"},
	} {
		if _, err := mobile.Export(mlp, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	if _, err := mobile.Export(nil, mobile.ExportOptions{}); err == nil {
		t.Error("nil module: no error")
	}
}

// TestExportMetadata checks that metadata, extra files and the names of
// inputs and outputs reach the lite runtime, and Save writes a file that
// lite.Load maps.
func TestExportMetadata(t *testing.T) {
	tensor.ManualSeed(14)
	x := tensor.Randn(1, 1, 28, 28)
	om := optimize(t, trace(t, models.NewSmallCNN(), x))
	md := &format.Metadata{Name: "smallcnn", Description: "a test", Author: "ember", License: "MIT",
		Labels: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, Mean: []float32{0.1307}, Std: []float32{0.3081}}
	extra := map[string][]byte{"vocab.txt": []byte("a\nb\n"), "empty": {}, "config.json": []byte(`{"k": 1}`)}
	path := filepath.Join(t.TempDir(), "m.ember")
	if err := mobile.Save(path, om, mobile.ExportOptions{ExampleInputs: sets(x), Metadata: md, ExtraFiles: extra,
		InputNames: []string{"image"}, OutputNames: []string{"logits"}}); err != nil {
		t.Fatal(err)
	}
	lm, err := lite.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	got := lm.Metadata()
	if got.Name != md.Name || got.Description != md.Description || got.Author != md.Author || got.License != md.License ||
		!slices.Equal(got.Labels, md.Labels) || !slices.Equal(got.Mean, md.Mean) || !slices.Equal(got.Std, md.Std) || got.Producer != mobile.Producer {
		t.Errorf("metadata %+v, want %+v", got, md)
	}
	for k, v := range extra {
		if b, ok := lm.ExtraFile(k); !ok || string(b) != string(v) {
			t.Errorf("extra file %q: %q, %v", k, b, ok)
		}
	}
	mt := lm.Method("forward")
	if in, out := mt.Inputs(), mt.Outputs(); in[0].Name != "image" || out[0].Name != "logits" || !slices.Equal(in[0].Shape, []int{1, 1, 28, 28}) {
		t.Errorf("inputs %v, outputs %v", in, out)
	}
	compare(t, "saved", call(t, om, x), liteRun(t, lm, "forward", x), 0)
	// Save is atomic: no temporary file is left.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files in the folder", len(entries))
	}
	if err := mobile.Save(filepath.Join(t.TempDir(), "no", "such", "dir", "m.ember"), om, mobile.ExportOptions{ExampleInputs: sets(x)}); err == nil {
		t.Error("Save into a missing folder: no error")
	}
}

// tiedNet uses one weight twice and the same scalar constants.
type tiedNet struct {
	nn.Base
	Fc *nn.Linear
}

func (m *tiedNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Fc.Forward(m.Fc.Forward(x).MulScalar(2)).Flatten(0, -1)
}

// TestExportSharing checks that constants are stored once, that a copy
// shares its input's bytes and that an elementwise op writes over an input
// that dies there.
func TestExportSharing(t *testing.T) {
	tensor.ManualSeed(15)
	x := tensor.Randn(2, 4)
	tm := trace(t, &tiedNet{Fc: nn.NewLinear(4, 4)}, x)
	fm, lm := export(t, tm, mobile.ExportOptions{ExampleInputs: sets(x)})
	if len(fm.Constants) != 2 {
		t.Errorf("%d constants, want 2 (weight and bias, once each)", len(fm.Constants))
	}
	compare(t, "tied", call(t, tm, x), liteRun(t, lm, "forward", x), 0)
	m := &fm.Methods[0]
	for _, in := range m.Instructions {
		op := fm.OpCodes[in.Op].Name
		if in.Kind != format.InstrOp {
			continue
		}
		a, b := m.Values[in.Inputs[0]], m.Values[in.Outputs[0]]
		switch op {
		case "mul_scalar":
			if a.ArenaOffset != b.ArenaOffset {
				t.Errorf("mul_scalar does not write over its input, which dies there")
			}
		case "flatten":
			if a.ArenaOffset != b.ArenaOffset {
				t.Errorf("flatten copies")
			}
		}
	}
}

// TestExportTestdata writes small exported files into testdata (with
// -update) and checks that the files there load and pass their bundled
// tests.
func TestExportTestdata(t *testing.T) {
	if *update {
		tensor.ManualSeed(16)
		x := tensor.Randn(1, 1, 28, 28)
		cnn := optimize(t, trace(t, models.NewSmallCNN(), x))
		mlp := optimize(t, trace(t, models.NewMLP(), x))
		net := newCFNet()
		nn.Eval(net)
		sm, err := jit.Script(net)
		if err != nil {
			t.Fatal(err)
		}
		cf := optimize(t, sm)
		for name, c := range map[string]struct {
			m    *jit.Module
			sets [][]*tensor.Tensor
		}{
			"smallcnn": {cnn, sets(x)},
			"mlp":      {mlp, sets(x)},
			"control":  {cf, sets(steps(1, 1), steps(1, 3))},
		} {
			path := filepath.Join("testdata", name+".ember")
			if err := mobile.Save(path, c.m, mobile.ExportOptions{ExampleInputs: c.sets, BundleTests: true,
				Metadata: &format.Metadata{Name: name}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ember"))
	if len(files) < 3 {
		t.Fatalf("%d files in testdata: run go test -run TestExportTestdata -update", len(files))
	}
	// With every GEMM kernel of this machine: the packed weights are used
	// in place or repacked, and the bundled tests' default tolerance
	// absorbs the kernels' different rounding.
	defer cpu.SetKernel("")
	for _, k := range cpu.Kernels() {
		if err := cpu.SetKernel(k); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			lm, err := lite.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := lm.Verify(); err != nil {
				t.Errorf("kernel %s: %s: %v", k, f, err)
			}
			lm.Close()
		}
	}
}

var update = flag.Bool("update", false, "rewrite the exported files in testdata")

// float32s decodes little-endian float32 bytes.
func float32s(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// ewNet chains every elementwise op the exporter lets write over its
// input, and a batch norm.
type ewNet struct {
	nn.Base
	Fc *nn.Linear
	BN *nn.BatchNorm1d
}

func (m *ewNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	h := m.BN.Forward(m.Fc.Forward(x))
	k := h.Tanh() // lives on: the ops below may not write over it
	h = h.ReLU().AddScalar(0.1).ReLU6().Sigmoid().SubScalar(0.3).SiLU().MulScalar(3).Hardswish().DivScalar(0.7)
	h = h.Hardsigmoid().Hardtanh(-0.5, 0.6).Clamp(-0.2, 0.9).GELU("none").GELU("tanh").LeakyReLU(0.2).ELU(1.5)
	h = h.Add(k).Sub(k).Mul(k).Div(k.AddScalar(2))
	return h.Add(h).Add(k)
}

// TestExportInPlace checks that elementwise ops write over an input that
// dies there, which the lite runtime accepts and runs to the same bits.
func TestExportInPlace(t *testing.T) {
	tensor.ManualSeed(17)
	net := &ewNet{Fc: nn.NewLinear(6, 5), BN: nn.NewBatchNorm1d(5)}
	randomizeBN(net)
	x := tensor.Randn(3, 6)
	tm := trace(t, net, x)
	fm, lm := export(t, tm, mobile.ExportOptions{ExampleInputs: sets(x)})
	compare(t, "lite vs jit", call(t, tm, x), liteRun(t, lm, "forward", x), 0)
	m := &fm.Methods[0]
	inPlace := map[string]bool{}
	for _, in := range m.Instructions {
		op := fm.OpCodes[in.Op].Name
		for _, i := range in.Inputs {
			if i >= 0 && !m.Values[i].IsConstant() && m.Values[i].ArenaOffset == m.Values[in.Outputs[0]].ArenaOffset {
				inPlace[op] = true
			}
		}
	}
	for _, op := range []string{"batch_norm", "relu", "add_scalar", "relu6", "sigmoid", "sub_scalar", "silu", "mul_scalar", "hardswish",
		"div_scalar", "hardsigmoid", "hardtanh", "clamp", "gelu", "leaky_relu", "elu", "add", "sub", "mul", "div"} {
		if !inPlace[op] {
			t.Errorf("%s does not write over its input", op)
		}
	}
	if inPlace["tanh"] {
		t.Error("tanh writes over an input that is still needed")
	}
}
