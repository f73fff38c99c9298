package functional_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emberml/ember/jit"
	"github.com/emberml/ember/nn"
	F "github.com/emberml/ember/nn/functional"
	"github.com/emberml/ember/tensor"
)

// lossModule is a loss module of package nn.
type lossModule interface {
	nn.Module
	Forward(input, target *tensor.Tensor) *tensor.Tensor
}

// lossNet turns logits into the loss's input (log-probabilities for
// NLLLoss, probabilities for BCELoss) and applies the loss.
type lossNet struct {
	nn.Base
	Loss lossModule
	pre  func(x *tensor.Tensor) *tensor.Tensor
}

func (m *lossNet) Forward(input, target *tensor.Tensor) *tensor.Tensor {
	if m.pre != nil {
		input = m.pre(input)
	}
	return m.Loss.Forward(input, target)
}

// lossBits returns t's dtype, shape and element bits, for comparisons bit
// for bit.
func lossBits(t *tensor.Tensor) string {
	var b strings.Builder
	fmt.Fprint(&b, t.DType(), t.Shape())
	for _, v := range t.ToFloat64s() {
		fmt.Fprintf(&b, " %x", math.Float64bits(v))
	}
	return b.String()
}

// TestTraceFusedLosses traces CrossEntropyLoss with class indices,
// NLLLoss and BCELoss, which compute from their targets' values: the
// trace must read nothing, bake in no constant and record the loss as its
// one op, and the traced module must equal eager bit for bit, value and
// input gradient, on the example inputs and on other inputs.
func TestTraceFusedLosses(t *testing.T) {
	g := tensor.NewGenerator(9)
	w5 := g.Rand(5).AddScalar(0.5)
	idx := func(n, c int, shape ...int) *tensor.Tensor {
		tg := g.RandInt(0, int64(c), shape...)
		return tg.MaskedFill(g.Rand(shape...).LtScalar(0.25), float64(n))
	}
	logSoftmax := func(x *tensor.Tensor) *tensor.Tensor { return x.LogSoftmax(1) }
	cases := []struct {
		name string
		m    *lossNet
		op   string
		in   func() []*tensor.Tensor // the example, then the other inputs
	}{
		{"CrossEntropyLoss", &lossNet{Loss: nn.NewCrossEntropyLoss()}, "cross_entropy_indices",
			func() []*tensor.Tensor { return []*tensor.Tensor{g.Randn(6, 5), idx(-100, 5, 6)} }},
		{"CrossEntropyLoss/options/spatial", &lossNet{Loss: nn.NewCrossEntropyLoss(F.CrossEntropyOptions{
			Weight: w5, IgnoreIndex: 2, HasIgnoreIndex: true, LabelSmoothing: 0.1, Reduction: "none"})},
			"cross_entropy_indices",
			func() []*tensor.Tensor { return []*tensor.Tensor{g.Randn(2, 5, 3, 4), idx(2, 5, 2, 3, 4)} }},
		{"NLLLoss", &lossNet{Loss: nn.NewNLLLoss(F.NLLOptions{Weight: w5, Reduction: "sum"}), pre: logSoftmax}, "nll_loss",
			func() []*tensor.Tensor { return []*tensor.Tensor{g.Randn(6, 5), idx(-100, 5, 6)} }},
		{"BCELoss", &lossNet{Loss: nn.NewBCELoss(F.BCEOptions{Weight: g.Rand(4).AddScalar(0.5)}), pre: (*tensor.Tensor).Sigmoid},
			"binary_cross_entropy",
			func() []*tensor.Tensor { return []*tensor.Tensor{g.Randn(3, 4), g.Rand(3, 4)} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			example, other := c.in(), c.in()
			var warnings []string
			tm, err := jit.Trace(c.m, example, jit.TraceOptions{Warnings: func(s string) { warnings = append(warnings, s) }})
			if err != nil {
				t.Fatalf("Trace: %v", err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %q", warnings)
			}
			if n := len(opLines(tm.Graph(), c.op)); n != 1 {
				t.Errorf("%d %s nodes, want 1:\n%s", n, c.op, tm.Graph())
			}
			if strings.Contains(tm.Graph(), "prim.constant") {
				t.Errorf("the graph holds a constant:\n%s", tm.Graph())
			}
			var results []string
			for k, in := range [][]*tensor.Tensor{example, other} {
				x := in[0].Detach().SetRequiresGrad(true)
				want := c.m.Forward(x, in[1])
				want.Sum().Backward()
				xt := in[0].Detach().SetRequiresGrad(true)
				outs, err := tm.Call(xt, in[1])
				if err != nil {
					t.Fatalf("input set %d: Call: %v", k, err)
				}
				if len(outs) != 1 {
					t.Fatalf("input set %d: %d results", k, len(outs))
				}
				outs[0].Sum().Backward()
				if got, w := lossBits(outs[0]), lossBits(want); got != w {
					t.Errorf("input set %d: traced %v, eager %v", k, outs[0], want)
				}
				if got, w := lossBits(xt.Grad()), lossBits(x.Grad()); got != w {
					t.Errorf("input set %d: traced gradient %v, eager %v", k, xt.Grad(), x.Grad())
				}
				results = append(results, lossBits(want))
			}
			if results[0] == results[1] {
				t.Errorf("both input sets give %s: the test cannot tell a baked graph", results[0])
			}
		})
	}
}

// opLines returns the lines of graph text that call op.
func opLines(graph, op string) []string {
	var out []string
	for line := range strings.Lines(graph) {
		if strings.Contains(line, " "+op+"(") || strings.Contains(line, "= "+op+"(") {
			out = append(out, line)
		}
	}
	return slices.Clip(out)
}
