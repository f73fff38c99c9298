package mobile_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/mobile"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

func TestFreeze(t *testing.T) {
	tensor.ManualSeed(2)
	x := tensor.Randn(4, 3)
	tm := trace(t, nn.NewSequential(nn.NewLinear(3, 5), nn.NewReLU6()), x)
	wantText(t, tm, `const "0.weight" : float32[5, 3] param`, `prim.param() {name="0.weight"}`)
	fm := runPasses(t, tm, mobile.FreezePass())
	wantText(t, fm, `const "0.weight" : float32[5, 3] constant`, `const "0.bias" : float32[5] constant`,
		`%_0.weight = prim.constant() {tensor="0.weight"}`)
	wantOps(t, fm, []string{"linear", "relu6"}, []string{"prim.param"})
	for name, c := range fm.StateDict() {
		if c.RequiresGrad() {
			t.Errorf("frozen %s requires grad", name)
		}
	}
	// The input is unchanged.
	wantText(t, tm, `const "0.weight" : float32[5, 3] param`)
	if !tm.StateDict()["0.weight"].RequiresGrad() {
		t.Error("freeze detached the input module's parameter")
	}
	wantEqual(t, tm, fm, x)
}

// TestFreezeMutated traces batch norm in training mode: its running
// statistics (and num_batches_tracked) change at each run, so they stay
// buffers, while its weight and bias freeze.
func TestFreezeMutated(t *testing.T) {
	bn := nn.NewBatchNorm1d(3)
	nn.Train(bn)
	tm, err := jit.Trace(bn, []*tensor.Tensor{tensor.Randn(4, 3)}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	fm := runPasses(t, tm, mobile.FreezePass())
	wantText(t, fm, "const running_mean : float32[3] buffer", "const running_var : float32[3] buffer",
		"const num_batches_tracked : int64[] buffer", "const weight : float32[3] constant", "const bias : float32[3] constant")
}

// constSub multiplies by a function of its weights: a constant subgraph
// once they are frozen.
type constSub struct {
	nn.Base
	L *nn.Linear
}

func (m *constSub) Forward(x *tensor.Tensor) *tensor.Tensor {
	w := m.L.Weight.T().MulScalar(2)
	return x.MatMul(w).Add(m.L.Bias.Exp())
}

func TestFoldConstants(t *testing.T) {
	tensor.ManualSeed(3)
	x := tensor.Randn(2, 4)
	tm := trace(t, &constSub{L: nn.NewLinear(4, 3)}, x)
	wantOps(t, tm, []string{"t", "mul_scalar", "exp", "matmul", "add"}, nil)
	fm := runPasses(t, tm, mobile.FreezePass(), mobile.FoldConstantsPass(), mobile.DeadCodePass())
	wantOps(t, fm, []string{"matmul", "add"}, []string{"t", "mul_scalar", "exp", "prim.param"})
	var shapes [][]int
	for _, c := range fm.IR().Consts {
		if !strings.HasPrefix(c.Name, "_const.") {
			t.Errorf("constant %s left", c.Name)
		}
		shapes = append(shapes, c.Tensor.Shape())
	}
	if len(shapes) != 2 || !slices.Equal(shapes[0], []int{4, 3}) || !slices.Equal(shapes[1], []int{3}) {
		t.Errorf("constants of shapes %v, want the folded [4 3] and [3]", shapes)
	}
	wantEqual(t, tm, fm, x)

	// Without freezing, parameters are not constants: nothing folds.
	nf := runPasses(t, tm, mobile.FoldConstantsPass())
	wantOps(t, nf, []string{"t", "mul_scalar", "exp"}, nil)
}

func keys(m map[string]*tensor.Tensor) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// foldIR has a branch on a size that the types fix, scalar arithmetic,
// a constant tensor op, a random op, an in-place op on a constant and a
// foldable op whose result is written.
const foldIR = `module {
  const c : float32[3] constant
  const d : float32[3] constant
  const e : float32[3] constant
  method forward(%x: float32[2, 3]) -> (float32[2, 3], float32[3], float32[3]) {
    %n = prim.size(%x) {dim=0} : int
    %one = prim.constant() {value=1} : int
    %two = prim.add(%one, %one) : int
    %big = prim.ge(%n, %two) : bool
    %r = prim.if(%big) : float32[2, 3] {
      %a = relu(%x) : float32[2, 3]
      return %a
    } else {
      %b = neg(%x) : float32[2, 3]
      return %b
    }
    %c = prim.constant() {tensor="c"} : float32[3]
    %c2 = exp(%c) : float32[3]
    %s = add(%r, %c2) : float32[2, 3]
    %noise = randn() {shape=[3]} : float32[3]
    %d = prim.constant() {tensor="d"} : float32[3]
    %d2 = neg(%d) : float32[3]
    %d3 = add_(%d2, %noise) : float32[3]
    %e = prim.constant() {tensor="e"} : float32[3]
    %e2 = mul_(%e, %c2) : float32[3]
    return %s, %d3, %e2
  }
}`

func TestFoldConstantsPrim(t *testing.T) {
	tm := parseModule(t, foldIR, map[string]*tensor.Tensor{
		"c": tensor.FromSlice([]float32{1, 2, 3}),
		"d": tensor.FromSlice([]float32{4, 5, 6}),
		"e": tensor.FromSlice([]float32{7, 8, 9}),
	})
	fm := runPasses(t, tm, mobile.FoldConstantsPass(), mobile.DeadCodePass())
	// The branch is decided (2 >= 2), exp(c) folds; the random op, the
	// in-place ops and the neg whose result add_ writes stay.
	wantOps(t, fm, []string{"relu", "add", "randn", "neg", "add_", "mul_"},
		[]string{"prim.if", "prim.size", "prim.add", "prim.ge", "exp"})
	if c := ops(fm); c["neg"] != 1 {
		t.Errorf("%d neg, want 1 (the folded branch's is gone)", c["neg"])
	}
	x := tensor.Randn(2, 3)
	tensor.ManualSeed(9)
	a, err := tm.Call(x)
	if err != nil {
		t.Fatal(err)
	}
	// e was written by the run: fresh copies for the second module.
	tm2 := parseModule(t, foldIR, map[string]*tensor.Tensor{
		"c": tensor.FromSlice([]float32{1, 2, 3}),
		"d": tensor.FromSlice([]float32{4, 5, 6}),
		"e": tensor.FromSlice([]float32{7, 8, 9}),
	})
	fm = runPasses(t, tm2, mobile.FoldConstantsPass(), mobile.DeadCodePass())
	tensor.ManualSeed(9)
	b, err := fm.Call(x)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := maxDiff(t, a, b); d != 0 {
		t.Errorf("outputs differ by %g", d)
	}
}

// convBN is a convolution (or linear) and a batch norm, with an
// activation or not.
type convBN struct {
	nn.Base
	Conv nn.Forwarder
	BN   *nn.BatchNorm
	Act  nn.Forwarder
}

func (m *convBN) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := m.BN.Forward(m.Conv.Forward(x))
	if m.Act != nil {
		y = m.Act.Forward(y)
	}
	return y
}

