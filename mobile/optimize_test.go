package mobile_test

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// trace traces m in evaluation mode on inputs, with warnings dropped.
func trace(t *testing.T, m nn.Module, inputs ...*tensor.Tensor) *jit.Module {
	t.Helper()
	nn.Eval(m)
	tm, err := jit.Trace(m, inputs, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// runPasses runs passes on a copy of tm's IR with a verifying pass manager
// and returns the result as a module.
func runPasses(t *testing.T, tm *jit.Module, passes ...ir.Pass) *jit.Module {
	t.Helper()
	mod := tm.IR().Clone()
	pm := ir.NewPassManager(passes...)
	pm.Schema = jit.Schema
	if err := pm.Run(mod); err != nil {
		t.Fatal(err)
	}
	out, err := jit.NewModule(mod)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// optimize runs OptimizeForMobile, failing on an error, and on a lint
// unless the options take the lints.
func optimize(t *testing.T, tm *jit.Module, o ...mobile.OptimizeOptions) *jit.Module {
	t.Helper()
	if len(o) == 0 {
		o = []mobile.OptimizeOptions{{}}
	}
	if o[0].Lints == nil {
		o[0].Lints = func(l mobile.Lint) { t.Errorf("lint: %v", l) }
	}
	om, err := mobile.OptimizeForMobile(tm, o...)
	if err != nil {
		t.Fatal(err)
	}
	return om
}

// ops counts the ops of the forward method of tm, nested blocks included.
func ops(tm *jit.Module) map[string]int {
	c := map[string]int{}
	tm.IR().Method("forward").Walk(func(n *ir.Node) bool {
		c[n.Op]++
		return true
	})
	return c
}

// wantOps checks that tm's forward has each op of has and none of hasNot.
func wantOps(t *testing.T, tm *jit.Module, has, hasNot []string) {
	t.Helper()
	c := ops(tm)
	for _, op := range has {
		if c[op] == 0 {
			t.Errorf("no %s in\n%s", op, tm.Graph())
		}
	}
	for _, op := range hasNot {
		if c[op] != 0 {
			t.Errorf("%d %s left in\n%s", c[op], op, tm.Graph())
		}
	}
}

// wantText checks that the graph's text holds each of the strings.
func wantText(t *testing.T, tm *jit.Module, subs ...string) {
	t.Helper()
	g := tm.Graph()
	for _, s := range subs {
		if !strings.Contains(g, s) {
			t.Errorf("no %q in\n%s", s, g)
		}
	}
}

// maxDiff returns max |a - b| over the outputs and max |a|.
func maxDiff(t *testing.T, a, b []*tensor.Tensor) (diff, scale float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d outputs, want %d", len(b), len(a))
	}
	for i := range a {
		if !slices.Equal(a[i].Shape(), b[i].Shape()) {
			t.Fatalf("output %d has shape %v, want %v", i, b[i].Shape(), a[i].Shape())
		}
		x, y := a[i].ToFloat64s(), b[i].ToFloat64s()
		for j := range x {
			diff = math.Max(diff, math.Abs(x[j]-y[j]))
			scale = math.Max(scale, math.Abs(x[j]))
			if math.IsNaN(x[j]) != math.IsNaN(y[j]) {
				t.Fatalf("output %d element %d: %v, want %v", i, j, y[j], x[j])
			}
		}
	}
	return diff, scale
}

// wantClose checks that got's outputs on inputs are within 1e-5 of
// want's, relative to their largest magnitude, and returns the relative
// difference.
func wantClose(t *testing.T, want, got *jit.Module, inputs ...*tensor.Tensor) float64 {
	t.Helper()
	a, err := want.Call(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.Call(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	diff, scale := maxDiff(t, a, b)
	if scale == 0 {
		t.Fatalf("outputs are all zero: the comparison would prove nothing")
	}
	if diff > 1e-5*scale {
		t.Errorf("outputs differ by %g (max |output| %g), more than 1e-5 relative", diff, scale)
	}
	return diff / scale
}

// wantEqual checks that got's outputs on inputs equal want's bit for bit.
func wantEqual(t *testing.T, want, got *jit.Module, inputs ...*tensor.Tensor) {
	t.Helper()
	a, err := want.Call(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := got.Call(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	if diff, _ := maxDiff(t, a, b); diff != 0 {
		t.Errorf("outputs differ by %g, want the same bits", diff)
	}
}

// randomizeBN gives every batch norm of m random running statistics,
// weight and bias, so that folding them is not the identity.
func randomizeBN(m nn.Module) {
	params := map[string]*tensor.Tensor{}
	for _, p := range nn.NamedParameters(m) {
		params[p.Name] = p.Tensor
	}
	autograd.NoGrad(func() {
		for _, b := range nn.NamedBuffers(m) {
			prefix, ok := strings.CutSuffix(b.Name, ".running_mean")
			if !ok {
				continue
			}
			c := b.Tensor.Size(0)
			b.Tensor.Copy_(tensor.Randn(c).MulScalar(0.3))
			for _, v := range nn.NamedBuffers(m) {
				if v.Name == prefix+".running_var" {
					v.Tensor.Copy_(tensor.Rand(c).AddScalar(0.5))
				}
			}
			if w := params[prefix+".weight"]; w != nil {
				w.Copy_(tensor.Rand(c).AddScalar(0.5))
			}
			if bias := params[prefix+".bias"]; bias != nil {
				bias.Copy_(tensor.Randn(c).MulScalar(0.3))
			}
		}
	})
}

// TestOptimizeModels runs the whole pipeline on the networks of package
// models, traced with grad recording on and off, in evaluation mode with
// random batch norm statistics: the outputs stay within 1e-5, batch norm
// and dropout are gone, the ReLUs are fused, the input module is
// unchanged, and the optimized module survives Save and Load.
func TestOptimizeModels(t *testing.T) {
	tensor.ManualSeed(5)
	cases := []struct {
		name  string
		m     nn.Module
		shape []int
		fused string // an op the fusions must leave
	}{
		{"SmallCNN", models.NewSmallCNN(), []int{2, 1, 28, 28}, `conv2d_act`},
		{"ExamplesNet", models.NewExamplesNet(), []int{2, 1, 28, 28}, `linear_act`},
		{"MobileNetV2", models.NewMobileNetV2(10), []int{1, 3, 64, 64}, `conv2d_act`},
		{"ResNet18", models.NewResNet18(10), []int{1, 3, 32, 32}, `add_relu`},
	}
	for _, c := range cases {
		randomizeBN(c.m)
		for _, noGrad := range []bool{false, true} {
			name := c.name
			if noGrad {
				name += "/NoGrad"
			}
			t.Run(name, func(t *testing.T) {
				x := tensor.Randn(c.shape...)
				if noGrad {
					// The traced module runs in place, as eager does
					// under NoGrad.
					defer tensor.SetGradEnabled(false)()
				}
				tm := trace(t, c.m, x)
				before := tm.Graph()
				want, err := tm.Call(x)
				if err != nil {
					t.Fatal(err)
				}
				om := optimize(t, tm)
				rel := wantClose(t, tm, om, x)
				t.Logf("%d nodes -> %d, relative difference %.2g", countNodes(tm), countNodes(om), rel)
				wantOps(t, om, []string{c.fused}, []string{"batch_norm", "dropout", "relu", "relu_", "relu6", "relu6_", "prim.param"})
				if tm.Graph() != before {
					t.Error("OptimizeForMobile changed its input's graph")
				}
				if again, err := tm.Call(x); err != nil {
					t.Fatal(err)
				} else if d, _ := maxDiff(t, want, again); d != 0 {
					t.Error("OptimizeForMobile changed its input's outputs")
				}
				for _, p := range nn.Parameters(c.m) {
					if !p.RequiresGrad() {
						t.Fatal("a parameter of the eager model no longer requires grad")
					}
				}
				for name, v := range om.StateDict() {
					if v.RequiresGrad() {
						t.Errorf("constant %s requires grad", name)
					}
				}
				var buf bytes.Buffer
				if err := om.SaveTo(&buf); err != nil {
					t.Fatal(err)
				}
				loaded, err := jit.LoadBytes(buf.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				wantEqual(t, om, loaded, x)
			})
		}
	}
}

func countNodes(tm *jit.Module) int {
	n := 0
	for _, c := range ops(tm) {
		n += c
	}
	return n
}

// convBNReLU is Conv2d, BatchNorm2d and ReLU, then a Linear with ReLU6 and
// a Dropout in between: one of each thing the pipeline removes or fuses.
func convBNReLU() nn.Module {
	m := nn.NewSequential(
		nn.NewConv2d(3, 8, 3, nn.Conv2dOptions{Padding: []int{1}}),
		nn.NewBatchNorm2d(8),
		nn.NewReLU(),
		nn.NewFlatten(),
		nn.NewDropout(0.5),
		nn.NewLinear(8*6*6, 5),
		nn.NewReLU6(),
	)
	randomizeBN(m)
	return m
}

func TestOptimizeBlocklist(t *testing.T) {
	tensor.ManualSeed(1)
	x := tensor.Randn(2, 3, 6, 6)
	tm := trace(t, convBNReLU(), x)
	full := optimize(t, tm)
	wantOps(t, full, []string{"conv2d_act", "linear_act"}, []string{"batch_norm", "dropout", "conv2d", "linear"})
	wantText(t, full, `act="relu"`, `act="relu6"`)

	om := optimize(t, tm, mobile.OptimizeOptions{Blocklist: []string{mobile.PassFoldBatchNorm}})
	// The batch norm stays, and so the ReLU after it stays unfused.
	wantOps(t, om, []string{"batch_norm", "conv2d", "relu", "linear_act"}, []string{"dropout", "conv2d_act"})
	wantEqual(t, tm, om, x)
	if got := om.IR().Metadata[mobile.MetaPasses]; strings.Contains(got, "fold_batch_norm") || !strings.Contains(got, "freeze") {
		t.Errorf("metadata %s = %q", mobile.MetaPasses, got)
	}

	var lints []mobile.Lint
	om = optimize(t, tm, mobile.OptimizeOptions{Blocklist: []string{"remove_dropout", "fuse_activation"}, Lints: func(l mobile.Lint) { lints = append(lints, l) }})
	if len(lints) != 1 || lints[0].Kind != mobile.LintDropout {
		t.Errorf("lints %v, want one for the dropout left", lints)
	}
	wantOps(t, om, []string{"dropout", "conv2d", "relu", "linear", "relu6"}, []string{"batch_norm", "conv2d_act", "linear_act"})
	wantClose(t, tm, om, x)

	_, err := mobile.OptimizeForMobile(tm, mobile.OptimizeOptions{Blocklist: []string{"fold_batchnorm"}, Lints: func(mobile.Lint) {}})
	if err == nil || !strings.Contains(err.Error(), "fold_batchnorm") {
		t.Errorf("unknown pass in the blocklist: error %v", err)
	}
	if _, err := mobile.OptimizeForMobile(tm, mobile.OptimizeOptions{}, mobile.OptimizeOptions{}); err == nil {
		t.Error("two OptimizeOptions: no error")
	}
	if _, err := mobile.OptimizeForMobile(nil); err == nil {
		t.Error("nil module: no error")
	}
}

// TestOptimizeDump checks that Dump receives the module after each pass.
func TestOptimizeDump(t *testing.T) {
	tm := trace(t, convBNReLU(), tensor.Randn(1, 3, 6, 6))
	var buf bytes.Buffer
	optimize(t, tm, mobile.OptimizeOptions{Dump: &buf, Blocklist: []string{"cse"}})
	for _, p := range mobile.Passes() {
		want := "# after pass " + p.Name + "\n"
		if p.Name == "cse" {
			want = "# pass cse disabled\n"
		}
		if !strings.Contains(buf.String(), want) {
			t.Errorf("no %q in the dump", want)
		}
	}
}

// methodsIR has a forward that calls helper, a method to preserve that
// calls util, and an unused one.
const methodsIR = `module {
  method forward(%x: float32[2, 3]) -> (float32[2, 3]) {
    %0 = prim.call(%x) {method="helper"} : float32[2, 3]
    return %0
  }
  method helper(%x: float32[2, 3]) -> (float32[2, 3]) {
    %0 = relu(%x) : float32[2, 3]
    return %0
  }
  method extra(%x: float32[2, 3]) -> (float32[2, 3]) {
    %0 = prim.call(%x) {method="util"} : float32[2, 3]
    %1 = neg(%0) : float32[2, 3]
    return %1
  }
  method util(%x: float32[2, 3]) -> (float32[2, 3]) {
    %0 = tanh(%x) : float32[2, 3]
    return %0
  }
  method unused(%x: float32[2, 3]) -> (float32[2, 3]) {
    %0 = exp(%x) : float32[2, 3]
    return %0
  }
}`

func parseModule(t *testing.T, text string, tensors map[string]*tensor.Tensor) *jit.Module {
	t.Helper()
	mod, err := ir.Parse(text, tensors)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := jit.NewModule(mod)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestPreservedMethods(t *testing.T) {
	tm := parseModule(t, methodsIR, nil)
	om := optimize(t, tm)
	if got := om.Methods(); !slices.Equal(got, []string{"forward"}) {
		t.Errorf("methods %v, want [forward]", got)
	}
	wantOps(t, om, []string{"relu"}, []string{"prim.call"})
	om = optimize(t, tm, mobile.OptimizeOptions{PreservedMethods: []string{"extra"}})
	if got := om.Methods(); !slices.Equal(got, []string{"forward", "extra"}) {
		t.Errorf("methods %v, want [forward extra]", got)
	}
	x := tensor.Randn(2, 3)
	for _, m := range []string{"forward", "extra"} {
		a, err := tm.Run(m, x)
		if err != nil {
			t.Fatal(err)
		}
		b, err := om.Run(m, x)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := maxDiff(t, []*tensor.Tensor{a[0].(*tensor.Tensor)}, []*tensor.Tensor{b[0].(*tensor.Tensor)}); d != 0 {
			t.Errorf("%s differs by %g", m, d)
		}
	}
	// Blocking inline keeps the called methods.
	om = optimize(t, tm, mobile.OptimizeOptions{PreservedMethods: []string{"extra"}, Blocklist: []string{"inline"}})
	if got := om.Methods(); !slices.Equal(got, []string{"forward", "helper", "extra", "util"}) {
		t.Errorf("methods %v, want [forward helper extra util]", got)
	}
	if _, err := mobile.OptimizeForMobile(tm, mobile.OptimizeOptions{PreservedMethods: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown preserved method: error %v", err)
	}
}

// BenchmarkMobileNetV2 runs MobileNetV2 (one 3×224×224 image, evaluation
// mode, no grad) traced and optimized in the jit executor, and times
// OptimizeForMobile itself.
func BenchmarkMobileNetV2(b *testing.B) {
	m := models.NewMobileNetV2(1000)
	randomizeBN(m)
	nn.Eval(m)
	defer tensor.SetGradEnabled(false)()
	x := tensor.Randn(1, 3, 224, 224)
	tm, err := jit.Trace(m, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		b.Fatal(err)
	}
	om, err := mobile.OptimizeForMobile(tm)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		m    *jit.Module
	}{{"traced", tm}, {"optimized", om}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.m.Call(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("OptimizeForMobile", func(b *testing.B) {
		for b.Loop() {
			if _, err := mobile.OptimizeForMobile(tm); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestOptimizeConcurrent optimizes one module from several goroutines and
// runs the results at once: the input is only read (run with -race).
func TestOptimizeConcurrent(t *testing.T) {
	x := tensor.Randn(1, 3, 6, 6)
	tm := trace(t, convBNReLU(), x)
	want, err := optimize(t, tm).Call(x)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	outs := make(chan []*tensor.Tensor, 4)
	for range 4 {
		go func() {
			om, err := mobile.OptimizeForMobile(tm, mobile.OptimizeOptions{Lints: func(mobile.Lint) {}})
			if err != nil {
				errs <- err
				return
			}
			out, err := om.Call(x)
			errs <- err
			outs <- out
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		if d, _ := maxDiff(t, want, <-outs); d != 0 {
			t.Errorf("outputs differ by %g", d)
		}
	}
}
