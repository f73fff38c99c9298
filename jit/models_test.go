package jit_test

import (
	"strings"
	"testing"

	"github.com/emberml/ember/autograd"
	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/models"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// modelCases are the networks of package models with small inputs (32×32
// and 64×64 for the vision models, to save time).
func modelCases() []struct {
	name  string
	m     nn.Module
	shape []int
} {
	tensor.ManualSeed(7)
	return []struct {
		name  string
		m     nn.Module
		shape []int
	}{
		{"MLP", models.NewMLP(), []int{2, 1, 28, 28}},
		{"SmallCNN", models.NewSmallCNN(), []int{2, 1, 28, 28}},
		{"ExamplesNet", models.NewExamplesNet(), []int{2, 1, 28, 28}},
		{"ResNet18", models.NewResNet18(10), []int{1, 3, 32, 32}},
		{"MobileNetV2", models.NewMobileNetV2(10), []int{1, 3, 64, 64}},
	}
}

// TestTraceModels traces every network of package models in evaluation
// mode, with grad recording on and off (the models run their ReLUs and
// residual additions in place when autograd does not need their inputs):
// the traced module, its text round trip and its saved copy equal eager bit
// for bit.
func TestTraceModels(t *testing.T) {
	for _, c := range modelCases() {
		t.Run(c.name, func(t *testing.T) {
			nn.Eval(c.m)
			x := tensor.Randn(c.shape...)
			tm := checkTrace(t, c.m, ins(x), jit.TraceOptions{})
			if inPlace(tm) {
				t.Errorf("an in-place op with grad on:\n%s", tm.Graph())
			}
			autograd.NoGrad(func() {
				// SmallCNN's nn.ReLU never works in place.
				if tm := checkTrace(t, c.m, ins(x), jit.TraceOptions{}); !inPlace(tm) && c.name != "SmallCNN" {
					t.Errorf("no in-place op under NoGrad:\n%s", tm.Graph())
				}
			})
		})
	}
}

// inPlace reports whether tm's graph has an in-place op.
func inPlace(tm *jit.Module) bool {
	for _, op := range []string{"relu_(", "relu6_(", "hardtanh_(", "add_("} {
		if strings.Contains(tm.Graph(), op) {
			return true
		}
	}
	return false
}

// BenchmarkMobileNetV2 compares eager and traced MobileNetV2 forward
// passes (evaluation mode, no grad, one 3×224×224 image): the traced
// module runs the same kernels, so the difference is the executor's
// overhead.
func BenchmarkMobileNetV2(b *testing.B) {
	m := models.NewMobileNetV2(1000)
	nn.Eval(m)
	x := tensor.Randn(1, 3, 224, 224)
	restore := tensor.SetGradEnabled(false)
	defer restore()
	tm, err := jit.Trace(m, ins(x), jit.TraceOptions{Warnings: func(string) {}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("eager", func(b *testing.B) {
		for b.Loop() {
			m.Forward(x)
		}
	})
	b.Run("traced", func(b *testing.B) {
		for b.Loop() {
			if _, err := tm.Call(x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("trace", func(b *testing.B) {
		for b.Loop() {
			if _, err := jit.Trace(m, ins(x), jit.TraceOptions{Warnings: func(string) {}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