func TestFoldBatchNorm(t *testing.T) {
	tensor.ManualSeed(4)
	cases := []struct {
		name   string
		m      *convBN
		x      *tensor.Tensor
		weight string
	}{
		{"Conv2d", &convBN{Conv: nn.NewConv2d(3, 6, 3), BN: nn.NewBatchNorm2d(6), Act: nn.NewReLU()}, tensor.Randn(2, 3, 7, 7), "conv2d"},
		{"Conv2dNoBias", &convBN{Conv: nn.NewConv2d(3, 6, 3, nn.Conv2dOptions{NoBias: true, Groups: 3}), BN: nn.NewBatchNorm2d(6)}, tensor.Randn(1, 3, 5, 5), "conv2d"},
		{"Conv2dNoAffine", &convBN{Conv: nn.NewConv2d(2, 4, 1), BN: nn.NewBatchNorm2d(4, nn.BatchNormOptions{NoAffine: true, Eps: 1e-3})}, tensor.Randn(1, 2, 5, 5), "conv2d"},
		{"Conv1d", &convBN{Conv: nn.NewConv1d(3, 5, 3), BN: nn.NewBatchNorm1d(5)}, tensor.Randn(2, 3, 9), "conv1d"},
		{"Linear", &convBN{Conv: nn.NewLinear(4, 6), BN: nn.NewBatchNorm1d(6), Act: nn.NewReLU6()}, tensor.Randn(3, 4), "linear"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			randomizeBN(c.m)
			tm := trace(t, c.m, c.x)
			wantOps(t, tm, []string{"batch_norm", c.weight}, nil)
			fm := runPasses(t, tm, mobile.FreezePass(), mobile.FoldBatchNormPass(), mobile.DeadCodePass())
			wantOps(t, fm, []string{c.weight}, []string{"batch_norm"})
			wantText(t, fm, `{tensor="conv.weight_folded"}`, `{tensor="conv.bias_folded"}`)
			if sd := fm.StateDict(); len(sd) != 2 {
				t.Errorf("constants %v, want the folded weight and bias", keys(sd))
			}
			t.Logf("relative difference %.2g", wantClose(t, tm, fm, c.x))
		})
	}
}

