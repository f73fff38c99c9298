package nn_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/emberml/ember/internal/golden"
	"github.com/emberml/ember/nn"
	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/tensor"
)

// lossModuleFor builds the loss module a golden case of
// nn/functional/testdata/losses.json names, with the case's options.
func lossModuleFor(c golden.Case) (nn.Module, func(x, t *tensor.Tensor) *tensor.Tensor) {
	var w, pw *tensor.Tensor
	if c.Has("weight") {
		w = c.T("weight")
	}
	if c.Has("pos_weight") {
		pw = c.T("pos_weight")
	}
	red := c.String("reduction")
	ignore, hasIgnore := 0, false
	if _, ok := c.Attrs["ignore_index"]; ok {
		ignore, hasIgnore = c.Int("ignore_index"), true
	}
	opt := func(k string) float64 {
		if _, ok := c.Attrs[k]; ok {
			return c.Float(k)
		}
		return 0
	}
	switch c.String("loss") {
	case "cross_entropy":
		m := nn.NewCrossEntropyLoss(F.CrossEntropyOptions{Weight: w, IgnoreIndex: ignore, HasIgnoreIndex: hasIgnore,
			Reduction: red, LabelSmoothing: opt("label_smoothing")})
		return m, m.Forward
	case "nll_loss":
		m := nn.NewNLLLoss(F.NLLOptions{Weight: w, IgnoreIndex: ignore, HasIgnoreIndex: hasIgnore, Reduction: red})
		return m, m.Forward
	case "mse_loss":
		m := nn.NewMSELoss(F.ReductionOptions{Reduction: red})
		return m, m.Forward
	case "l1_loss":
		m := nn.NewL1Loss(F.ReductionOptions{Reduction: red})
		return m, m.Forward
	case "smooth_l1_loss":
		m := nn.NewSmoothL1Loss(F.SmoothL1Options{Reduction: red, Beta: opt("beta")})
		return m, m.Forward
	case "huber_loss":
		m := nn.NewHuberLoss(F.HuberOptions{Reduction: red, Delta: opt("delta")})
		return m, m.Forward
	case "binary_cross_entropy":
		m := nn.NewBCELoss(F.BCEOptions{Weight: w, Reduction: red})
		return m, m.Forward
	case "binary_cross_entropy_with_logits":
		m := nn.NewBCEWithLogitsLoss(F.BCEWithLogitsOptions{Weight: w, PosWeight: pw, Reduction: red})
		return m, m.Forward
	case "kl_div":
		m := nn.NewKLDivLoss(F.KLDivOptions{Reduction: red, LogTarget: c.Bool("log_target")})
		return m, m.Forward
	}
	panic("unknown loss " + c.String("loss"))
}

// TestLossModulesGolden runs every golden case of the functional losses
// (PyTorch 1.13) through the loss modules.
func TestLossModulesGolden(t *testing.T) {
	for _, c := range golden.Load(t, "functional/testdata/losses.json") {
		t.Run(c.Name, func(t *testing.T) {
			_, fwd := lossModuleFor(c)
			x := c.T("input").SetRequiresGrad(true)
			tg := c.T("target")
			if c.Has("grad_target") {
				tg.SetRequiresGrad(true)
			}
			rtol, atol := 1e-9, 1e-11
			if x.DType() == tensor.Float32 {
				rtol, atol = 1e-4, 1e-5
			}
			out := fwd(x, tg)
			golden.Close(t, "loss", out, c.T("out"), rtol, atol)
			out.Mul(c.T("g")).Sum().Backward()
			golden.Close(t, "grad input", x.Grad(), c.T("grad_input"), rtol, atol)
			if c.Has("grad_target") {
				golden.Close(t, "grad target", tg.Grad(), c.T("grad_target"), rtol, atol)
			}
		})
	}
}

