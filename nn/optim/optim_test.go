package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/tensor"
)

// The golden files hold, per optimizer configuration and dtype, 10 steps of
// PyTorch 1.13 on loss(W, b) = mean((W X + b - Y)²) + 0.1·Σb⁴ with a third
// parameter c that never gets a gradient: the gradients PyTorch computed
// (gW.k, gb.k), the parameters after each step (W.k, b.k), and the final
// state dict.

func optimCases(t *testing.T) []golden.Case {
	t.Helper()
	var cs []golden.Case
	for _, f := range []string{"testdata/optim_float32.json", "testdata/optim_float64.json"} {
		cs = append(cs, golden.Load(t, f)...)
	}
	return cs
}

// testNum reads a number from decoded JSON attrs.
func testNum(v any) float64 {
	f, err := sdFloat(v)
	if err != nil {
		panic(err)
	}
	return f
}

// testGroupOptions converts PyTorch's group kwargs into GroupSpec.Options.
func testGroupOptions(kw map[string]any) map[string]float64 {
	m := map[string]float64{}
	for k, v := range kw {
		if k == "betas" {
			b := v.([]any)
			m["beta1"], m["beta2"] = testNum(b[0]), testNum(b[1])
			continue
		}
		m[k] = testNum(v)
	}
	return m
}

// testBuild builds the case's optimizer over W, b, c through the public
// constructors, turning PyTorch's kwargs into the options structs.
func testBuild(t *testing.T, c golden.Case, W, b, cc *tensor.Tensor) Optimizer {
	t.Helper()
	d := c.Attrs["defaults"].(map[string]any)
	f := func(k string) float64 {
		if v, ok := d[k]; ok {
			return testNum(v)
		}
		return 0
	}
	bl := func(k string) bool { v, _ := d[k].(bool); return v }
	var betas [2]float64
	if v, ok := d["betas"].([]any); ok {
		betas = [2]float64{testNum(v[0]), testNum(v[1])}
	}
	specs := []GroupSpec{{Params: []*tensor.Tensor{W, b, cc}}}
	if gs, ok := c.Attrs["groups"].([]any); ok {
		specs = []GroupSpec{
			{Params: []*tensor.Tensor{W}, Options: testGroupOptions(gs[0].(map[string]any))},
			{Params: []*tensor.Tensor{b, cc}, Options: testGroupOptions(gs[1].(map[string]any))},
		}
	}
	single := len(specs) == 1
	switch c.String("optimizer") {
	case "SGD":
		o := SGDOptions{LR: f("lr"), Momentum: f("momentum"), Dampening: f("dampening"), WeightDecay: f("weight_decay"), Nesterov: bl("nesterov"), Maximize: bl("maximize")}
		if single {
			return NewSGD(specs[0].Params, o)
		}
		return NewSGDGroups(specs, o)
	case "Adam":
		o := AdamOptions{LR: f("lr"), Betas: betas, Eps: f("eps"), WeightDecay: f("weight_decay"), AMSGrad: bl("amsgrad"), Maximize: bl("maximize")}
		if single {
			return NewAdam(specs[0].Params, o)
		}
		return NewAdamGroups(specs, o)
	case "AdamW":
		o := AdamWOptions{LR: f("lr"), Betas: betas, Eps: f("eps"), WeightDecay: f("weight_decay"), AMSGrad: bl("amsgrad"), Maximize: bl("maximize")}
		if single {
			return NewAdamW(specs[0].Params, o)
		}
		return NewAdamWGroups(specs, o)
	case "RMSprop":
		o := RMSpropOptions{LR: f("lr"), Alpha: f("alpha"), Eps: f("eps"), WeightDecay: f("weight_decay"), Momentum: f("momentum"), Centered: bl("centered"), Maximize: bl("maximize")}
		if single {
			return NewRMSprop(specs[0].Params, o)
		}
		return NewRMSpropGroups(specs, o)
	case "Adagrad":
		o := AdagradOptions{LR: f("lr"), LRDecay: f("lr_decay"), WeightDecay: f("weight_decay"), InitialAccumulatorValue: f("initial_accumulator_value"), Eps: f("eps"), Maximize: bl("maximize")}
		if single {
			return NewAdagrad(specs[0].Params, o)
		}
		return NewAdagradGroups(specs, o)
	}
	t.Fatalf("unknown optimizer %q", c.String("optimizer"))
	return nil
}