// reused uses a convolution's output twice, through a batch norm and
// directly.
type reused struct {
	nn.Base
	Conv *nn.Conv2d
	BN   *nn.BatchNorm
}

func (m *reused) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := m.Conv.Forward(x)
	return m.BN.Forward(y).Add(y)
}

func TestFoldBatchNormNot(t *testing.T) {
	x := tensor.Randn(2, 3, 5, 5)
	pipeline := []ir.Pass{mobile.FreezePass(), mobile.FoldBatchNormPass()}
	// The convolution's output has another use.
	m := &reused{Conv: nn.NewConv2d(3, 3, 1), BN: nn.NewBatchNorm2d(3)}
	randomizeBN(m)
	tm := trace(t, m, x)
	wantOps(t, runPasses(t, tm, pipeline...), []string{"batch_norm"}, nil)
	// Training mode.
	cb := &convBN{Conv: nn.NewConv2d(3, 3, 1), BN: nn.NewBatchNorm2d(3)}
	nn.Train(cb)
	tm, err := jit.Trace(cb, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	wantOps(t, runPasses(t, tm, pipeline...), []string{"batch_norm"}, nil)
	// Batch statistics in evaluation mode.
	cb = &convBN{Conv: nn.NewConv2d(3, 3, 1), BN: nn.NewBatchNorm2d(3, nn.BatchNormOptions{NoRunningStats: true})}
	wantOps(t, runPasses(t, trace(t, cb, x), pipeline...), []string{"batch_norm"}, nil)
	// Parameters not frozen.
	cb = &convBN{Conv: nn.NewConv2d(3, 3, 1), BN: nn.NewBatchNorm2d(3)}
	wantOps(t, runPasses(t, trace(t, cb, x), mobile.FoldBatchNormPass()), []string{"batch_norm"}, nil)
}

// layerAct applies a layer, then an activation written in Go.
type layerAct struct {
	nn.Base
	L   nn.Forwarder
	act func(*tensor.Tensor) *tensor.Tensor
}

func (m *layerAct) Forward(x *tensor.Tensor) *tensor.Tensor { return m.act(m.L.Forward(x)) }

func TestFuseActivation(t *testing.T) {
	tensor.ManualSeed(6)
	conv := func() nn.Forwarder { return nn.NewConv2d(2, 4, 3) }
	lin := func() nn.Forwarder { return nn.NewLinear(5, 4) }
	img, vec := tensor.Randn(2, 2, 6, 6).MulScalar(4), tensor.Randn(3, 5).MulScalar(4)
	cases := []struct {
		name   string
		l      nn.Forwarder
		act    func(*tensor.Tensor) *tensor.Tensor
		x      *tensor.Tensor
		noGrad bool
		want   []string // in the text
	}{
		{"Conv2dReLU", conv(), (*tensor.Tensor).ReLU, img, false, []string{`conv2d_act(`, `act="relu", act_max=inf, act_min=0.0`}},
		{"Conv2dReLU_", conv(), (*tensor.Tensor).ReLU_, img, true, []string{`act="relu"`}},
		{"Conv2dHardtanh", conv(), func(y *tensor.Tensor) *tensor.Tensor { return y.Hardtanh(-1, 1) }, img, false, []string{`act="clamp", act_max=1.0, act_min=-1.0`}},
		{"Conv2dHardtanh_", conv(), func(y *tensor.Tensor) *tensor.Tensor { return y.Hardtanh_(-0.5, 2) }, img, true, []string{`act="clamp", act_max=2.0, act_min=-0.5`}},
		{"LinearReLU6", lin(), (*tensor.Tensor).ReLU6, vec, false, []string{`linear_act(`, `act="relu6", act_max=6.0, act_min=0.0`}},
		{"LinearReLU6_", lin(), (*tensor.Tensor).ReLU6_, vec, true, []string{`act="relu6"`}},
		{"LinearClamp", lin(), func(y *tensor.Tensor) *tensor.Tensor { return y.Clamp(-2, 3) }, vec, false, []string{`act="clamp", act_max=3.0, act_min=-2.0`}},
		{"LinearClamp06", lin(), func(y *tensor.Tensor) *tensor.Tensor { return y.Clamp(0, 6) }, vec, false, []string{`act="relu6"`}},
		{"LinearClampMin", lin(), func(y *tensor.Tensor) *tensor.Tensor { return y.ClampMin(0) }, vec, false, []string{`act="relu"`}},
		{"LinearClampMax", lin(), func(y *tensor.Tensor) *tensor.Tensor { return y.ClampMax(1) }, vec, false, []string{`act="clamp", act_max=1.0, act_min=-inf`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.noGrad {
				defer tensor.SetGradEnabled(false)()
			}
			tm := trace(t, &layerAct{L: c.l, act: c.act}, c.x)
			fm := runPasses(t, tm, mobile.FuseActivationPass())
			if n := countNodes(fm); n != countNodes(tm)-1 {
				t.Errorf("%d nodes, want %d", n, countNodes(tm)-1)
			}
			wantOps(t, fm, nil, []string{"conv2d", "linear", "relu", "relu_", "relu6", "relu6_", "hardtanh", "hardtanh_", "clamp", "clamp_min", "clamp_max"})
			wantText(t, fm, c.want...)
			wantEqual(t, tm, fm, c.x)
		})
	}
}

func TestFuseActivationNot(t *testing.T) {
	x := tensor.Randn(3, 5)
	cases := map[string]func(*tensor.Tensor) *tensor.Tensor{
		"reused":     func(y *tensor.Tensor) *tensor.Tensor { return y.ReLU().Add(y) },
		"nan bound":  func(y *tensor.Tensor) *tensor.Tensor { return y.Clamp(0, tensor.Randn(1).Item()*0+nan()) },
		"lo > hi":    func(y *tensor.Tensor) *tensor.Tensor { return y.Clamp(1, -1) },
		"not fusing": func(y *tensor.Tensor) *tensor.Tensor { return y.Sigmoid() },
	}
	for name, act := range cases {
		t.Run(name, func(t *testing.T) {
			tm, err := jit.Trace(&layerAct{L: nn.NewLinear(5, 4), act: act}, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}, AllowReads: true})
			if err != nil {
				t.Fatal(err)
			}
			fm := runPasses(t, tm, mobile.FuseActivationPass())
			wantOps(t, fm, []string{"linear"}, []string{"linear_act"})
		})
	}
}

