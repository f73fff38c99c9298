package jit

import (
	"strings"
	"testing"

	"github.com/emberml/ember/jit/ir"
	"github.com/emberml/ember/nn"
	"github.com/emberml/ember/tensor"
)

// branchNet is the model: a branch on the batch size.
type branchNet struct {
	nn.Base
	Fc   *nn.Linear
	BN   *nn.BatchNorm1d
	Head *nn.Linear
}

func newBranchNet() *branchNet {
	m := &branchNet{Fc: nn.NewLinear(4, 6), BN: nn.NewBatchNorm1d(6), Head: nn.NewLinear(6, 3)}
	// Running statistics that are not the identity, so that the branches differ.
	m.BN.RunningMean = tensor.Randn(6)
	m.BN.RunningVar = tensor.Rand(6).AddScalar(0.5)
	return m
}

func (m *branchNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	h := m.Fc.Forward(x)
	if x.Size(0) > 1 {
		h = m.BN.Forward(h).ReLU()
	} else {
		h = h.Tanh().MulScalar(2)
	}
	return m.Head.Forward(h)
}

// loopNet repeats a layer while the norm of its output is above a
// threshold, at most MaxIter times.
type loopNet struct {
	nn.Base
	Layer     *nn.Linear
	Threshold float64
	MaxIter   int
}

func (m *loopNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	n := 0
	for x.Norm(2, nil, false).Item() > m.Threshold {
		x = m.Layer.Forward(x).Tanh()
		n++
		if n >= m.MaxIter {
			break
		}
	}
	return x
}

// mustScript scripts m, checks that the graph verifies and that its text
// parses back to a module computing the same outputs, and returns it.
func mustScript(t *testing.T, m nn.Module, opts ...ScriptOptions) *Module {
	t.Helper()
	sm, err := Script(m, opts...)
	if err != nil {
		t.Fatalf("Script: %v", err)
	}
	return sm
}

// roundTrip parses the text of sm back into a module.
func roundTrip(t *testing.T, sm *Module) *Module {
	t.Helper()
	text := sm.Graph()
	parsed, err := ir.Parse(text, sm.StateDict())
	if err != nil {
		t.Fatalf("Parse of the scripted graph: %v\n%s", err, text)
	}
	if got := parsed.String(); got != text {
		t.Fatalf("the scripted graph does not print the same after parsing:\n%s\nvs\n%s", text, got)
	}
	rm, err := NewModule(parsed)
	if err != nil {
		t.Fatalf("NewModule of the parsed graph: %v", err)
	}
	return rm
}

// checkSame runs eager and scripted (and the round-tripped graph) on x and
// fails unless all outputs are equal bit for bit.
func checkSame(t *testing.T, name string, eager func(*tensor.Tensor) *tensor.Tensor, mods []*Module, x *tensor.Tensor) {
	t.Helper()
	want := eager(x)
	for i, sm := range mods {
		got, err := sm.Call(x)
		if err != nil {
			t.Fatalf("%s: module %d: %v", name, i, err)
		}
		if len(got) != 1 || !tensor.Equal(got[0], want) {
			t.Fatalf("%s: module %d: scripted output differs from eager:\n%v\nvs\n%v", name, i, got, want)
		}
	}
}

func countOps(g *ir.Graph, op string) int {
	n := 0
	g.Walk(func(x *ir.Node) bool {
		if x.Op == op {
			n++
		}
		return true
	})
	return n
}

func TestScriptBranchOnBatchSize(t *testing.T) {
	tensor.ManualSeed(1)
	m := newBranchNet()
	nn.Eval(m)
	sm := mustScript(t, m)
	g := sm.IR().Method("forward")
	if countOps(g, ir.OpIf) == 0 {
		t.Fatalf("no prim.if in the scripted graph:\n%s", sm.Graph())
	}
	if !strings.Contains(sm.Graph(), "script_test.go:") {
		t.Errorf("the graph has no source positions of script_test.go:\n%s", sm.Graph())
	}
	rm := roundTrip(t, sm)
	for n := 1; n <= 4; n++ {
		x := tensor.Randn(n, 4)
		checkSame(t, "batch "+string(rune('0'+n)), m.Forward, []*Module{sm, rm}, x)
	}
}

func TestScriptDataDependentLoop(t *testing.T) {
	tensor.ManualSeed(2)
	m := &loopNet{Layer: nn.NewLinear(5, 5), Threshold: 0.5, MaxIter: 20}
	m.Layer.Weight = m.Layer.Weight.MulScalar(0.6).Detach()
	m.Layer.Bias = m.Layer.Bias.MulScalar(0.1).Detach()
	nn.Eval(m)
	sm := mustScript(t, m)
	g := sm.IR().Method("forward")
	if countOps(g, ir.OpLoop) != 1 {
		t.Fatalf("want one prim.loop:\n%s", sm.Graph())
	}
	rm := roundTrip(t, sm)
	iters := map[float64]bool{}
	for i, scale := range []float64{0.1, 1, 3, 10, 40} {
		x := tensor.Randn(2, 5).MulScalar(scale)
		checkSame(t, "input "+string(rune('0'+i)), m.Forward, []*Module{sm, rm}, x)
		// Count the iterations eager execution takes.
		y := x
		n := 0
		for y.Norm(2, nil, false).Item() > m.Threshold && n < m.MaxIter {
			y = m.Layer.Forward(y).Tanh()
			n++
		}
		iters[float64(n)] = true
	}
	if len(iters) < 3 {
		t.Errorf("the inputs took only %d different numbers of iterations", len(iters))
	}
}