// testParams returns fresh copies of the case's initial parameters.
func testParams(c golden.Case) (W, b, cc *tensor.Tensor) {
	return optimCopy(c.T("W.init")).SetRequiresGrad(true),
		optimCopy(c.T("b.init")).SetRequiresGrad(true),
		optimCopy(c.T("c.init")).SetRequiresGrad(true)
}

// testLoss is the golden problem's loss.
func testLoss(W, b, X, Y *tensor.Tensor) *tensor.Tensor {
	r := W.MatMul(X).Add(b.Unsqueeze(1)).Sub(Y)
	return r.Square().Mean().Add(b.PowScalar(4).Sum().MulScalar(0.1))
}

// ulps returns the largest distance in units of the last place between
// got and want (float32 or float64 by want's dtype).
func ulps(got, want *tensor.Tensor) float64 {
	g, w := got.ToFloat64s(), want.ToFloat64s()
	worst := 0.0
	for i := range w {
		if g[i] == w[i] {
			continue
		}
		var u float64
		if want.DType() == tensor.Float32 {
			u = float64(math.Nextafter32(float32(math.Abs(w[i])), float32(math.Inf(1)))) - math.Abs(w[i])
		} else {
			u = math.Nextafter(math.Abs(w[i]), math.Inf(1)) - math.Abs(w[i])
		}
		worst = math.Max(worst, math.Abs(g[i]-w[i])/u)
	}
	return worst
}

// TestOptimizersOpenLoop feeds each optimizer PyTorch's own gradients, so
// the update rule alone is compared: the parameters must match PyTorch's
// after every step to the last bit, in float32 and in float64.
func TestOptimizersOpenLoop(t *testing.T) {
	for _, c := range optimCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			W, b, cc := testParams(c)
			opt := testBuild(t, c, W, b, cc)
			worst := 0.0
			for k := 0; k < c.Int("steps"); k++ {
				W.SetGrad(c.T(fmt.Sprintf("gW.%d", k)))
				b.SetGrad(c.T(fmt.Sprintf("gb.%d", k)))
				opt.Step()
				for name, p := range map[string]*tensor.Tensor{"W": W, "b": b} {
					want := c.T(fmt.Sprintf("%s.%d", name, k))
					worst = math.Max(worst, ulps(p, want))
					golden.Close(t, fmt.Sprintf("%s after step %d", name, k), p, want, 1e-6, 1e-7)
				}
			}
			if worst > 0 {
				t.Errorf("parameters differ from PyTorch's by up to %g ulps", worst)
			}
			golden.Close(t, "c (no gradient)", cc, c.T("c.init"), 0, 0)
			testCheckStateDict(t, c, opt.StateDict())
		})
	}
}

// TestOptimizersClosedLoop trains with gradients Ember computes itself.
func TestOptimizersClosedLoop(t *testing.T) {
	for _, c := range optimCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			W, b, cc := testParams(c)
			X, Y := c.T("X"), c.T("Y")
			opt := testBuild(t, c, W, b, cc)
			rtol, atol := 1e-4, 1e-5
			if W.DType() == tensor.Float64 {
				rtol, atol = 1e-10, 1e-12
			}
			for k := 0; k < c.Int("steps"); k++ {
				opt.ZeroGrad()
				testLoss(W, b, X, Y).Backward()
				golden.Close(t, fmt.Sprintf("grad W at step %d", k), W.Grad(), c.T(fmt.Sprintf("gW.%d", k)), rtol, atol)
				opt.Step()
				golden.Close(t, fmt.Sprintf("W after step %d", k), W, c.T(fmt.Sprintf("W.%d", k)), rtol, atol)
				golden.Close(t, fmt.Sprintf("b after step %d", k), b, c.T(fmt.Sprintf("b.%d", k)), rtol, atol)
				if cc.Grad() != nil {
					t.Fatalf("c got a gradient")
				}
			}
			opt.ZeroGrad()
			if W.Grad() != nil || b.Grad() != nil {
				t.Errorf("ZeroGrad left gradients")
			}
		})
	}
}