func nan() float64 { z := 0.0; return z / z }

// residual adds its input to a convolution's output, then applies ReLU,
// in place or not, or adds into its input.
type residual struct {
	nn.Base
	Conv *nn.Conv2d
	mode string
}

func (m *residual) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := m.Conv.Forward(x)
	switch m.mode {
	case "in place":
		return y.Add_(x).ReLU_()
	case "into the input":
		return x.Add_(y).ReLU_()
	}
	return y.Add(x).ReLU()
}

func TestFuseAddReLU(t *testing.T) {
	for _, mode := range []string{"", "in place", "into the input"} {
		t.Run(mode, func(t *testing.T) {
			defer tensor.SetGradEnabled(mode == "")()
			x := tensor.Randn(2, 3, 5, 5)
			tm := trace(t, &residual{Conv: nn.NewConv2d(3, 3, 3, nn.Conv2dOptions{Padding: []int{1}}), mode: mode}, x.Clone())
			fm := runPasses(t, tm, mobile.FuseAddReLUPass())
			switch mode {
			case "into the input": // add_ writes the caller's tensor
				wantOps(t, fm, []string{"add_", "relu_"}, []string{"add_relu"})
			default:
				wantOps(t, fm, []string{"add_relu"}, []string{"add", "add_", "relu", "relu_"})
			}
			wantEqual(t, tm, fm, x.Clone())
		})
	}
}

