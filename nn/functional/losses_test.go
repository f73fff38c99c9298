package functional_test

import (
	"math"
	"strings"
	"testing"

	"github.com/emberml/ember/internal/golden"
	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/tensor"
)

// lossCall runs the loss a golden case names with the case's options.
func lossCall(c golden.Case, x, t *tensor.Tensor) *tensor.Tensor {
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
		return F.CrossEntropy(x, t, F.CrossEntropyOptions{Weight: w, IgnoreIndex: ignore, HasIgnoreIndex: hasIgnore,
			Reduction: red, LabelSmoothing: opt("label_smoothing")})
	case "nll_loss":
		return F.NLLLoss(x, t, F.NLLOptions{Weight: w, IgnoreIndex: ignore, HasIgnoreIndex: hasIgnore, Reduction: red})
	case "mse_loss":
		return F.MSELoss(x, t, F.ReductionOptions{Reduction: red})
	case "l1_loss":
		return F.L1Loss(x, t, F.ReductionOptions{Reduction: red})
	case "smooth_l1_loss":
		return F.SmoothL1Loss(x, t, F.SmoothL1Options{Reduction: red, Beta: opt("beta")})
	case "huber_loss":
		return F.HuberLoss(x, t, F.HuberOptions{Reduction: red, Delta: opt("delta")})
	case "binary_cross_entropy":
		return F.BCELoss(x, t, F.BCEOptions{Weight: w, Reduction: red})
	case "binary_cross_entropy_with_logits":
		return F.BCEWithLogitsLoss(x, t, F.BCEWithLogitsOptions{Weight: w, PosWeight: pw, Reduction: red})
	case "kl_div":
		return F.KLDivLoss(x, t, F.KLDivOptions{Reduction: red, LogTarget: c.Bool("log_target")})
	}
	panic("unknown loss " + c.String("loss"))
}

func tolFor(dt tensor.DType) (rtol, atol float64) {
	if dt == tensor.Float32 {
		return 1e-4, 1e-5
	}
	return 1e-9, 1e-11
}

// TestLossesGolden compares every loss, option and reduction with PyTorch
// 1.13: the value and the gradients with respect to the input and, where
// PyTorch differentiates it, the target.
func TestLossesGolden(t *testing.T) {
	cases := golden.Load(t, "testdata/losses.json")
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			seen[c.String("loss")] = true
			x := c.T("input").SetRequiresGrad(true)
			tg := c.T("target")
			if c.Has("grad_target") {
				tg.SetRequiresGrad(true)
			}
			out := lossCall(c, x, tg)
			rtol, atol := tolFor(x.DType())
			if out.DType() != x.DType() {
				t.Errorf("loss dtype %v, want %v", out.DType(), x.DType())
			}
			golden.Close(t, "loss", out, c.T("out"), rtol, atol)
			out.Mul(c.T("g")).Sum().Backward()
			golden.Close(t, "grad input", x.Grad(), c.T("grad_input"), rtol, atol)
			if c.Has("grad_target") {
				golden.Close(t, "grad target", tg.Grad(), c.T("grad_target"), rtol, atol)
			}
		})
	}
	for _, l := range []string{"cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
		"binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"} {
		if !seen[l] {
			t.Errorf("no golden case for %s", l)
		}
	}
}

// TestCrossEntropyDefaults checks that the zero options are PyTorch's
// defaults: a -100 target is ignored, a 0 target is not.
func TestCrossEntropyDefaults(t *testing.T) {
	x := tensor.FromSlice([]float64{1, 2, 3, 3, 1, 0}, 2, 3)
	full := F.CrossEntropy(x, tensor.FromSlice([]int64{0, 2}), F.CrossEntropyOptions{Reduction: "none"}).ToFloat64s()
	lse := func(a, b, c float64) float64 { return math.Log(math.Exp(a) + math.Exp(b) + math.Exp(c)) }
	want := []float64{lse(1, 2, 3) - 1, lse(3, 1, 0) - 0}
	for i := range want {
		if math.Abs(full[i]-want[i]) > 1e-12 {
			t.Fatalf("loss %d = %v, want %v", i, full[i], want[i])
		}
	}
	got := F.CrossEntropy(x, tensor.FromSlice([]int64{0, -100})).Item()
	if math.Abs(got-want[0]) > 1e-12 {
		t.Errorf("mean with a -100 target = %v, want %v", got, want[0])
	}
	got = F.CrossEntropy(x, tensor.FromSlice([]int64{0, 2}), F.CrossEntropyOptions{HasIgnoreIndex: true}).Item()
	if math.Abs(got-want[1]) > 1e-12 {
		t.Errorf("IgnoreIndex 0 with HasIgnoreIndex: mean = %v, want %v", got, want[1])
	}
	// int32 targets are taken as well.
	got = F.CrossEntropy(x, tensor.FromSlice([]int32{0, 2})).Item()
	if math.Abs(got-(want[0]+want[1])/2) > 1e-12 {
		t.Errorf("int32 targets: %v, want %v", got, (want[0]+want[1])/2)
	}
}