// testCheckStateDict compares a state dict with PyTorch's: the same
// state keys with the same values and the same group dicts.
func testCheckStateDict(t *testing.T, c golden.Case, sd StateDict) {
	t.Helper()
	types := c.Attrs["state_types"].(map[string]any)
	var want []string
	for idx, keys := range types {
		for key, typ := range keys.(map[string]any) {
			if typ != "NoneType" {
				want = append(want, idx+"."+key)
			}
		}
	}
	var got []string
	for idx, st := range sd.State {
		for key, v := range st {
			got = append(got, fmt.Sprintf("%d.%s", idx, key))
			name := fmt.Sprintf("state.%d.%s", idx, key)
			if !c.Has(name) {
				continue
			}
			w := c.T(name)
			if key == "step" {
				wantDT := tensor.Float32
				if types[fmt.Sprint(idx)].(map[string]any)["step"] == "int" {
					wantDT = tensor.Int64
				}
				if v.DType() != wantDT || v.Dim() != 0 {
					t.Errorf("%s: dtype %v shape %v, want a 0-dim %v", name, v.DType(), v.Shape(), wantDT)
				}
				if v.Item() != w.Item() {
					t.Errorf("%s = %v, want %v", name, v.Item(), w.Item())
				}
				continue
			}
			if v.DType() != w.DType() {
				t.Errorf("%s: dtype %v, want %v", name, v.DType(), w.DType())
			}
			golden.Close(t, name, v, w, 1e-6, 1e-7)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("state keys %v, want %v", got, want)
	}
	wantGroups := c.Attrs["state_groups"].([]any)
	if len(sd.Groups) != len(wantGroups) {
		t.Fatalf("%d groups, want %d", len(sd.Groups), len(wantGroups))
	}
	for gi, wg := range wantGroups {
		// Compare through JSON, as a checkpoint would store them.
		b, err := json.Marshal(sd.Groups[gi])
		if err != nil {
			t.Fatalf("group %d is not JSON-encodable: %v", gi, err)
		}
		var g map[string]any
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, wg) {
			t.Errorf("group %d:\n got %v\nwant %v", gi, g, wg)
		}
	}
}

// TestOptimizerStateDictRoundTrip runs 5 steps, saves the state (groups
// through JSON), loads it into a fresh optimizer over copies of the
// parameters and runs 5 more: the result must equal 10 straight steps.
func TestOptimizerStateDictRoundTrip(t *testing.T) {
	for _, c := range optimCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			W, b, cc := testParams(c)
			opt := testBuild(t, c, W, b, cc)
			feed := func(o Optimizer, W, b *tensor.Tensor, k int) {
				W.SetGrad(c.T(fmt.Sprintf("gW.%d", k)))
				b.SetGrad(c.T(fmt.Sprintf("gb.%d", k)))
				o.Step()
			}
			for k := range 5 {
				feed(opt, W, b, k)
			}
			sd := opt.StateDict()
			raw, err := json.Marshal(sd.Groups)
			if err != nil {
				t.Fatal(err)
			}
			var groups []map[string]any
			if err := json.Unmarshal(raw, &groups); err != nil {
				t.Fatal(err)
			}
			sd.Groups = groups
			W2, b2, cc2 := optimCopy(W).SetRequiresGrad(true), optimCopy(b).SetRequiresGrad(true), optimCopy(cc).SetRequiresGrad(true)
			// A fresh optimizer built with other hyperparameters: loading
			// must bring back the saved ones.
			opt2 := testBuild(t, c, W2, b2, cc2)
			for _, g := range opt2.Groups() {
				g.LR *= 3
			}
			if err := opt2.LoadStateDict(sd); err != nil {
				t.Fatal(err)
			}
			for k := 5; k < 10; k++ {
				feed(opt, W, b, k)
				feed(opt2, W2, b2, k)
			}
			golden.Close(t, "W", W2, W, 0, 0)
			golden.Close(t, "b", b2, b, 0, 0)
			// The saved state is a copy: later steps did not change it.
			again := opt2.StateDict()
			for idx, st := range sd.State {
				for key, v := range st {
					if idx < 2 && key != "step" && tensor.Equal(v, again.State[idx][key]) {
						t.Errorf("state %d.%s did not change in 5 steps, or aliases the live state", idx, key)
					}
				}
			}
		})
	}
}