func TestRemoveDropout(t *testing.T) {
	tensor.ManualSeed(8)
	m := nn.NewSequential(nn.NewConv2d(2, 4, 3), nn.NewDropout2d(0.5), nn.NewFlatten(), nn.NewLinear(4*4*4, 8), nn.NewDropout(0.3), nn.NewLinear(8, 2))
	x := tensor.Randn(2, 2, 6, 6)
	tm := trace(t, m, x)
	wantText(t, tm, "dropout2d(", "dropout(", "training=false")
	fm := runPasses(t, tm, mobile.RemoveDropoutPass())
	wantOps(t, fm, []string{"conv2d", "linear"}, []string{"dropout", "dropout2d"})
	wantEqual(t, tm, fm, x)

	// In training mode, dropout stays.
	nn.Train(m)
	tm, err := jit.Trace(m, []*tensor.Tensor{x}, jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	wantOps(t, runPasses(t, tm, mobile.RemoveDropoutPass()), []string{"dropout", "dropout2d"}, nil)
}

// dup computes sigmoid(x) three times.
type dup struct{ nn.Base }

func (dup) Forward(x *tensor.Tensor) *tensor.Tensor {
	a, b := x.Sigmoid(), x.Sigmoid()
	return a.Mul(b).Add(x.Sigmoid())
}

// dupWritten computes sigmoid(x) twice and writes one.
type dupWritten struct{ nn.Base }

func (dupWritten) Forward(x *tensor.Tensor) *tensor.Tensor {
	a, b := x.Sigmoid(), x.Sigmoid()
	b.Add_(x)
	return a.Add(b)
}

// noisy adds two draws of noise.
type noisy struct{ nn.Base }

func (noisy) Forward(x *tensor.Tensor) *tensor.Tensor {
	return x.Add(tensor.RandnLike(x)).Add(tensor.RandnLike(x))
}

func TestCSE(t *testing.T) {
	x := tensor.Randn(2, 3)
	for _, c := range []struct {
		name string
		m    nn.Module
		op   string
		want int
	}{
		{"duplicates", &dup{}, "sigmoid", 1},
		{"written", &dupWritten{}, "sigmoid", 2},
		{"random", &noisy{}, "randn_like", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			tm := trace(t, c.m, x)
			if got := ops(tm)[c.op]; got < c.want {
				t.Fatalf("the trace has %d %s", got, c.op)
			}
			fm := runPasses(t, tm, mobile.CSEPass())
			if got := ops(fm)[c.op]; got != c.want {
				t.Errorf("%d %s after cse, want %d:\n%s", got, c.op, c.want, fm.Graph())
			}
			tensor.ManualSeed(1)
			a, _ := tm.Call(x)
			tensor.ManualSeed(1)
			b, _ := fm.Call(x)
			if d, _ := maxDiff(t, a, b); d != 0 {
				t.Errorf("outputs differ by %g", d)
			}
		})
	}
}

// deadCode computes things it does not return.
type deadCode struct {
	nn.Base
	L *nn.Linear
}

func (m *deadCode) Forward(x *tensor.Tensor) *tensor.Tensor {
	_ = x.Exp()
	_ = m.L.Forward(x)
	_ = tensor.RandnLike(x)
	return x.Tanh()
}

func TestDeadCode(t *testing.T) {
	x := tensor.Randn(2, 3)
	tm := trace(t, &deadCode{L: nn.NewLinear(3, 3)}, x)
	wantOps(t, tm, []string{"exp", "linear", "randn_like", "tanh"}, nil)
	fm := runPasses(t, tm, mobile.DeadCodePass())
	// The random draw stays: it advances the generator.
	wantOps(t, fm, []string{"randn_like", "tanh"}, []string{"exp", "linear", "prim.param"})
	if sd := fm.StateDict(); len(sd) != 0 {
		t.Errorf("constants %v left", keys(sd))
	}
	tensor.ManualSeed(3)
	a, _ := tm.Call(x)
	tensor.ManualSeed(3)
	b, _ := fm.Call(x)
	if d, _ := maxDiff(t, a, b); d != 0 {
		t.Errorf("outputs differ by %g", d)
	}
}