// TestLossModuleStateDict checks that class weights are buffers under
// PyTorch's names (torch 1.13: CrossEntropyLoss(weight=w).state_dict() has
// "weight", BCEWithLogitsLoss "weight" then "pos_weight", MSELoss nothing)
// and follow nn.To and LoadStateDict.
func TestLossModuleStateDict(t *testing.T) {
	w := tensor.FromSlice([]float32{1, 2, 3})
	cases := []struct {
		m    nn.Module
		keys []string
	}{
		{nn.NewCrossEntropyLoss(F.CrossEntropyOptions{Weight: w}), []string{"weight"}},
		{nn.NewCrossEntropyLoss(), nil},
		{nn.NewNLLLoss(F.NLLOptions{Weight: w}), []string{"weight"}},
		{nn.NewBCELoss(F.BCEOptions{Weight: w}), []string{"weight"}},
		{nn.NewBCEWithLogitsLoss(F.BCEWithLogitsOptions{Weight: w, PosWeight: w.Clone()}), []string{"weight", "pos_weight"}},
		{nn.NewMSELoss(), nil},
		{nn.NewKLDivLoss(), nil},
	}
	for _, c := range cases {
		if got := nn.StateKeys(c.m); !slices.Equal(got, c.keys) {
			t.Errorf("%T: state keys %v, want %v", c.m, got, c.keys)
		}
		if len(nn.Parameters(c.m)) != 0 {
			t.Errorf("%T has parameters", c.m)
		}
	}
	m := nn.NewCrossEntropyLoss(F.CrossEntropyOptions{Weight: w})
	nn.To(m, tensor.Float64)
	if m.Weight.DType() != tensor.Float64 {
		t.Errorf("weight dtype after To: %v", m.Weight.DType())
	}
	sd := map[string]*tensor.Tensor{"weight": tensor.FromSlice([]float64{0, 1, 0})}
	if _, err := nn.LoadStateDict(m, sd, true); err != nil {
		t.Fatal(err)
	}
	// Only class 1 counts now: the loss of the second row.
	x := tensor.FromSlice([]float64{1, 2, 3, 0, 0, 0}, 2, 3)
	got := m.Forward(x, tensor.FromSlice([]int64{0, 1})).Item()
	if want := math.Log(3); math.Abs(got-want) > 1e-12 {
		t.Errorf("loss with loaded weights %v, want %v", got, want)
	}
}

// TestLossModuleHooks checks that Forward runs the hooks with (input,
// target) as inputs.
func TestLossModuleHooks(t *testing.T) {
	m := nn.NewMSELoss(F.ReductionOptions{Reduction: "sum"})
	x, y := tensor.FromSlice([]float64{1, 2}), tensor.FromSlice([]float64{0, 0})
	var seen int
	h1 := m.RegisterForwardPreHook(func(_ nn.Module, in []*tensor.Tensor) []*tensor.Tensor {
		seen = len(in)
		return []*tensor.Tensor{in[0], in[1].AddScalar(1)}
	})
	h2 := m.RegisterForwardHook(func(_ nn.Module, in, out []*tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{out[0].MulScalar(10)}
	})
	if got := m.Forward(x, y).Item(); got != 10 || seen != 2 {
		t.Errorf("hooked loss %v (pre-hook saw %d inputs), want 10 and 2", got, seen)
	}
	h1.Remove()
	h2.Remove()
	if got := m.Forward(x, y).Item(); got != 5 {
		t.Errorf("loss %v after removing hooks, want 5", got)
	}
}

// A loss module in a training step: logits from a model, class targets,
// the loss and its gradient.
func ExampleCrossEntropyLoss() {
	criterion := nn.NewCrossEntropyLoss(F.CrossEntropyOptions{LabelSmoothing: 0.1})
	logits := tensor.FromSlice([]float32{2, 0, 0, 0, 3, 0}, 2, 3).SetRequiresGrad(true)
	loss := criterion.Forward(logits, tensor.FromSlice([]int64{0, 1}))
	loss.Backward()
	fmt.Printf("loss %.4f, grad shape %v\n", loss.Item(), logits.Grad().Shape())
	// Output:
	// loss 0.3339, grad shape [2 3]
}