func TestOptimizerLoadStateDictErrors(t *testing.T) {
	p := tensor.Ones(2, 3).SetRequiresGrad(true)
	q := tensor.Ones(4).SetRequiresGrad(true)
	step := func(o Optimizer) {
		p.SetGrad(tensor.Ones(2, 3))
		q.SetGrad(tensor.Ones(4))
		o.Step()
	}
	sgd := NewSGD([]*tensor.Tensor{p, q}, SGDOptions{LR: 0.1, Momentum: 0.9})
	step(sgd)
	good := sgd.StateDict()
	adam := NewAdam([]*tensor.Tensor{p, q})
	step(adam)
	cases := []struct {
		name string
		opt  Optimizer
		sd   func() StateDict
		want string
	}{
		{"group count", sgd, func() StateDict { s := sgd.StateDict(); s.Groups = append(s.Groups, s.Groups[0]); return s }, "different number of parameter groups"},
		{"group size", sgd, func() StateDict {
			s := sgd.StateDict()
			s.Groups[0]["params"] = []int{0}
			return s
		}, "doesn't match the size"},
		{"shape", sgd, func() StateDict {
			s := sgd.StateDict()
			s.State[0]["momentum_buffer"] = tensor.Zeros(3, 2)
			return s
		}, "shape [3 2] for a parameter of shape [2 3]"},
		{"wrong optimizer", adam, func() StateDict { return good }, "lacks hyperparameter"},
		{"wrong state", sgd, func() StateDict { s := adam.StateDict(); s.Groups = sgd.StateDict().Groups; return s }, "unexpected state"},
		{"no lr", sgd, func() StateDict { s := sgd.StateDict(); delete(s.Groups[0], "lr"); return s }, "lr"},
	}
	for _, tc := range cases {
		before := tc.opt.StateDict()
		err := tc.opt.LoadStateDict(tc.sd())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		after := tc.opt.StateDict()
		if !reflect.DeepEqual(before.Groups, after.Groups) || len(before.State) != len(after.State) {
			t.Errorf("%s: a failed load changed the optimizer", tc.name)
		}
	}
}

func testPanics(t *testing.T, what, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: no panic, want one containing %q", what, want)
			return
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Errorf("%s: panic %q, want one containing %q", what, msg, want)
		}
	}()
	f()
}