// TestLossPanics checks that misuse panics with a message naming the loss
// and the shapes.
func TestLossPanics(t *testing.T) {
	x := tensor.Randn(4, 5)
	idx := tensor.FromSlice([]int64{0, 1, 2, 3})
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"ce target shape", func() { F.CrossEntropy(x, tensor.FromSlice([]int64{0, 1, 2})) },
			"cross_entropy: target of shape [3] does not match input [4, 5]"},
		{"ce target dtype", func() { F.CrossEntropy(x, tensor.Zeros(4)) }, "cross_entropy: target of shape [4] has dtype float32"},
		{"ce prob int", func() { F.CrossEntropy(x, tensor.Zeros(4, 5).Long()) }, "cross_entropy: target of shape [4, 5] has dtype int64"},
		{"ce out of bounds", func() { F.CrossEntropy(x, tensor.FromSlice([]int64{0, 1, 5, 3})) },
			"cross_entropy: target 5 is out of bounds for 5 classes"},
		{"ce negative", func() { F.CrossEntropy(x, tensor.FromSlice([]int64{0, -1, 2, 3})) }, "cross_entropy: target -1 is out of bounds"},
		{"ce weight", func() { F.CrossEntropy(x, idx, F.CrossEntropyOptions{Weight: tensor.Ones(4)}) },
			"cross_entropy: weight of shape [4] does not fit input with 5 classes"},
		{"ce smoothing", func() { F.CrossEntropy(x, idx, F.CrossEntropyOptions{LabelSmoothing: 1.5}) },
			"cross_entropy: label smoothing must be between 0.0 and 1.0"},
		{"ce reduction", func() { F.CrossEntropy(x, idx, F.CrossEntropyOptions{Reduction: "avg"}) },
			`cross_entropy: reduction "avg" is not valid`},
		{"ce batchmean", func() { F.CrossEntropy(x, idx, F.CrossEntropyOptions{Reduction: "batchmean"}) },
			`cross_entropy: reduction "batchmean" is not valid`},
		{"ce prob ignore", func() { F.CrossEntropy(x, tensor.Zeros(4, 5), F.CrossEntropyOptions{IgnoreIndex: 1}) },
			"cross_entropy: ignore_index (1) is not supported for class-probability targets"},
		{"ce scalar", func() { F.CrossEntropy(tensor.Scalar(1), idx) }, "cross_entropy: input must have a class dimension"},
		{"ce int input", func() { F.CrossEntropy(idx, idx) }, "cross_entropy: input of shape [4] has dtype int64"},
		{"nll 4d", func() { F.NLLLoss(tensor.Randn(2, 3, 4, 5), tensor.FromSlice([]int64{0, 1}, 2, 1)) },
			"nll_loss: target of shape [2, 1] does not match input [2, 3, 4, 5]; class indices need shape [2, 4, 5]"},
		{"mse", func() { F.MSELoss(x, tensor.Zeros(4)) }, "mse_loss: target of shape [4] does not broadcast with input [4, 5]"},
		{"l1 int", func() { F.L1Loss(x, idx) }, "l1_loss: target of shape [4] has dtype int64"},
		{"smooth beta", func() { F.SmoothL1Loss(x, x, F.SmoothL1Options{Beta: -1}) }, "smooth_l1_loss: beta must not be negative"},
		{"huber delta", func() { F.HuberLoss(x, x, F.HuberOptions{Delta: -1}) }, "huber_loss: delta must be positive"},
		{"bce range", func() { F.BCELoss(x, x) }, "binary_cross_entropy: all elements of input (shape [4, 5]) should be between 0 and 1"},
		{"bce shape", func() { F.BCELoss(tensor.Rand(3), tensor.Rand(3, 1)) },
			"binary_cross_entropy: target of shape [3, 1] does not match input [3]"},
		{"bce weight", func() { F.BCELoss(tensor.Rand(3), tensor.Rand(3), F.BCEOptions{Weight: tensor.Ones(2, 3)}) },
			"binary_cross_entropy: weight of shape [2, 3] does not broadcast to input [3]"},
		{"bcel shape", func() { F.BCEWithLogitsLoss(x, tensor.Rand(4)) },
			"binary_cross_entropy_with_logits: target of shape [4] does not match input [4, 5]"},
		{"bcel pos_weight", func() { F.BCEWithLogitsLoss(x, x, F.BCEWithLogitsOptions{PosWeight: tensor.Ones(4)}) },
			"binary_cross_entropy_with_logits: pos_weight of shape [4] does not broadcast to target [4, 5]"},
		{"kl reduction", func() { F.KLDivLoss(x, x, F.KLDivOptions{Reduction: "avg"}) },
			`kl_div: reduction "avg" is not valid; use "mean", "batchmean", "sum" or "none"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if r == nil || !strings.Contains(msg, c.want) {
					t.Errorf("panic %v, want one containing %q", r, c.want)
				}
			}()
			c.f()
		})
	}
}