// tied reads the weight of A as a linear weight and as a matrix, so that
// only the weight of B may be pre-packed.
type tied struct {
	nn.Base
	A, B *nn.Linear
}

func (m *tied) Forward(x *tensor.Tensor) *tensor.Tensor {
	h := m.A.Forward(x).ReLU()
	return m.B.Forward(h.Add(m.A.Weight.MatMul(x.T()).T()))
}

func TestPrepack(t *testing.T) {
	x := tensor.Randn(2, 3)
	tm := trace(t, &tied{A: nn.NewLinear(3, 4), B: nn.NewLinear(4, 2)}, x)
	om := optimize(t, tm)
	wantText(t, om, `meta "mobile.prepack" = "[\"b.weight\"]"`)
	names, err := mobile.PrepackedWeights(om.IR())
	if err != nil || !slices.Equal(names, []string{"b.weight"}) {
		t.Errorf("PrepackedWeights = %v, %v; want [b.weight]", names, err)
	}
	wantClose(t, tm, om, x)
	// Not frozen: no constant to pre-pack.
	om = optimize(t, tm, mobile.OptimizeOptions{Blocklist: []string{"freeze"}, Lints: func(mobile.Lint) {}})
	if names, err := mobile.PrepackedWeights(om.IR()); err != nil || len(names) != 0 {
		t.Errorf("PrepackedWeights = %v, %v without freeze; want none", names, err)
	}
	// A bad list is an error.
	mod := om.IR().Clone()
	mod.Metadata[mobile.MetaPrepack] = `["nope"]`
	if _, err := mobile.PrepackedWeights(mod); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("PrepackedWeights of a bad list: %v", err)
	}
	mod.Metadata[mobile.MetaPrepack] = `[`
	if _, err := mobile.PrepackedWeights(mod); err == nil {
		t.Error("PrepackedWeights of bad JSON: no error")
	}
}

// TestFusedOps runs the fused ops through the jit executor, and checks
// that bad attributes are errors.
func TestFusedOps(t *testing.T) {
	for _, op := range []string{mobile.OpConv2dAct, mobile.OpLinearAct, mobile.OpAddReLU} {
		def, ok := jit.LookupOp(op)
		if !ok || def.Version != 1 {
			t.Errorf("jit.LookupOp(%q) = %v, %v", op, def, ok)
		}
	}
	w := map[string]*tensor.Tensor{"w": tensor.Randn(4, 3)}
	for act, want := range map[string]string{
		`act="relu", act_min=0.0, act_max=inf`:    "",
		`act="gelu", act_min=0.0, act_max=inf`:    "invalid activation",
		`act="relu", act_min=0.0, act_max=6.0`:    "invalid activation",
		`act="clamp", act_min=2.0, act_max=1.0`:   "invalid activation",
		`act="relu6", act_min=0.0`:                "needs the attributes",
		`act="clamp", act_min=nan, act_max=1.0`:   "invalid activation",
		`act="clamp", act_min=-inf, act_max=-1.0`: "",
	} {
		tm := parseModule(t, `module {
  const w : float32[4, 3] constant
  method forward(%x: float32[2, 3]) -> (float32[2, 4]) {
    %w = prim.constant() {tensor="w"} : float32[4, 3]
    %y = linear_act(%x, %w, none) {`+act+`} : float32[2, 4]
    return %y
  }
}`, w)
		_, err := tm.Call(tensor.Randn(2, 3))
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %v, want %q", act, err, want)
		}
	}
	// With grad recorded, the activation is not applied in place.
	a, b := tensor.Randn(2, 2), tensor.Randn(2, 2)
	a.SetRequiresGrad(true)
	def, _ := jit.LookupOp(mobile.OpAddReLU)
	y := def.Run([]*tensor.Tensor{a, b}, nil)[0]
	if !y.RequiresGrad() {
		t.Fatal("add_relu of a tensor requiring grad does not require grad")
	}
	y.Sum().Backward()
	if a.Grad() == nil {
		t.Error("no gradient through add_relu")
	}
	autograd.NoGrad(func() {
		if !tensor.AllClose(def.Run([]*tensor.Tensor{a, b}, nil)[0], a.Add(b).ReLU(), 0, 0) {
			t.Error("add_relu differs from relu(a + b)")
		}
	})
}