func TestOptimizerMisuse(t *testing.T) {
	p := tensor.Ones(2).SetRequiresGrad(true)
	q := tensor.Ones(3).SetRequiresGrad(true)
	ps := []*tensor.Tensor{p}
	testPanics(t, "SGD without lr", "required optimization parameter lr", func() { NewSGD(ps) })
	testPanics(t, "SGD negative lr", "Invalid learning rate: -1", func() { NewSGD(ps, SGDOptions{LR: -1}) })
	testPanics(t, "SGD nesterov", "Nesterov momentum requires a momentum and zero dampening", func() { NewSGD(ps, SGDOptions{LR: 1, Nesterov: true}) })
	testPanics(t, "Adam beta", "Invalid beta parameter at index 1: 1", func() { NewAdam(ps, AdamOptions{Betas: [2]float64{0.9, 1}}) })
	testPanics(t, "empty", "empty parameter list", func() { NewAdam(nil) })
	testPanics(t, "duplicate", "more than one parameter group", func() {
		NewSGDGroups([]GroupSpec{{Params: ps}, {Params: ps}}, SGDOptions{LR: 1})
	})
	testPanics(t, "unknown option", `unknown option "betas"`, func() {
		NewAdamGroups([]GroupSpec{{Params: ps, Options: map[string]float64{"betas": 1}}}, AdamOptions{})
	})
	testPanics(t, "int parameter", "dtype int64", func() { NewSGD([]*tensor.Tensor{tensor.FromSlice([]int64{1})}, SGDOptions{LR: 1}) })
	// lr is required per group: groups that all set it need no default.
	o := NewSGDGroups([]GroupSpec{{Params: ps, Options: map[string]float64{"lr": 0}}, {Params: []*tensor.Tensor{q}, Options: map[string]float64{"lr": 0.5}}}, SGDOptions{})
	if g := o.Groups(); g[0].LR != 0 || g[1].LR != 0.5 {
		t.Errorf("group lrs %v %v, want 0 and 0.5", g[0].LR, g[1].LR)
	}
	testPanics(t, "AddParamGroup overlap", "more than one parameter group", func() { o.AddParamGroup(GroupSpec{Params: ps}) })
}

func TestOptimizerDefaults(t *testing.T) {
	p := tensor.Ones(2).SetRequiresGrad(true)
	ps := []*tensor.Tensor{p}
	check := func(name string, g *Group, lr float64, want map[string]float64) {
		t.Helper()
		if g.LR != lr {
			t.Errorf("%s: lr %v, want %v", name, g.LR, lr)
		}
		for k, v := range want {
			if g.Hyper[k] != v {
				t.Errorf("%s: %s = %v, want %v", name, k, g.Hyper[k], v)
			}
		}
	}
	check("Adam", NewAdam(ps).Groups()[0], 1e-3, map[string]float64{"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0})
	check("Adam beta1 0", NewAdam(ps, AdamOptions{Betas: [2]float64{0, 0.99}}).Groups()[0], 1e-3, map[string]float64{"beta1": 0, "beta2": 0.99})
	check("AdamW", NewAdamW(ps).Groups()[0], 1e-3, map[string]float64{"weight_decay": 0.01})
	check("AdamW no decay", NewAdamW(ps, AdamWOptions{NoWeightDecay: true}).Groups()[0], 1e-3, map[string]float64{"weight_decay": 0})
	check("RMSprop", NewRMSprop(ps).Groups()[0], 1e-2, map[string]float64{"alpha": 0.99, "eps": 1e-8, "momentum": 0})
	check("Adagrad", NewAdagrad(ps).Groups()[0], 1e-2, map[string]float64{"eps": 1e-10, "lr_decay": 0, "initial_accumulator_value": 0})
	check("eps 0 by group", NewAdamGroups([]GroupSpec{{Params: ps, Options: map[string]float64{"eps": 0}}}, AdamOptions{}).Groups()[0], 1e-3, map[string]float64{"eps": 0})
}

// TestOptimizerAutogradVersion checks that a step is an in-place write as
// autograd sees it: a graph that saved the parameter before the step
// refuses to run backward.
func TestOptimizerAutogradVersion(t *testing.T) {
	p := tensor.Ones(3).SetRequiresGrad(true)
	opt := NewSGD([]*tensor.Tensor{p}, SGDOptions{LR: 0.1})
	loss := p.Mul(p).Sum()
	p.SetGrad(tensor.Ones(3))
	opt.Step()
	testPanics(t, "stale graph", "modified by an in-place operation", func() { loss.Backward() })
}

// TestOptimizerNonContiguous updates a parameter that is a transposed view
// and gradients that are not contiguous.
func TestOptimizerNonContiguous(t *testing.T) {
	base := tensor.Arange(0, 6, 1).Reshape(2, 3)
	pt := base.T().Contiguous().T() // non-contiguous, same values as base
	if pt.IsContiguous() {
		t.Fatal("expected a non-contiguous view")
	}
	p := base.Clone()
	pt.SetRequiresGrad(true)
	p.SetRequiresGrad(true)
	g := tensor.Arange(1, 7, 1).Reshape(3, 2).T() // non-contiguous gradient
	o1 := NewAdam([]*tensor.Tensor{pt}, AdamOptions{LR: 0.1})
	o2 := NewAdam([]*tensor.Tensor{p}, AdamOptions{LR: 0.1})
	for range 3 {
		pt.SetGrad(g)
		p.SetGrad(g.Contiguous())
		o1.Step()
		o2.Step()
	}
	golden.Close(t, "non-contiguous parameter", pt, p, 0, 0)
}

// TestOptimizerLarge checks the blocked, parallel path against the
// single-block path on parameters larger than one block and than the
// parallel threshold.
func TestOptimizerLarge(t *testing.T) {
	for _, n := range []int{optimBlock + 7, optimParallelMin + 3*optimBlock + 5} {
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			gen := tensor.NewGenerator(uint64(n))
			p0 := gen.Randn(n).To(dt)
			grads := []*tensor.Tensor{gen.Randn(n).To(dt), gen.Randn(n).To(dt)}
			makers := map[string]func(ps []*tensor.Tensor) Optimizer{
				"sgd": func(ps []*tensor.Tensor) Optimizer {
					return NewSGD(ps, SGDOptions{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.1})
				},
				"adam": func(ps []*tensor.Tensor) Optimizer { return NewAdamW(ps, AdamWOptions{LR: 0.1, AMSGrad: true}) },
				"rmsprop": func(ps []*tensor.Tensor) Optimizer {
					return NewRMSprop(ps, RMSpropOptions{Momentum: 0.5, Centered: true})
				},
				"adagrad": func(ps []*tensor.Tensor) Optimizer { return NewAdagrad(ps, AdagradOptions{WeightDecay: 0.1}) },
			}
			for name, mk := range makers {
				// Reference: the same update applied one element at a time.
				p := optimCopy(p0).SetRequiresGrad(true)
				parts := make([]*tensor.Tensor, 0)
				for i := 0; i < n; i += 997 {
					parts = append(parts, optimCopy(p0.Narrow(0, i, min(997, n-i))).SetRequiresGrad(true))
				}
				o := mk([]*tensor.Tensor{p})
				oref := mk(parts)
				for _, g := range grads {
					p.SetGrad(g)
					for j, q := range parts {
						q.SetGrad(g.Narrow(0, j*997, q.Numel()).Contiguous())
					}
					o.Step()
					oref.Step()
				}
				golden.Close(t, fmt.Sprintf("%s %v n=%d", name, dt, n), p, tensor.Cat(parts, 0), 0, 0)
			}
		}
	}
}

// TestOptimizerLoadPyTorchState loads PyTorch's own state dict after 10
// steps (tensors and JSON group dicts, with PyTorch's None and int values)
// into a fresh optimizer: its StateDict must then be PyTorch's.
func TestOptimizerLoadPyTorchState(t *testing.T) {
	for _, c := range optimCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			sd := StateDict{State: map[int]map[string]*tensor.Tensor{}}
			for _, name := range c.Names() {
				rest, ok := strings.CutPrefix(name, "state.")
				if !ok {
					continue
				}
				idx, key, _ := strings.Cut(rest, ".")
				var i int
				fmt.Sscan(idx, &i)
				if sd.State[i] == nil {
					sd.State[i] = map[string]*tensor.Tensor{}
				}
				sd.State[i][key] = c.T(name)
			}
			for _, g := range c.Attrs["state_groups"].([]any) {
				sd.Groups = append(sd.Groups, g.(map[string]any))
			}
			W, b, cc := testParams(c)
			opt := testBuild(t, c, W, b, cc)
			if err := opt.LoadStateDict(sd); err != nil {
				t.Fatal(err)
			}
			testCheckStateDict(t, c, opt.StateDict())
		})
	}
}
